//! A tiny text format for event scripts, shared by the test modules.
//!
//! Configuration lines come first, one directive per line:
//!
//! ```text
//! queue q1 strategy=ring-all ring=15 wrap=10 missed-delay=5 max-wait=300:voicemail
//!     max-waiting=5:hangup announce=30 no-agents=q2 aht=120
//! max-missed 2
//! priority-step 60
//! callback attempts=3 delay=60 timeout=30
//! ```
//!
//! Then events, each starting with a time in seconds (`12` or `12.5`):
//!
//! ```text
//! 0 login a1 q1:1 q2:2 skills=es:3,tax:2
//! 5 arrive c1 q1 prio=2 steps=es:2+tax:1/30,es:1 preferred=a2/20
//! 7 answer c1 a1
//! 60 tick
//! ```
//!
//! Before each event the clock is advanced to its time, firing every due
//! timer on the way. The trace echoes each event and lists the outputs it
//! caused, indented; wake-ups appear as `<time> timeout`.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::config::{CallbackConfig, Config, MaxWaiting, NoAgents, Overflow, OverflowTarget, QueueConfig, Strategy};
use crate::engine::{
    CallbackOutcome, Engine, Input, Output, PauseReason, PreferredAgent, QueueMembership, RoutingStep, Skill,
    SkillRequirement, TransferTarget,
};
use crate::ids::{AgentId, CallId, Millis, QueueId, SkillId};

pub(crate) struct ScriptRun {
    pub(crate) trace: String,
    pub(crate) engine: Engine,
    pub(crate) config: Config,
}

pub(crate) fn run_script(script: &str) -> ScriptRun {
    let mut skills = Skills::default();
    let mut config = Config {
        queues: Vec::new(),
        max_missed: 0,
        priority_step: Millis::from_secs(60),
        callback: CallbackConfig {
            max_attempts: 3,
            retry_delay: Millis::from_secs(60),
            result_timeout: Millis::from_secs(30),
        },
    };
    let mut events = Vec::new();
    for line in script.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words[0] {
            "queue" => config.queues.push(parse_queue(&words)),
            "max-missed" => config.max_missed = words[1].parse().expect("max-missed count"),
            "priority-step" => config.priority_step = secs(words[1]),
            "callback" => {
                for (key, value) in options(&words[1..]) {
                    match key {
                        "attempts" => config.callback.max_attempts = value.parse().expect("attempts"),
                        "delay" => config.callback.retry_delay = secs(value),
                        "timeout" => config.callback.result_timeout = secs(value),
                        _ => panic!("unknown callback option {key}"),
                    }
                }
            }
            _ => events.push(line),
        }
    }
    let mut engine = Engine::new(config.clone()).expect("valid script config");
    let mut trace = String::new();
    for line in events {
        let words: Vec<&str> = line.split_whitespace().collect();
        let now = secs(words[0]);
        while engine.next_timeout() <= now {
            let at = engine.next_timeout();
            engine.handle_timeout(at);
            let mut lines = String::new();
            drain(&mut engine, &mut lines);
            if !lines.is_empty() {
                let _ = writeln!(trace, "{at} timeout");
                trace.push_str(&lines);
            }
        }
        let _ = writeln!(trace, "{}", words.join(" "));
        match words[1] {
            "tick" => {}
            "snapshot" => {
                for l in engine.snapshot().lines() {
                    let _ = writeln!(trace, "  | {l}");
                }
            }
            _ => {
                let input = parse_input(&words[1..], &mut skills);
                if let Err(err) = engine.handle(now, input) {
                    let _ = writeln!(trace, "  error: {err}");
                }
            }
        }
        let mut lines = String::new();
        drain(&mut engine, &mut lines);
        trace.push_str(&lines);
        for problem in engine.check_invariants() {
            let _ = writeln!(trace, "  INVARIANT BROKEN: {problem}");
        }
    }
    ScriptRun { trace, engine, config }
}

fn drain(engine: &mut Engine, out: &mut String) {
    while let Some(output) = engine.poll_output() {
        if let Output::Timeout(_) = output {
            continue;
        }
        let _ = writeln!(out, "  {output}");
    }
}

#[derive(Default)]
struct Skills {
    ids: HashMap<String, SkillId>,
}

