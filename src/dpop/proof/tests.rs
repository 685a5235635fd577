use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;
use crate::testing::{DpopClient, ProofAlgorithm};

const URL: &str = "https://auth.example.com/api/token/";

fn client(alg: ProofAlgorithm) -> DpopClient {
    DpopClient::new(alg)
}

#[test]
fn a_proof_of_each_algorithm_verifies_and_names_its_key() {
    for alg in [
        ProofAlgorithm::Es256,
        ProofAlgorithm::EdDsa,
        ProofAlgorithm::Ed25519,
    ] {
        let client = client(alg);
        let proof = verify(client.proof("POST", URL, 1_700_000_000, None).as_bytes())
            .unwrap_or_else(|error| panic!("{alg:?}: {error:?}"));
        assert_eq!(proof.key.thumbprint(), client.thumbprint());
        assert_eq!((proof.htm.as_str(), proof.htu.as_str()), ("POST", URL));
        assert_eq!(proof.iat, 1_700_000_000);
        assert_eq!(proof.ath, None);
    }
}

#[test]
fn ath_is_the_tokens_hash() {
    let client = client(ProofAlgorithm::Es256);
    let proof = verify(client.proof("GET", URL, 1, Some("abc")).as_bytes()).unwrap();
    // RFC 9449 §4.2: base64url(SHA-256(ASCII(token))).
    assert_eq!(
        proof.ath.as_deref(),
        Some("ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0")
    );
}

/// RFC 7638 §3.1's example key and thumbprint (an RSA key there; this is
/// RFC 9449 §6.1's EC example instead, checked against its `jkt`).
#[test]
fn thumbprints_follow_rfc_7638() {
    let jwk: serde_json::Map<String, Value> = serde_json::from_value(json!({
        "kty": "EC",
        "x": "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs",
        "y": "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA",
        "crv": "P-256"
    }))
    .unwrap();
    let key = public_key("ES256", &jwk).expect("a valid P-256 key");
    assert_eq!(
        key.thumbprint().thumbprint(),
        "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
    );
}

fn resign(
    client: &DpopClient,
    edit_header: impl FnOnce(&mut crate::testing::ProofClaims),
    edit_claims: impl FnOnce(&mut crate::testing::ProofClaims),
) -> Result<Proof, ProofError> {
    let mut header = client.header();
    let mut claims = client.claims("POST", URL, 1, None);
    edit_header(&mut header);
    edit_claims(&mut claims);
    verify(client.sign(&header, &claims).as_bytes())
}

