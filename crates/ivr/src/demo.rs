//! The Plovdiv demo flow and the text of its prompts.
//!
//! The call hears a short privacy notice, then the working-hours check. After hours it hears the
//! working hours and may leave a message or ask for a callback. In working hours the crisis flag
//! decides whether the crisis announcement and crisis menu come first; then the main menu sends
//! the call to one of five queues. Every menu falls back to a person or a polite goodbye, never
//! to silence, and "9" switches between Bulgarian and English in every menu a caller meets first.

use crate::flow::{Flow, LangSwitch, Menu, MenuOption, Node, PromptRef};

/// The calendar schedule the demo checks.
const SCHEDULE: &str = "contact_centre";
/// The supervisor's flag for the crisis announcement and crisis branch.
const CRISIS_FLAG: &str = "crisis";
/// How long a menu waits for a key; generous for elderly callers.
const MENU_TIMEOUT_MS: u64 = 8_000;
/// How often a menu is repeated before its fallback.
const MENU_RETRIES: u32 = 2;
/// The longest voicemail message.
const MESSAGE_MAX_MS: u64 = 120_000;

/// The demo flow for Plovdiv; its prompts are listed by [`demo_prompt_texts`].
pub fn plovdiv_demo() -> Flow {
    let nodes = [
        ("welcome", play(&["privacy_notice"], "check_hours")),
        (
            "check_hours",
            Node::Hours {
                schedule: SCHEDULE.to_owned(),
                open: "check_crisis".to_owned(),
                closed: "after_hours".to_owned(),
            },
        ),
        // Working hours.
        (
            "check_crisis",
            Node::Flag {
                name: CRISIS_FLAG.to_owned(),
                on: "crisis_announcement".to_owned(),
                off: "main_menu".to_owned(),
            },
        ),
        (
            "crisis_announcement",
            play(&["crisis_announcement"], "crisis_menu"),
        ),
        (
            "crisis_menu",
            menu(
                "crisis_menu",
                &[
                    ('1', "to_crisis"),
                    ('2', "main_menu"),
                    ('9', "crisis_language"),
                ],
                "to_operator",
            ),
        ),
        ("crisis_language", toggle_language("crisis_announcement")),
        (
            "main_menu",
            menu(
                "main_menu",
                &[
                    ('1', "to_social"),
                    ('2', "to_admin"),
                    ('3', "to_environment"),
                    ('4', "to_psych"),
                    ('0', "to_operator"),
                    ('9', "main_language"),
                ],
                "to_operator",
            ),
        ),
        ("main_language", toggle_language("main_menu")),
        ("to_social", play(&["connecting_social"], "queue_social")),
        ("queue_social", queue("social_services")),
        ("to_admin", play(&["connecting_admin"], "queue_admin")),
        ("queue_admin", queue("administrative_services")),
        (
            "to_environment",
            play(&["connecting_environment"], "queue_environment"),
        ),
        ("queue_environment", queue("city_environment")),
        ("to_psych", play(&["connecting_psych"], "queue_psych")),
        ("queue_psych", queue("psychological_support")),
        (
            "to_operator",
            play(&["connecting_operator"], "queue_operator"),
        ),
        ("queue_operator", queue("general")),
        ("to_crisis", play(&["connecting_crisis"], "queue_crisis")),
        ("queue_crisis", queue("crisis")),
        // Every queue that cannot take the call offers a message or a callback.
        ("all_busy", play(&["all_busy"], "busy_menu")),
        (
            "busy_menu",
            Node::Menu(Menu {
                prompts: vec![PromptRef::new("message_or_callback")],
                ..menu_options(&[('1', "leave_message"), ('2', "callback")], "goodbye")
            }),
        ),
        // After hours and on holidays.
        ("after_hours", play(&["after_hours"], "after_hours_menu")),
        (
            "after_hours_menu",
            menu(
                "message_or_callback",
                &[
                    ('1', "leave_message"),
                    ('2', "callback"),
                    ('9', "after_hours_language"),
                ],
                "goodbye",
            ),
        ),
        ("after_hours_language", toggle_language("after_hours")),
        // Messages and callbacks.
        (
            "leave_message",
            Node::Voicemail {
                prompts: vec![PromptRef::new("record_message")],
                max_ms: MESSAGE_MAX_MS,
                then: "message_saved".to_owned(),
            },
        ),
        ("message_saved", hangup("message_saved")),
        (
            "callback",
            Node::Callback {
                accepted: "callback_booked".to_owned(),
                refused: "no_number".to_owned(),
            },
        ),
        ("callback_booked", hangup("callback_booked")),
        ("no_number", play(&["no_number"], "leave_message")),
        ("goodbye", hangup("goodbye")),
    ];
    Flow {
        start: "welcome".to_owned(),
        nodes: nodes
            .into_iter()
            .map(|(name, node)| (name.to_owned(), node))
            .collect(),
    }
}

