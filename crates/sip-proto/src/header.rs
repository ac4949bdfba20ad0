//! Header fields: the ordered, case-insensitive header list and typed
//! values for the headers the switch interprets.
//!
//! Values are stored as received (after unfolding); typed accessors parse
//! on demand and return [`ParseError`] for malformed values.

use std::borrow::Cow;
use std::fmt;

use crate::error::ParseError;
use crate::message::Method;
use crate::params::{Params, parse_header_params, unquote};
use crate::scan::{Scanner, is_token, is_token_byte, quote, split_list};
use crate::uri::{Uri, parse_hostport, unescape};

/// Compact forms (RFC 3261 section 7.3.3 and later RFCs) and their full names.
const COMPACT_FORMS: &[(&str, &str)] = &[
    ("a", "Accept-Contact"),
    ("b", "Referred-By"),
    ("c", "Content-Type"),
    ("d", "Request-Disposition"),
    ("e", "Content-Encoding"),
    ("f", "From"),
    ("i", "Call-ID"),
    ("j", "Reject-Contact"),
    ("k", "Supported"),
    ("l", "Content-Length"),
    ("m", "Contact"),
    ("o", "Event"),
    ("r", "Refer-To"),
    ("s", "Subject"),
    ("t", "To"),
    ("u", "Allow-Events"),
    ("v", "Via"),
    ("x", "Session-Expires"),
    ("y", "Identity"),
];

/// Header names whose canonical spelling is not plain title case.
const KNOWN_NAMES: &[&str] = &[
    "Accept",
    "Accept-Encoding",
    "Accept-Language",
    "Alert-Info",
    "Allow",
    "Allow-Events",
    "Authentication-Info",
    "Authorization",
    "CSeq",
    "Call-ID",
    "Call-Info",
    "Contact",
    "Content-Disposition",
    "Content-Encoding",
    "Content-Language",
    "Content-Length",
    "Content-Type",
    "Date",
    "Error-Info",
    "Event",
    "Expires",
    "From",
    "In-Reply-To",
    "MIME-Version",
    "Max-Forwards",
    "Min-Expires",
    "Min-SE",
    "Organization",
    "P-Asserted-Identity",
    "Path",
    "Priority",
    "Privacy",
    "Proxy-Authenticate",
    "Proxy-Authorization",
    "Proxy-Require",
    "RAck",
    "RSeq",
    "Reason",
    "Record-Route",
    "Refer-Sub",
    "Refer-To",
    "Referred-By",
    "Replaces",
    "Reply-To",
    "Require",
    "Retry-After",
    "Route",
    "Server",
    "Service-Route",
    "Session-Expires",
    "Subject",
    "Subscription-State",
    "Supported",
    "Timestamp",
    "To",
    "Unsupported",
    "User-Agent",
    "Via",
    "WWW-Authenticate",
    "Warning",
];

/// The canonical spelling of a header name: compact forms expanded, known
/// names in their RFC spelling, unknown names unchanged.
pub fn canonical_name(name: &str) -> Cow<'_, str> {
    if let Some((_, full)) = COMPACT_FORMS
        .iter()
        .find(|(compact, _)| compact.eq_ignore_ascii_case(name))
    {
        return Cow::Borrowed(full);
    }
    match KNOWN_NAMES
        .iter()
        .find(|known| known.eq_ignore_ascii_case(name))
    {
        Some(known) => Cow::Borrowed(known),
        None => Cow::Borrowed(name),
    }
}

/// One header field line, name canonicalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Canonical name (see [`canonical_name`]).
    pub name: String,
    /// Value with folding replaced by single spaces and outer whitespace
    /// trimmed.
    pub value: String,
}

/// The ordered header list of a message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    entries: Vec<Header>,
}

impl Headers {
    /// Appends a header field.
    pub fn push(&mut self, name: &str, value: impl Into<String>) {
        self.entries.push(Header {
            name: canonical_name(name).into_owned(),
            value: value.into(),
        });
    }

