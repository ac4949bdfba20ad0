//! The notification outbox and the portal's own rows.
//!
//! Notifications are derived from the case history, which is durable and append-only: the
//! enqueuer reads public events past a cursor (and, to catch transactions that committed out of id
//! order on PostgreSQL, every event of a recent time window) and inserts one outbox row per event
//! and channel. The row's key is `(event_id, channel)`, so enqueueing is idempotent and any number
//! of nodes may run it at once. An event committed is therefore never without its notification,
//! whichever code path wrote it (the portal, the REST API, Open311).
//!
//! Sending is claimed with a lease: a claim stamps due rows with a unique owner token and a lease
//! end, in one statement that re-checks the row's state (and on PostgreSQL skips rows another
//! claim holds locked), so two workers never hold the same row. Finishing a row requires the same
//! owner token, so a worker whose lease ran out cannot overwrite the work of the next one.
//!
//! Every function takes `now` (Unix ms) so that tests can drive time.

use crate::{Backend, Error, Store};

/// How a notification reaches the citizen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotificationChannel {
    Email,
    Sms,
}

impl NotificationChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationChannel::Email => "email",
            NotificationChannel::Sms => "sms",
        }
    }

    pub fn parse(text: &str) -> Option<NotificationChannel> {
        match text {
            "email" => Some(NotificationChannel::Email),
            "sms" => Some(NotificationChannel::Sms),
            _ => None,
        }
    }

    /// The citizens' column that holds this channel's address.
    fn contact_column(self) -> &'static str {
        match self {
            NotificationChannel::Email => "z.email",
            NotificationChannel::Sms => "z.phone",
        }
    }
}

/// The kinds of public case events a citizen is told about. Their own messages, confirmations and
/// attachments are not echoed back to them.
pub const NOTIFIED_EVENT_KINDS: &[&str] = &["registered", "status", "public_update", "assigned"];

/// One outbox row, as stored (for inspection and tests).
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    pub id: i64,
    pub event_id: i64,
    pub case_id: i64,
    pub channel: NotificationChannel,
    /// `pending`, `sent`, `failed` (gave up) or `skipped` (nobody to send to).
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub sent_at: Option<i64>,
}

/// A claimed notification with everything needed to compose it.
#[derive(Clone, PartialEq)]
pub struct ClaimedNotification {
    pub id: i64,
    pub event_id: i64,
    pub case_id: i64,
    pub channel: NotificationChannel,
    /// Attempts so far, counting this one.
    pub attempts: i64,
    /// The claim's owner token, needed to finish the row.
    pub owner: String,
    pub reference: String,
    pub tracking_code: String,
    pub event_kind: String,
    pub event_body: String,
    pub event_at: i64,
    pub institution_name_bg: Option<String>,
    pub institution_name_en: Option<String>,
    /// The language chosen on the portal (`bg` or `en`), if any.
    pub lang: Option<String>,
    /// The e-mail address or phone number; `None` when the citizen gave none or withdrew consent.
    pub recipient: Option<String>,
}

impl std::fmt::Debug for ClaimedNotification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Personal data (the recipient) and case text stay out of debug output and so out of logs.
        f.debug_struct("ClaimedNotification")
            .field("id", &self.id)
            .field("event_id", &self.event_id)
            .field("case_id", &self.case_id)
            .field("channel", &self.channel)
            .field("attempts", &self.attempts)
            .field("event_kind", &self.event_kind)
            .finish_non_exhaustive()
    }
}

/// How a claimed notification ended.
#[derive(Debug, Clone, PartialEq)]
pub enum NotificationOutcome {
    /// Delivered to the mail server or the SMS gateway.
    Sent,
    /// Try again at this time (Unix ms); the error must not contain personal data.
    Retry { at: i64, error: String },
    /// Give up for good.
    Failed { error: String },
    /// Nothing to send: no recipient, or consent withdrawn.
    Skipped { reason: String },
}

