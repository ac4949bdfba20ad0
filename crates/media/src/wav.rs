//! WAV files: reading prompts (RIFF/WAVE with 8- or 16-bit PCM, A-law or µ-law, mono or
//! stereo, any common rate, resampled to 8 kHz mono) and writing recordings (16-bit PCM,
//! or raw G.711 with format tags 6/7, a `cbSize` and a `fact` chunk).

use std::fmt;

use crate::SAMPLE_RATE;
use crate::g711::Codec;
use crate::rtp::{be16, be32};

#[cfg(test)]
mod tests;

const FORMAT_PCM: u16 = 1;
const FORMAT_ALAW: u16 = 6;
const FORMAT_ULAW: u16 = 7;
const FORMAT_EXTENSIBLE: u16 = 0xFFFE;

/// Lowest and highest sample rates accepted when reading.
const RATES: std::ops::RangeInclusive<u32> = 4_000..=192_000;

/// Why bytes are not a WAV file this crate can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WavError {
    /// The file does not start with `RIFF....WAVE`.
    NotWave,
    /// A chunk header is cut off.
    Truncated,
    /// There is no `fmt ` chunk, or it is shorter than 16 bytes.
    MissingFormat,
    /// There is no `data` chunk.
    MissingData,
    /// The format tag is not PCM (1), A-law (6), µ-law (7) or extensible PCM/G.711.
    UnsupportedFormat(u16),
    /// The sample width does not fit the format (PCM 8 or 16 bits, G.711 8 bits).
    UnsupportedBits(u16),
    /// More than two channels, or none.
    UnsupportedChannels(u16),
    /// The sample rate is outside 4 kHz to 192 kHz.
    UnsupportedRate(u32),
}

impl fmt::Display for WavError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WavError::NotWave => write!(f, "not a riff/wave file"),
            WavError::Truncated => write!(f, "truncated wav chunk header"),
            WavError::MissingFormat => write!(f, "missing or short fmt chunk"),
            WavError::MissingData => write!(f, "missing data chunk"),
            WavError::UnsupportedFormat(tag) => write!(f, "unsupported wav format tag {tag:#06x}"),
            WavError::UnsupportedBits(bits) => write!(f, "unsupported sample width of {bits} bits"),
            WavError::UnsupportedChannels(channels) => {
                write!(f, "unsupported channel count {channels}")
            }
            WavError::UnsupportedRate(rate) => write!(f, "unsupported sample rate {rate} Hz"),
        }
    }
}

impl std::error::Error for WavError {}

/// The sample encoding of a WAV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleFormat {
    /// Unsigned 8-bit PCM.
    Pcm8,
    /// Signed little-endian 16-bit PCM.
    Pcm16,
    /// G.711 A-law or µ-law.
    G711(Codec),
}

/// Decoded audio: mono linear samples at the file's rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audio {
    /// The file's sample encoding.
    pub format: SampleFormat,
    /// Channels in the file (the samples are downmixed to mono).
    pub channels: u16,
    /// Samples per second.
    pub sample_rate: u32,
    /// Mono samples.
    pub samples: Vec<i16>,
}