    /// Replaces every `name` field by one field with `value`, keeping the
    /// position of the first one.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        let name = canonical_name(name).into_owned();
        let value = value.into();
        match self
            .entries
            .iter()
            .position(|h| h.name.eq_ignore_ascii_case(&name))
        {
            Some(index) => {
                if let Some(entry) = self.entries.get_mut(index) {
                    entry.value = value;
                }
                let mut seen = 0;
                self.entries.retain(|h| {
                    if !h.name.eq_ignore_ascii_case(&name) {
                        return true;
                    }
                    seen += 1;
                    seen == 1
                });
            }
            None => self.entries.push(Header { name, value }),
        }
    }

    /// Removes every field called `name`.
    pub fn remove(&mut self, name: &str) {
        let name = canonical_name(name);
        self.entries.retain(|h| !h.name.eq_ignore_ascii_case(&name));
    }

    /// The first value of `name` (any spelling or compact form).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.get_all(name).next()
    }

    /// Every field value of `name`, in message order.
    pub fn get_all<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> + 'a {
        let name = canonical_name(name).into_owned();
        self.entries
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(&name))
            .map(|h| h.value.as_str())
    }

    /// Every comma-separated element of every `name` field, in order.
    pub fn get_list<'a>(&'a self, name: &str) -> Vec<&'a str> {
        self.get_all(name).flat_map(split_list).collect()
    }

    /// All header fields in order.
    pub fn iter(&self) -> impl Iterator<Item = &Header> {
        self.entries.iter()
    }

    /// The Via list, top first.
    pub fn vias(&self) -> Result<Vec<Via>, ParseError> {
        self.get_list("Via")
            .into_iter()
            .map(|value| Via::parse(value).map_err(|reason| header_error("Via", reason)))
            .collect()
    }

    /// The topmost Via.
    pub fn top_via(&self) -> Result<Via, ParseError> {
        let value = self
            .get_list("Via")
            .into_iter()
            .next()
            .ok_or(ParseError::MissingHeader("Via"))?;
        Via::parse(value).map_err(|reason| header_error("Via", reason))
    }

    /// The From header.
    pub fn from(&self) -> Result<NameAddr, ParseError> {
        self.single_name_addr("From")
    }

    /// The To header.
    pub fn to(&self) -> Result<NameAddr, ParseError> {
        self.single_name_addr("To")
    }

    /// The Call-ID.
    pub fn call_id(&self) -> Result<&str, ParseError> {
        let value = self
            .get("Call-ID")
            .ok_or(ParseError::MissingHeader("Call-ID"))?;
        if value.is_empty() || value.bytes().any(|byte| byte <= b' ') {
            return Err(header_error("Call-ID", "not a word"));
        }
        Ok(value)
    }

    /// The CSeq.
    pub fn cseq(&self) -> Result<CSeq, ParseError> {
        let value = self.get("CSeq").ok_or(ParseError::MissingHeader("CSeq"))?;
        CSeq::parse(value).map_err(|reason| header_error("CSeq", reason))
    }

    /// The Contact list, `None` when absent.
    pub fn contacts(&self) -> Result<Option<Contacts>, ParseError> {
        let items = self.get_list("Contact");
        if items.is_empty() {
            return Ok(None);
        }
        if items.contains(&"*") {
            if items.len() != 1 {
                return Err(header_error("Contact", "wildcard mixed with addresses"));
            }
            return Ok(Some(Contacts::Wildcard));
        }
        let addresses = items
            .into_iter()
            .map(|item| NameAddr::parse(item).map_err(|reason| header_error("Contact", reason)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(Contacts::Addresses(addresses)))
    }

    /// Max-Forwards (0 to 255).
    pub fn max_forwards(&self) -> Result<Option<u8>, ParseError> {
        self.small_number("Max-Forwards")
    }

    /// The Expires header in seconds.
    pub fn expires(&self) -> Result<Option<u32>, ParseError> {
        self.small_number("Expires")
    }

    /// The Min-Expires header in seconds.
    pub fn min_expires(&self) -> Result<Option<u32>, ParseError> {
        self.small_number("Min-Expires")
    }

    /// Content-Length.
    pub fn content_length(&self) -> Result<Option<usize>, ParseError> {
        self.small_number("Content-Length")
    }

    /// Content-Type.
    pub fn content_type(&self) -> Result<Option<MediaType>, ParseError> {
        self.get("Content-Type")
            .map(|value| {
                MediaType::parse(value).map_err(|reason| header_error("Content-Type", reason))
            })
            .transpose()
    }

    /// Every challenge in `WWW-Authenticate` (or `Proxy-Authenticate`
    /// when `proxy`), one per field line.
    pub fn challenges(&self, proxy: bool) -> Result<Vec<AuthHeader>, ParseError> {
        let name = if proxy {
            "Proxy-Authenticate"
        } else {
            "WWW-Authenticate"
        };
        self.get_all(name)
            .map(|value| AuthHeader::parse(value).map_err(|reason| header_error(name, reason)))
            .collect()
    }

    /// Every credential in `Authorization` (or `Proxy-Authorization` when
    /// `proxy`), one per field line.
    pub fn credentials(&self, proxy: bool) -> Result<Vec<AuthHeader>, ParseError> {
        let name = if proxy {
            "Proxy-Authorization"
        } else {
            "Authorization"
        };
        self.get_all(name)
            .map(|value| AuthHeader::parse(value).map_err(|reason| header_error(name, reason)))
            .collect()
    }

    /// Refer-To (RFC 3515).
    pub fn refer_to(&self) -> Result<Option<NameAddr>, ParseError> {
        self.get("Refer-To")
            .map(|value| NameAddr::parse(value).map_err(|reason| header_error("Refer-To", reason)))
            .transpose()
    }

    /// Replaces (RFC 3891).
    pub fn replaces(&self) -> Result<Option<Replaces>, ParseError> {
        self.get("Replaces")
            .map(|value| Replaces::parse(value).map_err(|reason| header_error("Replaces", reason)))
            .transpose()
    }

    /// The Route (or Record-Route) set, in order.
    pub fn routes(&self, name: &str) -> Result<Vec<NameAddr>, ParseError> {
        self.get_list(name)
            .into_iter()
            .map(|value| {
                NameAddr::parse(value).map_err(|reason| header_error(&canonical_name(name), reason))
            })
            .collect()
    }

    fn single_name_addr(&self, name: &'static str) -> Result<NameAddr, ParseError> {
        let mut values = self.get_all(name);
        let value = values.next().ok_or(ParseError::MissingHeader(name))?;
        if values.next().is_some() {
            return Err(header_error(name, "repeated"));
        }
        NameAddr::parse(value).map_err(|reason| header_error(name, reason))
    }

    fn small_number<T: std::str::FromStr>(
        &self,
        name: &'static str,
    ) -> Result<Option<T>, ParseError> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        parse_decimal(value)
            .map(Some)
            .ok_or_else(|| header_error(name, "not a number in range"))
    }
}

