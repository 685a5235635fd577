//! What every request handler can reach.

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;

/// Shared, cheaply clonable application state.
#[derive(Clone)]
pub struct AppState {
    pub tokens: tessera::TokenService,
    pub leptos_options: LeptosOptions,
}

impl AppState {
    pub fn store(&self) -> &tessera::Store {
        self.tokens.store()
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
