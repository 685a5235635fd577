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

use crate::json::{self, Json};
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

/// What localStorage holds while logged in, as a JSON object (see
/// [`StoredTokens::to_json`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredTokens {
    pub access: String,
    pub refresh: String,
    /// Known when this browser logged in; shown in the navigation.
    pub username: Option<String>,
    /// Browser clock, in milliseconds, when the request that returned the
    /// tokens was sent: never later than the server's `iat`.
    pub issued_at: i64,
    /// The account was staff when last asked (shows "Admin" in the
    /// navigation; only the server's answer lets anyone in).
    pub staff: bool,
}

impl StoredTokens {
    /// `{"access":…,"refresh":…,"username":…|null,"issued_at":…}`, with
    /// `"staff":true` added for a staff member.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(self.access.len() + self.refresh.len() + 96);
        out.push_str("{\"access\":");
        json::write_string(&mut out, &self.access);
        out.push_str(",\"refresh\":");
        json::write_string(&mut out, &self.refresh);
        out.push_str(",\"username\":");
        match &self.username {
            Some(username) => json::write_string(&mut out, username),
            None => out.push_str("null"),
        }
        out.push_str(",\"issued_at\":");
        out.push_str(&self.issued_at.to_string());
        if self.staff {
            out.push_str(",\"staff\":true");
        }
        out.push('}');
        out
    }

    /// Reads what [`StoredTokens::to_json`] wrote, or an older version
    /// without `username` or `staff`; other members are ignored. `None` for
    /// anything else (then this browser is logged out).
    pub fn from_json(text: &str) -> Option<Self> {
        let object = json::parse(text)?;
        let text_of = |key| object.get(key)?.as_str().map(str::to_owned);
        let username = match object.get("username") {
            None | Some(Json::Null) => None,
            Some(username) => Some(username.as_str()?.to_owned()),
        };
        let staff = match object.get("staff") {
            None => false,
            Some(staff) => staff.as_bool()?,
        };
        Some(Self {
            access: text_of("access")?,
            refresh: text_of("refresh")?,
            username,
            issued_at: object.get("issued_at")?.as_i64()?,
            staff,
        })
    }

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
    StoredTokens::from_json(&crate::browser::stored(STORAGE_KEY)?)
}

/// Stores new tokens; every other tab sees them through the `storage` event.
pub fn write(tokens: &StoredTokens) {
    crate::browser::store(STORAGE_KEY, &tokens.to_json());
}

pub fn clear() {
    crate::browser::forget(STORAGE_KEY);
}

/// The access token the next protected request should carry (read by `AuthClient`).
pub fn stored_access_token() -> Option<String> {
    read().map(|tokens| tokens.access)
}
