//! A seeded discrete-event simulator that drives the real engine, and a
//! stress workload for benchmarks.
//!
//! [`simulate`] is a pure function of its [`SimConfig`]: Poisson arrivals
//! with a rate per interval, exponential or lognormal handle times, agents
//! who answer at once. It exists to check the engine against Erlang C and to
//! answer staffing questions that Erlang C cannot (wrap-up, lognormal
//! handle times, changing arrival rates).
//!
//! [`Stress`] builds a large engine (thousands of agents, hundreds of
//! queues, tens of thousands of waiting calls) and advances it one input at
//! a time, so that a benchmark can time individual decisions. The crate
//! reads no clock; the caller does the timing.

use std::collections::{BTreeSet, HashSet};

use crate::config::{CallbackConfig, Config, NoAgents, QueueConfig, Strategy};
use crate::engine::{Engine, Input, Output, QueueMembership, RoutingState, RoutingStep, Skill, SkillRequirement};
use crate::ids::{AgentId, CallId, Millis, QueueId, SkillId};
use crate::rng::Rng;
use crate::stats::{IntervalStats, StatsBuilder, StatsConfig};

/// One simulation run.
#[derive(Clone, Debug, PartialEq)]
pub struct SimConfig {
    /// Seed of every random draw.
    pub seed: u64,
    /// Agents, all members of the one queue, always available.
    pub agents: u32,
    /// Agents logged in per interval, overriding `agents` when not empty; the
    /// last entry holds after the last interval. Agents beyond the count log
    /// out at the interval's start (a call in progress continues).
    pub staffing: Vec<u32>,
    /// Mean patience of a waiting caller (exponential); a caller not offered
    /// an agent within their patience hangs up. `None`: nobody abandons (the
    /// Erlang C assumption).
    pub patience: Option<Millis>,
    /// Mean arrivals per hour in each interval; the run lasts one interval per entry.
    pub arrivals_per_hour: Vec<f64>,
    /// Interval length.
    pub interval: Millis,
    /// Handle time distribution (talk only; wrap-up is added separately).
    pub handle_time: HandleTime,
    /// Distribution strategy.
    pub strategy: Strategy,
    /// Wrap-up after every call.
    pub wrap_up: Millis,
    /// Service-level threshold T.
    pub service_level_target: Millis,
}

/// A handle-time distribution.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum HandleTime {
    /// Exponential with this mean (the Erlang C assumption).
    Exponential {
        /// Mean.
        mean: Millis,
    },
    /// Lognormal with this mean and standard deviation (closer to real calls).
    LogNormal {
        /// Mean.
        mean: Millis,
        /// Standard deviation.
        std_dev: Millis,
    },
}

/// What a run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct SimReport {
    /// Calls that arrived.
    pub offered: u64,
    /// Calls answered.
    pub answered: u64,
    /// Answered within T ÷ answered.
    pub service_level: f64,
    /// Mean wait of answered calls, in seconds.
    pub average_speed_of_answer: f64,
    /// Busy ÷ (busy + available) over the run.
    pub occupancy: f64,
    /// Inputs and wake-ups handled by the engine.
    pub engine_calls: u64,
    /// Per-interval statistics.
    pub intervals: Vec<IntervalStats>,
}

const QUEUE: QueueId = QueueId(1);

