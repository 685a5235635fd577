//! Who may authenticate right now, held in memory so that checking an
//! access token of a user seen recently never waits for the database.
//!
//! - **Users**: a bounded cache of those seen recently, in two generations
//!   (`RecentUsers`): a user found in the older one moves to the newer, and
//!   when the newer is full the older is dropped. A user not held is read
//!   from the store once, then held; so is an id the store does not know,
//!   so that a deleted user's tokens do not reach the database each time.
//!   Memory is bounded by `--cached-users`, not by how many users exist:
//!   holding every user made 10^7 users cost 708 MB and 19 s of start-up.
//! - **Revoked sessions**: every one not yet expired, always (a revocation
//!   must never be missed; they number what ends within a session lifetime).
//! - **Staying exact**: every change is in the store's change log, naming its
//!   user; a sync reloads the named users that are held (one not held is read
//!   fresh when next needed). Loading a missing user and a sync exclude each
//!   other (`gate`: loads shared, a sync alone): a load that read a row just
//!   before a change committed has stored it before the sync that applies
//!   the change looks, and that sync then reloads it. This process's own
//!   writes store the committed state at once; a load only fills an empty
//!   place, never overwrites.
//!
//! Updated by other processes' writes (the CLI, other server instances)
//! through the change log, which `sync` reads by id from the last row it
//! applied (woken by PostgreSQL's NOTIFY, or polled).

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::RwLock;

use crate::store::{RevokedSession, Store, StoreError, UserState};

/// How many users are held by default: at most about 90 MB (an entry is
/// 41 bytes, in tables at most half full after a resize).
pub const DEFAULT_CACHED_USERS: usize = 1_000_000;

#[derive(Debug)]
pub struct Registry {
    inner: RwLock<Inner>,
    /// Loads of missing users (shared) against syncs (exclusive).
    gate: tokio::sync::RwLock<()>,
}

#[derive(Debug)]
struct Inner {
    users: RecentUsers,
    /// Revoked sessions until they expire (after which their tokens are
    /// dead anyway): session id → expiry.
    revoked_sessions: HashMap<String, i64>,
    /// The last change-log row applied: the next sync reads after it.
    last_event: i64,
}

type UserMap = HashMap<i64, Option<UserState>, BuildHasherDefault<UserIdHasher>>;

/// The users seen recently; `None` for an id the store does not know.
#[derive(Debug)]
struct RecentUsers {
    newer: UserMap,
    older: UserMap,
    /// How many a generation holds at most: half the capacity.
    generation: usize,
}

impl RecentUsers {
    fn with_capacity(capacity: usize) -> Self {
        Self {
            newer: UserMap::default(),
            older: UserMap::default(),
            generation: (capacity / 2).max(1),
        }
    }

    /// The user if held in the newer generation (a read lock suffices).
    fn recent(&self, id: i64) -> Option<Option<UserState>> {
        self.newer.get(&id).copied()
    }

    /// The user if held at all, moved to the newer generation.
    fn get(&mut self, id: i64) -> Option<Option<UserState>> {
        if let Some(user) = self.newer.get(&id) {
            return Some(*user);
        }
        let user = self.older.remove(&id)?;
        self.insert(id, user);
        Some(user)
    }

    fn holds(&self, id: i64) -> bool {
        self.newer.contains_key(&id) || self.older.contains_key(&id)
    }

    /// Stores the user's current state, replacing any held.
    fn insert(&mut self, id: i64, user: Option<UserState>) {
        self.older.remove(&id);
        if self.newer.len() >= self.generation && !self.newer.contains_key(&id) {
            self.older = std::mem::take(&mut self.newer);
        }
        self.newer.insert(id, user);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.newer.len() + self.older.len()
    }
}

/// Hashes a user id with one multiply. Ids are assigned by the database,
/// never chosen by a client, so SipHash's defence against crafted keys buys
/// nothing here, and every authenticated request pays for the hash.
#[derive(Default)]
struct UserIdHasher(u64);

