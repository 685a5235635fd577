//! Time as an input. The core never reads the wall clock itself: every
//! operation asks its [`Clock`] once and hands that instant to every check
//! it makes, as simplejwt's `tokens.py` takes `current_time` once per token.
//! Production runs on [`SystemClock`]; tests move a [`ManualClock`] instead of
//! sleeping until a token expires.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, the unit of every timestamp Tessera stores.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> i64;

    /// Milliseconds since the Unix epoch, for what is judged finer than a
    /// second (how stale this instance's view of revocations is).
    fn now_millis(&self) -> i64 {
        self.now().saturating_mul(1000)
    }
}

/// The machine's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        since_epoch().as_secs() as i64
    }

    fn now_millis(&self) -> i64 {
        since_epoch().as_millis() as i64
    }
}

fn since_epoch() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// A clock that moves only when told to (tests, simulations). It keeps
/// milliseconds, so it can be moved by less than a second.
#[derive(Debug)]
pub struct ManualClock {
    millis: AtomicI64,
}

impl ManualClock {
    /// Starts at `now` (seconds).
    pub fn at(now: i64) -> Self {
        Self {
            millis: AtomicI64::new(now.saturating_mul(1000)),
        }
    }

    /// Starts at the machine's current time, so tokens look realistic.
    pub fn starting_now() -> Self {
        Self::at(SystemClock.now())
    }

    pub fn advance(&self, by: Duration) {
        let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.millis.fetch_add(by, Ordering::SeqCst);
    }

    /// Sets the time to `now` seconds.
    pub fn set(&self, now: i64) {
        self.millis
            .store(now.saturating_mul(1000), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.now_millis().div_euclid(1000)
    }

    fn now_millis(&self) -> i64 {
        self.millis.load(Ordering::SeqCst)
    }
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> i64 {
        (**self).now()
    }

    fn now_millis(&self) -> i64 {
        (**self).now_millis()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let clock = ManualClock::at(1_000);
        assert_eq!(clock.now(), 1_000);
        clock.advance(Duration::from_secs(61));
        assert_eq!(clock.now(), 1_061);
        clock.set(5);
        assert_eq!(clock.now(), 5);
    }

    #[test]
    fn a_manual_clock_counts_milliseconds_too() {
        let clock = ManualClock::at(10);
        clock.advance(Duration::from_millis(1_500));
        assert_eq!((clock.now(), clock.now_millis()), (11, 11_500));
        clock.advance(Duration::from_millis(499));
        assert_eq!(clock.now(), 11);
        clock.advance(Duration::from_millis(1));
        assert_eq!(clock.now(), 12);
    }

    #[test]
    fn the_system_clock_is_past_2020() {
        assert!(SystemClock.now() > 1_577_836_800);
    }
}
