//! The four token endpoints of simplejwt: each reads its fields, asks the
//! sessions side of the core, and answers with simplejwt's body. The types
//! here are also what the OpenAPI document (`super::openapi`) describes.

use axum::extract::State;
use axum::http::header;
use axum::Json;
use serde::Serialize;
use tessera::Sessions;
use utoipa::ToSchema;

use super::caller::Caller;
use super::dpop::{nonce_header, NonceHeader, Proof};
use super::error::{ApiError, FieldErrors};
use super::fields::{Drf, DrfBody, Fields};
use super::responses::{NotValid, Throttled, TokenBodyRefused, Unavailable};

/// Credentials, as JSON or as a urlencoded form.
#[derive(ToSchema)]
pub struct ObtainPairRequest {
    /// Surrounding whitespace is ignored; no NUL character (DRF's "Null
    /// characters are not allowed."), at most Django's 150 characters.
    #[schema(pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$", max_length = 150)]
    username: String,
    /// Checked as typed (surrounding whitespace kept), but blank is
    /// refused, and so is a NUL character.
    #[schema(pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    password: String,
    /// For an account with two-step sign-in on: the code from the
    /// authenticator app, or a recovery code (null: none). Ignored for
    /// other accounts.
    #[schema(example = "123456")]
    otp: Option<String>,
}

impl DrfBody for ObtainPairRequest {
    /// Both fields, or every field's error at once (DRF reports them all).
    fn read(fields: &Fields) -> Result<Self, ApiError> {
        let mut errors = FieldErrors::new();
        let username = fields.char_field("username", &mut errors);
        let password = fields.password_field("password", &mut errors);
        let otp = fields.optional_nullable_text("otp", &mut errors);
        match (username, password) {
            (Some(username), Some(password)) if errors.is_empty() => Ok(Self {
                username,
                password,
                otp,
            }),
            _ => Err(ApiError::Fields(errors)),
        }
    }
}

/// A refresh token, for `/api/token/refresh/` and `/api/token/blacklist/`.
#[derive(ToSchema)]
pub struct RefreshRequest {
    #[schema(pattern = r"\S")]
    refresh: String,
}

impl DrfBody for RefreshRequest {
    fn read(fields: &Fields) -> Result<Self, ApiError> {
        let refresh = fields.required_char("refresh")?;
        Ok(Self { refresh })
    }
}

/// Any token this server issued, access or refresh.
#[derive(ToSchema)]
pub struct VerifyRequest {
    #[schema(pattern = r"\S")]
    token: String,
}

impl DrfBody for VerifyRequest {
    fn read(fields: &Fields) -> Result<Self, ApiError> {
        let token = fields.required_char("token")?;
        Ok(Self { token })
    }
}

#[derive(Serialize, ToSchema)]
pub struct ObtainedPair {
    /// Refresh token (default lifetime 24 hours).
    refresh: String,
    /// Access token for `Authorization: Bearer` (default lifetime 5 minutes).
    access: String,
    /// `DPoP` when the request carried a DPoP proof: both tokens are bound
    /// to its key and are used as `Authorization: DPoP <access>` with a
    /// proof on every request (RFC 9449). Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "DPoP")]
    token_type: Option<&'static str>,
}

/// `token_type` of a bound pair's answer.
fn token_type(pair: &tessera::TokenPair) -> Option<&'static str> {
    pair.dpop_bound.then_some("DPoP")
}

