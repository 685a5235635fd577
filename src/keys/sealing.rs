//! Private keys at rest: sealed with ChaCha20-Poly1305 under a key derived
//! (HKDF-SHA256) from the server secret, so a copy of the database alone
//! signs nothing. What a row says about its key is bound in as associated
//! data ([`KeyBinding`]: the key id, which is the public key's thumbprint,
//! the algorithm and the times): a sealed key moved to another row, or a row
//! whose algorithm or times were edited, does not open, and a row that does
//! not open is not used at all, not even to verify.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};

const NONCE_BYTES: usize = 12;
/// Changing this makes every sealed key unreadable: it names the scheme.
const SEALING_INFO: &[u8] = b"tessera signing-key sealing v1";
const KEY_ID_INFO: &[u8] = b"tessera hmac key id v1";
/// Names the associated data's layout.
const BINDING_V2: &[u8] = b"tessera signing-key binding v2";

/// What a stored key's row says about it, bound to its sealed private key.
/// (Retirement is not: it is set later, and only ever ends a key sooner.)
#[derive(Clone, Copy, Debug)]
pub struct KeyBinding<'a> {
    pub kid: &'a str,
    pub algorithm: &'a str,
    pub created_at: i64,
    pub signs_from: i64,
}

impl KeyBinding<'_> {
    fn associated_data(&self) -> Vec<u8> {
        let mut data = BINDING_V2.to_vec();
        for field in [
            self.kid.as_bytes(),
            self.algorithm.as_bytes(),
            &self.created_at.to_be_bytes(),
            &self.signs_from.to_be_bytes(),
        ] {
            // Length-prefixed: no field can run into the next.
            data.extend_from_slice(&(field.len() as u32).to_be_bytes());
            data.extend_from_slice(field);
        }
        data
    }
}

/// Seals and opens private keys with the keys derived from the current secret
/// and any previous ones (a secret rotation keeps stored keys readable).
pub struct Sealer {
    /// The current secret's cipher first: it seals.
    ciphers: Vec<ChaCha20Poly1305>,
}

impl Sealer {
    /// The sealer of signing keys.
    pub fn new<'a>(current: &'a [u8], previous: impl IntoIterator<Item = &'a [u8]>) -> Self {
        Self::for_purpose(SEALING_INFO, current, previous)
    }

    /// A sealer whose keys are derived for `purpose` alone: what one
    /// purpose sealed, no other opens.
    pub(crate) fn for_purpose<'a>(
        purpose: &[u8],
        current: &'a [u8],
        previous: impl IntoIterator<Item = &'a [u8]>,
    ) -> Self {
        let ciphers = std::iter::once(current)
            .chain(previous)
            .map(|secret| ChaCha20Poly1305::new(&derive::<32>(secret, purpose).into()))
            .collect();
        Self { ciphers }
    }

    pub fn seal(&self, binding: &KeyBinding<'_>, private_der: &[u8]) -> Vec<u8> {
        self.seal_bound(&binding.associated_data(), private_der)
    }

    /// Seals `message` under the current secret, bound to `associated`.
    pub(crate) fn seal_bound(&self, associated: &[u8], message: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).expect("the system random number generator works");
        let sealed = self.ciphers[0]
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: message,
                    aad: associated,
                },
            )
            .expect("sealing a short message cannot fail");
        [nonce.as_slice(), &sealed].concat()
    }

    /// The private key, and whether it should be sealed again (it was
    /// sealed under a previous secret, or before the whole row was bound:
    /// then under its key id alone). `None`: nothing this process holds
    /// opens it for this row.
    pub fn open(&self, binding: &KeyBinding<'_>, sealed: &[u8]) -> Option<(Vec<u8>, bool)> {
        let bound = binding.associated_data();
        for (associated, outdated) in [(bound.as_slice(), false), (binding.kid.as_bytes(), true)] {
            if let Some((message, previous)) = self.open_bound(associated, sealed) {
                return Some((message, outdated || previous));
            }
        }
        None
    }

    /// The message sealed bound to `associated`, and whether a previous
    /// secret sealed it. `None`: nothing this process holds opens it.
    pub(crate) fn open_bound(&self, associated: &[u8], sealed: &[u8]) -> Option<(Vec<u8>, bool)> {
        let (nonce, body) = sealed.split_at_checked(NONCE_BYTES)?;
        let nonce = Nonce::try_from(nonce).ok()?;
        self.ciphers.iter().enumerate().find_map(|(index, cipher)| {
            let payload = Payload {
                msg: body,
                aad: associated,
            };
            cipher
                .decrypt(&nonce, payload)
                .ok()
                .map(|message| (message, index > 0))
        })
    }
}

