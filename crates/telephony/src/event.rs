//! What the switch tells the rest of the program: a closed [`Event`] enum (call detail records,
//! queue and agent state, voicemail and callback requests, IVR paths) and the [`Snapshot`] of
//! live state answered through the handle.
//!
//! Caller numbers appear in events because the server stores them with the CDR or the case;
//! they must never be logged.

use std::fmt;
use std::path::PathBuf;

/// A call's number within this switch (`c17` in logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CallId(pub u64);

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "c{}", self.0)
    }
}

/// Which leg of a call an event is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegKind {
    /// The citizen's leg, from the trunk.
    Caller,
    /// A leg to an agent's phone.
    Agent {
        /// The agent's SIP user name.
        agent: String,
    },
}

/// How a call or leg ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The caller talked to an agent (caller leg), or the agent answered (agent leg).
    Answered,
    /// The caller hung up while waiting in a queue.
    Abandoned,
    /// The caller hung up in the IVR, or the IVR ended the call (goodbye, message saved).
    Ivr,
    /// The caller left a voicemail message.
    Voicemail,
    /// The caller asked to be called back.
    Callback,
    /// The call was refused before it was answered (no acceptable codec, forbidden, cancelled).
    Rejected,
    /// The agent's phone was not answered or declined (agent legs).
    NoAnswer,
    /// The agent passed the caller on to a queue or a colleague (agent legs).
    Transferred,
    /// The agent's phone could not be reached (agent legs).
    Unreachable,
    /// Something failed (a broken flow, a media error, a shutdown).
    Failed,
}

impl Outcome {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Answered => "answered",
            Outcome::Abandoned => "abandoned",
            Outcome::Ivr => "ivr",
            Outcome::Voicemail => "voicemail",
            Outcome::Callback => "callback",
            Outcome::Rejected => "rejected",
            Outcome::NoAnswer => "no_answer",
            Outcome::Transferred => "transferred",
            Outcome::Unreachable => "unreachable",
            Outcome::Failed => "failed",
        }
    }
}

/// A call detail record: one per call (the caller leg) and one per agent leg.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cdr {
    /// The call.
    pub call: CallId,
    /// Which leg.
    pub leg: LegKind,
    /// The caller's number as sent by the trunk (personal data; never log it).
    pub caller: Option<String>,
    /// When the leg started, Unix milliseconds.
    pub started_at: i64,
    /// When it was answered (by the IVR for the caller leg, by the agent for agent legs).
    pub answered_at: Option<i64>,
    /// When it ended.
    pub ended_at: i64,
    /// The last queue the call waited in.
    pub queue: Option<String>,
    /// Time spent waiting in queues, in milliseconds.
    pub wait_ms: u64,
    /// Time talking to an agent, in milliseconds.
    pub talk_ms: u64,
    /// The agent who answered.
    pub agent: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
}

/// An agent's visible state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Not logged in (phone not registered).
    LoggedOut,
    /// Free for a call.
    Available,
    /// The phone is ringing.
    Ringing,
    /// On a call.
    OnCall,
    /// After-call work.
    WrapUp,
    /// Resting after a missed call.
    Missed,
    /// Set away by the switch after too many missed calls in a row.
    Away,
    /// Not taking calls, for a reason given by the agent or a supervisor.
    Paused(PauseCode),
}

/// Why the switch refused to transfer a call; the call stays as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferRefused {
    /// No agent of that name.
    UnknownAgent,
    /// The agent is on no answered call.
    NotTalking,
    /// The target is no queue, agent or allowed number.
    UnknownTarget,
    /// The target is a number outside the outbound allow-list: nothing is dialled.
    NotAllowed,
    /// The target agent cannot take a call now.
    TargetBusy,
}

/// Why an agent is not taking calls (the ACD's reason codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseCode {
    /// A break.
    Break,
    /// Training.
    Training,
    /// Administrative work (case follow-up, e-mail).
    AdminWork,
}

impl PauseCode {
    /// Every code, for validation messages.
    pub const ALL: [PauseCode; 3] = [PauseCode::Break, PauseCode::Training, PauseCode::AdminWork];

    /// The wallboard and API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PauseCode::Break => "break",
            PauseCode::Training => "training",
            PauseCode::AdminWork => "admin_work",
        }
    }

    /// The code of a spelling from [`PauseCode::as_str`].
    pub fn parse(text: &str) -> Option<PauseCode> {
        PauseCode::ALL.into_iter().find(|code| code.as_str() == text)
    }

    /// The ACD's reason code.
    pub(crate) fn acd_code(self) -> u16 {
        match self {
            PauseCode::Break => 1,
            PauseCode::Training => 2,
            PauseCode::AdminWork => 3,
        }
    }

    pub(crate) fn from_acd_code(code: u16) -> PauseCode {
        match code {
            2 => PauseCode::Training,
            3 => PauseCode::AdminWork,
            _ => PauseCode::Break,
        }
    }
}

