//! `AuthUser`: the extractor that guards protected routes. A handler that
//! takes one runs only for a valid, unrevoked access token of an active user.

use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts};
use tessera::{AuthError, TokenError};

use super::error::ApiError;
use crate::AppState;

#[derive(Clone, Debug)]
pub struct AuthUser {
    pub user_id: i64,
    pub session_id: Option<String>,
}

/// What the `Authorization` header holds, read the way simplejwt reads it.
#[derive(Debug, PartialEq, Eq)]
pub enum Credentials<'a> {
    /// No header, an empty one, or another scheme (`Token x`, `bearer x`).
    Absent,
    /// `Bearer` alone, or more than two parts.
    Malformed,
    Bearer(&'a [u8]),
}

/// Splits on ASCII whitespace as Python's `bytes.split()` does (so several
/// spaces between scheme and token are fine); the scheme is case-sensitive.
pub fn parse_authorization(value: &[u8]) -> Credentials<'_> {
    let is_space = |byte: &u8| matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    let mut parts = value.split(is_space).filter(|part| !part.is_empty());
    match (parts.next(), parts.next(), parts.next()) {
        (Some(b"Bearer"), Some(token), None) => Credentials::Bearer(token),
        (Some(b"Bearer"), _, _) => Credentials::Malformed,
        _ => Credentials::Absent,
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
        let token = std::str::from_utf8(token)
            .map_err(|_| ApiError::from_access(AuthError::Token(TokenError::Invalid)))?;
        let user = state
            .tokens
            .authenticate(token)
            .map_err(ApiError::from_access)?;
        Ok(Self {
            user_id: user.user_id,
            session_id: user.session_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_header_like_simplejwt() {
        assert_eq!(
            parse_authorization(b"Bearer abc"),
            Credentials::Bearer(b"abc")
        );
        assert_eq!(
            parse_authorization(b"Bearer    abc  "),
            Credentials::Bearer(b"abc")
        );
        assert_eq!(
            parse_authorization(b"Bearer\tabc"),
            Credentials::Bearer(b"abc")
        );
        assert_eq!(parse_authorization(b"Bearer"), Credentials::Malformed);
        assert_eq!(parse_authorization(b"Bearer a b"), Credentials::Malformed);
        assert_eq!(parse_authorization(b""), Credentials::Absent);
        assert_eq!(parse_authorization(b"   "), Credentials::Absent);
        assert_eq!(parse_authorization(b"Token abc"), Credentials::Absent);
        assert_eq!(parse_authorization(b"bearer abc"), Credentials::Absent);
    }
}