/// Reads a WAV file into mono samples at its own rate. A `data` chunk longer than the
/// file (as written by streaming encoders) is read up to the end of the file.
pub fn read_wav(bytes: &[u8]) -> Result<Audio, WavError> {
    if bytes.get(0..4) != Some(b"RIFF") || bytes.get(8..12) != Some(b"WAVE") {
        return Err(WavError::NotWave);
    }
    let mut format_chunk = None;
    let mut data_chunk = None;
    let mut offset = 12;
    while offset < bytes.len() && (format_chunk.is_none() || data_chunk.is_none()) {
        let (Some(id), Some(size)) = (bytes.get(offset..offset + 4), le32(bytes, offset + 4))
        else {
            return Err(WavError::Truncated);
        };
        let start = offset + 8;
        let end = start.saturating_add(size as usize).min(bytes.len());
        let body = bytes.get(start..end).unwrap_or_default();
        match id {
            b"fmt " => format_chunk = Some(body),
            b"data" => data_chunk = Some(body),
            _ => {}
        }
        // Chunks are padded to an even length.
        offset = end.saturating_add(end % 2);
    }
    let format_chunk = format_chunk.ok_or(WavError::MissingFormat)?;
    let (Some(mut tag), Some(channels), Some(sample_rate), Some(bits)) = (
        le16(format_chunk, 0),
        le16(format_chunk, 2),
        le32(format_chunk, 4),
        le16(format_chunk, 14),
    ) else {
        return Err(WavError::MissingFormat);
    };
    if tag == FORMAT_EXTENSIBLE {
        // The sub-format GUID starts with the plain format tag.
        tag = le16(format_chunk, 24).ok_or(WavError::MissingFormat)?;
    }
    let format = match (tag, bits) {
        (FORMAT_PCM, 8) => SampleFormat::Pcm8,
        (FORMAT_PCM, 16) => SampleFormat::Pcm16,
        (FORMAT_ALAW, 8) => SampleFormat::G711(Codec::Pcma),
        (FORMAT_ULAW, 8) => SampleFormat::G711(Codec::Pcmu),
        (FORMAT_PCM | FORMAT_ALAW | FORMAT_ULAW, _) => return Err(WavError::UnsupportedBits(bits)),
        _ => return Err(WavError::UnsupportedFormat(tag)),
    };
    if !(1..=2).contains(&channels) {
        return Err(WavError::UnsupportedChannels(channels));
    }
    if !RATES.contains(&sample_rate) {
        return Err(WavError::UnsupportedRate(sample_rate));
    }
    let data = data_chunk.ok_or(WavError::MissingData)?;

    let decoded: Vec<i16> = match format {
        SampleFormat::Pcm8 => data.iter().map(|&b| (i16::from(b) - 128) << 8).collect(),
        SampleFormat::Pcm16 => data
            .chunks_exact(2)
            .map(|pair| i16::from_le_bytes([pair[0], pair[1]]))
            .collect(),
        SampleFormat::G711(codec) => data.iter().map(|&b| codec.decode_sample(b)).collect(),
    };
    let samples = if channels == 2 {
        decoded
            .chunks_exact(2)
            .map(|pair| ((i32::from(pair[0]) + i32::from(pair[1])) / 2) as i16)
            .collect()
    } else {
        decoded
    };
    Ok(Audio {
        format,
        channels,
        sample_rate,
        samples,
    })
}

/// Reads a WAV file as a prompt: mono, 8 kHz, resampled when the file has another rate.
pub fn load_prompt(bytes: &[u8]) -> Result<Vec<i16>, WavError> {
    let audio = read_wav(bytes)?;
    Ok(resample(&audio.samples, audio.sample_rate, SAMPLE_RATE))
}

/// Converts `samples` from `from_rate` to `to_rate` by linear interpolation, after a
/// 33-tap windowed-sinc low-pass at 45% of the target rate when downsampling. Good
/// enough for speech prompts, not for music mastering. A zero rate returns the input.
pub fn resample(samples: &[i16], from_rate: u32, to_rate: u32) -> Vec<i16> {
    if from_rate == to_rate || from_rate == 0 || to_rate == 0 || samples.is_empty() {
        return samples.to_vec();
    }
    let filtered: Vec<f32> = if to_rate < from_rate {
        low_pass(samples, 0.45 * to_rate as f32 / from_rate as f32)
    } else {
        samples.iter().map(|&s| f32::from(s)).collect()
    };
    let (from, to) = (u64::from(from_rate), u64::from(to_rate));
    let out_len = (samples.len() as u64 * to / from) as usize;
    let last = filtered.last().copied().unwrap_or(0.0);
    (0..out_len as u64)
        .map(|i| {
            let position = i * from;
            let index = (position / to) as usize;
            let fraction = (position % to) as f32 / to as f32;
            let a = filtered.get(index).copied().unwrap_or(last);
            let b = filtered.get(index + 1).copied().unwrap_or(a);
            (a + (b - a) * fraction).round().clamp(-32768.0, 32767.0) as i16
        })
        .collect()
}

