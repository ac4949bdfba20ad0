//! RTP parser and writer tests: hex fixtures, roundtrips and a seeded fuzz loop.

use expect_test::{Expect, expect};

use crate::Rng;
use crate::rtp::{RtpHeader, RtpPacket, is_rtcp, sequence_delta, timestamp_delta};

fn hex(input: &str) -> Vec<u8> {
    let digits: String = input.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    (0..digits.len() / 2)
        .filter_map(|i| u8::from_str_radix(digits.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

/// Parses the hex packet and prints the result with CSRCs spelled out.
fn check(input: &str, expect: Expect) {
    let bytes = hex(input);
    let actual = match RtpPacket::parse(&bytes) {
        Ok(packet) => {
            let csrcs: Vec<u32> = packet.csrcs().collect();
            format!(
                "{:?}\ncsrcs={csrcs:?} ext={:?} padding={} payload={:02x?}\nrtcp={}\n",
                packet.header,
                packet.extension,
                packet.padding,
                packet.payload,
                is_rtcp(&bytes)
            )
        }
        Err(err) => format!("error: {err}\n"),
    };
    expect.assert_eq(&actual);
}

#[test]
fn plain_pcma_packet() {
    check(
        "80 88 1234 00000a00 deadbeef d5d5d5",
        expect![[r#"
            RtpHeader { marker: true, payload_type: 8, sequence: 4660, timestamp: 2560, ssrc: 3735928559 }
            csrcs=[] ext=None padding=0 payload=[d5, d5, d5]
            rtcp=false
        "#]],
    );
}

#[test]
fn csrcs_extension_and_padding() {
    check(
        "b2 00 0001 00000000 00000001 00000002 00000003 bede0001 10ff0000 aabb 000002",
        expect![[r#"
            RtpHeader { marker: false, payload_type: 0, sequence: 1, timestamp: 0, ssrc: 1 }
            csrcs=[2, 3] ext=Some(RtpExtension { profile: 48862, data: [16, 255, 0, 0] }) padding=2 payload=[aa, bb, 00]
            rtcp=false
        "#]],
    );
}

#[test]
fn malformed_packets() {
    check(
        "",
        expect![[r#"
        error: truncated rtp packet: need 12 bytes, got 0
    "#]],
    );
    check(
        "80 08 0001 00000000 000000",
        expect![[r#"
        error: truncated rtp packet: need 12 bytes, got 11
    "#]],
    );
    check(
        "40 08 0001 00000000 00000001",
        expect![[r#"
        error: unsupported rtp version 1
    "#]],
    );
    check(
        "83 08 0001 00000000 00000001 00000002",
        expect![[r#"
        error: truncated rtp packet: need 24 bytes, got 16
    "#]],
    );
    check(
        "90 08 0001 00000000 00000001 bede",
        expect![[r#"
        error: truncated rtp packet: need 16 bytes, got 14
    "#]],
    );
    check(
        "90 08 0001 00000000 00000001 bede0002 00000000",
        expect![[r#"
        error: truncated rtp packet: need 24 bytes, got 20
    "#]],
    );
    check(
        "a0 08 0001 00000000 00000001 aa 00",
        expect![[r#"
        error: invalid rtp padding count 0
    "#]],
    );
    check(
        "a0 08 0001 00000000 00000001 aa 05",
        expect![[r#"
        error: invalid rtp padding count 5
    "#]],
    );
    check(
        "80 c8 0001 00000000 00000001",
        expect![[r#"
        RtpHeader { marker: true, payload_type: 72, sequence: 1, timestamp: 0, ssrc: 1 }
        csrcs=[] ext=None padding=0 payload=[]
        rtcp=true
    "#]],
    );
}

#[test]
fn write_parse_roundtrip_and_rewrite() {
    let header = RtpHeader {
        marker: true,
        payload_type: 8,
        sequence: 65535,
        timestamp: 7,
        ssrc: 9,
    };
    let mut buf = [0u8; 20];
    let len = header.write(&[1, 2, 3], &mut buf).unwrap();
    let parsed = RtpPacket::parse(&buf[..len]).unwrap();
    assert_eq!(parsed.header, header);
    assert_eq!(parsed.payload, &[1, 2, 3]);

    let other = RtpHeader {
        marker: false,
        payload_type: 101,
        sequence: 1,
        timestamp: 2,
        ssrc: 3,
    };
    other.rewrite(&mut buf[..len]).unwrap();
    assert_eq!(RtpPacket::parse(&buf[..len]).unwrap().header, other);
    assert_eq!(RtpPacket::parse(&buf[..len]).unwrap().payload, &[1, 2, 3]);

    assert_eq!(
        header.write(&[0; 9], &mut buf).unwrap_err().to_string(),
        "buffer too small: need 21 bytes, got 20"
    );
    let bad = RtpHeader {
        payload_type: 128,
        ..header
    };
    assert_eq!(
        bad.write(&[], &mut buf).unwrap_err().to_string(),
        "payload type 128 out of range"
    );
    assert_eq!(sequence_delta(65535, 1), 2);
    assert_eq!(timestamp_delta(10, 5), -5);
}

#[test]
fn fuzz_never_panics() {
    let mut rng = Rng::new(4733);
    let mut buf = [0u8; 64];
    let mut parsed = 0;
    for round in 0..200_000 {
        let len = (rng.next_u32() % 64) as usize;
        for byte in buf.iter_mut().take(len) {
            *byte = rng.next_u32() as u8;
        }
        // Bias half the inputs towards version 2 so the deeper paths run.
        if round % 2 == 0 && len > 0 {
            buf[0] = (buf[0] & 0x3F) | 0x80;
        }
        if let Ok(packet) = RtpPacket::parse(&buf[..len]) {
            parsed += 1;
            assert!(packet.payload.len() <= len);
            assert_eq!(packet.csrcs().count(), usize::from(buf[0] & 0x0F));
        }
    }
    assert!(parsed > 10_000, "only {parsed} parsed");
}
