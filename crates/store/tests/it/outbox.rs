//! The notification outbox contract: enqueueing from the case history, leases, retries, and that
//! concurrent workers never hold the same row. Runs on SQLite and, with `TEST_DATABASE_URL`, on
//! PostgreSQL, like the rest of the storage contract.

use std::collections::HashSet;

use store::*;

use crate::contract::{contract, fixture, new_case, postgres, sqlite};

contract!(
    outbox_enqueues_public_events_for_consenting_citizens,
    outbox_claims_lease_and_finish_once,
    outbox_retries_with_backoff_and_gives_up,
    two_workers_never_claim_the_same_row,
    outbox_remembers_the_portal_language,
);

const EMAIL_AND_SMS: &[NotificationChannel] = &[NotificationChannel::Email, NotificationChannel::Sms];

fn event(case_id: i64, kind: &str, public: bool) -> NewCaseEvent {
    NewCaseEvent {
        case_id,
        institution_id: None,
        actor_user_id: None,
        kind: kind.to_owned(),
        public,
        body: format!("{kind} body"),
    }
}

fn summary(rows: &[OutboxRow]) -> Vec<(String, &'static str, String)> {
    rows.iter().map(|r| (format!("event {}", r.event_id), r.channel.as_str(), r.status.clone())).collect()
}

async fn outbox_enqueues_public_events_for_consenting_citizens(store: Store) {
    let fixture = fixture(&store).await;
    let now = now();
    // Phone only, consenting: one SMS per notified event, no e-mail.
    let phone_only = store.create_case(new_case(&fixture, "с телефон")).await.unwrap();
    // Both contacts, no consent: nothing.
    let mut refused = new_case(&fixture, "без съгласие");
    refused.citizen = Some(NewCitizen {
        name: Some("Петър".into()),
        phone: Some("+359888000111".into()),
        email: Some("petar@example.bg".into()),
        consent_contact: false,
    });
    let refused = store.create_case(refused).await.unwrap();
    // Anonymous: nothing.
    let mut anonymous = new_case(&fixture, "анонимно");
    anonymous.citizen = None;
    let anonymous = store.create_case(anonymous).await.unwrap();
    // E-mail only, consenting.
    let mut email_only = new_case(&fixture, "с имейл");
    email_only.citizen = Some(NewCitizen {
        name: None,
        phone: None,
        email: Some("maria@example.bg".into()),
        consent_contact: true,
    });
    let email_only = store.create_case(email_only).await.unwrap();

    store.add_case_event(&event(phone_only.id, "public_update", true)).await.unwrap();
    store.add_case_event(&event(phone_only.id, "note", false)).await.unwrap();
    store.add_case_event(&event(phone_only.id, "citizen_message", true)).await.unwrap();

    let added = store.enqueue_notifications(EMAIL_AND_SMS, now - 60_000, now).await.unwrap();
    assert_eq!(added, 3);
    // Idempotent: again adds nothing, within and beyond the time window.
    assert_eq!(store.enqueue_notifications(EMAIL_AND_SMS, now - 60_000, now).await.unwrap(), 0);
    assert_eq!(store.enqueue_notifications(EMAIL_AND_SMS, 0, now).await.unwrap(), 0);

    let events = store.case_events(phone_only.id).await.unwrap();
    let kinds: Vec<(i64, &str)> = events.iter().map(|e| (e.id, e.kind.as_str())).collect();
    let rows = store.notifications_for_case(phone_only.id).await.unwrap();
    let notified: Vec<&str> = rows
        .iter()
        .map(|r| kinds.iter().find(|(id, _)| *id == r.event_id).map(|(_, kind)| *kind).unwrap())
        .collect();
    assert_eq!(notified, ["registered", "public_update"]);
    assert!(rows.iter().all(|r| r.channel == NotificationChannel::Sms && r.status == "pending"));
    assert!(store.notifications_for_case(refused.id).await.unwrap().is_empty());
    assert!(store.notifications_for_case(anonymous.id).await.unwrap().is_empty());
    let rows = store.notifications_for_case(email_only.id).await.unwrap();
    assert_eq!(summary(&rows).iter().map(|r| r.1).collect::<Vec<_>>(), ["email"]);

    // Only enabled channels are enqueued; an event past the cursor is picked up on its own.
    store.add_case_event(&event(email_only.id, "public_update", true)).await.unwrap();
    let added = store.enqueue_notifications(&[NotificationChannel::Sms], now + 1, now).await.unwrap();
    assert_eq!(added, 0);
    assert_eq!(store.pending_notifications().await.unwrap(), 3);
}

