//! The ACD event log contract: runs are recorded once, batches are appended atomically and read
//! back oldest first by time range and kind, a page at a time. Runs on SQLite and, with
//! `TEST_DATABASE_URL`, on PostgreSQL.

use store::acd_log::{AcdLogFilter, AcdRun, NewAcdEvent};
use store::*;

use crate::contract::{contract, postgres, sqlite};

contract!(acd_log_appends_and_reads_by_range, acd_log_batch_is_all_or_nothing);

fn entry(run: i64, at: i64, kind: &str, queue: Option<&str>, body: &str) -> NewAcdEvent {
    NewAcdEvent {
        run_started_at: run,
        at,
        kind: kind.to_owned(),
        queue: queue.map(str::to_owned),
        body: body.to_owned(),
    }
}

fn filter(from: i64, to: i64, kind: Option<&str>, after_id: i64, limit: i64) -> AcdLogFilter {
    AcdLogFilter { from, to, kind: kind.map(str::to_owned), after_id, limit }
}

async fn acd_log_appends_and_reads_by_range(store: Store) {
    let run = 1_772_438_400_000;
    let queues = r#"["general","social_services"]"#;
    store.record_acd_run(&AcdRun { started_at: run, queues: queues.into() }).await.unwrap();
    // Recording the same run again (a replayed start) changes nothing.
    store.record_acd_run(&AcdRun { started_at: run, queues: "[]".into() }).await.unwrap();
    assert_eq!(store.acd_runs().await.unwrap(), [AcdRun { started_at: run, queues: queues.into() }]);

    store
        .insert_acd_events(&[
            entry(run, run + 1_000, "in", None, "in arrive c1 q1 0 - -"),
            entry(run, run + 1_000, "fact", Some("social_services"), "fact queued c1 q1 0"),
            entry(run, run + 1_000, "out", None, "out offer c1 a0"),
        ])
        .await
        .unwrap();
    store.insert_acd_events(&[]).await.unwrap();
    store
        .insert_acd_events(&[entry(run, run + 5_000, "fact", Some("social_services"), "fact answered c1 q1 a0 4000")])
        .await
        .unwrap();

    let all = store.acd_events(&filter(run, run + 10_000, None, 0, 100)).await.unwrap();
    let bodies: Vec<&str> = all.iter().map(|e| e.body.as_str()).collect();
    assert_eq!(bodies, ["in arrive c1 q1 0 - -", "fact queued c1 q1 0", "out offer c1 a0", "fact answered c1 q1 a0 4000"]);
    assert!(all.windows(2).all(|w| w[0].id < w[1].id), "oldest first");
    assert_eq!(all[1].queue.as_deref(), Some("social_services"));
    assert_eq!(all[1].run_started_at, run);

    let facts = store.acd_events(&filter(run, run + 10_000, Some("fact"), 0, 100)).await.unwrap();
    assert_eq!(facts.len(), 2);
    // Pages: one at a time, after the last id seen.
    let first = store.acd_events(&filter(run, run + 10_000, Some("fact"), 0, 1)).await.unwrap();
    let second = store.acd_events(&filter(run, run + 10_000, Some("fact"), first[0].id, 1)).await.unwrap();
    assert_eq!((first[0].at, second[0].at), (run + 1_000, run + 5_000));
    // The range is half open.
    let early = store.acd_events(&filter(run, run + 5_000, None, 0, 100)).await.unwrap();
    assert_eq!(early.len(), 3);
}

async fn acd_log_batch_is_all_or_nothing(store: Store) {
    let run = 1_772_438_500_000;
    store.record_acd_run(&AcdRun { started_at: run, queues: "[]".into() }).await.unwrap();
    // The second entry breaks the kind check, so the first is not kept either.
    let broken = store
        .insert_acd_events(&[entry(run, run + 1, "fact", None, "fact members a0 -"), entry(run, run + 2, "gossip", None, "x")])
        .await;
    assert!(broken.is_err());
    assert!(store.acd_events(&filter(run, run + 10, None, 0, 10)).await.unwrap().is_empty());
    // An entry of a run never recorded is refused.
    let orphan = store.insert_acd_events(&[entry(run + 1, run + 3, "timeout", None, "timeout")]).await;
    assert!(orphan.is_err());
}
