//! Data-driven tests: event scripts run against a session, flows run through the validator, and
//! the demo's prompt list checked against the demo flow. Rewrite expectations with
//! `UPDATE_EXPECT=1 cargo test -p ivr`.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::Arc;

use expect_test::{Expect, expect};

use crate::{
    Choice, Flow, Lang, LangSwitch, Menu, MenuOption, Millis, Node, Outcome, Output, PlaybackId,
    PromptRef, Session, Step, demo_prompt_texts, plovdiv_demo,
};

fn prompts(names: &[&str]) -> Vec<PromptRef> {
    names.iter().map(|name| PromptRef::new(name)).collect()
}

fn flow(start: &str, nodes: Vec<(&str, Node)>) -> Flow {
    Flow {
        start: start.to_owned(),
        nodes: nodes
            .into_iter()
            .map(|(name, node)| (name.to_owned(), node))
            .collect(),
    }
}

fn goto(next: &str) -> Node {
    Node::Goto {
        next: next.to_owned(),
    }
}

fn play(names: &[&str], next: &str) -> Node {
    Node::Play {
        prompts: prompts(names),
        next: next.to_owned(),
    }
}

fn hangup(names: &[&str]) -> Node {
    Node::Hangup {
        prompts: prompts(names),
    }
}

fn menu(options: &[(char, &str)], max_retries: u32, on_fail: &str) -> Node {
    Node::Menu(Menu {
        prompts: prompts(&["menu"]),
        options: options
            .iter()
            .map(|(digit, next)| MenuOption {
                digit: *digit,
                next: (*next).to_owned(),
            })
            .collect(),
        timeout_ms: 5_000,
        max_retries,
        invalid_prompts: Vec::new(),
        timeout_prompts: Vec::new(),
        on_fail: on_fail.to_owned(),
    })
}

/// Event scripts against a [`Session`].
///
/// Header lines, before any event: `flow NAME` picks a fixture (default `demo`), `lang en`
/// starts the call in English. Events: `start`, `digit D`, `prompt-done` (the playback last
/// started) or `prompt-done N`, `advance MS` (moves the clock and fires the timer when due, as
/// a shell would), `timeout` (calls `handle_timeout` now, due or not), `hours open|closed`,
/// `flag on|off`, `callback accepted|refused`, `recording-done`, `overflow`, `hangup`.
mod scripts {
    use super::*;

    fn fixture(name: &str) -> Flow {
        match name {
            "demo" => plovdiv_demo(),
            "missing" => flow("start", vec![("start", goto("nowhere"))]),
            "spin" => flow("a", vec![("a", goto("b")), ("b", goto("a"))]),
            "transfer" => flow(
                "menu",
                vec![
                    (
                        "menu",
                        menu(&[('1', "silent"), ('#', "red_cross")], 0, "bye"),
                    ),
                    ("silent", play(&[], "red_cross")),
                    (
                        "red_cross",
                        Node::Transfer {
                            prompts: prompts(&["transferring"]),
                            to: "+35932000000".to_owned(),
                        },
                    ),
                    ("bye", hangup(&[])),
                ],
            ),
            _ => panic!("unknown fixture {name}"),
        }
    }

    fn check(script: &str, expect: Expect) {
        let mut fixture_name = "demo";
        let mut lang = Lang::Bg;
        let mut session: Option<Session> = None;
        let mut now = 0u64;
        let mut deadline: Option<Millis> = None;
        let mut playing: Option<PlaybackId> = None;
        let mut acc = String::new();

        for line in script
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
        {
            let (command, argument) = line.split_once(' ').unwrap_or((line, ""));
            match command {
                "flow" => {
                    fixture_name = argument;
                    continue;
                }
                "lang" => {
                    lang = Lang::from_code(argument).expect("lang is bg or en");
                    continue;
                }
                _ => {}
            }
            let session =
                session.get_or_insert_with(|| Session::new(Arc::new(fixture(fixture_name)), lang));
            if command == "advance" {
                now += argument.parse::<u64>().expect("advance takes milliseconds");
            }
            writeln!(acc, "@{now} {line}").unwrap();
            let at = Millis(now);
            match (command, argument) {
                ("start", "") => session.start(at),
                ("digit", digit) => {
                    let mut chars = digit.chars();
                    let (Some(digit), None) = (chars.next(), chars.next()) else {
                        panic!("digit takes one character: {line}")
                    };
                    session.handle_digit(at, digit);
                }
                ("prompt-done", "") => match playing {
                    Some(id) => session.handle_prompt_done(at, id),
                    None => {
                        acc.push_str("  (nothing is playing)\n");
                        continue;
                    }
                },
                ("prompt-done", id) => {
                    session.handle_prompt_done(at, PlaybackId(id.parse().expect("playback id")));
                }
                ("advance", _) => match deadline {
                    Some(due) if due <= at => session.handle_timeout(at),
                    _ => continue,
                },
                ("timeout", "") => session.handle_timeout(at),
                ("hours", "open") => session.handle_hours(at, true),
                ("hours", "closed") => session.handle_hours(at, false),
                ("flag", "on") => session.handle_flag(at, true),
                ("flag", "off") => session.handle_flag(at, false),
                ("callback", "accepted") => session.handle_callback(at, true),
                ("callback", "refused") => session.handle_callback(at, false),
                ("recording-done", "") => session.handle_recording_done(at),
                ("overflow", "") => session.handle_queue_overflow(at),
                ("hangup", "") => session.handle_caller_hangup(at),
                _ => panic!("unknown script line: {line}"),
            }
            deadline = None;
            while let Some(output) = session.poll_output() {
                match &output {
                    Output::Play { id, .. } => playing = Some(*id),
                    Output::StopPlayback { id } if playing == Some(*id) => playing = None,
                    Output::Timeout(due) => deadline = Some(*due),
                    _ => {}
                }
                writeln!(acc, "  {}", format_output(&output)).unwrap();
            }
        }

        if let Some(session) = &session {
            acc.push_str("record:\n");
            for step in &session.record().steps {
                writeln!(acc, "  {}", format_step(step)).unwrap();
            }
            let outcome = match &session.record().outcome {
                None => "none".to_owned(),
                Some(Outcome::Queued { queue }) => format!("queued {queue}"),
                Some(Outcome::Transferred { to }) => format!("transferred {to}"),
                Some(Outcome::HungUp { node }) => format!("hung up at {node}"),
                Some(Outcome::CallerHungUp { node }) => {
                    format!("caller hung up at {}", node.as_deref().unwrap_or("-"))
                }
                Some(Outcome::Failed { error }) => format!("failed: {error}"),
            };
            writeln!(acc, "  outcome: {outcome}").unwrap();
            writeln!(
                acc,
                "  lang: {}, node: {}, ended: {}",
                session.lang().code(),
                session.current_node().unwrap_or("-"),
                session.is_ended()
            )
            .unwrap();
        }
        expect.assert_eq(&acc);
    }

