//! The worker against a real SMTP server (aiosmtpd, started by `scripts/test.sh`, which exports
//! `TEST_SMTP_ADDR` and `TEST_SMTP_MAILDIR`) and a real HTTP listener standing in for the SMS
//! gateway. Between the worker and the mail server sits a small TCP relay that the tests can
//! switch off, to play a mail server that is down. Without the variables the SMTP tests return
//! early; in CI `smtp_is_configured_in_ci` fails instead.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use domain::{Channel, Connection, InstitutionKind, Proceeding, SubmissionKind};
use notify::{Config, EmailConfig, GatewayUrl, SmsConfig};
use store::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A name unique to this test run, in capital letters (it is also the reference prefix).
fn unique_marker() -> String {
    let mut n = u64::from(std::process::id()) * 1000 + u64::from(NEXT.fetch_add(1, Ordering::Relaxed));
    let mut letters = String::new();
    for _ in 0..8 {
        letters.push(char::from(b'A' + (n % 26) as u8));
        n /= 26;
    }
    letters
}

fn smtp_server() -> Option<(SocketAddr, PathBuf)> {
    let addr = std::env::var("TEST_SMTP_ADDR").ok()?.parse().expect("TEST_SMTP_ADDR is host:port");
    let maildir = PathBuf::from(std::env::var("TEST_SMTP_MAILDIR").ok()?);
    Some((addr, maildir))
}

#[test]
fn smtp_is_configured_in_ci() {
    if std::env::var("CI").is_ok() {
        assert!(
            smtp_server().is_some(),
            "CI must run the notification tests against SMTP: set TEST_SMTP_ADDR and TEST_SMTP_MAILDIR"
        );
    }
}

async fn store() -> Store {
    let dir = std::env::temp_dir().join(format!("civicline_notify_{}", unique_marker()));
    std::fs::create_dir_all(&dir).unwrap();
    Store::open(&Location::SqliteFile(dir.join("test.db"))).await.unwrap()
}

/// Registers a case for a citizen with these contacts, consenting, in `lang`.
async fn case(store: &Store, prefix: &str, email: Option<&str>, phone: Option<&str>, lang: &str) -> Case {
    let institution = match store.institution_by_code("lighting").await.unwrap() {
        Some(institution) => institution,
        None => store
            .create_institution(&NewInstitution {
                code: "lighting".into(),
                name_bg: "Отдел „Улично осветление“".into(),
                name_en: "Street Lighting Unit".into(),
                kind: InstitutionKind::MunicipalDepartment,
                connection: Connection::Workspace,
                email: None,
                phone: None,
                webhook_url: None,
                active: true,
            })
            .await
            .unwrap(),
    };
    let category = match store.category_by_code("street-lighting").await.unwrap() {
        Some(category) => category,
        None => store
            .create_category(&NewCategory {
                code: "street-lighting".into(),
                parent_id: None,
                name_bg: "Улично осветление".into(),
                name_en: "Street lighting".into(),
                submission_kind: SubmissionKind::ServiceRequest,
                deadline_rule: None,
                institutions: vec![institution.id],
            })
            .await
            .unwrap(),
    };
    let case = store
        .create_case(NewCase {
            prefix: prefix.into(),
            year: 2026,
            channel: Channel::Portal,
            category_id: category.id,
            submission_kind: SubmissionKind::ServiceRequest,
            proceeding: Proceeding::Formal,
            description: "Не свети лампата".into(),
            address: None,
            district: None,
            latitude: None,
            longitude: None,
            citizen: Some(NewCitizen {
                name: Some("Мария".into()),
                phone: phone.map(str::to_owned),
                email: email.map(str::to_owned),
                consent_contact: true,
            }),
            received_on: "2026-03-02".into(),
            assignments: vec![NewAssignment { institution_id: institution.id, deadline: "2026-04-01".into() }],
            actor_user_id: None,
            tracking_code: "0123456789abcdef".into(),
        })
        .await
        .unwrap();
    store.set_case_language(case.id, lang, now()).await.unwrap();
    case
}

fn config(smtp: Option<SocketAddr>, sms: Option<SocketAddr>, marker: &str, node: &str) -> Config {
    Config {
        email: smtp.map(|addr| EmailConfig {
            host: addr.ip().to_string(),
            port: addr.port(),
            from: format!("civicline@{}.test", marker.to_lowercase()),
            credentials: None,
        }),
        sms: sms.map(|addr| SmsConfig {
            gateway: GatewayUrl::parse(&format!("http://{addr}/send")).unwrap(),
            token: "gateway-token".into(),
        }),
        portal_url: "http://portal.test".into(),
        max_attempts: 5,
        node: node.into(),
        poll_interval: Duration::from_millis(20),
        first_retry: Duration::from_millis(100),
    }
}

