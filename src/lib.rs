//! Tessera's core: tokens, passwords, the store, and the rules of
//! authentication, configured by plain [`Settings`].
//!
//! Nothing here knows about HTTP, the command line or the UI: `tessera-server`
//! adapts these rules to the simplejwt-compatible REST API and `tessera-app`
//! to Leptos server functions, so every rule is written exactly once.
//!
//! The front door is [`Tessera`]: nine capabilities over one shared core.
//!
//! - [`Sessions`]: log in, refresh, verify, log out, authenticate a request,
//!   and a user's own sessions and password.
//! - [`Accounts`]: create, sign up, set a password, (de)activate, import, list.
//! - [`SigningKeys`]: the JWK set, listing and rotating signing keys.
//! - [`Upkeep`]: what a serving process runs in the background (picking up
//!   other instances' changes, flushing expired rows) and reports on.
//! - [`Audit`]: the security events recorded with each change (the audit log).
//! - [`Admin`]: what staff do to other people's accounts.
//! - [`Mail`]: the outbox, and the sender that delivers it.
//! - [`TwoStep`]: two-step sign-in (an authenticator app, recovery codes).
//! - [`Passkeys`]: passkeys (WebAuthn), and signing in with one.
//!
//! Everything else is private to the crate; a reader who wants the rules of
//! one capability opens its folder.

mod accounts;
mod admin;
mod audit;
mod core;
mod dpop;
mod error;
pub mod import;
pub mod keys;
mod mail;
mod passkeys;
mod password;
mod sessions;
mod settings;
mod store;
mod tessera;
mod tokens;
mod two_step;
mod upkeep;

pub use accounts::{
    is_valid_email, is_valid_username, Accounts, EmailStatus, EmailVerification, NewPassword,
    SignedUp, MAX_EMAIL_CHARS,
};
pub use admin::{AccountChange, Admin, EventPage, UserPage, PAGE_SIZE};
pub use audit::{Audit, AuditEntry, AuditKind, AuditQuery};
pub use core::caller::{Caller, ForwardedHeader};
pub use core::clock::{Clock, ManualClock, SystemClock};
/// An instant as ISO 8601 in UTC (`2026-12-02T09:52:40Z`), as the API writes times.
pub use core::iso8601::format_utc;
pub use core::public_url::{InvalidPublicUrl, PublicUrl};
pub use core::throttle::ThrottleRules;
pub use core::{Client, TokenPair};
pub use dpop::{
    challenge as dpop_challenge, DpopError, DpopKey, DpopMode, DpopSettings, ProofHeader,
    ProofRequest, ACCEPTED_ALGORITHMS,
};
pub use error::{AuthError, StartError};
pub use keys::SigningKeys;
pub use keys::{KeyError, KeyListing, SigningAlgorithm};
pub use mail::{Mail, MailSender, MailSettings, MailSetupError, OutboxCounts};
pub use passkeys::{Passkey, PasskeyCeremony, PasskeySignIn, Passkeys};
pub use password::MAX_PASSWORD_BYTES;
pub use sessions::{AuthenticatedUser, OwnSession, Sessions};
pub use settings::{Policy, Settings};
pub use store::{NewUser, Store, StoreError, UserFilter, UserSummary};
pub use tessera::Tessera;
pub use tokens::{TokenError, TokenKey};
pub use two_step::{TotpSetup, TwoStep, TwoStepStatus};
pub use upkeep::{HasherStats, Upkeep, UpkeepTasks, CHECKED_FORMATS};

/// What tests arrange below the API (a batch of rotations sent to the
/// store directly) or play instead of a person (an authenticator app, a
/// passkey); not part of the API.
#[doc(hidden)]
pub mod testing;

/// Internals the benchmarks measure directly; not part of the API.
#[cfg(feature = "bench")]
pub mod bench {
    pub use crate::keys::process_keys::{KeyPolicy, Keys};
    pub use crate::password::PasswordHasher;
    pub use crate::tokens::{TokenCodec, TokenSpec, TokenType};
}
