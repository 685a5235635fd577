//! `AuthFailure`: the one error type of the UI's server functions. It travels
//! as JSON with a real HTTP status (401, not 500), and the browser gets the
//! same enum back, so a page can tell an expired session from a wrong
//! password from an unreachable server.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// Why a token was refused: the UI reacts differently to each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenProblem {
    /// Past its `exp`.
    Expired,
    /// Revoked: logged out, rotated, or the user's sessions were ended.
    Revoked,
    /// Not a token of ours: bad signature, malformed, wrong type.
    Invalid,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AuthFailure {
    /// Wrong username or password (or an inactive account: same answer).
    /// The people's words for simplejwt's "No active account found with the
    /// given credentials", which the REST API keeps (in the core).
    #[error("Wrong username or password.")]
    BadCredentials,
    /// Too many failed logins for this name or from this address: try again
    /// after this many seconds.
    #[error("Too many attempts. Try again in {}.", crate::display::wait(*.retry_after))]
    Throttled { retry_after: i64 },
    /// The server's password hashers are saturated: try again shortly.
    #[error("The server is busy. Try again in {}.", crate::display::wait(*.retry_after))]
    Busy { retry_after: i64 },
    /// A protected call arrived without a token.
    #[error("Please log in to continue.")]
    NotLoggedIn,
    /// The token was refused; `message` is simplejwt's wording.
    #[error("{message}")]
    TokenRefused {
        problem: TokenProblem,
        message: String,
    },
    /// The account behind a valid token is inactive or gone.
    #[error("{0}")]
    AccountUnavailable(String),
    /// One input is wrong; `field` names it.
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("A user with that username already exists.")]
    UsernameTaken,
    #[error("Sign-up is closed on this server.")]
    SignupClosed,
    /// Logged in, but this is for staff only.
    #[error("You do not have access to this page.")]
    Forbidden,
    /// The call itself was malformed (a missing or undecodable argument).
    #[error("The request was malformed: {0}")]
    BadRequest(String),
    /// The browser could not reach the server (offline, server down).
    #[error("The server could not be reached. Check your connection and try again.")]
    Offline(String),
    /// Anything else; the server logs the cause and sends no detail.
    #[error("Something went wrong on the server. Please try again.")]
    Server(String),
}

impl AuthFailure {
    /// The HTTP status the server answers this failure with.
    pub fn status(&self) -> u16 {
        match self {
            Self::BadCredentials
            | Self::NotLoggedIn
            | Self::TokenRefused { .. }
            | Self::AccountUnavailable(_) => 401,
            Self::Invalid { .. } | Self::BadRequest(_) => 400,
            Self::SignupClosed | Self::Forbidden => 403,
            Self::Throttled { .. } => 429,
            Self::Busy { .. } => 503,
            Self::UsernameTaken => 409,
            Self::Offline(_) => 503,
            Self::Server(_) => 500,
        }
    }

    /// True when the session behind the call is over: refreshing once may
    /// help for an access token, and for a refresh token nothing will.
    pub fn ends_session(&self) -> bool {
        matches!(
            self,
            Self::NotLoggedIn | Self::TokenRefused { .. } | Self::AccountUnavailable(_)
        )
    }
}

impl AuthFailure {
    /// How long the server asked to wait before trying again, in seconds.
    pub fn retry_after(&self) -> Option<i64> {
        match self {
            Self::Throttled { retry_after } | Self::Busy { retry_after } => Some(*retry_after),
            _ => None,
        }
    }

    /// The same refusal with `left` seconds still to wait (for a countdown).
    pub fn waiting(&self, left: i64) -> Self {
        match self {
            Self::Throttled { .. } => Self::Throttled { retry_after: left },
            Self::Busy { .. } => Self::Busy { retry_after: left },
            other => other.clone(),
        }
    }

    /// True when the server ended the session on purpose (a logout, a
    /// session ended from another device, a password change there), as
    /// opposed to its running out.
    pub fn was_revoked(&self) -> bool {
        matches!(
            self,
            Self::TokenRefused {
                problem: TokenProblem::Revoked,
                ..
            }
        )
    }
}

impl FromServerFnError for AuthFailure {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(error: ServerFnErrorErr) -> Self {
        let failure = match error {
            ServerFnErrorErr::Request(message) => Self::Offline(message),
            ServerFnErrorErr::Args(message) | ServerFnErrorErr::MissingArg(message) => {
                Self::BadRequest(message)
            }
            other => Self::Server(other.to_string()),
        };
        // On the server this runs when the arguments don't decode: answer 400, not 500.
        #[cfg(feature = "ssr")]
        crate::ssr::response::set_status(failure.status());
        failure
    }
}

/// A page's or a call's wasm file could not be fetched (`cargo leptos
/// --split`): the network is the problem, as when a request cannot be sent.
#[cfg(feature = "hydrate")]
impl From<leptos::wasm_split::SplitLoaderError> for AuthFailure {
    fn from(error: leptos::wasm_split::SplitLoaderError) -> Self {
        Self::Offline(error.to_string())
    }
}
