//! The pure parts of the phone intake: which service the caller's menu choices name, and the
//! case description in each language.

use expect_test::{Expect, expect};

use super::{Request, describe, service_queue};
use crate::demo::category_for_queue;

/// `menu digit next` per line, as the switch reports choices.
fn choices(script: &str) -> Vec<ivr::Choice> {
    script
        .lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let menu = parts.next()?.to_owned();
            let digit = parts.next()?.chars().next()?;
            let next = parts.next()?.to_owned();
            Some(ivr::Choice { menu, digit, next })
        })
        .collect()
}

fn check_category(script: &str, expect: Expect) {
    let flow = ivr::plovdiv_demo();
    let choices = choices(script);
    let queue = service_queue(&flow, &choices);
    let category = queue.map_or(crate::demo::GENERAL_CATEGORY, category_for_queue);
    expect.assert_eq(&format!("{} -> {category}", queue.unwrap_or("-")));
}

#[test]
fn choices_name_a_service_or_general() {
    check_category("after_hours_menu 1 leave_message", expect!["- -> general"]);
    check_category("", expect!["- -> general"]);
    check_category("main_menu 1 to_social\nbusy_menu 1 leave_message", expect!["social_services -> social-help"]);
    check_category("main_menu 2 to_admin\nbusy_menu 2 callback", expect!["administrative_services -> documents"]);
    check_category("main_menu 3 to_environment\nbusy_menu 1 leave_message", expect!["city_environment -> general"]);
    check_category("main_menu 4 to_psych\nbusy_menu 2 callback", expect!["psychological_support -> psychological-support"]);
    check_category("main_menu 0 to_operator\nbusy_menu 1 leave_message", expect!["general -> general"]);
    check_category("crisis_menu 1 to_crisis\nbusy_menu 1 leave_message", expect!["crisis -> general"]);
    // The last service chosen wins; a choice that leads to another menu names none.
    check_category("crisis_menu 2 main_menu\nmain_menu 4 to_psych", expect!["psychological_support -> psychological-support"]);
    check_category("main_menu 9 main_language\nmain_menu 1 to_social", expect!["social_services -> social-help"]);
    check_category("main_menu 1 no_such_node", expect!["- -> general"]);
}

fn check_description(voicemail: bool, lang: ivr::Lang, open_now: bool, has_number: bool, expect: Expect) {
    let path = std::path::PathBuf::from("voicemail-1-c7.wav");
    let request = if voicemail { Request::Voicemail { recording: &path } } else { Request::Callback { in_queue: false } };
    // 2026-04-14 08:30 Sofia (EEST) is 05:30 UTC.
    let due = calendar::Timestamp::from_unix_millis(1_776_144_600_000);
    let choices = choices("main_menu 1 to_social\nbusy_menu 2 callback");
    let text = describe(&request, lang, open_now, telephony::CallId(7), &choices, has_number, due);
    expect.assert_eq(&text);
}

#[test]
fn descriptions_in_the_callers_language() {
    check_description(
        true,
        ivr::Lang::Bg,
        false,
        true,
        expect!["Гласово съобщение извън работно време; записът е приложен. Обаждане c7, път в менюто: main_menu 1 → to_social, busy_menu 2 → callback."],
    );
    check_description(
        true,
        ivr::Lang::En,
        true,
        false,
        expect!["Voice message left while every line was busy; the recording is attached. The number was withheld. Call c7, menu path: main_menu 1 → to_social, busy_menu 2 → callback."],
    );
    check_description(
        false,
        ivr::Lang::Bg,
        false,
        true,
        expect!["Заявка за обратно обаждане извън работно време. Обратното обаждане е дължимо на 2026-04-14 08:30. Обаждане c7, път в менюто: main_menu 1 → to_social, busy_menu 2 → callback."],
    );
    check_description(
        false,
        ivr::Lang::En,
        false,
        true,
        expect!["Callback requested after hours. The callback is due 2026-04-14 08:30. Call c7, menu path: main_menu 1 → to_social, busy_menu 2 → callback."],
    );
}
