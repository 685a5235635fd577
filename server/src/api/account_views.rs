//! Self-service for a logged-in person (Bearer access token): their sessions
//! (list, end one, end the others) and their password. Errors are DRF's
//! bodies; another user's session id is a 404, as if it did not exist.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use tessera::OwnSession;
use tessera::Sessions;
use utoipa::ToSchema;

use super::auth_user::AuthUser;
use super::caller::Caller;
use super::error::{ApiError, FieldErrors};
use super::fields::{Drf, DrfBody, Fields};
use super::responses::{AccessRefused, BodyRefused, NotFound, Throttled, Unavailable};
use super::token_views::{NoStore, NO_STORE};

/// One of the caller's live sessions (a login and the refresh tokens it
/// rotated into).
#[derive(Serialize, ToSchema)]
pub struct SessionView {
    #[schema(example = "3f0c5e0a9b1d4c7e8f2a6b5c4d3e2f1a")]
    id: String,
    /// Browser and system at login, e.g. "Firefox on Linux".
    #[schema(example = "Firefox on Linux")]
    device: String,
    /// The client's address at login.
    #[schema(example = "203.0.113.7")]
    client_address: Option<String>,
    /// When the person logged in (UTC, ISO 8601).
    #[schema(example = "2026-12-01T09:30:15Z")]
    created: String,
    /// The login or the latest refresh.
    last_used: String,
    /// When it ends at the latest, however often it refreshes.
    expires: String,
    /// Whether this is the session of the token that asked.
    current: bool,
}

impl From<OwnSession> for SessionView {
    fn from(session: OwnSession) -> Self {
        use tessera::format_utc;
        Self {
            id: session.id,
            device: session.device,
            client_address: session.client_address,
            created: format_utc(session.created_at),
            last_used: format_utc(session.last_used_at),
            expires: format_utc(session.expires_at),
            current: session.current,
        }
    }
}

/// How many sessions ended.
#[derive(Serialize, ToSchema)]
pub struct Ended {
    ended: usize,
}

impl Ended {
    pub fn new(ended: usize) -> Self {
        Self { ended }
    }
}

/// The current password and the new one. dj-rest-auth's shape is taken
/// too: `new_password1` and `new_password2` (the same twice) instead of
/// `new_password`.
#[derive(ToSchema)]
#[allow(dead_code)] // only its schema is used: the body is read as a `PasswordChange`
pub struct PasswordChangeRequest {
    /// The password now (checked like a login, and throttled alike).
    #[schema(pattern = r"\S")]
    old_password: String,
    /// At least the server's minimum length (`--min-password-length`).
    #[schema(pattern = r"\S")]
    new_password: String,
}

/// A password change as read from either shape.
pub struct PasswordChange {
    old_password: String,
    new_password: String,
    /// The field the new password's errors are reported on.
    new_password_field: &'static str,
}

impl DrfBody for PasswordChange {
    fn read(fields: &Fields) -> Result<Self, ApiError> {
        let mut errors = FieldErrors::new();
        let old_password = fields.password_field("old_password", &mut errors);
        let twice = !fields.contains("new_password")
            && (fields.contains("new_password1") || fields.contains("new_password2"));
        if twice {
            let first = fields.password_field("new_password1", &mut errors);
            let second = fields.password_field("new_password2", &mut errors);
            return match (old_password, first, second) {
                (Some(_), Some(first), Some(second)) if first != second => {
                    Err(ApiError::from_reset(tessera::AuthError::PasswordsDiffer))
                }
                (Some(old_password), Some(new_password), Some(_)) => Ok(Self {
                    old_password,
                    new_password,
                    new_password_field: "new_password2",
                }),
                _ => Err(ApiError::Fields(errors)),
            };
        }
        let new_password = fields.password_field("new_password", &mut errors);
        match (old_password, new_password) {
            (Some(old_password), Some(new_password)) => Ok(Self {
                old_password,
                new_password,
                new_password_field: "new_password",
            }),
            _ => Err(ApiError::Fields(errors)),
        }
    }
}

/// dj-rest-auth's `{"detail": "…"}`, and the caller's new session: every
/// session ended with the change, the one that asked too.
#[derive(Serialize, ToSchema)]
pub struct Saved {
    #[schema(example = "New password has been saved.")]
    detail: &'static str,
    /// The new session's refresh token (the one sent with is ended).
    refresh: String,
    /// The new session's access token.
    access: String,
}

/// The caller's live sessions, the most recently used first.
#[utoipa::path(
    get,
    path = "/api/sessions/",
    operation_id = "sessions_list",
    tag = "account",
    security(("jwt" = [])),
    responses(
        (status = 200, description = "The live sessions", body = Vec<SessionView>),
        (status = 401, response = AccessRefused),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn list(
    State(sessions): State<Sessions>,
    user: AuthUser,
) -> Result<Json<Vec<SessionView>>, ApiError> {
    let own = sessions
        .list_own(&user)
        .await
        .map_err(ApiError::from_account)?;
    Ok(Json(own.into_iter().map(SessionView::from).collect()))
}

/// Ends one of the caller's sessions at once: its refresh and access
/// tokens are refused from now on, on every instance. Ending the current
/// session logs out.
#[utoipa::path(
    delete,
    path = "/api/sessions/{id}/",
    operation_id = "sessions_destroy",
    tag = "account",
    security(("jwt" = [])),
    params(("id" = String, Path, description = "A session id from `GET /api/sessions/`")),
    responses(
        (status = 204, description = "The session ended"),
        (status = 401, response = AccessRefused),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn destroy(
    State(sessions): State<Sessions>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    sessions
        .end_own(&user, &id)
        .await
        .map_err(ApiError::from_account)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends every session of the caller but the current one ("sign out
/// everywhere else").
#[utoipa::path(
    post,
    path = "/api/sessions/end-others/",
    operation_id = "sessions_end_others",
    tag = "account",
    security(("jwt" = [])),
    responses(
        (status = 200, description = "The other sessions ended", body = Ended),
        (status = 401, response = AccessRefused),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn end_others(
    State(sessions): State<Sessions>,
    user: AuthUser,
) -> Result<Json<Ended>, ApiError> {
    let ended = sessions
        .end_others(&user)
        .await
        .map_err(ApiError::from_account)?;
    Ok(Json(Ended { ended }))
}

/// Changes the caller's password: the old one is checked (throttled like a
/// login), the new one must follow the password rules. Every session ends,
/// the caller's too; the answer carries the pair of a new session, so a copy
/// of the caller's old tokens is worth nothing.
#[utoipa::path(
    post,
    path = "/api/password/change/",
    operation_id = "password_change",
    tag = "account",
    security(("jwt" = [])),
    request_body(content(
        (PasswordChangeRequest = "application/json"),
        (PasswordChangeRequest = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "Saved; every session ended, a new one started for the caller", body = Saved),
        (status = 401, response = AccessRefused),
        BodyRefused,
        (status = 429, response = Throttled),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn change_password(
    State(sessions): State<Sessions>,
    user: AuthUser,
    caller: Caller,
    Drf(request): Drf<PasswordChange>,
) -> Result<(NoStore, Json<Saved>), ApiError> {
    let pair = sessions
        .change_password(
            &user,
            &request.old_password,
            &request.new_password,
            caller.client(),
        )
        .await
        .map_err(|error| {
            ApiError::from_account(error).on_field("new_password", request.new_password_field)
        })?;
    Ok((
        NO_STORE,
        Json(Saved {
            detail: "New password has been saved.",
            refresh: pair.refresh.unwrap_or_default(),
            access: pair.access,
        }),
    ))
}
