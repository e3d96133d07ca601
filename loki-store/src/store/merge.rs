//! The k-way merge of a selection: one cursor per chunk, a binary heap of their next
//! entries, chunks opened (and fetched) only when the merge reaches their time range.
//!
//! A cursor decodes its chunk one window at a time: the windows are cut at its blocks'
//! first timestamps, so each holds about one block's entries, and being half-open and
//! disjoint they return every entry exactly once. Memory held is therefore about one block
//! per chunk whose range the merge is in, however many chunks the selection covers.

use std::cmp::Reverse;
use std::collections::hash_map::DefaultHasher;
use std::collections::{BinaryHeap, VecDeque};
use std::hash::{Hash, Hasher};
use std::ops::ControlFlow;
use std::sync::Arc;

use loki_chunk::{Chunk, Direction, Entry, LabelSet, Query, StoredChunk};

use super::select::LineFilter;
use super::stream::ClosedData;
use super::{LogEntry, SelectStats, SkipReason, SkippedChunk, Store};
use crate::bucket::BucketError;
use crate::index::ChunkRef;

/// An in-memory chunk a selection reads.
#[derive(Debug)]
pub(crate) enum SourceChunk {
    /// A closed chunk waiting to be flushed (shared with the stream).
    Closed(Arc<ClosedData>),
    /// A chunk of its own: a snapshot of a head chunk, or one fetched from the bucket, with
    /// the range of its entries.
    Owned(Box<Chunk>, (i64, i64)),
}

impl SourceChunk {
    fn chunk(&self) -> &Chunk {
        match self {
            Self::Closed(d) => &d.chunk,
            Self::Owned(c, _) => c,
        }
    }

    pub(crate) fn bounds(&self) -> (i64, i64) {
        match self {
            Self::Closed(d) => d.bounds,
            Self::Owned(_, b) => *b,
        }
    }
}

/// A chunk not opened yet.
#[derive(Debug)]
pub(crate) enum PendingChunk {
    Memory(SourceChunk),
    Stored(ChunkRef),
}

/// A chunk of a selection, before the merge reaches it.
#[derive(Debug)]
pub(crate) struct Pending {
    /// Ordinal of its stream.
    pub(crate) stream: u32,
    /// Arrival order among all chunks (ties of equal timestamps within a stream).
    pub(crate) seq: u32,
    /// Its entries are in `[lo, hi)` (ns).
    pub(crate) lo: i64,
    pub(crate) hi: i64,
    pub(crate) chunk: PendingChunk,
}

/// An open chunk and the entries decoded from it but not yet merged.
struct Cursor {
    chunk: SourceChunk,
    key: Option<String>,
    stream: u32,
    seq: u32,
    /// Windows still to decode, the next one last.
    windows: Vec<(i64, i64)>,
    buffer: VecDeque<Entry>,
}

impl Cursor {
    fn new(
        chunk: SourceChunk,
        key: Option<String>,
        p: (u32, u32),
        range: (i64, i64),
        direction: Direction,
    ) -> Self {
        // Only the part of the range the chunk's entries are in.
        let (lo, hi) = chunk.bounds();
        let (start, end) = (range.0.max(lo), range.1.min(hi.saturating_add(1)));
        if start >= end {
            return Self {
                chunk,
                key,
                stream: p.0,
                seq: p.1,
                windows: Vec::new(),
                buffer: VecDeque::new(),
            };
        }
        let mut cuts: Vec<i64> = chunk
            .chunk()
            .blocks()
            .iter()
            .map(|b| b.min_ts)
            .filter(|&t| t > start && t < end)
            .collect();
        cuts.sort_unstable();
        cuts.dedup();
        let mut bounds = Vec::with_capacity(cuts.len() + 2);
        bounds.push(start);
        bounds.extend(cuts);
        bounds.push(end);
        let mut windows: Vec<(i64, i64)> = bounds.windows(2).map(|w| (w[0], w[1])).collect();
        if direction == Direction::Forward {
            windows.reverse();
        }
        Self {
            chunk,
            key,
            stream: p.0,
            seq: p.1,
            windows,
            buffer: VecDeque::new(),
        }
    }

    /// Decodes windows until one yields an entry or none is left.
    fn fill(
        &mut self,
        direction: Direction,
        filter: Option<LineFilter<'_>>,
        stats: &mut SelectStats,
    ) {
        while self.buffer.is_empty() {
            let Some((from, through)) = self.windows.pop() else {
                return;
            };
            let mut query = Query::range(from, through).direction(direction);
            if let Some(f) = filter {
                let f: &dyn Fn(&[u8]) -> bool = f;
                query = query.filter(f);
            }
            let buffer = &mut self.buffer;
            let result = self.chunk.chunk().for_each(query, |e| {
                buffer.push_back(e.to_entry());
                ControlFlow::Continue(())
            });
            stats.entries_matched += buffer.len() as u64;
            if let Err(e) = result {
                // The entries decoded before the failure stay; the rest of the chunk is
                // left out.
                self.windows.clear();
                skip(
                    stats,
                    self.key.clone().unwrap_or_else(|| "(in memory)".to_owned()),
                    SkipReason::Corrupt,
                    &e,
                );
            }
        }
    }
}

