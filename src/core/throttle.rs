//! Login throttling: how many password guesses a username and a client
//! address get, as one small state machine with its numbers at the top.
//! The store keeps one [`Counter`] per key and applies these rules inside a
//! transaction that locks the row, so parallel guesses cannot slip past.
//!
//! - **Per username, consecutive failures** (the shape of Kanidm's softlock
//!   and django-axes' cool-off): the first [`FREE_FAILURES`] cost nothing;
//!   from then on every failure locks the name for a wait that doubles, from
//!   one second up to [`MAX_WAIT_SECS`]. A success resets the name. An
//!   attacker on one name gets about 15 guesses in the first quarter hour,
//!   then 4 an hour (NIST SP 800-63B §5.2.2 asks for at most 100 failed
//!   attempts before a lockout; this stays far below that without ever
//!   locking a person out for good).
//! - **Per client address, failures in a window**: at most
//!   [`ADDRESS_FAILURES`] failed logins per [`ADDRESS_WINDOW_SECS`], whatever
//!   the names, so one address cannot spray a common password over many
//!   accounts. Only failures count, once known, so an office behind one NAT
//!   is never throttled by its own people logging in, however many at once;
//!   a burst of parallel guesses can overshoot by at most the hasher's
//!   capacity (threads + queue), since nothing else reaches a hash.
//!
//! - **Per known device**: a browser that has logged in as a name before
//!   shows a signed marker (see `core::known_device`) and is counted under
//!   its own key, with the username's rules, instead of the name's and the
//!   address's: neither guesses on the name from elsewhere nor failures of
//!   other people behind the same address lock it out.
//!
//! A username's attempt is counted as a failure *before* its password is
//! checked (and the name reset on success): counting first is what makes a
//! burst of parallel guesses count in full, exactly. The attempts counted
//! but not yet resolved are `pending`: an attempt that finds the name locked
//! while some are pending is [`Throttled::settling`], and the caller waits
//! for them (a success among them frees the way) instead of answering 429,
//! so twenty right passwords at the same instant all log in, while twenty
//! guesses still get exactly the free ones. A refused attempt costs no hash
//! and changes no counter.

/// Failures of one username before any wait.
pub const FREE_FAILURES: i64 = 5;
/// The first wait, doubled on each further failure.
pub const FIRST_WAIT_SECS: i64 = 1;
/// The longest a username waits between two guesses.
pub const MAX_WAIT_SECS: i64 = 15 * 60;
/// Failed logins one address may make per window.
pub const ADDRESS_FAILURES: i64 = 30;
pub const ADDRESS_WINDOW_SECS: i64 = 5 * 60;
/// Sign-ups (made or refused) one address may attempt per window: each
/// costs a hash and tells whether a name exists, so all of them count.
pub const SIGNUP_ATTEMPTS: i64 = 10;
/// Password-reset requests for one address (email) per window: each may
/// send a mail, so a stranger cannot fill someone's inbox.
pub const RESET_EMAIL_REQUESTS: i64 = 5;
/// Password-reset requests one client address may make per window, for
/// any addresses (email): probing many costs as much as one.
pub const RESET_CLIENT_REQUESTS: i64 = 100;
pub const RESET_WINDOW_SECS: i64 = 60 * 60;
/// How long attempts in flight are trusted to resolve. An attempt resolves
/// within its hash (the hasher's queue is bounded), so a row unchanged for
/// this long has none in flight: its process ended mid-attempt.
pub const PENDING_TRUST_SECS: i64 = 60;

/// The tunable numbers (flags of the server), defaulting to the above.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottleRules {
    pub free_failures: i64,
    pub max_wait: i64,
    pub address_failures: i64,
    pub address_window: i64,
    /// Sign-up attempts per address and window.
    pub signup_attempts: i64,
    /// Password-reset requests per email address and `reset_window`.
    pub reset_email_requests: i64,
    /// Password-reset requests per client address and `reset_window`.
    pub reset_client_requests: i64,
    pub reset_window: i64,
}

