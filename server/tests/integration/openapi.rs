//! `GET /api/schema/` (the OpenAPI document) and `/api/docs/` (Swagger UI),
//! and the promise the document makes: every answer the API gives, errors
//! included, is documented with its exact body shape and headers. Real
//! requests provoke each documented status; their bodies are checked against
//! the document's schemas. (CI also runs schemathesis against the release
//! server: scripts/api-fuzz.sh.)

use std::time::Duration;

use serde_json::Value;

use crate::support::http::request;
use crate::support::schema::{check, documented_headers, response_schema};
use crate::support::{spawn_app, spawn_app_with, Engine, Reply, TestApp};

async fn document(app: &TestApp) -> Value {
    let reply = app.get("/api/schema/", &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("content-type"), Some("application/json"));
    reply.json()
}

/// The reply is documented for `method path`: its status, a body of the
/// documented shape, every documented header.
fn assert_documented(document: &Value, method: &str, path: &str, reply: &Reply) {
    let schema = response_schema(document, method, path, reply.status);
    if reply.body.is_empty() {
        assert!(
            schema.is_null(),
            "{method} {path} → {}: documented with a body",
            reply.status
        );
        return;
    }
    if let Err(problem) = check(document, schema, &reply.json()) {
        panic!(
            "{method} {path} → {}: {problem}\nbody: {}",
            reply.status,
            reply.text()
        );
    }
    for header in documented_headers(document, method, path, reply.status) {
        assert!(
            reply.header(&header).is_some(),
            "{method} {path} → {} lacks {header}",
            reply.status
        );
    }
}

