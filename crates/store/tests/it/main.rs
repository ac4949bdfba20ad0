//! The store's integration tests: one contract suite, run against every backend.

mod acd_log;
mod contract;
mod open311;
mod outbox;
