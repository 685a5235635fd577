//! JSON Web Tokens: minting and verifying simplejwt-shaped access and refresh
//! tokens. This module knows the cryptography and the claims; whether a token
//! has been revoked is the registry's and the store's business.

pub(crate) mod verified_cache;

use std::sync::Arc;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::core::hex::random_id;
use crate::keys::{KeyState, SharedKeyring, SigningAlgorithm};

/// How far in the future `iat` may be beyond the leeway (see `verify`).
pub const ISSUED_AT_SKEW_SECS: i64 = 1;

/// Longer tokens are rejected before any parsing: ours are about 300 bytes.
pub const MAX_TOKEN_BYTES: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenType {
    Access,
    Refresh,
}

impl TokenType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Refresh => "refresh",
        }
    }
}

/// Why a token was refused, with simplejwt's wording.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("Token is invalid")]
    Invalid,
    #[error("Token is expired")]
    Expired,
    #[error("Token has no 'exp' claim")]
    NoExpiry,
    #[error("Token has no id")]
    NoId,
    #[error("Token has no type")]
    NoType,
    #[error("Token has wrong type")]
    WrongType,
    #[error("Token is blacklisted")]
    Blacklisted,
}

/// The `user_id` claim as found in a verified token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UserClaim {
    Missing,
    /// Present but not an id this server could have issued.
    Unrecognized,
    Id(i64),
}

/// The claims of a token whose signature and lifetime have been checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claims {
    pub token_type: Option<String>,
    pub exp: i64,
    pub iat: Option<i64>,
    pub jti: String,
    pub user: UserClaim,
    /// The session (refresh-token family) the token belongs to. Tokens minted
    /// by Tessera always have one; a token minted elsewhere with our key may not.
    pub sid: Option<String>,
    /// The thumbprint of the DPoP key the token is bound to (`cnf.jkt`):
    /// it is accepted only with a proof of that key.
    pub jkt: Option<String>,
}

/// A freshly minted token and the claims the store needs to remember.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MintedToken {
    pub token: String,
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
}

/// What to put in a new token.
#[derive(Clone, Debug)]
pub struct TokenSpec<'a> {
    pub token_type: TokenType,
    pub user_id: i64,
    pub session_id: &'a str,
    pub iat: i64,
    pub exp: i64,
    /// `None`: a fresh random id.
    pub jti: Option<&'a str>,
    /// The thumbprint of the DPoP key the token is bound to (`cnf.jkt`).
    pub bound_to: Option<&'a str>,
}

/// RFC 7800's confirmation claim, as RFC 9449 §6.1 fills it.
#[derive(Serialize)]
struct Confirmation<'a> {
    jkt: &'a str,
}

#[derive(Serialize)]
struct OutgoingClaims<'a> {
    token_type: &'static str,
    exp: i64,
    iat: i64,
    jti: &'a str,
    user_id: String,
    sid: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cnf: Option<Confirmation<'a>>,
}

/// Everything is optional here: absence is reported with simplejwt's
/// messages after the signature has been checked, not as a parse error.
#[derive(Deserialize)]
struct IncomingClaims {
    token_type: Option<Value>,
    exp: Option<Value>,
    iat: Option<Value>,
    nbf: Option<Value>,
    jti: Option<Value>,
    user_id: Option<Value>,
    sid: Option<Value>,
    iss: Option<Value>,
    aud: Option<Value>,
    cnf: Option<Value>,
}

/// The key a token names, as the token inspector shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenKey {
    pub algorithm: SigningAlgorithm,
    pub kid: Option<String>,
    pub state: KeyState,
}

/// Signs tokens with the keyring's current key and verifies them with the
/// key their header names.
pub struct TokenCodec {
    keys: Arc<SharedKeyring>,
    leeway: i64,
    issuer: Option<String>,
    audience: Option<String>,
}

