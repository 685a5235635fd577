//! A passkey authenticator in software, for tests: what a browser and a
//! platform authenticator (a phone, a laptop's fingerprint reader) do
//! between a ceremony's `begin` and its `finish`, written from the WebAuthn
//! Level 3 specification. It makes P-256 (ES256) discoverable credentials
//! with "none" attestation, always verifies the user, and answers with the
//! JSON a browser's `PublicKeyCredential.toJSON()` gives. Clone it to get
//! a copy of an authenticator (its keys and counter), as a cloned device.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{DerSignature, SigningKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Flags of authenticator data (WebAuthn §6.1): user present, user
/// verified, attested credential data included.
const USER_PRESENT: u8 = 0x01;
const USER_VERIFIED: u8 = 0x04;
const ATTESTED_DATA: u8 = 0x40;

#[derive(Clone)]
struct Credential {
    id: Vec<u8>,
    key: SigningKey,
    rp_id: String,
    user_handle: Vec<u8>,
}

/// The passkeys of one software authenticator, for the site at `origin`.
#[derive(Clone)]
pub struct SoftPasskeys {
    origin: String,
    credentials: Vec<Credential>,
    /// One signature counter for the whole authenticator (allowed by the
    /// specification): it goes up at each use.
    counter: u32,
    /// Set to answer without user verification (a security key touched,
    /// no PIN): a passkey sign-in must refuse it.
    pub skip_user_verification: bool,
}

impl SoftPasskeys {
    /// An authenticator the browser at `origin` (`http://localhost:3000`)
    /// talks to; `origin` is what the client data will say.
    pub fn new(origin: &str) -> Self {
        Self {
            origin: origin.to_owned(),
            credentials: Vec::new(),
            counter: 0,
            skip_user_verification: false,
        }
    }

    /// Answers `navigator.credentials.create({publicKey})` for the
    /// registration options `options` (their JSON form).
    pub fn create(&mut self, options: &Value) -> Value {
        let rp_id = options["rp"]["id"].as_str().expect("rp.id").to_owned();
        let challenge = options["challenge"].as_str().expect("a challenge");
        let user_handle = decode(options["user"]["id"].as_str().expect("user.id"));
        let mut id = vec![0u8; 32];
        getrandom::fill(&mut id).expect("random bytes");
        let key = {
            use rsa::Generate as _;
            SigningKey::try_generate().expect("a P-256 key")
        };
        self.counter += 1;
        // Uncompressed SEC1: 0x04, then x and y.
        let point = key.verifying_key().to_sec1_bytes();
        let (x, y) = point[1..].split_at(32);
        let mut cose_key = Vec::new();
        cbor::map(&mut cose_key, 5);
        // kty: EC2, alg: ES256, crv: P-256, x, y (RFC 9053).
        cbor::int(&mut cose_key, 1);
        cbor::int(&mut cose_key, 2);
        cbor::int(&mut cose_key, 3);
        cbor::int(&mut cose_key, -7);
        cbor::int(&mut cose_key, -1);
        cbor::int(&mut cose_key, 1);
        cbor::int(&mut cose_key, -2);
        cbor::bytes(&mut cose_key, x);
        cbor::int(&mut cose_key, -3);
        cbor::bytes(&mut cose_key, y);

        let mut auth_data = self.auth_data_head(&rp_id, ATTESTED_DATA);
        auth_data.extend_from_slice(&[0u8; 16]); // AAGUID: none
        auth_data.extend_from_slice(&(id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(&id);
        auth_data.extend_from_slice(&cose_key);

        let mut attestation = Vec::new();
        cbor::map(&mut attestation, 3);
        cbor::text(&mut attestation, "fmt");
        cbor::text(&mut attestation, "none");
        cbor::text(&mut attestation, "attStmt");
        cbor::map(&mut attestation, 0);
        cbor::text(&mut attestation, "authData");
        cbor::bytes(&mut attestation, &auth_data);

        let client_data = self.client_data("webauthn.create", challenge);
        self.credentials.push(Credential {
            id: id.clone(),
            key,
            rp_id,
            user_handle,
        });
        json!({
            "id": encode(&id),
            "rawId": encode(&id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": encode(client_data.as_bytes()),
                "attestationObject": encode(&attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
        })
    }

    /// Answers `navigator.credentials.get({publicKey})` for the sign-in
    /// options `options`, with this authenticator's newest passkey for
    /// the relying party (as a person picking it from the list).
    pub fn get(&mut self, options: &Value) -> Value {
        let rp_id = options["rpId"].as_str().expect("rpId");
        let challenge = options["challenge"].as_str().expect("a challenge");
        let credential = self
            .credentials
            .iter()
            .rev()
            .find(|credential| credential.rp_id == rp_id)
            .expect("a passkey for this site")
            .clone();
        self.counter += 1;
        let auth_data = self.auth_data_head(rp_id, 0);
        let client_data = self.client_data("webauthn.get", challenge);
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(client_data.as_bytes()));
        let signature: DerSignature = credential.key.sign(&signed);
        json!({
            "id": encode(&credential.id),
            "rawId": encode(&credential.id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": encode(client_data.as_bytes()),
                "authenticatorData": encode(&auth_data),
                "signature": encode(signature.as_bytes()),
                "userHandle": encode(&credential.user_handle),
            },
            "clientExtensionResults": {},
        })
    }

    /// The credential id of the newest passkey, base64url.
    pub fn newest_id(&self) -> Option<String> {
        self.credentials
            .last()
            .map(|credential| encode(&credential.id))
    }

    fn auth_data_head(&self, rp_id: &str, extra_flags: u8) -> Vec<u8> {
        let mut flags = USER_PRESENT | extra_flags;
        if !self.skip_user_verification {
            flags |= USER_VERIFIED;
        }
        let mut data = Sha256::digest(rp_id.as_bytes()).to_vec();
        data.push(flags);
        data.extend_from_slice(&self.counter.to_be_bytes());
        data
    }

    fn client_data(&self, kind: &str, challenge: &str) -> String {
        json!({
            "type": kind,
            "challenge": challenge,
            "origin": self.origin,
            "crossOrigin": false,
        })
        .to_string()
    }
}

fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn decode(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).expect("base64url")
}

/// The little of CBOR (RFC 8949) an attestation object needs.
mod cbor {
    fn head(out: &mut Vec<u8>, major: u8, n: u64) {
        let major = major << 5;
        match n {
            0..=23 => out.push(major | n as u8),
            24..=0xff => out.extend_from_slice(&[major | 24, n as u8]),
            0x100..=0xffff => {
                out.push(major | 25);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            _ => {
                out.push(major | 26);
                out.extend_from_slice(&(n as u32).to_be_bytes());
            }
        }
    }

    pub fn int(out: &mut Vec<u8>, n: i64) {
        if n >= 0 {
            head(out, 0, n as u64);
        } else {
            head(out, 1, (-1 - n) as u64);
        }
    }

    pub fn bytes(out: &mut Vec<u8>, bytes: &[u8]) {
        head(out, 2, bytes.len() as u64);
        out.extend_from_slice(bytes);
    }

    pub fn text(out: &mut Vec<u8>, text: &str) {
        head(out, 3, text.len() as u64);
        out.extend_from_slice(text.as_bytes());
    }

    pub fn map(out: &mut Vec<u8>, pairs: u64) {
        head(out, 5, pairs);
    }
}
