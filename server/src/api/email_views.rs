//! dj-rest-auth's email verification (with django-allauth), byte for byte:
//! the key from the mailed link verifies the address; another link can be
//! asked for by address (the same answer whether or not an account waits
//! for it).

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use tessera::Accounts;
use utoipa::ToSchema;

use super::caller::Caller;
use super::error::ApiError;
use super::fields::{Drf, DrfBody, Fields};
use super::responses::{BodyRefused, NotFound, Throttled, Unavailable};

/// The key of a verification link (`/verify-email/<key>`).
#[derive(ToSchema)]
pub struct VerifyEmail {
    #[schema(
        example = "MQ-tc4b2k-0f8e3a91c2d45b6e7f8091a2b3c4d5e6",
        pattern = r"\S"
    )]
    key: String,
}

impl DrfBody for VerifyEmail {
    fn read(fields: &Fields) -> Result<Self, ApiError> {
        fields.required_char("key").map(|key| Self { key })
    }
}

/// The address to send a new link to.
#[derive(ToSchema)]
pub struct ResendEmail {
    /// Any address: the answer is the same whether or not an account
    /// waits for it.
    #[schema(example = "ana@example.com", format = Email)]
    email: String,
}

impl DrfBody for ResendEmail {
    fn read(fields: &Fields) -> Result<Self, ApiError> {
        fields.required_char("email").map(|email| Self { email })
    }
}

/// dj-rest-auth's `{"detail": "ok"}`.
#[derive(Serialize, ToSchema)]
pub struct OkDetail {
    #[schema(example = "ok")]
    detail: &'static str,
}

const OK: OkDetail = OkDetail { detail: "ok" };

/// Verifies the address a link was sent to. A key works once, while the
/// account still waits for that address, and for
/// `--email-verification-timeout`; any other key is 404.
#[utoipa::path(
    post,
    path = "/api/registration/verify-email/",
    operation_id = "registration_verify_email",
    tag = "account",
    request_body(content(
        (VerifyEmail = "application/json"),
        (VerifyEmail = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "The address is verified", body = OkDetail),
        BodyRefused,
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn verify_email(
    State(accounts): State<Accounts>,
    caller: Caller,
    Drf(request): Drf<VerifyEmail>,
) -> Result<Json<OkDetail>, ApiError> {
    accounts
        .verify_email(&request.key, caller.client())
        .await
        .map_err(ApiError::from_reset)?;
    Ok(Json(OK))
}

/// Sends a new verification link to every active account waiting for this
/// address (in any case). The answer is the same whether or not one does;
/// requests count against the password-reset budgets (per address, per
/// client).
#[utoipa::path(
    post,
    path = "/api/registration/resend-email/",
    operation_id = "registration_resend_email",
    tag = "account",
    request_body(content(
        (ResendEmail = "application/json"),
        (ResendEmail = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "A link is on its way, if an account waits for the address", body = OkDetail),
        BodyRefused,
        (status = 429, response = Throttled),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn resend_email(
    State(accounts): State<Accounts>,
    caller: Caller,
    Drf(request): Drf<ResendEmail>,
) -> Result<Json<OkDetail>, ApiError> {
    accounts
        .resend_verification(&request.email, caller.client())
        .await
        .map_err(ApiError::from_reset)?;
    Ok(Json(OK))
}
