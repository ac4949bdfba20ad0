//! The phone switch in the server: the `[telephony]` section of the configuration file and its
//! validation into a `telephony::Config`, starting the switch on bound sockets, and the task
//! that writes its call detail records to the store and hands voicemail and callback requests to
//! [`intake`], which opens cases from them.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use crate::config::ConfigError;

pub mod intake;
pub mod queues;

/// The shipped prompts, next to this source tree (`prompts/` at the repository root).
pub const SHIPPED_PROMPTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../prompts");

/// The demo agents' password.
pub const DEMO_AGENT_PASSWORD: &str = "civicline-demo";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelephonySection {
    pub enabled: bool,
    pub sip_listen: String,
    pub media_address: String,
    pub rtp_ports: String,
    pub number: String,
    pub trunk_allow: Vec<String>,
    pub realm: String,
    pub prompts_dir: Option<PathBuf>,
    pub recordings_dir: Option<PathBuf>,
    pub hours: String,
    pub media_threads: usize,
    pub queues: Vec<QueueSection>,
    pub agents: Vec<AgentSection>,
    pub outbound: Option<OutboundSection>,
}

/// `[telephony.outbound]`: the gateway that carries callbacks to citizens, and the numbers it may
/// dial. Without it no call ever leaves the switch.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboundSection {
    pub gateway: String,
    pub allow: Vec<String>,
    #[serde(default = "default_citizen_ring")]
    pub ring_timeout_s: u64,
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    #[serde(default = "default_retry")]
    pub retry_delay_s: u64,
}

fn default_citizen_ring() -> u64 {
    30
}
fn default_attempts() -> u32 {
    3
}
fn default_retry() -> u64 {
    300
}

/// One skill-routing step of a queue: `requires = { english = 2 }`, optionally only for callers
/// in one language, loosening after `expires_after_s`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepSection {
    #[serde(default)]
    pub lang: Option<String>,
    pub requires: std::collections::BTreeMap<String, u8>,
    #[serde(default)]
    pub expires_after_s: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueSection {
    pub name: String,
    #[serde(default = "default_strategy")]
    pub strategy: String,
    #[serde(default = "default_ring_timeout")]
    pub ring_timeout_s: u64,
    #[serde(default = "default_wrapup")]
    pub wrapup_s: u64,
    #[serde(default = "default_max_wait")]
    pub max_wait_s: u64,
    #[serde(default = "default_overflow")]
    pub overflow: String,
    #[serde(default = "default_announce")]
    pub announce_s: u64,
    #[serde(default)]
    pub callback_key: Option<String>,
    /// The most callers waiting at once (0: no limit).
    #[serde(default)]
    pub max_waiting: u32,
    /// `wait` (callers wait while nobody is logged in) or `ivr` (they go to the IVR's overflow).
    #[serde(default = "default_when_no_agents")]
    pub when_no_agents: String,
    /// How long a returning caller waits for the agent who answered them last (0: no wait).
    #[serde(default)]
    pub preferred_agent_s: u64,
    #[serde(default)]
    pub steps: Vec<StepSection>,
}

fn default_when_no_agents() -> String {
    "wait".into()
}

fn default_strategy() -> String {
    "longest_idle".into()
}
fn default_ring_timeout() -> u64 {
    20
}
fn default_wrapup() -> u64 {
    15
}
fn default_max_wait() -> u64 {
    300
}
fn default_overflow() -> String {
    "ivr".into()
}
fn default_announce() -> u64 {
    45
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentSection {
    pub username: String,
    pub password: String,
    #[serde(default)]
    pub display_name: String,
    pub queues: Vec<String>,
    #[serde(default)]
    pub skills: std::collections::BTreeMap<String, u8>,
}

impl std::fmt::Debug for AgentSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentSection")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("display_name", &self.display_name)
            .field("queues", &self.queues)
            .field("skills", &self.skills)
            .finish()
    }
}

