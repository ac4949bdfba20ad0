//! Tests of times of day, timestamps and the Sofia summer-time rule.

use expect_test::{Expect, expect};

use crate::{
    date::Date,
    time::{LocalResult, Time, Timestamp},
};

/// Each input line is `utc DATE HH:MM[:SS[.mmm]]` (shows the Sofia reading of that instant),
/// `local DATE HH:MM` (shows the instants of that Sofia reading), `time TEXT` (parses a time of
/// day) or `millis N` (shows a Unix-millisecond timestamp).
fn check(input: &str, expect: Expect) {
    let mut actual = String::new();
    for line in input.lines().filter(|line| !line.trim().is_empty()) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let result = match words.as_slice() {
            ["utc", date, clock] => parse_utc(date, clock).map(|instant| {
                let local = instant.to_sofia();
                let back = Timestamp::from_sofia(local.date, local.time);
                format!("{instant} = {local} (back at minute precision: {back:?})")
            }),
            ["local", date, time] => parse_date_time(date, time)
                .map(|(date, time)| format!("{:?}", Timestamp::from_sofia(date, time))),
            ["time", text] => match text.parse::<Time>() {
                Ok(time) => Ok(format!("{time} = minute {}", time.minutes_since_midnight())),
                Err(err) => Err(err.to_string()),
            },
            ["millis", millis] => match millis
                .parse::<i64>()
                .ok()
                .and_then(Timestamp::from_unix_millis)
            {
                Some(instant) => Ok(format!("{instant} = {}", instant.to_sofia())),
                None => Err("out of range".to_owned()),
            },
            _ => Err("bad test line".to_owned()),
        };
        match result {
            Ok(text) => actual += &format!("{line}: {text}\n"),
            Err(err) => actual += &format!("{line}: error: {err}\n"),
        }
    }
    expect.assert_eq(&actual);
}

fn parse_date_time(date: &str, time: &str) -> Result<(Date, Time), String> {
    let date = date.parse::<Date>().map_err(|err| err.to_string())?;
    let time = time.parse::<Time>().map_err(|err| err.to_string())?;
    Ok((date, time))
}

/// `HH:MM`, `HH:MM:SS` or `HH:MM:SS.mmm`.
fn parse_utc(date: &str, clock: &str) -> Result<Timestamp, String> {
    let (minutes, rest) = clock.split_at(clock.len().min(5));
    let (date, time) = parse_date_time(date, minutes)?;
    let seconds: f64 = match rest.strip_prefix(':') {
        Some(seconds) => seconds
            .parse()
            .map_err(|_| format!("bad seconds {seconds:?}"))?,
        None => 0.0,
    };
    let instant = Timestamp::from_utc(date, time).ok_or("out of range")?;
    instant
        .add_millis((seconds * 1000.0).round() as i64)
        .ok_or_else(|| "out of range".to_owned())
}

