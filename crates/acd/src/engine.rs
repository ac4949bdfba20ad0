//! The automatic call distributor: a pure state machine over calls and agents.
//!
//! # Driving the engine
//!
//! The engine never reads a clock, never does I/O and makes no random
//! choices. The shell feeds it:
//!
//! - inputs through [`Engine::handle`]`(now, input)`;
//! - wake-ups through [`Engine::handle_timeout`]`(now)`.
//!
//! After **every** call to either, the shell drains [`Engine::poll_output`]
//! until it returns [`Output::Timeout`], carries out each decision (ring an
//! agent, play an announcement, place a callback) and arms one timer for the
//! returned deadline. `poll_output` returns `None` after the `Timeout` until
//! the next mutation.
//!
//! # State model
//!
//! An agent has an administrative [`AgentStatus`] set explicitly by inputs,
//! and a [`RoutingState`] that only call events change. A call holds a place
//! in one queue ordered by `(arrival - priority * priority_step, call id)`,
//! so effective priority grows with waiting time. Idle routable agents are
//! indexed per queue by `(membership priority, strategy key, agent)`, and
//! offerable calls per queue by their ordering key, so a decision touches
//! only the queues of the agent or call that changed.
//!
//! The engine keeps one invariant after every input: no offerable call has a
//! qualifying idle agent. Every wait state (ringing, reserved, wrap-up,
//! missed, retry) has a timer, so nothing stays stuck when the shell forgets
//! to report; [`Input::Reconcile`] repairs drift against the calls and
//! devices that really exist.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fmt;
use std::fmt::Write as _;

use crate::config::{Config, NoAgents, OverflowTarget, QueueConfig, Strategy};
use crate::error::{ConfigError, Error};
use crate::event::{Event, EventKind, Fact};
use crate::ids::{AgentId, CallId, Millis, QueueId, SkillId};

/// Something that happened outside the engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// The agent logs in and becomes available, or, logged in already, changes memberships
    /// and skills and keeps their status (a supervisor moving a paused agent does not end the
    /// pause).
    AgentLogin {
        /// The agent.
        agent: AgentId,
        /// Queues and the agent's priority group in each.
        queues: Vec<QueueMembership>,
        /// Skills with levels 1 to 5.
        skills: Vec<Skill>,
    },
    /// The agent logs out; a call in progress continues.
    AgentLogout {
        /// The agent.
        agent: AgentId,
    },
    /// The agent pauses; a ringing offer is withdrawn and the caller keeps their place.
    AgentPause {
        /// The agent.
        agent: AgentId,
        /// Why.
        reason: PauseReason,
    },
    /// The agent is available again.
    AgentUnpause {
        /// The agent.
        agent: AgentId,
    },
    /// The agent's skills change.
    AgentSkills {
        /// The agent.
        agent: AgentId,
        /// The new skills.
        skills: Vec<Skill>,
    },
    /// The agent is on a call the engine did not route (a direct or consultation call).
    AgentBusy {
        /// The agent.
        agent: AgentId,
    },
    /// The agent's call that the engine did not route has ended.
    AgentFree {
        /// The agent.
        agent: AgentId,
    },
    /// The agent ends wrap-up early.
    WrapUpDone {
        /// The agent.
        agent: AgentId,
    },
    /// The agent's phone registered.
    DeviceRegistered {
        /// The agent.
        agent: AgentId,
    },
    /// The agent's phone vanished; the agent is skipped until it registers.
    DeviceUnregistered {
        /// The agent.
        agent: AgentId,
    },
    /// A live caller enters a queue.
    CallArrived {
        /// The call.
        call: CallId,
        /// The queue.
        queue: QueueId,
        /// Caller priority; higher is served earlier.
        priority: u8,
        /// Skill routing steps; empty means any member qualifies.
        steps: Vec<RoutingStep>,
        /// An agent to wait for first (an open case).
        preferred: Option<PreferredAgent>,
    },
    /// Replaces a waiting call's routing steps, starting again at the first.
    UpdateSteps {
        /// The call.
        call: CallId,
        /// The new steps.
        steps: Vec<RoutingStep>,
    },
    /// The agent answered the offer (or the callback's agent leg).
    OfferAnswered {
        /// The call.
        call: CallId,
        /// The agent.
        agent: AgentId,
    },
    /// The agent declined the offer; counts as a missed offer.
    OfferRejected {
        /// The call.
        call: CallId,
        /// The agent.
        agent: AgentId,
    },
    /// The offer could not reach the agent's phone; the agent is skipped
    /// until the device registers again, and the miss is not counted.
    OfferFailed {
        /// The call.
        call: CallId,
        /// The agent.
        agent: AgentId,
    },
    /// The call is over: an abandon while waiting, the end of a conversation,
    /// or the cancellation of a pending callback.
    CallEnded {
        /// The call.
        call: CallId,
    },
    /// The talking agent transferred the call; the agent enters wrap-up.
    Transfer {
        /// The call.
        call: CallId,
        /// Where to.
        to: TransferTarget,
    },
    /// A waiting live caller asks to be called back and hangs up, keeping their place.
    CallbackRequested {
        /// The call.
        call: CallId,
    },
    /// A callback to be placed at a given time (an after-hours request).
    ScheduleCallback {
        /// The call (the shell's id for the callback contact).
        call: CallId,
        /// The queue.
        queue: QueueId,
        /// When it joins the queue.
        at: Millis,
        /// Priority, as for a live caller.
        priority: u8,
        /// Skill routing steps.
        steps: Vec<RoutingStep>,
        /// An agent to wait for first.
        preferred: Option<PreferredAgent>,
    },
    /// The outcome of a [`Output::PlaceCallback`].
    CallbackResult {
        /// The call.
        call: CallId,
        /// What happened.
        outcome: CallbackOutcome,
    },
    /// The shell's view of reality: the calls it believes are in the ACD and
    /// the agents whose devices are registered. The engine repairs any state
    /// that disagrees and reports each repair.
    Reconcile {
        /// Calls with a live leg (callers waiting or ringing, conversations,
        /// callbacks being placed).
        live_calls: Vec<CallId>,
        /// Agents whose devices are registered.
        registered_agents: Vec<AgentId>,
    },
}

/// A decision for the shell to carry out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Ring this agent for this call.
    Offer {
        /// The call.
        call: CallId,
        /// The agent.
        agent: AgentId,
    },
    /// Stop ringing (or drop the late answer of) this agent for this call.
    CancelOffer {
        /// The call.
        call: CallId,
        /// The agent.
        agent: AgentId,
    },
    /// Tell the caller their position and estimated wait.
    Announce {
        /// The call.
        call: CallId,
        /// One-based position in the queue.
        position: u32,
        /// Estimated wait.
        estimated_wait: Millis,
    },
    /// Move the caller out of the queue.
    Overflow {
        /// The call.
        call: CallId,
        /// Where to.
        target: OverflowTarget,
    },
    /// The agent is reserved: call the agent, then the citizen.
    PlaceCallback {
        /// The call.
        call: CallId,
        /// The reserved agent.
        agent: AgentId,
    },
    /// A scheduled callback has joined its queue.
    CallbackDue {
        /// The call.
        call: CallId,
        /// The queue.
        queue: QueueId,
    },
    /// A callback was given up; the shell records a case note.
    CallbackFailed {
        /// The call.
        call: CallId,
        /// Attempts made.
        attempts: u32,
    },
    /// An agent's visible state changed.
    AgentStateChanged {
        /// The agent.
        agent: AgentId,
        /// Administrative status.
        status: AgentStatus,
        /// Derived routing state.
        routing: RoutingState,
        /// Whether the agent's device is registered.
        reachable: bool,
    },
    /// Reconciliation fixed something.
    Repaired(Repair),
    /// Call [`Engine::handle_timeout`] at this time ([`Millis::NEVER`]: no timer).
    Timeout(Millis),
}

/// What a reconciliation fixed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Repair {
    /// The engine held a call the shell no longer has; it was ended.
    CallVanished {
        /// The call.
        call: CallId,
    },
    /// The shell has a call the engine does not know.
    UnknownCall {
        /// The call.
        call: CallId,
    },
    /// An agent's routing state pointed at a call that did not point back.
    AgentFreed {
        /// The agent.
        agent: AgentId,
        /// The stale state.
        was: RoutingState,
    },
    /// An agent's device reachability was corrected.
    Device {
        /// The agent.
        agent: AgentId,
        /// The corrected value.
        reachable: bool,
    },
}

/// Administrative status, set by the agent or a supervisor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AgentStatus {
    /// Not taking calls.
    LoggedOut,
    /// Taking calls.
    Available,
    /// Logged in but not taking calls.
    Paused {
        /// Why.
        reason: PauseReason,
    },
}

/// Why an agent is paused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PauseReason {
    /// Too many consecutive missed offers.
    Missed,
    /// A reason code the shell understands (break, meeting, training).
    Code(u16),
}

/// Routing state, derived from call events only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoutingState {
    /// Free for a call.
    Idle,
    /// Ringing for this call.
    Offered {
        /// The call.
        call: CallId,
    },
    /// Reserved for placing this callback.
    Reserved {
        /// The call.
        call: CallId,
    },
    /// On this call.
    Talking {
        /// The call.
        call: CallId,
    },
    /// After-call work.
    WrapUp {
        /// When it ends.
        until: Millis,
    },
    /// Resting after a missed offer.
    Missed {
        /// When it ends.
        until: Millis,
    },
    /// On a call the engine did not route.
    OtherCall,
}

/// An agent's membership in a queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueMembership {
    /// The queue.
    pub queue: QueueId,
    /// Priority group; lower groups are offered calls first, and an agent in
    /// several queues serves the queue where its group is lowest first.
    pub priority: u8,
}

