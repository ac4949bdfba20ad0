//! Identifiers and the engine clock.
//!
//! All identifiers are plain newtypes chosen by the shell; the engine never
//! invents one. [`Millis`] is both a point on the shell's monotonic clock and
//! a span of time, always in milliseconds.

use std::fmt;

/// One caller's contact, stable across queues, transfers and callbacks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CallId(pub u64);

/// One agent (a person who takes calls).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AgentId(pub u32);

/// One queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QueueId(pub u32);

/// One skill (a language, a topic); its meaning lives outside the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SkillId(pub u32);

/// Milliseconds: a point on the shell's monotonic clock, or a span.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Millis(pub u64);

impl Millis {
    /// The start of the clock, or an empty span.
    pub const ZERO: Millis = Millis(0);
    /// A point that is never reached.
    pub const NEVER: Millis = Millis(u64::MAX);

    /// A span of whole seconds.
    pub const fn from_secs(secs: u64) -> Millis {
        Millis(secs.saturating_mul(1000))
    }

    /// This point or span moved later by `span`, saturating at [`Millis::NEVER`].
    pub const fn plus(self, span: Millis) -> Millis {
        Millis(self.0.saturating_add(span.0))
    }

    /// The span from `earlier` to `self`, zero if `earlier` is later.
    pub const fn since(self, earlier: Millis) -> Millis {
        Millis(self.0.saturating_sub(earlier.0))
    }

    /// The value in seconds.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }
}

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "c{}", self.0)
    }
}

impl fmt::Display for AgentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a{}", self.0)
    }
}

impl fmt::Display for QueueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "q{}", self.0)
    }
}

impl fmt::Display for SkillId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s{}", self.0)
    }
}

/// Seconds, with a fractional part only when needed: `12`, `12.5`, `never`.
impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Millis::NEVER {
            return f.write_str("never");
        }
        let secs = self.0 / 1000;
        let frac = self.0 % 1000;
        if frac == 0 {
            write!(f, "{secs}")
        } else {
            let text = format!("{secs}.{frac:03}");
            f.write_str(text.trim_end_matches('0'))
        }
    }
}
