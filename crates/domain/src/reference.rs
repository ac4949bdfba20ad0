//! Human-readable case reference numbers, e.g. `PLV-2026-000123`.
//!
//! A reference is per prefix and year, sequential from 1, and never reused. Allocation is the
//! store's job (a counter row updated in the case's own transaction keeps it gapless); this module
//! only formats and parses.

use std::fmt;

/// A case's public reference number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    pub prefix: String,
    pub year: i32,
    pub seq: u32,
}

/// Why a string is not a reference number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseReferenceError {
    /// The text is not `PREFIX-YEAR-NUMBER`.
    Shape,
    /// The prefix is empty or not upper-case ASCII letters.
    Prefix,
    /// The year is not four digits.
    Year,
    /// The number is not six or more digits, or is zero.
    Number,
}

impl fmt::Display for ParseReferenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let msg = match self {
            ParseReferenceError::Shape => "reference must look like PLV-2026-000123",
            ParseReferenceError::Prefix => "reference prefix must be 1 to 8 capital letters",
            ParseReferenceError::Year => "reference year must have four digits",
            ParseReferenceError::Number => "reference number must have at least six digits",
        };
        f.write_str(msg)
    }
}

impl std::error::Error for ParseReferenceError {}

impl Reference {
    /// Checks a configured prefix: 1 to 8 capital ASCII letters.
    pub fn valid_prefix(prefix: &str) -> bool {
        (1..=8).contains(&prefix.len()) && prefix.bytes().all(|b| b.is_ascii_uppercase())
    }

    pub fn parse(text: &str) -> Result<Reference, ParseReferenceError> {
        let mut parts = text.trim().split('-');
        let (Some(prefix), Some(year), Some(number), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(ParseReferenceError::Shape);
        };
        let prefix = prefix.to_ascii_uppercase();
        if !Reference::valid_prefix(&prefix) {
            return Err(ParseReferenceError::Prefix);
        }
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseReferenceError::Year);
        }
        if number.len() < 6 || number.len() > 9 || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseReferenceError::Number);
        }
        let year: i32 = year.parse().map_err(|_| ParseReferenceError::Year)?;
        let seq: u32 = number.parse().map_err(|_| ParseReferenceError::Number)?;
        if seq == 0 {
            return Err(ParseReferenceError::Number);
        }
        Ok(Reference { prefix, year, seq })
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:04}-{:06}", self.prefix, self.year, self.seq)
    }
}