impl Default for TelephonySection {
    fn default() -> TelephonySection {
        let queue_names: Vec<String> = ivr::plovdiv_demo().references().queues.into_iter().collect();
        let queues = queue_names
            .iter()
            .map(|name| QueueSection {
                name: name.clone(),
                strategy: default_strategy(),
                ring_timeout_s: default_ring_timeout(),
                wrapup_s: default_wrapup(),
                max_wait_s: default_max_wait(),
                overflow: default_overflow(),
                announce_s: default_announce(),
                callback_key: None,
                max_waiting: 0,
                when_no_agents: default_when_no_agents(),
                // Continuity of care: a returning caller to the psychologists waits 20 s for the
                // one who answered them last.
                preferred_agent_s: if name == "psychological_support" { 20 } else { 0 },
                // As in civicline.example.toml: English speakers wait 30 s for agent3 or agent4.
                steps: if name == "general" {
                    vec![StepSection {
                        lang: Some("en".into()),
                        requires: [("english".to_owned(), 2)].into(),
                        expires_after_s: Some(30),
                    }]
                } else {
                    Vec::new()
                },
            })
            .collect();
        let agents = (1..=4)
            .map(|n| AgentSection {
                username: format!("agent{n}"),
                password: DEMO_AGENT_PASSWORD.into(),
                display_name: format!("Demo agent {n}"),
                queues: queue_names.clone(),
                // Demo agents 3 and 4 speak English: English-speaking callers wait for them first.
                skills: if n >= 3 { [("english".to_owned(), 4)].into() } else { Default::default() },
            })
            .collect();
        TelephonySection {
            enabled: true,
            sip_listen: "127.0.0.1:5060".into(),
            media_address: "127.0.0.1".into(),
            rtp_ports: "20000-20999".into(),
            number: "080011800".into(),
            trunk_allow: vec!["127.0.0.0/8".into()],
            realm: "civicline".into(),
            prompts_dir: None,
            recordings_dir: None,
            hours: "mon-fri 08:30-17:30".into(),
            // One media thread per core: a thread relays about 1,000 bridged calls per core.
            media_threads: std::thread::available_parallelism().map_or(1, |cores| cores.get().min(64)),
            queues,
            agents,
            outbound: None,
        }
    }
}

/// The validated switch configuration and where SIP listens.
#[derive(Debug)]
pub struct PhoneConfig {
    pub sip_listen: SocketAddr,
    pub switch: telephony::Config,
}

fn problem(key: &str, text: impl Into<String>) -> ConfigError {
    ConfigError { key: key.to_owned(), problem: text.into() }
}

