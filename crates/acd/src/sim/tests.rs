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
            staffing: Vec::new(),
            patience: None,
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

/// Staffing per interval and caller patience: fewer agents in the second
/// hour raise abandons; totals add up across intervals.
#[test]
fn staffing_changes_and_callers_abandon() {
    let config = SimConfig {
        seed: 11,
        agents: 0,
        staffing: vec![12, 12, 12, 12, 6, 6, 6, 6],
        patience: Some(Millis::from_secs(60)),
        arrivals_per_hour: vec![200.0; 8],
        interval: Millis::from_secs(900),
        handle_time: HandleTime::LogNormal { mean: Millis::from_secs(150), std_dev: Millis::from_secs(90) },
        strategy: Strategy::LongestIdle,
        wrap_up: Millis::from_secs(10),
        service_level_target: Millis::from_secs(20),
    };
    let report = simulate(&config);
    let mut total = crate::stats::IntervalStats::empty(crate::ids::QueueId(1), Millis::ZERO);
    let mut out = String::new();
    for s in &report.intervals {
        total.add(s);
        let _ = writeln!(
            out,
            "@{}: offered {} answered {} abandoned {} SL {:.1}% SL2 {:.1}%",
            s.start,
            s.offered,
            s.answered,
            s.abandoned,
            s.service_level().unwrap_or(0.0) * 100.0,
            s.service_level_2().unwrap_or(0.0) * 100.0,
        );
    }
    assert_eq!(total.offered, report.offered);
    assert_eq!(total.answered, report.answered);
    assert_eq!(total.offered, total.answered + total.abandoned);
    let _ = writeln!(out, "total: offered {} answered {} abandoned {}", total.offered, total.answered, total.abandoned);
    expect![[r#"
        @0: offered 46 answered 45 abandoned 1 SL 93.3% SL2 93.5%
        @900: offered 49 answered 49 abandoned 0 SL 100.0% SL2 100.0%
        @1800: offered 59 answered 57 abandoned 2 SL 89.5% SL2 88.1%
        @2700: offered 74 answered 59 abandoned 15 SL 62.7% SL2 66.2%
        @3600: offered 51 answered 32 abandoned 19 SL 50.0% SL2 54.9%
        @4500: offered 56 answered 35 abandoned 21 SL 42.9% SL2 50.0%
        @5400: offered 44 answered 29 abandoned 15 SL 44.8% SL2 50.0%
        @6300: offered 54 answered 34 abandoned 20 SL 55.9% SL2 61.1%
        @7200: offered 0 answered 0 abandoned 0 SL 0.0% SL2 0.0%
        total: offered 433 answered 340 abandoned 93
    "#]].assert_eq(&out);
}
