//! How fresh this instance's view of revocations is: when the registry last
//! caught up with the change log (or loaded), and how stale it may get before
//! access tokens are refused. Read on every authenticated request: one atomic
//! load and a clock read. Time comes from the injected [`Clock`], so tests
//! move a `ManualClock` past the bound instead of sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::core::clock::Clock;
use crate::error::AuthError;

pub(crate) struct SyncState {
    clock: Arc<dyn Clock>,
    /// When the last successful read of the change log began (ms since the
    /// epoch): the registry reflects every change committed before then.
    synced_as_of: AtomicI64,
    max_lag: Duration,
}

impl SyncState {
    /// Starts in sync: the registry was just loaded.
    pub fn new(clock: Arc<dyn Clock>, max_lag: Duration) -> Self {
        let now = clock.now_millis();
        Self {
            clock,
            synced_as_of: AtomicI64::new(now),
            max_lag,
        }
    }

    /// When a read of the change log begins; hand it to [`Self::mark_synced`]
    /// once that read has been applied. Taking the start, not the end, means
    /// a read that was slow never makes the view look fresher than it is.
    pub fn read_begins(&self) -> i64 {
        self.clock.now_millis()
    }

    pub fn mark_synced(&self, began: i64) {
        self.synced_as_of.fetch_max(began, Ordering::Relaxed);
    }

    pub fn lag(&self) -> Duration {
        let behind = self.clock.now_millis() - self.synced_as_of.load(Ordering::Relaxed);
        Duration::from_millis(u64::try_from(behind).unwrap_or(0))
    }

    /// `OutOfSync` once the registry may miss revocations made elsewhere:
    /// refusing is the only answer that never accepts a revoked token.
    pub fn check(&self) -> Result<(), AuthError> {
        if self.lag() > self.max_lag {
            return Err(AuthError::OutOfSync);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::clock::ManualClock;

    fn state(max_lag_ms: u64) -> (Arc<ManualClock>, SyncState) {
        let clock = Arc::new(ManualClock::at(1_000));
        let state = SyncState::new(clock.clone(), Duration::from_millis(max_lag_ms));
        (clock, state)
    }

    #[test]
    fn a_fresh_view_is_in_sync_until_the_bound_passes() {
        let (clock, state) = state(800);
        assert!(state.check().is_ok());
        clock.advance(Duration::from_millis(800));
        assert!(
            state.check().is_ok(),
            "exactly at the bound is still in sync"
        );
        clock.advance(Duration::from_millis(1));
        assert!(matches!(state.check(), Err(AuthError::OutOfSync)));
        assert_eq!(state.lag(), Duration::from_millis(801));
    }

    #[test]
    fn a_sync_counts_from_when_its_read_began() {
        let (clock, state) = state(800);
        clock.advance(Duration::from_millis(500));
        let began = state.read_begins();
        // The read takes 700 ms: the view is as old as its start.
        clock.advance(Duration::from_millis(700));
        state.mark_synced(began);
        assert_eq!(state.lag(), Duration::from_millis(700));
        clock.advance(Duration::from_millis(101));
        assert!(state.check().is_err());
    }

    #[test]
    fn an_older_read_finishing_late_never_moves_the_view_back() {
        let (clock, state) = state(800);
        let early = state.read_begins();
        clock.advance(Duration::from_millis(300));
        let late = state.read_begins();
        state.mark_synced(late);
        state.mark_synced(early);
        assert_eq!(state.lag(), Duration::ZERO);
        assert!(clock.now_millis() > early);
    }
}
