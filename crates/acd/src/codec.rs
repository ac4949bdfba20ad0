//! A compact, stable text encoding of [`EventKind`], for persisting the event log.
//!
//! One event is one line of space-separated words; `encode` and `decode` are exact inverses
//! (`decode(&encode(kind)) == Ok(kind)`), tested on every variant. The time of an event is not
//! part of the text: the shell stores it in its own column. Examples:
//!
//! ```text
//! in arrive c7 q1 0 s3:2;30000/-;never a2:5000
//! out offer c7 a2
//! fact answered c7 q1 a2 4500
//! timeout
//! ```
//!
//! Identifiers keep their display prefixes (`c`, `a`, `q`, `s`); spans and times are whole
//! milliseconds; an empty list or an absent value is `-`. The encoding carries no personal
//! data: the engine knows only numeric ids.

use std::fmt;

use crate::config::OverflowTarget;
use crate::engine::{
    AgentStatus, CallbackOutcome, Input, Output, PauseReason, PreferredAgent, QueueMembership, Repair, RoutingState,
    RoutingStep, Skill, SkillRequirement, TransferTarget,
};
use crate::event::{EventKind, Fact};
use crate::ids::{AgentId, CallId, Millis, QueueId, SkillId};

/// Text that is not an encoded event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    /// The offending word, or the whole text when a word is missing.
    pub near: String,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not an acd event near {:?}", self.near)
    }
}

impl std::error::Error for DecodeError {}

/// The one-line text of an event.
pub fn encode(kind: &EventKind) -> String {
    match kind {
        EventKind::Input(input) => format!("in {}", input_text(input)),
        EventKind::Timeout => "timeout".to_owned(),
        EventKind::Output(output) => format!("out {}", output_text(output)),
        EventKind::Fact(fact) => format!("fact {}", fact_text(fact)),
    }
}

/// Parses the text written by [`encode`].
pub fn decode(text: &str) -> Result<EventKind, DecodeError> {
    let mut words = Words { all: text, iter: text.split_whitespace() };
    let kind = match words.next()? {
        "in" => EventKind::Input(parse_input(&mut words)?),
        "timeout" => EventKind::Timeout,
        "out" => EventKind::Output(parse_output(&mut words)?),
        "fact" => EventKind::Fact(parse_fact(&mut words)?),
        other => return Err(err(other)),
    };
    match words.iter.next() {
        Some(extra) => Err(err(extra)),
        None => Ok(kind),
    }
}

/// Rewrites every queue id in a fact (the shell maps ids of one run to stable names). Inputs
/// and outputs are left unchanged: they are for replay, which uses the run's own ids.
pub fn map_fact_queues(kind: &mut EventKind, mut map: impl FnMut(QueueId) -> QueueId) {
    let EventKind::Fact(fact) = kind else { return };
    match fact {
        Fact::Queued { queue, .. }
        | Fact::Answered { queue, .. }
        | Fact::Abandoned { queue, .. }
        | Fact::CallbackRequested { queue, .. }
        | Fact::CallbackConnected { queue, .. }
        | Fact::CallbackFailed { queue, .. }
        | Fact::CallbackCancelled { queue, .. }
        | Fact::Completed { queue, .. }
        | Fact::WrapUpEnded { queue, .. } => *queue = map(*queue),
        Fact::Overflowed { queue, target, .. } => {
            *queue = map(*queue);
            if let OverflowTarget::Queue(to) = target {
                *to = map(*to);
            }
        }
        Fact::AgentState { queue, .. } => *queue = queue.map(&mut map),
        Fact::Memberships { queues, .. } => queues.iter_mut().for_each(|queue| *queue = map(*queue)),
    }
}

