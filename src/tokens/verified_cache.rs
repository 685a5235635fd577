//! A bounded memo of access tokens whose signature and claims were already
//! checked. A client sends the same access token for minutes, and
//! re-verifying its HMAC on every request was most of the server's work on
//! `GET /hello/` (README, Benchmarks). Only the cryptographic verdict is
//! remembered: revocation and the user's standing are checked on every
//! request all the same, and an entry stops counting at its token's `exp`.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, RwLock};

use crate::tokens::Claims;

/// Entries kept at most; when full, the memo starts afresh (cheap, and a
/// flood of distinct tokens cannot grow memory).
const CAPACITY: usize = 16_384;

#[derive(Debug, Default)]
pub struct VerifiedCache {
    entries: RwLock<HashMap<Box<[u8]>, Arc<Claims>, SignatureTail>>,
}

impl VerifiedCache {
    /// The claims of `token` if it was verified before and has not expired
    /// (`exp` plus `leeway` still ahead of `now`, as the codec judges it).
    /// Keyed by the header's bytes, so a hit needs no UTF-8 check either.
    pub fn get(&self, token: &[u8], now: i64, leeway: i64) -> Option<Arc<Claims>> {
        let entries = self
            .entries
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        entries
            .get(token)
            .filter(|claims| claims.exp > now - leeway)
            .cloned()
    }

    pub fn insert(&self, token: &[u8], claims: Arc<Claims>) {
        let mut entries = self
            .entries
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(token.into(), claims);
    }
}

/// Hashes a token by its last eight bytes. Only tokens whose HMAC checked
/// out are ever stored, and their last bytes are signature bytes that no one
/// can choose without the key: as good as a random key, so a flood of
/// crafted tokens cannot pile into one bucket, and hashing eight bytes
/// instead of the whole token is a visible share of a cheap request;
/// equality still compares the whole token.
#[derive(Clone, Copy, Debug, Default)]
struct SignatureTail;

impl BuildHasher for SignatureTail {
    type Hasher = TailHasher;

    fn build_hasher(&self) -> TailHasher {
        TailHasher(0)
    }
}

struct TailHasher(u64);

impl Hasher for TailHasher {
    fn write(&mut self, bytes: &[u8]) {
        let tail = &bytes[bytes.len().saturating_sub(8)..];
        let mut word = [0u8; 8];
        word[..tail.len()].copy_from_slice(tail);
        // Spread the (ASCII) bytes over all 64 bits: the table takes its
        // bucket from the low bits and its tag from the high ones.
        self.0 =
            (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokens::UserClaim;

    fn claims(exp: i64) -> Claims {
        Claims {
            token_type: Some("access".into()),
            exp,
            iat: Some(exp - 300),
            jti: "j".into(),
            user: UserClaim::Id(1),
            sid: Some("s".into()),
            jkt: None,
        }
    }

    #[test]
    fn remembers_until_expiry_only() {
        let cache = VerifiedCache::default();
        cache.insert(b"token", Arc::new(claims(100)));
        assert_eq!(cache.get(b"token", 99, 0).as_deref(), Some(&claims(100)));
        assert_eq!(cache.get(b"token", 100, 0), None);
        assert_eq!(cache.get(b"token", 101, 5).as_deref(), Some(&claims(100)));
        assert_eq!(cache.get(b"other", 50, 0), None);
    }

    #[test]
    fn never_grows_past_its_capacity() {
        let cache = VerifiedCache::default();
        for i in 0..CAPACITY + 10 {
            cache.insert(format!("token-{i}").as_bytes(), Arc::new(claims(100)));
        }
        assert!(cache.entries.read().unwrap().len() <= CAPACITY);
    }

    #[test]
    fn tokens_sharing_a_tail_are_still_told_apart() {
        let cache = VerifiedCache::default();
        cache.insert(b"a.b.signature", Arc::new(claims(100)));
        assert_eq!(cache.get(b"x.y.signature", 50, 0), None);
        assert_eq!(cache.get(b"signature", 50, 0), None);
        assert!(cache.get(b"a.b.signature", 50, 0).is_some());
    }
}
