//! Headers every response carries, whatever produced it: no MIME sniffing,
//! no framing, no referrer leaking paths to other sites, and HSTS when the
//! operator says the site is served over HTTPS. The Content-Security-Policy
//! of pages needs the page's nonce, so the page shell sets it (see
//! `tessera_app::ssr::response::set_page_headers`).

use std::task::{Context, Poll};

use axum::http::{header, HeaderValue, Request, Response};
use futures::future::{MapOk, TryFutureExt};
use tower::{Layer, Service};

/// One year, with subdomains: what the HSTS preload list asks for.
const HSTS: HeaderValue = HeaderValue::from_static("max-age=31536000; includeSubDomains");

#[derive(Clone, Copy, Debug, Default)]
pub struct SecurityHeadersLayer {
    /// Send `Strict-Transport-Security` (only ever over HTTPS).
    pub hsts: bool,
}

impl<S> Layer<S> for SecurityHeadersLayer {
    type Service = SecurityHeaders<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SecurityHeaders {
            inner,
            hsts: self.hsts,
        }
    }
}

#[derive(Clone, Debug)]
pub struct SecurityHeaders<S> {
    inner: S,
    hsts: bool,
}

impl<S, RequestBody, ResponseBody> Service<Request<RequestBody>> for SecurityHeaders<S>
where
    S: Service<Request<RequestBody>, Response = Response<ResponseBody>>,
{
    type Response = S::Response;
    type Error = S::Error;
    // A function pointer, not a boxed future: nothing is allocated per
    // request for this.
    type Future = MapOk<S::Future, fn(Response<ResponseBody>) -> Response<ResponseBody>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<RequestBody>) -> Self::Future {
        let finish: fn(Response<ResponseBody>) -> Response<ResponseBody> =
            if self.hsts { with_hsts } else { without_hsts };
        self.inner.call(request).map_ok(finish)
    }
}

fn without_hsts<B>(mut response: Response<B>) -> Response<B> {
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Tokens never travel in URLs, but paths and queries are nobody else's
    // business either.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

fn with_hsts<B>(response: Response<B>) -> Response<B> {
    let mut response = without_hsts(response);
    response
        .headers_mut()
        .insert(header::STRICT_TRANSPORT_SECURITY, HSTS);
    response
}
