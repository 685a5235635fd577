//! Everything of the app that runs on the server only, in one place: how a
//! server function reaches the core, turns its errors into the UI's with
//! the right HTTP status, and authenticates the caller through the core's
//! one Bearer pipeline. Nothing here panics on a request: a missing context
//! is a 500 with a log line.

pub mod assets;
pub mod response;

use axum::http::{header, HeaderValue};
use leptos::prelude::use_context;
use tessera::{AuthError, AuthenticatedUser, Policy, Tessera, TokenError};

use crate::failure::{AuthFailure, TokenProblem};
use crate::token_store::Tokens;

/// The core, provided by the server's router.
pub fn core() -> Result<Tessera, AuthFailure> {
    use_context::<Tessera>().ok_or_else(|| {
        leptos::logging::error!("no Tessera core in the server function's context");
        reject(AuthFailure::Server("not configured".into()))
    })
}

/// The server's policy (sign-up rules for the page shell); `None` outside
/// a request of this server.
pub fn policy() -> Option<Policy> {
    use_context::<Tessera>().map(|tessera| tessera.policy())
}

/// The request's caller, checked exactly as `GET /hello/` checks it: the
/// same core function reads the `Authorization` header.
pub async fn authenticated() -> Result<AuthenticatedUser, AuthFailure> {
    let parts = use_context::<axum::http::request::Parts>().ok_or_else(|| {
        leptos::logging::error!("no request parts in the server function's context");
        reject(AuthFailure::Server("not configured".into()))
    })?;
    let header = parts
        .headers
        .get(header::AUTHORIZATION)
        .map(HeaderValue::as_bytes);
    let sessions = &core()?.sessions;
    response::offer_dpop_nonce(sessions.dpop_nonce());
    sessions
        .authenticate_header(header, &proof_request(&parts))
        .await
        .map_err(|error| {
            // Challenged as the REST API challenges (RFC 9449 §7.1).
            let key_mismatch = matches!(error, AuthError::Dpop(tessera::DpopError::KeyMismatch));
            let refused_as_dpop =
                sessions.presents_dpop(header) && !matches!(error, AuthError::Dpop(_));
            let words = error.to_string();
            let failure = reject(error);
            if failure.status() == 401 {
                if key_mismatch {
                    response::challenge_in_dpop("invalid_token", None);
                } else if refused_as_dpop {
                    response::challenge_in_dpop("invalid_token", Some(&words));
                }
            }
            failure
        })
}

/// What a DPoP proof sent with a request must be for (RFC 9449 §4.3): its
/// `DPoP` header, method, `Host` (or HTTP/2's authority) and path. The REST
/// API and the server functions both read a request this way.
pub fn proof_request(parts: &axum::http::request::Parts) -> tessera::ProofRequest<'_> {
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .or_else(|| parts.uri.authority().map(|authority| authority.as_str()));
    tessera::ProofRequest {
        proof: tessera::ProofHeader::from_values(
            parts
                .headers
                .get_all("dpop")
                .iter()
                .map(HeaderValue::as_bytes),
        ),
        method: parts.method.as_str(),
        host,
        path: parts.uri.path(),
    }
}

/// The key a session-starting server function's DPoP proof proved, if it
/// came with one (refused if it fails, or is missing under `--dpop required`).
pub async fn proven_key() -> Result<Option<tessera::DpopKey>, AuthFailure> {
    let Some(parts) = use_context::<axum::http::request::Parts>() else {
        return Ok(None);
    };
    let sessions = &core()?.sessions;
    response::offer_dpop_nonce(sessions.dpop_nonce());
    sessions.prove(&proof_request(&parts)).await.map_err(reject)
}

/// Who calls a server function, read by the core exactly as the REST API's
/// `Caller` extractor reads it. Owned: the request's parts live in the
/// reactive context.
pub fn caller() -> tessera::Caller {
    let (Some(parts), Some(core)) = (
        use_context::<axum::http::request::Parts>(),
        use_context::<Tessera>(),
    ) else {
        return tessera::Caller::default();
    };
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|axum::extract::ConnectInfo(peer)| peer.ip());
    core.sessions.caller(
        peer,
        parts
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_bytes())),
    )
}

/// The tokens of a server function's answer, which no cache may keep.
pub fn tokens_of(pair: tessera::TokenPair, kept_refresh: Option<String>) -> Tokens {
    response::forbid_caching();
    Tokens {
        access: pair.access,
        refresh: pair.refresh.or(kept_refresh).unwrap_or_default(),
        known_device: pair.known_device,
        staff: false,
    }
}

/// The tokens of a login: [`tokens_of`], marked when the account is staff
/// (for the navigation; every admin call checks again).
pub async fn login_tokens_of(pair: tessera::TokenPair) -> Result<Tokens, AuthFailure> {
    let core = core()?;
    let user = core
        .sessions
        .authenticate(&pair.access)
        .await
        .map_err(reject)?;
    let staff = core.admin.is_staff(&user).await.map_err(reject)?;
    Ok(Tokens {
        staff,
        ..tokens_of(pair, None)
    })
}

