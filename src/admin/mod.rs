//! What staff do to other people's accounts: find users, (de)activate
//! them, end their sessions, read the audit log; and what only a superuser
//! does: make or unmake staff. Every call names the actor and checks them
//! against the database first, so a staff member removed on one instance is
//! refused on every other at once. Every change is an audit event naming
//! the actor and the target.

use std::sync::Arc;

use crate::audit::{AuditEntry, AuditEvent, AuditKind, AuditQuery};
use crate::core::Core;
use crate::error::AuthError;
use crate::sessions::{AuthenticatedUser, OwnSession};
use crate::store::{RevocationReason, StaffStanding, UserFilter, UserSummary};

/// Users in a page of the admin list.
pub const PAGE_SIZE: i64 = 50;

/// The admin side of the core. Cheap to clone.
#[derive(Clone)]
pub struct Admin {
    core: Arc<Core>,
}

/// One page of users, and where the next one starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserPage {
    pub users: Vec<UserSummary>,
    /// The id to pass as `after_id` for the next page; `None` on the last.
    pub next_after: Option<i64>,
}

/// One page of audit events, newest first, and where the next one starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventPage {
    pub events: Vec<AuditEntry>,
    /// The id to pass as `before_id` for the next page; `None` on the last.
    pub next_before: Option<i64>,
}

/// A page out of at most `PAGE_SIZE + 1` rows (one more than a page tells
/// whether another follows), and the id of its last row if one does.
fn page_of<T>(mut rows: Vec<T>, id: impl Fn(&T) -> i64) -> (Vec<T>, Option<i64>) {
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let next = more.then(|| rows.last().map(&id)).flatten();
    (rows, next)
}

/// What a staff member may change about an account.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountChange {
    pub is_active: Option<bool>,
    /// Superusers only.
    pub is_staff: Option<bool>,
}

impl Admin {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }

    /// The actor's standing, if they are active staff; `PermissionDenied` otherwise.
    async fn staff(&self, actor: &AuthenticatedUser) -> Result<StaffStanding, AuthError> {
        match self.core.store.staff_standing(actor.user_id).await? {
            Some(standing) if standing.is_active && standing.is_staff => Ok(standing),
            _ => Err(AuthError::PermissionDenied),
        }
    }

    /// Whether the actor is active staff (for showing the admin console).
    pub async fn is_staff(&self, actor: &AuthenticatedUser) -> Result<bool, AuthError> {
        Ok(self.staff(actor).await.is_ok())
    }

    /// A page of users matching `filter`, in id order.
    pub async fn users(
        &self,
        actor: &AuthenticatedUser,
        filter: &UserFilter,
    ) -> Result<UserPage, AuthError> {
        self.staff(actor).await?;
        let users = self.core.store.find_users(filter, PAGE_SIZE + 1).await?;
        let (users, next_after) = page_of(users, |user| user.id);
        Ok(UserPage { users, next_after })
    }

    pub async fn user(
        &self,
        actor: &AuthenticatedUser,
        user_id: i64,
    ) -> Result<UserSummary, AuthError> {
        self.staff(actor).await?;
        self.target(user_id).await
    }

    /// The user an admin call is about (the actor already checked).
    async fn target(&self, user_id: i64) -> Result<UserSummary, AuthError> {
        self.core
            .store
            .find_user_summary(user_id)
            .await?
            .ok_or(AuthError::NoSuchUser)
    }

    /// Applies `change` to the account: deactivation ends every session at
    /// once, on every instance; only a superuser changes staff status.
    pub async fn change_user(
        &self,
        actor: &AuthenticatedUser,
        user_id: i64,
        change: &AccountChange,
    ) -> Result<UserSummary, AuthError> {
        let standing = self.staff(actor).await?;
        if change.is_staff.is_some() && !standing.is_superuser {
            return Err(AuthError::PermissionDenied);
        }
        let target = self.target(user_id).await?;
        let core = &*self.core;
        let now = core.now();
        if let Some(active) = change
            .is_active
            .filter(|active| *active != target.is_active)
        {
            let kind = if active {
                AuditKind::UserActivated
            } else {
                AuditKind::UserDeactivated
            };
            let event = self.event(kind, actor, &target, now);
            crate::accounts::Accounts::new(Arc::clone(&self.core))
                .apply_active(&target.username, active, event)
                .await?;
        }
        if let Some(staff) = change.is_staff.filter(|staff| *staff != target.is_staff) {
            let event = self
                .event(AuditKind::StaffChanged, actor, &target, now)
                .detail(if staff {
                    "made staff"
                } else {
                    "no longer staff"
                });
            core.store
                .set_staff_flags(
                    user_id,
                    Some(staff),
                    None,
                    now,
                    std::slice::from_ref(&event),
                )
                .await?;
            crate::audit::emitted(&[event]);
        }
        self.target(user_id).await
    }

    /// The user's live sessions (simplejwt's outstanding tokens).
    pub async fn user_sessions(
        &self,
        actor: &AuthenticatedUser,
        user_id: i64,
    ) -> Result<Vec<OwnSession>, AuthError> {
        let target = self.user(actor, user_id).await?;
        let rows = self
            .core
            .store
            .live_sessions_of(target.id, self.core.now())
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| OwnSession::from_row(row, false))
            .collect())
    }

    /// Ends every session of the user; returns how many ended.
    pub async fn end_user_sessions(
        &self,
        actor: &AuthenticatedUser,
        user_id: i64,
    ) -> Result<usize, AuthError> {
        let target = self.user(actor, user_id).await?;
        let core = &*self.core;
        let now = core.now();
        let because = RevocationReason::EndedByAdmin;
        let event = self.event(AuditKind::SessionEnded, actor, &target, now);
        let ended = core
            .store
            .end_other_sessions(target.id, None, now, because, None, Some(event.clone()))
            .await?
            .unwrap_or_default();
        let count = ended.len();
        crate::audit::emitted(&[event.detail(crate::audit::sessions_ended(count))]);
        crate::core::metrics::sessions_revoked(because, count);
        core.registry.revoke_sessions(ended);
        core.reload_user(target.id).await?;
        Ok(count)
    }

    /// A page of audit events matching `query` (its `limit` is the
    /// page's), newest first.
    pub async fn events(
        &self,
        actor: &AuthenticatedUser,
        query: &AuditQuery,
    ) -> Result<EventPage, AuthError> {
        self.staff(actor).await?;
        let query = AuditQuery {
            limit: PAGE_SIZE + 1,
            ..query.clone()
        };
        let events = self.core.store.audit_events(&query).await?;
        let (events, next_before) = page_of(events, |event| event.id);
        Ok(EventPage {
            events,
            next_before,
        })
    }

    fn event(
        &self,
        kind: AuditKind,
        actor: &AuthenticatedUser,
        target: &UserSummary,
        now: i64,
    ) -> AuditEvent {
        AuditEvent {
            actor_id: Some(actor.user_id),
            ..AuditEvent::new(kind, now)
                .user(target.id)
                .username(&target.username)
        }
    }
}
