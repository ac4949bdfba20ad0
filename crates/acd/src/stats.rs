//! Queue KPIs per interval, computed from the event log alone.
//!
//! Definitions follow the telephony reference, section 6; the formula is in
//! each method's doc so dashboards can print it next to the figure.
//!
//! Attribution rules (decisions recorded here):
//!
//! - A contact segment (a caller's stay in one queue) is counted in the
//!   interval in which it took its place; its outcome (answered, abandoned,
//!   overflowed, callback requested) is counted in that same interval, so
//!   that `offered` and its outcomes always add up per interval.
//! - Abandons shorter than `short_abandon` are excluded from `offered` and
//!   `abandoned` and counted in `short_abandoned`.
//! - A caller who took a callback is not abandoned; the callback counts as
//!   completed in the interval in which it connected.
//! - Handle time (talk plus wrap-up) is counted when each part ends, per
//!   agent segment: a transferred call contributes one handled segment per
//!   agent, each to the queue the call came from.
//! - Occupancy: time on calls from the queue (talk and wrap-up) divided by
//!   that plus the available time (idle, ringing, reserved, resting after a
//!   miss) of agents who are members of the queue. An agent in several
//!   queues contributes their available time to each.

use std::collections::{BTreeMap, HashMap};

use crate::engine::{AgentStatus, RoutingState};
use crate::event::{Event, EventKind, Fact};
use crate::ids::{AgentId, Millis, QueueId};

/// Statistics settings. There is no default: thresholds are policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatsConfig {
    /// Interval length (15 minutes in civicline).
    pub interval: Millis,
    /// Service-level threshold T.
    pub service_level_target: Millis,
    /// Abandons shorter than this are not counted.
    pub short_abandon: Millis,
}

/// One queue's figures for one interval.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntervalStats {
    /// The queue.
    pub queue: QueueId,
    /// Start of the interval.
    pub start: Millis,
    /// Live callers who took a place, minus short abandons.
    pub offered: u64,
    /// Answered live callers.
    pub answered: u64,
    /// Answered within T.
    pub answered_within: u64,
    /// Abandons, short ones excluded.
    pub abandoned: u64,
    /// Abandons within T, short ones excluded.
    pub abandoned_within: u64,
    /// Abandons shorter than the short-abandon threshold.
    pub short_abandoned: u64,
    /// Callers who left through an overflow rule.
    pub overflowed: u64,
    /// Callbacks requested (by waiting callers or scheduled).
    pub callbacks_requested: u64,
    /// Callbacks that reached the citizen.
    pub callbacks_completed: u64,
    /// Callbacks given up.
    pub callbacks_failed: u64,
    /// Total queue wait of answered callers.
    pub answered_wait: Millis,
    /// Longest wait of any caller whose outcome is known (answered,
    /// abandoned, overflowed or switched to a callback).
    pub longest_wait: Millis,
    /// Handled agent segments.
    pub handled: u64,
    /// Talk time of handled segments.
    pub talk: Millis,
    /// Wrap-up time.
    pub wrap: Millis,
    /// Agent time on this queue's calls (talk and wrap-up).
    pub busy: Millis,
    /// Available time of this queue's members.
    pub available: Millis,
}

impl IntervalStats {
    /// All counters zero.
    pub fn empty(queue: QueueId, start: Millis) -> IntervalStats {
        IntervalStats {
            queue,
            start,
            offered: 0,
            answered: 0,
            answered_within: 0,
            abandoned: 0,
            abandoned_within: 0,
            short_abandoned: 0,
            overflowed: 0,
            callbacks_requested: 0,
            callbacks_completed: 0,
            callbacks_failed: 0,
            answered_wait: Millis::ZERO,
            longest_wait: Millis::ZERO,
            handled: 0,
            talk: Millis::ZERO,
            wrap: Millis::ZERO,
            busy: Millis::ZERO,
            available: Millis::ZERO,
        }
    }

