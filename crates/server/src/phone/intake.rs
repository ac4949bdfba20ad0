//! After hours and on holidays (journey 3): a voicemail message or a callback request from the
//! switch becomes a case through the one registration path (`web::register::register`).
//!
//! The case is a phone case in a category chosen from the IVR choices (the service the caller
//! picked, else `general`); the caller's number, normalised, is the citizen's phone, and a
//! number alone does not identify anyone, so the proceeding stays information only (АПК
//! art. 111(4)). A message's recording is attached content-addressed and non-public. A callback
//! gets an internal `callback_due` event at the contact centre's next opening on the Bulgarian
//! calendar, and the due time is in the description too, so the case list's `q=` finds it.
//! A callback asked for in a queue keeps the caller's place and is placed by the switch: its
//! case is due at once, and [`finish`] notes on it whether the citizen was reached.
//!
//! Every step is retried once; failures are logged with the call id and case id only, never the
//! number, and never stop the event loop. The current time is an argument, so tests are exact.

use std::fmt::Display;
use std::future::Future;
use std::path::Path;
use std::time::Duration;

use calendar::{Calendar, OpeningHours, Timestamp};
use telephony::{CallId, Event};

use crate::demo::{GENERAL_CATEGORY, category_for_queue};

/// The case event kind that marks when a callback is due.
pub const CALLBACK_DUE_KIND: &str = "callback_due";
/// The case event kind of a queue callback that reached the citizen.
pub const CALLBACK_DONE_KIND: &str = "callback_done";
/// The case event kind of a queue callback given up after its last attempt.
pub const CALLBACK_FAILED_KIND: &str = "callback_failed";

/// How long to wait before the one retry of a failed step.
const RETRY_AFTER: Duration = Duration::from_millis(500);

/// What the glue needs: the web state (store, calendar, attachment directory), the hours of the
/// line the IVR checks, and the flow the caller's choices were made in.
#[derive(Clone)]
pub struct Intake {
    pub web: web::AppState,
    pub hours: OpeningHours,
    pub calendar: Calendar,
    pub flow: ivr::Flow,
}

/// A case opened from the phone.
#[derive(Debug, Clone)]
pub struct Taken {
    pub case: store::CaseCreated,
    /// The category code it was registered in.
    pub category: String,
    /// The recording, for a voicemail message, once attached.
    pub attachment: Option<store::Attachment>,
    /// For a callback: when it is due (the contact centre's next opening).
    pub callback_due: Option<Timestamp>,
}

/// Which of the two requests an event is.
enum Request<'a> {
    Voicemail { recording: &'a Path },
    /// `in_queue`: the caller keeps their place and the switch calls back.
    Callback { in_queue: bool },
}

