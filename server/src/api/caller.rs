//! `Caller`: who a request comes from, as the core reads it: the address
//! (the socket's peer, or a trusted proxy's `X-Forwarded-For`) and the
//! `User-Agent` a new session is labelled from.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::{header, request::Parts};
use tessera::Client;

use crate::AppState;

pub struct Caller {
    /// `None` when the server was not started with connection info (a
    /// router called in-process).
    address: Option<IpAddr>,
    user_agent: Option<String>,
}

impl Caller {
    pub fn client(&self) -> Client<'_> {
        Client {
            address: self.address,
            user_agent: self.user_agent.as_deref(),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
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
        let address = peer.map(|peer| state.tessera.sessions.client_address(peer, forwarded_for));
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
        Ok(Self {
            address,
            user_agent,
        })
    }
}
