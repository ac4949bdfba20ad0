//! WAV tests: every readable format, the errors, writer roundtrips and the resampler.

use expect_test::{Expect, expect};

use crate::g711::Codec;
use crate::tone::{sine, tone_present};
use crate::wav::{load_prompt, read_wav, resample, write_wav, write_wav_g711};

/// A WAV file with the given `fmt ` fields and data, an odd-sized `LIST` chunk before the
/// data to exercise chunk padding.
fn wav(tag: u16, channels: u16, rate: u32, bits: u16, data: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(b"WAVE");
    body.extend_from_slice(b"fmt ");
    body.extend_from_slice(&16u32.to_le_bytes());
    body.extend_from_slice(&tag.to_le_bytes());
    body.extend_from_slice(&channels.to_le_bytes());
    body.extend_from_slice(&rate.to_le_bytes());
    body.extend_from_slice(&(rate * u32::from(channels * bits / 8)).to_le_bytes());
    body.extend_from_slice(&(channels * bits / 8).to_le_bytes());
    body.extend_from_slice(&bits.to_le_bytes());
    body.extend_from_slice(b"LIST\x03\x00\x00\x00abc\x00");
    body.extend_from_slice(b"data");
    body.extend_from_slice(&(data.len() as u32).to_le_bytes());
    body.extend_from_slice(data);
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// Reads `bytes` and prints the format and the first samples, or the error.
fn check(bytes: &[u8], expect: Expect) {
    let actual = match read_wav(bytes) {
        Ok(audio) => format!(
            "{:?} channels={} rate={} len={} head={:?}\n",
            audio.format,
            audio.channels,
            audio.sample_rate,
            audio.samples.len(),
            &audio.samples[..audio.samples.len().min(4)]
        ),
        Err(err) => format!("error: {err}\n"),
    };
    expect.assert_eq(&actual);
}

#[test]
fn readable_formats() {
    check(
        &wav(1, 1, 8000, 16, &[0x00, 0x10, 0x00, 0xF0, 0xFF]),
        expect![[r#"
        Pcm16 channels=1 rate=8000 len=2 head=[4096, -4096]
    "#]],
    );
    check(
        &wav(1, 2, 16000, 16, &[0x00, 0x10, 0x00, 0x20, 1, 0]),
        expect![[r#"
        Pcm16 channels=2 rate=16000 len=1 head=[6144]
    "#]],
    );
    check(
        &wav(1, 1, 22050, 8, &[0, 128, 255]),
        expect![[r#"
        Pcm8 channels=1 rate=22050 len=3 head=[-32768, 0, 32512]
    "#]],
    );
    check(
        &wav(6, 1, 8000, 8, &[0xD5, 0x55, 0xAA]),
        expect![[r#"
        G711(Pcma) channels=1 rate=8000 len=3 head=[8, -8, 32256]
    "#]],
    );
    check(
        &wav(7, 1, 8000, 8, &[0xFF, 0x00, 0x80]),
        expect![[r#"
        G711(Pcmu) channels=1 rate=8000 len=3 head=[0, -32124, 32124]
    "#]],
    );
    check(
        &write_wav_g711(Codec::Pcma, &[0xD5, 0x2A, 0xAA]),
        expect![[r#"
        G711(Pcma) channels=1 rate=8000 len=3 head=[8, -32256, 32256]
    "#]],
    );
    check(
        &write_wav(&[1, -2, 3, -4], 2, 8000),
        expect![[r#"
        Pcm16 channels=2 rate=8000 len=2 head=[0, 0]
    "#]],
    );
}

#[test]
fn unreadable_files() {
    check(
        b"",
        expect![[r#"
        error: not a riff/wave file
    "#]],
    );
    check(
        b"RIFF\x04\x00\x00\x00WAVX",
        expect![[r#"
        error: not a riff/wave file
    "#]],
    );
    check(
        b"RIFF\x04\x00\x00\x00WAVEfmt ",
        expect![[r#"
        error: truncated wav chunk header
    "#]],
    );
    check(
        &wav(3, 1, 8000, 32, &[0; 8]),
        expect![[r#"
        error: unsupported wav format tag 0x0003
    "#]],
    );
    check(
        &wav(1, 1, 8000, 24, &[0; 6]),
        expect![[r#"
        error: unsupported sample width of 24 bits
    "#]],
    );
    check(
        &wav(1, 6, 8000, 16, &[0; 12]),
        expect![[r#"
        error: unsupported channel count 6
    "#]],
    );
    check(
        &wav(1, 1, 1000, 16, &[0; 2]),
        expect![[r#"
        error: unsupported sample rate 1000 Hz
    "#]],
    );
    let mut no_data = wav(1, 1, 8000, 16, &[]);
    no_data.truncate(no_data.len() - 8);
    check(
        &no_data,
        expect![[r#"
        error: missing data chunk
    "#]],
    );
    // A streaming writer's oversized data chunk is read to the end of the file.
    let mut streaming = wav(1, 1, 8000, 16, &[1, 0, 2, 0]);
    let len = streaming.len();
    streaming[len - 8..len - 4].copy_from_slice(&u32::MAX.to_le_bytes());
    check(
        &streaming,
        expect![[r#"
        Pcm16 channels=1 rate=8000 len=2 head=[1, 2]
    "#]],
    );
}

#[test]
fn prompts_resample_to_8k() {
    for rate in [8000u32, 16000, 22050, 44100, 11025] {
        let original = crate::tone::SineGenerator::new(440.0, 10000.0, rate);
        let mut samples = vec![0i16; rate as usize / 2];
        original.clone().fill(&mut samples);
        let prompt = load_prompt(&write_wav(&samples, 1, rate)).unwrap();
        assert!(prompt.len().abs_diff(4000) <= 1, "{rate}: {}", prompt.len());
        assert!(tone_present(&prompt[800..960], 440.0), "{rate}");
    }
    // Content above the new Nyquist frequency is filtered rather than aliased to 1 kHz.
    let mut high = vec![0i16; 3200];
    crate::tone::SineGenerator::new(7000.0, 10000.0, 16000).fill(&mut high);
    let low = resample(&high, 16000, 8000);
    let level = crate::tone::level_dbfs(&low[200..1400]);
    assert!(level < -30.0, "{level}");
    let pass = resample(&sine(1000.0, 10000.0, 3200), 8000, 16000);
    // Read as if it were 8 kHz audio, the 16 kHz copy's 1 kHz tone sits at 500 Hz.
    assert!(tone_present(&pass[1000..1320], 500.0));
    assert_eq!(resample(&[1, 2, 3], 0, 8000), [1, 2, 3]);
}

#[test]
fn g711_writer_layout() {
    let bytes = write_wav_g711(Codec::Pcmu, &[0xFF; 3]);
    let text: String = bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ");
    expect!["52 49 46 46 36 00 00 00 57 41 56 45 66 6d 74 20 12 00 00 00 07 00 01 00 40 1f 00 00 40 1f 00 00 01 00 08 00 00 00 66 61 63 74 04 00 00 00 03 00 00 00 64 61 74 61 03 00 00 00 ff ff ff 00"].assert_eq(&text);
}
