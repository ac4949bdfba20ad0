//! Recorder tests: packet scripts for both legs and the resulting WAV as sample runs.

use expect_test::{Expect, expect};

use crate::Millis;
use crate::g711::Codec;
use crate::recorder::{Layout, Leg, Recorder};
use crate::rtp::{RtpHeader, RtpPacket};
use crate::wav::read_wav;

fn runs(samples: impl Iterator<Item = i16>) -> String {
    let mut out: Vec<(i16, usize)> = Vec::new();
    for value in samples {
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

/// Feeds `T LEG SSRC TS VALUE [PT]` packets (160 samples of `VALUE`, PCMA unless `PT`
/// says otherwise) to a 1-second recorder started at 0 ms and prints each placement,
/// then the finished file as runs of sample values per channel.
fn check(layout: Layout, script: &str, expect: Expect) {
    let mut recorder = Recorder::new(Millis(0), layout, 1);
    let mut out = String::new();
    for line in script.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let n = |i: usize| words.get(i).map(|w| w.parse::<i64>().unwrap());
        let leg = if words[1] == "A" { Leg::A } else { Leg::B };
        let payload_type = n(5).unwrap_or(8) as u8;
        let codec = Codec::from_payload_type(payload_type).unwrap_or(Codec::Pcma);
        let payload = [codec.encode_sample(n(4).unwrap() as i16); 160];
        let header = RtpHeader {
            marker: false,
            payload_type,
            sequence: 0,
            timestamp: n(3).unwrap() as u32,
            ssrc: n(2).unwrap() as u32,
        };
        let mut buf = [0u8; 172];
        let len = header.write(&payload, &mut buf).unwrap();
        let packet = RtpPacket::parse(&buf[..len]).unwrap();
        let placement = recorder.handle_packet(Millis(n(0).unwrap() as u64), leg, &packet);
        out.push_str(&format!("{line:<28} {placement:?}\n"));
    }
    let wav = recorder.finish();
    let audio = read_wav(&wav).unwrap();
    // read_wav downmixes, so take the interleaved samples after the 44-byte header.
    let data: Vec<i16> = wav[44..]
        .chunks_exact(2)
        .map(|pair| i16::from_le_bytes([pair[0], pair[1]]))
        .collect();
    let channels = usize::from(audio.channels);
    for channel in 0..channels {
        let samples = data.iter().skip(channel).step_by(channels).copied();
        out.push_str(&format!("channel {channel}: {}\n", runs(samples)));
    }
    expect.assert_eq(&out);
}

#[test]
fn both_legs_with_gaps_and_reordering() {
    check(
        Layout::Stereo,
        "
20 A 1 1000 1000
40 A 1 1160 1000
100 A 1 1640 2000
80 A 1 1480 3000
30 B 9 0 500
50 B 9 160 500 101
",
        expect![[r#"
            20 A 1 1000 1000             Stored(0)
            40 A 1 1160 1000             Stored(160)
            100 A 1 1640 2000            Stored(640)
            80 A 1 1480 3000             Stored(480)
            30 B 9 0 500                 Stored(80)
            50 B 9 160 500 101           NotAudio
            channel 0: 1008x320 0x160 3008x160 2016x160
            channel 1: 0x80 504x160 0x560
        "#]],
    );
}

#[test]
fn mixed_with_source_change_and_limits() {
    check(
        Layout::Mixed,
        "
20 A 1 0 1000
40 A 1 160 1000
20 B 2 0 100
60 A 5 777 2000
80 A 5 999999 3000
2000 B 2 320 100
1500 A 7 0 100
",
        expect![[r#"
            20 A 1 0 1000                Stored(0)
            40 A 1 160 1000              Stored(160)
            20 B 2 0 100                 Stored(0)
            60 A 5 777 2000              Stored(320)
            80 A 5 999999 3000           Stored(480)
            2000 B 2 320 100             Stored(320)
            1500 A 7 0 100               OutOfRange
            channel 0: 1112x160 1008x160 2120x160 3008x160
        "#]],
    );
}
