//! What every request handler can reach.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use tessera::{Sessions, Tessera};

/// Shared application state; axum clones it for every request, so every
/// field is one reference count (a plain `LeptosOptions` would allocate on
/// every request, and a plain `Tessera` bump a dozen counts and drop them).
#[derive(Clone)]
pub struct AppState {
    pub tessera: Arc<Tessera>,
    pub leptos_options: Arc<LeptosOptions>,
    /// The HTTP server's own settings (limits, HSTS).
    pub http: Arc<crate::config::HttpConfig>,
}

/// Token handlers and the `AuthUser` extractor need the sessions side only.
impl FromRef<AppState> for Sessions {
    fn from_ref(state: &AppState) -> Self {
        state.tessera.sessions.clone()
    }
}

/// The admin endpoints need the admin side only.
impl FromRef<AppState> for tessera::Accounts {
    fn from_ref(state: &AppState) -> Self {
        state.tessera.accounts.clone()
    }
}

impl FromRef<AppState> for tessera::Admin {
    fn from_ref(state: &AppState) -> Self {
        state.tessera.admin.clone()
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        LeptosOptions::clone(&state.leptos_options)
    }
}

impl FromRef<AppState> for tessera::Passkeys {
    fn from_ref(state: &AppState) -> Self {
        state.tessera.passkeys.clone()
    }
}

impl FromRef<AppState> for tessera::TwoStep {
    fn from_ref(state: &AppState) -> Self {
        state.tessera.two_step.clone()
    }
}