/// A skill with a level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Skill {
    /// The skill.
    pub skill: SkillId,
    /// Level, 1 to 5.
    pub level: u8,
}

/// One routing step: requirements that loosen when the step expires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoutingStep {
    /// Every requirement must be met.
    pub requires: Vec<SkillRequirement>,
    /// How long this step applies; `None` means until the call is answered.
    /// After the last step expires any member of the queue qualifies.
    pub expires_after: Option<Millis>,
}

/// A skill with a minimum level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SkillRequirement {
    /// The skill.
    pub skill: SkillId,
    /// Minimum level, 1 to 5.
    pub min_level: u8,
}

/// Wait for one agent before anyone else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PreferredAgent {
    /// The agent.
    pub agent: AgentId,
    /// How long to wait for them.
    pub wait: Millis,
}

/// Where a transfer goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferTarget {
    /// Back into a queue (the caller keeps their ordering position).
    Queue(QueueId),
    /// Straight to an agent (an attended transfer that the agent accepted).
    Agent(AgentId),
    /// Out of the contact centre.
    External,
}

/// The outcome of placing a callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallbackOutcome {
    /// The citizen answered and is talking to the agent.
    Connected,
    /// The citizen could not be reached.
    Unreachable,
}

/// A read-only summary of one queue, for wallboards.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueView {
    /// Entries holding a place (callbacks included).
    pub waiting: usize,
    /// Entries that could be offered now.
    pub ready: usize,
    /// Idle routable members.
    pub idle_agents: usize,
    /// Members logged in.
    pub staffed: u32,
    /// Members available (any routing state).
    pub available: u32,
}

/// The automatic call distributor.
#[derive(Debug)]
pub struct Engine {
    config: Config,
    now: Millis,
    queues: BTreeMap<QueueId, Queue>,
    agents: HashMap<AgentId, Agent>,
    calls: HashMap<CallId, Call>,
    timers: BTreeSet<(Millis, Timer)>,
    pending_calls: BTreeSet<(i64, CallId)>,
    pending_agents: BTreeSet<AgentId>,
    outputs: VecDeque<Output>,
    events: Vec<Event>,
    timeout_owed: bool,
}

/// `(priority group, strategy key, agent)`: the order idle agents are offered calls.
type IdleKey = (u8, u64, AgentId);

#[derive(Debug)]
struct Queue {
    config: QueueConfig,
    /// Every entry holding a place, by ordering key.
    waiting: BTreeSet<(i64, CallId)>,
    /// Entries that can be offered now.
    ready: BTreeSet<(i64, CallId)>,
    /// Idle routable members.
    idle: BTreeSet<IdleKey>,
    rr_cursor: u64,
    next_seq: u64,
    staffed: u32,
    available: u32,
    /// Moving average of handle time, for wait estimates.
    handle_time: Millis,
    announce_at: Option<Millis>,
}

#[derive(Debug)]
struct Agent {
    id: AgentId,
    status: AgentStatus,
    routing: RoutingState,
    reachable: bool,
    skills: Vec<Skill>,
    /// Sorted by `(priority, queue)`.
    memberships: Vec<Membership>,
    idle_since: Millis,
    missed_in_row: u32,
    /// The queue of the call being offered, handled or wrapped up.
    queue: Option<QueueId>,
    talk_since: Millis,
    wrap_since: Millis,
}

#[derive(Debug)]
struct Membership {
    queue: QueueId,
    priority: u8,
    seq: u64,
    calls: u64,
    talk: Millis,
    indexed: Option<IdleKey>,
}

#[derive(Debug)]
struct Call {
    queue: QueueId,
    priority: u8,
    key: i64,
    queued_at: Millis,
    steps: Vec<RoutingStep>,
    step: usize,
    step_deadline: Option<Millis>,
    preferred: Option<(AgentId, Millis)>,
    max_wait_at: Option<Millis>,
    /// The wait limit fell during a ring and waits for that ring to end (once only, so an
    /// agent re-offered the call cannot keep the caller past the limit for ever).
    max_wait_deferred: bool,
    state: CallState,
    /// Attempts so far; `Some` for callback entries (the caller is not on the line).
    callback: Option<u32>,
    last_announced: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum CallState {
    /// Holds a place and can be offered.
    Waiting,
    Ringing { agents: Vec<AgentId>, ring_all: bool, until: Millis },
    Reserved { agent: AgentId, until: Millis },
    Talking { agent: AgentId, since: Millis },
    /// A callback holding its place between attempts.
    RetryPending { at: Millis },
    /// A callback not yet due.
    Scheduled { at: Millis },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    // Variant order is firing order for equal deadlines: an overflow due at
    // the same moment as a ring timeout wins, so nobody is rung in between.
    MaxWait(CallId),
    Ring(CallId),
    Reservation(CallId),
    Step(CallId),
    Preferred(CallId),
    CallbackRetry(CallId),
    CallbackDue(CallId),
    WrapUp(AgentId),
    Missed(AgentId),
    Announce(QueueId),
}

impl Engine {
    /// An engine with no agents and no calls.
    pub fn new(config: Config) -> Result<Engine, ConfigError> {
        validate(&config)?;
        let queues = config
            .queues
            .iter()
            .map(|queue| {
                let state = Queue {
                    config: queue.clone(),
                    waiting: BTreeSet::new(),
                    ready: BTreeSet::new(),
                    idle: BTreeSet::new(),
                    rr_cursor: 0,
                    next_seq: 1,
                    staffed: 0,
                    available: 0,
                    handle_time: queue.expected_handle_time,
                    announce_at: None,
                };
                (queue.id, state)
            })
            .collect();
        Ok(Engine {
            config,
            now: Millis::ZERO,
            queues,
            agents: HashMap::new(),
            calls: HashMap::new(),
            timers: BTreeSet::new(),
            pending_calls: BTreeSet::new(),
            pending_agents: BTreeSet::new(),
            outputs: VecDeque::new(),
            events: Vec::new(),
            timeout_owed: false,
        })
    }

    /// Rebuilds an engine by feeding it the inputs and wake-ups of `events`.
    /// The result has the same state as the engine that wrote the log; its
    /// pending outputs are discarded (they were already carried out).
    pub fn replay(config: Config, events: &[Event]) -> Result<Engine, ConfigError> {
        let mut engine = Engine::new(config)?;
        for event in events {
            match &event.kind {
                // A rejected input was rejected the first time too.
                EventKind::Input(input) => {
                    let _ = engine.handle(event.at, input.clone());
                }
                EventKind::Timeout => engine.handle_timeout(event.at),
                EventKind::Output(_) | EventKind::Fact(_) => {}
            }
        }
        engine.outputs.clear();
        engine.timeout_owed = false;
        Ok(engine)
    }

    /// Applies one input. On error nothing changed (the input is still logged).
    pub fn handle(&mut self, now: Millis, input: Input) -> Result<(), Error> {
        self.advance(now);
        self.log(EventKind::Input(input.clone()));
        let res = self.apply(input);
        self.dispatch();
        self.timeout_owed = true;
        res
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Millis) {
        self.advance(now);
        self.timeout_owed = true;
        let due = self.timers.first().is_some_and(|(at, _)| *at <= self.now);
        if !due {
            return;
        }
        self.log(EventKind::Timeout);
        while let Some(&(at, timer)) = self.timers.first() {
            if at > self.now {
                break;
            }
            self.timers.remove(&(at, timer));
            self.fire(timer);
            self.dispatch();
        }
    }

    /// The next decision; [`Output::Timeout`] once the queue is drained, then `None`.
    pub fn poll_output(&mut self) -> Option<Output> {
        if let Some(output) = self.outputs.pop_front() {
            return Some(output);
        }
        if self.timeout_owed {
            self.timeout_owed = false;
            return Some(Output::Timeout(self.next_timeout()));
        }
        None
    }

    /// When the engine next needs [`Engine::handle_timeout`].
    pub fn next_timeout(&self) -> Millis {
        self.timers.first().map_or(Millis::NEVER, |(at, _)| *at)
    }

    /// The event log so far.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Takes the event log so far (for persisting), leaving it empty.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// An agent's status, routing state and device reachability.
    pub fn agent_state(&self, agent: AgentId) -> Option<(AgentStatus, RoutingState, bool)> {
        let agent = self.agents.get(&agent)?;
        Some((agent.status.clone(), agent.routing.clone(), agent.reachable))
    }

    /// A queue's live figures, in constant time: the switch reads them after every input.
    pub fn queue_view(&self, queue: QueueId) -> Option<QueueView> {
        let state = self.queues.get(&queue)?;
        Some(QueueView {
            waiting: state.waiting.len(),
            ready: state.ready.len(),
            idle_agents: state.idle.len(),
            staffed: state.staffed,
            available: state.available,
        })
    }

