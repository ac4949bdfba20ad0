//! SIP, SIPS and tel URIs (RFC 3261 section 19.1, RFC 3966), kept in their
//! escaped wire form so that printing reproduces what was received.

use std::fmt;

use crate::error::ParseError;
use crate::params::Params;

/// The URI scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scheme {
    /// `sip:`
    Sip,
    /// `sips:`
    Sips,
    /// `tel:`
    Tel,
    /// Any other scheme; the rest of the URI is kept opaque in `host`.
    Other(String),
}

/// A parsed URI.
///
/// For `tel:` the subscriber number is in `user` and `host` is empty; for an
/// unknown scheme everything after the colon is kept in `host`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uri {
    /// The scheme.
    pub scheme: Scheme,
    /// The user part, still percent-escaped.
    pub user: Option<String>,
    /// The password part, still percent-escaped.
    pub password: Option<String>,
    /// Host name, IPv4 address or bracketed IPv6 reference (`[::1]`).
    pub host: String,
    /// Explicit port.
    pub port: Option<u16>,
    /// URI parameters (`;transport=tcp;lr`).
    pub params: Params,
    /// URI headers (`?Replaces=...`), names and values still escaped.
    pub headers: Vec<(String, String)>,
}

impl Uri {
    /// Parses a URI with no surrounding whitespace or angle brackets.
    pub fn parse(text: &str) -> Result<Uri, ParseError> {
        if text.is_empty() {
            return Err(ParseError::Uri("empty"));
        }
        if text
            .bytes()
            .any(|byte| byte <= b' ' || byte == 0x7f || b"<>\"".contains(&byte))
        {
            return Err(ParseError::Uri("forbidden character"));
        }
        let Some((scheme_text, rest)) = text.split_once(':') else {
            return Err(ParseError::Uri("missing scheme"));
        };
        let scheme_ok = scheme_text
            .bytes()
            .next()
            .is_some_and(|byte| byte.is_ascii_alphabetic())
            && scheme_text
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || b"+-.".contains(&byte));
        if !scheme_ok {
            return Err(ParseError::Uri("bad scheme"));
        }
        match scheme_text.to_ascii_lowercase().as_str() {
            "sip" => parse_sip(Scheme::Sip, rest),
            "sips" => parse_sip(Scheme::Sips, rest),
            "tel" => parse_tel(rest),
            other => {
                if rest.is_empty() {
                    return Err(ParseError::Uri("empty opaque part"));
                }
                Ok(Uri {
                    scheme: Scheme::Other(other.to_owned()),
                    user: None,
                    password: None,
                    host: rest.to_owned(),
                    port: None,
                    params: Params::default(),
                    headers: Vec::new(),
                })
            }
        }
    }

    /// A `sip:` URI with the given user and host, no port or parameters.
    pub fn sip(user: Option<&str>, host: &str) -> Uri {
        Uri {
            scheme: Scheme::Sip,
            user: user.map(str::to_owned),
            password: None,
            host: host.to_owned(),
            port: None,
            params: Params::default(),
            headers: Vec::new(),
        }
    }

    /// The value of a URI parameter (`None` when absent, `Some("")` when
    /// present without a value).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name)
    }

    /// The user part with percent-escapes decoded (lossy for invalid UTF-8).
    pub fn user_unescaped(&self) -> Option<String> {
        self.user.as_deref().map(unescape)
    }

    /// Compares two URIs as RFC 3261 section 19.1.4 does, for the parts a
    /// registrar and a dialog need: scheme, user (escape-insensitive), host
    /// (case-insensitive), port, and the `transport`, `user`, `ttl`,
    /// `method` and `maddr` parameters when either side has them.
    pub fn equivalent(&self, other: &Uri) -> bool {
        if self.scheme != other.scheme {
            return false;
        }
        if let Scheme::Other(_) = self.scheme {
            return self.host == other.host;
        }
        if self.user.as_deref().map(unescape) != other.user.as_deref().map(unescape) {
            return false;
        }
        if !self.host.eq_ignore_ascii_case(&other.host) || self.port != other.port {
            return false;
        }
        ["transport", "user", "ttl", "method", "maddr"]
            .iter()
            .all(|name| {
                let left = self.params.get(name).map(str::to_ascii_lowercase);
                let right = other.params.get(name).map(str::to_ascii_lowercase);
                left == right
            })
    }
}

impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.scheme {
            Scheme::Sip => f.write_str("sip:")?,
            Scheme::Sips => f.write_str("sips:")?,
            Scheme::Tel => f.write_str("tel:")?,
            Scheme::Other(name) => return write!(f, "{name}:{}", self.host),
        }
        if let Some(user) = &self.user {
            f.write_str(user)?;
            if let Some(password) = &self.password {
                write!(f, ":{password}")?;
            }
            if self.scheme != Scheme::Tel {
                f.write_str("@")?;
            }
        }
        f.write_str(&self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        write!(f, "{}", self.params)?;
        for (index, (name, value)) in self.headers.iter().enumerate() {
            let separator = if index == 0 { '?' } else { '&' };
            write!(f, "{separator}{name}={value}")?;
        }
        Ok(())
    }
}

