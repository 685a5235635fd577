//! Signing keys: which algorithm signs, with which key, which keys still
//! verify, and how they rotate. HMAC keys are the configured secret
//! (simplejwt's `SIGNING_KEY`, never stored, never published); asymmetric
//! keys are generated here, stored in the database every instance shares
//! (private parts sealed under the secret) and published as a JWK set.
//!
//! A rotation adds a key that is published at once and signs only after
//! `publication_delay`, so a verifier that caches the JWK set has it before
//! it meets a token it signed; the key it replaces keeps verifying until
//! every token it signed can have expired, then leaves the set.

mod algorithm;
mod keyring;
mod material;
pub(crate) mod process_keys;
pub(crate) mod sealing;
mod signer;
mod signing_keys;

pub use algorithm::{SigningAlgorithm, UnknownAlgorithm};
pub use keyring::KeyState;
pub(crate) use keyring::{Keyring, LoadedKey, SharedKeyring};
pub use material::MaterialError;
pub(crate) use process_keys::{KeyPolicy, Keys};
#[cfg(any(test, feature = "bench"))]
pub(crate) use signer::TokenSigner;
pub use signing_keys::SigningKeys;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Material(#[from] MaterialError),
    #[error("no signing key is usable: {0}")]
    Unusable(String),
    /// An HMAC key is the secret itself: there is no key pair to add.
    #[error(
        "this server signs with its secret key ({0}): rotate it by changing the secret \
         (the old one goes to --previous-secret-keys), or move to a key pair with --to ES256"
    )]
    SecretNotRotatable(String),
}

/// One stored key as `tessera keys list` shows it.
#[derive(Clone, Debug)]
pub struct KeyListing {
    pub kid: String,
    pub algorithm: String,
    pub state: KeyState,
    pub created_at: i64,
    pub signs_from: i64,
    pub retired_at: Option<i64>,
    /// When it stops verifying (retired keys only).
    pub verifies_until: Option<i64>,
}
