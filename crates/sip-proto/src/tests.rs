//! Unit tests, one submodule per area, each with a single `check`.

mod auth;
mod dialog;
mod message;
mod registrar;
mod sdp;
mod transaction;
mod uri;
