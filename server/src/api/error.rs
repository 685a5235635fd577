//! The API's one error type and its one mapping to HTTP: status, body (compact
//! JSON, shaped exactly as DRF + simplejwt shape it) and, on 401,
//! `WWW-Authenticate`. Nothing is logged here: a 500 carries its cause in the
//! response's extensions ([`InternalCause`]) for the logging middleware.

use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use tessera::{AuthError, DpopError, TokenError};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

const WWW_AUTHENTICATE: &str = r#"Bearer realm="api""#;

/// Field-level validation messages, in the order the fields are declared.
pub type FieldErrors = Vec<(&'static str, String)>;

#[derive(Debug)]
pub enum ApiError {
    /// 400 `{"field":["message"],…}`
    Fields(FieldErrors),
    /// 400 `{"detail":"JSON parse error - …"}`
    Malformed(String),
    /// 400 `{"non_field_errors":["…"]}`
    NonField(String),
    /// 401 `{"detail":"…"}`
    Unauthorized(String),
    /// 401 `{"detail":"…","code":"…"}`
    UnauthorizedCode(String, &'static str),
    /// 401 for a protected route's token, with simplejwt's `messages` list.
    AccessTokenRefused(TokenError),
    /// 400 `{"error":"invalid_dpop_proof","error_description":"…"}`: a
    /// token endpoint refused the DPoP proof (RFC 9449 §5); for
    /// `use_dpop_nonce`, with the nonce in `DPoP-Nonce`.
    DpopTokenRequest {
        error: &'static str,
        description: String,
        nonce: Option<String>,
    },
    /// 401 `{"detail":"…","code":"invalid_dpop_proof"}` (or
    /// `use_dpop_nonce`) with `WWW-Authenticate: DPoP error="…"`: a
    /// protected route refused the proof.
    DpopProofRefused {
        error: &'static str,
        detail: String,
        nonce: Option<String>,
    },
    /// 401 with `WWW-Authenticate: DPoP error="invalid_token"`: a bound
    /// token without a proof of its key (or, under `--dpop required`, an
    /// unbound one). `access`: a protected route's (simplejwt's
    /// `messages` body) rather than a token endpoint's.
    BoundTokenRefused { access: bool },
    /// A refusal of a token presented as `Authorization: DPoP` (an
    /// expired or revoked one, say): the same status and body, with the
    /// challenge `DPoP error="invalid_token"` instead of `Bearer`.
    InDpopScheme(Box<ApiError>),
    /// 403 `{"detail":"You do not have permission to perform this action."}`
    Forbidden,
    /// 404 `{"detail":"Not found."}`
    NotFound,
    /// 404 `{"detail":"Invalid cursor"}`, DRF's CursorPagination's.
    InvalidCursor,
    /// 409 `{"detail":"…"}`: the request cannot apply to things as they are.
    Conflict(String),
    /// 405 `{"detail":"Method \"GET\" not allowed."}`
    MethodNotAllowed(Method, &'static str),
    /// 413
    PayloadTooLarge(usize),
    /// 415 `{"detail":"Unsupported media type \"text/plain\" in request."}`
    UnsupportedMediaType(String),
    /// 429 `{"detail":"Request was throttled. Expected available in N seconds."}`
    /// with `Retry-After: N`, DRF's `Throttled` exactly.
    Throttled { retry_after: i64 },
    /// 503 with `Retry-After`: the password hashers are saturated.
    Busy { retry_after: i64 },
    /// 503 with `Retry-After: 1`: this instance has lost track of
    /// revocations made elsewhere (see `--max-sync-lag`).
    OutOfSync,
    /// 500; the cause is logged by the middleware, never sent.
    Internal(String),
}

/// Why a response is a 500, for the log line of the request (see
/// `routes::log_response`); never part of the body.
#[derive(Clone, Debug)]
pub struct InternalCause(pub String);

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            Self::Fields(_) | Self::Malformed(_) | Self::NonField(_) => StatusCode::BAD_REQUEST,
            Self::DpopTokenRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_)
            | Self::UnauthorizedCode(..)
            | Self::AccessTokenRefused(_)
            | Self::DpopProofRefused { .. }
            | Self::BoundTokenRefused { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound | Self::InvalidCursor => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::MethodNotAllowed(..) => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Busy { .. } | Self::OutOfSync => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::InDpopScheme(refusal) => refusal.status(),
        }
    }

    /// The same refusal, challenged in the `DPoP` scheme the client used
    /// (RFC 9449 §7.1). Only a refusal of the token itself changes: the
    /// proof's own refusals already carry their DPoP challenge.
    pub fn in_dpop_scheme(self) -> Self {
        match self {
            Self::Unauthorized(_) | Self::UnauthorizedCode(..) | Self::AccessTokenRefused(_) => {
                Self::InDpopScheme(Box::new(self))
            }
            other => other,
        }
    }

    /// The words of a refused token or account, for a challenge's
    /// `error_description`.
    fn refusal_words(&self) -> Option<String> {
        match self {
            Self::AccessTokenRefused(error) => Some(error.to_string()),
            Self::Unauthorized(message) | Self::UnauthorizedCode(message, _) => {
                Some(message.clone())
            }
            _ => None,
        }
    }

    /// A failure of `POST /api/token/refresh/` or `/blacklist/`.
    pub fn from_refresh(error: AuthError) -> Self {
        match error {
            AuthError::Token(error) => Self::UnauthorizedCode(error.to_string(), "token_not_valid"),
            AuthError::NoActiveAccountForToken => Self::Unauthorized(error.to_string()),
            AuthError::Dpop(error) => Self::from_token_request_dpop(error),
            other => Self::from_unexpected(other),
        }
    }

    /// A failure of `POST /api/token/verify/`: a revoked token is a
    /// validation error there, as in simplejwt.
    pub fn from_verify(error: AuthError) -> Self {
        match error {
            AuthError::Token(TokenError::Blacklisted) => {
                Self::NonField(TokenError::Blacklisted.to_string())
            }
            other => Self::from_refresh(other),
        }
    }

    /// A failure of `POST /api/token/`.
    pub fn from_login(error: AuthError) -> Self {
        match error {
            AuthError::BadCredentials => Self::Unauthorized(error.to_string()),
            // dj-rest-auth's login answer for an address not yet verified.
            AuthError::EmailNotVerified => Self::NonField(error.to_string()),
            // Two-step sign-in: programs tell the two apart by `code`.
            AuthError::OtpRequired => Self::UnauthorizedCode(error.to_string(), "otp_required"),
            AuthError::OtpInvalid => Self::UnauthorizedCode(error.to_string(), "otp_invalid"),
            AuthError::OtpMalformed => Self::Fields(vec![("otp", error.to_string())]),
            AuthError::Throttled { retry_after } => Self::Throttled { retry_after },
            AuthError::Busy => Self::Busy { retry_after: 1 },
            AuthError::Dpop(error) => Self::from_token_request_dpop(error),
            AuthError::PasswordTooLong => Self::too_long("password"),
            AuthError::NullCharacters { field } | AuthError::FieldTooLong { field, .. } => {
                Self::Fields(vec![(field, error.to_string())])
            }
            other => Self::from_unexpected(other),
        }
    }

    /// A token endpoint's DPoP failure: the proof's problems as RFC 9449
    /// §5's OAuth error bodies, a bound token without its key as a 401.
    fn from_token_request_dpop(error: DpopError) -> Self {
        let description = error.to_string();
        match error {
            DpopError::InvalidProof(_) => Self::DpopTokenRequest {
                error: "invalid_dpop_proof",
                description,
                nonce: None,
            },
            DpopError::UseNonce { nonce } => Self::DpopTokenRequest {
                error: "use_dpop_nonce",
                description,
                nonce: Some(nonce),
            },
            DpopError::KeyMismatch => Self::BoundTokenRefused { access: false },
        }
    }

    /// DRF's CharField `max_length` message, for a password over the cap.
    fn too_long(field: &'static str) -> Self {
        Self::Fields(vec![(
            field,
            format!(
                "Ensure this field has no more than {} characters.",
                tessera::MAX_PASSWORD_BYTES
            ),
        )])
    }

    /// A failure of the admin endpoints.
    pub fn from_admin(error: AuthError) -> Self {
        match error {
            AuthError::PermissionDenied => Self::Forbidden,
            AuthError::NoSuchUser => Self::NotFound,
            AuthError::InvalidEmail => Self::Fields(vec![("email", error.to_string())]),
            AuthError::Keys(refused @ tessera::KeyError::SecretNotRotatable(_)) => {
                Self::Conflict(capitalized(&refused.to_string()))
            }
            AuthError::CannotMailReset(why) => Self::Conflict(why.to_owned()),
            other => Self::from_account(other),
        }
    }

    /// A failure of dj-rest-auth's password-reset and email-verification
    /// endpoints: each message
    /// on the field dj-rest-auth puts it on.
    pub fn from_reset(error: AuthError) -> Self {
        let on =
            |field: &'static str, error: AuthError| Self::Fields(vec![(field, error.to_string())]);
        match error {
            AuthError::InvalidEmail | AuthError::EmailRequired => on("email", error),
            AuthError::InvalidVerificationKey => Self::NotFound,
            AuthError::InvalidResetUid => on("uid", error),
            AuthError::InvalidResetToken => on("token", error),
            AuthError::PasswordsDiffer
            | AuthError::PasswordTooSimilar { .. }
            | AuthError::PasswordEntirelyNumeric
            | AuthError::PasswordTooCommon => on("new_password2", error),
            AuthError::PasswordTooShort(length) => {
                Self::Fields(vec![("new_password2", too_short_message(length))])
            }
            AuthError::PasswordTooLong => Self::too_long("new_password2"),
            other => Self::from_login(other),
        }
    }

    /// The same error, with the messages of field `from` on field `to`.
    pub fn on_field(self, from: &'static str, to: &'static str) -> Self {
        match self {
            Self::Fields(fields) => Self::Fields(
                fields
                    .into_iter()
                    .map(|(field, message)| (if field == from { to } else { field }, message))
                    .collect(),
            ),
            other => other,
        }
    }

    /// A failure of the self-service endpoints.
    pub fn from_account(error: AuthError) -> Self {
        match error {
            AuthError::NoSuchSession => Self::NotFound,
            AuthError::WrongPassword => Self::Fields(vec![("old_password", error.to_string())]),
            AuthError::PasswordTooSimilar { .. }
            | AuthError::PasswordEntirelyNumeric
            | AuthError::PasswordTooCommon
            | AuthError::PasswordUnchanged => {
                Self::Fields(vec![("new_password", error.to_string())])
            }
            AuthError::PasswordTooShort(length) => {
                Self::Fields(vec![("new_password", too_short_message(length))])
            }
            AuthError::PasswordTooLong => Self::too_long("new_password"),
            other => Self::from_login(other),
        }
    }

    /// A failure of the two-step endpoints: a code's problems are on the
    /// `code` field; a change that does not fit the state is 409.
    pub fn from_two_step(error: AuthError) -> Self {
        match error {
            AuthError::OtpInvalid | AuthError::OtpMalformed => {
                Self::Fields(vec![("code", error.to_string())])
            }
            AuthError::TwoStepAlreadyOn | AuthError::TwoStepNotSetUp | AuthError::TwoStepNotOn => {
                Self::Conflict(error.to_string())
            }
            other => Self::from_account(other),
        }
    }

    /// A failure of the passkey endpoints: a body's problems on its
    /// fields, a refused sign-in 401 with `code: passkey_invalid`.
    pub fn from_passkeys(error: AuthError) -> Self {
        match error {
            AuthError::PasskeysUnavailable | AuthError::PasskeyNotFound => Self::NotFound,
            AuthError::CeremonyInvalid => Self::Fields(vec![("ceremony", error.to_string())]),
            AuthError::PasskeyMalformed | AuthError::PasskeyRejected => {
                Self::Fields(vec![("credential", error.to_string())])
            }
            AuthError::BlankField { field } => Self::Fields(vec![(field, error.to_string())]),
            AuthError::PasskeyExists => Self::Conflict(error.to_string()),
            AuthError::PasskeyRefused => {
                Self::UnauthorizedCode(error.to_string(), "passkey_invalid")
            }
            other => Self::from_login(other),
        }
    }

    /// A failure to authenticate a protected route's `Authorization` header.
    pub fn from_access(error: AuthError) -> Self {
        match error {
            AuthError::CredentialsNotProvided => Self::Unauthorized(error.to_string()),
            AuthError::MalformedAuthorization => {
                Self::UnauthorizedCode(error.to_string(), "bad_authorization_header")
            }
            AuthError::Token(error) => Self::AccessTokenRefused(error),
            AuthError::NoUserInToken => {
                Self::UnauthorizedCode(error.to_string(), "token_not_valid")
            }
            AuthError::UserNotFound => Self::UnauthorizedCode(error.to_string(), "user_not_found"),
            AuthError::UserInactive => Self::UnauthorizedCode(error.to_string(), "user_inactive"),
            AuthError::Dpop(DpopError::KeyMismatch) => Self::BoundTokenRefused { access: true },
            AuthError::Dpop(error @ DpopError::InvalidProof(_)) => Self::DpopProofRefused {
                error: "invalid_dpop_proof",
                detail: error.to_string(),
                nonce: None,
            },
            AuthError::Dpop(error @ DpopError::UseNonce { .. }) => {
                let detail = error.to_string();
                let DpopError::UseNonce { nonce } = error else {
                    unreachable!("matched above")
                };
                Self::DpopProofRefused {
                    error: "use_dpop_nonce",
                    detail,
                    nonce: Some(nonce),
                }
            }
            other => Self::from_unexpected(other),
        }
    }

    fn from_unexpected(error: AuthError) -> Self {
        match error {
            AuthError::OutOfSync => Self::OutOfSync,
            other => Self::Internal(other.to_string()),
        }
    }
}