fn skip(stats: &mut SelectStats, key: String, reason: SkipReason, error: &dyn std::fmt::Display) {
    tracing::warn!(key = %key, reason = reason.as_str(), error = %error, "chunk left out of a selection");
    stats.chunks_skipped += 1;
    if stats.skipped.len() < SelectStats::MAX_LISTED {
        stats.skipped.push(SkippedChunk {
            key,
            reason,
            detail: error.to_string(),
        });
    }
}

/// The heap's order: the entry to return next is the greatest.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Item {
    key: (u64, Reverse<u32>, u64),
    ts: i64,
    slot: usize,
}

/// `ts` mapped to an unsigned value of the same order.
#[allow(clippy::cast_sign_loss)]
fn ordered(ts: i64) -> u64 {
    (ts as u64) ^ (1 << 63)
}

/// The entries of a selection, one at a time (see [`Store::select`]).
pub struct EntryStream<'f> {
    store: Store,
    tenant: String,
    streams: Vec<Arc<LabelSet>>,
    pending: VecDeque<Pending>,
    /// Open chunks with entries left; a slot is emptied (and its chunk freed) once its
    /// chunk is read to the end, and reused.
    cursors: Vec<Option<Cursor>>,
    free: Vec<usize>,
    heap: BinaryHeap<Item>,
    range: (i64, i64),
    direction: Direction,
    limit: usize,
    emitted: usize,
    filter: Option<LineFilter<'f>>,
    stats: SelectStats,
    /// The (timestamp, stream) of the last entry returned, and hashes of the entries returned
    /// with it, to drop exact duplicates.
    group: Option<(i64, u32)>,
    group_hashes: Vec<u64>,
    /// Fetches started ahead of the merge, by chunk `seq`.
    fetching: Vec<(
        u32,
        tokio::task::JoinHandle<Result<bytes::Bytes, BucketError>>,
    )>,
}

/// Flushed chunks fetched ahead of the merge at most.
const PREFETCH: usize = 8;

impl Drop for EntryStream<'_> {
    fn drop(&mut self) {
        // A selection stopped early (its limit, or its caller) fetches nothing more.
        for (_, task) in &self.fetching {
            task.abort();
        }
    }
}

