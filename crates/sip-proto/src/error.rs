//! The error type for everything parsed from the network.

use std::fmt;

/// Why a SIP message, header, URI or SDP body could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// The input held no start line.
    Empty,
    /// The start line and headers are not valid UTF-8.
    NotUtf8,
    /// The request or status line is malformed.
    StartLine(&'static str),
    /// The SIP version is not `SIP/2.0` (answer 505).
    UnsupportedVersion(String),
    /// A header line has no colon or its name is not a token.
    HeaderLine,
    /// A header field value is malformed.
    Header {
        /// Canonical header name.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A header the message must carry is absent.
    MissingHeader(&'static str),
    /// The CSeq method differs from the request method.
    CSeqMismatch,
    /// A URI is malformed.
    Uri(&'static str),
    /// Content-Length announces more bytes than were received.
    BodyTruncated {
        /// The value of Content-Length.
        declared: usize,
        /// The bytes actually present after the headers.
        available: usize,
    },
    /// A stream-framed message has no Content-Length.
    MissingContentLength,
    /// The header section exceeds the size limit.
    TooLarge,
    /// An SDP body is malformed.
    Sdp {
        /// One-based line number.
        line: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Empty => write!(f, "empty message"),
            ParseError::NotUtf8 => write!(f, "header section is not utf-8"),
            ParseError::StartLine(reason) => write!(f, "bad start line: {reason}"),
            ParseError::UnsupportedVersion(version) => {
                write!(f, "unsupported sip version {version:?}")
            }
            ParseError::HeaderLine => write!(f, "bad header line"),
            ParseError::Header { name, reason } => write!(f, "bad {name} header: {reason}"),
            ParseError::MissingHeader(name) => write!(f, "missing {name} header"),
            ParseError::CSeqMismatch => write!(f, "cseq method does not match request method"),
            ParseError::Uri(reason) => write!(f, "bad uri: {reason}"),
            ParseError::BodyTruncated {
                declared,
                available,
            } => write!(
                f,
                "content-length {declared} exceeds the {available} body bytes received"
            ),
            ParseError::MissingContentLength => write!(f, "missing content-length on a stream"),
            ParseError::TooLarge => write!(f, "header section too large"),
            ParseError::Sdp { line, reason } => write!(f, "bad sdp line {line}: {reason}"),
        }
    }
}

impl std::error::Error for ParseError {}
