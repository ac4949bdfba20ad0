//! SIP requests and responses: the message model, the parser for
//! datagrams and stream frames, and the printer (RFC 3261 sections 7, 20).
//!
//! [`Message::parse`] accepts one message as received in a UDP datagram,
//! or one frame cut from a stream by [`frame_stream`]. It checks the
//! headers every element relies on (Via, From, To, Call-ID, CSeq,
//! Max-Forwards, Contact, Content-Length) so that later code can treat
//! their typed accessors as infallible in practice. It never panics.

use std::fmt;

use crate::error::ParseError;
use crate::header::{Headers, canonical_name, is_header_name, parse_decimal};
use crate::scan::is_token;
use crate::uri::Uri;

/// Longest header section accepted before giving up on a stream.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Largest body accepted on a stream.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// A SIP method. Methods are case-sensitive (RFC 3261 section 7.1).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Method {
    /// INVITE
    Invite,
    /// ACK
    Ack,
    /// BYE
    Bye,
    /// CANCEL
    Cancel,
    /// REGISTER
    Register,
    /// OPTIONS
    Options,
    /// INFO (RFC 6086)
    Info,
    /// UPDATE (RFC 3311)
    Update,
    /// PRACK (RFC 3262)
    Prack,
    /// SUBSCRIBE (RFC 6665)
    Subscribe,
    /// NOTIFY (RFC 6665)
    Notify,
    /// REFER (RFC 3515)
    Refer,
    /// MESSAGE (RFC 3428)
    Message,
    /// PUBLISH (RFC 3903)
    Publish,
    /// Any other token.
    Extension(String),
}

const METHOD_NAMES: &[(&str, Method)] = &[
    ("INVITE", Method::Invite),
    ("ACK", Method::Ack),
    ("BYE", Method::Bye),
    ("CANCEL", Method::Cancel),
    ("REGISTER", Method::Register),
    ("OPTIONS", Method::Options),
    ("INFO", Method::Info),
    ("UPDATE", Method::Update),
    ("PRACK", Method::Prack),
    ("SUBSCRIBE", Method::Subscribe),
    ("NOTIFY", Method::Notify),
    ("REFER", Method::Refer),
    ("MESSAGE", Method::Message),
    ("PUBLISH", Method::Publish),
];

impl Method {
    /// The method for a token (the caller checks it is a token).
    pub fn from_token(token: &str) -> Method {
        METHOD_NAMES
            .iter()
            .find(|(name, _)| *name == token)
            .map(|(_, method)| method.clone())
            .unwrap_or_else(|| Method::Extension(token.to_owned()))
    }

