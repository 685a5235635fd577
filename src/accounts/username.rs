//! What a username may be, for every way one arrives (CLI, sign-up,
//! import): its own module so that the import's checks need nothing of the
//! accounts side that writes the users.

/// Django's `max_length` of `User.username`.
pub const MAX_USERNAME_CHARS: usize = 150;

/// Django's rule, minus its character whitelist: 1 to 150 characters, no
/// control characters, no invisible formatting characters (zero-width
/// spaces and joiners, bidirectional overrides: two names that look the
/// same must be the same name), no surrounding whitespace.
pub fn is_valid_username(username: &str) -> bool {
    let length = username.chars().count();
    (1..=MAX_USERNAME_CHARS).contains(&length)
        && username.trim() == username
        && !username
            .chars()
            .any(|c| c.is_control() || is_invisible_format(c))
}

/// A name as Django's `AbstractBaseUser.normalize_username` stores it:
/// Unicode NFKC, so compatibility forms (full-width letters, ligatures)
/// become the plain ones.
pub fn normalized(username: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    username.nfkc().collect()
}

/// Unicode's format characters (general category Cf, Unicode 15): they
/// change how text is shown or read (U+200B zero-width space, U+200D
/// zero-width joiner, U+202E right-to-left override, U+2060 word joiner,
/// U+FEFF byte-order mark, …) without being seen themselves.
fn is_invisible_format(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x0600..=0x0605 | 0x061C | 0x06DD | 0x070F | 0x0890..=0x0891 | 0x08E2
        | 0x180E | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F
        | 0xFEFF | 0xFFF9..=0xFFFB | 0x110BD | 0x110CD | 0x13430..=0x1343F
        | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A | 0xE0001 | 0xE0020..=0xE007F)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stored_as_django_normalises_them() {
        assert_eq!(normalized("ｖｉｔｏｒ"), "vitor");
        assert_eq!(normalized("ﬁona"), "fiona");
        assert_eq!(normalized("grégoire"), "grégoire");
    }

    #[test]
    fn invisible_and_control_characters_are_refused() {
        for name in [
            "vi\u{200B}tor",
            "vi\u{200D}tor",
            "\u{202E}rotiv",
            "vitor\u{2060}",
            "\u{FEFF}vitor",
            "vi\u{AD}tor",
            "vi\u{0}tor",
            " vitor",
            "",
        ] {
            assert!(!is_valid_username(name), "{name:?}");
        }
        for name in ["vitor", "grégoire", "🦀", "a.b@c+d-e_f"] {
            assert!(is_valid_username(name), "{name:?}");
        }
        assert!(is_valid_username(&"a".repeat(150)));
        assert!(!is_valid_username(&"a".repeat(151)));
    }
}