/// Checks the `[telephony]` section; `None` when it is disabled.
pub fn validate(
    section: TelephonySection,
    data_dir: &Path,
    calendar: &calendar::Calendar,
) -> Result<Option<PhoneConfig>, ConfigError> {
    let TelephonySection {
        enabled,
        sip_listen,
        media_address,
        rtp_ports,
        number,
        trunk_allow,
        realm,
        prompts_dir,
        recordings_dir,
        hours,
        media_threads,
        queues,
        agents,
        outbound,
    } = section;
    if !enabled {
        return Ok(None);
    }
    let sip_listen: SocketAddr = sip_listen
        .parse()
        .map_err(|_| problem("telephony.sip_listen", format!("{sip_listen:?} is not an address like 127.0.0.1:5060")))?;
    let media_address: IpAddr = media_address
        .parse()
        .map_err(|_| problem("telephony.media_address", format!("{media_address:?} is not an IP address")))?;
    if media_address.is_unspecified() {
        return Err(problem("telephony.media_address", "must be the address phones reach, not 0.0.0.0"));
    }
    let rtp_ports = telephony::PortRange::parse(&rtp_ports).map_err(|err| problem("telephony.rtp_ports", err))?;
    if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit()) {
        return Err(problem("telephony.number", "must be digits only, like 080011800"));
    }
    let trunk_allow = trunk_allow
        .iter()
        .map(|text| telephony::Cidr::parse(text).map_err(|err| problem("telephony.trunk_allow", err)))
        .collect::<Result<Vec<_>, _>>()?;
    if realm.trim().is_empty() {
        return Err(problem("telephony.realm", "must not be empty"));
    }
    let hours = calendar::OpeningHours::parse(&hours).map_err(|err| problem("telephony.hours", err.to_string()))?;
    if !(1..=64).contains(&media_threads) {
        return Err(problem("telephony.media_threads", "must be between 1 and 64"));
    }
    let flow = ivr::plovdiv_demo();
    let mut queue_configs = Vec::new();
    for (index, queue) in queues.iter().enumerate() {
        let key = |field: &str| format!("telephony.queues[{index}].{field}");
        let key_name = key;
        let QueueSection {
            name,
            strategy,
            ring_timeout_s,
            wrapup_s,
            max_wait_s,
            overflow,
            announce_s,
            callback_key,
            max_waiting,
            when_no_agents,
            preferred_agent_s,
            steps,
        } = queue.clone();
        let strategy = match strategy.as_str() {
            "longest_idle" => telephony::config::Strategy::LongestIdle,
            "round_robin" => telephony::config::Strategy::RoundRobin,
            "fewest_calls" => telephony::config::Strategy::FewestCalls,
            "least_talk_time" => telephony::config::Strategy::LeastTalkTime,
            "ring_all" => telephony::config::Strategy::RingAll,
            _ => {
                return Err(problem(
                    &key("strategy"),
                    "use longest_idle, round_robin, fewest_calls, least_talk_time or ring_all",
                ));
            }
        };
        if !(5..=300).contains(&ring_timeout_s) {
            return Err(problem(&key("ring_timeout_s"), "must be between 5 and 300"));
        }
        if wrapup_s > 3600 {
            return Err(problem(&key("wrapup_s"), "must be at most 3600"));
        }
        let overflow = match overflow.as_str() {
            "ivr" => telephony::QueueOverflow::Ivr,
            "callback" => telephony::QueueOverflow::Callback,
            other if queues.iter().any(|q| q.name == other && q.name != name) => {
                telephony::QueueOverflow::Queue(other.to_owned())
            }
            _ => return Err(problem(&key("overflow"), "use ivr, callback or the name of another queue")),
        };
        let callback_key = match callback_key.as_deref() {
            None => None,
            Some(key) => match key.chars().collect::<Vec<_>>()[..] {
                [digit] if ivr::is_keypad_digit(digit) => Some(digit),
                _ => return Err(problem(&key_name("callback_key"), "must be one key: 0-9, * or #")),
            },
        };
        if callback_key.is_some() && outbound.is_none() {
            return Err(problem(&key_name("callback_key"), "needs [telephony.outbound] to call citizens back"));
        }
        if overflow == telephony::QueueOverflow::Callback && callback_key.is_none() {
            return Err(problem(&key_name("overflow"), "callback needs the queue's callback_key"));
        }
        let leave_when_empty = match when_no_agents.as_str() {
            "wait" => false,
            "ivr" => true,
            _ => return Err(problem(&key_name("when_no_agents"), "use wait or ivr")),
        };
        let mut step_configs = Vec::new();
        for (step_index, step) in steps.into_iter().enumerate() {
            let step_key = |field: &str| format!("telephony.queues[{index}].steps[{step_index}].{field}");
            let lang = match step.lang.as_deref() {
                None => None,
                Some("bg") => Some(ivr::Lang::Bg),
                Some("en") => Some(ivr::Lang::En),
                Some(_) => return Err(problem(&step_key("lang"), "use bg or en")),
            };
            if step.requires.is_empty() {
                return Err(problem(&step_key("requires"), "name at least one skill"));
            }
            check_skills(&step.requires, &step_key("requires"))?;
            step_configs.push(telephony::config::StepConfig {
                lang,
                requires: step.requires.into_iter().collect(),
                expires_after: step.expires_after_s.map(Duration::from_secs),
            });
        }
        queue_configs.push(telephony::QueueConfig {
            name,
            strategy,
            ring_timeout: Duration::from_secs(ring_timeout_s),
            wrap_up: Duration::from_secs(wrapup_s),
            max_wait: (max_wait_s > 0).then(|| Duration::from_secs(max_wait_s)),
            overflow,
            announce_interval: (announce_s > 0).then(|| Duration::from_secs(announce_s)),
            callback_key,
            max_waiting: (max_waiting > 0).then_some(max_waiting),
            leave_when_empty,
            preferred_agent_wait: (preferred_agent_s > 0).then(|| Duration::from_secs(preferred_agent_s.min(300))),
            steps: step_configs,
        });
    }
    for name in flow.references().queues {
        if !queue_configs.iter().any(|queue| queue.name == name) {
            return Err(problem("telephony.queues", format!("the IVR needs a queue named {name}")));
        }
    }
    let mut agent_configs: Vec<telephony::AgentConfig> = Vec::new();
    for (index, agent) in agents.iter().enumerate() {
        let key = |field: &str| format!("telephony.agents[{index}].{field}");
        let AgentSection { username, password, display_name, queues: agent_queues, skills } = agent.clone();
        check_skills(&skills, &key("skills"))?;
        let valid_user = !username.is_empty()
            && username.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if !valid_user {
            return Err(problem(&key("username"), "use letters, digits, '.', '-' or '_'"));
        }
        if agent_configs.iter().any(|other| other.username == username) {
            return Err(problem(&key("username"), format!("{username} is listed twice")));
        }
        if password.chars().count() < 8 {
            return Err(problem(&key("password"), "must be at least 8 characters"));
        }
        if let Some(unknown) = agent_queues.iter().find(|queue| !queue_configs.iter().any(|q| &q.name == *queue)) {
            return Err(problem(&key("queues"), format!("no queue named {unknown}")));
        }
        let display_name = if display_name.is_empty() { username.clone() } else { display_name };
        agent_configs.push(telephony::AgentConfig {
            username,
            password,
            display_name,
            queues: agent_queues,
            skills: skills.into_iter().collect(),
        });
    }
    let outbound = match outbound {
        None => None,
        Some(section) => Some(validate_outbound(section)?),
    };
    let switch = telephony::Config {
        number,
        trunk_allow,
        realm,
        media_address,
        rtp_ports,
        prompts_dir: prompts_dir.unwrap_or_else(|| PathBuf::from(SHIPPED_PROMPTS)),
        recordings_dir: recordings_dir.unwrap_or_else(|| data_dir.join("recordings")),
        hours,
        calendar: calendar.clone(),
        flow,
        queues: queue_configs,
        agents: agent_configs,
        outbound,
        media_threads,
        nonce_secret: random_bytes(),
        rng_seed: u64::from_le_bytes(random_bytes().get(..8).and_then(|b| b.try_into().ok()).unwrap_or([7; 8])),
    };
    Ok(Some(PhoneConfig { sip_listen, switch }))
}

