//! The token lifecycle: log in, refresh (rotation with reuse detection),
//! verify, log out, and authenticate a protected request. Every operation
//! reads the clock once and judges everything at that instant.

pub(crate) mod authenticated;
mod bearer;
pub(crate) mod device;
pub(crate) mod ending;
mod own;
mod refresh_state;
pub(crate) mod rotation_queue;

pub use authenticated::AuthenticatedUser;
pub use own::OwnSession;

use std::net::IpAddr;
use std::sync::Arc;

use self::refresh_state::RefreshStanding;
use crate::audit::{AuditEvent, AuditKind};
use crate::core::caller::Caller;
use crate::core::password_attempt::PasswordAttempt;
use crate::core::registry::Standing;
use crate::core::{Client, Core, RefreshGrant, TokenPair};
use crate::dpop::{DpopError, DpopKey, DpopMode, ProofRequest};
use crate::error::AuthError;
use crate::password::{Verdict, MAX_PASSWORD_BYTES};
use crate::sessions::bearer::{parse_authorization, Credentials};
use crate::store::{RefreshRecord, RevocationReason, RotateOutcome, UserState, VerifiedLogin};
use crate::tokens::{Claims, TokenError, TokenType, UserClaim};
use crate::two_step::SecondStep;

/// What a login's fields may hold, checked before anything reaches the
/// throttle or the database, as DRF's CharFields check them: no NUL (no
/// stored name has one, and PostgreSQL refuses it in text), a username no
/// longer than Django's 150 characters (so nobody can fill the throttle
/// table with megabyte keys), a password within the hasher's cap.
fn check_login_input(username: &str, password: &str) -> Result<(), AuthError> {
    if username.contains('\0') {
        return Err(AuthError::NullCharacters { field: "username" });
    }
    if username.chars().count() > crate::accounts::username::MAX_USERNAME_CHARS {
        return Err(AuthError::FieldTooLong {
            field: "username",
            max: crate::accounts::username::MAX_USERNAME_CHARS,
        });
    }
    if password.contains('\0') {
        return Err(AuthError::NullCharacters { field: "password" });
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AuthError::PasswordTooLong);
    }
    Ok(())
}

/// The sessions side of the core. Cheap to clone.
#[derive(Clone)]
pub struct Sessions {
    core: Arc<Core>,
}

