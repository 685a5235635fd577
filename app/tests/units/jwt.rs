//! The token inspector's decoding and pretty-printing.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use tessera_app::jwt::*;

// Header {"alg":"HS256","typ":"JWT"}, payload {"token_type":"access","exp":20,"iat":10,"jti":"j","user_id":"1"}.
const TOKEN: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwiZXhwIjoyMCwiaWF0IjoxMCwianRpIjoiaiIsInVzZXJfaWQiOiIxIn0.c2ln";

#[test]
fn decodes_header_payload_and_times() {
    let decoded = decode(TOKEN).expect("decodes");
    assert_eq!(
        decoded.header,
        "{\n  \"alg\": \"HS256\",\n  \"typ\": \"JWT\"\n}"
    );
    assert!(decoded
        .payload
        .starts_with("{\n  \"token_type\": \"access\",\n  \"exp\": 20,"));
    assert_eq!(decoded.times, TokenTimes { iat: 10, exp: 20 });
    assert_eq!(decoded.times.lifetime(), 10);
    assert_eq!(decoded.signature, "c2ln");
}

#[test]
fn pretty_printing_keeps_order_strings_and_nesting() {
    assert_eq!(pretty(r#"{"b":1,"a":[1,2],"e":{},"s":"x,{\"y\":1}"}"#),
        "{\n  \"b\": 1,\n  \"a\": [\n    1,\n    2\n  ],\n  \"e\": {},\n  \"s\": \"x,{\\\"y\\\":1}\"\n}");
    assert_eq!(pretty("[]"), "[]");
}

#[test]
fn rejects_what_is_not_a_token() {
    for bad in [
        "",
        "a.b",
        "a.b.c.d",
        "!!!.???.sig",
        "e30.e30.sig",
        "garbage",
    ] {
        assert_eq!(decode(bad), None, "{bad}");
    }
}

#[test]
fn reads_the_key_a_token_is_bound_to() {
    let token = |payload: &str| format!("e30.{}.sig", URL_SAFE_NO_PAD.encode(payload));
    assert_eq!(
        bound_key(&token(r#"{"cnf":{"jkt":"abc"},"exp":2}"#)).as_deref(),
        Some("abc")
    );
    for unbound in [
        r#"{"exp":2}"#,
        r#"{"cnf":null}"#,
        r#"{"cnf":{"jkt":1}}"#,
        "not json",
    ] {
        assert_eq!(bound_key(&token(unbound)), None, "{unbound}");
    }
}
