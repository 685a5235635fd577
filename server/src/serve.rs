//! The accept loop, with the limits `axum::serve` has no knob for.
//!
//! Plain TCP speaks HTTP/1.1. With TLS ([`crate::tls`]) the client's ALPN
//! choice decides: HTTP/2 for `h2`, else HTTP/1.1. Both get the same
//! limits, each in the form its protocol allows:
//!
//! - A client that takes longer than `header_read_timeout` to finish its TLS
//!   handshake or a request's headers (slowloris), or leaves a connection
//!   idle that long, is disconnected. HTTP/1.1: hyper's header-read timer.
//!   HTTP/2 has no such timer in hyper, and a request's headers arrive whole
//!   before hyper sees the stream, so a connection with no request in
//!   progress for that long is closed (GOAWAY) instead: it covers a
//!   client that never sends its preface, trickles a header block or idles.
//! - HTTP/2 streams: at most [`MAX_STREAMS`] at once per connection, a
//!   header list of at most [`MAX_HEADER_LIST_BYTES`] (431 past it), and a
//!   connection whose client resets streams faster than they are served
//!   (the "rapid reset" flood) is ended with `ENHANCE_YOUR_CALM`.
//! - Bodies and slow bodies are the router's (one limit for both protocols).
//! - On shutdown every connection is asked to finish (GOAWAY, or
//!   `Connection: close`) and is given up to ten seconds.
//!
//! Requests that can log in (anything but GET and HEAD) carry their peer
//! (`ConnectInfo`), for throttling; GETs skip the allocation.

use std::cell::RefCell;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request};
use axum::response::Response;
use futures::future::Either;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;
use tower::util::Oneshot;
use tower::ServiceExt;

/// How long a shutdown waits for requests in progress.
const DRAIN: Duration = Duration::from_secs(10);
/// HTTP/2 streams open at once on one connection (RFC 9113 advises at
/// least 100; more lets one client hold more of the server).
pub const MAX_STREAMS: u32 = 100;
/// The largest HTTP/2 header list accepted (uncompressed, as RFC 9113
/// counts it): ample for any browser's request, a fraction of a header
/// bomb's.
pub const MAX_HEADER_LIST_BYTES: u32 = 32 * 1024;
/// Streams a client may reset before the server has served them; past it
/// the connection ends with `ENHANCE_YOUR_CALM` (CVE-2023-44487).
const MAX_PENDING_RESETS: usize = 20;

/// Serves `app` on `listener` (over TLS when `tls` is given) until
/// `shutdown` completes, then lets the requests in progress finish (for up
/// to ten seconds).
pub async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    app: impl Answers<Body>,
    header_read_timeout: Duration,
    shutdown: impl Future<Output = ()>,
) {
    // Every connection holds a receiver; the sender's `closed` is "all done".
    let (drain, _) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait, as
                    // axum::serve does, rather than spin.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let connection = Connection {
            service: with_peer(app.clone(), peer),
            header_read_timeout,
            stop: drain.subscribe(),
        };
        let tls = tls.clone();
        // A client that goes away or times out is its own business.
        tokio::spawn(async move {
            match tls {
                None => connection.http1(stream).await,
                Some(acceptor) => connection.tls(stream, acceptor).await,
            }
        });
    }
    drop(listener);
    let _ = drain.send(());
    if tokio::time::timeout(DRAIN, drain.closed()).await.is_err() {
        tracing::warn!("shutting down with requests still in progress");
    }
}

/// A service answering requests whose bodies are `B`: the app (axum's
/// `Body`), or what every connection is handed (hyper's `Incoming`).
pub trait Answers<B>:
    tower::Service<Request<B>, Response = Response, Error = Infallible, Future: Send + 'static>
    + Clone
    + Send
    + 'static
{
}

impl<S, B> Answers<B> for S where
    S: tower::Service<Request<B>, Response = Response, Error = Infallible, Future: Send + 'static>
        + Clone
        + Send
        + 'static
{
}

/// `app` for hyper's requests, with the peer's address where it counts.
fn with_peer(app: impl Answers<Body>, peer: SocketAddr) -> impl Answers<Incoming> {
    app.map_request(move |request: Request<Incoming>| {
        let mut request = request.map(Body::new);
        if !matches!(*request.method(), Method::GET | Method::HEAD) {
            request
                .extensions_mut()
                .insert(ConnectInfo::<SocketAddr>(peer));
        }
        request
    })
}

/// hyper's handle on a connection's service: one copy per connection,
/// called in place. (hyper-util's `TowerToHyperService` clones the service
/// for every request, and with it the routes a connection has kept: see
/// `FixedRoutes`.)
struct InPlace<S>(RefCell<S>);

impl<S> InPlace<S> {
    fn new(service: S) -> Self {
        Self(RefCell::new(service))
    }
}

impl<S: Answers<Incoming>> hyper::service::Service<Request<Incoming>> for InPlace<S> {
    type Response = Response;
    type Error = Infallible;
    type Future = InPlaceAnswer<S>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        // hyper calls a connection's service from the connection's task
        // only, and the call returns before anything else runs.
        call_in_place(&mut self.0.borrow_mut(), request)
    }
}

type InPlaceAnswer<S> =
    Either<<S as tower::Service<Request<Incoming>>>::Future, Oneshot<S, Request<Incoming>>>;

/// `service.call(request)` when it is ready, as every layer of the app is
/// at once; a service that is not gets a copy of its own to wait on, as
/// tower asks.
fn call_in_place<S: Answers<Incoming>>(
    service: &mut S,
    request: Request<Incoming>,
) -> InPlaceAnswer<S> {
    match service.poll_ready(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(Ok(())) => Either::Left(service.call(request)),
        Poll::Ready(Err(never)) => match never {},
        Poll::Pending => Either::Right(service.clone().oneshot(request)),
    }
}

