//! A proof checked against the request it came with (RFC 9449 §4.3):
//! method, URL, time, the server's nonce when asked for, and first use on
//! any instance. The checks read the process's DPoP state through the core.

use super::{proof, DpopError, DpopKey, DpopMode, ProofHeader, ProofRequest};
use crate::core::Core;
use crate::store::StoreError;

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
