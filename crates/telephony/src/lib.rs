//! The phone switch: a thin tokio shell that owns the SIP sockets (UDP and TCP), the RTP
//! sockets and the timers, and drives the pure cores (sip-proto, media, ivr, acd, calendar).
//!
//! # Architecture
//!
//! - [`switch`]: the B2BUA call model, sans-IO, tested on virtual time. All protocol and call
//!   logic lives there or in the cores.
//! - `shell`: one tokio task that `select!`s over a closed `enum Event` (SIP datagrams and
//!   stream frames, media events, commands, the switch's timer, shutdown) and carries out the
//!   switch's outputs.
//! - `media`: dedicated media threads, each with its own current-thread runtime, owning the
//!   RTP sockets of the calls assigned to it: prompt pacing, DTMF detection, recording and the
//!   relay with latching and stream rewriting. Packets never go through the control plane.
//!
//! # API boundary
//!
//! [`start`] takes already-bound SIP sockets and a shutdown token and returns a [`Handle`]
//! (commands: flags, agent pause, snapshot, shutdown) and a receiver of [`Event`]s. This crate
//! never depends on the store or the web layer; the server glues them.
//!
//! # Agents
//!
//! Agent phones are SIP users from [`Config::agents`]. A phone that registers with its digest
//! credentials logs the agent in to its queues (available); unregistering, or letting the
//! registration lapse, logs it out. Pausing goes through [`Handle::set_agent_paused`].

pub mod config;
pub mod event;
pub mod switch;

pub use config::{AgentConfig, Cidr, Config, PortRange, QueueConfig, QueueOverflow};
pub use event::{
    AgentState, CallId, CallView, Cdr, Event, LegKind, Outcome, PauseCode, Presence, QueueState,
    ScheduledCallback, Snapshot, TransferRefused,
};

mod media;
mod prompts;
mod shell;

pub use media::{MediaDelay, MediaStats};
pub use prompts::announcement_texts;
pub use shell::{Handle, Running, StartError, bind_sip, start};
