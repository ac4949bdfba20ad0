//! Data-driven tests of the call model on virtual time: an in-process test UA talks to the
//! switch through [`Harness`], which answers media-socket requests at once, and every output
//! is written to a trace compared with `expect!` (rewrite with `UPDATE_EXPECT=1`).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::time::Duration;

use expect_test::{Expect, expect};
use sip_proto::auth;
use sip_proto::message::{Message, Method, Request, Response};
use sip_proto::rng::Rng;
use sip_proto::sdp;
use sip_proto::transaction::{Peer, Transport};
use sip_proto::uri::Uri;

use super::{LegId, MediaCommand, MediaEvent, Output, Params, PlayItem, Switch};
use crate::config::{
    AgentConfig, Cidr, Config, NumberPattern, Outbound, PortRange, QueueConfig, QueueOverflow,
    StepConfig,
};
use crate::event::Event;

const TRUNK: &str = "127.0.0.1:5080";
const AGENT1: &str = "127.0.0.1:5071";
const AGENT2: &str = "127.0.0.1:5072";
/// The outbound gateway that carries callbacks to citizens.
const GATEWAY: &str = "127.0.0.1:5090";
const PASSWORD: &str = "civicline-demo";
/// Monday 2026-03-02 10:00 in Sofia (UTC+2).
const MONDAY_10AM: i64 = 1_772_438_400_000;
/// Saturday 2026-03-07 20:00 in Sofia.
const SATURDAY_8PM: i64 = 1_772_906_400_000;

fn config() -> Config {
    let flow = ivr::plovdiv_demo();
    let queues: Vec<QueueConfig> = flow
        .references()
        .queues
        .into_iter()
        .map(|name| QueueConfig {
            name,
            strategy: acd::config::Strategy::LongestIdle,
            ring_timeout: Duration::from_secs(15),
            wrap_up: Duration::from_secs(10),
            max_wait: Some(Duration::from_secs(300)),
            overflow: QueueOverflow::Ivr,
            announce_interval: Some(Duration::from_secs(30)),
            callback_key: Some('*'),
            max_waiting: None,
            leave_when_empty: false,
            preferred_agent_wait: Some(Duration::from_secs(20)),
            // English-speaking callers wait 30 s for an agent who speaks English.
            steps: vec![StepConfig {
                lang: Some(ivr::Lang::En),
                requires: vec![("english".to_owned(), 2)],
                expires_after: Some(Duration::from_secs(30)),
            }],
        })
        .collect();
    let names: Vec<String> = queues.iter().map(|queue| queue.name.clone()).collect();
    let agent = |username: &str| AgentConfig {
        username: username.to_owned(),
        password: PASSWORD.to_owned(),
        display_name: username.to_owned(),
        queues: names.clone(),
        skills: if username == "agent2" {
            vec![("english".to_owned(), 4)]
        } else {
            Vec::new()
        },
    };
    Config {
        number: "080011800".to_owned(),
        trunk_allow: vec![Cidr::parse("127.0.0.0/8").unwrap()],
        realm: "civicline".to_owned(),
        media_address: "127.0.0.1".parse().unwrap(),
        rtp_ports: PortRange::parse("20000-20999").unwrap(),
        prompts_dir: "prompts".into(),
        recordings_dir: "recordings".into(),
        hours: calendar::OpeningHours::parse("mon-fri 08:30-17:30").unwrap(),
        calendar: calendar::Calendar::bulgaria(),
        flow,
        queues,
        agents: vec![agent("agent1"), agent("agent2")],
        outbound: Some(Outbound {
            gateway: GATEWAY.parse().unwrap(),
            allow: vec![
                NumberPattern::parse("08XXXXXXXX").unwrap(),
                NumberPattern::parse("+3598XXXXXXXX").unwrap(),
            ],
            ring_timeout: Duration::from_secs(30),
            max_attempts: 2,
            retry_delay: Duration::from_secs(60),
        }),
        media_threads: 1,
        nonce_secret: b"secret".to_vec(),
        rng_seed: 1,
    }
}

struct Harness {
    switch: Switch,
    now: u64,
    trace: String,
    next_port: u16,
    rng: Rng,
    /// Every message the switch sent, newest last, with where it went.
    sent: Vec<(String, Message)>,
    /// The ACD log entries the switch handed out, encoded, with their Unix times.
    acd_log: Vec<String>,
}

fn peer(addr: &str) -> Peer {
    Peer {
        transport: Transport::Udp,
        addr: addr.parse().unwrap(),
    }
}

impl Harness {
    fn new(epoch_unix_ms: i64) -> Harness {
        Harness::with_config(epoch_unix_ms, config())
    }

    fn with_config(epoch_unix_ms: i64, config: Config) -> Harness {
        let known_prompts: BTreeSet<String> = ["bg/position_1".to_owned(), "bg/transfer_failed".to_owned()].into();
        let switch = Switch::new(
            &config,
            Params {
                sip_port: 5060,
                epoch_unix_ms,
                known_prompts,
            },
        )
        .unwrap();
        Harness {
            switch,
            now: 0,
            trace: String::new(),
            next_port: 20000,
            rng: Rng::new(99),
            sent: Vec::new(),
            acd_log: Vec::new(),
        }
    }

    fn log(&mut self, line: &str) {
        let _ = writeln!(
            self.trace,
            "{:03}.{:03} {line}",
            self.now / 1000,
            self.now % 1000
        );
    }

    /// Writes every output; opens media sockets at once.
    fn drain(&mut self) {
        while let Some(output) = self.switch.poll_output() {
            let line = match output {
                Output::Transmit { peer, message } => {
                    let line = format!("  -> {} {}", peer.addr, first_line(&message));
                    self.sent.push((peer.addr.to_string(), message));
                    line
                }
                Output::Media(MediaCommand::Open { leg, call }) => {
                    let port = self.next_port;
                    self.next_port += 2;
                    self.switch.handle_leg_opened(self.now, leg, Ok(port));
                    format!("  media open l{} {call} port {port}", leg.0)
                }
                Output::Media(command) => format!("  media {}", media_line(&command)),
                // The ACD's own log is tested in `acd`; keep these traces about the switch.
                Output::Event(Event::AcdLog {
                    epoch_unix_ms,
                    events,
                }) => {
                    for event in events {
                        let at = epoch_unix_ms + event.at.0 as i64;
                        self.acd_log
                            .push(format!("{at} {}", acd::codec::encode(&event.kind)));
                    }
                    continue;
                }
                Output::Event(event) => format!("  event {}", event_line(&event)),
                Output::SaveRecording { path, wav, event } => {
                    format!(
                        "  save {} ({} bytes) then {}",
                        path.display(),
                        wav.len(),
                        event_line(&event)
                    )
                }
            };
            self.log(&line);
        }
    }

    fn sip(&mut self, from: &str, message: impl Into<Message>) {
        let message = message.into();
        self.log(&format!("{from} <- {}", first_line(&message)));
        self.switch
            .handle_sip(self.now, peer(from), &message.to_bytes());
        self.drain();
    }

    fn raw(&mut self, from: &str, bytes: &[u8]) {
        self.log(&format!("{from} <- {} bytes", bytes.len()));
        self.switch.handle_sip(self.now, peer(from), bytes);
        self.drain();
    }

    fn media(&mut self, event: MediaEvent) {
        self.log(&format!("media {event:?}"));
        self.switch.handle_media(self.now, event);
        self.drain();
    }

    /// Moves the clock, firing due timers on the way.
    fn advance(&mut self, ms: u64) {
        let end = self.now + ms;
        loop {
            let next = self.switch.poll_timeout();
            if next > end {
                break;
            }
            self.now = next.max(self.now);
            self.switch.handle_timeout(self.now);
            self.drain();
        }
        self.now = end;
    }

    /// Reports every pending IVR playback done (the last Play on each leg).
    fn prompts_done(&mut self) {
        let mut done = std::collections::BTreeMap::new();
        for line in self.trace.lines() {
            if let Some(rest) = line.split("media play l").nth(1) {
                let mut words = rest.split_whitespace();
                let leg: u64 = words.next().unwrap().parse().unwrap();
                let token: u64 = words
                    .next()
                    .unwrap()
                    .trim_start_matches('t')
                    .parse()
                    .unwrap();
                done.insert(leg, token);
            }
        }
        for (leg, token) in done {
            self.media(MediaEvent::PlayDone {
                leg: LegId(leg),
                token,
            });
        }
    }

    fn last_sent(&self, to: &str, check: impl Fn(&Message) -> bool) -> Message {
        self.sent
            .iter()
            .rev()
            .find(|(addr, message)| addr == to && check(message))
            .map(|(_, message)| message.clone())
            .expect("such a message was sent")
    }

