//! One log line per response, with its status and latency, inside a span of
//! the request's method and path (never the query string, which could carry
//! secrets); a server error also gets its cause, which the client never sees.
//!
//! The outermost layer, so that answers given before the router (a body over
//! the limit, a timeout) are logged too. When INFO is off for requests, a
//! request pays for a clock read and nothing else: no span, no wrapped
//! response body, no boxing (tower-http's `TraceLayer`, which this replaces,
//! did all three on every request, inside every route).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Instant;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use tower::{Layer, Service};
use tracing::Span;

use crate::api::InternalCause;

#[derive(Clone, Copy, Debug, Default)]
pub struct RequestLogLayer;

impl<S> Layer<S> for RequestLogLayer {
    type Service = RequestLog<S>;

    fn layer(&self, inner: S) -> RequestLog<S> {
        RequestLog { inner }
    }
}

#[derive(Clone, Debug)]
pub struct RequestLog<S> {
    inner: S,
}

impl<S> Service<Request> for RequestLog<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Logged<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // A disabled span is `Span::none()`, made without reading its fields.
        let span = tracing::info_span!(
            target: "tessera_server::routes",
            "request",
            method = %request.method(),
            path = %request.uri().path(),
        );
        let inner = span.in_scope(|| self.inner.call(request));
        Logged {
            inner,
            span,
            started: Instant::now(),
        }
    }
}

pin_project_lite::pin_project! {
    /// The inner service's answer, logged when it is ready.
    pub struct Logged<F> {
        #[pin]
        inner: F,
        span: Span,
        started: Instant,
    }
}

impl<F> Future for Logged<F>
where
    F: Future<Output = Result<Response<Body>, Infallible>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _entered = this.span.enter(); // a no-op for a disabled span
        let answer = ready!(this.inner.poll(cx));
        if let Ok(response) = &answer {
            log_response(response, this.started.elapsed().as_secs_f64());
        }
        Poll::Ready(answer)
    }
}

fn log_response(response: &Response<Body>, seconds: f64) {
    // Two decimals: microseconds are noise in a log line.
    let latency_ms = (seconds * 1e5).round() / 100.0;
    match response.extensions().get::<InternalCause>() {
        Some(InternalCause(cause)) => tracing::error!(
            target: "tessera_server::routes",
            status = response.status().as_u16(),
            latency_ms,
            %cause,
            "request failed"
        ),
        None => tracing::info!(
            target: "tessera_server::routes",
            status = response.status().as_u16(),
            latency_ms,
            "response"
        ),
    }
}