    /// A deterministic text dump of the whole state, for tests and replay checks.
    pub fn snapshot(&self) -> String {
        let mut out = String::new();
        for (id, queue) in &self.queues {
            let waiting: Vec<String> = queue.waiting.iter().map(|(_, c)| c.to_string()).collect();
            let ready: Vec<String> = queue.ready.iter().map(|(_, c)| c.to_string()).collect();
            let idle: Vec<String> = queue.idle.iter().map(|(_, _, a)| a.to_string()).collect();
            let _ = writeln!(
                out,
                "{id}: waiting [{}] ready [{}] idle [{}] staffed {} available {} rr {} aht {}",
                waiting.join(" "),
                ready.join(" "),
                idle.join(" "),
                queue.staffed,
                queue.available,
                queue.rr_cursor,
                queue.handle_time,
            );
        }
        let mut agent_ids: Vec<&AgentId> = self.agents.keys().collect();
        agent_ids.sort();
        for id in agent_ids {
            let agent = &self.agents[id];
            let queues: Vec<String> = agent
                .memberships
                .iter()
                .map(|m| format!("{}:{}/calls={}/talk={}", m.queue, m.priority, m.calls, m.talk))
                .collect();
            let _ = writeln!(
                out,
                "{id}: {} {} reachable={} idle-since {} missed {} queues [{}]",
                agent.status,
                agent.routing,
                agent.reachable,
                agent.idle_since,
                agent.missed_in_row,
                queues.join(" "),
            );
        }
        let mut call_ids: Vec<&CallId> = self.calls.keys().collect();
        call_ids.sort();
        for id in call_ids {
            let call = &self.calls[id];
            let _ = writeln!(
                out,
                "{id}: {} prio {} key {} queued {} step {}/{} {:?} callback {:?}",
                call.queue,
                call.priority,
                call.key,
                call.queued_at,
                call.step,
                call.steps.len(),
                call.state,
                call.callback,
            );
        }
        let timers: Vec<String> = self.timers.iter().map(|(at, t)| format!("{at}:{t:?}")).collect();
        let _ = writeln!(out, "timers [{}]", timers.join(" "));
        out
    }

    /// Checks the internal invariants; returns a description of each violation.
    /// Costs time proportional to calls times agents: for tests.
    pub fn check_invariants(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (id, agent) in &self.agents {
            let points_back = match &agent.routing {
                RoutingState::Offered { call } => self.calls.get(call).is_some_and(|c| {
                    matches!(&c.state, CallState::Ringing { agents, .. } if agents.contains(id))
                }),
                RoutingState::Reserved { call } => self.calls.get(call).is_some_and(
                    |c| matches!(c.state, CallState::Reserved { agent, .. } if agent == *id),
                ),
                RoutingState::Talking { call } => self.calls.get(call).is_some_and(
                    |c| matches!(c.state, CallState::Talking { agent, .. } if agent == *id),
                ),
                _ => true,
            };
            if !points_back {
                problems.push(format!("{id} is {} but the call disagrees", agent.routing));
            }
            for m in &agent.memberships {
                let indexed = self.queues[&m.queue].idle.iter().any(|k| k.2 == *id);
                if indexed != agent.is_routable() {
                    problems.push(format!("{id} index in {} is {indexed}", m.queue));
                }
            }
        }
        for (id, call) in &self.calls {
            let queue = &self.queues[&call.queue];
            let holds_place = !matches!(call.state, CallState::Talking { .. } | CallState::Scheduled { .. });
            if queue.waiting.contains(&(call.key, *id)) != holds_place {
                problems.push(format!("{id} waiting membership wrong"));
            }
            let ready = call.state == CallState::Waiting;
            if queue.ready.contains(&(call.key, *id)) != ready {
                problems.push(format!("{id} ready membership wrong"));
            }
            if ready {
                for (_, _, agent) in &queue.idle {
                    if qualifies(call, &self.agents[agent]) {
                        problems.push(format!("{id} waits while {agent} is idle and qualifies"));
                    }
                }
            }
        }
        problems.sort();
        problems
    }

    fn advance(&mut self, now: Millis) {
        // Time never runs backwards inside the engine.
        self.now = self.now.max(now);
    }

    fn log(&mut self, kind: EventKind) {
        self.events.push(Event { at: self.now, kind });
    }

    fn emit(&mut self, output: Output) {
        self.log(EventKind::Output(output.clone()));
        self.outputs.push_back(output);
    }

    fn fact(&mut self, fact: Fact) {
        self.log(EventKind::Fact(fact));
    }

    fn arm(&mut self, at: Millis, timer: Timer) {
        self.timers.insert((at, timer));
    }

    fn disarm(&mut self, at: Option<Millis>, timer: Timer) {
        if let Some(at) = at {
            self.timers.remove(&(at, timer));
        }
    }

    fn apply(&mut self, input: Input) -> Result<(), Error> {
        match input {
            Input::AgentLogin { agent, queues, skills } => self.agent_login(agent, queues, skills),
            Input::AgentLogout { agent } => {
                self.known_agent(agent)?;
                self.withdraw_offer(agent);
                self.set_status(agent, AgentStatus::LoggedOut);
                Ok(())
            }
            Input::AgentPause { agent, reason } => {
                self.known_agent(agent)?;
                self.withdraw_offer(agent);
                self.set_status(agent, AgentStatus::Paused { reason });
                Ok(())
            }
            Input::AgentUnpause { agent } => {
                self.known_agent(agent)?;
                if let Some(state) = self.agents.get_mut(&agent) {
                    state.missed_in_row = 0;
                }
                self.set_status(agent, AgentStatus::Available);
                Ok(())
            }
            Input::AgentSkills { agent, skills } => {
                self.known_agent(agent)?;
                let skills = checked_skills(skills)?;
                if let Some(state) = self.agents.get_mut(&agent) {
                    state.skills = skills;
                }
                self.pending_agents.insert(agent);
                Ok(())
            }
            Input::AgentBusy { agent } => {
                self.known_agent(agent)?;
                self.agent_busy(agent);
                Ok(())
            }
            Input::AgentFree { agent } => {
                self.known_agent(agent)?;
                if self.agents[&agent].routing == RoutingState::OtherCall {
                    if let Some(state) = self.agents.get_mut(&agent) {
                        state.idle_since = self.now;
                    }
                    self.set_routing(agent, RoutingState::Idle);
                }
                Ok(())
            }
            Input::WrapUpDone { agent } => {
                self.known_agent(agent)?;
                if matches!(self.agents[&agent].routing, RoutingState::WrapUp { .. }) {
                    self.end_wrap_up(agent);
                }
                Ok(())
            }
            Input::DeviceRegistered { agent } => {
                self.known_agent(agent)?;
                self.set_reachable(agent, true);
                Ok(())
            }
            Input::DeviceUnregistered { agent } => {
                self.known_agent(agent)?;
                self.set_reachable(agent, false);
                Ok(())
            }
            Input::CallArrived { call, queue, priority, steps, preferred } => {
                self.new_call(call, queue, priority, steps, preferred, None)
            }
            Input::UpdateSteps { call, steps } => self.update_steps(call, steps),
            Input::OfferAnswered { call, agent } => self.offer_answered(call, agent),
            Input::OfferRejected { call, agent } => self.offer_lost(call, agent, false),
            Input::OfferFailed { call, agent } => self.offer_lost(call, agent, true),
            Input::CallEnded { call } => {
                if !self.calls.contains_key(&call) {
                    return Err(Error::UnknownCall(call));
                }
                self.end_call(call);
                Ok(())
            }
            Input::Transfer { call, to } => self.transfer(call, to),
            Input::CallbackRequested { call } => self.callback_requested(call),
            Input::ScheduleCallback { call, queue, at, priority, steps, preferred } => {
                self.new_call(call, queue, priority, steps, preferred, Some(at))
            }
            Input::CallbackResult { call, outcome } => self.callback_result(call, outcome),
            Input::Reconcile { live_calls, registered_agents } => {
                self.reconcile(live_calls, registered_agents);
                Ok(())
            }
        }
    }

    fn known_agent(&self, agent: AgentId) -> Result<(), Error> {
        if self.agents.contains_key(&agent) { Ok(()) } else { Err(Error::UnknownAgent(agent)) }
    }

    // ---- agents -------------------------------------------------------------

    fn agent_login(
        &mut self,
        id: AgentId,
        queues: Vec<QueueMembership>,
        skills: Vec<Skill>,
    ) -> Result<(), Error> {
        for m in &queues {
            if !self.queues.contains_key(&m.queue) {
                return Err(Error::UnknownQueue(m.queue));
            }
        }
        let skills = checked_skills(skills)?;
        let now = self.now;
        let agent = self.agents.entry(id).or_insert_with(|| Agent {
            id,
            status: AgentStatus::LoggedOut,
            routing: RoutingState::Idle,
            reachable: true,
            skills: Vec::new(),
            memberships: Vec::new(),
            idle_since: now,
            missed_in_row: 0,
            queue: None,
            talk_since: now,
            wrap_since: now,
        });
        agent.skills = skills;
        // Leave every old queue (counters and index), then join the new set,
        // keeping per-queue counters for queues the agent stays in.
        let old_status = agent.status.clone();
        let mut old: Vec<Membership> = std::mem::take(&mut agent.memberships);
        for m in &mut old {
            let queue = self.queues.get_mut(&m.queue).expect("memberships name configured queues");
            if let Some(key) = m.indexed.take() {
                queue.idle.remove(&key);
            }
            count_member(queue, &old_status, -1);
        }
        let mut memberships = Vec::with_capacity(queues.len());
        for wanted in &queues {
            if memberships.iter().any(|m: &Membership| m.queue == wanted.queue) {
                continue;
            }
            let queue = self.queues.get_mut(&wanted.queue).expect("checked above");
            let kept = old.iter().position(|m| m.queue == wanted.queue).map(|i| old.swap_remove(i));
            let membership = match kept {
                Some(mut m) => {
                    m.priority = wanted.priority;
                    m
                }
                None => {
                    let seq = queue.next_seq;
                    queue.next_seq += 1;
                    Membership { queue: wanted.queue, priority: wanted.priority, seq, calls: 0, talk: Millis::ZERO, indexed: None }
                }
            };
            count_member(queue, &old_status, 1);
            memberships.push(membership);
        }
        memberships.sort_by_key(|m| (m.priority, m.queue));
        let queue_ids: Vec<QueueId> = memberships.iter().map(|m| m.queue).collect();
        agent.memberships = memberships;
        self.fact(Fact::Memberships { agent: id, queues: queue_ids });
        let left: Vec<QueueId> = old.iter().map(|m| m.queue).collect();
        // Setting the status indexes the agent in the new queues, even when it is unchanged.
        let status = if old_status == AgentStatus::LoggedOut { AgentStatus::Available } else { old_status };
        self.set_status(id, status);
        for queue in left {
            self.check_unstaffed(queue);
        }
        Ok(())
    }

