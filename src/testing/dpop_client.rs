//! A DPoP client in software: a key pair and the proofs a browser or a
//! client library would make with it, including wrong ones on request.

use base64::Engine as _;
use serde_json::{json, Value};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Which key, and which `alg` it signs under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProofAlgorithm {
    Es256,
    /// Ed25519 under the historical name `EdDSA`.
    EdDsa,
    /// Ed25519 under RFC 9864's fully-specified name.
    Ed25519,
}

enum Signer {
    P256(Box<p256::ecdsa::SigningKey>),
    Ed25519(Box<ed25519_dalek::SigningKey>),
}

/// A client's DPoP key pair.
pub struct DpopClient {
    signer: Signer,
    alg: ProofAlgorithm,
}

/// What a proof claims; [`DpopClient::claims`] fills in a correct set.
pub type ProofClaims = serde_json::Map<String, Value>;

impl DpopClient {
    /// A fresh key pair for `alg`.
    pub fn new(alg: ProofAlgorithm) -> Self {
        let signer = match alg {
            ProofAlgorithm::Es256 => {
                use rsa::Generate as _;
                Signer::P256(Box::new(
                    p256::ecdsa::SigningKey::try_generate().expect("a random P-256 key"),
                ))
            }
            ProofAlgorithm::EdDsa | ProofAlgorithm::Ed25519 => {
                let mut seed = [0u8; 32];
                getrandom::fill(&mut seed).expect("random bytes");
                Signer::Ed25519(Box::new(ed25519_dalek::SigningKey::from_bytes(&seed)))
            }
        };
        Self { signer, alg }
    }

    /// The public key as a JWK (what a proof's header carries).
    pub fn public_jwk(&self) -> Value {
        match &self.signer {
            Signer::P256(key) => {
                let point = key.verifying_key().to_sec1_point(false);
                let bytes = point.as_bytes();
                json!({"kty": "EC", "crv": "P-256",
                       "x": B64.encode(&bytes[1..33]), "y": B64.encode(&bytes[33..65])})
            }
            Signer::Ed25519(key) => json!({"kty": "OKP", "crv": "Ed25519",
                                           "x": B64.encode(key.verifying_key().as_bytes())}),
        }
    }

    /// The key's RFC 7638 thumbprint (a bound token's `cnf.jkt`).
    pub fn thumbprint(&self) -> String {
        use sha2::Digest as _;
        let jwk = self.public_jwk();
        let canonical = match &self.signer {
            Signer::P256(_) => format!(
                r#"{{"crv":"P-256","kty":"EC","x":{},"y":{}}}"#,
                jwk["x"], jwk["y"]
            ),
            Signer::Ed25519(_) => format!(r#"{{"crv":"Ed25519","kty":"OKP","x":{}}}"#, jwk["x"]),
        };
        B64.encode(sha2::Sha256::digest(canonical.as_bytes()))
    }

    fn alg_name(&self) -> &'static str {
        match self.alg {
            ProofAlgorithm::Es256 => "ES256",
            ProofAlgorithm::EdDsa => "EdDSA",
            ProofAlgorithm::Ed25519 => "Ed25519",
        }
    }

    /// A correct header: `typ`, `alg`, and the public key.
    pub fn header(&self) -> ProofClaims {
        let mut header = ProofClaims::new();
        header.insert("typ".into(), "dpop+jwt".into());
        header.insert("alg".into(), self.alg_name().into());
        header.insert("jwk".into(), self.public_jwk());
        header
    }

    /// Correct claims for `method` on `url` at `iat`, with a fresh `jti`,
    /// and `ath` for `access_token` if given.
    pub fn claims(
        &self,
        method: &str,
        url: &str,
        iat: i64,
        access_token: Option<&str>,
    ) -> ProofClaims {
        let mut claims = ProofClaims::new();
        claims.insert("jti".into(), crate::core::hex::random_id().into());
        claims.insert("htm".into(), method.into());
        claims.insert("htu".into(), url.into());
        claims.insert("iat".into(), iat.into());
        if let Some(token) = access_token {
            claims.insert(
                "ath".into(),
                crate::dpop::proof::token_hash(token.as_bytes()).into(),
            );
        }
        claims
    }

    /// A correct proof for `method` on `url` at `iat`.
    pub fn proof(&self, method: &str, url: &str, iat: i64, access_token: Option<&str>) -> String {
        self.sign(&self.header(), &self.claims(method, url, iat, access_token))
    }

    /// A compact JWS of `header` and `claims`, signed with this key
    /// (whatever the header says).
    pub fn sign(&self, header: &ProofClaims, claims: &ProofClaims) -> String {
        let mut signed = format!(
            "{}.{}",
            B64.encode(serde_json::to_vec(header).expect("JSON")),
            B64.encode(serde_json::to_vec(claims).expect("JSON"))
        );
        let signature = match &self.signer {
            Signer::P256(key) => {
                use p256::ecdsa::signature::Signer as _;
                let signature: p256::ecdsa::Signature = key.sign(signed.as_bytes());
                signature.to_bytes().to_vec()
            }
            Signer::Ed25519(key) => {
                use ed25519_dalek::Signer as _;
                key.sign(signed.as_bytes()).to_bytes().to_vec()
            }
        };
        signed.push('.');
        signed.push_str(&B64.encode(signature));
        signed
    }
}
