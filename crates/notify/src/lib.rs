//! Citizens' notifications: e-mail over SMTP and SMS through an HTTP gateway, sent durably from
//! the store's outbox.
//!
//! The worker ([`run`]) repeats one round ([`run_once`]) every poll interval:
//!
//! 1. **Enqueue.** Public case events (registration, status changes, public updates, new
//!    assignments) become outbox rows, one per event and enabled channel, for citizens who gave
//!    that contact detail and consented. The rows are derived from the durable, append-only case
//!    history and keyed by `(event_id, channel)`, so whichever code path wrote the event, its
//!    notification is enqueued exactly once, even across crashes and several nodes.
//! 2. **Claim.** Due rows are leased to this round under a unique owner token; a second worker
//!    never holds the same row (see `store::outbox`).
//! 3. **Send and finish.** Success marks the row sent. A transient failure (server down,
//!    4xx SMTP reply, HTTP 5xx or 429) schedules a retry with exponential backoff; a permanent
//!    one (5xx SMTP reply, HTTP 4xx, invalid address) or the last allowed attempt marks it
//!    failed. Nothing is lost while the mail server is down: the row waits.
//!
//! **Exactly once.** A row is sent by one holder of its lease and then marked sent. The only
//! window for a duplicate is a crash (or a stall longer than the lease, five minutes) after the
//! server accepted the message and before the row was marked; every message therefore carries a
//! stable `Message-ID` (e-mail) or `Idempotency-Key` (SMS) derived from the outbox row, so that the
//! receiving side can discard a repeat.
//!
//! **Privacy.** Addresses and phone numbers are never logged, and the stored error text of a
//! failure is a classification (`smtp 451`, `connection failed`), never the server's reply, which
//! may quote the address. The crate depends on `store`, never on `web`.

mod message;
mod sms;
mod smtp;

use std::time::Duration;

use store::{ClaimedNotification, NotificationChannel, NotificationOutcome, Store};
use tokio_util::sync::CancellationToken;

pub use message::{Composed, compose};
pub use sms::GatewayUrl;

/// How long a claim holds its rows; far longer than any send's timeout.
const LEASE_MS: i64 = 5 * 60 * 1000;
/// Events this recent are re-examined on every round, to catch transactions that committed after
/// a later event (identity values are handed out before commit).
const LOOKBACK_MS: i64 = 15 * 60 * 1000;
/// Rows claimed per round.
const BATCH: i64 = 20;
/// Retries wait twice as long each time, up to this.
const MAX_BACKOFF_MS: i64 = 60 * 60 * 1000;

/// The worker's settings, validated by the server's configuration stage.
#[derive(Debug, Clone)]
pub struct Config {
    /// E-mail over SMTP; `None` when disabled.
    pub email: Option<EmailConfig>,
    /// SMS through an HTTP gateway; `None` when disabled.
    pub sms: Option<SmsConfig>,
    /// The portal's public address without a trailing slash, for tracking links.
    pub portal_url: String,
    /// Attempts before a message is marked failed.
    pub max_attempts: u32,
    /// This node's name in claim tokens, unique among the nodes sharing a database.
    pub node: String,
    /// The pause between rounds.
    pub poll_interval: Duration,
    /// The wait before the first retry; each further one waits twice as long, up to an hour.
    pub first_retry: Duration,
}

impl Config {
    /// A random node name, so that two nodes never mint the same claim token.
    pub fn random_node_name() -> String {
        format!("node-{:016x}", rand::random::<u64>())
    }
}

/// Where and how to send e-mail. Plain SMTP (port 25 or 587 without TLS): point it at a local
/// relay (Postfix, OpenSMTPD) that does TLS and queues onward.
#[derive(Clone)]
pub struct EmailConfig {
    pub host: String,
    pub port: u16,
    /// The sender address, e.g. `civicline@plovdiv.bg`.
    pub from: String,
    /// User name and password for SMTP AUTH, if the relay wants them.
    pub credentials: Option<(String, String)>,
}

impl std::fmt::Debug for EmailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("from", &self.from)
            .field("credentials", &self.credentials.as_ref().map(|(user, _)| (user, "<redacted>")))
            .finish()
    }
}

/// The SMS gateway: JSON posted to a plain-HTTP URL with a bearer token.
#[derive(Clone)]
pub struct SmsConfig {
    pub gateway: GatewayUrl,
    pub token: String,
}

impl std::fmt::Debug for SmsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsConfig").field("gateway", &self.gateway).field("token", &"<redacted>").finish()
    }
}

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Round {
    pub enqueued: u64,
    pub sent: u32,
    pub retried: u32,
    pub failed: u32,
    pub skipped: u32,
}

/// How one delivery attempt ended, before the retry policy is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Delivery {
    Sent,
    /// Worth trying again later; a classification without personal data.
    Transient(String),
    /// Will not succeed by trying again.
    Permanent(String),
}

/// The wait before attempt `attempts + 1`, after `attempts` failed ones.
pub fn backoff_ms(first_ms: i64, attempts: i64) -> i64 {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    first_ms.max(1).saturating_mul(1_i64 << doublings).min(MAX_BACKOFF_MS.max(first_ms))
}