impl Skills {
    fn id(&mut self, name: &str) -> SkillId {
        let next = SkillId(self.ids.len() as u32 + 1);
        *self.ids.entry(name.to_owned()).or_insert(next)
    }
}

/// Seconds with an optional fraction: `12`, `12.5`.
pub(crate) fn secs(text: &str) -> Millis {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let whole: u64 = whole.parse().unwrap_or_else(|_| panic!("bad time {text}"));
    let mut millis = 0;
    for (i, digit) in frac.chars().take(3).enumerate() {
        millis += u64::from(digit.to_digit(10).expect("digit")) * 10u64.pow(2 - i as u32);
    }
    Millis(whole * 1000 + millis)
}

fn options<'a>(words: &[&'a str]) -> Vec<(&'a str, &'a str)> {
    words.iter().filter_map(|w| w.split_once('=')).collect()
}

fn id_num(text: &str) -> u64 {
    text[1..].parse().unwrap_or_else(|_| panic!("bad id {text}"))
}

fn call(text: &str) -> CallId {
    assert!(text.starts_with('c'), "expected a call, got {text}");
    CallId(id_num(text))
}

fn agent(text: &str) -> AgentId {
    assert!(text.starts_with('a'), "expected an agent, got {text}");
    AgentId(id_num(text) as u32)
}

fn queue(text: &str) -> QueueId {
    assert!(text.starts_with('q'), "expected a queue, got {text}");
    QueueId(id_num(text) as u32)
}

fn target(text: &str) -> OverflowTarget {
    match text {
        "voicemail" => OverflowTarget::Voicemail,
        "callback" => OverflowTarget::CallbackOffer,
        "hangup" => OverflowTarget::Hangup { message: 1 },
        q => OverflowTarget::Queue(queue(q)),
    }
}

fn parse_queue(words: &[&str]) -> QueueConfig {
    let mut config = QueueConfig {
        id: queue(words[1]),
        strategy: Strategy::LongestIdle,
        ring_timeout: Millis::from_secs(15),
        wrap_up: Millis::ZERO,
        missed_delay: Millis::from_secs(10),
        max_wait: None,
        max_waiting: None,
        announce_interval: None,
        no_agents: NoAgents::Wait,
        expected_handle_time: Millis::from_secs(60),
    };
    for (key, value) in options(&words[2..]) {
        match key {
            "strategy" => {
                config.strategy = match value {
                    "longest-idle" => Strategy::LongestIdle,
                    "round-robin" => Strategy::RoundRobin,
                    "fewest-calls" => Strategy::FewestCalls,
                    "least-talk" => Strategy::LeastTalkTime,
                    "ring-all" => Strategy::RingAll,
                    _ => panic!("unknown strategy {value}"),
                }
            }
            "ring" => config.ring_timeout = secs(value),
            "wrap" => config.wrap_up = secs(value),
            "missed-delay" => config.missed_delay = secs(value),
            "max-wait" => {
                let (after, to) = value.split_once(':').expect("max-wait=SECS:TARGET");
                config.max_wait = Some(Overflow { after: secs(after), target: target(to) });
            }
            "max-waiting" => {
                let (callers, to) = value.split_once(':').expect("max-waiting=N:TARGET");
                config.max_waiting = Some(MaxWaiting { callers: callers.parse().expect("count"), target: target(to) });
            }
            "announce" => config.announce_interval = Some(secs(value)),
            "no-agents" => {
                config.no_agents = if value == "wait" { NoAgents::Wait } else { NoAgents::Overflow(target(value)) }
            }
            "aht" => config.expected_handle_time = secs(value),
            _ => panic!("unknown queue option {key}"),
        }
    }
    config
}

fn parse_skills(text: &str, skills: &mut Skills) -> Vec<Skill> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| {
            let (name, level) = s.split_once(':').expect("skill:level");
            Skill { skill: skills.id(name), level: level.parse().expect("level") }
        })
        .collect()
}

/// `es:2+tax:1/30,es:1`: steps separated by commas, requirements by `+`,
/// an optional `/SECS` expiry; `any` is a step without requirements.
fn parse_steps(text: &str, skills: &mut Skills) -> Vec<RoutingStep> {
    text.split(',')
        .map(|step| {
            let (reqs, expiry) = match step.split_once('/') {
                Some((reqs, expiry)) => (reqs, Some(secs(expiry))),
                None => (step, None),
            };
            let requires = reqs
                .split('+')
                .filter(|r| *r != "any")
                .map(|r| {
                    let (name, level) = r.split_once(':').expect("skill:level");
                    SkillRequirement { skill: skills.id(name), min_level: level.parse().expect("level") }
                })
                .collect();
            RoutingStep { requires, expires_after: expiry }
        })
        .collect()
}

