//! [`Tessera`]: the whole core as the adapters receive it, the capabilities
//! over one shared state, and how it starts.

use std::sync::Arc;

use crate::accounts::Accounts;
use crate::admin::Admin;
use crate::audit::Audit;
use crate::core::caller::ForwardingRules;
use crate::core::clock::{Clock, SystemClock};
use crate::core::registry::Registry;
use crate::core::secret::KeySource;
use crate::core::sync_state::SyncState;
use crate::core::Core;
use crate::error::StartError;
use crate::keys::{Keys, SigningKeys};
use crate::mail::{Mail, Postman};
use crate::passkeys::Passkeys;
use crate::password::PasswordHasher;
use crate::sessions::rotation_queue::RotationQueue;
use crate::sessions::Sessions;
use crate::settings::{Policy, Settings};
use crate::store::Store;
use crate::tokens::verified_cache::VerifiedCache;
use crate::tokens::TokenCodec;
use crate::two_step::TwoStep;
use crate::upkeep::Upkeep;

/// HKDF purpose of the key that picks an unknown name's decoy hash.
const DECOY_INFO: &[u8] = b"tessera password decoy choice v1";

/// The core, as the server and the UI hold it. Cheap to clone: each field
/// is a handle on the same shared state.
#[derive(Clone)]
pub struct Tessera {
    /// The token lifecycle and a user's own sessions.
    pub sessions: Sessions,
    /// User administration.
    pub accounts: Accounts,
    /// The JWK set and signing-key rotation.
    pub keys: SigningKeys,
    /// Background work and health.
    pub upkeep: Upkeep,
    /// The security events recorded (the audit log).
    pub audit: Audit,
    /// What staff do to other people's accounts.
    pub admin: Admin,
    /// The mail outbox and its sender.
    pub mail: Mail,
    /// Two-step sign-in: an authenticator app and recovery codes.
    pub two_step: TwoStep,
    /// Passkeys: adding, listing, removing, and signing in with one.
    pub passkeys: Passkeys,
}

impl std::fmt::Debug for Tessera {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tessera")
            .field("policy", &self.policy())
            .finish_non_exhaustive()
    }
}

impl Tessera {
    /// Loads (or creates) the keys, then the registry from the store; time
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
        let (key, source) = crate::core::secret::load_or_generate(
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
        let previous = settings
            .previous_secret_keys
            .iter()
            .map(|secret| crate::core::secret::configured_key(secret))
            .collect::<Result<Vec<_>, _>>()?;
        let known_devices =
            crate::core::known_device::KnownDevices::new(&key, previous.iter().map(Vec::as_slice));
        let reset_tokens = crate::accounts::reset_token::ResetTokens::new(
            &key,
            previous.iter().map(Vec::as_slice),
        );
        let verification_keys = crate::accounts::verification_keys::VerificationKeys::new(
            &key,
            previous.iter().map(Vec::as_slice),
        );
        let dpop = crate::dpop::DpopGuard::new(settings.dpop.clone(), &key, &store);
        // One key on every instance: a name's decoy is the same on all.
        let decoy_key = crate::core::secret::derived_keys(DECOY_INFO, &key, [])[0];
        let totp_sealer =
            crate::two_step::sealer::TotpSealer::new(&key, previous.iter().map(Vec::as_slice));
        let postman = Postman::new(&settings.mail).map_err(StartError::Mail)?;
        let webauthn = crate::passkeys::relying_party(
            &settings.public_url,
            settings.webauthn_rp_id.as_deref(),
        )?;
        let keys = Keys::start(settings.key_policy(), key, previous, &store, clock.now()).await?;
        let codec = TokenCodec::with_keys(
            keys.ring(),
            settings.leeway.as_secs(),
            settings.issuer.clone(),
            settings.audience.clone(),
        );
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let hasher = PasswordHasher::bounded(
            argon2::Params::default(),
            settings.max_concurrent_hashes.unwrap_or(cores),
            settings.max_queued_hashes,
        )
        .with_decoy_key(decoy_key);
        let policy = settings.policy();
        let registry = Registry::load(&store, clock.now(), settings.cached_users).await?;
        let rotations = RotationQueue::start(
            store.clone(),
            policy.refresh_lifetime,
            settings.postgres_rotation_writers,
        );
        let sync = SyncState::new(Arc::clone(&clock), settings.max_sync_lag);
        let core = Arc::new(Core {
            store,
            codec,
            keys,
            hasher,
            registry,
            verified: VerifiedCache::default(),
            rotations,
            clock,
            policy,
            throttle: settings.throttle,
            forwarding: ForwardingRules {
                trusted_proxies: settings.trusted_proxies.clone(),
                header: settings.forwarded_header,
            },
            ipv6_prefix: settings.ipv6_prefix,
            accept_foreign_tokens: settings.accept_foreign_tokens,
            sync,
            known_devices,
            reset_tokens,
            reset_timeout: i64::try_from(settings.password_reset_timeout.as_secs())
                .unwrap_or(i64::MAX),
            public_url: settings.public_url.clone(),
            postman,
            security_notices: settings.security_notices,
            email_verification: settings.email_verification,
            verification_keys,
            verification_timeout: i64::try_from(settings.email_verification_timeout.as_secs())
                .unwrap_or(i64::MAX),
            totp_sealer,
            webauthn,
            dpop,
            attempts_settled: tokio::sync::Notify::new(),
            audit_retention: i64::try_from(settings.audit_retention.as_secs()).unwrap_or(i64::MAX),
        });
        Ok(Self {
            sessions: Sessions::new(Arc::clone(&core)),
            accounts: Accounts::new(Arc::clone(&core)),
            keys: SigningKeys::new(Arc::clone(&core)),
            upkeep: Upkeep::new(Arc::clone(&core)),
            audit: Audit::new(Arc::clone(&core)),
            mail: Mail::new(Arc::clone(&core)),
            two_step: TwoStep::new(Arc::clone(&core)),
            passkeys: Passkeys::new(Arc::clone(&core)),
            admin: Admin::new(core),
        })
    }

    /// Token lifetimes and account rules in force.
    pub fn policy(&self) -> Policy {
        self.sessions.core().policy
    }

    /// Whether addresses are verified, and whether sign-in waits for it.
    pub fn email_verification(&self) -> crate::EmailVerification {
        self.sessions.core().email_verification
    }

    /// The database itself, for tests and tools that arrange rows the API
    /// cannot (an outdated hash, a stale row). Not for request handling.
    #[doc(hidden)]
    pub fn store(&self) -> &Store {
        &self.sessions.core().store
    }
}