/// Opens a case for a `VoicemailRecorded` or `CallbackRequested` event received at `now`;
/// `None` for other events and when registration fails twice (which is logged). A case that is
/// registered but whose recording or callback note fails twice is still returned.
pub async fn take(intake: &Intake, event: &Event, now: Timestamp) -> Option<Taken> {
    let (call, request, caller, lang, choices) = match event {
        Event::VoicemailRecorded { call, path, caller, lang, choices } => {
            (*call, Request::Voicemail { recording: path.as_path() }, caller, *lang, choices)
        }
        Event::CallbackRequested { call, caller, lang, choices, in_queue } => {
            (*call, Request::Callback { in_queue: *in_queue }, caller, *lang, choices)
        }
        // Everything else belongs to the CDR writer and the wallboard (`record_events` matches
        // the closed enum exhaustively); this picks two variants out of it.
        _ => return None,
    };
    let phone = caller.as_deref().and_then(domain::normalize_phone);
    let callback_due = match request {
        Request::Callback { in_queue: true } => Some(now),
        Request::Callback { in_queue: false } => {
            let due = intake.hours.next_opening(&intake.calendar, now);
            if due.is_none() {
                tracing::warn!(call.id = %call, "callback requested but the line opens in no day ahead");
            }
            due
        }
        Request::Voicemail { .. } => None,
    };
    let mapped = service_queue(&intake.flow, choices).map_or(GENERAL_CATEGORY, category_for_queue);
    let category = available_category(intake, mapped).await;
    let open_now = intake.hours.is_open(&intake.calendar, now);
    let description = describe(&request, lang, open_now, call, choices, phone.is_some(), callback_due);
    let registration = web::register::Registration {
        category: category.clone(),
        description,
        channel: domain::Channel::Phone,
        submission_kind: None,
        location: None,
        // A number alone: `register` keeps the proceeding information only (АПК art. 111(4)).
        citizen: phone.map(|phone| web::register::CitizenDetails {
            name: None,
            phone: Some(phone),
            email: None,
            consent_contact: false,
        }),
        received_on: Some(now.to_sofia().date.to_string()),
        actor_user_id: None,
    };
    let registered =
        match twice(call, "register the case", || web::register::register(&intake.web, registration.clone())).await {
            Ok(registered) => registered,
            Err(error) => {
                tracing::error!(call.id = %call, %error, "phone request not registered as a case");
                return None;
            }
        };
    let case = registered.created;
    let mut taken = Taken { case: case.clone(), category, attachment: None, callback_due };
    match request {
        Request::Voicemail { recording } => {
            match twice(call, "attach the recording", || attach(intake, case.id, recording)).await {
                Ok(attachment) => taken.attachment = Some(attachment),
                Err(error) => {
                    tracing::error!(call.id = %call, case.id = case.id, %error, "recording not attached");
                }
            }
        }
        Request::Callback { .. } => {
            let body = match callback_due {
                Some(due) => format!("callback due {}", sofia_minute(due)),
                None => "callback due: the line has no opening hours ahead".to_owned(),
            };
            let note = store::NewCaseEvent {
                case_id: case.id,
                institution_id: None,
                actor_user_id: None,
                kind: CALLBACK_DUE_KIND.to_owned(),
                public: false,
                body,
            };
            if let Err(error) = twice(call, "note the callback", || intake.web.store.add_case_event(&note)).await {
                tracing::error!(call.id = %call, case.id = case.id, %error, "callback due note not stored");
            }
        }
    }
    tracing::info!(call.id = %call, case.id = case.id, "phone request opened a case");
    Some(taken)
}

/// Notes the end of a queue callback on its case: reached (and by how many calls) or given up.
/// Internal, like the due note: the citizen hears the outcome on the phone.
pub async fn finish(intake: &Intake, case_id: i64, event: &Event) {
    let Event::CallbackFinished { call, connected, attempts, .. } = *event else {
        return;
    };
    let (kind, body) = if connected {
        (CALLBACK_DONE_KIND, format!("callback connected to an agent on call {attempts}"))
    } else {
        (CALLBACK_FAILED_KIND, format!("callback given up: the citizen was not reached in {attempts} calls"))
    };
    let note = store::NewCaseEvent {
        case_id,
        institution_id: None,
        actor_user_id: None,
        kind: kind.to_owned(),
        public: false,
        body,
    };
    match twice(call, "note the callback's end", || intake.web.store.add_case_event(&note)).await {
        Ok(_) => tracing::info!(call.id = %call, case.id = case_id, connected, "callback outcome noted"),
        Err(error) => tracing::error!(call.id = %call, case.id = case_id, %error, "callback outcome not noted"),
    }
}

/// The last queue the caller chose in the menus: each choice's node is followed through plays,
/// gotos and language switches to a queue node. `None` when no choice leads to a queue.
pub fn service_queue<'a>(flow: &'a ivr::Flow, choices: &[ivr::Choice]) -> Option<&'a str> {
    choices.iter().rev().find_map(|choice| queue_after(flow, &choice.next))
}

fn queue_after<'a>(flow: &'a ivr::Flow, start: &str) -> Option<&'a str> {
    let mut name = start;
    // A bound on the walk: flows are validated, but a cycle of plays must not hang the glue.
    for _ in 0..flow.nodes.len() {
        name = match flow.nodes.get(name)? {
            ivr::Node::Queue { queue, .. } => return Some(queue),
            ivr::Node::Play { next, .. } | ivr::Node::Goto { next } | ivr::Node::Language { next, .. } => next,
            _ => return None,
        };
    }
    None
}

/// The category to register in: `mapped` when it exists and is active, else `general` (a
/// database loaded before `general` existed then fails to register, which is logged).
async fn available_category(intake: &Intake, mapped: &str) -> String {
    match intake.web.store.category_by_code(mapped).await {
        Ok(Some(category)) if category.active => mapped.to_owned(),
        _ => GENERAL_CATEGORY.to_owned(),
    }
}

