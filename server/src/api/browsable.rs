//! Like DRF's browsable API: a browser that opens an API URL (it asks for
//! `text/html`) gets a readable page showing the same status and JSON, with
//! a short explanation, instead of raw JSON. Programs (curl, HTTPie, axios)
//! don't list `text/html` in `Accept` and get the JSON untouched.
//!
//! A tower service around the whole router rather than a route layer: a
//! route layer (`middleware::from_fn`) boxed and cloned the inner service on
//! every API request, a dozen allocations on the hottest path. Here a
//! program's request goes
//! straight through, unboxed.

use std::convert::Infallible;
use std::task::{Context, Poll};

use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::Response;
use futures::future::{BoxFuture, Either, FutureExt};
use tower::{Layer, Service};

const MAX_RENDERED_BYTES: usize = 256 * 1024;

/// The paths of the REST API (`super::routes`).
fn is_api_path(path: &str) -> bool {
    path.starts_with("/api/") || path == "/hello/" || path == "/.well-known/jwks.json"
}

/// A call of the API by a program (not a browser asking for a page): JSON
/// only, small but for the OpenAPI document and Swagger UI's files, which
/// are for people and count as pages here.
pub fn answers_a_program<B>(request: &axum::http::Request<B>) -> bool {
    let path = request.uri().path();
    let for_people = path == "/api/schema/" || path.starts_with("/api/docs/");
    is_api_path(path) && !for_people && !asks_for_html(request)
}

fn wants_html(request: &Request) -> bool {
    is_api_path(request.uri().path()) && asks_for_html(request)
}

fn asks_for_html<B>(request: &axum::http::Request<B>) -> bool {
    request
        .headers()
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

#[derive(Clone, Copy, Debug)]
pub struct BrowsableLayer {
    /// The site's stylesheet (its name carries a hash in a release build).
    pub stylesheet: &'static str,
}

impl<S> Layer<S> for BrowsableLayer {
    type Service = Browsable<S>;

    fn layer(&self, inner: S) -> Browsable<S> {
        Browsable {
            inner,
            stylesheet: self.stylesheet,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Browsable<S> {
    inner: S,
    stylesheet: &'static str,
}

impl<S> Service<Request> for Browsable<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<S::Future, BoxFuture<'static, Result<Response, Infallible>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        if !wants_html(&request) {
            return Either::Left(self.inner.call(request));
        }
        let path = request.uri().path().to_owned();
        let method = request.method().clone();
        let stylesheet = self.stylesheet;
        let response = self.inner.call(request);
        Either::Right(
            async move {
                let response = response.await?;
                Ok(render(&method, &path, stylesheet, response).await)
            }
            .boxed(),
        )
    }
}

/// The page for a JSON response; any other response is left as it is.
async fn render(method: &Method, path: &str, stylesheet: &str, response: Response) -> Response {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    if !is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_RENDERED_BYTES).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let pretty = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|value| serde_json::to_string_pretty(&value).ok())
        .unwrap_or_else(|| String::from_utf8_lossy(&bytes).into_owned());
    let page = page(method, path, parts.status, &pretty, stylesheet);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    // As the app's pages: asked again each time (a token response's
    // `no-store` stays).
    parts
        .headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-cache"));
    // The page has no script at all: forbid every script, frame and plugin.
    parts.headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; \
             base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        ),
    );
    Response::from_parts(parts, Body::from(page))
}

fn describe(path: &str) -> (&'static str, &'static str) {
    match path {
        "/api/token/" => (
            "Obtain a token pair",
            r#"POST {"username": "…", "password": "…"} → {"refresh": "…", "access": "…"}"#,
        ),
        "/api/token/refresh/" => (
            "Refresh",
            r#"POST {"refresh": "…"} → {"access": "…", "refresh": "…"} (the old refresh token is retired)"#,
        ),
        "/api/token/verify/" => ("Verify a token", r#"POST {"token": "…"} → {} when valid"#),
        "/api/token/blacklist/" => (
            "Log out",
            r#"POST {"refresh": "…"} → {}: the session's refresh and access tokens stop working"#,
        ),
        "/hello/" => (
            "Hello",
            "GET with the header Authorization: Bearer <access token> → {\"message\": \"Hello, World!\"}",
        ),
        "/.well-known/jwks.json" => (
            "Public signing keys",
            r#"GET → {"keys": […]}: the JWK set that verifies this server's tokens (empty with an HMAC algorithm: a secret is never published)"#,
        ),
        "/api/schema/" => (
            "OpenAPI document",
            "GET → the OpenAPI 3.1 document of this API, for client generators and tools",
        ),
        _ => ("Tessera API", "See the endpoints listed below."),
    }
}

fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

fn page(method: &Method, path: &str, status: StatusCode, json: &str, stylesheet: &str) -> String {
    let (title, usage) = describe(path);
    let reason = status.canonical_reason().unwrap_or("");
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} – Tessera API</title>
<link rel="stylesheet" href="{stylesheet}">
<link rel="icon" type="image/svg+xml" href="/favicon.svg">
</head>
<body>
<header class="site-header"><nav aria-label="Main"><a class="brand" href="/">Tessera</a><a href="/login">Log in</a></nav></header>
<main id="main">
<section class="card api-page">
<h1>{title}</h1>
<p class="lead">This is an API endpoint of Tessera, made for programs. Usage: <code>{usage}</code></p>
<p><strong>{method} {path}</strong></p>
<p>HTTP {code} {reason}</p>
<pre class="json">{json}</pre>
<h2>Endpoints</h2>
<ul>
<li><code>POST /api/token/</code> – log in</li>
<li><code>POST /api/token/refresh/</code> – new access token</li>
<li><code>POST /api/token/verify/</code> – check a token</li>
<li><code>POST /api/token/blacklist/</code> – log out</li>
<li><code>GET /hello/</code> – a protected resource</li>
</ul>
<p>Every endpoint with its bodies and errors: the <a href="/api/docs/">API documentation</a> (OpenAPI document: <a href="/api/schema/">/api/schema/</a>).</p>
<p>People log in on the <a href="/login">login page</a>.</p>
</section>
</main>
</body>
</html>
"#,
        title = escape(title),
        usage = escape(usage),
        method = escape(method.as_str()),
        path = escape(path),
        code = status.as_u16(),
        reason = escape(reason),
        json = escape(json),
    )
}
