//! The messages' texts in Bulgarian and English: one template per kind of event and channel.
//!
//! E-mails are plain text, greeting to signature; SMS are one short line with the tracking link.
//! The language is the one the citizen used on the portal, Bulgarian otherwise.

use domain::AssignmentStatus;
use store::ClaimedNotification;

/// A composed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composed {
    /// The e-mail subject (unused for SMS).
    pub subject: String,
    /// The e-mail body, or the SMS text.
    pub body: String,
    /// The short text for SMS.
    pub sms: String,
}

#[derive(Clone, Copy, PartialEq)]
enum Lang {
    Bg,
    En,
}

fn status_name(lang: Lang, status: AssignmentStatus) -> &'static str {
    use AssignmentStatus::*;
    match (lang, status) {
        (Lang::Bg, New) => "получен",
        (Lang::Bg, Accepted) => "приет за работа",
        (Lang::Bg, InProgress) => "в процес на работа",
        (Lang::Bg, Done) => "свършено",
        (Lang::Bg, Declined) => "не е от компетентността ѝ",
        (Lang::Bg, Forwarded) => "препратен",
        (Lang::En, New) => "received",
        (Lang::En, Accepted) => "accepted",
        (Lang::En, InProgress) => "in progress",
        (Lang::En, Done) => "done",
        (Lang::En, Declined) => "not within its competence",
        (Lang::En, Forwarded) => "forwarded",
    }
}

/// Percent-encodes everything but unreserved characters.
fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The message for a claimed notification; `portal_url` has no trailing slash.
pub fn compose(n: &ClaimedNotification, portal_url: &str) -> Composed {
    let lang = if n.lang.as_deref() == Some("en") { Lang::En } else { Lang::Bg };
    let reference = &n.reference;
    let link = format!(
        "{portal_url}/track?ref={}&code={}&lang={}",
        url_encode(reference),
        url_encode(&n.tracking_code),
        if lang == Lang::En { "en" } else { "bg" }
    );
    let institution = match lang {
        Lang::Bg => n.institution_name_bg.clone().unwrap_or_else(|| "Общината".into()),
        Lang::En => n.institution_name_en.clone().unwrap_or_else(|| "The municipality".into()),
    };
    // Status bodies look like `accepted -> done: reason`.
    let (change, reason) = match n.event_body.split_once(": ") {
        Some((change, reason)) => (change, Some(reason)),
        None => (n.event_body.as_str(), None),
    };
    let status = change.split(" -> ").nth(1).and_then(AssignmentStatus::parse).map(|s| status_name(lang, s));
    let (subject, what, sms) = match (lang, n.event_kind.as_str()) {
        (Lang::Bg, "registered") => (
            format!("Сигнал {reference} е регистриран"),
            format!("Вашият сигнал е регистриран с номер {reference}."),
            format!("Сигнал {reference} е регистриран. Проследяване: {link}"),
        ),
        (Lang::En, "registered") => (
            format!("Case {reference} has been registered"),
            format!("Your report has been registered with the number {reference}."),
            format!("Case {reference} registered. Track it: {link}"),
        ),
        (Lang::Bg, "status") => {
            let status = status.unwrap_or("променено");
            let reason = reason.map(|r| format!("\nПояснение: {r}")).unwrap_or_default();
            (
                format!("Промяна по сигнал {reference}"),
                format!("{institution}: {status}.{reason}"),
                format!("Сигнал {reference}: {institution} – {status}. {link}"),
            )
        }
        (Lang::En, "status") => {
            let status = status.unwrap_or("changed");
            let reason = reason.map(|r| format!("\nNote: {r}")).unwrap_or_default();
            (
                format!("Update on case {reference}"),
                format!("{institution}: {status}.{reason}"),
                format!("Case {reference}: {institution} – {status}. {link}"),
            )
        }
        (Lang::Bg, "assigned") => (
            format!("Сигнал {reference} е възложен"),
            format!("Сигналът е възложен на: {institution}."),
            format!("Сигнал {reference} е възложен на {institution}. {link}"),
        ),
        (Lang::En, "assigned") => (
            format!("Case {reference} has been assigned"),
            format!("Your case has been assigned to: {institution}."),
            format!("Case {reference} assigned to {institution}. {link}"),
        ),
        (Lang::Bg, _) => (
            format!("Ново съобщение по сигнал {reference}"),
            format!("{institution}:\n{}", n.event_body),
            format!("Ново съобщение по сигнал {reference}: {link}"),
        ),
        (Lang::En, _) => (
            format!("New message on case {reference}"),
            format!("{institution}:\n{}", n.event_body),
            format!("New message on case {reference}: {link}"),
        ),
    };
    let body = match lang {
        Lang::Bg => format!(
            "Здравейте,\n\n{what}\n\nПроследяване на сигнала: {link}\n\nВръзката съдържа вашия личен код: не я споделяйте.\n\nЕдинен контактен център на Община Пловдив\n(Това съобщение е изпратено автоматично; не отговаряйте на него.)\n"
        ),
        Lang::En => format!(
            "Hello,\n\n{what}\n\nFollow your case: {link}\n\nThe link holds your private code: do not share it.\n\nPlovdiv Municipality Contact Centre\n(This message was sent automatically; please do not reply.)\n"
        ),
    };
    Composed { subject, body, sms }
}
