//! The keys one process holds at one moment, read-only: which key signs now,
//! which keys verify a token, which public keys are published. Replaced
//! whole when the stored keys change (see `Keys::sync`).

use std::sync::{Arc, RwLock};

use base64::Engine as _;
use jsonwebtoken::{DecodingKey, Validation};

use super::signer::TokenSigner;
use serde_json::Value;

use super::algorithm::SigningAlgorithm;

/// Where a key is in its life, at a given instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyState {
    /// Published, not signing yet: verifiers fetch it before they meet it.
    Pending,
    /// Signs new tokens.
    Current,
    /// Replaced, still verifying the tokens it signed until they can all
    /// have expired.
    Retiring,
    /// No token it signed can still be valid: neither verifies nor is published.
    Expired,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Current => "current",
            Self::Retiring => "retiring",
            Self::Expired => "expired",
        }
    }
}

/// The state at `now` of a key that signs from `signs_from` until
/// `retired_at` and verifies for `verify_after_retirement` after that.
pub fn state_of(
    signs_from: i64,
    retired_at: Option<i64>,
    now: i64,
    verify_after_retirement: i64,
) -> KeyState {
    match retired_at {
        Some(retired) if now >= retired.saturating_add(verify_after_retirement) => {
            KeyState::Expired
        }
        Some(retired) if now >= retired => KeyState::Retiring,
        _ if now < signs_from => KeyState::Pending,
        _ => KeyState::Current,
    }
}

/// One usable key: it verifies, and signs if this process holds its private part.
pub struct LoadedKey {
    pub generation: i64,
    pub kid: String,
    pub algorithm: SigningAlgorithm,
    pub created_at: i64,
    pub signs_from: i64,
    pub retired_at: Option<i64>,
    pub(crate) signer: Option<TokenSigner>,
    pub(crate) verifier: DecodingKey,
    /// Checks the signature and this key's algorithm only; the claims are
    /// checked by the codec against the caller's clock.
    pub(crate) validation: Validation,
    /// An ES256 key's public point, for ring's P-256 check (several times
    /// faster than the pure-Rust one jsonwebtoken runs; see
    /// `TokenCodec::verified_claims`).
    pub(crate) p256_public: Option<ring::signature::UnparsedPublicKey<Vec<u8>>>,
    /// The base64url header every token this key signs starts with.
    pub(crate) encoded_header: String,
    pub(crate) public_jwk: Option<Value>,
    /// A configured previous secret with no row: verifies while configured.
    pub(crate) unbounded: bool,
}

impl LoadedKey {
    pub(crate) fn new(
        generation: i64,
        kid: String,
        algorithm: SigningAlgorithm,
        times: (i64, i64, Option<i64>),
        signer: Option<TokenSigner>,
        verifier: DecodingKey,
        public_jwk: Option<Value>,
    ) -> Self {
        let mut validation = Validation::new(algorithm.jwt());
        validation.leeway = 0;
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.set_required_spec_claims::<&str>(&[]);
        // PyJWT's header, byte for byte: sorted keys, no spaces. An HMAC key
        // names no `kid`, so simplejwt's `{"alg":"HS256","typ":"JWT"}` stays.
        let header = if algorithm.is_asymmetric() {
            serde_json::json!({"alg": algorithm.name(), "kid": kid, "typ": "JWT"}).to_string()
        } else {
            format!(r#"{{"alg":"{}","typ":"JWT"}}"#, algorithm.name())
        };
        let (created_at, signs_from, retired_at) = times;
        Self {
            generation,
            kid,
            algorithm,
            created_at,
            signs_from,
            retired_at,
            signer,
            verifier,
            validation,
            encoded_header: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(header),
            p256_public: (algorithm == SigningAlgorithm::ES256)
                .then(|| public_jwk.as_ref().and_then(p256_point))
                .flatten()
                .map(|point| {
                    ring::signature::UnparsedPublicKey::new(
                        &ring::signature::ECDSA_P256_SHA256_FIXED,
                        point,
                    )
                }),
            public_jwk,
            unbounded: false,
        }
    }

    pub fn can_sign(&self) -> bool {
        self.signer.is_some()
    }
}

/// The uncompressed SEC1 point (`04 || x || y`) of a P-256 public JWK.
fn p256_point(jwk: &Value) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let coordinate = |name: &str| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(jwk.get(name)?.as_str()?)
            .ok()
            .filter(|bytes| bytes.len() == 32)
    };
    if jwk.get("crv").and_then(Value::as_str) != Some("P-256") {
        return None;
    }
    let mut point = vec![4u8];
    point.extend(coordinate("x")?);
    point.extend(coordinate("y")?);
    Some(point)
}

