//! Key material: generating asymmetric key pairs, describing their public
//! halves as JWKs (RFC 7517/7518), and turning both into jsonwebtoken keys.

use base64::Engine as _;
use jsonwebtoken::DecodingKey;
use serde_json::{Map, Value};
use sha2::Digest as _;

use super::algorithm::{KeyFamily, SigningAlgorithm};
use super::signer::TokenSigner;

/// A new key pair: the private key in the DER form jsonwebtoken signs with
/// (PKCS#8 for EC and Ed25519, PKCS#1 for RSA) and the public parameters.
pub struct GeneratedKey {
    pub private_der: Vec<u8>,
    /// The JWK members that describe the public key (`kty`, `crv`, `x`…).
    pub public: Map<String, Value>,
}

#[derive(Debug, thiserror::Error)]
pub enum MaterialError {
    #[error("HMAC keys are the configured secret; none is generated")]
    Symmetric,
    #[error("could not generate a key: {0}")]
    Generate(String),
    #[error("stored public key is not a usable JWK: {0}")]
    PublicKey(String),
    #[error("stored private key is not usable: {0}")]
    PrivateKey(String),
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn failed(error: impl std::fmt::Display) -> MaterialError {
    MaterialError::Generate(error.to_string())
}

/// Generates a key pair for `algorithm` from the system's random source.
pub fn generate(algorithm: SigningAlgorithm) -> Result<GeneratedKey, MaterialError> {
    let mut public = Map::new();
    let private_der = match algorithm {
        SigningAlgorithm::ES256 => {
            use p256::pkcs8::EncodePrivateKey as _;
            use rsa::Generate as _;
            let key = p256::ecdsa::SigningKey::try_generate().map_err(failed)?;
            let point = key.verifying_key().to_sec1_bytes();
            insert_curve_point(&mut public, "P-256", &point);
            key.to_pkcs8_der().map_err(failed)?.as_bytes().to_vec()
        }
        SigningAlgorithm::ES384 => {
            use p384::pkcs8::EncodePrivateKey as _;
            use rsa::Generate as _;
            let key = p384::ecdsa::SigningKey::try_generate().map_err(failed)?;
            let point = key.verifying_key().to_sec1_bytes();
            insert_curve_point(&mut public, "P-384", &point);
            key.to_pkcs8_der().map_err(failed)?.as_bytes().to_vec()
        }
        SigningAlgorithm::EdDSA => {
            use ed25519_dalek::pkcs8::EncodePrivateKey as _;
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed).map_err(failed)?;
            let key = ed25519_dalek::SigningKey::from_bytes(&seed);
            public.insert("kty".into(), "OKP".into());
            public.insert("crv".into(), "Ed25519".into());
            public.insert("x".into(), b64(key.verifying_key().as_bytes()).into());
            key.to_pkcs8_der().map_err(failed)?.as_bytes().to_vec()
        }
        _ if algorithm.family() == KeyFamily::Rsa => {
            use rsa::pkcs1::EncodeRsaPrivateKey as _;
            use rsa::traits::PublicKeyParts as _;
            use rsa::Generate as _;
            // 3072 bits: the size NIST recommends beyond 2030.
            let key = rsa::PrivateKey::try_generate().map_err(failed)?;
            public.insert("kty".into(), "RSA".into());
            public.insert("n".into(), b64(&key.n_bytes()).into());
            public.insert("e".into(), b64(&key.e_bytes()).into());
            key.to_pkcs1_der().map_err(failed)?.as_bytes().to_vec()
        }
        _ => return Err(MaterialError::Symmetric),
    };
    Ok(GeneratedKey {
        private_der,
        public,
    })
}

/// SEC 1 uncompressed point `04 || x || y` as the JWK's `x` and `y`.
fn insert_curve_point(public: &mut Map<String, Value>, curve: &str, point: &[u8]) {
    let half = (point.len() - 1) / 2;
    public.insert("kty".into(), "EC".into());
    public.insert("crv".into(), curve.into());
    public.insert("x".into(), b64(&point[1..=half]).into());
    public.insert("y".into(), b64(&point[half + 1..]).into());
}

/// The RFC 7638 thumbprint of a public key: the key id Tessera gives it, the
/// same whoever computes it from the published JWK.
pub fn thumbprint(public: &Map<String, Value>) -> String {
    let required: &[&str] = match public.get("kty").and_then(Value::as_str) {
        Some("EC") => &["crv", "kty", "x", "y"],
        Some("OKP") => &["crv", "kty", "x"],
        _ => &["e", "kty", "n"],
    };
    // serde_json's Map keeps keys sorted, as RFC 7638 §3.2 requires.
    let canonical: Map<String, Value> = required
        .iter()
        .filter_map(|name| Some(((*name).to_owned(), public.get(*name)?.clone())))
        .collect();
    let bytes = serde_json::to_vec(&canonical).expect("a JSON map always serializes");
    b64(&sha2::Sha256::digest(bytes))
}

