//! Per-address rate limiting of the portal's form posts: an in-memory token bucket per client.
//!
//! The key is the peer address from the connection (axum `ConnectInfo`); IPv6 clients are keyed
//! by their /64 network, since one subscriber usually holds a whole /64. `X-Forwarded-For` is not
//! trusted: behind a reverse proxy, limit there. Each node keeps its own buckets; the limit is a
//! brake on abuse, not an exact quota. The table is pruned of full buckets so it cannot grow
//! without bound.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

/// When the table holds more keys than this, full buckets are dropped.
const PRUNE_ABOVE: usize = 10_000;

pub(crate) struct RateLimiter {
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
    /// The burst a client may send at once.
    capacity: f64,
    /// Tokens added per second.
    refill_per_second: f64,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl RateLimiter {
    /// Allows `per_minute` requests a minute per client, with bursts of the same size.
    pub(crate) fn per_minute(per_minute: u32) -> RateLimiter {
        let per_minute = f64::from(per_minute.max(1));
        RateLimiter { buckets: Mutex::new(HashMap::new()), capacity: per_minute, refill_per_second: per_minute / 60.0 }
    }

    /// Takes a token for `peer` at `now`; `false` when its bucket is empty.
    pub(crate) fn allow(&self, peer: Option<IpAddr>, now: Instant) -> bool {
        let key = peer.map(network).unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let mut buckets = match self.buckets.lock() {
            Ok(buckets) => buckets,
            Err(poisoned) => poisoned.into_inner(),
        };
        if buckets.len() > PRUNE_ABOVE {
            let (capacity, refill) = (self.capacity, self.refill_per_second);
            buckets.retain(|_, bucket| refilled(*bucket, now, capacity, refill) < capacity);
        }
        let bucket = buckets.entry(key).or_insert(Bucket { tokens: self.capacity, updated: now });
        let tokens = refilled(*bucket, now, self.capacity, self.refill_per_second);
        if tokens >= 1.0 {
            *bucket = Bucket { tokens: tokens - 1.0, updated: now };
            true
        } else {
            *bucket = Bucket { tokens, updated: now };
            false
        }
    }
}

fn refilled(bucket: Bucket, now: Instant, capacity: f64, refill_per_second: f64) -> f64 {
    let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
    (bucket.tokens + elapsed * refill_per_second).min(capacity)
}

/// The address itself for IPv4, the /64 network for IPv6.
fn network(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return IpAddr::V4(v4);
            }
            let mut segments = v6.segments();
            segments[4..].fill(0);
            IpAddr::from(segments)
        }
    }
}
