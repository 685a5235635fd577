//! Reading the audit log: a person's own recent events, and (for staff
//! tools) any events by user, type and time, newest first, a page at a time
//! with a cursor that stays right while events keep arriving.

use std::sync::Arc;

use super::AuditKind;
use crate::core::Core;
use crate::error::AuthError;

/// The audit side of the core. Cheap to clone.
#[derive(Clone)]
pub struct Audit {
    core: Arc<Core>,
}

/// One stored event.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditEntry {
    /// Increasing with time: the cursor of the next page is the last id seen.
    pub id: i64,
    pub at: i64,
    pub kind: String,
    pub user_id: Option<i64>,
    pub username: Option<String>,
    pub actor_id: Option<i64>,
    pub address: Option<String>,
    pub device: Option<String>,
    pub session_id: Option<String>,
    pub detail: Option<String>,
    /// How many attempts a `login_throttled` row counts (1 for the rest).
    pub count: i64,
}

/// Which events, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub user_id: Option<i64>,
    pub kind: Option<AuditKind>,
    /// At or after this Unix time.
    pub since: Option<i64>,
    /// Older than the event with this id (the last of the previous page).
    pub before_id: Option<i64>,
    /// At most this many (capped at [`AuditQuery::MAX_LIMIT`]).
    pub limit: i64,
}

impl AuditQuery {
    pub const MAX_LIMIT: i64 = 200;
}

impl Audit {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }

    /// Events matching `query`, newest first.
    pub async fn events(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, AuthError> {
        let limit = query.limit.clamp(1, AuditQuery::MAX_LIMIT);
        Ok(self
            .core
            .store
            .audit_events(&AuditQuery {
                limit,
                ..query.clone()
            })
            .await?)
    }

    /// What happened to `user_id`'s account in the last `days` days, newest
    /// first: what a person checks for things they did not do.
    pub async fn recent_of(&self, user_id: i64, days: i64) -> Result<Vec<AuditEntry>, AuthError> {
        let since = self.core.now() - days * 24 * 60 * 60;
        self.events(&AuditQuery {
            user_id: Some(user_id),
            since: Some(since),
            limit: 50,
            ..AuditQuery::default()
        })
        .await
    }
}
