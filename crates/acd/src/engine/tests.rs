//! Event-script tests of routing decisions (format in `crate::testing`).

use expect_test::{Expect, expect};

use crate::testing::run_script;

fn check(script: &str, expect: Expect) {
    let run = run_script(script);
    expect.assert_eq(&run.trace);
}

#[test]
fn longest_idle_uses_end_of_wrap_up() {
    check(
        r#"
queue q1 wrap=10
0 login a1 q1
1 login a2 q1
5 arrive c1 q1
6 answer c1 a1
30 end c1
35 arrive c2 q1
36 answer c2 a2
50 arrive c3 q1
"#,
        expect![[r#"
            0 login a1 q1
              a1: available idle
            1 login a2 q1
              a2: available idle
            5 arrive c1 q1
              offer c1 -> a1
              a1: available offered(c1)
            6 answer c1 a1
              a1: available talking(c1)
            30 end c1
              a1: available wrap-up(until 40)
            35 arrive c2 q1
              offer c2 -> a2
              a2: available offered(c2)
            36 answer c2 a2
              a2: available talking(c2)
            40 timeout
              a1: available idle
            50 arrive c3 q1
              offer c3 -> a1
              a1: available offered(c3)
        "#]],
    );
}

#[test]
fn ring_timeout_moves_on_and_caller_keeps_place() {
    check(
        r#"
queue q1 ring=15 missed-delay=30
0 login a1 q1
0 login a2 q1
1 arrive c0 q1
2 answer c0 a1
5 arrive c1 q1
6 arrive c2 q1
40 end c0
51 answer c2 a2
"#,
        expect![[r#"
            0 login a1 q1
              a1: available idle
            0 login a2 q1
              a2: available idle
            1 arrive c0 q1
              offer c0 -> a1
              a1: available offered(c0)
            2 answer c0 a1
              a1: available talking(c0)
            5 arrive c1 q1
              offer c1 -> a2
              a2: available offered(c1)
            6 arrive c2 q1
            20 timeout
              cancel-offer c1 -> a2
              a2: available missed(until 50)
            40 end c0
              a1: available idle
              offer c1 -> a1
              a1: available offered(c1)
            50 timeout
              a2: available idle
              offer c2 -> a2
              a2: available offered(c2)
            51 answer c2 a2
              a2: available talking(c2)
        "#]],
    );
}

#[test]
fn repeated_misses_pause_the_agent() {
    check(
        r#"
queue q1 ring=10 missed-delay=5
max-missed 2
0 login a1 q1
1 arrive c1 q1
30 unpause a1
31 answer c1 a1
"#,
        expect![[r#"
            0 login a1 q1
              a1: available idle
            1 arrive c1 q1
              offer c1 -> a1
              a1: available offered(c1)
            11 timeout
              cancel-offer c1 -> a1
              a1: available missed(until 16)
            16 timeout
              a1: available idle
              offer c1 -> a1
              a1: available offered(c1)
            26 timeout
              cancel-offer c1 -> a1
              a1: paused(missed) missed(until 31)
            30 unpause a1
              a1: available missed(until 31)
            31 timeout
              a1: available idle
              offer c1 -> a1
              a1: available offered(c1)
            31 answer c1 a1
              a1: available talking(c1)
        "#]],
    );
}

#[test]
fn vanished_phone_is_skipped() {
    check(
        r#"
queue q1 ring=20
0 login a1 q1
1 login a2 q1
2 arrive c1 q1
3 fail c1 a1
4 unregister a2
5 login a3 q1
6 register a1
7 answer c1 a1
"#,
        expect![[r#"
            0 login a1 q1
              a1: available idle
            1 login a2 q1
              a2: available idle
            2 arrive c1 q1
              offer c1 -> a1
              a1: available offered(c1)
            3 fail c1 a1
              a1: available idle unreachable
              offer c1 -> a2
              a2: available offered(c1)
            4 unregister a2
              cancel-offer c1 -> a2
              a2: available idle unreachable
            5 login a3 q1
              a3: available idle
              offer c1 -> a3
              a3: available offered(c1)
            6 register a1
              a1: available idle
            7 answer c1 a1
              cancel-offer c1 -> a1
        "#]],
    );
}

#[test]
fn round_robin_remembers_position() {
    check(
        r#"
queue q1 strategy=round-robin
0 login a1 q1
0 login a2 q1
0 login a3 q1
1 arrive c1 q1
2 answer c1 a1
3 end c1
4 arrive c2 q1
5 answer c2 a2
6 end c2
7 arrive c3 q1
8 answer c3 a3
9 end c3
10 arrive c4 q1
"#,
        expect![[r#"
            0 login a1 q1
              a1: available idle
            0 login a2 q1
              a2: available idle
            0 login a3 q1
              a3: available idle
            1 arrive c1 q1
              offer c1 -> a1
              a1: available offered(c1)
            2 answer c1 a1
              a1: available talking(c1)
            3 end c1
              a1: available idle
            4 arrive c2 q1
              offer c2 -> a2
              a2: available offered(c2)
            5 answer c2 a2
              a2: available talking(c2)
            6 end c2
              a2: available idle
            7 arrive c3 q1
              offer c3 -> a3
              a3: available offered(c3)
            8 answer c3 a3
              a3: available talking(c3)
            9 end c3
              a3: available idle
            10 arrive c4 q1
              offer c4 -> a1
              a1: available offered(c4)
        "#]],
    );
}

#[test]
fn fewest_calls_and_least_talk_time() {
    check(
        r#"
queue q1 strategy=fewest-calls
queue q2 strategy=least-talk
0 login a1 q1 q2
0 login a2 q1 q2
1 arrive c1 q1
2 answer c1 a1
3 end c1
4 arrive c2 q2
5 answer c2 a1
100 end c2
101 arrive c3 q2
102 answer c3 a2
110 end c3
111 arrive c4 q1
112 answer c4 a2
113 end c4
114 arrive c5 q2
"#,
        expect![[r#"
            0 login a1 q1 q2
              a1: available idle
            0 login a2 q1 q2
              a2: available idle
            1 arrive c1 q1
              offer c1 -> a1
              a1: available offered(c1)
            2 answer c1 a1
              a1: available talking(c1)
            3 end c1
              a1: available idle
            4 arrive c2 q2
              offer c2 -> a1
              a1: available offered(c2)
            5 answer c2 a1
              a1: available talking(c2)
            100 end c2
              a1: available idle
            101 arrive c3 q2
              offer c3 -> a2
              a2: available offered(c3)
            102 answer c3 a2
              a2: available talking(c3)
            110 end c3
              a2: available idle
            111 arrive c4 q1
              offer c4 -> a2
              a2: available offered(c4)
            112 answer c4 a2
              a2: available talking(c4)
            113 end c4
              a2: available idle
            114 arrive c5 q2
              offer c5 -> a2
              a2: available offered(c5)
        "#]],
    );
}

#[test]
fn ring_all_first_answer_wins_and_never_restarts() {
    // Regression (app_queue #1557): after a pickup, ringing must not restart,
    // not even when a second answer arrives late or the winner hangs up at once.
    check(
        r#"
queue q1 strategy=ring-all ring=20 wrap=5
0 login a1 q1
0 login a2 q1
0 login a3 q1
1 arrive c1 q1
3 answer c1 a2
3 answer c1 a3
3 answer c1 a2
4 end c1
9 tick
10 arrive c2 q1
30 tick
"#,
        expect![[r#"
            0 login a1 q1
              a1: available idle
            0 login a2 q1
              a2: available idle
            0 login a3 q1
              a3: available idle
            1 arrive c1 q1
              offer c1 -> a1
              a1: available offered(c1)
              offer c1 -> a2
              a2: available offered(c1)
              offer c1 -> a3
              a3: available offered(c1)
            3 answer c1 a2
              cancel-offer c1 -> a1
              a1: available idle
              cancel-offer c1 -> a3
              a3: available idle
              a2: available talking(c1)
            3 answer c1 a3
              cancel-offer c1 -> a3
            3 answer c1 a2
            4 end c1
              a2: available wrap-up(until 9)
            9 timeout
              a2: available idle
            9 tick
            10 arrive c2 q1
              offer c2 -> a1
              a1: available offered(c2)
              offer c2 -> a3
              a3: available offered(c2)
              offer c2 -> a2
              a2: available offered(c2)
            30 timeout
              cancel-offer c2 -> a1
              a1: available idle
              cancel-offer c2 -> a3
              a3: available idle
              cancel-offer c2 -> a2
              a2: available idle
              offer c2 -> a1
              a1: available offered(c2)
              offer c2 -> a3
              a3: available offered(c2)
              offer c2 -> a2
              a2: available offered(c2)
            30 tick
        "#]],
    );
}

#[test]
fn wrap_up_survives_transfers() {
    // Regression (app_queue #607): the transferring agent wraps up after blind
    // and attended transfers, and the target's later events do not reset it.
    check(
        r#"
queue q1 wrap=20
queue q2 wrap=5
0 login a1 q1
0 login a2 q1
0 login a3 q2
1 arrive c1 q1
2 answer c1 a1
10 transfer c1 q2
11 answer c1 a3
12 arrive c2 q1
13 answer c2 a2
14 transfer c1 external
15 transfer c2 a3
20 end c2
45 tick
"#,
        expect![[r#"
            0 login a1 q1
              a1: available idle
            0 login a2 q1
              a2: available idle
            0 login a3 q2
              a3: available idle
            1 arrive c1 q1
              offer c1 -> a1
              a1: available offered(c1)
            2 answer c1 a1
              a1: available talking(c1)
            10 transfer c1 q2
              a1: available wrap-up(until 30)
              offer c1 -> a3
              a3: available offered(c1)
            11 answer c1 a3
              a3: available talking(c1)
            12 arrive c2 q1
              offer c2 -> a2
              a2: available offered(c2)
            13 answer c2 a2
              a2: available talking(c2)
            14 transfer c1 external
              a3: available wrap-up(until 19)
            15 transfer c2 a3
              a2: available wrap-up(until 35)
              a3: available talking(c2)
            20 end c2
              a3: available wrap-up(until 40)
            30 timeout
              a1: available idle
            35 timeout
              a2: available idle
            40 timeout
              a3: available idle
            45 tick
        "#]],
    );
}

#[test]
fn no_agent_stays_reserved() {
    // Regression (mod_callcenter #2540): agents reserved by a ring-all or a
    // callback are always released, whatever the shell forgets to report.
    check(
        r#"
queue q1 strategy=ring-all ring=20
callback attempts=2 delay=30 timeout=15
0 login a1 q1
0 login a2 q1
1 arrive c1 q1
5 end c1
6 arrive c2 q1
7 callback c2
22 tick
52 tick
53 callback-ok c2
70 tick
"#,
        expect![[r#"
            0 login a1 q1
              a1: available idle
            0 login a2 q1
              a2: available idle
            1 arrive c1 q1
              offer c1 -> a1
              a1: available offered(c1)
              offer c1 -> a2
              a2: available offered(c1)
            5 end c1
              cancel-offer c1 -> a1
              a1: available idle
              cancel-offer c1 -> a2
              a2: available idle
            6 arrive c2 q1
              offer c2 -> a1
              a1: available offered(c2)
              offer c2 -> a2
              a2: available offered(c2)
            7 callback c2
              cancel-offer c2 -> a1
              a1: available idle
              cancel-offer c2 -> a2
              a2: available idle
              place-callback c2 -> a1
              a1: available reserved(c2)
            22 timeout
              cancel-offer c2 -> a1
              a1: available idle
            22 tick
            52 timeout
              place-callback c2 -> a1
              a1: available reserved(c2)
            52 tick
            53 callback-ok c2
              a1: available talking(c2)
            70 tick
        "#]],
    );
}

#[test]
fn absent_agent_does_not_block_escalation() {
    // Regression (app_queue penalty escalation): an idle agent in the better
    // group whose phone is gone must not hold calls back from the next group.
    check(
        r#"
queue q1
0 login a1 q1:0
0 login a2 q1:1
0 unregister a1
1 arrive c1 q1
2 answer c1 a2
3 register a1
4 arrive c2 q1
5 login a3 q1:1
5 arrive c3 q1
"#,
        expect![[r#"
            0 login a1 q1:0
              a1: available idle
            0 login a2 q1:1
              a2: available idle
            0 unregister a1
              a1: available idle unreachable
            1 arrive c1 q1
              offer c1 -> a2
              a2: available offered(c1)
            2 answer c1 a2
              a2: available talking(c1)
            3 register a1
              a1: available idle
            4 arrive c2 q1
              offer c2 -> a1
              a1: available offered(c2)
            5 login a3 q1:1
              a3: available idle
            5 arrive c3 q1
              offer c3 -> a3
              a3: available offered(c3)
        "#]],
    );
}

#[test]
fn skill_steps_loosen_over_time() {
    check(
        r#"
queue q1 ring=30
0 login a1 q1 skills=en:5
0 login a2 q1 skills=es:2
1 arrive c1 q1 steps=es:4/10,es:2/20
1 arrive c2 q1 steps=tax:1
12 tick
13 reject c1 a2
40 tick
41 skills a1 tax:3
"#,
        expect![[r#"
            0 login a1 q1 skills=en:5
              a1: available idle
            0 login a2 q1 skills=es:2
              a2: available idle
            1 arrive c1 q1 steps=es:4/10,es:2/20
            1 arrive c2 q1 steps=tax:1
            11 timeout
              offer c1 -> a2
              a2: available offered(c1)
            12 tick
            13 reject c1 a2
              a2: available missed(until 23)
            23 timeout
              a2: available idle
              offer c1 -> a2
              a2: available offered(c1)
            40 tick
            41 skills a1 tax:3
              offer c2 -> a1
              a1: available offered(c2)
        "#]],
    );
}

#[test]
fn skill_escalation_skips_absent_agent() {
    // Regression: the qualifying expert is idle but unregistered, so the call
    // must escalate to the looser step instead of waiting for them.
    check(
        r#"
queue q1
0 login a1 q1 skills=es:5
0 login a2 q1 skills=es:1
0 unregister a1
1 arrive c1 q1 steps=es:4/10
11 tick
"#,
        expect![[r#"
            0 login a1 q1 skills=es:5
              a1: available idle
            0 login a2 q1 skills=es:1
              a2: available idle
            0 unregister a1
              a1: available idle unreachable
            1 arrive c1 q1 steps=es:4/10
            11 timeout
              offer c1 -> a2
              a2: available offered(c1)
            11 tick
        "#]],
    );
}

#[test]
fn priority_rises_with_waiting_time() {
    check(
        r#"
queue q1
priority-step 60
0 login a1 q1
0 busy a1
0 arrive c1 q1
30 arrive c2 q1 prio=1
100 arrive c3 q1
130 arrive c4 q1 prio=1
200 free a1
201 answer c2 a1
202 end c2
203 answer c1 a1
204 end c1
205 answer c4 a1
206 end c4
207 answer c3 a1
"#,
        expect![[r#"
            0 login a1 q1
              a1: available idle
            0 busy a1
              a1: available other-call
            0 arrive c1 q1
            30 arrive c2 q1 prio=1
            100 arrive c3 q1
            130 arrive c4 q1 prio=1
            200 free a1
              a1: available idle
              offer c2 -> a1
              a1: available offered(c2)
            201 answer c2 a1
              a1: available talking(c2)
            202 end c2
              a1: available idle
              offer c1 -> a1
              a1: available offered(c1)
            203 answer c1 a1
              a1: available talking(c1)
            204 end c1
              a1: available idle
              offer c4 -> a1
              a1: available offered(c4)
            205 answer c4 a1
              a1: available talking(c4)
            206 end c4
              a1: available idle
              offer c3 -> a1
              a1: available offered(c3)
            207 answer c3 a1
              a1: available talking(c3)
        "#]],
    );
}

#[test]
fn preferred_agent_is_waited_for() {
    check(
        r#"
queue q1
0 login a1 q1
0 login a2 q1
0 busy a2
1 arrive c1 q1 preferred=a2/30
5 free a2
6 answer c1 a2
7 arrive c2 q1 preferred=a2/10
17 tick
18 arrive c3 q1 preferred=a9/10
"#,
        expect![[r#"
            0 login a1 q1
              a1: available idle
            0 login a2 q1
              a2: available idle
            0 busy a2
              a2: available other-call
            1 arrive c1 q1 preferred=a2/30
            5 free a2
              a2: available idle
              offer c1 -> a2
              a2: available offered(c1)
            6 answer c1 a2
              a2: available talking(c1)
            7 arrive c2 q1 preferred=a2/10
            17 timeout
              offer c2 -> a1
              a1: available offered(c2)
            17 tick
            18 arrive c3 q1 preferred=a9/10
        "#]],
    );
}

#[test]
fn overflow_rules() {
    check(
        r#"
queue q1 max-wait=30:q2 max-waiting=2:voicemail
queue q2 no-agents=hangup
queue q3 no-agents=callback max-wait=10:callback
0 login a9 q2
0 busy a9
1 arrive c1 q1
2 arrive c2 q1
3 arrive c3 q1
4 arrive c4 q3
5 login a3 q3
5 busy a3
6 arrive c5 q3
16 tick
17 callback c5
31 tick
40 logout a9
"#,
        expect![[r#"
            0 login a9 q2
              a9: available idle
            0 busy a9
              a9: available other-call
            1 arrive c1 q1
            2 arrive c2 q1
            3 arrive c3 q1
              overflow c3 -> voicemail
            4 arrive c4 q3
              overflow c4 -> callback-offer
            5 login a3 q3
              a3: available idle
            5 busy a3
              a3: available other-call
            6 arrive c5 q3
            16 timeout
              overflow c5 -> callback-offer
            16 tick
            17 callback c5
            31 timeout
              overflow c1 -> q2
            31 tick
            32 timeout
              overflow c2 -> q2
            40 logout a9
              a9: logged-out other-call
              overflow c1 -> hangup(message 1)
              overflow c2 -> hangup(message 1)
        "#]],
    );
}

#[test]
fn position_announcements() {
    check(
        r#"
queue q1 announce=30 aht=120
0 login a1 q1
0 login a2 q1
0 busy a1
0 busy a2
1 arrive c1 q1
2 arrive c2 q1 prio=1
20 arrive c3 q1
45 end c1
61 tick
"#,
        expect![[r#"
            0 login a1 q1
              a1: available idle
            0 login a2 q1
              a2: available idle
            0 busy a1
              a1: available other-call
            0 busy a2
              a2: available other-call
            1 arrive c1 q1
            2 arrive c2 q1 prio=1
            20 arrive c3 q1
            31 timeout
              announce c2 position 1 wait 60
              announce c1 position 2 wait 120
            45 end c1
            61 timeout
              announce c2 position 1 wait 60
              announce c3 position 2 wait 120
            61 tick
        "#]],
    );
}

#[test]
fn callbacks_keep_place_and_retry() {
    check(
        r#"
queue q1 wrap=5
callback attempts=2 delay=60 timeout=30
0 login a1 q1
0 busy a1
1 arrive c1 q1
2 arrive c2 q1
3 callback c1
10 free a1
11 callback-unreachable c1
12 answer c2 a1
20 end c2
71 callback-unreachable c1
100 schedule c3 q1 at=200
200 tick
201 callback-ok c3
210 end c3
"#,
        expect![[r#"
            0 login a1 q1
              a1: available idle
            0 busy a1
              a1: available other-call
            1 arrive c1 q1
            2 arrive c2 q1
            3 callback c1
            10 free a1
              a1: available idle
              place-callback c1 -> a1
              a1: available reserved(c1)
            11 callback-unreachable c1
              a1: available idle
              offer c2 -> a1
              a1: available offered(c2)
            12 answer c2 a1
              a1: available talking(c2)
            20 end c2
              a1: available wrap-up(until 25)
            25 timeout
              a1: available idle
            71 timeout
              place-callback c1 -> a1
              a1: available reserved(c1)
            71 callback-unreachable c1
              callback-failed c1 after 2 attempts
              a1: available idle
            100 schedule c3 q1 at=200
            200 timeout
              callback-due c3 in q1
              place-callback c3 -> a1
              a1: available reserved(c3)
            200 tick
            201 callback-ok c3
              a1: available talking(c3)
            210 end c3
              a1: available wrap-up(until 215)
        "#]],
    );
}

#[test]
fn reconciliation_repairs_stale_state() {
    check(
        r#"
queue q1 wrap=5
0 login a1 q1
0 login a2 q1
1 arrive c1 q1
2 answer c1 a1
3 arrive c2 q1
10 reconcile calls=c2,c7 agents=a1
"#,
        expect![[r#"
            0 login a1 q1
              a1: available idle
            0 login a2 q1
              a2: available idle
            1 arrive c1 q1
              offer c1 -> a1
              a1: available offered(c1)
            2 answer c1 a1
              a1: available talking(c1)
            3 arrive c2 q1
              offer c2 -> a2
              a2: available offered(c2)
            10 reconcile calls=c2,c7 agents=a1
              repaired: c1 vanished
              a1: available wrap-up(until 15)
              repaired: c7 unknown
              repaired: a2 reachable=false
              cancel-offer c2 -> a2
              a2: available idle unreachable
        "#]],
    );
}

#[test]
fn agent_in_several_queues_serves_best_group_first() {
    check(
        r#"
queue q1
queue q2
0 login a1 q1:2 q2:1
0 busy a1
1 arrive c1 q1
2 arrive c2 q2
3 free a1
4 answer c2 a1
5 end c2
6 answer c1 a1
"#,
        expect![[r#"
            0 login a1 q1:2 q2:1
              a1: available idle
            0 busy a1
              a1: available other-call
            1 arrive c1 q1
            2 arrive c2 q2
            3 free a1
              a1: available idle
              offer c2 -> a1
              a1: available offered(c2)
            4 answer c2 a1
              a1: available talking(c2)
            5 end c2
              a1: available idle
              offer c1 -> a1
              a1: available offered(c1)
            6 answer c1 a1
              a1: available talking(c1)
        "#]],
    );
}

#[test]
fn status_changes_during_an_offer() {
    check(
        r#"
queue q1
0 login a1 q1
0 login a2 q1
1 arrive c1 q1
2 pause a1 7
3 logout a2
4 unpause a1
5 answer c1 a1
6 logout a1
7 end c1
"#,
        expect![[r#"
            0 login a1 q1
              a1: available idle
            0 login a2 q1
              a2: available idle
            1 arrive c1 q1
              offer c1 -> a1
              a1: available offered(c1)
            2 pause a1 7
              cancel-offer c1 -> a1
              a1: available idle
              a1: paused(7) idle
              offer c1 -> a2
              a2: available offered(c1)
            3 logout a2
              cancel-offer c1 -> a2
              a2: available idle
              a2: logged-out idle
            4 unpause a1
              a1: available idle
              offer c1 -> a1
              a1: available offered(c1)
            5 answer c1 a1
              a1: available talking(c1)
            6 logout a1
              a1: logged-out talking(c1)
            7 end c1
              a1: logged-out idle
        "#]],
    );
}

#[test]
fn rejected_inputs() {
    check(
        r#"
queue q1
0 login a1 q9
0 login a1 q1 skills=es:7
0 login a1 q1
1 arrive c1 q1
1 arrive c1 q1
2 answer c9 a1
3 transfer c1 q1
4 callback c5
5 pause a5
"#,
        expect![[r#"
            0 login a1 q9
              error: unknown queue q9
            0 login a1 q1 skills=es:7
              error: skill level 7 is outside 1 to 5
            0 login a1 q1
              a1: available idle
            1 arrive c1 q1
              offer c1 -> a1
              a1: available offered(c1)
            1 arrive c1 q1
              error: duplicate call c1
            2 answer c9 a1
              error: unknown call c9
            3 transfer c1 q1
              error: call c1 is not talking to an agent
            4 callback c5
              error: unknown call c5
            5 pause a5
              error: unknown agent a5
        "#]],
    );
}

#[test]
fn the_wait_limit_lets_a_ringing_offer_finish() {
    // c1 reaches its 30 s limit while a1's phone rings (offered at 25, rings until 40): the
    // caller is not pulled away, and a1 answers at 35. c2's limit (66) falls during a1's second
    // unanswered ring (65 to 80) and waits for it; a1 is offered c2 again at once at 80, but a
    // limit is deferred only once: c2 overflows just after 80.
    check(
        r#"
queue q1 ring=15 missed-delay=0 max-wait=30:voicemail
0 login a1 q1
0 busy a1
1 arrive c1 q1
25 free a1
35 answer c1 a1
36 arrive c2 q1
50 end c1
90 tick
"#,
        expect![[r#"
            0 login a1 q1
              a1: available idle
            0 busy a1
              a1: available other-call
            1 arrive c1 q1
            25 free a1
              a1: available idle
              offer c1 -> a1
              a1: available offered(c1)
            35 answer c1 a1
              a1: available talking(c1)
            36 arrive c2 q1
            50 end c1
              a1: available idle
              offer c2 -> a1
              a1: available offered(c2)
            65 timeout
              cancel-offer c2 -> a1
              a1: available idle
              offer c2 -> a1
              a1: available offered(c2)
            80 timeout
              cancel-offer c2 -> a1
              a1: available idle
              offer c2 -> a1
              a1: available offered(c2)
            80.001 timeout
              cancel-offer c2 -> a1
              a1: available idle
              overflow c2 -> voicemail
            90 tick
        "#]],
    );
}

#[test]
fn moving_an_agent_between_queues_keeps_their_pause_and_routes_from_the_new_queue() {
    check(
        r#"
queue q1
queue q2
0 login a1 q1
1 pause a1 2
2 login a1 q2
3 arrive c1 q2
4 unpause a1
5 arrive c2 q1
"#,
        expect![[r#"
            0 login a1 q1
              a1: available idle
            1 pause a1 2
              a1: paused(2) idle
            2 login a1 q2
              a1: paused(2) idle
            3 arrive c1 q2
            4 unpause a1
              a1: available idle
              offer c1 -> a1
              a1: available offered(c1)
            5 arrive c2 q1
        "#]],
    );
}
