//! Forwarding RTP toward one leg and learning where that leg's peer is.
//!
//! A [`Relay`] owns the identity of the stream the far end sees (SSRC, sequence and
//! timestamp space) and rewrites every forwarded packet into it, in place, so that the
//! far end sees one continuous stream while the source behind it changes: IVR prompts,
//! then an agent, then another agent after a transfer. A [`Latch`] implements symmetric
//! RTP (RFC 4961, RFC 7362) for one leg's port with an anti-hijack rule.
//!
//! Neither allocates per packet. One `Relay` per direction of a bridge, one `Latch` per
//! leg.

use crate::rtcp::SenderInfo;
use crate::rtp::{RtpError, RtpHeader, RtpPacket, sequence_delta, timestamp_delta};
use crate::{Millis, SAMPLE_RATE, SAMPLES_PER_PACKET, StreamIds};

#[cfg(test)]
mod tests;

/// Payload-type translation from a source to the far leg: audio usually maps to itself,
/// telephone-event maps between the two legs' dynamic payload types. Payload types
/// without an entry are dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayloadMap {
    to: [u8; 128],
}

const UNMAPPED: u8 = 0xFF;

impl PayloadMap {
    /// A map that drops everything.
    pub fn empty() -> PayloadMap {
        PayloadMap {
            to: [UNMAPPED; 128],
        }
    }

    /// This map plus `from -> to`; payload types above 127 are ignored.
    pub fn with(mut self, from: u8, to: u8) -> PayloadMap {
        if to < 128
            && let Some(slot) = self.to.get_mut(usize::from(from))
        {
            *slot = to;
        }
        self
    }

    /// The payload type to send for `from`, or `None` to drop.
    pub fn get(&self, from: u8) -> Option<u8> {
        self.to
            .get(usize::from(from))
            .copied()
            .filter(|&pt| pt != UNMAPPED)
    }
}

/// What to do with a packet after [`Relay::forward`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The buffer now holds the rewritten packet: send it, same length.
    Forward,
    /// Do not send it.
    Drop(DropReason),
}

/// Why a well-formed packet was not forwarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// The payload type has no entry in the source's [`PayloadMap`].
    UnmappedPayloadType(u8),
    /// A late packet from the source that was replaced less than
    /// [`STALE_SOURCE_MILLIS`] ago.
    StaleSource,
}

/// How long after an implicit source change (a new SSRC) late packets of the old SSRC are
/// dropped instead of switching back.
pub const STALE_SOURCE_MILLIS: u64 = 200;

#[derive(Debug, Clone, Copy)]
struct Source {
    ssrc: u32,
    sequence_offset: u16,
    timestamp_offset: u32,
}

#[derive(Debug, Clone, Copy)]
struct Sent {
    /// Highest sequence number sent (serial order).
    sequence: u16,
    /// Highest timestamp sent (serial order) and when it was sent.
    timestamp: u32,
    at: Millis,
}

/// Rewrites packets from changing sources into one continuous outgoing stream.
///
/// Within a source, sequence numbers and timestamps keep their spacing (gaps from loss
/// and silence survive). On a splice, either after [`Relay::rebridge`] or when the SSRC
/// changes, the first packet gets the next sequence number, a timestamp ahead of the
/// highest one sent by the elapsed time (at least 160 samples) and the marker bit.
#[derive(Debug, Clone)]
pub struct Relay {
    ids: StreamIds,
    map: PayloadMap,
    source: Option<Source>,
    previous: Option<(u32, Millis)>,
    splice_pending: bool,
    sent: Option<Sent>,
    packet_count: u32,
    octet_count: u32,
}

impl Relay {
    /// A relay sending with identities `ids` and translating payload types with `map`.
    pub fn new(ids: StreamIds, map: PayloadMap) -> Relay {
        Relay {
            ids,
            map,
            source: None,
            previous: None,
            splice_pending: true,
            sent: None,
            packet_count: 0,
            octet_count: 0,
        }
    }

    /// The next packet comes from a new source (whatever its SSRC) translated with `map`.
    /// Call it when the bridge switches. Should a late packet of the old source still
    /// arrive first, it is spliced in and the new source then splices again on its SSRC
    /// change: one extra marker, no discontinuity.
    pub fn rebridge(&mut self, map: PayloadMap) {
        self.map = map;
        self.splice_pending = true;
    }

    /// Rewrites the packet in `packet` (exactly the received bytes) in place.
    pub fn forward(&mut self, now: Millis, packet: &mut [u8]) -> Result<Verdict, RtpError> {
        let parsed = RtpPacket::parse(packet)?;
        let incoming = parsed.header;
        let payload_len = parsed.payload.len();
        let Some(payload_type) = self.map.get(incoming.payload_type) else {
            return Ok(Verdict::Drop(DropReason::UnmappedPayloadType(
                incoming.payload_type,
            )));
        };

        let same_source = self.source.is_some_and(|s| s.ssrc == incoming.ssrc);
        let splice = self.splice_pending || !same_source;
        if splice && !self.splice_pending {
            let stale = self.previous.is_some_and(|(ssrc, since)| {
                ssrc == incoming.ssrc && now.saturating_since(since) < STALE_SOURCE_MILLIS
            });
            if stale {
                return Ok(Verdict::Drop(DropReason::StaleSource));
            }
        }
        let source = match self.source {
            Some(source) if !splice => source,
            _ => self.splice(now, incoming),
        };

        let header = RtpHeader {
            marker: incoming.marker || splice,
            payload_type,
            sequence: incoming.sequence.wrapping_add(source.sequence_offset),
            timestamp: incoming.timestamp.wrapping_add(source.timestamp_offset),
            ssrc: self.ids.ssrc,
        };
        header.rewrite(packet)?;
        self.record(now, header, payload_len);
        Ok(Verdict::Forward)
    }

