//! The label index: which streams a tenant has, which labels they carry, and which flushed
//! chunks hold their entries over which time range.
//!
//! [`Index`] is what the store asks; [`BucketIndex`] is this crate's implementation: every
//! chunk reference in memory (postings by label name and value), made durable as
//! [`format`](mod@format) files in the bucket, one file per tenant and period (a UTC day) for each
//! commit:
//!
//! ```text
//! index/lidx_<day>/<tenant>/<writer_id>-<seq, 20 digits>.lidx
//! ```
//!
//! Files are immutable; a writer merges its own files of one tenant and period once it has
//! [`IndexConfig::compact_after_files`](crate::IndexConfig) of them. Files of other writers
//! (other processes sharing the bucket) are found by listing, at open and every
//! `resync_interval`. The folder name's `lidx_` prefix keeps Loki, whose tables are
//! `index_<day>`, from mistaking these files for its TSDB files.

pub mod format;
mod memory;
mod store;

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use loki_chunk::storage::{from_ms_for_ns, through_ms_for_ns};
use loki_chunk::{LabelSet, ObjectKey};

use crate::bucket::BucketError;
use crate::matcher::Matcher;

pub use memory::MemoryIndex;
pub use store::{BucketIndex, CommitReport, INDEX_ROOT, PERIOD_PREFIX, PollReport};

/// Milliseconds in a period of the index (a day, Loki's `period: 24h`).
pub const PERIOD_MS: i64 = 86_400_000;

/// The period (days since the epoch, UTC) of a time in ms, saturating at the ends of `u32`.
pub fn period_of_ms(ms: i64) -> u32 {
    u32::try_from(ms.div_euclid(PERIOD_MS).max(0)).unwrap_or(u32::MAX)
}

/// A flushed chunk, as the index records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChunkRef {
    /// The stream's fingerprint.
    pub fingerprint: u64,
    /// First entry's timestamp, ns.
    pub from_ns: i64,
    /// Last entry's timestamp, ns (inclusive).
    pub through_ns: i64,
    /// CRC-32C of the stored object, as in the object key.
    pub checksum: u32,
    /// Bytes of the stored object.
    pub size: u64,
    /// Entries in the chunk.
    pub entries: u64,
}

impl ChunkRef {
    /// The chunk's object key for `tenant`: its times in ms rounded as Loki's flush rounds
    /// them (from down, through up), and its checksum.
    pub fn key(&self, tenant: &str) -> ObjectKey {
        ObjectKey {
            tenant: tenant.to_owned(),
            fingerprint: self.fingerprint,
            from_ms: from_ms_for_ns(self.from_ns),
            through_ms: through_ms_for_ns(self.through_ns),
            checksum: self.checksum,
        }
    }

    /// What identifies the chunk: fingerprint, time range and checksum.
    pub fn identity(&self) -> (u64, i64, i64, u32) {
        (
            self.fingerprint,
            self.from_ns,
            self.through_ns,
            self.checksum,
        )
    }

    /// The entry timestamps the chunk holds, as a half-open ns range.
    pub fn range_ns(&self) -> std::ops::Range<i64> {
        self.from_ns..self.through_ns.saturating_add(1)
    }

    /// Whether the chunk can hold entries in `[start_ns, end_ns)`.
    pub fn overlaps(&self, start_ns: i64, end_ns: i64) -> bool {
        self.from_ns < end_ns && self.through_ns >= start_ns
    }

    /// The periods (days) the chunk's time range touches.
    pub fn periods(&self) -> std::ops::RangeInclusive<u32> {
        let day = |ns: i64| period_of_ms(ns.div_euclid(1_000_000));
        day(self.from_ns)..=day(self.through_ns.max(self.from_ns))
    }
}

/// A stream and its chunks, as a lookup returns them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedStream {
    /// The stream's labels.
    pub labels: Arc<LabelSet>,
    /// Its chunks overlapping the range asked for, sorted by `from_ns`.
    pub chunks: Vec<ChunkRef>,
}

/// What an index lookup selects: a tenant, matchers (all must hold; none selects every
/// stream) and a half-open time range in ns.
#[derive(Debug, Clone, Copy)]
pub struct Lookup<'a> {
    /// The tenant.
    pub tenant: &'a str,
    /// Label matchers.
    pub matchers: &'a [Matcher],
    /// Inclusive start (ns).
    pub start_ns: i64,
    /// Exclusive end (ns).
    pub end_ns: i64,
}

/// Counts for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct IndexStats {
    /// Tenants with at least one stream.
    pub tenants: usize,
    /// Streams, over all tenants.
    pub streams: usize,
    /// Chunk references, over all tenants.
    pub chunks: usize,
    /// Chunk references added and not yet committed.
    pub pending: usize,
}

