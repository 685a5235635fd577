//! The audit table (the rules are `crate::audit`'s): events appended inside
//! the transaction of the change they record (`record_audit!`), throttled
//! attempts counted per address and minute, pages read newest first, and
//! the retention purge, the one deletion the table's trigger allows.

use super::{on_pool, on_writer, Store, StoreError};
use crate::audit::{AuditEntry, AuditEvent, AuditKind, AuditQuery};

pub(crate) const INSERT_AUDIT: &str = "INSERT INTO audit_events \
     (at, kind, user_id, username, actor_id, address, device, session_id, detail) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

/// Appends `$events` (an iterator of `&AuditEvent`) inside the transaction
/// `$tx`: the one place an audit row is written with a change. A macro
/// because each engine's transaction is its own type.
macro_rules! record_audit {
    ($tx:expr, $events:expr) => {{
        let mut outcome: Result<(), sqlx::Error> = Ok(());
        for event in $events {
            let event: &$crate::audit::AuditEvent = event;
            if let Err(error) = sqlx::query($crate::store::audit::INSERT_AUDIT)
                .bind(event.at)
                .bind(event.kind.as_str())
                .bind(event.user_id)
                .bind(event.username.as_deref())
                .bind(event.actor_id)
                .bind(event.address.as_deref())
                .bind(event.device.as_deref())
                .bind(event.session_id.as_deref())
                .bind(event.detail.as_deref())
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
pub(crate) use record_audit;

const READ: &str = "SELECT id, at, kind, user_id, username, actor_id, address, device, \
     session_id, detail, count FROM audit_events \
     WHERE ($1 IS NULL OR user_id = $1) AND ($2 IS NULL OR kind = $2) \
     AND ($3 IS NULL OR at >= $3) AND ($4 IS NULL OR id < $4) \
     ORDER BY id DESC LIMIT $5";

impl Store {
    /// Whether `user_id` signed in from `device` before, as far as the
    /// audit log remembers (`--audit-retention`): `None` when they never
    /// signed in at all.
    pub async fn signed_in_from(
        &self,
        user_id: i64,
        device: &str,
    ) -> Result<Option<bool>, StoreError> {
        let seen: i64 = on_pool!(self, |pool| {
            sqlx::query_scalar(
            "SELECT CAST(COALESCE(MAX(CASE WHEN device = $1 THEN 1 ELSE 0 END), -1) AS BIGINT) \
             FROM audit_events WHERE user_id = $2 AND kind = 'login_succeeded'"
        )
        .bind(device)
        .bind(user_id)
        .fetch_one(pool)
        .await
        })?;
        Ok(match seen {
            -1 => None,
            seen => Some(seen == 1),
        })
    }

    /// Events that go with no other change.
    pub async fn record_audit(&self, events: &[AuditEvent]) -> Result<(), StoreError> {
        on_writer!(self, |pool| {
            let mut tx = pool.begin().await?;
            record_audit!(tx, events)?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// One more attempt refused by the throttle from `address` (`None`: a
    /// call without one), counted in the row of its minute.
    pub async fn record_throttled(
        &self,
        address: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        const UPSERT: &str = "INSERT INTO audit_events (at, kind, address, minute) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (address, minute) WHERE kind = 'login_throttled' \
             DO UPDATE SET count = audit_events.count + 1";
        on_writer!(self, |pool| {
            sqlx::query(UPSERT)
                .bind(now)
                .bind(AuditKind::LoginThrottled.as_str())
                .bind(address.unwrap_or(""))
                .bind(now.div_euclid(60))
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    pub async fn audit_events(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
        Ok(on_pool!(self, |pool| sqlx::query_as::<_, AuditEntry>(
            READ
        )
        .bind(query.user_id)
        .bind(query.kind.map(AuditKind::as_str))
        .bind(query.since)
        .bind(query.before_id)
        .bind(query.limit)
        .fetch_all(pool)
        .await)?)
    }

    /// Deletes events older than `before`; returns how many went. The
    /// table's trigger refuses every other deletion: on PostgreSQL this
    /// transaction sets `tessera.audit_purge`, on SQLite it holds a row of
    /// `audit_purge_permit` (gone again before it commits).
    pub async fn purge_audit(&self, before: i64) -> Result<u64, StoreError> {
        const DELETE: &str = "DELETE FROM audit_events WHERE at < $1";
        match self {
            Self::Sqlite { writes, .. } => {
                let mut tx = writes.begin().await?;
                sqlx::query("INSERT INTO audit_purge_permit (purging) VALUES (1)")
                    .execute(&mut *tx)
                    .await?;
                let purged = sqlx::query(DELETE)
                    .bind(before)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                sqlx::query("DELETE FROM audit_purge_permit")
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(purged)
            }
            Self::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query("SELECT set_config('tessera.audit_purge', 'on', true)")
                    .execute(&mut *tx)
                    .await?;
                let purged = sqlx::query(DELETE)
                    .bind(before)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                tx.commit().await?;
                Ok(purged)
            }
        }
    }
}
