//! [`Tessera`]: the whole core as the adapters receive it, a [`Sessions`]
//! side (the token lifecycle) and an [`Accounts`] side (user
//! administration), each a handle on the same shared state; and how it
//! starts.

use std::sync::Arc;

use crate::accounts::Accounts;
use crate::clock::{Clock, SystemClock};
use crate::core::Core;
use crate::error::StartError;
use crate::keys::{KeyError, KeyListing, Keys, SigningAlgorithm};
use crate::password::PasswordHasher;
use crate::registry::Registry;
use crate::rotation_queue::RotationQueue;
use crate::secret::KeySource;
use crate::sessions::Sessions;
use crate::settings::{Policy, Settings};
use crate::store::{Store, StoreError};
use crate::tokens::TokenCodec;
use crate::verified_cache::VerifiedCache;

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
        let previous = settings
            .previous_secret_keys
            .iter()
            .map(|secret| crate::secret::configured_key(secret))
            .collect::<Result<Vec<_>, _>>()?;
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
        );
        Self::assemble(store, codec, Some(keys), hasher, settings, clock).await
    }

    /// Starts on a codec and hasher made by the caller (benchmarks, tests).
    pub async fn from_parts(
        store: Store,
        codec: TokenCodec,
        hasher: PasswordHasher,
        settings: &Settings,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StartError> {
        Self::assemble(store, codec, None, hasher, settings, clock).await
    }

    async fn assemble(
        store: Store,
        codec: TokenCodec,
        keys: Option<Keys>,
        hasher: PasswordHasher,
        settings: &Settings,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StartError> {
        let policy = settings.policy();
        let registry = Registry::load(&store, clock.now(), settings.cached_users).await?;
        let rotations = RotationQueue::start(store.clone(), policy.refresh_lifetime);
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
            trusted_proxies: settings.trusted_proxies.clone(),
            sync: crate::core::SyncState::new(settings.max_sync_lag),
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

    /// What the password hasher has done (computed, abandoned, refused).
    pub fn hasher_stats(&self) -> crate::password::HasherStats {
        self.core().hasher.stats()
    }

    /// Picks up changes other processes made (CLI, other instances):
    /// revocations, users, signing keys; rotates the signing key when
    /// automatic rotation is due. Returns how many change-log rows were new.
    pub async fn sync(&self) -> Result<usize, StoreError> {
        let core = self.core();
        if let Some(keys) = &core.keys {
            if let Err(error) = keys.sync(&core.store, core.now()).await {
                tracing::warn!(%error, "could not pick up signing keys");
            }
        }
        let fresh = core.registry.sync(&core.store, core.now()).await?;
        core.sync.mark_synced();
        Ok(fresh)
    }

    /// On PostgreSQL, a connection told when the change log grows (see
    /// `store::EventListener`): a server syncs on each wake-up instead of
    /// waiting for its next poll. `None` on SQLite.
    pub async fn listen_for_changes(
        &self,
    ) -> Result<Option<crate::store::EventListener>, StoreError> {
        self.core().store.listen_for_events().await
    }

    /// How long ago this process last read the change log successfully:
    /// changes made elsewhere since then are not seen yet.
    pub fn sync_lag(&self) -> std::time::Duration {
        self.core().sync.lag()
    }

    /// Whether the sync lag is within `--max-sync-lag`, i.e. access tokens
    /// are being checked against an up-to-date view.
    pub fn in_sync(&self) -> bool {
        self.core().sync.check().is_ok()
    }

    /// Sessions neither expired nor revoked (a database count).
    pub async fn live_sessions(&self) -> Result<i64, StoreError> {
        let core = self.core();
        core.store.count_live_sessions(core.now()).await
    }

    /// The public keys verifiers fetch (`/.well-known/jwks.json`): empty for
    /// HMAC, whose secret is never published.
    pub fn jwks(&self) -> serde_json::Value {
        let core = self.core();
        core.keys.as_ref().map_or_else(
            || serde_json::json!({ "keys": [] }),
            |keys| keys.jwks(core.now()),
        )
    }

    /// How long a new key is published before it signs, in seconds.
    pub fn key_publication_delay(&self) -> i64 {
        let core = self.core();
        core.keys
            .as_ref()
            .map_or(0, |keys| keys.policy().publication_delay)
    }

    /// `tessera keys list`: every stored signing key and its state.
    pub async fn signing_keys(&self) -> Result<Vec<KeyListing>, KeyError> {
        let core = self.core();
        match &core.keys {
            Some(keys) => keys.list(&core.store, core.now()).await,
            None => Ok(Vec::new()),
        }
    }

    /// `tessera keys rotate`: a new key of `algorithm` (that of the newest
    /// stored key if `None`), published now, signing after the publication delay.
    pub async fn rotate_signing_key(
        &self,
        algorithm: Option<SigningAlgorithm>,
    ) -> Result<Option<crate::store::KeyRow>, KeyError> {
        let core = self.core();
        let Some(keys) = &core.keys else {
            return Ok(None);
        };
        let newest = core.store.signing_keys().await?.pop();
        let algorithm = match algorithm {
            Some(algorithm) => algorithm,
            None => newest
                .and_then(|row| row.algorithm.parse().ok())
                .unwrap_or(keys.policy().algorithm),
        };
        keys.rotate(
            &core.store,
            algorithm,
            core.now(),
            keys.policy().publication_delay,
        )
        .await
    }

    /// Deletes expired refresh tokens and sessions, and login-throttle
    /// counters that can no longer throttle anyone. Returns how many tokens went.
    pub async fn flush_expired(&self) -> Result<u64, StoreError> {
        let core = self.core();
        let now = core.now();
        core.store
            .flush_login_throttle(now - core.throttle.horizon())
            .await?;
        core.store.flush_expired(now).await
    }
}
