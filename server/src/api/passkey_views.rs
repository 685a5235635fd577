//! Passkeys (WebAuthn) over REST. Managing them takes an access token
//! (Bearer); signing in with one takes nothing but the passkey. Each
//! ceremony is two calls: `begin` answers the options for the browser's
//! `navigator.credentials.create()` / `.get()` and a ceremony id; `finish`
//! takes that id and the browser's answer (its `toJSON()`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use serde_json::Value;
use tessera::{Passkey, PasskeyCeremony, Passkeys};
use utoipa::ToSchema;

use super::auth_user::AuthUser;
use super::caller::Caller;
use super::error::{ApiError, FieldErrors};
use super::fields::{Drf, DrfBody, Fields};
use super::responses::{
    AccessRefused, BodyRefused, Conflict, NotFound, NotValid, Throttled, TokenBodyRefused,
    Unavailable,
};
use super::token_views::{KnownDevice, NoStore, ObtainedPair, KNOWN_DEVICE, NO_STORE};

/// A registered passkey.
#[derive(Serialize, ToSchema)]
pub struct PasskeyView {
    #[schema(example = "5f0c3e7a9b2d4c1e8f6a7b9c0d1e2f3a")]
    id: String,
    /// The name its owner gave it.
    #[schema(example = "Laptop")]
    name: String,
    /// ISO 8601, UTC.
    #[schema(example = "2026-12-04T09:30:00Z")]
    created: String,
    /// The latest sign-in with it, if any.
    #[schema(example = "2026-12-04T10:02:41Z")]
    last_used: Option<String>,
}

impl From<Passkey> for PasskeyView {
    fn from(passkey: Passkey) -> Self {
        Self {
            id: passkey.id,
            name: passkey.name,
            created: tessera::format_utc(passkey.created_at),
            last_used: passkey.last_used_at.map(tessera::format_utc),
        }
    }
}

/// A ceremony begun: send `publicKey` to the browser, and `ceremony` back
/// with its answer (within five minutes).
#[derive(Serialize, ToSchema)]
pub struct CeremonyView {
    #[schema(example = "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e")]
    ceremony: String,
    /// WebAuthn's options in their JSON form: pass them to
    /// `PublicKeyCredential.parseCreationOptionsFromJSON()` (registration)
    /// or `parseRequestOptionsFromJSON()` (sign-in).
    #[serde(rename = "publicKey")]
    #[schema(value_type = Object)]
    public_key: Value,
}

impl From<PasskeyCeremony> for CeremonyView {
    fn from(ceremony: PasskeyCeremony) -> Self {
        Self {
            ceremony: ceremony.id,
            public_key: ceremony.public_key,
        }
    }
}

/// The browser's new credential for a registration ceremony, and its name.
#[derive(ToSchema)]
pub struct RegisterFinishRequest {
    #[schema(pattern = r"\S")]
    ceremony: String,
    /// What `navigator.credentials.create()` returned, as its `toJSON()`.
    #[schema(value_type = Object)]
    credential: Value,
    /// What to call it in the list (at most 64 characters).
    #[schema(pattern = r"\S", max_length = 64, example = "Laptop")]
    name: String,
}

impl DrfBody for RegisterFinishRequest {
    fn read(fields: &Fields) -> Result<Self, ApiError> {
        let mut errors = FieldErrors::new();
        let ceremony = fields.char_field("ceremony", &mut errors);
        let credential = fields.json_object("credential", &mut errors);
        let name = fields.char_field("name", &mut errors);
        match (ceremony, credential, name) {
            (Some(ceremony), Some(credential), Some(name)) if errors.is_empty() => Ok(Self {
                ceremony,
                credential,
                name,
            }),
            _ => Err(ApiError::Fields(errors)),
        }
    }
}

/// The browser's answer to a sign-in ceremony.
#[derive(ToSchema)]
pub struct LoginFinishRequest {
    #[schema(pattern = r"\S")]
    ceremony: String,
    /// What `navigator.credentials.get()` returned, as its `toJSON()`.
    #[schema(value_type = Object)]
    credential: Value,
}

impl DrfBody for LoginFinishRequest {
    fn read(fields: &Fields) -> Result<Self, ApiError> {
        let mut errors = FieldErrors::new();
        let ceremony = fields.char_field("ceremony", &mut errors);
        let credential = fields.json_object("credential", &mut errors);
        match (ceremony, credential) {
            (Some(ceremony), Some(credential)) if errors.is_empty() => Ok(Self {
                ceremony,
                credential,
            }),
            _ => Err(ApiError::Fields(errors)),
        }
    }
}

