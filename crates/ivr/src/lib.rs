//! The pure IVR: flows as plain data, their validation, and the per-call interpreter.
//!
//! A [`Flow`] is a set of named [`Node`]s (prompts, menus, language switches, working-hours and
//! runtime-flag checks, queues, voicemail, callbacks, transfers, hang-ups). [`Flow::validate`]
//! checks one for `civicline check-config`. A [`Session`] walks a flow for one call.
//!
//! # Architecture invariant
//!
//! This crate does no I/O, spawns nothing, has no async and never reads a clock: time arrives as
//! [`Millis`] arguments. It knows nothing about SIP, RTP, TOML or the calendar. Anything it needs
//! from outside (is the schedule open, is the crisis flag on, book a callback) it asks for with an
//! [`Output`] and the shell answers through a `handle_*` method, so the same flow runs the same
//! way in tests, in production and in a replay.
//!
//! # Driving a session
//!
//! 1. Create it with [`Session::new`] and call [`Session::start`].
//! 2. After `start` and after every `handle_*` call, drain [`Session::poll_output`] until it
//!    returns `None`, acting on each output in order.
//! 3. A drain ends with at most one [`Output::Timeout`]: the one deadline at which to call
//!    [`Session::handle_timeout`]. A drain without one cancels any earlier deadline. Calling
//!    `handle_timeout` early or after the deadline was cancelled is harmless.
//! 4. Report the end of each [`Output::Play`] with [`Session::handle_prompt_done`] and its
//!    [`PlaybackId`]; after [`Output::StopPlayback`] do not report that playback.
//! 5. The IVR part is over at [`Output::Hangup`], [`Output::Transfer`], [`Output::Failed`] or
//!    [`Output::Enqueue`] (from which the ACD may give the call back with
//!    [`Session::handle_queue_overflow`]). [`Session::record`] holds the path taken.

mod demo;
mod flow;
mod session;
mod validate;

pub use demo::{demo_prompt_texts, plovdiv_demo};
pub use flow::{
    Flow, Lang, LangSwitch, Menu, MenuOption, Node, PromptRef, References, is_keypad_digit,
};
pub use session::{Choice, Millis, Outcome, Output, PlaybackId, Record, RunError, Session, Step};
pub use validate::{FlowError, FlowWarning, Validation};

#[cfg(test)]
mod tests;
