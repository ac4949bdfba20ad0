//! Erlang formulas against textbook values and the direct factorial formula.

use std::fmt::Write as _;

use expect_test::{Expect, expect};

use crate::erlang::{agents_needed, average_speed_of_answer, occupancy, probability_of_waiting, service_level};

/// Each line: `load handle_secs target_secs agents...`; prints P_w, SL, ASA
/// and occupancy per agent count, and checks P_w against the direct formula.
fn check(table: &str, expect: Expect) {
    let mut out = String::new();
    for line in table.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let nums: Vec<f64> = line.split_whitespace().map(|w| w.parse().expect("number")).collect();
        let (load, handle, target) = (nums[0], nums[1], nums[2]);
        let _ = writeln!(out, "A={load} h={handle}s T={target}s");
        for &agents in &nums[3..] {
            let agents = agents as u32;
            let p_wait = probability_of_waiting(agents, load);
            let direct = direct_erlang_c(agents, load);
            // The direct formula overflows for large loads; that is why the
            // engine uses the recurrence.
            if direct.is_finite() {
                assert!((p_wait - direct).abs() < 1e-9, "recurrence {p_wait} differs from direct {direct}");
            }
            let _ = writeln!(
                out,
                "  N={agents}: P_w={p_wait:.4} SL={:.4} ASA={:.1}s occ={:.3}",
                service_level(agents, load, handle, target),
                average_speed_of_answer(agents, load, handle),
                occupancy(agents, load),
            );
        }
        let _ = writeln!(out, "  needed for 80%: {:?}", agents_needed(load, handle, target, 0.8));
    }
    expect.assert_eq(&out);
}

/// The formula in the telephony reference, term by term.
fn direct_erlang_c(agents: u32, load: f64) -> f64 {
    let n = f64::from(agents);
    if load >= n {
        return 1.0;
    }
    let mut term = 1.0;
    let mut sum = 0.0;
    for k in 0..agents {
        sum += term;
        term *= load / f64::from(k + 1);
    }
    let top = term * n / (n - load);
    top / (sum + top)
}

#[test]
fn textbook_values() {
    // A=10 (100 calls in 30 minutes at 180 s) and the classic 360 calls/h at
    // 240 s (A=24); the large load checks numerical stability.
    check(
        "
10 180 20 11 12 13 14 15
24 240 20 25 26 27 28 30 33
1000 180 20 1010 1030 1060
",
        expect![[r#"
            A=10 h=180s T=20s
              N=11: P_w=0.6821 SL=0.3896 ASA=122.8s occ=0.909
              N=12: P_w=0.4494 SL=0.6402 ASA=40.4s occ=0.833
              N=13: P_w=0.2853 SL=0.7956 ASA=17.1s occ=0.769
              N=14: P_w=0.1741 SL=0.8884 ASA=7.8s occ=0.714
              N=15: P_w=0.1020 SL=0.9415 ASA=3.7s occ=0.667
              needed for 80%: Some(14)
            A=24 h=240s T=20s
              N=25: P_w=0.7785 SL=0.2837 ASA=186.9s occ=0.960
              N=26: P_w=0.5967 SL=0.4949 ASA=71.6s occ=0.923
              N=27: P_w=0.4498 SL=0.6497 ASA=36.0s occ=0.889
              N=28: P_w=0.3331 SL=0.7613 ASA=20.0s occ=0.857
              N=30: P_w=0.1729 SL=0.8952 ASA=6.9s occ=0.800
              N=33: P_w=0.0556 SL=0.9737 ASA=1.5s occ=0.727
              needed for 80%: Some(29)
            A=1000 h=180s T=20s
              N=1010: P_w=0.6605 SL=0.7826 ASA=11.9s occ=0.990
              N=1030: P_w=0.2489 SL=0.9911 ASA=1.5s occ=0.971
              N=1060: P_w=0.0368 SL=1.0000 ASA=0.1s occ=0.943
              needed for 80%: Some(1011)
        "#]],
    );
}
