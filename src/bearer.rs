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
}

/// Splits on ASCII whitespace as Python's `bytes.split()` does (so several
/// spaces between scheme and token are fine); the scheme is case-sensitive.
pub fn parse_authorization(value: &[u8]) -> Credentials<'_> {
    let is_space = |byte: &u8| matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    let mut parts = value.split(is_space).filter(|part| !part.is_empty());
    match (parts.next(), parts.next(), parts.next()) {
        (Some(b"Bearer"), Some(token), None) => Credentials::Bearer(token),
        (Some(b"Bearer"), _, _) => Credentials::Malformed,
        _ => Credentials::Absent,
    }
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
    }
}
