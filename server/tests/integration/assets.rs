//! What a browser gets for the site's files and pages: the precompressed
//! file it asks for (brotli, gzip or none), bundle files cached for good,
//! everything else revalidated with a 304, pages compressed on the fly, and
//! no response that carries a token compressed at all.
//!
//! The test site is laid out as the release build lays out target/site:
//! `pkg/tessera.<hash>.wasm` with `.br` and `.gz` beside it, `favicon.svg`
//! with no hash in its name.

use std::io::{Read, Write};
use std::path::Path;

use crate::support::{http::request, spawn_app, spawn_app_with, Engine, Reply, TestApp};

const WASM: &str = "/pkg/tessera.Xq3mR0b9m1c2d3e4f5g6hA.wasm";
const FAVICON: &str = "/favicon.svg";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// A module-like file: a few kilobytes that compress well.
fn wasm_bytes() -> Vec<u8> {
    let mut bytes = b"\0asm\x01\0\0\0".to_vec();
    for i in 0..4000u32 {
        bytes.extend_from_slice(format!("function_{} ", i % 97).as_bytes());
    }
    bytes
}

fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
        writer.write_all(bytes).unwrap();
    }
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(bytes, 4096)
        .read_to_end(&mut out)
        .expect("a brotli body");
    out
}

fn ungzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("a gzip body");
    out
}

/// Writes the site: the module with its precompressed twins, and a favicon.
fn lay_out_site(root: &Path) {
    let wasm = wasm_bytes();
    let path = root.join(WASM.trim_start_matches('/'));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, &wasm).unwrap();
    std::fs::write(path.with_extension("wasm.br"), brotli(&wasm)).unwrap();
    std::fs::write(path.with_extension("wasm.gz"), gzip(&wasm)).unwrap();
    std::fs::write(
        root.join("favicon.svg"),
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>"#,
    )
    .unwrap();
}

async fn site() -> TestApp {
    let app = spawn_app().await;
    lay_out_site(app.site_root());
    app
}

async fn get(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Reply {
    app.send(request("GET", path, headers, b"")).await
}

/// Whether `Vary` names `Accept-Encoding`, exactly once.
fn varies_on_encoding(reply: &Reply) -> bool {
    let mentions = reply
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("vary"))
        .flat_map(|(_, value)| value.split(','))
        .filter(|name| name.trim().eq_ignore_ascii_case("accept-encoding"))
        .count();
    mentions == 1
}