/// `{"detail": "…"}`: what went wrong, for people. simplejwt adds a `code`
/// for programs to a refused token, and for a refused access token the
/// `messages` of each token type it tried.
#[derive(Serialize, ToSchema)]
pub struct Detail<'a> {
    detail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "token_not_valid")]
    code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<TokenMessage>>)]
    messages: Option<[TokenMessage<'a>; 1]>,
}

#[derive(Serialize, ToSchema)]
pub struct TokenMessage<'a> {
    #[schema(example = "AccessToken")]
    token_class: &'a str,
    #[schema(example = "access")]
    token_type: &'a str,
    #[schema(example = "Token is expired")]
    message: &'a str,
}

/// DRF's 400 body, in its two shapes.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum BadRequestBody<'a> {
    /// The messages of each field (or `non_field_errors`), e.g.
    /// `{"password": ["This field is required."]}`.
    Fields(OrderedFields<'a>),
    /// A body that is not JSON (or not a form): `{"detail": "JSON parse
    /// error - …"}`.
    Detail(Detail<'a>),
}

/// Field name → its messages, in the order the fields are declared.
pub struct OrderedFields<'a>(&'a [(&'static str, String)]);

/// The schema of [`OrderedFields`]' hand-written serialization: an object of
/// one or more fields, each a list of messages.
impl PartialSchema for OrderedFields<'_> {
    fn schema() -> RefOr<Schema> {
        let messages = ArrayBuilder::new()
            .items(String::schema())
            .min_items(Some(1));
        ObjectBuilder::new()
            .additional_properties(Some(messages))
            .min_properties(Some(1))
            .into()
    }
}

impl ToSchema for OrderedFields<'_> {
    fn name() -> std::borrow::Cow<'static, str> {
        "FieldErrors".into()
    }
}

