//! HTTPS from the binary: HTTP/2 or HTTP/1.1 by ALPN, over real TLS on
//! loopback, with certificates a test CA signs; the limits of the plain
//! listener in their HTTP/2 form; a renewed certificate served without
//! dropping connections (file change in process, SIGHUP in the real binary).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::http;
use rustls::pki_types::ServerName;
use tessera_server::config::HttpConfig;
use tessera_server::duration::HumanDuration;
use tessera_server::tls::{Certificates, TlsError, TlsFiles};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use crate::support::certificates::TestCa;
use crate::support::{self, eventually, spawn_app_over, TempDir, TestApp, EVENTUALLY};

fn files(dir: &Path) -> TlsFiles {
    TlsFiles {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    }
}

/// A server over TLS with `http`'s limits; the certificates stay in `dir`.
struct TlsApp {
    app: TestApp,
    ca: TestCa,
    certificates: Arc<Certificates>,
    dir: TempDir,
}

async fn spawn_tls_app(http: HttpConfig) -> TlsApp {
    let ca = TestCa::new();
    let dir = TempDir::new();
    ca.issue(&dir.0);
    let certificates = Certificates::load(files(&dir.0)).unwrap();
    let app = spawn_app_over(http, Some(certificates.acceptor().unwrap())).await;
    TlsApp {
        app,
        ca,
        certificates,
        dir,
    }
}

impl TlsApp {
    async fn connect(&self, alpn: &[&[u8]]) -> TlsStream<TcpStream> {
        connect(self.app.addr, &self.ca, alpn).await
    }

    /// An HTTP/2 connection (ALPN `h2`), driven in the background.
    async fn h2(&self) -> h2::client::SendRequest<Bytes> {
        let tls = self.connect(&[b"h2"]).await;
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
        let (send, connection) = h2::client::handshake(tls).await.unwrap();
        tokio::spawn(connection);
        send
    }
}

async fn connect(addr: SocketAddr, ca: &TestCa, alpn: &[&[u8]]) -> TlsStream<TcpStream> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    ca.client(alpn).connect(name, tcp).await.unwrap()
}

/// The certificate the server presented on `tls`.
fn presented(tls: &TlsStream<TcpStream>) -> Vec<u8> {
    tls.get_ref().1.peer_certificates().unwrap()[0].to_vec()
}

/// Sends one request on an HTTP/2 connection; the status and body.
async fn exchange(
    send: &mut h2::client::SendRequest<Bytes>,
    request: http::Request<()>,
    body: Option<&str>,
) -> Result<(u16, String), h2::Error> {
    let ready = send.clone().ready().await?;
    *send = ready;
    let (answer, mut stream) = send.send_request(request, body.is_none())?;
    if let Some(body) = body {
        stream.send_data(Bytes::copy_from_slice(body.as_bytes()), true)?;
    }
    let response = answer.await?;
    let status = response.status().as_u16();
    let mut body = response.into_body();
    let mut bytes = Vec::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk?;
        body.flow_control().release_capacity(chunk.len())?;
        bytes.extend_from_slice(&chunk);
    }
    Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
}

fn get(path: &str) -> http::Request<()> {
    http::Request::get(format!("https://127.0.0.1{path}"))
        .body(())
        .unwrap()
}