/// Applies the retry policy to a delivery's result.
pub(crate) fn outcome(
    delivery: Delivery,
    attempts: i64,
    config: &Config,
    now: i64,
) -> NotificationOutcome {
    let max_attempts = config.max_attempts;
    let first_ms = i64::try_from(config.first_retry.as_millis()).unwrap_or(i64::MAX);
    match delivery {
        Delivery::Sent => NotificationOutcome::Sent,
        Delivery::Permanent(error) => NotificationOutcome::Failed { error },
        Delivery::Transient(error) if attempts >= i64::from(max_attempts) => {
            NotificationOutcome::Failed { error: format!("{error}; gave up after {attempts} attempts") }
        }
        Delivery::Transient(error) => {
            NotificationOutcome::Retry { at: now.saturating_add(backoff_ms(first_ms, attempts)), error }
        }
    }
}

/// The channels this configuration sends on.
pub fn channels(config: &Config) -> Vec<NotificationChannel> {
    let mut channels = Vec::new();
    if config.email.is_some() {
        channels.push(NotificationChannel::Email);
    }
    if config.sms.is_some() {
        channels.push(NotificationChannel::Sms);
    }
    channels
}

/// Runs rounds until `shutdown` is cancelled. A failing round (the database away) is logged and
/// retried on the next tick; the worker never stops by itself.
pub async fn run(store: Store, config: Config, shutdown: CancellationToken) {
    if channels(&config).is_empty() {
        tracing::info!("notifications disabled");
        return;
    }
    tracing::info!(
        notify.email = config.email.is_some(),
        notify.sms = config.sms.is_some(),
        "notification worker started"
    );
    let mut round_number: u64 = 0;
    loop {
        round_number += 1;
        let round = tokio::select! {
            _ = shutdown.cancelled() => break,
            round = run_once(&store, &config, round_number) => round,
        };
        match round {
            Ok(round) if round != Round::default() => {
                tracing::info!(
                    notify.enqueued = round.enqueued,
                    notify.sent = round.sent,
                    notify.retried = round.retried,
                    notify.failed = round.failed,
                    notify.skipped = round.skipped,
                    "notification round"
                );
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "notification round failed"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(config.poll_interval) => {}
        }
    }
    tracing::info!("notification worker stopped");
}

/// One round: enqueue, claim, send, finish. `round_number` makes the claim token unique.
///
/// Cancelling it between a send and its finish leaves the row leased until the lease runs out,
/// then it is sent again; [`run`] therefore only cancels it while it waits on the database or
/// a server, where the same holds for a crash.
pub async fn run_once(store: &Store, config: &Config, round_number: u64) -> Result<Round, store::Error> {
    let channels = channels(config);
    let mut round = Round::default();
    if channels.is_empty() {
        return Ok(round);
    }
    let now = store::now();
    round.enqueued = store.enqueue_notifications(&channels, now - LOOKBACK_MS, now).await?;
    let owner = format!("{}-{round_number}", config.node);
    let claimed = store.claim_notifications(&owner, now, LEASE_MS, BATCH).await?;
    for notification in claimed {
        let result = deliver(config, &notification).await;
        let now = store::now();
        let outcome = match result {
            None => NotificationOutcome::Skipped { reason: "no recipient or no consent".into() },
            Some(delivery) => outcome(delivery, notification.attempts, config, now),
        };
        match &outcome {
            NotificationOutcome::Sent => round.sent += 1,
            NotificationOutcome::Retry { .. } => round.retried += 1,
            NotificationOutcome::Failed { .. } => round.failed += 1,
            NotificationOutcome::Skipped { .. } => round.skipped += 1,
        }
        let held = store.finish_notification(notification.id, &owner, &outcome, now).await?;
        if !held {
            tracing::warn!(outbox.id = notification.id, "notification lease lost before it was finished");
        }
        if let NotificationOutcome::Retry { error, .. } | NotificationOutcome::Failed { error } = &outcome {
            tracing::warn!(
                outbox.id = notification.id,
                case.id = notification.case_id,
                notify.channel = notification.channel.as_str(),
                notify.attempts = notification.attempts,
                error = %error,
                "notification not delivered"
            );
        }
    }
    Ok(round)
}

/// Sends one notification; `None` when there is nobody to send it to.
async fn deliver(config: &Config, notification: &ClaimedNotification) -> Option<Delivery> {
    let recipient = notification.recipient.as_deref()?;
    let composed = compose(notification, &config.portal_url);
    let delivery = match notification.channel {
        NotificationChannel::Email => match &config.email {
            Some(email) => smtp::send(email, recipient, notification, &composed).await,
            None => Delivery::Transient("e-mail is disabled on this node".into()),
        },
        NotificationChannel::Sms => match &config.sms {
            Some(sms) => sms::send(sms, recipient, notification, &composed).await,
            None => Delivery::Transient("sms is disabled on this node".into()),
        },
    };
    Some(delivery)
}

#[cfg(test)]
mod tests;
