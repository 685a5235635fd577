//! Many requests on one kept-alive connection. The server keeps one copy of
//! the app per connection, and in it the routes with a fixed path that the
//! connection has used (`FixedRoutes`): every answer on a reused connection
//! must be the one a fresh connection gets.

use crate::support::{self, http};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads one response whose length is known (`Content-Length`, or none for
/// HEAD) from `stream`, leaving the connection at the next one.
async fn read_response(stream: &mut TcpStream, head_only: bool) -> http::Reply {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    let header_end = loop {
        if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let n = stream.read(&mut buffer).await.unwrap();
        assert!(n > 0, "the server closed a kept-alive connection");
        received.extend_from_slice(&buffer[..n]);
    };
    let head = http::parse(&received[..header_end]);
    let length: usize = match head.header("content-length") {
        Some(_) if head_only => 0,
        Some(length) => length.parse().unwrap(),
        None => panic!("no Content-Length in {:?}", head.headers),
    };
    while received.len() < header_end + length {
        let n = stream.read(&mut buffer).await.unwrap();
        assert!(n > 0, "the server closed the connection mid-body");
        received.extend_from_slice(&buffer[..n]);
    }
    assert_eq!(received.len(), header_end + length, "more than one answer");
    http::parse(&received)
}

/// A request to send: method, path, headers.
type Ask<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);

/// The headers that say something about the answer (not its date or the
/// connection's fate), sorted.
fn telling_headers(reply: &http::Reply) -> Vec<(String, String)> {
    let mut headers: Vec<_> = reply
        .headers
        .iter()
        .filter(|(name, _)| !matches!(name.to_ascii_lowercase().as_str(), "date" | "connection"))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.clone()))
        .collect();
    headers.sort();
    headers
}

#[tokio::test]
async fn a_kept_alive_connection_answers_as_fresh_ones() {
    let server = support::spawn_app().await;
    server.add_user("kept", "kept-alive password").await;
    let (access, _) = server.tokens("kept", "kept-alive password").await;
    let bearer = format!("Bearer {access}");
    let with_token: &[(&str, &str)] = &[("Authorization", &bearer)];
    // Fixed paths (each served twice or more), a path with a parameter
    // (axum's router), every kind of method answer.
    let requests: Vec<Ask> = vec![
        ("GET", "/livez", &[]),
        ("GET", "/hello/", with_token),
        ("GET", "/hello/", &[]),
        ("POST", "/livez", &[]),
        ("HEAD", "/livez", &[]),
        ("OPTIONS", "/hello/", with_token),
        ("DELETE", "/hello/", with_token),
        ("DELETE", "/api/sessions/999999/", with_token),
        ("GET", "/api/token/", &[]),
        ("GET", "/api/", &[]),
        ("GET", "/hello/", with_token),
        ("GET", "/livez", &[]),
    ];

    let mut connection = TcpStream::connect(server.addr).await.unwrap();
    for (method, path, headers) in requests {
        let fresh = server.send(http::request(method, path, headers, b"")).await;
        let raw = http::request(method, path, headers, b"");
        let raw = String::from_utf8(raw)
            .unwrap()
            .replace("Connection: close", "Connection: keep-alive");
        connection.write_all(raw.as_bytes()).await.unwrap();
        let kept = tokio::time::timeout(
            support::EVENTUALLY,
            read_response(&mut connection, method == "HEAD"),
        )
        .await
        .expect("an answer on the kept-alive connection");
        let what = format!("{method} {path}");
        assert_eq!(kept.status, fresh.status, "{what}");
        assert_eq!(kept.text(), fresh.text(), "{what}");
        assert_eq!(telling_headers(&kept), telling_headers(&fresh), "{what}");
    }
}
