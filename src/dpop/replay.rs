//! Proofs seen: each proof is accepted once, on any instance. The database
//! is the record (`dpop_proofs`, written by an insert that fails on a
//! proof seen before, wherever); memory in front of it turns a replay on
//! this instance away without a round trip. An entry is kept until the
//! proof's `iat` is out of the window, after which the proof is refused
//! for its age anyway.

use std::collections::HashMap;
use std::sync::Mutex;

use base64::Engine as _;
use sha2::Digest as _;

use crate::dpop::DpopKey;
use crate::store::{Store, StoreError};

/// Entries kept in memory at most; past that, expired ones are dropped,
/// and if that is not enough the memory starts afresh (the database still
/// knows every proof).
const CAPACITY: usize = 65_536;

#[derive(Default)]
pub(super) struct SeenProofs {
    recent: Mutex<HashMap<[u8; 32], i64>>,
}

impl SeenProofs {
    /// Records the proof `jti` of `key`, good until `expires_at`; `false`
    /// if it was recorded before, here or on another instance.
    pub async fn first_use(
        &self,
        store: &Store,
        key: &DpopKey,
        jti: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        // The key's thumbprint and the jti, hashed: a fixed-size id that
        // reveals neither, and two clients' equal jtis do not collide.
        let mut hasher = sha2::Sha256::new();
        hasher.update(key.thumbprint().as_bytes());
        hasher.update([0]);
        hasher.update(jti.as_bytes());
        let id: [u8; 32] = hasher.finalize().into();
        if self.lock().get(&id).is_some_and(|&expires| expires >= now) {
            return Ok(false);
        }
        let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id);
        if !store.record_dpop_proof(&encoded, expires_at).await? {
            return Ok(false);
        }
        let mut recent = self.lock();
        if recent.len() >= CAPACITY {
            recent.retain(|_, expires| *expires >= now);
            if recent.len() >= CAPACITY {
                recent.clear();
            }
        }
        recent.insert(id, expires_at);
        Ok(true)
    }

    pub fn forget_expired(&self, now: i64) {
        self.lock().retain(|_, expires| *expires >= now);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], i64>> {
        self.recent
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