    /// The wire spelling.
    pub fn as_str(&self) -> &str {
        match self {
            Method::Extension(name) => name,
            known => METHOD_NAMES
                .iter()
                .find(|(_, method)| method == known)
                .map_or("", |(name, _)| name),
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A SIP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Method.
    pub method: Method,
    /// Request-URI.
    pub uri: Uri,
    /// Header fields.
    pub headers: Headers,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Request {
    /// A request with no headers and no body.
    pub fn new(method: Method, uri: Uri) -> Request {
        Request {
            method,
            uri,
            headers: Headers::default(),
            body: Vec::new(),
        }
    }
}

/// A SIP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code, 100 to 699.
    pub status: u16,
    /// Reason phrase (may be empty).
    pub reason: String,
    /// Header fields.
    pub headers: Headers,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// A response with the default reason phrase, no headers, no body.
    pub fn new(status: u16) -> Response {
        Response {
            status,
            reason: reason_phrase(status).to_owned(),
            headers: Headers::default(),
            body: Vec::new(),
        }
    }

    /// A response to `request` (RFC 3261 section 8.2.6.2): copies Via,
    /// From, To, Call-ID, CSeq and Record-Route (for 1xx/2xx dialog
    /// creating responses; harmless elsewhere), and adds `to_tag` to the To
    /// header when it has none and the status is not 100.
    pub fn to_request(request: &Request, status: u16, to_tag: Option<&str>) -> Response {
        let mut response = Response::new(status);
        copy_dialog_headers(&request.headers, &mut response.headers, status, to_tag);
        response
    }

    /// Whether this is a provisional (1xx) response.
    pub fn is_provisional(&self) -> bool {
        self.status < 200
    }
}

fn copy_dialog_headers(from: &Headers, to: &mut Headers, status: u16, to_tag: Option<&str>) {
    for name in ["Via", "From", "To", "Call-ID", "CSeq"] {
        for value in from.get_all(name) {
            let has_tag = from.to().map(|to| to.tag().is_some()).unwrap_or(false);
            if let (true, Some(tag)) = (name == "To" && status != 100 && !has_tag, to_tag) {
                to.push(name, format!("{value};tag={tag}"));
                continue;
            }
            to.push(name, value);
        }
    }
    if (101..300).contains(&status) {
        for value in from.get_all("Record-Route") {
            to.push("Record-Route", value);
        }
    }
}

/// Either kind of message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A request.
    Request(Request),
    /// A response.
    Response(Response),
}

impl Message {
    /// Parses one message: a whole UDP datagram or one stream frame.
    ///
    /// Leading CRLFs are skipped. With Content-Length the body is that many
    /// bytes and any extra octets are discarded (RFC 3261 section 18.3);
    /// a larger Content-Length than the bytes present is an error. Without
    /// Content-Length the body is the rest of the input.
    pub fn parse(bytes: &[u8]) -> Result<Message, ParseError> {
        let bytes = skip_leading_newlines(bytes);
        if bytes.is_empty() {
            return Err(ParseError::Empty);
        }
        let Some((head_len, body_start)) = find_header_end(bytes) else {
            return Err(ParseError::StartLine("no empty line after the headers"));
        };
        let head = std::str::from_utf8(bytes.get(..head_len).unwrap_or_default())
            .map_err(|_| ParseError::NotUtf8)?;
        let (start_line, raw_headers) = split_head(head)?;
        let mut headers = Headers::default();
        for (name, value) in raw_headers {
            if !is_header_name(&name) {
                return Err(ParseError::HeaderLine);
            }
            headers.push(&name, value);
        }
        let available = bytes.get(body_start..).unwrap_or_default();
        let body = match headers.content_length()? {
            Some(declared) => available
                .get(..declared)
                .ok_or(ParseError::BodyTruncated {
                    declared,
                    available: available.len(),
                })?
                .to_vec(),
            None => available.to_vec(),
        };
        let message = if start_line.starts_with("SIP/") {
            let (status, reason) = parse_status_line(start_line)?;
            Message::Response(Response {
                status,
                reason: reason.to_owned(),
                headers,
                body,
            })
        } else {
            let (method, uri) = parse_request_line(start_line)?;
            Message::Request(Request {
                method,
                uri,
                headers,
                body,
            })
        };
        validate(&message)?;
        Ok(message)
    }

    /// The header fields.
    pub fn headers(&self) -> &Headers {
        match self {
            Message::Request(request) => &request.headers,
            Message::Response(response) => &response.headers,
        }
    }

    /// The body bytes.
    pub fn body(&self) -> &[u8] {
        match self {
            Message::Request(request) => &request.body,
            Message::Response(response) => &response.body,
        }
    }

    /// Serialises the message. Header fields are printed in order with
    /// their canonical names; Content-Length is rewritten to the body
    /// length in place (appended when absent, duplicates dropped).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = String::new();
        match self {
            Message::Request(request) => {
                out.push_str(&format!("{} {} SIP/2.0\r\n", request.method, request.uri));
            }
            Message::Response(response) => {
                out.push_str(&format!(
                    "SIP/2.0 {} {}\r\n",
                    response.status, response.reason
                ));
            }
        }
        let mut length_written = false;
        for header in self.headers().iter() {
            if header.name != "Content-Length" {
                out.push_str(&format!("{}: {}\r\n", header.name, header.value));
            } else if !length_written {
                out.push_str(&format!("Content-Length: {}\r\n", self.body().len()));
                length_written = true;
            }
        }
        if !length_written {
            out.push_str(&format!("Content-Length: {}\r\n", self.body().len()));
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(self.body());
        bytes
    }
}

impl From<Request> for Message {
    fn from(request: Request) -> Message {
        Message::Request(request)
    }
}

impl From<Response> for Message {
    fn from(response: Response) -> Message {
        Message::Response(response)
    }
}

/// What [`frame_stream`] found at the start of a stream buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame {
    /// The first `len` bytes are one complete message; pass them to
    /// [`Message::parse`] and drop them from the buffer.
    Complete(usize),
    /// The first `len` bytes are CRLF keepalives (RFC 5626); drop them.
    Keepalive(usize),
    /// More bytes are needed.
    Incomplete,
}

