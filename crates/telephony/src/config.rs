//! The switch's configuration: plain values built by the server's config stage (no `Default`,
//! no serde), plus the small parsers the server uses for them (CIDR blocks, port ranges).

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use acd::config::Strategy;

/// Everything the switch needs. Passwords are redacted in `Debug`.
#[derive(Clone)]
pub struct Config {
    /// The 0800 number the trunk dials: the user part of the Request-URI.
    pub number: String,
    /// Source addresses allowed to place calls to [`Config::number`] without credentials.
    pub trunk_allow: Vec<Cidr>,
    /// Digest realm for agent phones (and for callers outside the allow-list).
    pub realm: String,
    /// Address put into SDP and Via/Contact headers; RTP sockets bind to it.
    pub media_address: IpAddr,
    /// RTP ports; each leg takes one even port (RTCP, port + 1, is not used).
    pub rtp_ports: PortRange,
    /// Prompt WAVs, as `<lang>/<name>.wav`.
    pub prompts_dir: PathBuf,
    /// Where voicemail recordings are written.
    pub recordings_dir: PathBuf,
    /// When the contact centre is open (the IVR's `contact_centre` schedule).
    pub hours: calendar::OpeningHours,
    /// The working-day calendar the hours are read against.
    pub calendar: calendar::Calendar,
    /// The IVR flow callers walk.
    pub flow: ivr::Flow,
    /// ACD queues; names must match the flow's queue nodes.
    pub queues: Vec<QueueConfig>,
    /// SIP users that register as agents.
    pub agents: Vec<AgentConfig>,
    /// Calls out to citizens (callbacks); `None` disables every outbound call.
    pub outbound: Option<Outbound>,
    /// Number of media threads (at least one).
    pub media_threads: usize,
    /// Key for digest nonces; random per start is fine.
    pub nonce_secret: Vec<u8>,
    /// Seed for tags, branches, Call-IDs and SSRCs.
    pub rng_seed: u64,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("number", &self.number)
            .field("trunk_allow", &self.trunk_allow)
            .field("realm", &self.realm)
            .field("media_address", &self.media_address)
            .field("rtp_ports", &self.rtp_ports)
            .field("prompts_dir", &self.prompts_dir)
            .field("recordings_dir", &self.recordings_dir)
            .field("queues", &self.queues)
            .field("agents", &self.agents)
            .field("outbound", &self.outbound)
            .field("media_threads", &self.media_threads)
            .field("nonce_secret", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// One ACD queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueConfig {
    /// The name the IVR flow uses.
    pub name: String,
    /// Which idle agent gets the next call.
    pub strategy: acd::config::Strategy,
    /// How long an agent's phone rings before the next agent is tried.
    pub ring_timeout: Duration,
    /// After-call work following each call.
    pub wrap_up: Duration,
    /// The longest a caller waits before the overflow applies.
    pub max_wait: Option<Duration>,
    /// Where callers go after `max_wait`.
    pub overflow: QueueOverflow,
    /// How often waiting callers hear their position.
    pub announce_interval: Option<Duration>,
    /// The key a waiting caller presses to be called back, keeping their place (needs
    /// [`Config::outbound`]).
    pub callback_key: Option<char>,
    /// The most callers waiting at once; callers arriving at a full queue go to the IVR flow's
    /// `on_overflow` node.
    pub max_waiting: Option<u32>,
    /// Callers go to the IVR's `on_overflow` node, instead of waiting, while no agent of the
    /// queue is logged in (Asterisk's `joinempty`/`leavewhenempty`).
    pub leave_when_empty: bool,
    /// A returning caller (answered by an agent in the last week) waits this long for that
    /// agent before anyone else is offered the call; `None`: no preference.
    pub preferred_agent_wait: Option<Duration>,
    /// Skill requirements, tried in order; after the last one expires any member qualifies.
    pub steps: Vec<StepConfig>,
}

/// One skill-routing step of a queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepConfig {
    /// Only for callers who chose this language in the IVR; `None`: every caller.
    pub lang: Option<ivr::Lang>,
    /// Skill names with a minimum level (1 to 5); all must be met.
    pub requires: Vec<(String, u8)>,
    /// How long the step applies; `None`: until the call is answered.
    pub expires_after: Option<Duration>,
}

/// Where calls to citizens go and which numbers may be dialled: the switch never places a
/// call to a number outside [`Outbound::allow`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outbound {
    /// The SIP gateway (the operator's trunk) that carries calls out, over UDP.
    pub gateway: std::net::SocketAddr,
    /// Numbers that may be dialled.
    pub allow: Vec<NumberPattern>,
    /// How long a citizen's phone may ring.
    pub ring_timeout: Duration,
    /// Attempts before a callback is given up.
    pub max_attempts: u32,
    /// The wait between attempts.
    pub retry_delay: Duration,
}

