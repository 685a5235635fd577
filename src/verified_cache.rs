//! A bounded memo of access tokens whose signature and claims were already
//! checked. A client sends the same access token for minutes; re-verifying
//! its HMAC on every request was 60 % of the server's work on `GET /hello/`
//! (valgrind profile, see issue 5). Only the cryptographic verdict is
//! remembered: revocation and the user's standing are checked on every
//! request all the same, and an entry stops counting at its token's `exp`.

use std::collections::HashMap;
use std::sync::RwLock;

use crate::tokens::Claims;

/// Entries kept at most; when full, the memo starts afresh (cheap, and a
/// flood of distinct tokens cannot grow memory).
const CAPACITY: usize = 16_384;

#[derive(Debug, Default)]
pub struct VerifiedCache {
    entries: RwLock<HashMap<Box<str>, Claims>>,
}

impl VerifiedCache {
    /// The claims of `token` if it was verified before and has not expired
    /// (`exp` plus `leeway` still ahead of `now`, as the codec judges it).
    pub fn get(&self, token: &str, now: i64, leeway: i64) -> Option<Claims> {
        let entries = self
            .entries
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        entries
            .get(token)
            .filter(|claims| claims.exp > now - leeway)
            .cloned()
    }

    pub fn insert(&self, token: &str, claims: &Claims) {
        let mut entries = self
            .entries
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(token.into(), claims.clone());
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
        }
    }

    #[test]
    fn remembers_until_expiry_only() {
        let cache = VerifiedCache::default();
        cache.insert("token", &claims(100));
        assert_eq!(cache.get("token", 99, 0), Some(claims(100)));
        assert_eq!(cache.get("token", 100, 0), None);
        assert_eq!(cache.get("token", 101, 5), Some(claims(100)));
        assert_eq!(cache.get("other", 50, 0), None);
    }

    #[test]
    fn never_grows_past_its_capacity() {
        let cache = VerifiedCache::default();
        for i in 0..CAPACITY + 10 {
            cache.insert(&format!("token-{i}"), &claims(100));
        }
        assert!(cache.entries.read().unwrap().len() <= CAPACITY);
    }
}
