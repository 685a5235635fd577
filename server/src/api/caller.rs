//! `Caller`: who a request comes from, as the core reads it from the raw
//! peer and headers (the same reading as the server functions').

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::AppState;

/// The core's caller, as an extractor: `caller.client()` is what a
/// session-starting call takes.
pub struct Caller(pub tessera::Caller);

impl Caller {
    pub fn client(&self) -> tessera::Client<'_> {
        self.0.client()
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // `None` when the server was not started with connection info (a
        // router called in-process).
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| peer.ip());
        let headers = parts
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_bytes()));
        Ok(Self(state.tessera.sessions.caller(peer, headers)))
    }
}
