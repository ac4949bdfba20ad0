//! Call recording: both directions of a call decoded from G.711 and placed on a common
//! 8 kHz timeline by RTP timestamp, with silence in the gaps, written out as a WAV file
//! (one channel per leg, or both mixed into one).

use crate::g711::Codec;
use crate::rtp::{RtpPacket, timestamp_delta};
use crate::wav::write_wav;
use crate::{Millis, SAMPLE_RATE};

#[cfg(test)]
mod tests;

/// Which direction of the call a packet belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leg {
    /// Usually the caller (left channel).
    A,
    /// Usually the agent or the IVR (right channel).
    B,
}

/// How the two legs end up in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One channel, both legs summed with saturation.
    Mixed,
    /// Two channels: leg A left, leg B right.
    Stereo,
}

/// What happened to a packet given to [`Recorder::handle_packet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Stored at this sample offset from the start of the recording.
    Stored(u64),
    /// Not G.711 audio (telephone-event, comfort noise, ...): ignored.
    NotAudio,
    /// Before the start of the recording or past its length limit.
    OutOfRange,
}

/// A timestamp this far (in samples) from where arrival time puts the packet means the
/// source jumped; the leg is re-anchored on arrival time.
const MAX_DRIFT: i64 = 2 * SAMPLE_RATE as i64;

#[derive(Debug, Clone, Copy)]
struct Anchor {
    ssrc: u32,
    timestamp: u32,
    position: i64,
}

#[derive(Debug, Clone, Default)]
struct Track {
    samples: Vec<i16>,
    anchor: Option<Anchor>,
}

/// Collects both directions of one call. Memory is 16 kB per second of call while
/// recording; the WAV is built by [`Recorder::finish`].
#[derive(Debug, Clone)]
pub struct Recorder {
    start: Millis,
    layout: Layout,
    max_samples: u64,
    tracks: [Track; 2],
}

impl Recorder {
    /// A recording starting at `start` and limited to `max_seconds`.
    pub fn new(start: Millis, layout: Layout, max_seconds: u32) -> Recorder {
        Recorder {
            start,
            layout,
            max_samples: u64::from(max_seconds) * u64::from(SAMPLE_RATE),
            tracks: [Track::default(), Track::default()],
        }
    }

    /// Places the audio of a packet received at `now` on `leg`. The first packet of each
    /// SSRC is placed by arrival time, the following ones by RTP timestamp relative to it.
    pub fn handle_packet(&mut self, now: Millis, leg: Leg, packet: &RtpPacket<'_>) -> Placement {
        let Some(codec) = Codec::from_payload_type(packet.header.payload_type) else {
            return Placement::NotAudio;
        };
        let arrival = (now.saturating_since(self.start) * u64::from(SAMPLE_RATE / 1000)) as i64;
        // The packet's first sample arrived one packet duration before its arrival.
        let arrival = arrival - packet.payload.len() as i64;
        let header = packet.header;
        let track = match leg {
            Leg::A => &mut self.tracks[0],
            Leg::B => &mut self.tracks[1],
        };
        let from_anchor = track
            .anchor
            .filter(|a| a.ssrc == header.ssrc)
            .map(|anchor| {
                anchor.position + i64::from(timestamp_delta(anchor.timestamp, header.timestamp))
            });
        let position = match from_anchor {
            Some(position) if (position - arrival).abs() <= MAX_DRIFT => position,
            _ => {
                let position = arrival.max(0);
                track.anchor = Some(Anchor {
                    ssrc: header.ssrc,
                    timestamp: header.timestamp,
                    position,
                });
                position
            }
        };
        let Ok(start) = u64::try_from(position) else {
            return Placement::OutOfRange;
        };
        let end = start + packet.payload.len() as u64;
        if end > self.max_samples {
            return Placement::OutOfRange;
        }
        let (start_index, end_index) = (start as usize, end as usize);
        if track.samples.len() < end_index {
            track.samples.resize(end_index, 0);
        }
        if let Some(slot) = track.samples.get_mut(start_index..end_index) {
            codec.decode(packet.payload, slot);
        }
        Placement::Stored(start)
    }

    /// Length of the recording so far, in samples.
    pub fn len_samples(&self) -> usize {
        self.tracks
            .iter()
            .map(|t| t.samples.len())
            .max()
            .unwrap_or(0)
    }

    /// The recording as a 16-bit 8 kHz WAV file.
    pub fn finish(self) -> Vec<u8> {
        let len = self.len_samples();
        let [a, b] = &self.tracks;
        let at = |track: &Track, i: usize| track.samples.get(i).copied().unwrap_or(0);
        match self.layout {
            Layout::Mixed => {
                let mixed: Vec<i16> = (0..len)
                    .map(|i| at(a, i).saturating_add(at(b, i)))
                    .collect();
                write_wav(&mixed, 1, SAMPLE_RATE)
            }
            Layout::Stereo => {
                let interleaved: Vec<i16> = (0..len).flat_map(|i| [at(a, i), at(b, i)]).collect();
                write_wav(&interleaved, 2, SAMPLE_RATE)
            }
        }
    }
}