impl Default for ThrottleRules {
    fn default() -> Self {
        Self {
            free_failures: FREE_FAILURES,
            max_wait: MAX_WAIT_SECS,
            address_failures: ADDRESS_FAILURES,
            address_window: ADDRESS_WINDOW_SECS,
            signup_attempts: SIGNUP_ATTEMPTS,
            reset_email_requests: RESET_EMAIL_REQUESTS,
            reset_client_requests: RESET_CLIENT_REQUESTS,
            reset_window: RESET_WINDOW_SECS,
        }
    }
}

/// What a key's row holds. `wait`, `locked_until` and `pending` serve
/// usernames and devices, `window_start` addresses; `failures` both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Counter {
    pub failures: i64,
    pub wait: i64,
    pub locked_until: i64,
    pub window_start: i64,
    /// Attempts counted and not yet resolved.
    pub pending: i64,
    /// When the row last changed.
    pub updated_at: i64,
}

impl Counter {
    /// The row as of `now`: attempts that stayed pending past
    /// [`PENDING_TRUST_SECS`] will never resolve (their failure stays counted).
    fn settled_as_of(self, now: i64) -> Self {
        if now.saturating_sub(self.updated_at) >= PENDING_TRUST_SECS {
            Self { pending: 0, ..self }
        } else {
            self
        }
    }
}

/// Whose attempts a counter counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ThrottleKey {
    Username(String),
    /// An address block (see `caller::address_block`): an IPv4 address or
    /// an IPv6 network.
    Address(String),
    /// The same block's sign-up budget, apart from its logins'.
    Signup(String),
    /// A known device (its marker's id), counted like a username.
    Device(String),
    /// Password-reset requests for one email address (a digest of it in
    /// lower case: the table holds no addresses).
    ResetEmail(String),
    /// Password-reset requests from one address block.
    ResetClient(String),
}

impl ThrottleKey {
    /// The row's key: a prefix keeps a username from ever naming an address.
    pub fn storage_key(&self) -> String {
        match self {
            Self::Username(name) => format!("user:{name}"),
            Self::Address(address) => format!("addr:{address}"),
            Self::Signup(address) => format!("signup:{address}"),
            Self::Device(id) => format!("device:{id}"),
            Self::ResetEmail(digest) => format!("reset-email:{digest}"),
            Self::ResetClient(address) => format!("reset-client:{address}"),
        }
    }
}

/// An attempt refused: retry after this many seconds (at least one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Throttled {
    pub retry_after: i64,
    /// Attempts of the key are in flight, and a success among them would
    /// lift the lock: worth waiting for them rather than refusing.
    pub settling: bool,
}

impl Throttled {
    fn after(retry_after: i64) -> Self {
        Self {
            retry_after,
            settling: false,
        }
    }
}

impl ThrottleRules {
    /// An attempt at `now`: the counter with this attempt counted as a
    /// failure, or how long to wait.
    pub fn attempt(
        &self,
        key: &ThrottleKey,
        counter: Counter,
        now: i64,
    ) -> Result<Counter, Throttled> {
        let counter = counter.settled_as_of(now);
        let next = match key {
            ThrottleKey::Username(_) | ThrottleKey::Device(_) => {
                self.attempt_username(counter, now)
            }
            ThrottleKey::Address(_) => self.attempt_address(counter, now),
            ThrottleKey::Signup(_) => {
                self.attempt_windowed(counter, now, self.signup_attempts, self.address_window)
            }
            ThrottleKey::ResetEmail(_) => {
                self.attempt_windowed(counter, now, self.reset_email_requests, self.reset_window)
            }
            ThrottleKey::ResetClient(_) => {
                self.attempt_windowed(counter, now, self.reset_client_requests, self.reset_window)
            }
        }?;
        Ok(Counter {
            updated_at: now,
            ..next
        })
    }

