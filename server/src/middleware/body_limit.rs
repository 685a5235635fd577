//! One body limit and one request timeout for the whole router, server
//! functions included. A declared `Content-Length` over the limit is
//! answered 413 at once, before a byte of the body is read; a body without a
//! length (chunked) is read here, and answered 413 where it passes the limit,
//! before any handler sees it; a request with a
//! body gets `timeout` to be read and answered (a client trickling a body
//! is the slow client that headers-only timeouts miss), then 408. Requests
//! without a body pass untouched: no wrapping, no timer, no allocation, so
//! `GET /hello/` pays nothing.

use std::convert::Infallible;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::future::{ready, BoxFuture, Either, Ready};
use tower::{Layer, Service};

use crate::api::ApiError;

#[derive(Clone, Copy, Debug)]
pub struct BodyLimitLayer {
    pub max_bytes: usize,
    pub timeout: Duration,
}

impl<S> Layer<S> for BodyLimitLayer {
    type Service = BodyLimit<S>;

    fn layer(&self, inner: S) -> BodyLimit<S> {
        BodyLimit {
            inner,
            max_bytes: self.max_bytes,
            timeout: self.timeout,
        }
    }
}

#[derive(Clone, Debug)]
pub struct BodyLimit<S> {
    inner: S,
    max_bytes: usize,
    timeout: Duration,
}

type Answer = Result<Response, Infallible>;

impl<S> Service<Request> for BodyLimit<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<S::Future, Either<Ready<Answer>, BoxFuture<'static, Answer>>>;

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
        let request = match declared {
            Some(length) if length > self.max_bytes as u64 => {
                let response = ApiError::PayloadTooLarge(self.max_bytes).into_response();
                return Either::Right(Either::Left(ready(Ok(response))));
            }
            Some(0) => return Either::Left(self.inner.call(request)),
            Some(_) => request,
            None if chunked || !matches!(*request.method(), Method::GET | Method::HEAD) => {
                // No declared length: read the body here, up to the limit,
                // so that every handler (server functions included, whose
                // reader answers a cut-off body 500) gets either the whole
                // body or, past the limit, nobody gets it and it is 413.
                let max_bytes = self.max_bytes;
                let timeout = self.timeout;
                // The service that was polled ready serves this request; a
                // fresh clone stays for the next one.
                let clone = self.inner.clone();
                let mut inner = std::mem::replace(&mut self.inner, clone);
                return Either::Right(Either::Right(within(timeout, async move {
                    let (parts, body) = request.into_parts();
                    match axum::body::to_bytes(body, max_bytes).await {
                        Ok(bytes) => {
                            inner
                                .call(Request::from_parts(parts, Body::from(bytes)))
                                .await
                        }
                        Err(_) => Ok(ApiError::PayloadTooLarge(max_bytes).into_response()),
                    }
                })));
            }
            None => return Either::Left(self.inner.call(request)),
        };
        Either::Right(Either::Right(within(
            self.timeout,
            self.inner.call(request),
        )))
    }
}

/// `answer`, or 408 once `timeout` has passed.
fn within(
    timeout: Duration,
    answer: impl std::future::Future<Output = Answer> + Send + 'static,
) -> BoxFuture<'static, Answer> {
    Box::pin(async move {
        match tokio::time::timeout(timeout, answer).await {
            Ok(answer) => answer,
            Err(_) => Ok(StatusCode::REQUEST_TIMEOUT.into_response()),
        }
    })
}
