//! Everything of the app that runs on the server only, in one place: how a
//! server function reaches the core, turns its errors into the UI's with
//! the right HTTP status, and authenticates the caller through the core's
//! one Bearer pipeline. Nothing here panics on a request: a missing context
//! is a 500 with a log line.

use axum::http::{header, HeaderValue, StatusCode};
use leptos::prelude::use_context;
use tessera::{AuthError, AuthenticatedUser, Tessera, TokenError};

use crate::api::{SignupRules, Tokens};
use crate::failure::{AuthFailure, TokenProblem};

/// The core, provided by the server's router.
pub fn core() -> Result<Tessera, AuthFailure> {
    use_context::<Tessera>().ok_or_else(|| {
        leptos::logging::error!("no Tessera core in the server function's context");
        reject(AuthFailure::Server("not configured".into()))
    })
}

/// The server's sign-up rules, for the page shell.
pub fn signup_rules() -> Option<SignupRules> {
    use_context::<Tessera>().map(|tessera| {
        let policy = tessera.policy();
        SignupRules {
            open: policy.allow_signup,
            min_password_length: policy.min_password_length,
        }
    })
}

/// The request's caller, checked exactly as `GET /hello/` checks it: the
/// same core function reads the `Authorization` header.
pub fn authenticated() -> Result<AuthenticatedUser, AuthFailure> {
    let parts = use_context::<axum::http::request::Parts>().ok_or_else(|| {
        leptos::logging::error!("no request parts in the server function's context");
        reject(AuthFailure::Server("not configured".into()))
    })?;
    let header = parts.headers.get(header::AUTHORIZATION);
    core()?
        .sessions
        .authenticate_header(header.map(HeaderValue::as_bytes))
        .map_err(reject)
}

pub fn tokens_of(pair: tessera::TokenPair, kept_refresh: Option<String>) -> Tokens {
    Tokens {
        access: pair.access,
        refresh: pair.refresh.or(kept_refresh).unwrap_or_default(),
    }
}

/// Turns a core error into the UI's, and sets the response status to match.
pub fn reject(error: impl Into<AuthFailure>) -> AuthFailure {
    let failure = error.into();
    set_response_status(&failure);
    failure
}

/// Makes the server function's response carry this failure's status (and,
/// for 401, `WWW-Authenticate` as the REST API does).
pub fn set_response_status(failure: &AuthFailure) {
    let Some(response) = use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    let status =
        StatusCode::from_u16(failure.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.set_status(status);
    if status == StatusCode::UNAUTHORIZED {
        response.insert_header(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"Bearer realm="api""#),
        );
    }
}

impl From<AuthError> for AuthFailure {
    /// The one mapping from the core's errors to the UI's.
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::BadCredentials => Self::BadCredentials,
            AuthError::CredentialsNotProvided => Self::NotLoggedIn,
            AuthError::MalformedAuthorization | AuthError::NoUserInToken => Self::TokenRefused {
                problem: TokenProblem::Invalid,
                message: error.to_string(),
            },
            AuthError::Token(token) => {
                let problem = match token {
                    TokenError::Expired => TokenProblem::Expired,
                    TokenError::Blacklisted => TokenProblem::Revoked,
                    _ => TokenProblem::Invalid,
                };
                Self::TokenRefused {
                    problem,
                    message: token.to_string(),
                }
            }
            AuthError::UserNotFound
            | AuthError::UserInactive
            | AuthError::NoActiveAccountForToken => Self::AccountUnavailable(error.to_string()),
            AuthError::PasswordTooLong | AuthError::PasswordTooShort(_) => Self::Invalid {
                field: "password".into(),
                message: capitalized(&error.to_string()),
            },
            AuthError::InvalidUsername => Self::Invalid {
                field: "username".into(),
                message: capitalized(&error.to_string()),
            },
            AuthError::UsernameTaken => Self::UsernameTaken,
            AuthError::SignupClosed => Self::SignupClosed,
            AuthError::NoSuchUser | AuthError::Store(_) | AuthError::Password(_) => {
                leptos::logging::error!("server function failed: {error}");
                Self::Server("internal error".into())
            }
        }
    }
}

fn capitalized(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect::<String>() + ".",
        None => String::new(),
    }
}
