//! Delay histogram tests: bucket edges, sums and maxima, the recent-window maximum, merging
//! readings, and recording from several threads at once.

use expect_test::{Expect, expect};

use crate::Millis;
use crate::delay::{BOUNDS_US, DelayHistogram, DelaySnapshot};

/// Runs `input`: "AT_MS DELAY_US" lines record a delay, "read AT_MS" lines print a reading.
/// Without any "read" line, one reading is printed at the end, at the last record's time.
fn check(input: &str, expect: Expect) {
    let histogram = DelayHistogram::new();
    let mut out = String::new();
    let mut last = 0;
    for line in input.lines().map(str::trim).filter(|line| !line.is_empty()) {
        let (first, second) = line.split_once(' ').expect("two words");
        if first == "read" {
            let at = second.parse().expect("read at");
            out += &format!(
                "read at {at} ms: {}",
                render(&histogram.snapshot(Millis(at)))
            );
        } else {
            last = first.parse().expect("at");
            histogram.record(Millis(last), second.parse().expect("delay"));
        }
    }
    if out.is_empty() {
        out = render(&histogram.snapshot(Millis(last)));
    }
    expect.assert_eq(&out);
}

fn render(snapshot: &DelaySnapshot) -> String {
    let labels = BOUNDS_US
        .iter()
        .map(|bound| format!("<{}ms", bound / 1000))
        .chain(std::iter::once(">=50ms".to_owned()));
    let buckets: Vec<String> = labels
        .zip(snapshot.counts)
        .map(|(label, count)| format!("{label} {count}"))
        .collect();
    format!(
        "{}\n  count {} sum {}us max {}us recent max {}us cumulative {:?}\n",
        buckets.join(", "),
        snapshot.count(),
        snapshot.sum_us,
        snapshot.max_us,
        snapshot.recent_max_us,
        snapshot.cumulative(),
    )
}

#[test]
fn empty() {
    check(
        "",
        expect![[r#"
            <1ms 0, <2ms 0, <5ms 0, <10ms 0, <20ms 0, <50ms 0, >=50ms 0
              count 0 sum 0us max 0us recent max 0us cumulative [0, 0, 0, 0, 0, 0, 0]
        "#]],
    );
}

#[test]
fn bucket_edges_are_exclusive_upper_bounds() {
    check(
        "
        0 0
        0 999
        0 1000
        0 1999
        0 2000
        0 4999
        0 5000
        0 9999
        0 10000
        0 19999
        0 20000
        0 49999
        0 50000
        0 3000000
        ",
        expect![[r#"
            <1ms 2, <2ms 2, <5ms 2, <10ms 2, <20ms 2, <50ms 2, >=50ms 2
              count 14 sum 3175994us max 3000000us recent max 3000000us cumulative [2, 4, 6, 8, 10, 12, 14]
        "#]],
    );
}

#[test]
fn recent_max_covers_this_window_and_the_one_before() {
    // Windows are 5 s: 0-4999 ms is window 0, 5000-9999 ms window 1, and so on.
    check(
        "
        500 30000
        4999 40000
        read 4999
        5000 7000
        read 9999
        12500 1500
        read 14999
        read 20000
        ",
        expect![[r#"
            read at 4999 ms: <1ms 0, <2ms 0, <5ms 0, <10ms 0, <20ms 0, <50ms 2, >=50ms 0
              count 2 sum 70000us max 40000us recent max 40000us cumulative [0, 0, 0, 0, 0, 2, 2]
            read at 9999 ms: <1ms 0, <2ms 0, <5ms 0, <10ms 1, <20ms 0, <50ms 2, >=50ms 0
              count 3 sum 77000us max 40000us recent max 40000us cumulative [0, 0, 0, 1, 1, 3, 3]
            read at 14999 ms: <1ms 0, <2ms 1, <5ms 0, <10ms 1, <20ms 0, <50ms 2, >=50ms 0
              count 4 sum 78500us max 40000us recent max 7000us cumulative [0, 1, 1, 2, 2, 4, 4]
            read at 20000 ms: <1ms 0, <2ms 1, <5ms 0, <10ms 1, <20ms 0, <50ms 2, >=50ms 0
              count 4 sum 78500us max 40000us recent max 0us cumulative [0, 1, 1, 2, 2, 4, 4]
        "#]],
    );
}

#[test]
fn a_late_record_never_hides_a_newer_window() {
    // A thread that records with an older `now` than another one already did (windows 3 then 1,
    // same slot parity) must not replace the newer window's entry.
    check(
        "
        17500 900
        7500 60000
        read 19500
        ",
        expect![[r#"
            read at 19500 ms: <1ms 1, <2ms 0, <5ms 0, <10ms 0, <20ms 0, <50ms 0, >=50ms 1
              count 2 sum 60900us max 60000us recent max 900us cumulative [1, 1, 1, 1, 1, 1, 2]
        "#]],
    );
}

#[test]
fn merge_adds_counts_and_keeps_the_largest_maxima() {
    let a = DelayHistogram::new();
    let b = DelayHistogram::new();
    a.record(Millis(0), 300);
    a.record(Millis(0), 25_000);
    b.record(Millis(0), 1_200);
    b.record(Millis(0), 70_000);
    b.record(Millis(0), 150);
    let merged = a.snapshot(Millis(0)).merge(&b.snapshot(Millis(0)));
    expect![[r#"
        <1ms 2, <2ms 1, <5ms 0, <10ms 0, <20ms 0, <50ms 1, >=50ms 1
          count 5 sum 96650us max 70000us recent max 70000us cumulative [2, 3, 3, 3, 3, 4, 5]
    "#]]
    .assert_eq(&render(&merged));
    assert_eq!(merged, DelaySnapshot::default().merge(&merged));
}

#[test]
fn concurrent_recording_loses_nothing() {
    let histogram = DelayHistogram::new();
    std::thread::scope(|scope| {
        for thread in 0..4u64 {
            let histogram = &histogram;
            scope.spawn(move || {
                for i in 0..10_000u64 {
                    histogram.record(Millis(i), (i * 7 + thread) % 60_000);
                }
            });
        }
    });
    let snapshot = histogram.snapshot(Millis(9_999));
    let expected_sum: u64 = (0..4u64)
        .flat_map(|thread| (0..10_000u64).map(move |i| (i * 7 + thread) % 60_000))
        .sum();
    assert_eq!(snapshot.count(), 40_000);
    assert_eq!(snapshot.sum_us, expected_sum);
    assert_eq!(snapshot.max_us, 59_999);
    assert_eq!(snapshot.recent_max_us, 59_999);
}