/// Decodes `%XX` escapes; malformed escapes are kept literally.
pub fn unescape(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        if byte == b'%' {
            let high = bytes.get(index + 1).and_then(|b| hex_value(*b));
            let low = bytes.get(index + 2).and_then(|b| hex_value(*b));
            if let (Some(high), Some(low)) = (high, low) {
                out.push(high * 16 + low);
                index += 3;
                continue;
            }
        }
        out.push(byte);
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-escapes every byte that may not appear in a URI header value.
pub fn escape_header_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.!~*'()[]/?:+$".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn hex_value(byte: u8) -> Option<u8> {
    char::from(byte)
        .to_digit(16)
        .and_then(|digit| u8::try_from(digit).ok())
}

/// Checks that every `%` starts a valid two-digit escape.
fn check_escapes(text: &str) -> Result<(), ParseError> {
    let bytes = text.as_bytes();
    for (index, byte) in bytes.iter().enumerate() {
        if *byte == b'%' {
            let valid = bytes.get(index + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(index + 2).is_some_and(u8::is_ascii_hexdigit);
            if !valid {
                return Err(ParseError::Uri("bad escape"));
            }
        }
    }
    Ok(())
}

fn parse_sip(scheme: Scheme, rest: &str) -> Result<Uri, ParseError> {
    // No '@' may appear after the userinfo (params and headers exclude it),
    // so the first '@' ends the userinfo even if it contains '?' or ';'.
    let (userinfo, hostpart) = match rest.split_once('@') {
        Some((userinfo, hostpart)) => (Some(userinfo), hostpart),
        None => (None, rest),
    };
    let (user, password) = match userinfo {
        None => (None, None),
        Some(userinfo) => {
            check_escapes(userinfo)?;
            let (user, password) = match userinfo.split_once(':') {
                Some((user, password)) => (user, Some(password.to_owned())),
                None => (userinfo, None),
            };
            if user.is_empty() {
                return Err(ParseError::Uri("empty user"));
            }
            (Some(user.to_owned()), password)
        }
    };
    let (hostpart, headers_text) = match hostpart.split_once('?') {
        Some((hostpart, headers)) => (hostpart, Some(headers)),
        None => (hostpart, None),
    };
    let (hostport, params_text) = match hostpart.split_once(';') {
        Some((hostport, params)) => (hostport, Some(params)),
        None => (hostpart, None),
    };
    let (host, port) = parse_hostport(hostport)?;
    let params = match params_text {
        None => Params::default(),
        Some(text) => {
            check_escapes(text)?;
            parse_uri_params(text)?
        }
    };
    let mut headers = Vec::new();
    if let Some(text) = headers_text {
        check_escapes(text)?;
        for pair in text.split('&') {
            let Some((name, value)) = pair.split_once('=') else {
                return Err(ParseError::Uri("uri header without '='"));
            };
            if name.is_empty() {
                return Err(ParseError::Uri("empty uri header name"));
            }
            headers.push((name.to_owned(), value.to_owned()));
        }
    }
    Ok(Uri {
        scheme,
        user,
        password,
        host,
        port,
        params,
        headers,
    })
}

fn parse_tel(rest: &str) -> Result<Uri, ParseError> {
    let (number, params_text) = match rest.split_once(';') {
        Some((number, params)) => (number, Some(params)),
        None => (rest, None),
    };
    let number_ok = !number.is_empty()
        && number
            .bytes()
            .all(|byte| byte.is_ascii_hexdigit() || b"+-.()*#pw".contains(&byte));
    if !number_ok {
        return Err(ParseError::Uri("bad telephone number"));
    }
    let params = match params_text {
        None => Params::default(),
        Some(text) => parse_uri_params(text)?,
    };
    Ok(Uri {
        scheme: Scheme::Tel,
        user: Some(number.to_owned()),
        password: None,
        host: String::new(),
        port: None,
        params,
        headers: Vec::new(),
    })
}

fn parse_uri_params(text: &str) -> Result<Params, ParseError> {
    let mut params = Params::default();
    for param in text.split(';') {
        let (name, value) = match param.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (param, None),
        };
        if name.is_empty() {
            return Err(ParseError::Uri("empty parameter"));
        }
        params.push(name, value);
    }
    Ok(params)
}

/// Parses `host[:port]` where host may be a bracketed IPv6 reference.
pub(crate) fn parse_hostport(text: &str) -> Result<(String, Option<u16>), ParseError> {
    let (host, port_text) = if text.starts_with('[') {
        let Some(end) = text.find(']') else {
            return Err(ParseError::Uri("unterminated ipv6 reference"));
        };
        let host = text.get(..=end).unwrap_or("");
        let inner = text.get(1..end).unwrap_or("");
        let inner_ok = inner.contains(':')
            && inner
                .bytes()
                .all(|byte| byte.is_ascii_hexdigit() || byte == b':' || byte == b'.');
        if !inner_ok {
            return Err(ParseError::Uri("bad ipv6 reference"));
        }
        match text.get(end + 1..).unwrap_or("") {
            "" => (host, None),
            after => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return Err(ParseError::Uri("junk after ipv6 reference")),
            },
        }
    } else {
        match text.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        }
    };
    let host_ok = host.starts_with('[')
        || (!host.is_empty()
            && host
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || b"-._".contains(&byte)));
    if !host_ok {
        return Err(ParseError::Uri("bad host"));
    }
    let port = match port_text {
        None => None,
        Some(port) => {
            if port.is_empty() || !port.bytes().all(|byte| byte.is_ascii_digit()) {
                return Err(ParseError::Uri("bad port"));
            }
            Some(
                port.parse::<u16>()
                    .map_err(|_| ParseError::Uri("bad port"))?,
            )
        }
    };
    Ok((host.to_owned(), port))
}