impl Sessions {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }

    pub(crate) fn core(&self) -> &Core {
        &self.core
    }

    /// `POST /api/token/`: checks the password and starts a session.
    /// `client`: its address is throttled alongside the username (without
    /// one, the name only); its user agent labels the session.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        client: Client<'_>,
    ) -> Result<TokenPair, AuthError> {
        self.login_with_code(username, password, None, client).await
    }

    /// [`Sessions::login`] with the second step's code (`otp`: from the
    /// authenticator app, or a recovery code), for accounts that have
    /// two-step sign-in on; ignored for the others.
    pub async fn login_with_code(
        &self,
        username: &str,
        password: &str,
        otp: Option<&str>,
        client: Client<'_>,
    ) -> Result<TokenPair, AuthError> {
        let outcome = self.check_login(username, password, otp, client).await;
        crate::core::metrics::login(match &outcome {
            Ok(_) => "succeeded",
            Err(
                AuthError::BadCredentials
                | AuthError::EmailNotVerified
                | AuthError::OtpInvalid
                | AuthError::OtpMalformed,
            ) => "failed",
            Err(AuthError::OtpRequired) => "second step",
            Err(AuthError::Throttled { .. }) => "throttled",
            Err(AuthError::Busy) => "busy",
            Err(_) => "error",
        });
        outcome
    }

    async fn check_login(
        &self,
        username: &str,
        password: &str,
        otp: Option<&str>,
        client: Client<'_>,
    ) -> Result<TokenPair, AuthError> {
        check_login_input(username, password)?;
        let (slot, attempt) = PasswordAttempt::begin(&self.core, username, client).await?;
        let core = &*self.core;
        let user = core.store.find_user_by_name(username).await?;
        // Always hash, even for an unknown user, so timing reveals nothing.
        let verdict = slot
            .verify(
                password,
                user.as_ref().map(|user| user.password_hash.as_str()),
                username,
            )
            .await?;
        let (mut user, rehash) = match (user, verdict) {
            (Some(user), Verdict::Valid { rehash }) if user.is_active => (user, rehash),
            (user, verdict) => {
                let why = match (&user, verdict) {
                    (None, _) => "no such user",
                    (Some(_), Verdict::Invalid) => "wrong password",
                    (Some(_), Verdict::Valid { .. }) => "inactive account",
                };
                let mut event = AuditEvent::new(AuditKind::LoginFailed, core.now())
                    .username(username)
                    .seen_from(client)
                    .detail(why);
                event.user_id = user.map(|user| user.id);
                attempt.failed(event).await?;
                return Err(AuthError::BadCredentials);
            }
        };
        // A right password with a wrong second step: a failed login.
        let wrong_code = |user_id: i64, why: &str| {
            AuditEvent::new(AuditKind::LoginFailed, core.now())
                .user(user_id)
                .username(username)
                .seen_from(client)
                .detail(why)
        };
        let recovery_code = match crate::two_step::second_step(core, user.id, otp).await {
            Ok(SecondStep::NotNeeded | SecondStep::Passed) => None,
            Ok(SecondStep::RecoveryCode(hash)) => Some(hash),
            // Not a failure of the password: counted against the name (as
            // an attempt left unfinished), so that asking again without a
            // code never resets what wrong codes counted.
            Ok(SecondStep::CodeMissing) => {
                attempt.unfinished().await?;
                return Err(AuthError::OtpRequired);
            }
            Err(AuthError::OtpMalformed) => {
                attempt.unfinished().await?;
                return Err(AuthError::OtpMalformed);
            }
            Ok(SecondStep::Failed) => {
                attempt
                    .failed(wrong_code(user.id, "wrong second-step code"))
                    .await?;
                return Err(AuthError::OtpInvalid);
            }
            Err(other) => return Err(other),
        };
        if let Some(hash) = &recovery_code {
            let used = crate::two_step::use_recovery_code(core, &user, hash, client).await?;
            // Using it stamped the row (every earlier token void): the
            // session below checks the row is as verified, stamp included.
            if let Some(stamp) = used {
                user.tokens_revoked_at = Some(stamp);
            } else {
                attempt
                    .failed(wrong_code(user.id, "wrong recovery code"))
                    .await?;
                return Err(AuthError::OtpInvalid);
            }
        }
        // The marker names the user as typed: the name it will be shown with.
        let known_device = attempt.succeeded(username).await?;
        start_proven(
            core,
            &user,
            username,
            rehash.as_deref(),
            known_device,
            client,
            None,
        )
        .await
    }

    /// `POST /api/token/refresh/`: a new access token and, with rotation, the
    /// refresh token that replaces the one presented.
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenPair, AuthError> {
        self.refresh_proven(refresh_token, None).await
    }

    /// [`Sessions::refresh`] by a client that proved it holds `key` (a DPoP
    /// proof, checked by [`Sessions::prove`]). A bound refresh token needs
    /// its own key: presented without it, it was copied, and its whole
    /// session is revoked. The new pair is bound as the old one was.
    pub async fn refresh_proven(
        &self,
        refresh_token: &str,
        key: Option<&DpopKey>,
    ) -> Result<TokenPair, AuthError> {
        let outcome = self.rotate(refresh_token, key).await;
        if outcome.is_err() {
            crate::core::metrics::refresh("refused");
        }
        outcome
    }

    async fn rotate(
        &self,
        refresh_token: &str,
        key: Option<&DpopKey>,
    ) -> Result<TokenPair, AuthError> {
        let core = &*self.core;
        let now = core.now();
        let claims = core
            .codec
            .verify(refresh_token, Some(TokenType::Refresh), now)?;
        self.check_refresh_binding(&claims, key, now).await?;
        let bound_to = claims.jkt.as_deref();
        // simplejwt checks the user before anything else about the session.
        if let UserClaim::Id(user_id) = claims.user {
            match core.registry.user(&core.store, user_id).await? {
                Some(UserState {
                    is_active: true, ..
                }) => {}
                _ => return Err(AuthError::NoActiveAccountForToken),
            }
        }
        if let Some(session_id) = &claims.sid {
            if core.registry.is_session_revoked(session_id) {
                return Err(TokenError::Blacklisted.into());
            }
        }

        if !core.policy.rotate_refresh_tokens {
            let record = self.current_record(&claims.jti, now).await?;
            crate::core::metrics::refresh("refreshed");
            return Ok(core.mint_pair(
                record.user_id,
                &record.session_id,
                record.session_expires_at,
                None,
                bound_to,
                now,
            ));
        }

        let successor_jti = crate::core::hex::random_id();
        match core
            .rotations
            .rotate(&claims.jti, &successor_jti, now)
            .await?
        {
            RotateOutcome::Rotated(rotated) => {
                crate::core::metrics::refresh("rotated");
                Ok(core.mint_pair(
                    rotated.user_id,
                    &rotated.session_id,
                    rotated.session_expires_at,
                    Some(RefreshGrant {
                        jti: &successor_jti,
                        issued_at: rotated.issued_at,
                        expires_at: rotated.expires_at,
                    }),
                    bound_to,
                    now,
                ))
            }
            RotateOutcome::NotCurrent => self.replayed(&claims.jti, bound_to, now).await,
        }
    }

    /// A refresh token that could not be rotated: unknown, expired record,
    /// revoked session, or already rotated. The last is either a retry
    /// within the overlap window (answered with the same successor) or a
    /// reuse, which revokes the whole family.
    async fn replayed(
        &self,
        jti: &str,
        bound_to: Option<&str>,
        now: i64,
    ) -> Result<TokenPair, AuthError> {
        let core = &*self.core;
        let Some(record) = core.store.find_refresh_token(jti).await? else {
            return Err(TokenError::Invalid.into());
        };
        let (rotated_at, successor_jti) = match record.standing(now) {
            RefreshStanding::Revoked => {
                core.note_revoked(&record.session_id, record.session_expires_at);
                return Err(TokenError::Blacklisted.into());
            }
            RefreshStanding::Expired => return Err(TokenError::Expired.into()),
            // Not rotated, session live: the rotation lost a race with a
            // revocation; report what the caller would see next time.
            RefreshStanding::Current => return Err(TokenError::Blacklisted.into()),
            RefreshStanding::Rotated { at, successor } => (at, successor),
        };
        let overlap = core.policy.rotation_overlap;
        if overlap > 0 && now - rotated_at <= overlap {
            if let Some(successor) = core.store.find_refresh_token(successor_jti).await? {
                // Only the immediate predecessor of the current token may be
                // replayed: a successor already rotated in turn means a fork.
                if successor.standing(now) == RefreshStanding::Current {
                    crate::core::metrics::refresh("overlap_replay");
                    return Ok(core.mint_pair(
                        successor.user_id,
                        &successor.session_id,
                        successor.session_expires_at,
                        Some(RefreshGrant {
                            jti: &successor.jti,
                            issued_at: successor.issued_at,
                            expires_at: successor.expires_at,
                        }),
                        bound_to,
                        now,
                    ));
                }
            }
        }
        tracing::warn!(
            session = %record.session_id,
            user_id = record.user_id,
            "refresh token reused after rotation: revoking its whole family"
        );
        crate::core::metrics::reuse_detected();
        self.revoke_session(&record, now, RevocationReason::Reuse, None)
            .await?;
        Err(TokenError::Blacklisted.into())
    }

    /// A bound refresh token (`cnf.jkt`) is good only with a proof of its
    /// key. Without one, or with another key's, it was copied out of the
    /// client it was issued to: the thief may have refreshed first, so the
    /// whole session goes, as for a reused token. `--dpop required` also
    /// refuses an unbound one.
    async fn check_refresh_binding(
        &self,
        claims: &Claims,
        key: Option<&DpopKey>,
        now: i64,
    ) -> Result<(), AuthError> {
        let core = &*self.core;
        match &claims.jkt {
            Some(jkt) if key.is_some_and(|key| key.thumbprint() == jkt) => Ok(()),
            Some(_) => {
                if let Some(record) = core.store.find_refresh_token(&claims.jti).await? {
                    if record.standing(now) != RefreshStanding::Revoked {
                        tracing::warn!(
                            session = %record.session_id,
                            user_id = record.user_id,
                            "a DPoP-bound refresh token came without its key: \
                             revoking its whole family"
                        );
                        crate::core::metrics::reuse_detected();
                        self.revoke_session(
                            &record,
                            now,
                            RevocationReason::Reuse,
                            Some("used without its DPoP key"),
                        )
                        .await?;
                    }
                }
                Err(DpopError::KeyMismatch.into())
            }
            None if core.dpop.mode() == DpopMode::Required => Err(DpopError::KeyMismatch.into()),
            None => Ok(()),
        }
    }

    /// The record of a refresh token that may still be used as is.
    async fn current_record(&self, jti: &str, now: i64) -> Result<RefreshRecord, AuthError> {
        let record = self
            .core
            .store
            .find_refresh_token(jti)
            .await?
            .ok_or(TokenError::Invalid)?;
        match record.standing(now) {
            RefreshStanding::Current => Ok(record),
            RefreshStanding::Expired => Err(TokenError::Expired.into()),
            RefreshStanding::Revoked | RefreshStanding::Rotated { .. } => {
                Err(TokenError::Blacklisted.into())
            }
        }
    }

    /// `detail`: what the audit event adds (why a reuse was presumed).
    async fn revoke_session(
        &self,
        record: &RefreshRecord,
        now: i64,
        because: RevocationReason,
        detail: Option<&'static str>,
    ) -> Result<(), AuthError> {
        let kind = match because {
            RevocationReason::Reuse => AuditKind::RefreshReuse,
            _ => AuditKind::Logout,
        };
        let event = AuditEvent::new(kind, now)
            .user(record.user_id)
            .session(&record.session_id);
        let events = [match detail {
            Some(detail) => event.detail(detail),
            None => event,
        }];
        let revoked = self
            .core
            .store
            .revoke_session(&record.session_id, now, because, &events)
            .await?;
        if revoked {
            crate::audit::emitted(&events);
        }
        crate::core::metrics::sessions_revoked(because, 1);
        self.core
            .note_revoked(&record.session_id, record.session_expires_at);
        Ok(())
    }

    /// `POST /api/token/blacklist/`: logs the session out. Its refresh
    /// tokens and every access token minted from it stop working at once.
    pub async fn logout(&self, refresh_token: &str) -> Result<(), AuthError> {
        self.logout_proven(refresh_token, None).await
    }

    /// [`Sessions::logout`] by a client that proved it holds `key`: a bound
    /// token without its key ends its session all the same, but as a theft.
    pub async fn logout_proven(
        &self,
        refresh_token: &str,
        key: Option<&DpopKey>,
    ) -> Result<(), AuthError> {
        let core = &*self.core;
        let now = core.now();
        let claims = core
            .codec
            .verify(refresh_token, Some(TokenType::Refresh), now)?;
        self.check_refresh_binding(&claims, key, now).await?;
        let record = core
            .store
            .find_refresh_token(&claims.jti)
            .await?
            .ok_or(TokenError::Invalid)?;
        // A session past its end is logged out all the same: the token
        // itself passed its expiry check above.
        let (reused, because) = match record.standing(now) {
            RefreshStanding::Revoked => {
                core.note_revoked(&record.session_id, record.session_expires_at);
                return Err(TokenError::Blacklisted.into());
            }
            RefreshStanding::Rotated { .. } => (true, RevocationReason::Reuse),
            RefreshStanding::Current | RefreshStanding::Expired => {
                (false, RevocationReason::Logout)
            }
        };
        self.revoke_session(&record, now, because, None).await?;
        if reused {
            // simplejwt answers a rotated (blacklisted) token this way too;
            // the session is revoked all the same.
            return Err(TokenError::Blacklisted.into());
        }
        Ok(())
    }

    /// The algorithm, key id and key state of a token this server can
    /// verify (the token inspector shows them); `None` otherwise.
    pub fn token_key(&self, token: &str) -> Option<crate::tokens::TokenKey> {
        self.core.codec.key_of(token, self.core.now())
    }

    /// `POST /api/token/verify/`: any token type. A refresh token that was
    /// rotated or revoked, or an access token of a revoked session, is
    /// `Blacklisted`.
    pub async fn verify(&self, token: &str) -> Result<(), AuthError> {
        self.verify_proven(token, None).await
    }

    /// [`Sessions::verify`] by a client that proved it holds `key`: a bound
    /// token is valid only with a proof of its key.
    pub async fn verify_proven(&self, token: &str, key: Option<&DpopKey>) -> Result<(), AuthError> {
        let core = &*self.core;
        let now = core.now();
        let claims = core.codec.verify(token, None, now)?;
        check_binding(core, &claims, key)?;
        if claims.sid.is_none() && !core.accept_foreign_tokens {
            return Err(TokenError::Invalid.into());
        }
        core.sync.check()?;
        if let Some(session_id) = &claims.sid {
            if core.registry.is_session_revoked(session_id) {
                return Err(TokenError::Blacklisted.into());
            }
        }
        if claims.token_type.as_deref() == Some(TokenType::Refresh.as_str()) {
            if let Some(record) = core.store.find_refresh_token(&claims.jti).await? {
                if matches!(
                    record.standing(now),
                    RefreshStanding::Revoked | RefreshStanding::Rotated { .. }
                ) {
                    return Err(TokenError::Blacklisted.into());
                }
            }
        } else if let UserClaim::Id(user_id) = claims.user {
            if core
                .registry
                .standing(&core.store, user_id, claims.sid.as_deref(), claims.iat)
                .await?
                == Standing::TokenRevoked
            {
                return Err(TokenError::Blacklisted.into());
            }
        }
        Ok(())
    }

    /// Who a request comes from, given its TCP peer (`None` in-process) and
    /// its headers as raw (name, value) pairs: the address (through trusted
    /// proxies, see `--forwarded-header`) and the user agent. Both adapters
    /// build their caller here and nowhere else.
    pub fn caller<'a>(
        &self,
        peer: Option<IpAddr>,
        headers: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    ) -> Caller {
        self.core.forwarding.caller(peer, headers)
    }

    /// The one road from an `Authorization` header to a user, as simplejwt's
    /// `JWTAuthentication` walks it: no header (or another scheme) is
    /// `CredentialsNotProvided`, a malformed one `MalformedAuthorization`,
    /// and a token is checked by [`Sessions::authenticate`]. Both adapters
    /// (REST extractor, server functions) call this and nothing else.
    /// `Authorization: DPoP <token>` (RFC 9449 §7) takes a proof of the
    /// token's key in `request`, naming the token in `ath`; a bound token
    /// is refused as `Bearer`.
    pub async fn authenticate_header(
        &self,
        header: Option<&[u8]>,
        request: &ProofRequest<'_>,
    ) -> Result<AuthenticatedUser, AuthError> {
        let dpop_on = self.core.dpop.mode() != DpopMode::Off;
        match header.map(parse_authorization) {
            None | Some(Credentials::Absent) => Err(AuthError::CredentialsNotProvided),
            Some(Credentials::Dpop(_)) if !dpop_on => Err(AuthError::CredentialsNotProvided),
            Some(Credentials::Malformed) => Err(AuthError::MalformedAuthorization),
            Some(Credentials::Bearer(token)) => {
                let user = self.authenticate(token).await?;
                check_binding(&self.core, &user.claims, None)?;
                Ok(user)
            }
            Some(Credentials::Dpop(token)) => {
                let user = self.authenticate(token).await?;
                let key = crate::dpop::check::prove(&self.core, request, Some(token))
                    .await?
                    .ok_or(DpopError::InvalidProof("no DPoP proof came with the token"))?;
                check_binding(&self.core, &user.claims, Some(&key))?;
                Ok(user)
            }
        }
    }

    /// Whether `header` presents a token in the `DPoP` scheme (with DPoP
    /// on): a refusal of it is then challenged in that scheme, not as
    /// `Bearer` (RFC 9449 §7.1), so that a DPoP client reads why.
    pub fn presents_dpop(&self, header: Option<&[u8]>) -> bool {
        self.core.dpop.mode() != DpopMode::Off
            && matches!(header.map(parse_authorization), Some(Credentials::Dpop(_)))
    }

    /// Checks the `DPoP` proof a token request (login, refresh, …) carries:
    /// the key it proves, `None` without one (or with DPoP off). Under
    /// `--dpop required` a login without one is refused here.
    pub async fn prove(&self, request: &ProofRequest<'_>) -> Result<Option<DpopKey>, AuthError> {
        let key = crate::dpop::check::prove(&self.core, request, None).await?;
        if key.is_none() && self.core.dpop.mode() == DpopMode::Required {
            return Err(DpopError::InvalidProof("a DPoP proof is required").into());
        }
        Ok(key)
    }

    /// The nonce to send in `DPoP-Nonce` with an answer now; `None` unless
    /// `--dpop-nonce` is on.
    pub fn dpop_nonce(&self) -> Option<String> {
        self.core.dpop.current_nonce(self.core.now())
    }

    /// Whether DPoP proofs are read at all.
    pub fn dpop_mode(&self) -> DpopMode {
        self.core.dpop.mode()
    }

    /// Checks an access token for a protected route: signature, lifetime,
    /// type, revocation, and that its user exists and is active. Memory only
    /// for a user seen recently; one database read for any other (see
    /// `registry`).
    /// Takes the header's bytes as they came: a token that is not UTF-8 is
    /// invalid, and one seen before skips that check too.
    pub async fn authenticate(
        &self,
        access_token: impl AsRef<[u8]>,
    ) -> Result<AuthenticatedUser, AuthError> {
        let core = &*self.core;
        let access_token = access_token.as_ref();
        let now = core.now();
        let claims = match core.verified.get(access_token, now, core.codec.leeway()) {
            Some(claims) => claims,
            None => {
                let text = std::str::from_utf8(access_token).map_err(|_| TokenError::Invalid)?;
                let claims = Arc::new(core.codec.verify(text, Some(TokenType::Access), now)?);
                core.verified.insert(access_token, Arc::clone(&claims));
                claims
            }
        };
        let user_id = match claims.user {
            UserClaim::Missing => return Err(AuthError::NoUserInToken),
            UserClaim::Unrecognized => return Err(AuthError::UserNotFound),
            UserClaim::Id(id) => id,
        };
        // A genuine token, but the registry may be missing a revocation.
        core.sync.check()?;
        match core
            .registry
            .standing(&core.store, user_id, claims.sid.as_deref(), claims.iat)
            .await?
        {
            // A token without a session was minted elsewhere (a simplejwt
            // site with the same secret): only accepted during a migration.
            Standing::Active if claims.sid.is_none() && !core.accept_foreign_tokens => {
                Err(TokenError::Invalid.into())
            }
            Standing::Active => Ok(AuthenticatedUser { user_id, claims }),
            Standing::SessionRevoked | Standing::TokenRevoked => {
                Err(TokenError::Blacklisted.into())
            }
            Standing::UserInactive => Err(AuthError::UserInactive),
            Standing::UserNotFound => Err(AuthError::UserNotFound),
        }
    }

    /// When a session ends at the latest, whatever its rotations (the
    /// absolute cap); `None` for an unknown session.
    pub async fn session_expires_at(&self, session_id: &str) -> Result<Option<i64>, AuthError> {
        Ok(self
            .core
            .store
            .session_state(session_id)
            .await?
            .map(|(_, expires_at)| expires_at))
    }
}

