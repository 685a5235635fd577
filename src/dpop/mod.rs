//! DPoP (RFC 9449): tokens bound to a key pair the client holds, so that a
//! token copied out of the browser is useless without the key. A client
//! proves possession with a fresh signed proof on every request; a token
//! issued to a client that did is bound (`cnf.jkt`) and is accepted only
//! with proofs of that key, for the life of its session.
//!
//! This module checks proofs against the request they came with: method,
//! URL, time (a window each way), the server's nonce when asked for, and
//! that the proof was never used before on any instance ([`replay`]).
//! Whether a token is bound, and what happens when its proof is missing, is
//! the sessions' business.

mod nonce;
pub mod proof;
mod replay;

use std::str::FromStr;
use std::time::Duration;

pub use proof::{DpopKey, ProofError, ACCEPTED_ALGORITHMS};

use crate::core::Core;
use crate::store::StoreError;

/// Whether tokens may, or must, be bound.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DpopMode {
    /// Proofs are ignored and no token is bound (a bound token, having no
    /// way to prove its key, is refused).
    Off,
    /// A client that sends a proof gets bound tokens; one that does not is
    /// answered exactly as without DPoP.
    #[default]
    Optional,
    /// Every token is bound: a login without a proof, and a token without
    /// a binding, are refused.
    Required,
}

impl FromStr for DpopMode {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "off" => Ok(Self::Off),
            "optional" => Ok(Self::Optional),
            "required" => Ok(Self::Required),
            other => Err(format!("{other:?} is not off, optional or required")),
        }
    }
}