#[tokio::test]
async fn the_document_lists_every_operation_of_the_api() {
    let app = spawn_app().await;
    let document = document(&app).await;
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    let operations = [
        ("post", "/api/token/", "token_obtain_pair"),
        ("post", "/api/token/refresh/", "token_refresh"),
        ("post", "/api/token/verify/", "token_verify"),
        ("post", "/api/token/blacklist/", "token_blacklist"),
        ("get", "/hello/", "hello"),
        ("get", "/api/sessions/", "sessions_list"),
        ("delete", "/api/sessions/{id}/", "sessions_destroy"),
        ("post", "/api/sessions/end-others/", "sessions_end_others"),
        ("post", "/api/password/change/", "password_change"),
        ("get", "/api/totp/", "totp_status"),
        ("delete", "/api/totp/", "totp_destroy"),
        ("post", "/api/totp/setup/", "totp_setup"),
        ("post", "/api/totp/confirm/", "totp_confirm"),
        ("get", "/api/passkeys/", "passkeys_list"),
        ("delete", "/api/passkeys/{id}/", "passkeys_destroy"),
        (
            "post",
            "/api/passkeys/register/begin/",
            "passkeys_register_begin",
        ),
        (
            "post",
            "/api/passkeys/register/finish/",
            "passkeys_register_finish",
        ),
        ("post", "/api/passkeys/login/begin/", "passkeys_login_begin"),
        (
            "post",
            "/api/passkeys/login/finish/",
            "passkeys_login_finish",
        ),
        ("post", "/api/password/reset/", "password_reset"),
        (
            "post",
            "/api/password/reset/confirm/",
            "password_reset_confirm",
        ),
        ("get", "/.well-known/jwks.json", "jwks"),
        ("get", "/livez", "livez"),
        ("get", "/healthz", "healthz"),
        ("get", "/api/admin/users/", "admin_users_list"),
        ("get", "/api/admin/users/{id}/", "admin_users_retrieve"),
        (
            "patch",
            "/api/admin/users/{id}/",
            "admin_users_partial_update",
        ),
        (
            "get",
            "/api/admin/users/{id}/sessions/",
            "admin_users_sessions",
        ),
        (
            "post",
            "/api/admin/users/{id}/end-sessions/",
            "admin_users_end_sessions",
        ),
        (
            "delete",
            "/api/admin/users/{id}/sessions/{session}/",
            "admin_users_sessions_destroy",
        ),
        (
            "post",
            "/api/registration/verify-email/",
            "registration_verify_email",
        ),
        (
            "post",
            "/api/registration/resend-email/",
            "registration_resend_email",
        ),
        (
            "post",
            "/api/admin/users/{id}/password-reset/",
            "admin_users_password_reset",
        ),
        ("get", "/api/admin/keys/", "admin_keys_list"),
        ("post", "/api/admin/keys/rotate/", "admin_keys_rotate"),
        ("get", "/api/admin/events/", "admin_events_list"),
    ];
    for (method, path, id) in operations {
        let operation = &document["paths"][path][method];
        assert_eq!(operation["operationId"], id, "{method} {path}");
    }
    // The event types the admin API filters by are the core's, all of them.
    let parameters = document["paths"]["/api/admin/events/"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let kind = parameters.iter().find(|p| p["name"] == "type").unwrap();
    let schema = &kind["schema"];
    let reference = schema["$ref"]
        .as_str()
        .or_else(|| schema["oneOf"][1]["$ref"].as_str())
        .or_else(|| schema["anyOf"][1]["$ref"].as_str())
        .or_else(|| schema["oneOf"][0]["$ref"].as_str())
        .unwrap_or_else(|| panic!("{schema}"));
    let name = reference.rsplit('/').next().unwrap();
    let listed: Vec<&str> = document["components"]["schemas"][name]["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("{name}: {}", document["components"]["schemas"][name]))
        .iter()
        .map(|value| value.as_str().unwrap())
        .collect();
    let kinds: Vec<&str> = tessera::AuditKind::ALL
        .iter()
        .map(|kind| kind.as_str())
        .collect();
    assert_eq!(listed, kinds);
    let paths = document["paths"].as_object().unwrap();
    let distinct: std::collections::HashSet<&str> =
        operations.iter().map(|(_, path, _)| *path).collect();
    assert_eq!(paths.len(), distinct.len(), "{:?}", paths.keys());
    // Bodies as DRF parses them: JSON and forms.
    for path in ["/api/token/", "/api/token/refresh/", "/api/token/verify/"] {
        let content = &document["paths"][path]["post"]["requestBody"]["content"];
        assert!(content["application/json"].is_object(), "{path}");
        assert!(content["application/x-www-form-urlencoded"].is_object());
    }
    // Only /hello/ needs the bearer token.
    assert_eq!(
        document["paths"]["/hello/"]["get"]["security"][0]["jwt"],
        serde_json::json!([])
    );
    assert!(document["paths"]["/api/token/"]["post"]["security"].is_null());
    assert_eq!(
        document["components"]["securitySchemes"]["jwt"]["scheme"],
        "bearer"
    );
    // The same document as Swagger UI reads; the slash-less path redirects.
    let redirect = app.get("/api/schema", &[]).await;
    assert_eq!(
        (redirect.status, redirect.header("location")),
        (308, Some("/api/schema/"))
    );
}

#[tokio::test]
async fn every_answer_of_the_token_endpoints_is_documented() {
    let app = spawn_app().await;
    let document = document(&app).await;
    app.add_user("ada", "ada-password").await;

    let login = app.login("ada", "ada-password").await;
    assert_eq!(login.status, 200);
    assert_documented(&document, "POST", "/api/token/", &login);
    let refresh = login.json()["refresh"].as_str().unwrap().to_owned();
    let access = login.json()["access"].as_str().unwrap().to_owned();

    let json = |body: &str| {
        request(
            "POST",
            "/api/token/",
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        )
    };
    let cases: Vec<(u16, Vec<u8>)> = vec![
        (400, json(r#"{"username": "ada"}"#)),
        (400, json(r#"{"username": null, "password": " "}"#)),
        (400, json("{not json")),
        (400, json("[1, 2]")),
        (401, json(r#"{"username": "ada", "password": "wrong"}"#)),
        (
            415,
            request(
                "POST",
                "/api/token/",
                &[("Content-Type", "text/plain")],
                b"hi",
            ),
        ),
        (
            413,
            json(&format!(r#"{{"username": "{}"}}"#, "a".repeat(70_000))),
        ),
    ];
    for (status, raw) in cases {
        let reply = app.send(raw).await;
        assert_eq!(reply.status, status, "{}", reply.text());
        assert_documented(&document, "POST", "/api/token/", &reply);
    }

    let refreshed = app.refresh(&refresh).await;
    assert_eq!(refreshed.status, 200);
    assert_documented(&document, "POST", "/api/token/refresh/", &refreshed);
    let reused = app.refresh(&refresh).await;
    assert_eq!(reused.status, 401);
    assert_documented(&document, "POST", "/api/token/refresh/", &reused);

    for token in [access.as_str(), "not-a-token"] {
        let verified = app.verify(token).await;
        assert_documented(&document, "POST", "/api/token/verify/", &verified);
    }
    // The reuse above ended that session: log out of a new one.
    let (_, new_refresh) = app.tokens("ada", "ada-password").await;
    let logged_out = app.blacklist(&new_refresh).await;
    assert_eq!(logged_out.status, 200);
    assert_documented(&document, "POST", "/api/token/blacklist/", &logged_out);
    let again = app.blacklist(&new_refresh).await;
    assert_eq!(again.status, 401);
    assert_documented(&document, "POST", "/api/token/blacklist/", &again);
    // simplejwt's verify answers a blacklisted token with a 400.
    let verified = app.verify(&new_refresh).await;
    assert_eq!(verified.status, 400, "{}", verified.text());
    assert_documented(&document, "POST", "/api/token/verify/", &verified);
}

#[tokio::test]
async fn throttled_logins_are_documented() {
    let app = spawn_app().await;
    let document = document(&app).await;
    app.add_user("ada", "ada-password").await;
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let reply = app.login("ada", "wrong").await;
        statuses.push(reply.status);
        assert_documented(&document, "POST", "/api/token/", &reply);
    }
    assert!(statuses.contains(&429), "{statuses:?}");
}

#[tokio::test]
async fn protected_and_probe_answers_are_documented() {
    let app = spawn_app_with(Engine::Sqlite, |settings| {
        settings.max_sync_lag = Duration::from_millis(500);
    })
    .await;
    let document = document(&app).await;
    app.add_user("ada", "ada-password").await;
    let (access, _) = app.tokens("ada", "ada-password").await;

    for reply in [
        app.hello(&access).await,
        app.hello("not.a.token").await,
        app.get("/hello/", &[]).await,
    ] {
        assert_documented(&document, "GET", "/hello/", &reply);
    }
    for path in ["/livez", "/healthz", "/.well-known/jwks.json"] {
        let reply = app.get(path, &[]).await;
        assert_eq!(reply.status, 200, "{path}");
        assert_documented(&document, "GET", path, &reply);
    }

    // Out of sync (no sync loop runs in the test server): 503 both.
    app.clock.advance(Duration::from_secs(1));
    let refused = app.hello(&access).await;
    assert_eq!(refused.status, 503);
    assert_documented(&document, "GET", "/hello/", &refused);
    let health = app.get("/healthz", &[]).await;
    assert_eq!(health.status, 503);
    assert_documented(&document, "GET", "/healthz", &health);
}

#[tokio::test]
async fn every_answer_of_the_account_endpoints_is_documented() {
    let app = spawn_app().await;
    let document = document(&app).await;
    app.add_user("ada", "ada-password").await;
    let (access, _) = app.tokens("ada", "ada-password").await;
    let (other, _) = app.tokens("ada", "ada-password").await;
    let bearer = format!("Bearer {access}");
    let authorized = |method: &str, path: &str, body: &str| {
        let mut headers = vec![("Authorization", bearer.as_str())];
        if !body.is_empty() {
            headers.push(("Content-Type", "application/json"));
        }
        request(method, path, &headers, body.as_bytes())
    };

    let listed = app.send(authorized("GET", "/api/sessions/", "")).await;
    assert_eq!(listed.status, 200);
    assert_documented(&document, "GET", "/api/sessions/", &listed);
    let sessions = listed.json();
    let other_session = sessions
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == false);
    let other_id = other_session.unwrap()["id"].as_str().unwrap().to_owned();

    let path = format!("/api/sessions/{other_id}/");
    for status in [204, 404] {
        let reply = app.send(authorized("DELETE", &path, "")).await;
        assert_eq!(reply.status, status);
        assert_documented(&document, "DELETE", "/api/sessions/{id}/", &reply);
    }
    let refused = app.hello(&other).await;
    assert_eq!(refused.status, 401);

    let ended = app
        .send(authorized("POST", "/api/sessions/end-others/", ""))
        .await;
    assert_eq!(ended.status, 200);
    assert_documented(&document, "POST", "/api/sessions/end-others/", &ended);

    let change = "/api/password/change/";
    for (body, status) in [
        (
            r#"{"old_password": "nope", "new_password": "long-enough-1"}"#,
            400,
        ),
        (r#"{"old_password": "ada-password"}"#, 400),
        (
            r#"{"old_password": "ada-password", "new_password": "long-enough-1"}"#,
            200,
        ),
    ] {
        let reply = app.send(authorized("POST", change, body)).await;
        assert_eq!(reply.status, status, "{}", reply.text());
        assert_documented(&document, "POST", change, &reply);
    }
    let anonymous = app.get("/api/sessions/", &[]).await;
    assert_documented(&document, "GET", "/api/sessions/", &anonymous);
}

#[tokio::test]
async fn every_answer_of_the_two_step_endpoints_is_documented() {
    let app = spawn_app().await;
    let document = document(&app).await;
    app.add_user("otto", "otto-password").await;
    let (access, _) = app.tokens("otto", "otto-password").await;
    let bearer = format!("Bearer {access}");
    let authorized = |method: &str, path: &str, body: &str| {
        let mut headers = vec![("Authorization", bearer.as_str())];
        if !body.is_empty() {
            headers.push(("Content-Type", "application/json"));
        }
        request(method, path, &headers, body.as_bytes())
    };
    let checked = |method: &'static str, path: &'static str, reply: Reply, status: u16| {
        assert_eq!(reply.status, status, "{method} {path}: {}", reply.text());
        assert_documented(&document, method, path, &reply);
        reply
    };

    let status = app.send(authorized("GET", "/api/totp/", "")).await;
    checked("GET", "/api/totp/", status, 200);
    let early = app
        .send(authorized(
            "POST",
            "/api/totp/confirm/",
            r#"{"code": "123456"}"#,
        ))
        .await;
    checked("POST", "/api/totp/confirm/", early, 409);
    let off = app
        .send(authorized("DELETE", "/api/totp/", r#"{"code": "123456"}"#))
        .await;
    checked("DELETE", "/api/totp/", off, 409);
    let setup = app.send(authorized("POST", "/api/totp/setup/", "")).await;
    let setup = checked("POST", "/api/totp/setup/", setup, 200);
    let secret = setup.json()["secret"].as_str().unwrap().to_owned();
    let bad = app
        .send(authorized(
            "POST",
            "/api/totp/confirm/",
            r#"{"code": "12"}"#,
        ))
        .await;
    checked("POST", "/api/totp/confirm/", bad, 400);
    let code = tessera::testing::totp_code(&secret, app.now());
    let body = format!(r#"{{"code": "{code}"}}"#);
    let on = app
        .send(authorized("POST", "/api/totp/confirm/", &body))
        .await;
    checked("POST", "/api/totp/confirm/", on, 200);
    let again = app.send(authorized("POST", "/api/totp/setup/", "")).await;
    checked("POST", "/api/totp/setup/", again, 409);

    let asked = app.login("otto", "otto-password").await;
    checked("POST", "/api/token/", asked, 401);
    let malformed = app
        .post_json(
            "/api/token/",
            r#"{"username": "otto", "password": "otto-password", "otp": "1"}"#,
        )
        .await;
    checked("POST", "/api/token/", malformed, 400);

    app.advance(30);
    let code = tessera::testing::totp_code(&secret, app.now());
    let body = format!(r#"{{"code": "{code}"}}"#);
    let off = app.send(authorized("DELETE", "/api/totp/", &body)).await;
    checked("DELETE", "/api/totp/", off, 204);
}

#[tokio::test]
async fn swagger_ui_is_served_from_the_binary() {
    let app = spawn_app().await;
    let page = app.get("/api/docs/", &[("Accept", "text/html")]).await;
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(page.text().contains("<title>Tessera API</title>"));
    let policy = page.header("content-security-policy").unwrap();
    assert!(policy.contains("script-src 'self';"), "{policy}");
    // Every file the page names is served from here, none from a CDN.
    for name in [
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-initializer.js",
    ] {
        assert!(page.text().contains(name), "{name}");
        let file = app.get(&format!("/api/docs/{name}"), &[]).await;
        assert_eq!(file.status, 200, "{name}");
    }
    assert!(!page.text().contains("http"), "no absolute URL in the page");
    let initializer = app.get("/api/docs/swagger-initializer.js", &[]).await;
    assert!(initializer.text().contains("\"/api/schema/\""));
    assert!(initializer
        .header("content-type")
        .unwrap()
        .contains("javascript"));

    let missing = app.get("/api/docs/nothing.js", &[]).await;
    assert_eq!(
        (missing.status, missing.text().as_str()),
        (404, r#"{"detail":"Not found."}"#)
    );
    let redirect = app.get("/api/docs", &[]).await;
    assert_eq!(
        (redirect.status, redirect.header("location")),
        (308, Some("/api/docs/"))
    );
}