impl std::fmt::Debug for TokenCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("TokenCodec")
            .field("leeway", &self.leeway)
            .finish_non_exhaustive()
    }
}

impl TokenCodec {
    /// A codec with one HS256 key, `key`, as simplejwt's `SIGNING_KEY`
    /// (benchmarks and tests; the server's keys come from [`crate::keys::Keys`]).
    #[cfg(any(test, feature = "bench"))]
    pub fn new(
        key: &[u8],
        leeway_secs: u64,
        issuer: Option<String>,
        audience: Option<String>,
    ) -> Result<Self, jsonwebtoken::errors::Error> {
        use crate::keys::{Keyring, LoadedKey, TokenSigner};
        use jsonwebtoken::DecodingKey;
        let only = LoadedKey::new(
            1,
            "hs256".to_owned(),
            SigningAlgorithm::HS256,
            (0, 0, None),
            Some(TokenSigner::new(SigningAlgorithm::HS256, key).expect("HMAC takes any key")),
            DecodingKey::from_secret(key)?,
            None,
        );
        let ring = Arc::new(SharedKeyring::new(Keyring::new(vec![only], 1, 0)));
        Ok(Self::with_keys(ring, leeway_secs, issuer, audience))
    }

    /// A codec reading its keys from `keys`, which may change under it.
    pub fn with_keys(
        keys: Arc<SharedKeyring>,
        leeway_secs: u64,
        issuer: Option<String>,
        audience: Option<String>,
    ) -> Self {
        // RFC 8725 §3.1: exactly one algorithm per key, checked against the
        // header before any signature work (`Keyring::candidates`, and each
        // key's `Validation`). jsonwebtoken would read the wall clock for
        // `exp`/`nbf`: those, `iss` and `aud` are checked in `verify`, in
        // PyJWT's order, at the caller's `now`.
        Self {
            keys,
            leeway: i64::try_from(leeway_secs).unwrap_or(i64::MAX),
            issuer,
            audience,
        }
    }

