//! What of a case the keyless, public GET calls may show.
//!
//! The rule: registry facts (status, service, institutions, dates, deadlines) for every case; the
//! text, place and media of a case only when an Open311 client itself published them (the case came
//! in through Open311), and even then with e-mail addresses and phone numbers masked. Names,
//! phones, e-mails, device and account ids are never read for these calls at all. Cases from the
//! phone line, the portal or a counter stay without text and place: an agent's summary of a call,
//! or the address of a social-assistance case, is about a person.

/// What replaces a masked e-mail address or phone number.
pub(crate) const MASK: &str = "[…]";

/// Masks e-mail addresses and phone numbers in free text.
///
/// E-mail: a word with `@` followed somewhere by a dot. Phone: a run of digits, spaces and
/// `+ - ( ) /` that starts with `+` or `0` and holds 6 to 15 digits (so `0888 123 456` and
/// `+359 32 656 700` go; dates like `2026-05-12` and references like `PLV-2026-000123` stay).
pub(crate) fn redact(text: &str) -> String {
    let words = mask_emails(text);
    mask_phones(&words)
}

fn mask_emails(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let is_email = word.split_once('@').is_some_and(|(user, host)| !user.is_empty() && host.contains('.'));
        out.push_str(if is_email { MASK } else { word });
        word.clear();
    };
    for ch in text.chars() {
        if ch.is_whitespace() {
            flush(&mut word, &mut out);
            out.push(ch);
        } else {
            word.push(ch);
        }
    }
    flush(&mut word, &mut out);
    out
}

fn is_phone_char(ch: char) -> bool {
    ch.is_ascii_digit() || matches!(ch, ' ' | '+' | '-' | '(' | ')' | '/')
}

fn mask_phones(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while at < chars.len() {
        // A candidate starts at `+` or `0` not glued to a preceding letter, digit, `-` or `/`
        // (which would make it part of a reference or a date).
        let starts = matches!(chars[at], '+' | '0')
            && (at == 0 || !(chars[at - 1].is_alphanumeric() || matches!(chars[at - 1], '-' | '/')));
        if starts {
            let mut end = at;
            while end < chars.len() && is_phone_char(chars[end]) {
                end += 1;
            }
            // Give back trailing separators, so the surrounding text keeps them.
            while end > at && !chars[end - 1].is_ascii_digit() {
                end -= 1;
            }
            let glued_after = end < chars.len() && chars[end].is_alphanumeric();
            let digit_count = chars[at..end].iter().filter(|ch| ch.is_ascii_digit()).count();
            if (6..=15).contains(&digit_count) && !glued_after {
                out.push_str(MASK);
                at = end;
                continue;
            }
        }
        out.push(chars[at]);
        at += 1;
    }
    out
}
