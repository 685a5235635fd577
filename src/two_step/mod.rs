//! Two-step sign-in: after the password, a code from an authenticator app
//! (TOTP) or one of the recovery codes given when it was turned on. Set up
//! in two steps (a secret is staged, and nothing changes until a first code
//! from the app proves it holds the secret); turning it on or off, and
//! signing in with a recovery code, end every other session, as a password
//! change does. The login side is in `sessions` ([`SecondStep`]).

mod qr;
pub(crate) mod recovery;
pub(crate) mod sealer;
pub(crate) mod totp;

use std::sync::Arc;

use crate::audit::{AuditEvent, AuditKind};
use crate::core::password_attempt::PasswordAttempt;
use crate::core::{Client, Core};
use crate::error::AuthError;
use crate::mail::notices::{self, TwoStepEvent};
use crate::sessions::authenticated::AuthenticatedUser;
use crate::sessions::ending::change_ending_sessions;
use crate::store::{CodeProof, EndedWith, RevocationReason, TwoStepChange};
use totp::{OtpCode, TotpSecret};

/// What a person needs to add the account to an authenticator app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TotpSetup {
    /// The secret in base32, for typing in by hand.
    pub secret: String,
    /// The `otpauth://` address the QR code holds.
    pub otpauth_url: String,
    /// The QR code, as inline SVG.
    pub qr_svg: String,
}

/// Whether an account signs in in two steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TwoStepStatus {
    /// A code from an authenticator app is asked after the password.
    pub totp: bool,
    /// Recovery codes not used yet.
    pub recovery_codes_left: i64,
}

/// The two-step side of the core. Cheap to clone.
#[derive(Clone)]
pub struct TwoStep {
    core: Arc<Core>,
}

/// A code as typed: from the app, or a recovery code.
enum TypedCode {
    App(OtpCode),
    Recovery(String),
}

impl TypedCode {
    fn parse(typed: &str) -> Result<Self, AuthError> {
        if let Some(code) = OtpCode::parse(typed) {
            return Ok(Self::App(code));
        }
        recovery::normalise(typed)
            .map(|code| Self::Recovery(recovery::hash(&code)))
            .ok_or(AuthError::OtpMalformed)
    }
}

