//! Tessera's core: tokens, passwords, the store, and the rules of
//! authentication, configured by plain [`Settings`].
//!
//! Nothing here knows about HTTP, the command line or the UI: `tessera-server`
//! adapts these rules to the simplejwt-compatible REST API and `tessera-app`
//! to Leptos server functions, so every rule is written exactly once.
//!
//! [`Tessera`] holds two capabilities over one shared core: [`Sessions`]
//! (log in, refresh, verify, log out, authenticate) and [`Accounts`]
//! (create, sign up, set password, (de)activate, list).

pub mod accounts;
pub mod bearer;
pub mod client_address;
pub mod clock;
mod core;
pub mod device;
pub mod error;
pub mod hex;
pub mod import;
pub mod iso8601;
pub mod keys;
pub mod metrics;
pub mod own_sessions;
pub mod password;
mod password_attempt;
pub mod registry;
pub mod rotation_queue;
pub mod secret;
pub mod sessions;
pub mod settings;
pub mod store;
mod tessera;
pub mod throttle;
pub mod tokens;
pub mod username;
pub mod verified_cache;

pub use accounts::Accounts;
pub use clock::{Clock, ManualClock, SystemClock};
pub use core::{Client, TokenPair};
pub use error::{AuthError, StartError};
pub use sessions::{AuthenticatedUser, Sessions};
pub use settings::{Policy, Settings};
pub use store::{Store, StoreError};
pub use tessera::Tessera;
pub use tokens::TokenError;
