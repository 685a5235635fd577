//! Accounts as password operations see them: those an address belongs to
//! (compared in any case, as Django's reset form compares them), the one a
//! reset link names, the one whose password is being changed.

use super::{on_pool, Store, StoreError};

/// What a reset link is made from and checked against, and where a
/// security notice goes.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct PasswordAccount {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub is_active: bool,
    pub email_verified: bool,
}

/// The lower-case comparison each engine can answer from its index
/// (`users_email_search`, migration 0009): SQLite's `LOWER` folds ASCII
/// only, PostgreSQL's every letter; the core compares the rows found again
/// with full Unicode case folding.
const BY_EMAIL_SQLITE: &str =
    "SELECT id, username, email, password_hash, is_active, email_verified FROM users \
     WHERE LOWER(email) = LOWER($1) AND is_active ORDER BY id";
const BY_EMAIL_POSTGRES: &str = "SELECT id, username, email, password_hash, is_active, \
     email_verified FROM users WHERE LOWER(email) COLLATE \"C\" = LOWER($1) COLLATE \"C\" AND is_active \
     ORDER BY id";

impl Store {
    /// Active accounts whose address is `email` in any case (several
    /// accounts may share one, as in Django).
    pub async fn active_accounts_with_email(
        &self,
        email: &str,
    ) -> Result<Vec<PasswordAccount>, StoreError> {
        Ok(match self {
            Self::Sqlite { reads, .. } => {
                sqlx::query_as(BY_EMAIL_SQLITE)
                    .bind(email)
                    .fetch_all(reads)
                    .await?
            }
            Self::Postgres(pool) => {
                sqlx::query_as(BY_EMAIL_POSTGRES)
                    .bind(email)
                    .fetch_all(pool)
                    .await?
            }
        })
    }

    /// One account, by id.
    pub async fn password_account(&self, id: i64) -> Result<Option<PasswordAccount>, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as(
            "SELECT id, username, email, password_hash, is_active, email_verified FROM users WHERE id = $1"
        )
        .bind(id)
        .fetch_optional(pool)
        .await
        })?)
    }
}