async fn outbox_claims_lease_and_finish_once(store: Store) {
    let fixture = fixture(&store).await;
    let case = store.create_case(new_case(&fixture, "лампа")).await.unwrap();
    let t0 = now();
    store.enqueue_notifications(EMAIL_AND_SMS, t0 - 60_000, t0).await.unwrap();

    let first = store.claim_notifications("worker-a-1", t0, 30_000, 10).await.unwrap();
    assert_eq!(first.len(), 1);
    let claimed = &first[0];
    assert_eq!(claimed.reference, case.reference);
    assert_eq!(claimed.tracking_code, "secret");
    assert_eq!(claimed.event_kind, "registered");
    assert_eq!(claimed.recipient.as_deref(), Some("+359888123456"));
    assert_eq!(claimed.attempts, 1);
    assert!(!format!("{claimed:?}").contains("+359"), "debug output must not show the phone number");

    // Held: nobody else gets it while the lease runs.
    assert!(store.claim_notifications("worker-b-1", t0 + 29_999, 30_000, 10).await.unwrap().is_empty());
    // The lease runs out (worker a stalled): worker b takes over.
    let second = store.claim_notifications("worker-b-2", t0 + 30_000, 30_000, 10).await.unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].attempts, 2);
    // The stalled worker can no longer finish the row.
    let late = store.finish_notification(claimed.id, "worker-a-1", &NotificationOutcome::Sent, t0 + 31_000).await;
    assert!(!late.unwrap());
    let done = store.finish_notification(second[0].id, "worker-b-2", &NotificationOutcome::Sent, t0 + 31_000).await;
    assert!(done.unwrap());
    // Finished once only, and never claimed again.
    let again = store.finish_notification(second[0].id, "worker-b-2", &NotificationOutcome::Sent, t0 + 32_000).await;
    assert!(!again.unwrap());
    assert!(store.claim_notifications("worker-c", t0 + 10_000_000, 30_000, 10).await.unwrap().is_empty());
    let rows = store.notifications_for_case(case.id).await.unwrap();
    assert_eq!(rows[0].status, "sent");
    assert_eq!(rows[0].sent_at, Some(t0 + 31_000));
}

async fn outbox_retries_with_backoff_and_gives_up(store: Store) {
    let fixture = fixture(&store).await;
    let case = store.create_case(new_case(&fixture, "боклук")).await.unwrap();
    let t0 = now();
    store.enqueue_notifications(EMAIL_AND_SMS, t0 - 60_000, t0).await.unwrap();
    let claimed = store.claim_notifications("w1", t0, 30_000, 10).await.unwrap();
    let retry = NotificationOutcome::Retry { at: t0 + 60_000, error: "smtp 451".into() };
    assert!(store.finish_notification(claimed[0].id, "w1", &retry, t0 + 1).await.unwrap());
    // Not due before its time, even with no lease on it.
    assert!(store.claim_notifications("w2", t0 + 59_999, 30_000, 10).await.unwrap().is_empty());
    let claimed = store.claim_notifications("w3", t0 + 60_000, 30_000, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].attempts, 2);
    let failed = NotificationOutcome::Failed { error: "gave up after 2 attempts".into() };
    assert!(store.finish_notification(claimed[0].id, "w3", &failed, t0 + 60_001).await.unwrap());
    assert!(store.claim_notifications("w4", t0 + 100_000_000, 30_000, 10).await.unwrap().is_empty());
    let rows = store.notifications_for_case(case.id).await.unwrap();
    assert_eq!(rows[0].status, "failed");
    assert_eq!(rows[0].attempts, 2);
    assert_eq!(rows[0].last_error.as_deref(), Some("gave up after 2 attempts"));
    assert_eq!(store.pending_notifications().await.unwrap(), 0);
}

async fn two_workers_never_claim_the_same_row(store: Store) {
    let fixture = fixture(&store).await;
    let case = store.create_case(new_case(&fixture, "много събития")).await.unwrap();
    for _ in 0..119 {
        store.add_case_event(&event(case.id, "public_update", true)).await.unwrap();
    }
    let t0 = now();
    assert_eq!(store.enqueue_notifications(EMAIL_AND_SMS, t0 - 60_000, t0).await.unwrap(), 120);

    let mut workers = Vec::new();
    for worker in 0..6 {
        let store = store.clone();
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            for round in 0.. {
                let owner = format!("worker-{worker}-{round}");
                let claimed = store.claim_notifications(&owner, t0, 60_000, 7).await.unwrap();
                if claimed.is_empty() {
                    break;
                }
                for notification in claimed {
                    let finished = store
                        .finish_notification(notification.id, &owner, &NotificationOutcome::Sent, t0)
                        .await
                        .unwrap();
                    assert!(finished, "a claim held by its owner always finishes");
                    mine.push(notification.id);
                }
                tokio::task::yield_now().await;
            }
            mine
        }));
    }
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.unwrap());
    }
    let unique: HashSet<i64> = all.iter().copied().collect();
    assert_eq!(all.len(), 120, "every row sent exactly once");
    assert_eq!(unique.len(), 120);
    let rows = store.notifications_for_case(case.id).await.unwrap();
    assert!(rows.iter().all(|r| r.status == "sent" && r.attempts == 1));
}

async fn outbox_remembers_the_portal_language(store: Store) {
    let fixture = fixture(&store).await;
    let case = store.create_case(new_case(&fixture, "english")).await.unwrap();
    assert_eq!(store.case_language(case.id).await.unwrap(), None);
    store.set_case_language(case.id, "en", now()).await.unwrap();
    assert_eq!(store.case_language(case.id).await.unwrap().as_deref(), Some("en"));
    let t0 = now();
    store.enqueue_notifications(EMAIL_AND_SMS, t0 - 60_000, t0).await.unwrap();
    let claimed = store.claim_notifications("w", t0, 1_000, 10).await.unwrap();
    assert_eq!(claimed[0].lang.as_deref(), Some("en"));
}
