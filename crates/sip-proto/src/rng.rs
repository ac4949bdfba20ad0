//! A small seeded random generator (splitmix64 seeding a xorshift64*)
//! for tags, branches, Call-IDs and nonces. Not cryptographic: secrets
//! that must resist guessing (nonce keys) come from configuration.

/// A deterministic pseudo-random generator.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

impl Rng {
    /// A generator whose whole output is determined by `seed`.
    pub fn new(seed: u64) -> Rng {
        // splitmix64 spreads any seed (even 0) over the state space.
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        Rng { state: z | 1 }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A uniform value in `0..bound` (`0` when `bound` is 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            return 0;
        }
        self.next_u64() % bound
    }

    /// `len` random lower-case alphanumeric characters.
    pub fn token(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| {
                let index = self.below(ALPHABET.len() as u64) as usize;
                ALPHABET.get(index).map_or('x', |byte| char::from(*byte))
            })
            .collect()
    }

    /// A From/To tag.
    pub fn tag(&mut self) -> String {
        self.token(10)
    }

    /// A Via branch with the RFC 3261 magic cookie.
    pub fn branch(&mut self) -> String {
        format!("z9hG4bK{}", self.token(16))
    }

    /// A Call-ID, `random@host`.
    pub fn call_id(&mut self, host: &str) -> String {
        format!("{}@{host}", self.token(20))
    }
}