impl Serialize for OrderedFields<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (field, message) in self.0 {
            map.serialize_entry(field, &[message])?;
        }
        map.end()
    }
}

fn detail(detail: &str) -> Detail<'_> {
    Detail {
        detail,
        code: None,
        messages: None,
    }
}

impl ApiError {
    /// The answer's JSON body.
    fn body(&self) -> serde_json::Result<String> {
        match self {
            Self::Fields(fields) => {
                serde_json::to_string(&BadRequestBody::Fields(OrderedFields(fields)))
            }
            Self::NonField(message) => serde_json::to_string(&BadRequestBody::Fields(
                OrderedFields(&[("non_field_errors", message.clone())]),
            )),
            Self::Malformed(message) => {
                serde_json::to_string(&BadRequestBody::Detail(detail(message)))
            }
            Self::Unauthorized(message) => serde_json::to_string(&detail(message)),
            Self::UnauthorizedCode(message, code) => serde_json::to_string(&Detail {
                detail: message,
                code: Some(code),
                messages: None,
            }),
            Self::DpopTokenRequest {
                error, description, ..
            } => serde_json::to_string(&OAuthError {
                error,
                error_description: description,
            }),
            Self::DpopProofRefused { error, detail, .. } => serde_json::to_string(&Detail {
                detail,
                code: Some(error),
                messages: None,
            }),
            Self::BoundTokenRefused { access: false } => serde_json::to_string(&Detail {
                detail: &TokenError::Invalid.to_string(),
                code: Some("token_not_valid"),
                messages: None,
            }),
            Self::BoundTokenRefused { access: true } => {
                Self::AccessTokenRefused(TokenError::Invalid).body()
            }
            Self::AccessTokenRefused(error) => {
                let message = error.to_string();
                serde_json::to_string(&Detail {
                    detail: "Given token not valid for any token type",
                    code: Some("token_not_valid"),
                    messages: Some([TokenMessage {
                        token_class: "AccessToken",
                        token_type: "access",
                        message: &message,
                    }]),
                })
            }
            Self::Forbidden => serde_json::to_string(&detail(
                "You do not have permission to perform this action.",
            )),
            Self::NotFound => serde_json::to_string(&detail("Not found.")),
            Self::InvalidCursor => serde_json::to_string(&detail("Invalid cursor")),
            Self::Conflict(message) => serde_json::to_string(&detail(message)),
            Self::MethodNotAllowed(method, _) => {
                serde_json::to_string(&detail(&format!("Method \"{method}\" not allowed.")))
            }
            Self::PayloadTooLarge(limit) => serde_json::to_string(&detail(&format!(
                "Request body is too large: the limit is {limit} bytes."
            ))),
            Self::UnsupportedMediaType(media_type) => serde_json::to_string(&detail(&format!(
                "Unsupported media type \"{media_type}\" in request."
            ))),
            Self::Throttled { retry_after } => serde_json::to_string(&detail(&format!(
                "Request was throttled. Expected available in {retry_after} second{}.",
                if *retry_after == 1 { "" } else { "s" }
            ))),
            Self::Busy { retry_after } => serde_json::to_string(&detail(&format!(
                "The server is busy. Try again in {retry_after} second{}.",
                if *retry_after == 1 { "" } else { "s" }
            ))),
            Self::OutOfSync => serde_json::to_string(&detail(
                "The server cannot confirm revocations right now. Try again in 1 second.",
            )),
            Self::Internal(_) => serde_json::to_string(&detail("A server error occurred.")),
            Self::InDpopScheme(refusal) => refusal.body(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = self
            .body()
            .unwrap_or_else(|_| r#"{"detail":"A server error occurred."}"#.to_owned());

        let mut response =
            (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
        let headers = response.headers_mut();
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(WWW_AUTHENTICATE),
            );
        }
        if let Self::MethodNotAllowed(_, allow) = &self {
            headers.insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        if let Self::Throttled { retry_after } | Self::Busy { retry_after } = &self {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
        }
        if let Self::OutOfSync = &self {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(1));
        }
        if let Self::DpopTokenRequest {
            nonce: Some(nonce), ..
        } = &self
        {
            set_nonce(headers, nonce);
        }
        match &self {
            Self::DpopProofRefused {
                error,
                detail,
                nonce,
            } => {
                let description = detail.strip_prefix("Invalid DPoP proof: ");
                return response.with_dpop_challenge(error, description, nonce.as_deref());
            }
            Self::BoundTokenRefused { .. } => {
                return response.with_dpop_challenge("invalid_token", None, None);
            }
            Self::InDpopScheme(refusal) => {
                let words = refusal.refusal_words();
                return response.with_dpop_challenge("invalid_token", words.as_deref(), None);
            }
            _ => {}
        }
        if let Self::Internal(cause) = self {
            response.extensions_mut().insert(InternalCause(cause));
        }
        response
    }
}

/// RFC 6749 §5.2's error body, which RFC 9449 §5 uses at token endpoints
/// for a refused DPoP proof: `invalid_dpop_proof`, or `use_dpop_nonce`
/// (then with the nonce in `DPoP-Nonce`).
#[derive(Serialize, ToSchema)]
pub struct OAuthError<'a> {
    #[schema(
        pattern = "^(invalid_dpop_proof|use_dpop_nonce)$",
        example = "invalid_dpop_proof"
    )]
    error: &'a str,
    #[schema(example = "DPoP proof is invalid: its signature does not match its key")]
    error_description: &'a str,
}