/// A `WWW-Authenticate` challenge in the DPoP scheme (RFC 9449 §7.1):
/// `DPoP error="…", error_description="…", algs="…"`. The descriptions are
/// the core's fixed ASCII words; one with a quote or a backslash is left
/// out rather than escaped.
pub fn challenge(error: &str, description: Option<&str>) -> String {
    let description = description
        .filter(|words| !words.contains(['"', '\\']))
        .map(|words| format!(r#", error_description="{words}""#))
        .unwrap_or_default();
    format!(r#"DPoP error="{error}"{description}, algs="{ACCEPTED_ALGORITHMS}""#)
}

/// How DPoP is configured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DpopSettings {
    pub mode: DpopMode,
    /// How far a proof's `iat` may be from the server's clock, each way.
    pub proof_window: Duration,
    /// Ask clients to include a server nonce in their proofs.
    pub nonce: bool,
    /// Judge `htu` against the public URL (right behind a proxy) instead of
    /// the request's `Host`.
    pub htu_from_public_url: bool,
}

impl Default for DpopSettings {
    fn default() -> Self {
        Self {
            mode: DpopMode::Optional,
            proof_window: Duration::from_secs(60),
            nonce: false,
            htu_from_public_url: false,
        }
    }
}

/// The `DPoP` header(s) of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProofHeader<'a> {
    Absent,
    One(&'a [u8]),
    /// RFC 9449 §4.3: exactly one proof per request.
    Several,
}

impl<'a> ProofHeader<'a> {
    /// The header's values, as the request carried them.
    pub fn from_values(mut values: impl Iterator<Item = &'a [u8]>) -> Self {
        match (values.next(), values.next()) {
            (None, _) => Self::Absent,
            (Some(value), None) => Self::One(value),
            (Some(_), Some(_)) => Self::Several,
        }
    }
}

/// The request a proof must be for.
#[derive(Clone, Copy, Debug)]
pub struct ProofRequest<'a> {
    pub proof: ProofHeader<'a>,
    /// `GET`, `POST`, … as sent.
    pub method: &'a str,
    /// The request's `Host` header, if any (used when the public URL is not
    /// configured).
    pub host: Option<&'a str>,
    /// The request's path, without its query.
    pub path: &'a str,
}

/// Why DPoP refused a request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DpopError {
    /// The proof is malformed, for another request, stale, or used before;
    /// or none came where one is required.
    #[error("Invalid DPoP proof: {0}")]
    InvalidProof(&'static str),
    /// The proof lacks the server's current nonce: retry with `nonce`.
    #[error("The DPoP proof must carry the server's nonce")]
    UseNonce { nonce: String },
    /// A bound token without a proof of its key, with another key's, or an
    /// unbound token where binding is required.
    #[error("Token is invalid")]
    KeyMismatch,
}

impl From<ProofError> for DpopError {
    fn from(error: ProofError) -> Self {
        Self::InvalidProof(error.reason())
    }
}

/// The DPoP state a process keeps: its settings, its nonce key, and the
/// front of the replay store.
pub(crate) struct DpopGuard {
    pub settings: DpopSettings,
    window: i64,
    nonces: nonce::Nonces,
    replay: replay::SeenProofs,
}

impl DpopGuard {
    /// On SQLite, starts the task that records proofs (see [`replay`]).
    pub fn new(settings: DpopSettings, secret: &[u8], store: &crate::store::Store) -> Self {
        let window = i64::try_from(settings.proof_window.as_secs())
            .unwrap_or(i64::MAX)
            .max(1);
        Self {
            nonces: nonce::Nonces::new(secret, window),
            settings,
            window,
            replay: replay::SeenProofs::new(store, window),
        }
    }

    pub fn mode(&self) -> DpopMode {
        self.settings.mode
    }

    /// The nonce to hand out with an answer at `now`, when nonces are on.
    pub fn current_nonce(&self, now: i64) -> Option<String> {
        self.settings.nonce.then(|| self.nonces.at(now))
    }
}

/// Checks the proof `request` carries, if any: `Ok(None)` when there is
/// none (or DPoP is off), the proven key otherwise. `access_token`: the
/// token the proof must name in `ath` (resource requests).
pub(crate) async fn prove(
    core: &Core,
    request: &ProofRequest<'_>,
    access_token: Option<&[u8]>,
) -> Result<Option<DpopKey>, DpopError> {
    let guard = &core.dpop;
    if guard.mode() == DpopMode::Off {
        return Ok(None);
    }
    let proof = match request.proof {
        ProofHeader::Absent => return Ok(None),
        ProofHeader::Several => return Err(DpopError::InvalidProof("more than one DPoP header")),
        ProofHeader::One(proof) => proof::verify(proof)?,
    };
    if proof.htm != request.method {
        return Err(DpopError::InvalidProof("htm is not the request's method"));
    }
    let expected = target_url(core, request)
        .ok_or(DpopError::InvalidProof("the request's URL cannot be known"))?;
    let with_scheme = guard.settings.htu_from_public_url;
    if comparable_url(&proof.htu, with_scheme).as_deref() != Some(expected.as_str()) {
        return Err(DpopError::InvalidProof("htu is not the request's URL"));
    }
    let now = core.now();
    if proof.iat < now.saturating_sub(guard.window) || proof.iat > now.saturating_add(guard.window)
    {
        return Err(DpopError::InvalidProof(
            "iat is too far from the server's clock",
        ));
    }
    match access_token {
        Some(token) if proof.ath.as_deref() != Some(proof::token_hash(token).as_str()) => {
            return Err(DpopError::InvalidProof(
                "ath is not the access token's hash",
            ));
        }
        _ => {}
    }
    if guard.settings.nonce
        && !proof
            .nonce
            .as_deref()
            .is_some_and(|nonce| guard.nonces.accepts(nonce, now))
    {
        return Err(DpopError::UseNonce {
            nonce: guard.nonces.at(now),
        });
    }
    // Last: only a proof that would otherwise pass is remembered.
    let first_use = guard
        .replay
        .first_use(
            &proof.key,
            &proof.jti,
            proof.iat.saturating_add(guard.window),
            now,
        )
        .await
        .map_err(|error| {
            tracing::error!(%error, "could not record a DPoP proof");
            DpopError::InvalidProof("the server could not record the proof; retry")
        })?;
    if !first_use {
        return Err(DpopError::InvalidProof("the proof was used before"));
    }
    Ok(Some(proof.key))
}

/// Forgets proofs whose window has passed (the hourly flush).
pub(crate) async fn purge(core: &Core, now: i64) -> Result<u64, StoreError> {
    core.dpop.replay.forget_expired(now);
    core.store.purge_dpop_proofs(now).await
}

/// The URL the proof must name: the public URL's origin when configured
/// (behind a proxy the request's own URL is not what the client used),
/// else the request's `Host`; with the request's path.
fn target_url(core: &Core, request: &ProofRequest<'_>) -> Option<String> {
    let origin = if core.dpop.settings.htu_from_public_url {
        core.public_url.origin().to_owned()
    } else {
        format!("http://{}", request.host?)
    };
    comparable_url(
        &format!("{origin}{}", request.path),
        core.dpop.settings.htu_from_public_url,
    )
}

/// A URL as compared for `htu`: normalised as RFC 3986 §6.2.2-3 describe
/// (case of scheme and host, default port, percent-encoding, dot
/// segments), without query and fragment. `with_scheme: false` (no public
/// URL configured): the scheme is not known (TLS may end at a proxy), so
/// it is left out and `https://` and `http://` compare equal.
fn comparable_url(text: &str, with_scheme: bool) -> Option<String> {
    let mut url = url::Url::parse(text).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return None;
    }
    url.set_query(None);
    url.set_fragment(None);
    let path = normalised_percent_encoding(url.path());
    url.set_path(&path);
    let url = url.to_string();
    if with_scheme {
        Some(url)
    } else {
        url.split_once("://").map(|(_, rest)| rest.to_owned())
    }
}

