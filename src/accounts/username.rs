//! What a username may be, for every way one arrives (CLI, sign-up,
//! import): its own module so that the import's checks need nothing of the
//! accounts side that writes the users.

/// Django's `max_length` of `User.username`.
pub const MAX_USERNAME_CHARS: usize = 150;

/// Django's rule, minus its character whitelist: 1 to 150 characters, no
/// control characters, no surrounding whitespace.
pub fn is_valid_username(username: &str) -> bool {
    let length = username.chars().count();
    (1..=MAX_USERNAME_CHARS).contains(&length)
        && username.trim() == username
        && !username.chars().any(char::is_control)
}