    /// Every attempt counts, when it is made: at most `limit` per `window`
    /// (sign-ups, password-reset requests).
    fn attempt_windowed(
        &self,
        counter: Counter,
        now: i64,
        limit: i64,
        window: i64,
    ) -> Result<Counter, Throttled> {
        let counter = if counter.window_start.saturating_add(window) <= now {
            Counter {
                failures: 0,
                window_start: now,
                ..counter
            }
        } else {
            counter
        };
        if counter.failures >= limit {
            return Err(Throttled::after(
                (counter.window_start + window - now).max(1),
            ));
        }
        Ok(Counter {
            failures: counter.failures + 1,
            ..counter
        })
    }

    fn attempt_username(&self, counter: Counter, now: i64) -> Result<Counter, Throttled> {
        if counter.locked_until > now {
            return Err(Throttled {
                retry_after: counter.locked_until - now,
                settling: counter.pending > 0,
            });
        }
        let failures = counter.failures + 1;
        let pending = counter.pending + 1;
        if failures < self.free_failures {
            return Ok(Counter {
                failures,
                pending,
                ..counter
            });
        }
        let wait = if counter.wait == 0 {
            FIRST_WAIT_SECS.min(self.max_wait)
        } else {
            counter.wait.saturating_mul(2).min(self.max_wait)
        };
        Ok(Counter {
            failures,
            wait,
            locked_until: now + wait,
            pending,
            ..counter
        })
    }

    /// An address is only checked here; its failures are counted by
    /// [`ThrottleRules::failed`].
    fn attempt_address(&self, counter: Counter, now: i64) -> Result<Counter, Throttled> {
        let window_ends = counter.window_start.saturating_add(self.address_window);
        if window_ends > now && counter.failures >= self.address_failures {
            return Err(Throttled::after(window_ends - now));
        }
        Ok(counter)
    }

    /// The attempt turned out to be a success: the name starts afresh, but
    /// attempts still in flight stay counted until they resolve.
    pub fn succeeded(&self, key: &ThrottleKey, counter: Counter, now: i64) -> Counter {
        let counter = counter.settled_as_of(now);
        let next = match key {
            ThrottleKey::Username(_) | ThrottleKey::Device(_) => {
                let others = (counter.pending - 1).max(0);
                Counter {
                    failures: others,
                    pending: others,
                    ..Counter::default()
                }
            }
            ThrottleKey::Address(_)
            | ThrottleKey::Signup(_)
            | ThrottleKey::ResetEmail(_)
            | ThrottleKey::ResetClient(_) => counter,
        };
        Counter {
            updated_at: now,
            ..next
        }
    }

    /// The attempt turned out to be a failure (a username's was counted
    /// already, by `attempt`).
    pub fn failed(&self, key: &ThrottleKey, counter: Counter, now: i64) -> Counter {
        let counter = Counter {
            updated_at: now,
            ..counter.settled_as_of(now)
        };
        match key {
            ThrottleKey::Username(_) | ThrottleKey::Device(_) => Counter {
                pending: (counter.pending - 1).max(0),
                ..counter
            },
            ThrottleKey::Signup(_) | ThrottleKey::ResetEmail(_) | ThrottleKey::ResetClient(_) => {
                counter
            }
            ThrottleKey::Address(_) => {
                if counter.window_start.saturating_add(self.address_window) <= now {
                    Counter {
                        failures: 1,
                        window_start: now,
                        ..counter
                    }
                } else {
                    Counter {
                        failures: counter.failures + 1,
                        ..counter
                    }
                }
            }
        }
    }

