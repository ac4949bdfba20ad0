//! Whole-program tests of the `civicline` binary and its library.

mod config;
mod phone;
mod serve;
