//! RTCP tests: walking compound packets, writing SR + SDES + BYE and fuzzing the walker.

use expect_test::{Expect, expect};

use crate::Rng;
use crate::rtcp::{
    SenderInfo, SenderReport, ntp_from_unix_millis, parse_compound, write_bye, write_sdes_cname,
};

fn hex(input: &str) -> Vec<u8> {
    let digits: String = input.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    (0..digits.len() / 2)
        .filter_map(|i| u8::from_str_radix(digits.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

fn describe(bytes: &[u8]) -> String {
    let mut out = String::new();
    for packet in parse_compound(bytes) {
        match packet {
            Ok(packet) => {
                out.push_str(&format!(
                    "{:?} count={} ssrc={:?} body_len={}",
                    packet.kind,
                    packet.count,
                    packet.ssrc(),
                    packet.body.len()
                ));
                if let Some(info) = packet.sender_info() {
                    out.push_str(&format!(" {info:?}"));
                }
                let bye: Vec<u32> = packet.bye_sources().collect();
                if !bye.is_empty() {
                    out.push_str(&format!(" bye={bye:?}"));
                }
                out.push('\n');
            }
            Err(err) => out.push_str(&format!("error: {err}\n")),
        }
    }
    out
}

/// Walks the hex compound packet and prints one line per part.
fn check(input: &str, expect: Expect) {
    expect.assert_eq(&describe(&hex(input)));
}

#[test]
fn receiver_report_sdes_bye() {
    check(
        "
81c9 0007 00000001  00000002 00000000 00000000 00000000 00000000 00000000
81ca 0002 00000001  0100 0000
a1cb 0002 00000001  00000004
",
        expect![[r#"
            ReceiverReport count=1 ssrc=Some(1) body_len=28
            SourceDescription count=1 ssrc=Some(1) body_len=8
            Bye count=1 ssrc=Some(1) body_len=4 bye=[1]
        "#]],
    );
}

#[test]
fn malformed_compounds() {
    check(
        "81c9",
        expect![[r#"
        error: truncated rtcp packet: need 4 bytes, got 2
    "#]],
    );
    check(
        "41c9 0000",
        expect![[r#"
        error: unsupported rtcp version 1
    "#]],
    );
    check(
        "80c8 0006 00000001",
        expect![[r#"
        error: truncated rtcp packet: need 28 bytes, got 8
    "#]],
    );
    check(
        "a0c9 0000",
        expect![[r#"
        error: invalid rtcp padding count 0
    "#]],
    );
    check(
        "80cc 0000 80ce 0000",
        expect![[r#"
        App count=0 ssrc=None body_len=0
        Other(206) count=0 ssrc=None body_len=0
    "#]],
    );
}

#[test]
fn built_report_parses_back() {
    let report = SenderReport {
        ssrc: 0x1234_5678,
        info: SenderInfo {
            ntp_timestamp: ntp_from_unix_millis(1_700_000_000_500),
            rtp_timestamp: 160_000,
            packet_count: 1000,
            octet_count: 160_000,
        },
    };
    let mut buf = [0u8; 128];
    let mut len = report.write(&mut buf).unwrap();
    len += write_sdes_cname(0x1234_5678, b"civicline", &mut buf[len..]).unwrap();
    len += write_bye(0x1234_5678, &mut buf[len..]).unwrap();
    expect![[r#"
        SenderReport count=0 ssrc=Some(305419896) body_len=24 SenderInfo { ntp_timestamp: 16788979058577768448, rtp_timestamp: 160000, packet_count: 1000, octet_count: 160000 }
        SourceDescription count=1 ssrc=Some(305419896) body_len=16
        Bye count=1 ssrc=Some(305419896) body_len=4 bye=[305419896]
    "#]].assert_eq(&describe(&buf[..len]));
    assert_eq!(
        write_bye(1, &mut [0u8; 7]).unwrap_err().to_string(),
        "buffer too small: need 8 bytes, got 7"
    );
    assert!(write_sdes_cname(1, &[b'x'; 256], &mut buf).is_err());
}

#[test]
fn fuzz_never_panics() {
    let mut rng = Rng::new(3550);
    let mut buf = [0u8; 48];
    for _ in 0..100_000 {
        let len = (rng.next_u32() % 48) as usize;
        for byte in buf.iter_mut().take(len) {
            *byte = rng.next_u32() as u8;
        }
        if len > 3 {
            buf[0] = (buf[0] & 0x3F) | 0x80;
            buf[2] = 0;
            buf[3] &= 0x0F;
        }
        let parts = parse_compound(&buf[..len]).count();
        assert!(parts <= len / 4 + 1);
    }
}
