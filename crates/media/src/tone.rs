//! Tone analysis and synthesis: the Goertzel filter, a tone detector that tests use to
//! prove that a peer heard a tone, and a phase-continuous sine generator.

use std::f64::consts::TAU;

use crate::SAMPLE_RATE;

#[cfg(test)]
mod tests;

/// Power of the `freq` component of `samples` taken at `rate` Hz, as a mean-square value
/// in the same units as the samples squared: a sine of amplitude `a` at exactly `freq`
/// gives about `a * a / 2`. Empty input gives 0.
///
/// The frequency need not fall on a DFT bin (generalised Goertzel); the resolution is about
/// `rate / samples.len()` Hz.
pub fn goertzel(samples: &[i16], freq: f64, rate: u32) -> f64 {
    if samples.is_empty() || rate == 0 {
        return 0.0;
    }
    let omega = TAU * freq / f64::from(rate);
    let coeff = 2.0 * omega.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &sample in samples {
        let s0 = f64::from(sample) + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let magnitude_sq = (s1 * s1 + s2 * s2 - coeff * s1 * s2).max(0.0);
    let n = samples.len() as f64;
    2.0 * magnitude_sq / (n * n)
}

/// Mean-square power of `samples`.
pub fn mean_square(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let sum: f64 = samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    sum / samples.len() as f64
}

/// Level of `samples` in dB relative to a full-scale sine (dBov-like); silence gives
/// `f64::NEG_INFINITY`.
pub fn level_dbfs(samples: &[i16]) -> f64 {
    let full_scale_sine = 32767.0f64 * 32767.0 / 2.0;
    10.0 * (mean_square(samples) / full_scale_sine).log10()
}

/// True when 8 kHz `samples` carry a tone at `freq`: the signal is above -50 dBFS and the
/// component at `freq` holds at least 20% of its power. Use 20 ms or more of audio;
/// tones closer than about `8000 / len` Hz are not told apart.
pub fn tone_present(samples: &[i16], freq: f64) -> bool {
    let total = mean_square(samples);
    let floor = 32767.0f64 * 32767.0 / 2.0 * 1e-5;
    total >= floor && goertzel(samples, freq, SAMPLE_RATE) >= 0.2 * total
}

/// A phase-continuous sine oscillator producing 16-bit samples.
#[derive(Debug, Clone)]
pub struct SineGenerator {
    phase: f64,
    step: f64,
    amplitude: f64,
}

impl SineGenerator {
    /// An oscillator at `freq` Hz for `rate` Hz output with peak `amplitude` (clamped to
    /// 0..=32767).
    pub fn new(freq: f64, amplitude: f64, rate: u32) -> SineGenerator {
        let rate = f64::from(rate.max(1));
        SineGenerator {
            phase: 0.0,
            step: TAU * freq / rate,
            amplitude: amplitude.clamp(0.0, 32767.0),
        }
    }

    /// The next sample.
    pub fn next_sample(&mut self) -> i16 {
        let value = self.amplitude * self.phase.sin();
        self.phase = (self.phase + self.step) % TAU;
        value.round() as i16
    }

    /// Fills `out` with the next samples.
    pub fn fill(&mut self, out: &mut [i16]) {
        for sample in out {
            *sample = self.next_sample();
        }
    }
}

/// `len` samples of a sine at `freq` Hz, 8 kHz, peak `amplitude`.
pub fn sine(freq: f64, amplitude: f64, len: usize) -> Vec<i16> {
    let mut generator = SineGenerator::new(freq, amplitude, SAMPLE_RATE);
    let mut out = vec![0; len];
    generator.fill(&mut out);
    out
}
