//! The rules of authentication, written once: log in, refresh (rotation with
//! reuse detection), verify, log out, authenticate an access token, and
//! manage users. The REST API and the Leptos server functions both call this.

use std::sync::Arc;

use crate::password::{PasswordError, PasswordHasher, Verdict, MAX_PASSWORD_BYTES};
use crate::registry::{Registry, Standing};
use crate::secret::{KeySource, SecretError};
use crate::store::{RotateOutcome, Store, StoreError, UserState, UserSummary};
use crate::tokens::{Claims, TokenCodec, TokenError, TokenSpec, TokenType, UserClaim};
use crate::{now_unix, Config};

/// Why an operation failed. The HTTP layer maps each to a status and body.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("No active account found with the given credentials")]
    BadCredentials,
    #[error("{0}")]
    Token(TokenError),
    #[error("Token contained no recognizable user identification")]
    NoUserInToken,
    #[error("User not found")]
    UserNotFound,
    #[error("User is inactive")]
    UserInactive,
    /// A refresh token whose user can no longer log in.
    #[error("No active account found for the given token.")]
    NoActiveAccountForToken,
    #[error("the password is longer than {MAX_PASSWORD_BYTES} bytes")]
    PasswordTooLong,
    #[error("a user with that username already exists")]
    UsernameTaken,
    #[error("a username has 1 to 150 characters and no control characters")]
    InvalidUsername,
    #[error("no such user")]
    NoSuchUser,
    #[error("sign-up is closed on this server")]
    SignupClosed,
    #[error("the password must have at least {0} characters")]
    PasswordTooShort(usize),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Password(#[from] PasswordError),
}

impl From<TokenError> for AuthError {
    fn from(error: TokenError) -> Self {
        Self::Token(error)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error("invalid signing key: {0}")]
    Key(#[from] jsonwebtoken::errors::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A fresh access token and, except on a refresh without rotation, a refresh token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenPair {
    pub access: String,
    pub refresh: Option<String>,
}

/// The user an access token belongs to, once every check has passed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthenticatedUser {
    pub user_id: i64,
    /// Shared with the verified-token cache: no copy per request.
    pub claims: Arc<Claims>,
}

impl AuthenticatedUser {
    /// The login session the token belongs to; tokens minted before
    /// sessions existed (or by another issuer) have none.
    pub fn session_id(&self) -> Option<&str> {
        self.claims.sid.as_deref()
    }
}

/// Django's rule, minus its character whitelist: 1 to 150 characters, no
/// control characters, no surrounding whitespace.
pub fn is_valid_username(username: &str) -> bool {
    let length = username.chars().count();
    (1..=150).contains(&length)
        && username.trim() == username
        && !username.chars().any(char::is_control)
}

/// Token lifetimes and rotation policy, in seconds.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    pub access_lifetime: i64,
    pub refresh_lifetime: i64,
    pub session_lifetime: i64,
    pub rotate_refresh_tokens: bool,
    pub rotation_overlap: i64,
    pub allow_signup: bool,
    pub min_password_length: usize,
}

impl Policy {
    pub fn from_config(config: &Config) -> Self {
        Self {
            access_lifetime: config.access_token_lifetime.as_secs(),
            refresh_lifetime: config.refresh_token_lifetime.as_secs(),
            session_lifetime: config.session_lifetime.as_secs(),
            rotate_refresh_tokens: config.rotate_refresh_tokens,
            rotation_overlap: config.rotation_overlap.as_secs(),
            allow_signup: config.allow_signup,
            min_password_length: config.min_password_length,
        }
    }
}

/// Cheap to clone: everything is shared.
#[derive(Clone)]
pub struct TokenService {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    codec: TokenCodec,
    hasher: PasswordHasher,
    registry: Registry,
    verified: crate::verified_cache::VerifiedCache,
    rotations: crate::rotation_queue::RotationQueue,
    leeway: i64,
    policy: Policy,
}

impl std::fmt::Debug for TokenService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenService")
            .field("policy", &self.inner.policy)
            .finish_non_exhaustive()
    }
}

