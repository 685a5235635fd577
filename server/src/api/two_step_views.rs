//! Two-step sign-in for a logged-in person (Bearer access token): set up an
//! authenticator app, turn it on with a first code (the answer holds the
//! recovery codes, shown once), turn it off with a code, and see whether it
//! is on. Logging in with a code is `POST /api/token/`'s `otp` field.

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use tessera::TwoStep;
use utoipa::ToSchema;

use super::auth_user::AuthUser;
use super::caller::Caller;
use super::error::{ApiError, FieldErrors};
use super::fields::{Drf, DrfBody, Fields};
use super::responses::{AccessRefused, BodyRefused, Conflict, Unavailable};
use super::token_views::{NoStore, NO_STORE};

/// Whether the caller signs in in two steps.
#[derive(Serialize, ToSchema)]
pub struct TwoStepView {
    /// A code from an authenticator app is asked after the password.
    totp: bool,
    /// Recovery codes not used yet (0 while two-step sign-in is off).
    recovery_codes_left: i64,
}

/// What an authenticator app needs; nothing is on until a code from it
/// comes back to `POST /api/totp/confirm/`.
#[derive(Serialize, ToSchema)]
pub struct TotpSetupView {
    /// The secret in base32, for apps that take it typed in.
    #[schema(example = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")]
    secret: String,
    /// The address in the QR code.
    #[schema(
        example = "otpauth://totp/example.com%3Aana?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=example.com&algorithm=SHA1&digits=6&period=30"
    )]
    otpauth_url: String,
    /// The QR code, as an SVG document to place in a page.
    qr_svg: String,
}

/// The recovery codes, shown this once.
#[derive(Serialize, ToSchema)]
pub struct RecoveryCodes {
    /// Ten codes, each working once in place of the app's code.
    #[schema(example = json!(["abcd-efgh-jkmn-pqrs"]))]
    recovery_codes: Vec<String>,
}

/// A code from the authenticator app (six digits; spaces are ignored) or,
/// to turn two-step sign-in off, a recovery code.
#[derive(ToSchema)]
pub struct CodeRequest {
    #[schema(pattern = r"\S", example = "123456")]
    code: String,
}

impl DrfBody for CodeRequest {
    fn read(fields: &Fields) -> Result<Self, ApiError> {
        let mut errors = FieldErrors::new();
        match fields.char_field("code", &mut errors) {
            Some(code) => Ok(Self { code }),
            None => Err(ApiError::Fields(errors)),
        }
    }
}

/// Whether two-step sign-in is on for the caller.
#[utoipa::path(
    get,
    path = "/api/totp/",
    operation_id = "totp_status",
    tag = "two-step",
    security(("jwt" = [])),
    responses(
        (status = 200, description = "The caller's two-step login", body = TwoStepView),
        (status = 401, response = AccessRefused),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn status(
    State(two_step): State<TwoStep>,
    user: AuthUser,
) -> Result<Json<TwoStepView>, ApiError> {
    let status = two_step
        .status(&user)
        .await
        .map_err(ApiError::from_two_step)?;
    Ok(Json(TwoStepView {
        totp: status.totp,
        recovery_codes_left: status.recovery_codes_left,
    }))
}

/// A new secret for an authenticator app: scan the QR code (or type the
/// secret), then send a code from the app to `/api/totp/confirm/`. Asking
/// again replaces a secret that waits; while two-step sign-in is on, 409.
#[utoipa::path(
    post,
    path = "/api/totp/setup/",
    operation_id = "totp_setup",
    tag = "two-step",
    security(("jwt" = [])),
    responses(
        (status = 200, description = "A secret waiting for its first code", body = TotpSetupView),
        (status = 401, response = AccessRefused),
        (status = 409, response = Conflict),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn setup(
    State(two_step): State<TwoStep>,
    user: AuthUser,
) -> Result<(NoStore, Json<TotpSetupView>), ApiError> {
    let setup = two_step
        .begin(&user)
        .await
        .map_err(ApiError::from_two_step)?;
    Ok((
        NO_STORE,
        Json(TotpSetupView {
            secret: setup.secret,
            otpauth_url: setup.otpauth_url,
            qr_svg: setup.qr_svg,
        }),
    ))
}

/// Turns two-step sign-in on with a first code from the app. Every other
/// session of the caller ends; the answer holds ten recovery codes, shown
/// this once.
#[utoipa::path(
    post,
    path = "/api/totp/confirm/",
    operation_id = "totp_confirm",
    tag = "two-step",
    security(("jwt" = [])),
    request_body(content(
        (CodeRequest = "application/json"),
        (CodeRequest = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "On; the recovery codes", body = RecoveryCodes),
        (status = 401, response = AccessRefused),
        BodyRefused,
        (status = 409, response = Conflict),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn confirm(
    State(two_step): State<TwoStep>,
    user: AuthUser,
    caller: Caller,
    Drf(CodeRequest { code }): Drf<CodeRequest>,
) -> Result<(NoStore, Json<RecoveryCodes>), ApiError> {
    let recovery_codes = two_step
        .turn_on(&user, &code, caller.client())
        .await
        .map_err(ApiError::from_two_step)?;
    Ok((NO_STORE, Json(RecoveryCodes { recovery_codes })))
}

/// Turns two-step sign-in off, with a current code from the app or a
/// recovery code. Every other session of the caller ends.
#[utoipa::path(
    delete,
    path = "/api/totp/",
    operation_id = "totp_destroy",
    tag = "two-step",
    security(("jwt" = [])),
    request_body(content(
        (CodeRequest = "application/json"),
        (CodeRequest = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 204, description = "Off"),
        (status = 401, response = AccessRefused),
        BodyRefused,
        (status = 409, response = Conflict),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn destroy(
    State(two_step): State<TwoStep>,
    user: AuthUser,
    caller: Caller,
    Drf(CodeRequest { code }): Drf<CodeRequest>,
) -> Result<axum::http::StatusCode, ApiError> {
    two_step
        .turn_off(&user, &code, caller.client())
        .await
        .map_err(ApiError::from_two_step)?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
