//! Known-device markers (OWASP's "device cookie", kept by the app instead
//! of a cookie): after a successful login the server hands the browser a
//! marker that says "this device has logged in as this name". A later login
//! for that name that shows it is throttled under the device's own key
//! instead of the name's and the address's, so neither a stranger guessing
//! the name nor other people failing behind the same NAT address lock the
//! owner out.
//!
//! A marker grants nothing else: the password is still checked, and a
//! device gets the username's own budget of guesses. It is
//! `<id>.<expires>.<mac>`: a random device id (the throttle key), a Unix
//! expiry, and an HMAC-SHA256 over both and the username under a key
//! derived from the server secret (previous secrets still verify, as for
//! signing keys). Markers are renewed, with the same id, at each login.

use hmac::{KeyInit, Mac};

use crate::core::hex;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// How long a marker is good for after the login that issued it.
pub const KNOWN_DEVICE_LIFETIME_SECS: i64 = 180 * 24 * 60 * 60;
const MAC_INFO: &[u8] = b"tessera known-device marker v1";
const MAC_BYTES: usize = 32;

/// Issues and checks markers with keys derived from the server secrets.
pub(crate) struct KnownDevices {
    /// The current secret's key first: it signs.
    keys: Vec<[u8; 32]>,
}

impl KnownDevices {
    pub fn new<'a>(current: &'a [u8], previous: impl IntoIterator<Item = &'a [u8]>) -> Self {
        Self {
            keys: crate::core::secret::derived_keys(MAC_INFO, current, previous),
        }
    }

    /// The device id of `marker` if it is genuine, unexpired and for `username`.
    pub fn recognise<'m>(&self, marker: &'m str, username: &str, now: i64) -> Option<&'m str> {
        let mut parts = marker.splitn(3, '.');
        let (id, expires, mac) = (parts.next()?, parts.next()?, parts.next()?);
        if !hex::is_random_id(id) {
            return None;
        }
        let expires_at: i64 = expires.parse().ok()?;
        if expires_at <= now || expires != expires_at.to_string() {
            return None;
        }
        let mac = hex::decode(mac).filter(|mac| mac.len() == MAC_BYTES)?;
        self.keys
            .iter()
            .any(|key| {
                mac_of(key, id, expires_at, username)
                    .verify_slice(&mac)
                    .is_ok()
            })
            .then_some(id)
    }

    /// A marker for `username` on the device `id` (a new device when `None`).
    pub fn issue(&self, id: Option<&str>, username: &str, now: i64) -> String {
        let id = id.map_or_else(hex::random_id, str::to_owned);
        let expires_at = now.saturating_add(KNOWN_DEVICE_LIFETIME_SECS);
        let mac = mac_of(&self.keys[0], &id, expires_at, username)
            .finalize()
            .into_bytes();
        format!("{id}.{expires_at}.{}", hex::encode(&mac))
    }
}

fn mac_of(key: &[u8; 32], id: &str, expires_at: i64, username: &str) -> HmacSha256 {
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    // NUL-separated: a username holds no NUL (logins refuse it), so the
    // fields cannot be shifted into one another.
    for field in [id, &expires_at.to_string(), username] {
        mac.update(field.as_bytes());
        mac.update(b"\0");
    }
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"a server secret, at least thirty-two bytes long";
    const OTHER: &[u8] = b"another secret, also at least thirty-two bytes";

    #[test]
    fn a_marker_is_recognised_for_its_name_until_it_expires() {
        let devices = KnownDevices::new(SECRET, []);
        let marker = devices.issue(None, "alice", 1_000);
        let id = devices.recognise(&marker, "alice", 1_001).unwrap();
        assert_eq!(id.len(), 32);
        assert_eq!(devices.recognise(&marker, "bob", 1_001), None);
        assert_eq!(devices.recognise(&marker, "alice ", 1_001), None);
        let expiry = 1_000 + KNOWN_DEVICE_LIFETIME_SECS;
        assert_eq!(devices.recognise(&marker, "alice", expiry), None);
        // Renewed with the same id.
        let renewed = devices.issue(Some(id), "alice", 2_000);
        assert_eq!(devices.recognise(&renewed, "alice", expiry), Some(id));
    }

    #[test]
    fn a_forged_or_foreign_marker_is_not() {
        let devices = KnownDevices::new(SECRET, []);
        let marker = devices.issue(None, "alice", 1_000);
        let foreign = KnownDevices::new(OTHER, []).issue(None, "alice", 1_000);
        assert_eq!(devices.recognise(&foreign, "alice", 1_001), None);
        let (head, mac) = marker.rsplit_once('.').unwrap();
        let later = head.replace(".1", ".9");
        assert_eq!(
            devices.recognise(&format!("{later}.{mac}"), "alice", 1_001),
            None
        );
        for junk in [
            "",
            "..",
            "x.y.z",
            &marker[..marker.len() - 2],
            &format!("{marker}00"),
        ] {
            assert_eq!(devices.recognise(junk, "alice", 1_001), None, "{junk}");
        }
    }

    #[test]
    fn markers_of_a_previous_secret_still_count() {
        let old = KnownDevices::new(OTHER, []).issue(None, "alice", 1_000);
        let rotated = KnownDevices::new(SECRET, [OTHER]);
        assert!(rotated.recognise(&old, "alice", 1_001).is_some());
    }
}