impl TwoStep {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }

    pub async fn status(&self, user: &AuthenticatedUser) -> Result<TwoStepStatus, AuthError> {
        let store = &self.core.store;
        let totp = store
            .totp_of(user.user_id)
            .await?
            .is_some_and(|row| row.confirmed_at.is_some());
        let recovery_codes_left = if totp {
            store.recovery_codes_left(user.user_id).await?
        } else {
            0
        };
        Ok(TwoStepStatus {
            totp,
            recovery_codes_left,
        })
    }

    /// A new secret for the authenticator app, waiting for its first code
    /// ([`TwoStep::turn_on`]); asking again replaces it. Refused while
    /// two-step sign-in is on (turn it off first).
    pub async fn begin(&self, user: &AuthenticatedUser) -> Result<TotpSetup, AuthError> {
        let core = &*self.core;
        let account = core
            .store
            .password_account(user.user_id)
            .await?
            .ok_or(AuthError::UserNotFound)?;
        let secret = TotpSecret::generate();
        let sealed = core.totp_sealer.seal(user.user_id, &secret);
        if !core
            .store
            .stage_totp(user.user_id, &sealed, core.now())
            .await?
        {
            return Err(AuthError::TwoStepAlreadyOn);
        }
        let otpauth_url = totp::otpauth_url(&secret, core.public_url.host(), &account.username);
        Ok(TotpSetup {
            secret: secret.base32(),
            qr_svg: qr::svg(&otpauth_url),
            otpauth_url,
        })
    }

    /// Turns two-step sign-in on with a first code from the app; returns
    /// the recovery codes, shown this once. Every other session ends.
    pub async fn turn_on(
        &self,
        user: &AuthenticatedUser,
        code: &str,
        client: Client<'_>,
    ) -> Result<Vec<String>, AuthError> {
        let core = &*self.core;
        let code = OtpCode::parse(code).ok_or(AuthError::OtpMalformed)?;
        let row = match core.store.totp_of(user.user_id).await? {
            Some(row) if row.confirmed_at.is_some() => return Err(AuthError::TwoStepAlreadyOn),
            Some(row) => row,
            None => return Err(AuthError::TwoStepNotSetUp),
        };
        let secret = core
            .totp_sealer
            .open(user.user_id, &row.sealed_secret)
            .ok_or(AuthError::TwoStepNotSetUp)?;
        let now = core.now();
        let step = secret
            .matching_step(code, now)
            .ok_or(AuthError::OtpInvalid)?;
        let codes = recovery::generate();
        let hashes: Vec<String> = codes
            .iter()
            .filter_map(|code| recovery::normalise(code))
            .map(|code| recovery::hash(&code))
            .collect();
        let change = TwoStepChange::TurnOn {
            sealed_secret: &row.sealed_secret,
            step,
            recovery_hashes: &hashes,
        };
        self.end_others_with(user, change, TwoStepEvent::TurnedOn, client, now)
            .await?
            // Set up again, or turned on, meanwhile: this code was for
            // a secret that is no longer the one waiting.
            .ok_or(AuthError::OtpInvalid)?;
        Ok(codes)
    }

    /// Turns two-step sign-in off with a code from the app or a recovery
    /// code. Every other session ends.
    pub async fn turn_off(
        &self,
        user: &AuthenticatedUser,
        code: &str,
        client: Client<'_>,
    ) -> Result<(), AuthError> {
        let core = &*self.core;
        let typed = TypedCode::parse(code)?;
        let secret = self.confirmed_secret(user.user_id).await?;
        let account = core
            .store
            .password_account(user.user_id)
            .await?
            .ok_or(AuthError::UserNotFound)?;
        // Throttled like a login: whoever holds a stolen access token must
        // not be able to guess codes until one turns the second step off.
        let (slot, attempt) = PasswordAttempt::begin(&self.core, &account.username, client).await?;
        drop(slot);
        let now = core.now();
        let proof = match &typed {
            TypedCode::App(code) => secret.matching_step(*code, now).map(CodeProof::Step),
            TypedCode::Recovery(hash) => Some(CodeProof::RecoveryCode(hash)),
        };
        let turned_off = match proof {
            Some(proof) => {
                let change = TwoStepChange::TurnOff(Some(proof));
                self.end_others_with(user, change, TwoStepEvent::TurnedOff, client, now)
                    .await?
                    .is_some()
            }
            None => false,
        };
        if !turned_off {
            let event = AuditEvent::new(AuditKind::LoginFailed, now)
                .user(user.user_id)
                .username(&account.username)
                .seen_from(client)
                .detail("wrong code to turn two-step sign-in off");
            attempt.failed(event).await?;
            return Err(AuthError::OtpInvalid);
        }
        attempt.succeeded(&account.username).await?;
        Ok(())
    }

    /// `tessera user mfa reset NAME`: turns two-step sign-in off for a
    /// person who lost both the app and the recovery codes, and ends every
    /// session of the account.
    pub async fn reset(&self, username: &str) -> Result<(), AuthError> {
        let core = &*self.core;
        let user = core
            .store
            .find_user_by_name(username)
            .await?
            .ok_or(AuthError::NoSuchUser)?;
        let now = core.now();
        let event = AuditEvent::new(AuditKind::TwoStepDisabled, now)
            .user(user.id)
            .username(&user.username);
        let notice = notices::two_step_changed(
            core,
            notices::Recipient::of(&user),
            TwoStepEvent::Reset,
            Client::default(),
            now,
        );
        let change = TwoStepChange::TurnOff(None);
        if !end_sessions_with(core, user.id, None, change, notice, &event, now).await? {
            return Err(AuthError::TwoStepNotOn);
        }
        Ok(())
    }

    async fn confirmed_secret(&self, user_id: i64) -> Result<TotpSecret, AuthError> {
        let row = self
            .core
            .store
            .totp_of(user_id)
            .await?
            .filter(|row| row.confirmed_at.is_some())
            .ok_or(AuthError::TwoStepNotOn)?;
        self.core
            .totp_sealer
            .open(user_id, &row.sealed_secret)
            .ok_or(AuthError::TwoStepUnreadable)
    }

    /// Makes `change` and ends the user's other sessions in one
    /// transaction, with its audit event and notice; `None` when its proof
    /// no longer holds (a code used meanwhile).
    async fn end_others_with(
        &self,
        user: &AuthenticatedUser,
        change: TwoStepChange<'_>,
        what: TwoStepEvent,
        client: Client<'_>,
        now: i64,
    ) -> Result<Option<()>, AuthError> {
        let core = &*self.core;
        let account = core
            .store
            .password_account(user.user_id)
            .await?
            .ok_or(AuthError::UserNotFound)?;
        let kind = match what {
            TwoStepEvent::TurnedOn => AuditKind::TwoStepEnabled,
            TwoStepEvent::TurnedOff | TwoStepEvent::Reset => AuditKind::TwoStepDisabled,
            TwoStepEvent::RecoveryCodeUsed => AuditKind::RecoveryCodeUsed,
        };
        let mut event = AuditEvent::new(kind, now)
            .user(user.user_id)
            .username(&account.username)
            .seen_from(client);
        if let Some(session_id) = user.session_id() {
            event = event.session(session_id);
        }
        let notice = notices::two_step_changed(
            core,
            notices::Recipient {
                username: &account.username,
                email: &account.email,
                verified: account.email_verified,
            },
            what,
            client,
            now,
        );
        let keep = user.session_id();
        let changed =
            end_sessions_with(core, user.user_id, keep, change, notice, &event, now).await?;
        Ok(changed.then_some(()))
    }
}

