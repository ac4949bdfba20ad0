//! Minimal RTCP (RFC 3550 section 6): walking a compound packet far enough to recognise
//! and skip each part (SR, RR, SDES, BYE, APP), and writing the sender report, CNAME and
//! BYE that the switch sends for the streams it originates or rewrites.

use std::fmt;

use crate::rtp::{be16, be32};

#[cfg(test)]
mod tests;

/// The packet types this crate knows by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RtcpKind {
    /// 200, sender report.
    SenderReport,
    /// 201, receiver report.
    ReceiverReport,
    /// 202, source description.
    SourceDescription,
    /// 203, goodbye.
    Bye,
    /// 204, application-defined.
    App,
    /// Any other packet type (feedback, extended reports, ...).
    Other(u8),
}

impl RtcpKind {
    fn from_byte(byte: u8) -> RtcpKind {
        match byte {
            200 => RtcpKind::SenderReport,
            201 => RtcpKind::ReceiverReport,
            202 => RtcpKind::SourceDescription,
            203 => RtcpKind::Bye,
            204 => RtcpKind::App,
            other => RtcpKind::Other(other),
        }
    }
}

/// The sender-info block of a sender report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderInfo {
    /// Wallclock time as a 64-bit NTP timestamp (32.32 fixed point since 1900).
    pub ntp_timestamp: u64,
    /// The RTP timestamp corresponding to `ntp_timestamp`.
    pub rtp_timestamp: u32,
    /// Packets sent since the stream started.
    pub packet_count: u32,
    /// Payload octets sent since the stream started.
    pub octet_count: u32,
}

/// One packet inside a compound RTCP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtcpPacket<'a> {
    /// The packet type.
    pub kind: RtcpKind,
    /// The five-bit count field (report blocks, SDES chunks or BYE sources).
    pub count: u8,
    /// The body after the four-byte header, without padding.
    pub body: &'a [u8],
}

impl<'a> RtcpPacket<'a> {
    /// The SSRC of the sender (SR, RR, APP) or the first source (SDES, BYE), if present.
    pub fn ssrc(&self) -> Option<u32> {
        be32(self.body, 0)
    }

    /// The sender info of a sender report.
    pub fn sender_info(&self) -> Option<SenderInfo> {
        if self.kind != RtcpKind::SenderReport {
            return None;
        }
        let high = be32(self.body, 4)?;
        let low = be32(self.body, 8)?;
        Some(SenderInfo {
            ntp_timestamp: (u64::from(high) << 32) | u64::from(low),
            rtp_timestamp: be32(self.body, 12)?,
            packet_count: be32(self.body, 16)?,
            octet_count: be32(self.body, 20)?,
        })
    }

    /// The sources leaving, for a BYE; empty for other kinds.
    pub fn bye_sources(&self) -> impl Iterator<Item = u32> + 'a {
        let count = if self.kind == RtcpKind::Bye {
            usize::from(self.count)
        } else {
            0
        };
        let body = self.body;
        (0..count).map_while(move |i| be32(body, 4 * i))
    }
}

/// Why bytes are not a valid RTCP packet, or why a packet does not fit a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RtcpError {
    /// Fewer bytes than a header or its length field announce.
    Truncated {
        /// Bytes needed from the start of the part being parsed.
        needed: usize,
        /// Bytes present in that part.
        got: usize,
    },
    /// The version field is not 2.
    BadVersion(u8),
    /// The padding count is zero or longer than the packet body.
    BadPadding(u8),
    /// The output buffer is too small.
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        got: usize,
    },
    /// An SDES item is longer than 255 bytes.
    ItemTooLong(usize),
}

impl fmt::Display for RtcpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RtcpError::Truncated { needed, got } => {
                write!(f, "truncated rtcp packet: need {needed} bytes, got {got}")
            }
            RtcpError::BadVersion(version) => write!(f, "unsupported rtcp version {version}"),
            RtcpError::BadPadding(count) => write!(f, "invalid rtcp padding count {count}"),
            RtcpError::BufferTooSmall { needed, got } => {
                write!(f, "buffer too small: need {needed} bytes, got {got}")
            }
            RtcpError::ItemTooLong(len) => write!(f, "sdes item of {len} bytes is too long"),
        }
    }
}

impl std::error::Error for RtcpError {}

/// Iterates over the packets of a compound RTCP packet. After the first error it yields
/// nothing more, because the rest cannot be framed.
pub fn parse_compound(bytes: &[u8]) -> RtcpIter<'_> {
    RtcpIter { rest: bytes }
}

/// Iterator returned by [`parse_compound`].
#[derive(Debug, Clone)]
pub struct RtcpIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for RtcpIter<'a> {
    type Item = Result<RtcpPacket<'a>, RtcpError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let result = parse_one(self.rest);
        match result {
            Ok((packet, consumed)) => {
                self.rest = self.rest.get(consumed..).unwrap_or_default();
                Some(Ok(packet))
            }
            Err(err) => {
                self.rest = &[];
                Some(Err(err))
            }
        }
    }
}