impl Presence {
    /// The wallboard spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Presence::LoggedOut => "logged_out",
            Presence::Available => "available",
            Presence::Ringing => "ringing",
            Presence::OnCall => "on_call",
            Presence::WrapUp => "wrap_up",
            Presence::Missed => "missed",
            Presence::Away => "away",
            Presence::Paused(code) => code.as_str(),
        }
    }
}

/// One queue's live figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueState {
    /// The queue.
    pub queue: String,
    /// Callers holding a place.
    pub waiting: usize,
    /// Idle agents who could take a call.
    pub idle_agents: usize,
    /// Agents logged in.
    pub staffed: u32,
}

/// One agent's live state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentState {
    /// SIP user name.
    pub agent: String,
    /// What the agent is doing.
    pub presence: Presence,
    /// Whether the phone is registered.
    pub registered: bool,
}

/// Everything the switch reports. Closed: the server's glue matches it exhaustively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A leg started (an INVITE arrived, or an agent is being called).
    CallStarted {
        /// The call.
        call: CallId,
        /// Which leg.
        leg: LegKind,
        /// Unix milliseconds.
        at: i64,
    },
    /// A leg was answered.
    CallAnswered {
        /// The call.
        call: CallId,
        /// Which leg.
        leg: LegKind,
        /// Unix milliseconds.
        at: i64,
    },
    /// A leg ended; the record of it.
    CallEnded(Cdr),
    /// A queue's figures changed.
    QueueState(QueueState),
    /// An agent's state changed.
    AgentState(AgentState),
    /// A voicemail message was written to `path`.
    VoicemailRecorded {
        /// The call.
        call: CallId,
        /// The WAV file.
        path: PathBuf,
        /// The caller's number (personal data).
        caller: Option<String>,
        /// The language the caller used.
        lang: ivr::Lang,
        /// The menu choices on the way.
        choices: Vec<ivr::Choice>,
    },
    /// The caller asked to be called back.
    CallbackRequested {
        /// The call.
        call: CallId,
        /// The number to call (personal data).
        caller: Option<String>,
        /// The language the caller used.
        lang: ivr::Lang,
        /// The menu choices on the way.
        choices: Vec<ivr::Choice>,
        /// From a queue, keeping the caller's place: the switch places the call itself and
        /// reports [`Event::CallbackFinished`]. Otherwise (after hours) staff call back.
        in_queue: bool,
    },
    /// A callback the switch placed ended: the citizen was reached, or it was given up.
    CallbackFinished {
        /// The call of the original request (or of the scheduled callback).
        call: CallId,
        /// The case a scheduled callback was booked for ([`ScheduledCallback::case`]).
        case: Option<i64>,
        /// Whether the citizen answered and was put through to an agent.
        connected: bool,
        /// Calls placed to the citizen.
        attempts: u32,
    },
    /// The path the call took through the IVR, once the call is over (analytics).
    IvrPath {
        /// The call.
        call: CallId,
        /// Everything that happened in the IVR.
        steps: Vec<ivr::Step>,
    },
    /// New entries of the ACD's append-only event log (inputs, decisions, facts), in order, for
    /// the server to persist. ACD times count milliseconds from the switch's start; ACD call
    /// ids equal the switch's, queue and agent ids are indexes into the configured lists. No
    /// personal data.
    AcdLog {
        /// Unix milliseconds of ACD time zero (the switch's start).
        epoch_unix_ms: i64,
        /// The entries.
        events: Vec<acd::event::Event>,
    },
}

/// A live call, as seen by a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallView {
    /// The call.
    pub call: CallId,
    /// `ivr`, `queued`, `ringing`, `talking`, `recording`, `callback` (a callback holding its
    /// place, no leg) or `calling_back` (its agent, then the citizen, being rung).
    pub phase: &'static str,
    /// The queue, once queued.
    pub queue: Option<String>,
    /// The agent, once answered.
    pub agent: Option<String>,
    /// Milliseconds since the call started.
    pub age_ms: u64,
}

/// The switch's live state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Calls in progress.
    pub calls: Vec<CallView>,
    /// Every configured agent.
    pub agents: Vec<AgentState>,
    /// Every queue.
    pub queues: Vec<QueueState>,
    /// Runtime flags that are on.
    pub flags: Vec<String>,
}

/// A callback booked for later (an after-hours request), placed by the switch when it is due
/// the way a queue callback is: agent first, then the citizen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledCallback {
    /// The case it was booked for; echoed in [`Event::CallbackFinished`].
    pub case: i64,
    /// The number to call (personal data); must match the outbound allow-list.
    pub number: String,
    /// The queue whose agents call back.
    pub queue: String,
    /// When it joins the queue, in Unix milliseconds; a time in the past means now.
    pub at_unix_ms: i64,
    /// The language the citizen used (skill routing).
    pub lang: ivr::Lang,
}