    fn request(
        &mut self,
        method: Method,
        uri: &str,
        from_user: &str,
        from: &str,
        to: &str,
    ) -> Request {
        let mut request = Request::new(method.clone(), Uri::parse(uri).unwrap());
        request.headers.push(
            "Via",
            format!("SIP/2.0/UDP {from};branch={}", self.rng.branch()),
        );
        request.headers.push("Max-Forwards", "70");
        request.headers.push(
            "From",
            format!("<sip:{from_user}@127.0.0.1>;tag={}", self.rng.tag()),
        );
        request.headers.push("To", to.to_owned());
        request.headers.push("Call-ID", self.rng.call_id("test"));
        request.headers.push("CSeq", format!("1 {method}"));
        request
            .headers
            .push("Contact", format!("<sip:{from_user}@{from}>"));
        request
    }

    fn register(&mut self, user: &str, from: &str, expires: u32) {
        let to = format!("<sip:{user}@127.0.0.1>");
        let mut first = self.request(Method::Register, "sip:127.0.0.1", user, from, &to);
        first.headers.push("Expires", expires.to_string());
        self.sip(from, first.clone());
        let Message::Response(challenge) = self.last_sent(from, |_| true) else {
            panic!("no challenge");
        };
        let header = challenge.headers.challenges(false).unwrap().remove(0);
        let credentials = auth::respond(
            &header,
            "REGISTER",
            "sip:127.0.0.1",
            user,
            PASSWORD,
            1,
            "cn",
        )
        .unwrap();
        let mut second = first;
        second.headers.set(
            "Via",
            format!("SIP/2.0/UDP {from};branch={}", self.rng.branch()),
        );
        second.headers.set("CSeq", "2 REGISTER");
        second
            .headers
            .push("Authorization", credentials.to_string());
        self.sip(from, second);
    }

    /// A caller dials the demo number; returns the INVITE.
    fn call_in(&mut self, caller: &str) -> Request {
        let to = "<sip:080011800@127.0.0.1>";
        let mut invite = self.request(
            Method::Invite,
            "sip:080011800@127.0.0.1:5060",
            caller,
            TRUNK,
            to,
        );
        let local = sdp::LocalMedia {
            addr_type: "IP4".to_owned(),
            address: "127.0.0.1".to_owned(),
            port: 40000,
            codecs: vec![sdp::Codec::Pcma],
            session_id: 1,
            session_version: 1,
        };
        invite.headers.push("Content-Type", "application/sdp");
        invite.body = sdp::offer(&local, 101, sdp::Direction::SendRecv).to_bytes();
        self.sip(TRUNK, invite.clone());
        let answered = self
            .sent
            .iter()
            .rev()
            .find_map(|(addr, message)| match message {
                Message::Response(ok) if addr == TRUNK && ok.status == 200 => Some(ok.clone()),
                _ => None,
            });
        if let Some(ok) = answered {
            let mut ack = Request::new(
                Method::Ack,
                Uri::parse("sip:civicline@127.0.0.1:5060").unwrap(),
            );
            ack.headers.push(
                "Via",
                format!("SIP/2.0/UDP {TRUNK};branch={}", self.rng.branch()),
            );
            ack.headers.push("Max-Forwards", "70");
            for name in ["From", "Call-ID"] {
                ack.headers.push(name, invite.headers.get(name).unwrap());
            }
            ack.headers.push("To", ok.headers.get("To").unwrap());
            ack.headers.push("CSeq", "1 ACK");
            self.sip(TRUNK, ack);
        }
        invite
    }

    /// A caller dials in and presses `digits` in the menus (each after the prompts); returns
    /// the INVITE and the caller's leg.
    fn call_choosing(&mut self, caller: &str, digits: &[char]) -> (Request, LegId) {
        let invite = self.call_in(caller);
        let leg = LegId(self.switch.legs.keys().map(|leg| leg.0).max().unwrap());
        self.prompts_done();
        for digit in digits {
            self.media(MediaEvent::Digit { leg, digit: *digit });
            self.prompts_done();
        }
        (invite, leg)
    }

    /// The agent at `addr` answers the INVITE it was sent with `status`.
    fn agent_replies(&mut self, addr: &str, status: u16) {
        let Message::Request(invite) = self.last_sent(
            addr,
            |m| matches!(m, Message::Request(r) if r.method == Method::Invite),
        ) else {
            unreachable!()
        };
        let mut response = Response::to_request(&invite, status, Some("agenttag"));
        if status == 200 {
            let offer = sdp::Session::parse(&invite.body).unwrap();
            let local = sdp::LocalMedia {
                addr_type: "IP4".to_owned(),
                address: "127.0.0.1".to_owned(),
                port: 41000,
                codecs: vec![sdp::Codec::Pcma, sdp::Codec::Pcmu],
                session_id: 2,
                session_version: 1,
            };
            let (answer, _) = sdp::answer(&offer, &local).unwrap();
            response
                .headers
                .push("Contact", format!("<sip:agent@{addr}>"));
            response.headers.push("Content-Type", "application/sdp");
            response.body = answer.to_bytes();
        }
        self.sip(addr, response);
    }

    /// The agent at `addr` answers the switch's latest request of `method` with `status`.
    fn agent_answers_request(&mut self, addr: &str, method: Method, status: u16) {
        let Message::Request(request) = self.last_sent(
            addr,
            |m| matches!(m, Message::Request(r) if r.method == method),
        ) else {
            unreachable!()
        };
        self.sip(
            addr,
            Response::to_request(&request, status, Some("agenttag")),
        );
    }

    /// The agent at `addr` sends `method` in the dialog of the call it answered last, with
    /// `headers`; returns the request.
    fn agent_in_dialog(&mut self, addr: &str, method: Method, headers: &[(&str, &str)]) -> Request {
        let Message::Request(invite) = self.last_sent(
            addr,
            |m| matches!(m, Message::Request(r) if r.method == Method::Invite),
        ) else {
            unreachable!()
        };
        let mut request = Request::new(method.clone(), Uri::parse("sip:civicline@127.0.0.1:5060").unwrap());
        request.headers.push("Via", format!("SIP/2.0/UDP {addr};branch={}", self.rng.branch()));
        request.headers.push("Max-Forwards", "70");
        request.headers.push("From", format!("{};tag=agenttag", invite.headers.get("To").unwrap()));
        request.headers.push("To", invite.headers.get("From").unwrap());
        request.headers.push("Call-ID", invite.headers.get("Call-ID").unwrap());
        // Each request of the agent's in the dialog takes the next CSeq.
        request.headers.push("CSeq", format!("{} {method}", 10 + self.sent.len()));
        request.headers.push("Contact", format!("<sip:agent@{addr}>"));
        for (name, value) in headers {
            request.headers.push(name, *value);
        }
        self.sip(addr, request.clone());
        request
    }

    /// The caller hangs up the answered call.
    fn caller_bye(&mut self, invite: &Request) {
        let Message::Response(ok) = self.last_sent(TRUNK, |m| {
            matches!(m, Message::Response(r) if r.status == 200 && r.headers.cseq().is_ok_and(|c| c.method == Method::Invite))
        }) else {
            unreachable!()
        };
        let mut bye = Request::new(
            Method::Bye,
            Uri::parse("sip:civicline@127.0.0.1:5060").unwrap(),
        );
        bye.headers.push(
            "Via",
            format!("SIP/2.0/UDP {TRUNK};branch={}", self.rng.branch()),
        );
        bye.headers.push("Max-Forwards", "70");
        bye.headers
            .push("From", invite.headers.get("From").unwrap());
        bye.headers.push("To", ok.headers.get("To").unwrap());
        bye.headers
            .push("Call-ID", invite.headers.get("Call-ID").unwrap());
        bye.headers.push("CSeq", "2 BYE");
        self.sip(TRUNK, bye);
    }
}

fn first_line(message: &Message) -> String {
    match message {
        Message::Request(request) => format!("{} {}", request.method, request.uri),
        Message::Response(response) => {
            let cseq = response
                .headers
                .cseq()
                .map(|c| c.method.to_string())
                .unwrap_or_default();
            format!("{} {} ({cseq})", response.status, response.reason)
        }
    }
}

fn media_line(command: &MediaCommand) -> String {
    match command {
        MediaCommand::Open { leg, call } => format!("open l{} {call}", leg.0),
        MediaCommand::Configure {
            leg,
            remote,
            codec,
            payload_type,
            telephone_event,
        } => {
            format!(
                "configure l{} {remote} {codec:?}/{payload_type} te {telephone_event:?}",
                leg.0
            )
        }
        MediaCommand::Play { leg, token, items } => {
            let items: Vec<String> = items
                .iter()
                .map(|item| match item {
                    PlayItem::Prompt(path) => path.clone(),
                    other => format!("{other:?}").to_lowercase(),
                })
                .collect();
            format!("play l{} t{token} [{}]", leg.0, items.join(" "))
        }
        MediaCommand::Stop { leg } => format!("stop l{}", leg.0),
        MediaCommand::Bridge { a, b } => format!("bridge l{} l{}", a.0, b.0),
        MediaCommand::Record { leg, max_ms } => format!("record l{} {max_ms}ms", leg.0),
        MediaCommand::StopRecording { leg } => format!("stop-recording l{}", leg.0),
        MediaCommand::Close { leg } => format!("close l{}", leg.0),
    }
}

