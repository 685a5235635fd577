//! What the admin console's pages share that is not a view: which page an
//! address shows, the links its lists and filters build, the event types
//! its filter offers.

/// Which page of the console an address shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsolePage {
    Users,
    User(i64),
    Events,
    Keys,
    Unknown,
}

pub fn console_page(path: &str) -> ConsolePage {
    let Some(rest) = path.trim_end_matches('/').strip_prefix("/admin") else {
        return ConsolePage::Unknown;
    };
    match rest {
        "" => ConsolePage::Users,
        "/events" => ConsolePage::Events,
        "/keys" => ConsolePage::Keys,
        other => other
            .strip_prefix("/users/")
            .and_then(|id| id.parse::<i64>().ok())
            .filter(|id| *id > 0)
            .map_or(ConsolePage::Unknown, ConsolePage::User),
    }
}

/// `path?name=value&…` with the empty values left out.
pub fn address(path: &str, pairs: &[(&str, String)]) -> String {
    let query: Vec<String> = pairs
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| format!("{name}={}", percent_encoded(value)))
        .collect();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

fn percent_encoded(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                encoded.push(byte as char)
            }
            other => encoded.push_str(&format!("%{other:02X}")),
        }
    }
    encoded
}

/// Every type of event, as the log names it, and in words.
pub const EVENT_TYPES: [(&str, &str); 25] = [
    ("login_succeeded", "Login succeeded"),
    ("login_failed", "Login failed"),
    ("login_throttled", "Login throttled"),
    ("logout", "Logout"),
    ("session_ended", "Session ended"),
    ("refresh_reuse", "Refresh token reused"),
    ("password_changed", "Password changed"),
    ("password_set", "Password set by an operator"),
    ("user_created", "User created"),
    ("user_activated", "User activated"),
    ("user_deactivated", "User deactivated"),
    ("users_imported", "Users imported"),
    ("signing_key_added", "Signing key added"),
    ("staff_changed", "Staff changed"),
    ("profile_changed", "Name or email changed"),
    ("password_reset_requested", "Password reset requested"),
    ("password_reset", "Password reset by mail"),
    ("email_verification_sent", "Email confirmation link sent"),
    ("email_verified", "Email address confirmed"),
    ("email_changed", "Email address changed"),
    ("two_step_enabled", "Two-step login turned on"),
    ("two_step_disabled", "Two-step login turned off"),
    ("recovery_code_used", "Recovery code used"),
    ("passkey_added", "Passkey added"),
    ("passkey_removed", "Passkey removed"),
];
