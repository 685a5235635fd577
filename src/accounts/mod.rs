//! User administration: create, sign up, set a password, (de)activate, list.
//! The CLI and sign-up call this side; changing what may authenticate as a
//! user ends every session of theirs.

pub(crate) mod email;
pub(crate) mod email_verification;
pub(crate) mod password_reset;
pub(crate) mod reset_token;
pub(crate) mod username;
pub(crate) mod verification_keys;
pub(crate) mod verification_mode;

use std::collections::HashSet;
use std::sync::Arc;

use crate::audit::{AuditEvent, AuditKind};
use crate::core::caller::address_block;
use crate::core::throttle::ThrottleKey;
use crate::core::{Client, Core, TokenPair};
use crate::error::AuthError;
use crate::import::{ImportReport, ImportedUser};
use crate::password::{self, MAX_PASSWORD_BYTES};
use crate::store::{NewUser, RevocationReason, StoreError, UserState, UserSummary};

/// What a sign-up led to.
#[derive(Debug)]
pub enum SignedUp {
    /// The account is made and signed in.
    Session(TokenPair),
    /// The account is made; it signs in once its address is verified
    /// (`--email-verification mandatory`): a link is on its way.
    VerifyEmailFirst,
}

pub use crate::accounts::email::{is_valid_email, MAX_EMAIL_CHARS};
pub use crate::accounts::email_verification::EmailStatus;
pub use crate::accounts::password_reset::NewPassword;
pub use crate::accounts::username::is_valid_username;
pub use crate::accounts::verification_mode::EmailVerification;

/// The accounts side of the core. Cheap to clone.
#[derive(Clone)]
pub struct Accounts {
    core: Arc<Core>,
}

