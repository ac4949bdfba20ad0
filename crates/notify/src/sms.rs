//! SMS through an HTTP gateway: `POST` of `{"to", "text", "reference"}` as JSON with a bearer
//! token and an `Idempotency-Key`, over a minimal HTTP/1.1 client on a tokio `TcpStream`.
//!
//! Only plain `http://` is spoken. A gateway reached over the internet needs TLS: run a local
//! TLS relay (stunnel, or nginx with `proxy_pass https://…`) on the same host and point the URL at
//! it. That keeps rustls and a certificate store out of the build for one POST per message.

use std::time::Duration;

use store::ClaimedNotification;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::{Composed, Delivery, SmsConfig};

const TIMEOUT: Duration = Duration::from_secs(20);
/// The most of the reply read: the status line is all that matters.
const MAX_REPLY: usize = 16 * 1024;

/// A parsed `http://host:port/path` gateway address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayUrl {
    pub host: String,
    pub port: u16,
    pub path: String,
}

impl GatewayUrl {
    /// Parses `http://host[:port][/path]`; `https://` is refused with a hint.
    pub fn parse(text: &str) -> Result<GatewayUrl, String> {
        let text = text.trim();
        if text.starts_with("https://") {
            return Err("https is not spoken directly: run a local TLS relay and give its http:// address".into());
        }
        let rest = text.strip_prefix("http://").ok_or("must start with http://")?;
        let (authority, path) = match rest.find('/') {
            Some(slash) => (&rest[..slash], &rest[slash..]),
            None => (rest, "/"),
        };
        if authority.is_empty() || authority.contains('@') {
            return Err("needs a host, without user information".into());
        }
        let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
            let (host, after) = bracketed.split_once(']').ok_or("unclosed [ in the host")?;
            let port = match after.strip_prefix(':') {
                Some(port) => port.parse().map_err(|_| "the port is not a number")?,
                None if after.is_empty() => 80,
                None => return Err("unexpected text after the host".into()),
            };
            (host.to_owned(), port)
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host.to_owned(), port.parse().map_err(|_| "the port is not a number")?),
                None => (authority.to_owned(), 80),
            }
        };
        if host.is_empty() || path.contains(['\r', '\n', ' ']) {
            return Err("not a valid URL".into());
        }
        Ok(GatewayUrl { host, port, path: path.to_owned() })
    }
}

/// The part of an HTTP reply the client reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HttpReply {
    pub(crate) status: u16,
}

/// Reads the status code from the start of an HTTP/1.x reply.
pub(crate) fn parse_status_line(reply: &[u8]) -> Option<HttpReply> {
    let line_end = reply.windows(2).position(|w| w == b"\r\n")?;
    let line = std::str::from_utf8(&reply[..line_end]).ok()?;
    let mut parts = line.splitn(3, ' ');
    let version = parts.next()?;
    if !version.starts_with("HTTP/1.") {
        return None;
    }
    let status: u16 = parts.next()?.parse().ok()?;
    (100..=599).contains(&status).then_some(HttpReply { status })
}

async fn post_json(gateway: &GatewayUrl, token: &str, idempotency_key: &str, body: &str) -> std::io::Result<HttpReply> {
    let host = if gateway.host.contains(':') { format!("[{}]", gateway.host) } else { gateway.host.clone() };
    let mut stream = TcpStream::connect((gateway.host.as_str(), gateway.port)).await?;
    let request = format!(
        "POST {} HTTP/1.1\r\nHost: {host}:{}\r\nContent-Type: application/json\r\nAccept: application/json\r\n\
         Authorization: Bearer {token}\r\nIdempotency-Key: {idempotency_key}\r\nContent-Length: {}\r\n\
         Connection: close\r\nUser-Agent: civicline\r\n\r\n{body}",
        gateway.path,
        gateway.port,
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    stream.flush().await?;
    let mut reply = Vec::with_capacity(512);
    let mut buffer = [0u8; 2048];
    loop {
        let read = stream.read(&mut buffer).await?;
        if read == 0 {
            break;
        }
        reply.extend_from_slice(&buffer[..read]);
        if reply.windows(2).any(|w| w == b"\r\n") || reply.len() >= MAX_REPLY {
            break;
        }
    }
    parse_status_line(&reply).ok_or_else(|| std::io::Error::other("not an http reply"))
}

/// The idempotency key of an outbox row: the same on every attempt.
pub(crate) fn idempotency_key(notification: &ClaimedNotification) -> String {
    format!("civicline-outbox-{}-event-{}", notification.id, notification.event_id)
}

pub(crate) async fn send(
    config: &SmsConfig,
    recipient: &str,
    notification: &ClaimedNotification,
    composed: &Composed,
) -> Delivery {
    let body = serde_json::json!({
        "to": recipient,
        "text": composed.sms,
        "reference": notification.reference,
    })
    .to_string();
    let key = idempotency_key(notification);
    match tokio::time::timeout(TIMEOUT, post_json(&config.gateway, &config.token, &key, &body)).await {
        Err(_) => Delivery::Transient("sms gateway timed out".into()),
        Ok(Err(_)) => Delivery::Transient("sms gateway connection failed".into()),
        Ok(Ok(reply)) => match reply.status {
            200..=299 => Delivery::Sent,
            408 | 429 | 500..=599 => Delivery::Transient(format!("sms gateway http {}", reply.status)),
            status => Delivery::Permanent(format!("sms gateway http {status}")),
        },
    }
}
