//! Tests of statutory deadlines on the Bulgarian calendar.

use expect_test::{Expect, expect};

use crate::{
    date::Date,
    deadline::{Deadline, DeadlineRule},
    holidays::{Calendar, Overrides},
};

/// Each input line is `START RULE` where RULE is `Nwd` (working days), `Nd` (calendar days),
/// `Nm` (months) or the name of a preset; the calendar has the 2025-2026 decreed days off.
fn check(input: &str, expect: Expect) {
    let overrides = Overrides {
        days_off: vec![date("2025-12-31"), date("2026-01-02")],
        working_days: Vec::new(),
    };
    let Ok(calendar) = Calendar::bulgaria().with_overrides(&overrides) else {
        panic!("valid overrides")
    };
    let mut actual = String::new();
    for line in input.lines().filter(|line| !line.trim().is_empty()) {
        let Some((start, rule)) = line.split_once(' ') else {
            panic!("bad test line {line:?}")
        };
        let start = date(start);
        let (rule, label) = match preset(rule) {
            Some(deadline) => (
                deadline.rule,
                format!("{rule} ({}, {})", deadline.rule, deadline.legal_basis),
            ),
            None => (parse_rule(rule), rule.to_owned()),
        };
        let due = rule.due(&calendar, start);
        let days_left = due.map(|due| calendar.working_days_between(start, due));
        let shown = match due {
            Some(due) => format!("{due} {}", due.weekday().short_name()),
            None => "out of range".to_owned(),
        };
        actual += &format!(
            "{start} {} + {label}: {shown}, working days left {days_left:?}\n",
            start.weekday().short_name()
        );
    }
    expect.assert_eq(&actual);
}

fn date(text: &str) -> Date {
    match text.parse() {
        Ok(date) => date,
        Err(err) => panic!("bad fixture date {text:?}: {err}"),
    }
}

fn preset(name: &str) -> Option<Deadline> {
    let deadline = match name {
        "apk-decision" => Deadline::APK_DECISION,
        "apk-decision-extended" => Deadline::APK_DECISION_EXTENDED,
        "apk-notification" => Deadline::APK_NOTIFICATION,
        "apk-forwarding" => Deadline::APK_FORWARDING,
        "zdoi-access" => Deadline::ZDOI_ACCESS,
        "gdpr-access" => Deadline::GDPR_ACCESS,
        "gdpr-access-extended" => Deadline::GDPR_ACCESS_EXTENDED,
        _ => return None,
    };
    Some(deadline)
}

fn parse_rule(text: &str) -> DeadlineRule {
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let count: u32 = digits.parse().unwrap_or_default();
    match &text[digits.len()..] {
        "wd" => DeadlineRule::WorkingDays(count),
        "d" => DeadlineRule::CalendarDays(count),
        "m" => DeadlineRule::Months(count),
        unit => panic!("bad unit {unit:?}"),
    }
}

#[test]
fn months_clamp_to_month_end_and_move_off_days_off() {
    check(
        "
2025-12-31 2m
2025-12-30 2m
2025-10-24 2m
2025-11-24 1m
2026-03-24 2m
2025-02-28 3m
2024-02-29 12m
",
        expect![[r#"
            2025-12-31 wed + 2m: 2026-03-02 mon, working days left Some(41)
            2025-12-30 tue + 2m: 2026-03-02 mon, working days left Some(41)
            2025-10-24 fri + 2m: 2025-12-29 mon, working days left Some(43)
            2025-11-24 mon + 1m: 2025-12-29 mon, working days left Some(22)
            2026-03-24 tue + 2m: 2026-05-26 tue, working days left Some(40)
            2025-02-28 fri + 3m: 2025-05-28 wed, working days left Some(57)
            2024-02-29 thu + 12m: 2025-02-28 fri, working days left Some(250)
        "#]],
    );
}

#[test]
fn calendar_days_move_off_days_off() {
    check(
        "
2025-12-17 7d
2025-12-19 7d
2025-12-24 7d
2027-04-27 7d
2025-05-19 7d
2025-05-01 0d
",
        expect![[r#"
            2025-12-17 wed + 7d: 2025-12-29 mon, working days left Some(5)
            2025-12-19 fri + 7d: 2025-12-29 mon, working days left Some(3)
            2025-12-24 wed + 7d: 2026-01-05 mon, working days left Some(3)
            2027-04-27 tue + 7d: 2027-05-05 wed, working days left Some(3)
            2025-05-19 mon + 7d: 2025-05-27 tue, working days left Some(5)
            2025-05-01 thu + 0d: 2025-05-02 fri, working days left Some(1)
        "#]],
    );
}

#[test]
fn working_days_count_after_the_start_day() {
    check(
        "
2025-12-23 1wd
2025-12-23 5wd
2025-12-27 1wd
2027-04-29 3wd
2025-05-01 0wd
9999-12-30 5wd
",
        expect![[r#"
            2025-12-23 tue + 1wd: 2025-12-29 mon, working days left Some(1)
            2025-12-23 tue + 5wd: 2026-01-07 wed, working days left Some(5)
            2025-12-27 sat + 1wd: 2025-12-29 mon, working days left Some(1)
            2027-04-29 thu + 3wd: 2027-05-10 mon, working days left Some(3)
            2025-05-01 thu + 0wd: 2025-05-01 thu, working days left Some(0)
            9999-12-30 thu + 5wd: out of range, working days left None
        "#]],
    );
}

#[test]
fn presets() {
    check(
        "
2025-10-31 apk-decision
2025-10-31 apk-decision-extended
2025-12-19 apk-notification
2025-12-19 apk-forwarding
2025-12-17 zdoi-access
2026-01-31 gdpr-access
2026-01-31 gdpr-access-extended
",
        expect![[r#"
            2025-10-31 fri + apk-decision (2 months, АПК чл. 118, ал. 1; чл. 122): 2026-01-05 mon, working days left Some(40)
            2025-10-31 fri + apk-decision-extended (6 months, АПК чл. 118, ал. 2): 2026-04-30 thu, working days left Some(120)
            2025-12-19 fri + apk-notification (7 days, АПК чл. 118, ал. 1; чл. 123, ал. 1): 2025-12-29 mon, working days left Some(3)
            2025-12-19 fri + apk-forwarding (7 days, АПК чл. 112–113 [verify]): 2025-12-29 mon, working days left Some(3)
            2025-12-17 wed + zdoi-access (14 days, ЗДОИ чл. 28, ал. 1): 2026-01-05 mon, working days left Some(7)
            2026-01-31 sat + gdpr-access (1 month, GDPR art. 12(3)): 2026-03-02 mon, working days left Some(21)
            2026-01-31 sat + gdpr-access-extended (3 months, GDPR art. 12(3)): 2026-04-30 thu, working days left Some(61)
        "#]],
    );
    let rules: Vec<String> = Deadline::ALL
        .iter()
        .map(|deadline| deadline.rule.to_string())
        .collect();
    expect!["2 months, 6 months, 7 days, 7 days, 14 days, 1 month, 3 months"]
        .assert_eq(&rules.join(", "));
}
