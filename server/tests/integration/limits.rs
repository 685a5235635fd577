//! Limits on every route: one body limit (server functions included) that
//! refuses before reading, a header-read timeout that disconnects slow
//! clients, and a request timeout. Spoken over real sockets.

use crate::support;

use std::time::Duration;

use leptos::server_fn::ServerFn;
use tessera_app::api::Login;
use tessera_server::config::HttpConfig;
use tessera_server::duration::HumanDuration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use support::{spawn_app, spawn_app_with_http};

const TOO_LARGE: &str = r#"{"detail":"Request body is too large: the limit is 65536 bytes."}"#;

/// Sends `head` (request line and headers, no body) and reads the answer
/// without ever sending the body it announces.
async fn answer_without_body(addr: std::net::SocketAddr, head: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(support::EVENTUALLY, async {
        let mut buffer = [0u8; 4096];
        loop {
            let n = stream.read(&mut buffer).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buffer[..n]);
            if answer.windows(4).any(|w| w == b"\r\n\r\n") && answer.ends_with(b"}") {
                break;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "no answer: the server waited for the body");
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_200_mib_body_is_refused_before_it_is_read_on_every_route() {
    let app = spawn_app().await;
    for path in ["/api/token/", Login::PATH, "/login", "/nowhere"] {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\n\r\n",
            200 * 1024 * 1024
        );
        let answer = answer_without_body(app.addr, &head).await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{path}: {answer}");
        assert!(answer.ends_with(TOO_LARGE), "{path}: {answer}");
    }
}

/// A body without a declared length is read up to the limit and refused
/// past it with the same 413, on the REST API and the server functions
/// alike (a server function's own reader would answer a cut body 500).
#[tokio::test]
async fn a_chunked_body_is_cut_off_at_the_limit() {
    let app = spawn_app().await;
    let chunk = "a".repeat(16 * 1024);
    for (path, content_type) in [
        ("/api/token/", "application/json"),
        (Login::PATH, "application/x-www-form-urlencoded"),
    ] {
        let mut raw = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n\
             Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        );
        for _ in 0..8 {
            raw.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
        }
        raw.push_str("0\r\n\r\n");
        let reply = app.send(raw.as_bytes()).await;
        assert_eq!(
            (reply.status, reply.text()),
            (413, TOO_LARGE.to_owned()),
            "{path}"
        );
    }
    // Under the limit, a chunked login is read whole.
    app.add_user("alice", "pw").await;
    let body = r#"{"username":"alice","password":"pw"}"#;
    let raw = format!(
        "POST /api/token/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
        body.len()
    );
    assert_eq!(app.send(raw.as_bytes()).await.status, 200);
}

/// `--max-body-bytes` is the one limit: raised, the REST endpoints read
/// what it allows (the body reader has no smaller limit of its own), and
/// past it they refuse with its figure, declared length or chunked alike.
#[tokio::test]
async fn the_body_limit_flag_is_the_one_limit() {
    let app = spawn_app_with_http(HttpConfig {
        max_body_bytes: 200 * 1024,
        ..HttpConfig::default()
    })
    .await;
    let padding = "p".repeat(100 * 1024);
    let body = format!(r#"{{"username":"nobody","password":"x","padding":"{padding}"}}"#);
    let reply = app.post_json("/api/token/", &body).await;
    assert_eq!(reply.status, 401, "{}", reply.text());

    let too_large = r#"{"detail":"Request body is too large: the limit is 204800 bytes."}"#;
    let padding = "p".repeat(300 * 1024);
    let body = format!(r#"{{"username":"nobody","password":"x","padding":"{padding}"}}"#);
    let reply = app.post_json("/api/token/", &body).await;
    assert_eq!((reply.status, reply.text()), (413, too_large.to_owned()));
    let chunk = "a".repeat(64 * 1024);
    let mut raw = String::from(
        "POST /api/token/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
    );
    for _ in 0..4 {
        raw.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
    }
    raw.push_str("0\r\n\r\n");
    let reply = app.send(raw.as_bytes()).await;
    assert_eq!((reply.status, reply.text()), (413, too_large.to_owned()));
}

#[tokio::test]
async fn slow_clients_are_disconnected_and_livez_answers_meanwhile() {
    let app = spawn_app_with_http(HttpConfig {
        header_read_timeout: HumanDuration::from_secs(1),
        ..Default::default()
    })
    .await;
    // Two hundred clients that start a request and never finish its headers.
    let mut slow = Vec::new();
    for _ in 0..200 {
        let mut stream = TcpStream::connect(app.addr).await.unwrap();
        stream
            .write_all(b"GET /livez HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        slow.push(stream);
    }
    let livez = tokio::time::timeout(Duration::from_secs(5), app.get("/livez", &[])).await;
    assert_eq!(livez.expect("livez answers while they wait").status, 200);
    // Past the header-read timeout, the server has hung up on every one.
    for mut stream in slow {
        let mut buffer = [0u8; 256];
        let closed = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                match stream.read(&mut buffer).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {} // a 408, then the close
                }
            }
        })
        .await;
        assert!(closed.is_ok(), "a slow client was never disconnected");
    }
}

#[tokio::test]
async fn a_request_whose_body_never_arrives_times_out_with_408() {
    let app = spawn_app_with_http(HttpConfig {
        request_timeout: HumanDuration::from_secs(1),
        ..Default::default()
    })
    .await;
    let head = "POST /api/token/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                Content-Length: 100\r\n\r\n{\"username\"";
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer))
        .await
        .expect("answered within the timeout")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

/// With every hasher busy and the queue full, a login is answered 503 with
/// `Retry-After` at once, never queued without bound and never a 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn logins_past_the_hasher_queue_are_answered_503_at_once() {
    let app = std::sync::Arc::new(
        support::spawn_app_with(support::Engine::Sqlite, |settings| {
            settings.max_concurrent_hashes = Some(1);
            settings.max_queued_hashes = 0;
            settings.throttle.free_failures = 1_000;
            settings.throttle.address_failures = 1_000;
        })
        .await,
    );
    app.add_user("alice", "right").await;
    let mut busy = None;
    for _ in 0..5 {
        let logins: Vec<_> = (0..12)
            .map(|_| {
                let app = app.clone();
                tokio::spawn(async move { app.login("alice", "wrong").await })
            })
            .collect();
        for login in logins {
            let reply = login.await.unwrap();
            match reply.status {
                401 => {}
                503 => busy = Some(reply),
                other => panic!("unexpected {other}: {}", reply.text()),
            }
        }
        if busy.is_some() {
            break;
        }
    }
    let busy = busy.expect("twelve logins at once on one hasher with no queue");
    assert_eq!(
        busy.text(),
        r#"{"detail":"The server is busy. Try again in 1 second."}"#
    );
    assert_eq!(busy.header("retry-after"), Some("1"));
    assert!(app.tessera.upkeep.hasher_stats().refused > 0);
}
