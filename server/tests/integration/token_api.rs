//! The simplejwt-compatible flow, end to end over HTTP.

use crate::support;

use std::time::Duration;

use support::{access_refused, payload, spawn_app, spawn_app_with, str_field, Engine};

#[tokio::test]
async fn the_httpie_flow_of_the_readme_works() {
    let app = spawn_app().await;
    app.add_user("vitor", "123").await;

    // http post :3000/api/token/ username=vitor password=123
    let raw = support::http::request(
        "POST",
        "/api/token/",
        &[
            ("Content-Type", "application/json"),
            ("Accept", "application/json, */*;q=0.5"),
            ("User-Agent", "HTTPie/3.2.2"),
        ],
        br#"{"username": "vitor", "password": "123"}"#,
    );
    let reply = app.send(raw).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let body = reply.json();
    assert!(
        reply.text().starts_with(r#"{"refresh":"ey"#),
        "simplejwt's key order"
    );
    assert_eq!(body.as_object().unwrap().len(), 2);
    let (access, refresh) = (str_field(&body, "access"), str_field(&body, "refresh"));

    // http :3000/hello/ "Authorization: Bearer <access>"
    let hello = app.hello(&access).await;
    assert_eq!(hello.status, 200);
    assert_eq!(hello.text(), r#"{"message":"Hello, World!"}"#);

    // http post :3000/api/token/refresh/ refresh=<refresh>
    let refreshed = app.refresh(&refresh).await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.text());
    let body = refreshed.json();
    assert_eq!(app.hello(&str_field(&body, "access")).await.status, 200);
    assert_ne!(
        str_field(&body, "refresh"),
        refresh,
        "rotation issues a new refresh token"
    );
}

#[tokio::test]
async fn tokens_carry_simplejwts_header_and_claims() {
    let app = spawn_app().await;
    let id = app.add_user("alice", "correct horse").await;
    assert_eq!(id, 1, "ids start at 1");
    let (access, refresh) = app.tokens("alice", "correct horse").await;

    use base64::Engine as _;
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(access.split('.').next().unwrap())
        .unwrap();
    assert_eq!(header, br#"{"alg":"HS256","typ":"JWT"}"#);

    let claims = payload(&access);
    assert_eq!(claims["token_type"], "access");
    assert_eq!(claims["user_id"], "1");
    assert_eq!(claims["jti"].as_str().unwrap().len(), 32);
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert_eq!(exp - iat, 300, "access tokens live 5 minutes by default");

    let claims = payload(&refresh);
    assert_eq!(claims["token_type"], "refresh");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        86_400
    );
}

#[tokio::test]
async fn a_form_encoded_login_works_like_drf() {
    let app = spawn_app().await;
    app.add_user("bob", "pa ss&word").await;
    let reply = app
        .post_form("/api/token/", "username=bob&password=pa+ss%26word")
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
}

#[tokio::test]
async fn bad_credentials_unknown_and_inactive_users_get_the_same_answer() {
    let app = spawn_app().await;
    app.add_user("carol", "right").await;
    app.add_user("dave", "right").await;
    app.tessera
        .accounts
        .set_active("dave", false)
        .await
        .unwrap();
    for (username, password) in [("carol", "wrong"), ("nobody", "right"), ("dave", "right")] {
        let reply = app.login(username, password).await;
        assert_eq!(reply.status, 401, "{username}");
        assert_eq!(
            reply.text(),
            r#"{"detail":"No active account found with the given credentials"}"#
        );
        assert_eq!(
            reply.header("www-authenticate"),
            Some(r#"Bearer realm="api""#)
        );
    }
}

#[tokio::test]
async fn login_records_last_login() {
    let app = spawn_app().await;
    let id = app.add_user("erin", "pw").await;
    assert_eq!(
        app.tessera
            .accounts
            .user_summary(id)
            .await
            .unwrap()
            .unwrap()
            .last_login,
        None
    );
    app.tokens("erin", "pw").await;
    assert!(app
        .tessera
        .accounts
        .user_summary(id)
        .await
        .unwrap()
        .unwrap()
        .last_login
        .is_some());
}

#[tokio::test]
async fn verify_accepts_valid_tokens_of_either_type() {
    let app = spawn_app().await;
    app.add_user("frank", "pw").await;
    let (access, refresh) = app.tokens("frank", "pw").await;
    for token in [&access, &refresh] {
        let reply = app.verify(token).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.text(), "{}");
    }
    let reply = app.verify("not-a-token").await;
    assert_eq!(reply.status, 401);
    assert_eq!(
        reply.text(),
        r#"{"detail":"Token is invalid","code":"token_not_valid"}"#
    );
}

#[tokio::test]
async fn logout_revokes_the_refresh_token_and_the_access_tokens_at_once() {
    let app = spawn_app().await;
    app.add_user("gina", "pw").await;
    let (access, refresh) = app.tokens("gina", "pw").await;
    let (other_access, _) = app.tokens("gina", "pw").await;
    // Used once before the logout, so its verification is memoized.
    assert_eq!(app.hello(&access).await.status, 200);

    let reply = app.blacklist(&refresh).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), "{}");

    let hello = app.hello(&access).await;
    assert_eq!(hello.status, 401);
    assert_eq!(hello.text(), access_refused("Token is blacklisted"));

    let again = app.refresh(&refresh).await;
    assert_eq!(again.status, 401);
    assert_eq!(
        again.text(),
        r#"{"detail":"Token is blacklisted","code":"token_not_valid"}"#
    );

    let twice = app.blacklist(&refresh).await;
    assert_eq!(twice.status, 401);
    assert_eq!(
        twice.text(),
        r#"{"detail":"Token is blacklisted","code":"token_not_valid"}"#
    );

    let verify = app.verify(&refresh).await;
    assert_eq!(verify.status, 400);
    assert_eq!(
        verify.text(),
        r#"{"non_field_errors":["Token is blacklisted"]}"#
    );

    // Another login of the same user is another session: untouched.
    assert_eq!(app.hello(&other_access).await.status, 200);
}