#[tokio::test]
async fn https_speaks_http2_or_http1_as_the_client_chooses() {
    let server = spawn_tls_app(HttpConfig::default()).await;
    server.app.add_user("tls-user", "tls-user-password").await;

    // HTTP/2: the simplejwt flow, token to greeting.
    let mut h2 = server.h2().await;
    let login = http::Request::post("https://127.0.0.1/api/token/")
        .header("content-type", "application/json")
        .body(())
        .unwrap();
    let (status, body) = exchange(
        &mut h2,
        login,
        Some(r#"{"username":"tls-user","password":"tls-user-password"}"#),
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let tokens: serde_json::Value = serde_json::from_str(&body).unwrap();
    let hello = http::Request::get("https://127.0.0.1/hello/")
        .header(
            "authorization",
            format!("Bearer {}", tokens["access"].as_str().unwrap()),
        )
        .body(())
        .unwrap();
    let (status, body) = exchange(&mut h2, hello, None).await.unwrap();
    assert_eq!(
        (status, body.as_str()),
        (200, r#"{"message":"Hello, World!"}"#)
    );
    // Many requests at once share the one connection.
    let requests = (0..20).map(|_| {
        let mut h2 = h2.clone();
        async move { exchange(&mut h2, get("/livez"), None).await.unwrap().0 }
    });
    assert!(futures::future::join_all(requests)
        .await
        .iter()
        .all(|status| *status == 200));

    // HTTP/1.1 when the client asks for it, or offers nothing.
    for alpn in [&[&b"http/1.1"[..]][..], &[]] {
        let mut tls = server.connect(alpn).await;
        assert_ne!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
        tls.write_all(b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut answer = Vec::new();
        let _ = tls.read_to_end(&mut answer).await;
        let reply = support::http::parse(&answer);
        assert_eq!(reply.status, 200, "{alpn:?}: {}", reply.text());
    }

    // Plain HTTP on the TLS port is not answered in clear.
    let mut plain = TcpStream::connect(server.app.addr).await.unwrap();
    plain
        .write_all(b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(EVENTUALLY, plain.read_to_end(&mut answer)).await;
    assert!(!String::from_utf8_lossy(&answer).contains("200 OK"));
}

#[tokio::test]
async fn slow_and_idle_clients_are_cut_off_on_both_protocols() {
    let http = HttpConfig {
        header_read_timeout: HumanDuration::from_secs(1),
        ..HttpConfig::default()
    };
    let server = spawn_tls_app(http).await;
    let closes = |mut stream: TcpStream| async move {
        let mut buffer = [0u8; 1024];
        tokio::time::timeout(EVENTUALLY, async {
            while stream.read(&mut buffer).await.unwrap_or(0) > 0 {}
        })
        .await
        .is_ok()
    };

    // A TCP connection that never starts its TLS handshake.
    let silent = TcpStream::connect(server.app.addr).await.unwrap();
    assert!(closes(silent).await, "a silent client was never cut off");

    // An HTTP/2 connection that never sends a request; one that trickles a
    // request's headers (a HEADERS frame without END_HEADERS, and nothing
    // after it): both closed.
    let tls = server.connect(&[b"h2"]).await;
    let (_idle, connection) = h2::client::handshake(tls).await.unwrap();
    let ended = tokio::time::timeout(EVENTUALLY, connection).await;
    assert!(ended.is_ok(), "an idle HTTP/2 connection was never closed");

    let mut trickling = server.connect(&[b"h2"]).await;
    trickling
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        .await
        .unwrap();
    // SETTINGS (empty), then HEADERS for stream 1 without END_HEADERS:
    // one literal header, `:method: GET`, of a block that never ends.
    trickling
        .write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0])
        .await
        .unwrap();
    trickling
        .write_all(&[0, 0, 1, 1, 0, 0, 0, 0, 1, 0x82])
        .await
        .unwrap();
    let mut buffer = [0u8; 1024];
    let closed = tokio::time::timeout(EVENTUALLY, async {
        while trickling.read(&mut buffer).await.unwrap_or(0) > 0 {}
    })
    .await;
    assert!(
        closed.is_ok(),
        "a trickled header block held the connection"
    );

    // HTTP/1.1 over TLS: hyper's header-read timeout, as in plain HTTP.
    let mut slow = server.connect(&[b"http/1.1"]).await;
    slow.write_all(b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    let closed = tokio::time::timeout(EVENTUALLY, async {
        while slow.read(&mut buffer).await.unwrap_or(0) > 0 {}
    })
    .await;
    assert!(closed.is_ok(), "a slow HTTP/1.1 client held the connection");
}

#[tokio::test]
async fn http2_limits_streams_headers_and_reset_floods() {
    let server = spawn_tls_app(HttpConfig::default()).await;
    let mut h2 = server.h2().await;
    // One exchange settles the server's SETTINGS.
    assert_eq!(exchange(&mut h2, get("/livez"), None).await.unwrap().0, 200);
    assert_eq!(
        h2.current_max_send_streams(),
        tessera_server::serve::MAX_STREAMS as usize
    );

    // A header list past the limit: 431, and the connection still serves.
    let huge = http::Request::get("https://127.0.0.1/livez")
        .header("x-padding", "a".repeat(40 * 1024))
        .body(())
        .unwrap();
    match exchange(&mut h2, huge, None).await {
        Ok((status, _)) => assert_eq!(status, 431),
        Err(error) => assert!(error.is_reset(), "{error}"),
    }
    assert_eq!(exchange(&mut h2, get("/livez"), None).await.unwrap().0, 200);

    // Rapid reset (CVE-2023-44487): a thousand requests, each cancelled
    // as soon as sent, written at once as raw frames (a client library
    // paces itself). The server ends the connection rather than serve the
    // flood.
    let mut flood = server.connect(&[b"h2"]).await;
    let mut frames = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    frames.extend(frame(SETTINGS, 0, 0, &[]));
    for stream in (1..2000).step_by(2) {
        // :method GET, :scheme https, :path / (HPACK's static table).
        frames.extend(frame(
            HEADERS,
            END_STREAM | END_HEADERS,
            stream,
            &[0x82, 0x87, 0x84],
        ));
        frames.extend(frame(RST_STREAM, 0, stream, &CANCEL.to_be_bytes()));
    }
    flood.write_all(&frames).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(EVENTUALLY, flood.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the flooding connection was never closed");
    assert_eq!(
        goaway_code(&answer),
        Some(ENHANCE_YOUR_CALM),
        "the server's frames: {:?}",
        frame_types(&answer)
    );
    // Other connections are unaffected.
    let mut fresh = server.h2().await;
    assert_eq!(
        exchange(&mut fresh, get("/livez"), None).await.unwrap().0,
        200
    );
}

const HEADERS: u8 = 0x1;
const RST_STREAM: u8 = 0x3;
const SETTINGS: u8 = 0x4;
const GOAWAY: u8 = 0x7;
const END_STREAM: u8 = 0x1;
const END_HEADERS: u8 = 0x4;
const CANCEL: u32 = 0x8;
const ENHANCE_YOUR_CALM: u32 = 0xb;

/// An HTTP/2 frame (RFC 9113 §4.1).
fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let mut bytes = (payload.len() as u32).to_be_bytes()[1..].to_vec();
    bytes.extend([kind, flags]);
    bytes.extend(stream.to_be_bytes());
    bytes.extend(payload);
    bytes
}

/// The frames in what a server sent: (type, payload).
fn frames(mut bytes: &[u8]) -> Vec<(u8, &[u8])> {
    let mut found = Vec::new();
    while bytes.len() >= 9 {
        let length = u32::from_be_bytes([0, bytes[0], bytes[1], bytes[2]]) as usize;
        let Some(payload) = bytes.get(9..9 + length) else {
            break;
        };
        found.push((bytes[3], payload));
        bytes = &bytes[9 + length..];
    }
    found
}

fn frame_types(bytes: &[u8]) -> Vec<u8> {
    frames(bytes).iter().map(|(kind, _)| *kind).collect()
}

/// The error code of the GOAWAY frame in `bytes`, if there is one.
fn goaway_code(bytes: &[u8]) -> Option<u32> {
    frames(bytes)
        .into_iter()
        .find(|(kind, payload)| *kind == GOAWAY && payload.len() >= 8)
        .map(|(_, payload)| u32::from_be_bytes(payload[4..8].try_into().unwrap()))
}

#[tokio::test]
async fn a_renewed_certificate_is_served_without_dropping_connections() {
    let http = HttpConfig {
        tls_watch_interval: HumanDuration(Duration::from_millis(50)),
        ..HttpConfig::default()
    };
    let server = spawn_tls_app(http.clone()).await;
    let _watch = server.certificates.keep_fresh(http.tls_watch_interval.0);
    let first = server.connect(&[b"h2"]).await;
    let first_cert = presented(&first);
    let (mut open, connection) = h2::client::handshake(first).await.unwrap();
    tokio::spawn(connection);
    assert_eq!(
        exchange(&mut open, get("/livez"), None).await.unwrap().0,
        200
    );

    // Renewed on disk: new handshakes present it soon after.
    let renewed = server.ca.issue(&server.dir.0);
    assert_ne!(renewed, first_cert);
    eventually("the renewed certificate is presented", || async {
        presented(&server.connect(&[b"h2"]).await) == renewed
    })
    .await;
    // The connection made before goes on.
    assert_eq!(
        exchange(&mut open, get("/livez"), None).await.unwrap().0,
        200
    );

    // A key that is not the certificate's: refused, the renewed one stays.
    let stranger = rcgen::KeyPair::generate().unwrap();
    std::fs::write(server.dir.0.join("key.pem"), stranger.serialize_pem()).unwrap();
    assert!(matches!(
        server.certificates.reload(),
        Err(TlsError::Mismatch { .. })
    ));
    assert_eq!(presented(&server.connect(&[b"h2"]).await), renewed);
    assert_eq!(
        exchange(&mut open, get("/livez"), None).await.unwrap().0,
        200
    );
}

#[test]
fn unusable_files_are_named_in_the_error() {
    let dir = TempDir::new();
    let missing = Certificates::load(files(&dir.0)).unwrap_err();
    assert!(missing.to_string().contains("cert.pem"), "{missing}");
    std::fs::write(dir.0.join("cert.pem"), "not a certificate").unwrap();
    std::fs::write(dir.0.join("key.pem"), "not a key").unwrap();
    let empty = Certificates::load(files(&dir.0)).unwrap_err();
    assert!(matches!(empty, TlsError::NoCertificate(_)), "{empty}");
}

/// The real binary: `--tls-cert`/`--tls-key` from the environment, the
/// address it logs, a renewal picked up on SIGHUP (file checks off).
#[tokio::test]
async fn the_binary_serves_https_and_reloads_on_sighup() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let dir = TempDir::new();
    let ca = TestCa::new();
    ca.issue(&dir.0);
    let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .env("DATABASE_URL", format!("sqlite://{}/t.db", dir.0.display()))
        .env("TESSERA_SECRET_KEY", support::SECRET)
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("LEPTOS_SITE_ROOT", &dir.0)
        .env("LEPTOS_OUTPUT_NAME", "tessera")
        .env("TESSERA_TLS_CERT", dir.0.join("cert.pem"))
        .env("TESSERA_TLS_KEY", dir.0.join("key.pem"))
        .env("TESSERA_TLS_WATCH_INTERVAL", "0s")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _kill = KillOnDrop(child.id());
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr: SocketAddr = loop {
        let line = lines.next().expect("the server logs its address").unwrap();
        if let Some((_, address)) = line.split_once("listening on https://") {
            break address.trim().parse().unwrap();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));

    let mut tls = connect(addr, &ca, &[b"http/1.1"]).await;
    let before = presented(&tls);
    tls.write_all(b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = tls.read_to_end(&mut answer).await;
    assert_eq!(support::http::parse(&answer).status, 200);

    let renewed = ca.issue(&dir.0);
    assert_ne!(renewed, before);
    let hangup = Command::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(hangup.success());
    eventually("SIGHUP reloads the certificate", || async {
        presented(&connect(addr, &ca, &[b"h2"]).await) == renewed
    })
    .await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "SIGHUP ended the server"
    );
}

struct KillOnDrop(u32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .arg(self.0.to_string())
            .status();
    }
}
