//! What the two capabilities ([`crate::Sessions`], [`crate::Accounts`])
//! share: the store, the token codec, the password hasher, the in-memory
//! registry, the clock and the policy; and the two acts both of them
//! perform, minting a token pair and starting a session.

pub(crate) mod caller;
pub mod clock;
pub(crate) mod hex;
pub(crate) mod iso8601;
pub(crate) mod known_device;
pub(crate) mod metrics;
pub(crate) mod password_attempt;
pub mod public_url;
pub(crate) mod registry;
pub(crate) mod secret;
pub(crate) mod sync_state;
pub(crate) mod throttle;

pub use caller::Client;

use std::sync::Arc;

use crate::audit::AuditEvent;
use crate::core::clock::Clock;
use crate::core::registry::Registry;
use crate::core::throttle::ThrottleRules;
use crate::error::AuthError;
use crate::keys::Keys;
use crate::password::PasswordHasher;
use crate::sessions::rotation_queue::RotationQueue;
use crate::settings::Policy;
use crate::store::{
    EndedWith, PasswordSwap, RevocationReason, RevokedSession, SessionOrigin, Store, VerifiedLogin,
};
use crate::tokens::verified_cache::VerifiedCache;
use crate::tokens::{TokenCodec, TokenSpec, TokenType};

/// A fresh access token and, except on a refresh without rotation, a refresh token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenPair {
    pub access: String,
    pub refresh: Option<String>,
    /// After a login: the marker that makes this client a known device of
    /// the account, to show at its next login (`Client::known_device`), so
    /// that failures of others, by name or by address, never lock it out.
    pub known_device: Option<String>,
    /// Both tokens are bound to the client's DPoP key (`cnf.jkt`).
    pub dpop_bound: bool,
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
    pub keys: Keys,
    pub hasher: PasswordHasher,
    pub registry: Registry,
    pub verified: VerifiedCache,
    pub rotations: RotationQueue,
    pub clock: Arc<dyn Clock>,
    pub policy: Policy,
    pub throttle: ThrottleRules,
    pub forwarding: caller::ForwardingRules,
    /// The prefix an IPv6 client's per-address budgets are kept for.
    pub ipv6_prefix: u8,
    /// See `Settings::accept_foreign_tokens`.
    pub accept_foreign_tokens: bool,
    pub sync: sync_state::SyncState,
    pub known_devices: known_device::KnownDevices,
    /// Password-reset links: made and checked here, stored nowhere.
    pub reset_tokens: crate::accounts::reset_token::ResetTokens,
    /// Seconds a reset link works.
    pub reset_timeout: i64,
    /// Where links in mails point.
    pub public_url: public_url::PublicUrl,
    /// The mail transport, and the bell that wakes the sender.
    pub postman: crate::mail::transport::Postman,
    /// Mail an account's address when its password changes.
    pub security_notices: bool,
    /// Whether addresses are verified, and whether sign-in waits for it.
    pub email_verification: crate::accounts::verification_mode::EmailVerification,
    /// Verification links: made and checked here, stored nowhere.
    pub verification_keys: crate::accounts::verification_keys::VerificationKeys,
    /// Seconds a verification link works.
    pub verification_timeout: i64,
    /// The passkeys' relying party; `None`: passkeys are off.
    pub webauthn: Option<webauthn_rs::Webauthn>,
    /// DPoP: settings, nonces, the proofs seen recently.
    pub dpop: crate::dpop::DpopGuard,
    /// Seals authenticator-app secrets in the database.
    pub totp_sealer: crate::two_step::sealer::TotpSealer,
    /// Seconds audit events are kept.
    pub audit_retention: i64,
    /// Woken whenever a password attempt resolves: attempts waiting for
    /// those in flight (see `password_attempt`) look again.
    pub attempts_settled: tokio::sync::Notify,
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
        bound_to: Option<&str>,
        now: i64,
    ) -> TokenPair {
        let access = self.codec.mint(&TokenSpec {
            token_type: TokenType::Access,
            user_id,
            session_id,
            iat: now,
            exp: (now + self.policy.access_lifetime).min(session_expires_at),
            jti: None,
            bound_to,
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
                    bound_to,
                })
                .token
        });
        TokenPair {
            access: access.token,
            refresh,
            known_device: None,
            dpop_bound: bound_to.is_some(),
        }
    }

    /// A new session (refresh-token family) for a user whose identity was
    /// just proven: recorded, then its first pair.
    /// `verified`: the user row as the password check saw it; if it
    /// changed since, the login fails with `BadCredentials`. `audit`: the
    /// event to record with it (its session, address and device are filled
    /// in here).
    pub async fn start_session(
        &self,
        user_id: i64,
        now: i64,
        verified: Option<VerifiedLogin<'_>>,
        client: Client<'_>,
        audit: Option<AuditEvent>,
    ) -> Result<TokenPair, AuthError> {
        let device = crate::sessions::device::label(client.user_agent);
        let address = client.address.map(|address| address.to_string());
        let origin = SessionOrigin {
            device: Some(&device),
            client_address: address.as_deref(),
        };
        let session_id = crate::core::hex::random_id();
        let first_jti = crate::core::hex::random_id();
        let session_expires_at = now + self.policy.session_lifetime;
        let refresh_expires_at = (now + self.policy.refresh_lifetime).min(session_expires_at);
        let audit: Vec<AuditEvent> = audit
            .into_iter()
            .map(|event| event.user(user_id).session(&session_id).seen_from(client))
            .collect();
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
                &audit,
            )
            .await?;
        if !recorded {
            return Err(AuthError::BadCredentials);
        }
        crate::audit::emitted(&audit);
        Ok(self.mint_pair(
            user_id,
            &session_id,
            session_expires_at,
            Some(RefreshGrant {
                jti: &first_jti,
                issued_at: now,
                expires_at: refresh_expires_at,
            }),
            client.dpop_key.map(crate::dpop::DpopKey::thumbprint),
            now,
        ))
    }

    /// Stores the new password over the hash that was verified and ends
    /// every session of `user_id`, with `event` and the swap's notices in
    /// the same transaction; then this process refuses the ended sessions'
    /// tokens and re-reads the user. `None`: the hash changed meanwhile,
    /// and nothing was done. Returns how many sessions ended.
    pub async fn swap_password(
        &self,
        user_id: i64,
        swap: PasswordSwap<'_>,
        event: AuditEvent,
        now: i64,
    ) -> Result<Option<usize>, AuthError> {
        let because = RevocationReason::PasswordChanged;
        let Some(ended) = self
            .store
            .end_other_sessions(
                user_id,
                None,
                now,
                because,
                Some(EndedWith::Password(swap)),
                Some(event.clone()),
            )
            .await?
        else {
            return Ok(None);
        };
        if !swap.notices.is_empty() {
            self.postman.wake();
        }
        let count = ended.len();
        crate::audit::emitted(&[event.detail(crate::audit::sessions_ended(count))]);
        crate::core::metrics::sessions_revoked(because, count);
        self.registry.revoke_sessions(ended);
        self.reload_user(user_id).await?;
        Ok(Some(count))
    }

    /// Puts the user's state as stored now (a new stamp, activation) in
    /// this process's registry at once; other instances read it from the
    /// change log.
    pub async fn reload_user(&self, user_id: i64) -> Result<(), AuthError> {
        if let Some(state) = self.store.user_state(user_id).await? {
            self.registry.put_user(state);
        }
        Ok(())
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
