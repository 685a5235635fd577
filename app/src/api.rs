//! `#[server]` functions: the browser calls them over HTTP, the server runs
//! them against the core library found in the request's context, so the UI
//! and the REST API share every rule. Failures are `AuthFailure`s with real
//! HTTP statuses; calls that need a user carry `Authorization: Bearer …`
//! through `AuthClient`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::client::{AuthClient, ProofClient};
use crate::failure::AuthFailure;
#[cfg(feature = "ssr")]
use crate::ssr;

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

/// Username and password in, a new session's tokens out. `known_device`:
/// the marker an earlier login of this name gave this browser, if any;
/// `otp`: the second step's code, for an account with two-step login on.
#[server(client = ProofClient)]
pub async fn login(
    username: String,
    password: String,
    #[server(default)] known_device: Option<String>,
    #[server(default)] otp: Option<String>,
) -> Result<Tokens, AuthFailure> {
    let caller = ssr::caller().with_known_device(known_device);
    let key = ssr::proven_key().await?;
    let pair = ssr::core()?
        .sessions
        .login_with_code(
            &username,
            &password,
            otp.as_deref(),
            caller.client().bound_to(key.as_ref()),
        )
        .await
        .map_err(ssr::reject)?;
    ssr::login_tokens_of(pair).await
}

/// Creates an account (when the server allows sign-up) and logs it in;
/// `None` when it logs in only once its address is confirmed (a link is on
/// its way). `email` is where password-reset links go once confirmed.
#[server(client = ProofClient)]
pub async fn sign_up(
    username: String,
    password: String,
    #[server(default)] email: String,
) -> Result<Option<Tokens>, AuthFailure> {
    let caller = ssr::caller();
    let key = ssr::proven_key().await?;
    let signed_up = ssr::core()?
        .accounts
        .sign_up(
            &username,
            &password,
            email.trim(),
            caller.client().bound_to(key.as_ref()),
        )
        .await
        .map_err(ssr::reject)?;
    Ok(match signed_up {
        tessera::SignedUp::Session(pair) => Some(ssr::tokens_of(pair, None)),
        tessera::SignedUp::VerifyEmailFirst => None,
    })
}

/// Rotates a refresh token: a new access token and the refresh token that
/// replaces the one sent (the same one when rotation is off).
#[server(client = ProofClient)]
pub async fn refresh_tokens(refresh: String) -> Result<Tokens, AuthFailure> {
    let key = ssr::proven_key().await?;
    let pair = ssr::core()?
        .sessions
        .refresh_proven(&refresh, key.as_ref())
        .await
        .map_err(ssr::reject)?;
    Ok(ssr::tokens_of(pair, Some(refresh)))
}

/// Ends the session of a refresh token, access tokens included.
#[server(client = ProofClient)]
pub async fn logout(refresh: String) -> Result<(), AuthFailure> {
    let key = ssr::proven_key().await?;
    ssr::core()?
        .sessions
        .logout_proven(&refresh, key.as_ref())
        .await
        .map_err(ssr::reject)
}

/// The protected greeting of `GET /hello/`.
#[server(client = AuthClient)]
pub async fn hello() -> Result<String, AuthFailure> {
    ssr::authenticated().await?;
    Ok("Hello, World!".to_owned())
}

/// Who the access token belongs to.
#[server(client = AuthClient)]
pub async fn me() -> Result<Profile, AuthFailure> {
    let user = ssr::authenticated().await?;
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

/// One of the caller's live sessions (`GET /api/sessions/` in the REST API).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionItem {
    pub id: String,
    /// "Firefox on Linux".
    pub device: String,
    pub client_address: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    pub last_used_at: i64,
    pub expires_at: i64,
    /// The session of this browser.
    pub current: bool,
}

/// The caller's live sessions, the most recently used first.
#[server(client = AuthClient)]
pub async fn my_sessions() -> Result<Vec<SessionItem>, AuthFailure> {
    let user = ssr::authenticated().await?;
    let sessions = ssr::core()?
        .sessions
        .list_own(&user)
        .await
        .map_err(ssr::reject)?;
    Ok(sessions.into_iter().map(SessionItem::from).collect())
}

#[cfg(feature = "ssr")]
impl From<tessera::OwnSession> for SessionItem {
    fn from(session: tessera::OwnSession) -> Self {
        Self {
            id: session.id,
            device: session.device,
            client_address: session.client_address,
            created_at: session.created_at,
            last_used_at: session.last_used_at,
            expires_at: session.expires_at,
            current: session.current,
        }
    }
}

/// One event of the caller's account, from the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityItem {
    /// The audit log's type: `login_succeeded`, `login_failed`, …
    pub kind: String,
    /// Unix seconds.
    pub at: i64,
    pub device: Option<String>,
    pub address: Option<String>,
    /// The log's few words: "wrong password", "2 sessions ended", …
    pub detail: Option<String>,
}

/// How many days of their own activity a person sees.
pub const ACTIVITY_DAYS: i64 = 30;

/// What happened to the caller's account in the last [`ACTIVITY_DAYS`]
/// days, newest first: sign-ins and failed attempts, password changes,
/// sessions ended.
#[server(client = AuthClient)]
pub async fn my_activity() -> Result<Vec<ActivityItem>, AuthFailure> {
    let user = ssr::authenticated().await?;
    let entries = ssr::core()?
        .audit
        .recent_of(user.user_id, ACTIVITY_DAYS)
        .await
        .map_err(ssr::reject)?;
    Ok(entries
        .into_iter()
        .map(|entry| ActivityItem {
            kind: entry.kind,
            at: entry.at,
            device: entry.device,
            address: entry.address,
            detail: entry.detail,
        })
        .collect())
}

/// Ends one of the caller's sessions.
#[server(client = AuthClient)]
pub async fn end_session(id: String) -> Result<(), AuthFailure> {
    let user = ssr::authenticated().await?;
    ssr::core()?
        .sessions
        .end_own(&user, &id)
        .await
        .map_err(ssr::reject)
}

/// Ends every session of the caller but this one; how many ended.
#[server(client = AuthClient)]
pub async fn end_other_sessions() -> Result<usize, AuthFailure> {
    let user = ssr::authenticated().await?;
    ssr::core()?
        .sessions
        .end_others(&user)
        .await
        .map_err(ssr::reject)
}

/// Changes the caller's password; every session ends, this one too, and
/// the answer is the first pair of the caller's new session.
#[server(client = AuthClient)]
pub async fn change_password(
    old_password: String,
    new_password: String,
) -> Result<Tokens, AuthFailure> {
    let user = ssr::authenticated().await?;
    let caller = ssr::caller();
    let pair = ssr::core()?
        .sessions
        .change_password(&user, &old_password, &new_password, caller.client())
        .await
        .map_err(|error| match AuthFailure::from(error) {
            // The rules speak of "the password"; here it is the new one.
            AuthFailure::Invalid { field, message } if field == "password" => {
                ssr::reject(AuthFailure::Invalid {
                    field: "new_password".into(),
                    message,
                })
            }
            other => ssr::reject(other),
        })?;
    Ok(ssr::tokens_of(pair, None))
}
