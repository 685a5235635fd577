//! `--metrics-addr`: the real binary, scraped the way Prometheus scrapes it,
//! counts exactly what happened (a process of its own: the `metrics` facade's
//! recorder is global, so in-process servers would share their counts).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use crate::support::http::{request, send, Reply};
use crate::support::{self, TempDir};

/// A running `tessera` with metrics on, killed when dropped.
struct Server {
    child: Child,
    api: SocketAddr,
    metrics: SocketAddr,
    _dir: TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Server {
    let dir = TempDir::new();
    let database = format!("sqlite://{}/t.db", dir.0.display());
    let tessera = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tessera"));
        command
            .env("DATABASE_URL", &database)
            .env("TESSERA_SECRET_KEY", support::SECRET)
            .env("TESSERA_LOGIN_FREE_FAILURES", "0")
            .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
            .env("LEPTOS_SITE_ROOT", &dir.0)
            .env("LEPTOS_OUTPUT_NAME", "tessera")
            .env("TESSERA_METRICS_ADDR", "127.0.0.1:0")
            .env("RUST_LOG", "info");
        command
    };
    let added = tessera()
        .args(["user", "add", "vitor", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(b"vitor-password\n")?;
            child.wait()
        })
        .unwrap();
    assert!(added.success());
    let mut child = tessera()
        .args(["--log-format", "json"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let (mut api, mut metrics) = (None, None);
    while api.is_none() || metrics.is_none() {
        let line = lines
            .next()
            .expect("the server logs its addresses")
            .unwrap();
        let line: serde_json::Value = serde_json::from_str(&line).unwrap();
        let message = line["fields"]["message"].as_str().unwrap_or_default();
        if let Some(address) = message.strip_prefix("listening on http://") {
            api = Some(address.parse().unwrap());
        }
        if let Some(address) = message.strip_prefix("metrics on http://") {
            metrics = Some(address.trim_end_matches("/metrics").parse().unwrap());
        }
    }
    // Keep reading the log so that the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Server {
        child,
        api: api.unwrap(),
        metrics: metrics.unwrap(),
        _dir: dir,
    }
}

async fn post_json(addr: SocketAddr, path: &str, body: serde_json::Value) -> Reply {
    let body = body.to_string();
    send(
        addr,
        &request(
            "POST",
            path,
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        ),
    )
    .await
}

/// The value of the series `name{labels}` (labels in any order), if present.
fn value(scrape: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    scrape.lines().find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let (series_name, rest) = series.split_once('{').unwrap_or((series, ""));
        let matches = series_name == name
            && labels
                .iter()
                .all(|(key, val)| rest.contains(&format!("{key}=\"{val}\"")));
        matches.then(|| value.parse().unwrap())
    })
}

#[tokio::test]
async fn a_scrape_counts_requests_logins_refreshes_and_revocations() {
    let server = start();
    let login = |username: &'static str, password: &'static str| {
        post_json(
            server.api,
            "/api/token/",
            serde_json::json!({ "username": username, "password": password }),
        )
    };
    let good = login("vitor", "vitor-password").await;
    assert_eq!(good.status, 200);
    // No free failure (TESSERA_LOGIN_FREE_FAILURES=0): each failure makes
    // the next attempt wait, 1 s, then 2, 4, 8… on the server's real clock.
    // A machine so busy that a whole wait passes between two requests gets
    // another failure and a longer wait: count them instead of assuming one.
    let mut failed = 0.0;
    loop {
        match login("nobody", "wrong").await.status {
            401 => failed += 1.0,
            429 => break,
            other => panic!("unexpected {other}"),
        }
        assert!(failed < 12.0, "never throttled");
    }
    let access = support::str_field(&good.json(), "access");
    let refresh = support::str_field(&good.json(), "refresh");
    let hello = send(
        server.api,
        &request(
            "GET",
            "/hello/",
            &[("Authorization", &format!("Bearer {access}"))],
            b"",
        ),
    )
    .await;
    assert_eq!(hello.status, 200);
    // A route with a parameter (axum's router names it) beside the fixed
    // paths (found without it): both counted by their pattern.
    let no_such_session = send(
        server.api,
        &request(
            "DELETE",
            "/api/sessions/999999/",
            &[("Authorization", &format!("Bearer {access}"))],
            b"",
        ),
    )
    .await;
    assert_eq!(no_such_session.status, 404);
    let body = serde_json::json!({ "refresh": refresh });
    assert_eq!(
        post_json(server.api, "/api/token/refresh/", body.clone())
            .await
            .status,
        200
    );
    // The retired token again: reuse, the session is revoked.
    assert_eq!(
        post_json(server.api, "/api/token/refresh/", body)
            .await
            .status,
        401
    );

    let scrape = send(server.metrics, &request("GET", "/metrics", &[], b"")).await;
    assert_eq!(scrape.status, 200);
    assert!(scrape
        .header("content-type")
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = scrape.text();
    let at = |name: &str, labels: &[(&str, &str)]| {
        value(&text, name, labels).unwrap_or_else(|| panic!("no {name}{labels:?} in\n{text}"))
    };
    assert_eq!(at("tessera_logins_total", &[("outcome", "succeeded")]), 1.0);
    assert_eq!(at("tessera_logins_total", &[("outcome", "failed")]), failed);
    assert_eq!(at("tessera_logins_total", &[("outcome", "throttled")]), 1.0);
    assert_eq!(
        at("tessera_refreshes_total", &[("outcome", "rotated")]),
        1.0
    );
    assert_eq!(
        at("tessera_refreshes_total", &[("outcome", "refused")]),
        1.0
    );
    assert_eq!(at("tessera_refresh_reuse_detected_total", &[]), 1.0);
    assert_eq!(
        at("tessera_sessions_revoked_total", &[("reason", "reuse")]),
        1.0
    );
    let hello_ok = [("route", "/hello/"), ("method", "GET"), ("status", "200")];
    assert_eq!(at("tessera_http_requests_total", &hello_ok), 1.0);
    let refresh_refused = [("route", "/api/token/refresh/"), ("status", "401")];
    assert_eq!(at("tessera_http_requests_total", &refresh_refused), 1.0);
    let session_missing = [("route", "/api/sessions/{id}/"), ("status", "404")];
    assert_eq!(at("tessera_http_requests_total", &session_missing), 1.0);
    assert_eq!(
        at(
            "tessera_http_request_duration_seconds_count",
            &[("route", "/hello/")]
        ),
        1.0
    );
    assert!(text
        .contains("tessera_http_request_duration_seconds_bucket{route=\"/hello/\",le=\"0.001\"}"));
    // One password check per login that was not throttled (the throttled
    // attempt never reached the hasher).
    assert_eq!(
        at("tessera_hasher_jobs_total", &[("outcome", "computed")]),
        1.0 + failed
    );
    assert_eq!(at("tessera_hasher_wait_seconds_count", &[]), 1.0 + failed);
    assert_eq!(
        at("tessera_password_checks_total", &[("format", "argon2")]),
        1.0 + failed
    );
    assert_eq!(at("tessera_hasher_in_flight", &[]), 0.0);
    // The only session was revoked by the reuse.
    assert_eq!(at("tessera_live_sessions", &[]), 0.0);
    assert!(at("tessera_sync_lag_seconds", &[]) < 3.0);

    // Not on the API's address.
    let elsewhere = send(server.api, &request("GET", "/metrics", &[], b"")).await;
    assert_eq!(elsewhere.status, 404);
}
