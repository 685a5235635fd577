//! Who a request with a valid access token comes from: what the sessions
//! hand the capabilities that act for a logged-in user.

use std::sync::Arc;

use crate::tokens::Claims;

/// The user an access token belongs to, once every check has passed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthenticatedUser {
    pub user_id: i64,
    /// Shared with the verified-token cache: no copy per request.
    pub claims: Arc<Claims>,
}

impl AuthenticatedUser {
    /// The login session the token belongs to; tokens minted before
    /// sessions existed (or by another issuer) have none.
    pub fn session_id(&self) -> Option<&str> {
        self.claims.sid.as_deref()
    }
}
