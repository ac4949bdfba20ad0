//! The glue on a real engine's log: live figures follow the facts, and the stored log decodes
//! back to the entries the engine wrote, with queue names in the indexed column.

use std::sync::Arc;

use acd::config::{CallbackConfig, Config, NoAgents, QueueConfig, Strategy};
use acd::engine::{Engine, Input, QueueMembership};
use acd::ids::{AgentId, CallId, Millis, QueueId};

use super::QueueGlue;

fn engine() -> Engine {
    let queue = |id| QueueConfig {
        id: QueueId(id),
        strategy: Strategy::LongestIdle,
        ring_timeout: Millis::from_secs(20),
        wrap_up: Millis::from_secs(10),
        missed_delay: Millis::from_secs(5),
        max_wait: None,
        max_waiting: None,
        announce_interval: None,
        no_agents: NoAgents::Wait,
        expected_handle_time: Millis::from_secs(180),
    };
    Engine::new(Config {
        queues: vec![queue(0), queue(1)],
        max_missed: 0,
        priority_step: Millis::from_secs(60),
        callback: CallbackConfig { max_attempts: 1, retry_delay: Millis::from_secs(60), result_timeout: Millis::from_secs(60) },
    })
    .expect("valid config")
}

fn feed(engine: &mut Engine, at: u64, input: Input) {
    engine.handle(Millis(at), input).expect("accepted");
    while engine.poll_output().is_some() {}
}

#[tokio::test]
async fn the_log_is_stored_and_live_figures_follow() {
    let dir = std::env::temp_dir().join(format!("civicline-queues-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let store = store::Store::open(&store::Location::SqliteFile(dir.join("test.db"))).await.expect("open");
    let live = Arc::new(web::LiveState::default());
    let names = vec!["general".to_owned(), "social_services".to_owned()];
    let (mut glue, writer) = QueueGlue::start(store.clone(), live.clone(), names, &["agent1".to_owned()]);

    let mut engine = engine();
    let epoch = 1_772_438_400_000;
    feed(&mut engine, 0, Input::AgentLogin { agent: AgentId(0), queues: vec![QueueMembership { queue: QueueId(1), priority: 0 }], skills: Vec::new() });
    feed(&mut engine, 0, Input::AgentBusy { agent: AgentId(0) });
    feed(&mut engine, 1_000, Input::CallArrived { call: CallId(1), queue: QueueId(1), priority: 0, steps: Vec::new(), preferred: None });
    feed(&mut engine, 2_000, Input::CallArrived { call: CallId(2), queue: QueueId(1), priority: 0, steps: Vec::new(), preferred: None });
    feed(&mut engine, 3_000, Input::CallEnded { call: CallId(1) });
    let events = engine.take_events();
    let written = events.len();
    glue.take(&telephony::Event::AcdLog { epoch_unix_ms: epoch, events: events.clone() });
    glue.take(&telephony::Event::QueueState(telephony::QueueState { queue: "social_services".into(), waiting: 1, idle_agents: 0, staffed: 1 }));
    glue.take(&telephony::Event::AgentState(telephony::AgentState { agent: "agent1".into(), presence: telephony::Presence::OnCall, registered: true }));

    let view = serde_json::to_value(live.view(epoch + 10_000)).expect("json");
    expect_test::expect![[r#"{"agents":[{"agent":"agent1","state":"on_call"}],"agents_by_state":{"on_call":1},"at":1772438410000,"queues":[{"idle_agents":0,"longest_wait_seconds":0,"queue":"general","staffed":0,"waiting":0},{"idle_agents":0,"longest_wait_seconds":8,"queue":"social_services","staffed":1,"waiting":1}]}"#]]
        .assert_eq(&view.to_string());

    drop(glue);
    writer.await.expect("writer finishes");
    let filter = store::acd_log::AcdLogFilter { from: epoch, to: epoch + 60_000, kind: None, after_id: 0, limit: 1000 };
    let rows = store.acd_events(&filter).await.expect("read");
    assert_eq!(rows.len(), written);
    for (row, event) in rows.iter().zip(&events) {
        assert_eq!(acd::codec::decode(&row.body).as_ref(), Ok(&event.kind));
        assert_eq!(row.at, epoch + event.at.0 as i64);
    }
    let facts: Vec<String> = rows
        .iter()
        .filter(|row| row.kind == "fact")
        .map(|row| format!("{} {} {}", row.at - epoch, row.queue.as_deref().unwrap_or("-"), row.body))
        .collect();
    expect_test::expect![[r#"
        0 - fact members a0 q1
        0 - fact agent a0 available idle -
        0 - fact agent a0 available other -
        1000 social_services fact queued c1 q1 0
        2000 social_services fact queued c2 q1 0
        3000 social_services fact abandoned c1 q1 2000
    "#]].assert_eq(&(facts.join("\n") + "\n"));
    let runs = store.acd_runs().await.expect("runs");
    assert_eq!(runs[0].queues, r#"["general","social_services"]"#);
}
