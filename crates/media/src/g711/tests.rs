//! G.711 tests: reference values, the full decode/encode roundtrip and monotonicity.

use expect_test::{Expect, expect};

use crate::g711::Codec;

/// Decodes each hex byte of `input` and re-encodes the linear value; prints `byte ->
/// linear -> byte` per code.
fn check(codec: Codec, input: &str, expect: Expect) {
    let mut out = String::new();
    for word in input.split_whitespace() {
        let Ok(byte) = u8::from_str_radix(word, 16) else {
            out.push_str(&format!("{word}: not hex\n"));
            continue;
        };
        let linear = codec.decode_sample(byte);
        let again = codec.encode_sample(linear);
        out.push_str(&format!("{byte:02x} -> {linear} -> {again:02x}\n"));
    }
    expect.assert_eq(&out);
}

#[test]
fn alaw_reference_values() {
    check(
        Codec::Pcma,
        "d5 55 2a aa 00 80 d4 54 ff 7f",
        expect![[r#"
            d5 -> 8 -> d5
            55 -> -8 -> 55
            2a -> -32256 -> 2a
            aa -> 32256 -> aa
            00 -> -5504 -> 00
            80 -> 5504 -> 80
            d4 -> 24 -> d4
            54 -> -24 -> 54
            ff -> 848 -> ff
            7f -> -848 -> 7f
        "#]],
    );
}

#[test]
fn ulaw_reference_values() {
    // 0x7f is the µ-law negative zero: it decodes to 0, which encodes as 0xff.
    check(
        Codec::Pcmu,
        "ff 7f 00 80 fe 7e 01 81",
        expect![[r#"
            ff -> 0 -> ff
            7f -> 0 -> ff
            00 -> -32124 -> 00
            80 -> 32124 -> 80
            fe -> 8 -> fe
            7e -> -8 -> 7e
            01 -> -31100 -> 01
            81 -> 31100 -> 81
        "#]],
    );
}

#[test]
fn full_roundtrip_and_monotonic() {
    for codec in [Codec::Pcma, Codec::Pcmu] {
        let mut mismatches = Vec::new();
        for byte in 0..=255u8 {
            let again = codec.encode_sample(codec.decode_sample(byte));
            if again != byte {
                mismatches.push(format!("{byte:02x}->{again:02x}"));
            }
        }
        let expected: &[&str] = match codec {
            Codec::Pcma => &[],
            Codec::Pcmu => &["7f->ff"],
        };
        assert_eq!(mismatches, expected, "{codec:?}");

        // Encoding then decoding every linear value never moves it far and keeps order.
        let mut previous = i16::MIN;
        for sample in i16::MIN..=i16::MAX {
            let decoded = codec.decode_sample(codec.encode_sample(sample));
            assert!(decoded >= previous, "{codec:?} not monotonic at {sample}");
            previous = decoded;
            let error = (i32::from(decoded) - i32::from(sample)).abs();
            let bound = (i32::from(sample).abs() / 16).max(16) + 16;
            assert!(error <= bound, "{codec:?} {sample} -> {decoded}");
        }
    }
}

#[test]
fn buffers_encode_to_shorter_length() {
    let mut out = [0u8; 3];
    assert_eq!(Codec::Pcma.encode(&[0, 1000, -1000, 5], &mut out), 3);
    let mut back = [0i16; 5];
    assert_eq!(Codec::Pcma.decode(&out, &mut back), 3);
    assert_eq!(back, [8, 1008, -1008, 0, 0]);
    assert_eq!(Codec::from_payload_type(8), Some(Codec::Pcma));
    assert_eq!(Codec::Pcmu.payload_type(), 0);
    assert_eq!(Codec::Pcmu.decode_sample(Codec::Pcmu.silence()), 0);
}

#[test]
fn encode_tables_match_the_arithmetic() {
    for sample in i16::MIN..=i16::MAX {
        assert_eq!(
            crate::g711::linear_to_alaw(sample),
            super::alaw_encode(sample),
            "{sample}"
        );
        assert_eq!(
            crate::g711::linear_to_ulaw(sample),
            super::ulaw_encode(sample),
            "{sample}"
        );
    }
}
