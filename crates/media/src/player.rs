//! Prompt and music-on-hold playback: a queue of prompts encoded to G.711 and paced at
//! one 160-byte packet per 20 ms, plus RFC 4733 key presses sent in the same stream.
//!
//! Shape: `enqueue`/`stop`/`skip`/`send_dtmf`/`handle_timeout` mutate; after each, drain
//! [`Player::poll_packet`] and [`Player::poll_event`], then sleep until
//! [`Player::poll_timeout`] (`None` means idle: nothing to send until the next mutation).

use std::collections::VecDeque;
use std::f64::consts::TAU;
use std::fmt;
use std::sync::Arc;

use crate::dtmf::DtmfGenerator;
use crate::g711::Codec;
use crate::rtp::{RtpError, RtpHeader};
use crate::{Millis, PACKET_INTERVAL, SAMPLE_RATE, SAMPLES_PER_PACKET, StreamIds};

#[cfg(test)]
mod tests;

/// Caller-chosen identity of a queued prompt, echoed in [`PlayerEvent`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PromptId(pub u64);

/// Audio to play: 8 kHz mono samples, shared between calls.
#[derive(Debug, Clone)]
pub struct Prompt {
    /// Identity reported when the prompt finishes or is stopped.
    pub id: PromptId,
    /// The samples; use [`crate::wav::load_prompt`] or [`hold_music`] to make them.
    pub samples: Arc<[i16]>,
    /// Play again from the start when the end is reached, until stopped (music on hold).
    pub looping: bool,
}

/// Something the caller may act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlayerEvent {
    /// The prompt played to its end (reported with the packet holding its last sample).
    Finished(PromptId),
    /// The prompt was removed by [`Player::stop`] or [`Player::skip`] before its end.
    Stopped(PromptId),
    /// The last end packet of a key press was produced.
    DtmfSent(u8),
}

/// How the player's stream is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlayerConfig {
    /// The negotiated G.711 variant.
    pub codec: Codec,
    /// SSRC, first sequence number and timestamp of the stream.
    pub ids: StreamIds,
    /// The negotiated telephone-event payload type, if any.
    pub telephone_event: Option<u8>,
}

/// Why the player refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlayerError {
    /// `send_dtmf` was called but no telephone-event payload type was negotiated.
    NoTelephoneEvent,
}

impl fmt::Display for PlayerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlayerError::NoTelephoneEvent => {
                write!(f, "no telephone-event payload type negotiated")
            }
        }
    }
}

impl std::error::Error for PlayerError {}

/// One RTP packet to send, held by value (no allocation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutPacket {
    /// The fixed header.
    pub header: RtpHeader,
    /// The 20 ms slot the packet was made for: when it should leave. A caller that sends it
    /// later can measure how late it went out.
    pub slot: Millis,
    payload: [u8; SAMPLES_PER_PACKET],
    payload_len: u8,
}

impl OutPacket {
    /// The payload: 160 G.711 bytes or a 4-byte telephone-event.
    pub fn payload(&self) -> &[u8] {
        self.payload
            .get(..usize::from(self.payload_len))
            .unwrap_or_default()
    }

    /// Serialises the packet into `out`; returns its length.
    pub fn write(&self, out: &mut [u8]) -> Result<usize, RtpError> {
        self.header.write(self.payload(), out)
    }
}

/// Most packets produced in one `handle_timeout` when the caller fell behind; beyond
/// that the stream skips ahead (a timestamp gap) instead of bursting.
const MAX_BURST: u64 = 5;

#[derive(Debug)]
struct Playing {
    prompt: Prompt,
    position: usize,
}

#[derive(Debug)]
struct ActiveDtmf {
    packets: DtmfGenerator,
    timestamp: u32,
    event: u8,
}

/// Paces prompts and key presses into one outgoing RTP stream.
#[derive(Debug)]
pub struct Player {
    config: PlayerConfig,
    queue: VecDeque<Playing>,
    dtmf_queue: VecDeque<(u8, u64)>,
    dtmf: Option<ActiveDtmf>,
    next_due: Option<Millis>,
    next_sequence: u16,
    next_timestamp: u32,
    last_sent: Option<Millis>,
    marker_pending: bool,
    packets: VecDeque<OutPacket>,
    events: VecDeque<PlayerEvent>,
}

impl Player {
    /// An idle player.
    pub fn new(config: PlayerConfig) -> Player {
        Player {
            config,
            queue: VecDeque::new(),
            dtmf_queue: VecDeque::new(),
            dtmf: None,
            next_due: None,
            next_sequence: config.ids.first_sequence,
            next_timestamp: config.ids.first_timestamp,
            last_sent: None,
            marker_pending: true,
            // Room for one packet, the usual case: a player lives as long as its call, and a
            // switch holds thousands of them.
            packets: VecDeque::with_capacity(1),
            events: VecDeque::new(),
        }
    }