#[test]
fn each_flaw_is_named() {
    let es = client(ProofAlgorithm::Es256);
    let keep = |_: &mut crate::testing::ProofClaims| {};
    let cases: Vec<(&str, Result<Proof, ProofError>, ProofError)> = vec![
        (
            "typ JWT",
            resign(&es, |h| drop(h.insert("typ".into(), "JWT".into())), keep),
            ProofError::WrongType,
        ),
        (
            "no typ",
            resign(&es, |h| drop(h.remove("typ")), keep),
            ProofError::WrongType,
        ),
        (
            "alg none",
            resign(&es, |h| drop(h.insert("alg".into(), "none".into())), keep),
            ProofError::UnsupportedAlgorithm,
        ),
        (
            "alg HS256",
            resign(&es, |h| drop(h.insert("alg".into(), "HS256".into())), keep),
            ProofError::UnsupportedAlgorithm,
        ),
        (
            "EdDSA over a P-256 key",
            resign(&es, |h| drop(h.insert("alg".into(), "EdDSA".into())), keep),
            ProofError::BadKey,
        ),
        (
            "a private member",
            resign(
                &es,
                |h| {
                    h["jwk"]["d"] = "AAAA".into();
                },
                keep,
            ),
            ProofError::PrivateKey,
        ),
        (
            "a symmetric key",
            resign(
                &es,
                |h| drop(h.insert("jwk".into(), json!({"kty": "oct", "k": "c2VjcmV0"}))),
                keep,
            ),
            ProofError::PrivateKey,
        ),
        (
            "no jwk",
            resign(&es, |h| drop(h.remove("jwk")), keep),
            ProofError::BadKey,
        ),
        (
            "a point off the curve",
            resign(
                &es,
                |h| {
                    h["jwk"]["y"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into();
                },
                keep,
            ),
            ProofError::BadKey,
        ),
        (
            "no jti",
            resign(&es, keep, |c| drop(c.remove("jti"))),
            ProofError::BadJti,
        ),
        (
            "a numeric jti",
            resign(&es, keep, |c| drop(c.insert("jti".into(), 7.into()))),
            ProofError::BadJti,
        ),
        (
            "a huge jti",
            resign(&es, keep, |c| {
                drop(c.insert("jti".into(), "j".repeat(257).into()))
            }),
            ProofError::BadJti,
        ),
        (
            "no htu",
            resign(&es, keep, |c| drop(c.remove("htu"))),
            ProofError::MissingTarget,
        ),
        (
            "a string iat",
            resign(&es, keep, |c| drop(c.insert("iat".into(), "1".into()))),
            ProofError::BadIssuedAt,
        ),
        (
            "a numeric ath",
            resign(&es, keep, |c| drop(c.insert("ath".into(), 1.into()))),
            ProofError::BadOptionalClaim,
        ),
    ];
    for (case, outcome, expected) in cases {
        assert_eq!(outcome, Err(expected), "{case}");
    }
}

#[test]
fn another_keys_signature_fails() {
    let signer = client(ProofAlgorithm::Es256);
    let other = client(ProofAlgorithm::Es256);
    let claims = signer.claims("POST", URL, 1, None);
    let forged = signer.sign(&other.header(), &claims);
    assert_eq!(verify(forged.as_bytes()), Err(ProofError::BadSignature));
    let ed = client(ProofAlgorithm::Ed25519);
    let forged = ed.sign(&client(ProofAlgorithm::Ed25519).header(), &claims);
    assert_eq!(verify(forged.as_bytes()), Err(ProofError::BadSignature));
}

#[test]
fn shapes_that_are_not_a_jws_are_refused_early() {
    assert_eq!(verify(b""), Err(ProofError::NotJws));
    assert_eq!(verify(b"a.b"), Err(ProofError::NotJws));
    assert_eq!(verify(b"a.b.c.d"), Err(ProofError::NotJws));
    assert_eq!(verify(b"\xff.b.c"), Err(ProofError::NotJws));
    assert_eq!(verify(b"!!.b.c"), Err(ProofError::BadHeader));
    let huge = vec![b'a'; MAX_PROOF_BYTES + 1];
    assert_eq!(verify(&huge), Err(ProofError::TooLong));
}

proptest! {
    /// Whatever the bytes, the parser answers (never panics), and nothing
    /// but a real signature passes.
    #[test]
    fn arbitrary_bytes_never_pass(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        prop_assert!(verify(&bytes).is_err());
    }

    /// A genuine proof with any one byte changed is refused.
    #[test]
    fn a_changed_byte_breaks_the_proof(index in any::<prop::sample::Index>(), byte in any::<u8>()) {
        static CLIENT: std::sync::LazyLock<DpopClient> =
            std::sync::LazyLock::new(|| DpopClient::new(ProofAlgorithm::Es256));
        let proof = CLIENT.proof("GET", URL, 1, Some("token"));
        let mut bytes = proof.into_bytes();
        let at = index.index(bytes.len());
        prop_assume!(bytes[at] != byte);
        bytes[at] = byte;
        // The signature covers the text as sent, and base64url is decoded
        // strictly (no stray low bits): every change shows.
        prop_assert!(verify(&bytes).is_err());
    }

    /// Claims of any string content come back as sent.
    #[test]
    fn claims_survive_the_round_trip(htu in "\\PC{0,80}", jti in "\\PC{1,64}", iat in any::<i64>()) {
        static CLIENT: std::sync::LazyLock<DpopClient> =
            std::sync::LazyLock::new(|| DpopClient::new(ProofAlgorithm::Ed25519));
        let mut claims = CLIENT.claims("PATCH", &htu, iat, None);
        claims.insert("jti".into(), jti.clone().into());
        let proof = verify(CLIENT.sign(&CLIENT.header(), &claims).as_bytes()).unwrap();
        prop_assert_eq!(proof.htu, htu);
        prop_assert_eq!(proof.jti, jti);
        prop_assert_eq!(proof.iat, iat);
    }
}
