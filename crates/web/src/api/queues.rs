//! Queue statistics, live and historical, and Erlang C staffing:
//!
//! - `GET /queues/live`: callers waiting and the longest wait per queue, agents by state, from
//!   [`LiveState`], which the server keeps from the phone switch's events (any staff);
//!   `GET /queues/live/events` pushes the same figures to wallboards as Server-Sent Events.
//! - `GET /queues/stats`: KPIs per queue per 15-minute interval, computed by `acd::stats` from
//!   the ACD event log in the store (supervisors and administrators).
//! - `GET /staffing/erlang-c`: the Erlang C prediction and the agents needed (any staff).
//!
//! Every figure comes with its formula (telephony reference, section 6). Nothing here is
//! personal data: queues and agents are named by configuration, calls by number.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use acd::event::Event;
use acd::ids::{Millis, QueueId};
use acd::stats::{IntervalStats, StatsBuilder, StatsConfig};
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use calendar::{Date, Timestamp};
use serde::{Deserialize, Serialize};

use super::trimmed;
use crate::auth::Auth;
use crate::{AppState, Error};

/// The statistics interval: 15 minutes.
const INTERVAL_MS: u64 = 15 * 60 * 1000;
/// How far before a range's start `/queues/stats` reads, for agents' states at the start.
const LOOKBACK_MS: i64 = 24 * 60 * 60 * 1000;

/// The longest range `/queues/stats` computes at once.
const MAX_RANGE_DAYS: i64 = 31;
/// Log entries read per query.
const PAGE: i64 = 10_000;

/// Live queue and agent figures, kept by the server from the switch's events and read by the
/// wallboard endpoints and `/metrics`. Cheap to update; one short lock per event, and a bump
/// of a version number that wakes the wallboards' event streams.
#[derive(Debug)]
pub struct LiveState {
    inner: Mutex<Live>,
    /// The figures' version; `u64::MAX` once the server shuts down (streams end).
    changes: tokio::sync::watch::Sender<u64>,
}

impl Default for LiveState {
    fn default() -> LiveState {
        LiveState { inner: Mutex::default(), changes: tokio::sync::watch::channel(0).0 }
    }
}

/// The most often a wallboard stream sends figures: bursts of switch events coalesce.
const STREAM_COALESCE: Duration = Duration::from_millis(250);
/// A wallboard stream sends figures at least this often (waits grow without events).
const STREAM_REFRESH: Duration = Duration::from_secs(5);

#[derive(Debug, Default, Clone)]
struct Live {
    queues: BTreeMap<String, LiveQueue>,
    agents: BTreeMap<String, String>,
    /// Calls that left a queue, by (queue, outcome).
    calls: BTreeMap<(String, &'static str), u64>,
}

#[derive(Debug, Default, Clone)]
struct LiveQueue {
    waiting: usize,
    idle_agents: usize,
    staffed: u32,
    /// Calls holding a place, with the Unix milliseconds they took it.
    entries: HashMap<u64, i64>,
}

/// How a call left a queue, for `civicline_queue_calls_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueOutcome {
    Answered,
    Abandoned,
    Overflowed,
    Callback,
}

impl QueueOutcome {
    fn as_str(self) -> &'static str {
        match self {
            QueueOutcome::Answered => "answered",
            QueueOutcome::Abandoned => "abandoned",
            QueueOutcome::Overflowed => "overflowed",
            QueueOutcome::Callback => "callback",
        }
    }
}

