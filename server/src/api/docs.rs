//! `/api/docs/`: Swagger UI showing `/api/schema/`, where drf-spectacular's
//! `SpectacularSwaggerView` usually sits. Its files come from the crates.io
//! package (`utoipa-swagger-ui`, vendored) and are built into the binary: no
//! CDN, nothing fetched from another origin, so a strict
//! Content-Security-Policy holds.

use std::sync::{Arc, LazyLock};

use axum::extract::Path;
use axum::http::{header, HeaderValue};
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
pub async fn index() -> Response {
    serve("index.html")
}

/// `GET /api/docs/<file>`: the page's scripts, styles and icons.
pub async fn file(Path(file): Path<String>) -> Response {
    serve(&file)
}

fn serve(name: &str) -> Response {
    let file = match utoipa_swagger_ui::serve(name, Arc::clone(&CONFIG)) {
        Ok(Some(file)) => file,
        Ok(None) => return ApiError::NotFound.into_response(),
        Err(error) => return ApiError::Internal(error.to_string()).into_response(),
    };
    let body = if name == "index.html" {
        // The page's title names this API, not the tool.
        String::from_utf8_lossy(&file.bytes)
            .replace("<title>Swagger UI</title>", "<title>Tessera API</title>")
            .into_bytes()
    } else {
        file.bytes.into_owned()
    };
    let content_type = HeaderValue::from_str(&file.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    (
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CONTENT_SECURITY_POLICY),
            ),
            // Built into the binary: a new version comes with a restart.
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}
