//! The one civicline program: configuration, subcommands, and the glue that starts the store,
//! the web server and (later) the phone switch in one process.
//!
//! This is the only crate that reads files and the environment, and the only one that installs
//! a tracing subscriber.

pub mod bench;
pub mod cli;
pub mod config;
pub mod demo;
pub mod import;
pub mod phone;
pub mod serve;
pub mod simulate;
