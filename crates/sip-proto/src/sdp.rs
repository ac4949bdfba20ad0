//! SDP (RFC 4566) parsing and printing, and audio offer/answer (RFC 3264)
//! for G.711 (PCMA, PCMU) plus RFC 4733 telephone-event.

use std::fmt;

use crate::error::ParseError;
use crate::header::parse_decimal;

/// A session description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// `o=` line.
    pub origin: Origin,
    /// `s=` line (`-` when there is no name).
    pub name: String,
    /// Session-level `c=`.
    pub connection: Option<Connection>,
    /// `t=` lines, raw.
    pub times: Vec<String>,
    /// Session-level `a=` lines.
    pub attributes: Vec<Attribute>,
    /// Other session-level lines (`i u e p b r z k`), raw, in order.
    pub other: Vec<(char, String)>,
    /// Media descriptions.
    pub media: Vec<Media>,
}

/// The `o=` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// User name, `-` for none.
    pub username: String,
    /// Session id (digits).
    pub session_id: String,
    /// Session version, incremented on every change.
    pub version: u64,
    /// Address type, `IP4` or `IP6`.
    pub addr_type: String,
    /// Unicast address of the originator.
    pub address: String,
}

/// A `c=` line (network type is always `IN`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// `IP4` or `IP6`.
    pub addr_type: String,
    /// The address (a multicast TTL suffix is kept as received).
    pub address: String,
}

/// An `a=` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// Attribute name.
    pub name: String,
    /// Value after the colon, if any.
    pub value: Option<String>,
}

/// An `m=` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    /// `audio`, `video`, ...
    pub kind: String,
    /// Transport port; 0 means the stream is rejected or disabled.
    pub port: u16,
    /// Optional `/count` after the port.
    pub port_count: Option<u16>,
    /// `RTP/AVP`, ...
    pub protocol: String,
    /// Format list (payload type numbers for RTP).
    pub formats: Vec<String>,
    /// Media-level `c=`.
    pub connection: Option<Connection>,
    /// Media-level `a=` lines.
    pub attributes: Vec<Attribute>,
    /// Other media-level lines (`i b k`), raw.
    pub other: Vec<(char, String)>,
}

/// Media direction attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `a=sendrecv` (the default).
    SendRecv,
    /// `a=sendonly`
    SendOnly,
    /// `a=recvonly`
    RecvOnly,
    /// `a=inactive`
    Inactive,
}

impl Direction {
    /// The attribute name.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// The direction an answerer uses for an offered direction
    /// (RFC 3264 section 6.1).
    pub fn mirrored(self) -> Direction {
        match self {
            Direction::SendRecv => Direction::SendRecv,
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            Direction::Inactive => Direction::Inactive,
        }
    }

    fn from_name(name: &str) -> Option<Direction> {
        [
            Direction::SendRecv,
            Direction::SendOnly,
            Direction::RecvOnly,
            Direction::Inactive,
        ]
        .into_iter()
        .find(|direction| direction.as_str() == name)
    }
}

impl Session {
    /// Parses an SDP body. Accepts CRLF or LF line ends.
    pub fn parse(body: &[u8]) -> Result<Session, ParseError> {
        let text = std::str::from_utf8(body).map_err(|_| sdp_error(0, "not utf-8"))?;
        let mut version_seen = false;
        let mut origin = None;
        let mut name = None;
        let mut session = Session {
            origin: Origin {
                username: String::new(),
                session_id: String::new(),
                version: 0,
                addr_type: String::new(),
                address: String::new(),
            },
            name: String::new(),
            connection: None,
            times: Vec::new(),
            attributes: Vec::new(),
            other: Vec::new(),
            media: Vec::new(),
        };
        for (index, raw_line) in text.split('\n').enumerate() {
            let number = index + 1;
            let line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
            if line.is_empty() {
                continue;
            }
            let mut chars = line.chars();
            let (Some(kind), Some('=')) = (chars.next(), chars.next()) else {
                return Err(sdp_error(number, "line is not 'x=value'"));
            };
            let value = chars.as_str();
            if !version_seen {
                if kind != 'v' || value != "0" {
                    return Err(sdp_error(number, "first line must be v=0"));
                }
                version_seen = true;
                continue;
            }
            match (kind, session.media.last_mut()) {
                ('m', _) => session.media.push(parse_media(value, number)?),
                ('c', Some(media)) => media.connection = Some(parse_connection(value, number)?),
                ('a', Some(media)) => media.attributes.push(parse_attribute(value)),
                ('i' | 'b' | 'k', Some(media)) => media.other.push((kind, value.to_owned())),
                (_, Some(_)) => return Err(sdp_error(number, "unexpected line in media section")),
                ('o', None) => origin = Some(parse_origin(value, number)?),
                ('s', None) => name = Some(value.to_owned()),
                ('c', None) => session.connection = Some(parse_connection(value, number)?),
                ('t', None) => session.times.push(value.to_owned()),
                ('a', None) => session.attributes.push(parse_attribute(value)),
                ('i' | 'u' | 'e' | 'p' | 'b' | 'r' | 'z' | 'k', None) => {
                    session.other.push((kind, value.to_owned()));
                }
                (_, None) => return Err(sdp_error(number, "unknown line type")),
            }
        }
        if !version_seen {
            return Err(sdp_error(1, "empty description"));
        }
        session.origin = origin.ok_or(sdp_error(0, "missing o= line"))?;
        session.name = name.ok_or(sdp_error(0, "missing s= line"))?;
        Ok(session)
    }

