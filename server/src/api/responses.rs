//! The responses many operations of the OpenAPI document share, one per
//! shape of [`ApiError`](super::ApiError) that several endpoints answer.
//! Types that only describe: the bodies themselves are written by
//! `ApiError`, with the same `Detail` and `BadRequestBody` types these refer
//! to.

// Never constructed: utoipa reads them at compile time.
#![allow(dead_code)]

use serde::Serialize;
use utoipa::{IntoResponses, ToResponse, ToSchema};

use super::error::{BadRequestBody, Detail, OAuthError};

/// A token endpoint's 400 body: DRF's, or RFC 9449's for a refused proof.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum TokenRequestError<'a> {
    Drf(BadRequestBody<'a>),
    Dpop(OAuthError<'a>),
}

/// A field is missing, blank, null or not a string, or the body is not
/// JSON (or a form) at all, or not an object
#[derive(ToResponse)]
pub struct BadRequest(BadRequestBody<'static>);

/// A field is missing, blank, null or not a string, or the body is not
/// JSON (or a form) at all (DRF's body); or the `DPoP` proof was refused
/// (RFC 9449's body: `invalid_dpop_proof`, or `use_dpop_nonce`, then with
/// the nonce to put in the next proof in a `DPoP-Nonce` header)
#[derive(ToResponse)]
pub struct TokenRequestRefused(TokenRequestError<'static>);

/// The credentials or the token were refused: `code` says why
/// (`token_not_valid` for a bad, expired or revoked token)
#[derive(ToResponse)]
#[response(headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"api\"`")))]
pub struct NotValid(Detail<'static>);

/// No access token, or one that is malformed, expired, revoked, or of a
/// user who is gone or inactive
#[derive(ToResponse)]
#[response(headers((
    "WWW-Authenticate" = String,
    description = "`Bearer realm=\"api\"`; for a token sent as `Authorization: DPoP`, \
                   `DPoP error=\"…\", error_description=\"…\", algs=\"…\"`"
)))]
pub struct AccessRefused(Detail<'static>);

/// Authenticated, but not allowed: the caller is not staff (or, for a
/// change of staff status, not a superuser)
#[derive(ToResponse)]
pub struct Forbidden(Detail<'static>);

/// No such thing here (for a session id: none of the caller's live
/// sessions, whoever else's it may be)
#[derive(ToResponse)]
pub struct NotFound(Detail<'static>);

/// The request does not fit the state of things (two-step sign-in is
/// already on, not set up, or not on)
#[derive(ToResponse)]
pub struct Conflict(Detail<'static>);

/// The body is larger than the server reads (`--max-body-bytes`, 64 KiB
/// by default)
#[derive(ToResponse)]
pub struct PayloadTooLarge(Detail<'static>);

/// The body is neither `application/json` nor
/// `application/x-www-form-urlencoded`
#[derive(ToResponse)]
pub struct Unsupported(Detail<'static>);

/// Too many failed logins for this username or from this address; try
/// again after `Retry-After` seconds
#[derive(ToResponse)]
#[response(headers(("Retry-After" = i64, description = "Seconds to wait")))]
pub struct Throttled(Detail<'static>);

/// The password hashers are saturated, or this instance cannot confirm
/// revocations made elsewhere right now; try again after `Retry-After`
/// seconds
#[derive(ToResponse)]
#[response(headers(("Retry-After" = i64, description = "Seconds to wait")))]
pub struct Unavailable(Detail<'static>);

/// [`BodyRefused`] for the operations that take a `DPoP` proof (those
/// that start, renew, check or end a session), whose 400 may be the
/// proof's.
#[derive(IntoResponses)]
pub enum TokenBodyRefused {
    #[response(status = 400)]
    BadRequest(#[ref_response] TokenRequestRefused),
    #[response(status = 413)]
    TooLarge(#[ref_response] PayloadTooLarge),
    #[response(status = 415)]
    Unsupported(#[ref_response] Unsupported),
}

/// What every operation that reads a body may answer about the body
/// itself, before it is looked at: one list for all of them.
#[derive(IntoResponses)]
pub enum BodyRefused {
    #[response(status = 400)]
    BadRequest(#[ref_response] BadRequest),
    #[response(status = 413)]
    TooLarge(#[ref_response] PayloadTooLarge),
    #[response(status = 415)]
    Unsupported(#[ref_response] Unsupported),
}
