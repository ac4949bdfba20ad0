//! Replaying the event log rebuilds identical engine state.

use expect_test::{Expect, expect};

use crate::engine::Engine;
use crate::testing::run_script;

/// Runs the script, replays its log into a fresh engine and compares the
/// state snapshots; prints the snapshot and the log size.
fn check(script: &str, expect: Expect) {
    let run = run_script(script);
    if std::env::var_os("ACD_TRACE").is_some() {
        eprintln!("{}", run.trace);
    }
    let replayed = Engine::replay(run.config.clone(), run.engine.events()).expect("valid config");
    let original = run.engine.snapshot();
    assert_eq!(original, replayed.snapshot(), "replay diverged");
    assert_eq!(run.engine.events().len(), replayed.events().len(), "replayed log differs in length");
    let mut out = original;
    out.push_str(&format!("events {}\n", run.engine.events().len()));
    expect.assert_eq(&out);
}

#[test]
fn replay_rebuilds_state() {
    check(
        r#"
queue q1 strategy=round-robin wrap=10 announce=30 max-wait=200:q2
queue q2 strategy=ring-all ring=10
max-missed 2
callback attempts=2 delay=20 timeout=10
0 login a1 q1:1 skills=es:3
0 login a2 q1:2 q2
0 login a3 q2
1 arrive c1 q1 steps=es:2/10
2 arrive c2 q1 prio=3
3 answer c2 a1
5 arrive c3 q1
6 callback c3
20 end c2
40 arrive c4 q2
45 answer c4 a3
50 unregister a2
60 schedule c5 q1 at=100
100 tick
105 reconcile calls=c4,c5 agents=a1,a3
300 tick
"#,
        expect![[r#"
            q1: waiting [c3 c5] ready [c3 c5] idle [] staffed 2 available 1 rr 2 aht 60
            q2: waiting [] ready [] idle [] staffed 2 available 2 rr 0 aht 60
            a1: paused(missed) idle reachable=true idle-since 0 missed 0 queues [q1:1/calls=0/talk=0]
            a2: available idle reachable=false idle-since 0 missed 1 queues [q2:1/calls=0/talk=0 q1:2/calls=0/talk=0]
            a3: available talking(c4) reachable=true idle-since 0 missed 0 queues [q2:1/calls=1/talk=0]
            c3: q1 prio 0 key 5000 queued 5 step 0/0 Waiting callback Some(1)
            c4: q2 prio 0 key 40000 queued 40 step 0/0 Talking { agent: AgentId(3), since: Millis(45000) } callback None
            c5: q1 prio 0 key 100000 queued 100 step 0/0 Waiting callback Some(0)
            timers [301:Announce(QueueId(1))]
            events 104
        "#]],
    );
}