/// Skill names are short words; levels run from 1 to 5.
fn check_skills(skills: &std::collections::BTreeMap<String, u8>, key: &str) -> Result<(), ConfigError> {
    for (name, level) in skills {
        let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            return Err(problem(key, format!("skill {name:?}: use lowercase letters, digits and '_'")));
        }
        if !(1..=5).contains(level) {
            return Err(problem(key, format!("skill {name}: the level must be 1 to 5")));
        }
    }
    Ok(())
}

fn validate_outbound(section: OutboundSection) -> Result<telephony::config::Outbound, ConfigError> {
    let OutboundSection { gateway, allow, ring_timeout_s, max_attempts, retry_delay_s } = section;
    let gateway: SocketAddr = gateway.parse().map_err(|_| {
        problem("telephony.outbound.gateway", format!("{gateway:?} is not an address like 192.0.2.10:5060"))
    })?;
    if allow.is_empty() {
        return Err(problem("telephony.outbound.allow", "list the numbers that may be dialled, e.g. \"+3598XXXXXXXX\""));
    }
    let allow = allow
        .iter()
        .map(|text| telephony::config::NumberPattern::parse(text).map_err(|err| problem("telephony.outbound.allow", err)))
        .collect::<Result<Vec<_>, _>>()?;
    if !(5..=120).contains(&ring_timeout_s) {
        return Err(problem("telephony.outbound.ring_timeout_s", "must be between 5 and 120"));
    }
    if !(1..=10).contains(&max_attempts) {
        return Err(problem("telephony.outbound.max_attempts", "must be between 1 and 10"));
    }
    if !(10..=86_400).contains(&retry_delay_s) {
        return Err(problem("telephony.outbound.retry_delay_s", "must be between 10 and 86400"));
    }
    Ok(telephony::config::Outbound {
        gateway,
        allow,
        ring_timeout: Duration::from_secs(ring_timeout_s),
        max_attempts,
        retry_delay: Duration::from_secs(retry_delay_s),
    })
}