/// Tells how many bytes of a stream buffer (TCP, TLS) form the next
/// message. Content-Length is mandatory on streams.
pub fn frame_stream(buf: &[u8]) -> Result<Frame, ParseError> {
    let newlines = buf.len() - skip_leading_newlines(buf).len();
    if newlines > 0 {
        return Ok(Frame::Keepalive(newlines));
    }
    let Some((head_len, body_start)) = find_header_end(buf) else {
        if buf.len() > MAX_HEADER_BYTES {
            return Err(ParseError::TooLarge);
        }
        return Ok(Frame::Incomplete);
    };
    if head_len > MAX_HEADER_BYTES {
        return Err(ParseError::TooLarge);
    }
    let head = String::from_utf8_lossy(buf.get(..head_len).unwrap_or_default());
    let (_, raw_headers) = split_head(&head)?;
    let length_text = raw_headers
        .iter()
        .find(|(name, _)| canonical_name(name) == "Content-Length")
        .map(|(_, value)| value.as_str())
        .ok_or(ParseError::MissingContentLength)?;
    let declared: usize = parse_decimal(length_text).ok_or(ParseError::Header {
        name: "Content-Length".to_owned(),
        reason: "not a number in range",
    })?;
    if declared > MAX_BODY_BYTES {
        return Err(ParseError::TooLarge);
    }
    let total = body_start + declared;
    if buf.len() < total {
        return Ok(Frame::Incomplete);
    }
    Ok(Frame::Complete(total))
}

/// Builds the response to send for a request that failed to parse, when
/// the request is still identifiable: it must look like a request (not
/// ACK) and carry Via, From, To, Call-ID and CSeq lines, which are copied
/// as received. The status is 505 for an unsupported version, else 400.
/// `to_tag` is added to To when it has no tag.
pub fn error_response_for(bytes: &[u8], error: &ParseError, to_tag: &str) -> Option<Response> {
    let bytes = skip_leading_newlines(bytes);
    let head_len = find_header_end(bytes).map_or(bytes.len(), |(head_len, _)| head_len);
    let head = String::from_utf8_lossy(bytes.get(..head_len).unwrap_or_default());
    let (start_line, raw_headers) = split_head(&head).ok()?;
    let method = start_line.split(' ').next()?;
    if method.starts_with("SIP/") || method == "ACK" || !is_token(method) {
        return None;
    }
    let status = match error {
        ParseError::UnsupportedVersion(_) => 505,
        _ => 400,
    };
    let mut response = Response::new(status);
    for name in ["Via", "From", "To", "Call-ID", "CSeq"] {
        let mut found = false;
        for (raw_name, value) in &raw_headers {
            if canonical_name(raw_name) != name {
                continue;
            }
            found = true;
            let lacks_tag = !value.to_ascii_lowercase().contains("tag=");
            if name == "To" && lacks_tag {
                response.headers.push(name, format!("{value};tag={to_tag}"));
            } else {
                response.headers.push(name, value.as_str());
            }
        }
        if !found {
            return None;
        }
    }
    Some(response)
}

/// The default reason phrase for a status code.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Trying",
        180 => "Ringing",
        181 => "Call Is Being Forwarded",
        182 => "Queued",
        183 => "Session Progress",
        200 => "OK",
        202 => "Accepted",
        301 => "Moved Permanently",
        302 => "Moved Temporarily",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        415 => "Unsupported Media Type",
        420 => "Bad Extension",
        423 => "Interval Too Brief",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        482 => "Loop Detected",
        483 => "Too Many Hops",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        491 => "Request Pending",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        504 => "Server Time-out",
        505 => "Version Not Supported",
        600 => "Busy Everywhere",
        603 => "Decline",
        _ => match status / 100 {
            1 => "Trying",
            2 => "OK",
            3 => "Redirected",
            4 => "Client Error",
            5 => "Server Error",
            _ => "Global Failure",
        },
    }
}