/// Reads the recording and stores it on the case, content-addressed and not public.
async fn attach(intake: &Intake, case_id: i64, recording: &Path) -> anyhow::Result<store::Attachment> {
    let bytes = tokio::fs::read(recording).await.map_err(|err| anyhow::anyhow!("read the recording: {err}"))?;
    let content_type = web::attachments::sniff_content_type(&bytes).unwrap_or("application/octet-stream");
    let filename = recording
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "voicemail.wav".to_owned());
    web::attachments::save(&intake.web, case_id, bytes.into(), content_type, &filename, false)
        .await
        .map_err(|err| anyhow::anyhow!("store the recording: {err}"))
}

/// Runs `attempt`, and once more after a pause if it fails. Logs the first failure.
async fn twice<T, E, F, Fut>(call: CallId, what: &'static str, mut attempt: F) -> Result<T, E>
where
    E: Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    match attempt().await {
        Ok(value) => Ok(value),
        Err(error) => {
            tracing::warn!(call.id = %call, %error, step = what, "phone intake step failed; retrying once");
            tokio::time::sleep(RETRY_AFTER).await;
            attempt().await
        }
    }
}

/// `2026-04-14 08:30`, Sofia time.
fn sofia_minute(at: Timestamp) -> String {
    let local = at.to_sofia();
    format!("{} {}", local.date, local.time)
}

/// The case description, in the caller's language: what they asked for, when, the call, and the
/// path through the menus. It carries no personal data beyond what the caller said in the message.
fn describe(
    request: &Request<'_>,
    lang: ivr::Lang,
    open_now: bool,
    call: CallId,
    choices: &[ivr::Choice],
    has_number: bool,
    callback_due: Option<Timestamp>,
) -> String {
    let bg = lang == ivr::Lang::Bg;
    let mut text = match (request, open_now, bg) {
        (Request::Voicemail { .. }, false, true) => "Гласово съобщение извън работно време; записът е приложен.".to_owned(),
        (Request::Voicemail { .. }, false, false) => "Voice message left after hours; the recording is attached.".to_owned(),
        (Request::Voicemail { .. }, true, true) => {
            "Гласово съобщение, оставено докато всички линии бяха заети; записът е приложен.".to_owned()
        }
        (Request::Voicemail { .. }, true, false) => {
            "Voice message left while every line was busy; the recording is attached.".to_owned()
        }
        (Request::Callback { in_queue: true }, _, true) => {
            "Заявка за обратно обаждане от опашката: мястото на обаждащия се е запазено и централата ще му се обади, щом дойде редът му."
                .to_owned()
        }
        (Request::Callback { in_queue: true }, _, false) => {
            "Callback requested from the queue: the caller keeps their place and the switch calls them back when their turn comes."
                .to_owned()
        }
        (Request::Callback { .. }, false, true) => "Заявка за обратно обаждане извън работно време.".to_owned(),
        (Request::Callback { .. }, false, false) => "Callback requested after hours.".to_owned(),
        (Request::Callback { .. }, true, true) => {
            "Заявка за обратно обаждане, докато всички линии бяха заети.".to_owned()
        }
        (Request::Callback { .. }, true, false) => "Callback requested while every line was busy.".to_owned(),
    };
    if let Request::Callback { .. } = request {
        match (callback_due, bg) {
            (Some(due), true) => text.push_str(&format!(" Обратното обаждане е дължимо на {}.", sofia_minute(due))),
            (Some(due), false) => text.push_str(&format!(" The callback is due {}.", sofia_minute(due))),
            (None, _) => {}
        }
    }
    if !has_number {
        text.push_str(if bg { " Номерът е скрит." } else { " The number was withheld." });
    }
    let path = if choices.is_empty() {
        if bg { "няма избор".to_owned() } else { "no choice".to_owned() }
    } else {
        choices
            .iter()
            .map(|choice| format!("{} {} → {}", choice.menu, choice.digit, choice.next))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let call_label = if bg { "Обаждане" } else { "Call" };
    let path_label = if bg { "път в менюто" } else { "menu path" };
    text.push_str(&format!(" {call_label} {call}, {path_label}: {path}."));
    text
}

#[cfg(test)]
mod tests;