/// 32 bytes that differ per process start (std's randomly keyed hasher; no extra crate).
fn random_bytes() -> Vec<u8> {
    use std::hash::{BuildHasher, Hasher};
    let mut out = Vec::with_capacity(32);
    for round in 0..4u64 {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(round);
        hasher.write_u128(
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0),
        );
        out.extend_from_slice(&hasher.finish().to_le_bytes());
    }
    out
}

/// A running switch, as the server holds it.
#[derive(Debug, Clone)]
pub struct Phone {
    pub handle: telephony::Handle,
    pub number: String,
    pub sip_addr: SocketAddr,
}

/// Binds SIP on UDP and TCP and starts the switch and its CDR writer. The task finishes once
/// the switch has stopped (after `shutdown`) and every record is written. `web` is the state
/// cases are registered through.
pub async fn start(
    config: PhoneConfig,
    store: store::Store,
    web: web::AppState,
    shutdown: CancellationToken,
) -> anyhow::Result<(Phone, tokio::task::JoinHandle<()>)> {
    let (udp, tcp) = telephony::bind_sip(config.sip_listen)
        .await
        .with_context(|| format!("listen for SIP on udp and tcp {}", config.sip_listen))?;
    let bound = udp.local_addr().context("read the SIP address")?;
    let number = config.switch.number.clone();
    let queue_names = config.switch.queues.iter().map(|queue| queue.name.clone()).collect();
    let agent_names: Vec<String> = config.switch.agents.iter().map(|agent| agent.username.clone()).collect();
    let (queues, log_writer) = queues::QueueGlue::start(store.clone(), web.live.clone(), queue_names, &agent_names);
    let metrics = web.metrics.clone();
    let web_state = web.clone();
    let (config_hours, config_calendar) = (config.switch.hours.clone(), config.switch.calendar.clone());
    let intake = intake::Intake {
        web,
        hours: config.switch.hours.clone(),
        calendar: config.switch.calendar.clone(),
        flow: config.switch.flow.clone(),
    };
    let running = telephony::start(config.switch, udp, tcp, shutdown).await.context("start the phone switch")?;
    web_state.set_phone(std::sync::Arc::new(SwitchControl(running.handle.clone())));
    let media = running.handle.clone();
    metrics.add_source(Box::new(move |out| media.media_delay().write_prometheus(out)));
    let recorder = tokio::spawn(record_events(running.events, store.clone(), intake, queues, running.handle.clone()));
    // After the event consumer runs: bookings make the switch log to the ACD event stream.
    rebook_callbacks(&running.handle, &store, &config_hours, &config_calendar).await;
    let switch = running.task;
    let task = tokio::spawn(async move {
        let _ = switch.await;
        let _ = recorder.await;
        let _ = log_writer.await;
    });
    Ok((Phone { handle: running.handle, number, sip_addr: bound }, task))
}