impl TokenService {
    /// Loads (or creates) the key, then the registry from the store.
    pub async fn start(config: &Config, store: Store) -> Result<Self, StartError> {
        let (key, source) =
            crate::secret::load_or_generate(config.secret_key.as_deref(), &config.secret_key_file)?;
        if source == KeySource::Generated {
            tracing::warn!(
                file = %config.secret_key_file.display(),
                "no --secret-key given: generated a random signing key and stored it; \
                 set TESSERA_SECRET_KEY to share one key between several instances"
            );
        }
        let codec = TokenCodec::new(
            &key,
            config.leeway.0.as_secs(),
            config.issuer.clone(),
            config.audience.clone(),
        )?;
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let hasher = PasswordHasher::owasp(config.max_concurrent_hashes.unwrap_or(cores));
        let leeway = config.leeway.as_secs();
        Self::from_parts(store, codec, hasher, Policy::from_config(config), leeway).await
    }

    pub async fn from_parts(
        store: Store,
        codec: TokenCodec,
        hasher: PasswordHasher,
        policy: Policy,
        leeway: i64,
    ) -> Result<Self, StartError> {
        let registry = Registry::load(&store, now_unix()).await?;
        let rotations =
            crate::rotation_queue::RotationQueue::start(store.clone(), policy.refresh_lifetime);
        Ok(Self {
            inner: Arc::new(Inner {
                rotations,
                store,
                codec,
                hasher,
                registry,
                verified: Default::default(),
                leeway,
                policy,
            }),
        })
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn policy(&self) -> Policy {
        self.inner.policy
    }

    /// `POST /api/token/`: checks the password and starts a session.
    pub async fn login(&self, username: &str, password: &str) -> Result<TokenPair, AuthError> {
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(AuthError::PasswordTooLong);
        }
        let inner = &*self.inner;
        // A NUL can't be in any stored name (and PostgreSQL refuses it in
        // text): such a name is simply unknown, and costs a hash all the same.
        let user = if username.contains('\0') {
            None
        } else {
            inner.store.find_user_by_name(username).await?
        };
        // Always hash, even for an unknown user, so timing reveals nothing.
        let verdict = inner
            .hasher
            .verify(
                password,
                user.as_ref().map(|user| user.password_hash.as_str()),
            )
            .await?;
        let (user, rehash) = match (user, verdict) {
            (Some(user), Verdict::Valid { rehash }) if user.is_active => (user, rehash),
            _ => return Err(AuthError::BadCredentials),
        };
        let now = now_unix();
        inner
            .store
            .record_login(user.id, now, rehash.as_deref())
            .await?;
        // The user may have been created by another process a moment ago.
        inner.registry.put_user(UserState {
            id: user.id,
            is_active: user.is_active,
            tokens_revoked_at: user.tokens_revoked_at,
        });

        self.issue_session(user.id, now).await
    }

    /// A new session (refresh family) for a user whose identity was just proven.
    async fn issue_session(&self, user_id: i64, now: i64) -> Result<TokenPair, AuthError> {
        let inner = &*self.inner;
        let policy = inner.policy;
        let session_id = crate::hex::random_id();
        let session_expires_at = now + policy.session_lifetime;
        let refresh = inner.codec.mint(&TokenSpec {
            token_type: TokenType::Refresh,
            user_id,
            session_id: &session_id,
            iat: now,
            exp: (now + policy.refresh_lifetime).min(session_expires_at),
            jti: None,
        });
        inner
            .store
            .start_session(
                &session_id,
                user_id,
                now,
                session_expires_at,
                &refresh.jti,
                refresh.exp,
            )
            .await?;
        let access = self.mint_access(user_id, &session_id, now);
        Ok(TokenPair {
            access,
            refresh: Some(refresh.token),
        })
    }

    fn mint_access(&self, user_id: i64, session_id: &str, now: i64) -> String {
        self.inner
            .codec
            .mint(&TokenSpec {
                token_type: TokenType::Access,
                user_id,
                session_id,
                iat: now,
                exp: now + self.inner.policy.access_lifetime,
                jti: None,
            })
            .token
    }

