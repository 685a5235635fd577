use super::*;
use crate::core::clock::{Clock, SystemClock};
use jsonwebtoken::{Algorithm, EncodingKey};

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
        bound_to: None,
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
        bound_to: None,
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
        bound_to: None,
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
    let other = TokenCodec::new(b"another-key-another-key-another-key!", 0, None, None).unwrap();
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
