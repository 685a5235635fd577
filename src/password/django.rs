//! Password hashes made by Django's hashers, so that users imported from a
//! Django site (`tessera user import`) keep their passwords. Each is checked
//! the way Django checks it; the first successful login replaces it with
//! Tessera's own argon2id hash (see `Verdict::Valid::rehash`).
//!
//! The formats are Django's `encode()` output (django/contrib/auth/hashers.py):
//! `<algorithm>$<data>`.

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// The Django formats Tessera can check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DjangoFormat {
    /// `argon2$argon2id$v=19$m=…,t=…,p=…$salt$hash`: argon2-cffi's PHC
    /// string behind Django's prefix.
    Argon2,
    /// `pbkdf2_sha256$<iterations>$<salt>$<base64 of 32 bytes>`: Django's default.
    Pbkdf2Sha256,
    /// `bcrypt_sha256$$2b$<cost>$…`: bcrypt of the SHA-256 hex digest of the
    /// password (so that passwords past bcrypt's 72 bytes still count).
    BcryptSha256,
    /// `bcrypt$$2b$<cost>$…`: bcrypt of the password itself.
    Bcrypt,
}

const ARGON2: &str = "argon2";
const PBKDF2_SHA256: &str = "pbkdf2_sha256$";
const BCRYPT_SHA256: &str = "bcrypt_sha256$";
const BCRYPT: &str = "bcrypt$";

/// The format of a well-formed Django hash, `None` for anything else.
pub fn format_of(stored: &str) -> Option<DjangoFormat> {
    if let Some(phc) = argon2_phc(stored) {
        return argon2::PasswordHash::new(phc)
            .is_ok()
            .then_some(DjangoFormat::Argon2);
    }
    if stored.starts_with(PBKDF2_SHA256) {
        return Pbkdf2::parse(stored).map(|_| DjangoFormat::Pbkdf2Sha256);
    }
    if let Some(bcrypt) = stored.strip_prefix(BCRYPT_SHA256) {
        return is_bcrypt(bcrypt).then_some(DjangoFormat::BcryptSha256);
    }
    if let Some(bcrypt) = stored.strip_prefix(BCRYPT) {
        return is_bcrypt(bcrypt).then_some(DjangoFormat::Bcrypt);
    }
    None
}

/// Whether a well-formed Django hash's cost is within [`super::bounds`].
pub(super) fn within_bounds(format: DjangoFormat, stored: &str) -> Result<(), super::Unusable> {
    match format {
        DjangoFormat::Argon2 => match argon2_phc(stored).map(argon2::PasswordHash::new) {
            Some(Ok(hash)) => super::bounds::argon2(&hash),
            _ => Ok(()),
        },
        DjangoFormat::Pbkdf2Sha256 => Pbkdf2::parse(stored).map_or(Ok(()), |hash| {
            super::bounds::pbkdf2_iterations(hash.iterations)
        }),
        DjangoFormat::BcryptSha256 | DjangoFormat::Bcrypt => {
            // `…$2b$<cost>$…`: the cost is the field after the version.
            let cost = stored
                .split('$')
                .skip_while(|part| !matches!(*part, "2a" | "2b" | "2y"))
                .nth(1)
                .and_then(|cost| cost.parse::<u32>().ok());
            cost.map_or(Ok(()), super::bounds::bcrypt_cost)
        }
    }
}

/// Django's argon2 hash without its prefix: a PHC string the argon2 crate reads.
pub(super) fn argon2_phc(stored: &str) -> Option<&str> {
    stored
        .strip_prefix(ARGON2)
        .filter(|phc| phc.starts_with("$argon2"))
}

/// Whether `password` matches a PBKDF2 or bcrypt hash (argon2 is checked by
/// the caller, which holds the work area).
pub(super) fn matches(format: DjangoFormat, stored: &str, password: &[u8]) -> bool {
    match format {
        DjangoFormat::Pbkdf2Sha256 => {
            Pbkdf2::parse(stored).is_some_and(|hash| hash.matches(password))
        }
        DjangoFormat::BcryptSha256 => {
            let digest = crate::core::hex::encode(&Sha256::digest(password));
            bcrypt::verify(digest, &stored[BCRYPT_SHA256.len()..]).unwrap_or(false)
        }
        DjangoFormat::Bcrypt => bcrypt::verify(password, &stored[BCRYPT.len()..]).unwrap_or(false),
        DjangoFormat::Argon2 => false,
    }
}

