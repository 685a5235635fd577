//! Rotation with nothing refused, secrets replaced, instances sharing keys.

use std::time::Duration;

use super::*;
use support::{on_both_engines, spawn_app_with, spawn_instance, Engine, TempDir};
use tessera::keys::KeyState;

/// `keys rotate` under load: a new key is published at once, signs after the
/// publication delay, and nothing signed by the old one is refused.
async fn rotation_refuses_nothing(engine: Engine) {
    let app = app_signing_with(engine, "ES256").await;
    let (old_access, old_refresh) = app.tokens("alice", "correct horse").await;
    let first_kid = kid(&old_access);

    let load = {
        let (addr, access) = (app.addr, old_access.clone());
        tokio::spawn(async move {
            let mut refused = 0;
            for _ in 0..300 {
                let reply = support::http::send(
                    addr,
                    &support::http::request(
                        "GET",
                        "/hello/",
                        &[("Authorization", &format!("Bearer {access}"))],
                        b"",
                    ),
                )
                .await;
                refused += usize::from(reply.status != 200);
            }
            refused
        })
    };
    let added = app
        .tessera
        .keys
        .rotate(None)
        .await
        .unwrap()
        .expect("a key was added");
    assert_eq!(added.algorithm, "ES256");
    let (set, _) = jwks(&app).await;
    assert_eq!(published_kids(&set), [first_kid.clone(), added.kid.clone()]);

    // Pending: published, not signing yet.
    let (pending_access, _) = app.tokens("alice", "correct horse").await;
    assert_eq!(kid(&pending_access), first_kid);
    let mut refresh = old_refresh;
    let mut seen_new_kid = false;
    for _ in 0..12 {
        app.advance(1);
        let reply = app.refresh(&refresh).await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        let body = reply.json();
        refresh = support::str_field(&body, "refresh");
        let access = support::str_field(&body, "access");
        assert_eq!(app.hello(&access).await.status, 200);
        seen_new_kid |= kid(&access) == added.kid;
    }
    assert!(seen_new_kid, "after the delay the new key signs");
    assert_eq!(kid(&refresh), added.kid);
    assert_eq!(
        load.await.unwrap(),
        0,
        "no request refused during the rotation"
    );
    assert_eq!(
        app.hello(&old_access).await.status,
        200,
        "old tokens keep working"
    );

    let states: Vec<(String, KeyState)> = app
        .tessera
        .keys
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|key| (key.kid, key.state))
        .collect();
    assert_eq!(
        states,
        [
            (first_kid.clone(), KeyState::Retiring),
            (added.kid.clone(), KeyState::Current)
        ]
    );
    // Once every token the old key signed has expired, it leaves the set.
    let policy = app.tessera.policy();
    app.advance((policy.refresh_lifetime + 61) as u64);
    let (set, _) = jwks(&app).await;
    assert_eq!(published_kids(&set), [added.kid]);
}

/// A server started with another algorithm on a database in use rotates to
/// a key of that algorithm: everyone logged in stays logged in.
async fn changing_the_algorithm_is_a_rotation(engine: Engine) {
    let hs = app_signing_with(engine, "HS256").await;
    let (hs_access, hs_refresh) = hs.tokens("alice", "correct horse").await;
    let mut settings = hs.settings.clone();
    settings.algorithm = algorithm("EdDSA");
    let ed = spawn_instance(&hs.database_url, &settings, TempDir::new()).await;

    assert_eq!(ed.hello(&hs_access).await.status, 200);
    let (set, _) = jwks(&ed).await;
    let new_kid = published_kids(&set)
        .pop()
        .expect("the new key is published");
    // The HMAC key signs until the new one's publication delay is over.
    let (access, _) = ed.tokens("alice", "correct horse").await;
    assert_eq!(header(&access)["alg"], "HS256");
    ed.advance(11);
    let reply = ed.refresh(&hs_refresh).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let ed_access = support::str_field(&reply.json(), "access");
    assert_eq!(header(&ed_access)["alg"], "EdDSA");
    assert_eq!(kid(&ed_access), new_kid);
    // The first instance picks the key up and verifies its tokens.
    hs.tessera.upkeep.sync().await.unwrap();
    hs.advance(11);
    assert_eq!(hs.hello(&ed_access).await.status, 200);
    assert_eq!(ed.hello(&hs_access).await.status, 200);
}

