//! What the store's API returns.

use super::{BTreeMap, TracesData};

/// What a push stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PushReceipt {
    /// Spans stored.
    pub spans: usize,
    /// Traces the spans belong to.
    pub traces: usize,
    /// Protobuf bytes stored (what the rate limit counts).
    pub bytes: usize,
}

/// Where [`Store::find_trace`](super::Store::find_trace) looks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FindOptions {
    /// Skip blocks that end before this (unix seconds), as Tempo's `start`.
    pub start_unix_secs: Option<u64>,
    /// Skip blocks that start after this (unix seconds), as Tempo's `end`.
    pub end_unix_secs: Option<u64>,
}

impl FindOptions {
    /// Looks only at blocks overlapping `[start, end]` (unix seconds); live data is always
    /// searched.
    pub fn range(start_unix_secs: Option<u64>, end_unix_secs: Option<u64>) -> Self {
        Self {
            start_unix_secs,
            end_unix_secs,
        }
    }
}

/// A trace found by ID.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FoundTrace {
    /// The trace, combined from every place it was found, sorted as Tempo sorts it.
    pub trace: TracesData,
    /// Protobuf bytes of every part read (Tempo's `inspectedBytes`).
    pub inspected_bytes: u64,
    /// True when the trace passed `max_bytes_per_trace` and only part of it is returned.
    pub partial: bool,
    /// Stored blocks the trace was found in.
    pub blocks: usize,
}

/// What one cycle of [`Store::tick`](super::Store::tick) did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TickReport {
    /// Live traces cut to head blocks.
    pub traces_cut: usize,
    /// Blocks completed and stored.
    pub blocks_completed: usize,
    /// WAL segments removed.
    pub segments_removed: usize,
    /// Whether the blocklist was polled.
    pub polled: bool,
}

/// Counts of one tenant's data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TenantStats {
    /// Traces still receiving spans.
    pub live_traces: usize,
    /// Traces in the head block or a block being completed.
    pub head_traces: usize,
    /// Stored blocks in the blocklist.
    pub blocks: usize,
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
}
