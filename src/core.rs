//! What the two capabilities ([`crate::Sessions`], [`crate::Accounts`])
//! share: the store, the token codec, the password hasher, the in-memory
//! registry, the clock and the policy; and the two acts both of them
//! perform, minting a token pair and starting a session.

use std::net::IpAddr;
use std::sync::Arc;

use crate::clock::Clock;
use crate::error::AuthError;
use crate::keys::Keys;
use crate::password::PasswordHasher;
use crate::registry::Registry;
use crate::rotation_queue::RotationQueue;
use crate::settings::Policy;
use crate::store::{RevokedSession, SessionOrigin, Store, VerifiedLogin};
use crate::throttle::ThrottleRules;
use crate::tokens::{TokenCodec, TokenSpec, TokenType};
use crate::verified_cache::VerifiedCache;

/// Who is asking, as the HTTP layer sees them: the address throttling keys
/// on (see [`crate::Sessions::client_address`]) and the `User-Agent` a new
/// session is labelled from. Both may be unknown (CLI, tests).
#[derive(Clone, Copy, Debug, Default)]
pub struct Client<'a> {
    pub address: Option<IpAddr>,
    pub user_agent: Option<&'a str>,
}

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
    /// `None` when started on a fixed codec (`Tessera::from_parts`).
    pub keys: Option<Keys>,
    pub hasher: PasswordHasher,
    pub registry: Registry,
    pub verified: VerifiedCache,
    pub rotations: RotationQueue,
    pub clock: Arc<dyn Clock>,
    pub policy: Policy,
    pub throttle: ThrottleRules,
    pub trusted_proxies: Vec<IpAddr>,
    pub sync: SyncState,
}

/// How fresh the registry is: when it last caught up with the change log
/// (or loaded), and how stale it may get before access tokens are refused.
/// Read on every authenticated request: one atomic load and a clock read.
pub(crate) struct SyncState {
    epoch: std::time::Instant,
    /// Milliseconds from `epoch` to the last successful sync.
    last_ms: std::sync::atomic::AtomicU64,
    max_lag: std::time::Duration,
}

impl SyncState {
    pub fn new(max_lag: std::time::Duration) -> Self {
        Self {
            epoch: std::time::Instant::now(),
            last_ms: std::sync::atomic::AtomicU64::new(0),
            max_lag,
        }
    }

    pub fn mark_synced(&self) {
        let now = self.epoch.elapsed().as_millis() as u64;
        self.last_ms
            .fetch_max(now, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn lag(&self) -> std::time::Duration {
        let last = self.last_ms.load(std::sync::atomic::Ordering::Relaxed);
        self.epoch
            .elapsed()
            .saturating_sub(std::time::Duration::from_millis(last))
    }

    /// `OutOfSync` once the registry may miss revocations made elsewhere:
    /// refusing is the only answer that never accepts a revoked token.
    pub fn check(&self) -> Result<(), crate::error::AuthError> {
        if self.lag() > self.max_lag {
            return Err(crate::error::AuthError::OutOfSync);
        }
        Ok(())
    }
}

impl Core {
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The one place token pairs are made: an access token of `session_id`
    /// issued at `now`, and the refresh token `refresh` describes, if any.
    /// No token outlives its session: the access token's `exp` is capped at
    /// `session_expires_at` too.
    pub fn mint_pair(
        &self,
        user_id: i64,
        session_id: &str,
        session_expires_at: i64,
        refresh: Option<RefreshGrant<'_>>,
        now: i64,
    ) -> TokenPair {
        let access = self.codec.mint(&TokenSpec {
            token_type: TokenType::Access,
            user_id,
            session_id,
            iat: now,
            exp: (now + self.policy.access_lifetime).min(session_expires_at),
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
    /// `verified`: the user row as the password check saw it; if it
    /// changed since, the login fails with `BadCredentials`.
    pub async fn start_session(
        &self,
        user_id: i64,
        now: i64,
        verified: Option<VerifiedLogin<'_>>,
        client: Client<'_>,
    ) -> Result<TokenPair, AuthError> {
        let device = crate::device::label(client.user_agent);
        let address = client.address.map(|address| address.to_string());
        let origin = SessionOrigin {
            device: Some(&device),
            client_address: address.as_deref(),
        };
        let session_id = crate::hex::random_id();
        let first_jti = crate::hex::random_id();
        let session_expires_at = now + self.policy.session_lifetime;
        let refresh_expires_at = (now + self.policy.refresh_lifetime).min(session_expires_at);
        let recorded = self
            .store
            .start_session(
                &session_id,
                user_id,
                now,
                session_expires_at,
                &first_jti,
                refresh_expires_at,
                verified,
                origin,
            )
            .await?;
        if !recorded {
            return Err(AuthError::BadCredentials);
        }
        Ok(self.mint_pair(
            user_id,
            &session_id,
            session_expires_at,
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
