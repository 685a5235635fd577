//! `--cors-allowed-origins`: a browser app on another origin may call the
//! API; no other origin gets a CORS header, pages never do, and DRF's answer
//! to a plain OPTIONS survives. (The browser side, a plain-JavaScript app on a
//! second origin, is end2end/tests/cors-spa.spec.ts.)

use tessera_server::comma_list::CommaList;
use tessera_server::config::HttpConfig;

use crate::support::{self, http::request, spawn_app, spawn_app_with_http, TestApp};

const APP_ORIGIN: &str = "http://127.0.0.1:5173";
const OTHER_ORIGIN: &str = "http://localhost:5173";

async fn app_allowing(origins: &[&str]) -> TestApp {
    let http = HttpConfig {
        cors_allowed_origins: CommaList(origins.iter().map(|o| o.parse().unwrap()).collect()),
        ..HttpConfig::default()
    };
    spawn_app_with_http(http).await
}

async fn preflight(app: &TestApp, path: &str, origin: &str, method: &str) -> support::Reply {
    app.send(request(
        "OPTIONS",
        path,
        &[
            ("Origin", origin),
            ("Access-Control-Request-Method", method),
            (
                "Access-Control-Request-Headers",
                "authorization,content-type",
            ),
        ],
        b"",
    ))
    .await
}

fn vary_names_origin(reply: &support::Reply) -> bool {
    reply
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("vary"))
        .any(|(_, value)| value.to_ascii_lowercase().contains("origin"))
}

#[tokio::test]
async fn an_allowed_origin_gets_its_preflight_answered_on_every_api_route() {
    let app = app_allowing(&[APP_ORIGIN, "https://app.example.com"]).await;
    for (path, method) in [
        ("/api/token/", "POST"),
        ("/api/token/refresh/", "POST"),
        ("/api/token/verify/", "POST"),
        ("/api/token/blacklist/", "POST"),
        // Protected, yet a preflight carries no credentials: it must not be 401.
        ("/hello/", "GET"),
    ] {
        let reply = preflight(&app, path, APP_ORIGIN, method).await;
        assert_eq!(reply.status, 204, "{path}: {}", reply.text());
        assert_eq!(
            reply.header("access-control-allow-origin"),
            Some(APP_ORIGIN)
        );
        let methods = reply.header("access-control-allow-methods").unwrap();
        assert!(methods.contains(method), "{path}: {methods}");
        assert!(methods.contains("DELETE"), "{methods}");
        let headers = reply
            .header("access-control-allow-headers")
            .unwrap()
            .to_ascii_lowercase();
        assert!(headers.contains("authorization") && headers.contains("content-type"));
        assert_eq!(reply.header("access-control-max-age"), Some("86400"));
        assert_eq!(reply.header("access-control-allow-credentials"), None);
        assert!(vary_names_origin(&reply), "{path}: no Vary: Origin");
    }
}

#[tokio::test]
async fn an_allowed_origin_can_read_every_answer_errors_included() {
    let app = app_allowing(&[APP_ORIGIN]).await;
    app.add_user("alice", "wonderland").await;
    let login = app
        .send(request(
            "POST",
            "/api/token/",
            &[("Content-Type", "application/json"), ("Origin", APP_ORIGIN)],
            br#"{"username":"alice","password":"wonderland"}"#,
        ))
        .await;
    assert_eq!(login.status, 200);
    assert_eq!(
        login.header("access-control-allow-origin"),
        Some(APP_ORIGIN)
    );
    assert_eq!(login.header("access-control-allow-credentials"), None);
    assert!(vary_names_origin(&login));
    let access = support::str_field(&login.json(), "access");

    let hello = app
        .get(
            "/hello/",
            &[
                ("Authorization", &format!("Bearer {access}")),
                ("Origin", APP_ORIGIN),
            ],
        )
        .await;
    assert_eq!(hello.status, 200);
    assert_eq!(hello.text(), r#"{"message":"Hello, World!"}"#);
    assert_eq!(
        hello.header("access-control-allow-origin"),
        Some(APP_ORIGIN)
    );

    // The app must see a 401 to know it should refresh, and the wait of a 429.
    let refused = app.get("/hello/", &[("Origin", APP_ORIGIN)]).await;
    assert_eq!(refused.status, 401);
    assert_eq!(
        refused.header("access-control-allow-origin"),
        Some(APP_ORIGIN)
    );
    let exposed = refused
        .header("access-control-expose-headers")
        .unwrap()
        .to_ascii_lowercase();
    assert!(exposed.contains("retry-after") && exposed.contains("www-authenticate"));
}

#[tokio::test]
async fn other_origins_get_no_cors_header_and_the_browser_refuses_them() {
    let app = app_allowing(&[APP_ORIGIN]).await;
    app.add_user("alice", "wonderland").await;
    // Same host and port, another name: another origin.
    let reply = preflight(&app, "/api/token/", OTHER_ORIGIN, "POST").await;
    assert_eq!(reply.header("access-control-allow-origin"), None);
    assert_eq!(reply.header("access-control-allow-methods"), None);
    // What it gets is DRF's own answer to OPTIONS.
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("allow"), Some("POST, OPTIONS"));

    let login = app
        .send(request(
            "POST",
            "/api/token/",
            &[
                ("Content-Type", "application/json"),
                ("Origin", OTHER_ORIGIN),
            ],
            br#"{"username":"alice","password":"wonderland"}"#,
        ))
        .await;
    assert_eq!(login.header("access-control-allow-origin"), None);
    // Cached answers must still be kept apart by origin.
    assert!(vary_names_origin(&login));
    // "null" (sandboxed frames, file: pages) is never an allowed origin.
    let null = preflight(&app, "/api/token/", "null", "POST").await;
    assert_eq!(null.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn a_plain_options_keeps_drfs_answer_and_pages_get_no_cors() {
    let app = app_allowing(&[APP_ORIGIN]).await;
    let options = app
        .send(request(
            "OPTIONS",
            "/api/token/",
            &[("Origin", APP_ORIGIN)],
            b"",
        ))
        .await;
    assert_eq!(options.status, 200);
    assert_eq!(options.header("allow"), Some("POST, OPTIONS"));
    assert_eq!(options.text(), "{}");
    assert_eq!(
        options.header("access-control-allow-origin"),
        Some(APP_ORIGIN)
    );

    let page = app
        .get("/login", &[("Origin", APP_ORIGIN), ("Accept", "text/html")])
        .await;
    assert_eq!(page.header("access-control-allow-origin"), None);
    let page_preflight = preflight(&app, "/login", APP_ORIGIN, "GET").await;
    assert_eq!(page_preflight.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn without_the_setting_no_response_carries_cors_headers() {
    let app = spawn_app().await;
    let reply = preflight(&app, "/api/token/", APP_ORIGIN, "POST").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("allow"), Some("POST, OPTIONS"));
    let cors_headers: Vec<_> = reply
        .headers
        .iter()
        .filter(|(name, _)| name.to_ascii_lowercase().starts_with("access-control-"))
        .collect();
    assert!(cors_headers.is_empty(), "{cors_headers:?}");
    assert!(!vary_names_origin(&reply));
}