    /// `POST /api/token/refresh/`: a new access token and, with rotation, the
    /// refresh token that replaces the one presented.
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenPair, AuthError> {
        let inner = &*self.inner;
        let claims = inner
            .codec
            .verify(refresh_token, Some(TokenType::Refresh))?;
        let now = now_unix();
        // simplejwt checks the user before anything else about the session.
        if let UserClaim::Id(user_id) = claims.user {
            match inner.registry.user(user_id) {
                Some(UserState {
                    is_active: true, ..
                }) => {}
                _ => return Err(AuthError::NoActiveAccountForToken),
            }
        }
        if let Some(session_id) = &claims.sid {
            if inner.registry.is_session_revoked(session_id) {
                return Err(TokenError::Blacklisted.into());
            }
        }

        if !inner.policy.rotate_refresh_tokens {
            let record = self.current_record(&claims.jti).await?;
            let access = self.mint_access(record.user_id, &record.session_id, now);
            return Ok(TokenPair {
                access,
                refresh: None,
            });
        }

        let successor_jti = crate::hex::random_id();
        let outcome = inner.rotations.rotate(&claims.jti, &successor_jti).await?;
        match outcome {
            RotateOutcome::Rotated(rotated) => {
                let refresh = inner.codec.mint(&TokenSpec {
                    token_type: TokenType::Refresh,
                    user_id: rotated.user_id,
                    session_id: &rotated.session_id,
                    iat: rotated.issued_at,
                    exp: rotated.expires_at,
                    jti: Some(&successor_jti),
                });
                let access = self.mint_access(rotated.user_id, &rotated.session_id, now);
                Ok(TokenPair {
                    access,
                    refresh: Some(refresh.token),
                })
            }
            RotateOutcome::NotCurrent => self.replayed(&claims.jti, now).await,
        }
    }

    /// A refresh token that could not be rotated: unknown, expired record,
    /// revoked session, or already rotated. The last is either a retry
    /// within the overlap window (answered with the same successor) or a
    /// reuse, which revokes the whole family.
    async fn replayed(&self, jti: &str, now: i64) -> Result<TokenPair, AuthError> {
        let inner = &*self.inner;
        let Some(record) = inner.store.find_refresh_token(jti).await? else {
            return Err(TokenError::Invalid.into());
        };
        if record.session_revoked_at.is_some() {
            self.note_revoked(&record.session_id, record.session_expires_at);
            return Err(TokenError::Blacklisted.into());
        }
        if record.session_expires_at <= now || record.expires_at <= now {
            return Err(TokenError::Expired.into());
        }
        let (Some(rotated_at), Some(successor_jti)) =
            (record.rotated_at, record.successor.as_deref())
        else {
            // Not rotated, session live: the rotation lost a race with a
            // revocation; report what the caller would see next time.
            return Err(TokenError::Blacklisted.into());
        };
        let overlap = inner.policy.rotation_overlap;
        if overlap > 0 && now - rotated_at <= overlap {
            if let Some(successor) = inner.store.find_refresh_token(successor_jti).await? {
                // Only the immediate predecessor of the current token may be
                // replayed: a successor already rotated in turn means a fork.
                if successor.rotated_at.is_none() {
                    let refresh = inner.codec.mint(&TokenSpec {
                        token_type: TokenType::Refresh,
                        user_id: successor.user_id,
                        session_id: &successor.session_id,
                        iat: successor.issued_at,
                        exp: successor.expires_at,
                        jti: Some(&successor.jti),
                    });
                    let access = self.mint_access(successor.user_id, &successor.session_id, now);
                    return Ok(TokenPair {
                        access,
                        refresh: Some(refresh.token),
                    });
                }
            }
        }
        tracing::warn!(
            session = %record.session_id,
            user_id = record.user_id,
            "refresh token reused after rotation: revoking its whole family"
        );
        self.revoke_session(&record.session_id, record.session_expires_at, now, "reuse")
            .await?;
        Err(TokenError::Blacklisted.into())
    }

    /// The record of a refresh token that may still be used as is.
    async fn current_record(&self, jti: &str) -> Result<crate::store::RefreshRecord, AuthError> {
        let now = now_unix();
        let record = self
            .inner
            .store
            .find_refresh_token(jti)
            .await?
            .ok_or(TokenError::Invalid)?;
        if record.session_revoked_at.is_some() || record.rotated_at.is_some() {
            return Err(TokenError::Blacklisted.into());
        }
        if record.expires_at <= now || record.session_expires_at <= now {
            return Err(TokenError::Expired.into());
        }
        Ok(record)
    }

