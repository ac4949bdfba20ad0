//! The append-only event log.
//!
//! Every input, every wake-up and every decision is recorded as an [`Event`].
//! Inputs and wake-ups are enough to rebuild the engine exactly
//! ([`Engine::replay`](crate::engine::Engine::replay)); outputs and facts are
//! recorded so that statistics can be recomputed from the log alone when a
//! KPI definition changes ([`crate::stats`]).

use crate::config::OverflowTarget;
use crate::engine::{AgentStatus, Input, Output, RoutingState};
use crate::ids::{AgentId, CallId, Millis, QueueId};

/// One log entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Engine time when it happened.
    pub at: Millis,
    /// What happened.
    pub kind: EventKind,
}

/// What a log entry records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// An input passed to [`Engine::handle`](crate::engine::Engine::handle),
    /// recorded before it is checked (a rejected input changes nothing).
    Input(Input),
    /// A call to [`Engine::handle_timeout`](crate::engine::Engine::handle_timeout)
    /// that found at least one due timer.
    Timeout,
    /// A decision handed to the shell (never `Output::Timeout`).
    Output(Output),
    /// A derived fact, for statistics.
    Fact(Fact),
}

/// Facts that statistics are computed from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fact {
    /// A call took a place in a queue (arrival, overflow, transfer or a due
    /// scheduled callback).
    Queued {
        /// The call.
        call: CallId,
        /// The queue.
        queue: QueueId,
        /// The entry is a scheduled callback, not a live caller.
        callback: bool,
    },
    /// A live caller was answered.
    Answered {
        /// The call.
        call: CallId,
        /// The queue it waited in.
        queue: QueueId,
        /// The agent.
        agent: AgentId,
        /// Time since it took its place in this queue.
        waited: Millis,
    },
    /// A live caller hung up while waiting or ringing.
    Abandoned {
        /// The call.
        call: CallId,
        /// The queue.
        queue: QueueId,
        /// Time since it took its place in this queue.
        waited: Millis,
    },
    /// A caller left the queue through an overflow rule.
    Overflowed {
        /// The call.
        call: CallId,
        /// The queue it left (or was refused by).
        queue: QueueId,
        /// Where it went.
        target: OverflowTarget,
        /// Time since it took its place (zero when refused on arrival).
        waited: Millis,
    },
    /// A caller asked for a callback, or one was scheduled. Not an abandon.
    CallbackRequested {
        /// The call.
        call: CallId,
        /// The queue.
        queue: QueueId,
        /// Time the live caller had waited before asking.
        waited: Millis,
    },
    /// A callback reached the citizen and an agent.
    CallbackConnected {
        /// The call.
        call: CallId,
        /// The queue.
        queue: QueueId,
        /// The agent.
        agent: AgentId,
    },
    /// A callback was given up after its last unreachable attempt.
    CallbackFailed {
        /// The call.
        call: CallId,
        /// The queue.
        queue: QueueId,
        /// Attempts made.
        attempts: u32,
    },
    /// A pending callback was cancelled by the shell.
    CallbackCancelled {
        /// The call.
        call: CallId,
        /// The queue.
        queue: QueueId,
    },
    /// An agent's talk segment on a call ended (hang-up or transfer).
    Completed {
        /// The call.
        call: CallId,
        /// The queue the call came from.
        queue: QueueId,
        /// The agent.
        agent: AgentId,
        /// Talk time of this segment.
        talk: Millis,
    },
    /// An agent finished wrap-up.
    WrapUpEnded {
        /// The agent.
        agent: AgentId,
        /// The queue of the call wrapped up.
        queue: QueueId,
        /// Wrap-up time actually spent.
        wrap: Millis,
    },
    /// An agent's status, routing state or device reachability changed.
    AgentState {
        /// The agent.
        agent: AgentId,
        /// Administrative status.
        status: AgentStatus,
        /// Derived routing state.
        routing: RoutingState,
        /// The queue of the call the agent is handling, if any.
        queue: Option<QueueId>,
    },
    /// An agent's queue memberships were set.
    Memberships {
        /// The agent.
        agent: AgentId,
        /// The queues.
        queues: Vec<QueueId>,
    },
}

#[cfg(test)]
mod tests;