/// A 401 that asks for DPoP instead of a bearer token.
trait DpopChallenge {
    fn with_dpop_challenge(
        self,
        error: &str,
        description: Option<&str>,
        nonce: Option<&str>,
    ) -> Response;
}

impl DpopChallenge for Response {
    /// `WWW-Authenticate: DPoP error="…", error_description="…", algs="…"`
    /// (RFC 9449 §7.1, [`tessera::dpop_challenge`]).
    fn with_dpop_challenge(
        mut self,
        error: &str,
        description: Option<&str>,
        nonce: Option<&str>,
    ) -> Response {
        let challenge = tessera::dpop_challenge(error, description);
        let headers = self.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            headers.insert(header::WWW_AUTHENTICATE, value);
        }
        if let Some(nonce) = nonce {
            set_nonce(headers, nonce);
        }
        self
    }
}

/// The header of a server's DPoP nonce (RFC 9449 §8).
pub const DPOP_NONCE: HeaderName = HeaderName::from_static("dpop-nonce");

/// `DPoP-Nonce`, and no caching of an answer carrying one (RFC 9449 §8).
fn set_nonce(headers: &mut axum::http::HeaderMap, nonce: &str) {
    if let Ok(value) = HeaderValue::from_str(nonce) {
        headers.insert(DPOP_NONCE, value);
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// Django's `MinimumLengthValidator` message.
fn too_short_message(length: usize) -> String {
    format!("This password is too short. It must contain at least {length} characters.")
}

/// A core message as a sentence: capital first letter, final full stop.
fn capitalized(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect::<String>() + ".",
        None => String::new(),
    }
}
