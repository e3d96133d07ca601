//! Time, injected: the store reads it only through a [`Clock`], so tests move it by hand.
//!
//! Unlike a trace store, a log store compares the clock with the timestamps clients send
//! (`reject_old_samples_max_age`, `creation_grace_period`), so the clock gives wall time: a
//! [`Duration`] since the Unix epoch. Idle periods and rate limits are measured on the same
//! clock; a wall clock stepping backwards only delays them (differences saturate at zero).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of time for the store.
pub trait Clock: Send + Sync + std::fmt::Debug + 'static {
    /// Time since the Unix epoch.
    fn now(&self) -> Duration;

    /// [`Clock::now`] in nanoseconds since the epoch, as log entry timestamps are (saturating
    /// at `i64::MAX`, in the year 2262).
    fn now_ns(&self) -> i64 {
        i64::try_from(self.now().as_nanos()).unwrap_or(i64::MAX)
    }
}

/// The machine's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
    }
}

/// A clock that moves only when told to, for tests. Clones share the time.
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    nanos: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock at the Unix epoch.
    pub fn new() -> Self {
        Self::default()
    }

    /// A clock at `since_epoch`.
    pub fn at(since_epoch: Duration) -> Self {
        let clock = Self::new();
        clock.set(since_epoch);
        clock
    }

    /// A clock at `ns` nanoseconds since the epoch (negative values clamp to the epoch).
    pub fn at_ns(ns: i64) -> Self {
        Self::at(Duration::from_nanos(u64::try_from(ns).unwrap_or(0)))
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let n = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.nanos.fetch_add(n, Ordering::SeqCst);
    }

    /// Sets the clock to `since_epoch`.
    pub fn set(&self, since_epoch: Duration) {
        let n = u64::try_from(since_epoch.as_nanos()).unwrap_or(u64::MAX);
        self.nanos.store(n, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::at_ns(1_700_000_000_000_000_000);
        let shared = c.clone();
        assert_eq!(c.now_ns(), 1_700_000_000_000_000_000);
        shared.advance(Duration::from_secs(1));
        assert_eq!(c.now_ns(), 1_700_000_001_000_000_000);
        assert!(SystemClock.now_ns() > 1_700_000_000_000_000_000);
        assert_eq!(ManualClock::at_ns(-5).now_ns(), 0);
    }
}
