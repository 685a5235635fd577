//! Static files (the wasm bundle, its JavaScript, the stylesheet, `public/`)
//! and, for any other URL no route claims, the 404 page.
//!
//! - **Compressed once, at build time.** After the release build,
//!   `scripts/precompress.mjs` writes `name.br` (brotli quality 11) and
//!   `name.gz` (gzip -9) beside each file; `ServeDir` sends the best one
//!   the browser accepts, with `Content-Encoding` and `Vary: Accept-Encoding`,
//!   and the plain file to a client that accepts neither.
//! - **Cached for good where the name says the content.** With `hash-files`
//!   every file of the bundle is named after a hash of its bytes
//!   (`tessera.<hash>.wasm`): a new build makes new names, so those are
//!   immutable for a year. Every other file (the favicon, a build made
//!   without hashes) must be revalidated: `no-cache`, with
//!   `Last-Modified` answering `If-Modified-Since` by 304.

use std::future::Future;

use axum::body::Body;
use axum::http::{header, HeaderValue, Method, Request, Response, StatusCode};
use tower::ServiceExt;
use tower_http::services::ServeDir;

/// A year: the longest expiry HTTP/1.1 ever asked servers to give (RFC 2616
/// §14.21); `immutable` spares even a reload's revalidation.
const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
const REVALIDATE: HeaderValue = HeaderValue::from_static("no-cache");

/// Serves the files under `site_root`.
#[derive(Clone, Debug)]
pub struct StaticFiles {
    files: ServeDir,
}

impl StaticFiles {
    pub fn new(site_root: &str) -> Self {
        let files = ServeDir::new(site_root)
            .precompressed_br()
            .precompressed_gzip()
            // A folder is not a page: `/pkg` answers 404, not a redirect
            // to an index that does not exist.
            .append_index_html_on_directories(false);
        Self { files }
    }

    /// The file `request` names: `None` at once when the method is not one
    /// a file answers, else a future that finds the file, or `None` when
    /// there is none, for the caller to answer instead.
    pub fn serve(
        &self,
        request: &Request<Body>,
    ) -> Option<impl Future<Output = Option<Response<Body>>> + Send + 'static> {
        if !matches!(*request.method(), Method::GET | Method::HEAD) {
            return None;
        }
        // The caller keeps the request for the 404 page: hand `ServeDir` a
        // copy of what it reads (method, path, negotiation and conditional
        // headers), with no body (GET and HEAD have none).
        let mut copy = Request::new(Body::empty());
        *copy.method_mut() = request.method().clone();
        *copy.uri_mut() = request.uri().clone();
        *copy.headers_mut() = request.headers().clone();
        let cache = if names_its_content(request.uri().path()) {
            IMMUTABLE
        } else {
            REVALIDATE
        };
        let files = self.files.clone();
        Some(async move {
            let response = match files.oneshot(copy).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            if response.status() == StatusCode::NOT_FOUND {
                return None;
            }
            let status = response.status();
            let mut response = response.map(Body::new);
            let headers = response.headers_mut();
            if status.is_success() || status == StatusCode::NOT_MODIFIED {
                headers.insert(header::CACHE_CONTROL, cache);
            }
            // The same URL is sent as brotli, gzip or as it is: a shared
            // cache must keep them apart. `ServeDir` says so only for some.
            let says_so = headers.get_all(header::VARY).iter().any(|value| {
                value.to_str().is_ok_and(|value| {
                    value
                        .split(',')
                        .any(|name| name.trim().eq_ignore_ascii_case("accept-encoding"))
                })
            });
            if !says_so {
                headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
            }
            Some(response)
        })
    }
}

/// Whether a file's name carries the hash of its content, as cargo-leptos'
/// `hash-files` writes it: `stem.<hash>.ext`, the hash being 22 characters
/// of URL-safe base64 (an MD5 digest). The split loader's name holds 22
/// underscores until the build hashes it: that placeholder names nothing.
fn names_its_content(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let mut parts = name.split('.');
    // The first part is the stem and the last the extension: a hash sits
    // between them.
    let _stem = parts.next();
    let mut middle: Vec<&str> = parts.collect();
    middle.pop();
    middle.iter().any(|part| {
        part.len() == 22
            && part
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
            && !part.bytes().all(|byte| byte == b'_')
    })
}

#[cfg(test)]
mod tests {
    use super::names_its_content;

    #[test]
    fn hashed_names_are_recognised() {
        assert!(names_its_content(
            "/pkg/tessera.Xq3mR0b9m1c2d3e4f5g6hA.wasm"
        ));
        assert!(names_its_content("/pkg/tessera.Xq3mR0b9m1c2d3e4f5g-_A.js"));
        assert!(names_its_content(
            "/pkg/split_page_login.Xq3mR0b9m1c2d3e4f5g6hA.wasm"
        ));
        assert!(names_its_content(
            "/pkg/__wasm_split.Xq3mR0b9m1c2d3e4f5g6hA.js"
        ));
    }

    #[test]
    fn other_names_are_not() {
        assert!(!names_its_content("/favicon.svg"));
        assert!(!names_its_content("/pkg/tessera.wasm"));
        assert!(!names_its_content(
            "/pkg/__wasm_split.______________________.js"
        ));
        // The hash must sit between a stem and an extension.
        assert!(!names_its_content("/pkg/Xq3mR0b9m1c2d3e4f5g6hA.wasm"));
        assert!(!names_its_content("/pkg/tessera.Xq3mR0b9m1c2d3e4f5g6hA"));
        // 21 or 23 characters, or a character base64url lacks.
        assert!(!names_its_content(
            "/pkg/tessera.Xq3mR0b9m1c2d3e4f5g6h.wasm"
        ));
        assert!(!names_its_content(
            "/pkg/tessera.Xq3mR0b9m1c2d3e4f5g6hAB.wasm"
        ));
        assert!(!names_its_content(
            "/pkg/tessera.Xq3mR0b9m1c2d3e4f5g6h+.wasm"
        ));
    }
}