impl LiveState {
    fn lock(&self) -> std::sync::MutexGuard<'_, Live> {
        // A poisoned lock only means an updater panicked mid-update; the figures stay usable.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn changed(&self) {
        // `u64::MAX` means closed and stays so.
        self.changes.send_modify(|version| {
            if *version != u64::MAX {
                *version = version.wrapping_add(1) % u64::MAX;
            }
        });
    }

    /// Ends every wallboard stream (the server is shutting down).
    pub fn close(&self) {
        self.changes.send_replace(u64::MAX);
    }

    /// A queue's figures as the switch reports them. When nobody waits, any entry still
    /// remembered is stale and dropped.
    pub fn set_queue(&self, queue: &str, waiting: usize, idle_agents: usize, staffed: u32) {
        let _changed = Changed(self);
        let mut live = self.lock();
        let state = live.queues.entry(queue.to_owned()).or_default();
        state.waiting = waiting;
        state.idle_agents = idle_agents;
        state.staffed = staffed;
        if waiting == 0 {
            state.entries.clear();
        }
    }

    /// An agent's state (`available`, `on_call`, ...).
    pub fn set_agent(&self, agent: &str, state: &str) {
        let _changed = Changed(self);
        self.lock().agents.insert(agent.to_owned(), state.to_owned());
    }

    /// A call took a place in a queue at `since` (Unix milliseconds).
    pub fn queued(&self, queue: &str, call: u64, since: i64) {
        let _changed = Changed(self);
        self.lock().queues.entry(queue.to_owned()).or_default().entries.insert(call, since);
    }

    /// A call left a queue; `outcome` is counted. A callback request keeps the place.
    pub fn left(&self, queue: &str, call: u64, outcome: Option<QueueOutcome>) {
        let _changed = Changed(self);
        let mut live = self.lock();
        if outcome != Some(QueueOutcome::Callback)
            && let Some(state) = live.queues.get_mut(queue)
        {
            state.entries.remove(&call);
        }
        if let Some(outcome) = outcome {
            *live.calls.entry((queue.to_owned(), outcome.as_str())).or_default() += 1;
        }
    }

    /// The figures at `now` (Unix milliseconds), as `GET /queues/live` answers them.
    pub fn view(&self, now: i64) -> LiveView {
        let live = self.lock().clone();
        let queues = live
            .queues
            .iter()
            .map(|(name, state)| LiveQueueDto {
                queue: name.clone(),
                waiting: state.waiting,
                longest_wait_seconds: state
                    .entries
                    .values()
                    .min()
                    .map_or(0, |since| (now.saturating_sub(*since)).max(0) / 1000),
                idle_agents: state.idle_agents,
                staffed: state.staffed,
            })
            .collect();
        let mut agents_by_state: BTreeMap<String, u64> = BTreeMap::new();
        for state in live.agents.values() {
            *agents_by_state.entry(state.clone()).or_default() += 1;
        }
        let agents = live.agents.iter().map(|(agent, state)| LiveAgentDto { agent: agent.clone(), state: state.clone() }).collect();
        let calls = live.calls.into_iter().map(|((queue, outcome), count)| (queue, outcome, count)).collect();
        LiveView { at: now, queues, agents_by_state, agents, calls_total: calls }
    }
}

/// Bumps the version when an update is done (after its lock is released).
struct Changed<'a>(&'a LiveState);

impl Drop for Changed<'_> {
    fn drop(&mut self) {
        self.0.changed();
    }
}

