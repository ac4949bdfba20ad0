//! Unit tests of the retry policy, the message texts and the gateway client's parsing.

use expect_test::expect;
use store::{ClaimedNotification, NotificationChannel, NotificationOutcome};

use crate::sms::{HttpReply, parse_status_line};
use crate::{Delivery, GatewayUrl, backoff_ms, compose, outcome};

fn claimed(kind: &str, body: &str, lang: Option<&str>) -> ClaimedNotification {
    ClaimedNotification {
        id: 7,
        event_id: 42,
        case_id: 3,
        channel: NotificationChannel::Email,
        attempts: 1,
        owner: "node-1".into(),
        reference: "PLV-2026-000123".into(),
        tracking_code: "0123456789abcdef".into(),
        event_kind: kind.into(),
        event_body: body.into(),
        event_at: 0,
        institution_name_bg: Some("Отдел „Улично осветление“".into()),
        institution_name_en: Some("Street Lighting Unit".into()),
        lang: lang.map(str::to_owned),
        recipient: Some("maria@example.bg".into()),
    }
}

#[test]
fn backoff_doubles_up_to_an_hour() {
    let waits: Vec<i64> = (1..=10).map(|attempts| backoff_ms(30_000, attempts) / 1000).collect();
    assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
    assert_eq!(backoff_ms(30_000, 0), 30_000);
    assert_eq!(backoff_ms(30_000, i64::MAX), 3_600_000);
}

#[test]
fn retry_policy() {
    let now = 1_000;
    let config = crate::Config {
        email: None,
        sms: None,
        portal_url: "http://x".into(),
        max_attempts: 3,
        node: "n".into(),
        poll_interval: std::time::Duration::from_secs(1),
        first_retry: std::time::Duration::from_secs(30),
    };
    assert_eq!(outcome(Delivery::Sent, 1, &config, now), NotificationOutcome::Sent);
    assert_eq!(
        outcome(Delivery::Transient("smtp 451".into()), 1, &config, now),
        NotificationOutcome::Retry { at: 31_000, error: "smtp 451".into() }
    );
    assert_eq!(
        outcome(Delivery::Transient("smtp 451".into()), 3, &config, now),
        NotificationOutcome::Failed { error: "smtp 451; gave up after 3 attempts".into() }
    );
    assert_eq!(
        outcome(Delivery::Permanent("smtp 550".into()), 1, &config, now),
        NotificationOutcome::Failed { error: "smtp 550".into() }
    );
}

#[test]
fn registration_email_in_bulgarian() {
    let composed = compose(&claimed("registered", "registered as PLV-2026-000123 via portal", None), "https://portal.example");
    expect![[r#"
        Сигнал PLV-2026-000123 е регистриран
        ---
        Здравейте,

        Вашият сигнал е регистриран с номер PLV-2026-000123.

        Проследяване на сигнала: https://portal.example/track?ref=PLV-2026-000123&code=0123456789abcdef&lang=bg

        Връзката съдържа вашия личен код: не я споделяйте.

        Единен контактен център на Община Пловдив
        (Това съобщение е изпратено автоматично; не отговаряйте на него.)

        ---
        Сигнал PLV-2026-000123 е регистриран. Проследяване: https://portal.example/track?ref=PLV-2026-000123&code=0123456789abcdef&lang=bg"#]]
    .assert_eq(&format!("{}\n---\n{}\n---\n{}", composed.subject, composed.body, composed.sms));
}

#[test]
fn status_change_in_english() {
    let composed = compose(&claimed("status", "in_progress -> done: the lamp was replaced", Some("en")), "http://x");
    expect![[r#"
        Update on case PLV-2026-000123
        ---
        Hello,

        Street Lighting Unit: done.
        Note: the lamp was replaced

        Follow your case: http://x/track?ref=PLV-2026-000123&code=0123456789abcdef&lang=en

        The link holds your private code: do not share it.

        Plovdiv Municipality Contact Centre
        (This message was sent automatically; please do not reply.)

        ---
        Case PLV-2026-000123: Street Lighting Unit – done. http://x/track?ref=PLV-2026-000123&code=0123456789abcdef&lang=en"#]]
    .assert_eq(&format!("{}\n---\n{}\n---\n{}", composed.subject, composed.body, composed.sms));
}

#[test]
fn public_update_quotes_the_institution() {
    let composed = compose(&claimed("public_update", "Екипът ще смени лампата утре.", None), "http://x");
    assert_eq!(composed.subject, "Ново съобщение по сигнал PLV-2026-000123");
    assert!(composed.body.contains("Отдел „Улично осветление“:\nЕкипът ще смени лампата утре."));
}

#[test]
fn gateway_urls() {
    let parsed: Vec<Result<GatewayUrl, String>> = [
        "http://127.0.0.1:9000/sms/send",
        "http://sms.local",
        "http://[::1]:8081/x",
        "https://api.example/sms",
        "ftp://x",
        "http://user@host/",
        "http://host:notaport/",
    ]
    .iter()
    .map(|text| GatewayUrl::parse(text))
    .collect();
    expect![[r#"
        [
            Ok(
                GatewayUrl {
                    host: "127.0.0.1",
                    port: 9000,
                    path: "/sms/send",
                },
            ),
            Ok(
                GatewayUrl {
                    host: "sms.local",
                    port: 80,
                    path: "/",
                },
            ),
            Ok(
                GatewayUrl {
                    host: "::1",
                    port: 8081,
                    path: "/x",
                },
            ),
            Err(
                "https is not spoken directly: run a local TLS relay and give its http:// address",
            ),
            Err(
                "must start with http://",
            ),
            Err(
                "needs a host, without user information",
            ),
            Err(
                "the port is not a number",
            ),
        ]
    "#]]
    .assert_debug_eq(&parsed);
}

#[test]
fn status_lines() {
    assert_eq!(parse_status_line(b"HTTP/1.1 202 Accepted\r\n\r\n"), Some(HttpReply { status: 202 }));
    assert_eq!(parse_status_line(b"HTTP/1.0 503\r\n"), Some(HttpReply { status: 503 }));
    assert_eq!(parse_status_line(b"HTTP/1.1 20"), None);
    assert_eq!(parse_status_line(b"SSH-2.0-OpenSSH\r\n"), None);
    assert_eq!(parse_status_line(b"HTTP/1.1 999 Nope\r\n"), None);
    assert_eq!(parse_status_line(b"\xff\xfe\r\n"), None);
}

#[test]
fn debug_output_hides_secrets_and_addresses() {
    let email = crate::EmailConfig {
        host: "relay".into(),
        port: 25,
        from: "civicline@plovdiv.bg".into(),
        credentials: Some(("civicline".into(), "hunter2".into())),
    };
    assert!(!format!("{email:?}").contains("hunter2"));
    assert!(!format!("{:?}", claimed("registered", "", None)).contains("maria@"));
}
