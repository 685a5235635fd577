//! What every answer carries besides its body: health checks, the readable
//! page a browser gets for an API URL, security headers, the pages'
//! Content-Security-Policy, HSTS.

use crate::support;

use support::{spawn_app, str_field};

#[tokio::test]
async fn health_checks_answer() {
    let app = spawn_app().await;
    let reply = app.get("/healthz", &[]).await;
    assert_eq!(reply.status, 200);
    let body = reply.json();
    assert_eq!(
        (&body["status"], &body["database"], &body["sync"]),
        (&"ok".into(), &"ok".into(), &"ok".into())
    );
    assert!(body["sync_lag_ms"].as_u64().unwrap() < 10_000, "{body}");
    let reply = app.get("/livez", &[]).await;
    assert_eq!(reply.text(), r#"{"status":"ok"}"#);

    app.tessera.store().close().await;
    let reply = app.get("/healthz", &[]).await;
    assert_eq!(reply.status, 503);
    // Anonymous: the verdict only; the cause goes to the log.
    assert!(
        reply
            .text()
            .starts_with(r#"{"status":"unavailable","database":"unreachable","sync_lag_ms":"#),
        "{}",
        reply.text()
    );
    assert_eq!(
        app.get("/livez", &[]).await.status,
        200,
        "liveness needs no database"
    );
}

#[tokio::test]
async fn a_browser_opening_an_api_url_gets_a_readable_page() {
    let app = spawn_app().await;
    let accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let reply = app.get("/hello/", &[("Accept", accept)]).await;
    assert_eq!(reply.status, 401);
    assert!(reply
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    let page = reply.text();
    assert!(page.contains("<h1>Hello</h1>"), "{page}");
    assert!(page.contains("Authentication credentials were not provided."));
    let reply = app.get("/api/token/", &[("Accept", accept)]).await;
    assert_eq!(reply.status, 405);
    assert!(reply.text().contains("not allowed."), "{}", reply.text());
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_tokens_are_never_cached() {
    let app = spawn_app().await;
    app.add_user("otto", "pw").await;
    let login = app.login("otto", "pw").await;
    let refresh = str_field(&login.json(), "refresh");
    let refreshed = app.refresh(&refresh).await;
    for reply in [&login, &refreshed] {
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("cache-control"), Some("no-store"));
        assert_eq!(reply.header("pragma"), Some("no-cache"));
    }
    let livez = app.get("/livez", &[]).await;
    let refused = app.get("/hello/", &[]).await;
    let page = app.get("/", &[]).await;
    for reply in [&login, &livez, &refused, &page] {
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(reply.header("x-frame-options"), Some("DENY"));
        assert_eq!(reply.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(reply.header("strict-transport-security"), None);
    }
}

/// A page's Content-Security-Policy allows exactly its own inline script,
/// by a nonce that changes with every response.
#[tokio::test]
async fn pages_carry_a_content_security_policy_with_a_fresh_nonce() {
    let app = spawn_app().await;
    let nonce_of = |page: &support::Reply| {
        let policy = page.header("content-security-policy").unwrap().to_owned();
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        for directive in [
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "'wasm-unsafe-eval'",
        ] {
            assert!(policy.contains(directive), "{directive} missing: {policy}");
        }
        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .unwrap()
            .to_owned();
        assert!(
            page.text().contains(&format!("nonce=\"{nonce}\"")),
            "the inline script carries the header's nonce"
        );
        nonce
    };
    let first = nonce_of(&app.get("/", &[]).await);
    let second = nonce_of(&app.get("/login", &[]).await);
    assert_ne!(first, second);
    assert!(first.len() >= 16);
}

/// Served over HTTPS (`--hsts`), every response asks browsers to stay there.
#[tokio::test]
async fn hsts_is_sent_when_configured() {
    use axum::body::Body;
    use axum::http::Request;

    let app = spawn_app().await;
    let router = tessera_server::router(tessera_server::AppState {
        tessera: std::sync::Arc::new(app.tessera.clone()),
        leptos_options: leptos::prelude::LeptosOptions::builder()
            .output_name("tessera")
            .build()
            .into(),
        http: std::sync::Arc::new(tessera_server::config::HttpConfig {
            hsts: true,
            ..Default::default()
        }),
    });
    let request = Request::get("/livez").body(Body::empty()).unwrap();
    let response = tower::ServiceExt::oneshot(router, request).await.unwrap();
    assert_eq!(
        response.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
}