    async fn revoke_session(
        &self,
        session_id: &str,
        expires_at: i64,
        now: i64,
        because: &str,
    ) -> Result<(), AuthError> {
        self.inner
            .store
            .revoke_session(session_id, now, because)
            .await?;
        self.note_revoked(session_id, expires_at);
        Ok(())
    }

    fn note_revoked(&self, session_id: &str, expires_at: i64) {
        self.inner
            .registry
            .revoke_sessions([crate::store::RevokedSession {
                id: session_id.to_owned(),
                expires_at,
            }]);
    }

    /// `POST /api/token/blacklist/`: logs the session out. Its refresh
    /// tokens and every access token minted from it stop working at once.
    pub async fn logout(&self, refresh_token: &str) -> Result<(), AuthError> {
        let claims = self
            .inner
            .codec
            .verify(refresh_token, Some(TokenType::Refresh))?;
        let now = now_unix();
        let record = self
            .inner
            .store
            .find_refresh_token(&claims.jti)
            .await?
            .ok_or(TokenError::Invalid)?;
        if record.session_revoked_at.is_some() {
            self.note_revoked(&record.session_id, record.session_expires_at);
            return Err(TokenError::Blacklisted.into());
        }
        let reused = record.rotated_at.is_some();
        let because = if reused { "reuse" } else { "logout" };
        self.revoke_session(&record.session_id, record.session_expires_at, now, because)
            .await?;
        if reused {
            // simplejwt answers a rotated (blacklisted) token this way too;
            // the session is revoked all the same.
            return Err(TokenError::Blacklisted.into());
        }
        Ok(())
    }

    /// `POST /api/token/verify/`: any token type. A refresh token that was
    /// rotated or revoked, or an access token of a revoked session, is
    /// `Blacklisted`.
    pub async fn verify(&self, token: &str) -> Result<(), AuthError> {
        let claims = self.inner.codec.verify(token, None)?;
        if let Some(session_id) = &claims.sid {
            if self.inner.registry.is_session_revoked(session_id) {
                return Err(TokenError::Blacklisted.into());
            }
        }
        if claims.token_type.as_deref() == Some(TokenType::Refresh.as_str()) {
            if let Some(record) = self.inner.store.find_refresh_token(&claims.jti).await? {
                if record.session_revoked_at.is_some() || record.rotated_at.is_some() {
                    return Err(TokenError::Blacklisted.into());
                }
            }
        } else if let UserClaim::Id(user_id) = claims.user {
            if self
                .inner
                .registry
                .standing(user_id, claims.sid.as_deref(), claims.iat)
                == Standing::TokenRevoked
            {
                return Err(TokenError::Blacklisted.into());
            }
        }
        Ok(())
    }

    /// Checks an access token for a protected route: signature, lifetime,
    /// type, revocation, and that its user exists and is active. Memory only.
    /// Takes the header's bytes as they came: a token that is not UTF-8 is
    /// invalid, and one seen before skips that check too (270 instructions
    /// of a request's 20 000, callgrind, issue 5).
    pub fn authenticate(
        &self,
        access_token: impl AsRef<[u8]>,
    ) -> Result<AuthenticatedUser, AuthError> {
        let inner = &*self.inner;
        let access_token = access_token.as_ref();
        let claims = match inner.verified.get(access_token, now_unix(), inner.leeway) {
            Some(claims) => claims,
            None => {
                let text = std::str::from_utf8(access_token).map_err(|_| TokenError::Invalid)?;
                let claims = Arc::new(inner.codec.verify(text, Some(TokenType::Access))?);
                inner.verified.insert(access_token, Arc::clone(&claims));
                claims
            }
        };
        let user_id = match claims.user {
            UserClaim::Missing => return Err(AuthError::NoUserInToken),
            UserClaim::Unrecognized => return Err(AuthError::UserNotFound),
            UserClaim::Id(id) => id,
        };
        match self
            .inner
            .registry
            .standing(user_id, claims.sid.as_deref(), claims.iat)
        {
            Standing::Active => Ok(AuthenticatedUser { user_id, claims }),
            Standing::SessionRevoked | Standing::TokenRevoked => {
                Err(TokenError::Blacklisted.into())
            }
            Standing::UserInactive => Err(AuthError::UserInactive),
            Standing::UserNotFound => Err(AuthError::UserNotFound),
        }
    }