    /// How long after `now` a row can matter at all (older rows are flushed).
    pub fn horizon(&self) -> i64 {
        self.max_wait
            .max(self.address_window)
            .max(self.reset_window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name() -> ThrottleKey {
        ThrottleKey::Username("alice".into())
    }

    fn address() -> ThrottleKey {
        ThrottleKey::Address("192.0.2.7".to_owned())
    }

    /// A wrong password for `key` at `now`, from begin to end.
    fn wrong_guess(
        rules: &ThrottleRules,
        key: &ThrottleKey,
        counter: Counter,
        now: i64,
    ) -> Counter {
        let counted = rules.attempt(key, counter, now).unwrap();
        rules.failed(key, counted, now)
    }

    #[test]
    fn an_address_gets_so_many_sign_ups_per_window() {
        let rules = ThrottleRules::default();
        let key = ThrottleKey::Signup("192.0.2.7".to_owned());
        let mut counter = Counter::default();
        for _ in 0..SIGNUP_ATTEMPTS {
            counter = rules.attempt(&key, counter, 1_000).unwrap();
        }
        assert_eq!(
            rules.attempt(&key, counter, 1_010),
            Err(Throttled::after(ADDRESS_WINDOW_SECS - 10))
        );
        // The window passes: a new budget.
        let counter = rules
            .attempt(&key, counter, 1_000 + ADDRESS_WINDOW_SECS)
            .unwrap();
        assert_eq!(counter.failures, 1);
    }

    #[test]
    fn reset_requests_get_a_budget_per_address_and_per_client_each_window() {
        let rules = ThrottleRules::default();
        for (key, limit) in [
            (
                ThrottleKey::ResetEmail("digest".into()),
                RESET_EMAIL_REQUESTS,
            ),
            (
                ThrottleKey::ResetClient("192.0.2.7".into()),
                RESET_CLIENT_REQUESTS,
            ),
        ] {
            let mut counter = Counter::default();
            for _ in 0..limit {
                counter = rules.attempt(&key, counter, 1_000_000).unwrap();
            }
            assert_eq!(
                rules.attempt(&key, counter, 1_000_001),
                Err(Throttled::after(RESET_WINDOW_SECS - 1))
            );
            assert!(rules
                .attempt(&key, counter, 1_000_000 + RESET_WINDOW_SECS)
                .is_ok());
        }
        // Rows live as long as a reset window can matter.
        assert!(rules.horizon() >= RESET_WINDOW_SECS);
        assert_ne!(
            ThrottleKey::ResetEmail("x".into()).storage_key(),
            ThrottleKey::ResetClient("x".into()).storage_key()
        );
    }

    #[test]
    fn a_username_gets_free_failures_then_doubling_waits_up_to_the_cap() {
        let rules = ThrottleRules::default();
        let mut counter = Counter::default();
        let now = 1_000;
        for _ in 0..FREE_FAILURES - 1 {
            counter = wrong_guess(&rules, &name(), counter, now);
            assert_eq!(counter.locked_until, 0);
        }
        // The fifth failure locks for a second; the sixth attempt waits.
        counter = wrong_guess(&rules, &name(), counter, now);
        assert_eq!(counter.locked_until, now + 1);
        assert_eq!(
            rules.attempt(&name(), counter, now),
            Err(Throttled::after(1))
        );
        let mut waits = Vec::new();
        let mut at = now;
        for _ in 0..14 {
            at = counter.locked_until;
            counter = wrong_guess(&rules, &name(), counter, at);
            waits.push(counter.locked_until - at);
        }
        assert_eq!(
            waits,
            [2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900, 900, 900]
        );
        assert_eq!(
            rules.attempt(&name(), counter, at + 10),
            Err(Throttled::after(890))
        );
    }

    #[test]
    fn a_refused_attempt_changes_nothing_and_a_success_resets_the_name() {
        let rules = ThrottleRules {
            free_failures: 1,
            ..ThrottleRules::default()
        };
        let locked = rules.attempt(&name(), Counter::default(), 50).unwrap();
        assert!(rules.attempt(&name(), locked, 50).is_err());
        assert_eq!(
            rules.succeeded(&name(), locked, 50),
            Counter {
                updated_at: 50,
                ..Counter::default()
            }
        );
    }

    #[test]
    fn attempts_beyond_the_budget_wait_for_those_in_flight() {
        let rules = ThrottleRules::default();
        let now = 1_000;
        // FREE_FAILURES attempts begin at once; the last of them locks.
        let mut counter = Counter::default();
        for _ in 0..FREE_FAILURES {
            counter = rules.attempt(&name(), counter, now).unwrap();
        }
        assert_eq!(counter.pending, FREE_FAILURES);
        let next = rules.attempt(&name(), counter, now);
        assert_eq!(
            next,
            Err(Throttled {
                retry_after: 1,
                settling: true
            })
        );
        // One succeeds: the way is free, the others still count.
        let freed = rules.succeeded(&name(), counter, now);
        assert_eq!(
            (freed.failures, freed.pending, freed.locked_until),
            (4, 4, 0)
        );
        assert!(rules.attempt(&name(), freed, now).is_ok());
    }

    #[test]
    fn parallel_guesses_count_in_full_once_they_fail() {
        let rules = ThrottleRules::default();
        let now = 1_000;
        let mut counter = Counter::default();
        for _ in 0..FREE_FAILURES {
            counter = rules.attempt(&name(), counter, now).unwrap();
        }
        for _ in 0..FREE_FAILURES {
            counter = rules.failed(&name(), counter, now);
        }
        assert_eq!((counter.failures, counter.pending), (FREE_FAILURES, 0));
        // Nothing in flight any more: the waiting attempt is refused.
        assert_eq!(
            rules.attempt(&name(), counter, now),
            Err(Throttled::after(1))
        );
    }

    #[test]
    fn attempts_that_never_resolved_are_not_waited_for() {
        let rules = ThrottleRules::default();
        let mut counter = Counter::default();
        for _ in 0..FREE_FAILURES {
            counter = rules.attempt(&name(), counter, 1_000).unwrap();
        }
        // The process died mid-hash: a minute on, nothing is in flight (and
        // the lost attempts stay counted as failures).
        let later = 1_000 + PENDING_TRUST_SECS;
        let counter = Counter {
            locked_until: later + 5,
            ..counter
        };
        assert_eq!(
            rules.attempt(&name(), counter, later),
            Err(Throttled::after(5))
        );
    }

    #[test]
    fn a_device_is_counted_like_a_username_under_its_own_key() {
        let rules = ThrottleRules::default();
        let device = ThrottleKey::Device("0123".into());
        assert_eq!(device.storage_key(), "device:0123");
        let mut counter = Counter::default();
        for _ in 0..FREE_FAILURES {
            counter = wrong_guess(&rules, &device, counter, 1_000);
        }
        assert_eq!(
            rules.attempt(&device, counter, 1_000),
            Err(Throttled::after(1))
        );
    }

    #[test]
    fn an_address_gets_a_budget_of_failures_per_window() {
        let rules = ThrottleRules::default();
        let mut counter = Counter::default();
        for _ in 0..ADDRESS_FAILURES {
            counter = rules.attempt(&address(), counter, 10_000).unwrap();
            counter = rules.failed(&address(), counter, 10_000);
        }
        assert_eq!(
            rules.attempt(&address(), counter, 10_100),
            Err(Throttled::after(ADDRESS_WINDOW_SECS - 100))
        );
        // A new window starts afresh.
        let later = ADDRESS_WINDOW_SECS + 10_000;
        assert_eq!(
            rules.attempt(&address(), counter, later),
            Ok(Counter {
                updated_at: later,
                ..counter
            })
        );
        assert_eq!(rules.failed(&address(), counter, later).failures, 1);
    }

    #[test]
    fn successes_from_an_address_never_count() {
        let rules = ThrottleRules::default();
        let mut counter = Counter::default();
        for _ in 0..10 * ADDRESS_FAILURES {
            counter = rules.attempt(&address(), counter, 10_000).unwrap();
            counter = rules.succeeded(&address(), counter, 10_000);
        }
        assert_eq!(counter.failures, 0);
    }

    #[test]
    fn keys_of_names_and_addresses_never_collide() {
        assert_eq!(name().storage_key(), "user:alice");
        assert_eq!(address().storage_key(), "addr:192.0.2.7");
        assert_ne!(
            ThrottleKey::Username("addr:192.0.2.7".into()).storage_key(),
            address().storage_key()
        );
    }
}