/// Every prompt of [`plovdiv_demo`] as `(name, bulgarian, english)`, in the order a caller
/// meets them. Short sentences and plain words, for stressed and elderly callers.
pub fn demo_prompt_texts() -> Vec<(&'static str, &'static str, &'static str)> {
    vec![
        (
            "privacy_notice",
            "Здравейте, свързахте се с Община Пловдив. Разговорът може да бъде записан. \
             Използваме личните Ви данни само за да отговорим на въпроса Ви. \
             Повече информация има на сайта на общината.",
            "Hello, you have reached Plovdiv Municipality. This call may be recorded. \
             We use your personal data only to answer your request. \
             More information is on the municipality's website.",
        ),
        (
            "crisis_announcement",
            "Важно съобщение. В момента в Пловдив има извънредна ситуация. \
             Ако сте в опасност, обадете се на 112.",
            "Important message. There is an emergency in Plovdiv at the moment. \
             If you are in danger, call 112.",
        ),
        (
            "crisis_menu",
            "Ако се обаждате заради извънредната ситуация, натиснете 1. \
             За всички други въпроси натиснете 2.",
            "If you are calling about the emergency, press 1. For anything else, press 2.",
        ),
        (
            "main_menu",
            "За социални услуги натиснете 1. \
             За документи, административни услуги и местни данъци натиснете 2. \
             За улици, осветление, отпадъци и паркове натиснете 3. \
             За психологическа подкрепа с Българския Червен кръст натиснете 4. \
             За разговор със служител натиснете 0.",
            "For social services, press 1. \
             For documents, administrative services and local taxes, press 2. \
             For streets, street lights, waste and parks, press 3. \
             For psychological support with the Bulgarian Red Cross, press 4. \
             To speak to a member of staff, press 0.",
        ),
        (
            "language_offer",
            "За български натиснете 9.",
            "For English, press 9.",
        ),
        (
            "invalid_choice",
            "Няма такъв избор. Ще чуете менюто отново.",
            "That choice is not available. Here is the menu again.",
        ),
        (
            "no_choice",
            "Не натиснахте бутон. Ще чуете менюто отново.",
            "You did not press a key. Here is the menu again.",
        ),
        (
            "connecting_social",
            "Свързваме Ви със социални услуги. Моля, изчакайте.",
            "Connecting you to social services. Please hold.",
        ),
        (
            "connecting_admin",
            "Свързваме Ви с административно обслужване. Моля, изчакайте.",
            "Connecting you to administrative services. Please hold.",
        ),
        (
            "connecting_environment",
            "Свързваме Ви със служител за улици, осветление, отпадъци и паркове. \
             Моля, изчакайте.",
            "Connecting you to our team for streets, lights, waste and parks. Please hold.",
        ),
        (
            "connecting_psych",
            "Свързваме Ви с психологическа подкрепа. Моля, изчакайте.",
            "Connecting you to psychological support. Please hold.",
        ),
        (
            "connecting_operator",
            "Свързваме Ви със служител. Моля, изчакайте.",
            "Connecting you to a member of staff. Please hold.",
        ),
        (
            "connecting_crisis",
            "Свързваме Ви с линията за извънредната ситуация. Моля, изчакайте.",
            "Connecting you to the line for the emergency. Please hold.",
        ),
        (
            "all_busy",
            "В момента всички служители са заети.",
            "All our staff are busy at the moment.",
        ),
        (
            "after_hours",
            "В момента не работим. Работим от понеделник до петък, от 8:30 до 17:30 часа, \
             без официалните празници. При спешен случай се обадете на 112.",
            "We are closed now. We are open Monday to Friday, 8:30 a.m. to 5:30 p.m., \
             except public holidays. In an emergency, call 112.",
        ),
        (
            "message_or_callback",
            "За да оставите съобщение, натиснете 1. За да Ви се обадим, натиснете 2.",
            "To leave a message, press 1. To ask us to call you back, press 2.",
        ),
        (
            "record_message",
            "След сигнала кажете името си, телефон за връзка и въпроса си. \
             Имате до две минути. Когато приключите, затворете.",
            "After the tone, say your name, a phone number and your question. \
             You have up to two minutes. When you have finished, hang up.",
        ),
        (
            "message_saved",
            "Благодарим Ви. Съобщението е записано. Ще Ви отговорим в работно време. Довиждане.",
            "Thank you. Your message has been saved. We will reply during working hours. Goodbye.",
        ),
        (
            "callback_booked",
            "Благодарим Ви. Ще Ви се обадим на този номер в работно време. Довиждане.",
            "Thank you. We will call you back on this number during working hours. Goodbye.",
        ),
        (
            "no_number",
            "Не виждаме номера Ви и не можем да Ви се обадим. Моля, оставете съобщение.",
            "We cannot see your number, so we cannot call you back. Please leave a message.",
        ),
        (
            "goodbye",
            "Благодарим Ви за обаждането. Довиждане.",
            "Thank you for calling. Goodbye.",
        ),
    ]
}

fn play(prompts: &[&str], next: &str) -> Node {
    Node::Play {
        prompts: prompts.iter().map(|name| PromptRef::new(name)).collect(),
        next: next.to_owned(),
    }
}

fn hangup(prompt: &str) -> Node {
    Node::Hangup {
        prompts: vec![PromptRef::new(prompt)],
    }
}

fn queue(queue: &str) -> Node {
    Node::Queue {
        queue: queue.to_owned(),
        on_overflow: "all_busy".to_owned(),
    }
}

fn toggle_language(next: &str) -> Node {
    Node::Language {
        switch: LangSwitch::Toggle,
        next: next.to_owned(),
    }
}

/// A menu that plays `prompt` and then offers the other language.
fn menu(prompt: &str, options: &[(char, &str)], on_fail: &str) -> Node {
    Node::Menu(Menu {
        prompts: vec![
            PromptRef::new(prompt),
            PromptRef::in_other_language("language_offer"),
        ],
        ..menu_options(options, on_fail)
    })
}

fn menu_options(options: &[(char, &str)], on_fail: &str) -> Menu {
    Menu {
        prompts: Vec::new(),
        options: options
            .iter()
            .map(|(digit, next)| MenuOption {
                digit: *digit,
                next: (*next).to_owned(),
            })
            .collect(),
        timeout_ms: MENU_TIMEOUT_MS,
        max_retries: MENU_RETRIES,
        invalid_prompts: vec![PromptRef::new("invalid_choice")],
        timeout_prompts: vec![PromptRef::new("no_choice")],
        on_fail: on_fail.to_owned(),
    }
}