/// The queue a fact is about, if exactly one (for an indexed column).
pub fn fact_queue(kind: &EventKind) -> Option<QueueId> {
    let EventKind::Fact(fact) = kind else { return None };
    match fact {
        Fact::Queued { queue, .. }
        | Fact::Answered { queue, .. }
        | Fact::Abandoned { queue, .. }
        | Fact::Overflowed { queue, .. }
        | Fact::CallbackRequested { queue, .. }
        | Fact::CallbackConnected { queue, .. }
        | Fact::CallbackFailed { queue, .. }
        | Fact::CallbackCancelled { queue, .. }
        | Fact::Completed { queue, .. }
        | Fact::WrapUpEnded { queue, .. } => Some(*queue),
        Fact::AgentState { queue, .. } => *queue,
        Fact::Memberships { .. } => None,
    }
}

fn input_text(input: &Input) -> String {
    match input {
        Input::AgentLogin { agent, queues, skills } => {
            let queues = list(queues.iter().map(|m| format!("{}:{}", m.queue, m.priority)));
            format!("login {agent} {queues} {}", skills_text(skills))
        }
        Input::AgentLogout { agent } => format!("logout {agent}"),
        Input::AgentPause { agent, reason } => format!("pause {agent} {}", reason_text(reason)),
        Input::AgentUnpause { agent } => format!("unpause {agent}"),
        Input::AgentSkills { agent, skills } => format!("skills {agent} {}", skills_text(skills)),
        Input::AgentBusy { agent } => format!("busy {agent}"),
        Input::AgentFree { agent } => format!("free {agent}"),
        Input::WrapUpDone { agent } => format!("wrapdone {agent}"),
        Input::DeviceRegistered { agent } => format!("registered {agent}"),
        Input::DeviceUnregistered { agent } => format!("unregistered {agent}"),
        Input::CallArrived { call, queue, priority, steps, preferred } => {
            format!("arrive {call} {queue} {priority} {} {}", steps_text(steps), preferred_text(preferred))
        }
        Input::UpdateSteps { call, steps } => format!("steps {call} {}", steps_text(steps)),
        Input::OfferAnswered { call, agent } => format!("answered {call} {agent}"),
        Input::OfferRejected { call, agent } => format!("rejected {call} {agent}"),
        Input::OfferFailed { call, agent } => format!("failed {call} {agent}"),
        Input::CallEnded { call } => format!("end {call}"),
        Input::Transfer { call, to } => {
            let to = match to {
                TransferTarget::Queue(queue) => queue.to_string(),
                TransferTarget::Agent(agent) => agent.to_string(),
                TransferTarget::External => "external".to_owned(),
            };
            format!("transfer {call} {to}")
        }
        Input::CallbackRequested { call } => format!("callback {call}"),
        Input::ScheduleCallback { call, queue, at, priority, steps, preferred } => format!(
            "schedule {call} {queue} {} {priority} {} {}",
            at.0,
            steps_text(steps),
            preferred_text(preferred)
        ),
        Input::CallbackResult { call, outcome } => {
            let outcome = match outcome {
                CallbackOutcome::Connected => "connected",
                CallbackOutcome::Unreachable => "unreachable",
            };
            format!("result {call} {outcome}")
        }
        Input::Reconcile { live_calls, registered_agents } => format!(
            "reconcile {} {}",
            list(live_calls.iter().map(ToString::to_string)),
            list(registered_agents.iter().map(ToString::to_string))
        ),
    }
}

fn output_text(output: &Output) -> String {
    match output {
        Output::Offer { call, agent } => format!("offer {call} {agent}"),
        Output::CancelOffer { call, agent } => format!("cancel {call} {agent}"),
        Output::Announce { call, position, estimated_wait } => {
            format!("announce {call} {position} {}", estimated_wait.0)
        }
        Output::Overflow { call, target } => format!("overflow {call} {}", target_text(target)),
        Output::PlaceCallback { call, agent } => format!("place {call} {agent}"),
        Output::CallbackDue { call, queue } => format!("due {call} {queue}"),
        Output::CallbackFailed { call, attempts } => format!("cbfailed {call} {attempts}"),
        Output::AgentStateChanged { agent, status, routing, reachable } => format!(
            "agent {agent} {} {} {}",
            status_text(status),
            routing_text(routing),
            u8::from(*reachable)
        ),
        Output::Repaired(Repair::CallVanished { call }) => format!("repaired vanished {call}"),
        Output::Repaired(Repair::UnknownCall { call }) => format!("repaired unknown {call}"),
        Output::Repaired(Repair::AgentFreed { agent, was }) => format!("repaired freed {agent} {}", routing_text(was)),
        Output::Repaired(Repair::Device { agent, reachable }) => {
            format!("repaired device {agent} {}", u8::from(*reachable))
        }
        Output::Timeout(at) => format!("timeout {}", at.0),
    }
}

