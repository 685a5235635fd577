//! `AuthUser`: the extractor that guards protected routes. A handler that
//! takes one runs only for a valid, unrevoked access token of an active user.

use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts};
use tessera::bearer::{parse_authorization, Credentials};
use tessera::AuthenticatedUser;

use super::error::ApiError;
use crate::AppState;

#[derive(Clone, Debug)]
pub struct AuthUser(pub AuthenticatedUser);

/// A handler reads `user.user_id` or `user.session_id()` directly.
impl std::ops::Deref for AuthUser {
    type Target = AuthenticatedUser;

    fn deref(&self) -> &AuthenticatedUser {
        &self.0
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .map(|value| value.as_bytes());
        let token = match header.map(parse_authorization) {
            None | Some(Credentials::Absent) => return Err(ApiError::CREDENTIALS_NOT_PROVIDED),
            Some(Credentials::Malformed) => {
                return Err(ApiError::UnauthorizedCode(
                    "Authorization header must contain two space-delimited values".into(),
                    "bad_authorization_header",
                ))
            }
            Some(Credentials::Bearer(token)) => token,
        };
        let user = state
            .tokens
            .authenticate(token)
            .map_err(ApiError::from_access)?;
        Ok(Self(user))
    }
}
