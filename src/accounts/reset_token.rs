//! Password-reset links: `/reset-password/<uid>/<token>`, as Django makes
//! them. `uid` is the user id in URL-safe base64 (`1` → `MQ`); the token
//! is `<issued>-<mac>`: the Unix second it was made, in base 36, and an
//! HMAC-SHA256 (128 bits shown) over the user id, the password hash, the
//! address and that second, under a key derived from the server secret
//! (previous secrets still verify, as for signing keys).
//!
//! Nothing is stored: the token dies when the password changes (the hash
//! is in the MAC, and using the link changes it, so it works once), when the
//! address changes, and when `--password-reset-timeout` has passed.

use base64::Engine as _;
use hmac::{KeyInit, Mac};

use crate::core::hex;
use crate::store::PasswordAccount;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

const MAC_INFO: &[u8] = b"tessera password-reset link v1";
/// The MAC bytes a token carries: 128 bits, as guessable as a session id.
const MAC_BYTES: usize = 16;
/// A token "made" this far in the future still counts (instances' clocks
/// differ slightly); further, it is forged or from a wrong clock.
const FUTURE_SKEW_SECS: i64 = 60;

/// Makes and checks reset tokens with keys derived from the server secrets.
pub(crate) struct ResetTokens(LinkStamps);

impl ResetTokens {
    pub fn new<'a>(current: &'a [u8], previous: impl IntoIterator<Item = &'a [u8]>) -> Self {
        Self(LinkStamps::new(MAC_INFO, current, previous))
    }

    /// A token for `account` as it is now, made at `now`.
    pub fn make(&self, account: &PasswordAccount, now: i64) -> String {
        self.0.make(&reset_fields(account), now)
    }

    /// Whether `token` was made for `account` as it is now, less than
    /// `timeout` seconds before `now`.
    pub fn check(&self, token: &str, account: &PasswordAccount, now: i64, timeout: i64) -> bool {
        self.0.check(token, &reset_fields(account), now, timeout)
    }
}

/// What a reset token is bound to: using it changes the hash, so it works
/// once; changing the address kills it too.
fn reset_fields(account: &PasswordAccount) -> [String; 3] {
    [
        account.id.to_string(),
        account.password_hash.clone(),
        account.email.clone(),
    ]
}

/// `<issued>-<mac>` stamps over a list of fields: the Unix second they
/// were made in base 36, and a truncated HMAC-SHA256 of the fields and that
/// second under a key derived from the server secret for one purpose
/// (`info`). Links in mails carry them; nothing is stored.
pub(crate) struct LinkStamps {
    /// The current secret's key first: it makes stamps.
    keys: Vec<[u8; 32]>,
}

impl LinkStamps {
    pub fn new<'a>(
        info: &[u8],
        current: &'a [u8],
        previous: impl IntoIterator<Item = &'a [u8]>,
    ) -> Self {
        Self {
            keys: crate::core::secret::derived_keys(info, current, previous),
        }
    }

    pub fn make(&self, fields: &[impl AsRef<str>], now: i64) -> String {
        let mac = mac_of(&self.keys[0], fields, now).finalize().into_bytes();
        format!("{}-{}", to_base36(now), hex::encode(&mac[..MAC_BYTES]))
    }

    /// Whether `stamp` was made over `fields` less than `timeout` seconds
    /// before `now`. The MAC is compared in constant time.
    pub fn check(&self, stamp: &str, fields: &[impl AsRef<str>], now: i64, timeout: i64) -> bool {
        let Some((issued, mac)) = stamp.split_once('-') else {
            return false;
        };
        let Some(issued_at) = from_base36(issued) else {
            return false;
        };
        if issued_at > now + FUTURE_SKEW_SECS || now.saturating_sub(issued_at) >= timeout {
            return false;
        }
        let Some(mac) = hex::decode(mac).filter(|mac| mac.len() == MAC_BYTES) else {
            return false;
        };
        self.keys.iter().any(|key| {
            mac_of(key, fields, issued_at)
                .verify_truncated_left(&mac)
                .is_ok()
        })
    }
}

fn mac_of(key: &[u8; 32], fields: &[impl AsRef<str>], issued_at: i64) -> HmacSha256 {
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    // NUL-separated: none of the fields holds a NUL (the store refuses it).
    for field in fields {
        mac.update(field.as_ref().as_bytes());
        mac.update(b"\0");
    }
    // The second last, NUL-ended like the fields (links made by earlier
    // releases keep working).
    mac.update(issued_at.to_string().as_bytes());
    mac.update(b"\0");
    mac
}

/// Django's `urlsafe_base64_encode(force_bytes(pk))`: `1` → `MQ`.
pub(crate) fn encode_uid(id: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id.to_string())
}