/// A failure of the index: a file that does not check out, or the bucket.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum IndexError {
    /// The input ends before a field does.
    #[error("index file truncated at offset {offset}: need {needed} bytes, {available} left")]
    Truncated {
        /// Offset of the field.
        offset: u64,
        /// Bytes it needs.
        needed: u64,
        /// Bytes left.
        available: u64,
    },
    /// Not [`format::MAGIC`] at the start or the end.
    #[error("not an index file: magic {found:?}")]
    BadMagic {
        /// The four bytes found.
        found: [u8; 4],
    },
    /// A version this crate does not read.
    #[error(
        "unsupported index file version {found} (readable: {})",
        format::VERSION
    )]
    UnsupportedVersion {
        /// The version byte.
        found: u8,
    },
    /// The CRC-32C does not match.
    #[error("index file checksum mismatch: stored {expected:#010x}, computed {found:#010x}")]
    Checksum {
        /// The stored checksum.
        expected: u32,
        /// The computed one.
        found: u32,
    },
    /// A malformed varint.
    #[error("malformed varint at offset {offset}")]
    BadVarint {
        /// Its offset.
        offset: u64,
    },
    /// A value outside what the format allows.
    #[error("{field} at offset {offset} is {found}, limit {limit}")]
    OutOfRange {
        /// The field.
        field: &'static str,
        /// Its offset.
        offset: u64,
        /// The value found.
        found: u64,
        /// The limit.
        limit: u64,
    },
    /// A string that is not UTF-8.
    #[error("string at offset {offset} is not UTF-8")]
    Utf8 {
        /// Its offset.
        offset: u64,
    },
    /// Bytes after the last field.
    #[error("{count} unexpected bytes after offset {offset}")]
    TrailingBytes {
        /// Offset of the first one.
        offset: u64,
        /// How many.
        count: u64,
    },
    /// A symbol reference beyond the table.
    #[error("symbol reference {index} at offset {offset}, table has {symbols}")]
    BadSymbol {
        /// Offset of the reference.
        offset: u64,
        /// The reference.
        index: u64,
        /// Symbols in the table.
        symbols: u64,
    },
    /// A stream's labels are not a valid label set.
    #[error("stream at offset {offset}: {reason}")]
    InvalidLabels {
        /// Offset of the stream.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// A stream's stored fingerprint is not its labels' fingerprint.
    #[error("stream at offset {offset}: fingerprint {stored:x} stored, labels give {computed:x}")]
    FingerprintMismatch {
        /// Offset of the stream.
        offset: u64,
        /// The stored fingerprint.
        stored: u64,
        /// The labels' fingerprint.
        computed: u64,
    },
    /// The file's parts disagree with each other.
    #[error("index file inconsistent at offset {offset}: {what}")]
    Inconsistent {
        /// Where.
        offset: u64,
        /// What.
        what: &'static str,
    },
    /// A file's tenant or period is not the one its path names.
    #[error("index file {path}: holds {field} {found}, its path names another")]
    PathMismatch {
        /// The file.
        path: String,
        /// `"tenant"` or `"period"`.
        field: &'static str,
        /// The value inside.
        found: String,
    },
    /// The bucket failed.
    #[error("index file {path}: {source}")]
    Bucket {
        /// The file.
        path: String,
        /// The bucket's error.
        source: BucketError,
    },
}

/// An index of streams and chunk references. Lookups are answered from memory; [`commit`]
/// makes what was [`add`]ed durable, [`poll`] takes in what other writers stored.
///
/// [`add`]: Index::add
/// [`commit`]: Index::commit
/// [`poll`]: Index::poll
#[async_trait]
pub trait Index: Send + Sync + fmt::Debug {
    /// Streams matching the lookup with at least one chunk overlapping its range, each with
    /// those chunks.
    fn chunks(&self, lookup: Lookup<'_>) -> Vec<IndexedStream>;

    /// Streams matching the lookup with data in its range.
    fn series(&self, lookup: Lookup<'_>) -> Vec<Arc<LabelSet>> {
        self.chunks(lookup).into_iter().map(|s| s.labels).collect()
    }

    /// Label names of the streams matching the lookup, sorted.
    fn label_names(&self, lookup: Lookup<'_>) -> Vec<String>;

    /// Values of label `name` of the streams matching the lookup, sorted.
    fn label_values(&self, lookup: Lookup<'_>, name: &str) -> Vec<String>;

    /// Records a chunk just stored in the bucket: visible to lookups at once, durable after
    /// the next successful [`Index::commit`].
    fn add(&self, tenant: &str, labels: &Arc<LabelSet>, chunk: ChunkRef);

    /// Makes every chunk added so far durable.
    ///
    /// # Errors
    ///
    /// The bucket's error; what was not committed is retried by the next commit.
    async fn commit(&self) -> Result<CommitReport, IndexError>;

    /// Loads what other writers (or earlier runs of this one) stored since the last poll.
    ///
    /// # Errors
    ///
    /// A listing error. Files that cannot be read are reported in the result and retried.
    async fn poll(&self) -> Result<PollReport, IndexError>;

    /// Counts for metrics.
    fn stats(&self) -> IndexStats;
}
