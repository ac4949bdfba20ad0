//! civicline's automatic call distributor (ACD): pure routing policy.
//!
//! The crate has no I/O, no async, no clock and no dependencies. It is
//! driven in the handle/poll shape shared by every civicline core (see
//! [`engine`] for the driver loop):
//!
//! - [`engine`]: queues, agents, calls, skills, callbacks, reconciliation.
//! - [`event`]: the append-only event log and replay.
//! - [`codec`]: a compact, stable text encoding of log entries, for persisting them.
//! - [`stats`]: queue KPIs per 15-minute interval, computed from the log.
//! - [`erlang`]: Erlang B/C staffing formulas.
//! - [`sim`]: a seeded discrete-event simulator that runs the real engine.
//!
//! Architecture invariant: routing state lives only here, in one owner, and
//! is derived from call events; the shell persists the event log and never
//! writes agent or call state on its own.

pub mod codec;
pub mod config;
pub mod engine;
pub mod erlang;
pub mod error;
pub mod event;
pub mod ids;
pub mod rng;
pub mod sim;
pub mod stats;

#[cfg(test)]
mod testing;