    /// Appends a prompt; playback starts at `now` when the player was idle.
    pub fn enqueue(&mut self, now: Millis, prompt: Prompt) {
        self.queue.push_back(Playing {
            prompt,
            position: 0,
        });
        self.wake(now);
    }

    /// Removes every queued prompt, the playing one included, reporting each as stopped.
    /// Key presses in progress are completed.
    pub fn stop(&mut self) {
        for playing in self.queue.drain(..) {
            self.events
                .push_back(PlayerEvent::Stopped(playing.prompt.id));
        }
    }

    /// Stops the playing prompt (for example a looping one) and goes on with the next.
    pub fn skip(&mut self) {
        if let Some(playing) = self.queue.pop_front() {
            self.events
                .push_back(PlayerEvent::Stopped(playing.prompt.id));
        }
    }

    /// Sends key `event` for `duration_ms` after any key presses already queued. Audio
    /// pauses while a key is sent and resumes where it stopped.
    pub fn send_dtmf(
        &mut self,
        now: Millis,
        event: u8,
        duration_ms: u64,
    ) -> Result<(), PlayerError> {
        if self.config.telephone_event.is_none() {
            return Err(PlayerError::NoTelephoneEvent);
        }
        self.dtmf_queue.push_back((event, duration_ms));
        self.wake(now);
        Ok(())
    }

    /// True when nothing is queued or being sent.
    pub fn is_idle(&self) -> bool {
        self.next_due.is_none()
    }

    /// When the next packet is due, or `None` when idle.
    pub fn poll_timeout(&self) -> Option<Millis> {
        self.next_due
    }

    /// Produces the packets due at `now`.
    pub fn handle_timeout(&mut self, now: Millis) {
        let Some(mut due) = self.next_due else { return };
        let behind = now.saturating_since(due) / PACKET_INTERVAL.0;
        if behind > MAX_BURST {
            let skipped = behind - MAX_BURST;
            due = due.plus(skipped * PACKET_INTERVAL.0);
            self.next_timestamp = self
                .next_timestamp
                .wrapping_add((skipped * SAMPLES_PER_PACKET as u64) as u32);
        }
        while due <= now {
            if !self.produce(due) {
                self.next_due = None;
                return;
            }
            due = due.plus(PACKET_INTERVAL.0);
        }
        self.next_due = Some(due);
    }

