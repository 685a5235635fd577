//! The UI's `#[server]` functions over real HTTP: the same rules as the REST
//! API, typed failures, and real statuses (401, 403, 409, not 500).

use crate::support;

use std::time::Duration;

use leptos::server_fn::ServerFn;
use serde_json::{json, Value};
use support::{payload, spawn_app, spawn_app_with, str_field, Engine, Reply, TestApp};
use tessera_app::api::{Hello, Login, Logout, Me, RefreshTokens, SignUp};

pub(crate) fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(name, value)| format!("{name}={}", encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

async fn call(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Reply {
    app.post_form(path, &form(fields)).await
}

async fn call_with_token(app: &TestApp, path: &str, access: &str) -> Reply {
    app.send(support::http::request(
        "POST",
        path,
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Authorization", &format!("Bearer {access}")),
        ],
        b"",
    ))
    .await
}

async fn ui_login(app: &TestApp, username: &str, password: &str) -> (String, String) {
    let reply = call(
        app,
        Login::PATH,
        &[("username", username), ("password", password)],
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let body = reply.json();
    (str_field(&body, "access"), str_field(&body, "refresh"))
}

#[tokio::test]
async fn login_returns_the_same_tokens_as_the_api_and_hello_needs_one() {
    let app = spawn_app().await;
    app.add_user("ada", "correct horse").await;
    let (access, refresh) = ui_login(&app, "ada", "correct horse").await;
    assert_eq!(payload(&access)["token_type"], "access");
    assert_eq!(payload(&refresh)["token_type"], "refresh");
    assert_eq!(payload(&access)["user_id"], "1");

    let greeting = call_with_token(&app, Hello::PATH, &access).await;
    assert_eq!(greeting.status, 200);
    assert_eq!(greeting.json(), json!("Hello, World!"));
    // The REST API accepts what the UI got, and the other way round.
    assert_eq!(app.hello(&access).await.status, 200);
    let (api_access, _) = app.tokens("ada", "correct horse").await;
    assert_eq!(
        call_with_token(&app, Hello::PATH, &api_access).await.status,
        200
    );
}

#[tokio::test]
async fn failures_are_typed_with_real_statuses() {
    let app = spawn_app().await;
    app.add_user("ada", "correct horse").await;

    let wrong = call(
        &app,
        Login::PATH,
        &[("username", "ada"), ("password", "nope")],
    )
    .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.json(), json!("BadCredentials"));
    assert_eq!(
        wrong.header("www-authenticate"),
        Some(r#"Bearer realm="api""#)
    );
    let unknown = call(
        &app,
        Login::PATH,
        &[("username", "bob"), ("password", "nope")],
    )
    .await;
    assert_eq!(
        (unknown.status, unknown.json()),
        (401, json!("BadCredentials"))
    );

    let anonymous = call(&app, Hello::PATH, &[]).await;
    assert_eq!(
        (anonymous.status, anonymous.json()),
        (401, json!("NotLoggedIn"))
    );
    let forged = call_with_token(&app, Hello::PATH, "a.b.c").await;
    assert_eq!(forged.status, 401);
    assert_eq!(
        forged.json(),
        json!({"TokenRefused": {"problem": "Invalid", "message": "Token is invalid"}})
    );

    let missing_argument = call(&app, Login::PATH, &[("username", "ada")]).await;
    assert_eq!(missing_argument.status, 400, "{}", missing_argument.text());
}

#[tokio::test]
async fn an_expired_access_token_is_told_apart() {
    let app = spawn_app_with(Engine::Sqlite, |settings| {
        settings.access_token_lifetime = Duration::from_secs(1);
    })
    .await;
    app.add_user("ada", "correct horse").await;
    let (access, _) = ui_login(&app, "ada", "correct horse").await;
    app.advance(2);
    let expired = call_with_token(&app, Me::PATH, &access).await;
    assert_eq!(expired.status, 401);
    assert_eq!(
        expired.json(),
        json!({"TokenRefused": {"problem": "Expired", "message": "Token is expired"}})
    );
}

#[tokio::test]
async fn refresh_rotates_and_a_replayed_token_revokes_the_session() {
    let app = spawn_app().await;
    app.add_user("ada", "correct horse").await;
    let (_, first) = ui_login(&app, "ada", "correct horse").await;

    let rotated = call(&app, RefreshTokens::PATH, &[("refresh", &first)]).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text());
    let second = str_field(&rotated.json(), "refresh");
    assert_ne!(second, first);

    let replay = call(&app, RefreshTokens::PATH, &[("refresh", &first)]).await;
    assert_eq!(replay.status, 401);
    assert_eq!(
        replay.json(),
        json!({"TokenRefused": {"problem": "Revoked", "message": "Token is blacklisted"}})
    );
    // The whole family is gone, the current token included.
    let after = call(&app, RefreshTokens::PATH, &[("refresh", &second)]).await;
    assert_eq!(after.status, 401);
}

#[tokio::test]
async fn without_rotation_refresh_hands_back_the_same_refresh_token() {
    let app = spawn_app_with(Engine::Sqlite, |settings| {
        settings.rotate_refresh_tokens = false
    })
    .await;
    app.add_user("ada", "correct horse").await;
    let (_, refresh) = ui_login(&app, "ada", "correct horse").await;
    let reply = call(&app, RefreshTokens::PATH, &[("refresh", &refresh)]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(str_field(&reply.json(), "refresh"), refresh);
}

#[tokio::test]
async fn logout_ends_the_session_for_both_tokens() {
    let app = spawn_app().await;
    app.add_user("ada", "correct horse").await;
    let (access, refresh) = ui_login(&app, "ada", "correct horse").await;
    let reply = call(&app, Logout::PATH, &[("refresh", &refresh)]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        call_with_token(&app, Hello::PATH, &access).await.status,
        401
    );
    assert_eq!(app.refresh(&refresh).await.status, 401);
}

#[tokio::test]
async fn me_describes_the_user_and_the_session_cap() {
    let app = spawn_app().await;
    app.add_user("ada", "correct horse").await;
    let (access, _) = ui_login(&app, "ada", "correct horse").await;
    let reply = call_with_token(&app, Me::PATH, &access).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let profile: Value = reply.json();
    assert_eq!(profile["id"], 1);
    assert_eq!(profile["username"], "ada");
    assert!(profile["last_login"].is_i64());
    let iat = payload(&access)["iat"].as_i64().unwrap();
    let cap = profile["session_expires_at"].as_i64().unwrap();
    assert_eq!(
        cap - iat,
        7 * 24 * 3600,
        "the default session lifetime is 7 days"
    );
}

#[tokio::test]
async fn sign_up_is_closed_unless_allowed() {
    let app = spawn_app().await;
    let reply = call(
        &app,
        SignUp::PATH,
        &[("username", "eve"), ("password", "long enough")],
    )
    .await;
    assert_eq!((reply.status, reply.json()), (403, json!("SignupClosed")));
    assert_eq!(app.tessera.accounts.list_users().await.unwrap().len(), 0);
}

#[tokio::test]
async fn sign_up_checks_the_password_and_the_name_then_logs_in() {
    let app = spawn_app_with(Engine::Sqlite, |settings| settings.allow_signup = true).await;
    let short = call(
        &app,
        SignUp::PATH,
        &[("username", "eve"), ("password", "1234567")],
    )
    .await;
    assert_eq!(short.status, 400);
    assert_eq!(
        short.json(),
        json!({"Invalid": {"field": "password", "message": "The password must have at least 8 characters."}})
    );
    // Django's validators: not like the name, not digits alone.
    for (username, password, message) in [
        (
            "grace.hopper",
            "GraceHopper",
            "The password is too similar to the username.",
        ),
        ("grace", "20261205", "This password is entirely numeric."),
    ] {
        let refused = call(
            &app,
            SignUp::PATH,
            &[("username", username), ("password", password)],
        )
        .await;
        assert_eq!(
            (refused.status, refused.json()),
            (
                400,
                json!({"Invalid": {"field": "password", "message": message}})
            )
        );
    }
    let blank_name = call(
        &app,
        SignUp::PATH,
        &[("username", " "), ("password", "long enough")],
    )
    .await;
    assert_eq!(blank_name.status, 400);
    assert_eq!(blank_name.json()["Invalid"]["field"], "username");
    assert_eq!(app.tessera.accounts.list_users().await.unwrap().len(), 0);

    let created = call(
        &app,
        SignUp::PATH,
        &[("username", "eve"), ("password", "long enough")],
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.text());
    let access = str_field(&created.json(), "access");
    assert_eq!(
        call_with_token(&app, Hello::PATH, &access).await.status,
        200
    );
    // The new account logs in through the REST API too.
    assert_eq!(app.login("eve", "long enough").await.status, 200);

    let taken = call(
        &app,
        SignUp::PATH,
        &[("username", "eve"), ("password", "other password")],
    )
    .await;
    assert_eq!((taken.status, taken.json()), (409, json!("UsernameTaken")));
}

/// Sign-up has a budget of its own per address (every attempt counts: each
/// costs a hash and tells whether a name is taken), and names are stored
/// as Django stores them: NFKC, with no invisible characters.
#[tokio::test]
async fn sign_ups_are_throttled_per_address_and_names_normalised() {
    let app = spawn_app_with(Engine::Sqlite, |settings| {
        settings.allow_signup = true;
        settings.throttle.signup_attempts = 3;
    })
    .await;
    let sign_up = |name: &'static str| {
        let app = &app;
        async move {
            call(
                app,
                SignUp::PATH,
                &[("username", name), ("password", "long enough")],
            )
            .await
        }
    };
    assert_eq!(sign_up("vitor").await.status, 200);
    // Full-width letters are the same name once normalised.
    let twin = sign_up("ｖｉｔｏｒ").await;
    assert_eq!((twin.status, twin.json()), (409, json!("UsernameTaken")));
    let hidden = sign_up("vi\u{200B}tor").await;
    assert_eq!(hidden.status, 400, "{}", hidden.text());
    assert_eq!(hidden.json()["Invalid"]["field"], "username");
    // The budget is spent, whatever the outcome of each attempt.
    let refused = sign_up("walter").await;
    assert_eq!(refused.status, 429, "{}", refused.text());
    assert_eq!(refused.json(), json!({"Throttled": {"retry_after": 300}}));
    assert_eq!(refused.header("retry-after"), Some("300"));
    let names: Vec<String> = app
        .tessera
        .accounts
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .map(|user| user.username)
        .collect();
    assert_eq!(names, ["vitor"]);
    // Logging in is another budget: untouched.
    assert_eq!(app.login("vitor", "long enough").await.status, 200);
    // The window passes.
    app.advance(300);
    assert_eq!(sign_up("walter").await.status, 200);
}

#[tokio::test]
async fn pages_carry_the_signup_rules_to_the_browser() {
    // No round trip for them: the server writes them on <body>, where the
    // browser reads them (for the navigation's link, shown once the browser
    // knows the login state), and renders the form accordingly.
    for open in [true, false] {
        let app = spawn_app_with(Engine::Sqlite, |settings| {
            settings.allow_signup = open;
            settings.min_password_length = 12;
        })
        .await;
        let login = app.get("/login", &[("Accept", "text/html")]).await;
        assert_eq!(login.status, 200);
        let html = login.text();
        assert!(
            html.contains(&format!(r#"data-signup-open="{open}""#)),
            "{html}"
        );
        assert!(html.contains(r#"data-min-password-length="12""#), "{html}");

        let signup = app.get("/signup", &[("Accept", "text/html")]).await.text();
        assert_eq!(signup.contains(r#"minlength="12""#), open, "{signup}");
        assert_eq!(signup.contains("signup-closed"), !open, "{signup}");
    }
}

/// Both adapters read the `Authorization` header through the core's one
/// pipeline: for every header, `GET /hello/` and the `hello` server function
/// agree on whether it passes, and refuse it with the same message.
#[tokio::test]
async fn the_rest_api_and_server_functions_read_the_header_alike() {
    let app = spawn_app().await;
    app.add_user("ada", "correct horse").await;
    let (access, refresh) = app.tokens("ada", "correct horse").await;
    let headers = [
        format!("Bearer {access}"),
        format!("Bearer    {access}  "),
        format!("bearer {access}"),
        format!("Token {access}"),
        "Bearer".to_owned(),
        "Bearer a b".to_owned(),
        "Bearer a.b.c".to_owned(),
        format!("Bearer {refresh}"),
    ];
    for header in &headers {
        let rest = app.get("/hello/", &[("Authorization", header)]).await;
        let ui = app
            .send(support::http::request(
                "POST",
                Hello::PATH,
                &[
                    ("Content-Type", "application/x-www-form-urlencoded"),
                    ("Authorization", header),
                ],
                b"",
            ))
            .await;
        assert_eq!(rest.status, ui.status, "{header:.20}: {}", ui.text());
        if rest.status == 200 {
            continue;
        }
        let rest_message = rest.json()["messages"][0]["message"]
            .as_str()
            .or(rest.json()["detail"].as_str())
            .map(str::to_owned)
            .unwrap();
        let ui_message = match ui.json() {
            Value::String(kind) if kind == "NotLoggedIn" => {
                "Authentication credentials were not provided.".to_owned()
            }
            body => body["TokenRefused"]["message"].as_str().unwrap().to_owned(),
        };
        assert_eq!(rest_message, ui_message, "{header:.20}");
    }
}

#[tokio::test]
async fn tokens_from_server_functions_are_never_cached() {
    let app = spawn_app().await;
    app.add_user("ada", "correct horse").await;
    let reply = call(
        &app,
        Login::PATH,
        &[("username", "ada"), ("password", "correct horse")],
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert_eq!(reply.header("pragma"), Some("no-cache"));
}
