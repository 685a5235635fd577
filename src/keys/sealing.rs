//! Private keys at rest: sealed with ChaCha20-Poly1305 under a key derived
//! (HKDF-SHA256) from the server secret, so a copy of the database alone
//! signs nothing. The key id is bound in as associated data: a sealed key
//! moved to another row does not open.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};

const NONCE_BYTES: usize = 12;
/// Changing this makes every sealed key unreadable: it names the scheme.
const SEALING_INFO: &[u8] = b"tessera signing-key sealing v1";
const KEY_ID_INFO: &[u8] = b"tessera hmac key id v1";

/// Seals and opens private keys with the keys derived from the current secret
/// and any previous ones (a secret rotation keeps stored keys readable).
pub struct Sealer {
    /// The current secret's cipher first: it seals.
    ciphers: Vec<ChaCha20Poly1305>,
}

impl Sealer {
    pub fn new<'a>(current: &'a [u8], previous: impl IntoIterator<Item = &'a [u8]>) -> Self {
        let ciphers = std::iter::once(current)
            .chain(previous)
            .map(|secret| ChaCha20Poly1305::new(&derive::<32>(secret, SEALING_INFO).into()))
            .collect();
        Self { ciphers }
    }

    pub fn seal(&self, kid: &str, private_der: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).expect("the system random number generator works");
        let sealed = self.ciphers[0]
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: private_der,
                    aad: kid.as_bytes(),
                },
            )
            .expect("sealing a short message cannot fail");
        [nonce.as_slice(), &sealed].concat()
    }

    /// The private key, and whether it was sealed under a previous secret
    /// (and should be sealed again under the current one). `None`: no
    /// secret this process holds opens it.
    pub fn open(&self, kid: &str, sealed: &[u8]) -> Option<(Vec<u8>, bool)> {
        let (nonce, body) = sealed.split_at_checked(NONCE_BYTES)?;
        let nonce = Nonce::try_from(nonce).ok()?;
        self.ciphers.iter().enumerate().find_map(|(index, cipher)| {
            let payload = Payload {
                msg: body,
                aad: kid.as_bytes(),
            };
            cipher
                .decrypt(&nonce, payload)
                .ok()
                .map(|der| (der, index > 0))
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

    #[test]
    fn a_sealed_key_opens_under_its_secret_and_kid_only() {
        let sealer = Sealer::new(OLD, []);
        let sealed = sealer.seal("kid-1", b"private");
        assert_eq!(
            sealer.open("kid-1", &sealed),
            Some((b"private".to_vec(), false))
        );
        assert_eq!(sealer.open("kid-2", &sealed), None);
        assert_eq!(Sealer::new(NEW, []).open("kid-1", &sealed), None);
        assert_eq!(sealer.open("kid-1", &sealed[..10]), None);
        let mut tampered = sealed.clone();
        tampered[20] ^= 1;
        assert_eq!(sealer.open("kid-1", &tampered), None);
    }

    #[test]
    fn after_a_secret_rotation_old_seals_open_and_ask_to_be_resealed() {
        let sealed = Sealer::new(OLD, []).seal("kid", b"private");
        let rotated = Sealer::new(NEW, [OLD]);
        assert_eq!(
            rotated.open("kid", &sealed),
            Some((b"private".to_vec(), true))
        );
    }

    #[test]
    fn hmac_key_ids_tell_secrets_apart() {
        assert_eq!(hmac_key_id("HS256", OLD), hmac_key_id("HS256", OLD));
        assert_ne!(hmac_key_id("HS256", OLD), hmac_key_id("HS256", NEW));
        assert!(hmac_key_id("HS256", OLD).starts_with("hs256-"));
    }
}
