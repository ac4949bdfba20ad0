//! Tone tests: Goertzel power and presence of tones in generated signals.

use expect_test::{Expect, expect};

use crate::Rng;
use crate::tone::{goertzel, level_dbfs, sine, tone_present};

/// Builds a 20 ms signal from `input` ("sine F A" lines summed, or "noise A"), then
/// reports its level and, for each probe frequency, power in dB and presence.
fn check(input: &str, probes: &[f64], expect: Expect) {
    let mut signal = vec![0i32; 160];
    let mut rng = Rng::new(7);
    for line in input.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["sine", freq, amplitude] => {
                let tone = sine(freq.parse().unwrap(), amplitude.parse().unwrap(), 160);
                for (acc, s) in signal.iter_mut().zip(tone) {
                    *acc += i32::from(s);
                }
            }
            ["noise", amplitude] => {
                let amplitude: i32 = amplitude.parse().unwrap();
                for acc in signal.iter_mut() {
                    *acc += (rng.next_u32() % (2 * amplitude as u32 + 1)) as i32 - amplitude;
                }
            }
            _ => panic!("bad line {line}"),
        }
    }
    let samples: Vec<i16> = signal
        .iter()
        .map(|&s| s.clamp(-32768, 32767) as i16)
        .collect();
    let mut out = format!("level {:.1} dBFS\n", level_dbfs(&samples));
    for &freq in probes {
        let power = goertzel(&samples, freq, 8000);
        // Clamped so that rounding noise near zero does not depend on the platform's libm.
        let db = (10.0 * (power / (32767.0 * 32767.0 / 2.0)).log10()).max(-99.0);
        out.push_str(&format!(
            "{freq} Hz: {db:.1} dB present={}\n",
            tone_present(&samples, freq)
        ));
    }
    expect.assert_eq(&out);
}

#[test]
fn single_tone() {
    check(
        "sine 1000 16000",
        &[1000.0, 1100.0, 1200.0, 440.0],
        expect![[r#"
        level -6.2 dBFS
        1000 Hz: -6.2 dB present=true
        1100 Hz: -99.0 dB present=false
        1200 Hz: -99.0 dB present=false
        440 Hz: -39.3 dB present=false
    "#]],
    );
}

#[test]
fn dtmf_pair_and_noise() {
    check(
        "sine 697 8000\nsine 1209 8000",
        &[697.0, 1209.0, 770.0, 1336.0],
        expect![[r#"
        level -9.2 dBFS
        697 Hz: -12.1 dB present=true
        1209 Hz: -12.2 dB present=true
        770 Hz: -27.0 dB present=false
        1336 Hz: -30.0 dB present=false
    "#]],
    );
    check(
        "noise 8000",
        &[1000.0, 440.0],
        expect![[r#"
        level -13.8 dBFS
        1000 Hz: -34.5 dB present=false
        440 Hz: -46.4 dB present=false
    "#]],
    );
    check(
        "sine 440 30",
        &[440.0],
        expect![[r#"
        level -60.8 dBFS
        440 Hz: -60.8 dB present=false
    "#]],
    );
    check(
        "",
        &[440.0],
        expect![[r#"
        level -inf dBFS
        440 Hz: -99.0 dB present=false
    "#]],
    );
}
