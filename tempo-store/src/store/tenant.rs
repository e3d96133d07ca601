//! One tenant's live traces, head block and blocks being completed.

use super::{Arc, AtomicBool, Bytes, Duration, HashMap, TokenBucket, TracesData};

/// A trace still receiving spans.
#[derive(Debug)]
pub(super) struct LiveTrace {
    /// One `TracesData` protobuf per push that carried spans of the trace: slices of the
    /// push's WAL record, so live data costs its protobuf size, not its decoded size.
    pub(super) parts: Vec<Bytes>,
    pub(super) bytes: usize,
    pub(super) first: Duration,
    pub(super) last: Duration,
    pub(super) min_segment: u64,
}

/// Traces cut from the live set, waiting to be completed into a block.
#[derive(Debug, Default)]
pub(super) struct Head {
    pub(super) traces: HashMap<[u8; 16], Vec<Bytes>>,
    pub(super) bytes: usize,
    pub(super) started: Option<Duration>,
    pub(super) min_segment: Option<u64>,
}

/// A head block being written; stays findable until its block is in the blocklist.
#[derive(Debug)]
pub(super) struct Completing {
    pub(super) head: Head,
    pub(super) busy: AtomicBool,
}

#[derive(Debug)]
pub(super) struct Tenant {
    pub(super) live: HashMap<[u8; 16], LiveTrace>,
    pub(super) head: Head,
    pub(super) completing: Vec<Arc<Completing>>,
    pub(super) bucket: TokenBucket,
}

impl Tenant {
    pub(super) fn new(burst: u64, now: Duration) -> Self {
        Self {
            live: HashMap::new(),
            head: Head::default(),
            completing: Vec::new(),
            bucket: TokenBucket::new(burst, now),
        }
    }

    pub(super) fn insert(&mut self, id: [u8; 16], part: Bytes, segment: u64, now: Duration) {
        let t = self.live.entry(id).or_insert_with(|| LiveTrace {
            parts: Vec::new(),
            bytes: 0,
            first: now,
            last: now,
            min_segment: segment,
        });
        t.bytes += part.len();
        t.parts.push(part);
        t.last = now;
        t.min_segment = t.min_segment.min(segment);
    }

    /// Moves live traces idle or live for too long (all of them with `all`) to the head.
    pub(super) fn cut_traces(
        &mut self,
        now: Duration,
        idle: Duration,
        live: Duration,
        all: bool,
    ) -> usize {
        let due: Vec<[u8; 16]> = self
            .live
            .iter()
            .filter(|(_, t)| {
                all || now.saturating_sub(t.last) >= idle || now.saturating_sub(t.first) >= live
            })
            .map(|(id, _)| *id)
            .collect();
        for id in &due {
            if let Some(t) = self.live.remove(id) {
                let head = &mut self.head;
                head.traces.entry(*id).or_default().extend(t.parts);
                head.bytes += t.bytes;
                head.started.get_or_insert(now);
                head.min_segment = Some(
                    head.min_segment
                        .map_or(t.min_segment, |m| m.min(t.min_segment)),
                );
            }
        }
        due.len()
    }

    /// Nothing live, in the head block or being completed.
    pub(super) fn is_empty(&self) -> bool {
        self.live.is_empty() && self.head.traces.is_empty() && self.completing.is_empty()
    }

    /// Bytes of trace `id` held anywhere in memory (live, head, being completed).
    pub(super) fn trace_bytes(&self, id: &[u8; 16]) -> usize {
        let parts = |v: Option<&Vec<Bytes>>| v.map_or(0, |p| p.iter().map(Bytes::len).sum());
        self.live.get(id).map_or(0, |l| l.bytes)
            + parts(self.head.traces.get(id))
            + self
                .completing
                .iter()
                .map(|c| parts(c.head.traces.get(id)))
                .sum::<usize>()
    }

    pub(super) fn min_segment(&self) -> Option<u64> {
        let live = self.live.values().map(|t| t.min_segment);
        let head = self.head.min_segment;
        let completing = self.completing.iter().filter_map(|c| c.head.min_segment);
        live.chain(head).chain(completing).min()
    }
}

/// Decodes a live or head trace part (a `TracesData` protobuf this store encoded).
pub(super) fn decode_part(part: &[u8]) -> Result<TracesData, tempo_block::BlockError> {
    let limits = otlp_model::Limits::new(usize::MAX);
    otlp_model::decode_traces_data(part, &limits)
        .map_err(|e| tempo_block::BlockError::InvalidInput(format!("live trace data: {e}")))
}
