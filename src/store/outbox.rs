//! The mail outbox (the rules are `crate::mail`'s): mails queued inside
//! the transaction of the change that causes them (`queue_mail!`), claimed
//! a few at a time by one sender, deleted once delivered, rescheduled when
//! not.

use super::audit::record_audit;
use super::{on_pool, on_writer, Store, StoreError};
use crate::audit::AuditEvent;
use crate::mail::{OutboxCounts, OutgoingMail};

pub(crate) const INSERT_MAIL: &str = "INSERT INTO mail_outbox \
     (message_id, recipient, subject, body_text, body_html, created_at, next_attempt_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $6)";

/// Queues `$mails` (an iterator of `&OutgoingMail`) at `$now` inside the
/// transaction `$tx`: the one place a mail is written. A macro because
/// each engine's transaction is its own type.
macro_rules! queue_mail {
    ($tx:expr, $mails:expr, $now:expr) => {{
        let mut outcome: Result<(), sqlx::Error> = Ok(());
        for mail in $mails {
            let mail: &$crate::mail::OutgoingMail = mail;
            if let Err(error) = sqlx::query($crate::store::outbox::INSERT_MAIL)
                .bind(&mail.message_id)
                .bind(&mail.recipient)
                .bind(&mail.subject)
                .bind(&mail.text)
                .bind(&mail.html)
                .bind($now)
                .execute(&mut *$tx)
                .await
            {
                outcome = Err(error);
                break;
            }
        }
        outcome
    }};
}
pub(crate) use queue_mail;

/// A mail claimed for an attempt.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct QueuedMail {
    pub id: i64,
    pub message_id: String,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub created_at: i64,
    /// Attempts so far, this one included.
    pub attempts: i64,
}

/// The due mails, oldest due first; their next attempt moves to the end
/// of the lease, which is the claim. PostgreSQL skips rows another
/// instance is claiming at this moment instead of waiting for them.
macro_rules! claim_sql {
    ($lock:literal) => {
        concat!(
            "UPDATE mail_outbox SET next_attempt_at = $1, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM mail_outbox WHERE next_attempt_at <= $2 \
             ORDER BY next_attempt_at, id LIMIT $3",
            $lock,
            ") RETURNING id, message_id, recipient, subject, body_text, body_html, \
             created_at, attempts"
        )
    };
}

const COUNTS: &str = "SELECT \
     COALESCE(SUM(CASE WHEN last_error IS NULL THEN 1 ELSE 0 END), 0) AS queued, \
     COALESCE(SUM(CASE WHEN last_error IS NOT NULL AND NOT refused THEN 1 ELSE 0 END), 0) \
     AS retrying, \
     COALESCE(SUM(CASE WHEN refused THEN 1 ELSE 0 END), 0) AS refused \
     FROM mail_outbox";

impl Store {
    /// Queues mails, with the audit events that go with them, in one
    /// transaction.
    pub async fn queue_mail(
        &self,
        mails: &[OutgoingMail],
        audit: &[AuditEvent],
        now: i64,
    ) -> Result<(), StoreError> {
        on_writer!(self, |pool| {
            let mut tx = pool.begin().await?;
            queue_mail!(tx, mails, now)?;
            record_audit!(tx, audit)?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Claims up to `limit` mails due at `now` until `lease_until`.
    pub async fn claim_due_mail(
        &self,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> Result<Vec<QueuedMail>, StoreError> {
        Ok(match self {
            Self::Sqlite { writes, .. } => {
                sqlx::query_as::<_, QueuedMail>(claim_sql!(""))
                    .bind(lease_until)
                    .bind(now)
                    .bind(limit)
                    .fetch_all(writes)
                    .await?
            }
            Self::Postgres(pool) => {
                sqlx::query_as::<_, QueuedMail>(claim_sql!(" FOR UPDATE SKIP LOCKED"))
                    .bind(lease_until)
                    .bind(now)
                    .bind(limit)
                    .fetch_all(pool)
                    .await?
            }
        })
    }

    /// The server accepted the mail: it leaves the outbox.
    pub async fn mail_delivered(&self, id: i64) -> Result<(), StoreError> {
        on_writer!(self, |pool| sqlx::query(
            "DELETE FROM mail_outbox WHERE id = $1"
        )
        .bind(id)
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// The attempt failed: the next one is at `next_attempt_at`.
    pub async fn mail_deferred(
        &self,
        id: i64,
        next_attempt_at: i64,
        error: &str,
        refused: bool,
    ) -> Result<(), StoreError> {
        // A server's answer can be long; the start of it says enough.
        let error: String = error.chars().take(500).collect();
        on_writer!(self, |pool| sqlx::query(
            "UPDATE mail_outbox SET next_attempt_at = $1, last_error = $2, refused = $3 \
             WHERE id = $4"
        )
        .bind(next_attempt_at)
        .bind(&error)
        .bind(refused)
        .bind(id)
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    pub async fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
        let (queued, retrying, refused): (i64, i64, i64) =
            on_pool!(self, |pool| sqlx::query_as(COUNTS).fetch_one(pool).await)?;
        Ok(OutboxCounts {
            queued,
            retrying,
            refused,
        })
    }
}