impl ObtainedPair {
    /// simplejwt's body for a login's pair (refresh first).
    pub(super) fn new(pair: tessera::TokenPair) -> Self {
        Self {
            token_type: token_type(&pair),
            refresh: pair.refresh.unwrap_or_default(),
            access: pair.access,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RefreshedPair {
    access: String,
    /// The successor refresh token (with rotation, the default): the one
    /// sent is retired.
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh: Option<String>,
    /// `DPoP` when the pair is bound to the client's key (see `ObtainedPair`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "DPoP")]
    token_type: Option<&'static str>,
}

/// RFC 6749 §5.1: a response carrying tokens is never cached.
pub(super) type NoStore = [(header::HeaderName, &'static str); 2];
pub(super) const NO_STORE: NoStore = [
    (header::CACHE_CONTROL, "no-store"),
    (header::PRAGMA, "no-cache"),
];

/// The login's known-device marker (see `tessera::TokenPair::known_device`),
/// beside simplejwt's body rather than in it.
pub(super) type KnownDevice = [(header::HeaderName, String); 1];
pub(super) const KNOWN_DEVICE: header::HeaderName =
    header::HeaderName::from_static("tessera-device");

/// simplejwt answers success with an empty object on verify and blacklist.
#[derive(Serialize, ToSchema)]
pub struct Empty {}

/// Log in: a new session and its first token pair.
#[utoipa::path(
    post,
    path = "/api/token/",
    operation_id = "token_obtain_pair",
    tag = "token",
    params(
        ("Tessera-Device" = Option<String>, Header, description = "The marker a previous \
          login of this name answered with: this client is then throttled as a known device \
          of the account, apart from failures of others by name or address."),
    ),
    request_body(content(
        (ObtainPairRequest = "application/json"),
        (ObtainPairRequest = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "Logged in", body = ObtainedPair, headers(
            ("Tessera-Device" = String, description = "A known-device marker for this name, \
              to send with the next login (valid 180 days, renewed at each login)."),
        ), links(
            ("refresh" = (operation_id = "token_refresh", description = "Rotate the pair",
                request_body = json!({"refresh": "$response.body#/refresh"}))),
            ("verify" = (operation_id = "token_verify", description = "Check the access token",
                request_body = json!({"token": "$response.body#/access"}))),
            ("log_out" = (operation_id = "token_blacklist", description = "End the session",
                request_body = json!({"refresh": "$response.body#/refresh"}))),
        )),
        (status = 401, response = NotValid),
        TokenBodyRefused,
        (status = 429, response = Throttled),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn obtain_pair(
    State(sessions): State<Sessions>,
    caller: Caller,
    proof: Proof,
    Drf(ObtainPairRequest {
        username,
        password,
        otp,
    }): Drf<ObtainPairRequest>,
) -> Result<
    (
        NoStore,
        Option<NonceHeader>,
        KnownDevice,
        Json<ObtainedPair>,
    ),
    ApiError,
> {
    let client = caller.client().bound_to(proof.key());
    let pair = sessions
        .login_with_code(&username, &password, otp.as_deref(), client)
        .await
        .map_err(ApiError::from_login)?;
    Ok((
        NO_STORE,
        nonce_header(&sessions),
        [(KNOWN_DEVICE, pair.known_device.clone().unwrap_or_default())],
        Json(ObtainedPair::new(pair)),
    ))
}

/// A new access token (and, with rotation, a new refresh token) for a
/// refresh token.
#[utoipa::path(
    post,
    path = "/api/token/refresh/",
    operation_id = "token_refresh",
    tag = "token",
    request_body(content(
        (RefreshRequest = "application/json"),
        (RefreshRequest = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "Refreshed", body = RefreshedPair, links(
            ("refresh" = (operation_id = "token_refresh", description = "Rotate again",
                request_body = json!({"refresh": "$response.body#/refresh"}))),
            ("verify" = (operation_id = "token_verify", description = "Check the new access token",
                request_body = json!({"token": "$response.body#/access"}))),
            ("log_out" = (operation_id = "token_blacklist", description = "End the session",
                request_body = json!({"refresh": "$response.body#/refresh"}))),
        )),
        (status = 401, response = NotValid),
        TokenBodyRefused,
        (status = 503, response = Unavailable),
    ),
)]
pub async fn refresh(
    State(sessions): State<Sessions>,
    proof: Proof,
    Drf(RefreshRequest { refresh }): Drf<RefreshRequest>,
) -> Result<(NoStore, Option<NonceHeader>, Json<RefreshedPair>), ApiError> {
    let pair = sessions
        .refresh_proven(&refresh, proof.key())
        .await
        .map_err(ApiError::from_refresh)?;
    Ok((
        NO_STORE,
        nonce_header(&sessions),
        Json(RefreshedPair {
            token_type: token_type(&pair),
            access: pair.access,
            refresh: pair.refresh,
        }),
    ))
}

/// Whether a token is valid: signature, expiry and, for a refresh token,
/// its session not revoked.
#[utoipa::path(
    post,
    path = "/api/token/verify/",
    operation_id = "token_verify",
    tag = "token",
    request_body(content(
        (VerifyRequest = "application/json"),
        (VerifyRequest = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "The token is valid", body = Empty),
        (status = 401, response = NotValid),
        TokenBodyRefused,
        (status = 503, response = Unavailable),
    ),
)]
pub async fn verify(
    State(sessions): State<Sessions>,
    proof: Proof,
    Drf(VerifyRequest { token }): Drf<VerifyRequest>,
) -> Result<Json<Empty>, ApiError> {
    sessions
        .verify_proven(&token, proof.key())
        .await
        .map_err(ApiError::from_verify)?;
    Ok(Json(Empty {}))
}

/// Log out: the refresh token's session ends, and with it every access
/// token issued to it, at once.
#[utoipa::path(
    post,
    path = "/api/token/blacklist/",
    operation_id = "token_blacklist",
    tag = "token",
    request_body(content(
        (RefreshRequest = "application/json"),
        (RefreshRequest = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "Logged out", body = Empty),
        (status = 401, response = NotValid),
        TokenBodyRefused,
        (status = 503, response = Unavailable),
    ),
)]
pub async fn blacklist(
    State(sessions): State<Sessions>,
    proof: Proof,
    Drf(RefreshRequest { refresh }): Drf<RefreshRequest>,
) -> Result<Json<Empty>, ApiError> {
    sessions
        .logout_proven(&refresh, proof.key())
        .await
        .map_err(ApiError::from_refresh)?;
    Ok(Json(Empty {}))
}
