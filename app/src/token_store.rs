//! Where the browser keeps its tokens, and the timing read off them.
//!
//! One localStorage key, [`STORAGE_KEY`], holds a JSON object
//! `{"access","refresh","username","issued_at"}` (see [`StoredTokens`]). One
//! key rather than two so every write is atomic: another tab can never read
//! a new access token beside an old refresh token.
//!
//! Lifetimes are counted on the browser's clock from when the tokens were
//! requested (`exp - iat` after `issued_at`), so a skewed clock changes
//! nothing. Only this module decides what goes into localStorage (through
//! [`crate::browser`]).

use serde::{Deserialize, Serialize};

use crate::jwt;

/// The localStorage key of the tokens.
pub const STORAGE_KEY: &str = "tessera.tokens";

/// A fresh token pair, as `POST /api/token/` returns it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
    /// After a login or sign-up: this browser's known-device marker for
    /// the name (see [`crate::known_devices`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_device: Option<String>,
    /// After a login or sign-up: the account is staff (the navigation
    /// shows "Admin"; the admin pages ask the server again).
    #[serde(default, skip_serializing_if = "is_false")]
    pub staff: bool,
}

fn is_false(value: &bool) -> bool {
    !value
}

/// What localStorage holds while logged in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredTokens {
    pub access: String,
    pub refresh: String,
    /// Known when this browser logged in; shown in the navigation.
    #[serde(default)]
    pub username: Option<String>,
    /// Browser clock, in milliseconds, when the request that returned the
    /// tokens was sent: never later than the server's `iat`.
    pub issued_at: i64,
    /// The account was staff when last asked (shows "Admin" in the
    /// navigation; only the server's answer lets anyone in).
    #[serde(default, skip_serializing_if = "is_false")]
    pub staff: bool,
}

impl StoredTokens {
    pub fn new(access: String, refresh: String, username: Option<String>, issued_at: i64) -> Self {
        Self {
            access,
            refresh,
            username,
            issued_at,
            staff: false,
        }
    }

    /// The same tokens, marked as a staff member's (or not).
    pub fn with_staff(self, staff: bool) -> Self {
        Self { staff, ..self }
    }

    /// Browser-clock milliseconds at which `token` (one of ours) expires, or
    /// `None` when it cannot be read (then it is treated as expired).
    pub fn expires_at(&self, token: &str) -> Option<i64> {
        jwt::times(token).map(|times| self.issued_at + usable_lifetime_ms(times))
    }

    /// When the access token should be replaced: a margin of 30 s or a tenth
    /// of its lifetime, whichever is smaller, before it expires.
    pub fn refresh_due_at(&self) -> i64 {
        match jwt::times(&self.access) {
            Some(times) => {
                let lifetime_ms = usable_lifetime_ms(times);
                self.issued_at + lifetime_ms - (lifetime_ms / 10).min(30_000)
            }
            None => i64::MIN,
        }
    }

    pub fn refresh_is_due(&self, now_ms: i64) -> bool {
        now_ms >= self.refresh_due_at()
    }

    /// Server-clock seconds as this browser estimates them: the server's
    /// `iat` plus the time elapsed here since the tokens were requested.
    pub fn server_now(&self, now_ms: i64) -> Option<i64> {
        jwt::times(&self.access).map(|times| times.iat + (now_ms - self.issued_at) / 1000)
    }
}

/// `exp - iat` less one second: both are whole seconds, so a token may be up
/// to a second older than its `iat` says.
fn usable_lifetime_ms(times: jwt::TokenTimes) -> i64 {
    (times.lifetime() * 1000 - 1000).max(0)
}

/// Milliseconds since the epoch on the browser's clock (0 on the server).
pub fn now_ms() -> i64 {
    crate::browser::now_ms()
}

/// The tokens as localStorage holds them now (another tab may have changed
/// them since this tab last looked). Always `None` on the server.
pub fn read() -> Option<StoredTokens> {
    crate::browser::stored(STORAGE_KEY)
}

/// Stores new tokens; every other tab sees them through the `storage` event.
pub fn write(tokens: &StoredTokens) {
    crate::browser::store(STORAGE_KEY, tokens);
}

pub fn clear() {
    crate::browser::forget(STORAGE_KEY);
}

/// The access token the next protected request should carry (read by `AuthClient`).
pub fn stored_access_token() -> Option<String> {
    read().map(|tokens| tokens.access)
}