    fn format_choices(choices: &[Choice]) -> String {
        if choices.is_empty() {
            return "-".to_owned();
        }
        let parts: Vec<String> = choices
            .iter()
            .map(|choice| format!("{}:{}", choice.menu, choice.digit))
            .collect();
        parts.join(",")
    }

    fn format_output(output: &Output) -> String {
        match output {
            Output::Play { id, prompts } => format!("play #{} {}", id.0, prompts.join(" ")),
            Output::StopPlayback { id } => format!("stop #{}", id.0),
            Output::CheckHours { schedule } => format!("check-hours {schedule}"),
            Output::CheckFlag { flag } => format!("check-flag {flag}"),
            Output::Enqueue {
                queue,
                lang,
                choices,
            } => format!(
                "enqueue {queue} lang={} choices={}",
                lang.code(),
                format_choices(choices)
            ),
            Output::RecordMessage {
                max_ms,
                lang,
                choices,
            } => format!(
                "record-message max={max_ms} lang={} choices={}",
                lang.code(),
                format_choices(choices)
            ),
            Output::RequestCallback { lang, choices } => {
                format!(
                    "request-callback lang={} choices={}",
                    lang.code(),
                    format_choices(choices)
                )
            }
            Output::Transfer { to } => format!("transfer {to}"),
            Output::Hangup => "hangup".to_owned(),
            Output::Failed { error } => format!("failed: {error}"),
            Output::Timeout(due) => format!("timeout @{}", due.0),
        }
    }

    fn format_step(step: &Step) -> String {
        match step {
            Step::Chose(choice) => {
                format!("chose {} {} -> {}", choice.menu, choice.digit, choice.next)
            }
            Step::Invalid { menu, digit } => format!("invalid {menu} {digit}"),
            Step::NoInput { menu } => format!("no input {menu}"),
            Step::MenuFailed { menu } => format!("menu failed {menu}"),
            Step::Language { lang } => format!("language {}", lang.code()),
            Step::Hours { node, open } => {
                format!("hours {node} {}", if *open { "open" } else { "closed" })
            }
            Step::Flag { node, on } => format!("flag {node} {}", if *on { "on" } else { "off" }),
            Step::Callback { node, accepted } => {
                format!(
                    "callback {node} {}",
                    if *accepted { "accepted" } else { "refused" }
                )
            }
            Step::Message { node } => format!("message {node}"),
            Step::Overflow { queue } => format!("overflow {queue}"),
        }
    }

