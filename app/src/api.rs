//! `#[server]` functions: the browser calls them over HTTP, the server runs
//! them against the core library found in the request's context, so the UI
//! and the REST API share every rule. Failures are `AuthFailure`s with real
//! HTTP statuses; calls that need a user carry `Authorization: Bearer …`
//! through `AuthClient`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::client::AuthClient;
use crate::failure::AuthFailure;

/// What the database reports about itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseReport {
    pub engine: String,
    pub users: i64,
}

/// A fresh token pair, as `POST /api/token/` returns it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
}

/// The logged-in user and their session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub id: i64,
    pub username: String,
    /// Unix seconds.
    pub date_joined: i64,
    pub last_login: Option<i64>,
    /// When the session ends whatever its rotations (Unix seconds).
    pub session_expires_at: Option<i64>,
}

/// Whether anyone may create an account, and the rule for its password.
///
/// Fixed for the life of the server process, so known without a round trip:
/// the server reads its configuration, and writes the rules on `<body>` (see
/// [`crate::shell`]) where the browser reads them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignupRules {
    pub open: bool,
    pub min_password_length: usize,
}

impl SignupRules {
    /// The `<body>` attributes that carry the rules to the browser.
    pub const OPEN_ATTRIBUTE: &str = "data-signup-open";
    pub const MIN_PASSWORD_LENGTH_ATTRIBUTE: &str = "data-min-password-length";

    /// The server's rules; `None` only when they cannot be known (no core in
    /// the context, or a page that does not come from this server).
    pub fn current() -> Option<Self> {
        #[cfg(feature = "ssr")]
        {
            use_context::<tessera::TokenService>().map(|service| {
                let policy = service.policy();
                Self {
                    open: policy.allow_signup,
                    min_password_length: policy.min_password_length,
                }
            })
        }
        #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
        {
            let body = leptos::tachys::dom::body();
            Some(Self {
                open: body.get_attribute(Self::OPEN_ATTRIBUTE)?.parse().ok()?,
                min_password_length: body
                    .get_attribute(Self::MIN_PASSWORD_LENGTH_ATTRIBUTE)?
                    .parse()
                    .ok()?,
            })
        }
        #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
        {
            None
        }
    }
}

/// Counts the registered users: a round trip browser → server → database.
#[server]
pub async fn database_status() -> Result<DatabaseReport, AuthFailure> {
    let store = token_service()?.store().clone();
    let users = store
        .count_users()
        .await
        .map_err(|error| reject(tessera::AuthError::from(error)))?;
    Ok(DatabaseReport {
        engine: store.engine().to_owned(),
        users,
    })
}

/// Username and password in, a new session's tokens out.
#[server]
pub async fn login(username: String, password: String) -> Result<Tokens, AuthFailure> {
    let pair = token_service()?
        .login(&username, &password)
        .await
        .map_err(reject)?;
    Ok(tokens_of(pair, None))
}

/// Creates an account (when the server allows sign-up) and logs it in.
#[server]
pub async fn sign_up(username: String, password: String) -> Result<Tokens, AuthFailure> {
    let pair = token_service()?
        .sign_up(&username, &password)
        .await
        .map_err(reject)?;
    Ok(tokens_of(pair, None))
}

/// Rotates a refresh token: a new access token and the refresh token that
/// replaces the one sent (the same one when rotation is off).
#[server]
pub async fn refresh_tokens(refresh: String) -> Result<Tokens, AuthFailure> {
    let pair = token_service()?.refresh(&refresh).await.map_err(reject)?;
    Ok(tokens_of(pair, Some(refresh)))
}

/// Ends the session of a refresh token, access tokens included.
#[server]
pub async fn logout(refresh: String) -> Result<(), AuthFailure> {
    token_service()?.logout(&refresh).await.map_err(reject)
}

/// The protected greeting of `GET /hello/`.
#[server(client = AuthClient)]
pub async fn hello() -> Result<String, AuthFailure> {
    authenticated()?;
    Ok("Hello, World!".to_owned())
}

/// Who the access token belongs to.
#[server(client = AuthClient)]
pub async fn me() -> Result<Profile, AuthFailure> {
    let user = authenticated()?;
    let service = token_service()?;
    let summary = service
        .user_summary(user.user_id)
        .await
        .map_err(reject)?
        .ok_or_else(|| reject(tessera::AuthError::UserNotFound))?;
    let session_expires_at = match user.session_id() {
        Some(session) => service.session_expires_at(session).await.map_err(reject)?,
        None => None,
    };
    Ok(Profile {
        id: summary.id,
        username: summary.username,
        date_joined: summary.created_at,
        last_login: summary.last_login,
        session_expires_at,
    })
}

/// The core, provided by the server's router; its absence is a wiring bug,
/// reported as a 500 rather than a panic.
#[cfg(feature = "ssr")]
fn token_service() -> Result<tessera::TokenService, AuthFailure> {
    use_context::<tessera::TokenService>().ok_or_else(|| {
        leptos::logging::error!("no TokenService in the server function's context");
        reject(AuthFailure::Server("not configured".into()))
    })
}

#[cfg(feature = "ssr")]
fn tokens_of(pair: tessera::TokenPair, kept_refresh: Option<String>) -> Tokens {
    Tokens {
        access: pair.access,
        refresh: pair.refresh.or(kept_refresh).unwrap_or_default(),
    }
}

/// Turns a core error into the UI's, and sets the response status to match.
#[cfg(feature = "ssr")]
fn reject(error: impl Into<AuthFailure>) -> AuthFailure {
    let failure = error.into();
    failure.set_response_status();
    failure
}

/// The request's access token, checked exactly as `GET /hello/` checks it.
#[cfg(feature = "ssr")]
fn authenticated() -> Result<tessera::AuthenticatedUser, AuthFailure> {
    use tessera::bearer::{parse_authorization, Credentials};

    let parts = expect_context::<axum::http::request::Parts>();
    let header = parts.headers.get(axum::http::header::AUTHORIZATION);
    let token = match header.map(|value| parse_authorization(value.as_bytes())) {
        Some(Credentials::Bearer(token)) => token,
        Some(Credentials::Malformed) => {
            return Err(reject(tessera::AuthError::Token(
                tessera::TokenError::Invalid,
            )))
        }
        None | Some(Credentials::Absent) => return Err(reject(AuthFailure::NotLoggedIn)),
    };
    token_service()?.authenticate(token).map_err(reject)
}
