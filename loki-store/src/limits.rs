//! The per-tenant ingestion rate limiter: a token bucket in bytes, refilled at
//! `ingestion_rate_mb` up to `ingestion_burst_size_mb` (Loki's distributor limiter, which
//! refuses a push it cannot admit at once and then takes nothing from the bucket).

use std::time::Duration;

/// Bytes a tenant may push now.
#[derive(Debug, Clone)]
pub(crate) struct TokenBucket {
    tokens: f64,
    last: Duration,
}

impl TokenBucket {
    /// A full bucket.
    #[allow(clippy::cast_precision_loss)]
    pub(crate) fn new(burst: u64, now: Duration) -> Self {
        Self {
            tokens: burst as f64,
            last: now,
        }
    }

    /// Whether the bucket has refilled to `burst` by `now` (its state is then worth nothing).
    #[allow(clippy::cast_precision_loss)]
    pub(crate) fn is_full(&self, rate: u64, burst: u64, now: Duration) -> bool {
        let elapsed = now.saturating_sub(self.last).as_secs_f64();
        self.tokens + elapsed * rate as f64 >= burst as f64
    }

    /// Takes `n` bytes if the bucket holds them after refilling to `now`; takes nothing
    /// otherwise.
    #[allow(clippy::cast_precision_loss)]
    pub(crate) fn try_take(&mut self, n: u64, rate: u64, burst: u64, now: Duration) -> bool {
        let elapsed = now.saturating_sub(self.last).as_secs_f64();
        self.last = self.last.max(now);
        self.tokens = (self.tokens + elapsed * rate as f64).min(burst as f64);
        if self.tokens >= n as f64 {
            self.tokens -= n as f64;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refills_at_the_rate_up_to_the_burst_and_refusals_cost_nothing() {
        let t0 = Duration::from_secs(1_000);
        let mut b = TokenBucket::new(100, t0);
        assert!(b.try_take(60, 10, 100, t0));
        assert!(!b.try_take(50, 10, 100, t0));
        assert!(b.try_take(40, 10, 100, t0));
        assert!(b.try_take(10, 10, 100, t0 + Duration::from_secs(1)));
        assert!(!b.try_take(1, 10, 100, t0 + Duration::from_secs(1)));
        assert!(!b.try_take(101, 10, 100, t0 + Duration::from_secs(1000)));
        assert!(b.is_full(10, 100, t0 + Duration::from_secs(1000)));
        assert!(b.try_take(100, 10, 100, t0 + Duration::from_secs(1000)));
        assert!(!b.is_full(10, 100, t0 + Duration::from_secs(1000)));
    }
}