/// The caller's passkeys, the oldest first.
#[utoipa::path(
    get,
    path = "/api/passkeys/",
    operation_id = "passkeys_list",
    tag = "passkeys",
    security(("jwt" = [])),
    responses(
        (status = 200, description = "The caller's passkeys", body = Vec<PasskeyView>),
        (status = 401, response = AccessRefused),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn list(
    State(passkeys): State<Passkeys>,
    user: AuthUser,
) -> Result<Json<Vec<PasskeyView>>, ApiError> {
    let list = passkeys
        .list(&user)
        .await
        .map_err(ApiError::from_passkeys)?;
    Ok(Json(list.into_iter().map(PasskeyView::from).collect()))
}

/// Removes one of the caller's passkeys: it no longer signs in. Every
/// other session of the caller ends.
#[utoipa::path(
    delete,
    path = "/api/passkeys/{id}/",
    operation_id = "passkeys_destroy",
    tag = "passkeys",
    security(("jwt" = [])),
    params(("id" = String, Path, description = "A passkey id from `GET /api/passkeys/`")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, response = AccessRefused),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn destroy(
    State(passkeys): State<Passkeys>,
    user: AuthUser,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    passkeys
        .remove(&user, &id, caller.client())
        .await
        .map_err(ApiError::from_passkeys)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Begins adding a passkey to the caller's account. 404 when the server
/// has no relying party (`--public-url` is an IP address).
#[utoipa::path(
    post,
    path = "/api/passkeys/register/begin/",
    operation_id = "passkeys_register_begin",
    tag = "passkeys",
    security(("jwt" = [])),
    responses(
        (status = 200, description = "Options for `navigator.credentials.create()`", body = CeremonyView),
        (status = 401, response = AccessRefused),
        (status = 404, response = NotFound),
        (status = 429, response = Throttled),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn register_begin(
    State(passkeys): State<Passkeys>,
    user: AuthUser,
    caller: Caller,
) -> Result<(NoStore, Json<CeremonyView>), ApiError> {
    let ceremony = passkeys
        .begin_registration(&user, caller.client())
        .await
        .map_err(ApiError::from_passkeys)?;
    Ok((NO_STORE, Json(CeremonyView::from(ceremony))))
}

/// Adds the passkey the browser made for a registration ceremony. Every
/// other session of the caller ends. The ceremony is used up, whatever
/// the outcome.
#[utoipa::path(
    post,
    path = "/api/passkeys/register/finish/",
    operation_id = "passkeys_register_finish",
    tag = "passkeys",
    security(("jwt" = [])),
    request_body(content(
        (RegisterFinishRequest = "application/json"),
        (RegisterFinishRequest = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 201, description = "Added", body = PasskeyView),
        (status = 401, response = AccessRefused),
        BodyRefused,
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn register_finish(
    State(passkeys): State<Passkeys>,
    user: AuthUser,
    caller: Caller,
    Drf(request): Drf<RegisterFinishRequest>,
) -> Result<(StatusCode, Json<PasskeyView>), ApiError> {
    let passkey = passkeys
        .finish_registration(
            &user,
            &request.ceremony,
            &request.credential,
            &request.name,
            caller.client(),
        )
        .await
        .map_err(ApiError::from_passkeys)?;
    Ok((StatusCode::CREATED, Json(PasskeyView::from(passkey))))
}

/// Begins a sign-in with a passkey: no username, the browser offers the
/// passkeys it holds for this site.
#[utoipa::path(
    post,
    path = "/api/passkeys/login/begin/",
    operation_id = "passkeys_login_begin",
    tag = "passkeys",
    responses(
        (status = 200, description = "Options for `navigator.credentials.get()`", body = CeremonyView),
        (status = 404, response = NotFound),
        (status = 429, response = Throttled),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn login_begin(
    State(passkeys): State<Passkeys>,
    caller: Caller,
) -> Result<(NoStore, Json<CeremonyView>), ApiError> {
    let ceremony = passkeys
        .begin_sign_in(caller.client())
        .await
        .map_err(ApiError::from_passkeys)?;
    Ok((NO_STORE, Json(CeremonyView::from(ceremony))))
}

/// Signs in with the browser's answer to a sign-in ceremony: a session
/// and its first token pair, as `POST /api/token/` gives for a password.
#[utoipa::path(
    post,
    path = "/api/passkeys/login/finish/",
    operation_id = "passkeys_login_finish",
    tag = "passkeys",
    request_body(content(
        (LoginFinishRequest = "application/json"),
        (LoginFinishRequest = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "Signed in", body = ObtainedPair, headers(
            ("Tessera-Device" = String, description = "A known-device marker for the account"),
        )),
        (status = 401, response = NotValid),
        TokenBodyRefused,
        (status = 404, response = NotFound),
        (status = 429, response = Throttled),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn login_finish(
    State(passkeys): State<Passkeys>,
    caller: Caller,
    proof: super::dpop::Proof,
    Drf(request): Drf<LoginFinishRequest>,
) -> Result<(NoStore, KnownDevice, Json<ObtainedPair>), ApiError> {
    let client = caller.client().bound_to(proof.key());
    let pair = passkeys
        .sign_in(&request.ceremony, &request.credential, client)
        .await
        .map_err(ApiError::from_passkeys)?
        .tokens;
    Ok((
        NO_STORE,
        [(KNOWN_DEVICE, pair.known_device.clone().unwrap_or_default())],
        Json(ObtainedPair::new(pair)),
    ))
}
