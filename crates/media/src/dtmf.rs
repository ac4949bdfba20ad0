//! RFC 4733 telephone-events (DTMF over RTP): the four-byte payload, a detector that
//! reports each key press exactly once, and the packet sequence for sending a key.
//!
//! The telephone-event payload type is dynamic and must come from SDP; nothing here
//! assumes 101.

use std::fmt;

use crate::rtp::RtpPacket;
use crate::{Millis, PACKET_INTERVAL, SAMPLES_PER_PACKET};

#[cfg(test)]
mod tests;

/// One telephone-event payload (RFC 4733 section 2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    /// Event code: 0-9, 10 = `*`, 11 = `#`, 12-15 = A-D, others for tones and signals.
    pub event: u8,
    /// E bit: this packet reports the end of the event.
    pub end: bool,
    /// Power level in -dBm0, 0 to 63.
    pub volume: u8,
    /// Duration so far, in timestamp units (samples at 8 kHz).
    pub duration: u16,
}

/// Why a telephone-event payload cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DtmfError {
    /// The payload is shorter than four bytes.
    Truncated(usize),
}

impl fmt::Display for DtmfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DtmfError::Truncated(len) => {
                write!(
                    f,
                    "telephone-event payload of {len} bytes is shorter than 4"
                )
            }
        }
    }
}

impl std::error::Error for DtmfError {}

impl TelephoneEvent {
    /// Reads the first event of a payload. Extra bytes (several events in one payload)
    /// are ignored.
    pub fn parse(payload: &[u8]) -> Result<TelephoneEvent, DtmfError> {
        let [event, flags, high, low, ..] = *payload else {
            return Err(DtmfError::Truncated(payload.len()));
        };
        Ok(TelephoneEvent {
            event,
            end: flags & 0x80 != 0,
            volume: flags & 0x3F,
            duration: u16::from_be_bytes([high, low]),
        })
    }

    /// The four payload bytes; the volume is truncated to six bits.
    pub fn to_bytes(&self) -> [u8; 4] {
        let [high, low] = self.duration.to_be_bytes();
        [
            self.event,
            (u8::from(self.end) << 7) | (self.volume & 0x3F),
            high,
            low,
        ]
    }
}

/// The DTMF key of an event code, if it is one of the sixteen.
pub fn event_to_char(event: u8) -> Option<char> {
    b"0123456789*#ABCD"
        .get(usize::from(event))
        .map(|&b| char::from(b))
}

/// The event code of a DTMF key (`a`-`d` accepted in lower case).
pub fn char_to_event(key: char) -> Option<u8> {
    let upper = key.to_ascii_uppercase();
    b"0123456789*#ABCD"
        .iter()
        .position(|&b| char::from(b) == upper)
        .map(|i| i as u8)
}

/// A key press reported by [`DtmfDetector`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfDigit {
    /// Event code; see [`event_to_char`].
    pub event: u8,
    /// RTP timestamp shared by the event's packets.
    pub timestamp: u32,
    /// SSRC of the stream it came in.
    pub ssrc: u32,
}

