//! Engine configuration: queues, strategies, overflow and callbacks.
//!
//! Configuration is plain data built by the shell and passed to
//! [`Engine::new`](crate::engine::Engine::new), which validates it. There is
//! deliberately no `Default`: every timer is a decision someone must make.

use crate::ids::{Millis, QueueId};

/// Everything the engine needs besides inputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The queues; ids must be unique.
    pub queues: Vec<QueueConfig>,
    /// Consecutive missed offers after which an agent is paused with
    /// [`PauseReason::Missed`](crate::engine::PauseReason::Missed); zero never pauses.
    pub max_missed: u32,
    /// How much waiting one caller priority level is worth. A caller's
    /// effective priority grows with waiting time, so a low-priority caller
    /// who has waited `priority_step` longer than a caller one level above
    /// is served first (anti-starvation).
    pub priority_step: Millis,
    /// Callback retries and timeouts.
    pub callback: CallbackConfig,
}

/// How callbacks are retried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallbackConfig {
    /// Attempts before giving up with [`Output::CallbackFailed`](crate::engine::Output::CallbackFailed).
    pub max_attempts: u32,
    /// Delay between an unreachable attempt and the next one.
    pub retry_delay: Millis,
    /// How long the shell may take to report a placed callback's result
    /// before the engine counts the attempt as unreachable and frees the agent.
    pub result_timeout: Millis,
}

/// One queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueConfig {
    /// Unique id.
    pub id: QueueId,
    /// Which idle agent is offered the next call.
    pub strategy: Strategy,
    /// How long one offer rings before the next agent is tried.
    pub ring_timeout: Millis,
    /// After-call work following every call from this queue.
    pub wrap_up: Millis,
    /// How long an agent who missed an offer rests in the `Missed` state
    /// before becoming idle again; stops one absent agent from being rung in
    /// a tight loop.
    pub missed_delay: Millis,
    /// The longest a live caller waits before overflowing.
    pub max_wait: Option<Overflow>,
    /// The most callers waiting at once; further callers overflow on arrival.
    pub max_waiting: Option<MaxWaiting>,
    /// Interval of position and estimated-wait announcements.
    pub announce_interval: Option<Millis>,
    /// What happens when no member of the queue is logged in.
    pub no_agents: NoAgents,
    /// Handle time (talk plus wrap-up) assumed for wait estimates until
    /// calls have been handled.
    pub expected_handle_time: Millis,
}

/// How a queue picks among idle agents. Agents in a better priority group
/// (lower number) are always preferred; the strategy orders agents within a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// The agent whose last wrap-up (in any queue) ended longest ago.
    LongestIdle,
    /// The next agent after the one last offered a call from this queue, in
    /// the order agents joined the queue.
    RoundRobin,
    /// The agent who answered the fewest calls from this queue.
    FewestCalls,
    /// The agent with the least talk time on calls from this queue.
    LeastTalkTime,
    /// Every qualifying idle agent of the best group at once; the first
    /// answer wins and the other offers are cancelled.
    RingAll,
}

/// A limit on waiting and where callers go when it is reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overflow {
    /// The limit.
    pub after: Millis,
    /// Where the caller goes.
    pub target: OverflowTarget,
}

/// A limit on the number of waiting callers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaxWaiting {
    /// The most callers holding a place at once (callbacks included).
    pub callers: u32,
    /// Where callers arriving at a full queue go.
    pub target: OverflowTarget,
}

/// What a queue does when none of its members is logged in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoAgents {
    /// Callers join and wait anyway.
    Wait,
    /// Arriving callers are refused, and waiting live callers leave when the
    /// last member logs out (Asterisk `joinempty`/`leavewhenempty`).
    Overflow(OverflowTarget),
}

/// Where an overflowing caller goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OverflowTarget {
    /// Another queue; the caller keeps the ordering position earned so far.
    Queue(QueueId),
    /// The shell records a voicemail; the call leaves the engine.
    Voicemail,
    /// The shell offers a callback. After a max-wait overflow the caller
    /// keeps waiting (and place) until they accept with
    /// [`Input::CallbackRequested`](crate::engine::Input::CallbackRequested)
    /// or hang up; a caller refused on arrival is not queued, and the shell
    /// may use [`Input::ScheduleCallback`](crate::engine::Input::ScheduleCallback).
    CallbackOffer,
    /// The shell plays a message and hangs up; the call leaves the engine.
    Hangup {
        /// The prompt to play, an id the shell understands.
        message: u32,
    },
}