/// Runs one simulation. Arrivals stop at the end of the last interval; calls
/// still waiting or talking are then played out.
pub fn simulate(config: &SimConfig) -> SimReport {
    let mut rng = Rng::new(config.seed);
    let engine_config = Config {
        queues: vec![QueueConfig {
            id: QUEUE,
            strategy: config.strategy,
            ring_timeout: Millis::from_secs(3600),
            wrap_up: config.wrap_up,
            missed_delay: Millis::ZERO,
            max_wait: None,
            max_waiting: None,
            announce_interval: None,
            no_agents: NoAgents::Wait,
            expected_handle_time: match config.handle_time {
                HandleTime::Exponential { mean } | HandleTime::LogNormal { mean, .. } => mean,
            },
        }],
        max_missed: 0,
        priority_step: Millis::from_secs(60),
        callback: CallbackConfig {
            max_attempts: 1,
            retry_delay: Millis::from_secs(60),
            result_timeout: Millis::from_secs(60),
        },
    };
    let mut engine = Engine::new(engine_config).expect("simulator config is valid");
    let mut stats = StatsBuilder::new(StatsConfig {
        interval: config.interval,
        service_level_target: config.service_level_target,
        short_abandon: Millis::ZERO,
    });
    let mut engine_calls = 0u64;
    let mut answers = Vec::new();
    let mut logged_in = 0u32;
    set_staffing(&mut engine, Millis::ZERO, &mut logged_in, staffing_at(config, 0), &mut engine_calls, &mut answers);
    let horizon = Millis(config.interval.0 * config.arrivals_per_hour.len() as u64);
    let mut next_arrival = next_arrival_after(Millis::ZERO, config, &mut rng);
    let mut ends: BTreeSet<(Millis, CallId)> = BTreeSet::new();
    let mut abandons: BTreeSet<(Millis, CallId)> = BTreeSet::new();
    let mut unanswered: HashSet<CallId> = HashSet::new();
    let mut next_interval = 1usize;
    let mut next_call = 0u64;
    loop {
        let arrival = next_arrival.filter(|at| *at < horizon).unwrap_or(Millis::NEVER);
        let end = ends.first().map_or(Millis::NEVER, |(at, _)| *at);
        let abandon = abandons.first().map_or(Millis::NEVER, |(at, _)| *at);
        let boundary = if config.staffing.len() > next_interval {
            Millis(config.interval.0 * next_interval as u64)
        } else {
            Millis::NEVER
        };
        let wake = engine.next_timeout();
        let now = arrival.min(end).min(wake).min(abandon).min(boundary);
        if now == Millis::NEVER {
            break;
        }
        if wake == now {
            engine.handle_timeout(now);
            engine_calls += 1;
        } else if boundary == now {
            let target = staffing_at(config, next_interval);
            next_interval += 1;
            set_staffing(&mut engine, now, &mut logged_in, target, &mut engine_calls, &mut answers);
        } else if end == now {
            let (_, call) = ends.pop_first().expect("end is due");
            engine.handle(now, Input::CallEnded { call }).expect("talking call ends");
            engine_calls += 1;
        } else if abandon == now {
            let (_, call) = abandons.pop_first().expect("abandon is due");
            if unanswered.remove(&call) {
                engine.handle(now, Input::CallEnded { call }).expect("waiting call hangs up");
                engine_calls += 1;
            }
        } else {
            next_call += 1;
            let call = CallId(next_call);
            let input = Input::CallArrived { call, queue: QUEUE, priority: 0, steps: Vec::new(), preferred: None };
            engine.handle(now, input).expect("valid arrival");
            engine_calls += 1;
            if let Some(mean) = config.patience {
                let patience = rng.exponential(mean.0 as f64).round().max(1.0) as u64;
                abandons.insert((now.plus(Millis(patience)), call));
                unanswered.insert(call);
            }
            next_arrival = next_arrival_after(now, config, &mut rng);
        }
        drain(&mut engine, &mut answers);
        // Agents answer at once, so wait equals time to the first offer.
        while let Some((call, agent)) = answers.pop() {
            engine.handle(now, Input::OfferAnswered { call, agent }).expect("offer is ringing");
            engine_calls += 1;
            unanswered.remove(&call);
            let talk = match config.handle_time {
                HandleTime::Exponential { mean } => rng.exponential(mean.0 as f64),
                HandleTime::LogNormal { mean, std_dev } => rng.lognormal(mean.0 as f64, std_dev.0 as f64),
            };
            ends.insert((now.plus(Millis(talk.round().max(1.0) as u64)), call));
            drain(&mut engine, &mut answers);
        }
        for event in engine.take_events() {
            stats.push(&event);
        }
    }
    let end = engine.events().last().map_or(horizon, |e| e.at).max(horizon);
    let intervals = stats.finish(end);
    let sum = |f: fn(&IntervalStats) -> u64| intervals.iter().map(f).sum::<u64>();
    let answered = sum(|s| s.answered);
    let within = sum(|s| s.answered_within);
    let wait = sum(|s| s.answered_wait.0);
    let busy = sum(|s| s.busy.0);
    let available = sum(|s| s.available.0);
    SimReport {
        offered: sum(|s| s.offered),
        answered,
        service_level: within as f64 / answered.max(1) as f64,
        average_speed_of_answer: wait as f64 / 1000.0 / answered.max(1) as f64,
        occupancy: busy as f64 / (busy + available).max(1) as f64,
        engine_calls,
        intervals,
    }
}

