//! Relay and latch tests: packet scripts with rewritten outputs and latch decisions.

use std::net::SocketAddr;

use expect_test::{Expect, expect};

use crate::relay::{Latch, LatchVerdict, PayloadMap, Relay};
use crate::rtp::{RtpHeader, RtpPacket};
use crate::{Millis, StreamIds};

const IDS: StreamIds = StreamIds {
    ssrc: 0xC1C1,
    first_sequence: 65535,
    first_timestamp: 4_294_967_000,
};

fn map(pairs: &str) -> PayloadMap {
    pairs
        .split_whitespace()
        .fold(PayloadMap::empty(), |map, pair| {
            let (from, to) = pair.split_once(':').unwrap();
            map.with(from.parse().unwrap(), to.parse().unwrap())
        })
}

/// Runs a script through a relay that starts with map `8:8 101:96`. Lines:
/// `T [m] SSRC SEQ TS PT` for a packet received at `T` ms, `T rebridge FROM:TO ...` for
/// a new source, `T garbage` for bytes that are not RTP, `T latch ADDR SSRC` for the
/// threshold-3 latch. Outputs are relative to the relay's first sequence and timestamp.
fn check(script: &str, expect: Expect) {
    let mut relay = Relay::new(IDS, map("8:8 101:96"));
    let mut latch: Latch<SocketAddr> = Latch::new(Some("192.0.2.1:4000".parse().unwrap()), 3);
    let mut out = String::new();
    for line in script.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let mut words: Vec<&str> = line.split_whitespace().collect();
        let now = Millis(words.remove(0).parse().unwrap());
        let result = match words.first().copied() {
            Some("rebridge") => {
                relay.rebridge(map(&words[1..].join(" ")));
                String::new()
            }
            Some("garbage") => {
                let mut bytes = [0x40u8; 12];
                format!("{:?}", relay.forward(now, &mut bytes))
            }
            Some("latch") => {
                let from: SocketAddr = words[1].parse().unwrap();
                let verdict = latch.handle_packet(from, words[2].parse().unwrap());
                format!("{verdict:?} remote={}", latch.remote().unwrap())
            }
            _ => {
                let marker = words.first() == Some(&"m");
                if marker {
                    words.remove(0);
                }
                let n = |i: usize| words[i].parse::<u32>().unwrap();
                let header = RtpHeader {
                    marker,
                    payload_type: n(3) as u8,
                    sequence: n(1) as u16,
                    timestamp: n(2),
                    ssrc: n(0),
                };
                let mut buf = [0u8; 32];
                let len = header.write(&[7; 4], &mut buf).unwrap();
                match relay.forward(now, &mut buf[..len]) {
                    Ok(crate::relay::Verdict::Forward) => {
                        let sent = RtpPacket::parse(&buf[..len]).unwrap();
                        assert_eq!(sent.header.ssrc, IDS.ssrc);
                        assert_eq!(sent.payload, &[7; 4]);
                        format!(
                            "=> seq +{} ts +{} pt {}{}",
                            sent.header.sequence.wrapping_sub(IDS.first_sequence),
                            sent.header.timestamp.wrapping_sub(IDS.first_timestamp),
                            sent.header.payload_type,
                            if sent.header.marker { " M" } else { "" }
                        )
                    }
                    other => format!("=> {other:?}"),
                }
            }
        };
        out.push_str(format!("{line:<36} {result}").trim_end());
        out.push('\n');
    }
    let info = relay.sender_info(Millis(10_000), 0);
    out.push_str(&format!(
        "sent {} packets, {} octets, rtp clock at 10s +{}\n",
        info.packet_count,
        info.octet_count,
        info.rtp_timestamp.wrapping_sub(IDS.first_timestamp)
    ));
    expect.assert_eq(&out);
}