    /// Adds `other`'s figures to these (for totals over queues or
    /// intervals); the queue and start stay. Longest wait is the maximum.
    pub fn add(&mut self, other: &IntervalStats) {
        self.offered += other.offered;
        self.answered += other.answered;
        self.answered_within += other.answered_within;
        self.abandoned += other.abandoned;
        self.abandoned_within += other.abandoned_within;
        self.short_abandoned += other.short_abandoned;
        self.overflowed += other.overflowed;
        self.callbacks_requested += other.callbacks_requested;
        self.callbacks_completed += other.callbacks_completed;
        self.callbacks_failed += other.callbacks_failed;
        self.answered_wait = self.answered_wait.plus(other.answered_wait);
        self.longest_wait = self.longest_wait.max(other.longest_wait);
        self.handled += other.handled;
        self.talk = self.talk.plus(other.talk);
        self.wrap = self.wrap.plus(other.wrap);
        self.busy = self.busy.plus(other.busy);
        self.available = self.available.plus(other.available);
    }

    /// SL (Asterisk `servicelevelperf`): answered within T ÷ answered.
    pub fn service_level(&self) -> Option<f64> {
        ratio(self.answered_within, self.answered)
    }

    /// SL2 (Asterisk `servicelevelperf2`): (answered within T + abandoned
    /// within T) ÷ (answered + abandoned).
    pub fn service_level_2(&self) -> Option<f64> {
        ratio(self.answered_within + self.abandoned_within, self.answered + self.abandoned)
    }

    /// SL over all outcomes: answered within T ÷ (answered + abandoned).
    pub fn service_level_offered(&self) -> Option<f64> {
        ratio(self.answered_within, self.answered + self.abandoned)
    }

    /// Abandonment rate: abandoned ÷ offered (callbacks are not abandons).
    pub fn abandon_rate(&self) -> Option<f64> {
        ratio(self.abandoned, self.offered)
    }

    /// ASA: total wait of answered callers ÷ answered.
    pub fn average_speed_of_answer(&self) -> Option<Millis> {
        (self.answered > 0).then(|| Millis(self.answered_wait.0 / self.answered))
    }

    /// AHT: (talk + wrap-up) ÷ handled segments.
    pub fn average_handle_time(&self) -> Option<Millis> {
        (self.handled > 0).then(|| Millis((self.talk.0 + self.wrap.0) / self.handled))
    }

    /// Occupancy: busy ÷ (busy + available).
    pub fn occupancy(&self) -> Option<f64> {
        ratio(self.busy.0, self.busy.0 + self.available.0)
    }
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Computes statistics for a whole log; open agent states are closed at `end`.
pub fn compute(config: &StatsConfig, events: &[Event], end: Millis) -> Vec<IntervalStats> {
    let mut builder = StatsBuilder::new(config.clone());
    for event in events {
        builder.push(event);
    }
    builder.finish(end)
}

/// Incremental statistics, for logs consumed in pieces.
#[derive(Debug)]
pub struct StatsBuilder {
    config: StatsConfig,
    buckets: BTreeMap<(QueueId, u64), IntervalStats>,
    agents: HashMap<AgentId, AgentTrack>,
}

#[derive(Debug, Default)]
struct AgentTrack {
    since: Millis,
    /// `Some(queue)` while handling a call from that queue.
    busy: Option<QueueId>,
    available: bool,
    queues: Vec<QueueId>,
}

impl StatsBuilder {
    /// An empty builder.
    pub fn new(config: StatsConfig) -> StatsBuilder {
        assert!(config.interval > Millis::ZERO, "stats interval must be positive");
        StatsBuilder { config, buckets: BTreeMap::new(), agents: HashMap::new() }
    }

