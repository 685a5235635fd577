//! The core's errors: why an operation failed, for the adapters to map (the
//! REST API in `tessera-server`'s `api/error.rs`, the UI in `tessera-app`'s
//! `failure.rs`).

use crate::core::secret::SecretError;
use crate::password::{PasswordError, MAX_PASSWORD_BYTES};
use crate::store::StoreError;
use crate::tokens::TokenError;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization` header, an empty one, or another scheme.
    #[error("Authentication credentials were not provided.")]
    CredentialsNotProvided,
    /// `Bearer` alone, or a token with spaces in it.
    #[error("Authorization header must contain two space-delimited values")]
    MalformedAuthorization,
    #[error("No active account found with the given credentials")]
    BadCredentials,
    /// Too many failed logins for this username or from this address.
    #[error("too many login attempts: retry after {retry_after} s")]
    Throttled { retry_after: i64 },
    #[error("{0}")]
    Token(TokenError),
    /// A DPoP proof refused, or a bound token without its key.
    #[error("{0}")]
    Dpop(crate::dpop::DpopError),
    #[error("Token contained no recognizable user identification")]
    NoUserInToken,
    #[error("User not found")]
    UserNotFound,
    #[error("User is inactive")]
    UserInactive,
    /// A refresh token whose user can no longer log in.
    #[error("No active account found for the given token.")]
    NoActiveAccountForToken,
    #[error("the password is longer than {MAX_PASSWORD_BYTES} bytes")]
    PasswordTooLong,
    /// A field holds a NUL character: no name can (PostgreSQL cannot even
    /// store one), and DRF refuses it in every CharField.
    #[error("Null characters are not allowed.")]
    NullCharacters { field: &'static str },
    /// A field is longer than DRF's `max_length` for it.
    #[error("Ensure this field has no more than {max} characters.")]
    FieldTooLong { field: &'static str, max: usize },
    #[error("a user with that username already exists")]
    UsernameTaken,
    #[error("a username has 1 to 150 characters and no control characters")]
    InvalidUsername,
    #[error("no such user")]
    NoSuchUser,
    /// Not an address Django's `EmailValidator` accepts. Django's words.
    #[error("Enter a valid email address.")]
    InvalidEmail,
    /// A reset link's `uid` names no user. dj-rest-auth's words.
    #[error("Invalid value")]
    InvalidResetUid,
    /// A reset link's token is forged, used, expired, or for another
    /// password. dj-rest-auth's words.
    #[error("Invalid value")]
    InvalidResetToken,
    /// Staff asked to mail a reset link to an account that cannot get one.
    #[error("{0}")]
    CannotMailReset(&'static str),
    /// A verification key that is forged, expired, used, or for an address
    /// the account no longer waits to verify. DRF's words for the 404
    /// dj-rest-auth answers.
    #[error("Not found.")]
    InvalidVerificationKey,
    /// `--email-verification mandatory`: the password was right, the
    /// address is not verified yet. dj-rest-auth's words.
    #[error("E-mail is not verified.")]
    EmailNotVerified,
    /// `--email-verification mandatory` needs an address to verify.
    #[error("This field is required.")]
    EmailRequired,
    /// The password was right; two-step sign-in is on and no code came.
    #[error("Enter the code from your authenticator app.")]
    OtpRequired,
    /// A code that is wrong, or was used already (each works once).
    #[error("The code is wrong or was already used.")]
    OtpInvalid,
    /// Neither six digits nor a recovery code.
    #[error("Enter the 6-digit code from your authenticator app, or a recovery code.")]
    OtpMalformed,
    #[error("Two-step login is already on.")]
    TwoStepAlreadyOn,
    /// A code to turn it on, with no secret waiting for one.
    #[error("Set up the authenticator app first.")]
    TwoStepNotSetUp,
    #[error("Two-step login is not on.")]
    TwoStepNotOn,
    /// The stored secret does not open with this server's secrets (the
    /// secret key was replaced without `--previous-secret-keys`).
    #[error("the authenticator secret cannot be read with the configured secret key")]
    TwoStepUnreadable,
    /// No relying party: `--public-url` names an IP address (WebAuthn
    /// needs a domain) and no `--webauthn-rp-id` was given.
    #[error("Passkeys are not available on this server.")]
    PasskeysUnavailable,
    /// A passkey ceremony that is unknown, someone else's, expired, or
    /// finished already (each finishes once).
    #[error("This passkey request has expired or was already used. Start again.")]
    CeremonyInvalid,
    /// A `credential` that is not what a browser's WebAuthn call returns.
    #[error("This is not a passkey credential.")]
    PasskeyMalformed,
    /// A registration whose credential does not check out (wrong
    /// challenge, origin or relying party, no user verification, bad
    /// attestation data).
    #[error("The passkey could not be verified.")]
    PasskeyRejected,
    #[error("This passkey is already registered.")]
    PasskeyExists,
    /// No passkey of that id belongs to the caller.
    #[error("Not found.")]
    PasskeyNotFound,
    /// A sign-in whose assertion does not check out: an unknown
    /// credential, a bad signature, no user verification, a sign count
    /// that went backwards (a cloned authenticator).
    #[error("The passkey was not accepted.")]
    PasskeyRefused,
    /// A name for a passkey that is blank.
    #[error("This field may not be blank.")]
    BlankField { field: &'static str },
    /// The new password and its confirmation differ. Django's words.
    #[error("The two password fields didn\u{2019}t match.")]
    PasswordsDiffer,
    #[error("sign-up is closed on this server")]
    SignupClosed,
    #[error("the password must have at least {0} characters")]
    PasswordTooShort(usize),
    /// Django's `UserAttributeSimilarityValidator`, in its words: the new
    /// password is too like the account's name (or email address).
    #[error("The password is too similar to the {attribute}.")]
    PasswordTooSimilar { attribute: &'static str },
    /// Django's `CommonPasswordValidator`, in its words.
    #[error("This password is too common.")]
    PasswordTooCommon,
    /// Django's `NumericPasswordValidator`, in its words.
    #[error("This password is entirely numeric.")]
    PasswordEntirelyNumeric,
    /// A password change to the password in use.
    #[error("The new password must differ from the current one.")]
    PasswordUnchanged,
    /// A password change whose current password is not the current one.
    #[error("Your old password was entered incorrectly. Please enter it again.")]
    WrongPassword,
    /// The caller is authenticated but not allowed (not staff; staff
    /// changing staff status without being a superuser). DRF's words.
    #[error("You do not have permission to perform this action.")]
    PermissionDenied,
    /// Not a live session of the caller (or of anyone).
    #[error("Not found.")]
    NoSuchSession,
    /// This process has not read the change log for longer than
    /// `max_sync_lag`: it cannot tell whether a token was revoked elsewhere.
    #[error("the server cannot confirm revocations right now")]
    OutOfSync,
    /// Every password hasher is busy and its queue is full: try again shortly.
    #[error("the password hasher is busy")]
    Busy,
    #[error("signing keys: {0}")]
    Keys(#[from] crate::keys::KeyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The password hasher failed or stopped (a server fault).
    #[error("{0}")]
    Hasher(String),
    /// Something that cannot fail failed (a server fault): serialising a
    /// passkey ceremony, a stored record that no longer reads.
    #[error("{0}")]
    Internal(String),
}

impl From<PasswordError> for AuthError {
    fn from(error: PasswordError) -> Self {
        match error {
            PasswordError::Busy => Self::Busy,
            other => Self::Hasher(other.to_string()),
        }
    }
}

impl From<crate::dpop::DpopError> for AuthError {
    fn from(error: crate::dpop::DpopError) -> Self {
        Self::Dpop(error)
    }
}

impl From<TokenError> for AuthError {
    fn from(error: TokenError) -> Self {
        Self::Token(error)
    }
}

/// Why the core could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error("invalid signing key: {0}")]
    Key(#[from] jsonwebtoken::errors::Error),
    #[error("signing keys: {0}")]
    Keys(#[from] crate::keys::KeyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Mail(#[from] crate::mail::transport::MailSetupError),
    #[error(transparent)]
    PublicUrl(#[from] crate::core::public_url::InvalidPublicUrl),
    /// `--webauthn-rp-id` does not fit `--public-url`.
    #[error("passkeys: {0}")]
    RelyingParty(String),
}
