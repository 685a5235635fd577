//! JSON Web Tokens: minting and verifying simplejwt-shaped access and refresh
//! tokens. This module knows the cryptography and the claims; whether a token
//! has been revoked is the registry's and the store's business.

use std::sync::Arc;

use base64::Engine as _;
use jsonwebtoken::{DecodingKey, EncodingKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::hex::random_id;
use crate::keys::{KeyState, Keyring, LoadedKey, SharedKeyring, SigningAlgorithm};

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

    /// simplejwt's class name for this type, as its error bodies show it.
    pub fn class_name(self) -> &'static str {
        match self {
            Self::Access => "AccessToken",
            Self::Refresh => "RefreshToken",
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
    pub fn new(
        key: &[u8],
        leeway_secs: u64,
        issuer: Option<String>,
        audience: Option<String>,
    ) -> Result<Self, jsonwebtoken::errors::Error> {
        let only = LoadedKey::new(
            1,
            "hs256".to_owned(),
            SigningAlgorithm::HS256,
            (0, 0, None),
            Some(EncodingKey::from_secret(key)?),
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
        };
        let payload = serde_json::to_vec(&claims).expect("claims always serialize");
        let mut token = String::with_capacity(key.encoded_header.len() + payload.len() * 2 + 48);
        token.push_str(&key.encoded_header);
        token.push('.');
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode_string(&payload, &mut token);
        let signer = key.signer.as_ref().expect("the signer can sign");
        let signature = jsonwebtoken::crypto::sign(token.as_bytes(), signer, key.algorithm.jwt())
            .expect("signing cannot fail with a key that loaded");
        token.push('.');
        token.push_str(&signature);
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
        Ok(Claims {
            token_type,
            exp,
            iat,
            jti,
            user,
            sid,
        })
    }

    /// The claims of a token whose signature one of the keys its header
    /// allows (its `kid`'s, or for none, each HMAC secret) checks out.
    fn verified_claims(&self, token: &str, now: i64) -> Result<IncomingClaims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        let ring = self.keys.current();
        for key in ring.candidates(&header, now) {
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

/// A JSON number as whole seconds (PyJWT truncates floats the same way).
fn as_integer(value: &Value) -> Option<i64> {
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
mod tests {
    use super::*;
    use crate::clock::{Clock, SystemClock};
    use jsonwebtoken::Algorithm;

    fn now_unix() -> i64 {
        SystemClock.now()
    }

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef-test-key";

    fn codec() -> TokenCodec {
        TokenCodec::new(KEY, 0, None, None).unwrap()
    }

    fn spec(token_type: TokenType, exp_in: i64) -> TokenSpec<'static> {
        let now = now_unix();
        TokenSpec {
            token_type,
            user_id: 7,
            session_id: "s1",
            iat: now,
            exp: now + exp_in,
            jti: None,
        }
    }

    fn b64(json: &str) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    /// Signs arbitrary header and payload JSON with the test key.
    fn forge(header: &str, payload: &str, key: &[u8]) -> String {
        let message = format!("{}.{}", b64(header), b64(payload));
        let signature = jsonwebtoken::crypto::sign(
            message.as_bytes(),
            &EncodingKey::from_secret(key).unwrap(),
            Algorithm::HS256,
        )
        .unwrap();
        format!("{message}.{signature}")
    }

    fn payload_with(fields: &str) -> String {
        format!(r#"{{"exp":{},{fields}}}"#, now_unix() + 60)
    }

    #[test]
    fn minted_tokens_have_pyjwt_header_and_simplejwt_claims() {
        let minted = codec().mint(&spec(TokenType::Access, 300));
        let parts: Vec<&str> = minted.token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(parts[0])
            .unwrap();
        assert_eq!(header, HEADER_JSON.as_bytes());
        let payload: Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(parts[1])
                .unwrap(),
        )
        .unwrap();
        assert_eq!(payload["token_type"], "access");
        assert_eq!(payload["user_id"], "7");
        assert_eq!(payload["jti"].as_str().unwrap().len(), 32);
        assert!(payload["exp"].is_i64() && payload["iat"].is_i64());
    }

    #[test]
    fn a_minted_token_verifies_with_its_type() {
        let codec = codec();
        let minted = codec.mint(&spec(TokenType::Refresh, 300));
        let claims = codec
            .verify(&minted.token, Some(TokenType::Refresh), now_unix())
            .unwrap();
        assert_eq!(claims.user, UserClaim::Id(7));
        assert_eq!(claims.jti, minted.jti);
        assert_eq!(claims.sid.as_deref(), Some("s1"));
        assert_eq!(
            codec.verify(&minted.token, Some(TokenType::Access), now_unix()),
            Err(TokenError::WrongType)
        );
        assert!(codec.verify(&minted.token, None, now_unix()).is_ok());
    }

    #[test]
    fn minting_twice_with_the_same_claims_gives_the_same_token() {
        let codec = codec();
        let mut spec = spec(TokenType::Refresh, 300);
        spec.jti = Some("0123456789abcdef0123456789abcdef");
        assert_eq!(codec.mint(&spec).token, codec.mint(&spec).token);
    }

    #[test]
    fn expired_tokens_are_expired_unless_within_leeway() {
        let minted = codec().mint(&spec(TokenType::Access, -10));
        assert_eq!(
            codec().verify(&minted.token, None, now_unix()),
            Err(TokenError::Expired)
        );
        let lenient = TokenCodec::new(KEY, 30, None, None).unwrap();
        assert!(lenient.verify(&minted.token, None, now_unix()).is_ok());
    }

    #[test]
    fn a_token_is_expired_from_its_exp_second_on_as_in_pyjwt() {
        let minted = codec().mint(&spec(TokenType::Access, 0));
        assert_eq!(
            codec().verify(&minted.token, None, now_unix()),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn expiry_is_judged_at_the_instant_given_not_the_wall_clock() {
        let codec = codec();
        let minted = codec.mint(&TokenSpec {
            token_type: TokenType::Access,
            user_id: 7,
            session_id: "s1",
            iat: 1_000,
            exp: 1_300,
            jti: None,
        });
        assert!(codec.verify(&minted.token, None, 1_299).is_ok());
        assert_eq!(
            codec.verify(&minted.token, None, 1_300),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn a_token_issued_in_the_future_is_invalid_beyond_the_leeway() {
        let minted = codec().mint(&TokenSpec {
            token_type: TokenType::Access,
            user_id: 7,
            session_id: "s1",
            iat: 2_000,
            exp: 2_300,
            jti: None,
        });
        assert_eq!(
            codec().verify(&minted.token, None, 1_998),
            Err(TokenError::Invalid)
        );
        // Another instance's clock a moment ahead, across a second boundary.
        assert!(codec().verify(&minted.token, None, 1_999).is_ok());
        let lenient = TokenCodec::new(KEY, 5, None, None).unwrap();
        assert!(lenient.verify(&minted.token, None, 1_994).is_ok());
        assert!(lenient.verify(&minted.token, None, 1_993).is_err());
    }

    #[test]
    fn a_token_not_valid_before_a_later_instant_is_invalid() {
        let payload = format!(
            r#"{{"exp":{},"nbf":{},"token_type":"access","jti":"j","user_id":"1"}}"#,
            now_unix() + 600,
            now_unix() + 60
        );
        let token = forge(HEADER_JSON, &payload, KEY);
        assert_eq!(
            codec().verify(&token, None, now_unix()),
            Err(TokenError::Invalid)
        );
        assert!(codec().verify(&token, None, now_unix() + 60).is_ok());
    }

    #[test]
    fn another_key_or_a_tampered_token_is_invalid() {
        let minted = codec().mint(&spec(TokenType::Access, 300));
        let other =
            TokenCodec::new(b"another-key-another-key-another-key!", 0, None, None).unwrap();
        assert_eq!(
            other.verify(&minted.token, None, now_unix()),
            Err(TokenError::Invalid)
        );
        let mut tampered = minted.token.clone();
        tampered.insert(tampered.len() / 2, 'x');
        assert_eq!(
            codec().verify(&tampered, None, now_unix()),
            Err(TokenError::Invalid)
        );
        for junk in [
            "",
            "a",
            "a.b",
            "a.b.c",
            "a.b.c.d",
            "...",
            &"x".repeat(200_000),
        ] {
            assert_eq!(
                codec().verify(junk, None, now_unix()),
                Err(TokenError::Invalid),
                "{junk:.20}"
            );
        }
    }

    #[test]
    fn alg_none_and_other_algorithms_are_refused() {
        let payload = payload_with(r#""token_type":"access","jti":"j","user_id":"1""#);
        let unsigned = format!(
            "{}.{}.",
            b64(r#"{"alg":"none","typ":"JWT"}"#),
            b64(&payload)
        );
        assert_eq!(
            codec().verify(&unsigned, None, now_unix()),
            Err(TokenError::Invalid)
        );
        let message = format!(
            "{}.{}",
            b64(r#"{"alg":"HS512","typ":"JWT"}"#),
            b64(&payload)
        );
        let signature = jsonwebtoken::crypto::sign(
            message.as_bytes(),
            &EncodingKey::from_secret(KEY).unwrap(),
            Algorithm::HS512,
        )
        .unwrap();
        let hs512 = format!("{message}.{signature}");
        assert_eq!(
            codec().verify(&hs512, None, now_unix()),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn missing_claims_are_reported_in_simplejwts_order() {
        let header = HEADER_JSON;
        let check = |payload: &str, expected: Option<TokenType>| {
            codec().verify(&forge(header, payload, KEY), expected, now_unix())
        };
        assert_eq!(
            check(
                r#"{"token_type":"access","jti":"j","user_id":"1"}"#,
                Some(TokenType::Access)
            ),
            Err(TokenError::NoExpiry)
        );
        assert_eq!(
            check(
                &payload_with(r#""token_type":"access","user_id":"1""#),
                Some(TokenType::Access)
            ),
            Err(TokenError::NoId)
        );
        assert_eq!(
            check(
                &payload_with(r#""jti":"j","user_id":"1""#),
                Some(TokenType::Access)
            ),
            Err(TokenError::NoType)
        );
        let numeric = check(
            &payload_with(r#""token_type":"access","jti":"j","user_id":1"#),
            Some(TokenType::Access),
        );
        assert_eq!(numeric.unwrap().user, UserClaim::Id(1));
        let no_user = check(
            &payload_with(r#""token_type":"access","jti":"j""#),
            Some(TokenType::Access),
        );
        assert_eq!(no_user.unwrap().user, UserClaim::Missing);
    }

    #[test]
    fn issuer_and_audience_are_set_and_required_when_configured() {
        let strict = TokenCodec::new(KEY, 0, Some("tessera".into()), Some("api".into())).unwrap();
        let minted = strict.mint(&spec(TokenType::Access, 300));
        assert!(strict.verify(&minted.token, None, now_unix()).is_ok());
        let plain = codec().mint(&spec(TokenType::Access, 300));
        assert_eq!(
            strict.verify(&plain.token, None, now_unix()),
            Err(TokenError::Invalid)
        );
        // A token meant for someone else is not ours to accept either.
        assert_eq!(
            codec().verify(&minted.token, None, now_unix()),
            Err(TokenError::Invalid)
        );
    }
}

#[cfg(test)]
mod properties {
    use base64::Engine as _;
    use proptest::prelude::*;

    use super::*;
    use jsonwebtoken::Algorithm;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef-test-key";

    fn codec() -> TokenCodec {
        TokenCodec::new(KEY, 0, None, None).unwrap()
    }

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// Any text: a verdict from the documented list, never a panic.
        #[test]
        fn any_text_is_refused_without_panic(text in ".{0,600}") {
            prop_assert!(codec().verify(&text, None, 1_000).is_err());
        }

        /// Three base64 parts of anything (the shape of a JWT): refused, and
        /// as invalid (no key signed them), never a panic.
        #[test]
        fn any_jwt_shaped_text_is_invalid(
            header in proptest::collection::vec(any::<u8>(), 0..120),
            payload in proptest::collection::vec(any::<u8>(), 0..300),
            signature in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let token = format!("{}.{}.{}", b64(&header), b64(&payload), b64(&signature));
            prop_assert_eq!(codec().verify(&token, None, 1_000), Err(TokenError::Invalid));
        }

        /// Claims of any JSON shape, properly signed: a verdict, never a
        /// panic, and only the messages simplejwt has.
        #[test]
        fn any_signed_payload_gets_a_documented_verdict(payload in "\\{.{0,200}\\}") {
            let message = format!("{}.{}", b64(HEADER_JSON.as_bytes()), b64(payload.as_bytes()));
            let signature = jsonwebtoken::crypto::sign(
                message.as_bytes(),
                &EncodingKey::from_secret(KEY).unwrap(),
                Algorithm::HS256,
            )
            .unwrap();
            let _ = codec().verify(&format!("{message}.{signature}"), Some(TokenType::Access), 1_000);
        }

        /// One character changed anywhere in a good token: refused.
        #[test]
        fn a_changed_character_breaks_a_token(position in 0usize..400, replacement in "[A-Za-z0-9_-]") {
            let codec = codec();
            let minted = codec.mint(&TokenSpec {
                token_type: TokenType::Access,
                user_id: 7,
                session_id: "s1",
                iat: 1_000,
                exp: 2_000,
                jti: Some("0123456789abcdef0123456789abcdef"),
            });
            let mut token = minted.token.clone().into_bytes();
            let position = position % token.len();
            if token[position] == b'.' || token[position] == replacement.as_bytes()[0] {
                return Ok(());
            }
            token[position] = replacement.as_bytes()[0];
            let token = String::from_utf8(token).unwrap();
            prop_assert!(codec.verify(&token, None, 1_500).is_err(), "{}", token);
        }
    }
}
