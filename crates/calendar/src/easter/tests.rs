//! Tests of the Orthodox Easter computus.

use expect_test::{Expect, expect};

use crate::easter::orthodox_easter;

/// Shows Orthodox Easter for each year in `years`.
fn check(years: &[i32], expect: Expect) {
    let mut actual = String::new();
    for &year in years {
        match orthodox_easter(year) {
            Some(date) => actual += &format!("{year}: {date} {}\n", date.weekday().short_name()),
            None => actual += &format!("{year}: none\n"),
        }
    }
    expect.assert_eq(&actual);
}

#[test]
fn civic_reference_fixtures() {
    check(
        &[2025, 2026, 2027, 2028],
        expect![[r#"
        2025: 2025-04-20 sun
        2026: 2026-04-12 sun
        2027: 2027-05-02 sun
        2028: 2028-04-16 sun
    "#]],
    );
}

#[test]
fn known_past_dates() {
    // Published dates: 2016 fell on 1 May, 2021 on 2 May, 2024 on 5 May.
    check(
        &[
            2010, 2011, 2016, 2017, 2018, 2019, 2020, 2021, 2022, 2023, 2024,
        ],
        expect![[r#"
        2010: 2010-04-04 sun
        2011: 2011-04-24 sun
        2016: 2016-05-01 sun
        2017: 2017-04-16 sun
        2018: 2018-04-08 sun
        2019: 2019-04-28 sun
        2020: 2020-04-19 sun
        2021: 2021-05-02 sun
        2022: 2022-04-24 sun
        2023: 2023-04-16 sun
        2024: 2024-05-05 sun
    "#]],
    );
}

#[test]
fn range_edges() {
    // 1900 and 2099 bound the range where the Julian lag is 13 days; 2100 is the first year with
    // a 14-day lag.
    check(
        &[0, 1, 1900, 2099, 2100, 9999, 10000],
        expect![[r#"
        0: none
        1: 0001-03-25 sun
        1900: 1900-04-22 sun
        2099: 2099-04-12 sun
        2100: 2100-05-02 sun
        9999: 9999-06-27 sun
        10000: none
    "#]],
    );
}

#[test]
fn always_a_sunday_between_4_april_and_8_may_in_1900_to_2099() {
    for year in 1900..=2099 {
        let Some(easter) = orthodox_easter(year) else {
            panic!("{year} has an Easter")
        };
        assert_eq!(easter.weekday(), crate::date::Weekday::Sunday, "{year}");
        let month_day = (easter.month(), easter.day());
        assert!(((4, 4)..=(5, 8)).contains(&month_day), "{year}: {easter}");
    }
}