/// The user id in a link's `uid`, if it is one.
pub(crate) fn decode_uid(uid: &str) -> Option<i64> {
    // Django pads and decodes; padding given or not, the same id.
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(uid.trim_end_matches('='))
        .ok()?;
    let text = std::str::from_utf8(&bytes).ok()?;
    // Only the canonical spelling: `01` is not user 1.
    let id: i64 = text.parse().ok()?;
    (id.to_string() == text && id > 0).then_some(id)
}

fn to_base36(mut value: i64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    if value <= 0 {
        return "0".to_owned();
    }
    let mut digits = Vec::new();
    while value > 0 {
        digits.push(DIGITS[(value % 36) as usize]);
        value /= 36;
    }
    digits.reverse();
    String::from_utf8(digits).expect("ASCII digits")
}

fn from_base36(text: &str) -> Option<i64> {
    if text.is_empty() || text.len() > 12 {
        return None;
    }
    text.chars().try_fold(0i64, |value, c| {
        let digit = c.to_digit(36)?;
        // Lower case only: each token has exactly one spelling.
        (!c.is_ascii_uppercase()).then_some(value * 36 + i64::from(digit))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> PasswordAccount {
        PasswordAccount {
            id: 7,
            username: "ana".into(),
            email: "ana@example.com".into(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            is_active: true,
            email_verified: true,
        }
    }

    #[test]
    fn a_token_works_until_it_expires() {
        let tokens = ResetTokens::new(b"secret", []);
        let token = tokens.make(&account(), 1_000_000);
        assert!(tokens.check(&token, &account(), 1_000_000, 3600));
        assert!(tokens.check(&token, &account(), 1_003_599, 3600));
        assert!(!tokens.check(&token, &account(), 1_003_600, 3600));
    }

    #[test]
    fn a_token_dies_with_the_password_or_the_address() {
        let tokens = ResetTokens::new(b"secret", []);
        let token = tokens.make(&account(), 1_000_000);
        let new_password = PasswordAccount {
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$b3RoZXI$aGFzaA".into(),
            ..account()
        };
        assert!(!tokens.check(&token, &new_password, 1_000_001, 3600));
        let new_address = PasswordAccount {
            email: "ana@elsewhere.example".into(),
            ..account()
        };
        assert!(!tokens.check(&token, &new_address, 1_000_001, 3600));
        let other_user = PasswordAccount { id: 8, ..account() };
        assert!(!tokens.check(&token, &other_user, 1_000_001, 3600));
    }

    #[test]
    fn previous_secrets_still_verify_and_others_do_not() {
        let old = ResetTokens::new(b"old secret", []);
        let token = old.make(&account(), 1_000_000);
        let rotated = ResetTokens::new(b"new secret", [b"old secret".as_slice()]);
        assert!(rotated.check(&token, &account(), 1_000_001, 3600));
        let stranger = ResetTokens::new(b"another secret", []);
        assert!(!stranger.check(&token, &account(), 1_000_001, 3600));
    }

    #[test]
    fn malformed_and_altered_tokens_are_refused() {
        let tokens = ResetTokens::new(b"secret", []);
        let token = tokens.make(&account(), 1_000_000);
        let (issued, mac) = token.split_once('-').unwrap();
        let later = format!("{}-{mac}", to_base36(1_000_100));
        let mut flipped = mac.to_owned();
        flipped.replace_range(0..1, if mac.starts_with('0') { "1" } else { "0" });
        for bad in [
            "",
            "-",
            issued,
            &format!("{issued}-"),
            &format!("{}-{mac}", issued.to_uppercase()),
            &format!("{issued}-{flipped}"),
            &format!("{issued}-{}", &mac[..30]),
            &later,
            &format!("{}-{mac}", to_base36(1_000_000 + 120)),
            &"z".repeat(100),
        ] {
            assert!(!tokens.check(bad, &account(), 1_000_000, 3600), "{bad:?}");
        }
    }

    #[test]
    fn uids_are_djangos() {
        assert_eq!(encode_uid(1), "MQ");
        assert_eq!(encode_uid(42), "NDI");
        assert_eq!(decode_uid("MQ"), Some(1));
        assert_eq!(decode_uid("MQ=="), Some(1));
        assert_eq!(decode_uid("NDI"), Some(42));
        for bad in ["", "!", "MDE", "LTE", "YWJj", "MA", &"A".repeat(100)] {
            assert_eq!(decode_uid(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn base36_round_trips() {
        for value in [0, 1, 35, 36, 1_800_000_000] {
            assert_eq!(from_base36(&to_base36(value)), Some(value));
        }
    }
}
