//! The simulator against Erlang C, and the stress workload at small scale.

use std::fmt::Write as _;

use expect_test::{Expect, expect};

use crate::config::Strategy;
use crate::erlang;
use crate::ids::Millis;
use crate::sim::{HandleTime, SimConfig, Stress, simulate};

/// Each line: `seed agents calls_per_hour handle_secs hours`; runs one
/// queue with exponential handle times and compares with Erlang C at T=20 s.
fn check(table: &str, expect: Expect) {
    let mut out = String::new();
    for line in table.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let nums: Vec<u64> = line.split_whitespace().map(|w| w.parse().expect("number")).collect();
        let (seed, agents, rate, handle, hours) = (nums[0], nums[1] as u32, nums[2], nums[3], nums[4]);
        let config = SimConfig {
            seed,
            agents,
            arrivals_per_hour: vec![rate as f64; hours as usize * 4],
            interval: Millis::from_secs(900),
            handle_time: HandleTime::Exponential { mean: Millis::from_secs(handle) },
            strategy: Strategy::LongestIdle,
            wrap_up: Millis::ZERO,
            service_level_target: Millis::from_secs(20),
        };
        let report = simulate(&config);
        let load = rate as f64 * handle as f64 / 3600.0;
        let predicted = erlang::service_level(agents, load, handle as f64, 20.0);
        let gap = (report.service_level - predicted) * 100.0;
        assert!(gap.abs() < 1.0, "simulated SL {} vs Erlang C {predicted}", report.service_level);
        let _ = writeln!(
            out,
            "A={load} N={agents}: offered {} answered {} SL {:.2}% (Erlang C {:.2}%) ASA {:.1}s (Erlang C {:.1}s) occupancy {:.3}",
            report.offered,
            report.answered,
            report.service_level * 100.0,
            predicted * 100.0,
            report.average_speed_of_answer,
            erlang::average_speed_of_answer(agents, load, handle as f64),
            report.occupancy,
        );
    }
    let mut stress = Stress::new(7, 300, 20, 600);
    let outputs: usize = (0..3000).map(|_| stress.step()).sum();
    let problems = stress.engine().check_invariants();
    let _ = writeln!(out, "stress: {outputs} outputs, invariant problems {problems:?}");
    expect.assert_eq(&out);
}

#[test]
fn simulation_matches_erlang_c() {
    check(
        "
2 10 200 144 1000
",
        expect![[r#"
            A=8 N=10: offered 199437 answered 199437 SL 68.85% (Erlang C 69.01%) ASA 30.1s (Erlang C 29.5s) occupancy 0.799
            stress: 5202 outputs, invariant problems []
        "#]],
    );
}
