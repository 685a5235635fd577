//! A DPoP proof (RFC 9449 §4): a JWT signed with the client's private key,
//! whose header carries the matching public key. This module reads one and
//! checks its own consistency (shape, algorithm, key, signature); whether it
//! fits the request (method, URL, time, nonce, replay) is `mod.rs`'s job.
//!
//! Only what a browser's WebCrypto and the common client libraries make is
//! accepted: ES256 on P-256 and Ed25519 (as `EdDSA`, and as RFC 9864's
//! fully-specified `Ed25519`). Never `none`, never an HMAC: the server must
//! learn nothing secret from a proof, and the key must be the client's.

use base64::Engine as _;
use serde::Deserialize;
use serde_json::Value;
use sha2::Digest as _;

/// Longer proofs are refused before any parsing: an ES256 proof with `ath`
/// and a nonce is about 600 bytes.
pub const MAX_PROOF_BYTES: usize = 4096;

/// A `jti` longer than this is refused: 16 random bytes need 22 characters.
pub const MAX_JTI_CHARS: usize = 256;

/// The `alg` values accepted, as `WWW-Authenticate`'s `algs` lists them.
pub const ACCEPTED_ALGORITHMS: &str = "ES256 EdDSA Ed25519";

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Members a JWK holds only when it is a private (or symmetric) key.
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// Why a proof was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProofError {
    TooLong,
    NotJws,
    BadHeader,
    WrongType,
    UnsupportedAlgorithm,
    BadKey,
    PrivateKey,
    BadSignature,
    BadPayload,
    BadJti,
    MissingTarget,
    BadIssuedAt,
    BadOptionalClaim,
}

impl ProofError {
    /// The reason in words for the client's developer (the
    /// `error_description` of an `invalid_dpop_proof` answer).
    pub fn reason(self) -> &'static str {
        match self {
            Self::TooLong => "the proof is too long",
            Self::NotJws => "the proof is not a compact JWS",
            Self::BadHeader => "the proof's header is not a JSON object",
            Self::WrongType => "the proof's typ is not dpop+jwt",
            Self::UnsupportedAlgorithm => "the proof's alg is not one of ES256, EdDSA, Ed25519",
            Self::BadKey => "the proof's jwk is not a P-256 or Ed25519 public key",
            Self::PrivateKey => "the proof's jwk holds private key material",
            Self::BadSignature => "the proof's signature does not verify",
            Self::BadPayload => "the proof's payload is not a JSON object",
            Self::BadJti => "the proof lacks a jti of at most 256 characters",
            Self::MissingTarget => "the proof lacks htm or htu",
            Self::BadIssuedAt => "the proof lacks a numeric iat",
            Self::BadOptionalClaim => "the proof's ath or nonce is not a string",
        }
    }
}

/// The client's public key, as its RFC 7638 thumbprint (base64url SHA-256):
/// what a bound token's `cnf.jkt` names.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DpopKey(String);

impl DpopKey {
    pub fn thumbprint(&self) -> &str {
        &self.0
    }

    /// The key a verified token is bound to: proven by the request that
    /// presented the token (the sessions check that before trusting it).
    pub(crate) fn of_bound_token(thumbprint: &str) -> Self {
        Self(thumbprint.to_owned())
    }
}

/// A proof whose signature checked out under the key it carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proof {
    pub key: DpopKey,
    pub jti: String,
    pub htm: String,
    pub htu: String,
    /// Whole seconds (a fraction is dropped, as for tokens).
    pub iat: i64,
    pub ath: Option<String>,
    pub nonce: Option<String>,
}

#[derive(Deserialize)]
struct Header {
    typ: Option<Value>,
    alg: Option<Value>,
    jwk: Option<serde_json::Map<String, Value>>,
}

#[derive(Deserialize)]
struct Payload {
    jti: Option<Value>,
    htm: Option<Value>,
    htu: Option<Value>,
    iat: Option<Value>,
    ath: Option<Value>,
    nonce: Option<Value>,
}

/// The public key a proof's header carries.
enum PublicKey {
    /// Checked to be a point of the curve; the SEC 1 encoding and its
    /// coordinates.
    P256(Box<[u8; 65]>),
    Ed25519(Box<ed25519_dalek::VerifyingKey>),
}

impl PublicKey {
    /// RFC 7638: SHA-256 of the required members, in lexicographic order,
    /// no spaces; the coordinates re-encoded, so one key has one thumbprint.
    fn thumbprint(&self) -> DpopKey {
        let canonical = match self {
            Self::P256(sec1) => format!(
                r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
                B64.encode(&sec1[1..33]),
                B64.encode(&sec1[33..])
            ),
            Self::Ed25519(key) => format!(
                r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
                B64.encode(key.as_bytes())
            ),
        };
        DpopKey(B64.encode(sha2::Sha256::digest(canonical.as_bytes())))
    }

    fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            // ring's assembly P-256: a proof is checked on every bound
            // request, and the pure-Rust check was most of its cost.
            Self::P256(sec1) => ring::signature::UnparsedPublicKey::new(
                &ring::signature::ECDSA_P256_SHA256_FIXED,
                &sec1[..],
            )
            .verify(message, signature)
            .is_ok(),
            Self::Ed25519(key) => <[u8; 64]>::try_from(signature).is_ok_and(|bytes| {
                key.verify_strict(message, &ed25519_dalek::Signature::from_bytes(&bytes))
                    .is_ok()
            }),
        }
    }
}

/// Reads `proof` and checks its signature under the key it carries.
pub fn verify(proof: &[u8]) -> Result<Proof, ProofError> {
    if proof.len() > MAX_PROOF_BYTES {
        return Err(ProofError::TooLong);
    }
    let proof = std::str::from_utf8(proof).map_err(|_| ProofError::NotJws)?;
    let mut parts = proof.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ProofError::NotJws);
    };
    let header: Header = decode_json(header).ok_or(ProofError::BadHeader)?;
    match &header.typ {
        // Media types are case-insensitive (RFC 2045).
        Some(Value::String(typ)) if typ.eq_ignore_ascii_case("dpop+jwt") => {}
        _ => return Err(ProofError::WrongType),
    }
    let alg = match &header.alg {
        Some(Value::String(alg)) if matches!(alg.as_str(), "ES256" | "EdDSA" | "Ed25519") => alg,
        _ => return Err(ProofError::UnsupportedAlgorithm),
    };
    let jwk = header.jwk.as_ref().ok_or(ProofError::BadKey)?;
    if PRIVATE_MEMBERS
        .iter()
        .any(|member| jwk.contains_key(*member))
    {
        return Err(ProofError::PrivateKey);
    }
    let key = public_key(alg, jwk).ok_or(ProofError::BadKey)?;
    let signature = B64
        .decode(signature)
        .map_err(|_| ProofError::BadSignature)?;
    let signed = &proof.as_bytes()[..proof.len() - signature_len(proof)];
    if !key.verifies(signed, &signature) {
        return Err(ProofError::BadSignature);
    }
    let payload: Payload = decode_json(payload).ok_or(ProofError::BadPayload)?;
    let jti = match payload.jti {
        Some(Value::String(jti)) if !jti.is_empty() && jti.chars().count() <= MAX_JTI_CHARS => jti,
        _ => return Err(ProofError::BadJti),
    };
    let (Some(Value::String(htm)), Some(Value::String(htu))) = (payload.htm, payload.htu) else {
        return Err(ProofError::MissingTarget);
    };
    let iat = payload
        .iat
        .as_ref()
        .and_then(crate::tokens::as_integer)
        .ok_or(ProofError::BadIssuedAt)?;
    Ok(Proof {
        key: key.thumbprint(),
        jti,
        htm,
        htu,
        iat,
        ath: optional_string(payload.ath)?,
        nonce: optional_string(payload.nonce)?,
    })
}

/// The base64url SHA-256 of an access token: what a proof's `ath` holds.
pub fn token_hash(token: &[u8]) -> String {
    B64.encode(sha2::Sha256::digest(token))
}

/// The length of the `.signature` tail, dot included.
fn signature_len(proof: &str) -> usize {
    proof.len() - proof.rfind('.').unwrap_or(proof.len())
}

fn decode_json<T: serde::de::DeserializeOwned>(part: &str) -> Option<T> {
    serde_json::from_slice(&B64.decode(part).ok()?).ok()
}

fn public_key(alg: &str, jwk: &serde_json::Map<String, Value>) -> Option<PublicKey> {
    let member = |name: &str| match jwk.get(name) {
        Some(Value::String(value)) => Some(value.as_str()),
        _ => None,
    };
    let coordinate =
        |name: &str| -> Option<[u8; 32]> { B64.decode(member(name)?).ok()?.try_into().ok() };
    match (alg, member("kty")?, member("crv")?) {
        ("ES256", "EC", "P-256") => {
            let (x, y) = (coordinate("x")?, coordinate("y")?);
            let mut sec1 = [4u8; 65];
            sec1[1..33].copy_from_slice(&x);
            sec1[33..].copy_from_slice(&y);
            // Refuses a point off the curve here, as a bad key.
            p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).ok()?;
            Some(PublicKey::P256(Box::new(sec1)))
        }
        ("EdDSA" | "Ed25519", "OKP", "Ed25519") => {
            let key = ed25519_dalek::VerifyingKey::from_bytes(&coordinate("x")?).ok()?;
            Some(PublicKey::Ed25519(Box::new(key)))
        }
        _ => None,
    }
}

fn optional_string(value: Option<Value>) -> Result<Option<String>, ProofError> {
    match value {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(ProofError::BadOptionalClaim),
    }
}

#[cfg(test)]
mod tests;
