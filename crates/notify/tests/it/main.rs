//! The notification worker's integration tests.

mod worker;