/// A snapshot of the keys.
pub struct Keyring {
    /// Oldest generation first.
    keys: Vec<Arc<LoadedKey>>,
    pub(crate) latest_generation: i64,
    /// How long after it stops signing a key still verifies: the longest a
    /// token can live, plus the leeway and clock skew between instances.
    verify_after_retirement: i64,
}

impl Keyring {
    pub(crate) fn new(
        keys: Vec<LoadedKey>,
        latest_generation: i64,
        verify_after_retirement: i64,
    ) -> Self {
        let mut keys: Vec<Arc<LoadedKey>> = keys.into_iter().map(Arc::new).collect();
        keys.sort_by_key(|key| key.generation);
        Self {
            keys,
            latest_generation,
            verify_after_retirement,
        }
    }

    pub fn keys(&self) -> &[Arc<LoadedKey>] {
        &self.keys
    }

    /// The key that signs at `now`: the newest one whose time has come that
    /// this process can sign with; failing that (its own new key is still
    /// pending on a fresh database) the newest it can sign with.
    pub fn signer(&self, now: i64) -> Option<&LoadedKey> {
        let signing = || self.keys.iter().rev().filter(|key| key.can_sign());
        signing()
            .find(|key| key.signs_from <= now)
            .or_else(|| signing().next())
            .map(Arc::as_ref)
    }

    pub fn state(&self, key: &LoadedKey, now: i64) -> KeyState {
        if key.unbounded {
            return KeyState::Retiring;
        }
        state_of(
            key.signs_from,
            key.retired_at,
            now,
            self.verify_after_retirement,
        )
    }

    pub fn verifies(&self, key: &LoadedKey, now: i64) -> bool {
        self.state(key, now) != KeyState::Expired
    }

    /// The keys that may have signed a token with this header: the one its
    /// `kid` names, or, without a `kid`, the HMAC keys (simplejwt's tokens
    /// name none). Keys of another algorithm than the header's never match.
    pub fn candidates<'a>(
        &'a self,
        header: &'a jsonwebtoken::Header,
        now: i64,
    ) -> impl Iterator<Item = &'a LoadedKey> + 'a {
        self.keys
            .iter()
            .rev()
            .map(Arc::as_ref)
            .filter(move |key| match &header.kid {
                Some(kid) => key.algorithm.is_asymmetric() && key.kid == *kid,
                None => !key.algorithm.is_asymmetric(),
            })
            .filter(move |key| key.algorithm.jwt() == header.alg && self.verifies(key, now))
    }

    /// The JWK set: the public keys of every key that may still verify.
    pub fn published(&self, now: i64) -> Value {
        let keys: Vec<Value> = self
            .keys
            .iter()
            .filter(|key| self.verifies(key, now))
            .filter_map(|key| key.public_jwk.clone())
            .collect();
        serde_json::json!({ "keys": keys })
    }
}

/// The current keyring, swapped whole on change; readers clone an `Arc`.
pub struct SharedKeyring(RwLock<Arc<Keyring>>);

impl SharedKeyring {
    pub fn new(keyring: Keyring) -> Self {
        Self(RwLock::new(Arc::new(keyring)))
    }

    pub fn current(&self) -> Arc<Keyring> {
        Arc::clone(
            &self
                .0
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }

    pub fn replace(&self, keyring: Keyring) {
        *self
            .0
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(keyring);
    }
}