impl Hasher for UserIdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(byte)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_i64(&mut self, id: i64) {
        // The high bits feed the table's tags, the low ones its buckets:
        // the multiply spreads sequential ids over both.
        self.0 = (id as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// How an access token's session and user stand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    Active,
    SessionRevoked,
    /// Issued before the user's password change or deactivation.
    TokenRevoked,
    UserInactive,
    UserNotFound,
}

impl Registry {
    /// Starts from the store: the log's position and the revoked sessions.
    /// Users are read as they are needed; at most `cached_users` are held.
    pub async fn load(store: &Store, now: i64, cached_users: usize) -> Result<Self, StoreError> {
        // The log's position first: what the tables show next includes at
        // least every change up to it, and anything later is read again by
        // the next sync (applying a change twice is harmless).
        let last_event = store.latest_event_id().await?;
        let revoked = store.revoked_live_sessions(now, None).await?;
        let inner = Inner {
            users: RecentUsers::with_capacity(cached_users),
            revoked_sessions: revoked.into_iter().map(|s| (s.id, s.expires_at)).collect(),
            last_event,
        };
        Ok(Self {
            inner: RwLock::new(inner),
            gate: tokio::sync::RwLock::new(()),
        })
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        // A panic while holding the lock cannot leave these maps half
        // updated (every write is a single insert or remove): keep going.
        self.inner
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The standing of a token of `user_id`, from session `session_id`,
    /// issued at `issued_at`. Memory only for a user seen recently.
    pub async fn standing(
        &self,
        store: &Store,
        user_id: i64,
        session_id: Option<&str>,
        issued_at: Option<i64>,
    ) -> Result<Standing, StoreError> {
        {
            // The hot path: one read lock.
            let inner = self.read();
            if let Some(user) = inner.users.recent(user_id) {
                return Ok(inner.standing_of(user, session_id, issued_at));
            }
        }
        let user = self.user(store, user_id).await?;
        Ok(self.read().standing_of(user, session_id, issued_at))
    }

    /// The user's state, read from the store if not held.
    pub async fn user(&self, store: &Store, user_id: i64) -> Result<Option<UserState>, StoreError> {
        if let Some(user) = self.read().users.recent(user_id) {
            return Ok(user);
        }
        if let Some(user) = self.write().users.get(user_id) {
            return Ok(user);
        }
        let _loading = self.gate.read().await;
        if let Some(user) = self.write().users.get(user_id) {
            // Loaded by another request meanwhile.
            return Ok(user);
        }
        let user = store.user_state(user_id).await?;
        let mut inner = self.write();
        // This process's own write may have stored a newer state meanwhile.
        Ok(match inner.users.get(user_id) {
            Some(held) => held,
            None => {
                inner.users.insert(user_id, user);
                user
            }
        })
    }

    pub fn is_session_revoked(&self, session_id: &str) -> bool {
        self.read().revoked_sessions.contains_key(session_id)
    }

    /// Stores a user's state as a write of this process committed it.
    pub fn put_user(&self, user: UserState) {
        self.write().users.insert(user.id, Some(user));
    }

    pub fn revoke_sessions(&self, sessions: impl IntoIterator<Item = RevokedSession>) {
        let mut inner = self.write();
        for session in sessions {
            inner
                .revoked_sessions
                .insert(session.id, session.expires_at);
        }
    }

    /// Applies the change-log rows after the last one applied: reloads the
    /// users they name that are held, records the sessions they revoke.
    /// Returns how many rows were new.
    pub async fn sync(&self, store: &Store, now: i64) -> Result<usize, StoreError> {
        // No load of a missing user runs meanwhile (see the module's doc).
        let _alone = self.gate.write().await;
        let after = self.read().last_event;
        let fresh = store.events_after(after).await?;
        let users: HashSet<i64> = fresh.iter().filter_map(|event| event.user_id).collect();
        let sessions: HashSet<&str> = fresh
            .iter()
            .filter_map(|event| event.session_id.as_deref())
            .collect();
        for user_id in users {
            if self.read().users.holds(user_id) {
                let user = store.user_state(user_id).await?;
                self.write().users.insert(user_id, user);
            }
            self.revoke_sessions(store.revoked_live_sessions(now, Some(user_id)).await?);
        }
        for session_id in sessions {
            if let Some((Some(_), expires_at)) = store.session_state(session_id).await? {
                self.revoke_sessions([RevokedSession {
                    id: session_id.to_owned(),
                    expires_at,
                }]);
            }
        }
        let mut inner = self.write();
        if let Some(last) = fresh.last() {
            // Only forward: two syncs may overlap (the poll and a NOTIFY).
            inner.last_event = inner.last_event.max(last.id);
        }
        // Forget what can no longer matter.
        inner
            .revoked_sessions
            .retain(|_, expires_at| *expires_at > now);
        Ok(fresh.len())
    }
}

impl Inner {
    fn standing_of(
        &self,
        user: Option<UserState>,
        session_id: Option<&str>,
        issued_at: Option<i64>,
    ) -> Standing {
        let Some(user) = user else {
            return Standing::UserNotFound;
        };
        // simplejwt's order: an inactive user is reported as such even
        // though deactivation also revoked the sessions.
        if !user.is_active {
            return Standing::UserInactive;
        }
        match (session_id, user.tokens_revoked_at, issued_at) {
            (Some(session_id), _, _) if self.revoked_sessions.contains_key(session_id) => {
                Standing::SessionRevoked
            }
            // Only tokens without a session (minted elsewhere with our key)
            // need the timestamp rule: ours die with their session.
            (None, Some(revoked_at), Some(issued_at)) if issued_at <= revoked_at => {
                Standing::TokenRevoked
            }
            // Without `iat` nobody can tell when it was issued: any stamp
            // voids it.
            (None, Some(_), None) => Standing::TokenRevoked,
            _ => Standing::Active,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RecentUsers;
    use crate::store::UserState;

    fn user(id: i64) -> Option<UserState> {
        Some(UserState {
            id,
            is_active: true,
            tokens_revoked_at: None,
        })
    }

    #[test]
    fn at_most_the_capacity_is_held_and_the_recently_used_stay() {
        let mut users = RecentUsers::with_capacity(4);
        for id in 0..4 {
            users.insert(id, user(id));
        }
        // 0 and 1 are in the older generation now; using 0 keeps it.
        assert_eq!(users.get(0), Some(user(0)));
        for id in 4..6 {
            users.insert(id, user(id));
        }
        assert!(users.len() <= 4, "{} held", users.len());
        assert!(users.holds(0), "used recently");
        assert!(users.holds(5));
        assert!(!users.holds(1), "not used since two generations");
    }

    #[test]
    fn a_new_state_replaces_the_held_one_in_either_generation() {
        let mut users = RecentUsers::with_capacity(2);
        users.insert(1, user(1));
        users.insert(2, user(2)); // 1 moves to the older generation
        users.insert(1, None);
        assert_eq!(users.get(1), Some(None));
        assert!(users.len() <= 2);
    }
}
