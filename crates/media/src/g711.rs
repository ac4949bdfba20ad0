//! ITU-T G.711 A-law and µ-law companding, bit-exact with the reference tables
//! (the classic Sun `g711.c`), plus the [`Codec`] enum naming the two RTP payloads.

#[cfg(test)]
mod tests;

/// One of the two G.711 variants, as negotiated in SDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// µ-law, static RTP payload type 0.
    Pcmu,
    /// A-law, static RTP payload type 8.
    Pcma,
}

impl Codec {
    /// The static RTP payload type (RFC 3551).
    pub fn payload_type(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
        }
    }

    /// The codec for a static payload type, if it is one of the two.
    pub fn from_payload_type(payload_type: u8) -> Option<Codec> {
        match payload_type {
            0 => Some(Codec::Pcmu),
            8 => Some(Codec::Pcma),
            _ => None,
        }
    }

    /// The encoded byte of digital silence (linear zero).
    pub fn silence(self) -> u8 {
        match self {
            Codec::Pcmu => 0xFF,
            Codec::Pcma => 0xD5,
        }
    }

    /// Encodes one linear sample.
    pub fn encode_sample(self, sample: i16) -> u8 {
        match self {
            Codec::Pcmu => linear_to_ulaw(sample),
            Codec::Pcma => linear_to_alaw(sample),
        }
    }

    /// Decodes one byte to a linear sample.
    pub fn decode_sample(self, byte: u8) -> i16 {
        match self {
            Codec::Pcmu => ulaw_to_linear(byte),
            Codec::Pcma => alaw_to_linear(byte),
        }
    }

    /// Encodes `samples` into the front of `out`; returns the number of bytes written,
    /// which is the shorter of the two lengths.
    pub fn encode(self, samples: &[i16], out: &mut [u8]) -> usize {
        let written = samples.len().min(out.len());
        for (byte, &sample) in out.iter_mut().zip(samples) {
            *byte = self.encode_sample(sample);
        }
        written
    }

    /// Decodes `bytes` into the front of `out`; returns the number of samples written,
    /// which is the shorter of the two lengths.
    pub fn decode(self, bytes: &[u8], out: &mut [i16]) -> usize {
        let written = bytes.len().min(out.len());
        let table = match self {
            Codec::Pcmu => &ULAW_TO_LINEAR,
            Codec::Pcma => &ALAW_TO_LINEAR,
        };
        for (sample, &byte) in out.iter_mut().zip(bytes) {
            *sample = table[usize::from(byte)];
        }
        written
    }
}

/// Encodes a 16-bit linear sample to A-law (the top 13 bits are used).
pub fn linear_to_alaw(sample: i16) -> u8 {
    // A table, not the arithmetic: the player encodes every hold-music sample of every call.
    LINEAR_TO_ALAW[usize::from((sample >> 3) as u16 & 0x1FFF)]
}

const fn alaw_encode(sample: i16) -> u8 {
    let mut pcm = (sample as i32) >> 3;
    let mask: u8 = if pcm >= 0 {
        0xD5
    } else {
        pcm = -pcm - 1;
        0x55
    };
    // Segment = position of the highest set bit above the 5-bit quantisation field.
    let segment = match pcm {
        0..=0x1F => 0,
        0x20..=0x3F => 1,
        0x40..=0x7F => 2,
        0x80..=0xFF => 3,
        0x100..=0x1FF => 4,
        0x200..=0x3FF => 5,
        0x400..=0x7FF => 6,
        0x800..=0xFFF => 7,
        _ => return 0x7F ^ mask,
    };
    let mantissa = if segment < 2 {
        (pcm >> 1) & 0x0F
    } else {
        (pcm >> segment) & 0x0F
    };
    ((segment << 4) as u8 | mantissa as u8) ^ mask
}

/// Decodes an A-law byte to a 16-bit linear sample.
pub fn alaw_to_linear(byte: u8) -> i16 {
    ALAW_TO_LINEAR[usize::from(byte)]
}