    fn set_status(&mut self, id: AgentId, status: AgentStatus) {
        let Some(agent) = self.agents.get_mut(&id) else { return };
        let old = std::mem::replace(&mut agent.status, status.clone());
        for m in &agent.memberships {
            let queue = self.queues.get_mut(&m.queue).expect("memberships name configured queues");
            count_member(queue, &old, -1);
            count_member(queue, &status, 1);
        }
        let unstaffed: Vec<QueueId> = if status == AgentStatus::LoggedOut {
            agent.memberships.iter().map(|m| m.queue).collect()
        } else {
            Vec::new()
        };
        self.agent_changed(id);
        for queue in unstaffed {
            self.check_unstaffed(queue);
        }
    }

    fn set_routing(&mut self, id: AgentId, routing: RoutingState) {
        let Some(agent) = self.agents.get_mut(&id) else { return };
        agent.routing = routing;
        self.agent_changed(id);
    }

    fn set_reachable(&mut self, id: AgentId, reachable: bool) {
        let Some(agent) = self.agents.get_mut(&id) else { return };
        if agent.reachable == reachable {
            return;
        }
        agent.reachable = reachable;
        // The phone is gone: withdraw whatever is ringing on it (which
        // reports the new state too).
        if reachable || !self.withdraw_offer(id) {
            self.agent_changed(id);
        }
    }

    /// Emits the agent's new state and brings the idle indexes up to date.
    fn agent_changed(&mut self, id: AgentId) {
        let Some(agent) = self.agents.get(&id) else { return };
        let output = Output::AgentStateChanged {
            agent: id,
            status: agent.status.clone(),
            routing: agent.routing.clone(),
            reachable: agent.reachable,
        };
        let fact = Fact::AgentState {
            agent: id,
            status: agent.status.clone(),
            routing: agent.routing.clone(),
            queue: agent.queue,
        };
        self.emit(output);
        self.fact(fact);
        self.refresh_index(id);
    }

    fn refresh_index(&mut self, id: AgentId) {
        let Some(agent) = self.agents.get_mut(&id) else { return };
        let routable = agent.is_routable();
        let Agent { memberships, idle_since, .. } = agent;
        for m in memberships.iter_mut() {
            let queue = self.queues.get_mut(&m.queue).expect("memberships name configured queues");
            let wanted = routable.then(|| {
                let strategy_key = match queue.config.strategy {
                    Strategy::LongestIdle | Strategy::RingAll => idle_since.0,
                    Strategy::RoundRobin => m.seq,
                    Strategy::FewestCalls => m.calls,
                    Strategy::LeastTalkTime => m.talk.0,
                };
                (m.priority, strategy_key, id)
            });
            if m.indexed != wanted {
                if let Some(key) = m.indexed.take() {
                    queue.idle.remove(&key);
                }
                if let Some(key) = wanted {
                    queue.idle.insert(key);
                    m.indexed = Some(key);
                }
            }
        }
        if routable {
            self.pending_agents.insert(id);
        }
    }

    /// Withdraws a ringing offer or a callback reservation held by the agent;
    /// the caller keeps their place.
    fn withdraw_offer(&mut self, agent: AgentId) -> bool {
        let Some(state) = self.agents.get(&agent) else { return false };
        match state.routing.clone() {
            RoutingState::Offered { call } => {
                self.emit(Output::CancelOffer { call, agent });
                self.drop_ringing_agent(call, agent);
                self.set_routing(agent, RoutingState::Idle);
            }
            RoutingState::Reserved { call } => {
                self.emit(Output::CancelOffer { call, agent });
                self.release_reservation(call);
                self.set_routing(agent, RoutingState::Idle);
            }
            _ => return false,
        }
        true
    }

    fn agent_busy(&mut self, agent: AgentId) {
        match self.agents[&agent].routing.clone() {
            RoutingState::Idle => {}
            RoutingState::Missed { until } => self.disarm(Some(until), Timer::Missed(agent)),
            RoutingState::WrapUp { until } => {
                self.disarm(Some(until), Timer::WrapUp(agent));
                self.wrap_up_fact(agent);
            }
            RoutingState::Offered { .. } | RoutingState::Reserved { .. } => {
                self.withdraw_offer(agent);
            }
            // Already busy; an ACD call continues to own the agent.
            RoutingState::Talking { .. } | RoutingState::OtherCall => return,
        }
        self.set_routing(agent, RoutingState::OtherCall);
    }

    fn missed(&mut self, id: AgentId, queue: QueueId) {
        let delay = self.queues[&queue].config.missed_delay;
        let max_missed = self.config.max_missed;
        let until = self.now.plus(delay);
        let Some(agent) = self.agents.get_mut(&id) else { return };
        agent.missed_in_row += 1;
        let pause = max_missed > 0 && agent.missed_in_row >= max_missed;
        if pause {
            agent.missed_in_row = 0;
        }
        if delay == Millis::ZERO {
            agent.routing = RoutingState::Idle;
        } else {
            agent.routing = RoutingState::Missed { until };
            self.arm(until, Timer::Missed(id));
        }
        if pause {
            self.set_status(id, AgentStatus::Paused { reason: PauseReason::Missed });
        } else {
            self.agent_changed(id);
        }
    }

    fn start_wrap_up(&mut self, id: AgentId, queue_id: QueueId, talk: Millis) {
        let queue = self.queues.get_mut(&queue_id).expect("calls name configured queues");
        let wrap = queue.config.wrap_up;
        // An exponential moving average with weight 1/8 for the newest call.
        let handled = talk.plus(wrap).0;
        queue.handle_time = Millis((queue.handle_time.0 * 7 + handled) / 8);
        let Some(agent) = self.agents.get_mut(&id) else { return };
        agent.queue = Some(queue_id);
        agent.wrap_since = self.now;
        if let Some(m) = agent.memberships.iter_mut().find(|m| m.queue == queue_id) {
            m.talk = m.talk.plus(talk);
        }
        if wrap == Millis::ZERO {
            self.end_wrap_up(id);
            return;
        }
        let until = self.now.plus(wrap);
        self.arm(until, Timer::WrapUp(id));
        self.set_routing(id, RoutingState::WrapUp { until });
    }

    fn end_wrap_up(&mut self, id: AgentId) {
        let Some(agent) = self.agents.get_mut(&id) else { return };
        if let RoutingState::WrapUp { until } = agent.routing {
            self.timers.remove(&(until, Timer::WrapUp(id)));
        }
        self.wrap_up_fact(id);
        let Some(agent) = self.agents.get_mut(&id) else { return };
        agent.idle_since = self.now;
        agent.queue = None;
        self.set_routing(id, RoutingState::Idle);
    }

    fn wrap_up_fact(&mut self, id: AgentId) {
        let agent = &self.agents[&id];
        if let Some(queue) = agent.queue {
            let wrap = self.now.since(agent.wrap_since);
            self.fact(Fact::WrapUpEnded { agent: id, queue, wrap });
        }
    }

    // ---- calls --------------------------------------------------------------

    fn new_call(
        &mut self,
        id: CallId,
        queue: QueueId,
        priority: u8,
        steps: Vec<RoutingStep>,
        preferred: Option<PreferredAgent>,
        scheduled: Option<Millis>,
    ) -> Result<(), Error> {
        if self.calls.contains_key(&id) {
            return Err(Error::DuplicateCall(id));
        }
        if !self.queues.contains_key(&queue) {
            return Err(Error::UnknownQueue(queue));
        }
        check_steps(&steps)?;
        let is_callback = scheduled.is_some();
        let at = scheduled.unwrap_or(self.now).max(self.now);
        let call = Call {
            queue,
            priority,
            key: ordering_key(at, priority, self.config.priority_step),
            queued_at: at,
            steps,
            step: 0,
            step_deadline: None,
            preferred: None,
            max_wait_at: None,
            max_wait_deferred: false,
            state: if is_callback { CallState::Scheduled { at } } else { CallState::Waiting },
            callback: is_callback.then_some(0),
            last_announced: at,
        };
        self.calls.insert(id, call);
        if is_callback {
            self.fact(Fact::CallbackRequested { call: id, queue, waited: Millis::ZERO });
            self.arm(at, Timer::CallbackDue(id));
            // Remember the preference until the callback is due.
            if let Some(p) = preferred {
                self.calls.get_mut(&id).expect("just inserted").preferred = Some((p.agent, p.wait));
            }
            return Ok(());
        }
        self.start_routing(id, preferred);
        self.admit(id, queue);
        Ok(())
    }

    /// Starts the first routing step and the preferred-agent wait.
    fn start_routing(&mut self, id: CallId, preferred: Option<PreferredAgent>) {
        let now = self.now;
        // The preferred agent is only worth waiting for while logged in.
        let preferred = preferred.filter(|p| {
            self.agents.get(&p.agent).is_some_and(|a| a.status != AgentStatus::LoggedOut)
        });
        let call = self.calls.get_mut(&id).expect("caller checked");
        call.step = 0;
        let step_deadline = call.steps.first().and_then(|s| s.expires_after).map(|e| now.plus(e));
        let old_step_deadline = std::mem::replace(&mut call.step_deadline, step_deadline);
        call.preferred = preferred.map(|p| (p.agent, now.plus(p.wait)));
        let preferred_until = call.preferred.map(|(_, until)| until);
        self.disarm(old_step_deadline, Timer::Step(id));
        if let Some(at) = step_deadline {
            self.arm(at, Timer::Step(id));
        }
        if let Some(at) = preferred_until {
            self.arm(at, Timer::Preferred(id));
        }
    }

