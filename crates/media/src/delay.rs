//! Always-on delay histograms for the media threads: how long a relayed packet spent between
//! the socket read and the send, and how late a paced prompt packet left against its 20 ms
//! slot.
//!
//! A [`DelayHistogram`] is a fixed set of atomic counters: recording is a handful of relaxed
//! atomic operations and never allocates or locks, so the relay can record every packet. Give
//! each media thread its own histogram (no cache line bounces between threads) and merge the
//! [`DelaySnapshot`]s when reading. Durations and "now" come from the caller, as everywhere in
//! this crate.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::Millis;

#[cfg(test)]
mod tests;

/// Upper bounds of the buckets, exclusive, in microseconds: under 1, 2, 5, 10, 20 and 50 ms.
/// A last bucket holds 50 ms and more.
pub const BOUNDS_US: [u64; 6] = [1_000, 2_000, 5_000, 10_000, 20_000, 50_000];

/// Number of buckets, the open-ended last one included.
pub const BUCKETS: usize = BOUNDS_US.len() + 1;

/// Length of the windows behind [`DelaySnapshot::recent_max_us`].
pub const WINDOW: Millis = Millis(5_000);

/// Bits of a packed window entry that hold the delay; the window number sits above them.
const DELAY_BITS: u32 = 40;
const DELAY_MASK: u64 = (1 << DELAY_BITS) - 1;

/// Counts of delays by bucket, their sum and their maximum, shared between the thread that
/// records and whoever reads.
#[derive(Debug, Default)]
pub struct DelayHistogram {
    counts: [AtomicU64; BUCKETS],
    sum_us: AtomicU64,
    max_us: AtomicU64,
    /// Largest delay per [`WINDOW`], for the current window and the one before, by window
    /// parity; each entry packs the window number above [`DELAY_BITS`] bits of delay, so one
    /// `fetch_max` both replaces an older window and keeps the largest delay of this one.
    windows: [AtomicU64; 2],
}

impl DelayHistogram {
    /// An empty histogram.
    pub fn new() -> DelayHistogram {
        DelayHistogram::default()
    }

    /// Counts one delay of `delay_us` microseconds, observed at `now`.
    pub fn record(&self, now: Millis, delay_us: u64) {
        let bucket = BOUNDS_US
            .iter()
            .position(|&bound| delay_us < bound)
            .unwrap_or(BOUNDS_US.len());
        if let Some(count) = self.counts.get(bucket) {
            count.fetch_add(1, Ordering::Relaxed);
        }
        self.sum_us.fetch_add(delay_us, Ordering::Relaxed);
        // Loads first: the maximum rarely moves, and a plain load is cheaper than a write.
        if self.max_us.load(Ordering::Relaxed) < delay_us {
            self.max_us.fetch_max(delay_us, Ordering::Relaxed);
        }
        let window = now.0 / WINDOW.0;
        let packed = (window << DELAY_BITS) | delay_us.min(DELAY_MASK);
        if let Some(slot) = self.windows.get((window % 2) as usize)
            && slot.load(Ordering::Relaxed) < packed
        {
            slot.fetch_max(packed, Ordering::Relaxed);
        }
    }

    /// The counts so far; `now` (on the recorder's clock) selects the recent windows.
    pub fn snapshot(&self, now: Millis) -> DelaySnapshot {
        let mut counts = [0; BUCKETS];
        for (out, count) in counts.iter_mut().zip(&self.counts) {
            *out = count.load(Ordering::Relaxed);
        }
        let window = now.0 / WINDOW.0;
        let recent_max_us = self
            .windows
            .iter()
            .map(|slot| slot.load(Ordering::Relaxed))
            .filter(|packed| {
                let at = packed >> DELAY_BITS;
                at == window || at.saturating_add(1) == window
            })
            .map(|packed| packed & DELAY_MASK)
            .max()
            .unwrap_or(0);
        DelaySnapshot {
            counts,
            sum_us: self.sum_us.load(Ordering::Relaxed),
            max_us: self.max_us.load(Ordering::Relaxed),
            recent_max_us,
        }
    }
}

/// A reading of one or more [`DelayHistogram`]s.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DelaySnapshot {
    /// Delays per bucket: under each of [`BOUNDS_US`], then the rest.
    pub counts: [u64; BUCKETS],
    /// Sum of all delays, in microseconds.
    pub sum_us: u64,
    /// The largest delay since the histogram was made.
    pub max_us: u64,
    /// The largest delay in the current and the previous [`WINDOW`], that is over the last 5
    /// to 10 seconds.
    pub recent_max_us: u64,
}

impl DelaySnapshot {
    /// Number of delays counted.
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Running totals of [`DelaySnapshot::counts`]: delays under each of [`BOUNDS_US`], then
    /// all of them (the cumulative buckets of a Prometheus histogram).
    pub fn cumulative(&self) -> [u64; BUCKETS] {
        let mut total = 0;
        self.counts.map(|count| {
            total += count;
            total
        })
    }

    /// This reading and `other` together (for example two media threads).
    pub fn merge(&self, other: &DelaySnapshot) -> DelaySnapshot {
        let mut counts = self.counts;
        for (count, more) in counts.iter_mut().zip(&other.counts) {
            *count += more;
        }
        DelaySnapshot {
            counts,
            sum_us: self.sum_us + other.sum_us,
            max_us: self.max_us.max(other.max_us),
            recent_max_us: self.recent_max_us.max(other.recent_max_us),
        }
    }
}
