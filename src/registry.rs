//! Who may authenticate right now, held in memory so that checking an access
//! token never waits for the database.
//!
//! Loaded from the store at start, updated by this process's own writes at
//! once, and by other processes' writes (the CLI, other server instances)
//! through the store's change log, which `sync` reads by id from the last
//! row it applied (woken by PostgreSQL's NOTIFY, or polled).

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::RwLock;

use crate::store::{RevokedSession, Store, StoreError, UserState};

#[derive(Debug, Default)]
pub struct Registry {
    inner: RwLock<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    users: HashMap<i64, UserState, BuildHasherDefault<UserIdHasher>>,
    /// Revoked sessions until they expire (after which their tokens are
    /// dead anyway): session id → expiry.
    revoked_sessions: HashMap<String, i64>,
    /// The last change-log row applied: the next sync reads after it.
    last_event: i64,
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
    pub async fn load(store: &Store, now: i64) -> Result<Self, StoreError> {
        let registry = Self::default();
        // The log's position first: what the tables show next includes at
        // least every change up to it, and anything later is read again by
        // the next sync (applying a change twice is harmless).
        let last_event = store.latest_event_id().await?;
        let users = store.all_user_states().await?;
        let revoked = store.revoked_live_sessions(now, None).await?;
        {
            let mut inner = registry.write();
            inner.users = users.into_iter().map(|user| (user.id, user)).collect();
            inner.revoked_sessions = revoked.into_iter().map(|s| (s.id, s.expires_at)).collect();
            inner.last_event = last_event;
        }
        Ok(registry)
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
    /// issued at `issued_at`.
    pub fn standing(
        &self,
        user_id: i64,
        session_id: Option<&str>,
        issued_at: Option<i64>,
    ) -> Standing {
        let inner = self.read();
        let Some(user) = inner.users.get(&user_id) else {
            return Standing::UserNotFound;
        };
        // simplejwt's order: an inactive user is reported as such even
        // though deactivation also revoked the sessions.
        if !user.is_active {
            return Standing::UserInactive;
        }
        match (session_id, user.tokens_revoked_at, issued_at) {
            (Some(session_id), _, _) if inner.revoked_sessions.contains_key(session_id) => {
                Standing::SessionRevoked
            }
            // Only tokens without a session (minted elsewhere with our key)
            // need the timestamp rule: ours die with their session.
            (None, Some(revoked_at), Some(issued_at)) if issued_at <= revoked_at => {
                Standing::TokenRevoked
            }
            _ => Standing::Active,
        }
    }

    pub fn user(&self, user_id: i64) -> Option<UserState> {
        self.read().users.get(&user_id).copied()
    }

    pub fn is_session_revoked(&self, session_id: &str) -> bool {
        self.read().revoked_sessions.contains_key(session_id)
    }

    pub fn put_user(&self, user: UserState) {
        self.write().users.insert(user.id, user);
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
    /// users and sessions they name. Returns how many rows were new.
    pub async fn sync(&self, store: &Store, now: i64) -> Result<usize, StoreError> {
        let after = self.read().last_event;
        let fresh = store.events_after(after).await?;
        let users: HashSet<i64> = fresh.iter().filter_map(|event| event.user_id).collect();
        let sessions: HashSet<&str> = fresh
            .iter()
            .filter_map(|event| event.session_id.as_deref())
            .collect();
        for user_id in users {
            match store.user_state(user_id).await? {
                Some(user) => self.put_user(user),
                None => {
                    self.write().users.remove(&user_id);
                }
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
