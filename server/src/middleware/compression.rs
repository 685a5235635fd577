//! On-the-fly compression of what was not compressed at build time: pages,
//! the 404 page, the OpenAPI document, Swagger UI's files, static files
//! without a precompressed twin.
//!
//! Brotli at quality 4 (tower-http's default for on-the-fly work, nginx's
//! too: quality 11 would cost more time than it saves on the wire) or gzip,
//! whichever the client prefers. Left alone:
//! - programs' calls of the API and the health checks: small JSON, and the
//!   hottest path; the layer's machinery alone added 6 000 instructions to
//!   every `/hello/` (`bench/instructions.sh`), so those requests go around it;
//! - bodies under 1 KiB: the frame overhead eats the gain;
//! - anything already encoded (the precompressed static files);
//! - images other than SVG (already compressed);
//! - every response marked `Cache-Control: no-store`, i.e. every response
//!   that carries a token. Compressing a secret next to text an attacker
//!   chooses leaks the secret through the size (BREACH); token responses
//!   reflect nothing today, but this keeps it so whatever they grow into.

use std::convert::Infallible;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::http::{header, Request, Response};
use futures::future::{BoxFuture, Either, FutureExt};
use tower::{Layer, Service, ServiceExt};
use tower_http::compression::predicate::{And, NotForContentType, Predicate, SizeAbove};
use tower_http::compression::CompressionLayer;

/// Below this, a response goes out as it is.
const MIN_SIZE: u16 = 1024;

/// What decides whether a response is compressed (see the module's doc).
type WorthCompressing =
    And<And<And<SizeAbove, NotForContentType>, NotForContentType>, CarriesNoSecret>;

fn compression() -> CompressionLayer<WorthCompressing> {
    let worth_it = SizeAbove::new(MIN_SIZE)
        .and(NotForContentType::IMAGES)
        .and(NotForContentType::SSE)
        .and(CarriesNoSecret);
    CompressionLayer::new()
        .br(true)
        .gzip(true)
        .compress_when(worth_it)
}

/// False for responses that must not be stored, the ones that carry tokens.
#[derive(Clone, Copy, Debug)]
pub struct CarriesNoSecret;

impl Predicate for CarriesNoSecret {
    fn should_compress<B>(&self, response: &Response<B>) -> bool
    where
        B: axum::body::HttpBody,
    {
        response
            .headers()
            .get_all(header::CACHE_CONTROL)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .all(|directive| !directive.trim().eq_ignore_ascii_case("no-store"))
    }
}

/// Whether a request goes around compression: a program's call of the API,
/// or a health check.
fn for_a_program<B>(request: &Request<B>) -> bool {
    let path = request.uri().path();
    crate::api::answers_a_program(request) || path == "/livez" || path == "/healthz"
}

/// The layer, outermost in the router.
#[derive(Clone, Copy, Debug, Default)]
pub struct CompressionOfPagesLayer;

impl<S> Layer<S> for CompressionOfPagesLayer {
    type Service = CompressionOfPages<S>;

    fn layer(&self, inner: S) -> CompressionOfPages<S> {
        CompressionOfPages { inner }
    }
}

#[derive(Clone, Debug)]
pub struct CompressionOfPages<S> {
    inner: S,
}

impl<S> Service<Request<Body>> for CompressionOfPages<S>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Either<S::Future, BoxFuture<'static, Result<Response<Body>, Infallible>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        if for_a_program(&request) {
            return Either::Left(self.inner.call(request));
        }
        // The inner service was made ready for this call: hand that one to
        // the compression service and keep a fresh clone for the next.
        let clone = self.inner.clone();
        let ready = std::mem::replace(&mut self.inner, clone);
        let compressed = compression().layer(ready);
        Either::Right(
            compressed
                .oneshot(request)
                .map(|response| response.map(|response| response.map(Body::new)))
                .boxed(),
        )
    }
}
