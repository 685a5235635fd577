//! Browser plumbing: localStorage (and sessionStorage), the browser's clock, sleep, Web
//! Locks, passkeys (WebAuthn) and the DPoP key. The `cfg` split lives here once: on the server (SSR) the storage
//! and clock functions exist and do nothing, so the code that calls them
//! (`token_store`) reads the same for both builds; sleep and locks exist
//! in the browser only, where the session's refresh runs.

#[cfg(feature = "hydrate")]
mod dpop;
#[cfg(feature = "hydrate")]
mod web;
#[cfg(feature = "hydrate")]
mod webauthn;
#[cfg(feature = "hydrate")]
pub use dpop::*;
#[cfg(feature = "hydrate")]
pub use web::*;
#[cfg(feature = "hydrate")]
pub use webauthn::*;

#[cfg(not(feature = "hydrate"))]
mod absent {
    /// The server has no localStorage: nothing is ever stored there.
    pub fn stored(_key: &str) -> Option<String> {
        None
    }

    pub fn store(_key: &str, _text: &str) {}

    pub fn forget(_key: &str) {}

    pub fn note_in_tab(_key: &str, _value: &str) {}

    pub fn take_tab_note(_key: &str) -> Option<String> {
        None
    }

    /// No browser clock on the server.
    pub fn now_ms() -> i64 {
        0
    }

    /// Passkeys are made and used in the browser only.
    pub fn passkeys_supported() -> bool {
        false
    }

    pub fn is_page_origin(_origin: &str) -> bool {
        false
    }

    pub async fn create_passkey(_options: &str) -> Result<String, String> {
        Err("Passkeys are made in the browser.".into())
    }

    pub async fn use_passkey(_options: &str) -> Result<String, String> {
        Err("Passkeys are used in the browser.".into())
    }

    /// DPoP keys live in the browser only.
    pub async fn dpop_proof(
        _method: &str,
        _url: &str,
        _access_token: Option<&str>,
        _nonce: Option<&str>,
    ) -> Option<String> {
        None
    }

    pub async fn dpop_thumbprint() -> Option<String> {
        None
    }
}
#[cfg(not(feature = "hydrate"))]
pub use absent::*;
