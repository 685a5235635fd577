//! Time-based one-time passwords as every authenticator app computes them
//! (RFC 6238 over RFC 4226): HMAC-SHA-1 of the 30-second time step, six
//! decimal digits. A code is accepted for the step it was made in or one
//! step either side (a phone's clock that is a little off, a code typed as
//! it changes); which step it matched is returned, so that the store can
//! accept each step once.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

/// Seconds per time step (RFC 6238's default, and all that apps support).
pub const STEP_SECONDS: i64 = 30;
/// Digits per code.
pub const DIGITS: usize = 6;
/// Bytes of secret: 160 bits, RFC 4226's recommendation for HMAC-SHA-1.
pub const SECRET_BYTES: usize = 20;
/// Steps accepted either side of the current one.
const WINDOW: i64 = 1;

/// A shared secret. Never logged: `Debug` shows nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(…)")
    }
}

impl TotpSecret {
    pub fn generate() -> Self {
        let mut bytes = vec![0u8; SECRET_BYTES];
        getrandom::fill(&mut bytes).expect("the system random number generator works");
        Self(bytes)
    }

    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The secret as apps ask for it typed in: RFC 4648 base32, no padding.
    pub fn base32(&self) -> String {
        data_encoding::BASE32_NOPAD.encode(&self.0)
    }

    /// The code for time step `step` (RFC 4226 §5.3's dynamic truncation).
    pub fn code_at_step(&self, step: i64) -> u32 {
        let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(&self.0)
            .expect("HMAC takes a key of any length");
        mac.update(&(step as u64).to_be_bytes());
        let digest = mac.finalize().into_bytes();
        let offset = usize::from(digest[digest.len() - 1] & 0x0f);
        let bits = u32::from_be_bytes([
            digest[offset],
            digest[offset + 1],
            digest[offset + 2],
            digest[offset + 3],
        ]) & 0x7fff_ffff;
        bits % 10u32.pow(DIGITS as u32)
    }

    /// The step of `code` among the current step (at `now`, Unix seconds)
    /// and its neighbours, the latest first; `None` if none matches. Every
    /// candidate is computed and compared whatever the outcome, so the time
    /// taken says nothing about which one matched.
    pub fn matching_step(&self, code: OtpCode, now: i64) -> Option<i64> {
        let current = step_of(now);
        let mut found = None;
        for step in (current - WINDOW..=current + WINDOW).rev() {
            let equal = constant_time_eq(self.code_at_step(step), code.0);
            if equal && found.is_none() {
                found = Some(step);
            }
        }
        found
    }
}

/// The time step that holds `unix_seconds`.
pub fn step_of(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

fn constant_time_eq(a: u32, b: u32) -> bool {
    // No early exit: the difference is folded into one word.
    std::hint::black_box(a ^ b) == 0
}

/// A six-digit code as typed: spaces (apps show "123 456") are ignored;
/// anything but exactly six ASCII digits is not a code.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct OtpCode(u32);

impl std::fmt::Debug for OtpCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OtpCode(…)")
    }
}

impl OtpCode {
    pub fn parse(typed: &str) -> Option<Self> {
        let digits: String = typed.chars().filter(|c| *c != ' ').collect();
        if digits.len() != DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok().map(Self)
    }
}

/// The `otpauth://` address a QR code carries (Google Authenticator's Key
/// URI format, which every app reads): the issuer names the service in the
/// app's list, beside the account name.
pub fn otpauth_url(secret: &TotpSecret, issuer: &str, account: &str) -> String {
    let label = format!("{issuer}:{account}");
    let mut url = String::from("otpauth://totp/");
    url.push_str(&percent_encode(&label));
    url.push_str("?secret=");
    url.push_str(&secret.base32());
    url.push_str("&issuer=");
    url.push_str(&percent_encode(issuer));
    url.push_str(&format!(
        "&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}"
    ));
    url
}

/// Percent-encodes all but RFC 3986's unreserved characters (the label's
/// colon too: apps split issuer and account at the first literal one).
fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA-1 secret: "12345678901234567890".
    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(b"12345678901234567890".to_vec())
    }

    #[test]
    fn codes_match_rfc_6238_test_vectors() {
        // Appendix B lists eight digits; six are the same value mod 10^6.
        for (time, eight_digits) in [
            (59, 94_287_082),
            (1_111_111_109, 7_081_804),
            (1_111_111_111, 14_050_471),
            (1_234_567_890, 89_005_924),
            (2_000_000_000, 69_279_037),
            (20_000_000_000, 65_353_130),
        ] {
            assert_eq!(
                rfc_secret().code_at_step(step_of(time)),
                eight_digits % 1_000_000,
                "at {time}"
            );
        }
    }

    #[test]
    fn a_code_matches_its_step_and_one_either_side() {
        let secret = rfc_secret();
        let now = 1_234_567_890;
        let current = step_of(now);
        for step in [current - 1, current, current + 1] {
            let code = OtpCode(secret.code_at_step(step));
            assert_eq!(secret.matching_step(code, now), Some(step));
        }
        for step in [current - 2, current + 2] {
            let code = OtpCode(secret.code_at_step(step));
            assert_eq!(secret.matching_step(code, now), None);
        }
    }

    #[test]
    fn only_six_ascii_digits_are_a_code() {
        assert_eq!(OtpCode::parse("012345"), Some(OtpCode(12_345)));
        assert_eq!(OtpCode::parse("012 345"), Some(OtpCode(12_345)));
        for typed in [
            "",
            "12345",
            "1234567",
            "12345a",
            "١٢٣٤٥٦",
            "１２３４５６",
            "+12345",
            "-12345",
        ] {
            assert_eq!(OtpCode::parse(typed), None, "{typed:?}");
        }
    }

    #[test]
    fn the_otpauth_url_escapes_the_label() {
        let secret = TotpSecret::from_bytes(vec![0; 20]);
        assert_eq!(
            otpauth_url(&secret, "Tessera", "ana maría:x"),
            "otpauth://totp/Tessera%3Aana%20mar%C3%ADa%3Ax?secret=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\
             &issuer=Tessera&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn secrets_are_random_and_never_shown_in_debug() {
        let (a, b) = (TotpSecret::generate(), TotpSecret::generate());
        assert_ne!(a, b);
        assert_eq!(a.as_bytes().len(), SECRET_BYTES);
        assert_eq!(a.base32().len(), 32);
        assert_eq!(format!("{a:?}"), "TotpSecret(…)");
    }
}
