//! A short, human label for the device a session was started on, made from
//! the login's `User-Agent` ("Chrome on Linux", "Safari on iPhone"), so that
//! a person can recognise their sessions. Only the label is stored: the raw
//! header is long, identifying, and attacker-written.
//!
//! Order matters: browsers carry each other's names for compatibility (Edge
//! and Opera say "Chrome", Chrome says "Safari", every one says "Mozilla"),
//! so the most specific token is looked for first.

/// Browsers and clients, most specific first: (token in the header, name).
const BROWSERS: &[(&str, &str)] = &[
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("EdgiOS/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Vivaldi/", "Vivaldi"),
    ("YaBrowser/", "Yandex Browser"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("HeadlessChrome/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
    ("HTTPie/", "HTTPie"),
    ("python-requests/", "Python requests"),
    ("python-httpx/", "Python httpx"),
    ("axios/", "axios"),
    ("okhttp/", "OkHttp"),
    ("PostmanRuntime/", "Postman"),
    ("node", "Node.js"),
    ("Go-http-client/", "Go"),
];

/// Operating systems, most specific first.
const SYSTEMS: &[(&str, &str)] = &[
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Macintosh", "macOS"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
    ("FreeBSD", "FreeBSD"),
];

/// The label stored with a session. Never the header itself: an unknown
/// client is "Unknown device".
pub fn label(user_agent: Option<&str>) -> String {
    let user_agent = user_agent.unwrap_or_default();
    let browser = find(BROWSERS, user_agent);
    let system = find(SYSTEMS, user_agent);
    match (browser, system) {
        (Some(browser), Some(system)) => format!("{browser} on {system}"),
        (Some(browser), None) => browser.to_owned(),
        (None, Some(system)) => format!("A browser on {system}"),
        (None, None) => "Unknown device".to_owned(),
    }
}

fn find(table: &[(&str, &'static str)], user_agent: &str) -> Option<&'static str> {
    table
        .iter()
        .find(|(token, _)| user_agent.contains(token))
        .map(|(_, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::label;

    #[test]
    fn browsers_are_told_apart_despite_borrowing_each_others_names() {
        let cases = [
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36",
                "Chrome on Linux",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1",
                "Safari on iPhone",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
                "Edge on Windows",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:133.0) Gecko/20100101 Firefox/133.0",
                "Firefox on macOS",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
                "Samsung Internet on Android",
            ),
            (
                "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0 Mobile/15E148 Safari/604.1",
                "Chrome on iPad",
            ),
            ("curl/8.5.0", "curl"),
            ("HTTPie/3.2.4", "HTTPie"),
            ("axios/1.7.9", "axios"),
            ("", "Unknown device"),
            ("<script>alert(1)</script>", "Unknown device"),
        ];
        for (user_agent, expected) in cases {
            assert_eq!(label(Some(user_agent)), expected, "{user_agent}");
        }
        assert_eq!(label(None), "Unknown device");
    }
}
