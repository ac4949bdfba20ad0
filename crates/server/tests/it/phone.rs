//! Journey 3, after hours and on holidays: the switch's voicemail and callback events, fed to the
//! server's intake glue with a real SQLite store and a real WAV file, become phone cases with the
//! recording attached (not public) and the callback due at the next working morning.

use std::path::{Path, PathBuf};

use civicline::phone::intake::{self, Intake};
use expect_test::{Expect, expect};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("civicline-it-phone-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The demo configuration on `dir`, with a store holding the demo's institutions and categories.
async fn intake_on(dir: &Path) -> Intake {
    let mut file = civicline::config::ConfigFile::default();
    file.server.data_dir = dir.to_owned();
    let config = civicline::config::Config::parse_and_validate(file, None).unwrap();
    let store = store::Store::open(&config.database).await.unwrap();
    // The demo users' password hash is not needed here; any string will do.
    store.import(&civicline::demo::batch("not-a-password-hash")).await.unwrap();
    let phone = config.telephony.expect("the demo configuration enables the switch");
    Intake {
        web: web::AppState::new(store, config.web),
        hours: phone.switch.hours.clone(),
        calendar: phone.switch.calendar.clone(),
        flow: phone.switch.flow.clone(),
    }
}

/// A second of 8 kHz mono 16-bit PCM (a 440 Hz tone), as the switch writes a message.
fn write_wav(path: &Path) -> Vec<u8> {
    let samples: Vec<i16> =
        (0..8000).map(|n| ((n as f64 * 440.0 * std::f64::consts::TAU / 8000.0).sin() * 8000.0) as i16).collect();
    let data_len = u32::try_from(samples.len() * 2).unwrap();
    let mut bytes = Vec::new();
    bytes.extend_from_slice(b"RIFF");
    bytes.extend_from_slice(&(36 + data_len).to_le_bytes());
    bytes.extend_from_slice(b"WAVEfmt ");
    bytes.extend_from_slice(&16u32.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes()); // PCM
    bytes.extend_from_slice(&1u16.to_le_bytes()); // mono
    bytes.extend_from_slice(&8000u32.to_le_bytes());
    bytes.extend_from_slice(&16000u32.to_le_bytes()); // byte rate
    bytes.extend_from_slice(&2u16.to_le_bytes()); // block align
    bytes.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    bytes.extend_from_slice(b"data");
    bytes.extend_from_slice(&data_len.to_le_bytes());
    for sample in samples {
        bytes.extend_from_slice(&sample.to_le_bytes());
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, &bytes).unwrap();
    bytes
}

/// A Sofia wall-clock time as the glue's "now".
fn sofia(date: &str, time: &str) -> calendar::Timestamp {
    calendar::Timestamp::from_sofia(date.parse().unwrap(), time.parse().unwrap()).earliest()
}

fn choice(menu: &str, digit: char, next: &str) -> ivr::Choice {
    ivr::Choice { menu: menu.to_owned(), digit, next: next.to_owned() }
}

/// Takes `event` at `now` and describes the case it opened, with its attachments and events.
async fn check(intake: &Intake, event: telephony::Event, now: calendar::Timestamp, expect: Expect) {
    let taken = intake::take(intake, &event, now).await.expect("a case is opened");
    let store = &intake.web.store;
    let case = store.case_by_reference(&taken.case.reference).await.unwrap().unwrap();
    let category = store.category(case.category_id).await.unwrap().unwrap();
    let mut institutions = Vec::new();
    for assignment in &case.assignments {
        let institution = store.institution(assignment.institution_id).await.unwrap().unwrap();
        institutions.push(format!("{} due {}", institution.code, assignment.deadline));
    }
    let citizen = match &case.citizen {
        None => "none".to_owned(),
        Some(citizen) => format!(
            "name {:?} phone {:?} email {:?} consent {}",
            citizen.name, citizen.phone, citizen.email, citizen.consent_contact
        ),
    };
    let mut out = format!(
        "case {} channel {} category {} kind {} proceeding {} received {}\nassignments {}\ncitizen {citizen}\ndescription {}\n",
        case.reference,
        case.channel.as_str(),
        category.code,
        case.submission_kind.as_str(),
        case.proceeding.as_str(),
        case.received_on,
        institutions.join(", "),
        case.description,
    );
    for attachment in store.attachments(case.id).await.unwrap() {
        let file = intake.web.config.attachments_dir.join(&attachment.sha256[..2]).join(&attachment.sha256);
        let stored = std::fs::read(&file).map(|bytes| bytes.len()).unwrap_or(0);
        out.push_str(&format!(
            "attachment {} {} {} bytes public {} file {} bytes\n",
            attachment.filename, attachment.content_type, attachment.size, attachment.public, stored
        ));
    }
    for event in store.case_events(case.id).await.unwrap() {
        if event.kind == "callback_due" {
            out.push_str(&format!("event {} public {}: {}\n", event.kind, event.public, event.body));
        }
    }
    if let Some(due) = taken.callback_due {
        out.push_str(&format!("callback due {due}\n"));
    }
    expect.assert_eq(&out);
}

#[tokio::test]
async fn after_hours_messages_and_callbacks_open_cases() {
    let dir = temp_dir("after-hours");
    let intake = intake_on(&dir).await;
    // Orthodox Easter Monday 2026, 19:00 in Plovdiv: the line is closed until Tuesday 08:30.
    let easter_monday_evening = sofia("2026-04-13", "19:00");

    let recording = dir.join("recordings").join("voicemail-1776096000000-c1.wav");
    let wav = write_wav(&recording);
    let voicemail = telephony::Event::VoicemailRecorded {
        call: telephony::CallId(1),
        path: recording.clone(),
        caller: Some("0888 123 456".to_owned()),
        lang: ivr::Lang::Bg,
        choices: vec![choice("after_hours_menu", '1', "leave_message")],
    };
    check(
        &intake,
        voicemail,
        easter_monday_evening,
        expect![[r#"
            case PLV-2026-000001 channel phone category general kind information_request proceeding information_only received 2026-04-13
            assignments admin-services due 2026-04-27
            citizen name None phone Some("+359888123456") email None consent false
            description Гласово съобщение извън работно време; записът е приложен. Обаждане c1, път в менюто: after_hours_menu 1 → leave_message.
            attachment voicemail-1776096000000-c1.wav audio/wav 16044 bytes public false file 16044 bytes
        "#]],
    )
    .await;
    assert_eq!(wav.len(), 16044);

    let callback = telephony::Event::CallbackRequested {
        call: telephony::CallId(2),
        caller: Some("+359 32 123 456".to_owned()),
        lang: ivr::Lang::En,
        choices: vec![choice("after_hours_menu", '9', "after_hours_language"), choice("after_hours_menu", '2', "callback")],
        in_queue: false,
    };
    check(
        &intake,
        callback,
        easter_monday_evening,
        expect![[r#"
            case PLV-2026-000002 channel phone category general kind information_request proceeding information_only received 2026-04-13
            assignments admin-services due 2026-04-27
            citizen name None phone Some("+35932123456") email None consent false
            description Callback requested after hours. The callback is due 2026-04-14 08:30. Call c2, menu path: after_hours_menu 9 → after_hours_language, after_hours_menu 2 → callback.
            event callback_due public false: callback due 2026-04-14 08:30
            callback due 2026-04-14T05:30:00Z
        "#]],
    )
    .await;

    // The case list's text filter finds callbacks by their due date.
    let filter = store::CaseFilter { text: Some("2026-04-14 08:30".to_owned()), limit: 10, ..Default::default() };
    let found: Vec<String> =
        intake.web.store.list_cases(&filter).await.unwrap().into_iter().map(|case| case.reference).collect();
    assert_eq!(found, ["PLV-2026-000002"]);
}

#[tokio::test]
async fn the_chosen_service_picks_the_category_and_a_withheld_number_no_citizen() {
    let dir = temp_dir("service");
    let intake = intake_on(&dir).await;
    // Tuesday 2026-04-14, 10:00: open, but every social services agent is busy.
    let busy_morning = sofia("2026-04-14", "10:00");
    let recording = dir.join("recordings").join("voicemail-1776150000000-c3.wav");
    write_wav(&recording);
    let voicemail = telephony::Event::VoicemailRecorded {
        call: telephony::CallId(3),
        path: recording,
        caller: Some("anonymous".to_owned()),
        lang: ivr::Lang::Bg,
        choices: vec![choice("main_menu", '1', "to_social"), choice("busy_menu", '1', "leave_message")],
    };
    check(
        &intake,
        voicemail,
        busy_morning,
        expect![[r#"
            case PLV-2026-000001 channel phone category social-help kind information_request proceeding information_only received 2026-04-14
            assignments social due 2026-04-28, asp-plovdiv due 2026-04-28
            citizen none
            description Гласово съобщение, оставено докато всички линии бяха заети; записът е приложен. Номерът е скрит. Обаждане c3, път в менюто: main_menu 1 → to_social, busy_menu 1 → leave_message.
            attachment voicemail-1776150000000-c3.wav audio/wav 16044 bytes public false file 16044 bytes
        "#]],
    )
    .await;

    // While the line is open, a callback is due at once.
    let callback = telephony::Event::CallbackRequested {
        call: telephony::CallId(4),
        caller: None,
        lang: ivr::Lang::Bg,
        choices: vec![choice("main_menu", '4', "to_psych"), choice("busy_menu", '2', "callback")],
        in_queue: false,
    };
    check(
        &intake,
        callback,
        busy_morning,
        expect![[r#"
            case PLV-2026-000002 channel phone category psychological-support kind service_request proceeding information_only received 2026-04-14
            assignments social due 2026-04-17, bchk-plovdiv due 2026-04-17
            citizen none
            description Заявка за обратно обаждане, докато всички линии бяха заети. Обратното обаждане е дължимо на 2026-04-14 10:00. Номерът е скрит. Обаждане c4, път в менюто: main_menu 4 → to_psych, busy_menu 2 → callback.
            event callback_due public false: callback due 2026-04-14 10:00
            callback due 2026-04-14T07:00:00Z
        "#]],
    )
    .await;

    // Other events open nothing; a recording that is gone still opens the case, without it.
    let ended = telephony::Event::QueueState(telephony::QueueState {
        queue: "general".to_owned(),
        waiting: 0,
        idle_agents: 0,
        staffed: 0,
    });
    assert!(intake::take(&intake, &ended, busy_morning).await.is_none());
    let lost = telephony::Event::VoicemailRecorded {
        call: telephony::CallId(5),
        path: dir.join("recordings").join("gone.wav"),
        caller: None,
        lang: ivr::Lang::Bg,
        choices: Vec::new(),
    };
    let taken = intake::take(&intake, &lost, busy_morning).await.expect("the case is opened");
    assert!(taken.attachment.is_none());
    assert_eq!(taken.category, "general");
}

#[tokio::test]
async fn a_queue_callback_is_due_at_once_and_its_outcome_is_noted() {
    let dir = temp_dir("queue-callback");
    let intake = intake_on(&dir).await;
    let busy_morning = sofia("2026-04-14", "10:00");
    let request = telephony::Event::CallbackRequested {
        call: telephony::CallId(8),
        caller: Some("0888123456".to_owned()),
        lang: ivr::Lang::En,
        choices: vec![choice("main_menu", '1', "to_social")],
        in_queue: true,
    };
    let taken = intake::take(&intake, &request, busy_morning).await.expect("a case");
    assert_eq!(taken.callback_due, Some(busy_morning));
    let failed = telephony::Event::CallbackFinished { call: telephony::CallId(8), case: None, connected: false, attempts: 3 };
    intake::finish(&intake, taken.case.id, &failed).await;
    let case = intake.web.store.case_by_id(taken.case.clone()).await.unwrap().unwrap();
    let events: Vec<String> = intake
        .web
        .store
        .case_events(taken.case.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|event| event.kind.starts_with("callback"))
        .map(|event| format!("{} public {}: {}", event.kind, event.public, event.body))
        .collect();
    expect![[r#"
        Callback requested from the queue: the caller keeps their place and the switch calls them back when their turn comes. The callback is due 2026-04-14 10:00. Call c8, menu path: main_menu 1 → to_social.
        callback_due public false: callback due 2026-04-14 10:00
        callback_failed public false: callback given up: the citizen was not reached in 3 calls"#]].assert_eq(&format!("{}\n{}", case.description, events.join("\n")));
}
