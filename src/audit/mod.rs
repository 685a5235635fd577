//! The audit log: security events, each written in the same transaction as
//! the change it records (a login's event commits with its session, a
//! password change's with the new hash), so the log never says something
//! happened that did not, nor misses something that did. Rows are never
//! changed or deleted except by the retention purge (`--audit-retention`);
//! the database refuses anything else (a trigger on each engine).
//!
//! Each event is also one log line with the target `audit` (one JSON
//! object per line with `--log-format json`, for a SIEM) and a count in
//! `tessera_audit_events_total{type}`. Never a password, token, code or
//! secret: the fields below are all there is.

mod reading;

pub use reading::{Audit, AuditEntry, AuditQuery};

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuditKind {
    /// A password login (or sign-up) started a session.
    LoginSucceeded,
    /// A wrong password, an unknown name or an inactive account.
    LoginFailed,
    /// Attempts refused by the throttle: one row per address and minute,
    /// its `count` the number refused, so a flood cannot multiply writes.
    LoginThrottled,
    /// A session ended by its refresh token (`/api/token/blacklist/`).
    Logout,
    /// A session ended by its owner from another session, or by an admin.
    SessionEnded,
    /// A retired refresh token came back: its whole session was revoked.
    RefreshReuse,
    /// The owner changed their password (every session ended).
    PasswordChanged,
    /// An operator set a password (`tessera user passwd`).
    PasswordSet,
    /// An account was made (`tessera user add`, sign-up).
    UserCreated,
    UserActivated,
    UserDeactivated,
    /// Users came in from a Django site (`tessera user import`).
    UsersImported,
    /// A signing key was added (a rotation, or the first key).
    SigningKeyAdded,
    /// A superuser made someone staff, or no longer.
    StaffChanged,
    /// Staff changed a user's name or email address (the detail names the
    /// fields, never their values).
    ProfileChanged,
    /// Someone asked for a password-reset link: one event per account
    /// mailed, or one without a user when no account uses the address
    /// (which is never recorded).
    PasswordResetRequested,
    /// A password was set through a reset link (every session ended).
    PasswordReset,
    /// A verification link was mailed (sign-up, a new address, "send it
    /// again"), or asked for at an address no account waits for.
    EmailVerificationSent,
    /// An address was verified with its link (the detail says whether it
    /// replaced the account's address).
    EmailVerified,
    /// The owner set a new address: waiting for verification, or in
    /// place at once when verification is off or nothing verified is lost.
    EmailChanged,
    /// Two-step sign-in (an authenticator app) was turned on; every other
    /// session ended.
    TwoStepEnabled,
    /// Two-step sign-in was turned off by the owner (with a code) or by an
    /// operator (`tessera user mfa reset`; the detail says which).
    TwoStepDisabled,
    /// A recovery code stood in for the app's code at a sign-in (every
    /// other session ended).
    RecoveryCodeUsed,
    /// A passkey was added to the account (every other session ended).
    PasskeyAdded,
    /// A passkey was removed from the account (every other session ended).
    PasskeyRemoved,
}

impl AuditKind {
    pub const ALL: [Self; 25] = [
        Self::LoginSucceeded,
        Self::LoginFailed,
        Self::LoginThrottled,
        Self::Logout,
        Self::SessionEnded,
        Self::RefreshReuse,
        Self::PasswordChanged,
        Self::PasswordSet,
        Self::UserCreated,
        Self::UserActivated,
        Self::UserDeactivated,
        Self::UsersImported,
        Self::SigningKeyAdded,
        Self::StaffChanged,
        Self::ProfileChanged,
        Self::PasswordResetRequested,
        Self::PasswordReset,
        Self::EmailVerificationSent,
        Self::EmailVerified,
        Self::EmailChanged,
        Self::TwoStepEnabled,
        Self::TwoStepDisabled,
        Self::RecoveryCodeUsed,
        Self::PasskeyAdded,
        Self::PasskeyRemoved,
    ];

