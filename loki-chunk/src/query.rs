//! What a read selects: a time range, a direction and a line predicate.

use crate::entry::Direction;

/// Nanoseconds per millisecond: entry timestamps are ns, object keys and chunk metadata ms.
pub const NANOS_PER_MILLI: i64 = 1_000_000;

/// A line predicate pushed into decoding: entries whose line it rejects are never copied.
pub type LineFilter<'f> = &'f dyn Fn(&[u8]) -> bool;

/// What to read: a half-open time range `[from, through)`, a direction and an optional line
/// predicate.
#[derive(Clone, Copy)]
pub struct Query<'f> {
    /// Inclusive lower bound (ns).
    pub from: i64,
    /// Exclusive upper bound (ns).
    pub through: i64,
    /// Iteration order.
    pub direction: Direction,
    /// Lines this rejects are skipped before anything is copied.
    pub filter: Option<LineFilter<'f>>,
}

impl std::fmt::Debug for Query<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Query")
            .field("from", &self.from)
            .field("through", &self.through)
            .field("direction", &self.direction)
            .field("filter", &self.filter.is_some())
            .finish()
    }
}

impl Default for Query<'_> {
    fn default() -> Self {
        Self::all()
    }
}

impl<'f> Query<'f> {
    /// Every entry, forward.
    pub fn all() -> Self {
        Self {
            from: i64::MIN,
            through: i64::MAX,
            direction: Direction::Forward,
            filter: None,
        }
    }

    /// Entries in `[from, through)`, forward.
    pub fn range(from: i64, through: i64) -> Self {
        Self {
            from,
            through,
            ..Self::all()
        }
    }

    /// Entries in the millisecond range `[from_ms, through_ms]`, both ends inclusive, as
    /// Loki's keys, chunk metadata and `model.Time` ranges give them: every entry whose
    /// timestamp falls in one of those milliseconds, i.e. ns
    /// `[from_ms × 10⁶, (through_ms + 1) × 10⁶)` (saturating at the ends of `i64`).
    ///
    /// ```
    /// use loki_chunk::Query;
    /// let q = Query::range_ms(1_717_200_000_000, 1_717_200_000_999);
    /// assert_eq!((q.from, q.through), (1_717_200_000_000_000_000, 1_717_200_001_000_000_000));
    /// ```
    pub fn range_ms(from_ms: i64, through_ms: i64) -> Self {
        Self::range(
            from_ms.saturating_mul(NANOS_PER_MILLI),
            through_ms.saturating_add(1).saturating_mul(NANOS_PER_MILLI),
        )
    }

    /// The same query in `direction`.
    #[must_use]
    pub fn direction(mut self, direction: Direction) -> Self {
        self.direction = direction;
        self
    }

    /// The same query keeping only lines `filter` accepts.
    #[must_use]
    pub fn filter(mut self, filter: LineFilter<'f>) -> Self {
        self.filter = Some(filter);
        self
    }

    pub(crate) fn accepts(&self, ts: i64, line: &[u8]) -> bool {
        ts >= self.from && ts < self.through && self.filter.is_none_or(|f| f(line))
    }
}
