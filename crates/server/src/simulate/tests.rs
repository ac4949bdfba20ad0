//! `civicline simulate` on a fixed seed: the report is a snapshot, and bad input is refused
//! with a message naming the flag and the line.

use expect_test::{Expect, expect};

use super::{Plan, SimulateArgs};

fn args(line: &str) -> SimulateArgs {
    #[derive(clap::Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: SimulateArgs,
    }
    let words = std::iter::once("simulate").chain(line.split_whitespace());
    <Wrapper as clap::Parser>::try_parse_from(words).expect("valid arguments").args
}

/// Runs `line` with the given CSV texts; prints the report or the error.
fn check(line: &str, arrivals: Option<&str>, staffing: Option<&str>, expect: Expect) {
    let out = match Plan::new(&args(line), arrivals, staffing) {
        Ok(plan) => plan.run(),
        Err(err) => format!("error: {err}\n"),
    };
    expect.assert_eq(&out);
}

#[test]
fn a_morning_from_csv_with_staffing_and_patience() {
    check(
        "--arrivals a.csv --staffing s.csv --aht 150 --distribution lognormal --aht-std-dev 100 --wrap-up 15 --patience 90 --seed 7",
        Some("interval_start,calls\n08:00,20\n08:15,30\n08:30,45\n08:45,50\n09:15,40\n"),
        Some("interval_start,agents\n08:00,6\n08:30,9\n09:00,8\n"),
        expect![[r#"
            civicline simulate: seed 7, 6 intervals from 08:00, talk 150 s lognormal (sd 100 s), wrap-up 15 s, T = 20 s, goal 80%, patience 90 s
            SL = answered within T / answered; SL2 = (answered + abandoned within T) / (answered + abandoned);
            ASA = wait of answered / answered; AHT = (talk + wrap-up) / handled; occupancy = busy / (busy + idle);
            Erlang C: A = calls per hour x AHT / 3600, N = agents; need = smallest N with SL(T) >= goal.

            start agents offered answered abandoned    SL%   SL2%    ASA    AHT   occ%   max   load |  C SL%  C ASA C occ% need
            08:00      6      19       19         0  100.0  100.0      0    185   57.4     5   3.67 |   84.2     15   61.1    6
            08:15      6      28       27         1   85.2   85.7      8    169   82.5    42   5.50 |   26.5    258   91.7    8
            08:30      9      53       46         7   78.3   75.5      8    157   90.6    42   8.25 |   33.1    161   91.7   12
            08:45      9      50       43         7   72.1   68.0     18    178   91.4   119   9.17 |    0.0    inf  100.0   13
            09:00      8       0        0         0      -      -      -    221   14.2     0   0.00 |      -      -      -    0
            09:15      8      41       37         4   97.3   92.7      2    142   73.2    40   7.33 |   31.0    185   91.7   11
            day        8     191      172        19   84.3   81.2      8    169   69.3   119   5.65 | staffed 11.5 agent-hours, Erlang C needs 12.5

            max = longest wait (s); load in Erlangs; columns after | are Erlang C for the interval's agents
            (it ignores abandonment and the empty start of the day). Short abandons 0, engine inputs 736.
        "#]],
    );
}

#[test]
fn a_flat_rate_hour_starting_empty() {
    check("--calls-per-hour 200 --hours 09:00-10:00 --agents 10 --aht 144 --seed 2", None, None, expect![[r#"
        civicline simulate: seed 2, 4 intervals from 09:00, talk 144 s exponential, wrap-up 0 s, T = 20 s, goal 80%
        SL = answered within T / answered; SL2 = (answered + abandoned within T) / (answered + abandoned);
        ASA = wait of answered / answered; AHT = (talk + wrap-up) / handled; occupancy = busy / (busy + idle);
        Erlang C: A = calls per hour x AHT / 3600, N = agents; need = smallest N with SL(T) >= goal.

        start agents offered answered abandoned    SL%   SL2%    ASA    AHT   occ%   max   load |  C SL%  C ASA C occ% need
        09:00     10      51       51         0   86.3   86.3      7    123   68.9    69   8.00 |   69.0     29   80.0   11
        09:15     10      51       51         0  100.0  100.0      1    133   75.7    15   8.00 |   69.0     29   80.0   11
        09:30     10      51       51         0   96.1   96.1      2    128   71.1    30   8.00 |   69.0     29   80.0   11
        09:45     10      55       55         0   92.7   92.7      4    113   75.0    41   8.00 |   69.0     29   80.0   11
        day       10     208      208         0   93.8   93.8      3    129   73.2    69   8.00 | staffed 10.0 agent-hours, Erlang C needs 11.0

        max = longest wait (s); load in Erlangs; columns after | are Erlang C for the interval's agents
        (it ignores abandonment and the empty start of the day). Short abandons 0, engine inputs 634.
    "#]]);
}

#[test]
fn bad_input_is_refused() {
    check("--agents 3", None, None, expect![[r#"
        error: give --arrivals FILE or --calls-per-hour N
    "#]]);
    check("--arrivals a.csv --agents 3", Some("08:00,5\n08:10,5\n"), None, expect![[r#"
        error: --arrivals: line 2: interval_start must be HH:MM on a quarter hour
    "#]]);
    check("--arrivals a.csv --agents 3", Some("09:00,5\n08:45,5\n"), None, expect![[r#"
        error: --arrivals: line 2: intervals must be in increasing order
    "#]]);
    check("--arrivals a.csv --staffing s.csv", Some("08:00,5\n"), Some("08:30,3\n"), expect![[r#"
        error: --staffing: the first row must be at or before 08:00
    "#]]);
    check("--calls-per-hour 10 --hours 18:00-08:00 --agents 2", None, None, expect![[r#"
        error: --hours: "18:00-08:00" closes before it opens
    "#]]);
    check("--calls-per-hour 10 --agents 2 --distribution normal", None, None, expect![[r#"
        error: --distribution: use exponential or lognormal
    "#]]);
}
