//! Tests of civil dates: parsing, day counts, weekdays and day and month arithmetic.

use expect_test::{Expect, expect};

use crate::date::{Date, Weekday, days_from_civil};

/// Each input line is a date text, optionally followed by operations (`+3d`, `-1d`, `+1m`,
/// `-13m`), each applied to the parsed date.
fn check(input: &str, expect: Expect) {
    let mut actual = String::new();
    for line in input.lines().filter(|line| !line.trim().is_empty()) {
        let mut words = line.split_whitespace();
        let text = words.next().unwrap_or_default();
        let date = match text.parse::<Date>() {
            Ok(date) => date,
            Err(err) => {
                actual += &format!("{text:?}: error: {err}\n");
                continue;
            }
        };
        actual += &format!(
            "{date} {} {}",
            date.weekday().short_name(),
            date.days_since_epoch()
        );
        for op in words {
            let (amount, unit) = op.split_at(op.len() - 1);
            let amount: i32 = amount.parse().unwrap_or_default();
            let result = match unit {
                "d" => date.add_days(i64::from(amount)),
                "m" => date.add_months(amount),
                _ => None,
            };
            match result {
                Some(result) => actual += &format!(" | {op} {result}"),
                None => actual += &format!(" | {op} out of range"),
            }
        }
        actual += "\n";
    }
    expect.assert_eq(&actual);
}

#[test]
fn parse_and_day_counts() {
    check(
        "
1970-01-01 +1d -1d
2000-02-29 +365d +366d
2025-04-20
0001-01-01 -1d
9999-12-31 +1d
1900-03-01 -1d
",
        expect![[r#"
            1970-01-01 thu 0 | +1d 1970-01-02 | -1d 1969-12-31
            2000-02-29 tue 11016 | +365d 2001-02-28 | +366d 2001-03-01
            2025-04-20 sun 20198
            0001-01-01 mon -719162 | -1d out of range
            9999-12-31 fri 2932896 | +1d out of range
            1900-03-01 thu -25508 | -1d 1900-02-28
        "#]],
    );
}

#[test]
fn parse_errors() {
    check(
        "
2025-02-29
2024-02-29
2025-13-01
2025-00-10
2025-04-31
0000-01-01
2025-4-20
2025/04/20
+025-04-20
2025-04-2x
2025-04-20T00:00
25-04-2025
ж025-04-20
",
        expect![[r#"
            "2025-02-29": error: day 29 does not exist in 2025-02
            2024-02-29 thu 19782
            "2025-13-01": error: month 13 is outside 1..=12
            "2025-00-10": error: month 0 is outside 1..=12
            "2025-04-31": error: day 31 does not exist in 2025-04
            "0000-01-01": error: year 0 is outside 1..=9999
            "2025-4-20": error: date must look like YYYY-MM-DD
            "2025/04/20": error: date must look like YYYY-MM-DD
            "+025-04-20": error: date must look like YYYY-MM-DD
            "2025-04-2x": error: date must look like YYYY-MM-DD
            "2025-04-20T00:00": error: date must look like YYYY-MM-DD
            "25-04-2025": error: date must look like YYYY-MM-DD
            "ж025-04-20": error: date must look like YYYY-MM-DD
        "#]],
    );
}

#[test]
fn month_arithmetic_clamps_to_month_end() {
    check(
        "
2025-01-31 +1m +2m +3m -1m -2m +12m +13m
2024-02-29 +12m +48m -12m
2025-12-15 +1m -12m -24m
0001-02-01 -1m -2m
9999-11-30 +1m +2m
",
        expect![[r#"
            2025-01-31 fri 20119 | +1m 2025-02-28 | +2m 2025-03-31 | +3m 2025-04-30 | -1m 2024-12-31 | -2m 2024-11-30 | +12m 2026-01-31 | +13m 2026-02-28
            2024-02-29 thu 19782 | +12m 2025-02-28 | +48m 2028-02-29 | -12m 2023-02-28
            2025-12-15 mon 20437 | +1m 2026-01-15 | -12m 2024-12-15 | -24m 2023-12-15
            0001-02-01 thu -719131 | -1m 0001-01-01 | -2m out of range
            9999-11-30 tue 2932865 | +1m 9999-12-30 | +2m out of range
        "#]],
    );
}

#[test]
fn days_roundtrip_for_every_day_of_1900_to_2099() {
    let first = days_from_civil(1900, 1, 1);
    let last = days_from_civil(2099, 12, 31);
    let mut previous: Option<Date> = None;
    for days in first..=last {
        let date = Date::from_days_since_epoch(days);
        let Some(date) = date else {
            panic!("day {days} has no date")
        };
        assert_eq!(date.days_since_epoch(), days);
        assert_eq!(Date::new(date.year(), date.month(), date.day()), Ok(date));
        assert_eq!(date.to_string().parse::<Date>(), Ok(date));
        if let Some(previous) = previous {
            assert!(previous < date);
            let expected = (previous.weekday().days_from_monday() + 1) % 7;
            assert_eq!(date.weekday().days_from_monday(), expected);
        }
        previous = Some(date);
    }
    assert_eq!(
        previous.map(|date| date.to_string()),
        Some("2099-12-31".to_owned())
    );
    assert_eq!(last - first + 1, 73_049);
    assert_eq!(Weekday::from_name("Sunday"), Some(Weekday::Sunday));
}

#[test]
fn days_roundtrip_over_the_whole_range() {
    let first = Date::MIN.days_since_epoch();
    let last = Date::MAX.days_since_epoch();
    for days in first..=last {
        let roundtrip = Date::from_days_since_epoch(days).map(Date::days_since_epoch);
        assert_eq!(roundtrip, Some(days));
    }
    assert_eq!(Date::from_days_since_epoch(first - 1), None);
    assert_eq!(Date::from_days_since_epoch(last + 1), None);
    assert_eq!(Date::from_days_since_epoch(i64::MAX), None);
    assert_eq!(Date::MIN.add_days(i64::MIN), None);
    assert_eq!(Date::MIN.add_months(i32::MIN), None);
    assert_eq!(Date::MAX.add_months(i32::MAX), None);
}
