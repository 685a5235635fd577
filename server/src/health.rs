//! Liveness and readiness probes.

use axum::{
    body::{Body, Bytes},
    extract::State,
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;

/// Fields in the order people read them (`status` first). Anyone may ask,
/// so the answer is a verdict, never an error text (that goes to the log).
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `unavailable`.
    #[schema(example = "ok")]
    status: &'static str,
    /// `ok` or `unreachable` (`/healthz` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    database: Option<&'static str>,
    /// `behind` when the change log has not been read for longer than
    /// `--max-sync-lag`.
    #[serde(skip_serializing_if = "Option::is_none")]
    sync: Option<&'static str>,
    /// Since this instance last read the change log.
    #[serde(skip_serializing_if = "Option::is_none")]
    sync_lag_ms: Option<u64>,
}

/// Liveness: the process answers (no I/O at all).
#[utoipa::path(
    get,
    path = "/livez",
    operation_id = "livez",
    tag = "health",
    responses((status = 200, description = "The process answers", body = Health)),
)]
pub async fn livez() -> Response {
    // `Health` with only `status: "ok"`, as a constant, built directly:
    // probes ask often, and axum's conversion of a (headers, text) pair
    // costs 1 500 instructions more (callgrind, bench/http-stack.sh).
    const BODY: &[u8] = br#"{"status":"ok"}"#;
    const _: () = assert!(BODY.len() == 15);
    let mut response = Response::new(Body::from(Bytes::from_static(BODY)));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    // Given, so that axum does not format and allocate it for every probe.
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("15"));
    response
}

/// Readiness: the process answers, it has caught up with the change
/// log recently enough to refuse every revoked token, and the database
/// answers. A load balancer that watches it stops sending requests to an
/// instance that would answer them 503.
#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "healthz",
    tag = "health",
    responses(
        (status = 200, description = "Ready: in sync, database answers", body = Health),
        (status = 503, description = "Not ready: behind on revocations, or no database", body = Health),
    ),
)]
pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    let lag_ms = Some(state.tessera.upkeep.sync_lag().as_millis() as u64);
    if !state.tessera.upkeep.in_sync() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health {
                status: "unavailable",
                database: None,
                sync: Some("behind"),
                sync_lag_ms: lag_ms,
            }),
        );
    }
    match state.tessera.upkeep.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(Health {
                status: "ok",
                database: Some("ok"),
                sync: Some("ok"),
                sync_lag_ms: lag_ms,
            }),
        ),
        Err(error) => {
            tracing::warn!(%error, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: "unavailable",
                    database: Some("unreachable"),
                    sync: None,
                    sync_lag_ms: lag_ms,
                }),
            )
        }
    }
}
