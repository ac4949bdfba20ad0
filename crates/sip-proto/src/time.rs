//! Virtual time: a millisecond timestamp passed into every state machine.

use std::ops::{Add, Sub};
use std::time::Duration;

/// A point in time, in milliseconds since an origin chosen by the caller
/// (the async shell maps its monotonic clock onto it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Time {
    millis: u64,
}

impl Time {
    /// A deadline that never comes: what `poll_output` reports when no
    /// timer is pending.
    pub const NEVER: Time = Time { millis: u64::MAX };

    /// The time `millis` milliseconds after the origin.
    pub const fn from_millis(millis: u64) -> Time {
        Time { millis }
    }

    /// Milliseconds since the origin.
    pub const fn as_millis(self) -> u64 {
        self.millis
    }

    /// Whole seconds since the origin.
    pub const fn as_secs(self) -> u64 {
        self.millis / 1000
    }

    /// The time elapsed since `earlier`, zero if `earlier` is later.
    pub fn saturating_since(self, earlier: Time) -> Duration {
        Duration::from_millis(self.millis.saturating_sub(earlier.millis))
    }
}

impl Add<Duration> for Time {
    type Output = Time;

    fn add(self, rhs: Duration) -> Time {
        let millis = u64::try_from(rhs.as_millis()).unwrap_or(u64::MAX);
        Time {
            millis: self.millis.saturating_add(millis),
        }
    }
}

impl Sub<Time> for Time {
    type Output = Duration;

    fn sub(self, rhs: Time) -> Duration {
        self.saturating_since(rhs)
    }
}