    /// Puts a call that holds no place into `queue`, or overflows it.
    fn admit(&mut self, id: CallId, queue_id: QueueId) {
        let queue = &self.queues[&queue_id];
        let refusal = match &queue.config.no_agents {
            NoAgents::Overflow(target) if queue.staffed == 0 => Some(target.clone()),
            _ => None,
        };
        let refusal = refusal.or_else(|| {
            let limit = queue.config.max_waiting.as_ref()?;
            (queue.waiting.len() >= limit.callers as usize).then(|| limit.target.clone())
        });
        if let Some(target) = refusal {
            let call = self.calls.get_mut(&id).expect("caller checked");
            call.queue = queue_id;
            call.queued_at = self.now;
            self.overflow(id, target);
            return;
        }
        self.enter_queue(id, queue_id);
    }

    fn enter_queue(&mut self, id: CallId, queue_id: QueueId) {
        let now = self.now;
        let call = self.calls.get_mut(&id).expect("caller checked");
        let queue = self.queues.get_mut(&queue_id).expect("caller checked");
        call.queue = queue_id;
        call.queued_at = now;
        call.last_announced = now;
        call.state = CallState::Waiting;
        queue.waiting.insert((call.key, id));
        queue.ready.insert((call.key, id));
        self.pending_calls.insert((call.key, id));
        let is_callback = call.callback.is_some();
        let max_wait = queue.config.max_wait.as_ref().map(|m| now.plus(m.after));
        let old_max_wait = std::mem::replace(&mut call.max_wait_at, max_wait.filter(|_| !is_callback));
        let announce = match (queue.announce_at, queue.config.announce_interval) {
            (None, Some(interval)) => {
                let at = now.plus(interval);
                queue.announce_at = Some(at);
                Some(at)
            }
            _ => None,
        };
        let new_max_wait = call.max_wait_at;
        self.disarm(old_max_wait, Timer::MaxWait(id));
        if let Some(at) = new_max_wait {
            self.arm(at, Timer::MaxWait(id));
        }
        if let Some(at) = announce {
            self.arm(at, Timer::Announce(queue_id));
        }
        self.fact(Fact::Queued { call: id, queue: queue_id, callback: is_callback });
    }

    /// Removes the call from its queue's sets.
    fn leave_queue(&mut self, id: CallId) {
        let call = &self.calls[&id];
        let queue = self.queues.get_mut(&call.queue).expect("calls name configured queues");
        queue.waiting.remove(&(call.key, id));
        queue.ready.remove(&(call.key, id));
        self.pending_calls.remove(&(call.key, id));
    }

    /// Forgets the call and every timer it owns.
    fn remove_call(&mut self, id: CallId) {
        self.leave_queue(id);
        let Some(call) = self.calls.remove(&id) else { return };
        self.disarm(call.max_wait_at, Timer::MaxWait(id));
        self.disarm(call.step_deadline, Timer::Step(id));
        self.disarm(call.preferred.map(|(_, until)| until), Timer::Preferred(id));
        match call.state {
            CallState::Ringing { until, .. } => self.disarm(Some(until), Timer::Ring(id)),
            CallState::Reserved { until, .. } => self.disarm(Some(until), Timer::Reservation(id)),
            CallState::RetryPending { at } => self.disarm(Some(at), Timer::CallbackRetry(id)),
            CallState::Scheduled { at } => self.disarm(Some(at), Timer::CallbackDue(id)),
            CallState::Waiting | CallState::Talking { .. } => {}
        }
    }

    /// Makes a call that holds a place offerable again.
    fn make_ready(&mut self, id: CallId) {
        let call = self.calls.get_mut(&id).expect("caller checked");
        call.state = CallState::Waiting;
        let queue = self.queues.get_mut(&call.queue).expect("calls name configured queues");
        queue.ready.insert((call.key, id));
        self.pending_calls.insert((call.key, id));
    }

    /// Removes `agent` from the call's ringing set; an empty set makes the call ready again.
    fn drop_ringing_agent(&mut self, id: CallId, agent: AgentId) {
        let Some(call) = self.calls.get_mut(&id) else { return };
        let CallState::Ringing { agents, until, .. } = &mut call.state else { return };
        agents.retain(|a| *a != agent);
        if agents.is_empty() {
            let until = *until;
            self.disarm(Some(until), Timer::Ring(id));
            self.make_ready(id);
        }
    }

    /// Stops every offer of a ringing call; agents go back to idle without a miss.
    fn cancel_ringing(&mut self, id: CallId) {
        let Some(call) = self.calls.get_mut(&id) else { return };
        let CallState::Ringing { agents, until, .. } = std::mem::replace(&mut call.state, CallState::Waiting) else {
            return;
        };
        self.disarm(Some(until), Timer::Ring(id));
        for agent in agents {
            self.emit(Output::CancelOffer { call: id, agent });
            self.set_routing(agent, RoutingState::Idle);
        }
    }

    fn release_reservation(&mut self, id: CallId) {
        let Some(call) = self.calls.get(&id) else { return };
        let CallState::Reserved { until, .. } = call.state else { return };
        self.disarm(Some(until), Timer::Reservation(id));
        self.make_ready(id);
    }

    fn overflow(&mut self, id: CallId, target: OverflowTarget) {
        let call = &self.calls[&id];
        let (queue, waited) = (call.queue, self.now.since(call.queued_at));
        self.fact(Fact::Overflowed { call: id, queue, target: target.clone(), waited });
        self.emit(Output::Overflow { call: id, target: target.clone() });
        match target {
            OverflowTarget::Queue(next) => {
                self.leave_queue(id);
                self.admit(id, next);
            }
            OverflowTarget::Voicemail | OverflowTarget::CallbackOffer | OverflowTarget::Hangup { .. } => {
                self.remove_call(id);
            }
        }
    }

    /// Live callers leave a queue whose last member logged out, if configured.
    fn check_unstaffed(&mut self, queue_id: QueueId) {
        let queue = &self.queues[&queue_id];
        let NoAgents::Overflow(target) = &queue.config.no_agents else { return };
        if queue.staffed > 0 {
            return;
        }
        let target = target.clone();
        let leaving: Vec<CallId> = queue
            .waiting
            .iter()
            .map(|(_, call)| *call)
            .filter(|call| self.calls[call].callback.is_none())
            .collect();
        for call in leaving {
            self.cancel_ringing(call);
            self.overflow(call, target.clone());
        }
    }

    fn update_steps(&mut self, id: CallId, steps: Vec<RoutingStep>) -> Result<(), Error> {
        check_steps(&steps)?;
        let Some(call) = self.calls.get_mut(&id) else { return Err(Error::UnknownCall(id)) };
        call.steps = steps;
        let old_step_deadline = call.step_deadline.take();
        call.step = 0;
        let step_deadline = call.steps.first().and_then(|s| s.expires_after).map(|e| self.now.plus(e));
        call.step_deadline = step_deadline;
        let key = call.key;
        self.disarm(old_step_deadline, Timer::Step(id));
        if let Some(at) = step_deadline {
            self.arm(at, Timer::Step(id));
        }
        self.pending_calls.insert((key, id));
        Ok(())
    }

    fn offer_answered(&mut self, id: CallId, agent: AgentId) -> Result<(), Error> {
        self.known_agent(agent)?;
        let Some(call) = self.calls.get(&id) else { return Err(Error::UnknownCall(id)) };
        match &call.state {
            CallState::Ringing { agents, .. } if agents.contains(&agent) => {}
            // A repeated answer from the agent who already has the call.
            CallState::Talking { agent: talking, .. } if *talking == agent => return Ok(()),
            // A late answer (another agent won, or the offer was withdrawn):
            // tell the shell to drop that leg and change nothing else. This
            // is what keeps ring-all from restarting after a pickup.
            _ => {
                self.emit(Output::CancelOffer { call: id, agent });
                return Ok(());
            }
        }
        let CallState::Ringing { agents, until, .. } =
            std::mem::replace(&mut self.calls.get_mut(&id).expect("checked").state, CallState::Waiting)
        else {
            unreachable!("matched above");
        };
        self.disarm(Some(until), Timer::Ring(id));
        for other in agents.into_iter().filter(|a| *a != agent) {
            self.emit(Output::CancelOffer { call: id, agent: other });
            self.set_routing(other, RoutingState::Idle);
        }
        self.connect(id, agent);
        let call = &self.calls[&id];
        let (queue, waited) = (call.queue, self.now.since(call.queued_at));
        self.fact(Fact::Answered { call: id, queue, agent, waited });
        Ok(())
    }

    /// The call is now a conversation with `agent`.
    fn connect(&mut self, id: CallId, agent_id: AgentId) {
        self.leave_queue(id);
        let now = self.now;
        let call = self.calls.get_mut(&id).expect("caller checked");
        call.state = CallState::Talking { agent: agent_id, since: now };
        let queue = call.queue;
        let max_wait = call.max_wait_at.take();
        let step = call.step_deadline.take();
        let preferred = call.preferred.take().map(|(_, until)| until);
        self.disarm(max_wait, Timer::MaxWait(id));
        self.disarm(step, Timer::Step(id));
        self.disarm(preferred, Timer::Preferred(id));
        let agent = self.agents.get_mut(&agent_id).expect("caller checked");
        agent.missed_in_row = 0;
        agent.queue = Some(queue);
        agent.talk_since = now;
        if let Some(m) = agent.memberships.iter_mut().find(|m| m.queue == queue) {
            m.calls += 1;
        }
        self.set_routing(agent_id, RoutingState::Talking { call: id });
    }

