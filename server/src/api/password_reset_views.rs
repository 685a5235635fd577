//! dj-rest-auth's password reset, byte for byte: ask for a link by email
//! address (the same answer whether or not the address belongs to anyone),
//! then set a new password with the link's `uid` and `token`.

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use tessera::{Accounts, NewPassword};
use utoipa::ToSchema;

use super::caller::Caller;
use super::error::{ApiError, FieldErrors};
use super::fields::{Drf, DrfBody, Fields};
use super::responses::{BodyRefused, Throttled, Unavailable};

/// The address to send a link to.
#[derive(ToSchema)]
pub struct ResetRequest {
    /// Any address: the answer is the same whether or not an account uses it.
    #[schema(example = "ana@example.com", format = Email)]
    email: String,
}

impl DrfBody for ResetRequest {
    fn read(fields: &Fields) -> Result<Self, ApiError> {
        fields.required_char("email").map(|email| Self { email })
    }
}

/// The link's two parts and the new password, twice.
#[derive(ToSchema)]
pub struct ResetConfirmation {
    /// At least the server's minimum length (`--min-password-length`).
    #[schema(pattern = r"\S")]
    new_password1: String,
    /// The same again.
    #[schema(pattern = r"\S")]
    new_password2: String,
    /// The link's first part: the user id in URL-safe base64.
    #[schema(example = "MQ", pattern = r"\S")]
    uid: String,
    /// The link's second part.
    #[schema(example = "tc4b2k-0f8e3a91c2d45b6e7f8091a2b3c4d5e6", pattern = r"\S")]
    token: String,
}

impl DrfBody for ResetConfirmation {
    fn read(fields: &Fields) -> Result<Self, ApiError> {
        let mut errors = FieldErrors::new();
        let new_password1 = fields.password_field("new_password1", &mut errors);
        let new_password2 = fields.password_field("new_password2", &mut errors);
        let uid = fields.char_field("uid", &mut errors);
        let token = fields.char_field("token", &mut errors);
        match (new_password1, new_password2, uid, token) {
            (Some(new_password1), Some(new_password2), Some(uid), Some(token)) => Ok(Self {
                new_password1,
                new_password2,
                uid,
                token,
            }),
            _ => Err(ApiError::Fields(errors)),
        }
    }
}

/// dj-rest-auth's `{"detail": "…"}`.
#[derive(Serialize, ToSchema)]
pub struct Done {
    #[schema(example = "Password reset e-mail has been sent.")]
    detail: &'static str,
}

/// Sends a password-reset link to every active account with this address
/// (in any case). The answer is the same, in the same time, whether or not
/// any account uses it; requests are throttled per address and per client.
#[utoipa::path(
    post,
    path = "/api/password/reset/",
    operation_id = "password_reset",
    tag = "account",
    request_body(content(
        (ResetRequest = "application/json"),
        (ResetRequest = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "A link is on its way, if an account uses the address", body = Done),
        BodyRefused,
        (status = 429, response = Throttled),
        (status = 503, response = Unavailable),
    ),
)]
pub async fn request_reset(
    State(accounts): State<Accounts>,
    caller: Caller,
    Drf(request): Drf<ResetRequest>,
) -> Result<Json<Done>, ApiError> {
    accounts
        .request_password_reset(&request.email, caller.client())
        .await
        .map_err(ApiError::from_reset)?;
    Ok(Json(Done {
        detail: "Password reset e-mail has been sent.",
    }))
}

/// Sets a new password with a reset link's `uid` and `token`. The link
/// works once; every session of the account ends, on every instance.
#[utoipa::path(
    post,
    path = "/api/password/reset/confirm/",
    operation_id = "password_reset_confirm",
    tag = "account",
    request_body(content(
        (ResetConfirmation = "application/json"),
        (ResetConfirmation = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "The password is set; every session ended", body = Done),
        BodyRefused,
        (status = 503, response = Unavailable),
    ),
)]
pub async fn confirm_reset(
    State(accounts): State<Accounts>,
    caller: Caller,
    Drf(request): Drf<ResetConfirmation>,
) -> Result<Json<Done>, ApiError> {
    let new = NewPassword {
        password: &request.new_password1,
        confirmation: &request.new_password2,
    };
    accounts
        .confirm_password_reset(&request.uid, &request.token, new, caller.client())
        .await
        .map_err(ApiError::from_reset)?;
    // dj-rest-auth answers with the detail alone: the username stays unsaid.
    Ok(Json(Done {
        detail: "Password has been reset with the new password.",
    }))
}
