//! Tessera's core: configuration, the database store, passwords and tokens.
//!
//! Nothing here knows about HTTP or the UI: `tessera-server` adapts these rules
//! to the simplejwt-compatible REST API and `tessera-app` to Leptos server
//! functions, so every rule is written exactly once.

pub mod bearer;
pub mod config;
pub mod duration;
pub mod hex;
pub mod password;
pub mod registry;
pub mod rotation_queue;
pub mod secret;
pub mod service;
pub mod store;
pub mod tokens;
pub mod verified_cache;

pub use config::Config;
pub use service::{AuthError, AuthenticatedUser, Policy, TokenPair, TokenService};
pub use store::{Store, StoreError};
pub use tokens::TokenError;

/// Seconds since the Unix epoch, the unit of every timestamp Tessera stores.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
