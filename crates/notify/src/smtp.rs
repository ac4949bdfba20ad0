//! E-mail delivery over plain SMTP with lettre: one connection per message, so a mail server that
//! comes back is used at once, and a failure is classified without quoting the server's reply.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use store::ClaimedNotification;

use crate::{Composed, Delivery, EmailConfig};

/// The longest a connection, a command or the whole send may take.
const TIMEOUT: Duration = Duration::from_secs(20);

/// A stable id per outbox row: a resend after a crash carries the same `Message-ID`.
pub(crate) fn message_id(config: &EmailConfig, notification: &ClaimedNotification) -> String {
    let domain = config.from.rsplit_once('@').map(|(_, domain)| domain).unwrap_or("localhost");
    let domain = domain.trim_end_matches('>');
    format!("<civicline.outbox.{}.event.{}@{domain}>", notification.id, notification.event_id)
}

pub(crate) async fn send(
    config: &EmailConfig,
    recipient: &str,
    notification: &ClaimedNotification,
    composed: &Composed,
) -> Delivery {
    let Ok(from) = config.from.parse() else {
        return Delivery::Permanent("invalid sender address in configuration".into());
    };
    let Ok(to) = recipient.parse() else {
        return Delivery::Permanent("invalid recipient address".into());
    };
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(composed.subject.clone())
        .message_id(Some(message_id(config, notification)))
        .header(ContentType::TEXT_PLAIN)
        .body(composed.body.clone());
    let message = match message {
        Ok(message) => message,
        Err(_) => return Delivery::Permanent("message could not be built".into()),
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(config.host.clone())
        .port(config.port)
        .timeout(Some(TIMEOUT));
    if let Some((username, password)) = &config.credentials {
        builder = builder.credentials(Credentials::new(username.clone(), password.clone()));
    }
    let transport = builder.build();
    match tokio::time::timeout(TIMEOUT * 3, transport.send(message)).await {
        Err(_) => Delivery::Transient("smtp timed out".into()),
        Ok(Ok(_)) => Delivery::Sent,
        Ok(Err(err)) => classify(&err),
    }
}

/// A failure as a retry decision and a text free of personal data (the reply is not kept: it may
/// quote the address).
fn classify(err: &lettre::transport::smtp::Error) -> Delivery {
    let code = err.status().map(|code| code.to_string());
    if err.is_permanent() {
        Delivery::Permanent(format!("smtp {}", code.as_deref().unwrap_or("5xx")))
    } else if err.is_transient() {
        Delivery::Transient(format!("smtp {}", code.as_deref().unwrap_or("4xx")))
    } else if err.is_timeout() {
        Delivery::Transient("smtp timed out".into())
    } else {
        Delivery::Transient("smtp connection failed".into())
    }
}
