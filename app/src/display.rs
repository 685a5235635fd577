//! Small formatting helpers for what the pages show: durations, dates, and
//! the `next=` parameter of the login page.

/// "4 m 59 s", "23 h 5 m", "6 d 23 h": the two largest units, for countdowns.
pub fn duration(total_seconds: i64) -> String {
    let seconds = total_seconds.max(0);
    let (days, hours, minutes, secs) = (
        seconds / 86_400,
        seconds % 86_400 / 3_600,
        seconds % 3_600 / 60,
        seconds % 60,
    );
    if days > 0 {
        format!("{days} d {hours} h")
    } else if hours > 0 {
        format!("{hours} h {minutes} m")
    } else if minutes > 0 {
        format!("{minutes} m {secs} s")
    } else {
        format!("{secs} s")
    }
}

/// A wait as a person says it: "42 seconds", "15 minutes", "2 hours";
/// rounded up, so the person never comes back too early.
pub fn wait(seconds: i64) -> String {
    let seconds = seconds.max(0);
    let (count, unit) = if seconds < 60 {
        (seconds, "second")
    } else if seconds <= 2 * 3_600 {
        ((seconds + 59) / 60, "minute")
    } else {
        ((seconds + 3_599) / 3_600, "hour")
    };
    format!("{count} {unit}{}", if count == 1 { "" } else { "s" })
}

/// "in 4 m 59 s" or "expired 3 s ago", from milliseconds left.
pub fn countdown(remaining_ms: i64) -> String {
    if remaining_ms > 0 {
        // Round up: "in 0 s" would read as expired.
        format!("in {}", duration((remaining_ms + 999) / 1000))
    } else {
        format!("expired {} ago", duration(-remaining_ms / 1000))
    }
}

/// Unix seconds as the browser writes a date and time in its locale
/// ("1 Dec 2026, 16:05"); on the server, which knows no locale, in UTC.
pub fn local_time(unix_seconds: i64) -> String {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsValue;
        let options = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&options, &"dateStyle".into(), &"medium".into());
        let _ = js_sys::Reflect::set(&options, &"timeStyle".into(), &"short".into());
        // No locales given: the browser's own.
        let format = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &options);
        let date = js_sys::Date::new(&JsValue::from_f64(unix_seconds as f64 * 1000.0));
        if let Some(text) = format
            .format()
            .call1(&JsValue::UNDEFINED, &date)
            .ok()
            .and_then(|text| text.as_string())
        {
            return text;
        }
    }
    utc(unix_seconds)
}

/// Unix seconds as `2026-11-28 22:30:05 UTC` (proleptic Gregorian calendar).
pub fn utc(unix_seconds: i64) -> String {
    let days = unix_seconds.div_euclid(86_400);
    let second_of_day = unix_seconds.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        second_of_day / 3_600,
        second_of_day % 3_600 / 60,
        second_of_day % 60
    )
}

/// Where to go after logging in: a path on this site, never another origin
/// (`//evil.example`, `/\evil.example`, `https://…` all fall back to
/// `/hello`). Dot segments are refused too: `/.//evil.example` is
/// `//evil.example` once a URL parser has removed them.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if is_plain_path(path) => path.to_owned(),
        _ => "/hello".to_owned(),
    }
}

/// An absolute path of this site with nothing a URL parser would rewrite
/// into another origin: no backslash, no control character, no empty first
/// segment, no `.` or `..` segment.
fn is_plain_path(path: &str) -> bool {
    let route = path.split(['?', '#']).next().unwrap_or_default();
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && !path.chars().any(char::is_control)
        && !route
            .split('/')
            .any(|segment| matches!(segment, "." | ".." | "%2e" | "%2E" | "%2e%2e" | "%2E%2E"))
}

/// The login page's address that leads back to `path` afterwards.
pub fn login_url(path: &str, reason: Option<LoginReason>) -> String {
    let mut url = format!("/login?next={}", percent_encode(path));
    if let Some(reason) = reason {
        url.push_str("&reason=");
        url.push_str(reason.as_str());
    }
    url
}

/// Why the login page is shown instead of the page asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginReason {
    /// "Your session has expired."
    Expired,
    /// "You were logged out from another device."
    SignedOutElsewhere,
    /// "Your password was changed. Log in with the new one." (a reset link)
    PasswordReset,
    /// "You have logged out." (this tab's "Log out")
    LoggedOut,
}

impl LoginReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Expired => "expired",
            Self::SignedOutElsewhere => "elsewhere",
            Self::PasswordReset => "reset",
            Self::LoggedOut => "logged-out",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "expired" => Some(Self::Expired),
            "elsewhere" => Some(Self::SignedOutElsewhere),
            "reset" => Some(Self::PasswordReset),
            "logged-out" => Some(Self::LoggedOut),
            _ => None,
        }
    }
}

fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// The audit log's event in a person's words, and whether it deserves a
/// second look.
pub fn activity_words(kind: &str, detail: Option<&str>) -> (String, bool) {
    let (what, warning) = match kind {
        "login_succeeded" if detail == Some("passkey") => ("Logged in with a passkey", false),
        "login_succeeded" => ("Logged in", false),
        "login_failed" if detail == Some("wrong current password at a password change") => {
            ("Wrong current password when changing the password", true)
        }
        "login_failed" => ("Failed login attempt", true),
        "logout" => ("Logged out", false),
        "session_ended" => ("Logged out of a session", false),
        "refresh_reuse" => (
            "A session was ended because its login was used from two places",
            true,
        ),
        "password_changed" => ("Password changed; every session was logged out", false),
        "password_set" => ("Password set by an administrator", true),
        "user_created" => ("Account created", false),
        "user_activated" => ("Account activated", false),
        "user_deactivated" => ("Account deactivated", true),
        "password_reset" => ("Password reset with a mailed link", false),
        "email_verified" => ("Email address confirmed", false),
        "email_changed" => ("Email address changed", false),
        "two_step_enabled" => ("Two-step login turned on", false),
        "two_step_disabled" => ("Two-step login turned off", true),
        "recovery_code_used" => ("Logged in with a recovery code", true),
        "passkey_added" => ("Passkey added", false),
        "passkey_removed" => ("Passkey removed", true),
        other => return (other.replace('_', " "), false),
    };
    (what.to_owned(), warning)
}
