//! Selection: which chunks of which streams a query reads, in memory and in the bucket.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use bytes::Bytes;
use loki_chunk::{Chunk, Direction, LabelSet};

use super::merge::{EntryStream, Pending, PendingChunk, SourceChunk};
use super::stream::lock;
use super::{SelectStats, Selection, Store};
use crate::error::StoreError;
use crate::index::{ChunkRef, Lookup};
use crate::matcher::{Matcher, matches_all};

/// A line predicate pushed into chunk decoding: lines it refuses are never copied.
pub type LineFilter<'f> = &'f (dyn Fn(&[u8]) -> bool + Sync);

/// One stream's chunks found for a selection.
#[derive(Default)]
struct Found {
    labels: Option<Arc<LabelSet>>,
    stored: Vec<ChunkRef>,
    closed: Vec<SourceChunk>,
    head: Option<(Bytes, Bytes, (i64, i64))>,
}

fn overlaps(bounds: (i64, i64), start: i64, end: i64) -> bool {
    bounds.0 < end && bounds.1 >= start
}

impl Store {
    /// The entries of `tenant`'s streams matching every matcher, with timestamps in
    /// `[start, end)` (ns), in `direction`, at most `limit` of them (0: no limit), keeping
    /// only lines `line_filter` accepts (pushed into chunk decoding).
    ///
    /// Head chunks, chunks waiting to be flushed and flushed chunks of all matching streams
    /// are merged by timestamp (a k-way merge, chunks opened only when the merge reaches
    /// their time range, flushed ones fetched up to eight ahead of it), so a limit stops the
    /// reading early. Entries with equal timestamps
    /// come in stream order (by labels), then arrival order (reversed backward). An exact
    /// duplicate of another entry of its stream is returned once. A chunk that is missing or
    /// corrupt is left out and counted in [`SelectStats`], never an error.
    ///
    /// # Errors
    ///
    /// None today (the signature leaves room for an index that fails lookups).
    #[allow(clippy::too_many_arguments)]
    pub async fn select(
        &self,
        tenant: &str,
        matchers: &[Matcher],
        start: i64,
        end: i64,
        direction: Direction,
        limit: usize,
        line_filter: Option<LineFilter<'_>>,
    ) -> Result<Selection, StoreError> {
        let mut entries = Vec::new();
        let mut stream =
            self.select_stream(tenant, matchers, start, end, direction, limit, line_filter);
        while let Some(e) = stream.next().await {
            entries.push(e);
        }
        Ok(Selection {
            entries,
            stats: stream.into_stats(),
        })
    }

    /// As [`Store::select`], entry by entry: nothing is read before the first
    /// [`EntryStream::next`], and reading stops when the caller does.
    #[allow(clippy::too_many_arguments)]
    pub fn select_stream<'f>(
        &self,
        tenant: &str,
        matchers: &[Matcher],
        start: i64,
        end: i64,
        direction: Direction,
        limit: usize,
        line_filter: Option<LineFilter<'f>>,
    ) -> EntryStream<'f> {
        let mut found: BTreeMap<String, Found> = BTreeMap::new();
        let mut in_memory: HashSet<(u64, i64, i64, u32)> = HashSet::new();
        if start < end {
            self.find_in_memory(tenant, matchers, (start, end), &mut found, &mut in_memory);
            let lookup = Lookup {
                tenant,
                matchers,
                start_ns: start,
                end_ns: end,
            };
            for s in self.inner.index.chunks(lookup) {
                let f = found.entry(s.labels.to_string()).or_default();
                f.labels.get_or_insert_with(|| Arc::clone(&s.labels));
                f.stored.extend(
                    s.chunks
                        .into_iter()
                        .filter(|c| !in_memory.contains(&c.identity())),
                );
            }
        }
        let mut stats = SelectStats {
            streams: found.len(),
            ..SelectStats::default()
        };
        let mut streams = Vec::with_capacity(found.len());
        let mut pending = Vec::new();
        let mut seq = 0u32;
        for (ordinal, (_, f)) in found.into_iter().enumerate() {
            let Some(labels) = f.labels else { continue };
            let stream = u32::try_from(ordinal).unwrap_or(u32::MAX);
            streams.push(labels);
            // Arrival order: flushed chunks (oldest first), closed chunks, the head.
            let mut stored = f.stored;
            stored.sort_unstable_by_key(ChunkRef::identity);
            for c in stored {
                let r = c.range_ns();
                pending.push(Pending {
                    stream,
                    seq,
                    lo: r.start,
                    hi: r.end,
                    chunk: PendingChunk::Stored(c),
                });
                seq += 1;
            }
            for c in f.closed {
                let (lo, hi) = c.bounds();
                pending.push(Pending {
                    stream,
                    seq,
                    lo,
                    hi: hi.saturating_add(1),
                    chunk: PendingChunk::Memory(c),
                });
                seq += 1;
            }
            if let Some((chunk, head, (lo, hi))) = f.head {
                match Chunk::open_checkpoint(chunk, head) {
                    Ok(c) => {
                        pending.push(Pending {
                            stream,
                            seq,
                            lo,
                            hi: hi.saturating_add(1),
                            chunk: PendingChunk::Memory(SourceChunk::Owned(Box::new(c), (lo, hi))),
                        });
                        seq += 1;
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "head chunk snapshot unreadable");
                        stats.chunks_skipped += 1;
                    }
                }
            }
        }
        EntryStream::new(
            self.clone(),
            tenant.to_owned(),
            streams,
            pending,
            (start, end, direction, limit),
            line_filter,
            stats,
        )
    }

    /// Adds the in-memory chunks of `tenant`'s matching streams overlapping `range` to
    /// `found`, and the keys of those already flushed to `in_memory`.
    fn find_in_memory(
        &self,
        tenant: &str,
        matchers: &[Matcher],
        (start, end): (i64, i64),
        found: &mut BTreeMap<String, Found>,
        in_memory: &mut HashSet<(u64, i64, i64, u32)>,
    ) {
        let Some(t) = self.tenant(tenant) else {
            return;
        };
        for stream in t.all() {
            let st = lock(&stream);
            if !matches_all(matchers, &st.labels) {
                continue;
            }
            let mut f = Found::default();
            for c in &st.closed {
                if let Some(r) = c.stored {
                    in_memory.insert(r.identity());
                }
                if overlaps(c.data.bounds, start, end) {
                    f.closed.push(SourceChunk::Closed(Arc::clone(&c.data)));
                }
            }
            if let Some(h) = &st.head
                && let Some(bounds) = h.writer.bounds().filter(|b| overlaps(*b, start, end))
            {
                match h.writer.checkpoint() {
                    Ok((chunk, head)) => f.head = Some((chunk, head, bounds)),
                    Err(e) => tracing::error!(error = %e, "head chunk not readable"),
                }
            }
            if f.closed.is_empty() && f.head.is_none() {
                continue;
            }
            let labels = Arc::clone(&st.labels);
            drop(st);
            let entry = found.entry(labels.to_string()).or_default();
            entry.labels = Some(labels);
            entry.closed.extend(f.closed);
            entry.head = f.head;
        }
    }
}