/// A dial pattern in the style of a PBX dial plan: digits and `+` match themselves, `X` any
/// digit, and a trailing `*` one or more further digits (`+3598XXXXXXXX`, `032XXXXXX`, `+359*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberPattern(String);

impl NumberPattern {
    /// Parses a pattern; it must not be empty.
    pub fn parse(text: &str) -> Result<NumberPattern, String> {
        let body = text.strip_suffix('*').unwrap_or(text);
        let plus = body.strip_prefix('+').unwrap_or(body);
        if plus.is_empty() || !plus.chars().all(|c| c.is_ascii_digit() || c == 'X') {
            return Err(format!(
                "{text:?} is not a pattern like +3598XXXXXXXX or +359* (digits, X, a trailing *)"
            ));
        }
        Ok(NumberPattern(text.to_owned()))
    }

    /// Whether `number` (digits with an optional leading `+`) matches.
    pub fn matches(&self, number: &str) -> bool {
        let (body, open) = match self.0.strip_suffix('*') {
            Some(body) => (body, true),
            None => (self.0.as_str(), false),
        };
        let valid = number.strip_prefix('+').unwrap_or(number);
        if valid.is_empty() || !valid.chars().all(|c| c.is_ascii_digit()) {
            return false;
        }
        let mut digits = number.chars();
        for want in body.chars() {
            match (want, digits.next()) {
                ('X', Some(got)) if got.is_ascii_digit() => {}
                (want, Some(got)) if want == got => {}
                _ => return false,
            }
        }
        // `*` stands for at least one more digit; without it the number must end here.
        digits.next().is_some() == open
    }
}

impl fmt::Display for NumberPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a caller goes when a queue's wait limit is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueOverflow {
    /// Back to the IVR flow's `on_overflow` node (in the demo: leave a message or ask for a
    /// callback).
    Ivr,
    /// Into another queue, keeping the place earned.
    Queue(String),
    /// The caller keeps waiting and hears the callback offer (the queue's `callback_key`).
    Callback,
}

/// One agent phone: a SIP user that registers with digest credentials. Registering logs the
/// agent in to its queues; unregistering (or letting the registration lapse) logs it out.
#[derive(Clone, PartialEq, Eq)]
pub struct AgentConfig {
    /// SIP user name (the user part of the address-of-record).
    pub username: String,
    /// Digest password.
    pub password: String,
    /// Shown on wallboards.
    pub display_name: String,
    /// Queues the agent serves.
    pub queues: Vec<String>,
    /// Skill names with levels 1 to 5.
    pub skills: Vec<(String, u8)>,
}

impl fmt::Debug for AgentConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgentConfig")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("display_name", &self.display_name)
            .field("queues", &self.queues)
            .field("skills", &self.skills)
            .finish()
    }
}

/// An IPv4 or IPv6 block such as `127.0.0.0/8` or `2001:db8::/32`; a bare address is a /32
/// or /128.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `address[/prefix]`.
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address
            .trim()
            .parse()
            .map_err(|_| format!("{address:?} is not an IP address"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(prefix) => prefix
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|prefix| *prefix <= max)
                .ok_or_else(|| format!("prefix {prefix:?} is not 0 to {max}"))?,
        };
        Ok(Cidr { network, prefix })
    }

    /// Whether `address` is inside the block (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
            v4 => v4,
        };
        match (self.network, address) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(network) & mask == u32::from(address) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(network) & mask == u128::from(address) & mask
            }
            _ => false,
        }
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// An inclusive range of UDP ports for RTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortRange {
    /// First port.
    pub first: u16,
    /// Last port.
    pub last: u16,
}

impl PortRange {
    /// Parses `20000-20999`; the range must hold at least two even ports.
    pub fn parse(text: &str) -> Result<PortRange, String> {
        let (first, last) = text
            .split_once('-')
            .ok_or_else(|| format!("{text:?} is not a range like 20000-20999"))?;
        let parse = |part: &str| {
            part.trim()
                .parse::<u16>()
                .ok()
                .filter(|port| *port >= 1024)
                .ok_or_else(|| format!("{part:?} is not a port from 1024 to 65535"))
        };
        let (first, last) = (parse(first)?, parse(last)?);
        if last < first.saturating_add(3) {
            return Err(format!("{text:?} must hold at least two even ports"));
        }
        Ok(PortRange { first, last })
    }

    /// The even ports of the range, in order.
    pub fn even_ports(&self) -> impl Iterator<Item = u16> + use<> {
        let first = self.first + self.first % 2;
        (first..=self.last).step_by(2)
    }
}

#[cfg(test)]
mod tests;
