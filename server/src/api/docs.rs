//! `/api/docs/`: Swagger UI showing `/api/schema/`, where drf-spectacular's
//! `SpectacularSwaggerView` usually sits. Its files come from the crates.io
//! package (`utoipa-swagger-ui`, vendored) and are built into the binary: no
//! CDN, nothing fetched from another origin, so a strict
//! Content-Security-Policy holds.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, LazyLock, Mutex};

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use utoipa_swagger_ui::Config;

use super::error::ApiError;

/// Scripts, styles and requests from this origin only; icons are `data:`
/// URIs in Swagger UI's stylesheet.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

static CONFIG: LazyLock<Arc<Config<'static>>> = LazyLock::new(|| {
    Arc::new(
        Config::new(["/api/schema/"])
            // No top bar with a box for any URL; no badge from
            // validator.swagger.io (another origin).
            .use_base_layout()
            .validator_url("none")
            .try_it_out_enabled(true)
            .display_request_duration(true),
    )
});

/// `GET /api/docs/`
pub async fn index(request: HeaderMap) -> Response {
    serve("index.html", &request)
}

/// `GET /api/docs/<file>`: the page's scripts, styles and icons.
pub async fn file(Path(file): Path<String>, request: HeaderMap) -> Response {
    serve(&file, &request)
}

/// One of Swagger UI's files as this server sends it.
struct DocFile {
    body: axum::body::Bytes,
    content_type: HeaderValue,
    etag: HeaderValue,
}

/// The files asked for so far, each prepared once: they are built into the
/// binary and never change while it runs (the bundle alone is 1.5 MB to
/// copy and hash). Only names that exist are kept, so the map is bounded by
/// Swagger UI's handful of files.
static FILES: LazyLock<Mutex<HashMap<String, Arc<DocFile>>>> = LazyLock::new(Default::default);

/// Our additions to Swagger UI's looks, linked after its own stylesheet.
const OWN_STYLESHEET: &str = "tessera.css";

/// The way back to the app laid out like Swagger UI's content, and a dark
/// scheme when the system asks for one: Swagger UI has none, so its page is
/// inverted (hues turned back) on a dark canvas, as the app's pages are dark.
const OWN_STYLES: &str = "\
nav[aria-label=\"Tessera\"] p {
  box-sizing: border-box;
  max-width: 1460px;
  margin: 0 auto;
  padding: 12px 20px 0;
  font-family: sans-serif;
}
nav[aria-label=\"Tessera\"] a { color: #1d4ed8; }
@media (prefers-color-scheme: dark) {
  html { background: #12151c; }
  body { background: #fff; filter: invert(0.9) hue-rotate(180deg); }
}
";

fn prepare(name: &str) -> Result<Option<Arc<DocFile>>, String> {
    let files = || {
        FILES
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    };
    if let Some(file) = files().get(name) {
        return Ok(Some(Arc::clone(file)));
    }
    let (bytes, content_type) = if name == OWN_STYLESHEET {
        (
            std::borrow::Cow::Borrowed(OWN_STYLES.as_bytes()),
            "text/css; charset=utf-8".to_owned(),
        )
    } else {
        match utoipa_swagger_ui::serve(name, Arc::clone(&CONFIG)).map_err(|e| e.to_string())? {
            Some(file) => (file.bytes, file.content_type),
            None => return Ok(None),
        }
    };
    let body = if name == "index.html" {
        // The page's title names this API, not the tool; it fits a phone's
        // width, and leads back to the app.
        String::from_utf8_lossy(&bytes)
            .replace(
                "<title>Swagger UI</title>",
                "<title>Tessera API</title>\n    \
                 <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
            )
            .replace(
                "</head>",
                &format!("  <link rel=\"stylesheet\" href=\"./{OWN_STYLESHEET}\">\n  </head>"),
            )
            .replace(
                "<body>",
                "<body>\n    <nav aria-label=\"Tessera\"><p>\
                 <a href=\"/\">Back to the app</a> \u{b7} \
                 <a href=\"/api/schema/\">The OpenAPI document</a></p></nav>",
            )
            .into_bytes()
    } else {
        bytes.into_owned()
    };
    // Built into the binary, so a new version comes only with a restart:
    // browsers revalidate (`no-cache`) and get a 304 while the bytes are
    // the same. The tag is a hash of them, equal on every instance that
    // runs this build (SipHash with fixed keys, not per process).
    let mut hasher = std::hash::DefaultHasher::new();
    body.hash(&mut hasher);
    let prepared = Arc::new(DocFile {
        body: body.into(),
        content_type: HeaderValue::from_str(&content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
        etag: HeaderValue::from_str(&format!("\"{:016x}\"", hasher.finish()))
            .expect("hex digits are a valid header value"),
    });
    files().insert(name.to_owned(), Arc::clone(&prepared));
    Ok(Some(prepared))
}

fn serve(name: &str, request: &HeaderMap) -> Response {
    let file = match prepare(name) {
        Ok(Some(file)) => file,
        Ok(None) => return ApiError::NotFound.into_response(),
        Err(error) => return ApiError::Internal(error).into_response(),
    };
    let unchanged = request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == file.etag);
    let revalidate = [
        (header::ETAG, file.etag.clone()),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
    ];
    if unchanged {
        return (StatusCode::NOT_MODIFIED, revalidate).into_response();
    }
    (
        revalidate,
        [
            (header::CONTENT_TYPE, file.content_type.clone()),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CONTENT_SECURITY_POLICY),
            ),
        ],
        file.body.clone(),
    )
        .into_response()
}