/// `GET /queues/live`.
#[derive(Debug, Serialize)]
pub struct LiveView {
    /// Unix milliseconds of the figures.
    at: i64,
    pub(crate) queues: Vec<LiveQueueDto>,
    pub(crate) agents_by_state: BTreeMap<String, u64>,
    agents: Vec<LiveAgentDto>,
    #[serde(skip)]
    pub(crate) calls_total: Vec<(String, &'static str, u64)>,
}

#[derive(Debug, Serialize)]
pub(crate) struct LiveQueueDto {
    pub(crate) queue: String,
    pub(crate) waiting: usize,
    /// Age of the oldest caller now holding a place.
    pub(crate) longest_wait_seconds: i64,
    idle_agents: usize,
    staffed: u32,
}

#[derive(Debug, Serialize)]
struct LiveAgentDto {
    agent: String,
    state: String,
}

pub(crate) async fn live(State(state): State<AppState>, Auth(_staff): Auth) -> Json<LiveView> {
    Json(state.live.view(store::now()))
}

/// `GET /queues/live/events`: the wallboard's stream (Server-Sent Events). A `live` event with
/// the figures of `/queues/live` at once, again after every change (bursts coalesce to one
/// event per 250 ms) and at least every 5 s; the stream ends when the server shuts down.
pub(crate) async fn live_events(
    State(state): State<AppState>,
    Auth(_staff): Auth,
) -> Sse<impl futures_util::Stream<Item = Result<SseEvent, std::convert::Infallible>>> {
    let changes = state.live.changes.subscribe();
    let stream = futures_util::stream::unfold((state, changes, true), |(state, mut changes, first)| async move {
        if !first {
            // Either a change or the refresh interval; then let a burst settle.
            let _ = tokio::time::timeout(STREAM_REFRESH, changes.changed()).await;
            tokio::time::sleep(STREAM_COALESCE).await;
        }
        if *changes.borrow_and_update() == u64::MAX {
            return None;
        }
        let view = state.live.view(store::now());
        let event = SseEvent::default().event("live").json_data(&view).unwrap_or_else(|_| SseEvent::default());
        Some((Ok(event), (state, changes, false)))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatsQuery {
    /// First day (YYYY-MM-DD, Sofia time); default today.
    from: Option<String>,
    /// Last day, included; default `from`.
    to: Option<String>,
    queue: Option<String>,
    /// The service-level threshold T; default 20 s.
    target_seconds: Option<u64>,
}

#[derive(Serialize)]
pub(crate) struct StatsDto {
    from: i64,
    to: i64,
    interval_seconds: u64,
    target_seconds: u64,
    formulas: BTreeMap<&'static str, &'static str>,
    queues: Vec<QueueStatsDto>,
}

#[derive(Serialize)]
struct QueueStatsDto {
    queue: String,
    total: IntervalDto,
    intervals: Vec<IntervalDto>,
}

#[derive(Serialize)]
struct IntervalDto {
    /// Unix milliseconds; absent for the total.
    #[serde(skip_serializing_if = "Option::is_none")]
    start: Option<i64>,
    offered: u64,
    answered: u64,
    answered_within: u64,
    abandoned: u64,
    abandoned_within: u64,
    short_abandoned: u64,
    overflowed: u64,
    callbacks_requested: u64,
    callbacks_completed: u64,
    callbacks_failed: u64,
    handled: u64,
    service_level: Option<f64>,
    service_level_2: Option<f64>,
    abandon_rate: Option<f64>,
    average_speed_of_answer_seconds: Option<f64>,
    average_handle_time_seconds: Option<f64>,
    occupancy: Option<f64>,
    longest_wait_seconds: f64,
}

fn interval_dto(stats: &IntervalStats, start: Option<i64>) -> IntervalDto {
    let round = |value: f64| (value * 10_000.0).round() / 10_000.0;
    IntervalDto {
        start,
        offered: stats.offered,
        answered: stats.answered,
        answered_within: stats.answered_within,
        abandoned: stats.abandoned,
        abandoned_within: stats.abandoned_within,
        short_abandoned: stats.short_abandoned,
        overflowed: stats.overflowed,
        callbacks_requested: stats.callbacks_requested,
        callbacks_completed: stats.callbacks_completed,
        callbacks_failed: stats.callbacks_failed,
        handled: stats.handled,
        service_level: stats.service_level().map(round),
        service_level_2: stats.service_level_2().map(round),
        abandon_rate: stats.abandon_rate().map(round),
        average_speed_of_answer_seconds: stats.average_speed_of_answer().map(Millis::as_secs_f64),
        average_handle_time_seconds: stats.average_handle_time().map(Millis::as_secs_f64),
        occupancy: stats.occupancy().map(round),
        longest_wait_seconds: stats.longest_wait.as_secs_f64(),
    }
}

fn formulas() -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([
        ("service_level", "answered within T / answered (Asterisk servicelevelperf)"),
        ("service_level_2", "(answered within T + abandoned within T) / (answered + abandoned) (Asterisk servicelevelperf2)"),
        ("abandon_rate", "abandoned / offered; a caller who took a callback is not abandoned"),
        ("average_speed_of_answer_seconds", "total queue wait of answered calls / answered"),
        ("average_handle_time_seconds", "(talk + wrap-up) / handled agent segments"),
        ("occupancy", "time on calls (talk + wrap-up) / (that + available idle time of members)"),
        ("longest_wait_seconds", "longest wait of a caller whose outcome is known"),
        ("interval", "a caller counts in the interval in which they took their place"),
    ])
}

fn sofia_midnight(date: Date) -> Result<i64, Error> {
    let midnight = calendar::Time::new(0, 0).map_err(|_| Error::Internal("midnight".into()))?;
    Ok(Timestamp::from_sofia(date, midnight).earliest().unix_millis())
}

fn parse_date(field: &'static str, text: &str) -> Result<Date, Error> {
    text.trim().parse().map_err(|_| Error::invalid(field, "use YYYY-MM-DD"))
}

pub(crate) async fn stats(
    State(state): State<AppState>,
    Auth(staff): Auth,
    query: Result<Query<StatsQuery>, QueryRejection>,
) -> Result<Json<StatsDto>, Error> {
    if !staff.may_supervise() {
        return Err(Error::Forbidden);
    }
    let Query(query) = query?;
    let today = Timestamp::from_unix_millis(store::now()).ok_or_else(|| Error::Internal("clock out of range".into()))?;
    let from_day = match trimmed(query.from) {
        Some(text) => parse_date("from", &text)?,
        None => today.to_sofia().date,
    };
    let to_day = match trimmed(query.to) {
        Some(text) => parse_date("to", &text)?,
        None => from_day,
    };
    let days = to_day.days_since_epoch() - from_day.days_since_epoch();
    if days < 0 {
        return Err(Error::invalid("to", "must not be before from"));
    }
    if days >= MAX_RANGE_DAYS {
        return Err(Error::invalid("to", format!("at most {MAX_RANGE_DAYS} days at once")));
    }
    let target_seconds = query.target_seconds.unwrap_or(20);
    if target_seconds > 3600 {
        return Err(Error::invalid("target_seconds", "at most 3600"));
    }
    let from = sofia_midnight(from_day)?;
    let next_day = to_day.add_days(1).ok_or_else(|| Error::invalid("to", "out of range"))?;
    let to = sofia_midnight(next_day)?;
    let queue = trimmed(query.queue);

    // Queue ids differ per run of the switch; map them through the names to one id space.
    let runs = state.store.acd_runs().await?;
    let mut names: Vec<String> = Vec::new();
    let mut run_maps: HashMap<i64, Vec<QueueId>> = HashMap::new();
    for run in runs {
        let run_names: Vec<String> = serde_json::from_str(&run.queues).unwrap_or_default();
        let ids = run_names
            .into_iter()
            .map(|name| {
                let index = names.iter().position(|known| *known == name).unwrap_or_else(|| {
                    names.push(name);
                    names.len() - 1
                });
                QueueId(index as u32)
            })
            .collect();
        run_maps.insert(run.started_at, ids);
    }
    let mut builder = StatsBuilder::new(StatsConfig {
        interval: Millis(INTERVAL_MS),
        service_level_target: Millis::from_secs(target_seconds),
        short_abandon: Millis::ZERO,
    });
    // Agents' states carry over the range's start (an agent logged in before midnight is
    // available after it): read from the start of the switch run live at `from`, at most a
    // day back. Intervals before `from` are computed too, and dropped below.
    let run_start = run_maps.keys().copied().filter(|started| *started <= from).max();
    let read_from = run_start.unwrap_or(from).max(from - LOOKBACK_MS);
    let mut after_id = 0;
    let mut undecodable = 0u64;
    loop {
        let filter =
            store::acd_log::AcdLogFilter { from: read_from, to, kind: Some("fact".into()), after_id, limit: PAGE };
        let page = state.store.acd_events(&filter).await?;
        for row in &page {
            let Ok(mut kind) = acd::codec::decode(&row.body) else {
                undecodable += 1;
                continue;
            };
            let map = run_maps.get(&row.run_started_at);
            acd::codec::map_fact_queues(&mut kind, |queue| {
                map.and_then(|ids| ids.get(queue.0 as usize)).copied().unwrap_or(QueueId(u32::MAX))
            });
            builder.push(&Event { at: Millis(u64::try_from(row.at).unwrap_or(0)), kind });
        }
        match page.last() {
            Some(last) if page.len() as i64 == PAGE => after_id = last.id,
            _ => break,
        }
    }
    if undecodable > 0 {
        tracing::warn!(entries = undecodable, "acd log entries not understood; left out of statistics");
    }
    let end = Millis(u64::try_from(to.min(store::now())).unwrap_or(0));
    let mut queues: BTreeMap<String, QueueStatsDto> = BTreeMap::new();
    let mut totals: BTreeMap<String, IntervalStats> = BTreeMap::new();
    for stats in builder.finish(end) {
        let Some(name) = names.get(stats.queue.0 as usize) else { continue };
        let start = i64::try_from(stats.start.0).unwrap_or(i64::MAX);
        if start < from || start >= to || queue.as_ref().is_some_and(|wanted| wanted != name) {
            continue;
        }
        totals.entry(name.clone()).or_insert_with(|| IntervalStats::empty(stats.queue, Millis::ZERO)).add(&stats);
        queues
            .entry(name.clone())
            .or_insert_with(|| QueueStatsDto {
                queue: name.clone(),
                total: interval_dto(&IntervalStats::empty(stats.queue, Millis::ZERO), None),
                intervals: Vec::new(),
            })
            .intervals
            .push(interval_dto(&stats, Some(start)));
    }
    for (name, total) in totals {
        if let Some(dto) = queues.get_mut(&name) {
            dto.total = interval_dto(&total, None);
        }
    }
    Ok(Json(StatsDto {
        from,
        to,
        interval_seconds: INTERVAL_MS / 1000,
        target_seconds,
        formulas: formulas(),
        queues: queues.into_values().collect(),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ErlangQuery {
    calls_per_hour: f64,
    aht_seconds: f64,
    /// Agents to evaluate; default the agents needed.
    agents: Option<u32>,
    /// The service-level threshold T; default 20 s.
    target_seconds: Option<f64>,
    /// The service-level goal in percent; default 80.
    target_sl: Option<f64>,
}

#[derive(Serialize)]
pub(crate) struct ErlangDto {
    load_erlangs: f64,
    target_seconds: f64,
    target_sl: f64,
    agents_needed: Option<u32>,
    agents: u32,
    probability_of_waiting: f64,
    service_level: f64,
    average_speed_of_answer_seconds: Option<f64>,
    occupancy: f64,
    formulas: BTreeMap<&'static str, &'static str>,
}

pub(crate) async fn erlang_c(
    Auth(_staff): Auth,
    query: Result<Query<ErlangQuery>, QueryRejection>,
) -> Result<Json<ErlangDto>, Error> {
    let Query(query) = query?;
    if !(query.calls_per_hour.is_finite() && (0.0..=1_000_000.0).contains(&query.calls_per_hour)) {
        return Err(Error::invalid("calls_per_hour", "must be between 0 and 1000000"));
    }
    if !(query.aht_seconds.is_finite() && query.aht_seconds > 0.0 && query.aht_seconds <= 86_400.0) {
        return Err(Error::invalid("aht_seconds", "must be above 0 and at most 86400"));
    }
    let target_seconds = query.target_seconds.unwrap_or(20.0);
    if !(target_seconds.is_finite() && (0.0..=3600.0).contains(&target_seconds)) {
        return Err(Error::invalid("target_seconds", "must be between 0 and 3600"));
    }
    let target_sl = query.target_sl.unwrap_or(80.0);
    if !(target_sl.is_finite() && target_sl > 0.0 && target_sl < 100.0) {
        return Err(Error::invalid("target_sl", "a percentage above 0 and below 100"));
    }
    if query.agents.is_some_and(|agents| agents > 100_000) {
        return Err(Error::invalid("agents", "at most 100000"));
    }
    let load = query.calls_per_hour * query.aht_seconds / 3600.0;
    let needed = acd::erlang::agents_needed(load, query.aht_seconds, target_seconds, target_sl / 100.0);
    let agents = query.agents.or(needed).unwrap_or(0);
    let round = |value: f64| (value * 10_000.0).round() / 10_000.0;
    let asa = acd::erlang::average_speed_of_answer(agents, load, query.aht_seconds);
    Ok(Json(ErlangDto {
        load_erlangs: round(load),
        target_seconds,
        target_sl,
        agents_needed: needed,
        agents,
        probability_of_waiting: round(acd::erlang::probability_of_waiting(agents, load)),
        service_level: round(acd::erlang::service_level(agents, load, query.aht_seconds, target_seconds)),
        average_speed_of_answer_seconds: asa.is_finite().then(|| (asa * 10.0).round() / 10.0),
        occupancy: round(acd::erlang::occupancy(agents, load)),
        formulas: BTreeMap::from([
            ("load_erlangs", "A = calls per hour x AHT / 3600"),
            ("probability_of_waiting", "P_w = A^N/N! x N/(N-A) / (sum_{k<N} A^k/k! + A^N/N! x N/(N-A))"),
            ("service_level", "1 - P_w x e^(-(N-A) T / AHT)"),
            ("average_speed_of_answer_seconds", "P_w x AHT / (N - A); null when N <= A"),
            ("occupancy", "A / N"),
            ("agents_needed", "the smallest N with service_level >= target_sl; Erlang C ignores abandonment"),
        ]),
    }))
}

#[cfg(test)]
mod tests;
