//! Errors returned by the engine.
//!
//! Inputs that are part of normal operation but arrive late (an answer after
//! another agent won a ring-all, a result for a callback that already timed
//! out) are not errors: the engine answers them with outputs. Errors mean the
//! shell referred to something the engine never knew, or broke the rules.

use std::fmt;

use crate::ids::{AgentId, CallId, QueueId};

/// A rejected configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// Two queues share an id.
    DuplicateQueue(QueueId),
    /// An overflow target names a queue that does not exist.
    UnknownOverflowQueue {
        /// The queue holding the target.
        queue: QueueId,
        /// The missing queue.
        target: QueueId,
    },
    /// Overflow targets form a cycle through this queue.
    OverflowCycle(QueueId),
    /// A queue has a zero ring timeout.
    ZeroRingTimeout(QueueId),
    /// Callbacks are configured with zero attempts.
    ZeroCallbackAttempts,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::DuplicateQueue(queue) => write!(f, "duplicate queue {queue}"),
            ConfigError::UnknownOverflowQueue { queue, target } => {
                write!(f, "queue {queue} overflows to unknown queue {target}")
            }
            ConfigError::OverflowCycle(queue) => write!(f, "overflow cycle through queue {queue}"),
            ConfigError::ZeroRingTimeout(queue) => write!(f, "queue {queue} has a zero ring timeout"),
            ConfigError::ZeroCallbackAttempts => f.write_str("callbacks need at least one attempt"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// A rejected input. The engine state is unchanged when one is returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// The queue is not configured.
    UnknownQueue(QueueId),
    /// The agent never logged in.
    UnknownAgent(AgentId),
    /// The call is not (or no longer) in the engine.
    UnknownCall(CallId),
    /// A call with this id is already in the engine.
    DuplicateCall(CallId),
    /// The call is not talking to an agent, so it cannot be transferred.
    NotTalking(CallId),
    /// The call is not a waiting live caller, so it cannot request a callback.
    NotWaiting(CallId),
    /// The transfer target agent is already talking on another call.
    AgentBusy(AgentId),
    /// A skill level outside 1 to 5.
    InvalidSkillLevel(u8),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::UnknownQueue(queue) => write!(f, "unknown queue {queue}"),
            Error::UnknownAgent(agent) => write!(f, "unknown agent {agent}"),
            Error::UnknownCall(call) => write!(f, "unknown call {call}"),
            Error::DuplicateCall(call) => write!(f, "duplicate call {call}"),
            Error::NotTalking(call) => write!(f, "call {call} is not talking to an agent"),
            Error::NotWaiting(call) => write!(f, "call {call} is not waiting in a queue"),
            Error::AgentBusy(agent) => write!(f, "agent {agent} is busy on another call"),
            Error::InvalidSkillLevel(level) => {
                write!(f, "skill level {level} is outside 1 to 5")
            }
        }
    }
}

impl std::error::Error for Error {}