    /// The algorithm, key id and key state of a token whose signature checks
    /// out at `now`; `None` if no key this process holds verifies it.
    pub fn key_of(&self, token: &str, now: i64) -> Option<TokenKey> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        let ring = self.keys.current();
        let key = ring.candidates(&header, now).find(|key| {
            jsonwebtoken::decode::<Value>(token, &key.verifier, &key.validation).is_ok()
        })?;
        Some(TokenKey {
            algorithm: key.algorithm,
            kid: header.kid.clone(),
            state: ring.state(key, now),
        })
    }

    /// The clock skew tolerated on `exp` and `nbf`, in seconds.
    pub fn leeway(&self) -> i64 {
        self.leeway
    }

    /// Signs with the key that signed at `spec.iat`: a token minted again
    /// (a refresh replayed within the overlap) comes out the same, and no
    /// token outlives the verification of the key that signed it.
    pub fn mint(&self, spec: &TokenSpec<'_>) -> MintedToken {
        let ring = self.keys.current();
        let key = ring
            .signer(spec.iat)
            .expect("a started keyring always holds a key it can sign with");
        let jti = spec.jti.map_or_else(random_id, str::to_owned);
        let claims = OutgoingClaims {
            token_type: spec.token_type.as_str(),
            exp: spec.exp,
            iat: spec.iat,
            jti: &jti,
            user_id: spec.user_id.to_string(),
            sid: spec.session_id,
            iss: self.issuer.as_deref(),
            aud: self.audience.as_deref(),
            cnf: spec.bound_to.map(|jkt| Confirmation { jkt }),
        };
        let payload = serde_json::to_vec(&claims).expect("claims always serialize");
        let mut token = String::with_capacity(key.encoded_header.len() + payload.len() * 2 + 48);
        token.push_str(&key.encoded_header);
        token.push('.');
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode_string(&payload, &mut token);
        let signer = key.signer.as_ref().expect("the signer can sign");
        let signature = signer.sign(token.as_bytes());
        token.push('.');
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode_string(&signature, &mut token);
        MintedToken {
            token,
            jti,
            iat: spec.iat,
            exp: spec.exp,
        }
    }

    /// Verifies signature, lifetime and the claims simplejwt requires, in
    /// simplejwt's order (PyJWT's registered claims first: `iat`, `nbf`,
    /// `exp`, `iss`, `aud`), so the first problem found is the one reported.
    /// `expected`: the token type required, or `None` for any (`verify/`).
    /// `now`: the instant of the request, in Unix seconds.
    pub fn verify(
        &self,
        token: &str,
        expected: Option<TokenType>,
        now: i64,
    ) -> Result<Claims, TokenError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(TokenError::Invalid);
        }
        let claims = self.verified_claims(token, now)?;

        // PyJWT refuses a token issued in the future (beyond the leeway);
        // simplejwt reports that as invalid. One second more is allowed:
        // `iat` and `now` are whole seconds, and a token minted by another
        // instance whose clock is a millisecond ahead across a second
        // boundary would otherwise be refused here for up to a second.
        if let Some(iat) = &claims.iat {
            let iat = as_integer(iat).ok_or(TokenError::Invalid)?;
            if iat
                > now
                    .saturating_add(self.leeway)
                    .saturating_add(ISSUED_AT_SKEW_SECS)
            {
                return Err(TokenError::Invalid);
            }
        }
        if let Some(nbf) = &claims.nbf {
            let nbf = as_integer(nbf).ok_or(TokenError::Invalid)?;
            if nbf > now.saturating_add(self.leeway) {
                return Err(TokenError::Invalid);
            }
        }
        let exp = match &claims.exp {
            None => None,
            Some(value) => Some(as_integer(value).ok_or(TokenError::Invalid)?),
        };
        // PyJWT, comparing with a fractional clock, refuses a token from its
        // `exp` second on: in whole seconds that is `exp <= now`.
        if exp.is_some_and(|exp| exp <= now.saturating_sub(self.leeway)) {
            return Err(TokenError::Expired);
        }
        self.check_issuer_and_audience(&claims)?;
        let exp = exp.ok_or(TokenError::NoExpiry)?;
        let jti = match claims.jti {
            None => return Err(TokenError::NoId),
            Some(Value::String(jti)) => jti,
            Some(other) => other.to_string(),
        };
        let token_type = match (claims.token_type, expected) {
            (None, Some(_)) => return Err(TokenError::NoType),
            (Some(Value::String(found)), Some(expected)) if found != expected.as_str() => {
                return Err(TokenError::WrongType)
            }
            (Some(Value::String(found)), _) => Some(found),
            (Some(_), Some(_)) => return Err(TokenError::WrongType),
            (Some(other), None) => Some(other.to_string()),
            (None, None) => None,
        };
        let iat = match claims.iat {
            None => None,
            Some(value) => Some(as_integer(&value).ok_or(TokenError::Invalid)?),
        };
        let user = match claims.user_id {
            None | Some(Value::Null) => UserClaim::Missing,
            Some(Value::String(text)) => {
                text.parse().map_or(UserClaim::Unrecognized, UserClaim::Id)
            }
            Some(Value::Number(number)) => number
                .as_i64()
                .map_or(UserClaim::Unrecognized, UserClaim::Id),
            Some(_) => UserClaim::Unrecognized,
        };
        let sid = match claims.sid {
            None => None,
            Some(Value::String(sid)) => Some(sid),
            Some(_) => return Err(TokenError::Invalid),
        };
        // A confirmation this server cannot check (a certificate's, RFC
        // 8705) must not be mistaken for none.
        let jkt = match claims.cnf {
            None => None,
            Some(Value::Object(mut cnf)) => match cnf.remove("jkt") {
                Some(Value::String(jkt)) if cnf.is_empty() => Some(jkt),
                _ => return Err(TokenError::Invalid),
            },
            Some(_) => return Err(TokenError::Invalid),
        };
        Ok(Claims {
            token_type,
            exp,
            iat,
            jti,
            user,
            sid,
            jkt,
        })
    }

    /// The claims of a token whose signature one of the keys its header
    /// allows (its `kid`'s, or for none, each HMAC secret) checks out.
    fn verified_claims(&self, token: &str, now: i64) -> Result<IncomingClaims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        let ring = self.keys.current();
        for key in ring.candidates(&header, now) {
            if let (Some(public), jsonwebtoken::Algorithm::ES256) = (&key.p256_public, header.alg) {
                match es256_claims(token, public) {
                    Ok(claims) => return Ok(claims),
                    Err(Es256Refusal::Signature) => continue,
                    Err(Es256Refusal::Invalid) => return Err(TokenError::Invalid),
                }
            }
            match jsonwebtoken::decode::<IncomingClaims>(token, &key.verifier, &key.validation) {
                Ok(data) => return Ok(data.claims),
                Err(error)
                    if matches!(
                        error.kind(),
                        jsonwebtoken::errors::ErrorKind::InvalidSignature
                    ) => {}
                Err(_) => return Err(TokenError::Invalid),
            }
        }
        Err(TokenError::Invalid)
    }

    /// PyJWT's rules: a configured issuer must match; a token naming an
    /// audience is refused unless it names the configured one.
    fn check_issuer_and_audience(&self, claims: &IncomingClaims) -> Result<(), TokenError> {
        if let Some(issuer) = &self.issuer {
            match &claims.iss {
                Some(Value::String(found)) if found == issuer => {}
                _ => return Err(TokenError::Invalid),
            }
        }
        let names = |wanted: &str| match &claims.aud {
            Some(Value::String(found)) => found == wanted,
            Some(Value::Array(found)) => found.iter().any(|value| value == wanted),
            _ => false,
        };
        match (&self.audience, &claims.aud) {
            (None, None) => Ok(()),
            (None, Some(_)) => Err(TokenError::Invalid),
            (Some(audience), _) if names(audience) => Ok(()),
            (Some(_), _) => Err(TokenError::Invalid),
        }
    }
}