#[tokio::test]
async fn deactivating_a_user_stops_their_tokens_at_once() {
    let app = spawn_app().await;
    app.add_user("hank", "pw").await;
    let (access, refresh) = app.tokens("hank", "pw").await;
    app.tessera
        .accounts
        .set_active("hank", false)
        .await
        .unwrap();

    let hello = app.hello(&access).await;
    assert_eq!(hello.status, 401);
    assert_eq!(
        hello.text(),
        r#"{"detail":"User is inactive","code":"user_inactive"}"#
    );

    let refreshed = app.refresh(&refresh).await;
    assert_eq!(refreshed.status, 401);
    assert_eq!(
        refreshed.text(),
        r#"{"detail":"No active account found for the given token."}"#
    );

    // Activating again does not bring the old session back.
    app.tessera.accounts.set_active("hank", true).await.unwrap();
    assert_eq!(
        app.hello(&access).await.text(),
        access_refused("Token is blacklisted")
    );
    assert_eq!(app.refresh(&refresh).await.status, 401);
    let (fresh, _) = app.tokens("hank", "pw").await;
    assert_eq!(app.hello(&fresh).await.status, 200);
}

#[tokio::test]
async fn changing_the_password_logs_every_session_out() {
    let app = spawn_app().await;
    app.add_user("ivy", "old").await;
    let (access, refresh) = app.tokens("ivy", "old").await;
    app.tessera
        .accounts
        .set_password("ivy", "new")
        .await
        .unwrap();
    assert_eq!(
        app.hello(&access).await.text(),
        access_refused("Token is blacklisted")
    );
    assert_eq!(app.refresh(&refresh).await.status, 401);
    assert_eq!(app.login("ivy", "old").await.status, 401);
    app.tokens("ivy", "new").await;
}

#[tokio::test]
async fn without_rotation_refresh_returns_only_an_access_token() {
    let app = spawn_app_with(Engine::Sqlite, |settings| {
        settings.rotate_refresh_tokens = false
    })
    .await;
    app.add_user("jack", "pw").await;
    let (_, refresh) = app.tokens("jack", "pw").await;
    for _ in 0..2 {
        let reply = app.refresh(&refresh).await;
        assert_eq!(reply.status, 200);
        let body = reply.json();
        assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
        assert_eq!(app.hello(&str_field(&body, "access")).await.status, 200);
    }
}

