//! Liveness and readiness probes.

use axum::{extract::State, http::StatusCode, response::IntoResponse, Json};
use serde::Serialize;

use crate::AppState;

/// Fields in the order people read them (`status` first). Anyone may ask,
/// so the answer is a verdict, never an error text (that goes to the log).
#[derive(Serialize)]
struct Health {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    database: Option<&'static str>,
}

/// `GET /livez`: the process answers; no I/O.
pub async fn livez() -> impl IntoResponse {
    Json(Health {
        status: "ok",
        database: None,
    })
}

/// `GET /healthz`: the process answers and so does the database.
pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.store().ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(Health {
                status: "ok",
                database: Some("ok"),
            }),
        ),
        Err(error) => {
            tracing::warn!(%error, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: "unavailable",
                    database: Some("unreachable"),
                }),
            )
        }
    }
}