/// The public JWK as published: the public parameters, `kid`, `use`, `alg`.
pub fn public_jwk(kid: &str, algorithm: SigningAlgorithm, public: &Map<String, Value>) -> Value {
    let mut jwk = public.clone();
    jwk.insert("kid".into(), kid.into());
    jwk.insert("use".into(), "sig".into());
    jwk.insert("alg".into(), algorithm.name().into());
    Value::Object(jwk)
}

/// The signing key of a stored private key (DER) or, for HMAC, a secret,
/// parsed once (see [`TokenSigner`]).
pub(crate) fn signing_key(
    algorithm: SigningAlgorithm,
    private_der: &[u8],
) -> Result<TokenSigner, MaterialError> {
    TokenSigner::new(algorithm, private_der)
        .map_err(|error| MaterialError::PrivateKey(error.to_string()))
}

/// Both halves of an HMAC key: the secret itself.
pub(crate) fn hmac_keys(
    algorithm: SigningAlgorithm,
    secret: &[u8],
) -> Result<(TokenSigner, DecodingKey), MaterialError> {
    Ok((
        signing_key(algorithm, secret)?,
        DecodingKey::from_secret(secret).map_err(failed)?,
    ))
}

/// The verifying key of a stored public JWK.
pub fn decoding_key(public: &Value) -> Result<DecodingKey, MaterialError> {
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(public.clone())
        .map_err(|error| MaterialError::PublicKey(error.to_string()))?;
    DecodingKey::from_jwk(&jwk).map_err(|error| MaterialError::PublicKey(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_sign_and_their_published_jwk_verifies() {
        // One key per family (an RSA key takes a good part of a second);
        // every algorithm of the family signs with it.
        let mut generated: Vec<(KeyFamily, GeneratedKey)> = Vec::new();
        for algorithm in SigningAlgorithm::ALL {
            if !algorithm.is_asymmetric() {
                assert!(matches!(generate(algorithm), Err(MaterialError::Symmetric)));
                continue;
            }
            let family = algorithm.family();
            let key = match generated.iter().position(|(known, _)| *known == family) {
                Some(index) if family != KeyFamily::Ec => &generated[index].1,
                _ => {
                    generated.push((family, generate(algorithm).unwrap()));
                    &generated.last().unwrap().1
                }
            };
            let kid = thumbprint(&key.public);
            let jwk = public_jwk(&kid, algorithm, &key.public);
            let signature = b64(&signing_key(algorithm, &key.private_der)
                .unwrap()
                .sign(b"message"));
            // Where signing is deterministic, byte for byte jsonwebtoken's.
            if matches!(family, KeyFamily::Rsa | KeyFamily::Ed)
                && !algorithm.name().starts_with("PS")
            {
                let theirs = match family {
                    KeyFamily::Rsa => jsonwebtoken::EncodingKey::from_rsa_der(&key.private_der),
                    _ => jsonwebtoken::EncodingKey::from_ed_der(&key.private_der),
                };
                assert_eq!(
                    jsonwebtoken::crypto::sign(b"message", &theirs, algorithm.jwt()).unwrap(),
                    signature,
                    "{algorithm}"
                );
            }
            let verifying = decoding_key(&jwk).unwrap();
            assert!(jsonwebtoken::crypto::verify(
                &signature,
                b"message",
                &verifying,
                algorithm.jwt()
            )
            .unwrap());
            assert!(!jsonwebtoken::crypto::verify(
                &signature,
                b"messagE",
                &verifying,
                algorithm.jwt()
            )
            .unwrap_or(false));
            assert!(jwk.get("d").is_none(), "{algorithm}: no private member");
        }
    }

    #[test]
    fn hmac_signatures_are_jsonwebtokens() {
        let secret = b"a secret of at least sixty-four bytes, for HS512 as for the others";
        for algorithm in [
            SigningAlgorithm::HS256,
            SigningAlgorithm::HS384,
            SigningAlgorithm::HS512,
        ] {
            let (signer, verifier) = hmac_keys(algorithm, secret).unwrap();
            let ours = b64(&signer.sign(b"message"));
            let theirs = jsonwebtoken::EncodingKey::from_secret(secret).unwrap();
            assert_eq!(
                jsonwebtoken::crypto::sign(b"message", &theirs, algorithm.jwt()).unwrap(),
                ours
            );
            assert!(
                jsonwebtoken::crypto::verify(&ours, b"message", &verifier, algorithm.jwt())
                    .unwrap()
            );
        }
    }

    #[test]
    fn the_thumbprint_follows_rfc_7638() {
        // RFC 7638 §3.1's example key and thumbprint.
        let public: Map<String, Value> = serde_json::from_str(
            r#"{"kty":"RSA","e":"AQAB","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}"#,
        )
        .unwrap();
        assert_eq!(
            thumbprint(&public),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }
}