fn header_error(name: &str, reason: &'static str) -> ParseError {
    ParseError::Header {
        name: name.to_owned(),
        reason,
    }
}

/// Parses a run of ASCII digits (leading zeros allowed) into `T`.
pub(crate) fn parse_decimal<T: std::str::FromStr>(text: &str) -> Option<T> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let trimmed = text.trim_start_matches('0');
    let digits = if trimmed.is_empty() { "0" } else { trimmed };
    digits.parse().ok()
}

/// `name-addr` or `addr-spec` with header parameters: From, To, Contact,
/// Route, Record-Route, Refer-To.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAddr {
    /// The display name, unquoted and unescaped.
    pub display_name: Option<String>,
    /// The address.
    pub uri: Uri,
    /// Header parameters after the address (`;tag=...`, `;expires=...`).
    pub params: Params,
}

impl NameAddr {
    /// An address without display name or parameters.
    pub fn new(uri: Uri) -> NameAddr {
        NameAddr {
            display_name: None,
            uri,
            params: Params::default(),
        }
    }

    /// Parses one `name-addr` / `addr-spec` with parameters.
    pub fn parse(value: &str) -> Result<NameAddr, &'static str> {
        let mut scanner = Scanner::new(value.trim());
        let display_name = if scanner.peek() == Some(b'"') {
            let name = scanner
                .quoted_string()
                .ok_or("unterminated quoted display name")?;
            scanner.skip_ws();
            if scanner.peek() != Some(b'<') {
                return Err("quoted display name without <uri>");
            }
            Some(name)
        } else if let Some(open) = scanner.rest().find('<') {
            let name = scanner.rest().get(..open).unwrap_or("").trim();
            let tokens_only = name
                .bytes()
                .all(|byte| is_token_byte(byte) || byte == b' ' || byte == b'\t');
            if !tokens_only {
                return Err("display name is neither tokens nor quoted");
            }
            scanner.take_until_any(b"<");
            (!name.is_empty()).then(|| name.to_owned())
        } else {
            None
        };
        let uri = if scanner.eat(b'<') {
            let inner = scanner.take_until_any(b">");
            if !scanner.eat(b'>') {
                return Err("unterminated <uri>");
            }
            Uri::parse(inner).map_err(|_| "bad uri")?
        } else {
            let spec = scanner.take_until_any(b"; \t");
            if spec.contains(['?', ',']) {
                return Err("addr-spec with '?' or ',' must be in angle brackets");
            }
            Uri::parse(spec).map_err(|_| "bad uri")?
        };
        let params = parse_header_params(&mut scanner)?;
        Ok(NameAddr {
            display_name,
            uri,
            params,
        })
    }

    /// The `tag` parameter.
    pub fn tag(&self) -> Option<&str> {
        self.params.get("tag").filter(|tag| !tag.is_empty())
    }
}