    /// The stored and logged name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LoginSucceeded => "login_succeeded",
            Self::LoginFailed => "login_failed",
            Self::LoginThrottled => "login_throttled",
            Self::Logout => "logout",
            Self::SessionEnded => "session_ended",
            Self::RefreshReuse => "refresh_reuse",
            Self::PasswordChanged => "password_changed",
            Self::PasswordSet => "password_set",
            Self::UserCreated => "user_created",
            Self::UserActivated => "user_activated",
            Self::UserDeactivated => "user_deactivated",
            Self::UsersImported => "users_imported",
            Self::SigningKeyAdded => "signing_key_added",
            Self::StaffChanged => "staff_changed",
            Self::ProfileChanged => "profile_changed",
            Self::PasswordResetRequested => "password_reset_requested",
            Self::PasswordReset => "password_reset",
            Self::EmailVerificationSent => "email_verification_sent",
            Self::EmailVerified => "email_verified",
            Self::EmailChanged => "email_changed",
            Self::TwoStepEnabled => "two_step_enabled",
            Self::TwoStepDisabled => "two_step_disabled",
            Self::RecoveryCodeUsed => "recovery_code_used",
            Self::PasskeyAdded => "passkey_added",
            Self::PasskeyRemoved => "passkey_removed",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

/// One event, as the core hands it to the store with the change it records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    pub kind: AuditKind,
    pub at: i64,
    /// Whose account it concerns.
    pub user_id: Option<i64>,
    /// The name as given (a failed login's may belong to nobody).
    pub username: Option<String>,
    /// Who acted, when not the user themself (an admin; `None`: the user,
    /// the command line or the server itself).
    pub actor_id: Option<i64>,
    pub address: Option<String>,
    /// "Firefox on Linux" (see `sessions::device`).
    pub device: Option<String>,
    pub session_id: Option<String>,
    /// A few plain words: a reason, a key id, a count.
    pub detail: Option<String>,
}

impl AuditEvent {
    pub fn new(kind: AuditKind, at: i64) -> Self {
        Self {
            kind,
            at,
            user_id: None,
            username: None,
            actor_id: None,
            address: None,
            device: None,
            session_id: None,
            detail: None,
        }
    }

    pub fn user(self, user_id: i64) -> Self {
        Self {
            user_id: Some(user_id),
            ..self
        }
    }

    pub fn username(self, username: &str) -> Self {
        Self {
            username: Some(username.to_owned()),
            ..self
        }
    }

    pub fn session(self, session_id: &str) -> Self {
        Self {
            session_id: Some(session_id.to_owned()),
            ..self
        }
    }

    pub fn detail(self, detail: impl Into<String>) -> Self {
        Self {
            detail: Some(detail.into()),
            ..self
        }
    }

    /// The client's address and device label.
    pub fn seen_from(self, client: crate::Client<'_>) -> Self {
        Self {
            address: client.address.map(|address| address.to_string()),
            device: Some(crate::sessions::device::label(client.user_agent)),
            ..self
        }
    }
}

/// The events of a committed change: one log line each (target `audit`)
/// and their counts. Called by the core once the store has committed them.
pub(crate) fn emitted(events: &[AuditEvent]) {
    for event in events {
        ::metrics::counter!(EVENTS, "type" => event.kind.as_str()).increment(1);
        tracing::info!(
            target: "audit",
            r#type = event.kind.as_str(),
            at = event.at,
            user_id = event.user_id,
            username = event.username.as_deref(),
            actor_id = event.actor_id,
            address = event.address.as_deref(),
            device = event.device.as_deref(),
            session_id = event.session_id.as_deref(),
            detail = event.detail.as_deref(),
            "audit event"
        );
    }
}

/// The detail of an event that ended sessions: "1 session ended".
pub(crate) fn sessions_ended(count: usize) -> String {
    match count {
        1 => "1 session ended".to_owned(),
        count => format!("{count} sessions ended"),
    }
}

/// Audit events by type (Prometheus).
pub const EVENTS: &str = "tessera_audit_events_total";

/// How long events are kept, by default: 90 days.
pub const DEFAULT_RETENTION_SECS: i64 = 90 * 24 * 60 * 60;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_name_that_reads_back() {
        let mut names = std::collections::HashSet::new();
        for kind in AuditKind::ALL {
            assert!(names.insert(kind.as_str()));
            assert_eq!(AuditKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(AuditKind::parse("password"), None);
    }
}
