//! DPoP (RFC 9449) at the HTTP edge: the [`Proof`] extractor of the token
//! endpoints and the `DPoP-Nonce` header of their answers. The request a
//! proof must match is read as the server functions read it
//! (`tessera_app::ssr::proof_request`); the checks are the core's.

use axum::extract::FromRequestParts;
use axum::http::{request::Parts, HeaderName};
use tessera::DpopKey;
pub use tessera_app::ssr::proof_request;

use super::error::{ApiError, DPOP_NONCE};
use crate::AppState;

/// The key a token request's `DPoP` proof proved, if it carried one. A
/// proof that fails is a 400 (`invalid_dpop_proof`, `use_dpop_nonce`)
/// before the body is read.
pub struct Proof(pub Option<DpopKey>);

impl Proof {
    pub fn key(&self) -> Option<&DpopKey> {
        self.0.as_ref()
    }
}

impl FromRequestParts<AppState> for Proof {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        state
            .tessera
            .sessions
            .prove(&proof_request(parts))
            .await
            .map(Self)
            .map_err(ApiError::from_login)
    }
}

/// `DPoP-Nonce: <nonce>` on a token endpoint's answer when nonces are on,
/// so a client always holds a fresh one (RFC 9449 §8.2).
pub type NonceHeader = [(HeaderName, String); 1];

pub fn nonce_header(sessions: &tessera::Sessions) -> Option<NonceHeader> {
    sessions.dpop_nonce().map(|nonce| [(DPOP_NONCE, nonce)])
}