    /// The next packet to send.
    pub fn poll_packet(&mut self) -> Option<OutPacket> {
        let packet = self.packets.pop_front();
        if packet.is_none() && self.packets.capacity() > 1 {
            // Give back the room a burst took.
            self.packets.shrink_to(1);
        }
        packet
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<PlayerEvent> {
        self.events.pop_front()
    }

    fn wake(&mut self, now: Millis) {
        if self.next_due.is_some() {
            return;
        }
        // Keep the timestamp in step with wallclock across the idle gap.
        if let Some(last) = self.last_sent {
            let idle_ms = now.saturating_since(last).saturating_sub(PACKET_INTERVAL.0);
            let idle_samples = idle_ms.saturating_mul(u64::from(SAMPLE_RATE / 1000));
            self.next_timestamp = self.next_timestamp.wrapping_add(idle_samples as u32);
        }
        self.marker_pending = true;
        self.next_due = Some(now);
    }

    /// Produces the packet of the slot at `at`; false when there is nothing to send.
    fn produce(&mut self, at: Millis) -> bool {
        if let Some(payload_type) = self.config.telephone_event {
            if self.dtmf.is_none()
                && let Some((event, duration_ms)) = self.dtmf_queue.pop_front()
            {
                self.dtmf = Some(ActiveDtmf {
                    packets: DtmfGenerator::new(event, duration_ms, 10),
                    timestamp: self.next_timestamp,
                    event,
                });
            }
            if let Some(active) = &mut self.dtmf {
                let (timestamp, event) = (active.timestamp, active.event);
                let next = active.packets.next();
                let finished = active.packets.is_finished();
                if finished {
                    self.dtmf = None;
                    self.events.push_back(PlayerEvent::DtmfSent(event));
                }
                if let Some(packet) = next {
                    let mut payload = [0u8; SAMPLES_PER_PACKET];
                    for (dst, src) in payload.iter_mut().zip(packet.payload.to_bytes()) {
                        *dst = src;
                    }
                    self.push(at, packet.marker, payload_type, timestamp, payload, 4);
                    self.finish_slot(at);
                    return true;
                }
            }
        }

        let mut samples = [0i16; SAMPLES_PER_PACKET];
        let filled = self.fill(&mut samples);
        if filled == 0 {
            return false;
        }
        let mut payload = [0u8; SAMPLES_PER_PACKET];
        self.config.codec.encode(&samples, &mut payload);
        let marker = self.marker_pending;
        self.push(
            at,
            marker,
            self.config.codec.payload_type(),
            self.next_timestamp,
            payload,
            SAMPLES_PER_PACKET as u8,
        );
        self.finish_slot(at);
        true
    }

    fn push(
        &mut self,
        slot: Millis,
        marker: bool,
        payload_type: u8,
        timestamp: u32,
        payload: [u8; SAMPLES_PER_PACKET],
        len: u8,
    ) {
        let header = RtpHeader {
            marker,
            payload_type,
            sequence: self.next_sequence,
            timestamp,
            ssrc: self.config.ids.ssrc,
        };
        self.next_sequence = self.next_sequence.wrapping_add(1);
        self.packets.push_back(OutPacket {
            header,
            slot,
            payload,
            payload_len: len,
        });
    }

    fn finish_slot(&mut self, at: Millis) {
        self.marker_pending = false;
        self.next_timestamp = self.next_timestamp.wrapping_add(SAMPLES_PER_PACKET as u32);
        self.last_sent = Some(at);
    }

    /// Copies queued audio into `out`, silence after the end; returns samples copied.
    fn fill(&mut self, out: &mut [i16; SAMPLES_PER_PACKET]) -> usize {
        let mut filled = 0;
        while filled < SAMPLES_PER_PACKET {
            let Some(playing) = self.queue.front_mut() else {
                break;
            };
            let remaining = playing
                .prompt
                .samples
                .get(playing.position..)
                .unwrap_or_default();
            let take = remaining.len().min(SAMPLES_PER_PACKET - filled);
            if let (Some(dst), Some(src)) =
                (out.get_mut(filled..filled + take), remaining.get(..take))
            {
                dst.copy_from_slice(src);
            }
            filled += take;
            playing.position += take;
            if playing.position >= playing.prompt.samples.len() {
                if playing.prompt.looping && !playing.prompt.samples.is_empty() {
                    playing.position = 0;
                } else {
                    let id = playing.prompt.id;
                    self.queue.pop_front();
                    self.events.push_back(PlayerEvent::Finished(id));
                }
            }
        }
        filled
    }
}

/// Eight seconds of gentle, loopable music on hold at 8 kHz: a C - Am - F - G progression
/// of soft chords with a bell-like arpeggio, peaking near -13 dBFS, silent at both ends
/// of the loop so that it repeats without a click.
pub fn hold_music() -> Vec<i16> {
    const CHORD_SECONDS: f64 = 2.0;
    const NOTES_PER_CHORD: usize = 8;
    let chords: [[f64; 3]; 4] = [
        [261.63, 329.63, 392.00], // C: C4 E4 G4
        [261.63, 329.63, 440.00], // Am: C4 E4 A4
        [261.63, 349.23, 440.00], // F: C4 F4 A4
        [246.94, 293.66, 392.00], // G: B3 D4 G4
    ];
    // Arpeggio over each chord an octave up: 1 2 3 2 1 2 3 2 (indices into the chord).
    let pattern = [0usize, 1, 2, 1, 0, 1, 2, 1];
    let rate = f64::from(SAMPLE_RATE);
    let chord_len = (CHORD_SECONDS * rate) as usize;
    let note_len = chord_len / NOTES_PER_CHORD;
    let mut out = Vec::with_capacity(chord_len * chords.len());
    for chord in &chords {
        for n in 0..chord_len {
            let t = n as f64 / rate;
            // Pad: slow swell in and out over the chord.
            let swell = (std::f64::consts::PI * t / CHORD_SECONDS).sin().powf(0.6);
            let pad: f64 = chord.iter().map(|&f| (TAU * f * t).sin()).sum::<f64>() * 1400.0 * swell;
            // Bell: the current arpeggio note, struck and decaying.
            let note_index = (n / note_len).min(NOTES_PER_CHORD - 1);
            let note = chord
                .get(pattern.get(note_index).copied().unwrap_or(0))
                .copied()
                .unwrap_or(0.0)
                * 2.0;
            let since_strike = n.saturating_sub(note_index * note_len) as f64 / rate;
            let attack = (since_strike / 0.01).min(1.0);
            let bell = (TAU * note * since_strike).sin()
                * 2600.0
                * attack
                * (-5.0 * since_strike).exp()
                * (1.0 - since_strike / (note_len as f64 / rate))
                    .max(0.0)
                    .sqrt();
            out.push((pad + bell).round().clamp(-32768.0, 32767.0) as i16);
        }
    }
    // A 20 ms fade at both ends of the loop.
    let total = out.len();
    for (n, sample) in out.iter_mut().enumerate() {
        let edge = n.min(total - 1 - n);
        if edge < SAMPLES_PER_PACKET {
            *sample = (i32::from(*sample) * edge as i32 / SAMPLES_PER_PACKET as i32) as i16;
        }
    }
    out
}
