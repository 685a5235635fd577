//! DPoP (RFC 9449) over HTTP, with a client of our own in software
//! (`tessera::testing::DpopClient`): a proof at login binds both tokens;
//! a bound token works only with fresh proofs of its key; a refresh token
//! copied without the key ends its session; every malformed, stale,
//! misdirected or replayed proof is refused and changes nothing; server
//! nonces; a refused token challenged in the scheme it came in; `off` and
//! `required`; a proof replayed on a second instance on
//! one PostgreSQL database; the UI's server functions.

use serde_json::{json, Value};
use tessera::testing::{DpopClient, ProofAlgorithm};
use tessera::DpopMode;

use crate::support::http::request;
use crate::support::{
    eventually, on_both_engines, payload, spawn_app_with, spawn_instance, str_field, Engine, Reply,
    TempDir, TestApp,
};

const PASSWORD: &str = "correct horse battery";
/// What the test requests' `Host: 127.0.0.1` makes of a path, without a
/// configured public URL.
const ORIGIN: &str = "http://127.0.0.1";
const ALGS: &str = r#"algs="ES256 EdDSA Ed25519""#;

fn relaxed(settings: &mut tessera::Settings) {
    settings.throttle.free_failures = 1_000;
    settings.throttle.address_failures = 1_000;
}

async fn post(app: &TestApp, path: &str, headers: &[(&str, &str)], body: Value) -> Reply {
    let mut all = vec![("Content-Type", "application/json")];
    all.extend_from_slice(headers);
    app.send(request("POST", path, &all, body.to_string().as_bytes()))
        .await
}

/// A proof for `method` on `path` at the server's present.
fn proof(app: &TestApp, client: &DpopClient, method: &str, path: &str) -> String {
    client.proof(method, &format!("{ORIGIN}{path}"), app.now(), None)
}

async fn login(app: &TestApp, client: Option<&DpopClient>) -> Reply {
    let proof = client.map(|client| proof(app, client, "POST", "/api/token/"));
    let proofs: Vec<&str> = proof.iter().map(String::as_str).collect();
    login_with(app, &proofs).await
}

/// Ada's login with `proofs` as its `DPoP` headers.
async fn login_with(app: &TestApp, proofs: &[&str]) -> Reply {
    let headers: Vec<(&str, &str)> = proofs.iter().map(|proof| ("DPoP", *proof)).collect();
    post(
        app,
        "/api/token/",
        &headers,
        json!({"username": "ada", "password": PASSWORD}),
    )
    .await
}

/// `(access, refresh)` of a login with a proof of `client`'s key.
async fn bound_login(app: &TestApp, client: &DpopClient) -> (String, String) {
    let reply = login(app, Some(client)).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["token_type"], "DPoP");
    (str_field(&body, "access"), str_field(&body, "refresh"))
}

/// `GET /hello/` as `Authorization: DPoP <access>` with a proof of `client`.
async fn hello_bound(app: &TestApp, access: &str, client: &DpopClient) -> Reply {
    let proof = client.proof("GET", &format!("{ORIGIN}/hello/"), app.now(), Some(access));
    hello_with(app, &format!("DPoP {access}"), Some(&proof)).await
}

async fn hello_with(app: &TestApp, authorization: &str, proof: Option<&str>) -> Reply {
    let mut headers = vec![("Authorization", authorization)];
    if let Some(proof) = proof {
        headers.push(("DPoP", proof));
    }
    app.get("/hello/", &headers).await
}

async fn refresh_with(app: &TestApp, refresh: &str, client: Option<&DpopClient>) -> Reply {
    let proof = client.map(|client| proof(app, client, "POST", "/api/token/refresh/"));
    let headers: Vec<(&str, &str)> = proof.iter().map(|p| ("DPoP", p.as_str())).collect();
    post(
        app,
        "/api/token/refresh/",
        &headers,
        json!({ "refresh": refresh }),
    )
    .await
}

/// Logout (`blacklist/`) of a bound refresh token, with a proof of its key.
async fn logout_bound(app: &TestApp, refresh: &str, client: &DpopClient) -> Reply {
    let proof = proof(app, client, "POST", "/api/token/blacklist/");
    post(
        app,
        "/api/token/blacklist/",
        &[("DPoP", &proof)],
        json!({ "refresh": refresh }),
    )
    .await
}

