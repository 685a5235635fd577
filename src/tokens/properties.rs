use base64::Engine as _;
use proptest::prelude::*;

use super::*;
use jsonwebtoken::{Algorithm, EncodingKey};

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
            bound_to: None,
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