/// Encodes a 16-bit linear sample to µ-law (the top 14 bits are used).
pub fn linear_to_ulaw(sample: i16) -> u8 {
    LINEAR_TO_ULAW[usize::from((sample >> 2) as u16 & 0x3FFF)]
}

const fn ulaw_encode(sample: i16) -> u8 {
    const BIAS: i32 = 0x84;
    const CLIP: i32 = 8159;
    let mut pcm = (sample as i32) >> 2;
    let mask: u8 = if pcm < 0 {
        pcm = -pcm;
        0x7F
    } else {
        0xFF
    };
    let pcm = if pcm > CLIP { CLIP } else { pcm } + (BIAS >> 2);
    let segment = match pcm {
        0..=0x3F => 0,
        0x40..=0x7F => 1,
        0x80..=0xFF => 2,
        0x100..=0x1FF => 3,
        0x200..=0x3FF => 4,
        0x400..=0x7FF => 5,
        0x800..=0xFFF => 6,
        0x1000..=0x1FFF => 7,
        _ => return 0x7F ^ mask,
    };
    let byte = (segment << 4) as u8 | ((pcm >> (segment + 1)) & 0x0F) as u8;
    byte ^ mask
}

/// Decodes a µ-law byte to a 16-bit linear sample.
pub fn ulaw_to_linear(byte: u8) -> i16 {
    ULAW_TO_LINEAR[usize::from(byte)]
}

const fn alaw_decode(byte: u8) -> i16 {
    let a = byte ^ 0x55;
    let mut t = ((a & 0x0F) as i32) << 4;
    let segment = ((a & 0x70) >> 4) as i32;
    match segment {
        0 => t += 8,
        1 => t += 0x108,
        _ => {
            t += 0x108;
            t <<= segment - 1;
        }
    }
    if a & 0x80 != 0 { t as i16 } else { -t as i16 }
}

const fn ulaw_decode(byte: u8) -> i16 {
    const BIAS: i32 = 0x84;
    let u = !byte;
    let mut t = (((u & 0x0F) as i32) << 3) + BIAS;
    t <<= ((u & 0x70) >> 4) as i32;
    if u & 0x80 != 0 {
        (BIAS - t) as i16
    } else {
        (t - BIAS) as i16
    }
}

static ALAW_TO_LINEAR: [i16; 256] = table_alaw();
/// A-law of every 13-bit sample (the 16-bit sample shifted right by 3, two's complement).
static LINEAR_TO_ALAW: [u8; 8192] = table_linear_to_alaw();
/// µ-law of every 14-bit sample (the 16-bit sample shifted right by 2, two's complement).
static LINEAR_TO_ULAW: [u8; 16384] = table_linear_to_ulaw();

const fn table_linear_to_alaw() -> [u8; 8192] {
    let mut out = [0u8; 8192];
    let mut i = 0;
    while i < 8192 {
        let value = if i >= 4096 { i as i32 - 8192 } else { i as i32 };
        out[i] = alaw_encode((value << 3) as i16);
        i += 1;
    }
    out
}

const fn table_linear_to_ulaw() -> [u8; 16384] {
    let mut out = [0u8; 16384];
    let mut i = 0;
    while i < 16384 {
        let value = if i >= 8192 {
            i as i32 - 16384
        } else {
            i as i32
        };
        out[i] = ulaw_encode((value << 2) as i16);
        i += 1;
    }
    out
}
static ULAW_TO_LINEAR: [i16; 256] = table_ulaw();

const fn table_alaw() -> [i16; 256] {
    let mut out = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        out[i] = alaw_decode(i as u8);
        i += 1;
    }
    out
}

const fn table_ulaw() -> [i16; 256] {
    let mut out = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        out[i] = ulaw_decode(i as u8);
        i += 1;
    }
    out
}