fn fact_text(fact: &Fact) -> String {
    match fact {
        Fact::Queued { call, queue, callback } => format!("queued {call} {queue} {}", u8::from(*callback)),
        Fact::Answered { call, queue, agent, waited } => format!("answered {call} {queue} {agent} {}", waited.0),
        Fact::Abandoned { call, queue, waited } => format!("abandoned {call} {queue} {}", waited.0),
        Fact::Overflowed { call, queue, target, waited } => {
            format!("overflowed {call} {queue} {} {}", target_text(target), waited.0)
        }
        Fact::CallbackRequested { call, queue, waited } => format!("cbrequested {call} {queue} {}", waited.0),
        Fact::CallbackConnected { call, queue, agent } => format!("cbconnected {call} {queue} {agent}"),
        Fact::CallbackFailed { call, queue, attempts } => format!("cbfailed {call} {queue} {attempts}"),
        Fact::CallbackCancelled { call, queue } => format!("cbcancelled {call} {queue}"),
        Fact::Completed { call, queue, agent, talk } => format!("completed {call} {queue} {agent} {}", talk.0),
        Fact::WrapUpEnded { agent, queue, wrap } => format!("wrapended {agent} {queue} {}", wrap.0),
        Fact::AgentState { agent, status, routing, queue } => format!(
            "agent {agent} {} {} {}",
            status_text(status),
            routing_text(routing),
            queue.map_or("-".to_owned(), |q| q.to_string())
        ),
        Fact::Memberships { agent, queues } => {
            format!("members {agent} {}", list(queues.iter().map(ToString::to_string)))
        }
    }
}

fn list(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    if items.is_empty() { "-".to_owned() } else { items.join(",") }
}

fn skills_text(skills: &[Skill]) -> String {
    list(skills.iter().map(|s| format!("{}:{}", s.skill, s.level)))
}

fn steps_text(steps: &[RoutingStep]) -> String {
    let steps = steps.iter().map(|step| {
        let requires = list(step.requires.iter().map(|r| format!("{}:{}", r.skill, r.min_level)));
        let expires = step.expires_after.map_or("never".to_owned(), |after| after.0.to_string());
        format!("{requires};{expires}")
    });
    let steps: Vec<String> = steps.collect();
    if steps.is_empty() { "-".to_owned() } else { steps.join("/") }
}

fn preferred_text(preferred: &Option<PreferredAgent>) -> String {
    preferred.map_or("-".to_owned(), |p| format!("{}:{}", p.agent, p.wait.0))
}

fn reason_text(reason: &PauseReason) -> String {
    match reason {
        PauseReason::Missed => "missed".to_owned(),
        PauseReason::Code(code) => code.to_string(),
    }
}

fn status_text(status: &AgentStatus) -> String {
    match status {
        AgentStatus::LoggedOut => "loggedout".to_owned(),
        AgentStatus::Available => "available".to_owned(),
        AgentStatus::Paused { reason } => format!("paused:{}", reason_text(reason)),
    }
}

fn routing_text(routing: &RoutingState) -> String {
    match routing {
        RoutingState::Idle => "idle".to_owned(),
        RoutingState::Offered { call } => format!("offered:{call}"),
        RoutingState::Reserved { call } => format!("reserved:{call}"),
        RoutingState::Talking { call } => format!("talking:{call}"),
        RoutingState::WrapUp { until } => format!("wrapup:{}", until.0),
        RoutingState::Missed { until } => format!("missed:{}", until.0),
        RoutingState::OtherCall => "other".to_owned(),
    }
}

