//! The ACD's side of the switch's events: the event log goes to the store, and the live queue
//! and agent figures to the web layer's [`web::LiveState`] (wallboard and `/metrics`).
//!
//! Writing never holds up the event loop: batches go through a bounded channel to one writer
//! task, which merges whatever has queued up into one transaction (one fsync). When the
//! database cannot keep up, entries are dropped and counted: losing the database degrades the
//! log, never routing (telephony reference, section 7).

use std::sync::Arc;

use acd::event::{EventKind, Fact};
use store::acd_log::{AcdRun, NewAcdEvent};
use tokio::sync::mpsc;
use web::{LiveState, QueueOutcome};

/// Batches waiting for the writer before new ones are dropped.
const WRITE_BUFFER: usize = 1024;
/// The most entries written in one transaction.
const MAX_BATCH: usize = 5_000;

enum Write {
    Run(AcdRun),
    Events(Vec<NewAcdEvent>),
}

/// Turns the switch's queue, agent and ACD log events into live figures and stored log entries.
pub struct QueueGlue {
    live: Arc<LiveState>,
    /// Queue names in ACD queue-id order.
    queues: Vec<String>,
    writer: mpsc::Sender<Write>,
    /// The run whose queue list was last recorded.
    recorded_run: Option<i64>,
    dropped: u64,
}

impl QueueGlue {
    /// Starts the log writer; it finishes once the glue is dropped and everything is written.
    pub fn start(
        store: store::Store,
        live: Arc<LiveState>,
        queues: Vec<String>,
        agents: &[String],
    ) -> (QueueGlue, tokio::task::JoinHandle<()>) {
        for queue in &queues {
            live.set_queue(queue, 0, 0, 0);
        }
        for agent in agents {
            live.set_agent(agent, telephony::Presence::LoggedOut.as_str());
        }
        let (writer, receiver) = mpsc::channel(WRITE_BUFFER);
        let task = tokio::spawn(write_log(store, receiver));
        (QueueGlue { live, queues, writer, recorded_run: None, dropped: 0 }, task)
    }

    /// Takes one switch event; other events are ignored.
    pub fn take(&mut self, event: &telephony::Event) {
        match event {
            telephony::Event::QueueState(state) => {
                self.live.set_queue(&state.queue, state.waiting, state.idle_agents, state.staffed);
            }
            telephony::Event::AgentState(state) => self.live.set_agent(&state.agent, state.presence.as_str()),
            telephony::Event::AcdLog { epoch_unix_ms, events } => self.log(*epoch_unix_ms, events),
            _ => {}
        }
    }

    fn queue_name(&self, queue: acd::ids::QueueId) -> String {
        self.queues.get(queue.0 as usize).cloned().unwrap_or_else(|| queue.to_string())
    }

    fn log(&mut self, epoch: i64, events: &[acd::event::Event]) {
        if self.recorded_run != Some(epoch) {
            let queues = serde_json::to_string(&self.queues).unwrap_or_else(|_| "[]".to_owned());
            self.send(Write::Run(AcdRun { started_at: epoch, queues }), 0);
            self.recorded_run = Some(epoch);
        }
        let mut rows = Vec::with_capacity(events.len());
        for event in events {
            let at = epoch.saturating_add(i64::try_from(event.at.0).unwrap_or(i64::MAX));
            if let EventKind::Fact(fact) = &event.kind {
                self.live_fact(fact, at);
            }
            let body = acd::codec::encode(&event.kind);
            let kind = body.split(' ').next().unwrap_or("in").to_owned();
            let queue = acd::codec::fact_queue(&event.kind).map(|queue| self.queue_name(queue));
            rows.push(NewAcdEvent { run_started_at: epoch, at, kind, queue, body });
        }
        let count = rows.len() as u64;
        self.send(Write::Events(rows), count);
    }

    fn live_fact(&self, fact: &Fact, at: i64) {
        let (queue, call, outcome) = match fact {
            Fact::Queued { call, queue, .. } => {
                self.live.queued(&self.queue_name(*queue), call.0, at);
                return;
            }
            Fact::Answered { call, queue, .. } => (queue, call, Some(QueueOutcome::Answered)),
            Fact::Abandoned { call, queue, .. } => (queue, call, Some(QueueOutcome::Abandoned)),
            Fact::Overflowed { call, queue, .. } => (queue, call, Some(QueueOutcome::Overflowed)),
            Fact::CallbackRequested { call, queue, .. } => (queue, call, Some(QueueOutcome::Callback)),
            Fact::CallbackConnected { call, queue, .. }
            | Fact::CallbackFailed { call, queue, .. }
            | Fact::CallbackCancelled { call, queue } => (queue, call, None),
            Fact::Completed { .. } | Fact::WrapUpEnded { .. } | Fact::AgentState { .. } | Fact::Memberships { .. } => {
                return;
            }
        };
        self.live.left(&self.queue_name(*queue), call.0, outcome);
    }

    fn send(&mut self, write: Write, entries: u64) {
        if self.writer.try_send(write).is_err() {
            self.dropped += entries.max(1);
            // Powers of two: visible without flooding the log.
            if self.dropped.is_power_of_two() {
                tracing::error!(dropped = self.dropped, "acd log writer is behind; entries dropped");
            }
        }
    }
}

/// Writes batches in order, merging what has queued up into one transaction.
async fn write_log(store: store::Store, mut receiver: mpsc::Receiver<Write>) {
    let mut pending: Option<Write> = None;
    loop {
        let write = match pending.take() {
            Some(write) => write,
            None => match receiver.recv().await {
                Some(write) => write,
                None => return,
            },
        };
        match write {
            Write::Run(run) => {
                if let Err(error) = store.record_acd_run(&run).await {
                    tracing::error!(%error, "acd run not stored");
                }
            }
            Write::Events(mut rows) => {
                while rows.len() < MAX_BATCH {
                    match receiver.try_recv() {
                        Ok(Write::Events(more)) => rows.extend(more),
                        Ok(run @ Write::Run(_)) => {
                            pending = Some(run);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                if let Err(error) = store.insert_acd_events(&rows).await {
                    tracing::error!(%error, entries = rows.len(), "acd log entries not stored");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
