//! One stream in memory: its head chunk, chunks closed and waiting to be flushed, and the
//! state Loki's ingester keeps per stream (newest timestamp, last line).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::Duration;

use bytes::Bytes;
use loki_chunk::{Appended, Chunk, ChunkError, ChunkWriter, LabelSet, WriterOptions};

use crate::index::ChunkRef;
use crate::limits::TokenBucket;

/// The open chunk of a stream.
#[derive(Debug)]
pub(crate) struct Head {
    pub(crate) writer: ChunkWriter,
    /// When its first entry arrived (clock time).
    pub(crate) opened: Duration,
    /// When its last entry arrived (clock time).
    pub(crate) last_append: Duration,
    /// The oldest WAL segment holding one of its entries.
    pub(crate) min_segment: u64,
}

/// A chunk cut from the head: immutable, queryable, waiting to be flushed.
#[derive(Debug)]
pub(crate) struct ClosedData {
    pub(crate) chunk: Chunk,
    /// Oldest and newest entry (ns).
    pub(crate) bounds: (i64, i64),
    pub(crate) entries: u64,
    /// The oldest WAL segment holding one of its entries.
    pub(crate) min_segment: u64,
}

/// A closed chunk and how far its flush got.
#[derive(Debug, Clone)]
pub(crate) struct Closed {
    pub(crate) data: Arc<ClosedData>,
    /// Set once the object is in the bucket and the index holds it (not yet committed).
    pub(crate) stored: Option<ChunkRef>,
}

/// The last entry a stream took, for Loki's duplicate check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LastLine {
    pub(crate) ts: i64,
    pub(crate) line: Bytes,
    pub(crate) metadata: Vec<(String, String)>,
}

#[derive(Debug)]
pub(crate) struct Stream {
    pub(crate) labels: Arc<LabelSet>,
    pub(crate) head: Option<Head>,
    pub(crate) closed: Vec<Closed>,
    /// Newest entry timestamp taken (the out-of-order window trails it).
    pub(crate) highest_ts: Option<i64>,
    pub(crate) last_line: Option<LastLine>,
}

impl Stream {
    pub(crate) fn new(labels: Arc<LabelSet>) -> Self {
        Self {
            labels,
            head: None,
            closed: Vec::new(),
            highest_ts: None,
            last_line: None,
        }
    }

    /// Appends an entry to the head chunk, closing the head first when the entry does not
    /// fit (Loki's `SpaceFor`).
    pub(crate) fn append(
        &mut self,
        entry: (i64, &[u8], &[(&str, &str)]),
        segment: u64,
        now: Duration,
        opts: WriterOptions,
    ) -> Result<Appended, ChunkError> {
        let (ts, line, metadata) = entry;
        if self
            .head
            .as_ref()
            .is_some_and(|h| !h.writer.space_for(line.len(), metadata))
        {
            self.close_head()?;
        }
        let head = match &mut self.head {
            Some(h) => h,
            None => self.head.insert(Head {
                writer: ChunkWriter::new(opts)?,
                opened: now,
                last_append: now,
                min_segment: segment,
            }),
        };
        let appended = head.writer.append(ts, line, metadata)?;
        head.last_append = now;
        head.min_segment = head.min_segment.min(segment);
        Ok(appended)
    }

    /// Notes an entry as taken (the ingester's checks of later entries depend on it).
    pub(crate) fn note(&mut self, ts: i64, line: &Bytes, metadata: &[(String, String)]) {
        self.highest_ts = Some(self.highest_ts.map_or(ts, |h| h.max(ts)));
        self.last_line = Some(LastLine {
            ts,
            line: line.clone(),
            metadata: metadata.to_vec(),
        });
    }

    /// Closes the head chunk (nothing when there is none or it is empty).
    pub(crate) fn close_head(&mut self) -> Result<bool, ChunkError> {
        let Some(head) = &mut self.head else {
            return Ok(false);
        };
        let Some(bounds) = head.writer.bounds() else {
            self.head = None;
            return Ok(false);
        };
        // Close and serialise before giving the head up: a codec failure keeps it.
        head.writer.close()?;
        let bytes = head.writer.to_bytes()?;
        let entries = head.writer.entry_count();
        let min_segment = head.min_segment;
        let chunk = Chunk::open(bytes)?;
        self.head = None;
        self.closed.push(Closed {
            data: Arc::new(ClosedData {
                chunk,
                bounds,
                entries,
                min_segment,
            }),
            stored: None,
        });
        Ok(true)
    }

    /// Whether the head is due for a flush at `now`: idle for longer than `idle`, or its
    /// entries span more than `max_age`, or it has been open for more than `max_age`.
    pub(crate) fn head_due(&self, now: Duration, idle: Duration, max_age: Duration) -> bool {
        let Some(h) = &self.head else {
            return false;
        };
        let span = h
            .writer
            .bounds()
            .map_or(0, |(a, b)| u128::from(b.abs_diff(a)));
        now.saturating_sub(h.last_append) > idle
            || span > max_age.as_nanos()
            || now.saturating_sub(h.opened) > max_age
    }

    /// The oldest WAL segment this stream's unflushed entries are in.
    pub(crate) fn min_segment(&self) -> Option<u64> {
        let head = self.head.as_ref().map(|h| h.min_segment);
        let closed = self.closed.iter().map(|c| c.data.min_segment);
        head.into_iter().chain(closed).min()
    }

    /// Oldest and newest entry held in memory (ns).
    pub(crate) fn bounds(&self) -> Option<(i64, i64)> {
        let head = self.head.as_ref().and_then(|h| h.writer.bounds());
        let closed = self.closed.iter().map(|c| c.data.bounds);
        head.into_iter()
            .chain(closed)
            .reduce(|(a, b), (c, d)| (a.min(c), b.max(d)))
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.head.is_none() && self.closed.is_empty()
    }
}

pub(crate) type SharedStream = Arc<Mutex<Stream>>;

pub(crate) fn lock(stream: &SharedStream) -> MutexGuard<'_, Stream> {
    stream.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One tenant's streams and rate limiter.
#[derive(Debug)]
pub(crate) struct Tenant {
    /// Streams by their printed labels.
    pub(crate) streams: RwLock<HashMap<Arc<str>, SharedStream>>,
    pub(crate) bucket: Mutex<TokenBucket>,
}

impl Tenant {
    pub(crate) fn new(burst: u64, now: Duration) -> Self {
        Self {
            streams: RwLock::new(HashMap::new()),
            bucket: Mutex::new(TokenBucket::new(burst, now)),
        }
    }

    pub(crate) fn get(&self, text: &str) -> Option<SharedStream> {
        self.streams
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(text)
            .cloned()
    }

    /// The stream printed `text`, created when missing unless the tenant holds `limit`
    /// streams already (`Err(())` then).
    pub(crate) fn get_or_create(
        &self,
        text: &str,
        labels: &LabelSet,
        limit: Option<usize>,
    ) -> Result<SharedStream, ()> {
        if let Some(s) = self.get(text) {
            return Ok(s);
        }
        let mut streams = self.streams.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(s) = streams.get(text) {
            return Ok(Arc::clone(s));
        }
        if limit.is_some_and(|l| streams.len() >= l) {
            return Err(());
        }
        let s = Arc::new(Mutex::new(Stream::new(Arc::new(labels.clone()))));
        streams.insert(Arc::from(text), Arc::clone(&s));
        Ok(s)
    }

    /// Every stream, for a pass over them.
    pub(crate) fn all(&self) -> Vec<SharedStream> {
        self.streams
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect()
    }
}