/// simplejwt #608: a new secret signs, previous ones still verify.
async fn a_new_secret_signs_and_previous_secrets_verify(engine: Engine) {
    let first = app_signing_with(engine, "HS256").await;
    let (old_access, old_refresh) = first.tokens("alice", "correct horse").await;
    let old_secret = first.settings.secret_key.clone().unwrap();
    let mut settings = first.settings.clone();
    settings.secret_key = Some("a-brand-new-secret-key-of-enough-length-0123456789".into());
    settings.previous_secret_keys = vec![old_secret.clone()];
    let second = spawn_instance(&first.database_url, &settings, TempDir::new()).await;

    assert_eq!(second.hello(&old_access).await.status, 200);
    let reply = second.refresh(&old_refresh).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let new_access = support::str_field(&reply.json(), "access");
    assert_eq!(
        header(&new_access),
        serde_json::json!({"alg": "HS256", "typ": "JWT"})
    );
    assert_eq!(second.hello(&new_access).await.status, 200);
    // The old secret no longer signs: the first instance cannot verify it.
    assert_eq!(first.hello(&new_access).await.status, 401);
    // A token minted elsewhere with the old secret, simplejwt's way, verifies.
    let forged = support::forge(
        r#"{"alg":"HS256","typ":"JWT"}"#,
        &support::payload(&old_access).to_string(),
        old_secret.as_bytes(),
    );
    assert_eq!(second.verify(&forged).await.status, 200);
}

/// The private keys in the database are sealed under the secret: a server
/// with another secret (a stolen copy of the database) signs nothing with
/// them, and trusts nothing they signed: it makes a key of its own.
async fn a_database_without_its_secret_signs_nothing(engine: Engine) {
    let first = app_signing_with(engine, "ES256").await;
    let (access, _) = first.tokens("alice", "correct horse").await;
    let mut settings = first.settings.clone();
    settings.secret_key = Some("another-secret-that-is-long-enough-0123456789abc".into());
    let other = spawn_instance(&first.database_url, &settings, TempDir::new()).await;
    let keys = other.tessera.keys.list().await.unwrap();
    assert_eq!(keys.len(), 2, "the unopenable key was replaced");
    other.advance(11);
    let (new_access, _) = other.tokens("alice", "correct horse").await;
    assert_ne!(kid(&new_access), kid(&access));
    assert_eq!(other.hello(&access).await.status, 401);
    assert_eq!(other.hello(&new_access).await.status, 200);

    let store = first.tessera.store();
    let rows = store.signing_keys().await.unwrap();
    let sealed = rows[0].sealed_private_key.as_ref().unwrap();
    let public = rows[0].public_jwk.as_ref().unwrap();
    assert!(
        !public.contains("\"d\""),
        "no private member in the stored JWK"
    );
    assert!(sealed.len() > 32);
}

/// Someone who can write the key table but holds no secret adds a public
/// key of their own: the row does not open with this server's secret, so
/// the key verifies nothing, and their tokens are refused.
async fn a_key_row_written_without_the_secret_verifies_nothing(engine: Engine) {
    let victim = app_signing_with(engine, "ES256").await;
    let intruder = app_signing_with(engine, "ES256").await;
    let (forged, _) = intruder.tokens("alice", "correct horse").await;
    let (own, _) = victim.tokens("alice", "correct horse").await;
    let mut planted = intruder.tessera.store().signing_keys().await.unwrap()[0].clone();
    planted.generation = 0;
    planted.signs_from = 0;
    planted.created_at = 0;
    assert!(victim
        .tessera
        .store()
        .add_signing_key(&planted, &[])
        .await
        .unwrap());

    let restarted = spawn_instance(&victim.database_url, &victim.settings, TempDir::new()).await;
    assert_eq!(restarted.verify(&forged).await.status, 401);
    assert_eq!(restarted.hello(&forged).await.status, 401);
    assert!(!published_kids(&jwks(&restarted).await.0).contains(&planted.kid));
    // The server's own key is untouched.
    assert_eq!(restarted.hello(&own).await.status, 200);
}