/// Hamming-windowed sinc low-pass with `cutoff` as a fraction of the input rate.
fn low_pass(samples: &[i16], cutoff: f32) -> Vec<f32> {
    const HALF: usize = 16;
    let mut taps = [0f32; 2 * HALF + 1];
    for (n, tap) in taps.iter_mut().enumerate() {
        let x = n as f32 - HALF as f32;
        let sinc = if x == 0.0 {
            2.0 * cutoff
        } else {
            (2.0 * std::f32::consts::PI * cutoff * x).sin() / (std::f32::consts::PI * x)
        };
        let window =
            0.54 - 0.46 * (2.0 * std::f32::consts::PI * n as f32 / (2 * HALF) as f32).cos();
        *tap = sinc * window;
    }
    let sum: f32 = taps.iter().sum();
    for tap in &mut taps {
        *tap /= sum;
    }
    (0..samples.len())
        .map(|i| {
            taps.iter()
                .enumerate()
                .filter_map(|(k, tap)| {
                    let index = (i + k).checked_sub(HALF)?;
                    samples.get(index).map(|&s| f32::from(s) * tap)
                })
                .sum()
        })
        .collect()
}

/// Writes 16-bit PCM samples (interleaved when `channels` is 2) as a WAV file.
pub fn write_wav(samples: &[i16], channels: u16, sample_rate: u32) -> Vec<u8> {
    let data_len = samples.len() * 2;
    let mut out = Vec::with_capacity(44 + data_len);
    write_riff_header(&mut out, 36 + data_len);
    write_fmt(&mut out, FORMAT_PCM, channels, sample_rate, 16, None);
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(data_len as u32).to_le_bytes());
    for sample in samples {
        out.extend_from_slice(&sample.to_le_bytes());
    }
    out
}

/// Writes raw mono 8 kHz G.711 bytes as a WAV file (format tag 6 or 7, `cbSize` 0 and a
/// `fact` chunk with the sample count).
pub fn write_wav_g711(codec: Codec, data: &[u8]) -> Vec<u8> {
    let tag = match codec {
        Codec::Pcma => FORMAT_ALAW,
        Codec::Pcmu => FORMAT_ULAW,
    };
    let padded = data.len() + data.len() % 2;
    let mut out = Vec::with_capacity(58 + padded);
    write_riff_header(&mut out, 4 + 26 + 12 + 8 + padded);
    write_fmt(&mut out, tag, 1, SAMPLE_RATE, 8, Some(0));
    out.extend_from_slice(b"fact");
    out.extend_from_slice(&4u32.to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(data);
    if data.len() % 2 == 1 {
        out.push(0);
    }
    out
}

fn write_riff_header(out: &mut Vec<u8>, riff_len: usize) {
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(riff_len as u32).to_le_bytes());
    out.extend_from_slice(b"WAVE");
}

fn write_fmt(
    out: &mut Vec<u8>,
    tag: u16,
    channels: u16,
    sample_rate: u32,
    bits: u16,
    extra_size: Option<u16>,
) {
    let block_align = channels * bits / 8;
    out.extend_from_slice(b"fmt ");
    out.extend_from_slice(&(if extra_size.is_some() { 18u32 } else { 16 }).to_le_bytes());
    out.extend_from_slice(&tag.to_le_bytes());
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&sample_rate.to_le_bytes());
    out.extend_from_slice(&(sample_rate * u32::from(block_align)).to_le_bytes());
    out.extend_from_slice(&block_align.to_le_bytes());
    out.extend_from_slice(&bits.to_le_bytes());
    if let Some(size) = extra_size {
        out.extend_from_slice(&size.to_le_bytes());
    }
}

fn le16(bytes: &[u8], at: usize) -> Option<u16> {
    be16(bytes, at).map(u16::swap_bytes)
}

fn le32(bytes: &[u8], at: usize) -> Option<u32> {
    be32(bytes, at).map(u32::swap_bytes)
}
