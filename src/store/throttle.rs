//! Login-throttle counters (the rules are `crate::core::throttle`'s). Each
//! operation runs in one transaction that locks the rows it reads
//! (`FOR UPDATE` on PostgreSQL; SQLite has one writer), so concurrent
//! attempts, on any instance, are counted one after the other.

use super::audit::record_audit;
use super::{on_writer, Store, StoreError};
use crate::audit::AuditEvent;
use crate::core::throttle::{Counter, ThrottleKey, ThrottleRules, Throttled};

const ENSURE_ROW: &str =
    "INSERT INTO login_throttle (key, updated_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING";
const READ_SQLITE: &str = "SELECT failures, wait, locked_until, window_start, pending, updated_at \
     FROM login_throttle WHERE key = $1";
const READ_POSTGRES: &str =
    "SELECT failures, wait, locked_until, window_start, pending, updated_at \
     FROM login_throttle WHERE key = $1 FOR UPDATE";
const WRITE: &str = "UPDATE login_throttle SET failures = $2, wait = $3, locked_until = $4, \
     window_start = $5, pending = $6, updated_at = $7 WHERE key = $1";

/// What to do with each key's counter.
#[derive(Clone, Copy)]
enum Step {
    Attempt,
    Succeeded,
    Failed,
}

impl Store {
    /// Counts a login attempt against every key, all or nothing: when one
    /// key is throttled nothing is counted and the wait is returned.
    pub async fn count_login_attempt(
        &self,
        keys: &[ThrottleKey],
        rules: &ThrottleRules,
        now: i64,
    ) -> Result<Result<(), Throttled>, StoreError> {
        self.apply(keys, rules, now, Step::Attempt, &[]).await
    }

    /// The attempt counted last for these keys was a failure; `audit`
    /// records it in the same transaction.
    pub async fn login_failed(
        &self,
        keys: &[ThrottleKey],
        rules: &ThrottleRules,
        now: i64,
        audit: &[AuditEvent],
    ) -> Result<(), StoreError> {
        self.apply(keys, rules, now, Step::Failed, audit)
            .await
            .map(|_| ())
    }

    /// The attempt counted last for these keys was a success.
    pub async fn login_succeeded(
        &self,
        keys: &[ThrottleKey],
        rules: &ThrottleRules,
        now: i64,
    ) -> Result<(), StoreError> {
        self.apply(keys, rules, now, Step::Succeeded, &[])
            .await
            .map(|_| ())
    }

    async fn apply(
        &self,
        keys: &[ThrottleKey],
        rules: &ThrottleRules,
        now: i64,
        step: Step,
        audit: &[AuditEvent],
    ) -> Result<Result<(), Throttled>, StoreError> {
        let read = match self {
            Self::Sqlite { .. } => READ_SQLITE,
            Self::Postgres(_) => READ_POSTGRES,
        };
        on_writer!(self, |pool| {
            let mut tx = pool.begin().await?;
            let mut updates = Vec::with_capacity(keys.len());
            // Always in the caller's order (username, then address): two
            // transactions never wait for each other's rows crosswise.
            for key in keys {
                let storage_key = key.storage_key();
                sqlx::query(ENSURE_ROW)
                    .bind(&storage_key)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                let counter: Counter = sqlx::query_as(read)
                    .bind(&storage_key)
                    .fetch_one(&mut *tx)
                    .await?;
                let next = match step {
                    Step::Attempt => match rules.attempt(key, counter, now) {
                        Ok(next) => next,
                        Err(throttled) => {
                            tx.rollback().await?;
                            return Ok(Err(throttled));
                        }
                    },
                    Step::Succeeded => rules.succeeded(key, counter, now),
                    Step::Failed => rules.failed(key, counter, now),
                };
                updates.push((storage_key, next));
            }
            for (storage_key, counter) in updates {
                sqlx::query(WRITE)
                    .bind(storage_key)
                    .bind(counter.failures)
                    .bind(counter.wait)
                    .bind(counter.locked_until)
                    .bind(counter.window_start)
                    .bind(counter.pending)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            record_audit!(tx, audit)?;
            tx.commit().await?;
            Ok(Ok(()))
        })
    }

    /// Deletes counters untouched since `before`: nothing they hold can
    /// still throttle anyone.
    pub async fn flush_login_throttle(&self, before: i64) -> Result<u64, StoreError> {
        on_writer!(self, |pool| Ok(sqlx::query(
            "DELETE FROM login_throttle WHERE updated_at < $1"
        )
        .bind(before)
        .execute(pool)
        .await?
        .rows_affected()))
    }
}
