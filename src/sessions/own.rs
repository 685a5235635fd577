//! What a logged-in person can do about their own account from any of its
//! sessions: list the sessions, end one, end all the others, change the
//! password (which ends every session and starts a new one for the caller). The caller is an
//! [`AuthenticatedUser`], i.e. a valid, unrevoked access token; an ended
//! session's tokens are refused at once through the registry, and on other
//! instances through the change log.

use crate::audit::{sessions_ended, AuditEvent, AuditKind};
use crate::core::password_attempt::PasswordAttempt;
use crate::core::{Client, TokenPair};
use crate::error::AuthError;
use crate::mail::notices::{self, PasswordEvent};
use crate::password::{Verdict, MAX_PASSWORD_BYTES};
use crate::sessions::{AuthenticatedUser, Sessions};
use crate::store::{PasswordSwap, RevocationReason, RevokedSession, SessionRow};

/// A live session, as its owner sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnSession {
    pub id: String,
    pub created_at: i64,
    /// The login or the latest refresh.
    pub last_used_at: i64,
    /// The latest it can last, however often it refreshes.
    pub expires_at: i64,
    /// "Firefox on Linux" (see [`crate::sessions::device`]).
    pub device: String,
    pub client_address: Option<String>,
    /// The session of the token that asked.
    pub current: bool,
}

impl OwnSession {
    /// A stored live session; `current`: it is the asking token's.
    pub(crate) fn from_row(row: SessionRow, current: bool) -> Self {
        Self {
            current,
            device: row
                .device
                .unwrap_or_else(|| crate::sessions::device::label(None)),
            id: row.id,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            expires_at: row.expires_at,
            client_address: row.client_address,
        }
    }
}

impl Sessions {
    /// The caller's live sessions, the most recently used first.
    pub async fn list_own(&self, user: &AuthenticatedUser) -> Result<Vec<OwnSession>, AuthError> {
        let core = self.core();
        let rows = core
            .store
            .live_sessions_of(user.user_id, core.now())
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let current = user.session_id() == Some(row.id.as_str());
                OwnSession::from_row(row, current)
            })
            .collect())
    }

    /// Ends one of the caller's sessions (the current one included: that is
    /// a logout). Another user's session is `NoSuchSession`, exactly like
    /// one that does not exist.
    pub async fn end_own(
        &self,
        user: &AuthenticatedUser,
        session_id: &str,
    ) -> Result<(), AuthError> {
        let core = self.core();
        // Session ids are 32 lowercase hex digits; anything else is no
        // session, and never reaches the database.
        if !crate::core::hex::is_random_id(session_id) {
            return Err(AuthError::NoSuchSession);
        }
        let because = RevocationReason::EndedByOwner;
        let now = core.now();
        let events = [AuditEvent::new(AuditKind::SessionEnded, now)
            .user(user.user_id)
            .session(session_id)
            .detail(ended_by(user, session_id))];
        let ended = core
            .store
            .end_session_of(user.user_id, session_id, now, because, &events)
            .await?
            .ok_or(AuthError::NoSuchSession)?;
        crate::audit::emitted(&events);
        self.forget([ended].into(), because);
        Ok(())
    }

    /// Ends every session of the caller but the current one; returns how
    /// many ended.
    pub async fn end_others(&self, user: &AuthenticatedUser) -> Result<usize, AuthError> {
        let core = self.core();
        let because = RevocationReason::EndedByOwner;
        let now = core.now();
        let event = AuditEvent::new(AuditKind::SessionEnded, now).user(user.user_id);
        let event = match user.session_id() {
            Some(session_id) => event.session(session_id),
            None => event,
        };
        let ended = core
            .store
            .end_other_sessions(
                user.user_id,
                user.session_id(),
                now,
                because,
                None,
                Some(event.clone()),
            )
            .await?
            .unwrap_or_default();
        crate::audit::emitted(&[event.detail(sessions_ended(ended.len()))]);
        let count = ended.len();
        self.forget(ended, because);
        self.core().reload_user(user.user_id).await?;
        Ok(count)
    }

    /// Checks `old` like a login (same throttle, same hasher), applies the
    /// password rules to `new`, stores it and ends every session, the
    /// current one too: a copy of this client's tokens (taken by whoever
    /// knew the old password) dies with the rest. The caller carries on in
    /// a new session, whose first pair is the answer.
    pub async fn change_password(
        &self,
        user: &AuthenticatedUser,
        old: &str,
        new: &str,
        client: Client<'_>,
    ) -> Result<TokenPair, AuthError> {
        let core = self.core();
        core.policy.check_new_password(new)?;
        if old.len() > MAX_PASSWORD_BYTES {
            return Err(AuthError::WrongPassword);
        }
        let stored = core
            .store
            .password_account(user.user_id)
            .await?
            .ok_or(AuthError::UserNotFound)?;
        let (slot, attempt) = PasswordAttempt::begin(&self.core, &stored.username, client).await?;
        let verdict = slot
            .verify(old, Some(&stored.password_hash), &stored.username)
            .await?;
        if !matches!(verdict, Verdict::Valid { .. }) {
            let event = AuditEvent::new(AuditKind::LoginFailed, core.now())
                .user(user.user_id)
                .username(&stored.username)
                .seen_from(client)
                .detail("wrong current password at a password change");
            attempt.failed(event).await?;
            return Err(AuthError::WrongPassword);
        }
        let known_device = attempt.succeeded(&stored.username).await?;
        // Checked once the current password is known to be right: only
        // then may the answer say anything about it.
        if new == old {
            return Err(AuthError::PasswordUnchanged);
        }
        core.policy.check_password_of(
            new,
            &[
                ("username", &stored.username),
                ("email address", &stored.email),
            ],
        )?;
        let now = core.now();
        let new_hash = core.hasher.hash(new).await?;
        let notice = notices::password_changed(core, &stored, PasswordEvent::Changed, client, now);
        let swap = PasswordSwap {
            verified_hash: &stored.password_hash,
            new_hash: &new_hash,
            notices: notice.as_slice(),
        };
        let event = AuditEvent::new(AuditKind::PasswordChanged, now)
            .user(user.user_id)
            .username(&stored.username)
            .seen_from(client);
        let event = match user.session_id() {
            Some(session_id) => event.session(session_id),
            None => event,
        };
        // `None`: the password changed between the check and now (another
        // session, the CLI); the old password given is no longer it.
        core.swap_password(user.user_id, swap, event, now)
            .await?
            .ok_or(AuthError::WrongPassword)?;
        // The new session is bound to the key the request proved, as the
        // one it replaces was.
        let key = user
            .claims
            .jkt
            .as_deref()
            .map(crate::dpop::DpopKey::of_bound_token);
        let pair = core
            .start_session(user.user_id, now, None, client.bound_to(key.as_ref()), None)
            .await?;
        Ok(TokenPair {
            known_device: Some(known_device),
            ..pair
        })
    }

    /// Refuses the ended sessions' tokens in this process from now on.
    fn forget(&self, ended: Vec<RevokedSession>, because: RevocationReason) {
        crate::core::metrics::sessions_revoked(because, ended.len());
        self.core().registry.revoke_sessions(ended);
    }
}

/// Who ended a session, in the audit log's words.
fn ended_by(user: &AuthenticatedUser, session_id: &str) -> &'static str {
    if user.session_id() == Some(session_id) {
        "by the owner: this session"
    } else {
        "by the owner, from another session"
    }
}
