//! Recovery codes: the way in when the phone with the authenticator app is
//! lost. Ten are given when TOTP is turned on, each works once. A code is
//! sixteen characters of an alphabet without look-alikes (no 0/o, 1/l/i),
//! shown as four groups of four; typed with or without the hyphens, in
//! either case. Stored as SHA-256: with 79 random bits each (31^16) no
//! search finds a code from its hash, so nothing slower is needed.

use sha2::{Digest, Sha256};

/// How many codes a person gets.
pub const CODE_COUNT: usize = 10;
/// Letters and digits that cannot be mistaken for each other: 31 of them.
const ALPHABET: &[u8; 31] = b"abcdefghjkmnpqrstuvwxyz23456789";
/// Characters per code (nearly 5 bits each).
const CODE_CHARS: usize = 16;
/// Characters per group as shown.
const GROUP: usize = 4;

/// Ten new codes, as shown to the person (`abcd-efgh-jkmn-pqrs`).
pub fn generate() -> Vec<String> {
    (0..CODE_COUNT).map(|_| generate_one()).collect()
}

fn generate_one() -> String {
    let mut code = String::with_capacity(CODE_CHARS + CODE_CHARS / GROUP);
    let mut drawn = 0;
    while drawn < CODE_CHARS {
        let mut random = [0u8; 16];
        getrandom::fill(&mut random).expect("the system random number generator works");
        // Five bits pick one of 32; the 32nd is drawn again, so that every
        // character is equally likely.
        for index in random.map(|byte| usize::from(byte & 31)) {
            if drawn == CODE_CHARS {
                break;
            }
            if let Some(&c) = ALPHABET.get(index) {
                if drawn > 0 && drawn % GROUP == 0 {
                    code.push('-');
                }
                code.push(char::from(c));
                drawn += 1;
            }
        }
    }
    code
}

/// The code as stored: lower case, hyphens and spaces dropped. `None` when
/// it cannot be a recovery code (wrong length or characters).
pub fn normalise(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| *c != '-' && *c != ' ')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let valid = code.len() == CODE_CHARS && code.bytes().all(|b| ALPHABET.contains(&b));
    valid.then_some(code)
}

/// What the store keeps of a normalised code.
pub fn hash(normalised: &str) -> String {
    crate::core::hex::encode(&Sha256::digest(normalised.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_distinct_codes_in_four_groups_of_four() {
        let codes = generate();
        assert_eq!(codes.len(), CODE_COUNT);
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), CODE_COUNT);
        for code in &codes {
            assert_eq!(code.len(), 19, "{code}");
            assert_eq!(code.split('-').map(str::len).collect::<Vec<_>>(), [4; 4]);
            assert!(normalise(code).is_some(), "{code}");
            assert!(!code.contains(['0', 'o', '1', 'l', 'i']), "{code}");
        }
    }

    #[test]
    fn typed_forms_normalise_to_one_code() {
        let code = generate().remove(0);
        let normalised = normalise(&code).unwrap();
        assert_eq!(
            normalise(&code.to_uppercase()).as_deref(),
            Some(&*normalised)
        );
        assert_eq!(
            normalise(&code.replace('-', "")).as_deref(),
            Some(&*normalised)
        );
        assert_eq!(
            normalise(&code.replace('-', " ")).as_deref(),
            Some(&*normalised)
        );
        assert_eq!(hash(&normalised).len(), 64);
    }

    #[test]
    fn other_text_is_not_a_recovery_code() {
        for typed in [
            "",
            "123456",
            "abcd-efgh-jkmn-pqr",
            "abcd-efgh-jkmn-pqrst",
            "abcd-efgh-jkmn-pqr0",
            "ábcd-efgh-jkmn-pqrs",
        ] {
            assert_eq!(normalise(typed), None, "{typed:?}");
        }
    }
}
