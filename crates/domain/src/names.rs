//! Rules for the identifiers and secrets that staff choose: codes, usernames, passwords.

/// The fewest characters a staff password may have.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Whether `code` is a valid institution or category code or username: 1 to 64 lower-case ASCII
/// letters, digits, `-` or `_` (they appear in URLs and in import files).
pub fn is_valid_code(code: &str) -> bool {
    (1..=64).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Whether a password is long enough.
pub fn is_long_enough_password(password: &str) -> bool {
    password.chars().count() >= MIN_PASSWORD_CHARS
}