    /// Sender-report fields for this stream at `now`, given the wallclock as NTP.
    pub fn sender_info(&self, now: Millis, ntp_timestamp: u64) -> SenderInfo {
        let rtp_timestamp = match self.sent {
            Some(sent) => sent.timestamp.wrapping_add(elapsed_samples(sent.at, now)),
            None => self.ids.first_timestamp,
        };
        SenderInfo {
            ntp_timestamp,
            rtp_timestamp,
            packet_count: self.packet_count,
            octet_count: self.octet_count,
        }
    }

    /// The SSRC the far end sees.
    pub fn ssrc(&self) -> u32 {
        self.ids.ssrc
    }

    fn splice(&mut self, now: Millis, incoming: RtpHeader) -> Source {
        let (sequence, timestamp) = match self.sent {
            Some(sent) => (
                sent.sequence.wrapping_add(1),
                sent.timestamp
                    .wrapping_add(elapsed_samples(sent.at, now).max(SAMPLES_PER_PACKET as u32)),
            ),
            None => (self.ids.first_sequence, self.ids.first_timestamp),
        };
        if let Some(old) = self.source
            && old.ssrc != incoming.ssrc
        {
            self.previous = Some((old.ssrc, now));
        }
        let source = Source {
            ssrc: incoming.ssrc,
            sequence_offset: sequence.wrapping_sub(incoming.sequence),
            timestamp_offset: timestamp.wrapping_sub(incoming.timestamp),
        };
        self.source = Some(source);
        self.splice_pending = false;
        source
    }

    fn record(&mut self, now: Millis, header: RtpHeader, payload_len: usize) {
        self.packet_count = self.packet_count.wrapping_add(1);
        self.octet_count = self.octet_count.wrapping_add(payload_len as u32);
        let sent = match self.sent {
            None => Sent {
                sequence: header.sequence,
                timestamp: header.timestamp,
                at: now,
            },
            Some(mut sent) => {
                if sequence_delta(sent.sequence, header.sequence) > 0 {
                    sent.sequence = header.sequence;
                }
                if timestamp_delta(sent.timestamp, header.timestamp) > 0 {
                    sent.timestamp = header.timestamp;
                    sent.at = now;
                }
                sent
            }
        };
        self.sent = Some(sent);
    }
}

fn elapsed_samples(from: Millis, to: Millis) -> u32 {
    let samples = to
        .saturating_since(from)
        .saturating_mul(u64::from(SAMPLE_RATE / 1000));
    samples.min(u64::from(u32::MAX / 2)) as u32
}

/// What [`Latch::handle_packet`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LatchVerdict {
    /// The packet comes from the latched peer.
    Accept,
    /// The peer address was (re)learned from this packet; accept it and send there now.
    Latched,
    /// The packet comes from somewhere else; drop it.
    Reject,
}

/// Symmetric-RTP latching for one leg: the first valid packet teaches the peer address (a
/// peer behind NAT sends from another address than it signalled); afterwards another address
/// takes over only after `threshold` consecutive packets from it with one SSRC, so a stray or
/// spoofed packet cannot steal the stream. Packets from the signalled (SDP) address latch at
/// once, always: a port's earlier call may still be sending to it when a new call takes the
/// port, and that old stream, first to arrive, held the new leg while the real peer's packets,
/// interleaved with it, kept resetting their count.
///
/// `A` is any address value, usually `std::net::SocketAddr`. Feed only packets that
/// parsed as RTP.
#[derive(Debug, Clone)]
pub struct Latch<A> {
    signalled: Option<A>,
    latched: Option<A>,
    candidate: Option<(A, u32, u32)>,
    threshold: u32,
}

impl<A: Copy + Eq> Latch<A> {
    /// A latch that sends to `signalled` (the SDP address) until it learns better and
    /// re-latches after `threshold` (at least 1) packets from a new source.
    pub fn new(signalled: Option<A>, threshold: u32) -> Latch<A> {
        Latch {
            signalled,
            latched: None,
            candidate: None,
            threshold: threshold.max(1),
        }
    }

    /// Where to send: the latched address, else the signalled one.
    pub fn remote(&self) -> Option<A> {
        self.latched.or(self.signalled)
    }

    /// Forgets the learned address (after a re-INVITE); latching starts again.
    pub fn reset(&mut self, signalled: Option<A>) {
        self.signalled = signalled;
        self.latched = None;
        self.candidate = None;
    }

    /// Judges a packet from `from` carrying `ssrc`.
    pub fn handle_packet(&mut self, from: A, ssrc: u32) -> LatchVerdict {
        if self.latched == Some(from) {
            self.candidate = None;
            return LatchVerdict::Accept;
        }
        let trusted = self.signalled == Some(from) || self.latched.is_none();
        if trusted {
            self.latched = Some(from);
            self.candidate = None;
            return LatchVerdict::Latched;
        }
        let count = match self.candidate {
            Some((address, candidate_ssrc, count)) if address == from && candidate_ssrc == ssrc => {
                count + 1
            }
            _ => 1,
        };
        if count >= self.threshold {
            self.latched = Some(from);
            self.candidate = None;
            return LatchVerdict::Latched;
        }
        self.candidate = Some((from, ssrc, count));
        LatchVerdict::Reject
    }
}
