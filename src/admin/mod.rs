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
use crate::keys::{KeyListing, SigningKeys};
use crate::sessions::{AuthenticatedUser, OwnSession};
use crate::store::{ProfileChange, RevocationReason, StaffStanding, UserFilter, UserSummary};

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
    /// Django's limits: names up to 150 characters, the address up to 254
    /// and valid (or empty). Surrounding spaces are dropped, as DRF does.
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
}

/// Django's `max_length` of `first_name` and `last_name`.
const MAX_NAME_CHARS: usize = 150;

impl AccountChange {
    /// The names and address trimmed and checked, before anything changes.
    fn checked_profile(&self) -> Result<ProfileChange<'_>, AuthError> {
        fn checked<'a>(
            field: &'static str,
            value: Option<&'a String>,
            max: usize,
        ) -> Result<Option<&'a str>, AuthError> {
            let Some(value) = value.map(|value| value.trim()) else {
                return Ok(None);
            };
            if value.contains('\0') {
                return Err(AuthError::NullCharacters { field });
            }
            if value.chars().count() > max {
                return Err(AuthError::FieldTooLong { field, max });
            }
            Ok(Some(value))
        }
        let first_name = checked("first_name", self.first_name.as_ref(), MAX_NAME_CHARS)?;
        let last_name = checked("last_name", self.last_name.as_ref(), MAX_NAME_CHARS)?;
        let email = checked("email", self.email.as_ref(), crate::MAX_EMAIL_CHARS)?;
        if email.is_some_and(|email| !email.is_empty() && !crate::is_valid_email(email)) {
            return Err(AuthError::InvalidEmail);
        }
        Ok(ProfileChange {
            first_name,
            last_name,
            email,
        })
    }
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

    /// Whether the actor is active staff, and a superuser (who alone
    /// changes staff and rotates keys): one read for the console.
    pub async fn standing(&self, actor: &AuthenticatedUser) -> Result<(bool, bool), AuthError> {
        Ok(match self.staff(actor).await {
            Ok(standing) => (true, standing.is_superuser),
            Err(AuthError::PermissionDenied) => (false, false),
            Err(other) => return Err(other),
        })
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
        let asked = change.checked_profile()?;
        let target = self.target(user_id).await?;
        let core = &*self.core;
        let now = core.now();
        // Only what differs is written, and named in the log (never the values).
        fn differs<'a>(new: Option<&'a str>, old: &str) -> Option<&'a str> {
            new.filter(|new| *new != old)
        }
        let profile = ProfileChange {
            first_name: differs(asked.first_name, &target.first_name),
            last_name: differs(asked.last_name, &target.last_name),
            email: differs(asked.email, &target.email),
        };
        let changed: Vec<&str> = [
            ("first_name", profile.first_name),
            ("last_name", profile.last_name),
            ("email", profile.email),
        ]
        .into_iter()
        .filter_map(|(field, value)| value.map(|_| field))
        .collect();
        if !changed.is_empty() {
            let event = self
                .event(AuditKind::ProfileChanged, actor, &target, now)
                .detail(changed.join(", "));
            core.store
                .set_profile(user_id, &profile, std::slice::from_ref(&event))
                .await?;
            crate::audit::emitted(&[event]);
        }
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

    /// Ends one session of the user (`NoSuchSession` when it is not theirs
    /// or already over).
    pub async fn end_user_session(
        &self,
        actor: &AuthenticatedUser,
        user_id: i64,
        session_id: &str,
    ) -> Result<(), AuthError> {
        let target = self.user(actor, user_id).await?;
        // Session ids are 32 lowercase hex digits; anything else is no
        // session, and never reaches the database.
        if !crate::core::hex::is_random_id(session_id) {
            return Err(AuthError::NoSuchSession);
        }
        let core = &*self.core;
        let now = core.now();
        let because = RevocationReason::EndedByAdmin;
        let events = [self
            .event(AuditKind::SessionEnded, actor, &target, now)
            .session(session_id)
            .detail("by staff")];
        let ended = core
            .store
            .end_session_of(target.id, session_id, now, because, &events)
            .await?
            .ok_or(AuthError::NoSuchSession)?;
        crate::audit::emitted(&events);
        crate::core::metrics::sessions_revoked(because, 1);
        core.registry.revoke_sessions(vec![ended]);
        Ok(())
    }

    /// Mails the user a password-reset link: to let them in again, or to
    /// let an account imported without a password choose its first one.
    pub async fn send_password_reset(
        &self,
        actor: &AuthenticatedUser,
        user_id: i64,
    ) -> Result<(), AuthError> {
        let target = self.user(actor, user_id).await?;
        let core = &*self.core;
        let account = core
            .store
            .password_account(target.id)
            .await?
            .ok_or(AuthError::NoSuchUser)?;
        if account.email.is_empty() {
            return Err(AuthError::CannotMailReset(
                "The account has no email address.",
            ));
        }
        if !account.is_active {
            return Err(AuthError::CannotMailReset(
                "The account is deactivated: activate it first.",
            ));
        }
        // The same rule as a reset asked for by address: a link to take
        // over the account goes only where its owner proved they read.
        if !core.may_mail(&account.email, account.email_verified) {
            return Err(AuthError::CannotMailReset(
                "The account's email address is not verified: its owner can ask for a \
                 link to confirm it at /verify-email.",
            ));
        }
        let now = core.now();
        let event = self
            .event(AuditKind::PasswordResetRequested, actor, &target, now)
            .detail("link sent by mail, by staff");
        crate::accounts::password_reset::mail_reset_links(core, &[(account, event)], now).await
    }

    /// Every stored signing key and its state, oldest first.
    pub async fn keys(&self, actor: &AuthenticatedUser) -> Result<Vec<KeyListing>, AuthError> {
        self.staff(actor).await?;
        Ok(SigningKeys::new(Arc::clone(&self.core)).list().await?)
    }

    /// Superusers only: a new signing key of the current algorithm, as
    /// `tessera keys rotate` adds it (published now, signing after the
    /// publication delay). `None`: another process rotated at that moment.
    pub async fn rotate_key(
        &self,
        actor: &AuthenticatedUser,
    ) -> Result<Option<KeyListing>, AuthError> {
        if !self.staff(actor).await?.is_superuser {
            return Err(AuthError::PermissionDenied);
        }
        Ok(SigningKeys::new(Arc::clone(&self.core))
            .rotate_by(None, Some(actor.user_id))
            .await?)
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
