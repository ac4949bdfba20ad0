//! Sans-IO SIP core for civicline: message model, parser and printer,
//! SDP offer/answer, digest authentication, registrar bindings,
//! transactions and dialogs.
//!
//! Nothing here touches sockets, threads or clocks. Time is passed in as
//! [`time::Time`]; randomness (tags, branches, Call-IDs, nonces) comes from
//! a seeded [`rng::Rng`]. Parsing never panics: malformed input becomes a
//! [`error::ParseError`], and [`message::error_response_for`] builds the
//! 400 (or 505) for a request that is broken but still identifiable.
//!
//! Module map:
//!
//! - [`message`], [`header`], [`uri`], [`params`]: the RFC 3261 message
//!   model, datagram parsing, stream framing and printing.
//! - [`sdp`]: RFC 4566 descriptions and RFC 3264 audio offer/answer.
//! - [`auth`]: digest challenges, verification and client responses.
//! - [`registrar`]: address-of-record bindings driven by REGISTER.
//! - [`transaction`]: the RFC 3261 section 17 state machines.
//! - [`dialog`]: dialog state and in-dialog request building.
//!
//! State machines with timers ([`transaction::TransactionLayer`]) follow
//! one shape: feed input through `handle_*(now, ...)` or TU mutators, then
//! call `poll_output()` until it returns `Output::Timeout(deadline)`, and
//! call `handle_timeout(now)` when that deadline passes.

pub mod auth;
pub mod dialog;
pub mod error;
pub mod header;
pub mod message;
pub mod params;
pub mod registrar;
pub mod rng;
pub mod sdp;
pub mod time;
pub mod transaction;
pub mod uri;

mod scan;

#[cfg(test)]
mod tests;