/// The agents logged in during interval `index`.
fn staffing_at(config: &SimConfig, index: usize) -> u32 {
    match config.staffing.get(index).or(config.staffing.last()) {
        Some(agents) => *agents,
        None => config.agents,
    }
}

/// Logs agents in or out (highest ids first) until `target` are logged in.
fn set_staffing(
    engine: &mut Engine,
    now: Millis,
    logged_in: &mut u32,
    target: u32,
    engine_calls: &mut u64,
    answers: &mut Vec<(CallId, AgentId)>,
) {
    while *logged_in < target {
        let input = Input::AgentLogin {
            agent: AgentId(*logged_in),
            queues: vec![QueueMembership { queue: QUEUE, priority: 1 }],
            skills: Vec::new(),
        };
        engine.handle(now, input).expect("valid login");
        *logged_in += 1;
        *engine_calls += 1;
        drain(engine, answers);
    }
    while *logged_in > target {
        *logged_in -= 1;
        engine.handle(now, Input::AgentLogout { agent: AgentId(*logged_in) }).expect("valid logout");
        *engine_calls += 1;
        drain(engine, answers);
    }
}

fn drain(engine: &mut Engine, answers: &mut Vec<(CallId, AgentId)>) {
    while let Some(output) = engine.poll_output() {
        match output {
            Output::Offer { call, agent } => answers.push((call, agent)),
            Output::Timeout(_) => break,
            _ => {}
        }
    }
}

/// The next Poisson arrival after `now` with a rate that changes per interval.
fn next_arrival_after(now: Millis, config: &SimConfig, rng: &mut Rng) -> Option<Millis> {
    let mut from = now.0 as f64;
    loop {
        let index = (from as u64 / config.interval.0) as usize;
        let rate = *config.arrivals_per_hour.get(index)?;
        let boundary = ((index as u64 + 1) * config.interval.0) as f64;
        if rate > 0.0 {
            let gap = rng.exponential(3_600_000.0 / rate);
            if from + gap < boundary {
                return Some(Millis((from + gap).round() as u64).max(Millis(now.0 + 1)));
            }
        }
        // Memorylessness: restart the draw at the interval boundary.
        from = boundary;
    }
}

/// A large engine advanced one input per [`Stress::step`], for benchmarks.
#[derive(Debug)]
pub struct Stress {
    engine: Engine,
    rng: Rng,
    now: Millis,
    agents: u32,
    queues: u32,
    next_call: u64,
}

