//! Tests of the crate-level helpers: the seeded generator and stream identities.

use expect_test::{Expect, expect};

use crate::{Millis, Rng, StreamIds};

fn check(seed: u64, expect: Expect) {
    let mut rng = Rng::new(seed);
    let draws: Vec<String> = (0..3).map(|_| format!("{:08x}", rng.next_u32())).collect();
    let ids = StreamIds::random(&mut rng);
    expect.assert_eq(&format!("{}\n{ids:?}\n", draws.join(" ")));
}

#[test]
fn seeds_give_distinct_streams() {
    check(
        0,
        expect![[r#"
        7bbcb40d de7fe413 b3c63835
        StreamIds { ssrc: 2133827118, first_sequence: 24691, first_timestamp: 2492569084 }
    "#]],
    );
    check(
        1,
        expect![[r#"
        4b46a55d d7e1f141 5f14ec66
        StreamIds { ssrc: 3689562326, first_sequence: 15148, first_timestamp: 3561843931 }
    "#]],
    );
}

#[test]
fn millis_saturate() {
    assert_eq!(Millis(5).saturating_since(Millis(9)), 0);
    assert_eq!(Millis(9).saturating_since(Millis(5)), 4);
    assert_eq!(Millis(u64::MAX).plus(3), Millis(u64::MAX));
}

/// An IVR prompt, then a re-bridge to an agent who presses `#`, relayed toward a carrier
/// over a link that drops every `loss_every`-th packet (0: none). The carrier side
/// checks continuity, detects the key and the tones, and records what it heard.
fn check_call(loss_every: usize, expect: Expect) {
    use std::sync::Arc;

    use crate::dtmf::DtmfDetector;
    use crate::g711::Codec;
    use crate::player::{Player, PlayerConfig, Prompt, PromptId};
    use crate::recorder::{Layout, Leg, Recorder};
    use crate::relay::{PayloadMap, Relay, Verdict};
    use crate::rtp::{RtpPacket, sequence_delta, timestamp_delta};
    use crate::tone::{sine, tone_present};

    let mut rng = Rng::new(42);
    let player = |rng: &mut Rng, te: u8| {
        Player::new(PlayerConfig {
            codec: Codec::Pcma,
            ids: StreamIds::random(rng),
            telephone_event: Some(te),
        })
    };
    let mut ivr = player(&mut rng, 101);
    let mut agent = player(&mut rng, 100);
    let mut relay = Relay::new(
        StreamIds::random(&mut rng),
        PayloadMap::empty().with(8, 8).with(101, 96),
    );
    let mut detector = DtmfDetector::new(96);
    let mut recorder = Recorder::new(Millis(0), Layout::Mixed, 10);

    let tone = |freq: f64| Prompt {
        id: PromptId(freq as u64),
        samples: Arc::from(sine(freq, 8000.0, 2400)),
        looping: false,
    };
    ivr.enqueue(Millis(0), tone(1000.0));
    let mut out = String::new();
    let mut last: Option<(u16, u32)> = None;
    let mut sent = 0usize;
    let mut buf = [0u8; 1500];
    for step in 0..40u64 {
        let now = Millis(step * 20);
        if now == Millis(400) {
            relay.rebridge(PayloadMap::empty().with(8, 8).with(100, 96));
            agent.enqueue(now, tone(440.0));
            agent.send_dtmf(now, 11, 100).unwrap();
        }
        let source = if now < Millis(400) {
            &mut ivr
        } else {
            &mut agent
        };
        source.handle_timeout(now);
        while let Some(packet) = source.poll_packet() {
            let len = packet.write(&mut buf).unwrap();
            let verdict = relay.forward(now, &mut buf[..len]).unwrap();
            assert_eq!(verdict, Verdict::Forward);
            sent += 1;
            if loss_every != 0 && sent.is_multiple_of(loss_every) {
                continue;
            }
            let received = RtpPacket::parse(&buf[..len]).unwrap();
            let h = received.header;
            if let Some((seq, ts)) = last {
                let (ds, dt) = (
                    sequence_delta(seq, h.sequence),
                    timestamp_delta(ts, h.timestamp),
                );
                if ds != 1 || h.marker || dt < 0 {
                    out.push_str(&format!(
                        "t={} seq {ds:+} ts {dt:+} m={} pt={}\n",
                        now.0, h.marker, h.payload_type
                    ));
                }
            }
            last = Some((h.sequence, h.timestamp));
            if let Some(digit) = detector.handle_packet(&received) {
                out.push_str(&format!("t={} key {:?}\n", now.0, digit.key()));
            }
            recorder.handle_packet(now, Leg::B, &received);
        }
        while source.poll_event().is_some() {}
    }
    let wav = recorder.finish();
    let heard = crate::wav::read_wav(&wav).unwrap().samples;
    let window = |ms: usize| heard.get(ms * 8..ms * 8 + 320).unwrap_or_default();
    out.push_str(&format!(
        "sent {sent}; at 100 ms 1 kHz={} 440 Hz={}; at 700 ms 1 kHz={} 440 Hz={}\n",
        tone_present(window(100), 1000.0),
        tone_present(window(100), 440.0),
        tone_present(window(700), 1000.0),
        tone_present(window(700), 440.0),
    ));
    expect.assert_eq(&out);
}

#[test]
fn ivr_to_agent_call_over_clean_link() {
    check_call(
        0,
        expect![[r#"
        t=400 seq +1 ts +960 m=true pt=96
        t=400 key Some('#')
        sent 35; at 100 ms 1 kHz=true 440 Hz=false; at 700 ms 1 kHz=false 440 Hz=true
    "#]],
    );
}

#[test]
fn ivr_to_agent_call_over_lossy_link() {
    check_call(
        3,
        expect![[r#"
        t=60 seq +2 ts +320 m=false pt=8
        t=120 seq +2 ts +320 m=false pt=8
        t=180 seq +2 ts +320 m=false pt=8
        t=240 seq +2 ts +320 m=false pt=8
        t=400 seq +2 ts +1120 m=true pt=96
        t=400 key Some('#')
        t=460 seq +2 ts +0 m=false pt=96
        t=520 seq +2 ts +0 m=false pt=96
        t=580 seq +2 ts +320 m=false pt=8
        t=640 seq +2 ts +320 m=false pt=8
        t=700 seq +2 ts +320 m=false pt=8
        t=760 seq +2 ts +320 m=false pt=8
        sent 35; at 100 ms 1 kHz=true 440 Hz=false; at 700 ms 1 kHz=false 440 Hz=true
    "#]],
    );
}