#[tokio::test]
async fn tokens_expire_after_their_lifetime() {
    let app = spawn_app_with(Engine::Sqlite, |settings| {
        settings.access_token_lifetime = Duration::from_secs(1);
        settings.refresh_token_lifetime = Duration::from_secs(2);
    })
    .await;
    app.add_user("kim", "pw").await;
    let (access, refresh) = app.tokens("kim", "pw").await;
    assert_eq!(app.hello(&access).await.status, 200);
    app.advance(3);
    assert_eq!(
        app.hello(&access).await.text(),
        access_refused("Token is expired")
    );
    let reply = app.refresh(&refresh).await;
    assert_eq!(
        reply.text(),
        r#"{"detail":"Token is expired","code":"token_not_valid"}"#
    );
    assert_eq!(
        app.verify(&access).await.text(),
        r#"{"detail":"Token is expired","code":"token_not_valid"}"#
    );
}

#[tokio::test]
async fn the_session_lifetime_caps_every_rotation() {
    let app = spawn_app_with(Engine::Sqlite, |settings| {
        settings.session_lifetime = Duration::from_secs(3);
    })
    .await;
    app.add_user("lee", "pw").await;
    let (access, refresh) = app.tokens("lee", "pw").await;
    let cap = payload(&refresh)["exp"].as_i64().unwrap();
    assert!(cap - payload(&refresh)["iat"].as_i64().unwrap() <= 3);
    assert_eq!(
        payload(&access)["exp"].as_i64().unwrap(),
        cap,
        "the access token (5 minutes) ends with its 3-second session"
    );
    let rotated = app.refresh(&refresh).await.json();
    assert_eq!(payload(&str_field(&rotated, "access"))["exp"], cap);
    let rotated = str_field(&rotated, "refresh");
    assert_eq!(
        payload(&rotated)["exp"].as_i64().unwrap(),
        cap,
        "a rotation never extends the session"
    );
    app.advance(4);
    assert_eq!(app.refresh(&rotated).await.status, 401);
}

#[tokio::test]
async fn issuer_and_audience_are_set_and_checked_when_configured() {
    let app = spawn_app_with(Engine::Sqlite, |settings| {
        settings.issuer = Some("https://auth.example".into());
        settings.audience = Some("example-api".into());
    })
    .await;
    app.add_user("max", "pw").await;
    let (access, _) = app.tokens("max", "pw").await;
    assert_eq!(payload(&access)["iss"], "https://auth.example");
    assert_eq!(payload(&access)["aud"], "example-api");
    assert_eq!(app.hello(&access).await.status, 200);

    let now = app.now();
    let foreign = support::forge(
        r#"{"alg":"HS256","typ":"JWT"}"#,
        &format!(
            r#"{{"token_type":"access","exp":{},"iat":{now},"jti":"x","user_id":"1"}}"#,
            now + 60
        ),
        support::SECRET.as_bytes(),
    );
    assert_eq!(
        app.hello(&foreign).await.text(),
        access_refused("Token is invalid")
    );
}

#[tokio::test]
async fn a_hash_with_outdated_parameters_is_upgraded_at_login() {
    let app = spawn_app().await;
    let old_hash = crate::support::outdated_hash("pw");
    app.tessera
        .store()
        .create_user(
            crate::support::user_row("olga", &old_hash),
            app.now(),
            None,
            |_| Vec::new(),
        )
        .await
        .unwrap();
    app.tokens("olga", "pw").await;
    let user = app
        .tessera
        .store()
        .find_user_by_name("olga")
        .await
        .unwrap()
        .unwrap();
    assert!(
        user.password_hash
            .starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{}",
        user.password_hash
    );
    app.tokens("olga", "pw").await;
}

/// PyJWT refuses a token whose `iat` is in the future; simplejwt answers
/// "Token is invalid", and so do we (with the default leeway of 0).
#[tokio::test]
async fn a_token_issued_in_the_future_is_invalid() {
    // A token of a simplejwt site (no session), as during a migration.
    let app = spawn_app_with(Engine::Sqlite, |settings| {
        settings.accept_foreign_tokens = true
    })
    .await;
    app.add_user("nina", "pw").await;
    let now = app.now();
    let future = support::forge(
        r#"{"alg":"HS256","typ":"JWT"}"#,
        &format!(
            r#"{{"token_type":"access","exp":{},"iat":{},"jti":"x","user_id":"1"}}"#,
            now + 600,
            now + 60
        ),
        support::SECRET.as_bytes(),
    );
    assert_eq!(
        app.hello(&future).await.text(),
        access_refused("Token is invalid")
    );
    app.advance(60);
    assert_eq!(app.hello(&future).await.status, 200);
}