/// Why [`es256_claims`] refused a token: another key may have signed it,
/// or it is no token at all.
enum Es256Refusal {
    Signature,
    Invalid,
}

/// What `jsonwebtoken::decode` does for an ES256 key with the codec's
/// validation (signature, then the claims as JSON; the claims' rules are
/// checked by the caller), with ring's P-256: a tenth of the pure-Rust
/// check's time, which a refresh or a first request with an ES256 token
/// pays. The same refusals: a token of other than three parts, or with a
/// part that is not unpadded base64url, is invalid; a signature that does
/// not verify lets the next key try.
fn es256_claims(
    token: &str,
    public: &ring::signature::UnparsedPublicKey<Vec<u8>>,
) -> Result<IncomingClaims, Es256Refusal> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (message, signature) = token.rsplit_once('.').ok_or(Es256Refusal::Invalid)?;
    let (_, payload) = message.split_once('.').ok_or(Es256Refusal::Invalid)?;
    if payload.contains('.') {
        return Err(Es256Refusal::Invalid);
    }
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| Es256Refusal::Invalid)?;
    public
        .verify(message.as_bytes(), &signature)
        .map_err(|_| Es256Refusal::Signature)?;
    let payload = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| Es256Refusal::Invalid)?;
    serde_json::from_slice(&payload).map_err(|_| Es256Refusal::Invalid)
}

/// A JSON number as whole seconds (PyJWT truncates floats the same way).
pub(crate) fn as_integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(number) => number
            .as_i64()
            .or_else(|| number.as_f64().filter(|f| f.is_finite()).map(|f| f as i64)),
        _ => None,
    }
}

/// The header every HS256 token carries, byte for byte as PyJWT writes it.
#[cfg(test)]
const HEADER_JSON: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod properties;
