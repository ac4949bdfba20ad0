//! Ordered `;name[=value]` parameter lists, as used in URIs and headers.

use std::fmt;

use crate::scan::{Scanner, is_token_byte};

/// An ordered list of parameters; names compare case-insensitively.
///
/// Values are kept in wire form: a quoted value keeps its quotes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    entries: Vec<(String, Option<String>)>,
}

impl Params {
    /// The value of `name`: `None` when absent, `Some("")` when present
    /// without a value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(entry, _)| entry.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_deref().unwrap_or(""))
    }

    /// Whether `name` is present, with or without a value.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Appends a parameter.
    pub fn push(&mut self, name: &str, value: Option<&str>) {
        self.entries
            .push((name.to_owned(), value.map(str::to_owned)));
    }

    /// Replaces the value of `name`, appending it when absent.
    pub fn set(&mut self, name: &str, value: Option<&str>) {
        match self
            .entries
            .iter_mut()
            .find(|(entry, _)| entry.eq_ignore_ascii_case(name))
        {
            Some(entry) => entry.1 = value.map(str::to_owned),
            None => self.push(name, value),
        }
    }

    /// Removes every parameter called `name`.
    pub fn remove(&mut self, name: &str) {
        self.entries
            .retain(|(entry, _)| !entry.eq_ignore_ascii_case(name));
    }

    /// Iterates over `(name, value)` pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.entries
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_deref()))
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl fmt::Display for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, value) in &self.entries {
            match value {
                Some(value) => write!(f, ";{name}={value}")?,
                None => write!(f, ";{name}")?,
            }
        }
        Ok(())
    }
}

/// Parses header parameters (`*( SEMI generic-param )`) until the end of
/// the input, allowing whitespace around `;` and `=`.
pub(crate) fn parse_header_params(scanner: &mut Scanner<'_>) -> Result<Params, &'static str> {
    let mut params = Params::default();
    loop {
        scanner.skip_ws();
        if scanner.is_empty() {
            return Ok(params);
        }
        if !scanner.eat(b';') {
            return Err("junk where a parameter was expected");
        }
        scanner.skip_ws();
        let name = scanner.token();
        if name.is_empty() {
            return Err("empty parameter");
        }
        if !scanner.eat_ws(b'=') {
            params.push(name, None);
            continue;
        }
        scanner.skip_ws();
        let value = if scanner.peek() == Some(b'"') {
            let before = scanner.rest();
            let Some(_) = scanner.quoted_string() else {
                return Err("unterminated quoted parameter value");
            };
            let consumed = before.len() - scanner.rest().len();
            before.get(..consumed).unwrap_or("")
        } else {
            // gen-value = token / host; hosts add ':', '[' and ']'.
            scanner.take_while(|byte| is_token_byte(byte) || b":[]".contains(&byte))
        };
        if value.is_empty() {
            return Err("empty parameter value");
        }
        params.push(name, Some(value));
    }
}

/// Strips the quotes from a quoted parameter value and unescapes it;
/// returns unquoted values unchanged.
pub fn unquote(value: &str) -> String {
    if value.starts_with('"') {
        let mut scanner = Scanner::new(value);
        if let Some(text) = scanner.quoted_string() {
            return text;
        }
    }
    value.to_owned()
}