    /// Adds one event.
    pub fn push(&mut self, event: &Event) {
        let EventKind::Fact(fact) = &event.kind else { return };
        let at = event.at;
        let target = self.config.service_level_target;
        match fact {
            Fact::Queued { queue, callback, .. } => {
                if !callback {
                    self.bucket(*queue, at).offered += 1;
                }
            }
            Fact::Answered { queue, waited, .. } => {
                let bucket = self.bucket(*queue, at.since(*waited));
                bucket.answered += 1;
                bucket.answered_within += u64::from(*waited <= target);
                bucket.answered_wait = bucket.answered_wait.plus(*waited);
                bucket.longest_wait = bucket.longest_wait.max(*waited);
            }
            Fact::Abandoned { queue, waited, .. } => {
                let short = *waited < self.config.short_abandon;
                let bucket = self.bucket(*queue, at.since(*waited));
                if short {
                    bucket.short_abandoned += 1;
                    bucket.offered = bucket.offered.saturating_sub(1);
                } else {
                    bucket.abandoned += 1;
                    bucket.abandoned_within += u64::from(*waited <= target);
                    bucket.longest_wait = bucket.longest_wait.max(*waited);
                }
            }
            Fact::Overflowed { queue, waited, .. } => {
                let bucket = self.bucket(*queue, at.since(*waited));
                bucket.overflowed += 1;
                bucket.longest_wait = bucket.longest_wait.max(*waited);
            }
            Fact::CallbackRequested { queue, waited, .. } => {
                let bucket = self.bucket(*queue, at.since(*waited));
                bucket.callbacks_requested += 1;
                bucket.longest_wait = bucket.longest_wait.max(*waited);
            }
            Fact::CallbackConnected { queue, .. } => self.bucket(*queue, at).callbacks_completed += 1,
            Fact::CallbackFailed { queue, .. } => self.bucket(*queue, at).callbacks_failed += 1,
            Fact::CallbackCancelled { .. } => {}
            Fact::Completed { queue, talk, .. } => {
                let bucket = self.bucket(*queue, at);
                bucket.handled += 1;
                bucket.talk = bucket.talk.plus(*talk);
            }
            Fact::WrapUpEnded { queue, wrap, .. } => {
                let bucket = self.bucket(*queue, at);
                bucket.wrap = bucket.wrap.plus(*wrap);
            }
            Fact::AgentState { agent, status, routing, queue } => {
                self.close_agent(*agent, at);
                let track = self.agents.entry(*agent).or_default();
                track.busy = match routing {
                    RoutingState::Talking { .. } | RoutingState::WrapUp { .. } => *queue,
                    _ => None,
                };
                track.available = track.busy.is_none()
                    && *status == AgentStatus::Available
                    && matches!(
                        routing,
                        RoutingState::Idle
                            | RoutingState::Offered { .. }
                            | RoutingState::Reserved { .. }
                            | RoutingState::Missed { .. }
                    );
            }
            Fact::Memberships { agent, queues } => {
                self.close_agent(*agent, at);
                self.agents.entry(*agent).or_default().queues = queues.clone();
            }
        }
    }

    /// The figures, sorted by queue and interval.
    pub fn finish(mut self, end: Millis) -> Vec<IntervalStats> {
        let mut agents: Vec<AgentId> = self.agents.keys().copied().collect();
        agents.sort();
        for agent in agents {
            self.close_agent(agent, end);
        }
        self.buckets.into_values().collect()
    }

    fn bucket(&mut self, queue: QueueId, at: Millis) -> &mut IntervalStats {
        let index = at.0 / self.config.interval.0;
        let start = Millis(index * self.config.interval.0);
        self.buckets.entry((queue, index)).or_insert_with(|| IntervalStats::empty(queue, start))
    }

    /// Accounts the agent's time since its last change, split across intervals.
    fn close_agent(&mut self, agent: AgentId, until: Millis) {
        let Some(track) = self.agents.get_mut(&agent) else { return };
        let from = std::mem::replace(&mut track.since, until);
        let busy = track.busy;
        let queues = if track.available { track.queues.clone() } else { Vec::new() };
        let interval = self.config.interval.0;
        let mut start = from.0;
        while start < until.0 {
            let end = ((start / interval) + 1).saturating_mul(interval).min(until.0);
            let span = Millis(end - start);
            if let Some(queue) = busy {
                let bucket = self.bucket(queue, Millis(start));
                bucket.busy = bucket.busy.plus(span);
            }
            for queue in &queues {
                let bucket = self.bucket(*queue, Millis(start));
                bucket.available = bucket.available.plus(span);
            }
            start = end;
        }
    }
}

#[cfg(test)]
mod tests;