#[test]
fn summer_time_starts_on_the_last_sunday_of_march() {
    check(
        "
utc 2025-03-30 00:59:59.999
utc 2025-03-30 01:00
local 2025-03-30 02:59
local 2025-03-30 03:00
local 2025-03-30 03:59
local 2025-03-30 04:00
utc 2026-03-29 00:59:59
utc 2026-03-29 01:00
utc 2027-03-28 01:00
utc 2028-03-26 01:00
",
        expect![[r#"
            utc 2025-03-30 00:59:59.999: 2025-03-30T00:59:59.999Z = 2025-03-30T02:59:59.999+02:00 (back at minute precision: Single(2025-03-30T00:59:00Z))
            utc 2025-03-30 01:00: 2025-03-30T01:00:00Z = 2025-03-30T04:00:00+03:00 (back at minute precision: Single(2025-03-30T01:00:00Z))
            local 2025-03-30 02:59: Single(2025-03-30T00:59:00Z)
            local 2025-03-30 03:00: Skipped { transition: 2025-03-30T01:00:00Z }
            local 2025-03-30 03:59: Skipped { transition: 2025-03-30T01:00:00Z }
            local 2025-03-30 04:00: Single(2025-03-30T01:00:00Z)
            utc 2026-03-29 00:59:59: 2026-03-29T00:59:59Z = 2026-03-29T02:59:59+02:00 (back at minute precision: Single(2026-03-29T00:59:00Z))
            utc 2026-03-29 01:00: 2026-03-29T01:00:00Z = 2026-03-29T04:00:00+03:00 (back at minute precision: Single(2026-03-29T01:00:00Z))
            utc 2027-03-28 01:00: 2027-03-28T01:00:00Z = 2027-03-28T04:00:00+03:00 (back at minute precision: Single(2027-03-28T01:00:00Z))
            utc 2028-03-26 01:00: 2028-03-26T01:00:00Z = 2028-03-26T04:00:00+03:00 (back at minute precision: Single(2028-03-26T01:00:00Z))
        "#]],
    );
}

#[test]
fn summer_time_ends_on_the_last_sunday_of_october() {
    check(
        "
utc 2025-10-26 00:59:59.999
utc 2025-10-26 01:00
local 2025-10-26 02:59
local 2025-10-26 03:00
local 2025-10-26 03:59
local 2025-10-26 04:00
utc 2026-10-25 00:59
utc 2026-10-25 01:00
utc 2027-10-31 01:00
",
        expect![[r#"
            utc 2025-10-26 00:59:59.999: 2025-10-26T00:59:59.999Z = 2025-10-26T03:59:59.999+03:00 (back at minute precision: Ambiguous { earlier: 2025-10-26T00:59:00Z, later: 2025-10-26T01:59:00Z })
            utc 2025-10-26 01:00: 2025-10-26T01:00:00Z = 2025-10-26T03:00:00+02:00 (back at minute precision: Ambiguous { earlier: 2025-10-26T00:00:00Z, later: 2025-10-26T01:00:00Z })
            local 2025-10-26 02:59: Single(2025-10-25T23:59:00Z)
            local 2025-10-26 03:00: Ambiguous { earlier: 2025-10-26T00:00:00Z, later: 2025-10-26T01:00:00Z }
            local 2025-10-26 03:59: Ambiguous { earlier: 2025-10-26T00:59:00Z, later: 2025-10-26T01:59:00Z }
            local 2025-10-26 04:00: Single(2025-10-26T02:00:00Z)
            utc 2026-10-25 00:59: 2026-10-25T00:59:00Z = 2026-10-25T03:59:00+03:00 (back at minute precision: Ambiguous { earlier: 2026-10-25T00:59:00Z, later: 2026-10-25T01:59:00Z })
            utc 2026-10-25 01:00: 2026-10-25T01:00:00Z = 2026-10-25T03:00:00+02:00 (back at minute precision: Ambiguous { earlier: 2026-10-25T00:00:00Z, later: 2026-10-25T01:00:00Z })
            utc 2027-10-31 01:00: 2027-10-31T01:00:00Z = 2027-10-31T03:00:00+02:00 (back at minute precision: Ambiguous { earlier: 2027-10-31T00:00:00Z, later: 2027-10-31T01:00:00Z })
        "#]],
    );
}

#[test]
fn ordinary_instants_and_range() {
    check(
        "
millis 0
millis 1745100000000
utc 2025-01-01 21:59
utc 2025-01-01 22:00
utc 2025-07-01 20:59:59
utc 2025-07-01 21:00
millis -62135604000000
millis -62135604000001
millis 253402293599999
millis 253402293600000
local 0001-01-01 00:00
local 9999-12-31 23:59
",
        expect![[r#"
            millis 0: 1970-01-01T00:00:00Z = 1970-01-01T02:00:00+02:00
            millis 1745100000000: 2025-04-19T22:00:00Z = 2025-04-20T01:00:00+03:00
            utc 2025-01-01 21:59: 2025-01-01T21:59:00Z = 2025-01-01T23:59:00+02:00 (back at minute precision: Single(2025-01-01T21:59:00Z))
            utc 2025-01-01 22:00: 2025-01-01T22:00:00Z = 2025-01-02T00:00:00+02:00 (back at minute precision: Single(2025-01-01T22:00:00Z))
            utc 2025-07-01 20:59:59: 2025-07-01T20:59:59Z = 2025-07-01T23:59:59+03:00 (back at minute precision: Single(2025-07-01T20:59:00Z))
            utc 2025-07-01 21:00: 2025-07-01T21:00:00Z = 2025-07-02T00:00:00+03:00 (back at minute precision: Single(2025-07-01T21:00:00Z))
            millis -62135604000000: 0000-12-31T22:00:00Z = 0001-01-01T00:00:00+02:00
            millis -62135604000001: error: out of range
            millis 253402293599999: 9999-12-31T21:59:59.999Z = 9999-12-31T23:59:59.999+02:00
            millis 253402293600000: error: out of range
            local 0001-01-01 00:00: Single(0000-12-31T22:00:00Z)
            local 9999-12-31 23:59: Single(9999-12-31T21:59:00Z)
        "#]],
    );
}

#[test]
fn times_of_day() {
    check(
        "
time 00:00
time 08:30
time 23:59
time 24:00
time 12:60
time 8:30
time 08-30
time ab:cd
",
        expect![[r#"
            time 00:00: 00:00 = minute 0
            time 08:30: 08:30 = minute 510
            time 23:59: 23:59 = minute 1439
            time 24:00: error: hour 24 is outside 0..=23
            time 12:60: error: minute 60 is outside 0..=59
            time 8:30: error: time must look like HH:MM
            time 08-30: error: time must look like HH:MM
            time ab:cd: error: time must look like HH:MM
        "#]],
    );
}

#[test]
fn sofia_readings_roundtrip_every_quarter_hour_of_2024_to_2029() {
    let start = Date::new(2024, 1, 1)
        .ok()
        .and_then(|date| Timestamp::from_utc(date, Time::MIDNIGHT));
    let Some(start) = start else {
        panic!("2024-01-01 is in range")
    };
    let quarter_hour = 15 * 60 * 1000;
    let mut ambiguous_readings = 0;
    for step in 0..(6 * 366 * 24 * 4) {
        let Some(instant) = start.add_millis(step * quarter_hour) else {
            panic!("in range")
        };
        let local = instant.to_sofia();
        assert_eq!((local.second, local.millisecond), (0, 0));
        let offset_millis = i64::from(local.offset.minutes()) * 60_000;
        let reading = Timestamp::from_utc(local.date, local.time).map(Timestamp::unix_millis);
        assert_eq!(reading, Some(instant.unix_millis() + offset_millis));
        match Timestamp::from_sofia(local.date, local.time) {
            LocalResult::Single(back) => assert_eq!(back, instant),
            LocalResult::Ambiguous { earlier, later } => {
                assert!(earlier == instant || later == instant);
                ambiguous_readings += 1;
            }
            LocalResult::Skipped { .. } => panic!("{instant} reads as a skipped time"),
        }
    }
    // Four quarter hours, read twice each, in each of six autumns.
    assert_eq!(ambiguous_readings, 6 * 4 * 2);
}