/// The messages in the maildir whose Message-ID names this test's sender domain.
fn delivered(maildir: &std::path::Path, marker: &str) -> Vec<String> {
    let needle = format!("@{}.test>", marker.to_lowercase());
    let mut found = Vec::new();
    for sub in ["new", "cur"] {
        let Ok(entries) = std::fs::read_dir(maildir.join(sub)) else { continue };
        for entry in entries.flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            if text.contains(&needle) {
                found.push(decode_quoted_printable(&text));
            }
        }
    }
    found.sort();
    found
}

/// Undoes quoted-printable (soft line breaks and `=XX`), enough to read the message bodies.
fn decode_quoted_printable(text: &str) -> String {
    let text = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let hex = bytes.get(at + 1..at + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[at], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'=', Some(byte)) => {
                out.push(byte);
                at += 3;
            }
            (byte, _) => {
                out.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A TCP relay to the mail server that can be switched off: while down it accepts connections
/// and closes them at once, as a crashed or overloaded server does.
struct Relay {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
}

async fn relay(target: SocketAddr) -> Relay {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let up = Arc::new(AtomicBool::new(false));
    let flag = up.clone();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            if !flag.load(Ordering::SeqCst) {
                drop(client);
                continue;
            }
            tokio::spawn(async move {
                if let Ok(mut server) = TcpStream::connect(target).await {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                }
            });
        }
    });
    Relay { addr, up }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_and_updates_are_mailed_once_each() {
    let Some((smtp, maildir)) = smtp_server() else { return };
    let store = store().await;
    let marker = unique_marker();
    let case = case(&store, &marker, Some("maria@example.bg"), None, "en").await;
    let config = config(Some(smtp), None, &marker, "node-a");

    let round = notify::run_once(&store, &config, 1).await.unwrap();
    assert_eq!((round.enqueued, round.sent), (1, 1));
    store
        .add_case_event(&NewCaseEvent {
            case_id: case.id,
            institution_id: None,
            actor_user_id: None,
            kind: "public_update".into(),
            public: true,
            body: "The lamp will be replaced tomorrow.".into(),
        })
        .await
        .unwrap();
    let round = notify::run_once(&store, &config, 2).await.unwrap();
    assert_eq!((round.enqueued, round.sent), (1, 1));
    for number in 3..6 {
        assert_eq!(notify::run_once(&store, &config, number).await.unwrap(), notify::Round::default());
    }
    let mails = delivered(&maildir, &marker);
    assert_eq!(mails.len(), 2, "one message per public event");
    let all = mails.join("\n");
    assert!(all.contains(&format!("Case {} has been registered", case.reference)));
    assert!(all.contains("The lamp will be replaced tomorrow."));
    assert!(all.contains(&format!("http://portal.test/track?ref={}&code=0123456789abcdef&lang=en", case.reference)));
    let rows = store.notifications_for_case(case.id).await.unwrap();
    assert!(rows.iter().all(|r| r.status == "sent" && r.attempts == 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mail_server_down_then_up_delivered_exactly_once() {
    let Some((smtp, maildir)) = smtp_server() else { return };
    let store = store().await;
    let marker = unique_marker();
    let case = case(&store, &marker, Some("petar@example.bg"), None, "bg").await;
    let relay = relay(smtp).await;
    let down_config = config(Some(relay.addr), None, &marker, "node-a");

    // Down: the attempt fails, the row waits for its retry, nothing is lost.
    let round = notify::run_once(&store, &down_config, 1).await.unwrap();
    assert_eq!((round.sent, round.retried), (0, 1));
    let rows = store.notifications_for_case(case.id).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, "pending");
    assert_eq!(rows[0].last_error.as_deref(), Some("smtp connection failed"));
    assert!(delivered(&maildir, &marker).is_empty());

    // Up: two nodes run their workers on the same database at once.
    relay.up.store(true, Ordering::SeqCst);
    let shutdown = CancellationToken::new();
    let workers: Vec<_> = ["node-a", "node-b"]
        .into_iter()
        .map(|node| tokio::spawn(notify::run(store.clone(), config(Some(relay.addr), None, &marker, node), shutdown.clone())))
        .collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while store.notifications_for_case(case.id).await.unwrap()[0].status != "sent" {
        assert!(tokio::time::Instant::now() < deadline, "not delivered after the server came back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Let both workers run a few more rounds before stopping them.
    tokio::time::sleep(Duration::from_millis(300)).await;
    shutdown.cancel();
    for worker in workers {
        worker.await.unwrap();
    }
    assert_eq!(delivered(&maildir, &marker).len(), 1, "delivered exactly once");
    let rows = store.notifications_for_case(case.id).await.unwrap();
    assert_eq!(rows[0].attempts, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_stays_down_is_given_up_on() {
    let Some((smtp, _)) = smtp_server() else { return };
    let store = store().await;
    let marker = unique_marker();
    let case = case(&store, &marker, Some("ivan@example.bg"), None, "bg").await;
    let relay = relay(smtp).await;
    let mut config = config(Some(relay.addr), None, &marker, "node-a");
    config.max_attempts = 2;
    config.first_retry = Duration::from_millis(10);
    notify::run_once(&store, &config, 1).await.unwrap();
    tokio::time::sleep(Duration::from_millis(30)).await;
    let round = notify::run_once(&store, &config, 2).await.unwrap();
    assert_eq!(round.failed, 1);
    let rows = store.notifications_for_case(case.id).await.unwrap();
    assert_eq!(rows[0].status, "failed");
    assert_eq!(rows[0].last_error.as_deref(), Some("smtp connection failed; gave up after 2 attempts"));
    // A failed row is not tried again, even when the server returns.
    relay.up.store(true, Ordering::SeqCst);
    assert_eq!(notify::run_once(&store, &config, 3).await.unwrap(), notify::Round::default());
}

/// A gateway that answers 503 to its first request and 202 after, recording what it got.
async fn gateway() -> (SocketAddr, Arc<std::sync::Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = requests.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut request = Vec::new();
            let mut buffer = [0u8; 4096];
            // Read the head, then the body by Content-Length.
            loop {
                let read = socket.read(&mut buffer).await.unwrap_or(0);
                if read == 0 {
                    break;
                }
                request.extend_from_slice(&buffer[..read]);
                let text = String::from_utf8_lossy(&request).into_owned();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let length: usize = head
                        .lines()
                        .find_map(|line| line.strip_prefix("Content-Length: "))
                        .and_then(|value| value.trim().parse().ok())
                        .unwrap_or(0);
                    if body.len() >= length {
                        break;
                    }
                }
            }
            let count = {
                let mut seen = seen.lock().unwrap();
                seen.push(String::from_utf8_lossy(&request).into_owned());
                seen.len()
            };
            let reply: &[u8] = if count == 1 {
                b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"
            } else {
                b"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}"
            };
            let _ = socket.write_all(reply).await;
        }
    });
    (addr, requests)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_goes_through_the_gateway_with_retries() {
    let store = store().await;
    let marker = unique_marker();
    let case = case(&store, &marker, None, Some("+359888123456"), "bg").await;
    let (gateway, requests) = gateway().await;
    let config = config(None, Some(gateway), &marker, "node-a");
    let round = notify::run_once(&store, &config, 1).await.unwrap();
    assert_eq!(round.retried, 1, "the gateway's 503 is retried");
    tokio::time::sleep(Duration::from_millis(150)).await;
    let round = notify::run_once(&store, &config, 2).await.unwrap();
    assert_eq!(round.sent, 1);
    assert_eq!(notify::run_once(&store, &config, 3).await.unwrap(), notify::Round::default());
    let requests = requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert!(request.starts_with("POST /send HTTP/1.1\r\n"));
        assert!(request.contains("Authorization: Bearer gateway-token\r\n"));
        assert!(request.contains("\"to\":\"+359888123456\""));
        assert!(request.contains(&format!("\"reference\":\"{}\"", case.reference)));
    }
    let key = |request: &str| request.lines().find(|line| line.starts_with("Idempotency-Key:")).map(str::to_owned);
    assert_eq!(key(&requests[0]), key(&requests[1]), "a retry carries the same idempotency key");
    assert!(key(&requests[0]).is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_channels_and_missing_consent_send_nothing() {
    let store = store().await;
    let marker = unique_marker();
    case(&store, &marker, Some("a@example.bg"), Some("+359888000000"), "bg").await;
    let none = config(None, None, &marker, "node-a");
    assert_eq!(notify::run_once(&store, &none, 1).await.unwrap(), notify::Round::default());
    // `run` returns at once when nothing is enabled.
    tokio::time::timeout(Duration::from_secs(1), notify::run(store.clone(), none, CancellationToken::new()))
        .await
        .unwrap();
    assert_eq!(store.pending_notifications().await.unwrap(), 0);
}