fn parse_one(bytes: &[u8]) -> Result<(RtcpPacket<'_>, usize), RtcpError> {
    let got = bytes.len();
    let (Some(&first), Some(&kind), Some(words)) = (bytes.first(), bytes.get(1), be16(bytes, 2))
    else {
        return Err(RtcpError::Truncated { needed: 4, got });
    };
    let version = first >> 6;
    if version != 2 {
        return Err(RtcpError::BadVersion(version));
    }
    let total = 4 * (usize::from(words) + 1);
    let packet = bytes
        .get(..total)
        .ok_or(RtcpError::Truncated { needed: total, got })?;
    let mut body = packet.get(4..).unwrap_or_default();
    if first & 0x20 != 0 {
        let count = body.last().copied().unwrap_or(0);
        if count == 0 || usize::from(count) > body.len() {
            return Err(RtcpError::BadPadding(count));
        }
        body = body
            .get(..body.len() - usize::from(count))
            .unwrap_or_default();
    }
    let packet = RtcpPacket {
        kind: RtcpKind::from_byte(kind),
        count: first & 0x1F,
        body,
    };
    Ok((packet, total))
}

/// A sender report without report blocks, describing one stream the switch sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderReport {
    /// SSRC of the stream.
    pub ssrc: u32,
    /// Wallclock and counters.
    pub info: SenderInfo,
}

/// Length of a sender report without report blocks.
pub const SENDER_REPORT_LEN: usize = 28;

impl SenderReport {
    /// Writes the report into `out`; returns its length.
    pub fn write(&self, out: &mut [u8]) -> Result<usize, RtcpError> {
        let packet = take(out, SENDER_REPORT_LEN)?;
        write_header(packet, 0, 200);
        packet[4..8].copy_from_slice(&self.ssrc.to_be_bytes());
        packet[8..16].copy_from_slice(&self.info.ntp_timestamp.to_be_bytes());
        packet[16..20].copy_from_slice(&self.info.rtp_timestamp.to_be_bytes());
        packet[20..24].copy_from_slice(&self.info.packet_count.to_be_bytes());
        packet[24..28].copy_from_slice(&self.info.octet_count.to_be_bytes());
        Ok(SENDER_REPORT_LEN)
    }
}

/// Writes an SDES packet with one chunk carrying the CNAME item; returns its length.
pub fn write_sdes_cname(ssrc: u32, cname: &[u8], out: &mut [u8]) -> Result<usize, RtcpError> {
    let item_len = u8::try_from(cname.len()).map_err(|_| RtcpError::ItemTooLong(cname.len()))?;
    // Header, SSRC, item type and length, text, then at least one null octet to end
    // the item list, padded to a 32-bit boundary.
    let unpadded = 4 + 4 + 2 + cname.len() + 1;
    let total = unpadded.div_ceil(4) * 4;
    let packet = take(out, total)?;
    write_header(packet, 1, 202);
    packet[4..8].copy_from_slice(&ssrc.to_be_bytes());
    packet[8] = 1;
    packet[9] = item_len;
    packet[10..10 + cname.len()].copy_from_slice(cname);
    packet[10 + cname.len()..].fill(0);
    Ok(total)
}

/// Writes a BYE for one source, without a reason; returns its length.
pub fn write_bye(ssrc: u32, out: &mut [u8]) -> Result<usize, RtcpError> {
    let packet = take(out, 8)?;
    write_header(packet, 1, 203);
    packet[4..8].copy_from_slice(&ssrc.to_be_bytes());
    Ok(8)
}

/// Converts milliseconds since the Unix epoch to a 64-bit NTP timestamp.
pub fn ntp_from_unix_millis(unix_millis: u64) -> u64 {
    const NTP_UNIX_OFFSET_SECS: u64 = 2_208_988_800;
    let seconds = unix_millis / 1000 + NTP_UNIX_OFFSET_SECS;
    let fraction = ((unix_millis % 1000) << 32) / 1000;
    (seconds << 32) | fraction
}

fn take(out: &mut [u8], needed: usize) -> Result<&mut [u8], RtcpError> {
    let got = out.len();
    out.get_mut(..needed)
        .ok_or(RtcpError::BufferTooSmall { needed, got })
}

/// Writes the common header; `packet` is the whole packet, a multiple of four bytes.
fn write_header(packet: &mut [u8], count: u8, kind: u8) {
    let words = (packet.len() / 4 - 1) as u16;
    packet[0] = 0x80 | (count & 0x1F);
    packet[1] = kind;
    packet[2..4].copy_from_slice(&words.to_be_bytes());
}