    /// The session-level direction attribute, if any.
    pub fn direction(&self) -> Option<Direction> {
        direction_of(&self.attributes)
    }

    /// Serialises with CRLF line ends, in RFC 4566 order.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_string().into_bytes()
    }
}

impl fmt::Display for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let origin = &self.origin;
        write!(
            f,
            "v=0\r\no={} {} {} IN {} {}\r\ns={}\r\n",
            origin.username,
            origin.session_id,
            origin.version,
            origin.addr_type,
            origin.address,
            self.name
        )?;
        let write_other = |f: &mut fmt::Formatter<'_>, kinds: &str| -> fmt::Result {
            for (kind, value) in self.other.iter().filter(|(kind, _)| kinds.contains(*kind)) {
                write!(f, "{kind}={value}\r\n")?;
            }
            Ok(())
        };
        write_other(f, "iuep")?;
        if let Some(connection) = &self.connection {
            write!(f, "{connection}")?;
        }
        write_other(f, "b")?;
        if self.times.is_empty() {
            f.write_str("t=0 0\r\n")?;
        }
        for time in &self.times {
            write!(f, "t={time}\r\n")?;
        }
        write_other(f, "rzk")?;
        for attribute in &self.attributes {
            write!(f, "{attribute}")?;
        }
        for media in &self.media {
            write!(f, "{media}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "c=IN {} {}\r\n", self.addr_type, self.address)
    }
}

impl fmt::Display for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(value) => write!(f, "a={}:{value}\r\n", self.name),
            None => write!(f, "a={}\r\n", self.name),
        }
    }
}

impl fmt::Display for Media {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "m={} {}", self.kind, self.port)?;
        if let Some(count) = self.port_count {
            write!(f, "/{count}")?;
        }
        write!(f, " {}", self.protocol)?;
        for format in &self.formats {
            write!(f, " {format}")?;
        }
        f.write_str("\r\n")?;
        for (kind, value) in self.other.iter().filter(|(kind, _)| *kind == 'i') {
            write!(f, "{kind}={value}\r\n")?;
        }
        if let Some(connection) = &self.connection {
            write!(f, "{connection}")?;
        }
        for (kind, value) in self.other.iter().filter(|(kind, _)| *kind != 'i') {
            write!(f, "{kind}={value}\r\n")?;
        }
        for attribute in &self.attributes {
            write!(f, "{attribute}")?;
        }
        Ok(())
    }
}

impl Media {
    /// The `a=rtpmap` entry for payload type `pt`: `(encoding, clock rate)`.
    pub fn rtpmap(&self, pt: &str) -> Option<(&str, u32)> {
        self.attributes
            .iter()
            .filter(|attribute| attribute.name == "rtpmap")
            .filter_map(|attribute| attribute.value.as_deref())
            .find_map(|value| {
                let (number, rest) = value.split_once(' ')?;
                if number != pt {
                    return None;
                }
                let mut parts = rest.trim().split('/');
                let encoding = parts.next()?;
                let clock = parts.next().and_then(parse_decimal)?;
                Some((encoding, clock))
            })
    }

