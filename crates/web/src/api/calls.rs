//! `GET /calls`: call detail records from the phone switch, for supervisors. Caller numbers
//! are personal data; only supervisors and administrators see them.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use calendar::{Date, Timestamp};
use serde::{Deserialize, Serialize};

use super::{Page, trimmed};
use crate::auth::Auth;
use crate::{AppState, Error};

const OUTCOMES: [&str; 10] = [
    "answered",
    "abandoned",
    "ivr",
    "voicemail",
    "callback",
    "rejected",
    "no_answer",
    "transferred",
    "unreachable",
    "failed",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CallsQuery {
    /// Started on or after this date (YYYY-MM-DD, Sofia time).
    from: Option<String>,
    /// Started on or before this date.
    to: Option<String>,
    queue: Option<String>,
    agent: Option<String>,
    outcome: Option<String>,
    /// `caller` or `agent`.
    leg: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

#[derive(Serialize)]
pub(crate) struct CallDto {
    id: i64,
    call: String,
    leg: String,
    agent: Option<String>,
    caller: Option<String>,
    queue: Option<String>,
    started_at: i64,
    answered_at: Option<i64>,
    ended_at: i64,
    wait_ms: i64,
    talk_ms: i64,
    outcome: String,
}

fn sofia_midnight(field: &'static str, text: &str, days_after: i64) -> Result<i64, Error> {
    let date: Date = text.trim().parse().map_err(|_| Error::invalid(field, "use YYYY-MM-DD"))?;
    let date = date.add_days(days_after).ok_or_else(|| Error::invalid(field, "out of range"))?;
    let midnight = calendar::Time::new(0, 0).map_err(|_| Error::Internal("midnight".into()))?;
    Ok(Timestamp::from_sofia(date, midnight).earliest().unix_millis())
}

pub(crate) async fn list(
    State(state): State<AppState>,
    Auth(staff): Auth,
    query: Result<Query<CallsQuery>, QueryRejection>,
) -> Result<Json<Page<CallDto>>, Error> {
    if !staff.may_supervise() {
        return Err(Error::Forbidden);
    }
    let Query(query) = query?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(Error::invalid("limit", "must be between 1 and 500"));
    }
    let outcome = trimmed(query.outcome);
    if let Some(outcome) = &outcome
        && !OUTCOMES.contains(&outcome.as_str())
    {
        return Err(Error::invalid("outcome", format!("use one of {}", OUTCOMES.join(", "))));
    }
    let leg = trimmed(query.leg);
    if let Some(leg) = &leg
        && leg != "caller"
        && leg != "agent"
    {
        return Err(Error::invalid("leg", "use caller or agent"));
    }
    let before_id = match trimmed(query.cursor) {
        None => None,
        Some(cursor) => Some(cursor.parse::<i64>().map_err(|_| Error::invalid("cursor", "not a cursor from this list"))?),
    };
    let filter = store::calls::CallFilter {
        from: trimmed(query.from).map(|d| sofia_midnight("from", &d, 0)).transpose()?,
        to: trimmed(query.to).map(|d| sofia_midnight("to", &d, 1)).transpose()?,
        queue: trimmed(query.queue),
        agent: trimmed(query.agent),
        outcome,
        leg,
        before_id,
        limit: limit + 1,
    };
    let mut records = state.store.call_records(&filter).await?;
    let more = records.len() as i64 > limit;
    records.truncate(limit as usize);
    let next_cursor = if more { records.last().map(|record| record.id.to_string()) } else { None };
    let items = records
        .into_iter()
        .map(|record| CallDto {
            id: record.id,
            call: record.call_ref,
            leg: record.leg,
            agent: record.agent,
            caller: record.caller,
            queue: record.queue,
            started_at: record.started_at,
            answered_at: record.answered_at,
            ended_at: record.ended_at,
            wait_ms: record.wait_ms,
            talk_ms: record.talk_ms,
            outcome: record.outcome,
        })
        .collect();
    Ok(Json(Page { items, next_cursor }))
}

#[cfg(test)]
mod tests;
