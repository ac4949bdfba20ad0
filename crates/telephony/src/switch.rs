//! The B2BUA call model as a pure, sans-IO state machine: it owns the SIP transaction layer,
//! the registrar and digest authenticator, one IVR session per call and the ACD engine, and
//! matches what sip-proto leaves to a transaction user (responses to legs, CANCEL and BYE
//! pairing, offers to agents, bridging).
//!
//! # Driving it
//!
//! Feed input through `handle_*(now, …)` (SIP bytes, media events, leg sockets opened, commands)
//! and [`Switch::handle_timeout`]; after every call drain [`Switch::poll_output`] until `None`,
//! then sleep until [`Switch::poll_timeout`]. Time is milliseconds on the shell's monotonic
//! clock; `epoch_unix_ms` in [`Params`] maps it to wall time for opening hours and CDRs.
//!
//! The switch never touches sockets or files: it asks the shell to open a media leg
//! ([`MediaCommand::Open`], answered by [`Switch::handle_leg_opened`]), to send SIP
//! ([`Output::Transmit`]) and to write recordings ([`Output::SaveRecording`]).

mod call;
mod callback;
mod sip;
mod transfer;

#[cfg(test)]
mod tests;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sip_proto::auth::{Algorithm, Authenticator};
use sip_proto::dialog::{Dialog, DialogId};
use sip_proto::message::{Message, Request};
use sip_proto::registrar::{Registrar, RegistrarConfig};
use sip_proto::rng::Rng;
use sip_proto::sdp::{LocalMedia, Negotiated};
use sip_proto::time::Time;
use sip_proto::transaction::{Peer, TimerConfig, TransactionKey, TransactionLayer};
use sip_proto::uri::Uri;

use crate::config::{Config, QueueOverflow};
use crate::event::{
    AgentState, CallId, CallView, Event, Outcome, PauseCode, Presence, QueueState,
    ScheduledCallback, Snapshot,
};

/// A media leg: one RTP socket and what plays, records or relays on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LegId(pub u64);

/// Something to play on a leg.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlayItem {
    /// A prompt by path, such as `bg/main_menu`.
    Prompt(String),
    /// A short two-note chime (position announcements without number prompts).
    Chime,
    /// A short beep ("after the tone").
    Beep,
    /// Music on hold, looping until replaced.
    HoldMusic,
}

/// What the switch asks of the media plane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaCommand {
    /// Bind an RTP socket for `leg` (on the media thread of `call`) and answer with
    /// [`Switch::handle_leg_opened`].
    Open {
        /// The leg.
        leg: LegId,
        /// The call it belongs to; all legs of a call share a media thread.
        call: CallId,
    },
    /// The leg's negotiated stream.
    Configure {
        /// The leg.
        leg: LegId,
        /// Where to send RTP until latching learns better.
        remote: SocketAddr,
        /// The G.711 variant.
        codec: media::g711::Codec,
        /// Its payload type.
        payload_type: u8,
        /// The telephone-event payload type, if negotiated.
        telephone_event: Option<u8>,
    },
    /// Replace whatever plays on the leg with `items`; report [`MediaEvent::PlayDone`] with
    /// `token` when everything before the first looping item has played.
    Play {
        /// The leg.
        leg: LegId,
        /// Echoed in `PlayDone`.
        token: u64,
        /// What to play, in order.
        items: Vec<PlayItem>,
    },
    /// Stop playing on the leg (no `PlayDone`).
    Stop {
        /// The leg.
        leg: LegId,
    },
    /// Relay RTP both ways between two legs, rewriting the stream toward each.
    Bridge {
        /// One leg.
        a: LegId,
        /// The other.
        b: LegId,
    },
    /// Beep, then record what arrives on the leg (at most `max_ms`).
    Record {
        /// The leg.
        leg: LegId,
        /// The longest recording.
        max_ms: u64,
    },
    /// Stop recording and answer with [`MediaEvent::Recorded`].
    StopRecording {
        /// The leg.
        leg: LegId,
    },
    /// Close the socket and forget the leg.
    Close {
        /// The leg.
        leg: LegId,
    },
}

/// What the media plane reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaEvent {
    /// A `Play` finished.
    PlayDone {
        /// The leg.
        leg: LegId,
        /// The `Play` token.
        token: u64,
    },
    /// A key press arrived (RFC 4733).
    Digit {
        /// The leg.
        leg: LegId,
        /// `0`-`9`, `*`, `#`, `A`-`D`.
        digit: char,
    },
    /// A recording stopped; the WAV bytes.
    Recorded {
        /// The leg.
        leg: LegId,
        /// A 16-bit 8 kHz mono WAV file.
        wav: Vec<u8>,
    },
}

