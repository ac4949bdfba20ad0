//! The real shell on 127.0.0.1:0 driven by test user agents over real UDP: a caller reaches an
//! agent through the IVR and the queue, and the failure paths around it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sip_proto::message::Method;
use telephony::{
    AgentConfig, Cidr, Config, Event, LegKind, Outcome, PortRange, Presence, QueueConfig,
    QueueOverflow,
};
use tokio_util::sync::CancellationToken;

use crate::ua::{RtpPeer, Ua, WAIT, hears_tone, wait_for_audio};

pub(crate) const NUMBER: &str = "080011800";
const PASSWORD: &str = "secret-password";
/// The tone of the test privacy notice.
pub(crate) const NOTICE_HZ: f64 = 700.0;

pub(crate) struct Fixture {
    pub(crate) sip: SocketAddr,
    events: Arc<Mutex<Vec<Event>>>,
    dir: PathBuf,
    pub(crate) handle: telephony::Handle,
    task: tokio::task::JoinHandle<()>,
}

impl Fixture {
    pub(crate) async fn start(name: &str, tweak: impl FnOnce(&mut Config)) -> Fixture {
        let dir = std::env::temp_dir().join(format!("telephony-it-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("prompts/bg")).unwrap();
        let notice = media::tone::sine(NOTICE_HZ, 8000.0, 3200);
        std::fs::write(
            dir.join("prompts/bg/privacy_notice.wav"),
            media::wav::write_wav(&notice, 1, 8000),
        )
        .unwrap();
        let mut flow = ivr::plovdiv_demo();
        // Tests must not depend on the day they run: skip the working-hours check.
        flow.nodes.insert(
            "check_hours".to_owned(),
            ivr::Node::Goto {
                next: "check_crisis".to_owned(),
            },
        );
        let queues = flow
            .references()
            .queues
            .into_iter()
            .map(|name| QueueConfig {
                name,
                strategy: acd::config::Strategy::LongestIdle,
                ring_timeout: Duration::from_millis(2_000),
                wrap_up: Duration::from_millis(500),
                max_wait: None,
                overflow: QueueOverflow::Ivr,
                announce_interval: None,
                callback_key: None,
                max_waiting: None,
                leave_when_empty: false,
                preferred_agent_wait: None,
                steps: Vec::new(),
            })
            .collect::<Vec<_>>();
        let all: Vec<String> = queues.iter().map(|queue| queue.name.clone()).collect();
        let agent = |username: &str| AgentConfig {
            username: username.to_owned(),
            password: PASSWORD.to_owned(),
            display_name: username.to_owned(),
            queues: all.clone(),
            skills: Vec::new(),
        };
        let mut config = Config {
            number: NUMBER.to_owned(),
            trunk_allow: vec![Cidr::parse("127.0.0.0/8").unwrap()],
            realm: "civicline".to_owned(),
            media_address: "127.0.0.1".parse().unwrap(),
            rtp_ports: PortRange::parse("30000-39999").unwrap(),
            prompts_dir: dir.join("prompts"),
            recordings_dir: dir.join("recordings"),
            hours: calendar::OpeningHours::parse("mon-sun 00:00-24:00").unwrap(),
            calendar: calendar::Calendar::bulgaria(),
            flow,
            queues,
            agents: vec![agent("agent1"), agent("agent2")],
            outbound: None,
            media_threads: 2,
            nonce_secret: b"test secret".to_vec(),
            rng_seed: 7,
        };
        tweak(&mut config);
        let (udp, tcp) = telephony::bind_sip("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let running = telephony::start(config, udp, tcp, CancellationToken::new())
            .await
            .unwrap();
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&events);
        let mut receiver = running.events;
        tokio::spawn(async move {
            while let Some(event) = receiver.recv().await {
                sink.lock().unwrap().push(event);
            }
        });
        Fixture {
            sip: running.handle.sip_addr(),
            events,
            dir,
            handle: running.handle,
            task: running.task,
        }
    }

    /// Waits for an event matching `check` and returns it.
    pub(crate) async fn event(&self, check: impl Fn(&Event) -> bool) -> Event {
        let deadline = tokio::time::Instant::now() + WAIT;
        while tokio::time::Instant::now() < deadline {
            if let Some(event) = self
                .events
                .lock()
                .unwrap()
                .iter()
                .find(|event| check(event))
            {
                return event.clone();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no such event; got {:#?}", self.events.lock().unwrap());
    }

    async fn agent_available(&self, name: &str) {
        self.event(|event| {
            matches!(event, Event::AgentState(state) if state.agent == name && state.presence == Presence::Available)
        })
        .await;
    }

    pub(crate) async fn stop(self) {
        self.handle.shutdown();
        tokio::time::timeout(WAIT, self.task)
            .await
            .expect("switch stops")
            .unwrap();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn caller_cdr(event: &Event) -> Option<&telephony::Cdr> {
    match event {
        Event::CallEnded(cdr) if cdr.leg == LegKind::Caller => Some(cdr),
        _ => None,
    }
}

/// Whether the audio holds music: the hold music's C major pad is heard.
fn hears_hold_music(samples: &[i16]) -> bool {
    samples.len() >= 8000
        && media::tone::goertzel(&samples[samples.len() - 8000..], 261.63, 8000) > 1.0e4
}

/// Dials in, hears the privacy notice and presses 1 (social services); returns the caller, its
/// dialog and its RTP endpoint, queued.
async fn dial_and_choose_social(
    fx: &Fixture,
    seed: u64,
) -> (Ua, sip_proto::dialog::Dialog, RtpPeer) {
    let mut caller = Ua::new("0888123456", fx.sip, seed).await;
    let mut rtp = RtpPeer::bind().await;
    let invite = caller.invite(NUMBER, rtp.addr);
    caller.send(invite.clone()).await;
    let (dialog, negotiated) = caller.confirm(&invite, rtp.addr).await;
    rtp.start(&negotiated, seed);
    assert!(
        wait_for_audio(&rtp, 0, |heard| hears_tone(heard, NOTICE_HZ)).await,
        "privacy notice heard"
    );
    // Let the notice end; the main menu (no prompt file) then waits for a key.
    tokio::time::sleep(Duration::from_millis(700)).await;
    rtp.press('1');
    (caller, dialog, rtp)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caller_reaches_agent_and_both_hear_each_other() {
    let fx = Fixture::start("happy", |_| {}).await;
    let mut agent = Ua::new("agent1", fx.sip, 11).await;
    assert_eq!(agent.register(PASSWORD, 300).await, 200);
    fx.agent_available("agent1").await;

    let (mut caller, mut caller_dialog, caller_rtp) = dial_and_choose_social(&fx, 21).await;
    let mark = caller_rtp.heard_len();
    let invite = agent.request(Method::Invite).await;
    // Ring for a while so the caller hears the hold music.
    let tag = agent.rng.tag();
    agent
        .send(sip_proto::message::Response::to_request(
            &invite,
            180,
            Some(&tag),
        ))
        .await;
    assert!(
        wait_for_audio(&caller_rtp, mark, hears_hold_music).await,
        "hold music heard while queued"
    );
    let mut agent_rtp = RtpPeer::bind().await;
    let (mut agent_dialog, negotiated) = agent.answer(&invite, agent_rtp.addr).await;
    agent_rtp.start(&negotiated, 31);

    let caller_mark = caller_rtp.heard_len();
    let agent_mark = agent_rtp.heard_len();
    caller_rtp.tone(Some(1000.0));
    agent_rtp.tone(Some(1500.0));
    assert!(
        wait_for_audio(&agent_rtp, agent_mark, |heard| hears_tone(heard, 1000.0)).await,
        "agent hears the caller"
    );
    assert!(
        wait_for_audio(&caller_rtp, caller_mark, |heard| hears_tone(heard, 1500.0)).await,
        "caller hears the agent"
    );
    assert!(matches!(
        fx.handle.snapshot().await.unwrap().calls.as_slice(),
        [view] if view.phase == "talking" && view.agent.as_deref() == Some("agent1")
    ));

    assert_eq!(caller.bye(&mut caller_dialog).await, 200);
    let bye = agent.request(Method::Bye).await;
    agent.reply(&bye, 200).await;
    let _ = &mut agent_dialog;
    let cdr = fx.event(|event| caller_cdr(event).is_some()).await;
    let cdr = caller_cdr(&cdr).unwrap();
    assert_eq!(cdr.outcome, Outcome::Answered);
    assert_eq!(cdr.agent.as_deref(), Some("agent1"));
    assert_eq!(cdr.queue.as_deref(), Some("social_services"));
    assert_eq!(cdr.caller.as_deref(), Some("0888123456"));
    assert!(cdr.talk_ms > 0 && cdr.wait_ms > 0, "{cdr:?}");
    fx.event(|event| {
        matches!(event, Event::CallEnded(cdr) if cdr.leg == LegKind::Agent { agent: "agent1".into() } && cdr.outcome == Outcome::Answered)
    })
    .await;
    fx.event(|event| matches!(event, Event::IvrPath { steps, .. } if !steps.is_empty()))
        .await;
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caller_hangs_up_while_queued() {
    let fx = Fixture::start("abandon", |_| {}).await;
    let (mut caller, mut dialog, rtp) = dial_and_choose_social(&fx, 41).await;
    let mark = rtp.heard_len();
    assert!(
        wait_for_audio(&rtp, mark, hears_hold_music).await,
        "hold music heard"
    );
    fx.event(|event| matches!(event, Event::QueueState(state) if state.queue == "social_services" && state.waiting == 1))
        .await;
    assert_eq!(caller.bye(&mut dialog).await, 200);
    let cdr = fx.event(|event| caller_cdr(event).is_some()).await;
    let cdr = caller_cdr(&cdr).unwrap();
    assert_eq!(cdr.outcome, Outcome::Abandoned);
    assert_eq!(cdr.queue.as_deref(), Some("social_services"));
    assert!(cdr.agent.is_none());
    fx.event(|event| matches!(event, Event::QueueState(state) if state.queue == "social_services" && state.waiting == 0))
        .await;
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_no_answer_goes_to_the_next_agent() {
    let fx = Fixture::start("no-answer", |_| {}).await;
    let mut first = Ua::new("agent1", fx.sip, 51).await;
    let mut second = Ua::new("agent2", fx.sip, 52).await;
    assert_eq!(first.register(PASSWORD, 300).await, 200);
    assert_eq!(second.register(PASSWORD, 300).await, 200);
    fx.agent_available("agent2").await;
    let (_caller, _dialog, caller_rtp) = dial_and_choose_social(&fx, 53).await;
    // Whoever is rung first lets it ring.
    let (mut silent, mut answering, invite) = loop {
        if let Some(invite) = first
            .maybe_request(Method::Invite, Duration::from_millis(100))
            .await
        {
            break (first, second, invite);
        }
        if let Some(invite) = second
            .maybe_request(Method::Invite, Duration::from_millis(100))
            .await
        {
            break (second, first, invite);
        }
    };
    silent.reply(&invite, 180).await;
    let cancel = silent.request(Method::Cancel).await;
    silent.reply(&cancel, 200).await;
    silent.reply(&invite, 487).await;
    silent.request(Method::Ack).await;

    let invite = answering.request(Method::Invite).await;
    let mut rtp = RtpPeer::bind().await;
    let (_agent_dialog, negotiated) = answering.answer(&invite, rtp.addr).await;
    rtp.start(&negotiated, 54);
    rtp.tone(Some(1500.0));
    let mark = caller_rtp.heard_len();
    assert!(wait_for_audio(&caller_rtp, mark, |heard| hears_tone(heard, 1500.0)).await);
    let silent_name = silent.user.clone();
    fx.event(|event| {
        matches!(event, Event::CallEnded(cdr) if cdr.leg == LegKind::Agent { agent: silent_name.clone() } && cdr.outcome == Outcome::NoAnswer)
    })
    .await;
    let snapshot = fx.handle.snapshot().await.unwrap();
    assert_eq!(snapshot.calls.len(), 1);
    assert_eq!(
        snapshot.calls[0].agent.as_deref(),
        Some(answering.user.as_str())
    );
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_outside_the_trunk_allow_list_are_refused() {
    let fx = Fixture::start("trunk", |config| {
        config.trunk_allow = vec![Cidr::parse("10.0.0.0/8").unwrap()];
    })
    .await;
    let mut stranger = Ua::new("0888000000", fx.sip, 61).await;
    let rtp = RtpPeer::bind().await;
    let invite = stranger.invite(NUMBER, rtp.addr);
    stranger.send(invite.clone()).await;
    let challenge = stranger.response(|status| status >= 200).await;
    assert_eq!(challenge.status, 407);
    stranger
        .send(sip_proto::message::Request {
            method: Method::Ack,
            ..ack_for(&invite, &challenge)
        })
        .await;

    // Wrong credentials: 403.
    let header = challenge.headers.challenges(true).unwrap().remove(0);
    let mut retry = stranger.invite(NUMBER, rtp.addr);
    let credentials = sip_proto::auth::respond(
        &header,
        "INVITE",
        &retry.uri.to_string(),
        "agent1",
        "wrong",
        1,
        "abc",
    )
    .unwrap();
    retry
        .headers
        .push("Proxy-Authorization", credentials.to_string());
    stranger.send(retry.clone()).await;
    let refused = stranger.response(|status| status >= 200).await;
    assert_eq!(refused.status, 403);
    stranger.send(ack_for(&retry, &refused)).await;

    // No call was created.
    assert!(fx.handle.snapshot().await.unwrap().calls.is_empty());
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_sip_gets_400_or_is_dropped_and_the_switch_keeps_working() {
    let fx = Fixture::start("garbage", |_| {}).await;
    let mut ua = Ua::new("prober", fx.sip, 71).await;
    ua.send_raw(b"\x00\x01\x02 not sip at all").await;
    assert!(
        ua.recv_within(Duration::from_millis(300)).await.is_none(),
        "garbage is dropped"
    );
    let addr = ua.addr();
    let broken = format!(
        "OPTIONS sip:{NUMBER}@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP {addr};branch=z9hG4bKbroken\r\nFrom: <sip:p@127.0.0.1>;tag=1\r\nTo: <sip:{NUMBER}@127.0.0.1>\r\nCall-ID: broken@test\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
    );
    ua.send_raw(broken.as_bytes()).await;
    let response = ua.response(|status| status >= 200).await;
    assert_eq!(response.status, 400);
    let options = ua.out_of_dialog(
        Method::Options,
        sip_proto::uri::Uri::sip(None, "127.0.0.1"),
        "<sip:127.0.0.1>",
    );
    ua.send(options).await;
    assert_eq!(ua.response(|status| status >= 200).await.status, 200);
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_hours_message_is_recorded() {
    let fx = Fixture::start("voicemail", |config| {
        config.flow.nodes.insert(
            "check_hours".to_owned(),
            ivr::Node::Goto {
                next: "after_hours".to_owned(),
            },
        );
    })
    .await;
    let mut caller = Ua::new("0888765432", fx.sip, 81).await;
    let mut rtp = RtpPeer::bind().await;
    let invite = caller.invite(NUMBER, rtp.addr);
    caller.send(invite.clone()).await;
    let (mut dialog, negotiated) = caller.confirm(&invite, rtp.addr).await;
    rtp.start(&negotiated, 82);
    assert!(wait_for_audio(&rtp, 0, |heard| hears_tone(heard, NOTICE_HZ)).await);
    tokio::time::sleep(Duration::from_millis(700)).await;
    rtp.press('1');
    // The beep, then the message.
    assert!(
        wait_for_audio(&rtp, 0, |heard| hears_tone(heard, 1000.0)).await,
        "beep heard"
    );
    rtp.tone(Some(440.0));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(caller.bye(&mut dialog).await, 200);
    let event = fx
        .event(|event| matches!(event, Event::VoicemailRecorded { .. }))
        .await;
    let Event::VoicemailRecorded {
        path,
        caller: number,
        lang,
        ..
    } = event
    else {
        unreachable!()
    };
    assert_eq!(number.as_deref(), Some("0888765432"));
    assert_eq!(lang, ivr::Lang::Bg);
    let samples = media::wav::load_prompt(&std::fs::read(&path).unwrap()).unwrap();
    assert!(samples.len() > 8000, "at least a second recorded");
    assert!(
        media::tone::tone_present(&samples[samples.len() - 4000..], 440.0),
        "the message is in the file"
    );
    let cdr = fx.event(|event| caller_cdr(event).is_some()).await;
    assert_eq!(caller_cdr(&cdr).unwrap().outcome, Outcome::Voicemail);
    fx.stop().await;
}

fn ack_for(
    invite: &sip_proto::message::Request,
    response: &sip_proto::message::Response,
) -> sip_proto::message::Request {
    let mut ack = sip_proto::message::Request::new(Method::Ack, invite.uri.clone());
    for name in ["Via", "From", "Call-ID"] {
        ack.headers.push(name, invite.headers.get(name).unwrap());
    }
    ack.headers.push("To", response.headers.get("To").unwrap());
    ack.headers.push(
        "CSeq",
        format!("{} ACK", invite.headers.cseq().unwrap().seq),
    );
    ack.headers.push("Max-Forwards", "70");
    ack
}