#[tokio::test]
async fn a_browser_that_accepts_brotli_gets_the_brotli_file() {
    let app = site().await;
    let reply = get(
        &app,
        WASM,
        &[("Accept-Encoding", "gzip, deflate, br, zstd")],
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-encoding"), Some("br"));
    assert_eq!(reply.header("content-type"), Some("application/wasm"));
    assert!(varies_on_encoding(&reply), "{:?}", reply.headers);
    assert!(
        reply.body.len() < wasm_bytes().len() / 4,
        "{} bytes",
        reply.body.len()
    );
    assert_eq!(unbrotli(&reply.body), wasm_bytes());
}

#[tokio::test]
async fn a_client_that_accepts_only_gzip_gets_the_gzip_file() {
    let app = site().await;
    for accept in ["gzip", "br;q=0, gzip", "gzip;q=1, br;q=0"] {
        let reply = get(&app, WASM, &[("Accept-Encoding", accept)]).await;
        assert_eq!(reply.status, 200, "{accept}");
        assert_eq!(reply.header("content-encoding"), Some("gzip"), "{accept}");
        assert!(varies_on_encoding(&reply), "{accept}");
        assert_eq!(ungzip(&reply.body), wasm_bytes(), "{accept}");
    }
}

#[tokio::test]
async fn a_client_that_accepts_no_encoding_gets_the_file_as_it_is() {
    let app = site().await;
    for headers in [&[][..], &[("Accept-Encoding", "identity")][..]] {
        let reply = get(&app, WASM, headers).await;
        assert_eq!(reply.status, 200, "{headers:?}");
        assert_eq!(reply.header("content-encoding"), None, "{headers:?}");
        assert_eq!(reply.body, wasm_bytes(), "{headers:?}");
        assert!(
            varies_on_encoding(&reply),
            "{headers:?}: {:?}",
            reply.headers
        );
    }
}

#[tokio::test]
async fn bundle_files_are_cached_for_a_year_and_never_revalidated() {
    let app = site().await;
    for accept in ["br", "gzip", "identity"] {
        let reply = get(&app, WASM, &[("Accept-Encoding", accept)]).await;
        assert_eq!(reply.header("cache-control"), Some(IMMUTABLE), "{accept}");
    }
}

#[tokio::test]
async fn a_file_without_a_hash_is_revalidated_and_answered_304_when_unchanged() {
    let app = site().await;
    let first = get(&app, FAVICON, &[]).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.header("cache-control"), Some("no-cache"));
    assert_eq!(first.header("content-type"), Some("image/svg+xml"));
    let last_modified = first
        .header("last-modified")
        .expect("Last-Modified")
        .to_owned();

    let again = get(&app, FAVICON, &[("If-Modified-Since", &last_modified)]).await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(again.header("cache-control"), Some("no-cache"));

    // A changed file is sent again.
    let older = "Mon, 01 Jan 2001 00:00:00 GMT";
    let changed = get(&app, FAVICON, &[("If-Modified-Since", older)]).await;
    assert_eq!(changed.status, 200);
    assert!(!changed.body.is_empty());
}

#[tokio::test]
async fn head_answers_a_file_s_headers_without_its_body() {
    let app = site().await;
    let reply = app
        .send(request("HEAD", WASM, &[("Accept-Encoding", "br")], b""))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-encoding"), Some("br"));
    assert_eq!(reply.header("cache-control"), Some(IMMUTABLE));
    assert!(reply.body.is_empty());
}