/// Writes every call detail record to the store and opens a case for every voicemail message and
/// callback request. Queue and agent state and the ACD log go to [`queues`].
async fn record_events(
    mut events: tokio::sync::mpsc::Receiver<telephony::Event>,
    store: store::Store,
    intake: intake::Intake,
    mut queues: queues::QueueGlue,
    handle: telephony::Handle,
) {
    // Queue callbacks in flight: the case their request opened, for the outcome's note.
    let mut callback_cases: std::collections::HashMap<telephony::CallId, i64> = std::collections::HashMap::new();
    while let Some(event) = events.recv().await {
        match event {
            telephony::Event::CallEnded(cdr) => {
                let record = store::calls::NewCallRecord {
                    call_ref: cdr.call.to_string(),
                    leg: match cdr.leg {
                        telephony::LegKind::Caller => "caller".into(),
                        telephony::LegKind::Agent { .. } => "agent".into(),
                    },
                    agent: cdr.agent,
                    caller: cdr.caller,
                    queue: cdr.queue,
                    started_at: cdr.started_at,
                    answered_at: cdr.answered_at,
                    ended_at: cdr.ended_at,
                    wait_ms: i64::try_from(cdr.wait_ms).unwrap_or(i64::MAX),
                    talk_ms: i64::try_from(cdr.talk_ms).unwrap_or(i64::MAX),
                    outcome: cdr.outcome.as_str().into(),
                };
                if let Err(error) = store.insert_call_record(&record).await {
                    tracing::error!(call.id = %cdr.call, %error, "call record not stored");
                }
            }
            event @ (telephony::Event::VoicemailRecorded { .. } | telephony::Event::CallbackRequested { .. }) => {
                match calendar::Timestamp::from_unix_millis(store::now()) {
                    Some(now) => {
                        // Logged inside; a failure must not stop the CDR writer.
                        let taken = intake::take(&intake, &event, now).await;
                        match (&event, taken) {
                            (telephony::Event::CallbackRequested { call, in_queue: true, .. }, Some(taken)) => {
                                callback_cases.insert(*call, taken.case.id);
                            }
                            (telephony::Event::CallbackRequested { call, in_queue: false, .. }, Some(taken)) => {
                                book_callback(&handle, &intake, &event, &taken, *call).await;
                            }
                            _ => {}
                        }
                    }
                    None => tracing::error!("the clock is outside the calendar; phone request not taken"),
                }
            }
            event @ telephony::Event::CallbackFinished { call, case, .. } => match case.or(callback_cases.remove(&call)) {
                Some(case_id) => intake::finish(&intake, case_id, &event).await,
                None => tracing::error!(call.id = %call, "callback ended but its request opened no case"),
            },
            event @ (telephony::Event::QueueState(_)
            | telephony::Event::AgentState(_)
            | telephony::Event::AcdLog { .. }) => queues.take(&event),
            telephony::Event::CallStarted { .. }
            | telephony::Event::CallAnswered { .. }
            | telephony::Event::IvrPath { .. } => {}
        }
    }
}

/// The web layer's commands to the switch, over its handle.
struct SwitchControl(telephony::Handle);

impl web::PhoneControl for SwitchControl {
    fn set_agent_state<'a>(
        &'a self,
        agent: &'a str,
        state: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = web::StateChange> + Send + 'a>> {
        Box::pin(async move {
            let pause = match state {
                "available" => None,
                other => match telephony::PauseCode::parse(other) {
                    Some(code) => Some(code),
                    None => {
                        let known: Vec<&str> = std::iter::once("available")
                            .chain(telephony::PauseCode::ALL.iter().map(|code| code.as_str()))
                            .collect();
                        return web::StateChange::UnknownState(known.join(", "));
                    }
                },
            };
            if self.0.set_agent_paused(agent, pause).await {
                web::StateChange::Done
            } else {
                web::StateChange::UnknownAgent
            }
        })
    }

    fn set_flag(&self, name: &str, on: bool) {
        self.0.set_flag(name, on);
    }

    fn transfer<'a>(
        &'a self,
        agent: &'a str,
        to: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = web::TransferAnswer> + Send + 'a>> {
        Box::pin(async move {
            use telephony::TransferRefused as R;
            match self.0.transfer(agent, to).await {
                Some(Ok(())) => web::TransferAnswer::Done,
                // The switch has stopped: the agent's call is gone with it.
                None => web::TransferAnswer::NotTalking,
                Some(Err(R::UnknownAgent)) => web::TransferAnswer::UnknownAgent,
                Some(Err(R::NotTalking)) => web::TransferAnswer::NotTalking,
                Some(Err(R::UnknownTarget)) => web::TransferAnswer::UnknownTarget,
                Some(Err(R::NotAllowed)) => web::TransferAnswer::NotAllowed,
                Some(Err(R::TargetBusy)) => web::TransferAnswer::TargetBusy,
            }
        })
    }

    fn set_agent_queues<'a>(
        &'a self,
        agent: &'a str,
        queues: Vec<String>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send + 'a>> {
        Box::pin(async move {
            // A stopped switch knows no agent.
            self.0.set_agent_queues(agent, queues).await.unwrap_or_else(|| Err(agent.to_owned()))
        })
    }
}

