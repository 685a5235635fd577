//! Signing keys as stored: shared by every instance on the database. A
//! rotation adds the next generation and retires the keys before it in one
//! transaction; the generation's uniqueness makes concurrent rotations
//! (two instances starting, automatic rotation on each) produce one key.

use super::audit::record_audit;
use super::{on_pool, on_writer, Store, StoreError};
use crate::audit::AuditEvent;

/// A signing key's row.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct KeyRow {
    pub kid: String,
    pub generation: i64,
    pub algorithm: String,
    /// `None` for HMAC keys: a secret is never stored.
    pub public_jwk: Option<String>,
    pub sealed_private_key: Option<Vec<u8>>,
    pub created_at: i64,
    /// From this instant on the key signs (until a later key does).
    pub signs_from: i64,
    /// When a later key took over signing.
    pub retired_at: Option<i64>,
}

impl Store {
    /// Every key, oldest generation first.
    pub async fn signing_keys(&self) -> Result<Vec<KeyRow>, StoreError> {
        on_pool!(self, |pool| Ok(sqlx::query_as::<_, KeyRow>(
            "SELECT kid, generation, algorithm, public_jwk, sealed_private_key, \
             created_at, signs_from, retired_at FROM signing_keys ORDER BY generation"
        )
        .fetch_all(pool)
        .await?))
    }

    /// The newest generation, to tell cheaply whether keys changed.
    pub async fn latest_key_generation(&self) -> Result<i64, StoreError> {
        on_pool!(self, |pool| Ok(sqlx::query_scalar::<_, Option<i64>>(
            "SELECT MAX(generation) FROM signing_keys"
        )
        .fetch_one(pool)
        .await?
        .unwrap_or(0)))
    }

    /// Adds `key` (whose generation must be the latest plus one) and retires
    /// every earlier key from its `signs_from` on. `false`: another process
    /// added that generation first; nothing was written.
    pub async fn add_signing_key(
        &self,
        key: &KeyRow,
        audit: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        on_writer!(self, |pool| {
            let mut tx = pool.begin().await?;
            let inserted = sqlx::query(
                "INSERT INTO signing_keys (kid, generation, algorithm, public_jwk, \
                 sealed_private_key, created_at, signs_from, retired_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)",
            )
            .bind(&key.kid)
            .bind(key.generation)
            .bind(&key.algorithm)
            .bind(&key.public_jwk)
            .bind(&key.sealed_private_key)
            .bind(key.created_at)
            .bind(key.signs_from)
            .execute(&mut *tx)
            .await;
            match inserted.map_err(StoreError::from_insert) {
                Ok(_) => {}
                Err(StoreError::Conflict) => return Ok(false),
                Err(other) => return Err(other),
            }
            sqlx::query(
                "UPDATE signing_keys SET retired_at = $1 \
                 WHERE generation < $2 AND (retired_at IS NULL OR retired_at > $1)",
            )
            .bind(key.signs_from)
            .bind(key.generation)
            .execute(&mut *tx)
            .await?;
            record_audit!(tx, audit)?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Replaces a key's sealed private part (sealed again under a new secret).
    pub async fn reseal_signing_key(
        &self,
        generation: i64,
        sealed: &[u8],
    ) -> Result<(), StoreError> {
        on_writer!(self, |pool| {
            sqlx::query("UPDATE signing_keys SET sealed_private_key = $1 WHERE generation = $2")
                .bind(sealed)
                .bind(generation)
                .execute(pool)
                .await?;
            Ok(())
        })
    }
}