fn skip_leading_newlines(bytes: &[u8]) -> &[u8] {
    let skip = bytes
        .iter()
        .position(|byte| *byte != b'\r' && *byte != b'\n')
        .unwrap_or(bytes.len());
    bytes.get(skip..).unwrap_or_default()
}

/// Finds the empty line ending the header section: returns the length of
/// the header section (without its final line break) and where the body
/// starts. Accepts bare LF line ends as well as CRLF.
fn find_header_end(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        if byte == b'\n' {
            // `index` ends a line; the next line is empty if it is "\n" or "\r\n".
            let line_end = if index > 0 && bytes.get(index - 1) == Some(&b'\r') {
                index - 1
            } else {
                index
            };
            match (bytes.get(index + 1), bytes.get(index + 2)) {
                (Some(b'\n'), _) => return Some((line_end, index + 2)),
                (Some(b'\r'), Some(b'\n')) => return Some((line_end, index + 3)),
                _ => {}
            }
        }
        index += 1;
    }
    None
}

/// Header lines as received: `(name, unfolded value)`.
type RawHeaders = Vec<(String, String)>;

/// Splits a header section into the start line and unfolded
/// `(name, value)` pairs (names as received).
fn split_head(head: &str) -> Result<(&str, RawHeaders), ParseError> {
    let mut lines = head
        .split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line));
    let start_line = lines.next().ok_or(ParseError::Empty)?;
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            let Some((_, value)) = headers.last_mut() else {
                return Err(ParseError::HeaderLine);
            };
            let continuation = line.trim_matches([' ', '\t']);
            if !continuation.is_empty() {
                if !value.is_empty() {
                    value.push(' ');
                }
                value.push_str(continuation);
            }
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(ParseError::HeaderLine);
        };
        let name = name.trim_end_matches([' ', '\t']);
        headers.push((name.to_owned(), value.trim_matches([' ', '\t']).to_owned()));
    }
    Ok((start_line, headers))
}

fn parse_version(version: &str) -> Result<(), ParseError> {
    if version.eq_ignore_ascii_case("SIP/2.0") {
        return Ok(());
    }
    let looks_like_sip = version
        .get(..4)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("SIP/"));
    if looks_like_sip {
        return Err(ParseError::UnsupportedVersion(version.to_owned()));
    }
    Err(ParseError::StartLine("bad sip version"))
}

fn parse_request_line(line: &str) -> Result<(Method, Uri), ParseError> {
    let parts: Vec<&str> = line.split(' ').collect();
    let [method, uri, version] = parts.as_slice() else {
        return Err(ParseError::StartLine(
            "request line is not 'method uri version'",
        ));
    };
    if !is_token(method) {
        return Err(ParseError::StartLine("method is not a token"));
    }
    parse_version(version)?;
    let uri = Uri::parse(uri)?;
    if !uri.headers.is_empty() {
        return Err(ParseError::Uri("headers in request-uri"));
    }
    Ok((Method::from_token(method), uri))
}

fn parse_status_line(line: &str) -> Result<(u16, &str), ParseError> {
    let mut parts = line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    parse_version(version)?;
    let code = parts.next().unwrap_or("");
    let status = if code.len() == 3 {
        parse_decimal::<u16>(code).filter(|status| (100..700).contains(status))
    } else {
        None
    };
    let status = status.ok_or(ParseError::StartLine("bad status code"))?;
    Ok((status, parts.next().unwrap_or("")))
}

fn validate(message: &Message) -> Result<(), ParseError> {
    let headers = message.headers();
    headers.from()?;
    headers.to()?;
    headers.call_id()?;
    let cseq = headers.cseq()?;
    if headers.vias()?.is_empty() {
        return Err(ParseError::MissingHeader("Via"));
    }
    headers.max_forwards()?;
    headers.contacts()?;
    if let Message::Request(request) = message
        && cseq.method != request.method
    {
        return Err(ParseError::CSeqMismatch);
    }
    Ok(())
}
