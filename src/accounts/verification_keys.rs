//! The keys of verification links (`/verify-email/<key>`): made and checked
//! with keys derived from the server secrets, stored nowhere (see
//! [`email_verification`](super::email_verification)).

use super::reset_token::{encode_uid, LinkStamps};

const MAC_INFO: &[u8] = b"tessera email-verification link v1";

/// Makes and checks verification keys with keys derived from the server
/// secrets (previous secrets still verify).
pub(crate) struct VerificationKeys(pub(super) LinkStamps);

impl VerificationKeys {
    pub fn new<'a>(current: &'a [u8], previous: impl IntoIterator<Item = &'a [u8]>) -> Self {
        Self(LinkStamps::new(MAC_INFO, current, previous))
    }

    /// The key proving that account `id` reads `address`, made at `now`.
    pub fn make(&self, id: i64, address: &str, now: i64) -> String {
        let stamp = self.0.make(&[id.to_string().as_str(), address], now);
        format!("{}-{stamp}", encode_uid(id))
    }

    /// Whether `stamp` (the key without its uid) proves that account `id`
    /// reads `address`, made less than `timeout` seconds before `now`.
    pub fn proves(&self, stamp: &str, id: i64, address: &str, now: i64, timeout: i64) -> bool {
        self.0
            .check(stamp, &[id.to_string().as_str(), address], now, timeout)
    }
}
