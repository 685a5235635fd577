//! What the two capabilities share: the store, the token codec, the password
//! hasher, the in-memory registry, the clock and the policy; and the two
//! acts both of them perform, minting a token pair and starting a session.
//!
//! [`Tessera`] is the whole core as the adapters receive it: a
//! [`Sessions`] side (the token lifecycle) and an [`Accounts`] side (user
//! administration), each a handle on the same shared state.

use std::sync::Arc;

use crate::accounts::Accounts;
use crate::clock::{Clock, SystemClock};
use crate::error::{AuthError, StartError};
use crate::password::PasswordHasher;
use crate::registry::Registry;
use crate::rotation_queue::RotationQueue;
use crate::secret::KeySource;
use crate::sessions::Sessions;
use crate::settings::{Policy, Settings};
use crate::store::{RevokedSession, Store, StoreError};
use crate::tokens::{TokenCodec, TokenSpec, TokenType};
use crate::verified_cache::VerifiedCache;

/// A fresh access token and, except on a refresh without rotation, a refresh token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenPair {
    pub access: String,
    pub refresh: Option<String>,
}

/// The refresh token to mint beside an access token.
pub(crate) struct RefreshGrant<'a> {
    pub jti: &'a str,
    pub issued_at: i64,
    pub expires_at: i64,
}

pub(crate) struct Core {
    pub store: Store,
    pub codec: TokenCodec,
    pub hasher: PasswordHasher,
    pub registry: Registry,
    pub verified: VerifiedCache,
    pub rotations: RotationQueue,
    pub clock: Arc<dyn Clock>,
    pub policy: Policy,
}

impl Core {
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The one place token pairs are made: an access token of `session_id`
    /// issued at `now`, and the refresh token `refresh` describes, if any.
    pub fn mint_pair(
        &self,
        user_id: i64,
        session_id: &str,
        refresh: Option<RefreshGrant<'_>>,
        now: i64,
    ) -> TokenPair {
        let access = self.codec.mint(&TokenSpec {
            token_type: TokenType::Access,
            user_id,
            session_id,
            iat: now,
            exp: now + self.policy.access_lifetime,
            jti: None,
        });
        let refresh = refresh.map(|grant| {
            self.codec
                .mint(&TokenSpec {
                    token_type: TokenType::Refresh,
                    user_id,
                    session_id,
                    iat: grant.issued_at,
                    exp: grant.expires_at,
                    jti: Some(grant.jti),
                })
                .token
        });
        TokenPair {
            access: access.token,
            refresh,
        }
    }

    /// A new session (refresh-token family) for a user whose identity was
    /// just proven: recorded, then its first pair.
    pub async fn start_session(&self, user_id: i64, now: i64) -> Result<TokenPair, AuthError> {
        let session_id = crate::hex::random_id();
        let first_jti = crate::hex::random_id();
        let session_expires_at = now + self.policy.session_lifetime;
        let refresh_expires_at = (now + self.policy.refresh_lifetime).min(session_expires_at);
        self.store
            .start_session(
                &session_id,
                user_id,
                now,
                session_expires_at,
                &first_jti,
                refresh_expires_at,
            )
            .await?;
        Ok(self.mint_pair(
            user_id,
            &session_id,
            Some(RefreshGrant {
                jti: &first_jti,
                issued_at: now,
                expires_at: refresh_expires_at,
            }),
            now,
        ))
    }

    /// Remembers in memory that a session is over, so its access tokens
    /// are refused from this instant on.
    pub fn note_revoked(&self, session_id: &str, expires_at: i64) {
        self.registry.revoke_sessions([RevokedSession {
            id: session_id.to_owned(),
            expires_at,
        }]);
    }
}

/// The core, as the server and the UI hold it. Cheap to clone.
#[derive(Clone)]
pub struct Tessera {
    pub sessions: Sessions,
    pub accounts: Accounts,
}

impl std::fmt::Debug for Tessera {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tessera")
            .field("policy", &self.core().policy)
            .finish_non_exhaustive()
    }
}

impl Tessera {
    /// Loads (or creates) the key, then the registry from the store; time
    /// comes from the machine's clock.
    pub async fn start(settings: &Settings, store: Store) -> Result<Self, StartError> {
        Self::start_with_clock(settings, store, Arc::new(SystemClock)).await
    }

    /// As [`Tessera::start`], reading time from `clock`.
    pub async fn start_with_clock(
        settings: &Settings,
        store: Store,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StartError> {
        let (key, source) = crate::secret::load_or_generate(
            settings.secret_key.as_deref(),
            &settings.secret_key_file,
        )?;
        if source == KeySource::Generated {
            tracing::warn!(
                file = %settings.secret_key_file.display(),
                "no --secret-key given: generated a random signing key and stored it; \
                 set TESSERA_SECRET_KEY to share one key between several instances"
            );
        }
        let codec = TokenCodec::new(
            &key,
            settings.leeway.as_secs(),
            settings.issuer.clone(),
            settings.audience.clone(),
        )?;
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let hasher = PasswordHasher::owasp(settings.max_concurrent_hashes.unwrap_or(cores));
        Self::from_parts(store, codec, hasher, settings.policy(), clock).await
    }

    pub async fn from_parts(
        store: Store,
        codec: TokenCodec,
        hasher: PasswordHasher,
        policy: Policy,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StartError> {
        let registry = Registry::load(&store, clock.now()).await?;
        let rotations = RotationQueue::start(store.clone(), policy.refresh_lifetime);
        let core = Arc::new(Core {
            store,
            codec,
            hasher,
            registry,
            verified: VerifiedCache::default(),
            rotations,
            clock,
            policy,
        });
        Ok(Self {
            sessions: Sessions::new(Arc::clone(&core)),
            accounts: Accounts::new(core),
        })
    }

    /// The shared core (both sides hold the same one).
    fn core(&self) -> &Core {
        self.sessions.core()
    }

    pub fn store(&self) -> &Store {
        &self.core().store
    }

    pub fn policy(&self) -> Policy {
        self.core().policy
    }

    /// Picks up changes other processes made (CLI, other instances).
    /// Returns how many change-log rows were new.
    pub async fn sync(&self) -> Result<usize, StoreError> {
        let core = self.core();
        core.registry.sync(&core.store, core.now()).await
    }

    /// Deletes expired refresh tokens and sessions.
    pub async fn flush_expired(&self) -> Result<u64, StoreError> {
        let core = self.core();
        core.store.flush_expired(core.now()).await
    }
}