fn parse_preferred(text: &str) -> PreferredAgent {
    let (who, wait) = text.split_once('/').expect("preferred=aN/SECS");
    PreferredAgent { agent: agent(who), wait: secs(wait) }
}

fn parse_input(words: &[&str], skills: &mut Skills) -> Input {
    let opts = options(words);
    let opt = |key: &str| opts.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
    match words[0] {
        "login" => Input::AgentLogin {
            agent: agent(words[1]),
            queues: words[2..]
                .iter()
                .filter(|w| w.starts_with('q'))
                .map(|w| {
                    let (q, priority) = w.split_once(':').unwrap_or((w, "1"));
                    QueueMembership { queue: queue(q), priority: priority.parse().expect("priority") }
                })
                .collect(),
            skills: opt("skills").map(|s| parse_skills(s, skills)).unwrap_or_default(),
        },
        "logout" => Input::AgentLogout { agent: agent(words[1]) },
        "pause" => Input::AgentPause {
            agent: agent(words[1]),
            reason: PauseReason::Code(words.get(2).map_or(0, |c| c.parse().expect("code"))),
        },
        "unpause" => Input::AgentUnpause { agent: agent(words[1]) },
        "skills" => Input::AgentSkills { agent: agent(words[1]), skills: parse_skills(words[2], skills) },
        "busy" => Input::AgentBusy { agent: agent(words[1]) },
        "free" => Input::AgentFree { agent: agent(words[1]) },
        "wrapped" => Input::WrapUpDone { agent: agent(words[1]) },
        "register" => Input::DeviceRegistered { agent: agent(words[1]) },
        "unregister" => Input::DeviceUnregistered { agent: agent(words[1]) },
        "arrive" => Input::CallArrived {
            call: call(words[1]),
            queue: queue(words[2]),
            priority: opt("prio").map_or(0, |p| p.parse().expect("prio")),
            steps: opt("steps").map(|s| parse_steps(s, skills)).unwrap_or_default(),
            preferred: opt("preferred").map(parse_preferred),
        },
        "update-steps" => {
            Input::UpdateSteps { call: call(words[1]), steps: parse_steps(opt("steps").expect("steps="), skills) }
        }
        "answer" => Input::OfferAnswered { call: call(words[1]), agent: agent(words[2]) },
        "reject" => Input::OfferRejected { call: call(words[1]), agent: agent(words[2]) },
        "fail" => Input::OfferFailed { call: call(words[1]), agent: agent(words[2]) },
        "end" => Input::CallEnded { call: call(words[1]) },
        "transfer" => Input::Transfer {
            call: call(words[1]),
            to: match words[2] {
                "external" => TransferTarget::External,
                w if w.starts_with('q') => TransferTarget::Queue(queue(w)),
                w => TransferTarget::Agent(agent(w)),
            },
        },
        "callback" => Input::CallbackRequested { call: call(words[1]) },
        "schedule" => Input::ScheduleCallback {
            call: call(words[1]),
            queue: queue(words[2]),
            at: secs(opt("at").expect("at=")),
            priority: opt("prio").map_or(0, |p| p.parse().expect("prio")),
            steps: opt("steps").map(|s| parse_steps(s, skills)).unwrap_or_default(),
            preferred: opt("preferred").map(parse_preferred),
        },
        "callback-ok" => Input::CallbackResult { call: call(words[1]), outcome: CallbackOutcome::Connected },
        "callback-unreachable" => {
            Input::CallbackResult { call: call(words[1]), outcome: CallbackOutcome::Unreachable }
        }
        "reconcile" => {
            let list = |key: &str| -> Vec<&str> { opt(key).map_or(Vec::new(), |v| v.split(',').filter(|s| !s.is_empty()).collect()) };
            Input::Reconcile {
                live_calls: list("calls").into_iter().map(call).collect(),
                registered_agents: list("agents").into_iter().map(agent).collect(),
            }
        }
        other => panic!("unknown command {other}"),
    }
}
