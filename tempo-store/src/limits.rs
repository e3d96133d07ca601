//! The per-tenant ingestion rate limiter: a token bucket in bytes (Tempo's "local" strategy).

use std::time::Duration;

/// Bytes a tenant may push: refilled at `rate` per second up to `burst`.
#[derive(Debug, Clone)]
pub(crate) struct TokenBucket {
    tokens: f64,
    last: Duration,
}

impl TokenBucket {
    pub(crate) fn new(burst: u64, now: Duration) -> Self {
        #[allow(clippy::cast_precision_loss)]
        Self {
            tokens: burst as f64,
            last: now,
        }
    }

    /// Whether the bucket is full at `now` (no state worth keeping).
    #[allow(clippy::cast_precision_loss)]
    pub(crate) fn is_full(&self, rate: u64, burst: u64, now: Duration) -> bool {
        let elapsed = now.saturating_sub(self.last).as_secs_f64();
        self.tokens + elapsed * rate as f64 >= burst as f64
    }

    /// Takes `n` bytes if the bucket holds them after refilling to `now`.
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
    fn refills_at_the_rate_up_to_the_burst() {
        let t0 = Duration::ZERO;
        let mut b = TokenBucket::new(100, t0);
        assert!(b.try_take(100, 10, 100, t0));
        assert!(!b.try_take(1, 10, 100, t0));
        assert!(b.try_take(10, 10, 100, Duration::from_secs(1)));
        assert!(!b.try_take(1, 10, 100, Duration::from_secs(1)));
        assert!(b.try_take(100, 10, 100, Duration::from_secs(1000)));
        assert!(!b.try_take(1, 10, 100, Duration::from_secs(1000)));
    }
}
