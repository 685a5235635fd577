//! The four token endpoints of simplejwt: each reads its fields, asks the
//! sessions side of the core, and answers with simplejwt's body.

use axum::extract::State;
use axum::http::header;
use axum::Json;
use serde::Serialize;
use tessera::Sessions;

use super::client_address::ClientAddress;
use super::error::{ApiError, FieldErrors};
use super::fields::Fields;

#[derive(Serialize)]
pub struct ObtainedPair {
    refresh: String,
    access: String,
}

#[derive(Serialize)]
pub struct RefreshedPair {
    access: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh: Option<String>,
}

/// RFC 6749 §5.1: a response carrying tokens is never cached.
type NoStore = [(header::HeaderName, &'static str); 2];
const NO_STORE: NoStore = [
    (header::CACHE_CONTROL, "no-store"),
    (header::PRAGMA, "no-cache"),
];

/// simplejwt answers success with an empty object on verify and blacklist.
#[derive(Serialize)]
pub struct Empty {}

/// `POST /api/token/` `{username, password}` → `{refresh, access}`.
pub async fn obtain_pair(
    State(sessions): State<Sessions>,
    ClientAddress(client): ClientAddress,
    fields: Fields,
) -> Result<(NoStore, Json<ObtainedPair>), ApiError> {
    let mut errors = FieldErrors::new();
    let username = fields.char_field("username", &mut errors);
    let password = fields.char_field("password", &mut errors);
    let (Some(username), Some(password)) = (username, password) else {
        return Err(ApiError::Fields(errors));
    };
    let pair = sessions
        .login(username.trim(), &password, client)
        .await
        .map_err(ApiError::from_login)?;
    // simplejwt's key order: refresh first.
    Ok((
        NO_STORE,
        Json(ObtainedPair {
            refresh: pair.refresh.unwrap_or_default(),
            access: pair.access,
        }),
    ))
}

/// `POST /api/token/refresh/` `{refresh}` → `{access, refresh}` (`refresh`
/// only with rotation).
pub async fn refresh(
    State(sessions): State<Sessions>,
    fields: Fields,
) -> Result<(NoStore, Json<RefreshedPair>), ApiError> {
    let token = fields.required_char("refresh")?;
    let pair = sessions
        .refresh(&token)
        .await
        .map_err(ApiError::from_refresh)?;
    Ok((
        NO_STORE,
        Json(RefreshedPair {
            access: pair.access,
            refresh: pair.refresh,
        }),
    ))
}

/// `POST /api/token/verify/` `{token}` → `{}`.
pub async fn verify(
    State(sessions): State<Sessions>,
    fields: Fields,
) -> Result<Json<Empty>, ApiError> {
    let token = fields.required_char("token")?;
    sessions
        .verify(&token)
        .await
        .map_err(ApiError::from_verify)?;
    Ok(Json(Empty {}))
}

/// `POST /api/token/blacklist/` `{refresh}` → `{}`: logs the session out.
pub async fn blacklist(
    State(sessions): State<Sessions>,
    fields: Fields,
) -> Result<Json<Empty>, ApiError> {
    let token = fields.required_char("refresh")?;
    sessions
        .logout(&token)
        .await
        .map_err(ApiError::from_refresh)?;
    Ok(Json(Empty {}))
}
