//! Reading a JWT in the browser, for display and for timing refreshes. This
//! trusts nothing: the signature is the server's business, and a token that
//! does not decode is simply treated as no token.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::json::{self, Json};

/// A token split into its three dot-separated parts, with the first two decoded.
#[derive(Clone, Debug, PartialEq)]
pub struct DecodedJwt {
    pub encoded_header: String,
    pub encoded_payload: String,
    pub signature: String,
    /// The decoded header and payload, pretty-printed in the token's own key order.
    pub header: String,
    pub payload: String,
    pub times: TokenTimes,
}

/// The claims that say when a token lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenTimes {
    pub iat: i64,
    pub exp: i64,
}

impl TokenTimes {
    /// The integer `iat` and `exp` of a payload object.
    fn of(payload: &Json) -> Option<Self> {
        Some(Self {
            iat: payload.get("iat")?.as_i64()?,
            exp: payload.get("exp")?.as_i64()?,
        })
    }

    /// Seconds the token was issued for.
    pub fn lifetime(&self) -> i64 {
        (self.exp - self.iat).max(0)
    }
}

/// Splits and decodes a compact JWS; `None` unless it has three parts, a JSON
/// header and a JSON payload with integer `iat` and `exp`.
pub fn decode(token: &str) -> Option<DecodedJwt> {
    let (header, payload, signature) = parts(token)?;
    let (header_json, _) = json_text(header)?;
    let (payload_json, payload_value) = json_text(payload)?;
    let times = TokenTimes::of(&payload_value)?;
    Some(DecodedJwt {
        encoded_header: header.to_owned(),
        encoded_payload: payload.to_owned(),
        signature: signature.to_owned(),
        header: pretty(&header_json),
        payload: pretty(&payload_json),
        times,
    })
}

/// The `iat`/`exp` pair of a token that [`decode`] accepts. The session asks
/// often (every refresh decision), so this skips the pretty-printing.
pub fn times(token: &str) -> Option<TokenTimes> {
    let (header, payload, _) = parts(token)?;
    json_text(header)?;
    TokenTimes::of(&json_text(payload)?.1)
}

/// The thumbprint of the DPoP key a token is bound to (`cnf.jkt`), if any:
/// such a token is sent as `Authorization: DPoP` with a proof of that key.
pub fn bound_key(token: &str) -> Option<String> {
    let (_, payload, _) = parts(token)?;
    let (_, payload) = json_text(payload)?;
    Some(payload.get("cnf")?.get("jkt")?.as_str()?.to_owned())
}

fn parts(token: &str) -> Option<(&str, &str, &str)> {
    let mut parts = token.split('.');
    let three = (parts.next()?, parts.next()?, parts.next()?);
    parts.next().is_none().then_some(three)
}

/// A base64url part decoded to text that is valid JSON, and its value.
fn json_text(part: &str) -> Option<(String, Json)> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(part).ok()?).ok()?;
    let value = json::parse(&text)?;
    Some((text, value))
}

/// Indents valid JSON text, keeping its key order (a parsed map would sort
/// the keys, and the inspector shows the token as it is).
pub fn pretty(json: &str) -> String {
    let mut out = String::with_capacity(json.len() * 2);
    let mut depth = 0usize;
    let (mut in_string, mut escaped) = (false, false);
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    let mut chars = json.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                let closes_at_once = matches!(chars.peek(), Some('}' | ']'));
                if !closes_at_once {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                if !out.ends_with(['{', '[']) {
                    depth = depth.saturating_sub(1);
                    newline(&mut out, depth);
                }
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}
