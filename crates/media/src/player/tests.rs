//! Player tests: scripted playback on a virtual clock, traced packet by packet.

use std::sync::Arc;

use expect_test::{Expect, expect};

use crate::g711::Codec;
use crate::player::{OutPacket, Player, PlayerConfig, Prompt, PromptId, hold_music};
use crate::tone::goertzel;
use crate::{Millis, StreamIds};

const IDS: StreamIds = StreamIds {
    ssrc: 0x55,
    first_sequence: 65534,
    first_timestamp: 1000,
};

/// Summarises a payload as runs of decoded sample values, e.g. `1008x100 2016x60`.
fn runs(codec: Codec, packet: &OutPacket) -> String {
    if packet.payload().len() == 4 {
        return format!("event {:02x?}", packet.payload());
    }
    let mut out: Vec<(i16, usize)> = Vec::new();
    for &byte in packet.payload() {
        let value = codec.decode_sample(byte);
        match out.last_mut() {
            Some((last, count)) if *last == value => *count += 1,
            _ => out.push((value, 1)),
        }
    }
    out.iter()
        .map(|(v, n)| format!("{v}x{n}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs a script against a PCMA player with telephone-event 101. Lines are `T command`
/// where the command is `enqueue ID LEN [loop]` (samples all `1000 * ID`), `stop`,
/// `skip`, `dtmf EVENT MS`, `late` (one `handle_timeout(T)` without catching up first)
/// or `run` (just advance). Before each command the clock advances to `T`, handling every
/// timeout on the way. A packet made for an earlier 20 ms slot than `T` shows `slot=`.
fn check(script: &str, expect: Expect) {
    let codec = Codec::Pcma;
    let config = PlayerConfig {
        codec,
        ids: IDS,
        telephone_event: Some(101),
    };
    let mut player = Player::new(config);
    let mut out = String::new();
    let drain = |player: &mut Player, now: Millis, out: &mut String| {
        while let Some(packet) = player.poll_packet() {
            let h = packet.header;
            // The slot is shown only when the packet leaves late (after a `late` step).
            let slot = if packet.slot == now {
                String::new()
            } else {
                format!("slot={} ", packet.slot.0)
            };
            out.push_str(&format!(
                "t={} {slot}seq={} ts=+{} {}pt={} {}\n",
                now.0,
                h.sequence,
                h.timestamp.wrapping_sub(IDS.first_timestamp),
                if h.marker { "M " } else { "" },
                h.payload_type,
                runs(codec, &packet)
            ));
            assert_eq!(h.ssrc, IDS.ssrc);
        }
        while let Some(event) = player.poll_event() {
            out.push_str(&format!("t={} {event:?}\n", now.0));
        }
    };
    for line in script.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let number = |i: usize| {
            words
                .get(i)
                .and_then(|w| w.parse::<u64>().ok())
                .unwrap_or(0)
        };
        let now = Millis(number(0));
        if words.get(1) != Some(&"late") {
            while let Some(due) = player.poll_timeout().filter(|&due| due <= now) {
                player.handle_timeout(due);
                drain(&mut player, due, &mut out);
            }
        }
        out.push_str(&format!("> {line}\n"));
        match words.get(1).copied() {
            Some("enqueue") => {
                let samples: Arc<[i16]> = vec![1000 * number(2) as i16; number(3) as usize].into();
                let looping = words.get(4) == Some(&"loop");
                player.enqueue(
                    now,
                    Prompt {
                        id: PromptId(number(2)),
                        samples,
                        looping,
                    },
                );
            }
            Some("stop") => player.stop(),
            Some("skip") => player.skip(),
            Some("dtmf") => player.send_dtmf(now, number(2) as u8, number(3)).unwrap(),
            Some("late") => player.handle_timeout(now),
            Some("run") => {}
            other => panic!("unknown command {other:?}"),
        }
        drain(&mut player, now, &mut out);
        out.push_str(&format!(
            "  next={:?}\n",
            player.poll_timeout().map(|t| t.0)
        ));
    }
    expect.assert_eq(&out);
}

#[test]
fn prompts_back_to_back_then_idle() {
    check(
        "
0 enqueue 1 260
0 enqueue 2 100
0 enqueue 3 10
100 run
500 enqueue 4 160
540 run
",
        expect![[r#"
            > 0 enqueue 1 260
              next=Some(0)
            t=0 seq=65534 ts=+0 M pt=8 1008x160
            > 0 enqueue 2 100
              next=Some(20)
            > 0 enqueue 3 10
              next=Some(20)
            t=20 seq=65535 ts=+160 pt=8 1008x100 2016x60
            t=20 Finished(PromptId(1))
            t=40 seq=0 ts=+320 pt=8 2016x40 3008x10 8x110
            t=40 Finished(PromptId(2))
            t=40 Finished(PromptId(3))
            > 100 run
              next=None
            > 500 enqueue 4 160
              next=Some(500)
            t=500 seq=1 ts=+4000 M pt=8 4032x160
            t=500 Finished(PromptId(4))
            > 540 run
              next=None
        "#]],
    );
}

#[test]
fn looping_music_stopped_and_announcement() {
    check(
        "
0 enqueue 9 120 loop
50 enqueue 1 40
60 skip
100 stop
",
        expect![[r#"
            > 0 enqueue 9 120 loop
              next=Some(0)
            t=0 seq=65534 ts=+0 M pt=8 8960x160
            t=20 seq=65535 ts=+160 pt=8 8960x160
            t=40 seq=0 ts=+320 pt=8 8960x160
            > 50 enqueue 1 40
              next=Some(60)
            t=60 seq=1 ts=+480 pt=8 8960x160
            > 60 skip
            t=60 Stopped(PromptId(9))
              next=Some(80)
            t=80 seq=2 ts=+640 pt=8 1008x40 8x120
            t=80 Finished(PromptId(1))
            > 100 stop
              next=None
        "#]],
    );
}

#[test]
fn dtmf_pauses_audio() {
    check(
        "
0 enqueue 1 800
20 dtmf 5 60
200 run
",
        expect![[r#"
            > 0 enqueue 1 800
              next=Some(0)
            t=0 seq=65534 ts=+0 M pt=8 1008x160
            t=20 seq=65535 ts=+160 pt=8 1008x160
            > 20 dtmf 5 60
              next=Some(40)
            t=40 seq=0 ts=+320 M pt=101 event [05, 0a, 00, a0]
            t=60 seq=1 ts=+320 pt=101 event [05, 0a, 01, 40]
            t=80 seq=2 ts=+320 pt=101 event [05, 8a, 01, e0]
            t=100 seq=3 ts=+320 pt=101 event [05, 8a, 01, e0]
            t=120 seq=4 ts=+320 pt=101 event [05, 8a, 01, e0]
            t=120 DtmfSent(5)
            t=140 seq=5 ts=+1120 pt=8 1008x160
            t=160 seq=6 ts=+1280 pt=8 1008x160
            t=180 seq=7 ts=+1440 pt=8 1008x160
            t=180 Finished(PromptId(1))
            > 200 run
              next=None
        "#]],
    );
}

#[test]
fn late_caller_bursts_then_skips() {
    check(
        "
0 enqueue 1 3200
60 late
400 late
",
        expect![[r#"
            > 0 enqueue 1 3200
              next=Some(0)
            > 60 late
            t=60 slot=0 seq=65534 ts=+0 M pt=8 1008x160
            t=60 slot=20 seq=65535 ts=+160 pt=8 1008x160
            t=60 slot=40 seq=0 ts=+320 pt=8 1008x160
            t=60 seq=1 ts=+480 pt=8 1008x160
              next=Some(80)
            > 400 late
            t=400 slot=300 seq=2 ts=+2400 pt=8 1008x160
            t=400 slot=320 seq=3 ts=+2560 pt=8 1008x160
            t=400 slot=340 seq=4 ts=+2720 pt=8 1008x160
            t=400 slot=360 seq=5 ts=+2880 pt=8 1008x160
            t=400 slot=380 seq=6 ts=+3040 pt=8 1008x160
            t=400 seq=7 ts=+3200 pt=8 1008x160
              next=Some(420)
        "#]],
    );
}

#[test]
fn dtmf_without_payload_type_and_hold_music() {
    let config = PlayerConfig {
        codec: Codec::Pcmu,
        ids: IDS,
        telephone_event: None,
    };
    let mut player = Player::new(config);
    assert_eq!(
        player.send_dtmf(Millis(0), 1, 100).unwrap_err().to_string(),
        "no telephone-event payload type negotiated"
    );
    assert!(player.is_idle());

    let music = hold_music();
    assert_eq!(music.len(), 64_000);
    // Near-silent at both ends, so the loop point does not click.
    assert!(
        music[..8]
            .iter()
            .chain(&music[music.len() - 8..])
            .all(|s| s.abs() < 64)
    );
    let peak = music.iter().map(|s| s.unsigned_abs()).max().unwrap();
    assert!((3000..12000).contains(&peak), "{peak}");
    // The first chord holds E4, the third F4, and each not the other.
    let first = &music[4000..5600];
    let third = &music[36_000..37_600];
    assert!(goertzel(first, 329.63, 8000) > 30.0 * goertzel(first, 349.23, 8000));
    assert!(goertzel(third, 349.23, 8000) > 30.0 * goertzel(third, 329.63, 8000));
}