    /// The `a=fmtp` parameters for payload type `pt`.
    pub fn fmtp(&self, pt: &str) -> Option<&str> {
        self.attributes
            .iter()
            .filter(|attribute| attribute.name == "fmtp")
            .filter_map(|attribute| attribute.value.as_deref())
            .find_map(|value| {
                let (number, rest) = value.split_once(' ')?;
                (number == pt).then_some(rest.trim())
            })
    }

    /// The media-level direction attribute, if any.
    pub fn direction(&self) -> Option<Direction> {
        direction_of(&self.attributes)
    }
}

fn direction_of(attributes: &[Attribute]) -> Option<Direction> {
    attributes
        .iter()
        .filter(|attribute| attribute.value.is_none())
        .find_map(|attribute| Direction::from_name(&attribute.name))
}

fn sdp_error(line: usize, reason: &'static str) -> ParseError {
    ParseError::Sdp { line, reason }
}

fn parse_origin(value: &str, number: usize) -> Result<Origin, ParseError> {
    let fields: Vec<&str> = value.split(' ').collect();
    let [username, session_id, version, net_type, addr_type, address] = fields.as_slice() else {
        return Err(sdp_error(number, "o= needs six fields"));
    };
    if *net_type != "IN" {
        return Err(sdp_error(number, "network type is not IN"));
    }
    let version = parse_decimal(version).ok_or(sdp_error(number, "bad session version"))?;
    if session_id.is_empty() || !session_id.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(sdp_error(number, "bad session id"));
    }
    Ok(Origin {
        username: (*username).to_owned(),
        session_id: (*session_id).to_owned(),
        version,
        addr_type: (*addr_type).to_owned(),
        address: (*address).to_owned(),
    })
}

fn parse_connection(value: &str, number: usize) -> Result<Connection, ParseError> {
    let fields: Vec<&str> = value.split(' ').collect();
    let [net_type, addr_type, address] = fields.as_slice() else {
        return Err(sdp_error(number, "c= needs three fields"));
    };
    if *net_type != "IN" || !matches!(*addr_type, "IP4" | "IP6") || address.is_empty() {
        return Err(sdp_error(number, "bad connection data"));
    }
    Ok(Connection {
        addr_type: (*addr_type).to_owned(),
        address: (*address).to_owned(),
    })
}

fn parse_attribute(value: &str) -> Attribute {
    match value.split_once(':') {
        Some((name, value)) => Attribute {
            name: name.to_owned(),
            value: Some(value.to_owned()),
        },
        None => Attribute {
            name: value.to_owned(),
            value: None,
        },
    }
}

fn parse_media(value: &str, number: usize) -> Result<Media, ParseError> {
    let mut fields = value.split(' ');
    let kind = fields.next().unwrap_or("");
    let port_text = fields.next().unwrap_or("");
    let protocol = fields.next().unwrap_or("");
    let formats: Vec<String> = fields.map(str::to_owned).collect();
    if kind.is_empty() || protocol.is_empty() || formats.is_empty() {
        return Err(sdp_error(
            number,
            "m= needs media, port, protocol and formats",
        ));
    }
    if formats.iter().any(String::is_empty) {
        return Err(sdp_error(number, "empty format"));
    }
    let (port, port_count) = match port_text.split_once('/') {
        Some((port, count)) => (port, Some(count)),
        None => (port_text, None),
    };
    let port = parse_decimal(port).ok_or(sdp_error(number, "bad port"))?;
    let port_count = match port_count {
        None => None,
        Some(count) => Some(parse_decimal(count).ok_or(sdp_error(number, "bad port count"))?),
    };
    Ok(Media {
        kind: kind.to_owned(),
        port,
        port_count,
        protocol: protocol.to_owned(),
        formats,
        connection: None,
        attributes: Vec::new(),
        other: Vec::new(),
    })
}

/// The audio codecs civicline relays without transcoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// G.711 A-law, static payload type 8.
    Pcma,
    /// G.711 mu-law, static payload type 0.
    Pcmu,
}

impl Codec {
    /// The rtpmap encoding name.
    pub fn encoding(self) -> &'static str {
        match self {
            Codec::Pcma => "PCMA",
            Codec::Pcmu => "PCMU",
        }
    }

    /// The static payload type (RFC 3551).
    pub fn static_payload_type(self) -> u8 {
        match self {
            Codec::Pcma => 8,
            Codec::Pcmu => 0,
        }
    }
}

