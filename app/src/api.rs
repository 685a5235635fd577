//! `#[server]` functions: the browser calls them over HTTP, the server runs
//! them against the core library found in the request's context, so the UI
//! and the REST API share every rule. Failures are `AuthFailure`s with real
//! HTTP statuses; calls that need a user carry `Authorization: Bearer …`
//! through `AuthClient`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::client::AuthClient;
use crate::failure::AuthFailure;
#[cfg(feature = "ssr")]
use crate::ssr;

/// What the database reports about itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseReport {
    pub engine: String,
    pub users: i64,
}

pub use crate::token_store::Tokens;

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
            crate::ssr::policy().map(|policy| Self {
                open: policy.allow_signup,
                min_password_length: policy.min_password_length,
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
    let core = ssr::core()?;
    let users = core.accounts.count_users().await.map_err(ssr::reject)?;
    Ok(DatabaseReport {
        engine: core.store().engine().to_owned(),
        users,
    })
}

/// Username and password in, a new session's tokens out.
#[server]
pub async fn login(username: String, password: String) -> Result<Tokens, AuthFailure> {
    let caller = ssr::caller();
    let pair = ssr::core()?
        .sessions
        .login(&username, &password, caller.client())
        .await
        .map_err(ssr::reject)?;
    Ok(ssr::tokens_of(pair, None))
}

/// Creates an account (when the server allows sign-up) and logs it in.
#[server]
pub async fn sign_up(username: String, password: String) -> Result<Tokens, AuthFailure> {
    let caller = ssr::caller();
    let pair = ssr::core()?
        .accounts
        .sign_up(&username, &password, caller.client())
        .await
        .map_err(ssr::reject)?;
    Ok(ssr::tokens_of(pair, None))
}

/// Rotates a refresh token: a new access token and the refresh token that
/// replaces the one sent (the same one when rotation is off).
#[server]
pub async fn refresh_tokens(refresh: String) -> Result<Tokens, AuthFailure> {
    let pair = ssr::core()?
        .sessions
        .refresh(&refresh)
        .await
        .map_err(ssr::reject)?;
    Ok(ssr::tokens_of(pair, Some(refresh)))
}

/// Ends the session of a refresh token, access tokens included.
#[server]
pub async fn logout(refresh: String) -> Result<(), AuthFailure> {
    ssr::core()?
        .sessions
        .logout(&refresh)
        .await
        .map_err(ssr::reject)
}

/// The protected greeting of `GET /hello/`.
#[server(client = AuthClient)]
pub async fn hello() -> Result<String, AuthFailure> {
    ssr::authenticated()?;
    Ok("Hello, World!".to_owned())
}

/// Who the access token belongs to.
#[server(client = AuthClient)]
pub async fn me() -> Result<Profile, AuthFailure> {
    let user = ssr::authenticated()?;
    let core = ssr::core()?;
    let summary = core
        .accounts
        .user_summary(user.user_id)
        .await
        .map_err(ssr::reject)?
        .ok_or_else(|| ssr::reject(tessera::AuthError::UserNotFound))?;
    let session_expires_at = match user.session_id() {
        Some(session) => core
            .sessions
            .session_expires_at(session)
            .await
            .map_err(ssr::reject)?,
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

/// The key that signed a token, as the inspector shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningKeyInfo {
    /// The JOSE algorithm (`HS256`, `ES256`…).
    pub algorithm: String,
    /// `None` for an HMAC key: the secret is not named in tokens.
    pub kid: Option<String>,
    /// `pending`, `current`, `retiring` or `expired`.
    pub state: String,
}

/// Which key signed `token` and where that key is in its life; `None` if no
/// key of this server verifies it (tampered, or its key has expired).
#[server]
pub async fn signing_key(token: String) -> Result<Option<SigningKeyInfo>, AuthFailure> {
    Ok(ssr::core()?
        .sessions
        .token_key(&token)
        .map(|key| SigningKeyInfo {
            algorithm: key.algorithm.name().to_owned(),
            kid: key.kid,
            state: key.state.as_str().to_owned(),
        }))
}