/// Books again every callback still owed on a case (a restart forgets the switch's bookings):
/// now while the line is open, else at its next opening.
async fn rebook_callbacks(
    handle: &telephony::Handle,
    store: &store::Store,
    hours: &calendar::OpeningHours,
    calendar: &calendar::Calendar,
) {
    let pending = match store.pending_callbacks().await {
        Ok(pending) => pending,
        Err(error) => {
            tracing::error!(%error, "owed callbacks not read; staff see them on their cases");
            return;
        }
    };
    let Some(now) = calendar::Timestamp::from_unix_millis(store::now()) else {
        return;
    };
    let due = if hours.is_open(calendar, now) { Some(now) } else { hours.next_opening(calendar, now) };
    let Some(due) = due else {
        return;
    };
    let mut booked = 0;
    for callback in &pending {
        // The description is in the caller's language: Cyrillic means Bulgarian.
        let lang = if callback.description.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c)) {
            ivr::Lang::Bg
        } else {
            ivr::Lang::En
        };
        let request = telephony::ScheduledCallback {
            case: callback.case_id,
            number: callback.phone.clone(),
            queue: crate::demo::queue_for_category(&callback.category).to_owned(),
            at_unix_ms: due.unix_millis(),
            lang,
        };
        match handle.schedule_callback(request).await {
            Ok(_) => booked += 1,
            Err(why) => tracing::info!(case.id = callback.case_id, why, "owed callback left to staff"),
        }
    }
    if !pending.is_empty() {
        tracing::info!(owed = pending.len(), booked, "owed callbacks booked again");
    }
}

/// Books an after-hours callback request with the switch, due at the line's next opening, in the
/// queue of the service the caller chose. Without an outbound gateway (or for a number it may
/// not dial) staff call back from the case, which says when it is due.
async fn book_callback(
    handle: &telephony::Handle,
    intake: &intake::Intake,
    event: &telephony::Event,
    taken: &intake::Taken,
    call: telephony::CallId,
) {
    let telephony::Event::CallbackRequested { caller, lang, choices, .. } = event else {
        return;
    };
    let (Some(number), Some(due)) = (caller.as_deref().and_then(domain::normalize_phone), taken.callback_due) else {
        return;
    };
    let queue = intake::service_queue(&intake.flow, choices).unwrap_or(crate::demo::GENERAL_QUEUE);
    let request = telephony::ScheduledCallback {
        case: taken.case.id,
        number,
        queue: queue.to_owned(),
        at_unix_ms: due.unix_millis(),
        lang: *lang,
    };
    match handle.schedule_callback(request).await {
        Ok(booked) => tracing::info!(call.id = %call, callback.id = %booked, case.id = taken.case.id, "callback booked"),
        Err(why) => tracing::info!(call.id = %call, case.id = taken.case.id, why, "callback left to staff"),
    }
}

/// How to call in, for the serve welcome text.
#[allow(clippy::print_stdout)] // Part of the welcome text.
pub fn print_welcome(phone: &Phone) {
    let sip = phone.sip_addr;
    let host = sip.ip();
    println!();
    println!("Phone switch: SIP on udp/tcp {sip}, demo number {}", phone.number);
    println!("  Agent phones register as agent1..agent4 (password {DEMO_AGENT_PASSWORD:?}); registering logs");
    println!("  the agent in to every demo queue. A baresip account line (~/.baresip/accounts):");
    println!("    <sip:agent1@{host}:{}>;auth_pass={DEMO_AGENT_PASSWORD};regint=300", sip.port());
    println!("  Call the contact centre from another softphone on this machine (loopback is a trunk):");
    println!("    sip:{}@{sip}", phone.number);
    println!("  Working hours mon-fri 08:30-17:30 (Sofia time, Bulgarian holidays closed); after hours");
    println!("  the caller can leave a message or ask for a callback. Press 1-4 or 0 in the main menu.");
    println!("  Call records: GET /api/v1/calls (supervisor or admin login)");
}

#[cfg(test)]
mod tests;