/// A parsed `pbkdf2_sha256$…` hash.
struct Pbkdf2<'a> {
    iterations: u32,
    salt: &'a str,
    expected: Vec<u8>,
}

impl<'a> Pbkdf2<'a> {
    fn parse(stored: &'a str) -> Option<Self> {
        let mut parts = stored.strip_prefix(PBKDF2_SHA256)?.split('$');
        let iterations = parts.next()?.parse::<u32>().ok().filter(|&n| n > 0)?;
        let salt = parts.next().filter(|salt| !salt.is_empty())?;
        let expected = base64::engine::general_purpose::STANDARD
            .decode(parts.next()?)
            .ok()
            .filter(|hash| hash.len() == 32)?;
        parts.next().is_none().then_some(Self {
            iterations,
            salt,
            expected,
        })
    }

    fn matches(&self, password: &[u8]) -> bool {
        let mut computed = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha256>(
            password,
            self.salt.as_bytes(),
            self.iterations,
            &mut computed,
        );
        same_bytes(&computed, &self.expected)
    }
}

/// `$2a$`/`$2b$`/`$2y$`, a two-digit cost, and 53 characters of salt and hash.
fn is_bcrypt(hash: &str) -> bool {
    let parts: Vec<&str> = hash.split('$').collect();
    matches!(parts.as_slice(), ["", "2a" | "2b" | "2y", cost, rest]
        if cost.len() == 2
            && cost.parse::<u32>().is_ok_and(|cost| (4..=31).contains(&cost))
            && rest.len() == 53)
}

/// Compares in time that depends on the length only (which is public).
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    // Made by Django 5.2's own hashers (server/tests/fixtures/django/make_fixtures.py).
    const PBKDF2: &str =
        "pbkdf2_sha256$1000000$zEnyDN2sQEzdTOrL3pIgQW$C+IBED2/wK2/bK/VS0JHVVjImoozQBgxloNgbDl2Gno=";
    const BCRYPT_SHA256_HASH: &str =
        "bcrypt_sha256$$2b$12$5hM1MdiC7OR7UeKK/uGBauX9g7z3BLj/qwJFepgE/574WobXWw5aK";

    #[test]
    fn djangos_formats_are_recognised_and_nothing_else() {
        assert_eq!(format_of(PBKDF2), Some(DjangoFormat::Pbkdf2Sha256));
        assert_eq!(
            format_of(BCRYPT_SHA256_HASH),
            Some(DjangoFormat::BcryptSha256)
        );
        assert_eq!(
            format_of("argon2$argon2id$v=19$m=102400,t=2,p=8$QXRWOHRTeVBhRUNMczRWWDV6eWswRQ$qQf6lcQS4EUYMjte/A3F+NzpJ+Nraq8Y5GmRxMu2ZHk"),
            Some(DjangoFormat::Argon2)
        );
        for other in [
            "!I9Wd26FhU3JRzFZC3tgt5WxiCGPbTyIe7q30M5U9",
            "md5$4JwAvba1i0ExkL7MCdrieq$3ae11b13ad4e38197553bd2a4c9858fa",
            "pbkdf2_sha256$0$salt$C+IBED2/wK2/bK/VS0JHVVjImoozQBgxloNgbDl2Gno=",
            "pbkdf2_sha256$1000$salt$tooshort",
            "pbkdf2_sha256$1000$$C+IBED2/wK2/bK/VS0JHVVjImoozQBgxloNgbDl2Gno=",
            "bcrypt_sha256$$2b$99$5hM1MdiC7OR7UeKK/uGBauX9g7z3BLj/qwJFepgE/574WobXWw5aK",
            "argon2$notargon",
            "",
        ] {
            assert_eq!(format_of(other), None, "{other}");
        }
    }

    #[test]
    fn djangos_pbkdf2_and_bcrypt_sha256_hashes_verify() {
        assert!(matches(
            DjangoFormat::Pbkdf2Sha256,
            PBKDF2,
            b"wonderland-pbkdf2"
        ));
        assert!(!matches(
            DjangoFormat::Pbkdf2Sha256,
            PBKDF2,
            b"wonderland-pbkdf3"
        ));
        assert!(matches(
            DjangoFormat::BcryptSha256,
            BCRYPT_SHA256_HASH,
            b"carol-bcrypt-sha256"
        ));
        assert!(!matches(
            DjangoFormat::BcryptSha256,
            BCRYPT_SHA256_HASH,
            b"carol"
        ));
    }
}