fn event_line(event: &Event) -> String {
    match event {
        Event::CallStarted { call, leg, .. } => format!("started {call} {leg:?}"),
        Event::CallAnswered { call, leg, .. } => format!("answered {call} {leg:?}"),
        Event::CallEnded(cdr) => format!(
            "ended {} {:?} {} queue={} agent={} wait={} talk={}",
            cdr.call,
            cdr.leg,
            cdr.outcome.as_str(),
            cdr.queue.as_deref().unwrap_or("-"),
            cdr.agent.as_deref().unwrap_or("-"),
            cdr.wait_ms,
            cdr.talk_ms
        ),
        Event::QueueState(state) => format!(
            "queue {} waiting={} idle={} staffed={}",
            state.queue, state.waiting, state.idle_agents, state.staffed
        ),
        Event::AgentState(state) => {
            format!(
                "agent {} {} registered={}",
                state.agent,
                state.presence.as_str(),
                state.registered
            )
        }
        Event::VoicemailRecorded { call, lang, .. } => format!("voicemail {call} {lang:?}"),
        Event::CallbackRequested {
            call,
            lang,
            choices,
            in_queue,
            ..
        } => {
            format!(
                "callback {call} {lang:?} choices={} in_queue={in_queue}",
                choices.len()
            )
        }
        Event::CallbackFinished {
            call,
            case,
            connected,
            attempts,
        } => format!(
            "callback-finished {call} case={case:?} connected={connected} attempts={attempts}"
        ),
        Event::IvrPath { call, steps } => format!("ivr-path {call} steps={}", steps.len()),
        Event::AcdLog { events, .. } => format!("acd-log {}", events.len()),
    }
}

/// Keeps only trace lines containing one of `filters` (all lines when empty).
fn check(harness: &Harness, filters: &[&str], expect: Expect) {
    let trace: String = harness
        .trace
        .lines()
        .filter(|line| filters.is_empty() || filters.iter().any(|filter| line.contains(filter)))
        .map(|line| format!("{line}\n"))
        .collect();
    expect.assert_eq(&trace);
}