    fn offer_lost(&mut self, id: CallId, agent: AgentId, device_failed: bool) -> Result<(), Error> {
        self.known_agent(agent)?;
        let Some(call) = self.calls.get(&id) else { return Err(Error::UnknownCall(id)) };
        let queue = call.queue;
        let ring_all = match &call.state {
            CallState::Ringing { agents, ring_all, .. } if agents.contains(&agent) => *ring_all,
            CallState::Reserved { agent: reserved, .. } if *reserved == agent => false,
            // Stale: the offer is already over.
            _ => return Ok(()),
        };
        if matches!(call.state, CallState::Reserved { .. }) {
            self.release_reservation(id);
        } else {
            self.drop_ringing_agent(id, agent);
        }
        if device_failed {
            let state = self.agents.get_mut(&agent).expect("checked");
            state.reachable = false;
            state.routing = RoutingState::Idle;
            self.agent_changed(agent);
        } else if ring_all {
            self.set_routing(agent, RoutingState::Idle);
        } else {
            self.missed(agent, queue);
        }
        Ok(())
    }

    /// Ends a call in any state.
    fn end_call(&mut self, id: CallId) {
        let call = &self.calls[&id];
        let (queue, waited, is_callback) = (call.queue, self.now.since(call.queued_at), call.callback.is_some());
        match call.state.clone() {
            CallState::Talking { agent, since } => {
                let talk = self.now.since(since);
                self.fact(Fact::Completed { call: id, queue, agent, talk });
                self.remove_call(id);
                self.start_wrap_up(agent, queue, talk);
            }
            CallState::Ringing { .. } | CallState::Waiting if !is_callback => {
                self.cancel_ringing(id);
                self.fact(Fact::Abandoned { call: id, queue, waited });
                self.remove_call(id);
            }
            state => {
                if let CallState::Reserved { agent, .. } = state {
                    self.emit(Output::CancelOffer { call: id, agent });
                    self.set_routing(agent, RoutingState::Idle);
                }
                self.fact(Fact::CallbackCancelled { call: id, queue });
                self.remove_call(id);
            }
        }
    }

    fn transfer(&mut self, id: CallId, to: TransferTarget) -> Result<(), Error> {
        let Some(call) = self.calls.get(&id) else { return Err(Error::UnknownCall(id)) };
        let CallState::Talking { agent: from, since } = call.state else { return Err(Error::NotTalking(id)) };
        match to {
            TransferTarget::Queue(queue) if !self.queues.contains_key(&queue) => {
                return Err(Error::UnknownQueue(queue));
            }
            TransferTarget::Agent(target) => {
                let Some(state) = self.agents.get(&target) else { return Err(Error::UnknownAgent(target)) };
                if matches!(state.routing, RoutingState::Talking { .. }) {
                    return Err(Error::AgentBusy(target));
                }
            }
            _ => {}
        }
        let queue = call.queue;
        let talk = self.now.since(since);
        self.fact(Fact::Completed { call: id, queue, agent: from, talk });
        // The transferring agent always wraps up (app_queue #607).
        // The call holds no place until it is admitted or connected below.
        self.calls.get_mut(&id).expect("checked").state = CallState::Waiting;
        self.start_wrap_up(from, queue, talk);
        match to {
            TransferTarget::Queue(next) => {
                self.admit(id, next);
            }
            TransferTarget::Agent(target) => {
                match self.agents[&target].routing.clone() {
                    RoutingState::Offered { .. } | RoutingState::Reserved { .. } => {
                        self.withdraw_offer(target);
                    }
                    RoutingState::WrapUp { until } => {
                        self.disarm(Some(until), Timer::WrapUp(target));
                        self.wrap_up_fact(target);
                    }
                    RoutingState::Missed { until } => self.disarm(Some(until), Timer::Missed(target)),
                    RoutingState::Idle | RoutingState::OtherCall | RoutingState::Talking { .. } => {}
                }
                self.connect(id, target);
            }
            TransferTarget::External => self.remove_call(id),
        }
        Ok(())
    }

    // ---- callbacks ----------------------------------------------------------

    fn callback_requested(&mut self, id: CallId) -> Result<(), Error> {
        let Some(call) = self.calls.get(&id) else { return Err(Error::UnknownCall(id)) };
        let live_waiting = call.callback.is_none()
            && matches!(call.state, CallState::Waiting | CallState::Ringing { .. });
        if !live_waiting {
            return Err(Error::NotWaiting(id));
        }
        let (queue, waited) = (call.queue, self.now.since(call.queued_at));
        self.cancel_ringing(id);
        let call = self.calls.get_mut(&id).expect("checked");
        call.callback = Some(0);
        let max_wait = call.max_wait_at.take();
        self.disarm(max_wait, Timer::MaxWait(id));
        self.fact(Fact::CallbackRequested { call: id, queue, waited });
        let call = &self.calls[&id];
        if !self.queues[&queue].ready.contains(&(call.key, id)) {
            self.make_ready(id);
        }
        Ok(())
    }

    fn callback_result(&mut self, id: CallId, outcome: CallbackOutcome) -> Result<(), Error> {
        let Some(call) = self.calls.get(&id) else { return Err(Error::UnknownCall(id)) };
        // A result after the reservation timed out is stale.
        let CallState::Reserved { agent, until } = call.state else { return Ok(()) };
        let queue = call.queue;
        self.disarm(Some(until), Timer::Reservation(id));
        match outcome {
            CallbackOutcome::Connected => {
                self.connect(id, agent);
                self.fact(Fact::CallbackConnected { call: id, queue, agent });
            }
            CallbackOutcome::Unreachable => self.callback_unreachable(id, agent),
        }
        Ok(())
    }

    fn callback_unreachable(&mut self, id: CallId, agent: AgentId) {
        let retry_at = self.now.plus(self.config.callback.retry_delay);
        let max_attempts = self.config.callback.max_attempts;
        let call = self.calls.get_mut(&id).expect("caller checked");
        let attempts = call.callback.unwrap_or(0) + 1;
        call.callback = Some(attempts);
        let queue = call.queue;
        if attempts >= max_attempts {
            self.emit(Output::CallbackFailed { call: id, attempts });
            self.fact(Fact::CallbackFailed { call: id, queue, attempts });
            self.remove_call(id);
        } else {
            call.state = CallState::RetryPending { at: retry_at };
            self.arm(retry_at, Timer::CallbackRetry(id));
        }
        self.set_routing(agent, RoutingState::Idle);
    }

    // ---- timers -------------------------------------------------------------

    fn fire(&mut self, timer: Timer) {
        match timer {
            Timer::Ring(id) => self.ring_timeout(id),
            Timer::Reservation(id) => {
                let Some(call) = self.calls.get(&id) else { return };
                let CallState::Reserved { agent, .. } = call.state else { return };
                self.emit(Output::CancelOffer { call: id, agent });
                self.callback_unreachable(id, agent);
            }
            Timer::MaxWait(id) => self.max_wait(id),
            Timer::Step(id) => {
                let now = self.now;
                let Some(call) = self.calls.get_mut(&id) else { return };
                call.step += 1;
                call.step_deadline =
                    call.steps.get(call.step).and_then(|s| s.expires_after).map(|e| now.plus(e));
                let (deadline, key, ready) = (call.step_deadline, call.key, call.state == CallState::Waiting);
                if let Some(at) = deadline {
                    self.arm(at, Timer::Step(id));
                }
                if ready {
                    self.pending_calls.insert((key, id));
                }
            }
            Timer::Preferred(id) => {
                let Some(call) = self.calls.get_mut(&id) else { return };
                call.preferred = None;
                if call.state == CallState::Waiting {
                    self.pending_calls.insert((call.key, id));
                }
            }
            Timer::CallbackRetry(id) => {
                if self.calls.get(&id).is_some_and(|c| matches!(c.state, CallState::RetryPending { .. })) {
                    self.make_ready(id);
                }
            }
            Timer::CallbackDue(id) => self.callback_due(id),
            Timer::WrapUp(agent) => {
                if self.agents.get(&agent).is_some_and(|a| matches!(a.routing, RoutingState::WrapUp { .. })) {
                    self.end_wrap_up(agent);
                }
            }
            Timer::Missed(agent) => {
                if self.agents.get(&agent).is_some_and(|a| matches!(a.routing, RoutingState::Missed { .. })) {
                    self.set_routing(agent, RoutingState::Idle);
                }
            }
            Timer::Announce(queue) => self.announce(queue),
        }
    }

    fn ring_timeout(&mut self, id: CallId) {
        let Some(call) = self.calls.get_mut(&id) else { return };
        let queue = call.queue;
        let CallState::Ringing { agents, ring_all, .. } = std::mem::replace(&mut call.state, CallState::Waiting)
        else {
            return;
        };
        // The caller keeps their place; the next agent is tried at once.
        self.make_ready(id);
        for agent in agents {
            self.emit(Output::CancelOffer { call: id, agent });
            if ring_all {
                // Nobody answering a ring-all is not one agent's miss.
                self.set_routing(agent, RoutingState::Idle);
            } else {
                self.missed(agent, queue);
            }
        }
    }

