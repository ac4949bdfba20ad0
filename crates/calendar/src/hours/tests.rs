//! Tests of opening hours: the text form, holidays, exceptions and the next opening.

use expect_test::{Expect, expect};

use crate::{
    date::Date,
    holidays::{Calendar, Overrides},
    hours::OpeningHours,
    time::{Time, Timestamp},
};

/// Parses `hours` and shows its canonical form, then runs each line of `script`:
/// `at DATE HH:MM` (a Sofia reading, its earliest instant) or `utc DATE HH:MM`, showing whether
/// the line is open and when it opens next, in Sofia time. The calendar has the decreed days off
/// 2025-12-31 and 2026-01-02 and the working Saturday 2026-01-10.
fn check(hours: &str, script: &str, expect: Expect) {
    let mut actual = String::new();
    let hours = match OpeningHours::parse(hours) {
        Ok(hours) => hours,
        Err(err) => {
            expect.assert_eq(&format!("error: {err}\n"));
            return;
        }
    };
    actual += &format!("{hours}\n");
    match hours.to_string().parse::<OpeningHours>() {
        Ok(reparsed) if reparsed == hours => {}
        other => actual += &format!("canonical form does not parse back: {other:?}\n"),
    }
    let overrides = Overrides {
        days_off: vec![date("2025-12-31"), date("2026-01-02")],
        working_days: vec![date("2026-01-10")],
    };
    let Ok(calendar) = Calendar::bulgaria().with_overrides(&overrides) else {
        panic!("valid overrides")
    };
    for line in script.lines().filter(|line| !line.trim().is_empty()) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let now = match words.as_slice() {
            ["at", day, time] => Timestamp::from_sofia(date(day), self::time(time)).earliest(),
            ["utc", day, time] => match Timestamp::from_utc(date(day), self::time(time)) {
                Some(now) => now,
                None => panic!("out of range: {line}"),
            },
            _ => panic!("bad test line {line:?}"),
        };
        let state = if hours.is_open(&calendar, now) {
            "open"
        } else {
            "closed"
        };
        let next = match hours.next_opening(&calendar, now) {
            Some(next) if next == now => "now".to_owned(),
            Some(next) => {
                let local = next.to_sofia();
                format!("{local} {}", local.date.weekday().short_name())
            }
            None => "never".to_owned(),
        };
        actual += &format!(
            "{line} ({}): {state}, next opening {next}\n",
            now.to_sofia()
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

fn time(text: &str) -> Time {
    match text.parse() {
        Ok(time) => time,
        Err(err) => panic!("bad fixture time {text:?}: {err}"),
    }
}

#[test]
fn office_hours_on_an_ordinary_week() {
    check(
        "mon-fri 08:30-12:00, 13:00-17:30; sat 09:00-13:00",
        "
at 2025-11-03 08:29
at 2025-11-03 08:30
at 2025-11-03 12:00
at 2025-11-03 17:29
at 2025-11-03 17:30
at 2025-11-07 18:00
at 2025-11-08 13:00
",
        expect![[r#"
            mon-fri 08:30-12:00, 13:00-17:30; sat 09:00-13:00
            at 2025-11-03 08:29 (2025-11-03T08:29:00+02:00): closed, next opening 2025-11-03T08:30:00+02:00 mon
            at 2025-11-03 08:30 (2025-11-03T08:30:00+02:00): open, next opening now
            at 2025-11-03 12:00 (2025-11-03T12:00:00+02:00): closed, next opening 2025-11-03T13:00:00+02:00 mon
            at 2025-11-03 17:29 (2025-11-03T17:29:00+02:00): open, next opening now
            at 2025-11-03 17:30 (2025-11-03T17:30:00+02:00): closed, next opening 2025-11-04T08:30:00+02:00 tue
            at 2025-11-07 18:00 (2025-11-07T18:00:00+02:00): closed, next opening 2025-11-08T09:00:00+02:00 sat
            at 2025-11-08 13:00 (2025-11-08T13:00:00+02:00): closed, next opening 2025-11-10T08:30:00+02:00 mon
        "#]],
    );
}

#[test]
fn closed_on_holidays_and_decreed_days_open_on_working_saturdays() {
    check(
        "mon-fri 08:30-17:30",
        "
at 2025-12-23 18:00
at 2025-12-30 18:00
at 2026-01-02 10:00
at 2026-01-09 18:00
at 2026-01-10 10:00
at 2025-11-01 10:00
",
        expect![[r#"
            mon-fri 08:30-17:30
            at 2025-12-23 18:00 (2025-12-23T18:00:00+02:00): closed, next opening 2025-12-29T08:30:00+02:00 mon
            at 2025-12-30 18:00 (2025-12-30T18:00:00+02:00): closed, next opening 2026-01-05T08:30:00+02:00 mon
            at 2026-01-02 10:00 (2026-01-02T10:00:00+02:00): closed, next opening 2026-01-05T08:30:00+02:00 mon
            at 2026-01-09 18:00 (2026-01-09T18:00:00+02:00): closed, next opening 2026-01-10T08:30:00+02:00 sat
            at 2026-01-10 10:00 (2026-01-10T10:00:00+02:00): open, next opening now
            at 2025-11-01 10:00 (2025-11-01T10:00:00+02:00): closed, next opening 2025-11-03T08:30:00+02:00 mon
        "#]],
    );
}

#[test]
fn date_exceptions_override_everything() {
    check(
        "mon-fri 08:30-17:30; 2025-12-24 09:00-12:00; 2025-12-29 closed; 2025-12-27 10:00-11:00",
        "
at 2025-12-23 18:00
at 2025-12-24 11:59
at 2025-12-24 12:00
at 2025-12-27 09:00
at 2025-12-29 09:00
",
        expect![[r#"
            mon-fri 08:30-17:30; 2025-12-24 09:00-12:00; 2025-12-27 10:00-11:00; 2025-12-29 closed
            at 2025-12-23 18:00 (2025-12-23T18:00:00+02:00): closed, next opening 2025-12-24T09:00:00+02:00 wed
            at 2025-12-24 11:59 (2025-12-24T11:59:00+02:00): open, next opening now
            at 2025-12-24 12:00 (2025-12-24T12:00:00+02:00): closed, next opening 2025-12-27T10:00:00+02:00 sat
            at 2025-12-27 09:00 (2025-12-27T09:00:00+02:00): closed, next opening 2025-12-27T10:00:00+02:00 sat
            at 2025-12-29 09:00 (2025-12-29T09:00:00+02:00): closed, next opening 2025-12-30T08:30:00+02:00 tue
        "#]],
    );
}

#[test]
fn around_the_clock_and_summer_time_changes() {
    check(
        "mon-sun 00:00-24:00",
        "
at 2025-03-30 02:59
utc 2025-03-30 01:00
at 2025-12-24 10:00
",
        expect![[r#"
            mon-sun 00:00-24:00
            at 2025-03-30 02:59 (2025-03-30T02:59:00+02:00): open, next opening now
            utc 2025-03-30 01:00 (2025-03-30T04:00:00+03:00): open, next opening now
            at 2025-12-24 10:00 (2025-12-24T10:00:00+02:00): closed, next opening 2025-12-27T00:00:00+02:00 sat
        "#]],
    );
    // 03:00-03:30 on 2025-03-30 does not exist; on 2025-10-26 it happens twice.
    check(
        "sun 03:00-03:30, 03:45-05:00",
        "
utc 2025-03-30 00:00
utc 2025-10-26 00:10
utc 2025-10-26 00:40
utc 2025-10-26 01:35
",
        expect![[r#"
            sun 03:00-03:30, 03:45-05:00
            utc 2025-03-30 00:00 (2025-03-30T02:00:00+02:00): closed, next opening 2025-03-30T04:00:00+03:00 sun
            utc 2025-10-26 00:10 (2025-10-26T03:10:00+03:00): open, next opening now
            utc 2025-10-26 00:40 (2025-10-26T03:40:00+03:00): closed, next opening 2025-10-26T03:45:00+03:00 sun
            utc 2025-10-26 01:35 (2025-10-26T03:35:00+02:00): closed, next opening 2025-10-26T03:45:00+02:00 sun
        "#]],
    );
}

#[test]
fn never_open() {
    check(
        "mon-sun closed",
        "at 2025-11-03 10:00",
        expect![[r#"
        mon-sun closed
        at 2025-11-03 10:00 (2025-11-03T10:00:00+02:00): closed, next opening never
    "#]],
    );
    check(
        "2025-11-03 closed",
        "at 2025-11-03 10:00",
        expect![[r#"
        mon-sun closed; 2025-11-03 closed
        at 2025-11-03 10:00 (2025-11-03T10:00:00+02:00): closed, next opening never
    "#]],
    );
}

#[test]
fn text_forms() {
    check(
        "Mon, Wed-Fri 08:30-17:30;; sun closed;",
        "",
        expect![[r#"
        mon 08:30-17:30; wed-fri 08:30-17:30
    "#]],
    );
    check(
        "fri-mon 10:00-12:00",
        "",
        expect![[r#"
        mon 10:00-12:00; fri-sun 10:00-12:00
    "#]],
    );
    check(
        "monday 10:00-12:00; tuesday 10:00-12:00",
        "",
        expect![[r#"
        mon-tue 10:00-12:00
    "#]],
    );
}

#[test]
fn text_errors() {
    let inputs = [
        "",
        " ; ",
        "mon-fri",
        "mon-fri 08:30",
        "mon-fri 8:30-17:30",
        "mon-fri 08:30-24:30",
        "mon-fri 17:30-08:30",
        "mon-fri 08:30-08:30",
        "mon-fri 08:00-12:00, 11:00-13:00",
        "mon-fri 08:00-12:00; fri 13:00-14:00",
        "mon,mon 08:00-12:00",
        "moo 08:00-12:00",
        "mon-fry 08:00-12:00",
        "2025-02-30 closed",
        "2025-12-24 closed; 2025-12-24 09:00-10:00",
        "mon-fri opened",
        "пон 08:00-12:00",
    ];
    let mut actual = String::new();
    for input in inputs {
        match OpeningHours::parse(input) {
            Ok(hours) => actual += &format!("{input:?}: parsed as {hours}\n"),
            Err(err) => actual += &format!("{input:?}: error: {err}\n"),
        }
    }
    expect![[r#"
        "": error: opening hours are empty
        " ; ": error: opening hours are empty
        "mon-fri": error: `mon-fri` needs opening intervals or `closed`
        "mon-fri 08:30": error: `08:30` is not an interval like 08:30-17:30
        "mon-fri 8:30-17:30": error: invalid time `8:30`: time must look like HH:MM
        "mon-fri 08:30-24:30": error: invalid time `24:30`: hour 24 is outside 0..=23
        "mon-fri 17:30-08:30": error: interval `17:30-08:30` does not end after it starts
        "mon-fri 08:30-08:30": error: interval `08:30-08:30` does not end after it starts
        "mon-fri 08:00-12:00, 11:00-13:00": error: intervals overlap on mon-fri
        "mon-fri 08:00-12:00; fri 13:00-14:00": error: fri is given more than once
        "mon,mon 08:00-12:00": error: mon is given more than once
        "moo 08:00-12:00": error: unknown day `moo`
        "mon-fry 08:00-12:00": error: unknown day `fry`
        "2025-02-30 closed": error: invalid date `2025-02-30`: day 30 does not exist in 2025-02
        "2025-12-24 closed; 2025-12-24 09:00-10:00": error: 2025-12-24 is given more than once
        "mon-fri opened": error: `mon-fri opened` needs opening intervals or `closed`
        "пон 08:00-12:00": error: unknown day `пон`
    "#]]
    .assert_eq(&actual);
}