impl std::fmt::Debug for EntryStream<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EntryStream")
            .field("tenant", &self.tenant)
            .field("streams", &self.streams.len())
            .field("pending", &self.pending.len())
            .field("open", &self.heap.len())
            .field("emitted", &self.emitted)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl<'f> EntryStream<'f> {
    pub(crate) fn new(
        store: Store,
        tenant: String,
        streams: Vec<Arc<LabelSet>>,
        mut pending: Vec<Pending>,
        (start, end, direction, limit): (i64, i64, Direction, usize),
        filter: Option<LineFilter<'f>>,
        stats: SelectStats,
    ) -> Self {
        match direction {
            Direction::Forward => pending.sort_by_key(|p| (p.lo, p.seq)),
            Direction::Backward => pending.sort_by_key(|p| (Reverse(p.hi), Reverse(p.seq))),
        }
        Self {
            store,
            tenant,
            streams,
            pending: pending.into(),
            cursors: Vec::new(),
            free: Vec::new(),
            heap: BinaryHeap::new(),
            range: (start, end),
            direction,
            limit,
            emitted: 0,
            filter,
            stats,
            group: None,
            group_hashes: Vec::new(),
            fetching: Vec::new(),
        }
    }

    /// What the selection has read so far.
    pub fn stats(&self) -> &SelectStats {
        &self.stats
    }

    /// The statistics, once done.
    pub fn into_stats(mut self) -> SelectStats {
        std::mem::take(&mut self.stats)
    }

    fn item(&self, slot: usize) -> Option<Item> {
        let c = self.cursors.get(slot)?.as_ref()?;
        let ts = c.buffer.front()?.ts;
        let key = match self.direction {
            Direction::Forward => (!ordered(ts), Reverse(c.stream), u64::from(!c.seq)),
            Direction::Backward => (ordered(ts), Reverse(c.stream), u64::from(c.seq)),
        };
        Some(Item { key, ts, slot })
    }

    /// Whether the merge has reached chunk `p`'s range (it may hold the next entry).
    fn due(&self, p: &Pending) -> bool {
        match self.heap.peek() {
            None => true,
            Some(top) => match self.direction {
                Direction::Forward => p.lo <= top.ts,
                Direction::Backward => p.hi > top.ts,
            },
        }
    }

    async fn open_due(&mut self) {
        while let Some(p) = self.pending.front() {
            if !self.due(p) {
                break;
            }
            let Some(p) = self.pending.pop_front() else {
                break;
            };
            let (chunk, key) = match p.chunk {
                PendingChunk::Memory(c) => {
                    self.stats.memory_chunks += 1;
                    (c, None)
                }
                PendingChunk::Stored(r) => {
                    self.prefetch();
                    match self.fetch(&r, p.seq).await {
                        Some((c, key)) => {
                            let bounds = (p.lo, p.hi.saturating_sub(1));
                            (SourceChunk::Owned(Box::new(c), bounds), Some(key))
                        }
                        None => continue,
                    }
                }
            };
            let mut cursor = Cursor::new(chunk, key, (p.stream, p.seq), self.range, self.direction);
            cursor.fill(self.direction, self.filter, &mut self.stats);
            if cursor.buffer.is_empty() {
                continue;
            }
            let slot = if let Some(slot) = self.free.pop() {
                if let Some(s) = self.cursors.get_mut(slot) {
                    *s = Some(cursor);
                }
                slot
            } else {
                self.cursors.push(Some(cursor));
                self.cursors.len() - 1
            };
            if let Some(item) = self.item(slot) {
                self.heap.push(item);
            }
        }
    }

    /// Starts fetching the next [`PREFETCH`] flushed chunks the merge will reach, so that
    /// an object store's latency is paid for several chunks at once. (Without a Tokio
    /// runtime, chunks are fetched one by one when reached.)
    fn prefetch(&mut self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let mut ahead = 0;
        for p in &self.pending {
            if ahead >= PREFETCH {
                break;
            }
            let PendingChunk::Stored(r) = &p.chunk else {
                continue;
            };
            ahead += 1;
            if self.fetching.iter().any(|(seq, _)| *seq == p.seq) {
                continue;
            }
            let backend = Arc::clone(&self.store.inner.backend);
            let path = self.store.chunk_path(&r.key(&self.tenant));
            let task = runtime.spawn(async move { backend.get(&path).await });
            self.fetching.push((p.seq, task));
        }
    }

    /// Fetches and opens a flushed chunk; `None` (counted in the statistics) when it is
    /// missing or does not check out.
    async fn fetch(&mut self, r: &ChunkRef, seq: u32) -> Option<(Chunk, String)> {
        let key = r.key(&self.tenant);
        let name = key.to_string();
        let started = self
            .fetching
            .iter()
            .position(|(s, _)| *s == seq)
            .map(|i| self.fetching.swap_remove(i).1);
        let fetched = if let Some(task) = started {
            match task.await {
                Ok(r) => r,
                Err(e) => {
                    skip(&mut self.stats, name, SkipReason::Unreadable, &e);
                    return None;
                }
            }
        } else {
            let path = self.store.chunk_path(&key);
            self.store.inner.backend.get(&path).await
        };
        let bytes = match fetched {
            Ok(b) => b,
            Err(e) if e.is_not_found() => {
                skip(&mut self.stats, name, SkipReason::Missing, &e);
                return None;
            }
            Err(e) => {
                skip(&mut self.stats, name, SkipReason::Unreadable, &e);
                return None;
            }
        };
        self.stats.chunks_fetched += 1;
        self.stats.bytes_fetched += bytes.len() as u64;
        let chunk = StoredChunk::decode_with_key(&bytes, &key).and_then(|s| Chunk::open(s.chunk));
        match chunk {
            Ok(c) => {
                self.stats.blocks_skipped += c.skipped_blocks().len();
                Some((c, name))
            }
            Err(e) => {
                skip(&mut self.stats, name, SkipReason::Corrupt, &e);
                None
            }
        }
    }

    /// The next entry, or `None` when the selection is done (or at its limit).
    pub async fn next(&mut self) -> Option<LogEntry> {
        loop {
            if self.limit > 0 && self.emitted >= self.limit {
                return None;
            }
            self.open_due().await;
            let top = self.heap.pop()?;
            let Some(Some(cursor)) = self.cursors.get_mut(top.slot) else {
                continue;
            };
            let Some(entry) = cursor.buffer.pop_front() else {
                continue;
            };
            let stream = cursor.stream;
            if cursor.buffer.is_empty() {
                cursor.fill(self.direction, self.filter, &mut self.stats);
            }
            if let Some(item) = self.item(top.slot) {
                self.heap.push(item);
            } else if let Some(slot) = self.cursors.get_mut(top.slot) {
                *slot = None;
                self.free.push(top.slot);
            }
            let mut h = DefaultHasher::new();
            entry.line.hash(&mut h);
            entry.structured_metadata.hash(&mut h);
            let hash = h.finish();
            if self.group == Some((entry.ts, stream)) {
                if self.group_hashes.contains(&hash) {
                    self.stats.duplicates += 1;
                    continue;
                }
            } else {
                self.group = Some((entry.ts, stream));
                self.group_hashes.clear();
            }
            self.group_hashes.push(hash);
            self.emitted += 1;
            let labels = self
                .streams
                .get(stream as usize)
                .cloned()
                .unwrap_or_default();
            return Some(LogEntry {
                labels,
                ts: entry.ts,
                line: entry.line,
                structured_metadata: entry.structured_metadata,
            });
        }
    }
}