impl fmt::Display for NameAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(name) = &self.display_name {
            write!(f, "{} ", quote(name))?;
        }
        write!(f, "<{}>{}", self.uri, self.params)
    }
}

/// The Contact header value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contacts {
    /// `Contact: *` (only valid in a REGISTER with Expires: 0).
    Wildcard,
    /// One or more addresses.
    Addresses(Vec<NameAddr>),
}

/// One Via entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    /// Transport, upper case (`UDP`, `TCP`, `TLS`, ...).
    pub transport: String,
    /// The sent-by host.
    pub host: String,
    /// The sent-by port.
    pub port: Option<u16>,
    /// Parameters (`branch`, `received`, `rport`, ...).
    pub params: Params,
}

impl Via {
    /// Parses one `via-parm`.
    pub fn parse(value: &str) -> Result<Via, &'static str> {
        let mut scanner = Scanner::new(value.trim());
        let protocol = scanner.token();
        if !protocol.eq_ignore_ascii_case("SIP") {
            return Err("protocol is not sip");
        }
        if !scanner.eat_ws(b'/') {
            return Err("missing '/' after protocol");
        }
        scanner.skip_ws();
        if scanner.token() != "2.0" {
            return Err("version is not 2.0");
        }
        if !scanner.eat_ws(b'/') {
            return Err("missing '/' after version");
        }
        scanner.skip_ws();
        let transport = scanner.token();
        if transport.is_empty() {
            return Err("missing transport");
        }
        scanner.skip_ws();
        let host = if scanner.peek() == Some(b'[') {
            let host = scanner.take_until_any(b"]");
            if !scanner.eat(b']') {
                return Err("unterminated ipv6 reference");
            }
            format!("{host}]")
        } else {
            scanner
                .take_while(|byte| byte.is_ascii_alphanumeric() || b"-._".contains(&byte))
                .to_owned()
        };
        let hostport = if scanner.eat_ws(b':') {
            scanner.skip_ws();
            format!(
                "{host}:{}",
                scanner.take_while(|byte| byte.is_ascii_digit())
            )
        } else {
            host
        };
        let (host, port) = parse_hostport(&hostport).map_err(|_| "bad sent-by")?;
        let params = parse_header_params(&mut scanner)?;
        Ok(Via {
            transport: transport.to_ascii_uppercase(),
            host,
            port,
            params,
        })
    }

    /// The `branch` parameter.
    pub fn branch(&self) -> Option<&str> {
        self.params
            .get("branch")
            .filter(|branch| !branch.is_empty())
    }

    /// The `received` parameter.
    pub fn received(&self) -> Option<&str> {
        self.params
            .get("received")
            .filter(|value| !value.is_empty())
    }

    /// `None` without `rport`, `Some(None)` for a bare `rport` request and
    /// `Some(Some(port))` once filled in (RFC 3581).
    pub fn rport(&self) -> Option<Option<u16>> {
        self.params.get("rport").map(|value| value.parse().ok())
    }
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SIP/2.0/{} {}", self.transport, self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        write!(f, "{}", self.params)
    }
}