    fn max_wait(&mut self, id: CallId) {
        let Some(call) = self.calls.get_mut(&id) else { return };
        call.max_wait_at = None;
        if call.callback.is_some() || !matches!(call.state, CallState::Waiting | CallState::Ringing { .. }) {
            return;
        }
        // An agent's phone is ringing for this caller: let that ring run its course rather
        // than pull the caller away from an answer about to come; the limit applies after it.
        if let CallState::Ringing { until, .. } = call.state
            && !call.max_wait_deferred
        {
            let at = until.plus(Millis(1));
            call.max_wait_at = Some(at);
            call.max_wait_deferred = true;
            self.arm(at, Timer::MaxWait(id));
            return;
        }
        let queue = call.queue;
        let Some(limit) = self.queues[&queue].config.max_wait.clone() else { return };
        if limit.target == OverflowTarget::CallbackOffer {
            // The caller keeps waiting, and their place, while deciding.
            let waited = self.now.since(self.calls[&id].queued_at);
            self.fact(Fact::Overflowed { call: id, queue, target: limit.target.clone(), waited });
            self.emit(Output::Overflow { call: id, target: limit.target });
            return;
        }
        self.cancel_ringing(id);
        self.overflow(id, limit.target);
    }

    fn callback_due(&mut self, id: CallId) {
        let Some(call) = self.calls.get_mut(&id) else { return };
        if !matches!(call.state, CallState::Scheduled { .. }) {
            return;
        }
        let queue = call.queue;
        // Scheduled callbacks are promised work: they bypass joining limits.
        let preferred = call.preferred.take().map(|(agent, wait)| PreferredAgent { agent, wait });
        self.emit(Output::CallbackDue { call: id, queue });
        self.start_routing(id, preferred);
        self.enter_queue(id, queue);
    }

    fn announce(&mut self, queue_id: QueueId) {
        let now = self.now;
        let queue = self.queues.get_mut(&queue_id).expect("timers name configured queues");
        queue.announce_at = None;
        let Some(interval) = queue.config.announce_interval else { return };
        let per_agent = queue.handle_time.0 / u64::from(queue.available.max(1));
        let mut announcements = Vec::new();
        for (position, (_, id)) in queue.waiting.iter().enumerate() {
            let Some(call) = self.calls.get_mut(id) else { continue };
            let live = call.callback.is_none() && call.state == CallState::Waiting;
            // Callers who joined moments ago were just greeted.
            if !live || now.since(call.last_announced).0 < interval.0 / 2 {
                continue;
            }
            call.last_announced = now;
            let position = position as u64 + 1;
            announcements.push(Output::Announce {
                call: *id,
                position: position as u32,
                estimated_wait: Millis(per_agent.saturating_mul(position)),
            });
        }
        if !queue.waiting.is_empty() {
            let at = now.plus(interval);
            queue.announce_at = Some(at);
            self.arm(at, Timer::Announce(queue_id));
        }
        for output in announcements {
            self.emit(output);
        }
    }

    // ---- reconciliation -----------------------------------------------------

    fn reconcile(&mut self, live_calls: Vec<CallId>, registered_agents: Vec<AgentId>) {
        let live: BTreeSet<CallId> = live_calls.into_iter().collect();
        let registered: BTreeSet<AgentId> = registered_agents.into_iter().collect();
        let mut call_ids: Vec<CallId> = self.calls.keys().copied().collect();
        call_ids.sort();
        for id in call_ids {
            let call = &self.calls[&id];
            let needs_leg = call.callback.is_none()
                || matches!(call.state, CallState::Reserved { .. } | CallState::Talking { .. });
            if !needs_leg || live.contains(&id) {
                continue;
            }
            let reserved = match call.state {
                CallState::Reserved { agent, .. } => Some(agent),
                _ => None,
            };
            self.emit(Output::Repaired(Repair::CallVanished { call: id }));
            if let Some(agent) = reserved {
                // The callback's placing leg is gone: free the agent, keep the place.
                self.release_reservation(id);
                self.set_routing(agent, RoutingState::Idle);
            } else {
                self.end_call(id);
            }
        }
        for id in &live {
            if !self.calls.contains_key(id) {
                self.emit(Output::Repaired(Repair::UnknownCall { call: *id }));
            }
        }
        let mut agent_ids: Vec<AgentId> = self.agents.keys().copied().collect();
        agent_ids.sort();
        for id in agent_ids {
            self.reconcile_agent(id, registered.contains(&id));
        }
        // Calls whose agents disagree (cannot happen after the pass above
        // unless state was corrupted): drop stale ringing agents, end
        // conversations without an agent.
        let mut call_ids: Vec<CallId> = self.calls.keys().copied().collect();
        call_ids.sort();
        for id in call_ids {
            match self.calls[&id].state.clone() {
                CallState::Ringing { agents, .. } => {
                    for agent in agents {
                        let offered = self.agents.get(&agent).map(|a| &a.routing)
                            == Some(&RoutingState::Offered { call: id });
                        if !offered {
                            self.drop_ringing_agent(id, agent);
                        }
                    }
                }
                CallState::Reserved { agent, .. }
                    if self.agents.get(&agent).map(|a| &a.routing) != Some(&RoutingState::Reserved { call: id }) =>
                {
                    self.release_reservation(id);
                }
                CallState::Talking { agent, .. }
                    if self.agents.get(&agent).map(|a| &a.routing) != Some(&RoutingState::Talking { call: id }) =>
                {
                    self.emit(Output::Repaired(Repair::CallVanished { call: id }));
                    let queue = self.calls[&id].queue;
                    self.fact(Fact::Abandoned { call: id, queue, waited: Millis::ZERO });
                    self.remove_call(id);
                }
                _ => {}
            }
        }
    }

    fn reconcile_agent(&mut self, id: AgentId, registered: bool) {
        let agent = &self.agents[&id];
        let points_back = match &agent.routing {
            RoutingState::Offered { call } => self.calls.get(call).is_some_and(
                |c| matches!(&c.state, CallState::Ringing { agents, .. } if agents.contains(&id)),
            ),
            RoutingState::Reserved { call } => self
                .calls
                .get(call)
                .is_some_and(|c| matches!(c.state, CallState::Reserved { agent, .. } if agent == id)),
            RoutingState::Talking { call } => self
                .calls
                .get(call)
                .is_some_and(|c| matches!(c.state, CallState::Talking { agent, .. } if agent == id)),
            _ => true,
        };
        if !points_back {
            let was = agent.routing.clone();
            let queue = agent.queue;
            self.emit(Output::Repaired(Repair::AgentFreed { agent: id, was: was.clone() }));
            match (was, queue) {
                (RoutingState::Talking { .. }, Some(queue)) => self.start_wrap_up(id, queue, Millis::ZERO),
                _ => self.set_routing(id, RoutingState::Idle),
            }
        }
        let agent = &self.agents[&id];
        if agent.reachable != registered && agent.status != AgentStatus::LoggedOut {
            self.emit(Output::Repaired(Repair::Device { agent: id, reachable: registered }));
            self.set_reachable(id, registered);
        } else if agent.reachable != registered {
            self.agents.get_mut(&id).expect("checked").reachable = registered;
        }
        // Rebuild the index entries in case they drifted.
        self.refresh_index(id);
    }

    // ---- dispatch -----------------------------------------------------------

    /// Matches pending calls and agents until neither side can move.
    fn dispatch(&mut self) {
        loop {
            if let Some((_, call)) = self.pending_calls.pop_first() {
                self.dispatch_call(call);
                continue;
            }
            if let Some(agent) = self.pending_agents.pop_first() {
                self.dispatch_agent(agent);
                continue;
            }
            return;
        }
    }

    fn dispatch_call(&mut self, id: CallId) {
        let Some(call) = self.calls.get(&id) else { return };
        if call.state != CallState::Waiting {
            return;
        }
        let queue = &self.queues[&call.queue];
        let ring_all = queue.config.strategy == Strategy::RingAll && call.callback.is_none();
        let chosen = select_agents(queue, &self.agents, call, ring_all);
        if chosen.is_empty() {
            return;
        }
        self.offer(id, chosen, ring_all);
    }

    fn dispatch_agent(&mut self, id: AgentId) {
        loop {
            let Some(agent) = self.agents.get(&id) else { return };
            if !agent.is_routable() {
                return;
            }
            let Some(call) = best_call_for(agent, &self.queues, &self.calls) else { return };
            self.dispatch_call(call);
            let still_waiting = self.calls.get(&call).is_some_and(|c| c.state == CallState::Waiting);
            debug_assert!(!still_waiting, "{id} qualifies for {call} but it was not offered");
            if still_waiting {
                return;
            }
        }
    }

    fn offer(&mut self, id: CallId, chosen: Vec<AgentId>, ring_all: bool) {
        let now = self.now;
        let callback_timeout = self.config.callback.result_timeout;
        let call = self.calls.get_mut(&id).expect("caller checked");
        let queue = self.queues.get_mut(&call.queue).expect("calls name configured queues");
        queue.ready.remove(&(call.key, id));
        if queue.config.strategy == Strategy::RoundRobin {
            let first = &self.agents[&chosen[0]];
            if let Some(m) = first.memberships.iter().find(|m| m.queue == call.queue) {
                queue.rr_cursor = m.seq;
            }
        }
        let queue_id = call.queue;
        if call.callback.is_some() {
            let agent = chosen[0];
            let until = now.plus(callback_timeout);
            call.state = CallState::Reserved { agent, until };
            self.arm(until, Timer::Reservation(id));
            self.agents.get_mut(&agent).expect("chosen from index").queue = Some(queue_id);
            self.emit(Output::PlaceCallback { call: id, agent });
            self.set_routing(agent, RoutingState::Reserved { call: id });
            return;
        }
        let until = now.plus(queue.config.ring_timeout);
        call.state = CallState::Ringing { agents: chosen.clone(), ring_all, until };
        self.arm(until, Timer::Ring(id));
        for agent in chosen {
            self.agents.get_mut(&agent).expect("chosen from index").queue = Some(queue_id);
            self.emit(Output::Offer { call: id, agent });
            self.set_routing(agent, RoutingState::Offered { call: id });
        }
    }
}

impl Agent {
    fn is_routable(&self) -> bool {
        self.status == AgentStatus::Available && self.routing == RoutingState::Idle && self.reachable
    }

