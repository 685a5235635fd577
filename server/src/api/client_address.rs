//! `ClientAddress`: where a request comes from, as the core reads it (the
//! socket's peer, or a trusted proxy's `X-Forwarded-For`).

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::AppState;

/// `None` when the server was not started with connection info (a router
/// called in-process).
pub struct ClientAddress(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| peer.ip());
        let forwarded_for = parts
            .headers
            .get("x-forwarded-for")
            .map(|value| value.as_bytes());
        Ok(Self(peer.map(|peer| {
            state.tessera.sessions.client_address(peer, forwarded_for)
        })))
    }
}