/// The CSeq header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CSeq {
    /// Sequence number (fits 32 bits, RFC 3261 section 8.1.1.5).
    pub seq: u32,
    /// Method.
    pub method: Method,
}

impl CSeq {
    /// Parses `1*DIGIT LWS Method`.
    pub fn parse(value: &str) -> Result<CSeq, &'static str> {
        let mut scanner = Scanner::new(value.trim());
        let digits = scanner.take_while(|byte| byte.is_ascii_digit());
        let seq = parse_decimal(digits).ok_or("sequence number missing or too large")?;
        let before_ws = scanner.rest().len();
        scanner.skip_ws();
        if scanner.rest().len() == before_ws {
            return Err("missing space before method");
        }
        let method = scanner.token();
        if method.is_empty() || !scanner.is_empty() {
            return Err("bad method");
        }
        Ok(CSeq {
            seq,
            method: Method::from_token(method),
        })
    }
}

impl fmt::Display for CSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.seq, self.method)
    }
}

/// A media type such as `application/sdp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaType {
    /// Top-level type, lower case.
    pub kind: String,
    /// Subtype, lower case.
    pub subtype: String,
    /// Parameters.
    pub params: Params,
}

impl MediaType {
    /// Parses `type/subtype *(;param)`.
    pub fn parse(value: &str) -> Result<MediaType, &'static str> {
        let mut scanner = Scanner::new(value.trim());
        let kind = scanner.token();
        if kind.is_empty() || !scanner.eat_ws(b'/') {
            return Err("missing type/subtype");
        }
        scanner.skip_ws();
        let subtype = scanner.token();
        if subtype.is_empty() {
            return Err("missing subtype");
        }
        let params = parse_header_params(&mut scanner)?;
        Ok(MediaType {
            kind: kind.to_ascii_lowercase(),
            subtype: subtype.to_ascii_lowercase(),
            params,
        })
    }

    /// Whether this is `kind/subtype` (case-insensitive).
    pub fn is(&self, kind: &str, subtype: &str) -> bool {
        self.kind.eq_ignore_ascii_case(kind) && self.subtype.eq_ignore_ascii_case(subtype)
    }
}

/// One `auth-param` of a challenge or credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthParam {
    /// Parameter name, as received.
    pub name: String,
    /// Value, unquoted and unescaped.
    pub value: String,
    /// Whether the value is written as a quoted string.
    pub quoted: bool,
}

