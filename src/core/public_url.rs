//! The origin people reach the app at (`--public-url`), e.g.
//! `https://auth.example.com`: the links in mails point there. Behind a
//! proxy the address the server listens on is not it, so it is configured,
//! never guessed from a request's `Host` header (which a client chooses:
//! a reset link built from it could point at an attacker's site).

use std::fmt;
use std::str::FromStr;

/// An `http` or `https` origin: scheme, host and optional port, no path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicUrl {
    /// `https://auth.example.com` (no trailing slash).
    origin: String,
    /// `auth.example.com` (no port).
    host: String,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a public URL: expected http:// or https://, a host, an optional port \
     and no path, e.g. https://auth.example.com"
)]
pub struct InvalidPublicUrl(pub String);

impl PublicUrl {
    /// `https://auth.example.com`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The host name alone: what mails call the site, and the domain of
    /// their `Message-ID`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The address of `path` (which starts with `/`) on the site.
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }
}

impl FromStr for PublicUrl {
    type Err = InvalidPublicUrl;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidPublicUrl(text.to_owned());
        let trimmed = text.trim();
        let (scheme, rest) = trimmed.split_once("://").ok_or_else(invalid)?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(invalid());
        }
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        let allowed = |c: char| c.is_ascii_alphanumeric() || "-.:[]".contains(c);
        if authority.is_empty() || !authority.chars().all(allowed) {
            // A path, a query, user info or spaces: none belongs in an origin.
            return Err(invalid());
        }
        let authority = authority.to_ascii_lowercase();
        let host = match authority.strip_prefix('[') {
            // An IPv6 literal: `[::1]:3000`.
            Some(literal) => {
                let (address, after) = literal.split_once(']').ok_or_else(invalid)?;
                address
                    .parse::<std::net::Ipv6Addr>()
                    .map_err(|_| invalid())?;
                check_port(after.strip_prefix(':'), after.is_empty()).ok_or_else(invalid)?;
                format!("[{address}]")
            }
            None => {
                let (host, port) = match authority.split_once(':') {
                    Some((host, port)) => (host, Some(port)),
                    None => (authority.as_str(), None),
                };
                check_port(port, port.is_none()).ok_or_else(invalid)?;
                if host.is_empty() || host.contains(['[', ']']) {
                    return Err(invalid());
                }
                host.to_owned()
            }
        };
        Ok(Self {
            origin: format!("{scheme}://{authority}"),
            host,
        })
    }
}

/// `Some(())` when the port is absent (`absent_ok`) or a number 1–65535.
fn check_port(port: Option<&str>, absent_ok: bool) -> Option<()> {
    match port {
        None => absent_ok.then_some(()),
        Some(port) => port
            .parse::<u16>()
            .ok()
            .filter(|&port| port != 0)
            .map(|_| ()),
    }
}

impl fmt::Display for PublicUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin)
    }
}

impl Default for PublicUrl {
    /// Where `make run` serves.
    fn default() -> Self {
        "http://127.0.0.1:3000".parse().expect("a valid origin")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_kept_without_their_slash() {
        let url: PublicUrl = "https://Auth.Example.com/".parse().unwrap();
        assert_eq!(url.origin(), "https://auth.example.com");
        assert_eq!(url.host(), "auth.example.com");
        assert_eq!(
            url.link("/reset-password/MQ/x"),
            "https://auth.example.com/reset-password/MQ/x"
        );
        let local: PublicUrl = "http://127.0.0.1:3000".parse().unwrap();
        assert_eq!(local.host(), "127.0.0.1");
        let six: PublicUrl = "http://[::1]:8080".parse().unwrap();
        assert_eq!((six.origin(), six.host()), ("http://[::1]:8080", "[::1]"));
    }

    #[test]
    fn anything_but_an_origin_is_refused() {
        for bad in [
            "",
            "auth.example.com",
            "ftp://auth.example.com",
            "https://",
            "https://auth.example.com/app",
            "https://auth.example.com?x=1",
            "https://user@auth.example.com",
            "https://auth.example.com:0",
            "https://auth.example.com:99999",
            "https://auth.example.com:",
            "https://[::1",
            "https://a b.example",
            "https://evil.example#@auth.example.com",
        ] {
            assert!(bad.parse::<PublicUrl>().is_err(), "{bad:?}");
        }
    }
}
