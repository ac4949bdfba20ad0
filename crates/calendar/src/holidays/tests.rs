//! Tests of the Bulgarian working-day calendar against the civic reference (section 6).

use expect_test::{Expect, expect};

use crate::{
    date::Date,
    holidays::{Calendar, DayOff, Overrides},
};

/// Council of Ministers decision 808 of 19 Nov 2025, as configured by an administrator.
const DECREED_2025_2026: &str = "2025-12-31 2026-01-02";

/// Each input line is a command:
/// - `year Y`: the days off of year Y with their reasons;
/// - `fixture Y DATE...`: checks that exactly the listed dates (plus ordinary weekends) are days
///   off in year Y, printing each disagreement;
/// - `day DATE`: one date's status;
/// - `next DATE`, `add DATE N`, `between DATE DATE`: working-day arithmetic.
///
/// The calendar has the overrides `days_off` and `working_days` (space-separated dates).
fn check(days_off: &str, working_days: &str, input: &str, expect: Expect) {
    let mut actual = String::new();
    let overrides = Overrides {
        days_off: dates(days_off),
        working_days: dates(working_days),
    };
    let calendar = match Calendar::bulgaria().with_overrides(&overrides) {
        Ok(calendar) => calendar,
        Err(err) => {
            expect.assert_eq(&format!("overrides rejected: {err}\n"));
            return;
        }
    };
    for line in input.lines().filter(|line| !line.trim().is_empty()) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["year", year] => {
                let year: i32 = year.parse().unwrap_or_default();
                actual += &format!("{year}:\n");
                for (date, day_off) in calendar.days_off(year) {
                    actual += &format!("  {}\n", describe(&calendar, date, day_off));
                }
            }
            ["fixture", year, listed @ ..] => {
                let year: i32 = year.parse().unwrap_or_default();
                let listed = dates(&listed.join(" "));
                let mismatches = fixture_mismatches(&calendar, year, &listed);
                actual += &format!("{year}: {} listed", listed.len());
                if mismatches.is_empty() {
                    actual += ", all others weekdays working, ok\n";
                } else {
                    actual += &format!(", mismatches:\n{mismatches}");
                }
            }
            ["day", date] => {
                let date = parse(date);
                match calendar.day_off(date) {
                    Some(day_off) => actual += &format!("{}\n", describe(&calendar, date, day_off)),
                    None => actual += &format!("{date} {} working\n", date.weekday().short_name()),
                }
            }
            ["next", date] => {
                let next = calendar.next_working_day(parse(date));
                actual += &format!("next after {date}: {next:?}\n");
            }
            ["add", date, count] => {
                let count: u32 = count.parse().unwrap_or_default();
                let result = calendar.add_working_days(parse(date), count);
                actual += &format!("{date} + {count} working days: {result:?}\n");
            }
            ["between", from, to] => {
                let between = calendar.working_days_between(parse(from), parse(to));
                actual += &format!("working days from {from} to {to}: {between}\n");
            }
            _ => actual += &format!("bad test line {line:?}\n"),
        }
    }
    expect.assert_eq(&actual);
}

fn parse(text: &str) -> Date {
    match text.parse() {
        Ok(date) => date,
        Err(err) => panic!("bad fixture date {text:?}: {err}"),
    }
}

fn dates(text: &str) -> Vec<Date> {
    text.split_whitespace().map(parse).collect()
}

fn describe(calendar: &Calendar, date: Date, day_off: DayOff) -> String {
    let names = match calendar.holiday_name(date) {
        Some((bg, en)) => format!("{en} / {bg}"),
        None => day_off.name_en().to_owned(),
    };
    let detail = match day_off {
        DayOff::InLieuOf(holiday) => format!(" (for {})", holiday.name_en()),
        _ => String::new(),
    };
    format!("{date} {} {names}{detail}", date.weekday().short_name())
}

/// Every listed date must be a day off, and every other Monday-to-Friday date a working day.
fn fixture_mismatches(calendar: &Calendar, year: i32, listed: &[Date]) -> String {
    let mut mismatches = String::new();
    let Ok(first) = Date::new(year, 1, 1) else {
        return "bad year\n".to_owned();
    };
    let mut date = first;
    while date.year() == year {
        let is_listed = listed.contains(&date);
        let working = calendar.is_working_day(date);
        if is_listed && working {
            mismatches += &format!("  {date} is listed but working\n");
        }
        if !is_listed && !date.is_weekend() && !working {
            mismatches += &format!("  {date} is not listed but a day off\n");
        }
        let Some(next) = date.add_days(1) else { break };
        date = next;
    }
    let computed = calendar.non_working_days(year);
    if computed != listed {
        mismatches += &format!("  non_working_days({year}) = {computed:?}\n");
    }
    mismatches
}

