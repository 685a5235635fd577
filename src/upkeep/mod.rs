//! [`Upkeep`]: what a serving process does in the background, and what it
//! reports about itself. Other processes (instances, the CLI) change the
//! database; this instance picks their changes up from the change log, on
//! PostgreSQL as soon as NOTIFY says it grew, and in any case every
//! `sync_every`. Expired rows are flushed hourly.

mod tasks;

pub use tasks::UpkeepTasks;

pub use crate::password::{HasherStats, CHECKED_FORMATS};

use std::sync::Arc;
use std::time::Duration;

use crate::core::Core;
use crate::store::StoreError;

/// How many hashes of other shapes than today's a census reads: enough
/// to weigh the shapes of a large import to a fraction of a percent.
const CENSUS_SAMPLE: i64 = 100_000;

/// The upkeep side of the core. Cheap to clone.
#[derive(Clone)]
pub struct Upkeep {
    core: Arc<Core>,
}

impl Upkeep {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }

    /// Starts the background tasks on the current tokio runtime; they stop
    /// when the returned handle is dropped.
    pub fn spawn(&self, sync_every: Duration) -> UpkeepTasks {
        tasks::spawn(self.clone(), sync_every)
    }

    /// Picks up changes other processes made (CLI, other instances):
    /// revocations, users, signing keys; rotates the signing key when
    /// automatic rotation is due. Returns how many change-log rows were new.
    pub async fn sync(&self) -> Result<usize, StoreError> {
        let core = &*self.core;
        let began = core.sync.read_begins();
        if let Err(error) = core.keys.sync(&core.store, core.now()).await {
            tracing::warn!(%error, "could not pick up signing keys");
        }
        let fresh = core.registry.sync(&core.store, core.now()).await?;
        core.sync.mark_synced(began);
        Ok(fresh)
    }

    /// How long ago the last successful read of the change log began:
    /// changes made elsewhere since then are not seen yet.
    pub fn sync_lag(&self) -> Duration {
        self.core.sync.lag()
    }

    /// Whether the sync lag is within `--max-sync-lag`, i.e. access tokens
    /// are being checked against an up-to-date view.
    pub fn in_sync(&self) -> bool {
        self.core.sync.check().is_ok()
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.core.store.ping().await
    }

    /// Sessions neither expired nor revoked (a database count).
    pub async fn live_sessions(&self) -> Result<i64, StoreError> {
        let core = &*self.core;
        core.store.count_live_sessions(core.now()).await
    }

    /// Counts the accounts by password-hash shape and weighs unknown names'
    /// decoys by it (see `password::decoys`): run at start and every
    /// [`tasks::CENSUS_EVERY`], so that an import is reflected within
    /// minutes. Scans the users table once (twice while hashes of another
    /// shape remain, reading at most [`CENSUS_SAMPLE`] of them).
    pub async fn weigh_decoys(&self) -> Result<(), StoreError> {
        let core = &*self.core;
        let current = core.hasher.current_shape();
        let census = core
            .store
            .password_census(current.as_str(), CENSUS_SAMPLE)
            .await?;
        core.hasher
            .weigh_decoys(census.current, census.others, census.sample)
            .await;
        Ok(())
    }

    /// Each decoy's share of unknown names, in thousandths, by format.
    pub fn decoy_shares(&self) -> Vec<(&'static str, u64)> {
        self.core
            .hasher
            .decoy_shares()
            .into_iter()
            .map(|(shape, share)| (shape.format(), share))
            .collect()
    }

    /// What the password hasher has done (computed, abandoned, refused).
    pub fn hasher_stats(&self) -> HasherStats {
        self.core.hasher.stats()
    }

    /// Deletes expired refresh tokens and sessions, login-throttle
    /// counters that can no longer throttle anyone, passkey ceremonies
    /// nobody finished, DPoP proofs past their window, and audit events past their retention. Returns how many tokens went.
    pub async fn flush_expired(&self) -> Result<u64, StoreError> {
        let core = &*self.core;
        let now = core.now();
        core.store
            .flush_login_throttle(now - core.throttle.horizon())
            .await?;
        core.store
            .purge_audit(now.saturating_sub(core.audit_retention))
            .await?;
        core.store.purge_ceremonies(now).await?;
        crate::dpop::check::purge(core, now).await?;
        core.store.flush_expired(now).await
    }
}