/// Turns a core error into the UI's, and sets the response status to match.
pub fn reject(error: impl Into<AuthFailure>) -> AuthFailure {
    let failure = error.into();
    let retry_after = match failure {
        AuthFailure::Throttled { retry_after } | AuthFailure::Busy { retry_after } => {
            Some(retry_after)
        }
        _ => None,
    };
    response::set_status_and_retry(failure.status(), retry_after);
    failure
}

impl From<AuthError> for AuthFailure {
    /// The one mapping from the core's errors to the UI's.
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::BadCredentials => Self::BadCredentials,
            AuthError::Throttled { retry_after } => Self::Throttled { retry_after },
            AuthError::Busy | AuthError::OutOfSync => Self::Busy { retry_after: 1 },
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
            AuthError::PasswordTooSimilar { .. }
            | AuthError::PasswordEntirelyNumeric
            | AuthError::PasswordTooCommon
            | AuthError::PasswordUnchanged => Self::Invalid {
                field: "password".into(),
                message: error.to_string(),
            },
            AuthError::NullCharacters { field } | AuthError::FieldTooLong { field, .. } => {
                Self::Invalid {
                    field: field.into(),
                    message: error.to_string(),
                }
            }
            // The people's words for the core's (and Django's) sentences,
            // which the REST API keeps.
            AuthError::InvalidUsername => Self::Invalid {
                field: "username".into(),
                message: "Use 1 to 150 characters, with no invisible characters.".into(),
            },
            AuthError::WrongPassword => Self::Invalid {
                field: "old_password".into(),
                message: "That is not your current password.".into(),
            },
            AuthError::NoSuchSession => Self::Invalid {
                field: "session".into(),
                message: "That session has already ended.".into(),
            },
            AuthError::UsernameTaken => Self::UsernameTaken,
            AuthError::SignupClosed => Self::SignupClosed,
            AuthError::PermissionDenied => Self::Forbidden,
            AuthError::NoSuchUser => Self::Invalid {
                field: "user".into(),
                message: "There is no such user.".into(),
            },
            AuthError::InvalidEmail => Self::Invalid {
                field: "email".into(),
                message: error.to_string(),
            },
            AuthError::EmailRequired => Self::Invalid {
                field: "email".into(),
                message: "Enter an email address: we send it a link to confirm it.".into(),
            },
            AuthError::EmailNotVerified => Self::Invalid {
                field: "verification".into(),
                message: "Confirm your email address first: open the link we mailed to it.".into(),
            },
            AuthError::InvalidResetUid
            | AuthError::InvalidResetToken
            | AuthError::InvalidVerificationKey => Self::Invalid {
                field: "link".into(),
                message: "This link has expired or was already used.".into(),
            },
            AuthError::CannotMailReset(why) => Self::Invalid {
                field: "reset".into(),
                message: why.into(),
            },
            AuthError::PasswordsDiffer => Self::Invalid {
                field: "confirmation".into(),
                message: "The two new passwords are not the same.".into(),
            },
            AuthError::Keys(refused @ tessera::KeyError::SecretNotRotatable(_)) => Self::Invalid {
                field: "key".into(),
                message: capitalized(&refused.to_string()),
            },
            // The login page asks for the code on either; only the second
            // is an error to show.
            AuthError::OtpRequired => Self::Invalid {
                field: "otp_required".into(),
                message: error.to_string(),
            },
            AuthError::OtpInvalid | AuthError::OtpMalformed => Self::Invalid {
                field: "otp".into(),
                message: error.to_string(),
            },
            AuthError::TwoStepAlreadyOn | AuthError::TwoStepNotSetUp | AuthError::TwoStepNotOn => {
                Self::Invalid {
                    field: "two_step".into(),
                    message: error.to_string(),
                }
            }
            AuthError::PasskeysUnavailable
            | AuthError::CeremonyInvalid
            | AuthError::PasskeyMalformed
            | AuthError::PasskeyRejected
            | AuthError::PasskeyExists
            | AuthError::PasskeyNotFound
            | AuthError::PasskeyRefused => Self::Invalid {
                field: "passkey".into(),
                message: error.to_string(),
            },
            // A bound token without its key is as good as no token; a
            // refused proof is the browser's fault, not the person's.
            AuthError::Dpop(tessera::DpopError::KeyMismatch) => Self::TokenRefused {
                problem: TokenProblem::Invalid,
                message: error.to_string(),
            },
            AuthError::Dpop(tessera::DpopError::UseNonce { ref nonce }) => {
                response::ask_for_dpop_nonce(nonce);
                Self::BadRequest(error.to_string())
            }
            AuthError::Dpop(_) => Self::BadRequest(error.to_string()),
            AuthError::BlankField { field } => Self::Invalid {
                field: field.into(),
                message: error.to_string(),
            },
            AuthError::Store(_)
            | AuthError::Hasher(_)
            | AuthError::Internal(_)
            | AuthError::Keys(_)
            | AuthError::TwoStepUnreadable => {
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