#[test]
fn options_garbage_and_registration() {
    let mut h = Harness::new(MONDAY_10AM);
    let options = h.request(
        Method::Options,
        "sip:127.0.0.1",
        "probe",
        AGENT1,
        "<sip:127.0.0.1>",
    );
    h.sip(AGENT1, options);
    h.raw(AGENT1, b"\x00\xffnot sip");
    h.raw(
        AGENT1,
        b"INVITE sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5071;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:x@127.0.0.1>\r\nCall-ID: c\r\nCSeq: nope\r\n\r\n",
    );
    h.register("agent1", AGENT1, 600);
    check(
        &h,
        &[],
        expect![[r#"
            000.000 127.0.0.1:5071 <- OPTIONS sip:127.0.0.1
            000.000   -> 127.0.0.1:5071 200 OK (OPTIONS)
            000.000   event queue administrative_services waiting=0 idle=0 staffed=0
            000.000   event queue city_environment waiting=0 idle=0 staffed=0
            000.000   event queue crisis waiting=0 idle=0 staffed=0
            000.000   event queue general waiting=0 idle=0 staffed=0
            000.000   event queue psychological_support waiting=0 idle=0 staffed=0
            000.000   event queue social_services waiting=0 idle=0 staffed=0
            000.000 127.0.0.1:5071 <- 9 bytes
            000.000 127.0.0.1:5071 <- 153 bytes
            000.000   -> 127.0.0.1:5071 400 Bad Request ()
            000.000 127.0.0.1:5071 <- REGISTER sip:127.0.0.1
            000.000   -> 127.0.0.1:5071 401 Unauthorized (REGISTER)
            000.000 127.0.0.1:5071 <- REGISTER sip:127.0.0.1
            000.000   -> 127.0.0.1:5071 200 OK (REGISTER)
            000.000   event agent agent1 available registered=true
            000.000   event queue administrative_services waiting=0 idle=1 staffed=1
            000.000   event queue city_environment waiting=0 idle=1 staffed=1
            000.000   event queue crisis waiting=0 idle=1 staffed=1
            000.000   event queue general waiting=0 idle=1 staffed=1
            000.000   event queue psychological_support waiting=0 idle=1 staffed=1
            000.000   event queue social_services waiting=0 idle=1 staffed=1
        "#]],
    );
}

#[test]
fn caller_reaches_an_agent_and_hangs_up() {
    let mut h = Harness::new(MONDAY_10AM);
    h.register("agent1", AGENT1, 600);
    h.trace.clear();
    let invite = h.call_in("0888123456");
    h.prompts_done();
    h.media(MediaEvent::Digit {
        leg: LegId(2),
        digit: '1',
    });
    h.prompts_done();
    h.advance(3_000);
    h.agent_replies(AGENT1, 180);
    h.advance(2_000);
    h.agent_replies(AGENT1, 200);
    h.advance(60_000);
    h.caller_bye(&invite);
    h.agent_answers_request(AGENT1, Method::Bye, 200);
    h.advance(12_000);
    check(
        &h,
        &[
            "<-",
            "->",
            "media",
            "event ended",
            "event answered",
            "event agent",
            "event started",
        ],
        expect![[r#"
            000.000 127.0.0.1:5080 <- INVITE sip:080011800@127.0.0.1:5060
            000.000   -> 127.0.0.1:5080 100 Trying (INVITE)
            000.000   media open l2 c1 port 20000
            000.000   event started c1 Caller
            000.000   media configure l2 127.0.0.1:40000 Pcma/8 te Some(101)
            000.000   event answered c1 Caller
            000.000   media play l2 t1 [bg/privacy_notice]
            000.000   -> 127.0.0.1:5080 200 OK (INVITE)
            000.000 127.0.0.1:5080 <- ACK sip:civicline@127.0.0.1:5060
            000.000 media PlayDone { leg: LegId(2), token: 1 }
            000.000   media play l2 t2 [bg/main_menu en/language_offer]
            000.000 media Digit { leg: LegId(2), digit: '1' }
            000.000   media stop l2
            000.000   media play l2 t3 [bg/connecting_social]
            000.000 media PlayDone { leg: LegId(2), token: 3 }
            000.000   media play l2 t4 [holdmusic]
            000.000   media open l3 c1 port 20002
            000.000   event started c1 Agent { agent: "agent1" }
            000.000   event agent agent1 ringing registered=true
            000.000   -> 127.0.0.1:5071 INVITE sip:agent1@127.0.0.1:5071
            000.500   -> 127.0.0.1:5071 INVITE sip:agent1@127.0.0.1:5071
            001.500   -> 127.0.0.1:5071 INVITE sip:agent1@127.0.0.1:5071
            003.000 127.0.0.1:5071 <- 180 Ringing (INVITE)
            005.000 127.0.0.1:5071 <- 200 OK (INVITE)
            005.000   media stop l2
            005.000   media configure l3 127.0.0.1:41000 Pcma/8 te Some(101)
            005.000   media bridge l2 l3
            005.000   event answered c1 Agent { agent: "agent1" }
            005.000   -> 127.0.0.1:5071 ACK sip:agent@127.0.0.1:5071
            005.000   event agent agent1 on_call registered=true
            065.000 127.0.0.1:5080 <- BYE sip:civicline@127.0.0.1:5060
            065.000   media close l3
            065.000   event ended c1 Agent { agent: "agent1" } answered queue=social_services agent=agent1 wait=0 talk=60000
            065.000   media close l2
            065.000   event ended c1 Caller answered queue=social_services agent=agent1 wait=5000 talk=60000
            065.000   -> 127.0.0.1:5080 200 OK (BYE)
            065.000   -> 127.0.0.1:5071 BYE sip:agent@127.0.0.1:5071
            065.000   event agent agent1 wrap_up registered=true
            065.000 127.0.0.1:5071 <- 200 OK (BYE)
            075.000   event agent agent1 available registered=true
        "#]],
    );
}

#[test]
fn ring_timeout_cancels_and_tries_the_next_agent() {
    let mut h = Harness::new(MONDAY_10AM);
    h.register("agent1", AGENT1, 600);
    h.advance(1_000);
    h.register("agent2", AGENT2, 600);
    h.trace.clear();
    h.call_in("0888123456");
    h.prompts_done();
    h.media(MediaEvent::Digit {
        leg: LegId(2),
        digit: '2',
    });
    h.prompts_done();
    h.agent_replies(AGENT1, 180);
    h.advance(15_000);
    h.agent_answers_request(AGENT1, Method::Cancel, 200);
    h.agent_replies(AGENT1, 487);
    h.agent_replies(AGENT2, 180);
    h.agent_replies(AGENT2, 200);
    check(
        &h,
        &["5071", "5072", "event ended", "event agent", "bridge"],
        expect![[r#"
            001.000   event agent agent1 ringing registered=true
            001.000   -> 127.0.0.1:5071 INVITE sip:agent1@127.0.0.1:5071
            001.000 127.0.0.1:5071 <- 180 Ringing (INVITE)
            016.000   event ended c1 Agent { agent: "agent1" } no_answer queue=administrative_services agent=agent1 wait=0 talk=0
            016.000   event agent agent1 missed registered=true
            016.000   event agent agent2 ringing registered=true
            016.000   -> 127.0.0.1:5071 CANCEL sip:agent1@127.0.0.1:5071
            016.000   -> 127.0.0.1:5072 INVITE sip:agent2@127.0.0.1:5072
            016.000 127.0.0.1:5071 <- 200 OK (CANCEL)
            016.000 127.0.0.1:5071 <- 487 Request Terminated (INVITE)
            016.000   -> 127.0.0.1:5071 ACK sip:agent1@127.0.0.1:5071
            016.000 127.0.0.1:5072 <- 180 Ringing (INVITE)
            016.000 127.0.0.1:5072 <- 200 OK (INVITE)
            016.000   media bridge l2 l4
            016.000   -> 127.0.0.1:5072 ACK sip:agent@127.0.0.1:5072
            016.000   event agent agent2 on_call registered=true
        "#]],
    );
}

#[test]
fn a_phone_that_unregisters_while_ringing_is_skipped_and_the_caller_keeps_waiting() {
    let mut h = Harness::new(MONDAY_10AM);
    h.register("agent1", AGENT1, 600);
    h.trace.clear();
    h.call_in("0888123456");
    h.prompts_done();
    h.media(MediaEvent::Digit {
        leg: LegId(2),
        digit: '0',
    });
    h.prompts_done();
    h.agent_replies(AGENT1, 180);
    h.advance(2_000);
    h.register("agent1", AGENT1, 0);
    h.agent_answers_request(AGENT1, Method::Cancel, 200);
    h.agent_replies(AGENT1, 487);
    h.advance(20_000);
    h.register("agent2", AGENT2, 600);
    check(
        &h,
        &[
            "5071 INVITE",
            "CANCEL",
            "5072 INVITE",
            "event ended",
            "event agent",
            "queue general",
        ],
        expect![[r#"
            000.000   event agent agent1 ringing registered=true
            000.000   event queue general waiting=1 idle=0 staffed=1
            000.000   -> 127.0.0.1:5071 INVITE sip:agent1@127.0.0.1:5071
            002.000   event ended c1 Agent { agent: "agent1" } no_answer queue=general agent=agent1 wait=0 talk=0
            002.000   event agent agent1 available registered=false
            002.000   -> 127.0.0.1:5071 CANCEL sip:agent1@127.0.0.1:5071
            002.000   event agent agent1 logged_out registered=false
            002.000   event queue general waiting=1 idle=0 staffed=0
            002.000 127.0.0.1:5071 <- 200 OK (CANCEL)
            022.000   event agent agent2 available registered=true
            022.000   event agent agent2 ringing registered=true
            022.000   event queue general waiting=1 idle=0 staffed=1
            022.000   -> 127.0.0.1:5072 INVITE sip:agent2@127.0.0.1:5072
        "#]],
    );
}

#[test]
fn agent_busy_or_unreachable_is_skipped() {
    let mut h = Harness::new(MONDAY_10AM);
    h.register("agent1", AGENT1, 600);
    h.trace.clear();
    h.call_in("0888123456");
    h.prompts_done();
    h.media(MediaEvent::Digit {
        leg: LegId(2),
        digit: '4',
    });
    h.prompts_done();
    h.agent_replies(AGENT1, 486);
    h.advance(6_000);
    h.agent_replies(AGENT1, 503);
    h.advance(40_000);
    check(
        &h,
        &["5071", "event ended", "event agent"],
        expect![[r#"
            000.000   event agent agent1 ringing registered=true
            000.000   -> 127.0.0.1:5071 INVITE sip:agent1@127.0.0.1:5071
            000.000 127.0.0.1:5071 <- 486 Busy Here (INVITE)
            000.000   -> 127.0.0.1:5071 ACK sip:agent1@127.0.0.1:5071
            000.000   event ended c1 Agent { agent: "agent1" } no_answer queue=psychological_support agent=agent1 wait=0 talk=0
            000.000   event agent agent1 missed registered=true
            005.000   event agent agent1 available registered=true
            005.000   event agent agent1 ringing registered=true
            005.000   -> 127.0.0.1:5071 INVITE sip:agent1@127.0.0.1:5071
            005.500   -> 127.0.0.1:5071 INVITE sip:agent1@127.0.0.1:5071
            006.000 127.0.0.1:5071 <- 503 Service Unavailable (INVITE)
            006.000   -> 127.0.0.1:5071 ACK sip:agent1@127.0.0.1:5071
            006.000   event ended c1 Agent { agent: "agent1" } unreachable queue=psychological_support agent=agent1 wait=0 talk=0
            006.000   event agent agent1 available registered=true
            015.000   event agent agent1 available registered=true
            015.000   event agent agent1 ringing registered=true
            015.000   -> 127.0.0.1:5071 INVITE sip:agent1@127.0.0.1:5071
            015.500   -> 127.0.0.1:5071 INVITE sip:agent1@127.0.0.1:5071
            016.500   -> 127.0.0.1:5071 INVITE sip:agent1@127.0.0.1:5071
            018.500   -> 127.0.0.1:5071 INVITE sip:agent1@127.0.0.1:5071
            022.500   -> 127.0.0.1:5071 INVITE sip:agent1@127.0.0.1:5071
            030.000   event ended c1 Agent { agent: "agent1" } no_answer queue=psychological_support agent=agent1 wait=0 talk=0
            030.000   event agent agent1 missed registered=true
            030.000   -> 127.0.0.1:5071 CANCEL sip:agent1@127.0.0.1:5071
            030.500   -> 127.0.0.1:5071 INVITE sip:agent1@127.0.0.1:5071
            030.500   -> 127.0.0.1:5071 CANCEL sip:agent1@127.0.0.1:5071
            031.500   -> 127.0.0.1:5071 CANCEL sip:agent1@127.0.0.1:5071
            033.500   -> 127.0.0.1:5071 CANCEL sip:agent1@127.0.0.1:5071
            035.000   event agent agent1 available registered=true
            035.000   event agent agent1 ringing registered=true
            035.000   -> 127.0.0.1:5071 INVITE sip:agent1@127.0.0.1:5071
            035.500   -> 127.0.0.1:5071 INVITE sip:agent1@127.0.0.1:5071
            036.500   -> 127.0.0.1:5071 INVITE sip:agent1@127.0.0.1:5071
            037.500   -> 127.0.0.1:5071 CANCEL sip:agent1@127.0.0.1:5071
            038.500   -> 127.0.0.1:5071 INVITE sip:agent1@127.0.0.1:5071
            041.500   -> 127.0.0.1:5071 CANCEL sip:agent1@127.0.0.1:5071
            042.500   -> 127.0.0.1:5071 INVITE sip:agent1@127.0.0.1:5071
            045.500   -> 127.0.0.1:5071 CANCEL sip:agent1@127.0.0.1:5071
        "#]],
    );
}

#[test]
fn caller_hangs_up_while_queued_and_position_is_announced() {
    let mut h = Harness::new(MONDAY_10AM);
    h.trace.clear();
    let invite = h.call_in("0888123456");
    h.prompts_done();
    h.media(MediaEvent::Digit {
        leg: LegId(2),
        digit: '3',
    });
    h.prompts_done();
    h.advance(31_000);
    h.caller_bye(&invite);
    check(
        &h,
        &["play", "BYE", "event ended", "event queue city", "ivr-path"],
        expect![[r#"
            000.000   event queue city_environment waiting=0 idle=0 staffed=0
            000.000   media play l2 t1 [bg/privacy_notice]
            000.000   media play l2 t2 [bg/main_menu en/language_offer]
            000.000   media play l2 t3 [bg/connecting_environment]
            000.000   media play l2 t4 [holdmusic]
            000.000   event queue city_environment waiting=1 idle=0 staffed=0
            030.000   media play l2 t5 [bg/position_1 holdmusic]
            031.000 127.0.0.1:5080 <- BYE sip:civicline@127.0.0.1:5060
            031.000   event ivr-path c1 steps=3
            031.000   event ended c1 Caller abandoned queue=city_environment agent=- wait=31000 talk=0
            031.000   -> 127.0.0.1:5080 200 OK (BYE)
            031.000   event queue city_environment waiting=0 idle=0 staffed=0
        "#]],
    );
}

#[test]
fn after_hours_callback_and_crisis_flag() {
    let mut h = Harness::new(SATURDAY_8PM);
    h.call_in("0888123456");
    h.prompts_done();
    h.prompts_done();
    h.media(MediaEvent::Digit {
        leg: LegId(2),
        digit: '2',
    });
    h.prompts_done();
    check(
        &h,
        &["play", "event callback", "event ended", "BYE"],
        expect![[r#"
            000.000   media play l2 t1 [bg/privacy_notice]
            000.000   media play l2 t2 [bg/after_hours]
            000.000   media play l2 t3 [bg/message_or_callback en/language_offer]
            000.000   event callback c1 Bg choices=1 in_queue=false
            000.000   media play l2 t4 [bg/callback_booked]
            000.000   event ended c1 Caller callback queue=- agent=- wait=0 talk=0
            000.000   -> 127.0.0.1:5080 BYE sip:0888123456@127.0.0.1:5080
        "#]],
    );

    let mut h = Harness::new(MONDAY_10AM);
    h.switch.set_flag(0, "crisis", true);
    h.call_in("0888123456");
    h.prompts_done();
    check(
        &h,
        &["play"],
        expect![[r#"
            000.000   media play l2 t1 [bg/privacy_notice]
            000.000   media play l2 t2 [bg/crisis_announcement]
        "#]],
    );
}

#[test]
fn voicemail_is_recorded_until_the_caller_hangs_up() {
    let mut h = Harness::new(SATURDAY_8PM);
    let invite = h.call_in("0888123456");
    h.prompts_done();
    h.prompts_done();
    h.media(MediaEvent::Digit {
        leg: LegId(2),
        digit: '1',
    });
    h.prompts_done();
    h.advance(5_000);
    h.caller_bye(&invite);
    h.media(MediaEvent::Recorded {
        leg: LegId(2),
        wav: vec![0; 44],
    });
    check(
        &h,
        &["record", "save", "close", "event ended"],
        expect![[r#"
            000.000   media play l2 t4 [bg/record_message]
            000.000   media record l2 120000ms
            005.000   media stop-recording l2
            005.000   event ended c1 Caller voicemail queue=- agent=- wait=0 talk=0
            005.000   save recordings/voicemail-1772906405000-c1.wav (44 bytes) then voicemail c1 Bg
            005.000   media close l2
        "#]],
    );
}

#[test]
fn refused_calls() {
    let mut h = Harness::new(MONDAY_10AM);
    let mut wrong = h.request(
        Method::Invite,
        "sip:0700123@127.0.0.1",
        "0888",
        TRUNK,
        "<sip:0700123@127.0.0.1>",
    );
    wrong.headers.push("Content-Type", "application/sdp");
    wrong.body = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n".to_vec();
    h.sip(TRUNK, wrong.clone());
    let mut g729 = h.request(
        Method::Invite,
        "sip:080011800@127.0.0.1",
        "0888",
        TRUNK,
        "<sip:080011800@127.0.0.1>",
    );
    g729.headers.push("Content-Type", "application/sdp");
    g729.body = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 18\r\n".to_vec();
    h.sip(TRUNK, g729);
    let stranger = "192.0.2.7:5060";
    let mut outside = h.request(
        Method::Invite,
        "sip:080011800@127.0.0.1",
        "0888",
        stranger,
        "<sip:080011800@127.0.0.1>",
    );
    outside.body = wrong.body.clone();
    h.sip(stranger, outside);
    check(
        &h,
        &["->"],
        expect![[r#"
            000.000   -> 127.0.0.1:5080 100 Trying (INVITE)
            000.000   -> 127.0.0.1:5080 404 Not Found (INVITE)
            000.000   -> 127.0.0.1:5080 100 Trying (INVITE)
            000.000   -> 127.0.0.1:5080 488 Not Acceptable Here (INVITE)
            000.000   -> 192.0.2.7:5060 100 Trying (INVITE)
            000.000   -> 192.0.2.7:5060 407 Proxy Authentication Required (INVITE)
        "#]],
    );
}

#[test]
fn reconcile_keeps_a_talking_agent_and_frees_nothing() {
    let mut h = Harness::new(MONDAY_10AM);
    h.register("agent1", AGENT1, 600);
    h.call_in("0888123456");
    h.prompts_done();
    h.media(MediaEvent::Digit {
        leg: LegId(2),
        digit: '1',
    });
    h.prompts_done();
    h.agent_replies(AGENT1, 200);
    h.trace.clear();
    h.advance(45_000);
    check(&h, &["event", "repaired"], expect![[r#""#]]);
    assert_eq!(h.switch.snapshot().calls[0].phase, "talking");
}

/// The ACD's event log leaves the switch as `Event::AcdLog`, in order, with Unix times.
#[test]
fn the_acd_log_leaves_as_events() {
    let mut h = Harness::new(MONDAY_10AM);
    h.register("agent1", AGENT1, 600);
    let log: Vec<String> = h
        .acd_log
        .iter()
        .map(|line| line.replacen(&MONDAY_10AM.to_string(), "T", 1))
        .collect();
    expect![[r#"
        T in login a0 q0:0,q1:0,q2:0,q3:0,q4:0,q5:0 -
        T fact members a0 q0,q1,q2,q3,q4,q5
        T out agent a0 available idle 1
        T fact agent a0 available idle -
        T in registered a0
    "#]].assert_eq(&(log.join("\n") + "\n"));
}

/// A caller in the social services queue (no agent yet) presses the callback key.
fn caller_asks_for_a_callback(h: &mut Harness, caller: &str) -> Request {
    let (invite, leg) = h.call_choosing(caller, &['1']);
    h.advance(5_000);
    h.media(MediaEvent::Digit { leg, digit: '*' });
    invite
}

#[test]
fn a_caller_keeps_their_place_and_is_called_back_agent_first() {
    let mut h = Harness::new(MONDAY_10AM);
    h.trace.clear();
    caller_asks_for_a_callback(&mut h, "0888123456");
    h.prompts_done();
    h.agent_answers_request(TRUNK, Method::Bye, 200);
    h.advance(10_000);
    // An agent logs in: their phone rings first, and only their answer dials the citizen.
    h.register("agent1", AGENT1, 600);
    h.agent_replies(AGENT1, 180);
    h.advance(2_000);
    h.agent_replies(AGENT1, 200);
    h.agent_replies(GATEWAY, 180);
    h.advance(4_000);
    h.agent_replies(GATEWAY, 200);
    h.advance(30_000);
    h.sip(AGENT1, {
        let Message::Request(invite) = h.last_sent(AGENT1, |m| {
            matches!(m, Message::Request(r) if r.method == Method::Invite)
        }) else {
            unreachable!()
        };
        let mut bye = Request::new(Method::Bye, Uri::parse("sip:civicline@127.0.0.1:5060").unwrap());
        bye.headers.push("Via", format!("SIP/2.0/UDP {AGENT1};branch=z9hG4bKagentbye"));
        bye.headers.push("Max-Forwards", "70");
        bye.headers.push("From", format!("{};tag=agenttag", invite.headers.get("To").unwrap()));
        bye.headers.push("To", invite.headers.get("From").unwrap());
        bye.headers.push("Call-ID", invite.headers.get("Call-ID").unwrap());
        bye.headers.push("CSeq", "2 BYE");
        bye
    });
    h.agent_answers_request(GATEWAY, Method::Bye, 200);
    check(
        &h,
        &[
            "play",
            "bridge",
            "BYE",
            "INVITE",
            "event callback",
            "event ended",
            "event answered",
            "event agent",
            "event queue social",
        ],
        expect![[r#"
            000.000 127.0.0.1:5080 <- INVITE sip:080011800@127.0.0.1:5060
            000.000   -> 127.0.0.1:5080 100 Trying (INVITE)
            000.000   event queue social_services waiting=0 idle=0 staffed=0
            000.000   event answered c1 Caller
            000.000   media play l2 t1 [bg/privacy_notice]
            000.000   -> 127.0.0.1:5080 200 OK (INVITE)
            000.000   media play l2 t2 [bg/main_menu en/language_offer]
            000.000   media play l2 t3 [bg/connecting_social]
            000.000   media play l2 t4 [holdmusic]
            000.000   event queue social_services waiting=1 idle=0 staffed=0
            005.000   media play l2 t5 [beep]
            005.000   event callback c1 Bg choices=1 in_queue=true
            005.000   -> 127.0.0.1:5080 BYE sip:0888123456@127.0.0.1:5080
            005.000 127.0.0.1:5080 <- 200 OK (BYE)
            015.000   event agent agent1 available registered=true
            015.000   event agent agent1 ringing registered=true
            015.000   event queue social_services waiting=1 idle=0 staffed=1
            015.000   -> 127.0.0.1:5071 INVITE sip:agent1@127.0.0.1:5071
            015.000 127.0.0.1:5071 <- 180 Ringing (INVITE)
            017.000 127.0.0.1:5071 <- 200 OK (INVITE)
            017.000   media play l3 t6 [holdmusic]
            017.000   -> 127.0.0.1:5090 INVITE sip:0888123456@127.0.0.1:5090;user=phone
            017.000 127.0.0.1:5090 <- 180 Ringing (INVITE)
            021.000 127.0.0.1:5090 <- 200 OK (INVITE)
            021.000   media bridge l4 l3
            021.000   event answered c1 Caller
            021.000   event answered c1 Agent { agent: "agent1" }
            021.000   event callback-finished c1 case=None connected=true attempts=1
            021.000   event agent agent1 on_call registered=true
            021.000   event queue social_services waiting=0 idle=0 staffed=1
            051.000 127.0.0.1:5071 <- BYE sip:civicline@127.0.0.1:5060
            051.000   event ended c1 Agent { agent: "agent1" } answered queue=social_services agent=agent1 wait=0 talk=34000
            051.000   event ended c1 Caller answered queue=social_services agent=agent1 wait=21000 talk=30000
            051.000   -> 127.0.0.1:5071 200 OK (BYE)
            051.000   -> 127.0.0.1:5090 BYE sip:agent@127.0.0.1:5090
            051.000   event agent agent1 wrap_up registered=true
            051.000 127.0.0.1:5090 <- 200 OK (BYE)
        "#]],
    );
}

#[test]
fn an_unreachable_citizen_is_tried_again_then_given_up() {
    let mut h = Harness::new(MONDAY_10AM);
    h.register("agent1", AGENT1, 600);
    // agent1 is busy with another caller, so the callback waits.
    h.call_choosing("0888000001", &['1']);
    h.agent_replies(AGENT1, 200);
    h.trace.clear();
    let (invite, leg) = h.call_choosing("+359888123456", &['1']);
    h.media(MediaEvent::Digit { leg, digit: '*' });
    // The caller hangs up on the confirmation: the request stands.
    h.caller_bye(&invite);
    // agent2 logs in: the first attempt finds the citizen busy; the second, a minute later,
    // rings out; two attempts are all the test config allows.
    h.register("agent2", AGENT2, 600);
    h.agent_replies(AGENT2, 200);
    h.agent_replies(GATEWAY, 486);
    h.agent_answers_request(AGENT2, Method::Bye, 200);
    h.advance(60_000);
    h.agent_replies(AGENT2, 200);
    h.agent_replies(GATEWAY, 180);
    h.advance(30_000);
    h.agent_answers_request(GATEWAY, Method::Cancel, 200);
    h.agent_replies(GATEWAY, 487);
    h.agent_answers_request(AGENT2, Method::Bye, 200);
    check(
        &h,
        &[
            "5072",
            "5090",
            "event callback",
            "event ended c4",
        ],
        expect![[r#"
            000.000   event callback c4 Bg choices=1 in_queue=true
            000.000 127.0.0.1:5072 <- REGISTER sip:127.0.0.1
            000.000   -> 127.0.0.1:5072 401 Unauthorized (REGISTER)
            000.000 127.0.0.1:5072 <- REGISTER sip:127.0.0.1
            000.000   -> 127.0.0.1:5072 200 OK (REGISTER)
            000.000   -> 127.0.0.1:5072 INVITE sip:agent2@127.0.0.1:5072
            000.000 127.0.0.1:5072 <- 200 OK (INVITE)
            000.000   -> 127.0.0.1:5072 ACK sip:agent@127.0.0.1:5072
            000.000   -> 127.0.0.1:5090 INVITE sip:+359888123456@127.0.0.1:5090;user=phone
            000.000 127.0.0.1:5090 <- 486 Busy Here (INVITE)
            000.000   -> 127.0.0.1:5090 ACK sip:+359888123456@127.0.0.1:5090;user=phone
            000.000   event ended c4 Agent { agent: "agent2" } unreachable queue=social_services agent=agent2 wait=0 talk=0
            000.000   -> 127.0.0.1:5072 BYE sip:agent@127.0.0.1:5072
            000.000 127.0.0.1:5072 <- 200 OK (BYE)
            060.000   -> 127.0.0.1:5072 INVITE sip:agent2@127.0.0.1:5072
            060.000 127.0.0.1:5072 <- 200 OK (INVITE)
            060.000   -> 127.0.0.1:5072 ACK sip:agent@127.0.0.1:5072
            060.000   -> 127.0.0.1:5090 INVITE sip:+359888123456@127.0.0.1:5090;user=phone
            060.000 127.0.0.1:5090 <- 180 Ringing (INVITE)
            090.000   event ended c4 Agent { agent: "agent2" } unreachable queue=social_services agent=agent2 wait=0 talk=30000
            090.000   -> 127.0.0.1:5090 CANCEL sip:+359888123456@127.0.0.1:5090;user=phone
            090.000   -> 127.0.0.1:5072 BYE sip:agent@127.0.0.1:5072
            090.000   event callback-finished c4 case=None connected=false attempts=2
            090.000   event ended c4 Caller unreachable queue=social_services agent=- wait=90000 talk=0
            090.000 127.0.0.1:5090 <- 200 OK (CANCEL)
            090.000 127.0.0.1:5090 <- 487 Request Terminated (INVITE)
            090.000   -> 127.0.0.1:5090 ACK sip:+359888123456@127.0.0.1:5090;user=phone
            090.000 127.0.0.1:5072 <- 200 OK (BYE)
        "#]],
    );
}

#[test]
fn no_callback_to_a_number_outside_the_allow_list() {
    let mut h = Harness::new(MONDAY_10AM);
    h.trace.clear();
    caller_asks_for_a_callback(&mut h, "0900123456");
    h.advance(1_000);
    check(
        &h,
        &["play l2 t5", "play l2 t6", "event callback", "BYE"],
        expect![[r#"
            005.000   media play l2 t5 [beep holdmusic]
        "#]],
    );
}

#[test]
fn english_callers_wait_for_an_english_speaker_then_anyone() {
    let mut h = Harness::new(MONDAY_10AM);
    h.register("agent1", AGENT1, 600);
    h.advance(1_000);
    h.register("agent2", AGENT2, 600);
    h.trace.clear();
    // An English caller goes to agent2 though agent1 has been idle longer.
    h.call_choosing("0888000001", &['9', '1']);
    h.agent_replies(AGENT2, 200);
    // A second English caller waits while agent2 talks, then takes agent1 after 30 s.
    h.call_choosing("0888000002", &['9', '1']);
    h.advance(31_000);
    check(
        &h,
        &["INVITE sip:agent", "event answered c"],
        expect![[r#"
            001.000   event answered c1 Caller
            001.000   -> 127.0.0.1:5072 INVITE sip:agent2@127.0.0.1:5072
            001.000   event answered c1 Agent { agent: "agent2" }
            001.000   event answered c4 Caller
            031.000   -> 127.0.0.1:5071 INVITE sip:agent1@127.0.0.1:5071
            031.500   -> 127.0.0.1:5071 INVITE sip:agent1@127.0.0.1:5071
        "#]],
    );
}

#[test]
fn queue_limits_send_callers_to_the_ivr_or_offer_a_callback() {
    let mut config = config();
    for queue in &mut config.queues {
        match queue.name.as_str() {
            // Social services: after 60 s the caller is offered a callback and keeps waiting.
            "social_services" => {
                queue.max_wait = Some(Duration::from_secs(60));
                queue.overflow = QueueOverflow::Callback;
            }
            // Administrative services: one caller at most.
            "administrative_services" => queue.max_waiting = Some(1),
            // City environment: nobody waits while nobody is logged in.
            "city_environment" => queue.leave_when_empty = true,
            _ => {}
        }
    }
    let mut h = Harness::with_config(MONDAY_10AM, config);
    h.trace.clear();
    for (caller, digit) in [("0888000001", '1'), ("0888000002", '2'), ("0888000003", '2'), ("0888000004", '3')] {
        h.call_choosing(caller, &[digit]);
    }
    h.advance(61_000);
    check(
        &h,
        &["play l", "overflow", "event ended"],
        expect![[r#"
            000.000   media play l2 t1 [bg/privacy_notice]
            000.000   media play l2 t2 [bg/main_menu en/language_offer]
            000.000   media play l2 t3 [bg/connecting_social]
            000.000   media play l2 t4 [holdmusic]
            000.000   media play l4 t1 [bg/privacy_notice]
            000.000   media play l4 t2 [bg/main_menu en/language_offer]
            000.000   media play l4 t3 [bg/connecting_admin]
            000.000   media play l4 t4 [holdmusic]
            000.000   media play l6 t1 [bg/privacy_notice]
            000.000   media play l6 t2 [bg/main_menu en/language_offer]
            000.000   media play l6 t3 [bg/connecting_admin]
            000.000   media play l6 t4 [holdmusic]
            000.000   media play l6 t5 [bg/all_busy]
            000.000   media play l8 t1 [bg/privacy_notice]
            000.000   media play l6 t6 [bg/message_or_callback]
            000.000   media play l8 t2 [bg/main_menu en/language_offer]
            000.000   media play l8 t3 [bg/connecting_environment]
            000.000   media play l8 t4 [holdmusic]
            000.000   media play l8 t5 [bg/all_busy]
            008.000   media play l6 t7 [bg/no_choice bg/message_or_callback]
            030.000   media play l4 t5 [bg/position_1 holdmusic]
            030.000   media play l2 t5 [bg/position_1 holdmusic]
            060.000   media play l2 t6 [chime holdmusic]
            060.000   media play l4 t6 [bg/position_1 holdmusic]
            060.000   media play l2 t7 [bg/position_1 holdmusic]
        "#]],
    );
}

#[test]
fn a_booked_callback_is_placed_when_due() {
    let mut h = Harness::new(MONDAY_10AM);
    h.register("agent1", AGENT1, 600);
    h.trace.clear();
    let booking = |number: &str, queue: &str, in_ms: i64| crate::event::ScheduledCallback {
        case: 42,
        number: number.to_owned(),
        queue: queue.to_owned(),
        at_unix_ms: MONDAY_10AM + in_ms,
        lang: ivr::Lang::Bg,
    };
    let refused: Vec<String> = [
        booking("0900123456", "general", 0),
        booking("0888123456", "no_such_queue", 0),
    ]
    .into_iter()
    .map(|request| h.switch.schedule_callback(h.now, request).unwrap_err())
    .collect();
    expect![[r#"["the number is not on the outbound allow-list", "no queue named no_such_queue"]"#]]
        .assert_eq(&format!("{refused:?}"));
    let call = h
        .switch
        .schedule_callback(h.now, booking("0888123456", "general", 60_000))
        .unwrap();
    h.drain();
    h.advance(59_000);
    assert!(
        !h.trace.contains("INVITE sip:agent1"),
        "rung before it was due"
    );
    h.advance(1_000);
    h.agent_replies(AGENT1, 200);
    h.agent_replies(GATEWAY, 200);
    check(
        &h,
        &["INVITE", "event callback"],
        expect![[r#"
            060.000   -> 127.0.0.1:5071 INVITE sip:agent1@127.0.0.1:5071
            060.000 127.0.0.1:5071 <- 200 OK (INVITE)
            060.000   -> 127.0.0.1:5090 INVITE sip:0888123456@127.0.0.1:5090;user=phone
            060.000 127.0.0.1:5090 <- 200 OK (INVITE)
            060.000   event callback-finished c1 case=Some(42) connected=true attempts=1
        "#]],
    );
    assert!(h.trace.contains(&format!("callback-finished {call} case=Some(42)")));
}

#[test]
fn a_returning_caller_waits_a_little_for_the_agent_who_answered_them() {
    let mut h = Harness::new(MONDAY_10AM);
    h.register("agent2", AGENT2, 600);
    h.advance(1_000);
    h.register("agent1", AGENT1, 600);
    h.trace.clear();
    // agent2 (idle longest) answers the first call, which ends at 30 s; wrap-up until 40 s.
    let (invite, _) = h.call_choosing("0888000001", &['1']);
    h.agent_replies(AGENT2, 200);
    h.advance(29_000);
    h.caller_bye(&invite);
    h.agent_answers_request(AGENT2, Method::Bye, 200);
    // The same number calls again: agent1 is idle, but the call waits for agent2.
    h.advance(1_000);
    h.call_choosing("0888000001", &['1']);
    h.advance(10_000);
    check(&h, &["INVITE sip:agent", "event agent agent2"], expect![[r#"
        001.000   event agent agent2 ringing registered=true
        001.000   -> 127.0.0.1:5072 INVITE sip:agent2@127.0.0.1:5072
        001.000   event agent agent2 on_call registered=true
        030.000   event agent agent2 wrap_up registered=true
        040.000   event agent agent2 available registered=true
        040.000   event agent agent2 ringing registered=true
        040.000   -> 127.0.0.1:5072 INVITE sip:agent2@127.0.0.1:5072
        040.500   -> 127.0.0.1:5072 INVITE sip:agent2@127.0.0.1:5072
    "#]]);
}

#[test]
fn an_agent_transfers_the_caller_to_another_queue_by_refer() {
    let mut h = Harness::new(MONDAY_10AM);
    h.register("agent1", AGENT1, 600);
    h.register("agent2", AGENT2, 600);
    let (invite, _) = h.call_choosing("0888123456", &['1']);
    // Longest idle first: agent1 registered first.
    h.agent_replies(AGENT1, 200);
    h.advance(30_000);
    h.trace.clear();
    // The caller needs psychological support: agent1 passes them on, blind.
    h.agent_in_dialog(AGENT1, Method::Refer, &[("Refer-To", "<sip:psychological_support@127.0.0.1>")]);
    h.agent_answers_request(AGENT1, Method::Notify, 200);
    h.agent_answers_request(AGENT1, Method::Bye, 200);
    h.advance(2_000);
    h.agent_replies(AGENT2, 200);
    h.advance(40_000);
    h.caller_bye(&invite);
    check(
        &h,
        &["<-", "->", "media", "event ended", "event answered", "event agent"],
        expect![[r#"
            030.000 127.0.0.1:5071 <- REFER sip:civicline@127.0.0.1:5060
            030.000   media close l3
            030.000   event ended c1 Agent { agent: "agent1" } transferred queue=social_services agent=agent1 wait=0 talk=30000
            030.000   media play l2 t5 [holdmusic]
            030.000   -> 127.0.0.1:5071 202 Accepted (REFER)
            030.000   -> 127.0.0.1:5071 NOTIFY sip:agent@127.0.0.1:5071
            030.000   -> 127.0.0.1:5071 BYE sip:agent@127.0.0.1:5071
            030.000   event agent agent1 wrap_up registered=true
            030.000   media open l4 c1 port 20004
            030.000   event agent agent2 ringing registered=true
            030.000   -> 127.0.0.1:5072 INVITE sip:agent2@127.0.0.1:5072
            030.000 127.0.0.1:5071 <- 200 OK (NOTIFY)
            030.000 127.0.0.1:5071 <- 200 OK (BYE)
            030.500   -> 127.0.0.1:5072 INVITE sip:agent2@127.0.0.1:5072
            031.500   -> 127.0.0.1:5072 INVITE sip:agent2@127.0.0.1:5072
            032.000 127.0.0.1:5072 <- 200 OK (INVITE)
            032.000   media stop l2
            032.000   media configure l4 127.0.0.1:41000 Pcma/8 te Some(101)
            032.000   media bridge l2 l4
            032.000   event answered c1 Agent { agent: "agent2" }
            032.000   -> 127.0.0.1:5072 ACK sip:agent@127.0.0.1:5072
            032.000   event agent agent2 on_call registered=true
            040.000   event agent agent1 available registered=true
            072.000 127.0.0.1:5080 <- BYE sip:civicline@127.0.0.1:5060
            072.000   media close l4
            072.000   event ended c1 Agent { agent: "agent2" } answered queue=psychological_support agent=agent2 wait=0 talk=40000
            072.000   media close l2
            072.000   event ended c1 Caller answered queue=psychological_support agent=agent2 wait=2000 talk=70000
            072.000   -> 127.0.0.1:5080 200 OK (BYE)
            072.000   -> 127.0.0.1:5072 BYE sip:agent@127.0.0.1:5072
            072.000   event agent agent2 wrap_up registered=true
        "#]],
    );
    let notify = h.last_sent(AGENT1, |m| matches!(m, Message::Request(r) if r.method == Method::Notify));
    let Message::Request(notify) = notify else { unreachable!() };
    assert_eq!(notify.headers.get("Event"), Some("refer"));
    assert_eq!(notify.body, b"SIP/2.0 200 OK\r\n");
}

#[test]
fn refers_the_switch_cannot_carry_out_leave_the_call_as_it_was() {
    let mut h = Harness::new(MONDAY_10AM);
    h.register("agent1", AGENT1, 600);
    let (invite, _) = h.call_choosing("0888123456", &['1']);
    h.agent_replies(AGENT1, 200);
    h.advance(5_000);
    h.trace.clear();
    // Nobody of that name; an agent who is not logged in to take it; attended transfer; and a
    // REFER without a Refer-To.
    h.agent_in_dialog(AGENT1, Method::Refer, &[("Refer-To", "<sip:nobody@127.0.0.1>")]);
    h.agent_in_dialog(AGENT1, Method::Refer, &[("Refer-To", "<sip:agent2@127.0.0.1>")]);
    h.agent_in_dialog(
        AGENT1,
        Method::Refer,
        &[("Refer-To", "<sip:agent2@127.0.0.1?Replaces=abc%3Bto-tag%3D1%3Bfrom-tag%3D2>")],
    );
    h.agent_in_dialog(AGENT1, Method::Refer, &[]);
    // A number outside the outbound allow-list is never dialled.
    h.agent_in_dialog(AGENT1, Method::Refer, &[("Refer-To", "<sip:0700123456@127.0.0.1>")]);
    h.advance(5_000);
    h.caller_bye(&invite);
    check(
        &h,
        &["<-", "->", "event ended"],
        expect![[r#"
            005.000 127.0.0.1:5071 <- REFER sip:civicline@127.0.0.1:5060
            005.000   -> 127.0.0.1:5071 404 Not Found (REFER)
            005.000 127.0.0.1:5071 <- REFER sip:civicline@127.0.0.1:5060
            005.000   -> 127.0.0.1:5071 480 Temporarily Unavailable (REFER)
            005.000 127.0.0.1:5071 <- REFER sip:civicline@127.0.0.1:5060
            005.000   -> 127.0.0.1:5071 501 Not Implemented (REFER)
            005.000 127.0.0.1:5071 <- REFER sip:civicline@127.0.0.1:5060
            005.000   -> 127.0.0.1:5071 400 Bad Request (REFER)
            005.000 127.0.0.1:5071 <- REFER sip:civicline@127.0.0.1:5060
            005.000   -> 127.0.0.1:5071 403 Forbidden (REFER)
            010.000 127.0.0.1:5080 <- BYE sip:civicline@127.0.0.1:5060
            010.000   event ended c1 Agent { agent: "agent1" } answered queue=social_services agent=agent1 wait=0 talk=10000
            010.000   event ended c1 Caller answered queue=social_services agent=agent1 wait=0 talk=10000
            010.000   -> 127.0.0.1:5080 200 OK (BYE)
            010.000   -> 127.0.0.1:5071 BYE sip:agent@127.0.0.1:5071
        "#]],
    );
}

#[test]
fn a_transfer_to_an_outside_number_is_bridged_when_it_answers() {
    let mut h = Harness::new(MONDAY_10AM);
    h.register("agent1", AGENT1, 600);
    let (invite, _) = h.call_choosing("0888123456", &['1']);
    h.agent_replies(AGENT1, 200);
    h.advance(10_000);
    h.trace.clear();
    // The Social Assistance Directorate's hotline, on the allow-list.
    h.agent_in_dialog(AGENT1, Method::Refer, &[("Refer-To", "<sip:0888999888@127.0.0.1>")]);
    h.agent_answers_request(AGENT1, Method::Notify, 200);
    h.agent_answers_request(AGENT1, Method::Bye, 200);
    h.advance(4_000);
    h.agent_replies(GATEWAY, 200);
    h.advance(60_000);
    h.caller_bye(&invite);
    h.agent_answers_request(GATEWAY, Method::Bye, 200);
    check(
        &h,
        &["<-", "->", "media", "event ended", "event agent"],
        expect![[r#"
            010.000 127.0.0.1:5071 <- REFER sip:civicline@127.0.0.1:5060
            010.000   media close l3
            010.000   event ended c1 Agent { agent: "agent1" } transferred queue=social_services agent=agent1 wait=0 talk=10000
            010.000   media open l4 c1 port 20004
            010.000   media play l2 t5 [holdmusic]
            010.000   -> 127.0.0.1:5071 202 Accepted (REFER)
            010.000   -> 127.0.0.1:5071 NOTIFY sip:agent@127.0.0.1:5071
            010.000   -> 127.0.0.1:5071 BYE sip:agent@127.0.0.1:5071
            010.000   event agent agent1 wrap_up registered=true
            010.000   -> 127.0.0.1:5090 INVITE sip:0888999888@127.0.0.1:5090;user=phone
            010.000 127.0.0.1:5071 <- 200 OK (NOTIFY)
            010.000 127.0.0.1:5071 <- 200 OK (BYE)
            010.500   -> 127.0.0.1:5090 INVITE sip:0888999888@127.0.0.1:5090;user=phone
            011.500   -> 127.0.0.1:5090 INVITE sip:0888999888@127.0.0.1:5090;user=phone
            013.500   -> 127.0.0.1:5090 INVITE sip:0888999888@127.0.0.1:5090;user=phone
            014.000 127.0.0.1:5090 <- 200 OK (INVITE)
            014.000   media stop l2
            014.000   media configure l4 127.0.0.1:41000 Pcma/8 te Some(101)
            014.000   media bridge l2 l4
            014.000   -> 127.0.0.1:5090 ACK sip:agent@127.0.0.1:5090
            020.000   event agent agent1 available registered=true
            074.000 127.0.0.1:5080 <- BYE sip:civicline@127.0.0.1:5060
            074.000   media close l4
            074.000   media close l2
            074.000   event ended c1 Caller transferred queue=social_services agent=- wait=0 talk=70000
            074.000   -> 127.0.0.1:5080 200 OK (BYE)
            074.000   -> 127.0.0.1:5090 BYE sip:agent@127.0.0.1:5090
            074.000 127.0.0.1:5090 <- 200 OK (BYE)
        "#]],
    );
}

#[test]
fn an_outside_number_that_does_not_answer_sends_the_caller_back_to_the_head_of_the_queue() {
    let mut h = Harness::new(MONDAY_10AM);
    h.register("agent1", AGENT1, 600);
    let (invite, _) = h.call_choosing("0888123456", &['1']);
    h.agent_replies(AGENT1, 200);
    h.advance(10_000);
    h.register("agent2", AGENT2, 600);
    h.trace.clear();
    h.agent_in_dialog(AGENT1, Method::Refer, &[("Refer-To", "<sip:+359888999888@127.0.0.1>")]);
    h.agent_answers_request(AGENT1, Method::Notify, 200);
    h.agent_answers_request(AGENT1, Method::Bye, 200);
    h.advance(3_000);
    // Busy: the caller is not dropped but offered to the next free agent.
    h.agent_replies(GATEWAY, 486);
    h.advance(1_000);
    h.agent_replies(AGENT2, 200);
    h.advance(20_000);
    h.caller_bye(&invite);
    check(
        &h,
        &["<-", "->", "media", "event ended", "event agent"],
        expect![[r#"
            010.000 127.0.0.1:5071 <- REFER sip:civicline@127.0.0.1:5060
            010.000   media close l3
            010.000   event ended c1 Agent { agent: "agent1" } transferred queue=social_services agent=agent1 wait=0 talk=10000
            010.000   media open l4 c1 port 20004
            010.000   media play l2 t5 [holdmusic]
            010.000   -> 127.0.0.1:5071 202 Accepted (REFER)
            010.000   -> 127.0.0.1:5071 NOTIFY sip:agent@127.0.0.1:5071
            010.000   -> 127.0.0.1:5071 BYE sip:agent@127.0.0.1:5071
            010.000   event agent agent1 wrap_up registered=true
            010.000   -> 127.0.0.1:5090 INVITE sip:+359888999888@127.0.0.1:5090;user=phone
            010.000 127.0.0.1:5071 <- 200 OK (NOTIFY)
            010.000 127.0.0.1:5071 <- 200 OK (BYE)
            010.500   -> 127.0.0.1:5090 INVITE sip:+359888999888@127.0.0.1:5090;user=phone
            011.500   -> 127.0.0.1:5090 INVITE sip:+359888999888@127.0.0.1:5090;user=phone
            013.000 127.0.0.1:5090 <- 486 Busy Here (INVITE)
            013.000   -> 127.0.0.1:5090 ACK sip:+359888999888@127.0.0.1:5090;user=phone
            013.000   media close l4
            013.000   media play l2 t6 [bg/transfer_failed holdmusic]
            013.000   media open l5 c1 port 20006
            013.000   event agent agent2 ringing registered=true
            013.000   -> 127.0.0.1:5072 INVITE sip:agent2@127.0.0.1:5072
            013.500   -> 127.0.0.1:5072 INVITE sip:agent2@127.0.0.1:5072
            014.000 127.0.0.1:5072 <- 200 OK (INVITE)
            014.000   media stop l2
            014.000   media configure l5 127.0.0.1:41000 Pcma/8 te Some(101)
            014.000   media bridge l2 l5
            014.000   -> 127.0.0.1:5072 ACK sip:agent@127.0.0.1:5072
            014.000   event agent agent2 on_call registered=true
            020.000   event agent agent1 available registered=true
            034.000 127.0.0.1:5080 <- BYE sip:civicline@127.0.0.1:5060
            034.000   media close l5
            034.000   event ended c1 Agent { agent: "agent2" } answered queue=social_services agent=agent2 wait=0 talk=20000
            034.000   media close l2
            034.000   event ended c1 Caller answered queue=social_services agent=agent2 wait=1000 talk=30000
            034.000   -> 127.0.0.1:5080 200 OK (BYE)
            034.000   -> 127.0.0.1:5072 BYE sip:agent@127.0.0.1:5072
            034.000   event agent agent2 wrap_up registered=true
        "#]],
    );
}

#[test]
fn a_supervisor_moves_an_agent_between_queues_at_run_time() {
    let mut h = Harness::new(MONDAY_10AM);
    h.register("agent1", AGENT1, 600);
    // The crisis line needs agent1: they leave social services.
    assert_eq!(h.switch.set_agent_queues(h.now, "agent1", &["crisis".to_owned()]), Ok(()));
    assert_eq!(h.switch.set_agent_queues(h.now, "agent1", &["nowhere".to_owned()]), Err("nowhere".to_owned()));
    assert_eq!(h.switch.set_agent_queues(h.now, "agent9", &[]), Err("agent9".to_owned()));
    h.drain();
    h.trace.clear();
    h.call_choosing("0888123456", &['1']);
    h.advance(10_000);
    // Back to social services: the waiting caller is offered to them at once.
    h.switch.set_agent_queues(h.now, "agent1", &["social_services".to_owned(), "crisis".to_owned()]).unwrap();
    h.drain();
    check(
        &h,
        &["-> 127.0.0.1:5071", "event agent", "event queue social"],
        expect![[r#"
            000.000   event queue social_services waiting=1 idle=0 staffed=0
            010.000   event agent agent1 available registered=true
            010.000   event agent agent1 ringing registered=true
            010.000   event queue social_services waiting=1 idle=0 staffed=1
            010.000   -> 127.0.0.1:5071 INVITE sip:agent1@127.0.0.1:5071
        "#]],
    );
}