/// Our side of a negotiation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalMedia {
    /// `IP4` or `IP6`.
    pub addr_type: String,
    /// Address we receive RTP on.
    pub address: String,
    /// Port we receive RTP on.
    pub port: u16,
    /// Codecs we accept (any order; the offer's order decides).
    pub codecs: Vec<Codec>,
    /// Session id for `o=`.
    pub session_id: u64,
    /// Session version for `o=`; bump it on every changed description.
    pub session_version: u64,
}

/// What an offer/answer exchange settled on for the audio stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// The codec.
    pub codec: Codec,
    /// Its payload type, as numbered by the offerer.
    pub payload_type: u8,
    /// RFC 4733 payload type, as numbered by the offerer, if both support it.
    pub telephone_event: Option<u8>,
    /// Where to send RTP (before latching).
    pub remote_address: String,
    /// Remote RTP port.
    pub remote_port: u16,
    /// Our direction for this stream.
    pub direction: Direction,
    /// Index of the audio `m=` line used.
    pub media_index: usize,
}

/// An offer could not be answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NegotiationError {
    /// No acceptable audio stream: answer 488 Not Acceptable Here.
    NotAcceptable(&'static str),
}

impl NegotiationError {
    /// The SIP status to answer with.
    pub fn status(&self) -> u16 {
        488
    }
}

impl fmt::Display for NegotiationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NegotiationError::NotAcceptable(reason) => write!(f, "not acceptable here: {reason}"),
        }
    }
}

impl std::error::Error for NegotiationError {}

/// The telephone-event events we offer and answer (DTMF 0-9 * # A-D and
/// flash).
const TELEPHONE_EVENTS: &str = "0-16";

/// Answers an offer (RFC 3264 section 6): the first acceptable audio
/// stream gets the first offered codec we support (with the offer's
/// payload number), telephone-event if offered, the mirrored direction
/// and our address and port; every other stream is rejected with port 0.
pub fn answer(
    offer: &Session,
    local: &LocalMedia,
) -> Result<(Session, Negotiated), NegotiationError> {
    let mut negotiated = None;
    let mut answer_media = Vec::with_capacity(offer.media.len());
    for (index, offered) in offer.media.iter().enumerate() {
        let accepted = if negotiated.is_none() {
            accept_stream(offer, offered, local, index)
        } else {
            None
        };
        match accepted {
            Some((media, result)) => {
                answer_media.push(media);
                negotiated = Some(result);
            }
            None => answer_media.push(rejected(offered)),
        }
    }
    let negotiated = negotiated.ok_or(NegotiationError::NotAcceptable(
        "no acceptable audio stream",
    ))?;
    let session = Session {
        origin: local_origin(local),
        name: "-".to_owned(),
        connection: Some(Connection {
            addr_type: local.addr_type.clone(),
            address: local.address.clone(),
        }),
        times: vec!["0 0".to_owned()],
        attributes: Vec::new(),
        other: Vec::new(),
        media: answer_media,
    };
    Ok((session, negotiated))
}

/// Builds an audio offer listing `local.codecs` in order, plus
/// telephone-event on `telephone_event_pt`, with `direction`.
pub fn offer(local: &LocalMedia, telephone_event_pt: u8, direction: Direction) -> Session {
    let mut formats: Vec<String> = local
        .codecs
        .iter()
        .map(|codec| codec.static_payload_type().to_string())
        .collect();
    formats.push(telephone_event_pt.to_string());
    let mut attributes: Vec<Attribute> = local
        .codecs
        .iter()
        .map(|codec| {
            attribute(
                "rtpmap",
                &format!("{} {}/8000", codec.static_payload_type(), codec.encoding()),
            )
        })
        .collect();
    attributes.push(attribute(
        "rtpmap",
        &format!("{telephone_event_pt} telephone-event/8000"),
    ));
    attributes.push(attribute(
        "fmtp",
        &format!("{telephone_event_pt} {TELEPHONE_EVENTS}"),
    ));
    attributes.push(attribute("ptime", "20"));
    attributes.push(Attribute {
        name: direction.as_str().to_owned(),
        value: None,
    });
    Session {
        origin: local_origin(local),
        name: "-".to_owned(),
        connection: Some(Connection {
            addr_type: local.addr_type.clone(),
            address: local.address.clone(),
        }),
        times: vec!["0 0".to_owned()],
        attributes: Vec::new(),
        other: Vec::new(),
        media: vec![Media {
            kind: "audio".to_owned(),
            port: local.port,
            port_count: None,
            protocol: "RTP/AVP".to_owned(),
            formats,
            connection: None,
            attributes,
            other: Vec::new(),
        }],
    }
}