impl Stress {
    /// Builds `queues` queues, `agents` agents (each in three queues with
    /// two skills, all busy on other calls) and `waiting` waiting calls,
    /// 30 percent of them with a skill step.
    pub fn new(seed: u64, agents: u32, queues: u32, waiting: u32) -> Stress {
        let strategies = [Strategy::LongestIdle, Strategy::RoundRobin, Strategy::FewestCalls, Strategy::LeastTalkTime];
        let config = Config {
            queues: (0..queues)
                .map(|q| QueueConfig {
                    id: QueueId(q),
                    strategy: strategies[q as usize % strategies.len()],
                    ring_timeout: Millis::from_secs(20),
                    wrap_up: Millis::from_secs(10),
                    missed_delay: Millis::from_secs(10),
                    max_wait: None,
                    max_waiting: None,
                    announce_interval: None,
                    no_agents: NoAgents::Wait,
                    expected_handle_time: Millis::from_secs(180),
                })
                .collect(),
            max_missed: 3,
            priority_step: Millis::from_secs(60),
            callback: CallbackConfig {
                max_attempts: 3,
                retry_delay: Millis::from_secs(60),
                result_timeout: Millis::from_secs(30),
            },
        };
        let engine = Engine::new(config).expect("stress config is valid");
        let mut stress = Stress { engine, rng: Rng::new(seed), now: Millis::ZERO, agents, queues, next_call: 0 };
        for agent in 0..agents {
            let memberships = (0..3)
                .map(|_| QueueMembership {
                    queue: QueueId(stress.below(queues)),
                    priority: stress.below(3) as u8,
                })
                .collect();
            let skills = (0..2)
                .map(|_| Skill { skill: SkillId(stress.below(10)), level: 1 + stress.below(5) as u8 })
                .collect();
            stress.input(Input::AgentLogin { agent: AgentId(agent), queues: memberships, skills });
            stress.input(Input::AgentBusy { agent: AgentId(agent) });
        }
        for _ in 0..waiting {
            stress.arrival();
        }
        stress.engine.take_events();
        stress
    }

    /// Advances the clock by a millisecond and applies one input chosen for a
    /// random agent (free it, answer its offer, end its call, end its
    /// wrap-up); an ended call is replaced by a new arrival. Returns the
    /// number of outputs produced.
    pub fn step(&mut self) -> usize {
        self.now = self.now.plus(Millis(1));
        if self.engine.next_timeout() <= self.now {
            self.engine.handle_timeout(self.now);
        }
        let agent = AgentId(self.below(self.agents));
        let (_, routing, _) = self.engine.agent_state(agent).expect("agent exists");
        let count = match routing {
            RoutingState::OtherCall | RoutingState::Missed { .. } | RoutingState::Idle => {
                self.input(Input::AgentFree { agent })
            }
            RoutingState::Offered { call } => self.input(Input::OfferAnswered { call, agent }),
            RoutingState::Reserved { call } => self.input(Input::OfferRejected { call, agent }),
            RoutingState::Talking { call } => {
                let ended = self.input(Input::CallEnded { call });
                ended + self.arrival()
            }
            RoutingState::WrapUp { .. } => self.input(Input::WrapUpDone { agent }),
        };
        // Keep the log from growing without bound during long benchmarks.
        self.engine.take_events();
        count
    }

    /// The engine, for inspection.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    fn arrival(&mut self) -> usize {
        self.next_call += 1;
        let steps = if self.below(10) < 3 {
            vec![RoutingStep {
                requires: vec![SkillRequirement { skill: SkillId(self.below(10)), min_level: 2 }],
                expires_after: Some(Millis::from_secs(30)),
            }]
        } else {
            Vec::new()
        };
        let input = Input::CallArrived {
            call: CallId(self.next_call),
            queue: QueueId(self.below(self.queues)),
            priority: self.below(3) as u8,
            steps,
            preferred: None,
        };
        self.input(input)
    }

    fn input(&mut self, input: Input) -> usize {
        // Inputs are built from the engine's own state, so none is rejected.
        let _ = self.engine.handle(self.now, input);
        let mut count = 0;
        while let Some(output) = self.engine.poll_output() {
            if let Output::Timeout(_) = output {
                break;
            }
            count += 1;
        }
        count
    }

    fn below(&mut self, n: u32) -> u32 {
        (self.rng.next_u64() % u64::from(n.max(1))) as u32
    }
}

#[cfg(test)]
mod tests;
