//! The store's integration tests: one contract suite, run against every backend.

mod acd_log;
mod callbacks;
mod contract;
mod open311;
mod outbox;