impl DtmfDigit {
    /// The key as a character, for the sixteen DTMF events.
    pub fn key(&self) -> Option<char> {
        event_to_char(self.event)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seen {
    ssrc: u32,
    timestamp: u32,
    event: u8,
    ended: bool,
    duration: u16,
}

/// How many recent events the detector remembers for deduplication. Late packets of an
/// event older than this many presses would be reported again.
const REMEMBERED: usize = 8;

/// Reports each key press exactly once from the telephone-event packets of one stream,
/// as soon as any packet of the event arrives: the start (marker) packet, an update or,
/// when those were lost, one of the end packets. Events are keyed by SSRC and RTP
/// timestamp, so retransmitted start packets and the redundant end packets are ignored.
/// A long event split into segments (RFC 4733 section 2.5.1.3) is reported once.
#[derive(Debug, Clone)]
pub struct DtmfDetector {
    payload_type: u8,
    recent: [Option<Seen>; REMEMBERED],
    newest: usize,
}

impl DtmfDetector {
    /// A detector for the telephone-event payload type negotiated in SDP.
    pub fn new(payload_type: u8) -> DtmfDetector {
        DtmfDetector {
            payload_type,
            recent: [None; REMEMBERED],
            newest: 0,
        }
    }

    /// The payload type this detector listens to.
    pub fn payload_type(&self) -> u8 {
        self.payload_type
    }

    /// Feeds one received packet of any payload type; returns the key press it starts.
    pub fn handle_packet(&mut self, packet: &RtpPacket<'_>) -> Option<DtmfDigit> {
        let header = packet.header;
        if header.payload_type != self.payload_type {
            return None;
        }
        let event = TelephoneEvent::parse(packet.payload).ok()?;
        let (ssrc, timestamp) = (header.ssrc, header.timestamp);

        if let Some(seen) = self
            .recent
            .iter_mut()
            .flatten()
            .find(|seen| seen.ssrc == ssrc && seen.timestamp == timestamp)
        {
            seen.ended |= event.end;
            seen.duration = seen.duration.max(event.duration);
            return None;
        }

        let continues_long_event = !header.marker
            && self
                .recent
                .get(self.newest)
                .copied()
                .flatten()
                .is_some_and(|last| {
                    let gap = timestamp.wrapping_sub(last.timestamp);
                    last.ssrc == ssrc
                        && last.event == event.event
                        && !last.ended
                        && last.duration >= u16::MAX - 2 * SAMPLES_PER_PACKET as u16
                        && gap.abs_diff(u32::from(u16::MAX)) <= 4 * SAMPLES_PER_PACKET as u32
                });

        self.newest = (self.newest + 1) % REMEMBERED;
        if let Some(slot) = self.recent.get_mut(self.newest) {
            *slot = Some(Seen {
                ssrc,
                timestamp,
                event: event.event,
                ended: event.end,
                duration: event.duration,
            });
        }
        if continues_long_event {
            return None;
        }
        Some(DtmfDigit {
            event: event.event,
            timestamp,
            ssrc,
        })
    }
}

/// One packet of a generated event, to be sent `offset` after the event starts with the
/// event's RTP timestamp, the next sequence number and the telephone-event payload type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfPacket {
    /// When to send it, relative to the start of the event.
    pub offset: Millis,
    /// Marker bit: set on the first packet only.
    pub marker: bool,
    /// The payload.
    pub payload: TelephoneEvent,
}

/// Longest event [`DtmfGenerator`] produces; longer ones would need segments.
pub const MAX_EVENT_MILLIS: u64 = 8_000;

/// The packet sequence of one event: a start packet with the marker bit, an update every
/// 20 ms with the duration so far, and the final duration sent three times, 20 ms apart,
/// with the end bit (RFC 4733 section 2.5.1.4).
#[derive(Debug, Clone)]
pub struct DtmfGenerator {
    event: u8,
    volume: u8,
    duration_samples: u16,
    updates: u64,
    index: u64,
}

impl DtmfGenerator {
    /// A generator for `event` lasting `duration_ms` (clamped to 20..=8000 ms) at
    /// `volume` -dBm0 (10 is typical).
    pub fn new(event: u8, duration_ms: u64, volume: u8) -> DtmfGenerator {
        let duration_ms = duration_ms.clamp(PACKET_INTERVAL.0, MAX_EVENT_MILLIS);
        let duration_samples = (duration_ms * 8) as u16;
        // Packets before the final duration: one per started 20 ms interval but the last.
        let updates = duration_ms.div_ceil(PACKET_INTERVAL.0) - 1;
        DtmfGenerator {
            event,
            volume: volume & 0x3F,
            duration_samples,
            updates,
            index: 0,
        }
    }

    /// Total packets in the sequence.
    pub fn packet_count(&self) -> u64 {
        self.updates + 3
    }

    /// True once every packet has been produced.
    pub fn is_finished(&self) -> bool {
        self.index >= self.packet_count()
    }
}

impl Iterator for DtmfGenerator {
    type Item = DtmfPacket;

    fn next(&mut self) -> Option<DtmfPacket> {
        let index = self.index;
        if self.is_finished() {
            return None;
        }
        self.index += 1;
        let end = index >= self.updates;
        let duration = if end {
            self.duration_samples
        } else {
            ((index + 1) * SAMPLES_PER_PACKET as u64) as u16
        };
        Some(DtmfPacket {
            offset: Millis(index * PACKET_INTERVAL.0),
            marker: index == 0,
            payload: TelephoneEvent {
                event: self.event,
                end,
                volume: self.volume,
                duration,
            },
        })
    }
}