/// Reads the result of our own offer from the peer's answer.
pub fn accept_answer(answer: &Session, local: &LocalMedia) -> Result<Negotiated, NegotiationError> {
    answer
        .media
        .iter()
        .enumerate()
        .find_map(|(index, media)| {
            accept_stream(answer, media, local, index).map(|(_, result)| result)
        })
        .ok_or(NegotiationError::NotAcceptable(
            "answer has no usable audio stream",
        ))
}

fn local_origin(local: &LocalMedia) -> Origin {
    Origin {
        username: "-".to_owned(),
        session_id: local.session_id.to_string(),
        version: local.session_version,
        addr_type: local.addr_type.clone(),
        address: local.address.clone(),
    }
}

fn attribute(name: &str, value: &str) -> Attribute {
    Attribute {
        name: name.to_owned(),
        value: Some(value.to_owned()),
    }
}

fn rejected(offered: &Media) -> Media {
    Media {
        kind: offered.kind.clone(),
        port: 0,
        port_count: None,
        protocol: offered.protocol.clone(),
        formats: offered.formats.clone(),
        connection: None,
        attributes: Vec::new(),
        other: Vec::new(),
    }
}

/// Which codec, if any, a payload type in `media` denotes.
fn codec_of(media: &Media, pt: &str) -> Option<Codec> {
    match media.rtpmap(pt) {
        Some((encoding, 8000)) if encoding.eq_ignore_ascii_case("PCMA") => Some(Codec::Pcma),
        Some((encoding, 8000)) if encoding.eq_ignore_ascii_case("PCMU") => Some(Codec::Pcmu),
        Some(_) => None,
        None => match pt {
            "8" => Some(Codec::Pcma),
            "0" => Some(Codec::Pcmu),
            _ => None,
        },
    }
}

fn accept_stream(
    session: &Session,
    offered: &Media,
    local: &LocalMedia,
    index: usize,
) -> Option<(Media, Negotiated)> {
    if offered.kind != "audio" || offered.protocol != "RTP/AVP" || offered.port == 0 {
        return None;
    }
    let connection = offered
        .connection
        .as_ref()
        .or(session.connection.as_ref())?;
    let (format, codec) = offered.formats.iter().find_map(|format| {
        let codec = codec_of(offered, format)?;
        local.codecs.contains(&codec).then_some((format, codec))
    })?;
    let payload_type: u8 = parse_decimal(format)?;
    let telephone_event = offered.formats.iter().find(|format| {
        offered.rtpmap(format).is_some_and(|(encoding, clock)| {
            encoding.eq_ignore_ascii_case("telephone-event") && clock == 8000
        })
    });
    let offered_direction = offered
        .direction()
        .or(session.direction())
        .unwrap_or(Direction::SendRecv);
    let direction = offered_direction.mirrored();
    let mut formats = vec![format.clone()];
    let mut attributes = vec![attribute(
        "rtpmap",
        &format!("{format} {}/8000", codec.encoding()),
    )];
    let telephone_event_pt = telephone_event.and_then(|format| {
        formats.push(format.clone());
        attributes.push(attribute(
            "rtpmap",
            &format!("{format} telephone-event/8000"),
        ));
        attributes.push(attribute("fmtp", &format!("{format} {TELEPHONE_EVENTS}")));
        parse_decimal(format)
    });
    attributes.push(attribute("ptime", "20"));
    attributes.push(Attribute {
        name: direction.as_str().to_owned(),
        value: None,
    });
    let media = Media {
        kind: "audio".to_owned(),
        port: local.port,
        port_count: None,
        protocol: "RTP/AVP".to_owned(),
        formats,
        connection: None,
        attributes,
        other: Vec::new(),
    };
    let negotiated = Negotiated {
        codec,
        payload_type,
        telephone_event: telephone_event_pt,
        remote_address: connection.address.clone(),
        remote_port: offered.port,
        direction,
        media_index: index,
    };
    Some((media, negotiated))
}