    /// Picks up changes other processes made (CLI, other instances).
    pub async fn sync(&self) -> Result<usize, StoreError> {
        self.inner
            .registry
            .sync(&self.inner.store, now_unix())
            .await
    }

    /// Deletes expired refresh tokens and sessions.
    pub async fn flush_expired(&self) -> Result<u64, StoreError> {
        self.inner.store.flush_expired(now_unix()).await
    }

    // ----- user management (CLI and sign-up) -----

    /// Creates an active user. Length rules beyond "not empty, not over
    /// 1024 bytes" belong to the caller (the CLI accepts `123`, sign-up doesn't).
    pub async fn create_user(&self, username: &str, password: &str) -> Result<i64, AuthError> {
        if !is_valid_username(username) {
            return Err(AuthError::InvalidUsername);
        }
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(AuthError::PasswordTooLong);
        }
        let hash = self.inner.hasher.hash(password).await?;
        let id = self
            .inner
            .store
            .create_user(username, &hash)
            .await
            .map_err(|error| match error {
                StoreError::Conflict => AuthError::UsernameTaken,
                other => AuthError::Store(other),
            })?;
        self.inner.registry.put_user(UserState {
            id,
            is_active: true,
            tokens_revoked_at: None,
        });
        Ok(id)
    }

    /// Self-service sign-up (UI): when the server allows it, creates the user
    /// with a password of at least the configured length and logs them in.
    pub async fn sign_up(&self, username: &str, password: &str) -> Result<TokenPair, AuthError> {
        let policy = self.inner.policy;
        if !policy.allow_signup {
            return Err(AuthError::SignupClosed);
        }
        if password.chars().count() < policy.min_password_length {
            return Err(AuthError::PasswordTooShort(policy.min_password_length));
        }
        let id = self.create_user(username, password).await?;
        let now = now_unix();
        self.inner.store.record_login(id, now, None).await?;
        self.issue_session(id, now).await
    }

    /// When a session ends at the latest, whatever its rotations (the
    /// absolute cap); `None` for an unknown session.
    pub async fn session_expires_at(&self, session_id: &str) -> Result<Option<i64>, AuthError> {
        Ok(self
            .inner
            .store
            .session_state(session_id)
            .await?
            .map(|(_, expires_at)| expires_at))
    }

    /// Sets a new password; every session of the user is logged out.
    pub async fn set_password(&self, username: &str, password: &str) -> Result<(), AuthError> {
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(AuthError::PasswordTooLong);
        }
        let hash = self.inner.hasher.hash(password).await?;
        self.update_credentials(username, Some(&hash), None, "password changed")
            .await
    }

    /// Activates or deactivates; deactivating logs every session out.
    pub async fn set_active(&self, username: &str, active: bool) -> Result<(), AuthError> {
        let because = if active { "activated" } else { "deactivated" };
        self.update_credentials(username, None, Some(active), because)
            .await
    }

    async fn update_credentials(
        &self,
        username: &str,
        hash: Option<&str>,
        active: Option<bool>,
        because: &str,
    ) -> Result<(), AuthError> {
        let now = now_unix();
        let (id, revoked) = self
            .inner
            .store
            .update_credentials(username, hash, active, now, because)
            .await?
            .ok_or(AuthError::NoSuchUser)?;
        self.inner.registry.revoke_sessions(revoked);
        if let Some(state) = self.inner.store.user_state(id).await? {
            self.inner.registry.put_user(state);
        }
        Ok(())
    }

    pub async fn list_users(&self) -> Result<Vec<UserSummary>, AuthError> {
        Ok(self.inner.store.list_users().await?)
    }

    pub async fn user_summary(&self, id: i64) -> Result<Option<UserSummary>, AuthError> {
        Ok(self.inner.store.find_user_summary(id).await?)
    }
}
