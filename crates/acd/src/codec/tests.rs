//! The text encoding round-trips every event of a rich script exactly, every variant by hand,
//! and refuses malformed text with the offending word.

use std::collections::BTreeSet;

use expect_test::{Expect, expect};

use crate::codec::{decode, encode, fact_queue, map_fact_queues};
use crate::ids::QueueId;
use crate::testing::run_script;

/// Each line is decoded and encoded again (it must come back unchanged), or its error printed.
fn check(lines: &str, expect: Expect) {
    let mut out = String::new();
    for line in lines.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match decode(line) {
            Ok(kind) => {
                assert_eq!(encode(&kind), line, "round trip");
                let queue = fact_queue(&kind).map_or("-".to_owned(), |q| q.to_string());
                out.push_str(&format!("ok (queue {queue}) {line}\n"));
            }
            Err(error) => out.push_str(&format!("error: {error}\n")),
        }
    }
    expect.assert_eq(&out);
}

#[test]
fn every_variant_round_trips() {
    check(
        "
in login a1 q0:1,q2:0 s3:4
in login a2 - -
in logout a1
in pause a1 missed
in pause a1 7
in unpause a1
in skills a1 s1:2,s9:5
in busy a1
in free a1
in wrapdone a1
in registered a1
in unregistered a1
in arrive c7 q1 3 s3:2;30000/-;never a2:5000
in arrive c8 q1 0 - -
in steps c7 s1:1;never
in answered c7 a2
in rejected c7 a2
in failed c7 a2
in end c7
in transfer c7 q2
in transfer c7 a4
in transfer c7 external
in callback c7
in schedule c9 q0 120000 1 - a1:60000
in result c9 connected
in result c9 unreachable
in reconcile c1,c2 -
timeout
out offer c7 a2
out cancel c7 a2
out announce c7 3 45000
out overflow c7 q2
out overflow c7 voicemail
out overflow c7 cboffer
out overflow c7 hangup:4
out place c9 a1
out due c9 q0
out cbfailed c9 3
out agent a1 paused:missed wrapup:1000 0
out agent a1 available talking:c7 1
out repaired vanished c7
out repaired unknown c8
out repaired freed a1 offered:c7
out repaired device a1 1
out timeout 5000
fact queued c7 q1 0
fact answered c7 q1 a2 4500
fact abandoned c8 q1 12000
fact overflowed c8 q1 q2 300000
fact cbrequested c7 q1 100
fact cbconnected c9 q0 a1
fact cbfailed c9 q0 3
fact cbcancelled c9 q0
fact completed c7 q1 a2 60000
fact wrapended a2 q1 15000
fact agent a2 loggedout idle -
fact agent a2 paused:3 reserved:c9 q0
fact agent a2 available missed:9000 -
fact agent a2 available other -
fact members a2 q0,q1
",
        expect![[r#"
            ok (queue -) in login a1 q0:1,q2:0 s3:4
            ok (queue -) in login a2 - -
            ok (queue -) in logout a1
            ok (queue -) in pause a1 missed
            ok (queue -) in pause a1 7
            ok (queue -) in unpause a1
            ok (queue -) in skills a1 s1:2,s9:5
            ok (queue -) in busy a1
            ok (queue -) in free a1
            ok (queue -) in wrapdone a1
            ok (queue -) in registered a1
            ok (queue -) in unregistered a1
            ok (queue -) in arrive c7 q1 3 s3:2;30000/-;never a2:5000
            ok (queue -) in arrive c8 q1 0 - -
            ok (queue -) in steps c7 s1:1;never
            ok (queue -) in answered c7 a2
            ok (queue -) in rejected c7 a2
            ok (queue -) in failed c7 a2
            ok (queue -) in end c7
            ok (queue -) in transfer c7 q2
            ok (queue -) in transfer c7 a4
            ok (queue -) in transfer c7 external
            ok (queue -) in callback c7
            ok (queue -) in schedule c9 q0 120000 1 - a1:60000
            ok (queue -) in result c9 connected
            ok (queue -) in result c9 unreachable
            ok (queue -) in reconcile c1,c2 -
            ok (queue -) timeout
            ok (queue -) out offer c7 a2
            ok (queue -) out cancel c7 a2
            ok (queue -) out announce c7 3 45000
            ok (queue -) out overflow c7 q2
            ok (queue -) out overflow c7 voicemail
            ok (queue -) out overflow c7 cboffer
            ok (queue -) out overflow c7 hangup:4
            ok (queue -) out place c9 a1
            ok (queue -) out due c9 q0
            ok (queue -) out cbfailed c9 3
            ok (queue -) out agent a1 paused:missed wrapup:1000 0
            ok (queue -) out agent a1 available talking:c7 1
            ok (queue -) out repaired vanished c7
            ok (queue -) out repaired unknown c8
            ok (queue -) out repaired freed a1 offered:c7
            ok (queue -) out repaired device a1 1
            ok (queue -) out timeout 5000
            ok (queue q1) fact queued c7 q1 0
            ok (queue q1) fact answered c7 q1 a2 4500
            ok (queue q1) fact abandoned c8 q1 12000
            ok (queue q1) fact overflowed c8 q1 q2 300000
            ok (queue q1) fact cbrequested c7 q1 100
            ok (queue q0) fact cbconnected c9 q0 a1
            ok (queue q0) fact cbfailed c9 q0 3
            ok (queue q0) fact cbcancelled c9 q0
            ok (queue q1) fact completed c7 q1 a2 60000
            ok (queue q1) fact wrapended a2 q1 15000
            ok (queue -) fact agent a2 loggedout idle -
            ok (queue q0) fact agent a2 paused:3 reserved:c9 q0
            ok (queue -) fact agent a2 available missed:9000 -
            ok (queue -) fact agent a2 available other -
            ok (queue -) fact members a2 q0,q1
        "#]],
    );
}

#[test]
fn malformed_text_is_refused() {
    check(
        "
in
fact answered c7 q1 a2
fact answered c7 q1 x2 4500
fact answered c7 q1 a2 4500 extra
out agent a1 available talking:c7 2
in arrive c7 q1 300 - -
hello
",
        expect![[r#"
            error: not an acd event near "in"
            error: not an acd event near "fact answered c7 q1 a2"
            error: not an acd event near "x2"
            error: not an acd event near "extra"
            error: not an acd event near "2"
            error: not an acd event near "300"
            error: not an acd event near "hello"
        "#]],
    );
}

/// The log of the replay script (every input, output and fact it produces) round-trips, and
/// facts' queues can be renamed.
#[test]
fn a_whole_log_round_trips() {
    let run = run_script(
        "
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
",
    );
    let mut kinds = BTreeSet::new();
    for event in run.engine.events() {
        let text = encode(&event.kind);
        assert_eq!(decode(&text).as_ref(), Ok(&event.kind), "{text}");
        kinds.insert(text.split_whitespace().take(2).collect::<Vec<_>>().join(" "));
        let mut renamed = event.kind.clone();
        map_fact_queues(&mut renamed, |q| QueueId(q.0 + 10));
        if let Some(queue) = fact_queue(&event.kind) {
            assert_eq!(fact_queue(&renamed), Some(QueueId(queue.0 + 10)));
        }
    }
    expect![[r#"
        fact abandoned
        fact agent
        fact answered
        fact cbrequested
        fact members
        fact queued
        in answered
        in arrive
        in callback
        in end
        in login
        in reconcile
        in schedule
        in unregistered
        out agent
        out announce
        out cancel
        out due
        out offer
        out place
        out repaired
        timeout"#]].assert_eq(&kinds.into_iter().collect::<Vec<_>>().join("\n"));
}
