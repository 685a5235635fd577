//! The `Authorization` header, read the way simplejwt reads it. Both the REST
//! API and the UI's server functions use this one reading.

/// What the `Authorization` header holds, read the way simplejwt reads it.
#[derive(Debug, PartialEq, Eq)]
pub enum Credentials<'a> {
    /// No header, an empty one, or another scheme (`Token x`, `bearer x`).
    Absent,
    /// `Bearer` alone, or more than two parts.
    Malformed,
    Bearer(&'a [u8]),
    /// `DPoP <token>` (RFC 9449 §7): a bound token, proven by the request's
    /// `DPoP` header.
    Dpop(&'a [u8]),
}

/// Splits on ASCII whitespace as Python's `bytes.split()` does (so several
/// spaces between scheme and token are fine); `Bearer` is case-sensitive,
/// as simplejwt has it; `DPoP`, new, is case-insensitive, as RFC 9110 has
/// every scheme.
pub fn parse_authorization(value: &[u8]) -> Credentials<'_> {
    let value = trim(value);
    if let Some(rest) = value.strip_prefix(b"Bearer") {
        return token_after(rest, Credentials::Bearer);
    }
    match value.split_at_checked(4) {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case(b"DPoP") => {
            token_after(rest, Credentials::Dpop)
        }
        _ => Credentials::Absent,
    }
}

/// The token after a scheme, `rest` being what follows the scheme's name.
fn token_after<'a>(rest: &'a [u8], found: fn(&'a [u8]) -> Credentials<'a>) -> Credentials<'a> {
    match rest.first() {
        None => Credentials::Malformed,
        // `BearerX …`: another scheme.
        Some(byte) if !is_space(*byte) => Credentials::Absent,
        Some(_) => {
            let token = trim(rest);
            // A real token has no byte at or below space, and this test
            // (one compare per byte, no early exit) compiles to wide
            // compares; only an odd header takes the exact scan. Splitting
            // the header with an iterator was a visible share of every
            // protected request.
            let plain = token
                .iter()
                .fold(true, |plain, byte| plain & (*byte > b' '));
            if plain || !token.iter().any(|byte| is_space(*byte)) {
                found(token)
            } else {
                Credentials::Malformed
            }
        }
    }
}

/// Python's `bytes.isspace()` set: ASCII whitespace plus vertical tab.
fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|byte| !is_space(*byte))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|byte| !is_space(*byte))
        .map_or(start, |last| last + 1);
    &bytes[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_header_like_simplejwt() {
        assert_eq!(
            parse_authorization(b"Bearer abc"),
            Credentials::Bearer(b"abc")
        );
        assert_eq!(
            parse_authorization(b"Bearer    abc  "),
            Credentials::Bearer(b"abc")
        );
        assert_eq!(
            parse_authorization(b"Bearer\tabc"),
            Credentials::Bearer(b"abc")
        );
        assert_eq!(parse_authorization(b"Bearer"), Credentials::Malformed);
        assert_eq!(parse_authorization(b"Bearer a b"), Credentials::Malformed);
        assert_eq!(parse_authorization(b""), Credentials::Absent);
        assert_eq!(parse_authorization(b"   "), Credentials::Absent);
        assert_eq!(parse_authorization(b"Token abc"), Credentials::Absent);
        assert_eq!(parse_authorization(b"bearer abc"), Credentials::Absent);
        assert_eq!(parse_authorization(b"Bearerabc"), Credentials::Absent);
        assert_eq!(
            parse_authorization(b" \x0bBearer \x0cabc\r"),
            Credentials::Bearer(b"abc")
        );
        assert_eq!(parse_authorization(b"Bearer \t "), Credentials::Malformed);
        assert_eq!(
            parse_authorization(b"Bearer a\x0bb"),
            Credentials::Malformed
        );
    }

    #[test]
    fn dpop_tokens_come_under_their_own_scheme_in_any_case() {
        assert_eq!(parse_authorization(b"DPoP abc"), Credentials::Dpop(b"abc"));
        assert_eq!(
            parse_authorization(b"dpop  abc "),
            Credentials::Dpop(b"abc")
        );
        assert_eq!(parse_authorization(b"DPOP\tabc"), Credentials::Dpop(b"abc"));
        assert_eq!(parse_authorization(b"DPoP"), Credentials::Malformed);
        assert_eq!(parse_authorization(b"DPoP a b"), Credentials::Malformed);
        assert_eq!(parse_authorization(b"DPoPabc"), Credentials::Absent);
        assert_eq!(parse_authorization(b"DPo"), Credentials::Absent);
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// Any bytes at all: an answer, never a panic, and a token never
        /// holds a separator.
        #[test]
        fn any_header_is_read_without_panic(header in proptest::collection::vec(any::<u8>(), 0..512)) {
            if let Credentials::Bearer(token) | Credentials::Dpop(token) = parse_authorization(&header) {
                prop_assert!(!token.is_empty());
                prop_assert!(!token.iter().any(|byte| is_space(*byte)));
            }
        }

        /// `Bearer`, any run of whitespace, a token: always that token.
        #[test]
        fn bearer_and_a_token_give_the_token(
            gap in "[ \t]{1,8}",
            token in "[!-~]{1,300}",
        ) {
            let header = format!("Bearer{gap}{token}");
            prop_assert_eq!(parse_authorization(header.as_bytes()), Credentials::Bearer(token.as_bytes()));
        }
    }
}
