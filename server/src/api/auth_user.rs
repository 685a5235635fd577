//! `AuthUser`: the extractor that guards protected routes. A handler that
//! takes one runs only for a valid, unrevoked access token of an active user;
//! the header is read by the core's one pipeline (`Sessions::authenticate_header`).

use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts};
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

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .map(|value| value.as_bytes());
        let sessions = &state.tessera.sessions;
        sessions
            .authenticate_header(header, &super::dpop::proof_request(parts))
            .await
            .map(Self)
            .map_err(|error| {
                let refusal = ApiError::from_access(error);
                if sessions.presents_dpop(header) {
                    refusal.in_dpop_scheme()
                } else {
                    refusal
                }
            })
    }
}