    #[test]
    fn working_day_social_services() {
        check(
            r#"
start
prompt-done
hours open
flag off
advance 20000
prompt-done
digit 1
prompt-done
"#,
            expect![[r#"
                @0 start
                  play #1 bg/privacy_notice
                @0 prompt-done
                  check-hours contact_centre
                @0 hours open
                  check-flag crisis
                @0 flag off
                  play #2 bg/main_menu en/language_offer
                @20000 advance 20000
                @20000 prompt-done
                  timeout @28000
                @20000 digit 1
                  play #3 bg/connecting_social
                @20000 prompt-done
                  enqueue social_services lang=bg choices=main_menu:1
                record:
                  hours check_hours open
                  flag check_crisis off
                  chose main_menu 1 -> to_social
                  outcome: queued social_services
                  lang: bg, node: queue_social, ended: false
            "#]],
        );
    }

    #[test]
    fn barge_in_stops_the_menu_and_acts_on_the_digit() {
        check(
            r#"
start
prompt-done
hours open
flag off
digit 2
prompt-done 2
prompt-done
"#,
            expect![[r#"
                @0 start
                  play #1 bg/privacy_notice
                @0 prompt-done
                  check-hours contact_centre
                @0 hours open
                  check-flag crisis
                @0 flag off
                  play #2 bg/main_menu en/language_offer
                @0 digit 2
                  stop #2
                  play #3 bg/connecting_admin
                @0 prompt-done 2
                @0 prompt-done
                  enqueue administrative_services lang=bg choices=main_menu:2
                record:
                  hours check_hours open
                  flag check_crisis off
                  chose main_menu 2 -> to_admin
                  outcome: queued administrative_services
                  lang: bg, node: queue_admin, ended: false
            "#]],
        );
    }

    #[test]
    fn digits_during_a_notice_are_ignored() {
        check(
            r#"
start
digit 1
hours open
digit x
prompt-done 7
prompt-done
flag on
"#,
            expect![[r#"
                @0 start
                  play #1 bg/privacy_notice
                @0 digit 1
                @0 hours open
                @0 digit x
                @0 prompt-done 7
                @0 prompt-done
                  check-hours contact_centre
                @0 flag on
                record:
                  outcome: none
                  lang: bg, node: check_hours, ended: false
            "#]],
        );
    }

    #[test]
    fn timeout_retries_then_goes_to_an_operator() {
        check(
            r#"
start
prompt-done
hours open
flag off
prompt-done
advance 7999
timeout
advance 1
prompt-done
advance 8000
prompt-done
advance 8000
prompt-done
"#,
            expect![[r#"
                @0 start
                  play #1 bg/privacy_notice
                @0 prompt-done
                  check-hours contact_centre
                @0 hours open
                  check-flag crisis
                @0 flag off
                  play #2 bg/main_menu en/language_offer
                @0 prompt-done
                  timeout @8000
                @7999 advance 7999
                @7999 timeout
                  timeout @8000
                @8000 advance 1
                  play #3 bg/no_choice bg/main_menu en/language_offer
                @8000 prompt-done
                  timeout @16000
                @16000 advance 8000
                  play #4 bg/no_choice bg/main_menu en/language_offer
                @16000 prompt-done
                  timeout @24000
                @24000 advance 8000
                  play #5 bg/connecting_operator
                @24000 prompt-done
                  enqueue general lang=bg choices=-
                record:
                  hours check_hours open
                  flag check_crisis off
                  no input main_menu
                  no input main_menu
                  no input main_menu
                  menu failed main_menu
                  outcome: queued general
                  lang: bg, node: queue_operator, ended: false
            "#]],
        );
    }

    #[test]
    fn invalid_digit_replays_and_barge_in_works_on_the_replay() {
        check(
            r#"
start
prompt-done
hours open
flag off
prompt-done
digit 7
digit 3
prompt-done
"#,
            expect![[r#"
                @0 start
                  play #1 bg/privacy_notice
                @0 prompt-done
                  check-hours contact_centre
                @0 hours open
                  check-flag crisis
                @0 flag off
                  play #2 bg/main_menu en/language_offer
                @0 prompt-done
                  timeout @8000
                @0 digit 7
                  play #3 bg/invalid_choice bg/main_menu en/language_offer
                @0 digit 3
                  stop #3
                  play #4 bg/connecting_environment
                @0 prompt-done
                  enqueue city_environment lang=bg choices=main_menu:3
                record:
                  hours check_hours open
                  flag check_crisis off
                  invalid main_menu 7
                  chose main_menu 3 -> to_environment
                  outcome: queued city_environment
                  lang: bg, node: queue_environment, ended: false
            "#]],
        );
    }

    #[test]
    fn invalid_digits_exhaust_the_menu() {
        check(
            r#"
start
prompt-done
hours open
flag off
prompt-done
digit 8
digit *
advance 1000
digit #
prompt-done
"#,
            expect![[r#"
                @0 start
                  play #1 bg/privacy_notice
                @0 prompt-done
                  check-hours contact_centre
                @0 hours open
                  check-flag crisis
                @0 flag off
                  play #2 bg/main_menu en/language_offer
                @0 prompt-done
                  timeout @8000
                @0 digit 8
                  play #3 bg/invalid_choice bg/main_menu en/language_offer
                @0 digit *
                  stop #3
                  play #4 bg/invalid_choice bg/main_menu en/language_offer
                @1000 advance 1000
                @1000 digit #
                  stop #4
                  play #5 bg/connecting_operator
                @1000 prompt-done
                  enqueue general lang=bg choices=-
                record:
                  hours check_hours open
                  flag check_crisis off
                  invalid main_menu 8
                  invalid main_menu *
                  invalid main_menu #
                  menu failed main_menu
                  outcome: queued general
                  lang: bg, node: queue_operator, ended: false
            "#]],
        );
    }

    #[test]
    fn nine_switches_to_english_and_back() {
        check(
            r#"
start
prompt-done
hours open
flag off
digit 9
prompt-done
digit 9
digit 9
digit 4
prompt-done
"#,
            expect![[r#"
                @0 start
                  play #1 bg/privacy_notice
                @0 prompt-done
                  check-hours contact_centre
                @0 hours open
                  check-flag crisis
                @0 flag off
                  play #2 bg/main_menu en/language_offer
                @0 digit 9
                  stop #2
                  play #3 en/main_menu bg/language_offer
                @0 prompt-done
                  timeout @8000
                @0 digit 9
                  play #4 bg/main_menu en/language_offer
                @0 digit 9
                  stop #4
                  play #5 en/main_menu bg/language_offer
                @0 digit 4
                  stop #5
                  play #6 en/connecting_psych
                @0 prompt-done
                  enqueue psychological_support lang=en choices=main_menu:9,main_menu:9,main_menu:9,main_menu:4
                record:
                  hours check_hours open
                  flag check_crisis off
                  chose main_menu 9 -> main_language
                  language en
                  chose main_menu 9 -> main_language
                  language bg
                  chose main_menu 9 -> main_language
                  language en
                  chose main_menu 4 -> to_psych
                  outcome: queued psychological_support
                  lang: en, node: queue_psych, ended: false
            "#]],
        );
    }

    #[test]
    fn a_call_can_start_in_english() {
        check(
            r#"
lang en
start
prompt-done
hours open
flag off
digit 0
prompt-done
"#,
            expect![[r#"
                @0 start
                  play #1 en/privacy_notice
                @0 prompt-done
                  check-hours contact_centre
                @0 hours open
                  check-flag crisis
                @0 flag off
                  play #2 en/main_menu bg/language_offer
                @0 digit 0
                  stop #2
                  play #3 en/connecting_operator
                @0 prompt-done
                  enqueue general lang=en choices=main_menu:0
                record:
                  hours check_hours open
                  flag check_crisis off
                  chose main_menu 0 -> to_operator
                  outcome: queued general
                  lang: en, node: queue_operator, ended: false
            "#]],
        );
    }

    #[test]
    fn after_hours_message() {
        check(
            r#"
start
prompt-done
hours closed
prompt-done
digit 1
prompt-done
recording-done
recording-done
prompt-done
"#,
            expect![[r#"
                @0 start
                  play #1 bg/privacy_notice
                @0 prompt-done
                  check-hours contact_centre
                @0 hours closed
                  play #2 bg/after_hours
                @0 prompt-done
                  play #3 bg/message_or_callback en/language_offer
                @0 digit 1
                  stop #3
                  play #4 bg/record_message
                @0 prompt-done
                  record-message max=120000 lang=bg choices=after_hours_menu:1
                @0 recording-done
                  play #5 bg/message_saved
                @0 recording-done
                @0 prompt-done
                  hangup
                record:
                  hours check_hours closed
                  chose after_hours_menu 1 -> leave_message
                  message leave_message
                  outcome: hung up at message_saved
                  lang: bg, node: message_saved, ended: true
            "#]],
        );
    }

    #[test]
    fn after_hours_callback() {
        check(
            r#"
start
prompt-done
hours closed
prompt-done
digit 9
prompt-done
prompt-done
digit 2
callback accepted
prompt-done
"#,
            expect![[r#"
                @0 start
                  play #1 bg/privacy_notice
                @0 prompt-done
                  check-hours contact_centre
                @0 hours closed
                  play #2 bg/after_hours
                @0 prompt-done
                  play #3 bg/message_or_callback en/language_offer
                @0 digit 9
                  stop #3
                  play #4 en/after_hours
                @0 prompt-done
                  play #5 en/message_or_callback bg/language_offer
                @0 prompt-done
                  timeout @8000
                @0 digit 2
                  request-callback lang=en choices=after_hours_menu:9,after_hours_menu:2
                @0 callback accepted
                  play #6 en/callback_booked
                @0 prompt-done
                  hangup
                record:
                  hours check_hours closed
                  chose after_hours_menu 9 -> after_hours_language
                  language en
                  chose after_hours_menu 2 -> callback
                  callback callback accepted
                  outcome: hung up at callback_booked
                  lang: en, node: callback_booked, ended: true
            "#]],
        );
    }

    #[test]
    fn after_hours_withheld_number_leaves_a_message_and_hangs_up() {
        check(
            r#"
start
prompt-done
hours closed
digit 9
prompt-done
digit 2
callback refused
prompt-done
prompt-done
hangup
hangup
"#,
            expect![[r#"
                @0 start
                  play #1 bg/privacy_notice
                @0 prompt-done
                  check-hours contact_centre
                @0 hours closed
                  play #2 bg/after_hours
                @0 digit 9
                @0 prompt-done
                  play #3 bg/message_or_callback en/language_offer
                @0 digit 2
                  stop #3
                  request-callback lang=bg choices=after_hours_menu:2
                @0 callback refused
                  play #4 bg/no_number
                @0 prompt-done
                  play #5 bg/record_message
                @0 prompt-done
                  record-message max=120000 lang=bg choices=after_hours_menu:2
                @0 hangup
                @0 hangup
                record:
                  hours check_hours closed
                  chose after_hours_menu 2 -> callback
                  callback callback refused
                  message leave_message
                  outcome: caller hung up at leave_message
                  lang: bg, node: leave_message, ended: true
            "#]],
        );
    }

    #[test]
    fn after_hours_silence_ends_politely() {
        check(
            r#"
start
prompt-done
hours closed
prompt-done
prompt-done
advance 8000
prompt-done
advance 8000
prompt-done
advance 8000
prompt-done
digit 1
"#,
            expect![[r#"
                @0 start
                  play #1 bg/privacy_notice
                @0 prompt-done
                  check-hours contact_centre
                @0 hours closed
                  play #2 bg/after_hours
                @0 prompt-done
                  play #3 bg/message_or_callback en/language_offer
                @0 prompt-done
                  timeout @8000
                @8000 advance 8000
                  play #4 bg/no_choice bg/message_or_callback en/language_offer
                @8000 prompt-done
                  timeout @16000
                @16000 advance 8000
                  play #5 bg/no_choice bg/message_or_callback en/language_offer
                @16000 prompt-done
                  timeout @24000
                @24000 advance 8000
                  play #6 bg/goodbye
                @24000 prompt-done
                  hangup
                @24000 digit 1
                record:
                  hours check_hours closed
                  no input after_hours_menu
                  no input after_hours_menu
                  no input after_hours_menu
                  menu failed after_hours_menu
                  outcome: hung up at goodbye
                  lang: bg, node: goodbye, ended: true
            "#]],
        );
    }

    #[test]
    fn crisis_flag_on_reaches_the_crisis_line() {
        check(
            r#"
start
prompt-done
hours open
flag on
digit 1
prompt-done
digit 1
prompt-done
"#,
            expect![[r#"
                @0 start
                  play #1 bg/privacy_notice
                @0 prompt-done
                  check-hours contact_centre
                @0 hours open
                  check-flag crisis
                @0 flag on
                  play #2 bg/crisis_announcement
                @0 digit 1
                @0 prompt-done
                  play #3 bg/crisis_menu en/language_offer
                @0 digit 1
                  stop #3
                  play #4 bg/connecting_crisis
                @0 prompt-done
                  enqueue crisis lang=bg choices=crisis_menu:1
                record:
                  hours check_hours open
                  flag check_crisis on
                  chose crisis_menu 1 -> to_crisis
                  outcome: queued crisis
                  lang: bg, node: queue_crisis, ended: false
            "#]],
        );
    }

    #[test]
    fn crisis_menu_leads_on_to_the_main_menu() {
        check(
            r#"
start
prompt-done
hours open
flag on
prompt-done
digit 9
prompt-done
digit 2
prompt-done
digit 3
prompt-done
"#,
            expect![[r#"
                @0 start
                  play #1 bg/privacy_notice
                @0 prompt-done
                  check-hours contact_centre
                @0 hours open
                  check-flag crisis
                @0 flag on
                  play #2 bg/crisis_announcement
                @0 prompt-done
                  play #3 bg/crisis_menu en/language_offer
                @0 digit 9
                  stop #3
                  play #4 en/crisis_announcement
                @0 prompt-done
                  play #5 en/crisis_menu bg/language_offer
                @0 digit 2
                  stop #5
                  play #6 en/main_menu bg/language_offer
                @0 prompt-done
                  timeout @8000
                @0 digit 3
                  play #7 en/connecting_environment
                @0 prompt-done
                  enqueue city_environment lang=en choices=crisis_menu:9,crisis_menu:2,main_menu:3
                record:
                  hours check_hours open
                  flag check_crisis on
                  chose crisis_menu 9 -> crisis_language
                  language en
                  chose crisis_menu 2 -> main_menu
                  chose main_menu 3 -> to_environment
                  outcome: queued city_environment
                  lang: en, node: queue_environment, ended: false
            "#]],
        );
    }

    #[test]
    fn queue_overflow_offers_a_callback() {
        check(
            r#"
start
prompt-done
hours open
flag off
digit 4
prompt-done
overflow
prompt-done
digit 2
callback accepted
prompt-done
overflow
"#,
            expect![[r#"
                @0 start
                  play #1 bg/privacy_notice
                @0 prompt-done
                  check-hours contact_centre
                @0 hours open
                  check-flag crisis
                @0 flag off
                  play #2 bg/main_menu en/language_offer
                @0 digit 4
                  stop #2
                  play #3 bg/connecting_psych
                @0 prompt-done
                  enqueue psychological_support lang=bg choices=main_menu:4
                @0 overflow
                  play #4 bg/all_busy
                @0 prompt-done
                  play #5 bg/message_or_callback
                @0 digit 2
                  stop #5
                  request-callback lang=bg choices=main_menu:4,busy_menu:2
                @0 callback accepted
                  play #6 bg/callback_booked
                @0 prompt-done
                  hangup
                @0 overflow
                record:
                  hours check_hours open
                  flag check_crisis off
                  chose main_menu 4 -> to_psych
                  overflow psychological_support
                  chose busy_menu 2 -> callback
                  callback callback accepted
                  outcome: hung up at callback_booked
                  lang: bg, node: callback_booked, ended: true
            "#]],
        );
    }

    #[test]
    fn caller_hangs_up_in_a_menu() {
        check(
            r#"
start
prompt-done
hours open
flag off
prompt-done
hangup
advance 8000
timeout
digit 1
"#,
            expect![[r#"
                @0 start
                  play #1 bg/privacy_notice
                @0 prompt-done
                  check-hours contact_centre
                @0 hours open
                  check-flag crisis
                @0 flag off
                  play #2 bg/main_menu en/language_offer
                @0 prompt-done
                  timeout @8000
                @0 hangup
                @8000 advance 8000
                @8000 timeout
                @8000 digit 1
                record:
                  hours check_hours open
                  flag check_crisis off
                  outcome: caller hung up at main_menu
                  lang: bg, node: main_menu, ended: true
            "#]],
        );
    }

    #[test]
    fn caller_hangs_up_in_the_queue() {
        check(
            r#"
start
prompt-done
hours open
flag off
digit 1
prompt-done
hangup
overflow
"#,
            expect![[r#"
                @0 start
                  play #1 bg/privacy_notice
                @0 prompt-done
                  check-hours contact_centre
                @0 hours open
                  check-flag crisis
                @0 flag off
                  play #2 bg/main_menu en/language_offer
                @0 digit 1
                  stop #2
                  play #3 bg/connecting_social
                @0 prompt-done
                  enqueue social_services lang=bg choices=main_menu:1
                @0 hangup
                @0 overflow
                record:
                  hours check_hours open
                  flag check_crisis off
                  chose main_menu 1 -> to_social
                  outcome: queued social_services
                  lang: bg, node: queue_social, ended: true
            "#]],
        );
    }

    #[test]
    fn caller_hangs_up_before_start() {
        check(
            r#"
hangup
start
"#,
            expect![[r#"
                @0 hangup
                @0 start
                record:
                  outcome: caller hung up at -
                  lang: bg, node: -, ended: true
            "#]],
        );
    }

    #[test]
    fn answers_nobody_asked_for_are_ignored() {
        check(
            r#"
hours open
start
start
flag on
callback accepted
recording-done
overflow
timeout
prompt-done 1
"#,
            expect![[r#"
                @0 hours open
                @0 start
                  play #1 bg/privacy_notice
                @0 start
                @0 flag on
                @0 callback accepted
                @0 recording-done
                @0 overflow
                @0 timeout
                @0 prompt-done 1
                  check-hours contact_centre
                record:
                  outcome: none
                  lang: bg, node: check_hours, ended: false
            "#]],
        );
    }

    #[test]
    fn transfer_after_a_silent_play() {
        check(
            r#"
flow transfer
start
prompt-done
digit 1
prompt-done
"#,
            expect![[r#"
                @0 start
                  play #1 bg/menu
                @0 prompt-done
                  timeout @5000
                @0 digit 1
                  play #2 bg/transferring
                @0 prompt-done
                  transfer +35932000000
                record:
                  chose menu 1 -> silent
                  outcome: transferred +35932000000
                  lang: bg, node: red_cross, ended: true
            "#]],
        );
    }

    #[test]
    fn menu_without_retries_fails_at_once() {
        check(
            r#"
flow transfer
start
digit 5
"#,
            expect![[r#"
                @0 start
                  play #1 bg/menu
                @0 digit 5
                  stop #1
                  hangup
                record:
                  invalid menu 5
                  menu failed menu
                  outcome: hung up at bye
                  lang: bg, node: bye, ended: true
            "#]],
        );
    }

    #[test]
    fn missing_node_fails_instead_of_dropping_the_call() {
        check(
            r#"
flow missing
start
digit 1
"#,
            expect![[r#"
                @0 start
                  failed: node `nowhere` is missing
                @0 digit 1
                record:
                  outcome: failed: node `nowhere` is missing
                  lang: bg, node: start, ended: true
            "#]],
        );
    }

    #[test]
    fn spinning_flow_fails_instead_of_hanging() {
        check(
            r#"
flow spin
start
"#,
            expect![[r#"
                @0 start
                  failed: the flow loops without a prompt or input, stopped at node `b`
                record:
                  outcome: failed: the flow loops without a prompt or input, stopped at node `b`
                  lang: bg, node: a, ended: true
            "#]],
        );
    }
}

/// Flows run through [`Flow::validate`].
mod validation {
    use super::*;

    fn check(flow: Flow, expect: Expect) {
        let validation = flow.validate();
        let mut acc = String::new();
        for error in &validation.errors {
            writeln!(acc, "error: {error}").unwrap();
        }
        for warning in &validation.warnings {
            writeln!(acc, "warning: {warning}").unwrap();
        }
        if acc.is_empty() {
            acc.push_str("ok\n");
        }
        expect.assert_eq(&acc);
    }

    #[test]
    fn missing_start_and_targets() {
        check(
            flow(
                "begin",
                vec![
                    ("welcome", play(&["hello"], "menu")),
                    ("menu", menu(&[('1', "queue"), ('2', "welcome")], 2, "gone")),
                ],
            ),
            expect![[r#"
                error: start node `begin` does not exist
                error: node `menu`: option 1 leads to missing node `queue`
                error: node `menu`: on_fail leads to missing node `gone`
            "#]],
        );
    }

    #[test]
    fn bad_menus() {
        let mut options = menu(
            &[('1', "end"), ('a', "end"), ('1', "end"), ('#', "end")],
            1,
            "end",
        );
        if let Node::Menu(menu) = &mut options {
            menu.timeout_ms = 0;
        }
        let mut silent = menu(&[], 1, "end");
        if let Node::Menu(menu) = &mut silent {
            menu.prompts.clear();
            menu.invalid_prompts = prompts(&["../../etc/passwd", ""]);
            menu.timeout_prompts = prompts(&["Loud"]);
        }
        check(
            flow(
                "options",
                vec![
                    ("options", options),
                    ("silent", silent),
                    ("end", hangup(&["bye"])),
                ],
            ),
            expect![[r#"
                error: node `options`: timeout_ms must be greater than zero
                error: node `options`: option `a` is not a keypad key (0-9, *, #)
                error: node `options`: option 1 is defined more than once
                error: node `silent`: prompt name "../../etc/passwd" must be non-empty lowercase ascii letters, digits, `_` or `-`
                error: node `silent`: prompt name "" must be non-empty lowercase ascii letters, digits, `_` or `-`
                error: node `silent`: prompt name "Loud" must be non-empty lowercase ascii letters, digits, `_` or `-`
                error: node `silent`: nothing to play
                error: node `silent`: menu has no options
                warning: node `silent`: unreachable from the start node
            "#]],
        );
    }

    #[test]
    fn bad_fields() {
        check(
            flow(
                "empty_play",
                vec![
                    ("empty_play", play(&[], "hours")),
                    (
                        "hours",
                        Node::Hours {
                            schedule: String::new(),
                            open: "flag".to_owned(),
                            closed: "flag".to_owned(),
                        },
                    ),
                    (
                        "flag",
                        Node::Flag {
                            name: String::new(),
                            on: "queue".to_owned(),
                            off: "queue".to_owned(),
                        },
                    ),
                    (
                        "queue",
                        Node::Queue {
                            queue: String::new(),
                            on_overflow: "voicemail".to_owned(),
                        },
                    ),
                    (
                        "voicemail",
                        Node::Voicemail {
                            prompts: Vec::new(),
                            max_ms: 0,
                            then: "transfer".to_owned(),
                        },
                    ),
                    (
                        "transfer",
                        Node::Transfer {
                            prompts: Vec::new(),
                            to: "0800 12 345".to_owned(),
                        },
                    ),
                    ("Bad Name", hangup(&[])),
                    ("", hangup(&[])),
                ],
            ),
            expect![[r#"
                error: node ``: name must be non-empty lowercase ascii letters, digits, `_` or `-`
                error: node `Bad Name`: name must be non-empty lowercase ascii letters, digits, `_` or `-`
                error: node `empty_play`: nothing to play
                error: node `flag`: name is empty
                error: node `hours`: schedule is empty
                error: node `queue`: queue is empty
                error: node `transfer`: transfer number "0800 12 345" must be digits with an optional leading `+`, at most 20 digits
                error: node `voicemail`: max_ms must be greater than zero
                warning: node ``: unreachable from the start node
                warning: node `Bad Name`: unreachable from the start node
            "#]],
        );
    }

    #[test]
    fn good_transfer_numbers() {
        check(
            flow(
                "a",
                vec![
                    (
                        "a",
                        Node::Transfer {
                            prompts: Vec::new(),
                            to: "+35932000000".to_owned(),
                        },
                    ),
                    (
                        "b",
                        Node::Transfer {
                            prompts: Vec::new(),
                            to: "112".to_owned(),
                        },
                    ),
                    (
                        "c",
                        Node::Transfer {
                            prompts: Vec::new(),
                            to: "+".to_owned(),
                        },
                    ),
                    (
                        "d",
                        Node::Transfer {
                            prompts: Vec::new(),
                            to: "+123456789012345678901".to_owned(),
                        },
                    ),
                ],
            ),
            expect![[r#"
                error: node `c`: transfer number "+" must be digits with an optional leading `+`, at most 20 digits
                error: node `d`: transfer number "+123456789012345678901" must be digits with an optional leading `+`, at most 20 digits
                warning: node `b`: unreachable from the start node
                warning: node `c`: unreachable from the start node
                warning: node `d`: unreachable from the start node
            "#]],
        );
    }

    #[test]
    fn loops_without_prompt_or_input_spin() {
        check(
            flow(
                "a",
                vec![
                    ("a", goto("b")),
                    (
                        "b",
                        Node::Language {
                            switch: LangSwitch::To(Lang::En),
                            next: "c".to_owned(),
                        },
                    ),
                    (
                        "c",
                        Node::Hours {
                            schedule: "s".to_owned(),
                            open: "a".to_owned(),
                            closed: "d".to_owned(),
                        },
                    ),
                    ("d", goto("d")),
                    (
                        "e",
                        Node::Callback {
                            accepted: "f".to_owned(),
                            refused: "e".to_owned(),
                        },
                    ),
                    (
                        "f",
                        Node::Flag {
                            name: "crisis".to_owned(),
                            on: "g".to_owned(),
                            off: "e".to_owned(),
                        },
                    ),
                    (
                        "g",
                        Node::Queue {
                            queue: "q".to_owned(),
                            on_overflow: "f".to_owned(),
                        },
                    ),
                ],
            ),
            expect![[r#"
                error: nodes `a`, `b`, `c` form a loop without any prompt or input, a call would spin
                error: node `d` leads to itself without any prompt or input, a call would spin
                error: nodes `e`, `f`, `g` form a loop without any prompt or input, a call would spin
                warning: node `e`: unreachable from the start node
                warning: node `f`: unreachable from the start node
                warning: node `g`: unreachable from the start node
            "#]],
        );
    }

    #[test]
    fn loops_through_a_prompt_or_menu_are_fine() {
        check(
            flow(
                "a",
                vec![
                    ("a", goto("b")),
                    ("b", play(&["hello"], "c")),
                    (
                        "c",
                        Node::Queue {
                            queue: "q".to_owned(),
                            on_overflow: "a".to_owned(),
                        },
                    ),
                    ("m", menu(&[('1', "m")], 1, "x")),
                    ("x", goto("m")),
                ],
            ),
            expect![[r#"
                warning: node `m`: unreachable from the start node
                warning: node `x`: unreachable from the start node
            "#]],
        );
    }

    #[test]
    fn demo_is_valid() {
        check(
            plovdiv_demo(),
            expect![[r#"
            ok
        "#]],
        );
    }
}

/// The demo's prompt texts against the prompts its flow uses.
mod demo {
    use super::*;

    fn check(expect: Expect) {
        let flow = plovdiv_demo();
        let references = flow.references();
        let texts = demo_prompt_texts();
        let listed: BTreeSet<String> = texts
            .iter()
            .map(|(name, _, _)| (*name).to_owned())
            .collect();
        let mut acc = String::new();
        for name in references.prompts.difference(&listed) {
            writeln!(acc, "used but has no text: {name}").unwrap();
        }
        for name in listed.difference(&references.prompts) {
            writeln!(acc, "has text but is unused: {name}").unwrap();
        }
        for (name, bulgarian, english) in &texts {
            if !bulgarian.chars().any(|c| ('а'..='я').contains(&c)) {
                writeln!(acc, "bulgarian text of {name} is not in cyrillic").unwrap();
            }
            if english.is_empty() || !english.is_ascii() {
                writeln!(acc, "english text of {name} is empty or not ascii").unwrap();
            }
        }
        writeln!(acc, "queues: {:?}", references.queues).unwrap();
        writeln!(acc, "schedules: {:?}", references.schedules).unwrap();
        writeln!(acc, "flags: {:?}", references.flags).unwrap();
        writeln!(acc, "transfer numbers: {:?}", references.transfer_numbers).unwrap();
        expect.assert_eq(&acc);
    }

    #[test]
    fn prompts_and_references() {
        check(expect![[r#"
            queues: {"administrative_services", "city_environment", "crisis", "general", "psychological_support", "social_services"}
            schedules: {"contact_centre"}
            flags: {"crisis"}
            transfer numbers: {}
        "#]]);
    }
}

/// Random flows and random events: nothing panics, every drain keeps the output contract, and a
/// flow that validates never fails at run time. The summary is a snapshot, so a change in
/// behaviour shows up as a diff.
mod storm {
    use super::*;

    /// xorshift64*: deterministic, no dependency.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, bound: usize) -> usize {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            let value = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33;
            (value % bound as u64) as usize
        }

        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.below(items.len())]
        }

        fn bool(&mut self) -> bool {
            self.below(2) == 1
        }
    }

    fn random_flow(rng: &mut Rng) -> Flow {
        let count = rng.below(8) + 1;
        // Now and then a target is `n{count}`, which does not exist, or a prompt name is bad;
        // otherwise most flows would be invalid and the valid ones would be tested too little.
        let target = |rng: &mut Rng| {
            let index = if rng.below(30) == 0 {
                count
            } else {
                rng.below(count)
            };
            format!("n{index}")
        };
        let random_prompts = |rng: &mut Rng| -> Vec<PromptRef> {
            let names = ["a", "b", "a", "b", "a", "b", "a", "b", "a", "Bad/"];
            (0..rng.below(3) + usize::from(rng.below(8) != 0))
                .map(|_| PromptRef::new(rng.pick(&names)))
                .collect()
        };
        let mut nodes = Vec::new();
        for index in 0..count {
            let node = match rng.below(11) {
                0 => Node::Play {
                    prompts: random_prompts(rng),
                    next: target(rng),
                },
                1 => Node::Menu(Menu {
                    prompts: random_prompts(rng),
                    options: (0..rng.below(4) + 1)
                        .map(|_| MenuOption {
                            digit: rng
                                .pick(&["0", "1", "2", "9", "*", "#", "1", "2", "9", "a"])
                                .chars()
                                .next()
                                .unwrap_or('1'),
                            next: target(rng),
                        })
                        .collect(),
                    timeout_ms: [0, 1_000, 2_000, 1_000, 2_000, 1_000][rng.below(6)],
                    max_retries: rng.below(3) as u32,
                    invalid_prompts: random_prompts(rng),
                    timeout_prompts: random_prompts(rng),
                    on_fail: target(rng),
                }),
                2 => Node::Language {
                    switch: if rng.bool() {
                        LangSwitch::Toggle
                    } else {
                        LangSwitch::To(Lang::En)
                    },
                    next: target(rng),
                },
                3 => Node::Hours {
                    schedule: "s".to_owned(),
                    open: target(rng),
                    closed: target(rng),
                },
                4 => Node::Flag {
                    name: "f".to_owned(),
                    on: target(rng),
                    off: target(rng),
                },
                5 => Node::Queue {
                    queue: "q".to_owned(),
                    on_overflow: target(rng),
                },
                6 => Node::Voicemail {
                    prompts: random_prompts(rng),
                    max_ms: 1_000,
                    then: target(rng),
                },
                7 => Node::Callback {
                    accepted: target(rng),
                    refused: target(rng),
                },
                8 => Node::Transfer {
                    prompts: random_prompts(rng),
                    to: "+3591".to_owned(),
                },
                9 => Node::Goto { next: target(rng) },
                _ => Node::Hangup {
                    prompts: random_prompts(rng),
                },
            };
            nodes.push((format!("n{index}"), node));
        }
        Flow {
            start: "n0".to_owned(),
            nodes: nodes.into_iter().collect(),
        }
    }

    /// Runs one call of random events; returns the outcome name.
    fn random_call(rng: &mut Rng, flow: &Arc<Flow>, flow_is_valid: bool) -> &'static str {
        let lang = if rng.bool() { Lang::Bg } else { Lang::En };
        let mut session = Session::new(Arc::clone(flow), lang);
        let mut now = 0u64;
        let mut playing: Option<PlaybackId> = None;
        let mut deadline: Option<Millis> = None;
        for event in 0..60 {
            let was_ended = session.is_ended();
            let at = Millis(now);
            match if event == 0 { 0 } else { rng.below(12) } {
                0 => session.start(at),
                1 | 2 => session.handle_digit(
                    at,
                    rng.pick(&["1", "2", "9", "0", "#", "x"])
                        .chars()
                        .next()
                        .unwrap_or('1'),
                ),
                3 | 4 => {
                    let id = if rng.below(5) == 0 {
                        PlaybackId(rng.below(9) as u64)
                    } else {
                        playing.unwrap_or(PlaybackId(0))
                    };
                    session.handle_prompt_done(at, id);
                }
                5 => {
                    now += rng.below(3_000) as u64;
                    let at = Millis(now);
                    if deadline.is_some_and(|due| due <= at) || rng.below(4) == 0 {
                        session.handle_timeout(at);
                    } else {
                        continue;
                    }
                }
                6 => session.handle_hours(at, rng.bool()),
                7 => session.handle_flag(at, rng.bool()),
                8 => session.handle_callback(at, rng.bool()),
                9 => session.handle_recording_done(at),
                10 => session.handle_queue_overflow(at),
                _ => {
                    if rng.below(10) == 0 {
                        session.handle_caller_hangup(at);
                    } else {
                        continue;
                    }
                }
            }
            deadline = None;
            let mut outputs = Vec::new();
            while let Some(output) = session.poll_output() {
                outputs.push(output);
                assert!(outputs.len() < 100, "poll_output never ends");
            }
            for (index, output) in outputs.iter().enumerate() {
                match output {
                    Output::Timeout(due) => {
                        assert_eq!(index + 1, outputs.len(), "timeout is not last: {outputs:?}");
                        assert!(due.0 >= now, "deadline in the past: {outputs:?}");
                        deadline = Some(*due);
                    }
                    Output::Play { id, prompts } => {
                        assert!(!prompts.is_empty());
                        assert!(
                            prompts
                                .iter()
                                .all(|p| p.starts_with("bg/") || p.starts_with("en/"))
                        );
                        playing = Some(*id);
                    }
                    Output::StopPlayback { id } => {
                        assert_eq!(Some(*id), playing, "stopped a playback that is not playing");
                        playing = None;
                    }
                    Output::Failed { error } => {
                        assert!(!flow_is_valid, "valid flow failed: {error}: {flow:?}");
                    }
                    _ => {}
                }
            }
            if was_ended {
                assert!(outputs.is_empty(), "output after the end: {outputs:?}");
            }
        }
        match &session.record().outcome {
            None => "none",
            Some(Outcome::Queued { .. }) => "queued",
            Some(Outcome::Transferred { .. }) => "transferred",
            Some(Outcome::HungUp { .. }) => "hung up",
            Some(Outcome::CallerHungUp { .. }) => "caller hung up",
            Some(Outcome::Failed { .. }) => "failed",
        }
    }

    fn check(seed: u64, expect: Expect) {
        let mut rng = Rng(seed);
        let mut tally: std::collections::BTreeMap<String, usize> = Default::default();
        let demo = Arc::new(plovdiv_demo());
        for _ in 0..300 {
            let outcome = random_call(&mut rng, &demo, true);
            *tally.entry(format!("demo {outcome}")).or_default() += 1;
        }
        for _ in 0..3_000 {
            let flow = random_flow(&mut rng);
            let valid = flow.validate().errors.is_empty();
            *tally
                .entry(format!("flows {}", if valid { "valid" } else { "invalid" }))
                .or_default() += 1;
            let flow = Arc::new(flow);
            for _ in 0..3 {
                let outcome = random_call(&mut rng, &flow, valid);
                let kind = if valid { "valid" } else { "invalid" };
                *tally.entry(format!("{kind} {outcome}")).or_default() += 1;
            }
        }
        let mut acc = String::new();
        for (key, count) in &tally {
            writeln!(acc, "{key}: {count}").unwrap();
        }
        expect.assert_eq(&acc);
    }

    #[test]
    fn random_calls_keep_the_contract() {
        check(
            0x5eed_1234_abcd_0001,
            expect![[r#"
            demo caller hung up: 114
            demo hung up: 32
            demo none: 144
            demo queued: 10
            flows invalid: 2595
            flows valid: 405
            invalid caller hung up: 1548
            invalid failed: 1386
            invalid hung up: 1112
            invalid none: 1929
            invalid queued: 703
            invalid transferred: 1107
            valid caller hung up: 233
            valid hung up: 333
            valid none: 290
            valid queued: 27
            valid transferred: 332
        "#]],
        );
    }
}
