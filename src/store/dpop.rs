//! DPoP proofs seen (migration 0014): one row per proof accepted, so that
//! no instance accepts it again.

use super::{on_writer, Store, StoreError};

impl Store {
    /// Records the proof `id`; `false` (nothing written) if it is recorded
    /// already, by this instance or another.
    pub async fn record_dpop_proof(&self, id: &str, expires_at: i64) -> Result<bool, StoreError> {
        let inserted = on_writer!(self, |pool| sqlx::query(
            "INSERT INTO dpop_proofs (id, expires_at) VALUES ($1, $2) \
             ON CONFLICT (id) DO NOTHING"
        )
        .bind(id)
        .bind(expires_at)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(inserted == 1)
    }

    /// Deletes the proofs too old to be accepted anyway.
    pub async fn purge_dpop_proofs(&self, now: i64) -> Result<u64, StoreError> {
        Ok(on_writer!(self, |pool| sqlx::query(
            "DELETE FROM dpop_proofs WHERE expires_at < $1"
        )
        .bind(now)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?)
    }
}
