//! Cross-origin access for browser apps served from another origin (an
//! Angular, React or Vue app on its own host calling the API), as
//! django-cors-headers gives a Django site: exact origins only, never `*`,
//! never credentials (tokens travel in the `Authorization` header, not in
//! cookies). Off unless `--cors-allowed-origins` names an origin.
//!
//! Only the API routes get it: pages and server functions are same-origin by
//! design. A preflight (OPTIONS with `Origin` and
//! `Access-Control-Request-Method`) from an allowed origin is answered here;
//! every other request, OPTIONS included, reaches its view, so DRF's answer
//! to a plain OPTIONS (`Allow` and `{}`) stays what simplejwt clients know.
//! (tower-http's `CorsLayer` answers every OPTIONS as a preflight, which
//! would replace it.)

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Methods the API answers cross-origin (DELETE ends a session).
const ALLOWED_METHODS: HeaderValue = HeaderValue::from_static("GET, POST, DELETE");
/// Request headers beyond the CORS-safelisted ones a client sends (`dpop`:
/// the proof of a DPoP client).
const ALLOWED_HEADERS: HeaderValue = HeaderValue::from_static("authorization, content-type, dpop");
/// Response headers a script may read besides the safelisted ones: how long
/// to wait after 429/503, the scheme a 401 asks for, and the DPoP nonce.
const EXPOSED_HEADERS: HeaderValue =
    HeaderValue::from_static("retry-after, www-authenticate, dpop-nonce");
/// How long a browser may reuse a preflight answer: a day, as
/// django-cors-headers; browsers cap it (Chromium at two hours).
const MAX_AGE: HeaderValue = HeaderValue::from_static("86400");
/// Answers differ by origin: caches must keep them apart.
const VARY: HeaderValue = HeaderValue::from_static("origin");

/// One origin allowed to call the API: `scheme://host[:port]`, exactly as a
/// browser sends it in `Origin` (lowercase, no path, no trailing slash).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowedOrigin(String);

#[derive(Debug, thiserror::Error)]
#[error(
    "`{0}` is not an origin: write scheme://host[:port] (http or https), \
     without a path or a trailing slash; `*` is never accepted"
)]
pub struct NotAnOrigin(String);

impl FromStr for AllowedOrigin {
    type Err = NotAnOrigin;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let refuse = || NotAnOrigin(text.to_owned());
        let lowered = text.trim().to_ascii_lowercase();
        let authority = lowered
            .strip_prefix("https://")
            .or_else(|| lowered.strip_prefix("http://"))
            .ok_or_else(refuse)?;
        let (host, port) = split_port(authority).ok_or_else(refuse)?;
        let host_ok = if let Some(inner) = host.strip_prefix('[') {
            // An IPv6 literal.
            inner
                .strip_suffix(']')
                .is_some_and(|address| address.parse::<std::net::Ipv6Addr>().is_ok())
        } else {
            !host.is_empty()
                && host
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'.')
        };
        let port_ok = port.is_none_or(|port| port.parse::<u16>().is_ok_and(|port| port > 0));
        if host_ok && port_ok {
            Ok(Self(lowered))
        } else {
            Err(refuse())
        }
    }
}

/// `host[:port]` → (host, port); `None` when there is anything after a port.
fn split_port(authority: &str) -> Option<(&str, Option<&str>)> {
    let after_host = if authority.starts_with('[') {
        authority.find(']')? + 1
    } else {
        authority.find(':').unwrap_or(authority.len())
    };
    let (host, rest) = authority.split_at(after_host);
    match rest {
        "" => Some((host, None)),
        _ => rest
            .strip_prefix(':')
            .filter(|port| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
            .map(|port| (host, Some(port))),
    }
}

impl fmt::Display for AllowedOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The origins allowed to call the API. Cheap to clone.
#[derive(Clone, Debug)]
pub struct CorsPolicy {
    origins: Arc<[AllowedOrigin]>,
}

impl CorsPolicy {
    /// `None` when no origin is allowed: then the API sends no CORS header at
    /// all and the middleware is not installed.
    pub fn new(origins: &[AllowedOrigin]) -> Option<Self> {
        (!origins.is_empty()).then(|| Self {
            origins: origins.into(),
        })
    }

    /// The request's `Origin`, when it is an allowed one.
    fn allowed_origin(&self, headers: &HeaderMap) -> Option<HeaderValue> {
        let origin = headers.get(header::ORIGIN)?;
        self.origins
            .iter()
            .any(|allowed| allowed.0.as_bytes() == origin.as_bytes())
            .then(|| origin.clone())
    }
}

/// The middleware (`axum::middleware::from_fn_with_state`) around the API routes.
pub async fn apply(State(policy): State<CorsPolicy>, request: Request, next: Next) -> Response {
    let Some(origin) = policy.allowed_origin(request.headers()) else {
        let mut response = next.run(request).await;
        response.headers_mut().append(header::VARY, VARY);
        return response;
    };
    let is_preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if is_preflight {
        let mut response = StatusCode::NO_CONTENT.into_response();
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, ALLOWED_METHODS);
        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOWED_HEADERS);
        headers.insert(header::ACCESS_CONTROL_MAX_AGE, MAX_AGE);
        headers.append(header::VARY, VARY);
        return response;
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, EXPOSED_HEADERS);
    headers.append(header::VARY, VARY);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<String, NotAnOrigin> {
        text.parse::<AllowedOrigin>().map(|origin| origin.0)
    }

    #[test]
    fn origins_are_taken_as_browsers_send_them() {
        assert_eq!(
            parse("https://app.example.com").unwrap(),
            "https://app.example.com"
        );
        assert_eq!(
            parse("HTTP://LocalHost:5173").unwrap(),
            "http://localhost:5173"
        );
        assert_eq!(
            parse("http://127.0.0.1:3102").unwrap(),
            "http://127.0.0.1:3102"
        );
        assert_eq!(parse("http://[::1]:8080").unwrap(), "http://[::1]:8080");
    }

    #[test]
    fn anything_but_an_origin_is_refused() {
        for text in [
            "*",
            "",
            "app.example.com",
            "https://app.example.com/",
            "https://app.example.com/path",
            "https://app.example.com:",
            "https://app.example.com:99999",
            "https://user@app.example.com",
            "ftp://app.example.com",
            "https://",
            "http://[::1",
            "https://app.example.com?x=1",
        ] {
            assert!(parse(text).is_err(), "{text:?} was accepted");
        }
    }
}