/// What the shell must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send a SIP message.
    Transmit {
        /// Where.
        peer: Peer,
        /// What.
        message: Message,
    },
    /// A media-plane command.
    Media(MediaCommand),
    /// An event for the rest of the program.
    Event(Event),
    /// Write a recording, then publish `event`.
    SaveRecording {
        /// The file to write.
        path: PathBuf,
        /// The WAV bytes.
        wav: Vec<u8>,
        /// The event to publish once written.
        event: Event,
    },
}

/// Values the shell knows at start-up.
#[derive(Debug, Clone)]
pub struct Params {
    /// The port SIP listens on (UDP and TCP), for Via and Contact.
    pub sip_port: u16,
    /// Unix milliseconds at monotonic time zero.
    pub epoch_unix_ms: i64,
    /// Prompt paths that exist (`bg/position_3`), to choose position prompts or a chime.
    pub known_prompts: BTreeSet<String>,
}

/// A switch-level problem at construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupError(pub String);

impl std::fmt::Display for SetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SetupError {}

/// How often the ACD is reconciled against the switch's own call and registration tables.
const RECONCILE_EVERY: u64 = 15_000;
/// How long the switch remembers which agent last answered a caller (returning callers).
const REMEMBER_AGENT_MS: u64 = 7 * 24 * 60 * 60 * 1000;
/// The most callers remembered; the oldest are forgotten first.
const REMEMBER_AGENT_MAX: usize = 100_000;
/// How long a cancelled agent leg may wait for its final response before it is forgotten.
const CANCEL_GUARD: u64 = 32_000;
/// Extra time after a voicemail's limit before recording is stopped (the beep).
const RECORD_GRACE: u64 = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for the caller's media leg.
    Setup,
    /// Walking the IVR.
    Ivr,
    /// In an ACD queue (possibly ringing agents).
    Queued,
    /// Bridged to an agent.
    Talking,
    /// Recording a message.
    Recording,
    /// The caller asked to be called back and hears the confirmation; still in the queue.
    CallbackConfirm,
    /// The caller hung up; the call holds its place in the queue with no leg.
    CallbackHeld,
    /// An agent is reserved: their phone rings, then the citizen's.
    CallbackDialing,
}

/// A callback that keeps the caller's place (issue 4): the agent is called first, then the
/// citizen through the outbound gateway.
#[derive(Debug)]
struct CallbackRt {
    /// The number to call; it matched the outbound allow-list when the request was taken.
    number: String,
    /// The codec agreed with the caller, offered again to the agent and the citizen.
    codec: sip_proto::sdp::Codec,
    /// The reserved agent and their leg.
    agent: Option<(usize, LegId)>,
    /// The leg ringing the citizen, once the agent answered.
    citizen_leg: Option<LegId>,
    /// When the phone now ringing (agent's, then citizen's) has rung long enough.
    dial_until: Option<u64>,
    /// Attempts that did not reach the citizen.
    attempts: u32,
}