fn target_text(target: &OverflowTarget) -> String {
    match target {
        OverflowTarget::Queue(queue) => queue.to_string(),
        OverflowTarget::Voicemail => "voicemail".to_owned(),
        OverflowTarget::CallbackOffer => "cboffer".to_owned(),
        OverflowTarget::Hangup { message } => format!("hangup:{message}"),
    }
}

struct Words<'a> {
    all: &'a str,
    iter: std::str::SplitWhitespace<'a>,
}

impl<'a> Words<'a> {
    fn next(&mut self) -> Result<&'a str, DecodeError> {
        self.iter.next().ok_or_else(|| err(self.all))
    }

    fn call(&mut self) -> Result<CallId, DecodeError> {
        call(self.next()?)
    }

    fn agent(&mut self) -> Result<AgentId, DecodeError> {
        agent(self.next()?)
    }

    fn queue(&mut self) -> Result<QueueId, DecodeError> {
        queue(self.next()?)
    }

    fn millis(&mut self) -> Result<Millis, DecodeError> {
        number(self.next()?).map(Millis)
    }

    fn number<T: std::str::FromStr>(&mut self) -> Result<T, DecodeError> {
        number(self.next()?)
    }

    fn flag(&mut self) -> Result<bool, DecodeError> {
        match self.next()? {
            "0" => Ok(false),
            "1" => Ok(true),
            other => Err(err(other)),
        }
    }
}

fn err(near: &str) -> DecodeError {
    DecodeError { near: near.to_owned() }
}

fn number<T: std::str::FromStr>(word: &str) -> Result<T, DecodeError> {
    word.parse().map_err(|_| err(word))
}

fn prefixed<T: std::str::FromStr>(word: &str, prefix: char) -> Result<T, DecodeError> {
    word.strip_prefix(prefix).ok_or_else(|| err(word)).and_then(number)
}

fn call(word: &str) -> Result<CallId, DecodeError> {
    prefixed(word, 'c').map(CallId)
}

fn agent(word: &str) -> Result<AgentId, DecodeError> {
    prefixed(word, 'a').map(AgentId)
}

fn queue(word: &str) -> Result<QueueId, DecodeError> {
    prefixed(word, 'q').map(QueueId)
}

fn parse_list<T>(word: &str, item: impl Fn(&str) -> Result<T, DecodeError>) -> Result<Vec<T>, DecodeError> {
    if word == "-" {
        return Ok(Vec::new());
    }
    word.split(',').map(item).collect()
}

fn pair(word: &str) -> Result<(&str, &str), DecodeError> {
    word.split_once(':').ok_or_else(|| err(word))
}

fn parse_skills(word: &str) -> Result<Vec<Skill>, DecodeError> {
    parse_list(word, |item| {
        let (skill, level) = pair(item)?;
        Ok(Skill { skill: SkillId(prefixed(skill, 's')?), level: number(level)? })
    })
}

fn parse_steps(word: &str) -> Result<Vec<RoutingStep>, DecodeError> {
    if word == "-" {
        return Ok(Vec::new());
    }
    word.split('/')
        .map(|step| {
            let (requires, expires) = step.split_once(';').ok_or_else(|| err(step))?;
            let requires = parse_list(requires, |item| {
                let (skill, level) = pair(item)?;
                Ok(SkillRequirement { skill: SkillId(prefixed(skill, 's')?), min_level: number(level)? })
            })?;
            let expires_after = if expires == "never" { None } else { Some(Millis(number(expires)?)) };
            Ok(RoutingStep { requires, expires_after })
        })
        .collect()
}

fn parse_preferred(word: &str) -> Result<Option<PreferredAgent>, DecodeError> {
    if word == "-" {
        return Ok(None);
    }
    let (who, wait) = pair(word)?;
    Ok(Some(PreferredAgent { agent: agent(who)?, wait: Millis(number(wait)?) }))
}

fn parse_reason(word: &str) -> Result<PauseReason, DecodeError> {
    if word == "missed" { Ok(PauseReason::Missed) } else { number(word).map(PauseReason::Code) }
}

