//! KPI computation from event scripts (format in `crate::testing`).

use std::fmt::Write as _;

use expect_test::{Expect, expect};

use crate::ids::Millis;
use crate::stats::{StatsConfig, compute};
use crate::testing::{run_script, secs};

/// The first line is `stats target=SECS short=SECS end=SECS`; the rest is a script.
fn check(script: &str, expect: Expect) {
    let script = script.trim_start();
    let (header, body) = script.split_once('\n').expect("header line");
    let opts: Vec<(&str, &str)> = header.split_whitespace().filter_map(|w| w.split_once('=')).collect();
    let opt = |key: &str| secs(opts.iter().find(|(k, _)| *k == key).expect("option").1);
    let config = StatsConfig {
        interval: Millis::from_secs(900),
        service_level_target: opt("target"),
        short_abandon: opt("short"),
    };
    let run = run_script(body);
    if std::env::var_os("ACD_TRACE").is_some() {
        eprintln!("{}", run.trace);
    }
    let mut out = String::new();
    for s in compute(&config, run.engine.events(), opt("end")) {
        let pct = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{:.1}%", v * 100.0));
        let ms = |v: Option<Millis>| v.map_or("-".to_owned(), |v| format!("{v}s"));
        let _ = writeln!(
            out,
            "{} @{}: offered {} answered {} ({} within) abandoned {} ({} within, {} short) overflowed {} callbacks {}/{}/{}",
            s.queue, s.start, s.offered, s.answered, s.answered_within, s.abandoned, s.abandoned_within,
            s.short_abandoned, s.overflowed, s.callbacks_requested, s.callbacks_completed, s.callbacks_failed,
        );
        let _ = writeln!(
            out,
            "  SL {} SL2 {} SL-offered {} abandon {} ASA {} AHT {} longest {}s occupancy {} (busy {}s available {}s)",
            pct(s.service_level()),
            pct(s.service_level_2()),
            pct(s.service_level_offered()),
            pct(s.abandon_rate()),
            ms(s.average_speed_of_answer()),
            ms(s.average_handle_time()),
            s.longest_wait,
            pct(s.occupancy()),
            s.busy,
            s.available,
        );
    }
    expect.assert_eq(&out);
}

#[test]
fn interval_kpis() {
    check(
        r#"
stats target=20 short=5 end=1800
queue q1 wrap=10 max-wait=120:voicemail
0 login a1 q1
0 login a2 q1
10 arrive c1 q1
12 answer c1 a1
20 arrive c2 q1
45 answer c2 a2
100 end c1
145 end c2
200 busy a1
200 busy a2
200 arrive c3 q1
200 arrive c4 q1
203 end c3
230 end c4
300 arrive c5 q1
310 callback c5
400 arrive c6 q1
880 arrive c7 q1
900 free a1
901 callback-ok c5
960 end c5
970 free a2
980 answer c7 a1
1100 end c7
"#,
        expect![[r#"
            q1 @0: offered 6 answered 3 (1 within) abandoned 1 (0 within, 1 short) overflowed 1 callbacks 1/0/0
              SL 33.3% SL2 25.0% SL-offered 25.0% abandon 16.7% ASA 42.333s AHT 104s longest 120s occupancy 52.0% (busy 208s available 192s)
            q1 @900: offered 0 answered 0 (0 within) abandoned 0 (0 within, 0 short) overflowed 0 callbacks 0/1/0
              SL - SL2 - SL-offered - abandon - ASA - AHT 94.5s longest 0s occupancy 51.4% (busy 889s available 841s)
        "#]],
    );
}
