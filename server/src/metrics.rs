//! Prometheus metrics (`--metrics-addr`): requests by route and status with
//! latency histograms, recorded by a middleware around every route; the
//! core's counters (logins, refreshes, revocations, hasher wait, see
//! `tessera::metrics`); and gauges read when scraped (sync lag, hasher queue,
//! live sessions, the mail outbox). Served as Prometheus text at `/metrics` on an address of
//! its own, so that it is never exposed where the API is.

use std::collections::HashMap;
use std::future::Future;
use std::hash::{BuildHasherDefault, Hasher};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, OnceLock, RwLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, Method};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tessera::Tessera;
use tower::{Layer, Service};

pub const HTTP_REQUESTS: &str = "tessera_http_requests_total";
pub const HTTP_DURATION: &str = "tessera_http_request_duration_seconds";
pub const SYNC_LAG: &str = "tessera_sync_lag_seconds";
pub const HASHER_IN_FLIGHT: &str = "tessera_hasher_in_flight";
pub const HASHER_JOBS: &str = "tessera_hasher_jobs_total";
/// Password checks by the format of the hash checked (unknown names'
/// decoys counted as their format): how many logins still check a Django hash.
pub const PASSWORD_CHECKS: &str = "tessera_password_checks_total";
pub const LIVE_SESSIONS: &str = "tessera_live_sessions";
/// Mails in the outbox by state: `queued` (not tried yet), `retrying`
/// (tried, not accepted), `failed` (refused for good, kept).
pub const MAIL_OUTBOX: &str = "tessera_mail_outbox";

/// Histogram buckets (seconds) for latencies and hasher waits: from a
/// cached-token check (tens of µs) to a queued login (seconds).
const BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// How often histogram samples are folded into their buckets.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// A scrape never waits longer than this for the live-session count.
const COUNT_TIMEOUT: Duration = Duration::from_secs(2);
/// The live-session count (a `COUNT(*)` over the sessions) is taken at most
/// this often, however often or by how many scrapers `/metrics` is read.
const COUNT_EVERY: Duration = Duration::from_secs(60);

/// Installs the process-wide recorder (once: the `metrics` facade has one
/// global recorder) and returns the handle that renders it.
pub fn install() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(BUCKETS)
                .expect("the bucket list is not empty")
                .build_recorder();
            let handle = recorder.handle();
            // Only fails if another recorder was installed: then that one counts.
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed");
            }
            handle
        })
        .clone()
}

/// The layer that counts every request by route (the router's pattern,
/// never the raw path: bounded labels), method and status, and records its
/// latency by route. A tower layer rather than `middleware::from_fn`, whose
/// boxed futures cost 4 000 instructions a request (callgrind,
/// bench/instructions.sh: `/hello/` is 23 000 in all).
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestMetricsLayer {
    route: Option<&'static str>,
}

impl RequestMetricsLayer {
    /// For one route served without axum's router (see `fixed_routes`),
    /// where no `MatchedPath` names it: its path is its pattern.
    pub fn for_route(path: &'static str) -> Self {
        Self { route: Some(path) }
    }
}

impl<S> Layer<S> for RequestMetricsLayer {
    type Service = RequestMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestMetrics {
            inner,
            route: self.route,
        }
    }
}

#[derive(Clone, Debug)]
pub struct RequestMetrics<S> {
    inner: S,
    route: Option<&'static str>,
}

impl<S, B> Service<Request> for RequestMetrics<S>
where
    S: Service<Request, Response = axum::http::Response<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Recorded<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        Recorded {
            started: Instant::now(),
            route: match self.route {
                Some(path) => RouteLabel::Fixed(path),
                None => request
                    .extensions()
                    .get::<MatchedPath>()
                    .cloned()
                    .map_or(RouteLabel::Fixed("unmatched"), RouteLabel::Matched),
            },
            method: method_label(request.method()),
            inner: self.inner.call(request),
        }
    }
}

pin_project_lite::pin_project! {
    /// A request's response, counted when it is ready.
    pub struct Recorded<F> {
        #[pin]
        inner: F,
        started: Instant,
        route: RouteLabel,
        method: &'static str,
    }
}

/// A request's route as its label says it.
enum RouteLabel {
    Matched(MatchedPath),
    Fixed(&'static str),
}

impl RouteLabel {
    fn as_str(&self) -> &str {
        match self {
            Self::Matched(path) => path.as_str(),
            Self::Fixed(path) => path,
        }
    }
}

impl<F, B, E> Future for Recorded<F>
where
    F: Future<Output = Result<axum::http::Response<B>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let output = std::task::ready!(this.inner.poll(cx));
        if let Ok(response) = &output {
            let handles = route_handles(this.route.as_str());
            handles
                .duration
                .record(this.started.elapsed().as_secs_f64());
            handles
                .count(this.method, response.status().as_u16())
                .increment(1);
        }
        Poll::Ready(output)
    }
}

/// The methods the routes answer, as static labels; anything else is `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::DELETE => "DELETE",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

