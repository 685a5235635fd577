//! What a new password must not be, beyond its length: Django's default
//! validators `UserAttributeSimilarityValidator`, `CommonPasswordValidator`
//! and `NumericPasswordValidator`, with their thresholds and their words,
//! so that an account moved from a Django site meets the same rules here.

use crate::AuthError;

/// Django's `max_similarity`: a password this alike (`quick_ratio`) to a
/// user attribute, or more, is refused.
const MAX_SIMILARITY: f64 = 0.7;

/// Refuses a password too similar to one of `attributes` (each a verbose
/// name, as Django words it, and the account's value), one of the most
/// common passwords, or one made of digits only (in Django's order).
pub fn check(password: &str, attributes: &[(&'static str, &str)]) -> Result<(), AuthError> {
    let lowered = password.to_lowercase();
    for &(attribute, value) in attributes {
        if too_similar(&lowered, &value.to_lowercase()) {
            return Err(AuthError::PasswordTooSimilar { attribute });
        }
    }
    if is_common(password) {
        return Err(AuthError::PasswordTooCommon);
    }
    if !password.is_empty() && password.chars().all(char::is_numeric) {
        return Err(AuthError::PasswordEntirelyNumeric);
    }
    Ok(())
}

/// Django compares the password lower-cased and trimmed with its list
/// (20 000 passwords); the list here is longer and keeps case, so both
/// forms are looked up.
fn is_common(password: &str) -> bool {
    use passwords::analyzer::is_common_password;
    is_common_password(password) || is_common_password(password.trim().to_lowercase())
}

/// Django compares the password with the whole value and with each of its
/// parts between non-word characters (`ada.lovelace` → `ada`, `lovelace`).
fn too_similar(password: &str, value: &str) -> bool {
    value
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .chain(std::iter::once(value))
        .filter(|part| !part.is_empty())
        .any(|part| {
            !far_longer_than(password, part) && quick_ratio(password, part) >= MAX_SIMILARITY
        })
}

/// Django's cut-off: a password ten times as long as a short value is not
/// compared with it (its ratio says little there).
fn far_longer_than(password: &str, value: &str) -> bool {
    let (password, value) = (password.chars().count(), value.chars().count());
    password >= 10 * value && (value as f64) < MAX_SIMILARITY / 2.0 * password as f64
}

/// Python's `SequenceMatcher.quick_ratio`: twice the characters the two
/// have in common (counted with repetition, in any order) over their total
/// length.
fn quick_ratio(a: &str, b: &str) -> f64 {
    let mut left: std::collections::HashMap<char, usize> = std::collections::HashMap::new();
    for c in b.chars() {
        *left.entry(c).or_default() += 1;
    }
    let mut common = 0;
    for c in a.chars() {
        if let Some(count) = left.get_mut(&c).filter(|count| **count > 0) {
            *count -= 1;
            common += 1;
        }
    }
    let total = a.chars().count() + b.chars().count();
    if total == 0 {
        return 1.0;
    }
    2.0 * common as f64 / total as f64
}

#[cfg(test)]
mod tests {
    use super::{check, quick_ratio};
    use crate::AuthError;

    const NAME: [(&str, &str); 1] = [("username", "ada.lovelace")];

    #[test]
    fn a_password_like_the_name_or_a_part_of_it_is_refused() {
        for password in ["AdaLovelace", "lovelace", "ada.lovelace!", "ecalevol"] {
            assert!(
                matches!(
                    check(password, &NAME),
                    Err(AuthError::PasswordTooSimilar {
                        attribute: "username"
                    })
                ),
                "{password}"
            );
        }
        assert_eq!(
            check("lovelace", &NAME).unwrap_err().to_string(),
            "The password is too similar to the username."
        );
        assert!(check("correct horse battery", &NAME).is_ok());
        // Ten times as long as a short part: not compared with it.
        assert!(check(
            "ada is a good name for a long password",
            &[("username", "ada")]
        )
        .is_ok());
    }

    #[test]
    fn common_passwords_are_refused_in_any_case() {
        for password in ["qwertyuiop", "QwertyUIOP", "password123", " iloveyou "] {
            assert!(
                matches!(check(password, &NAME), Err(AuthError::PasswordTooCommon)),
                "{password}"
            );
        }
        assert_eq!(
            check("qwertyuiop", &[]).unwrap_err().to_string(),
            "This password is too common."
        );
        assert!(check("correct horse battery", &[]).is_ok());
    }

    #[test]
    fn digits_alone_are_refused() {
        assert!(matches!(
            check("20261205", &[]),
            Err(AuthError::PasswordEntirelyNumeric)
        ));
        assert!(check("2026-12-05", &[]).is_ok());
    }

    #[test]
    fn quick_ratio_counts_common_characters_with_repetition() {
        assert_eq!(quick_ratio("abcd", "bcde"), 0.75);
        assert_eq!(quick_ratio("aab", "ab"), 0.8);
        assert_eq!(quick_ratio("", ""), 1.0);
    }
}
