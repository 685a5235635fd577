//! Browser plumbing: localStorage (and sessionStorage), the browser's clock, sleep and Web
//! Locks. The `cfg` split lives here once: on the server (SSR) the storage
//! and clock functions exist and do nothing, so the code that calls them
//! (`token_store`) reads the same for both builds; sleep and locks exist
//! in the browser only, where the session's refresh runs.

#[cfg(feature = "hydrate")]
mod web;
#[cfg(feature = "hydrate")]
pub use web::*;

#[cfg(not(feature = "hydrate"))]
mod absent {
    /// The server has no localStorage: nothing is ever stored there.
    pub fn stored<T>(_key: &str) -> Option<T> {
        None
    }

    pub fn store<T>(_key: &str, _value: &T) {}

    pub fn forget(_key: &str) {}

    pub fn note_in_tab(_key: &str, _value: &str) {}

    pub fn take_tab_note(_key: &str) -> Option<String> {
        None
    }

    /// No browser clock on the server.
    pub fn now_ms() -> i64 {
        0
    }
}
#[cfg(not(feature = "hydrate"))]
pub use absent::*;
