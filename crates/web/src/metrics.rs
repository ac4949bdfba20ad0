//! `/healthz`, `/readyz` and Prometheus metrics.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

use axum::extract::State;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// (route, method, status).
type RequestKey = (String, String, u16);

/// Writes figures kept outside the web layer (such as the phone switch's media delay) in the
/// Prometheus text format, at the end of `/metrics`.
type Source = Box<dyn Fn(&mut String) + Send + Sync>;

/// Request counters and latency sums per route, method and status.
#[derive(Default)]
pub struct Metrics {
    /// Count and total seconds per key.
    requests: Mutex<BTreeMap<RequestKey, (u64, f64)>>,
    sources: Mutex<Vec<Source>>,
}

impl Metrics {
    pub(crate) fn record(&self, method: &Method, route: &str, status: u16, elapsed: Duration) {
        // A poisoned lock only means another request panicked mid-update; counters stay usable.
        let mut requests = self.requests.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = requests.entry((route.to_owned(), method.to_string(), status)).or_default();
        entry.0 += 1;
        entry.1 += elapsed.as_secs_f64();
    }

    /// Adds figures to `/metrics` (the server adds the phone switch's).
    pub fn add_source(&self, source: Box<dyn Fn(&mut String) + Send + Sync>) {
        self.sources.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(source);
    }
}

pub(crate) async fn healthz() -> &'static str {
    "ok\n"
}

pub(crate) async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => "ready\n".into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "database not reachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database not reachable\n").into_response()
        }
    }
}

pub(crate) async fn prometheus(State(state): State<AppState>) -> Response {
    let mut out = String::new();
    out += "# HELP civicline_http_requests_total HTTP requests answered.\n";
    out += "# TYPE civicline_http_requests_total counter\n";
    let requests = state
        .metrics
        .requests
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone();
    for ((route, method, status), (count, _)) in &requests {
        let _ = writeln!(
            out,
            "civicline_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {count}"
        );
    }
    out += "# HELP civicline_http_request_duration_seconds_sum Time spent answering requests.\n";
    out += "# TYPE civicline_http_request_duration_seconds_sum counter\n";
    for ((route, method, status), (_, seconds)) in &requests {
        let _ = writeln!(
            out,
            "civicline_http_request_duration_seconds_sum{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {seconds:.6}"
        );
    }
    live_metrics(&mut out, &state.live.view(store::now()));
    for source in state.metrics.sources.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).iter() {
        source(&mut out);
    }
    match state.store.counts().await {
        Ok(counts) => {
            out += "# HELP civicline_cases Cases in the registry.\n# TYPE civicline_cases gauge\n";
            let _ = writeln!(out, "civicline_cases {}", counts.cases);
            out += "# HELP civicline_open_assignments Assignments not yet done, declined or forwarded.\n";
            out += "# TYPE civicline_open_assignments gauge\n";
            let _ = writeln!(out, "civicline_open_assignments {}", counts.open_assignments);
            out += "# HELP civicline_institutions Institutions known.\n# TYPE civicline_institutions gauge\n";
            let _ = writeln!(out, "civicline_institutions {}", counts.institutions);
            out += "# HELP civicline_database_up Whether the database answered.\n# TYPE civicline_database_up gauge\n";
            out += "civicline_database_up 1\n";
        }
        Err(_) => {
            out += "# HELP civicline_database_up Whether the database answered.\n# TYPE civicline_database_up gauge\n";
            out += "civicline_database_up 0\n";
        }
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}

/// Queue and agent figures from the phone switch (absent queues and agents print nothing).
fn live_metrics(out: &mut String, live: &crate::api::queues::LiveView) {
    let label = |text: &str| text.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
    *out += "# HELP civicline_queue_waiting Callers holding a place in the queue.\n";
    *out += "# TYPE civicline_queue_waiting gauge\n";
    for queue in &live.queues {
        let _ = writeln!(out, "civicline_queue_waiting{{queue=\"{}\"}} {}", label(&queue.queue), queue.waiting);
    }
    *out += "# HELP civicline_queue_longest_wait_seconds Age of the oldest caller now in the queue.\n";
    *out += "# TYPE civicline_queue_longest_wait_seconds gauge\n";
    for queue in &live.queues {
        let _ = writeln!(
            out,
            "civicline_queue_longest_wait_seconds{{queue=\"{}\"}} {}",
            label(&queue.queue),
            queue.longest_wait_seconds
        );
    }
    *out += "# HELP civicline_agents Agents by state.\n# TYPE civicline_agents gauge\n";
    for (agent_state, count) in &live.agents_by_state {
        let _ = writeln!(out, "civicline_agents{{state=\"{}\"}} {count}", label(agent_state));
    }
    *out += "# HELP civicline_queue_calls_total Calls that left a queue, by outcome (callback: asked to be called back).\n";
    *out += "# TYPE civicline_queue_calls_total counter\n";
    for (queue, outcome, count) in &live.calls_total {
        let _ = writeln!(out, "civicline_queue_calls_total{{queue=\"{}\",outcome=\"{outcome}\"}} {count}", label(queue));
    }
}