/// One accepted connection, before its protocol is known.
struct Connection<S> {
    service: S,
    header_read_timeout: Duration,
    stop: watch::Receiver<()>,
}

impl<S: Answers<Incoming>> Connection<S> {
    async fn tls(mut self, stream: TcpStream, acceptor: TlsAcceptor) {
        let handshake = tokio::time::timeout(self.header_read_timeout, acceptor.accept(stream));
        let stream = tokio::select! {
            done = handshake => match done {
                Ok(Ok(stream)) => stream,
                // Not TLS, a failed handshake, or too slow: nothing to answer.
                _ => return,
            },
            _ = self.stop.changed() => return,
        };
        if stream.get_ref().1.alpn_protocol() == Some(b"h2") {
            self.http2(stream).await;
        } else {
            self.http1(stream).await;
        }
    }

    async fn http1<I>(self, io: I)
    where
        I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(self.header_read_timeout)
            .serve_connection(TokioIo::new(io), InPlace::new(self.service));
        drive(connection, |c| c.graceful_shutdown(), self.stop, None).await;
    }

    async fn http2<I>(self, io: I)
    where
        I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let activity = Arc::new(Activity::new());
        let service = tracked(self.service, Arc::clone(&activity));
        let connection = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
            .timer(TokioTimer::new())
            .max_concurrent_streams(MAX_STREAMS)
            .max_header_list_size(MAX_HEADER_LIST_BYTES)
            .max_pending_accept_reset_streams(MAX_PENDING_RESETS)
            .serve_connection(TokioIo::new(io), InPlace::new(service));
        let idle = Some((activity, self.header_read_timeout));
        drive(connection, |c| c.graceful_shutdown(), self.stop, idle).await;
    }
}

/// Runs `connection` to its end; on shutdown, or after `idle` time without
/// a request in progress, asks it to finish (`close`).
async fn drive<C, E>(
    connection: C,
    close: impl Fn(Pin<&mut C>),
    mut stop: watch::Receiver<()>,
    idle: Option<(Arc<Activity>, Duration)>,
) where
    C: Future<Output = Result<(), E>>,
{
    let mut connection = pin!(connection);
    let idle_limit = idle.as_ref().map(|(_, limit)| *limit);
    let went_idle = async {
        match &idle {
            Some((activity, limit)) => activity.idle_for(*limit).await,
            None => std::future::pending().await,
        }
    };
    // Biased: the connection first (it is what wakes this task on every
    // request), and no random draw per poll.
    tokio::select! {
        biased;
        _ = connection.as_mut() => {}
        _ = stop.changed() => {
            close(connection.as_mut());
            // The shutdown's own deadline bounds this.
            let _ = connection.await;
        }
        () = went_idle => {
            close(connection.as_mut());
            // A client that does not read the GOAWAY is not waited for.
            let _ = tokio::time::timeout(idle_limit.unwrap_or(DRAIN), connection).await;
        }
    }
}

/// Requests in progress on one HTTP/2 connection, and since when none is.
struct Activity {
    opened: Instant,
    in_progress: AtomicUsize,
    /// Milliseconds after `opened` when the last request finished.
    last_finished_ms: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Self {
            opened: Instant::now(),
            in_progress: AtomicUsize::new(0),
            last_finished_ms: AtomicU64::new(0),
        }
    }

    fn begin(self: &Arc<Self>) -> InProgress {
        self.in_progress.fetch_add(1, Ordering::AcqRel);
        InProgress(Arc::clone(self))
    }

    /// Completes once no request has been in progress for `limit`.
    async fn idle_for(&self, limit: Duration) {
        loop {
            let now = Instant::now();
            let wake = if self.in_progress.load(Ordering::Acquire) > 0 {
                now + limit
            } else {
                let last = Duration::from_millis(self.last_finished_ms.load(Ordering::Acquire));
                let idle_until = self.opened + last + limit;
                if idle_until <= now {
                    return;
                }
                idle_until
            };
            tokio::time::sleep_until(wake).await;
        }
    }
}

/// A request in progress, until its response body is sent or dropped.
struct InProgress(Arc<Activity>);

impl Drop for InProgress {
    fn drop(&mut self) {
        let activity = &self.0;
        let elapsed = activity.opened.elapsed().as_millis() as u64;
        activity
            .last_finished_ms
            .fetch_max(elapsed, Ordering::AcqRel);
        activity.in_progress.fetch_sub(1, Ordering::AcqRel);
    }
}

/// `service`, counting its requests in `activity` until their bodies end.
fn tracked(mut service: impl Answers<Incoming>, activity: Arc<Activity>) -> impl Answers<Incoming> {
    tower::service_fn(move |request: Request<Incoming>| {
        let in_progress = activity.begin();
        let answer = call_in_place(&mut service, request);
        async move {
            let response = answer.await?;
            Ok(response.map(|body| {
                Body::new(TrackedBody {
                    body,
                    _in_progress: in_progress,
                })
            }))
        }
    })
}

pin_project_lite::pin_project! {
    /// A response body that keeps its request counted while it is sent.
    struct TrackedBody {
        #[pin]
        body: Body,
        _in_progress: InProgress,
    }
}

impl hyper::body::Body for TrackedBody {
    type Data = <Body as hyper::body::Body>::Data;
    type Error = <Body as hyper::body::Body>::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        self.project().body.poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
