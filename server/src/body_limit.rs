//! One body limit for the whole router, server functions included. A
//! declared `Content-Length` over the limit is answered 413 at once, before
//! a byte of the body is read; a body without a length (chunked) is cut off
//! where it passes the limit. Requests without a body pass untouched (no
//! wrapping, no allocation: `GET /hello/` pays nothing).

use std::convert::Infallible;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, Method};
use axum::response::{IntoResponse, Response};
use futures::future::{ready, Either, Ready};
use tower::{Layer, Service};

use crate::api::ApiError;

#[derive(Clone, Copy, Debug)]
pub struct BodyLimitLayer {
    pub max_bytes: usize,
}

impl<S> Layer<S> for BodyLimitLayer {
    type Service = BodyLimit<S>;

    fn layer(&self, inner: S) -> BodyLimit<S> {
        BodyLimit {
            inner,
            max_bytes: self.max_bytes,
        }
    }
}

#[derive(Clone, Debug)]
pub struct BodyLimit<S> {
    inner: S,
    max_bytes: usize,
}

impl<S> Service<Request> for BodyLimit<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<S::Future, Ready<Result<Response, Infallible>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<u64>().ok());
        let chunked = request.headers().contains_key(header::TRANSFER_ENCODING);
        match declared {
            Some(length) if length > self.max_bytes as u64 => {
                let response = ApiError::PayloadTooLarge(self.max_bytes).into_response();
                Either::Right(ready(Ok(response)))
            }
            Some(_) => Either::Left(self.inner.call(request)),
            None if chunked || !matches!(*request.method(), Method::GET | Method::HEAD) => {
                let max_bytes = self.max_bytes;
                let request =
                    request.map(|body| Body::new(http_body_util::Limited::new(body, max_bytes)));
                Either::Left(self.inner.call(request))
            }
            None => Either::Left(self.inner.call(request)),
        }
    }
}
