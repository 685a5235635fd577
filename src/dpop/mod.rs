//! DPoP (RFC 9449): tokens bound to a key pair the client holds, so that a
//! token copied out of the browser is useless without the key. A client
//! proves possession with a fresh signed proof on every request; a token
//! issued to a client that did is bound (`cnf.jkt`) and is accepted only
//! with proofs of that key, for the life of its session.
//!
//! [`check`] checks proofs against the request they came with: method,
//! URL, time (a window each way), the server's nonce when asked for, and
//! that the proof was never used before on any instance ([`replay`]). This
//! file holds what the settings and the core keep: the mode, the settings,
//! the errors and the process's DPoP state.
//! Whether a token is bound, and what happens when its proof is missing, is
//! the sessions' business.

pub(crate) mod check;
mod nonce;
pub mod proof;
mod replay;

use std::str::FromStr;
use std::time::Duration;

pub use proof::{DpopKey, ProofError, ACCEPTED_ALGORITHMS};

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