#[tokio::test]
async fn a_missing_file_a_folder_or_a_post_gets_the_app_s_404_page() {
    let app = site().await;
    for (method, path) in [
        ("GET", "/pkg/tessera.nothing.js"),
        ("GET", "/pkg"),
        ("GET", "/pkg/"),
        ("GET", "/../Cargo.toml"),
        ("POST", FAVICON),
    ] {
        let reply = app.send(request(method, path, &[], b"")).await;
        assert_eq!(reply.status, 404, "{method} {path}");
        assert!(
            reply
                .header("content-type")
                .unwrap_or_default()
                .starts_with("text/html"),
            "{method} {path}: {:?}",
            reply.headers
        );
        assert!(
            reply.text().contains("<title>Tessera</title>"),
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn pages_are_compressed_on_the_fly_and_always_revalidated() {
    let app = site().await;
    let plain = get(&app, "/login", &[]).await;
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(plain.header("cache-control"), Some("no-cache"));
    assert!(plain.text().contains("<title>Tessera</title>"));

    let brotli = get(&app, "/login", &[("Accept-Encoding", "br")]).await;
    assert_eq!(brotli.header("content-encoding"), Some("br"));
    assert_eq!(brotli.header("cache-control"), Some("no-cache"));
    assert!(varies_on_encoding(&brotli));
    let page = String::from_utf8(unbrotli(&brotli.body)).unwrap();
    assert!(page.contains("<title>Tessera</title>"));

    let gzipped = get(&app, "/login", &[("Accept-Encoding", "gzip")]).await;
    assert_eq!(gzipped.header("content-encoding"), Some("gzip"));
    let page = String::from_utf8(ungzip(&gzipped.body)).unwrap();
    assert!(page.contains("<title>Tessera</title>"));

    // The 404 page too, and the OpenAPI document (large JSON).
    let missing = get(&app, "/no-such-page", &[("Accept-Encoding", "br")]).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.header("content-encoding"), Some("br"));
    let schema = get(&app, "/api/schema/", &[("Accept-Encoding", "br")]).await;
    assert_eq!(schema.header("content-encoding"), Some("br"));
    let document: serde_json::Value = serde_json::from_slice(&unbrotli(&schema.body)).unwrap();
    assert!(document["openapi"].is_string());
    // And the browsable API's page for a browser that opens an API URL.
    let browsable = get(
        &app,
        "/api/token/",
        &[("Accept", "text/html"), ("Accept-Encoding", "br")],
    )
    .await;
    assert_eq!(browsable.header("content-encoding"), Some("br"));
    let page = String::from_utf8(unbrotli(&browsable.body)).unwrap();
    assert!(page.contains("Tessera API"), "{page}");
}

#[tokio::test]
async fn small_responses_go_out_as_they_are() {
    let app = site().await;
    app.add_user("alice", "correct horse battery").await;
    let (access, _) = app.tokens("alice", "correct horse battery").await;
    let auth = format!("Bearer {access}");
    let hello = get(
        &app,
        "/hello/",
        &[("Authorization", &auth), ("Accept-Encoding", "br, gzip")],
    )
    .await;
    assert_eq!(hello.status, 200);
    assert_eq!(hello.header("content-encoding"), None);
    assert_eq!(hello.json()["message"], "Hello, World!");
}

#[tokio::test]
async fn a_response_that_carries_tokens_is_never_compressed() {
    // RSA-signed tokens make a token pair larger than the size that is
    // otherwise compressed. A program's call goes around compression; a
    // browser's page of it is kept plain by `no-store` (BREACH).
    let app = spawn_app_with(Engine::Sqlite, |settings| {
        settings.algorithm = "RS256".parse().unwrap();
    })
    .await;
    app.add_user("alice", "correct horse battery").await;
    let body = r#"{"username": "alice", "password": "correct horse battery"}"#;
    let reply = app
        .send(request(
            "POST",
            "/api/token/",
            &[
                ("Content-Type", "application/json"),
                ("Accept-Encoding", "br, gzip"),
            ],
            body.as_bytes(),
        ))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(reply.body.len() > 1024, "{} bytes", reply.body.len());
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert_eq!(reply.header("content-encoding"), None);
    assert!(reply.json()["refresh"].is_string());

    // A browser gets the tokens as the browsable API's page, which goes
    // through compression like every page: `no-store` keeps it plain.
    let page = app
        .send(request(
            "POST",
            "/api/token/",
            &[
                ("Content-Type", "application/json"),
                ("Accept", "text/html"),
                ("Accept-Encoding", "br, gzip"),
            ],
            body.as_bytes(),
        ))
        .await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(page.body.len() > 1024);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert_eq!(page.header("content-encoding"), None);
    assert!(page.text().contains("refresh"));
}

#[tokio::test]
async fn swagger_ui_is_compressed_and_revalidated_by_its_etag() {
    let app = spawn_app().await;
    let bundle = "/api/docs/swagger-ui-bundle.js";
    let first = get(&app, bundle, &[("Accept-Encoding", "br")]).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.header("content-encoding"), Some("br"));
    assert_eq!(first.header("cache-control"), Some("no-cache"));
    let script = unbrotli(&first.body);
    assert!(
        script.len() > 3 * first.body.len(),
        "{} → {}",
        script.len(),
        first.body.len()
    );
    let etag = first.header("etag").expect("an ETag").to_owned();

    let again = get(&app, bundle, &[("If-None-Match", &etag)]).await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), Some(etag.as_str()));

    let other = get(&app, bundle, &[("If-None-Match", "\"0000000000000000\"")]).await;
    assert_eq!(other.status, 200);
    // Each file has its own tag.
    let page = get(&app, "/api/docs/", &[]).await;
    assert_ne!(page.header("etag"), Some(etag.as_str()));
}