/// Whether a token may be used by a client that proved `key` (or none): a
/// bound token needs its key; `--dpop required` wants every token bound.
fn check_binding(core: &Core, claims: &Claims, key: Option<&DpopKey>) -> Result<(), AuthError> {
    let bound_right = match &claims.jkt {
        Some(jkt) => key.is_some_and(|key| key.thumbprint() == jkt),
        None => core.dpop.mode() != DpopMode::Required,
    };
    if bound_right {
        Ok(())
    } else {
        Err(DpopError::KeyMismatch.into())
    }
}

/// Starts the session of a user whose identity was just proven (a right
/// password and second step, or a passkey), named `as_typed`: unless
/// addresses must be verified first, or the user row changed since it was
/// read (a password change, a deactivation). `how` details the audit event
/// (`passkey`).
pub(crate) async fn start_proven(
    core: &Core,
    user: &crate::store::User,
    as_typed: &str,
    rehash: Option<&str>,
    known_device: String,
    client: Client<'_>,
    how: Option<&'static str>,
) -> Result<TokenPair, AuthError> {
    let username = as_typed;
    // The session starts after the proof: judged at that instant.
    let now = core.now();
    if core.email_verification == crate::EmailVerification::Mandatory && !user.email_verified {
        // Only the right password learns this (dj-rest-auth's order).
        let event = AuditEvent::new(AuditKind::LoginFailed, now)
            .user(user.id)
            .username(username)
            .seen_from(client)
            .detail("address not verified");
        core.store
            .record_audit(std::slice::from_ref(&event))
            .await?;
        crate::audit::emitted(&[event]);
        return Err(AuthError::EmailNotVerified);
    }
    // Recorded only if the user row is still the one just verified: a
    // password change or deactivation that committed meanwhile wins.
    let notice = crate::mail::notices::new_device(core, user, client, now).await?;
    let verified = VerifiedLogin {
        password_hash: &user.password_hash,
        tokens_revoked_at: user.tokens_revoked_at,
        rehash,
        notices: notice.as_slice(),
    };
    let mut event = AuditEvent::new(AuditKind::LoginSucceeded, now).username(username);
    if let Some(how) = how {
        event = event.detail(how);
    }
    let pair = core
        .start_session(user.id, now, Some(verified), client, Some(event))
        .await?;
    if notice.is_some() {
        core.postman.wake();
    }
    let pair = TokenPair {
        known_device: Some(known_device),
        ..pair
    };
    // The session's transaction found the row exactly as read, so it is
    // the user's state as of that commit (not a stale copy from before
    // the hash): tell the registry, which may not know the user yet (made
    // by another process) or hold an older state (reactivated by the CLI).
    core.registry.put_user(UserState {
        id: user.id,
        is_active: user.is_active,
        tokens_revoked_at: user.tokens_revoked_at,
    });
    Ok(pair)
}