fn assert_challenge(reply: &Reply, error: &str) {
    assert_eq!(reply.status, 401, "{}", reply.text());
    let challenge = reply.header("www-authenticate").unwrap_or_default();
    assert!(
        challenge.starts_with(&format!(r#"DPoP error="{error}""#)) && challenge.ends_with(ALGS),
        "{challenge}"
    );
}

async fn a_proof_at_login_binds_both_tokens_to_the_key(engine: Engine) {
    let app = spawn_app_with(engine, relaxed).await;
    app.add_user("ada", PASSWORD).await;
    for alg in [
        ProofAlgorithm::Es256,
        ProofAlgorithm::EdDsa,
        ProofAlgorithm::Ed25519,
    ] {
        let client = DpopClient::new(alg);
        let (access, refresh) = bound_login(&app, &client).await;
        for token in [&access, &refresh] {
            assert_eq!(
                payload(token)["cnf"],
                json!({"jkt": client.thumbprint()}),
                "{alg:?}"
            );
        }
        let hello = hello_bound(&app, &access, &client).await;
        assert_eq!(hello.status, 200, "{alg:?}: {}", hello.text());
        assert_eq!(hello.json(), json!({"message": "Hello, World!"}));
    }
}

async fn without_a_proof_everything_is_as_before(engine: Engine) {
    let app = spawn_app_with(engine, relaxed).await;
    app.add_user("ada", PASSWORD).await;
    let reply = login(&app, None).await;
    assert_eq!(reply.status, 200);
    let body = reply.json();
    let expected = format!(
        r#"{{"refresh":"{}","access":"{}"}}"#,
        str_field(&body, "refresh"),
        str_field(&body, "access")
    );
    assert_eq!(reply.text(), expected, "simplejwt's body exactly");
    let access = str_field(&body, "access");
    assert!(payload(&access).get("cnf").is_none());
    assert_eq!(app.hello(&access).await.status, 200);
    let refreshed = app.refresh(&str_field(&body, "refresh")).await;
    assert_eq!(refreshed.status, 200);
    assert!(refreshed.json().get("token_type").is_none());
    // An unbound token sent under the DPoP scheme with a good proof works.
    let client = DpopClient::new(ProofAlgorithm::Es256);
    assert_eq!(hello_bound(&app, &access, &client).await.status, 200);
}

async fn a_bound_access_token_needs_a_fresh_proof_of_its_key(engine: Engine) {
    let app = spawn_app_with(engine, relaxed).await;
    app.add_user("ada", PASSWORD).await;
    let client = DpopClient::new(ProofAlgorithm::Es256);
    let (access, _) = bound_login(&app, &client).await;

    // Copied out of the browser and sent as a bearer token.
    let bearer = app.hello(&access).await;
    assert_challenge(&bearer, "invalid_token");
    assert_eq!(bearer.json()["code"], "token_not_valid");
    assert_eq!(bearer.json()["messages"][0]["message"], "Token is invalid");
    // Under its own scheme, but with no proof, or a fresh key's.
    let bare = hello_with(&app, &format!("DPoP {access}"), None).await;
    assert_challenge(&bare, "invalid_dpop_proof");
    assert_eq!(bare.json()["code"], "invalid_dpop_proof");
    let thief = DpopClient::new(ProofAlgorithm::Es256);
    assert_challenge(&hello_bound(&app, &access, &thief).await, "invalid_token");
    // A proof for another token (its `ath`), or without `ath`.
    let other = client.proof("GET", &format!("{ORIGIN}/hello/"), app.now(), Some("x"));
    let refused = hello_with(&app, &format!("DPoP {access}"), Some(&other)).await;
    assert_challenge(&refused, "invalid_dpop_proof");
    let no_ath = client.proof("GET", &format!("{ORIGIN}/hello/"), app.now(), None);
    let refused = hello_with(&app, &format!("DPoP {access}"), Some(&no_ath)).await;
    assert_challenge(&refused, "invalid_dpop_proof");
    // The same proof twice: the second is a replay.
    let once = client.proof("GET", &format!("{ORIGIN}/hello/"), app.now(), Some(&access));
    assert_eq!(
        hello_with(&app, &format!("DPoP {access}"), Some(&once))
            .await
            .status,
        200
    );
    let again = hello_with(&app, &format!("DPoP {access}"), Some(&once)).await;
    assert_challenge(&again, "invalid_dpop_proof");
    assert!(again.text().contains("used before"), "{}", again.text());
    // The scheme is case-insensitive (RFC 9110 §11.1).
    let fresh = client.proof("GET", &format!("{ORIGIN}/hello/"), app.now(), Some(&access));
    let lower = hello_with(&app, &format!("dpop {access}"), Some(&fresh)).await;
    assert_eq!(lower.status, 200, "{}", lower.text());

    // verify/ says a bound token is valid only with a proof of its key.
    let verify = |proof: Option<String>| {
        let app = &app;
        let access = access.clone();
        async move {
            let headers: Vec<(&str, &str)> = proof.iter().map(|p| ("DPoP", p.as_str())).collect();
            post(
                app,
                "/api/token/verify/",
                &headers,
                json!({ "token": access }),
            )
            .await
        }
    };
    let unproven = verify(None).await;
    assert_eq!(unproven.status, 401);
    assert_eq!(
        unproven.json(),
        json!({"detail": "Token is invalid", "code": "token_not_valid"})
    );
    let proven = verify(Some(proof(&app, &client, "POST", "/api/token/verify/"))).await;
    assert_eq!(proven.status, 200, "{}", proven.text());
}

async fn a_refresh_token_stays_bound_and_dies_with_its_session_when_copied(engine: Engine) {
    let app = spawn_app_with(engine, relaxed).await;
    app.add_user("ada", PASSWORD).await;
    let client = DpopClient::new(ProofAlgorithm::EdDsa);
    let (_, refresh) = bound_login(&app, &client).await;

    let rotated = refresh_with(&app, &refresh, Some(&client)).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text());
    let body = rotated.json();
    assert_eq!(body["token_type"], "DPoP");
    let (access, refresh) = (str_field(&body, "access"), str_field(&body, "refresh"));
    for token in [&access, &refresh] {
        assert_eq!(payload(token)["cnf"]["jkt"], client.thumbprint());
    }
    assert_eq!(hello_bound(&app, &access, &client).await.status, 200);

    // The thief refreshes first, with a key of their own: the whole
    // session ends, for the thief and for the owner.
    let thief = DpopClient::new(ProofAlgorithm::Es256);
    let stolen = refresh_with(&app, &refresh, Some(&thief)).await;
    assert_challenge(&stolen, "invalid_token");
    assert_eq!(
        stolen.json(),
        json!({"detail": "Token is invalid", "code": "token_not_valid"})
    );
    let owner = refresh_with(&app, &refresh, Some(&client)).await;
    assert_eq!(owner.status, 401);
    assert_eq!(owner.json()["detail"], "Token is blacklisted");
    assert_eq!(hello_bound(&app, &access, &client).await.status, 401);
    let events = app
        .tessera
        .audit
        .events(&tessera::AuditQuery {
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(events.iter().any(|event| event.kind == "refresh_reuse"
        && event.detail.as_deref() == Some("used without its DPoP key")));

    // Without any proof, and at the logout endpoint: the same.
    let (_, refresh) = bound_login(&app, &client).await;
    let copied = refresh_with(&app, &refresh, None).await;
    assert_challenge(&copied, "invalid_token");
    assert_eq!(
        refresh_with(&app, &refresh, Some(&client)).await.status,
        401
    );
    let (_, refresh) = bound_login(&app, &client).await;
    let logout = logout_bound(&app, &refresh, &client).await;
    assert_eq!(logout.status, 200, "{}", logout.text());
}

/// Each flawed proof at login: 400 `invalid_dpop_proof` in RFC 9449's
/// words, and no session started.
async fn every_flawed_proof_is_refused_and_changes_nothing(engine: Engine) {
    let app = spawn_app_with(engine, relaxed).await;
    app.add_user("ada", PASSWORD).await;
    let client = DpopClient::new(ProofAlgorithm::Es256);
    let url = format!("{ORIGIN}/api/token/");
    let now = app.now();
    let with = |edit_header: &dyn Fn(&mut tessera::testing::ProofClaims),
                edit_claims: &dyn Fn(&mut tessera::testing::ProofClaims)| {
        let mut header = client.header();
        let mut claims = client.claims("POST", &url, now, None);
        edit_header(&mut header);
        edit_claims(&mut claims);
        client.sign(&header, &claims)
    };
    let keep = |_: &mut tessera::testing::ProofClaims| {};
    let reused = client.proof("POST", &url, now, None);
    let first = login_with(&app, &[&reused]).await;
    assert_eq!(first.status, 200);
    let sessions_before = app
        .tessera
        .store()
        .count_live_sessions(app.now())
        .await
        .unwrap();

    let cases: Vec<(&str, String)> = vec![
        ("not a JWS", "not-a-proof".to_owned()),
        ("huge", format!("{}.e30.x", "a".repeat(8_000))),
        (
            "alg none",
            with(&|h| drop(h.insert("alg".into(), "none".into())), &keep),
        ),
        (
            "HS256",
            with(&|h| drop(h.insert("alg".into(), "HS256".into())), &keep),
        ),
        (
            "typ JWT",
            with(&|h| drop(h.insert("typ".into(), "JWT".into())), &keep),
        ),
        (
            "a private key",
            with(&|h| h["jwk"]["d"] = "AAAA".into(), &keep),
        ),
        (
            "another URL",
            with(&keep, &|c| {
                drop(c.insert("htu".into(), format!("{ORIGIN}/hello/").into()))
            }),
        ),
        (
            "another host",
            with(&keep, &|c| {
                drop(c.insert("htu".into(), "http://evil.test/api/token/".into()))
            }),
        ),
        (
            "another method",
            with(&keep, &|c| drop(c.insert("htm".into(), "GET".into()))),
        ),
        (
            "an hour old",
            with(&keep, &|c| {
                drop(c.insert("iat".into(), (now - 3600).into()))
            }),
        ),
        (
            "an hour ahead",
            with(&keep, &|c| {
                drop(c.insert("iat".into(), (now + 3600).into()))
            }),
        ),
        ("no jti", with(&keep, &|c| drop(c.remove("jti")))),
        ("reused", reused),
    ];
    for (case, proof) in cases {
        let reply = login_with(&app, &[&proof]).await;
        assert_eq!(reply.status, 400, "{case}: {}", reply.text());
        let body = reply.json();
        assert_eq!(body["error"], "invalid_dpop_proof", "{case}");
        assert!(
            body["error_description"]
                .as_str()
                .is_some_and(|words| words.starts_with("Invalid DPoP proof: ")),
            "{case}: {body}"
        );
    }
    // Two proofs in one request.
    let (one, two) = (
        client.proof("POST", &url, now, None),
        client.proof("POST", &url, now, None),
    );
    let twice = login_with(&app, &[&one, &two]).await;
    assert_eq!(twice.status, 400, "{}", twice.text());
    assert_eq!(
        app.tessera
            .store()
            .count_live_sessions(app.now())
            .await
            .unwrap(),
        sessions_before,
        "no refused proof started a session"
    );
    // Within the window each way, a proof is fine.
    let early = client.proof("POST", &url, now + 59, None);
    let late = client.proof("POST", &url, now - 59, None);
    for proof in [early, late] {
        let reply = login_with(&app, &[&proof]).await;
        assert_eq!(reply.status, 200, "{}", reply.text());
    }
}

async fn server_nonces_are_asked_for_and_accepted(engine: Engine) {
    let app = spawn_app_with(engine, |settings| {
        relaxed(settings);
        settings.dpop.nonce = true;
    })
    .await;
    app.add_user("ada", PASSWORD).await;
    let client = DpopClient::new(ProofAlgorithm::Es256);
    let url = format!("{ORIGIN}/api/token/");
    let asked = login(&app, Some(&client)).await;
    assert_eq!(asked.status, 400, "{}", asked.text());
    assert_eq!(asked.json()["error"], "use_dpop_nonce");
    assert_eq!(asked.header("cache-control"), Some("no-store"));
    let nonce = asked.header("dpop-nonce").expect("a nonce").to_owned();

    let with_nonce = |url: &str, access: Option<&str>, nonce: &str| {
        let mut claims = client.claims(
            if access.is_some() { "GET" } else { "POST" },
            url,
            app.now(),
            access,
        );
        claims.insert("nonce".into(), nonce.into());
        client.sign(&client.header(), &claims)
    };
    let reply = post(
        &app,
        "/api/token/",
        &[("DPoP", &with_nonce(&url, None, &nonce))],
        json!({"username": "ada", "password": PASSWORD}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(reply.header("dpop-nonce").is_some());
    let access = str_field(&reply.json(), "access");

    // A resource asks the same way, with a 401.
    let hello_url = format!("{ORIGIN}/hello/");
    let bare = client.proof("GET", &hello_url, app.now(), Some(&access));
    let asked = hello_with(&app, &format!("DPoP {access}"), Some(&bare)).await;
    assert_challenge(&asked, "use_dpop_nonce");
    assert_eq!(asked.json()["code"], "use_dpop_nonce");
    let nonce = asked.header("dpop-nonce").unwrap().to_owned();
    let proof = with_nonce(&hello_url, Some(&access), &nonce);
    let hello = hello_with(&app, &format!("DPoP {access}"), Some(&proof)).await;
    assert_eq!(hello.status, 200, "{}", hello.text());

    // A nonce lasts its window and the next; then it is asked for again.
    app.advance(121);
    let stale = with_nonce(&hello_url, Some(&access), &nonce);
    let reply = hello_with(&app, &format!("DPoP {access}"), Some(&stale)).await;
    assert_challenge(&reply, "use_dpop_nonce");
}

async fn off_ignores_proofs_and_required_refuses_bearer_tokens(engine: Engine) {
    let off = spawn_app_with(engine, |settings| {
        relaxed(settings);
        settings.dpop.mode = DpopMode::Off;
    })
    .await;
    off.add_user("ada", PASSWORD).await;
    let client = DpopClient::new(ProofAlgorithm::Es256);
    let reply = login(&off, Some(&client)).await;
    assert_eq!(reply.status, 200);
    assert!(reply.json().get("token_type").is_none());
    let access = str_field(&reply.json(), "access");
    assert!(payload(&access).get("cnf").is_none());
    let dpop = hello_bound(&off, &access, &client).await;
    assert_eq!(dpop.status, 401);
    assert_eq!(
        dpop.json(),
        json!({"detail": "Authentication credentials were not provided."})
    );

    let required = spawn_app_with(engine, |settings| {
        relaxed(settings);
        settings.dpop.mode = DpopMode::Required;
    })
    .await;
    required.add_user("ada", PASSWORD).await;
    let refused = login(&required, None).await;
    assert_eq!(refused.status, 400, "{}", refused.text());
    assert_eq!(refused.json()["error"], "invalid_dpop_proof");
    let (access, refresh) = bound_login(&required, &client).await;
    assert_eq!(hello_bound(&required, &access, &client).await.status, 200);
    assert_eq!(
        refresh_with(&required, &refresh, Some(&client))
            .await
            .status,
        200
    );
}

/// A token presented as `DPoP` and refused for what it is (revoked,
/// expired, not a token) is challenged in the scheme it came in (RFC 9449
/// §7.1), with simplejwt's body as ever; a bearer token's refusal stays
/// `Bearer`.
async fn a_refused_token_is_challenged_in_the_scheme_it_came_in(engine: Engine) {
    let app = spawn_app_with(engine, relaxed).await;
    app.add_user("ada", PASSWORD).await;
    let client = DpopClient::new(ProofAlgorithm::Es256);
    let dpop_refusal =
        |words: &str| format!(r#"DPoP error="invalid_token", error_description="{words}", {ALGS}"#);

    let (revoked, refresh) = bound_login(&app, &client).await;
    let logout = logout_bound(&app, &refresh, &client).await;
    assert_eq!(logout.status, 200, "{}", logout.text());
    let reply = hello_bound(&app, &revoked, &client).await;
    assert_eq!(reply.status, 401, "{}", reply.text());
    assert_eq!(
        reply.header("www-authenticate"),
        Some(dpop_refusal("Token is blacklisted").as_str())
    );
    assert_eq!(reply.json()["code"], "token_not_valid");
    assert_eq!(
        reply.json()["messages"][0]["message"],
        "Token is blacklisted"
    );

    let not_a_token = "not.a.token";
    let garbage = client.proof(
        "GET",
        &format!("{ORIGIN}/hello/"),
        app.now(),
        Some(not_a_token),
    );
    let reply = hello_with(&app, &format!("DPoP {not_a_token}"), Some(&garbage)).await;
    assert_eq!(
        reply.header("www-authenticate"),
        Some(dpop_refusal("Token is invalid").as_str())
    );

    let (bound, _) = bound_login(&app, &client).await;
    let unbound = str_field(&login(&app, None).await.json(), "access");
    app.advance(3_600);
    for access in [&bound, &unbound] {
        let reply = hello_bound(&app, access, &client).await;
        assert_eq!(reply.status, 401, "{}", reply.text());
        assert_eq!(
            reply.header("www-authenticate"),
            Some(dpop_refusal("Token is expired").as_str())
        );
        assert_eq!(reply.json()["messages"][0]["message"], "Token is expired");
    }
    let bearer = app.hello(&unbound).await;
    assert_eq!(bearer.status, 401);
    assert_eq!(
        bearer.header("www-authenticate"),
        Some(r#"Bearer realm="api""#)
    );
    assert_eq!(bearer.json()["messages"][0]["message"], "Token is expired");
}

/// Ten requests with one proof at once (on SQLite, recorded together in
/// one statement): one is served, nine are replays.
async fn a_proof_sent_ten_times_at_once_is_accepted_once(engine: Engine) {
    let app = spawn_app_with(engine, relaxed).await;
    app.add_user("ada", PASSWORD).await;
    let client = DpopClient::new(ProofAlgorithm::Es256);
    let (access, _) = bound_login(&app, &client).await;
    let proof = client.proof("GET", &format!("{ORIGIN}/hello/"), app.now(), Some(&access));
    let authorization = format!("DPoP {access}");
    let replies =
        futures::future::join_all((0..10).map(|_| hello_with(&app, &authorization, Some(&proof))))
            .await;
    let mut statuses: Vec<u16> = replies.iter().map(|reply| reply.status).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 401, 401, 401, 401, 401, 401, 401, 401, 401]);
    // Other proofs at the same moment are each accepted.
    let replies = futures::future::join_all((0..10).map(|_| {
        let proof = client.proof("GET", &format!("{ORIGIN}/hello/"), app.now(), Some(&access));
        let authorization = authorization.clone();
        let app = &app;
        async move { hello_with(app, &authorization, Some(&proof)).await }
    }))
    .await;
    assert!(replies.iter().all(|reply| reply.status == 200));
}

on_both_engines!(
    a_proof_sent_ten_times_at_once_is_accepted_once,
    a_proof_at_login_binds_both_tokens_to_the_key,
    without_a_proof_everything_is_as_before,
    a_bound_access_token_needs_a_fresh_proof_of_its_key,
    a_refresh_token_stays_bound_and_dies_with_its_session_when_copied,
    every_flawed_proof_is_refused_and_changes_nothing,
    server_nonces_are_asked_for_and_accepted,
    off_ignores_proofs_and_required_refuses_bearer_tokens,
    a_refused_token_is_challenged_in_the_scheme_it_came_in,
);

/// SQLite's one server keeps the proofs it accepted in memory and writes
/// them behind: a server started again on the same database reads them
/// back, and refuses a proof its predecessor accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sqlite_server_started_again_remembers_the_proofs_accepted() {
    let first = spawn_app_with(Engine::Sqlite, relaxed).await;
    first.add_user("ada", PASSWORD).await;
    let client = DpopClient::new(ProofAlgorithm::Es256);
    let used = proof(&first, &client, "POST", "/api/token/");
    let body = json!({"username": "ada", "password": PASSWORD});
    let once = post(&first, "/api/token/", &[("DPoP", &used)], body.clone()).await;
    assert_eq!(once.status, 200, "{}", once.text());
    let replayed = post(&first, "/api/token/", &[("DPoP", &used)], body.clone()).await;
    assert_eq!(replayed.status, 400, "{}", replayed.text());

    let database = sqlx::SqlitePool::connect(&first.database_url)
        .await
        .unwrap();
    eventually("the accepted proof is written behind", || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM dpop_proofs")
            .fetch_one(&database)
            .await
            .unwrap()
            == 1
    })
    .await;
    let again = spawn_instance(&first.database_url, &first.settings, TempDir::new()).await;
    let replayed = post(&again, "/api/token/", &[("DPoP", &used)], body.clone()).await;
    assert_eq!(replayed.status, 400, "{}", replayed.text());
    assert!(replayed.text().contains("used before"));
    let fresh = proof(&again, &client, "POST", "/api/token/");
    let accepted = post(&again, "/api/token/", &[("DPoP", &fresh)], body).await;
    assert_eq!(accepted.status, 200, "{}", accepted.text());
}

/// Two instances on one PostgreSQL database: a proof accepted by one is
/// refused by the other; a nonce made by one is accepted by the other; a
/// token bound on one is unbound nowhere, and an unbound one is refused
/// by an instance that requires binding.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn proofs_and_nonces_hold_across_instances() {
    let first = spawn_app_with(Engine::Postgres, relaxed).await;
    let second = spawn_instance(&first.database_url, &first.settings, TempDir::new()).await;
    first.add_user("ada", PASSWORD).await;
    let client = DpopClient::new(ProofAlgorithm::Es256);
    let proof = proof(&first, &client, "POST", "/api/token/");
    let body = json!({"username": "ada", "password": PASSWORD});
    let once = post(&first, "/api/token/", &[("DPoP", &proof)], body.clone()).await;
    assert_eq!(once.status, 200, "{}", once.text());
    let replayed = post(&second, "/api/token/", &[("DPoP", &proof)], body.clone()).await;
    assert_eq!(replayed.status, 400, "{}", replayed.text());
    assert!(replayed.text().contains("used before"));

    let access = str_field(&once.json(), "access");
    assert_challenge(&second.hello(&access).await, "invalid_token");
    assert_eq!(hello_bound(&second, &access, &client).await.status, 200);

    let mut strict = first.settings.clone();
    strict.dpop.mode = DpopMode::Required;
    strict.dpop.nonce = true;
    let third = spawn_instance(&first.database_url, &strict, TempDir::new()).await;
    let (unbound, _) = first.tokens("ada", PASSWORD).await;
    assert_challenge(&third.hello(&unbound).await, "invalid_token");
    // Nonces need no shared state: one instance's is good on another with
    // the same secret.
    let mut nonced = first.settings.clone();
    nonced.dpop.nonce = true;
    let fourth = spawn_instance(&first.database_url, &nonced, TempDir::new()).await;
    let asked = post(
        &third,
        "/api/token/",
        &[("DPoP", &proof_at(&third, &client, None))],
        body.clone(),
    )
    .await;
    let nonce = asked.header("dpop-nonce").expect("a nonce").to_owned();
    let accepted = post(
        &fourth,
        "/api/token/",
        &[("DPoP", &proof_at(&fourth, &client, Some(&nonce)))],
        body,
    )
    .await;
    assert_eq!(accepted.status, 200, "{}", accepted.text());
}

fn proof_at(app: &TestApp, client: &DpopClient, nonce: Option<&str>) -> String {
    let mut claims = client.claims("POST", &format!("{ORIGIN}/api/token/"), app.now(), None);
    if let Some(nonce) = nonce {
        claims.insert("nonce".into(), nonce.into());
    }
    client.sign(&client.header(), &claims)
}

/// Behind a proxy, `htu` is judged against `--public-url`, not the
/// address the request reached.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn htu_follows_the_public_url_when_one_is_set() {
    let app = spawn_app_with(Engine::Sqlite, |settings| {
        relaxed(settings);
        settings.public_url = "https://auth.tessera.test".parse().unwrap();
        settings.dpop.htu_from_public_url = true;
    })
    .await;
    app.add_user("ada", PASSWORD).await;
    let client = DpopClient::new(ProofAlgorithm::Es256);
    let body = json!({"username": "ada", "password": PASSWORD});
    for (htu, status) in [
        ("https://auth.tessera.test/api/token/", 200),
        ("HTTPS://AUTH.tessera.test:443/api/token/?next=1", 200),
        ("http://auth.tessera.test/api/token/", 400),
        ("http://127.0.0.1/api/token/", 400),
    ] {
        let proof = client.proof("POST", htu, app.now(), None);
        let reply = post(&app, "/api/token/", &[("DPoP", &proof)], body.clone()).await;
        assert_eq!(reply.status, status, "{htu}: {}", reply.text());
    }
}

/// The UI's server functions take the same proofs: a login through one
/// with a proof gives bound tokens, and a protected one wants the proof;
/// their refusals are challenged as the REST API's.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn server_functions_bind_and_check_the_same_way() {
    use leptos::server_fn::ServerFn;
    use tessera_app::api::{Hello, Login};
    let app = spawn_app_with(Engine::Sqlite, relaxed).await;
    app.add_user("ada", PASSWORD).await;
    let client = DpopClient::new(ProofAlgorithm::Es256);
    let login_proof = proof(&app, &client, "POST", Login::PATH);
    let reply = app
        .send(request(
            "POST",
            Login::PATH,
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("DPoP", &login_proof),
            ],
            format!("username=ada&password={}", PASSWORD.replace(' ', "+")).as_bytes(),
        ))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let access = str_field(&reply.json(), "access");
    assert_eq!(payload(&access)["cnf"]["jkt"], client.thumbprint());

    let call = |authorization: String, proof: Option<String>| {
        let app = &app;
        async move {
            let mut headers = vec![
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Authorization", authorization.as_str()),
            ];
            if let Some(proof) = &proof {
                headers.push(("DPoP", proof.as_str()));
            }
            app.send(request("POST", Hello::PATH, &headers, b"")).await
        }
    };
    let bearer = call(format!("Bearer {access}"), None).await;
    assert_challenge(&bearer, "invalid_token");
    let hello_proof = || {
        client.proof(
            "POST",
            &format!("{ORIGIN}{}", Hello::PATH),
            app.now(),
            Some(&access),
        )
    };
    let proven = call(format!("DPoP {access}"), Some(hello_proof())).await;
    assert_eq!(proven.status, 200, "{}", proven.text());

    // Expired, under its own scheme: challenged as the REST API does.
    app.advance(3_600);
    let expired = call(format!("DPoP {access}"), Some(hello_proof())).await;
    assert_challenge(&expired, "invalid_token");
    assert_eq!(
        expired.header("www-authenticate"),
        Some(
            format!(r#"DPoP error="invalid_token", error_description="Token is expired", {ALGS}"#)
                .as_str()
        )
    );
}

