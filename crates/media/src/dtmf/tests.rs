//! RFC 4733 tests: packet scripts through the detector and generated sequences.

use expect_test::{Expect, expect};

use crate::dtmf::{DtmfDetector, DtmfGenerator, TelephoneEvent, char_to_event, event_to_char};
use crate::rtp::{RtpHeader, RtpPacket};

/// Runs a packet script through a detector for payload type 101. Each line is
/// `[m] pt ssrc ts event [end] duration`, or `raw HEX` for a malformed payload; the
/// output lists the keys reported, one line per input packet.
fn check(script: &str, expect: Expect) {
    let mut detector = DtmfDetector::new(101);
    let mut out = String::new();
    let mut sequence = 0u16;
    for line in script.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let mut words: Vec<&str> = line.split_whitespace().collect();
        let marker = words.first() == Some(&"m");
        if marker {
            words.remove(0);
        }
        let end = words.contains(&"end");
        words.retain(|w| *w != "end");
        let number = |i: usize| {
            words
                .get(i)
                .and_then(|w| w.parse::<u32>().ok())
                .unwrap_or(0)
        };
        let payload = match words.first() {
            Some(&"raw") => vec![1, 2],
            _ => TelephoneEvent {
                event: number(3) as u8,
                end,
                volume: 10,
                duration: number(4) as u16,
            }
            .to_bytes()
            .to_vec(),
        };
        let header = RtpHeader {
            marker,
            payload_type: number(0) as u8,
            sequence,
            timestamp: number(2),
            ssrc: number(1),
        };
        sequence = sequence.wrapping_add(1);
        let mut buf = [0u8; 64];
        let len = header.write(&payload, &mut buf).unwrap();
        let packet = RtpPacket::parse(&buf[..len]).unwrap();
        match detector.handle_packet(&packet) {
            Some(digit) => out.push_str(&format!(
                "{line:<32} => {} at ts {}\n",
                digit.key().unwrap_or('?'),
                digit.timestamp
            )),
            None => out.push_str(&format!("{line}\n")),
        }
    }
    expect.assert_eq(&out);
}

#[test]
fn redundant_end_and_retransmitted_start() {
    check(
        "
m 101 7 1000 5 160
m 101 7 1000 5 160
101 7 1000 5 320
8 7 1160 0 0
101 7 1000 5 end 800
101 7 1000 5 end 800
101 7 1000 5 end 800
m 101 7 3000 5 160
101 7 3000 5 end 400
",
        expect![[r#"
            m 101 7 1000 5 160               => 5 at ts 1000
            m 101 7 1000 5 160
            101 7 1000 5 320
            8 7 1160 0 0
            101 7 1000 5 end 800
            101 7 1000 5 end 800
            101 7 1000 5 end 800
            m 101 7 3000 5 160               => 5 at ts 3000
            101 7 3000 5 end 400
        "#]],
    );
}

#[test]
fn lost_start_and_reordering() {
    check(
        "
101 7 2000 11 end 640
101 7 2000 11 end 640
m 101 7 4000 10 160
101 7 2000 11 end 640
m 101 8 4000 10 160
96 7 5000 1 160
raw
",
        expect![[r#"
            101 7 2000 11 end 640            => # at ts 2000
            101 7 2000 11 end 640
            m 101 7 4000 10 160              => * at ts 4000
            101 7 2000 11 end 640
            m 101 8 4000 10 160              => * at ts 4000
            96 7 5000 1 160
            raw
        "#]],
    );
}

#[test]
fn long_event_segments_once() {
    check(
        "
m 101 7 0 9 160
101 7 0 9 65535
101 7 65535 9 160
101 7 65535 9 end 1000
m 101 7 80000 9 160
",
        expect![[r#"
            m 101 7 0 9 160                  => 9 at ts 0
            101 7 0 9 65535
            101 7 65535 9 160
            101 7 65535 9 end 1000
            m 101 7 80000 9 160              => 9 at ts 80000
        "#]],
    );
}

#[test]
fn generated_sequences() {
    let mut out = String::new();
    for (key, duration_ms) in [('5', 100), ('#', 20), ('a', 50)] {
        let event = char_to_event(key).unwrap();
        out.push_str(&format!("{key} {duration_ms} ms:\n"));
        for packet in DtmfGenerator::new(event, duration_ms, 10) {
            out.push_str(&format!(
                "  +{}ms m={} {:02x?}\n",
                packet.offset.0,
                u8::from(packet.marker),
                packet.payload.to_bytes()
            ));
        }
    }
    expect![[r#"
        5 100 ms:
          +0ms m=1 [05, 0a, 00, a0]
          +20ms m=0 [05, 0a, 01, 40]
          +40ms m=0 [05, 0a, 01, e0]
          +60ms m=0 [05, 0a, 02, 80]
          +80ms m=0 [05, 8a, 03, 20]
          +100ms m=0 [05, 8a, 03, 20]
          +120ms m=0 [05, 8a, 03, 20]
        # 20 ms:
          +0ms m=1 [0b, 8a, 00, a0]
          +20ms m=0 [0b, 8a, 00, a0]
          +40ms m=0 [0b, 8a, 00, a0]
        a 50 ms:
          +0ms m=1 [0c, 0a, 00, a0]
          +20ms m=0 [0c, 0a, 01, 40]
          +40ms m=0 [0c, 8a, 01, 90]
          +60ms m=0 [0c, 8a, 01, 90]
          +80ms m=0 [0c, 8a, 01, 90]
    "#]]
    .assert_eq(&out);
    assert_eq!(event_to_char(16), None);
    assert_eq!(char_to_event('x'), None);
    assert_eq!(
        TelephoneEvent::parse(&[1, 2, 3]).unwrap_err().to_string(),
        "telephone-event payload of 3 bytes is shorter than 4"
    );
}