/// What the login asks of a user whose password was right.
pub(crate) enum SecondStep {
    /// Two-step sign-in is off: the password is enough.
    NotNeeded,
    /// It is on and no code came with the password.
    CodeMissing,
    /// A code from the app, accepted (its step used up).
    Passed,
    /// A recovery code, to be used up with the session's start.
    RecoveryCode(String),
    /// A wrong code, or one already used.
    Failed,
}

/// Judges the code given with a right password, using up an app code's
/// step. A recovery code is only recognised here: using it up ends the
/// other sessions, which the login does in its own order.
pub(crate) async fn second_step(
    core: &Core,
    user_id: i64,
    typed: Option<&str>,
) -> Result<SecondStep, AuthError> {
    let Some(row) = core.store.totp_of(user_id).await? else {
        return Ok(SecondStep::NotNeeded);
    };
    if row.confirmed_at.is_none() {
        return Ok(SecondStep::NotNeeded);
    }
    let Some(typed) = typed.filter(|typed| !typed.trim().is_empty()) else {
        return Ok(SecondStep::CodeMissing);
    };
    match TypedCode::parse(typed)? {
        TypedCode::Recovery(hash) => Ok(SecondStep::RecoveryCode(hash)),
        TypedCode::App(code) => {
            let secret = core
                .totp_sealer
                .open(user_id, &row.sealed_secret)
                .ok_or(AuthError::TwoStepUnreadable)?;
            let Some(step) = secret.matching_step(code, core.now()) else {
                return Ok(SecondStep::Failed);
            };
            Ok(if core.store.accept_totp_step(user_id, step).await? {
                SecondStep::Passed
            } else {
                SecondStep::Failed
            })
        }
    }
}

/// Uses up a recovery code given at a sign-in, ending every session of the
/// account (the one it starts comes after); returns the instant the user
/// row was stamped with, or `None` if the code is not one of the account's
/// unused codes.
pub(crate) async fn use_recovery_code(
    core: &Core,
    user: &crate::store::User,
    hash: &str,
    client: Client<'_>,
) -> Result<Option<i64>, AuthError> {
    let now = core.now();
    let event = AuditEvent::new(AuditKind::RecoveryCodeUsed, now)
        .user(user.id)
        .username(&user.username)
        .seen_from(client);
    let notice = notices::two_step_changed(
        core,
        notices::Recipient::of(user),
        TwoStepEvent::RecoveryCodeUsed,
        client,
        now,
    );
    let change = TwoStepChange::UseRecoveryCode(hash);
    let used = end_sessions_with(core, user.id, None, change, notice, &event, now).await?;
    Ok(used.then_some(now))
}

/// [`change_ending_sessions`] for a two-step change and its notice.
async fn end_sessions_with(
    core: &Core,
    user_id: i64,
    keep: Option<&str>,
    change: TwoStepChange<'_>,
    notice: Option<crate::mail::OutgoingMail>,
    event: &AuditEvent,
    now: i64,
) -> Result<bool, AuthError> {
    let with = EndedWith::TwoStep {
        change,
        notices: notice.as_slice(),
    };
    let because = RevocationReason::TwoStepChanged;
    change_ending_sessions(core, user_id, keep, because, with, event, now).await
}
