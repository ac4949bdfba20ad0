//! A small byte-level scanner shared by the SIP, URI and SDP parsers.
//!
//! Every method is total: it never panics, whatever the input.

/// A cursor over a string slice, advancing by ASCII bytes.
#[derive(Debug, Clone)]
pub(crate) struct Scanner<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Scanner<'a> {
    pub(crate) fn new(text: &'a str) -> Scanner<'a> {
        Scanner { text, pos: 0 }
    }

    /// The not yet consumed part of the input.
    pub(crate) fn rest(&self) -> &'a str {
        self.text.get(self.pos..).unwrap_or("")
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rest().is_empty()
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.rest().as_bytes().first().copied()
    }

    /// Skips spaces and horizontal tabs (folded lines are already spaces).
    pub(crate) fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// Consumes `byte` if it is next, after optional whitespace.
    pub(crate) fn eat_ws(&mut self, byte: u8) -> bool {
        let saved = self.pos;
        self.skip_ws();
        if self.peek() == Some(byte) {
            self.pos += 1;
            return true;
        }
        self.pos = saved;
        false
    }

    /// Consumes `byte` if it is the very next byte.
    pub(crate) fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.pos += 1;
            return true;
        }
        false
    }

    /// Consumes the longest run of bytes matching `pred` (ASCII only, so
    /// the split always lands on a char boundary).
    pub(crate) fn take_while(&mut self, pred: impl Fn(u8) -> bool) -> &'a str {
        let rest = self.rest();
        let len = rest
            .bytes()
            .position(|byte| !(byte.is_ascii() && pred(byte)))
            .unwrap_or(rest.len());
        self.pos += len;
        rest.get(..len).unwrap_or("")
    }

    /// Consumes bytes up to (not including) the first byte in `stops`.
    pub(crate) fn take_until_any(&mut self, stops: &[u8]) -> &'a str {
        let rest = self.rest();
        let len = rest
            .bytes()
            .position(|byte| stops.contains(&byte))
            .unwrap_or(rest.len());
        self.pos += len;
        rest.get(..len).unwrap_or("")
    }

    /// Consumes a token (RFC 3261 `token`).
    pub(crate) fn token(&mut self) -> &'a str {
        self.take_while(is_token_byte)
    }

    /// Consumes a quoted string starting at the current `"` and returns it
    /// unescaped, or `None` (consuming nothing) when it is unterminated.
    pub(crate) fn quoted_string(&mut self) -> Option<String> {
        let rest = self.rest();
        let mut chars = rest.char_indices();
        if chars.next().map(|(_, ch)| ch) != Some('"') {
            return None;
        }
        let mut out = String::new();
        while let Some((index, ch)) = chars.next() {
            match ch {
                '\\' => {
                    let (_, escaped) = chars.next()?;
                    out.push(escaped);
                }
                '"' => {
                    self.pos += index + 1;
                    return Some(out);
                }
                _ => out.push(ch),
            }
        }
        None
    }
}

/// RFC 3261 `token` characters.
pub(crate) fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&byte)
}

/// Whether `text` is a non-empty RFC 3261 token.
pub(crate) fn is_token(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(is_token_byte)
}

/// Quotes `text` as an RFC 3261 quoted-string, escaping `"` and `\`.
pub(crate) fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for ch in text.chars() {
        if ch == '"' || ch == '\\' {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('"');
    out
}

/// Splits a header value on top-level commas, ignoring commas inside
/// quoted strings and angle brackets.
pub(crate) fn split_list(value: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut in_quotes = false;
    let mut escaped = false;
    let mut in_angle = false;
    for (index, byte) in value.bytes().enumerate() {
        if in_quotes {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_quotes = false;
            }
            continue;
        }
        match byte {
            b'"' => in_quotes = true,
            b'<' => in_angle = true,
            b'>' => in_angle = false,
            b',' if !in_angle => {
                parts.push(value.get(start..index).unwrap_or("").trim());
                start = index + 1;
            }
            _ => {}
        }
    }
    parts.push(value.get(start..).unwrap_or("").trim());
    parts
}
