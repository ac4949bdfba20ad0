//! Call detail records round-trip through SQLite (and PostgreSQL when `TEST_DATABASE_URL` is
//! set), newest first, with every filter.

use crate::calls::{CallFilter, NewCallRecord};
use crate::{Location, Store};

fn record(call_ref: &str, leg: &str, agent: Option<&str>, outcome: &str, started_at: i64) -> NewCallRecord {
    NewCallRecord {
        call_ref: call_ref.to_owned(),
        leg: leg.to_owned(),
        agent: agent.map(str::to_owned),
        caller: Some("0888123456".to_owned()),
        queue: Some("social_services".to_owned()),
        started_at,
        answered_at: Some(started_at + 100),
        ended_at: started_at + 60_000,
        wait_ms: 5_000,
        talk_ms: 50_000,
        outcome: outcome.to_owned(),
    }
}

async fn exercise(store: Store, base: i64) {
    // Every query is limited to records from `base` on, so a shared database does not matter.
    let first = store.insert_call_record(&record("c1", "caller", Some("agent1"), "answered", base + 1_000)).await.unwrap();
    store.insert_call_record(&record("c1", "agent", Some("agent1"), "answered", base + 2_000)).await.unwrap();
    store.insert_call_record(&record("c2", "caller", None, "abandoned", base + 3_000)).await.unwrap();
    let all = store.call_records(&CallFilter { from: Some(base), limit: 50, ..CallFilter::default() }).await.unwrap();
    let refs: Vec<(&str, &str)> = all.iter().map(|r| (r.call_ref.as_str(), r.outcome.as_str())).collect();
    assert_eq!(refs, [("c2", "abandoned"), ("c1", "answered"), ("c1", "answered")]);
    let callers = store
        .call_records(&CallFilter { leg: Some("caller".into()), agent: Some("agent1".into()), from: Some(base), limit: 50, ..CallFilter::default() })
        .await
        .unwrap();
    assert_eq!(callers.len(), 1);
    assert_eq!(callers[0].id, first);
    assert_eq!(callers[0].caller.as_deref(), Some("0888123456"));
    let window = store
        .call_records(&CallFilter { from: Some(base + 1_500), to: Some(base + 3_000), limit: 50, ..CallFilter::default() })
        .await
        .unwrap();
    assert_eq!(window.len(), 1);
    assert_eq!(window[0].leg, "agent");
    let page = store
        .call_records(&CallFilter { before_id: Some(all[0].id), from: Some(base), limit: 1, ..CallFilter::default() })
        .await
        .unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].id, all[1].id);
}

#[tokio::test]
async fn call_records_on_sqlite() {
    let dir = std::env::temp_dir().join(format!("civicline-calls-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let store = Store::open(&Location::SqliteFile(dir.join("calls.db"))).await.unwrap();
    exercise(store, 0).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn call_records_on_postgres() {
    // Runs when a scratch database is configured, like the contract suite.
    let Ok(url) = std::env::var("TEST_DATABASE_URL") else { return };
    let store = Store::open(&Location::Postgres(url)).await.unwrap();
    exercise(store, crate::now() * 10).await;
}