fn parse_status(word: &str) -> Result<AgentStatus, DecodeError> {
    match word {
        "loggedout" => Ok(AgentStatus::LoggedOut),
        "available" => Ok(AgentStatus::Available),
        _ => {
            let reason = word.strip_prefix("paused:").ok_or_else(|| err(word))?;
            Ok(AgentStatus::Paused { reason: parse_reason(reason)? })
        }
    }
}

fn parse_routing(word: &str) -> Result<RoutingState, DecodeError> {
    match word {
        "idle" => return Ok(RoutingState::Idle),
        "other" => return Ok(RoutingState::OtherCall),
        _ => {}
    }
    let (name, value) = pair(word)?;
    match name {
        "offered" => Ok(RoutingState::Offered { call: call(value)? }),
        "reserved" => Ok(RoutingState::Reserved { call: call(value)? }),
        "talking" => Ok(RoutingState::Talking { call: call(value)? }),
        "wrapup" => Ok(RoutingState::WrapUp { until: Millis(number(value)?) }),
        "missed" => Ok(RoutingState::Missed { until: Millis(number(value)?) }),
        _ => Err(err(word)),
    }
}

fn parse_target(word: &str) -> Result<OverflowTarget, DecodeError> {
    match word {
        "voicemail" => Ok(OverflowTarget::Voicemail),
        "cboffer" => Ok(OverflowTarget::CallbackOffer),
        _ => match word.strip_prefix("hangup:") {
            Some(message) => Ok(OverflowTarget::Hangup { message: number(message)? }),
            None => queue(word).map(OverflowTarget::Queue),
        },
    }
}

fn parse_input(words: &mut Words<'_>) -> Result<Input, DecodeError> {
    let name = words.next()?;
    Ok(match name {
        "login" => {
            let agent = words.agent()?;
            let queues = parse_list(words.next()?, |item| {
                let (queue_word, priority) = pair(item)?;
                Ok(QueueMembership { queue: queue(queue_word)?, priority: number(priority)? })
            })?;
            Input::AgentLogin { agent, queues, skills: parse_skills(words.next()?)? }
        }
        "logout" => Input::AgentLogout { agent: words.agent()? },
        "pause" => Input::AgentPause { agent: words.agent()?, reason: parse_reason(words.next()?)? },
        "unpause" => Input::AgentUnpause { agent: words.agent()? },
        "skills" => Input::AgentSkills { agent: words.agent()?, skills: parse_skills(words.next()?)? },
        "busy" => Input::AgentBusy { agent: words.agent()? },
        "free" => Input::AgentFree { agent: words.agent()? },
        "wrapdone" => Input::WrapUpDone { agent: words.agent()? },
        "registered" => Input::DeviceRegistered { agent: words.agent()? },
        "unregistered" => Input::DeviceUnregistered { agent: words.agent()? },
        "arrive" => Input::CallArrived {
            call: words.call()?,
            queue: words.queue()?,
            priority: words.number()?,
            steps: parse_steps(words.next()?)?,
            preferred: parse_preferred(words.next()?)?,
        },
        "steps" => Input::UpdateSteps { call: words.call()?, steps: parse_steps(words.next()?)? },
        "answered" => Input::OfferAnswered { call: words.call()?, agent: words.agent()? },
        "rejected" => Input::OfferRejected { call: words.call()?, agent: words.agent()? },
        "failed" => Input::OfferFailed { call: words.call()?, agent: words.agent()? },
        "end" => Input::CallEnded { call: words.call()? },
        "transfer" => {
            let call = words.call()?;
            let to = match words.next()? {
                "external" => TransferTarget::External,
                word if word.starts_with('q') => TransferTarget::Queue(queue(word)?),
                word => TransferTarget::Agent(agent(word)?),
            };
            Input::Transfer { call, to }
        }
        "callback" => Input::CallbackRequested { call: words.call()? },
        "schedule" => Input::ScheduleCallback {
            call: words.call()?,
            queue: words.queue()?,
            at: words.millis()?,
            priority: words.number()?,
            steps: parse_steps(words.next()?)?,
            preferred: parse_preferred(words.next()?)?,
        },
        "result" => {
            let call = words.call()?;
            let outcome = match words.next()? {
                "connected" => CallbackOutcome::Connected,
                "unreachable" => CallbackOutcome::Unreachable,
                other => return Err(err(other)),
            };
            Input::CallbackResult { call, outcome }
        }
        "reconcile" => Input::Reconcile {
            live_calls: parse_list(words.next()?, call)?,
            registered_agents: parse_list(words.next()?, agent)?,
        },
        other => return Err(err(other)),
    })
}