#[test]
fn ivr_prompts_then_agent_then_transfer() {
    check(
        "
0 m 111 5000 80000 8
20 111 5001 80160 8
40 111 5003 80480 8
30 111 5002 80320 8
100 rebridge 8:8 100:96
400 m 222 9 0 8
420 222 10 160 8
440 m 222 11 320 100
460 222 11 320 100
480 222 12 480 101
500 rebridge 8:8 101:96
500 m 333 60000 7 8
520 333 60001 167 8
",
        expect![[r#"
            0 m 111 5000 80000 8                 => seq +0 ts +0 pt 8 M
            20 111 5001 80160 8                  => seq +1 ts +160 pt 8
            40 111 5003 80480 8                  => seq +3 ts +480 pt 8
            30 111 5002 80320 8                  => seq +2 ts +320 pt 8
            100 rebridge 8:8 100:96
            400 m 222 9 0 8                      => seq +4 ts +3360 pt 8 M
            420 222 10 160 8                     => seq +5 ts +3520 pt 8
            440 m 222 11 320 100                 => seq +6 ts +3680 pt 96 M
            460 222 11 320 100                   => seq +6 ts +3680 pt 96
            480 222 12 480 101                   => Ok(Drop(UnmappedPayloadType(101)))
            500 rebridge 8:8 101:96
            500 m 333 60000 7 8                  => seq +7 ts +4160 pt 8 M
            520 333 60001 167 8                  => seq +8 ts +4320 pt 8
            sent 10 packets, 40 octets, rtp clock at 10s +80160
        "#]],
    );
}

#[test]
fn implicit_ssrc_change_and_stale_packets() {
    check(
        "
0 111 100 1000 8
20 111 101 1160 8
40 222 7 99 8
50 111 102 1320 8
60 222 8 259 8
300 111 103 1480 8
320 222 9 419 8
330 garbage
",
        expect![[r#"
            0 111 100 1000 8                     => seq +0 ts +0 pt 8 M
            20 111 101 1160 8                    => seq +1 ts +160 pt 8
            40 222 7 99 8                        => seq +2 ts +320 pt 8 M
            50 111 102 1320 8                    => Ok(Drop(StaleSource))
            60 222 8 259 8                       => seq +3 ts +480 pt 8
            300 111 103 1480 8                   => seq +4 ts +2400 pt 8 M
            320 222 9 419 8                      => Ok(Drop(StaleSource))
            330 garbage                          Err(BadVersion(1))
            sent 5 packets, 20 octets, rtp clock at 10s +80000
        "#]],
    );
}

#[test]
fn latching_with_anti_hijack() {
    check(
        "
0 latch 198.51.100.7:5000 1
1 latch 198.51.100.7:5000 1
2 latch 203.0.113.9:6000 2
3 latch 203.0.113.9:6000 2
4 latch 198.51.100.7:5000 1
5 latch 203.0.113.9:6000 2
6 latch 203.0.113.9:6000 3
7 latch 203.0.113.9:6000 3
8 latch 203.0.113.9:6000 3
9 latch 198.51.100.7:5000 1
",
        expect![[r#"
            0 latch 198.51.100.7:5000 1          Latched remote=198.51.100.7:5000
            1 latch 198.51.100.7:5000 1          Accept remote=198.51.100.7:5000
            2 latch 203.0.113.9:6000 2           Reject remote=198.51.100.7:5000
            3 latch 203.0.113.9:6000 2           Reject remote=198.51.100.7:5000
            4 latch 198.51.100.7:5000 1          Accept remote=198.51.100.7:5000
            5 latch 203.0.113.9:6000 2           Reject remote=198.51.100.7:5000
            6 latch 203.0.113.9:6000 3           Reject remote=198.51.100.7:5000
            7 latch 203.0.113.9:6000 3           Reject remote=198.51.100.7:5000
            8 latch 203.0.113.9:6000 3           Latched remote=203.0.113.9:6000
            9 latch 198.51.100.7:5000 1          Reject remote=203.0.113.9:6000
            sent 0 packets, 0 octets, rtp clock at 10s +0
        "#]],
    );
}

#[test]
fn latch_reset_and_threshold_floor() {
    let a: SocketAddr = "10.0.0.1:1".parse().unwrap();
    let b: SocketAddr = "10.0.0.2:2".parse().unwrap();
    let mut latch = Latch::new(None, 0);
    assert_eq!(latch.remote(), None);
    latch.handle_packet(a, 1);
    assert_eq!(
        latch.handle_packet(b, 1),
        crate::relay::LatchVerdict::Latched
    );
    latch.reset(Some(a));
    assert_eq!(latch.remote(), Some(a));
    assert_eq!(
        latch.handle_packet(b, 9),
        crate::relay::LatchVerdict::Latched
    );
    assert_eq!(latch.remote(), Some(b));
    assert_eq!(PayloadMap::empty().with(1, 200).get(1), None);
    assert_eq!(PayloadMap::empty().with(200, 1).get(200), None);
}

/// A port's earlier call still streams to it when a new call takes it: that stream arrives
/// first and latches, and the peer at the signalled address takes the leg back at once.
#[test]
fn the_signalled_peer_wins_over_a_stale_stream() {
    let signalled: SocketAddr = "192.0.2.1:4000".parse().unwrap();
    let stale: SocketAddr = "192.0.2.77:9000".parse().unwrap();
    let mut latch = Latch::new(Some(signalled), 3);
    assert_eq!(latch.handle_packet(stale, 5), LatchVerdict::Latched);
    assert_eq!(latch.handle_packet(signalled, 1), LatchVerdict::Latched);
    assert_eq!(latch.remote(), Some(signalled));
    // Interleaved, the stale stream never gets three in a row.
    for _ in 0..10 {
        assert_eq!(latch.handle_packet(stale, 5), LatchVerdict::Reject);
        assert_eq!(latch.handle_packet(signalled, 1), LatchVerdict::Accept);
    }
    assert_eq!(latch.remote(), Some(signalled));
}
