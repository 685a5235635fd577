//! Every algorithm, checked by a verifier that is not ours; algorithm
//! confusion; HMAC secrets of the right length.

use super::*;
use support::{access_refused, spawn_app_with, Engine, TempDir};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hs256_keeps_simplejwts_header_and_publishes_no_key() {
    let app = app_signing_with(Engine::Sqlite, "HS256").await;
    let (access, refresh) = app.tokens("alice", "correct horse").await;
    for token in [&access, &refresh] {
        assert_eq!(
            token.split('.').next().unwrap(),
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
            "{{\"alg\":\"HS256\",\"typ\":\"JWT\"}} byte for byte"
        );
    }
    let (set, _) = jwks(&app).await;
    assert_eq!(set, serde_json::json!({ "keys": [] }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_asymmetric_algorithm_is_verified_by_jose_from_the_jwks_alone() {
    for alg in ASYMMETRIC {
        let app = app_signing_with(Engine::Sqlite, alg).await;
        let (access, refresh) = app.tokens("alice", "correct horse").await;
        let header = header(&access);
        assert_eq!(header["alg"], alg);
        assert_eq!(header["typ"], "JWT");
        let (set, cache) = jwks(&app).await;
        assert_eq!(published_kids(&set), [kid(&access)], "{alg}");
        let key = &set["keys"][0];
        assert_eq!((&key["use"], &key["alg"]), (&"sig".into(), &alg.into()));
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(key.get(private).is_none(), "{alg} publishes {private}");
        }
        assert_eq!(cache.as_deref(), Some("public, max-age=7"));

        assert_eq!(app.hello(&access).await.status, 200, "{alg}");
        let rotated = app.refresh(&refresh).await;
        assert_eq!(rotated.status, 200, "{alg}: {}", rotated.text());

        // Change the signature's first character: it carries six bits of
        // the first byte (the last one may carry only padding bits).
        let (signed, signature) = access.rsplit_once('.').unwrap();
        let flipped = if signature.starts_with('A') { 'B' } else { 'A' };
        let tampered = format!("{signed}.{flipped}{}", &signature[1..]);
        let verdicts = jose_verify(&app, alg, &[&access, &refresh, &tampered]).await;
        assert_eq!(verdicts.len(), 3, "{verdicts:?}");
        for verdict in &verdicts[..2] {
            let (outcome, json) = verdict.split_once(' ').unwrap();
            assert_eq!(outcome, "ok", "{alg}: {verdict}");
            let verified: Value = serde_json::from_str(json).unwrap();
            assert_eq!(verified["payload"]["user_id"], "1", "{alg}");
            assert_eq!(verified["header"]["kid"], kid(&access).as_str());
        }
        assert!(verdicts[2].starts_with("refused"), "{alg}: {}", verdicts[2]);
    }
}

/// A token whose header names another algorithm than its key's is invalid,
/// whatever it is signed with; so is a `kid` no key has.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn algorithm_confusion_and_unknown_key_ids_are_refused() {
    for alg in ["RS256", "ES256", "EdDSA"] {
        let app = app_signing_with(Engine::Sqlite, alg).await;
        let (access, _) = app.tokens("alice", "correct horse").await;
        let payload = access.split('.').nth(1).unwrap();
        let (set, _) = jwks(&app).await;
        let public = set["keys"][0].clone();
        let kid = kid(&access);

        let mut forged = Vec::new();
        // The classic: HS256 "signed" with the public key as the HMAC secret.
        for secret in [
            public.to_string(),
            public["x"].as_str().unwrap_or_default().to_owned(),
            public["n"].as_str().unwrap_or_default().to_owned(),
        ] {
            if secret.is_empty() {
                continue;
            }
            for header in [
                format!(r#"{{"alg":"HS256","kid":"{kid}","typ":"JWT"}}"#),
                r#"{"alg":"HS256","typ":"JWT"}"#.to_owned(),
            ] {
                forged.push(support::forge(
                    &header,
                    &String::from_utf8(
                        base64::engine::general_purpose::URL_SAFE_NO_PAD
                            .decode(payload)
                            .unwrap(),
                    )
                    .unwrap(),
                    secret.as_bytes(),
                ));
            }
        }
        // The right signature under another header: another alg, another kid, none.
        let (_, rest) = access.split_once('.').unwrap();
        let b64 = |text: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text);
        let other_alg = if alg == "ES256" { "ES384" } else { "ES256" };
        for header in [
            format!(r#"{{"alg":"{other_alg}","kid":"{kid}","typ":"JWT"}}"#),
            format!(r#"{{"alg":"{alg}","kid":"unknown","typ":"JWT"}}"#),
            format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#),
            format!(r#"{{"alg":"none","kid":"{kid}","typ":"JWT"}}"#),
        ] {
            forged.push(format!("{}.{rest}", b64(&header)));
        }
        forged.push(format!(
            "{}.{payload}.",
            b64(&format!(r#"{{"alg":"none","kid":"{kid}"}}"#))
        ));
        for token in &forged {
            let reply = app.hello(token).await;
            assert_eq!(reply.status, 401, "{alg}: {}", header(token));
            assert_eq!(reply.text(), access_refused("Token is invalid"));
            assert_eq!(app.verify(token).await.status, 401);
        }
        assert_eq!(app.hello(&access).await.status, 200);
    }
}

/// HS384 and HS512 sign with the secret too, and refuse one shorter than
/// their hash (RFC 8725 §3.5).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn longer_hmac_algorithms_need_longer_secrets() {
    let dir = TempDir::new();
    let store = tessera::Store::open(&format!("sqlite://{}/t.db", dir.0.display()))
        .await
        .unwrap();
    let settings = tessera::Settings {
        secret_key: Some(support::SECRET.to_owned()),
        algorithm: algorithm("HS512"),
        ..tessera::Settings::default()
    };
    let refused = tessera::Tessera::start(&settings, store).await.unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("HS512 needs a secret key of at least 64 bytes"),
        "{refused}"
    );

    for alg in ["HS384", "HS512"] {
        let app = spawn_app_with(Engine::Sqlite, |settings| {
            settings.secret_key = Some("k".repeat(64));
            settings.algorithm = algorithm(alg);
        })
        .await;
        app.add_user("alice", "correct horse").await;
        let (access, _) = app.tokens("alice", "correct horse").await;
        assert_eq!(
            header(&access),
            serde_json::json!({"alg": alg, "typ": "JWT"})
        );
        assert_eq!(app.hello(&access).await.status, 200);
        assert_eq!(jwks(&app).await.0, serde_json::json!({ "keys": [] }));
    }
}

/// An ES256 token is checked with ring's P-256 (not jsonwebtoken's): the
/// same refusals as every other path — a signature off by one bit, padded,
/// or moved onto other claims; a token of four parts; a signature of
/// another P-256 key under this key's `kid`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn es256_tokens_are_refused_for_any_change() {
    let app = app_signing_with(Engine::Sqlite, "ES256").await;
    let (access, refresh) = app.tokens("alice", "correct horse").await;
    let (message, signature) = access.rsplit_once('.').unwrap();
    let (header_part, payload) = message.split_once('.').unwrap();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut flipped = b64.decode(signature).unwrap();
    flipped[10] ^= 1;
    let claims = String::from_utf8(b64.decode(payload).unwrap()).unwrap();
    let other_claims = b64.encode(claims.replace("\"access\"", "\"refresh\""));
    // Another P-256 key's signature of the same header and claims.
    let stranger = p256::ecdsa::SigningKey::from_slice(&[7; 32]).unwrap();
    let strangers: p256::ecdsa::Signature =
        p256::ecdsa::signature::Signer::sign(&stranger, message.as_bytes());
    for token in [
        format!("{message}.{}", b64.encode(&flipped)),
        format!("{access}="),
        format!("{header_part}.{other_claims}.{signature}"),
        format!("{header_part}.{payload}.{payload}.{signature}"),
        format!("{message}.{}", b64.encode(strangers.to_bytes())),
        format!("{message}."),
    ] {
        let reply = app.hello(&token).await;
        assert_eq!(reply.status, 401, "{token}");
        assert_eq!(reply.text(), access_refused("Token is invalid"));
        assert_eq!(app.verify(&token).await.status, 401, "{token}");
    }
    assert_eq!(app.hello(&access).await.status, 200);
    assert_eq!(app.refresh(&refresh).await.status, 200);
}