/// RFC 3986 §6.2.2.1-2: an unreserved character percent-encoded is the
/// character itself; other escapes compare in upper case. (WHATWG parsing,
/// which `url` follows, leaves escapes as written.)
fn normalised_percent_encoding(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut normal = String::with_capacity(path.len());
    let mut at = 0;
    while at < bytes.len() {
        let escape = bytes
            .get(at + 1..at + 3)
            .filter(|hex| bytes[at] == b'%' && hex.iter().all(u8::is_ascii_hexdigit))
            .and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok());
        match escape {
            Some(byte) if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) => {
                normal.push(char::from(byte));
                at += 3;
            }
            Some(byte) => {
                normal.push_str(&format!("%{byte:02X}"));
                at += 3;
            }
            None => {
                let next = path[at..].chars().next().expect("within the path");
                normal.push(next);
                at += next.len_utf8();
            }
        }
    }
    normal
}

#[cfg(test)]
mod tests {
    use super::comparable_url;

    #[test]
    fn urls_compare_after_normalisation_without_query() {
        let with = |url| comparable_url(url, true);
        assert_eq!(
            with("HTTPS://Auth.Example.COM:443/api/token/?a=1#x").as_deref(),
            Some("https://auth.example.com/api/token/")
        );
        assert_eq!(with("http://h/a/./b/../c"), with("http://h/a/c"));
        assert_eq!(with("http://h/%7euser"), with("http://h/~user"));
        assert_eq!(with("http://h/a%2fb"), with("http://h/a%2Fb"));
        assert_ne!(with("http://h/a%2Fb"), with("http://h/a/b"));
        assert_ne!(with("https://h/x"), with("http://h/x"));
        assert_eq!(with("ftp://h/x"), None);
        assert_eq!(with("/api/token/"), None);
    }

    #[test]
    fn without_a_public_url_the_scheme_is_not_compared() {
        let without = |url| comparable_url(url, false);
        assert_eq!(without("https://h:8443/x"), without("http://h:8443/x"));
        assert_eq!(without("https://h/x"), Some("h/x".to_owned()));
        assert_ne!(without("https://h/x"), without("https://g/x"));
    }
}
