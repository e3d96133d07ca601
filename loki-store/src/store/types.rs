//! What the store's API returns.

use std::collections::BTreeMap;
use std::sync::Arc;

use loki_chunk::LabelSet;

use crate::index::IndexStats;

/// One entry a selection returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// The stream's labels.
    pub labels: Arc<LabelSet>,
    /// Timestamp, ns since the epoch.
    pub ts: i64,
    /// The line.
    pub line: Vec<u8>,
    /// Structured metadata, names normalised and sorted by name (as Loki returns them).
    pub structured_metadata: Vec<(String, String)>,
}

/// Why a chunk was left out of a selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SkipReason {
    /// The index names an object the bucket does not have.
    Missing,
    /// The bucket failed to return it.
    Unreadable,
    /// Its bytes do not check out (object checksum, metadata, chunk layout), or a block
    /// failed to decode part way (entries before it were returned).
    Corrupt,
}

impl SkipReason {
    /// A short name for metrics and statistics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Unreadable => "unreadable",
            Self::Corrupt => "corrupt",
        }
    }
}

/// A chunk left out of a selection, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SkippedChunk {
    /// The chunk's object key (schema v13 form).
    pub key: String,
    /// Why.
    pub reason: SkipReason,
    /// The error's text.
    pub detail: String,
}

/// What a selection read and left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SelectStats {
    /// Streams matching the selection's matchers with data in its range.
    pub streams: usize,
    /// Chunks in memory (heads and chunks not yet flushed) read.
    pub memory_chunks: usize,
    /// Flushed chunks fetched from the bucket.
    pub chunks_fetched: usize,
    /// Bytes fetched from the bucket.
    pub bytes_fetched: u64,
    /// Chunks left out (missing, unreadable or corrupt); the selection went on without them.
    pub chunks_skipped: usize,
    /// Blocks inside otherwise readable chunks left out because their checksum did not match.
    pub blocks_skipped: usize,
    /// The chunks left out, with why (at most [`SelectStats::MAX_LISTED`]).
    pub skipped: Vec<SkippedChunk>,
    /// Entries that passed the range and the line filter before the limit and duplicates.
    pub entries_matched: u64,
    /// Entries dropped as exact duplicates of another entry of the same stream (same
    /// timestamp, line and metadata), as Loki's queriers drop them.
    pub duplicates: u64,
}

impl SelectStats {
    /// Most skipped chunks listed one by one; the count goes on.
    pub const MAX_LISTED: usize = 100;
}

/// The entries a selection returned, in its direction, and its statistics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Selection {
    /// The entries, merged across streams by timestamp.
    pub entries: Vec<LogEntry>,
    /// What was read.
    pub stats: SelectStats,
}

/// What one cycle of [`Store::tick`](crate::Store::tick) did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TickReport {
    /// Head chunks closed (idle, old, or all of them at shutdown).
    pub chunks_closed: usize,
    /// Chunks stored in the bucket.
    pub chunks_flushed: usize,
    /// Chunks whose store failed (retried by the next cycle).
    pub flush_errors: usize,
    /// Index files written.
    pub index_files: usize,
    /// Flushed chunks dropped from memory (their index files are stored).
    pub chunks_released: usize,
    /// Streams with nothing left in memory, forgotten.
    pub streams_removed: usize,
    /// WAL segments removed.
    pub segments_removed: usize,
    /// Whether the index was polled for other writers' files.
    pub polled: bool,
}

/// Counts of one tenant's data in memory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TenantStats {
    /// Active streams (with data in memory).
    pub streams: usize,
    /// Open head chunks.
    pub head_chunks: usize,
    /// Closed chunks not yet flushed, or flushed and waiting for their index file.
    pub closed_chunks: usize,
    /// Entries in memory.
    pub entries_in_memory: u64,
}

/// A snapshot of the store's state, for metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreStats {
    /// Per tenant.
    pub tenants: BTreeMap<String, TenantStats>,
    /// Bytes in WAL segment files.
    pub wal_bytes: u64,
    /// Records appended to the WAL since start.
    pub wal_records: u64,
    /// WAL syncs since start (records per sync shows group commit).
    pub wal_syncs: u64,
    /// The index.
    pub index: IndexStats,
}
