//! Phone numbers as the registry stores and looks them up.

/// Normalises a Bulgarian or international number to E.164 (`+359888123456`), or `None` if it
/// is not a plausible phone number. National numbers (`0888 123 456`) get the +359 prefix;
/// `00` becomes `+`. Spaces, dashes, dots and brackets are ignored.
pub fn normalize_phone(text: &str) -> Option<String> {
    let mut digits = String::with_capacity(16);
    let mut plus = false;
    for (index, ch) in text.trim().chars().enumerate() {
        match ch {
            '+' if index == 0 => plus = true,
            '0'..='9' => digits.push(ch),
            ' ' | '-' | '.' | '(' | ')' | '/' => {}
            _ => return None,
        }
    }
    let international = if plus {
        digits
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest.to_owned()
    } else if let Some(rest) = digits.strip_prefix('0') {
        format!("359{rest}")
    } else {
        return None;
    };
    if !(8..=15).contains(&international.len()) || international.starts_with('0') {
        return None;
    }
    Some(format!("+{international}"))
}