impl Accounts {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }

    /// Creates an active user. Length rules beyond "not empty, not over
    /// 1024 bytes" belong to the caller (the CLI accepts `123`, sign-up doesn't).
    pub async fn create_user(&self, username: &str, password: &str) -> Result<i64, AuthError> {
        self.create_user_with_email(username, password, "").await
    }

    /// [`Accounts::create_user`] with an email address (where password-reset
    /// links go); `""`: none. The operator vouches for it: it is verified.
    pub async fn create_user_with_email(
        &self,
        username: &str,
        password: &str,
        email: &str,
    ) -> Result<i64, AuthError> {
        let event =
            AuditEvent::new(AuditKind::UserCreated, self.core.now()).detail("by an operator");
        self.create(username, password, (email, !email.is_empty()), event)
            .await
    }

    /// Creates an active user with an address and whether it is verified,
    /// recorded as `event` says. An unverified address is sent its link in
    /// the transaction that makes the user.
    async fn create(
        &self,
        username: &str,
        password: &str,
        (email, email_verified): (&str, bool),
        event: AuditEvent,
    ) -> Result<i64, AuthError> {
        if !email.is_empty() && !is_valid_email(email) {
            return Err(AuthError::InvalidEmail);
        }
        // Stored as Django stores it (`normalize_username`): NFKC, so that
        // `ｖｉｔｏｒ` is `vitor`, already taken if `vitor` is.
        let username = &username::normalized(username);
        if !is_valid_username(username) {
            return Err(AuthError::InvalidUsername);
        }
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(AuthError::PasswordTooLong);
        }
        let core = &*self.core;
        let hash = core.hasher.hash(password).await?;
        let now = core.now();
        let event = AuditEvent { at: now, ..event }.username(username);
        let new_user = NewUser {
            username,
            password_hash: &hash,
            email,
            email_verified,
        };
        let verification = |id| {
            (!email_verified)
                .then(|| core.verification_mail(id, username, email, now))
                .flatten()
                .into_iter()
                .collect()
        };
        let id = core
            .store
            .create_user(new_user, now, Some(event.clone()), verification)
            .await
            .map_err(|error| match error {
                StoreError::Conflict => AuthError::UsernameTaken,
                other => AuthError::Store(other),
            })?;
        crate::audit::emitted(&[event.user(id)]);
        core.registry.put_user(UserState {
            id,
            is_active: true,
            tokens_revoked_at: None,
        });
        if !email_verified && !email.is_empty() {
            core.postman.wake();
        }
        Ok(id)
    }

    /// Self-service sign-up (UI): when the server allows it, creates the user
    /// with a password of at least the configured length and logs them in.
    /// `email` (`""`: none, unless verification is mandatory) is where
    /// password-reset links go once verified; a link to verify it is mailed.
    /// With mandatory verification the account signs in after that.
    pub async fn sign_up(
        &self,
        username: &str,
        password: &str,
        email: &str,
        client: Client<'_>,
    ) -> Result<SignedUp, AuthError> {
        let core = &*self.core;
        let policy = core.policy;
        if !policy.allow_signup {
            return Err(AuthError::SignupClosed);
        }
        policy.check_password_of(
            password,
            &[("username", username), ("email address", email)],
        )?;
        let mandatory = core.email_verification == EmailVerification::Mandatory;
        if email.is_empty() && mandatory {
            return Err(AuthError::EmailRequired);
        }
        if !email.is_empty() && !is_valid_email(email) {
            return Err(AuthError::InvalidEmail);
        }
        let now = core.now();
        // Every attempt counts against the address's sign-up budget: each
        // costs a hash, and each tells whether a name is taken.
        if let Some(address) = client.address {
            let key = ThrottleKey::Signup(address_block(address, core.ipv6_prefix));
            if let Err(throttled) = core
                .store
                .count_login_attempt(&[key], &core.throttle, now)
                .await?
            {
                crate::core::password_attempt::record_throttled(core, client, now).await;
                return Err(AuthError::Throttled {
                    retry_after: throttled.retry_after,
                });
            }
        }
        let created = AuditEvent::new(AuditKind::UserCreated, now)
            .seen_from(client)
            .detail("sign-up");
        let id = self
            .create(username, password, (email, false), created)
            .await?;
        if mandatory {
            return Ok(SignedUp::VerifyEmailFirst);
        }
        self.core.store.record_login(id, now, None).await?;
        let login = AuditEvent::new(AuditKind::LoginSucceeded, now)
            .username(username)
            .detail("sign-up");
        let pair = self
            .core
            .start_session(id, now, None, client, Some(login))
            .await?;
        // The new account's first device is a known one.
        let marker = core.known_devices.issue(None, username, now);
        Ok(SignedUp::Session(TokenPair {
            known_device: Some(marker),
            ..pair
        }))
    }

    /// Sets a new password; every session of the user is logged out.
    pub async fn set_password(&self, username: &str, password: &str) -> Result<(), AuthError> {
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(AuthError::PasswordTooLong);
        }
        let hash = self.core.hasher.hash(password).await?;
        let event =
            AuditEvent::new(AuditKind::PasswordSet, self.core.now()).detail("by an operator");
        self.update_credentials(
            username,
            Some(&hash),
            None,
            RevocationReason::PasswordChanged,
            event,
        )
        .await
    }

    /// Activates or deactivates; deactivating logs every session out.
    pub async fn set_active(&self, username: &str, active: bool) -> Result<(), AuthError> {
        let kind = if active {
            AuditKind::UserActivated
        } else {
            AuditKind::UserDeactivated
        };
        let event = AuditEvent::new(kind, self.core.now()).detail("by an operator");
        self.apply_active(username, active, event).await
    }

    /// (De)activates, recorded as `event` says (an operator, a staff member).
    pub(crate) async fn apply_active(
        &self,
        username: &str,
        active: bool,
        event: AuditEvent,
    ) -> Result<(), AuthError> {
        let because = if active {
            RevocationReason::Activated
        } else {
            RevocationReason::Deactivated
        };
        self.update_credentials(username, None, Some(active), because, event)
            .await
    }

    /// Makes `username` staff, or no longer, and superuser (the command
    /// line; over the API only a superuser does this).
    pub async fn set_staff(
        &self,
        username: &str,
        is_staff: Option<bool>,
        is_superuser: Option<bool>,
    ) -> Result<(), AuthError> {
        let core = &*self.core;
        let user = core
            .store
            .find_user_by_name(username)
            .await?
            .ok_or(AuthError::NoSuchUser)?;
        let detail = match (is_staff, is_superuser) {
            (_, Some(true)) => "made superuser by an operator",
            (_, Some(false)) => "no longer superuser, by an operator",
            (Some(true), None) => "made staff by an operator",
            (Some(false), None) => "no longer staff, by an operator",
            (None, None) => return Ok(()),
        };
        let event = AuditEvent::new(AuditKind::StaffChanged, core.now())
            .user(user.id)
            .username(username)
            .detail(detail);
        core.store
            .set_staff_flags(
                user.id,
                is_staff,
                is_superuser,
                event.at,
                std::slice::from_ref(&event),
            )
            .await?;
        crate::audit::emitted(&[event]);
        Ok(())
    }

    async fn update_credentials(
        &self,
        username: &str,
        hash: Option<&str>,
        active: Option<bool>,
        because: RevocationReason,
        event: AuditEvent,
    ) -> Result<(), AuthError> {
        let core = &*self.core;
        let now = core.now();
        let event = AuditEvent { at: now, ..event }.username(username);
        let (id, revoked) = core
            .store
            .update_credentials(
                username,
                hash,
                active,
                now,
                because,
                std::slice::from_ref(&event),
            )
            .await?
            .ok_or(AuthError::NoSuchUser)?;
        crate::audit::emitted(&[event.user(id)]);
        crate::core::metrics::sessions_revoked(because, revoked.len());
        core.registry.revoke_sessions(revoked);
        core.reload_user(id).await?;
        Ok(())
    }

    /// Adds the users of an import file (see [`crate::import`]) in batches:
    /// first those whose id is free here, with that id, then the others with
    /// new ids (so that no new id takes one a later user asked for). Names
    /// already present are left as they are, so a second run of the same
    /// file changes nothing.
    pub async fn import_users(&self, users: &[ImportedUser]) -> Result<ImportReport, AuthError> {
        let mut report = ImportReport::default();
        let all: Vec<&ImportedUser> = users.iter().collect();
        let kept = self.import_pass(&all, true, &mut report).await?;
        report.kept_ids = kept.len();
        let rest: Vec<&ImportedUser> = users
            .iter()
            .enumerate()
            .filter(|(index, _)| !kept.contains(index))
            .map(|(_, user)| user)
            .collect();
        let added = self.import_pass(&rest, false, &mut report).await?;
        report.already_present = rest.len() - added.len();
        Ok(report)
    }

    /// One pass of [`Accounts::import_users`]: the indexes of the users added.
    async fn import_pass(
        &self,
        users: &[&ImportedUser],
        keep_ids: bool,
        report: &mut ImportReport,
    ) -> Result<HashSet<usize>, AuthError> {
        /// Rows per transaction: large enough that commits do not dominate,
        /// small enough that PostgreSQL's lock on `users` is brief.
        const BATCH: usize = 5000;
        let core = &*self.core;
        let mut added = HashSet::new();
        for (number, batch) in users.chunks(BATCH).enumerate() {
            for row in core.store.import_users(batch, keep_ids, core.now()).await? {
                let user = &batch[row.index];
                added.insert(number * BATCH + row.index);
                report.added += 1;
                if let Err(why) = password::usability(&user.password_hash) {
                    report.cannot_log_in.push((user.username.clone(), why));
                }
                core.registry.put_user(UserState {
                    id: row.id,
                    is_active: user.is_active,
                    tokens_revoked_at: None,
                });
                // The id this user had on the old site is someone else's
                // here: that person must not inherit the old site's tokens
                // for it (accepted with `--accept-foreign-tokens`).
                if let Some(taken) = user.id.filter(|&asked| asked != row.id) {
                    let now = core.now();
                    core.store.stamp_tokens_revoked(taken, now).await?;
                    core.reload_user(taken).await?;
                }
            }
        }
        Ok(added)
    }

    pub async fn list_users(&self) -> Result<Vec<UserSummary>, AuthError> {
        Ok(self.core.store.list_users().await?)
    }

    pub async fn user_summary(&self, id: i64) -> Result<Option<UserSummary>, AuthError> {
        Ok(self.core.store.find_user_summary(id).await?)
    }

    pub async fn count_users(&self) -> Result<i64, AuthError> {
        Ok(self.core.store.count_users().await?)
    }
}
