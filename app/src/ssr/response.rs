//! The status of a server function's response. A leaf: the error type
//! (`failure.rs`) sets it too, when the arguments cannot be decoded.

use axum::http::{header, HeaderValue, StatusCode};
use leptos::prelude::use_context;

/// `DPoP-Nonce` on a server function's answer when nonces are on, so that
/// the browser's next proof carries a fresh one (RFC 9449 §8.2); such an
/// answer is not kept by any cache.
pub fn offer_dpop_nonce(nonce: Option<String>) {
    let (Some(nonce), Some(response)) = (nonce, use_context::<leptos_axum::ResponseOptions>())
    else {
        return;
    };
    if let Ok(value) = HeaderValue::from_str(&nonce) {
        response.insert_header(header::HeaderName::from_static("dpop-nonce"), value);
        response.insert_header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// A proof refused for want of the server's nonce: the answer names the
/// reason in `WWW-Authenticate` (as RFC 9449 §9 has resources do, and as
/// the REST API words it) and carries the nonce, for the browser to send
/// the call again with it.
pub fn ask_for_dpop_nonce(nonce: &str) {
    offer_dpop_nonce(Some(nonce.to_owned()));
    challenge_in_dpop("use_dpop_nonce", None);
}

/// `WWW-Authenticate` in the DPoP scheme, as the REST API writes it
/// ([`tessera::dpop_challenge`]): `invalid_token` for a refused token (one
/// presented as `Authorization: DPoP`, with the refusal's words, or a bound
/// one without a proof of its key), `use_dpop_nonce` for a proof without
/// the server's nonce.
pub fn challenge_in_dpop(error: &str, description: Option<&str>) {
    let Some(response) = use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    let challenge = tessera::dpop_challenge(error, description);
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response.insert_header(header::WWW_AUTHENTICATE, value);
    }
}

/// Makes the server function's response carry `status` (and, for 401,
/// `WWW-Authenticate` as the REST API does). Outside a request, nothing.
pub fn set_status(status: u16) {
    set_status_and_retry(status, None);
}

/// As [`set_status`], with `Retry-After` (seconds) when a wait is known.
pub fn set_status_and_retry(status: u16, retry_after: Option<i64>) {
    let Some(response) = use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.set_status(status);
    if status == StatusCode::UNAUTHORIZED {
        response.insert_header(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"Bearer realm="api""#),
        );
    }
    if let Some(seconds) = retry_after {
        response.insert_header(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
}

/// A response that carries tokens must not be stored by any cache (RFC 6749
/// §5.1: `Cache-Control: no-store`, `Pragma: no-cache`).
pub fn forbid_caching() {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.insert_header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response.insert_header(header::PRAGMA, HeaderValue::from_static("no-cache"));
    }
}

/// The headers of a page: its Content-Security-Policy, and `no-cache`, so
/// that a browser asks again each time and a new deploy shows at once (the
/// files a page loads have names of their own per build, cached for good).
///
/// The Content-Security-Policy: scripts only from this origin and
/// the page's own inline ones (the hydration script, which carries the
/// per-response nonce leptos stamps on it), WebAssembly compiled from them,
/// nothing framed, no plugins, no `<base>`. Tokens live in localStorage, so
/// an injected script would own the account: this is the main defence.
/// `dev_reload`: the live-reload websocket of `cargo leptos watch`.
pub fn set_page_headers(dev_reload: Option<u32>) {
    let Some(response) = use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    response.insert_header(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    let Some(nonce) = leptos::nonce::use_nonce() else {
        return;
    };
    let reload = dev_reload.map_or_else(String::new, |port| format!(" ws://127.0.0.1:{port}"));
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'{reload}; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}
