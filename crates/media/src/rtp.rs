//! RTP packets (RFC 3550 section 5): a zero-copy parser over received bytes, a writer
//! into caller buffers and in-place rewriting of the fixed header for the relay.
//!
//! Parsing never panics: every malformed input is an [`RtpError`].

use std::fmt;

#[cfg(test)]
mod tests;

/// Length of the fixed RTP header.
pub const HEADER_LEN: usize = 12;

/// The fixed-header fields that the switch reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpHeader {
    /// Marker bit: the start of a talkspurt, a DTMF event or a splice.
    pub marker: bool,
    /// Payload type, 0 to 127.
    pub payload_type: u8,
    /// Sequence number.
    pub sequence: u16,
    /// Sampling-clock timestamp.
    pub timestamp: u32,
    /// Synchronisation source.
    pub ssrc: u32,
}

/// A header extension (RFC 3550 section 5.3.1), left undecoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpExtension<'a> {
    /// The profile-defined 16 bits (0xBEDE for RFC 8285 one-byte headers).
    pub profile: u16,
    /// The extension body, a multiple of four bytes.
    pub data: &'a [u8],
}

/// A parsed RTP packet borrowing the received bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    /// The fixed header.
    pub header: RtpHeader,
    /// The raw CSRC list, four bytes per contributing source; see [`RtpPacket::csrcs`].
    pub csrc_bytes: &'a [u8],
    /// The header extension, when the X bit is set.
    pub extension: Option<RtpExtension<'a>>,
    /// Number of padding bytes removed from the end (P bit), zero without padding.
    pub padding: u8,
    /// The payload, without padding.
    pub payload: &'a [u8],
}

/// Why bytes are not a valid RTP packet, or why a packet does not fit a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RtpError {
    /// Fewer bytes than the fixed header, CSRC list or extension announce.
    Truncated {
        /// Bytes needed to go on parsing.
        needed: usize,
        /// Bytes present.
        got: usize,
    },
    /// The version field is not 2.
    BadVersion(u8),
    /// The padding count is zero or longer than the payload.
    BadPadding(u8),
    /// The payload type is above 127.
    BadPayloadType(u8),
    /// The output buffer is too small for the packet.
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        got: usize,
    },
}

impl fmt::Display for RtpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RtpError::Truncated { needed, got } => {
                write!(f, "truncated rtp packet: need {needed} bytes, got {got}")
            }
            RtpError::BadVersion(version) => write!(f, "unsupported rtp version {version}"),
            RtpError::BadPadding(count) => write!(f, "invalid rtp padding count {count}"),
            RtpError::BadPayloadType(pt) => write!(f, "payload type {pt} out of range"),
            RtpError::BufferTooSmall { needed, got } => {
                write!(f, "buffer too small: need {needed} bytes, got {got}")
            }
        }
    }
}

impl std::error::Error for RtpError {}

pub(crate) fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    let pair = bytes.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([*pair.first()?, *pair.get(1)?]))
}

pub(crate) fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let quad = bytes.get(at..at.checked_add(4)?)?;
    let array: [u8; 4] = quad.try_into().ok()?;
    Some(u32::from_be_bytes(array))
}

/// True when `bytes` look like RTCP rather than RTP on a muxed port (RFC 5761 section 4:
/// second byte 192 to 223).
pub fn is_rtcp(bytes: &[u8]) -> bool {
    matches!(bytes.get(1), Some(192..=223))
}