#[derive(sqlx::FromRow)]
struct OutboxDbRow {
    id: i64,
    event_id: i64,
    case_id: i64,
    channel: String,
    status: String,
    attempts: i64,
    next_attempt_at: i64,
    last_error: Option<String>,
    sent_at: Option<i64>,
}

impl OutboxDbRow {
    fn into_row(self) -> Result<OutboxRow, Error> {
        Ok(OutboxRow {
            id: self.id,
            event_id: self.event_id,
            case_id: self.case_id,
            channel: parse_channel(&self.channel)?,
            status: self.status,
            attempts: self.attempts,
            next_attempt_at: self.next_attempt_at,
            last_error: self.last_error,
            sent_at: self.sent_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct ClaimedDbRow {
    id: i64,
    event_id: i64,
    case_id: i64,
    channel: String,
    attempts: i64,
    reference: String,
    tracking_code: String,
    kind: String,
    body: String,
    at: i64,
    name_bg: Option<String>,
    name_en: Option<String>,
    lang: Option<String>,
    recipient: Option<String>,
}

impl ClaimedDbRow {
    fn into_claimed(self, owner: &str) -> Result<ClaimedNotification, Error> {
        Ok(ClaimedNotification {
            id: self.id,
            event_id: self.event_id,
            case_id: self.case_id,
            channel: parse_channel(&self.channel)?,
            attempts: self.attempts,
            owner: owner.to_owned(),
            reference: self.reference,
            tracking_code: self.tracking_code,
            event_kind: self.kind,
            event_body: self.body,
            event_at: self.at,
            institution_name_bg: self.name_bg,
            institution_name_en: self.name_en,
            lang: self.lang,
            recipient: self.recipient.filter(|r| !r.trim().is_empty()),
        })
    }
}

fn parse_channel(text: &str) -> Result<NotificationChannel, Error> {
    NotificationChannel::parse(text)
        .ok_or_else(|| Error::Rule(format!("unknown value {text:?} in column outbox.channel")))
}

const OUTBOX_COLUMNS: &str =
    "id, event_id, case_id, channel, status, attempts, next_attempt_at, last_error, sent_at";

/// Expands the outbox queries for one backend. `$lock` is the row-locking clause of the claim's
/// inner select: `FOR UPDATE SKIP LOCKED` on PostgreSQL; nothing on SQLite, whose single writer
/// runs the whole `UPDATE` under its write lock.
macro_rules! outbox_queries {
    ($module:ident, $pool:ty, $lock:literal) => {
        pub(crate) mod $module {
            use super::*;

            type Pool = $pool;

            pub(crate) async fn enqueue(
                pool: &Pool,
                channels: &[NotificationChannel],
                since: i64,
                now: i64,
            ) -> Result<u64, Error> {
                // Each statement commits on its own: every step is idempotent, so a crash between
                // them only means the next run repeats some work.
                let newest: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM case_events")
                    .fetch_one(pool)
                    .await?;
                let Some(newest) = newest else { return Ok(0) };
                let cursor: Option<i64> = sqlx::query_scalar(
                    "SELECT last_event_id FROM outbox_cursor WHERE name = 'case_events'",
                )
                .fetch_optional(pool)
                .await?;
                let cursor = cursor.unwrap_or(0);
                let kinds = NOTIFIED_EVENT_KINDS
                    .iter()
                    .map(|kind| format!("'{kind}'"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let mut inserted = 0;
                for channel in channels {
                    let contact = channel.contact_column();
                    let sql = format!(
                        "INSERT INTO outbox (event_id, case_id, channel, status, attempts, \
                         next_attempt_at, created_at) \
                         SELECT e.id, e.case_id, $1, 'pending', 0, $2, $2 FROM case_events e \
                         JOIN cases c ON c.id = e.case_id JOIN citizens z ON z.id = c.citizen_id \
                         WHERE e.public AND e.kind IN ({kinds}) AND z.consent_contact \
                         AND {contact} IS NOT NULL AND {contact} <> '' \
                         AND e.id <= $3 AND (e.id > $4 OR e.at >= $5) \
                         ON CONFLICT (event_id, channel) DO NOTHING"
                    );
                    let done = sqlx::query(&sql)
                        .bind(channel.as_str())
                        .bind(now)
                        .bind(newest)
                        .bind(cursor)
                        .bind(since)
                        .execute(pool)
                        .await?;
                    inserted += done.rows_affected();
                }
                sqlx::query(
                    "INSERT INTO outbox_cursor (name, last_event_id) VALUES ('case_events', $1) \
                     ON CONFLICT (name) DO UPDATE SET last_event_id = CASE \
                     WHEN outbox_cursor.last_event_id < excluded.last_event_id \
                     THEN excluded.last_event_id ELSE outbox_cursor.last_event_id END",
                )
                .bind(newest)
                .execute(pool)
                .await?;
                Ok(inserted)
            }

            pub(crate) async fn claim(
                pool: &Pool,
                owner: &str,
                now: i64,
                lease_ms: i64,
                limit: i64,
            ) -> Result<Vec<ClaimedNotification>, Error> {
                let sql = concat!(
                    "UPDATE outbox SET lease_owner = $1, lease_until = $2, attempts = attempts + 1 \
                     WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' \
                     AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until <= $3) \
                     ORDER BY next_attempt_at, id LIMIT $4 ",
                    $lock,
                    ") AND status = 'pending' AND (lease_until IS NULL OR lease_until <= $3)"
                );
                let claimed = sqlx::query(sql)
                    .bind(owner)
                    .bind(now.saturating_add(lease_ms))
                    .bind(now)
                    .bind(limit.clamp(1, 1000))
                    .execute(pool)
                    .await?;
                if claimed.rows_affected() == 0 {
                    return Ok(Vec::new());
                }
                let rows: Vec<ClaimedDbRow> = sqlx::query_as(
                    "SELECT o.id, o.event_id, o.case_id, o.channel, o.attempts, c.reference, \
                     c.tracking_code, e.kind, e.body, e.at, i.name_bg, i.name_en, l.lang, \
                     CASE WHEN z.consent_contact THEN \
                     (CASE WHEN o.channel = 'email' THEN z.email ELSE z.phone END) END AS recipient \
                     FROM outbox o JOIN case_events e ON e.id = o.event_id \
                     JOIN cases c ON c.id = o.case_id \
                     LEFT JOIN citizens z ON z.id = c.citizen_id \
                     LEFT JOIN institutions i ON i.id = e.institution_id \
                     LEFT JOIN case_languages l ON l.case_id = o.case_id \
                     WHERE o.lease_owner = $1 AND o.status = 'pending' ORDER BY o.id",
                )
                .bind(owner)
                .fetch_all(pool)
                .await?;
                rows.into_iter().map(|row| row.into_claimed(owner)).collect()
            }

            pub(crate) async fn finish(
                pool: &Pool,
                id: i64,
                owner: &str,
                outcome: &NotificationOutcome,
                now: i64,
            ) -> Result<bool, Error> {
                let (status, next_attempt_at, error, sent_at): (&str, Option<i64>, Option<&str>, Option<i64>) =
                    match outcome {
                        NotificationOutcome::Sent => ("sent", None, None, Some(now)),
                        NotificationOutcome::Retry { at, error } => ("pending", Some(*at), Some(error), None),
                        NotificationOutcome::Failed { error } => ("failed", None, Some(error), None),
                        NotificationOutcome::Skipped { reason } => ("skipped", None, Some(reason), None),
                    };
                let done = sqlx::query(
                    "UPDATE outbox SET status = $3, \
                     next_attempt_at = COALESCE($4, next_attempt_at), \
                     last_error = COALESCE($5, last_error), sent_at = $6, \
                     lease_owner = NULL, lease_until = NULL \
                     WHERE id = $1 AND lease_owner = $2 AND status = 'pending'",
                )
                .bind(id)
                .bind(owner)
                .bind(status)
                .bind(next_attempt_at)
                .bind(error)
                .bind(sent_at)
                .execute(pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            pub(crate) async fn rows_for_case(pool: &Pool, case_id: i64) -> Result<Vec<OutboxRow>, Error> {
                let sql = format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE case_id = $1 ORDER BY id");
                let rows: Vec<OutboxDbRow> = sqlx::query_as(&sql).bind(case_id).fetch_all(pool).await?;
                rows.into_iter().map(OutboxDbRow::into_row).collect()
            }

            pub(crate) async fn pending_count(pool: &Pool) -> Result<i64, Error> {
                let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
                    .fetch_one(pool)
                    .await?;
                Ok(count)
            }

            pub(crate) async fn set_case_language(
                pool: &Pool,
                case_id: i64,
                lang: &str,
                now: i64,
            ) -> Result<(), Error> {
                sqlx::query(
                    "INSERT INTO case_languages (case_id, lang, created_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (case_id) DO UPDATE SET lang = excluded.lang",
                )
                .bind(case_id)
                .bind(lang)
                .bind(now)
                .execute(pool)
                .await?;
                Ok(())
            }

            pub(crate) async fn case_language(pool: &Pool, case_id: i64) -> Result<Option<String>, Error> {
                let lang: Option<String> =
                    sqlx::query_scalar("SELECT lang FROM case_languages WHERE case_id = $1")
                        .bind(case_id)
                        .fetch_optional(pool)
                        .await?;
                Ok(lang)
            }
        }
    };
}

outbox_queries!(sqlite, sqlx::SqlitePool, "");
outbox_queries!(postgres, sqlx::PgPool, "FOR UPDATE SKIP LOCKED");


impl Store {
    /// Inserts the outbox rows for public events past the cursor, and for every public event at or
    /// after `since` (Unix ms), on the given channels. Idempotent; returns how many rows it added.
    /// Only citizens who gave the channel's contact detail and consented to contact are included.
    pub async fn enqueue_notifications(
        &self,
        channels: &[NotificationChannel],
        since: i64,
        now: i64,
    ) -> Result<u64, Error> {
        dispatch!(self, self, |q, pool| q::enqueue(pool, channels, since, now).await)
    }

    /// Leases up to `limit` due notifications to `owner` (a token unique to this claim) until
    /// `now + lease_ms`, counting an attempt on each.
    pub async fn claim_notifications(
        &self,
        owner: &str,
        now: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<ClaimedNotification>, Error> {
        dispatch!(self, self, |q, pool| q::claim(pool, owner, now, lease_ms, limit).await)
    }

    /// Records how a claimed notification ended. `false` when the claim was no longer held (its
    /// lease ran out and another worker took the row over).
    pub async fn finish_notification(
        &self,
        id: i64,
        owner: &str,
        outcome: &NotificationOutcome,
        now: i64,
    ) -> Result<bool, Error> {
        dispatch!(self, self, |q, pool| q::finish(pool, id, owner, outcome, now).await)
    }

    /// The outbox rows of one case, oldest first.
    pub async fn notifications_for_case(&self, case_id: i64) -> Result<Vec<OutboxRow>, Error> {
        dispatch!(self, self, |q, pool| q::rows_for_case(pool, case_id).await)
    }

    /// How many notifications wait to be sent.
    pub async fn pending_notifications(&self) -> Result<i64, Error> {
        dispatch!(self, self, |q, pool| q::pending_count(pool).await)
    }

    /// Remembers the language (`bg` or `en`) the citizen used, for the case's notifications.
    pub async fn set_case_language(&self, case_id: i64, lang: &str, now: i64) -> Result<(), Error> {
        dispatch!(self, self, |q, pool| q::set_case_language(pool, case_id, lang, now).await)
    }

    pub async fn case_language(&self, case_id: i64) -> Result<Option<String>, Error> {
        dispatch!(self, self, |q, pool| q::case_language(pool, case_id).await)
    }
}