/// A server function asks for the server's nonce in the words of the REST
/// API's resources: the same challenge, with the nonce to use.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn server_functions_ask_for_a_nonce_as_the_rest_api_does() {
    use leptos::server_fn::ServerFn;
    use tessera_app::api::Login;
    let app = spawn_app_with(Engine::Sqlite, |settings| {
        relaxed(settings);
        settings.dpop.nonce = true;
    })
    .await;
    app.add_user("ada", PASSWORD).await;
    let client = DpopClient::new(ProofAlgorithm::Es256);
    let reply = app
        .send(request(
            "POST",
            Login::PATH,
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("DPoP", &proof(&app, &client, "POST", Login::PATH)),
            ],
            format!("username=ada&password={}", PASSWORD.replace(' ', "+")).as_bytes(),
        ))
        .await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(reply.header("dpop-nonce").is_some());
    let expected = format!(r#"DPoP error="use_dpop_nonce", {ALGS}"#);
    assert_eq!(reply.header("www-authenticate"), Some(expected.as_str()));

    // The REST API's resource, asked without a nonce, says the same.
    let login = post(
        &app,
        "/api/token/",
        &[("DPoP", &{
            let mut claims =
                client.claims("POST", &format!("{ORIGIN}/api/token/"), app.now(), None);
            claims.insert("nonce".into(), reply.header("dpop-nonce").unwrap().into());
            client.sign(&client.header(), &claims)
        })],
        json!({"username": "ada", "password": PASSWORD}),
    )
    .await;
    assert_eq!(login.status, 200, "{}", login.text());
    let access = str_field(&login.json(), "access");
    let bare = client.proof("GET", &format!("{ORIGIN}/hello/"), app.now(), Some(&access));
    let asked = hello_with(&app, &format!("DPoP {access}"), Some(&bare)).await;
    assert_eq!(asked.header("www-authenticate"), Some(expected.as_str()));
}