    fn skill_level(&self, skill: SkillId) -> u8 {
        match self.skills.binary_search_by_key(&skill, |s| s.skill) {
            Ok(i) => self.skills[i].level,
            Err(_) => 0,
        }
    }
}

impl Call {
    fn requirements(&self) -> &[SkillRequirement] {
        self.steps.get(self.step).map_or(&[], |s| &s.requires)
    }
}

fn qualifies(call: &Call, agent: &Agent) -> bool {
    if let Some((preferred, _)) = call.preferred {
        return agent.id == preferred;
    }
    call.requirements().iter().all(|r| agent.skill_level(r.skill) >= r.min_level)
}

/// Idle agents for `call` in strategy order: the first qualifying one, or
/// with `all_in_group` every qualifying one in the first group that has one.
fn select_agents(queue: &Queue, agents: &HashMap<AgentId, Agent>, call: &Call, all_in_group: bool) -> Vec<AgentId> {
    let mut selection = Selection { group: None, chosen: Vec::new(), all_in_group };
    if queue.config.strategy != Strategy::RoundRobin {
        for key in &queue.idle {
            if selection.visit(key, agents, call) {
                break;
            }
        }
        return selection.chosen;
    }
    // Round robin: within each group, agents after the cursor, then from the start.
    let cursor = queue.rr_cursor;
    let mut group = queue.idle.first().map(|k| k.0);
    while let Some(g) = group {
        let after = queue.idle.range((g, cursor.saturating_add(1), AgentId(0))..=(g, u64::MAX, AgentId(u32::MAX)));
        let before = queue.idle.range((g, 0, AgentId(0))..=(g, cursor, AgentId(u32::MAX)));
        for key in after.chain(before) {
            if selection.visit(key, agents, call) {
                return selection.chosen;
            }
        }
        if !selection.chosen.is_empty() {
            return selection.chosen;
        }
        group = g.checked_add(1).and_then(|next| queue.idle.range((next, 0, AgentId(0))..).next().map(|k| k.0));
    }
    selection.chosen
}

struct Selection {
    group: Option<u8>,
    chosen: Vec<AgentId>,
    all_in_group: bool,
}

impl Selection {
    /// Considers one idle agent; returns true when the selection is complete.
    fn visit(&mut self, key: &IdleKey, agents: &HashMap<AgentId, Agent>, call: &Call) -> bool {
        if self.group.is_some_and(|g| g != key.0) {
            return true;
        }
        let Some(agent) = agents.get(&key.2) else { return false };
        if !qualifies(call, agent) {
            return false;
        }
        self.group = Some(key.0);
        self.chosen.push(key.2);
        !self.all_in_group
    }
}

/// The best offerable call for an idle agent: lowest membership priority
/// group first, then the queue ordering key.
fn best_call_for(agent: &Agent, queues: &BTreeMap<QueueId, Queue>, calls: &HashMap<CallId, Call>) -> Option<CallId> {
    let mut best: Option<(u8, i64, CallId)> = None;
    for m in &agent.memberships {
        if best.is_some_and(|(group, _, _)| m.priority > group) {
            break;
        }
        let Some(queue) = queues.get(&m.queue) else { continue };
        for &(key, id) in &queue.ready {
            if best.is_some_and(|(_, best_key, _)| key >= best_key) {
                break;
            }
            let Some(call) = calls.get(&id) else { continue };
            if qualifies(call, agent) {
                best = Some((m.priority, key, id));
                break;
            }
        }
    }
    best.map(|(_, _, id)| id)
}

fn ordering_key(arrived: Millis, priority: u8, step: Millis) -> i64 {
    let arrived = i64::try_from(arrived.0).unwrap_or(i64::MAX);
    let boost = i64::from(priority).saturating_mul(i64::try_from(step.0).unwrap_or(i64::MAX));
    arrived.saturating_sub(boost)
}

fn count_member(queue: &mut Queue, status: &AgentStatus, delta: i32) {
    let apply = |n: &mut u32| *n = n.saturating_add_signed(delta);
    if *status != AgentStatus::LoggedOut {
        apply(&mut queue.staffed);
    }
    if *status == AgentStatus::Available {
        apply(&mut queue.available);
    }
}

fn checked_skills(mut skills: Vec<Skill>) -> Result<Vec<Skill>, Error> {
    if let Some(bad) = skills.iter().find(|s| !(1..=5).contains(&s.level)) {
        return Err(Error::InvalidSkillLevel(bad.level));
    }
    skills.sort_by_key(|s| s.skill);
    skills.dedup_by_key(|s| s.skill);
    Ok(skills)
}

fn check_steps(steps: &[RoutingStep]) -> Result<(), Error> {
    let bad = steps.iter().flat_map(|s| &s.requires).find(|r| !(1..=5).contains(&r.min_level));
    match bad {
        Some(r) => Err(Error::InvalidSkillLevel(r.min_level)),
        None => Ok(()),
    }
}

fn validate(config: &Config) -> Result<(), ConfigError> {
    let mut ids = BTreeSet::new();
    for queue in &config.queues {
        if !ids.insert(queue.id) {
            return Err(ConfigError::DuplicateQueue(queue.id));
        }
        if queue.ring_timeout == Millis::ZERO {
            return Err(ConfigError::ZeroRingTimeout(queue.id));
        }
    }
    if config.callback.max_attempts == 0 {
        return Err(ConfigError::ZeroCallbackAttempts);
    }
    let targets = |queue: &QueueConfig| -> Vec<QueueId> {
        let mut all = Vec::new();
        let mut add = |target: &OverflowTarget| {
            if let OverflowTarget::Queue(next) = target {
                all.push(*next);
            }
        };
        if let Some(limit) = &queue.max_wait {
            add(&limit.target);
        }
        if let Some(limit) = &queue.max_waiting {
            add(&limit.target);
        }
        if let NoAgents::Overflow(target) = &queue.no_agents {
            add(target);
        }
        all
    };
    let by_id: BTreeMap<QueueId, &QueueConfig> = config.queues.iter().map(|q| (q.id, q)).collect();
    for queue in &config.queues {
        for target in targets(queue) {
            if !by_id.contains_key(&target) {
                return Err(ConfigError::UnknownOverflowQueue { queue: queue.id, target });
            }
        }
    }
    // Depth-first search for a cycle of queue overflows.
    let mut done = BTreeSet::new();
    for start in config.queues.iter().map(|q| q.id) {
        let mut path = Vec::new();
        let mut stack = vec![(start, 0usize)];
        while let Some((id, depth)) = stack.pop() {
            path.truncate(depth);
            if path.contains(&id) {
                return Err(ConfigError::OverflowCycle(id));
            }
            if done.contains(&id) {
                continue;
            }
            path.push(id);
            for next in targets(by_id[&id]) {
                stack.push((next, depth + 1));
            }
        }
        done.insert(start);
    }
    Ok(())
}

impl fmt::Display for AgentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AgentStatus::LoggedOut => f.write_str("logged-out"),
            AgentStatus::Available => f.write_str("available"),
            AgentStatus::Paused { reason: PauseReason::Missed } => f.write_str("paused(missed)"),
            AgentStatus::Paused { reason: PauseReason::Code(code) } => write!(f, "paused({code})"),
        }
    }
}

impl fmt::Display for RoutingState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RoutingState::Idle => f.write_str("idle"),
            RoutingState::Offered { call } => write!(f, "offered({call})"),
            RoutingState::Reserved { call } => write!(f, "reserved({call})"),
            RoutingState::Talking { call } => write!(f, "talking({call})"),
            RoutingState::WrapUp { until } => write!(f, "wrap-up(until {until})"),
            RoutingState::Missed { until } => write!(f, "missed(until {until})"),
            RoutingState::OtherCall => f.write_str("other-call"),
        }
    }
}

impl fmt::Display for OverflowTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OverflowTarget::Queue(queue) => write!(f, "{queue}"),
            OverflowTarget::Voicemail => f.write_str("voicemail"),
            OverflowTarget::CallbackOffer => f.write_str("callback-offer"),
            OverflowTarget::Hangup { message } => write!(f, "hangup(message {message})"),
        }
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Output::Offer { call, agent } => write!(f, "offer {call} -> {agent}"),
            Output::CancelOffer { call, agent } => write!(f, "cancel-offer {call} -> {agent}"),
            Output::Announce { call, position, estimated_wait } => {
                write!(f, "announce {call} position {position} wait {estimated_wait}")
            }
            Output::Overflow { call, target } => write!(f, "overflow {call} -> {target}"),
            Output::PlaceCallback { call, agent } => write!(f, "place-callback {call} -> {agent}"),
            Output::CallbackDue { call, queue } => write!(f, "callback-due {call} in {queue}"),
            Output::CallbackFailed { call, attempts } => {
                write!(f, "callback-failed {call} after {attempts} attempts")
            }
            Output::AgentStateChanged { agent, status, routing, reachable } => {
                let device = if *reachable { "" } else { " unreachable" };
                write!(f, "{agent}: {status} {routing}{device}")
            }
            Output::Repaired(Repair::CallVanished { call }) => write!(f, "repaired: {call} vanished"),
            Output::Repaired(Repair::UnknownCall { call }) => write!(f, "repaired: {call} unknown"),
            Output::Repaired(Repair::AgentFreed { agent, was }) => {
                write!(f, "repaired: {agent} was stuck {was}")
            }
            Output::Repaired(Repair::Device { agent, reachable }) => {
                write!(f, "repaired: {agent} reachable={reachable}")
            }
            Output::Timeout(at) => write!(f, "timeout {at}"),
        }
    }
}

#[cfg(test)]
mod tests;
