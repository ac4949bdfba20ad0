//! Commands to the phone switch: an agent's availability with a reason (`PUT
//! /agents/{agent}/state`), a transfer of the call an agent is talking on (`POST
//! /agents/{agent}/transfer`), an agent's queues (`PUT /agents/{agent}/queues`) and runtime
//! flags such as crisis mode (`PUT /flags/{name}`).
//!
//! `web` never depends on the switch: the server installs a [`PhoneControl`] over the switch's
//! handle once it runs. Without one (telephony off) these answer 503 with code `unavailable`.

use std::future::Future;
use std::pin::Pin;

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

use crate::auth::Auth;
use crate::{AppState, Error};

/// What the switch answers to a state change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateChange {
    Done,
    UnknownAgent,
    /// The state is not one the switch knows; the text lists those it does.
    UnknownState(String),
}

/// What the switch answers to a transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferAnswer {
    Done,
    UnknownAgent,
    /// The agent is on no answered call.
    NotTalking,
    /// No queue, agent or allowed number of that name.
    UnknownTarget,
    /// A number outside the outbound allow-list: nothing is dialled.
    NotAllowed,
    /// The colleague asked for cannot take a call now.
    TargetBusy,
}

/// The switch's commands as the web layer sees them; the server implements it.
pub trait PhoneControl: Send + Sync + 'static {
    /// Makes `agent` available (`"available"`) or pauses them for a reason (`"break"`, ...).
    fn set_agent_state<'a>(
        &'a self,
        agent: &'a str,
        state: &'a str,
    ) -> Pin<Box<dyn Future<Output = StateChange> + Send + 'a>>;

    /// Turns a runtime flag of the IVR (such as `crisis`) on or off.
    fn set_flag(&self, name: &str, on: bool);

    /// Transfers the call `agent` is talking on to `to`: a queue's name, a colleague's
    /// username or an outside number on the allow-list (a blind transfer; the caller is never
    /// put down).
    fn transfer<'a>(&'a self, agent: &'a str, to: &'a str) -> Pin<Box<dyn Future<Output = TransferAnswer> + Send + 'a>>;

    /// Moves `agent` to `queues` (names) until the next restart. `Err` names the unknown
    /// agent or queue.
    fn set_agent_queues<'a>(
        &'a self,
        agent: &'a str,
        queues: Vec<String>,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;
}

/// Supervisors and administrators command any agent's phone; a staff member only the agent
/// with their own username.
async fn may_command(state: &AppState, staff: &domain::Staff, agent: &str) -> Result<(), Error> {
    if staff.may_supervise() {
        return Ok(());
    }
    let own = state.store.user_by_username(agent).await?.is_some_and(|user| user.id == staff.user_id);
    if own { Ok(()) } else { Err(Error::Forbidden) }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AgentStateInput {
    state: String,
}

/// `PUT /agents/{agent}/state`: supervisors and administrators for anyone; a staff member for
/// the phone agent with their own username.
pub(crate) async fn set_agent_state(
    State(state): State<AppState>,
    Auth(staff): Auth,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<AgentStateInput>, JsonRejection>,
) -> Result<StatusCode, Error> {
    let Path(agent) = path?;
    let input = body?.0;
    may_command(&state, &staff, &agent).await?;
    let phone = state.phone().ok_or(Error::Unavailable)?;
    match phone.set_agent_state(&agent, input.state.trim()).await {
        StateChange::Done => {
            tracing::info!(user.id = staff.user_id, agent, state = input.state.trim(), "agent state set");
            Ok(StatusCode::NO_CONTENT)
        }
        StateChange::UnknownAgent => Err(Error::NotFound),
        StateChange::UnknownState(known) => Err(Error::invalid("state", format!("use {known}"))),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TransferInput {
    to: String,
}

/// `POST /agents/{agent}/transfer`: supervisors and administrators for anyone; a staff member
/// for the phone agent with their own username (a softphone without a transfer key, or the
/// staff web app).
pub(crate) async fn transfer(
    State(state): State<AppState>,
    Auth(staff): Auth,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<TransferInput>, JsonRejection>,
) -> Result<StatusCode, Error> {
    let Path(agent) = path?;
    let input = body?.0;
    let to = input.to.trim();
    if to.is_empty() || to.len() > 64 {
        return Err(Error::invalid("to", "give a queue, an agent or a number, at most 64 characters"));
    }
    may_command(&state, &staff, &agent).await?;
    let phone = state.phone().ok_or(Error::Unavailable)?;
    match phone.transfer(&agent, to).await {
        TransferAnswer::Done => {
            // Not the target: it may be a phone number.
            tracing::info!(user.id = staff.user_id, agent, "call transferred");
            Ok(StatusCode::NO_CONTENT)
        }
        TransferAnswer::UnknownAgent => Err(Error::NotFound),
        TransferAnswer::NotTalking => Err(Error::Conflict("the agent is on no answered call".into())),
        TransferAnswer::UnknownTarget => Err(Error::invalid("to", "no queue, agent or allowed number of that name")),
        TransferAnswer::NotAllowed => Err(Error::invalid("to", "this number is not on the outbound allow-list")),
        TransferAnswer::TargetBusy => Err(Error::Conflict("that agent cannot take a call now".into())),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct QueuesInput {
    queues: Vec<String>,
}

/// `PUT /agents/{agent}/queues`: supervisors move agents between queues (a crisis line that
/// needs hands), at once and until the next restart, which reads the configuration again.
pub(crate) async fn set_agent_queues(
    State(state): State<AppState>,
    Auth(staff): Auth,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<QueuesInput>, JsonRejection>,
) -> Result<StatusCode, Error> {
    if !staff.may_supervise() {
        return Err(Error::Forbidden);
    }
    let Path(agent) = path?;
    let input = body?.0;
    if input.queues.len() > 64 {
        return Err(Error::invalid("queues", "at most 64 queues"));
    }
    let phone = state.phone().ok_or(Error::Unavailable)?;
    let queues: Vec<String> = input.queues.iter().map(|queue| queue.trim().to_owned()).collect();
    match phone.set_agent_queues(&agent, queues.clone()).await {
        Ok(()) => {
            tracing::info!(user.id = staff.user_id, agent, queues = ?queues, "agent moved between queues");
            Ok(StatusCode::NO_CONTENT)
        }
        Err(unknown) if unknown == agent => Err(Error::NotFound),
        Err(unknown) => Err(Error::invalid("queues", format!("no queue named {unknown}"))),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FlagInput {
    on: bool,
}

/// `PUT /flags/{name}`: supervisors and administrators; every later call that checks the flag
/// sees the change (crisis mode without a restart).
pub(crate) async fn set_flag(
    State(state): State<AppState>,
    Auth(staff): Auth,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<FlagInput>, JsonRejection>,
) -> Result<StatusCode, Error> {
    if !staff.may_supervise() {
        return Err(Error::Forbidden);
    }
    let Path(name) = path?;
    let input = body?.0;
    let valid = (1..=32).contains(&name.len()) && name.chars().all(|c| c.is_ascii_lowercase() || c == '_');
    if !valid {
        return Err(Error::invalid("name", "use 1 to 32 lowercase letters or '_'"));
    }
    let phone = state.phone().ok_or(Error::Unavailable)?;
    phone.set_flag(&name, input.on);
    tracing::info!(user.id = staff.user_id, flag = name, on = input.on, "flag set");
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests;
