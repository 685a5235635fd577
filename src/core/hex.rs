//! Lower-case hex, for token ids and the key file.

const DIGITS: &[u8; 16] = b"0123456789abcdef";

pub fn encode(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(DIGITS[(byte >> 4) as usize] as char);
        text.push(DIGITS[(byte & 0x0f) as usize] as char);
    }
    text
}

pub fn decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let nibble = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    text.as_bytes()
        .chunks_exact(2)
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect()
}

/// 128 random bits as 32 hex characters, like a uuid4 hex (simplejwt's `jti`).
pub fn random_id() -> String {
    let mut bytes = [0u8; 16];
    // The OS generator failing is not something a token service can recover from.
    getrandom::fill(&mut bytes).expect("the system random number generator failed");
    encode(&bytes)
}

/// Whether `text` has the shape of a [`random_id`]: 32 lower-case hex digits.
pub fn is_random_id(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|byte| DIGITS.contains(&byte))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_have_their_shape_and_nothing_else_does() {
        assert!(is_random_id(&random_id()));
        for other in [
            "",
            "\0",
            "0123456789ABCDEF0123456789abcdef",
            "0123456789abcdef",
            &"a".repeat(33),
        ] {
            assert!(!is_random_id(other), "{other:?}");
        }
    }

    #[test]
    fn round_trips() {
        let bytes = [0u8, 1, 0x7f, 0x80, 0xff];
        assert_eq!(encode(&bytes), "00017f80ff");
        assert_eq!(decode("00017f80ff").unwrap(), bytes);
        assert_eq!(decode("00017F80FF").unwrap(), bytes);
    }

    #[test]
    fn rejects_odd_lengths_and_non_hex() {
        assert!(decode("abc").is_none());
        assert!(decode("zz").is_none());
    }

    #[test]
    fn random_ids_are_32_hex_characters_and_differ() {
        let (a, b) = (random_id(), random_id());
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
