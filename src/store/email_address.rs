//! Accounts' addresses as verification sees them: the address, whether its
//! owner proved they read it, and a new address waiting for that proof.
//! Every change is a compare-and-set against the state the core read, so a
//! link used twice at once, or a change racing a verification, takes effect
//! once.

use super::audit::record_audit;
use super::outbox::queue_mail;
use super::{on_pool, on_writer, Store, StoreError};
use crate::audit::AuditEvent;
use crate::mail::OutgoingMail;

/// An account's address and its verification.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct EmailAccount {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub email_verified: bool,
    /// A new address waiting for verification (`""`: none).
    pub email_pending: String,
    pub is_active: bool,
}

impl EmailAccount {
    /// The address a verification link proves now: the new one waiting,
    /// else the account's own while it is not verified.
    pub fn address_to_verify(&self) -> Option<&str> {
        if !self.email_pending.is_empty() {
            Some(&self.email_pending)
        } else if !self.email.is_empty() && !self.email_verified {
            Some(&self.email)
        } else {
            None
        }
    }

    /// The columns as they are.
    pub fn state(&self) -> EmailState<'_> {
        EmailState {
            email: &self.email,
            verified: self.email_verified,
            pending: &self.email_pending,
        }
    }
}

/// The three columns of an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EmailState<'a> {
    pub email: &'a str,
    pub verified: bool,
    pub pending: &'a str,
}

/// The columns of an [`EmailAccount`], for `concat!` (queries are static strings).
macro_rules! email_columns {
    () => {
        "id, username, email, email_verified, email_pending, is_active"
    };
}

/// Active accounts waiting for `$1` to be verified: as their own address or
/// as a new one. Each side is a range of its lower-case index (migrations
/// 0009 and 0011); the core compares again with full Unicode case folding.
const AWAITING_SQLITE: &str = concat!(
    "SELECT ",
    email_columns!(),
    " FROM users WHERE is_active AND ((LOWER(email) = LOWER($1) AND NOT email_verified) \
     OR LOWER(email_pending) = LOWER($1)) ORDER BY id"
);
const AWAITING_POSTGRES: &str = concat!(
    "SELECT ",
    email_columns!(),
    " FROM users WHERE is_active AND ((LOWER(email) COLLATE \"C\" = LOWER($1) COLLATE \"C\" \
     AND NOT email_verified) OR LOWER(email_pending) COLLATE \"C\" = LOWER($1) COLLATE \"C\") \
     ORDER BY id"
);

impl Store {
    pub async fn email_account(&self, id: i64) -> Result<Option<EmailAccount>, StoreError> {
        let sql = concat!("SELECT ", email_columns!(), " FROM users WHERE id = $1");
        Ok(on_pool!(self, |pool| sqlx::query_as(sql)
            .bind(id)
            .fetch_optional(pool)
            .await)?)
    }

    /// Active accounts with `email` (in any case) waiting for verification.
    pub async fn accounts_awaiting_verification(
        &self,
        email: &str,
    ) -> Result<Vec<EmailAccount>, StoreError> {
        Ok(match self {
            Self::Sqlite { reads, .. } => {
                sqlx::query_as(AWAITING_SQLITE)
                    .bind(email)
                    .fetch_all(reads)
                    .await?
            }
            Self::Postgres(pool) => {
                sqlx::query_as(AWAITING_POSTGRES)
                    .bind(email)
                    .fetch_all(pool)
                    .await?
            }
        })
    }

    /// Sets account `id`'s address columns to `after` if they are still
    /// `before`, queueing `mails` and recording `audit` in the same
    /// transaction; `false` (nothing written) when they changed meanwhile.
    pub async fn replace_email(
        &self,
        id: i64,
        before: EmailState<'_>,
        after: EmailState<'_>,
        mails: &[OutgoingMail],
        audit: &[AuditEvent],
        now: i64,
    ) -> Result<bool, StoreError> {
        on_writer!(self, |pool| {
            let mut tx = pool.begin().await?;
            let replaced = sqlx::query(
                "UPDATE users SET email = $1, email_verified = $2, email_pending = $3 \
                 WHERE id = $4 AND email = $5 AND email_verified = $6 AND email_pending = $7",
            )
            .bind(after.email)
            .bind(after.verified)
            .bind(after.pending)
            .bind(id)
            .bind(before.email)
            .bind(before.verified)
            .bind(before.pending)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !replaced {
                return Ok(false);
            }
            queue_mail!(tx, mails, now)?;
            record_audit!(tx, audit)?;
            tx.commit().await?;
            Ok(true)
        })
    }
}
