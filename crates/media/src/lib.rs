//! Sans-IO media plane of the civicline switch: RTP/RTCP packets, G.711, RFC 4733
//! telephone-events, WAV files, prompt playback, the two-leg relay with symmetric-RTP
//! latching, call recording, tone analysis and the media threads' delay histograms.
//!
//! Nothing in this crate touches sockets, threads or clocks. Time arrives as a [`Millis`]
//! argument (any monotonic origin chosen by the caller) and randomness from a seeded
//! [`Rng`]. The one timer-driven part, [`player::Player`], has the handle/poll shape of
//! the style guide: after every mutation (`enqueue`, `stop`, `send_dtmf`,
//! `handle_timeout`) the caller drains `poll_packet()` and `poll_event()` until they
//! return `None`, then sleeps until `poll_timeout()`. The relay, the latch, the DTMF
//! detector and the recorder have no timers: they are per-packet functions that take
//! `now` where they need it.
//!
//! The per-packet paths of the relay work in place on the caller's receive buffer and do
//! not allocate.

pub mod delay;
pub mod dtmf;
pub mod g711;
pub mod player;
pub mod recorder;
pub mod relay;
pub mod rtcp;
pub mod rtp;
pub mod tone;
pub mod wav;

#[cfg(test)]
mod tests;

/// Sample rate of every G.711 stream and of all audio this crate produces.
pub const SAMPLE_RATE: u32 = 8_000;

/// Samples in one 20 ms packet at 8 kHz, which is also the G.711 payload size in bytes.
pub const SAMPLES_PER_PACKET: usize = 160;

/// Packetization interval of the streams this crate produces.
pub const PACKET_INTERVAL: Millis = Millis(20);

/// A point on the caller's monotonic clock, in milliseconds from an arbitrary origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Millis(pub u64);

impl Millis {
    /// Milliseconds from `earlier` to `self`, or zero when `earlier` is later.
    pub fn saturating_since(self, earlier: Millis) -> u64 {
        self.0.saturating_sub(earlier.0)
    }

    /// This point moved `ms` milliseconds later, saturating at the end of time.
    pub fn plus(self, ms: u64) -> Millis {
        Millis(self.0.saturating_add(ms))
    }
}

/// A small deterministic random generator (xorshift64*) for SSRCs, initial sequence
/// numbers and timestamps. Not cryptographic; seed it from the configured `rng_seed`.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator from `seed`; every seed, zero included, gives a usable stream.
    pub fn new(seed: u64) -> Rng {
        // SplitMix64 finaliser so that neighbouring seeds give unrelated streams.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Rng {
            state: if z == 0 { 0x2545_F491_4F6C_DD1D } else { z },
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// The next 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }
}

/// Identity of an outgoing RTP stream: SSRC and the first sequence number and timestamp.
/// RFC 3550 asks for all three to be random.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamIds {
    /// Synchronisation source of the stream.
    pub ssrc: u32,
    /// Sequence number of the first packet.
    pub first_sequence: u16,
    /// RTP timestamp of the first packet.
    pub first_timestamp: u32,
}

impl StreamIds {
    /// Random identities drawn from `rng`.
    pub fn random(rng: &mut Rng) -> StreamIds {
        let bits = rng.next_u64();
        StreamIds {
            ssrc: rng.next_u32(),
            first_sequence: (bits >> 48) as u16 & 0x7FFF,
            first_timestamp: bits as u32,
        }
    }
}