#[test]
fn civic_reference_table_2025_to_2028() {
    check(
        DECREED_2025_2026,
        "",
        "
fixture 2025 2025-01-01 2025-03-03 2025-04-18 2025-04-19 2025-04-20 2025-04-21 2025-05-01 2025-05-06 2025-05-24 2025-05-26 2025-09-06 2025-09-08 2025-09-22 2025-12-24 2025-12-25 2025-12-26 2025-12-31
fixture 2026 2026-01-01 2026-01-02 2026-03-03 2026-04-10 2026-04-11 2026-04-12 2026-04-13 2026-05-01 2026-05-06 2026-05-24 2026-05-25 2026-09-06 2026-09-07 2026-09-22 2026-12-24 2026-12-25 2026-12-26 2026-12-28
fixture 2027 2027-01-01 2027-03-03 2027-04-30 2027-05-01 2027-05-02 2027-05-03 2027-05-04 2027-05-06 2027-05-24 2027-09-06 2027-09-22 2027-12-24 2027-12-25 2027-12-26 2027-12-27 2027-12-28
fixture 2028 2028-01-01 2028-01-03 2028-03-03 2028-04-14 2028-04-15 2028-04-16 2028-04-17 2028-05-01 2028-05-06 2028-05-08 2028-05-24 2028-09-06 2028-09-22 2028-12-24 2028-12-25 2028-12-26 2028-12-27
",
        expect![[r#"
            2025: 17 listed, all others weekdays working, ok
            2026: 18 listed, all others weekdays working, ok
            2027: 16 listed, all others weekdays working, ok
            2028: 17 listed, all others weekdays working, ok
        "#]],
    );
}

#[test]
fn days_off_with_names() {
    check(
        DECREED_2025_2026,
        "",
        "year 2025\nyear 2027\nyear 2028",
        expect![[r#"
        2025:
          2025-01-01 wed New Year's Day / Нова година
          2025-03-03 mon Liberation Day / Ден на Освобождението на България от османско иго
          2025-04-18 fri Good Friday / Велики петък
          2025-04-19 sat Holy Saturday / Велика събота
          2025-04-20 sun Easter Sunday / Великден
          2025-04-21 mon Easter Monday / Великден (втори ден)
          2025-05-01 thu Labour Day / Ден на труда и на международната работническа солидарност
          2025-05-06 tue St George's Day / Гергьовден, Ден на храбростта и Българската армия
          2025-05-24 sat Saints Cyril and Methodius Day / Ден на светите братя Кирил и Методий, на българската азбука, просвета и култура и на славянската книжовност
          2025-05-26 mon day off in lieu of a weekend holiday / почивен ден по чл. 154, ал. 2 от Кодекса на труда (for Saints Cyril and Methodius Day)
          2025-09-06 sat Unification Day / Ден на Съединението
          2025-09-08 mon day off in lieu of a weekend holiday / почивен ден по чл. 154, ал. 2 от Кодекса на труда (for Unification Day)
          2025-09-22 mon Independence Day / Ден на Независимостта на България
          2025-12-24 wed Christmas Eve / Бъдни вечер
          2025-12-25 thu Christmas Day / Рождество Христово
          2025-12-26 fri Second Day of Christmas / Рождество Христово (втори ден)
          2025-12-31 wed non-working day by Council of Ministers decision / неработен ден по решение на Министерския съвет
        2027:
          2027-01-01 fri New Year's Day / Нова година
          2027-03-03 wed Liberation Day / Ден на Освобождението на България от османско иго
          2027-04-30 fri Good Friday / Велики петък
          2027-05-01 sat Labour Day / Ден на труда и на международната работническа солидарност
          2027-05-02 sun Easter Sunday / Великден
          2027-05-03 mon Easter Monday / Великден (втори ден)
          2027-05-04 tue day off in lieu of a weekend holiday / почивен ден по чл. 154, ал. 2 от Кодекса на труда (for Labour Day)
          2027-05-06 thu St George's Day / Гергьовден, Ден на храбростта и Българската армия
          2027-05-24 mon Saints Cyril and Methodius Day / Ден на светите братя Кирил и Методий, на българската азбука, просвета и култура и на славянската книжовност
          2027-09-06 mon Unification Day / Ден на Съединението
          2027-09-22 wed Independence Day / Ден на Независимостта на България
          2027-12-24 fri Christmas Eve / Бъдни вечер
          2027-12-25 sat Christmas Day / Рождество Христово
          2027-12-26 sun Second Day of Christmas / Рождество Христово (втори ден)
          2027-12-27 mon day off in lieu of a weekend holiday / почивен ден по чл. 154, ал. 2 от Кодекса на труда (for Christmas Day)
          2027-12-28 tue day off in lieu of a weekend holiday / почивен ден по чл. 154, ал. 2 от Кодекса на труда (for Second Day of Christmas)
        2028:
          2028-01-01 sat New Year's Day / Нова година
          2028-01-03 mon day off in lieu of a weekend holiday / почивен ден по чл. 154, ал. 2 от Кодекса на труда (for New Year's Day)
          2028-03-03 fri Liberation Day / Ден на Освобождението на България от османско иго
          2028-04-14 fri Good Friday / Велики петък
          2028-04-15 sat Holy Saturday / Велика събота
          2028-04-16 sun Easter Sunday / Великден
          2028-04-17 mon Easter Monday / Великден (втори ден)
          2028-05-01 mon Labour Day / Ден на труда и на международната работническа солидарност
          2028-05-06 sat St George's Day / Гергьовден, Ден на храбростта и Българската армия
          2028-05-08 mon day off in lieu of a weekend holiday / почивен ден по чл. 154, ал. 2 от Кодекса на труда (for St George's Day)
          2028-05-24 wed Saints Cyril and Methodius Day / Ден на светите братя Кирил и Методий, на българската азбука, просвета и култура и на славянската книжовност
          2028-09-06 wed Unification Day / Ден на Съединението
          2028-09-22 fri Independence Day / Ден на Независимостта на България
          2028-12-24 sun Christmas Eve / Бъдни вечер
          2028-12-25 mon Christmas Day / Рождество Христово
          2028-12-26 tue Second Day of Christmas / Рождество Христово (втори ден)
          2028-12-27 wed day off in lieu of a weekend holiday / почивен ден по чл. 154, ал. 2 от Кодекса на труда (for Christmas Eve)
    "#]],
    );
}

#[test]
fn weekend_rule_starts_in_2017() {
    // 2016: 1 May is Easter Sunday and 24-26 Dec fall Sat-Mon, with no days in lieu by statute
    // (2016 was bridged by a Council of Ministers decision instead). 2017: 1 Jan is a Sunday and
    // 6 May a Saturday, giving 2 Jan and 8 May.
    check(
        "",
        "",
        "
day 2016-05-02
day 2016-12-27
day 2017-01-02
day 2017-05-08
day 2021-05-04
day 2025-11-01
day 2025-11-03
",
        expect![[r#"
            2016-05-02 mon Easter Monday / Великден (втори ден)
            2016-12-27 tue working
            2017-01-02 mon day off in lieu of a weekend holiday / почивен ден по чл. 154, ал. 2 от Кодекса на труда (for New Year's Day)
            2017-05-08 mon day off in lieu of a weekend holiday / почивен ден по чл. 154, ал. 2 от Кодекса на труда (for St George's Day)
            2021-05-04 tue day off in lieu of a weekend holiday / почивен ден по чл. 154, ал. 2 от Кодекса на труда (for Labour Day)
            2025-11-01 sat weekend
            2025-11-03 mon working
        "#]],
    );
}

#[test]
fn overrides_make_saturdays_working_and_add_days_off() {
    check(
        "2026-01-02",
        "2026-01-10 2027-12-28",
        "
day 2026-01-02
day 2026-01-10
day 2027-12-28
day 2027-12-27
add 2026-01-08 2
between 2026-01-05 2026-01-12
year 2027
",
        expect![[r#"
            2026-01-02 fri non-working day by Council of Ministers decision / неработен ден по решение на Министерския съвет
            2026-01-10 sat working
            2027-12-28 tue working
            2027-12-27 mon day off in lieu of a weekend holiday / почивен ден по чл. 154, ал. 2 от Кодекса на труда (for Christmas Day)
            2026-01-08 + 2 working days: Some(2026-01-10)
            working days from 2026-01-05 to 2026-01-12: 6
            2027:
              2027-01-01 fri New Year's Day / Нова година
              2027-03-03 wed Liberation Day / Ден на Освобождението на България от османско иго
              2027-04-30 fri Good Friday / Велики петък
              2027-05-01 sat Labour Day / Ден на труда и на международната работническа солидарност
              2027-05-02 sun Easter Sunday / Великден
              2027-05-03 mon Easter Monday / Великден (втори ден)
              2027-05-04 tue day off in lieu of a weekend holiday / почивен ден по чл. 154, ал. 2 от Кодекса на труда (for Labour Day)
              2027-05-06 thu St George's Day / Гергьовден, Ден на храбростта и Българската армия
              2027-05-24 mon Saints Cyril and Methodius Day / Ден на светите братя Кирил и Методий, на българската азбука, просвета и култура и на славянската книжовност
              2027-09-06 mon Unification Day / Ден на Съединението
              2027-09-22 wed Independence Day / Ден на Независимостта на България
              2027-12-24 fri Christmas Eve / Бъдни вечер
              2027-12-25 sat Christmas Day / Рождество Христово
              2027-12-26 sun Second Day of Christmas / Рождество Христово (втори ден)
              2027-12-27 mon day off in lieu of a weekend holiday / почивен ден по чл. 154, ал. 2 от Кодекса на труда (for Christmas Day)
        "#]],
    );
}

#[test]
fn overrides_are_validated() {
    check(
        "2026-01-03",
        "",
        "",
        expect![[r#"
        overrides rejected: 2026-01-03 is already a day off
    "#]],
    );
    check(
        "",
        "2026-01-05",
        "",
        expect![[r#"
        overrides rejected: 2026-01-05 is already a working day
    "#]],
    );
    check(
        "2026-01-05",
        "2026-01-05",
        "",
        expect![[r#"
        overrides rejected: 2026-01-05 is listed both as a day off and as a working day
    "#]],
    );
    check(
        "2026-01-05 2026-01-05",
        "",
        "day 2026-01-05",
        expect![[r#"
        2026-01-05 mon non-working day by Council of Ministers decision / неработен ден по решение на Министерския съвет
    "#]],
    );
}

#[test]
fn working_day_arithmetic() {
    check(
        DECREED_2025_2026,
        "",
        "
next 2025-12-23
next 2025-12-30
add 2025-12-23 0
add 2025-12-23 1
add 2025-12-23 3
add 2027-04-29 1
next 9999-12-31
between 2025-12-23 2026-01-07
between 2026-01-07 2025-12-23
between 2025-12-24 2025-12-26
between 2025-01-01 2025-12-31
between 2025-12-31 2025-12-31
",
        expect![[r#"
            next after 2025-12-23: Some(2025-12-29)
            next after 2025-12-30: Some(2026-01-05)
            2025-12-23 + 0 working days: Some(2025-12-23)
            2025-12-23 + 1 working days: Some(2025-12-29)
            2025-12-23 + 3 working days: Some(2026-01-05)
            2027-04-29 + 1 working days: Some(2027-05-05)
            next after 9999-12-31: None
            working days from 2025-12-23 to 2026-01-07: 5
            working days from 2026-01-07 to 2025-12-23: -5
            working days from 2025-12-24 to 2025-12-26: 0
            working days from 2025-01-01 to 2025-12-31: 248
            working days from 2025-12-31 to 2025-12-31: 0
        "#]],
    );
}

#[test]
fn working_days_between_agrees_with_stepping() {
    let overrides = Overrides {
        days_off: dates(DECREED_2025_2026),
        working_days: dates("2026-01-10"),
    };
    let calendar = Calendar::bulgaria().with_overrides(&overrides);
    let Ok(calendar) = calendar else {
        panic!("valid overrides")
    };
    let start = parse("2024-12-01");
    let mut stepped = 0;
    let mut end = start;
    for _ in 0..1200 {
        assert_eq!(
            calendar.working_days_between(start, end),
            stepped,
            "{start}..{end}"
        );
        assert_eq!(
            calendar.working_days_between(end, start),
            -stepped,
            "{end}..{start}"
        );
        let Some(next) = end.add_days(1) else {
            panic!("in range")
        };
        end = next;
        stepped += i64::from(calendar.is_working_day(end));
    }
}