/// One route's series, registered once: the recorder looks a series up by
/// hashing its name and labels, and building those labels allocated on
/// every request (together 11 % of `/hello/`'s throughput, bench/metrics.sh).
struct RouteHandles {
    route: String,
    duration: metrics::Histogram,
    by_method_and_status: RwLock<HashMap<(&'static str, u16), metrics::Counter>>,
}

impl RouteHandles {
    fn count(&self, method: &'static str, status: u16) -> metrics::Counter {
        let known = read(&self.by_method_and_status)
            .get(&(method, status))
            .cloned();
        known.unwrap_or_else(|| {
            write(&self.by_method_and_status)
                .entry((method, status))
                .or_insert_with(|| {
                    metrics::counter!(
                        HTTP_REQUESTS,
                        "route" => self.route.clone(),
                        "method" => method,
                        "status" => status.to_string()
                    )
                })
                .clone()
        })
    }
}

/// Route patterns come from our own router, never from a client, so
/// SipHash's defence against chosen keys buys nothing here; FNV-1a is a
/// few instructions a byte.
type RouteMap = HashMap<String, Arc<RouteHandles>, BuildHasherDefault<Fnv1a>>;

#[derive(Default)]
struct Fnv1a(u64);

impl Hasher for Fnv1a {
    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &byte in bytes {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The handles of `route`: a few dozen routes, each looked up without
/// allocating once seen.
fn route_handles(route: &str) -> Arc<RouteHandles> {
    static ROUTES: OnceLock<RwLock<RouteMap>> = OnceLock::new();
    let routes = ROUTES.get_or_init(Default::default);
    if let Some(handles) = read(routes).get(route) {
        return Arc::clone(handles);
    }
    Arc::clone(write(routes).entry(route.to_owned()).or_insert_with(|| {
        Arc::new(RouteHandles {
            route: route.to_owned(),
            duration: metrics::histogram!(HTTP_DURATION, "route" => route.to_owned()),
            by_method_and_status: RwLock::default(),
        })
    }))
}

// A panic while holding these locks cannot leave a map half-updated (one
// insert each): keep going.
fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[derive(Clone)]
struct Scrape {
    handle: PrometheusHandle,
    tessera: Tessera,
    /// When the live sessions were last counted.
    counted_at: Arc<std::sync::Mutex<Option<std::time::Instant>>>,
}

impl Scrape {
    /// Whether the live sessions are due to be counted again; if so, marks
    /// them counted now (one scrape counts, concurrent ones do not).
    fn count_due(&self) -> bool {
        let mut counted_at = self
            .counted_at
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let due = counted_at.is_none_or(|at| at.elapsed() >= COUNT_EVERY);
        if due {
            *counted_at = Some(std::time::Instant::now());
        }
        due
    }
}

/// Serves `/metrics` on `addr` until the process ends, through the same
/// accept loop as the main listener (a client slow to send its headers is
/// disconnected after `header_read_timeout`).
pub async fn serve(
    addr: SocketAddr,
    handle: PrometheusHandle,
    tessera: Tessera,
    header_read_timeout: Duration,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("metrics on http://{}/metrics", listener.local_addr()?);
    let upkeep = handle.clone();
    let app = Router::new()
        .route("/metrics", get(metrics_text))
        .with_state(Scrape {
            handle,
            tessera,
            counted_at: Arc::default(),
        });
    tokio::spawn(crate::serve::serve(
        listener,
        None,
        app,
        header_read_timeout,
        std::future::pending(),
    ));
    tokio::spawn(async move {
        // Histograms keep their samples until upkeep folds them into the
        // buckets: without it, memory grows with every request when nobody
        // scrapes (80 000 requests a second are 640 KB a second).
        let mut tick = tokio::time::interval(UPKEEP_EVERY);
        loop {
            tick.tick().await;
            upkeep.run_upkeep();
        }
    });
    Ok(())
}

/// `GET /metrics`: the gauges read now, then everything as Prometheus text.
async fn metrics_text(State(scrape): State<Scrape>) -> impl IntoResponse {
    let tessera = &scrape.tessera;
    metrics::gauge!(SYNC_LAG).set(tessera.upkeep.sync_lag().as_secs_f64());
    let hasher = tessera.upkeep.hasher_stats();
    metrics::gauge!(HASHER_IN_FLIGHT).set(hasher.in_flight as f64);
    for (outcome, count) in [
        ("computed", hasher.computed),
        ("abandoned", hasher.abandoned),
        ("refused", hasher.refused),
    ] {
        metrics::counter!(HASHER_JOBS, "outcome" => outcome).absolute(count);
    }
    for (format, count) in tessera::CHECKED_FORMATS.into_iter().zip(hasher.checks) {
        metrics::counter!(PASSWORD_CHECKS, "format" => format).absolute(count);
    }
    if scrape.count_due() {
        match tokio::time::timeout(COUNT_TIMEOUT, tessera.upkeep.live_sessions()).await {
            Ok(Ok(live)) => metrics::gauge!(LIVE_SESSIONS).set(live as f64),
            // The series keeps its last value; the cause goes to the log.
            Ok(Err(error)) => tracing::warn!(%error, "metrics: could not count live sessions"),
            Err(_) => tracing::warn!("metrics: counting live sessions timed out"),
        }
    }
    // The outbox holds few rows (mails wait there seconds): counted on
    // every scrape.
    match tokio::time::timeout(COUNT_TIMEOUT, tessera.mail.outbox()).await {
        Ok(Ok(outbox)) => {
            for (state, count) in [
                ("queued", outbox.queued),
                ("retrying", outbox.retrying),
                ("failed", outbox.refused),
            ] {
                metrics::gauge!(MAIL_OUTBOX, "state" => state).set(count as f64);
            }
        }
        Ok(Err(error)) => tracing::warn!(%error, "metrics: could not count the mail outbox"),
        Err(_) => tracing::warn!("metrics: counting the mail outbox timed out"),
    }
    scrape.handle.run_upkeep();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        scrape.handle.render(),
    )
}