impl<'a> RtpPacket<'a> {
    /// Parses one RTP packet.
    pub fn parse(bytes: &'a [u8]) -> Result<RtpPacket<'a>, RtpError> {
        let truncated = |needed: usize| RtpError::Truncated {
            needed,
            got: bytes.len(),
        };
        let (Some(&first), Some(&second), Some(sequence), Some(timestamp), Some(ssrc)) = (
            bytes.first(),
            bytes.get(1),
            be16(bytes, 2),
            be32(bytes, 4),
            be32(bytes, 8),
        ) else {
            return Err(truncated(HEADER_LEN));
        };
        let version = first >> 6;
        if version != 2 {
            return Err(RtpError::BadVersion(version));
        }
        let has_padding = first & 0x20 != 0;
        let has_extension = first & 0x10 != 0;
        let csrc_count = usize::from(first & 0x0F);
        let header = RtpHeader {
            marker: second & 0x80 != 0,
            payload_type: second & 0x7F,
            sequence,
            timestamp,
            ssrc,
        };

        let mut offset = HEADER_LEN + 4 * csrc_count;
        let csrc_bytes = bytes.get(HEADER_LEN..offset).ok_or(truncated(offset))?;

        let extension = if has_extension {
            let (Some(profile), Some(words)) = (be16(bytes, offset), be16(bytes, offset + 2))
            else {
                return Err(truncated(offset + 4));
            };
            let start = offset + 4;
            let end = start + 4 * usize::from(words);
            let data = bytes.get(start..end).ok_or(truncated(end))?;
            offset = end;
            Some(RtpExtension { profile, data })
        } else {
            None
        };

        let rest = bytes.get(offset..).unwrap_or_default();
        let (padding, payload) = if has_padding {
            let count = rest.last().copied().unwrap_or(0);
            if count == 0 || usize::from(count) > rest.len() {
                return Err(RtpError::BadPadding(count));
            }
            let payload_len = rest.len() - usize::from(count);
            (count, rest.get(..payload_len).unwrap_or_default())
        } else {
            (0, rest)
        };

        Ok(RtpPacket {
            header,
            csrc_bytes,
            extension,
            padding,
            payload,
        })
    }

    /// The contributing sources.
    pub fn csrcs(&self) -> impl Iterator<Item = u32> + 'a {
        self.csrc_bytes
            .chunks_exact(4)
            .map(|quad| u32::from_be_bytes([quad[0], quad[1], quad[2], quad[3]]))
    }
}

impl RtpHeader {
    /// Writes this header (no CSRCs, no extension, no padding) followed by `payload` into
    /// `out`; returns the packet length.
    pub fn write(&self, payload: &[u8], out: &mut [u8]) -> Result<usize, RtpError> {
        if self.payload_type > 127 {
            return Err(RtpError::BadPayloadType(self.payload_type));
        }
        let needed = HEADER_LEN + payload.len();
        let got = out.len();
        let Some(packet) = out.get_mut(..needed) else {
            return Err(RtpError::BufferTooSmall { needed, got });
        };
        let (head, body) = packet.split_at_mut(HEADER_LEN);
        head[0] = 0x80;
        head[1] = (u8::from(self.marker) << 7) | self.payload_type;
        head[2..4].copy_from_slice(&self.sequence.to_be_bytes());
        head[4..8].copy_from_slice(&self.timestamp.to_be_bytes());
        head[8..12].copy_from_slice(&self.ssrc.to_be_bytes());
        body.copy_from_slice(payload);
        Ok(needed)
    }

    /// Overwrites marker, payload type, sequence, timestamp and SSRC of the packet at the
    /// front of `packet` in place, leaving version, flags, CSRCs, extension and payload.
    pub fn rewrite(&self, packet: &mut [u8]) -> Result<(), RtpError> {
        if self.payload_type > 127 {
            return Err(RtpError::BadPayloadType(self.payload_type));
        }
        let got = packet.len();
        let Some(head) = packet.get_mut(..HEADER_LEN) else {
            return Err(RtpError::Truncated {
                needed: HEADER_LEN,
                got,
            });
        };
        head[1] = (u8::from(self.marker) << 7) | self.payload_type;
        head[2..4].copy_from_slice(&self.sequence.to_be_bytes());
        head[4..8].copy_from_slice(&self.timestamp.to_be_bytes());
        head[8..12].copy_from_slice(&self.ssrc.to_be_bytes());
        Ok(())
    }
}

/// Signed distance from sequence number `from` to `to`, for reordering checks.
pub fn sequence_delta(from: u16, to: u16) -> i16 {
    to.wrapping_sub(from) as i16
}

/// Signed distance from timestamp `from` to `to`.
pub fn timestamp_delta(from: u32, to: u32) -> i32 {
    to.wrapping_sub(from) as i32
}
