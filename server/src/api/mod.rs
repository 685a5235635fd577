//! The REST API, compatible with djangorestframework-simplejwt: same paths
//! (with their trailing slash), bodies, status codes and error messages.

mod auth_user;
mod body;
mod browsable;
mod error;

pub use auth_user::AuthUser;
pub use browsable::{Browsable, BrowsableLayer};
pub use error::ApiError;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{any, get};
use axum::{Json, Router};
use serde_json::json;

use body::Fields;
use error::FieldErrors;

use crate::AppState;

/// The API routes. A browser asking for HTML gets a readable page instead of
/// raw JSON: [`BrowsableLayer`], around the whole router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/token/", any(obtain_pair))
        .route("/api/token/refresh/", any(refresh))
        .route("/api/token/verify/", any(verify))
        .route("/api/token/blacklist/", any(blacklist))
        .route("/hello/", any(hello))
        // Django would answer the slash-less paths with a redirect for GET
        // and an error for POST; a 308 keeps the method and the body.
        .route(
            "/api/token",
            any(|| async { Redirect::permanent("/api/token/") }),
        )
        .route(
            "/api/token/refresh",
            any(|| async { Redirect::permanent("/api/token/refresh/") }),
        )
        .route(
            "/api/token/verify",
            any(|| async { Redirect::permanent("/api/token/verify/") }),
        )
        .route(
            "/api/token/blacklist",
            any(|| async { Redirect::permanent("/api/token/blacklist/") }),
        )
        .route("/api/", get(|| async { ApiError::NotFound }))
}

#[derive(serde::Serialize)]
struct ObtainedPair {
    refresh: String,
    access: String,
}

#[derive(serde::Serialize)]
struct RefreshedPair {
    access: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh: Option<String>,
}

const POST_ONLY: &str = "POST, OPTIONS";

/// Token endpoints accept POST (and OPTIONS, as DRF views do).
fn require_post(method: &Method) -> Result<Option<Response>, ApiError> {
    match *method {
        Method::POST => Ok(None),
        Method::OPTIONS => Ok(Some(
            (
                StatusCode::OK,
                [(axum::http::header::ALLOW, POST_ONLY)],
                Json(json!({})),
            )
                .into_response(),
        )),
        _ => Err(ApiError::MethodNotAllowed(method.clone(), POST_ONLY)),
    }
}

/// `POST /api/token/` `{username, password}` → `{refresh, access}`.
async fn obtain_pair(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    if let Some(response) = require_post(&method)? {
        return Ok(response);
    }
    let fields = Fields::read(&headers, body).await?;
    let mut errors = FieldErrors::new();
    let username = fields.char_field("username", &mut errors);
    let password = fields.char_field("password", &mut errors);
    let (Some(username), Some(password)) = (username, password) else {
        return Err(ApiError::Fields(errors));
    };
    let pair = state
        .tokens
        .login(username.trim(), &password)
        .await
        .map_err(ApiError::from_login)?;
    // simplejwt's key order: refresh first.
    Ok(Json(ObtainedPair {
        refresh: pair.refresh.unwrap_or_default(),
        access: pair.access,
    })
    .into_response())
}

/// `POST /api/token/refresh/` `{refresh}` → `{access, refresh}` (`refresh`
/// only with rotation).
async fn refresh(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    if let Some(response) = require_post(&method)? {
        return Ok(response);
    }
    let token = single_field(&headers, body, "refresh").await?;
    let pair = state
        .tokens
        .refresh(&token)
        .await
        .map_err(ApiError::from_refresh)?;
    Ok(Json(RefreshedPair {
        access: pair.access,
        refresh: pair.refresh,
    })
    .into_response())
}

/// `POST /api/token/verify/` `{token}` → `{}`.
async fn verify(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    if let Some(response) = require_post(&method)? {
        return Ok(response);
    }
    let token = single_field(&headers, body, "token").await?;
    state
        .tokens
        .verify(&token)
        .await
        .map_err(ApiError::from_verify)?;
    Ok(Json(json!({})).into_response())
}

/// `POST /api/token/blacklist/` `{refresh}` → `{}`: logs the session out.
async fn blacklist(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    if let Some(response) = require_post(&method)? {
        return Ok(response);
    }
    let token = single_field(&headers, body, "refresh").await?;
    state
        .tokens
        .logout(&token)
        .await
        .map_err(ApiError::from_refresh)?;
    Ok(Json(json!({})).into_response())
}

async fn single_field(
    headers: &HeaderMap,
    body: Body,
    name: &'static str,
) -> Result<String, ApiError> {
    let fields = Fields::read(headers, body).await?;
    let mut errors = FieldErrors::new();
    fields
        .char_field(name, &mut errors)
        .ok_or(ApiError::Fields(errors))
}

/// `GET /hello/` with a valid access token. Authentication comes first, as
/// in DRF: another method without credentials is 401, with them 405.
/// The protected resource's body (a struct: serializing it allocates nothing
/// but the output, unlike a `json!` map).
#[derive(serde::Serialize)]
struct Greeting {
    message: &'static str,
}

async fn hello(_user: AuthUser, method: Method) -> Result<Response, ApiError> {
    match method {
        Method::GET | Method::HEAD => Ok(Json(Greeting {
            message: "Hello, World!",
        })
        .into_response()),
        Method::OPTIONS => Ok((
            StatusCode::OK,
            [(axum::http::header::ALLOW, "GET, HEAD, OPTIONS")],
            Json(json!({})),
        )
            .into_response()),
        other => Err(ApiError::MethodNotAllowed(other, "GET, HEAD, OPTIONS")),
    }
}
