//! Server nonces (RFC 9449 §8) without shared state: a nonce is an HMAC of
//! the current time step under a key derived from the server secret, so any
//! instance with the same secret makes and accepts the same nonces, and a
//! client whose clock is wrong still proves freshness with one. A nonce is
//! accepted during its step and the next.

use base64::Engine as _;
use hmac::{KeyInit, Mac};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

const NONCE_INFO: &[u8] = b"tessera dpop nonce v1";

pub(super) struct Nonces {
    key: [u8; 32],
    step: i64,
}

impl Nonces {
    pub fn new(secret: &[u8], step: i64) -> Self {
        let [key] = crate::core::secret::derived_keys(NONCE_INFO, secret, [])[..] else {
            unreachable!("one secret gives one key")
        };
        Self { key, step }
    }

    /// The nonce of the step `now` falls in.
    pub fn at(&self, now: i64) -> String {
        self.of_step(now.div_euclid(self.step))
    }

    /// Whether `nonce` is this step's or the previous one's.
    pub fn accepts(&self, nonce: &str, now: i64) -> bool {
        let step = now.div_euclid(self.step);
        [step, step - 1].into_iter().any(|step| {
            let expected = self.of_step(step);
            // Equal lengths, then a comparison that does not stop early.
            expected.len() == nonce.len()
                && expected
                    .bytes()
                    .zip(nonce.bytes())
                    .fold(0u8, |diff, (a, b)| diff | (a ^ b))
                    == 0
        })
    }

    fn of_step(&self, step: i64) -> String {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(&step.to_be_bytes());
        let tag = mac.finalize().into_bytes();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&tag[..18])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_lasts_its_step_and_the_next() {
        let nonces = Nonces::new(b"secret", 60);
        let nonce = nonces.at(120);
        assert_eq!(nonce, nonces.at(179));
        assert!(nonces.accepts(&nonce, 120));
        assert!(nonces.accepts(&nonce, 239));
        assert!(!nonces.accepts(&nonce, 240));
        assert!(!nonces.accepts(&nonce, 119));
        assert_ne!(nonce, nonces.at(180));
    }

    #[test]
    fn another_secret_makes_other_nonces() {
        let ours = Nonces::new(b"secret", 60);
        let theirs = Nonces::new(b"other secret", 60);
        assert!(!ours.accepts(&theirs.at(100), 100));
        assert!(!ours.accepts("", 100));
        assert!(Nonces::new(b"secret", 60).accepts(&ours.at(100), 100));
    }
}
