//! Signing keys held parsed, once per key and generation.
//!
//! jsonwebtoken's RustCrypto backend takes a private key as DER and parses
//! it again for every signature. For P-256 that parse also derives the
//! public key, a scalar multiplication about as costly as the signature
//! itself; for Ed25519 likewise; for RSA it checks the key and precomputes
//! its CRT values. Each key here is parsed when it is loaded, and a
//! signature is only a signature.
//!
//! ECDSA and RSA sign with ring (already built for DPoP proofs and TLS),
//! whose assembly is several times faster than the pure-Rust crates; Ed25519
//! with ed25519-dalek, HMAC with the `hmac` crate. The signatures are the
//! JWS forms jsonwebtoken verifies (ECDSA as `r || s`, RSASSA-PKCS1-v1_5,
//! PSS with a salt as long as the hash, Ed25519, HMAC): the tests check
//! each one against jsonwebtoken.

use hmac::{KeyInit, Mac};
use p256::ecdsa::signature::Signer;
use ring::rand::SystemRandom;
use ring::signature::{self as ring_signature, EcdsaKeyPair, RsaKeyPair};
use sha2::{Sha256, Sha384, Sha512};

use super::algorithm::SigningAlgorithm;

/// A key that signs tokens, parsed.
pub(crate) enum TokenSigner {
    Hs256(hmac::Hmac<Sha256>),
    Hs384(hmac::Hmac<Sha384>),
    Hs512(hmac::Hmac<Sha512>),
    Rsa(RsaKeyPair, &'static dyn ring_signature::RsaEncoding),
    Ecdsa(EcdsaKeyPair),
    Ed25519(Box<ed25519_dalek::SigningKey>),
}

/// Why stored key material does not make a signer.
#[derive(Debug, thiserror::Error)]
#[error("the {0} private key does not parse")]
pub struct UnparsableKey(pub SigningAlgorithm);

impl TokenSigner {
    /// The signer of a stored private key (PKCS#8 DER for EC and Ed25519,
    /// PKCS#1 DER for RSA) or, for HMAC, of the secret itself.
    pub(crate) fn new(algorithm: SigningAlgorithm, key: &[u8]) -> Result<Self, UnparsableKey> {
        Self::parse(algorithm, key).ok_or(UnparsableKey(algorithm))
    }

    fn parse(algorithm: SigningAlgorithm, key: &[u8]) -> Option<Self> {
        use p256::pkcs8::DecodePrivateKey as _;
        let rsa = |encoding: &'static dyn ring_signature::RsaEncoding| {
            Some(Self::Rsa(RsaKeyPair::from_der(key).ok()?, encoding))
        };
        match algorithm {
            SigningAlgorithm::HS256 => Some(Self::Hs256(KeyInit::new_from_slice(key).ok()?)),
            SigningAlgorithm::HS384 => Some(Self::Hs384(KeyInit::new_from_slice(key).ok()?)),
            SigningAlgorithm::HS512 => Some(Self::Hs512(KeyInit::new_from_slice(key).ok()?)),
            SigningAlgorithm::RS256 => rsa(&ring_signature::RSA_PKCS1_SHA256),
            SigningAlgorithm::RS384 => rsa(&ring_signature::RSA_PKCS1_SHA384),
            SigningAlgorithm::RS512 => rsa(&ring_signature::RSA_PKCS1_SHA512),
            SigningAlgorithm::PS256 => rsa(&ring_signature::RSA_PSS_SHA256),
            SigningAlgorithm::PS384 => rsa(&ring_signature::RSA_PSS_SHA384),
            SigningAlgorithm::PS512 => rsa(&ring_signature::RSA_PSS_SHA512),
            // ring wants the scalar and the public point apart (its own
            // PKCS#8 reader takes only documents that embed the point).
            SigningAlgorithm::ES256 => {
                let parsed = p256::ecdsa::SigningKey::from_pkcs8_der(key).ok()?;
                let public = parsed.verifying_key().to_sec1_point(false);
                ecdsa(
                    &ring_signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    &parsed.to_bytes(),
                    public.as_bytes(),
                )
            }
            SigningAlgorithm::ES384 => {
                let parsed = p384::ecdsa::SigningKey::from_pkcs8_der(key).ok()?;
                let public = parsed.verifying_key().to_sec1_point(false);
                ecdsa(
                    &ring_signature::ECDSA_P384_SHA384_FIXED_SIGNING,
                    &parsed.to_bytes(),
                    public.as_bytes(),
                )
            }
            SigningAlgorithm::EdDSA => Some(Self::Ed25519(Box::new(
                ed25519_dalek::SigningKey::from_pkcs8_der(key).ok()?,
            ))),
        }
    }

    /// The signature of `message`, as the JWS's third part holds it (before
    /// base64url).
    pub(crate) fn sign(&self, message: &[u8]) -> Vec<u8> {
        fn mac<M: Mac + Clone>(keyed: &M, message: &[u8]) -> Vec<u8> {
            keyed
                .clone()
                .chain_update(message)
                .finalize()
                .into_bytes()
                .to_vec()
        }
        match self {
            Self::Hs256(keyed) => mac(keyed, message),
            Self::Hs384(keyed) => mac(keyed, message),
            Self::Hs512(keyed) => mac(keyed, message),
            Self::Rsa(key, encoding) => {
                let mut signature = vec![0u8; key.public().modulus_len()];
                key.sign(*encoding, &SystemRandom::new(), message, &mut signature)
                    .expect("RSA signing fails only when the system has no randomness");
                signature
            }
            Self::Ecdsa(key) => key
                .sign(&SystemRandom::new(), message)
                .expect("ECDSA signing fails only when the system has no randomness")
                .as_ref()
                .to_vec(),
            Self::Ed25519(key) => key.sign(message).to_vec(),
        }
    }
}

fn ecdsa(
    algorithm: &'static ring_signature::EcdsaSigningAlgorithm,
    private: &[u8],
    public: &[u8],
) -> Option<TokenSigner> {
    let pair = EcdsaKeyPair::from_private_key_and_public_key(
        algorithm,
        private,
        public,
        &SystemRandom::new(),
    )
    .ok()?;
    Some(TokenSigner::Ecdsa(pair))
}