/// A `WWW-Authenticate` / `Authorization` value: a scheme and auth-params.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthHeader {
    /// Scheme, e.g. `Digest`.
    pub scheme: String,
    /// Parameters in order.
    pub params: Vec<AuthParam>,
}

impl AuthHeader {
    /// Parses `scheme LWS auth-param *(COMMA auth-param)`.
    pub fn parse(value: &str) -> Result<AuthHeader, &'static str> {
        let mut scanner = Scanner::new(value.trim());
        let scheme = scanner.token();
        if scheme.is_empty() {
            return Err("missing scheme");
        }
        let mut params = Vec::new();
        for item in split_list(scanner.rest()) {
            let mut item_scanner = Scanner::new(item);
            let name = item_scanner.token();
            if name.is_empty() || !item_scanner.eat_ws(b'=') {
                return Err("bad auth-param");
            }
            item_scanner.skip_ws();
            let (value, quoted) = if item_scanner.peek() == Some(b'"') {
                let value = item_scanner
                    .quoted_string()
                    .ok_or("unterminated quoted auth-param")?;
                (value, true)
            } else {
                (item_scanner.token().to_owned(), false)
            };
            item_scanner.skip_ws();
            if !item_scanner.is_empty() {
                return Err("junk after auth-param");
            }
            params.push(AuthParam {
                name: name.to_owned(),
                value,
                quoted,
            });
        }
        Ok(AuthHeader {
            scheme: scheme.to_owned(),
            params,
        })
    }

    /// The value of parameter `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|param| param.name.eq_ignore_ascii_case(name))
            .map(|param| param.value.as_str())
    }
}

impl fmt::Display for AuthHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.scheme)?;
        for (index, param) in self.params.iter().enumerate() {
            let separator = if index == 0 { " " } else { ", " };
            if param.quoted {
                write!(f, "{separator}{}={}", param.name, quote(&param.value))?;
            } else {
                write!(f, "{separator}{}={}", param.name, param.value)?;
            }
        }
        Ok(())
    }
}

/// The Replaces header (RFC 3891).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replaces {
    /// Call-ID of the dialog to replace.
    pub call_id: String,
    /// Its to-tag.
    pub to_tag: String,
    /// Its from-tag.
    pub from_tag: String,
    /// `early-only` was present.
    pub early_only: bool,
}

impl Replaces {
    /// Parses `callid *(SEMI replaces-param)`; both tags are required.
    pub fn parse(value: &str) -> Result<Replaces, &'static str> {
        let value = value.trim();
        let (call_id, params_text) = match value.find(';') {
            Some(index) => (
                value.get(..index).unwrap_or("").trim(),
                value.get(index..).unwrap_or(""),
            ),
            None => (value, ""),
        };
        if call_id.is_empty() || call_id.bytes().any(|byte| byte <= b' ') {
            return Err("bad call-id");
        }
        let params = parse_header_params(&mut Scanner::new(params_text))?;
        let to_tag = params.get("to-tag").ok_or("missing to-tag")?;
        let from_tag = params.get("from-tag").ok_or("missing from-tag")?;
        Ok(Replaces {
            call_id: call_id.to_owned(),
            to_tag: unquote(to_tag),
            from_tag: unquote(from_tag),
            early_only: params.contains("early-only"),
        })
    }

    /// Extracts a Replaces embedded in a Refer-To URI (`?Replaces=...`).
    pub fn from_uri(uri: &Uri) -> Option<Result<Replaces, &'static str>> {
        uri.headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("Replaces"))
            .map(|(_, value)| Replaces::parse(&unescape(value)))
    }
}

impl fmt::Display for Replaces {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{};to-tag={};from-tag={}",
            self.call_id, self.to_tag, self.from_tag
        )?;
        if self.early_only {
            f.write_str(";early-only")?;
        }
        Ok(())
    }
}

/// Whether `name` can be a header field name.
pub(crate) fn is_header_name(name: &str) -> bool {
    is_token(name)
}