/// The key id of an HMAC secret: derived one way from it, so listing keys
/// tells secrets apart without revealing anything about them.
pub fn hmac_key_id(algorithm: &str, secret: &[u8]) -> String {
    format!(
        "{}-{}",
        algorithm.to_ascii_lowercase(),
        crate::core::hex::encode(&derive::<6>(secret, KEY_ID_INFO))
    )
}

fn derive<const N: usize>(secret: &[u8], info: &[u8]) -> [u8; N] {
    let mut output = [0u8; N];
    hkdf::Hkdf::<sha2::Sha256>::new(None, secret)
        .expand(info, &mut output)
        .expect("N is far below HKDF-SHA256's limit");
    output
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &[u8] = b"an old secret, at least thirty-two bytes long";
    const NEW: &[u8] = b"a new secret, also at least thirty-two bytes long";

    const ROW: KeyBinding<'static> = KeyBinding {
        kid: "kid-1",
        algorithm: "ES256",
        created_at: 1_000,
        signs_from: 1_010,
    };

    #[test]
    fn a_sealed_key_opens_under_its_secret_and_its_row_only() {
        let sealer = Sealer::new(OLD, []);
        let sealed = sealer.seal(&ROW, b"private");
        assert_eq!(
            sealer.open(&ROW, &sealed),
            Some((b"private".to_vec(), false))
        );
        for edited in [
            KeyBinding {
                kid: "kid-2",
                ..ROW
            },
            KeyBinding {
                algorithm: "ES384",
                ..ROW
            },
            KeyBinding {
                created_at: 999,
                ..ROW
            },
            KeyBinding {
                signs_from: 1_000,
                ..ROW
            },
        ] {
            assert_eq!(sealer.open(&edited, &sealed), None, "{edited:?}");
        }
        assert_eq!(Sealer::new(NEW, []).open(&ROW, &sealed), None);
        assert_eq!(sealer.open(&ROW, &sealed[..10]), None);
        let mut tampered = sealed.clone();
        tampered[20] ^= 1;
        assert_eq!(sealer.open(&ROW, &tampered), None);
    }

    #[test]
    fn after_a_secret_rotation_old_seals_open_and_ask_to_be_resealed() {
        let sealed = Sealer::new(OLD, []).seal(&ROW, b"private");
        let rotated = Sealer::new(NEW, [OLD]);
        assert_eq!(
            rotated.open(&ROW, &sealed),
            Some((b"private".to_vec(), true))
        );
    }

    #[test]
    fn a_key_sealed_under_its_kid_alone_opens_once_to_be_bound() {
        // How keys were sealed before the whole row was bound.
        let cipher = ChaCha20Poly1305::new(&derive::<32>(OLD, SEALING_INFO).into());
        let nonce = [7u8; NONCE_BYTES];
        let body = cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: b"private",
                    aad: b"kid-1",
                },
            )
            .unwrap();
        let sealed = [nonce.as_slice(), &body].concat();
        let sealer = Sealer::new(OLD, []);
        assert_eq!(
            sealer.open(&ROW, &sealed),
            Some((b"private".to_vec(), true))
        );
        let resealed = sealer.seal(&ROW, b"private");
        assert_eq!(
            sealer.open(&ROW, &resealed),
            Some((b"private".to_vec(), false))
        );
    }

    #[test]
    fn hmac_key_ids_tell_secrets_apart() {
        assert_eq!(hmac_key_id("HS256", OLD), hmac_key_id("HS256", OLD));
        assert_ne!(hmac_key_id("HS256", OLD), hmac_key_id("HS256", NEW));
        assert!(hmac_key_id("HS256", OLD).starts_with("hs256-"));
    }
}
