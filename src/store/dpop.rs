//! DPoP proofs seen (migration 0014): one row per proof accepted, so that
//! no instance accepts it again.

use super::{on_writer, Store, StoreError};

impl Store {
    /// Records several proofs in one statement (a group commit, see
    /// `dpop::replay`): the ids that were not recorded before. `proofs`
    /// holds no id twice.
    pub async fn record_dpop_proofs(
        &self,
        proofs: &[(String, i64)],
    ) -> Result<Vec<String>, StoreError> {
        let rows = serde_json::to_string(proofs)
            .map_err(|error| StoreError::Database(sqlx::Error::Encode(Box::new(error))))?;
        // `WHERE true`: SQLite's grammar needs it between a SELECT and ON CONFLICT.
        const SQLITE: &str = "INSERT INTO dpop_proofs (id, expires_at) \
             SELECT r.value ->> 0, r.value ->> 1 FROM json_each($1) r WHERE true \
             ON CONFLICT (id) DO NOTHING RETURNING id";
        const POSTGRES: &str = "INSERT INTO dpop_proofs (id, expires_at) \
             SELECT r ->> 0, (r ->> 1)::bigint FROM json_array_elements($1::json) r \
             ON CONFLICT (id) DO NOTHING RETURNING id";
        let recorded = match self {
            Self::Sqlite { writes, .. } => {
                sqlx::query_scalar::<_, String>(SQLITE)
                    .bind(&rows)
                    .fetch_all(writes)
                    .await?
            }
            Self::Postgres(pool) => {
                sqlx::query_scalar::<_, String>(POSTGRES)
                    .bind(&rows)
                    .fetch_all(pool)
                    .await?
            }
        };
        Ok(recorded)
    }

    /// Every proof recorded (those expired go at the next flush): what a
    /// SQLite server, the only one of its database, remembers at start.
    pub async fn recorded_dpop_proofs(&self) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(on_writer!(self, |pool| {
            sqlx::query_as::<_, (String, i64)>("SELECT id, expires_at FROM dpop_proofs")
                .fetch_all(pool)
                .await
        })?)
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