fn parse_output(words: &mut Words<'_>) -> Result<Output, DecodeError> {
    let name = words.next()?;
    Ok(match name {
        "offer" => Output::Offer { call: words.call()?, agent: words.agent()? },
        "cancel" => Output::CancelOffer { call: words.call()?, agent: words.agent()? },
        "announce" => Output::Announce {
            call: words.call()?,
            position: words.number()?,
            estimated_wait: words.millis()?,
        },
        "overflow" => Output::Overflow { call: words.call()?, target: parse_target(words.next()?)? },
        "place" => Output::PlaceCallback { call: words.call()?, agent: words.agent()? },
        "due" => Output::CallbackDue { call: words.call()?, queue: words.queue()? },
        "cbfailed" => Output::CallbackFailed { call: words.call()?, attempts: words.number()? },
        "agent" => Output::AgentStateChanged {
            agent: words.agent()?,
            status: parse_status(words.next()?)?,
            routing: parse_routing(words.next()?)?,
            reachable: words.flag()?,
        },
        "repaired" => Output::Repaired(match words.next()? {
            "vanished" => Repair::CallVanished { call: words.call()? },
            "unknown" => Repair::UnknownCall { call: words.call()? },
            "freed" => Repair::AgentFreed { agent: words.agent()?, was: parse_routing(words.next()?)? },
            "device" => Repair::Device { agent: words.agent()?, reachable: words.flag()? },
            other => return Err(err(other)),
        }),
        "timeout" => Output::Timeout(words.millis()?),
        other => return Err(err(other)),
    })
}

fn parse_fact(words: &mut Words<'_>) -> Result<Fact, DecodeError> {
    let name = words.next()?;
    Ok(match name {
        "queued" => Fact::Queued { call: words.call()?, queue: words.queue()?, callback: words.flag()? },
        "answered" => Fact::Answered {
            call: words.call()?,
            queue: words.queue()?,
            agent: words.agent()?,
            waited: words.millis()?,
        },
        "abandoned" => Fact::Abandoned { call: words.call()?, queue: words.queue()?, waited: words.millis()? },
        "overflowed" => Fact::Overflowed {
            call: words.call()?,
            queue: words.queue()?,
            target: parse_target(words.next()?)?,
            waited: words.millis()?,
        },
        "cbrequested" => {
            Fact::CallbackRequested { call: words.call()?, queue: words.queue()?, waited: words.millis()? }
        }
        "cbconnected" => {
            Fact::CallbackConnected { call: words.call()?, queue: words.queue()?, agent: words.agent()? }
        }
        "cbfailed" => Fact::CallbackFailed { call: words.call()?, queue: words.queue()?, attempts: words.number()? },
        "cbcancelled" => Fact::CallbackCancelled { call: words.call()?, queue: words.queue()? },
        "completed" => Fact::Completed {
            call: words.call()?,
            queue: words.queue()?,
            agent: words.agent()?,
            talk: words.millis()?,
        },
        "wrapended" => Fact::WrapUpEnded { agent: words.agent()?, queue: words.queue()?, wrap: words.millis()? },
        "agent" => Fact::AgentState {
            agent: words.agent()?,
            status: parse_status(words.next()?)?,
            routing: parse_routing(words.next()?)?,
            queue: match words.next()? {
                "-" => None,
                word => Some(queue(word)?),
            },
        },
        "members" => Fact::Memberships { agent: words.agent()?, queues: parse_list(words.next()?, queue)? },
        other => return Err(err(other)),
    })
}

#[cfg(test)]
mod tests;