/// Two instances on one database: a rotation on one reaches the other's
/// JWK set and verification with its next sync.
async fn instances_share_rotations(engine: Engine) {
    let a = app_signing_with(engine, "ES256").await;
    let b = spawn_instance(&a.database_url, &a.settings, TempDir::new()).await;
    let (a_access, _) = a.tokens("alice", "correct horse").await;
    assert_eq!(b.hello(&a_access).await.status, 200);
    assert_eq!(jwks(&a).await.0, jwks(&b).await.0, "one key, shared");

    let added = a.tessera.keys.rotate(None).await.unwrap().unwrap();
    b.tessera.upkeep.sync().await.unwrap();
    assert!(published_kids(&jwks(&b).await.0).contains(&added.kid));
    a.advance(11);
    b.advance(11);
    let (new_access, _) = a.tokens("alice", "correct horse").await;
    assert_eq!(kid(&new_access), added.kid);
    assert_eq!(b.hello(&new_access).await.status, 200);
    let (b_access, _) = b.tokens("alice", "correct horse").await;
    assert_eq!(kid(&b_access), added.kid, "b signs with the new key too");
}

/// `--key-rotation-interval`: the instance that finds a rotation due adds
/// the key; two instances finding it due at once add one.
async fn automatic_rotation_adds_one_key(engine: Engine) {
    let a = spawn_app_with(engine, |settings| {
        settings.algorithm = algorithm("ES256");
        settings.key_rotation_interval = Some(Duration::from_secs(3600));
    })
    .await;
    let b = spawn_instance(&a.database_url, &a.settings, TempDir::new()).await;
    a.tessera.upkeep.sync().await.unwrap();
    assert_eq!(a.tessera.keys.list().await.unwrap().len(), 1);
    a.advance(3600);
    b.advance(3600);
    let (left, right) = tokio::join!(a.tessera.upkeep.sync(), b.tessera.upkeep.sync());
    left.unwrap();
    right.unwrap();
    a.tessera.upkeep.sync().await.unwrap();
    let keys = a.tessera.keys.list().await.unwrap();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert_eq!(keys[1].state, KeyState::Pending);
}

on_both_engines!(
    rotation_refuses_nothing,
    changing_the_algorithm_is_a_rotation,
    a_new_secret_signs_and_previous_secrets_verify,
    a_database_without_its_secret_signs_nothing,
    a_key_row_written_without_the_secret_verifies_nothing,
    instances_share_rotations,
    automatic_rotation_adds_one_key,
);

/// A database from before keys were stored (no key rows, users logged in
/// with the secret) started with an asymmetric algorithm: the secret's
/// tokens keep working until they expire.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrading_to_an_asymmetric_algorithm_keeps_everyone_logged_in() {
    let before = app_signing_with(Engine::Sqlite, "HS256").await;
    let (access, refresh) = before.tokens("alice", "correct horse").await;
    let url = before.database_url.replace("sqlite://", "sqlite:");
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query("DELETE FROM signing_keys")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let mut settings = before.settings.clone();
    settings.algorithm = algorithm("ES256");
    let after = spawn_instance(&before.database_url, &settings, TempDir::new()).await;
    assert_eq!(after.hello(&access).await.status, 200);
    let keys = after.tessera.keys.list().await.unwrap();
    let algorithms: Vec<&str> = keys.iter().map(|key| key.algorithm.as_str()).collect();
    assert_eq!(algorithms, ["HS256", "ES256"]);
    after.advance(11);
    let reply = after.refresh(&refresh).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        header(&support::str_field(&reply.json(), "access"))["alg"],
        "ES256"
    );
}

/// The docs' order: `tessera user add`, then the first start with an
/// asymmetric algorithm. Nobody can hold a token yet, so the first tokens
/// are signed with the configured algorithm, not the secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_start_after_user_add_signs_with_the_configured_algorithm() {
    let cli = spawn_app_with(Engine::Sqlite, |settings| {
        settings.adopt_signing_key = false
    })
    .await;
    cli.add_user("alice", "correct horse").await;
    let mut settings = cli.settings.clone();
    settings.adopt_signing_key = true;
    settings.algorithm = algorithm("ES256");
    let server = spawn_instance(&cli.database_url, &settings, TempDir::new()).await;
    let (access, _) = server.tokens("alice", "correct horse").await;
    assert_eq!(header(&access)["alg"], "ES256");
    let keys = server.tessera.keys.list().await.unwrap();
    let algorithms: Vec<&str> = keys.iter().map(|key| key.algorithm.as_str()).collect();
    assert_eq!(algorithms, ["ES256"]);
}