#[derive(Debug)]
struct Call {
    id: CallId,
    span: tracing::Span,
    caller_leg: LegId,
    caller: Option<String>,
    session: ivr::Session,
    ivr_timer: Option<u64>,
    phase: Phase,
    queue: Option<usize>,
    queued_at: Option<u64>,
    wait_ms: u64,
    /// Talk with agents before a transfer; the current conversation runs from `bridged_at`.
    talked_ms: u64,
    in_acd: bool,
    offers: BTreeMap<usize, LegId>,
    agent: Option<(usize, LegId)>,
    started_at: u64,
    answered_at: Option<u64>,
    bridged_at: Option<u64>,
    record_until: Option<u64>,
    outcome: Option<Outcome>,
    next_token: u64,
    ivr_playback: Option<(ivr::PlaybackId, u64)>,
    /// The callback confirmation's playback token.
    confirm_token: Option<u64>,
    callback: Option<CallbackRt>,
    /// A transfer to an outside number, dialling or connected (`transfer.rs`).
    outside: Option<transfer::Outside>,
    /// Skill requirements chosen when the call entered its queue.
    steps: Vec<acd::engine::RoutingStep>,
    /// The case a scheduled callback was booked for.
    case: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LegRole {
    Caller,
    Agent(usize),
    /// A callback's call out to the citizen.
    Citizen,
    /// A transfer's call out to an outside number.
    Outside,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LegState {
    /// Waiting for the media socket.
    Opening,
    /// INVITE sent, nothing back yet (agent legs).
    Calling,
    /// A provisional response arrived (agent legs).
    Ringing,
    /// Answered and confirmed.
    Up,
    /// CANCEL sent; waiting for the final response.
    Cancelling,
    /// BYE sent or received; nothing more to do.
    Ended,
}

#[derive(Debug)]
struct Leg {
    call: CallId,
    role: LegRole,
    peer: Peer,
    state: LegState,
    /// The caller's INVITE (caller legs) or the INVITE we sent (agent legs).
    invite: Option<Request>,
    invite_key: Option<TransactionKey>,
    local_tag: String,
    dialog: Option<Dialog>,
    offer: Option<sip_proto::sdp::Session>,
    local_media: Option<LocalMedia>,
    local_sdp: Vec<u8>,
    negotiated: Option<Negotiated>,
    media_open: bool,
    started_at: u64,
    answered_at: Option<u64>,
    /// When to forget a cancelled leg whose final response never came.
    guard: Option<u64>,
    /// The leg's CDR was emitted.
    cdr_done: bool,
    /// The queue the call waited in when the leg was created (agent legs).
    queue: Option<usize>,
}

/// What a deadline in [`Switch::deadlines`] belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Due {
    Call(CallId),
    Leg(LegId),
}

#[derive(Debug)]
struct QueueOptions {
    callback_key: Option<char>,
    preferred_agent_wait: Option<u64>,
    ring_timeout: u64,
    steps: Vec<(Option<ivr::Lang>, acd::engine::RoutingStep)>,
}

impl Call {
    /// A call in the IVR's setup phase; callers set what differs.
    fn new(
        id: CallId,
        span: tracing::Span,
        caller_leg: LegId,
        caller: Option<String>,
        session: ivr::Session,
        now: u64,
    ) -> Call {
        Call {
            id,
            span,
            caller_leg,
            caller,
            session,
            ivr_timer: None,
            phase: Phase::Setup,
            queue: None,
            queued_at: None,
            wait_ms: 0,
            talked_ms: 0,
            in_acd: false,
            offers: BTreeMap::new(),
            agent: None,
            started_at: now,
            answered_at: None,
            bridged_at: None,
            record_until: None,
            outcome: None,
            next_token: 1,
            ivr_playback: None,
            confirm_token: None,
            callback: None,
            outside: None,
            steps: Vec::new(),
            case: None,
        }
    }
}

impl AgentRt {
    /// The ACD input that logs this agent (number `index`) in to their queues, or moves them.
    fn login(&self, index: usize) -> acd::engine::Input {
        acd::engine::Input::AgentLogin {
            agent: acd::ids::AgentId(index as u32),
            queues: self
                .queues
                .iter()
                .map(|queue| acd::engine::QueueMembership { queue: acd::ids::QueueId(*queue as u32), priority: 0 })
                .collect(),
            skills: self.skills.clone(),
        }
    }
}

impl Leg {
    /// A leg whose media socket is still to be opened.
    fn new(call: CallId, role: LegRole, peer: Peer, queue: Option<usize>, now: u64) -> Leg {
        Leg {
            call,
            role,
            peer,
            state: LegState::Opening,
            invite: None,
            invite_key: None,
            local_tag: String::new(),
            dialog: None,
            offer: None,
            local_media: None,
            local_sdp: Vec::new(),
            negotiated: None,
            media_open: false,
            started_at: now,
            answered_at: None,
            guard: None,
            cdr_done: false,
            queue,
        }
    }
}

#[derive(Debug)]
struct AgentRt {
    username: String,
    password: String,
    aor: Uri,
    queues: Vec<usize>,
    skills: Vec<acd::engine::Skill>,
    registered: bool,
    presence: Presence,
}

#[derive(Debug)]
struct PendingRecording {
    call: CallId,
    path: PathBuf,
    caller: Option<String>,
    lang: ivr::Lang,
    choices: Vec<ivr::Choice>,
}

/// The switch. See the module docs for the driving contract.
#[derive(Debug)]
pub struct Switch {
    number: String,
    trunk_allow: Vec<crate::config::Cidr>,
    media_host: String,
    media_ip: std::net::IpAddr,
    sip_port: u16,
    realm: String,
    recordings_dir: PathBuf,
    hours: calendar::OpeningHours,
    calendar: calendar::Calendar,
    known_prompts: BTreeSet<String>,
    epoch_unix_ms: i64,
    tl: TransactionLayer,
    tl_deadline: u64,
    rng: Rng,
    auth: Authenticator,
    registrar: Registrar,
    reg_peers: HashMap<String, Peer>,
    acd: acd::engine::Engine,
    acd_deadline: u64,
    acd_inputs: VecDeque<acd::engine::Input>,
    flow: Arc<ivr::Flow>,
    flags: BTreeSet<String>,
    queues: Vec<String>,
    /// Per queue: the callback key, and skill steps with the language they apply to.
    queue_options: Vec<QueueOptions>,
    outbound: Option<crate::config::Outbound>,
    /// The agent who last answered each caller number, and when the call ended (memory only;
    /// numbers are personal data and never logged).
    last_agents: HashMap<String, (usize, u64)>,
    queue_states: Vec<Option<QueueState>>,
    agents: Vec<AgentRt>,
    calls: BTreeMap<CallId, Call>,
    legs: BTreeMap<LegId, Leg>,
    dialogs: HashMap<DialogId, LegId>,
    server_invites: HashMap<TransactionKey, LegId>,
    client_invites: HashMap<TransactionKey, LegId>,
    recordings: HashMap<LegId, PendingRecording>,
    outputs: VecDeque<Output>,
    /// Every call and leg deadline armed (IVR timers, recording limits, callback rings, CANCEL
    /// guards), earliest first, so that no event scans every call. An entry is stale once its
    /// call or leg is gone or the deadline was cleared; stale entries are skipped when due.
    deadlines: BinaryHeap<Reverse<(u64, Due)>>,
    next_id: u64,
    now: u64,
    reconcile_at: u64,
    shutting_down: bool,
}

fn millis(duration: Duration) -> acd::ids::Millis {
    acd::ids::Millis(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
}

impl Switch {
    /// A switch with no calls and no registrations.
    pub fn new(config: &Config, params: Params) -> Result<Switch, SetupError> {
        let queues: Vec<String> = config
            .queues
            .iter()
            .map(|queue| queue.name.clone())
            .collect();
        let queue_index = |name: &str| queues.iter().position(|queue| queue == name);
        let mut acd_queues = Vec::new();
        for (index, queue) in config.queues.iter().enumerate() {
            let overflow = match (&queue.overflow, queue.max_wait) {
                (_, None) => None,
                (QueueOverflow::Ivr, Some(after)) => Some(acd::config::Overflow {
                    after: millis(after),
                    target: acd::config::OverflowTarget::Voicemail,
                }),
                (QueueOverflow::Callback, Some(after)) => {
                    if queue.callback_key.is_none() {
                        return Err(SetupError(format!(
                            "queue {} overflows to a callback offer but has no callback key",
                            queue.name
                        )));
                    }
                    Some(acd::config::Overflow {
                        after: millis(after),
                        target: acd::config::OverflowTarget::CallbackOffer,
                    })
                }
                (QueueOverflow::Queue(name), Some(after)) => {
                    let target = queue_index(name).ok_or_else(|| {
                        SetupError(format!(
                            "queue {} overflows to unknown queue {name}",
                            queue.name
                        ))
                    })?;
                    Some(acd::config::Overflow {
                        after: millis(after),
                        target: acd::config::OverflowTarget::Queue(acd::ids::QueueId(
                            target as u32,
                        )),
                    })
                }
            };
            acd_queues.push(acd::config::QueueConfig {
                id: acd::ids::QueueId(index as u32),
                strategy: queue.strategy,
                ring_timeout: millis(queue.ring_timeout),
                wrap_up: millis(queue.wrap_up),
                missed_delay: acd::ids::Millis::from_secs(5),
                max_wait: overflow,
                // The switch sends `Voicemail` overflows back to the IVR's `on_overflow` node.
                max_waiting: queue.max_waiting.map(|callers| acd::config::MaxWaiting {
                    callers,
                    target: acd::config::OverflowTarget::Voicemail,
                }),
                announce_interval: queue.announce_interval.map(millis),
                no_agents: if queue.leave_when_empty {
                    acd::config::NoAgents::Overflow(acd::config::OverflowTarget::Voicemail)
                } else {
                    acd::config::NoAgents::Wait
                },
                expected_handle_time: acd::ids::Millis::from_secs(180),
            });
        }
        // Skill names become small ids in the order they are first seen.
        let mut skills: BTreeMap<String, acd::ids::SkillId> = BTreeMap::new();
        let mut skill_id = |name: &str| {
            let next = acd::ids::SkillId(skills.len() as u32);
            *skills.entry(name.to_owned()).or_insert(next)
        };
        let mut queue_options = Vec::new();
        for queue in &config.queues {
            let mut steps = Vec::new();
            for step in &queue.steps {
                let mut requires = Vec::new();
                for (name, level) in &step.requires {
                    requires.push(acd::engine::SkillRequirement {
                        skill: skill_id(name),
                        min_level: *level,
                    });
                }
                let routing = acd::engine::RoutingStep {
                    requires,
                    expires_after: step.expires_after.map(millis),
                };
                steps.push((step.lang, routing));
            }
            if queue.callback_key.is_some() && config.outbound.is_none() {
                return Err(SetupError(format!(
                    "queue {} offers callbacks but no outbound gateway is configured",
                    queue.name
                )));
            }
            queue_options.push(QueueOptions {
                callback_key: queue.callback_key,
                preferred_agent_wait: queue.preferred_agent_wait.map(|wait| millis(wait).0),
                ring_timeout: millis(queue.ring_timeout).0,
                steps,
            });
        }
        // The engine's reservation outlives the agent's ring and the citizen's ring.
        let longest_ring = config.queues.iter().map(|queue| queue.ring_timeout).max();
        let (max_attempts, retry_delay, citizen_ring) = match &config.outbound {
            Some(outbound) => (outbound.max_attempts, outbound.retry_delay, outbound.ring_timeout),
            None => (1, Duration::from_secs(300), Duration::ZERO),
        };
        let result_timeout = longest_ring.unwrap_or_default() + citizen_ring + Duration::from_secs(15);
        let acd = acd::engine::Engine::new(acd::config::Config {
            queues: acd_queues,
            max_missed: 3,
            priority_step: acd::ids::Millis::from_secs(60),
            callback: acd::config::CallbackConfig {
                max_attempts,
                retry_delay: millis(retry_delay),
                result_timeout: millis(result_timeout),
            },
        })
        .map_err(|err| SetupError(format!("acd: {err}")))?;
        for name in config.flow.references().queues {
            if queue_index(&name).is_none() {
                return Err(SetupError(format!(
                    "the ivr flow uses queue {name}, which is not configured"
                )));
            }
        }
        let mut agents = Vec::new();
        for agent in &config.agents {
            let mut agent_queues = Vec::new();
            for name in &agent.queues {
                let index = queue_index(name).ok_or_else(|| {
                    SetupError(format!(
                        "agent {} serves unknown queue {name}",
                        agent.username
                    ))
                })?;
                agent_queues.push(index);
            }
            let agent_skills = agent
                .skills
                .iter()
                .map(|(name, level)| acd::engine::Skill {
                    skill: skill_id(name),
                    level: *level,
                })
                .collect();
            agents.push(AgentRt {
                username: agent.username.clone(),
                password: agent.password.clone(),
                aor: Uri::sip(Some(&agent.username), &config.realm),
                queues: agent_queues,
                skills: agent_skills,
                registered: false,
                presence: Presence::LoggedOut,
            });
        }
        let media_host = match config.media_address {
            std::net::IpAddr::V4(v4) => v4.to_string(),
            std::net::IpAddr::V6(v6) => format!("[{v6}]"),
        };
        Ok(Switch {
            number: config.number.clone(),
            trunk_allow: config.trunk_allow.clone(),
            media_host,
            media_ip: config.media_address,
            sip_port: params.sip_port,
            realm: config.realm.clone(),
            recordings_dir: config.recordings_dir.clone(),
            hours: config.hours.clone(),
            calendar: config.calendar.clone(),
            known_prompts: params.known_prompts,
            epoch_unix_ms: params.epoch_unix_ms,
            tl: TransactionLayer::new(TimerConfig::rfc3261()),
            tl_deadline: u64::MAX,
            rng: Rng::new(config.rng_seed),
            auth: Authenticator::new(
                &config.realm,
                &config.nonce_secret,
                Duration::from_secs(300),
                &[Algorithm::Md5],
            ),
            registrar: Registrar::new(RegistrarConfig {
                min_expires: 30,
                max_expires: 3600,
                default_expires: 3600,
                max_bindings_per_aor: 4,
            }),
            reg_peers: HashMap::new(),
            acd,
            acd_deadline: u64::MAX,
            acd_inputs: VecDeque::new(),
            flow: Arc::new(config.flow.clone()),
            flags: BTreeSet::new(),
            queue_states: vec![None; queues.len()],
            queues,
            queue_options,
            outbound: config.outbound.clone(),
            last_agents: HashMap::new(),
            agents,
            calls: BTreeMap::new(),
            legs: BTreeMap::new(),
            dialogs: HashMap::new(),
            server_invites: HashMap::new(),
            client_invites: HashMap::new(),
            recordings: HashMap::new(),
            outputs: VecDeque::new(),
            deadlines: BinaryHeap::new(),
            next_id: 1,
            now: 0,
            reconcile_at: RECONCILE_EVERY,
            shutting_down: false,
        })
    }

    /// The next thing for the shell to do.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When [`Switch::handle_timeout`] is next needed (`u64::MAX`: never).
    pub fn poll_timeout(&self) -> u64 {
        let armed = self.deadlines.peek().map(|Reverse((at, _))| *at);
        let registrar = self.registrar.next_expiry().map(|at| at.as_millis());
        [armed, registrar]
            .into_iter()
            .flatten()
            .chain([self.tl_deadline, self.acd_deadline, self.reconcile_at])
            .min()
            .unwrap_or(u64::MAX)
    }

    /// A datagram or stream frame arrived from `peer`.
    pub fn handle_sip(&mut self, now: u64, peer: Peer, bytes: &[u8]) {
        self.advance(now);
        match Message::parse(bytes) {
            Ok(message) => {
                self.tl
                    .handle_message(Time::from_millis(now), peer, message);
            }
            Err(error) => {
                tracing::debug!(peer = %peer.addr, %error, "unparsable sip message");
                let tag = self.rng.tag();
                if let Some(response) = sip_proto::message::error_response_for(bytes, &error, &tag)
                {
                    self.tl.send_stateless(peer, response.into());
                }
            }
        }
        self.settle();
    }

    /// The media plane opened (or failed to open) a leg's socket.
    pub fn handle_leg_opened(&mut self, now: u64, leg: LegId, port: Result<u16, String>) {
        self.advance(now);
        self.leg_opened(leg, port);
        self.settle();
    }

    /// The media plane reports something.
    pub fn handle_media(&mut self, now: u64, event: MediaEvent) {
        self.advance(now);
        self.media_event(event);
        self.settle();
    }

    /// Fires every due timer.
    pub fn handle_timeout(&mut self, now: u64) {
        self.advance(now);
        let time = Time::from_millis(now);
        if self.tl_deadline <= now {
            self.tl.handle_timeout(time);
        }
        if self.acd_deadline <= now {
            self.acd.handle_timeout(acd::ids::Millis(now));
            self.acd_deadline = u64::MAX;
            self.drain_acd();
        }
        let mut due = BTreeSet::new();
        while let Some(Reverse((at, _))) = self.deadlines.peek()
            && *at <= now
        {
            if let Some(Reverse((_, what))) = self.deadlines.pop() {
                due.insert(what);
            }
        }
        for what in due {
            match what {
                Due::Call(id) => self.call_deadlines(id, now),
                Due::Leg(id) => {
                    if self
                        .legs
                        .get(&id)
                        .and_then(|leg| leg.guard)
                        .is_some_and(|at| at <= now)
                    {
                        self.forget_leg(id);
                    }
                }
            }
        }
        // Only a lapsed registration changes who is logged in (REGISTERs refresh on arrival).
        if self.registrar.next_expiry().is_some_and(|at| at <= time) {
            for (aor, _binding) in self.registrar.expire(time) {
                tracing::info!(aor = %aor, "registration lapsed");
            }
            self.refresh_registrations();
        }
        if self.reconcile_at <= now {
            self.reconcile_at = now + RECONCILE_EVERY;
            self.reconcile();
        }
        self.settle();
    }

    /// Turns a runtime flag on or off (crisis mode); calls that check it later see the change.
    pub fn set_flag(&mut self, now: u64, name: &str, on: bool) {
        self.advance(now);
        tracing::info!(flag = name, on, "flag changed");
        if on {
            self.flags.insert(name.to_owned());
        } else {
            self.flags.remove(name);
        }
        self.settle();
    }

    /// Books a callback for later (see [`ScheduledCallback`]); `Err` says why it was refused.
    pub fn schedule_callback(
        &mut self,
        now: u64,
        request: ScheduledCallback,
    ) -> Result<CallId, String> {
        self.advance(now);
        let booked = self.book_callback(request);
        self.settle();
        booked
    }

    /// Pauses an agent for a reason, or makes them available again (`None`). Returns false for
    /// an unknown agent.
    pub fn set_agent_paused(&mut self, now: u64, username: &str, pause: Option<PauseCode>) -> bool {
        self.advance(now);
        let Some(index) = self.agent_index(username) else {
            return false;
        };
        let agent = acd::ids::AgentId(index as u32);
        let input = match pause {
            Some(code) => acd::engine::Input::AgentPause {
                agent,
                reason: acd::engine::PauseReason::Code(code.acd_code()),
            },
            None => acd::engine::Input::AgentUnpause { agent },
        };
        self.acd_inputs.push_back(input);
        self.settle();
        true
    }

    /// Moves an agent to `queues` (names) until the next restart, which reads the
    /// configuration again; a logged-in agent keeps their status. `Err` names what is unknown:
    /// the agent, or a queue.
    pub fn set_agent_queues(&mut self, now: u64, username: &str, queues: &[String]) -> Result<(), String> {
        self.advance(now);
        let index = self.agent_index(username).ok_or_else(|| username.to_owned())?;
        let mut wanted = Vec::with_capacity(queues.len());
        for name in queues {
            let queue = self.queues.iter().position(|queue| queue == name).ok_or_else(|| name.clone())?;
            if !wanted.contains(&queue) {
                wanted.push(queue);
            }
        }
        let Some(agent) = self.agents.get_mut(index) else {
            return Err(username.to_owned());
        };
        agent.queues = wanted;
        tracing::info!(agent = %agent.username, queues = agent.queues.len(), "agent moved between queues");
        if agent.registered {
            let login = agent.login(index);
            self.acd_inputs.push_back(login);
        }
        self.settle();
        Ok(())
    }

    /// Ends every call and refuses new ones; keep driving until [`Switch::is_idle`].
    pub fn shutdown(&mut self, now: u64) {
        self.advance(now);
        self.shutting_down = true;
        let ids: Vec<CallId> = self.calls.keys().copied().collect();
        for id in ids {
            self.end_call(id, Outcome::Failed);
        }
        self.settle();
    }

    /// Whether no call and no transaction is left (after [`Switch::shutdown`]).
    pub fn is_idle(&self) -> bool {
        self.calls.is_empty() && self.tl.is_empty() && self.recordings.is_empty()
    }

    /// The live state.
    pub fn snapshot(&self) -> Snapshot {
        let calls = self
            .calls
            .values()
            .map(|call| CallView {
                call: call.id,
                phase: match call.phase {
                    Phase::Setup | Phase::Ivr => "ivr",
                    Phase::Queued if !call.offers.is_empty() => "ringing",
                    Phase::Queued => "queued",
                    Phase::Talking => "talking",
                    Phase::Recording => "recording",
                    Phase::CallbackConfirm => "queued",
                    Phase::CallbackHeld => "callback",
                    Phase::CallbackDialing => "calling_back",
                },
                queue: call.queue.and_then(|queue| self.queues.get(queue).cloned()),
                agent: call
                    .agent
                    .and_then(|(agent, _)| self.agents.get(agent))
                    .map(|agent| agent.username.clone()),
                age_ms: self.now.saturating_sub(call.started_at),
            })
            .collect();
        Snapshot {
            calls,
            agents: self.agents.iter().map(agent_state).collect(),
            queues: (0..self.queues.len())
                .filter_map(|index| self.queue_state(index))
                .collect(),
            flags: self.flags.iter().cloned().collect(),
        }
    }

    /// Fires whichever of a call's deadlines are due (the entry may be stale: none is).
    fn call_deadlines(&mut self, id: CallId, now: u64) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.ivr_timer.is_some_and(|at| at <= now) {
            call.ivr_timer = None;
            call.session.handle_timeout(ivr::Millis(now));
            self.drive_session(id);
        }
        if self
            .calls
            .get(&id)
            .and_then(|call| call.record_until)
            .is_some_and(|at| at <= now)
        {
            self.stop_recording(id);
        }
        let rung_out = self
            .calls
            .get(&id)
            .and_then(|call| call.callback.as_ref())
            .and_then(|callback| callback.dial_until)
            .is_some_and(|at| at <= now);
        if rung_out {
            self.callback_ring_timeout(id);
        }
        let outside_rung_out = self
            .calls
            .get(&id)
            .and_then(|call| call.outside.as_ref())
            .and_then(|outside| outside.dial_until)
            .is_some_and(|at| at <= now);
        if outside_rung_out {
            self.outside_failed(id, 408);
        }
    }

    /// Arms a call's or a leg's deadline (the field itself is set by the caller).
    fn arm(&mut self, at: u64, what: Due) {
        self.deadlines.push(Reverse((at, what)));
    }

    fn advance(&mut self, now: u64) {
        self.now = self.now.max(now);
    }

    fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    fn unix(&self, at: u64) -> i64 {
        self.epoch_unix_ms
            .saturating_add(i64::try_from(at).unwrap_or(i64::MAX))
    }

    fn emit(&mut self, event: Event) {
        self.outputs.push_back(Output::Event(event));
    }

    fn media(&mut self, command: MediaCommand) {
        self.outputs.push_back(Output::Media(command));
    }

    fn agent_index(&self, username: &str) -> Option<usize> {
        self.agents
            .iter()
            .position(|agent| agent.username == username)
    }

    /// Runs every pending ACD input and the transaction layer until both are quiet, then
    /// reports changed queue figures.
    fn settle(&mut self) {
        loop {
            self.drain_tl();
            let Some(input) = self.acd_inputs.pop_front() else {
                break;
            };
            if let Err(error) = self.acd.handle(acd::ids::Millis(self.now), input) {
                tracing::warn!(%error, "acd refused an input");
            }
            self.drain_acd();
        }
        // The event log leaves for persistence (the server stores it); memory stays flat.
        let events = self.acd.take_events();
        if !events.is_empty() {
            self.emit(Event::AcdLog {
                epoch_unix_ms: self.epoch_unix_ms,
                events,
            });
        }
        for index in 0..self.queues.len() {
            let state = self.queue_state(index);
            if state != self.queue_states.get(index).cloned().flatten() {
                if let Some(slot) = self.queue_states.get_mut(index) {
                    slot.clone_from(&state);
                }
                if let Some(state) = state {
                    self.emit(Event::QueueState(state));
                }
            }
        }
    }

    fn queue_state(&self, index: usize) -> Option<QueueState> {
        let view = self.acd.queue_view(acd::ids::QueueId(index as u32))?;
        Some(QueueState {
            queue: self.queues.get(index)?.clone(),
            waiting: view.waiting,
            idle_agents: view.idle_agents,
            staffed: view.staffed,
        })
    }

    fn drain_acd(&mut self) {
        while let Some(output) = self.acd.poll_output() {
            self.acd_output(output);
        }
    }

    fn acd_output(&mut self, output: acd::engine::Output) {
        use acd::engine::Output as O;
        match output {
            O::Offer { call, agent } => self.offer(CallId(call.0), agent.0 as usize),
            O::CancelOffer { call, agent } => self.cancel_offer(CallId(call.0), agent.0 as usize),
            O::Announce { call, position, .. } => self.announce(CallId(call.0), position),
            O::Overflow { call, target } => self.overflow(CallId(call.0), target),
            O::AgentStateChanged {
                agent,
                status,
                routing,
                reachable: _,
            } => {
                let Some(rt) = self.agents.get_mut(agent.0 as usize) else {
                    return;
                };
                rt.presence = presence(&status, &routing);
                let state = agent_state(rt);
                self.emit(Event::AgentState(state));
            }
            O::Repaired(repair) => tracing::warn!(?repair, "acd state repaired"),
            O::PlaceCallback { call, agent } => {
                self.place_callback(CallId(call.0), agent.0 as usize);
            }
            O::CallbackDue { call, .. } => {
                tracing::debug!(call.id = %CallId(call.0), "scheduled callback joined its queue");
            }
            O::CallbackFailed { call, attempts } => self.callback_failed(CallId(call.0), attempts),
            O::Timeout(at) => self.acd_deadline = at.0,
        }
    }

    /// Logs agents in and out as their registrations come and go.
    fn refresh_registrations(&mut self) {
        let now = Time::from_millis(self.now);
        for index in 0..self.agents.len() {
            let Some(agent) = self.agents.get(index) else {
                continue;
            };
            let registered = !self.registrar.lookup(now, &agent.aor).is_empty();
            if registered == agent.registered {
                continue;
            }
            let id = acd::ids::AgentId(index as u32);
            tracing::info!(agent = %agent.username, registered, "agent phone registration changed");
            if registered {
                self.acd_inputs.push_back(agent.login(index));
                self.acd_inputs
                    .push_back(acd::engine::Input::DeviceRegistered { agent: id });
            } else {
                self.acd_inputs
                    .push_back(acd::engine::Input::DeviceUnregistered { agent: id });
                self.acd_inputs
                    .push_back(acd::engine::Input::AgentLogout { agent: id });
            }
            if let Some(agent) = self.agents.get_mut(index) {
                agent.registered = registered;
                if !registered {
                    agent.presence = Presence::LoggedOut;
                }
            }
        }
    }

    /// Tells the ACD which calls and phones really exist, so no agent stays stuck.
    fn reconcile(&mut self) {
        let live_calls = self
            .calls
            .values()
            .filter(|call| call.in_acd)
            .map(|call| acd::ids::CallId(call.id.0))
            .collect();
        let registered_agents = self
            .agents
            .iter()
            .enumerate()
            .filter(|(_, agent)| agent.registered)
            .map(|(index, _)| acd::ids::AgentId(index as u32))
            .collect();
        self.acd_inputs.push_back(acd::engine::Input::Reconcile {
            live_calls,
            registered_agents,
        });
    }
}

fn agent_state(agent: &AgentRt) -> AgentState {
    AgentState {
        agent: agent.username.clone(),
        presence: agent.presence,
        registered: agent.registered,
    }
}

fn presence(status: &acd::engine::AgentStatus, routing: &acd::engine::RoutingState) -> Presence {
    use acd::engine::{AgentStatus, RoutingState};
    match (status, routing) {
        (_, RoutingState::Offered { .. } | RoutingState::Reserved { .. }) => Presence::Ringing,
        (_, RoutingState::Talking { .. } | RoutingState::OtherCall) => Presence::OnCall,
        (_, RoutingState::WrapUp { .. }) => Presence::WrapUp,
        (AgentStatus::LoggedOut, _) => Presence::LoggedOut,
        (AgentStatus::Paused { reason }, _) => match reason {
            acd::engine::PauseReason::Missed => Presence::Away,
            acd::engine::PauseReason::Code(code) => Presence::Paused(PauseCode::from_acd_code(*code)),
        },
        (AgentStatus::Available, RoutingState::Missed { .. }) => Presence::Missed,
        (AgentStatus::Available, RoutingState::Idle) => Presence::Available,
    }
}
