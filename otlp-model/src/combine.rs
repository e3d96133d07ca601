//! Combining partial traces, as Tempo does when a trace is spread over blocks, the live store
//! and compaction inputs.
//!
//! Rules (Tempo's trace combiner):
//!
//! * the first trace consumed is taken as it is, duplicates and empty groups included;
//! * every later trace contributes only spans whose token — FNV-1 64-bit over the span ID
//!   bytes followed by the kind as a little-endian `u32` ([`span_token`]) — was not seen yet
//!   (duplicates inside a later trace are dropped too); scope groups left empty are dropped,
//!   and each resource group with spans left is appended whole, never merged into an
//!   existing one;
//! * once two or more traces were combined, the result is sorted ([`sort_trace`]);
//! * with a size limit, the combiner reports [`ModelError::TraceTooLarge`] once the encoded
//!   result passes it, or — in partial mode — silently stops taking input.
//!
//! [`dedupe_shared_span_ids`] is the step Tempo's query frontend runs after combining, which
//! gives a Zipkin-style SERVER span sharing its ID with a CLIENT span an ID of its own.
//!
//! ```
//! use otlp_model::combine::Combiner;
//! use otlp_model::proto::trace::{ResourceSpans, ScopeSpans, Span, TracesData};
//!
//! fn trace(ids: &[u8]) -> TracesData {
//!     let spans = ids
//!         .iter()
//!         .map(|&i| Span { span_id: vec![i; 8], start_time_unix_nano: u64::from(i), ..Default::default() })
//!         .collect();
//!     TracesData {
//!         resource_spans: vec![ResourceSpans {
//!             scope_spans: vec![ScopeSpans { spans, ..Default::default() }],
//!             ..Default::default()
//!         }],
//!     }
//! }
//!
//! let mut combiner = Combiner::new();
//! combiner.consume(trace(&[3, 1]))?;
//! assert_eq!(combiner.consume(trace(&[1, 2]))?, 1); // span 1 was already there
//! let combined = combiner.result().unwrap();
//! assert_eq!(combined.resource_spans.len(), 2);
//! assert_eq!(combined.resource_spans[0].scope_spans[0].spans[0].span_id, [1; 8]); // sorted
//! # Ok::<(), otlp_model::ModelError>(())
//! ```

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use prost::Message;

use crate::error::ModelError;
use crate::proto::trace::span::SpanKind;
use crate::proto::trace::{ResourceSpans, ScopeSpans, Span, TracesData};

const FNV64_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV64_PRIME: u64 = 0x0000_0100_0000_01b3;

/// The token Tempo's combiner deduplicates spans by: FNV-1 64-bit over the span ID bytes as
/// stored, then the span kind as four little-endian bytes.
pub fn span_token(span_id: &[u8], kind: i32) -> u64 {
    let mut hash = FNV64_OFFSET;
    for &b in span_id.iter().chain(kind.to_le_bytes().iter()) {
        hash = hash.wrapping_mul(FNV64_PRIME);
        hash ^= u64::from(b);
    }
    hash
}

/// Tokens are already hashes: hash them by passing them through.
#[derive(Default)]
struct TokenHasher(u64);

impl Hasher for TokenHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

type TokenSet = HashSet<u64, BuildHasherDefault<TokenHasher>>;

/// Combines partial traces of one trace ID (see the [module docs](self)).
#[derive(Default)]
pub struct Combiner {
    result: Option<TracesData>,
    seen: TokenSet,
    combined: bool,
    max_bytes: usize,
    allow_partial: bool,
    size: usize,
    size_reached: bool,
}

impl Combiner {
    /// A combiner without a size limit.
    pub fn new() -> Self {
        Self::default()
    }

    /// A combiner that limits the encoded size of the result to `max_bytes` (0: no limit).
    /// With `allow_partial`, passing the limit keeps what was combined so far and ignores
    /// later input; without it, every call from then on returns
    /// [`ModelError::TraceTooLarge`] (the input that crossed the limit is kept).
    pub fn with_max_bytes(max_bytes: usize, allow_partial: bool) -> Self {
        Self {
            max_bytes,
            allow_partial,
            ..Self::default()
        }
    }

    /// Adds a partial trace; returns how many of its spans were new (0 for the first trace,
    /// which is taken whole).
    ///
    /// # Errors
    ///
    /// [`ModelError::TraceTooLarge`] once the result passed the size limit (not in partial
    /// mode).
    pub fn consume(&mut self, trace: TracesData) -> Result<usize, ModelError> {
        self.consume_inner(trace, false)
    }

    /// As [`consume`](Self::consume) for the last input: its spans' tokens are not recorded,
    /// so duplicates inside it are kept.
    ///
    /// # Errors
    ///
    /// As [`consume`](Self::consume).
    pub fn consume_final(&mut self, trace: TracesData) -> Result<usize, ModelError> {
        self.consume_inner(trace, true)
    }

    fn consume_inner(&mut self, trace: TracesData, last: bool) -> Result<usize, ModelError> {
        if self.is_partial() {
            return Ok(0);
        }
        let mut added = 0;
        match &mut self.result {
            None => {
                for rs in &trace.resource_spans {
                    for ss in &rs.scope_spans {
                        self.seen.reserve(ss.spans.len());
                        for s in &ss.spans {
                            self.seen.insert(span_token(&s.span_id, s.kind));
                        }
                    }
                }
                if self.max_bytes > 0 {
                    self.size = trace.encoded_len();
                }
                self.result = Some(trace);
            }
            Some(result) => {
                self.combined = true;
                let seen = &mut self.seen;
                for mut rs in trace.resource_spans {
                    rs.scope_spans.retain_mut(|ss| {
                        ss.spans.retain(|s| {
                            let token = span_token(&s.span_id, s.kind);
                            if last {
                                !seen.contains(&token)
                            } else {
                                seen.insert(token)
                            }
                        });
                        added += ss.spans.len();
                        !ss.spans.is_empty()
                    });
                    if !rs.scope_spans.is_empty() {
                        if self.max_bytes > 0 {
                            self.size += prost::encoding::message::encoded_len(1, &rs);
                        }
                        result.resource_spans.push(rs);
                    }
                }
            }
        }
        if self.max_bytes > 0 && self.size > self.max_bytes {
            self.size_reached = true;
            if !self.allow_partial {
                return Err(ModelError::TraceTooLarge {
                    max_bytes: self.max_bytes,
                });
            }
        }
        Ok(added)
    }

    /// Whether the size limit was reached in partial mode (the result is incomplete).
    pub fn is_partial(&self) -> bool {
        self.size_reached && self.allow_partial
    }

    /// How many distinct (span ID, kind) tokens were seen.
    pub fn span_count(&self) -> usize {
        self.seen.len()
    }

    /// The combined trace (`None` if nothing was consumed), sorted when two or more traces
    /// were combined; a single input comes back as it was given.
    pub fn result(self) -> Option<TracesData> {
        let mut result = self.result?;
        if self.combined {
            sort_trace(&mut result);
        }
        Some(result)
    }
}

/// Combines `traces` in order (see [`Combiner`]); `None` when there were none.
pub fn combine(traces: impl IntoIterator<Item = TracesData>) -> Option<TracesData> {
    let mut combiner = Combiner::new();
    for t in traces {
        // No size limit: consume cannot fail.
        let _ = combiner.consume(t);
    }
    combiner.result()
}

/// Up to this many elements, Go's `sort.Slice` (which Tempo sorts with) is an insertion
/// sort; its result is then reproduced exactly, empty groups included.
const GO_INSERTION_SORT_MAX: usize = 12;

type SpanKey<'a> = (u64, &'a [u8]);

fn span_key(s: &Span) -> SpanKey<'_> {
    (s.start_time_unix_nano, &s.span_id)
}

fn scope_key(ss: &ScopeSpans) -> Option<SpanKey<'_>> {
    ss.spans.first().map(span_key)
}

fn resource_key(rs: &ResourceSpans) -> Option<SpanKey<'_>> {
    rs.scope_spans.first().and_then(scope_key)
}

/// Sorts `items` by `key` as Tempo does; `None` marks an empty group, which compares neither
/// less nor greater than anything. Up to 12 items this is Go's insertion sort, where an empty
/// group stays in place and holds back the items after it. Beyond that, Go's order is
/// unspecified when empty groups are present; here they keep their positions and the other
/// items are sorted around them. Ties keep their input order.
fn sort_groups<T: Default>(items: &mut [T], key: for<'a> fn(&'a T) -> Option<SpanKey<'a>>) {
    let less = |a: &T, b: &T| matches!((key(a), key(b)), (Some(x), Some(y)) if x < y);
    if items.len() <= GO_INSERTION_SORT_MAX {
        for i in 1..items.len() {
            let mut j = i;
            while j > 0 && less(&items[j], &items[j - 1]) {
                items.swap(j, j - 1);
                j -= 1;
            }
        }
        return;
    }
    if items.iter().all(|t| key(t).is_some()) {
        items.sort_by(|a, b| key(a).cmp(&key(b)));
        return;
    }
    // Sort the non-empty items among their own positions.
    let positions: Vec<usize> = (0..items.len())
        .filter(|&i| key(&items[i]).is_some())
        .collect();
    let mut taken: Vec<T> = positions
        .iter()
        .map(|&i| std::mem::take(&mut items[i]))
        .collect();
    taken.sort_by(|a, b| key(a).cmp(&key(b)));
    for (&p, item) in positions.iter().zip(taken) {
        items[p] = item;
    }
}

/// Sorts a trace as Tempo does before answering: each span's events by (time, name) and
/// links by (trace ID, span ID); the spans of each scope by (start time, span ID); scopes by
/// their first span; resources by their first scope's first span.
pub fn sort_trace(trace: &mut TracesData) {
    for rs in &mut trace.resource_spans {
        for ss in &mut rs.scope_spans {
            for s in &mut ss.spans {
                if s.events.len() > 1 {
                    s.events.sort_by(|a, b| {
                        (a.time_unix_nano, &a.name).cmp(&(b.time_unix_nano, &b.name))
                    });
                }
                if s.links.len() > 1 {
                    s.links
                        .sort_by(|a, b| (&a.trace_id, &a.span_id).cmp(&(&b.trace_id, &b.span_id)));
                }
            }
            ss.spans.sort_by(|a, b| span_key(a).cmp(&span_key(b)));
        }
        sort_groups(&mut rs.scope_spans, scope_key);
    }
    sort_groups(&mut trace.resource_spans, resource_key);
}

fn id_key(id: &[u8]) -> Option<u64> {
    let head: [u8; 8] = id.get(..8)?.try_into().ok()?;
    Some(u64::from_be_bytes(head))
}

/// Gives every SERVER span that shares its span ID with a CLIENT span a new ID, as Tempo's
/// query frontend does for Zipkin-style shared spans: the server span's parent becomes the
/// shared ID (the client span), its own ID the smallest unused ID counting up from 1, and
/// spans whose parent was the shared ID are moved under the server span.
///
/// IDs are compared by their first eight bytes; spans with shorter IDs are left alone. When
/// several server spans share one ID with a client span, each gets a new ID and the children
/// (and the earlier server spans) move under the last one, as in Tempo.
///
/// ```
/// use otlp_model::combine::dedupe_shared_span_ids;
/// use otlp_model::proto::trace::span::SpanKind;
/// use otlp_model::proto::trace::{ResourceSpans, ScopeSpans, Span, TracesData};
///
/// let span = |id: u64, kind: SpanKind| Span { span_id: id.to_be_bytes().to_vec(), kind: kind as i32, ..Default::default() };
/// let mut trace = TracesData { resource_spans: vec![ResourceSpans {
///     scope_spans: vec![ScopeSpans {
///         spans: vec![span(1, SpanKind::Client), span(2, SpanKind::Internal), span(1, SpanKind::Server)],
///         ..Default::default()
///     }],
///     ..Default::default()
/// }] };
/// dedupe_shared_span_ids(&mut trace);
/// let server = &trace.resource_spans[0].scope_spans[0].spans[2];
/// assert_eq!(server.span_id, 3u64.to_be_bytes()); // 1 and 2 are taken
/// assert_eq!(server.parent_span_id, 1u64.to_be_bytes());
/// ```
pub fn dedupe_shared_span_ids(trace: &mut TracesData) {
    let client = SpanKind::Client as i32;
    let server = SpanKind::Server as i32;
    // Every ID in the trace, and whether a client span carries it.
    let mut ids: HashMap<u64, bool> = HashMap::new();
    for s in spans(trace) {
        if let Some(k) = id_key(&s.span_id) {
            *ids.entry(k).or_default() |= s.kind == client;
        }
    }
    if !ids.values().any(|&has_client| has_client) {
        return;
    }
    let mut max_used = 0u64;
    let mut renamed: HashMap<u64, u64> = HashMap::new();
    for s in spans_mut(trace) {
        let Some(old) = id_key(&s.span_id) else {
            continue;
        };
        if s.kind != server || !ids.get(&old).copied().unwrap_or(false) {
            continue;
        }
        let Some(new) = (max_used + 1..u64::MAX).find(|c| !ids.contains_key(c)) else {
            continue;
        };
        max_used = new;
        renamed.insert(old, new);
        if s.parent_span_id.len() < 8 {
            s.parent_span_id = vec![0; 8];
        }
        s.parent_span_id[..8].copy_from_slice(&old.to_be_bytes());
        s.span_id[..8].copy_from_slice(&new.to_be_bytes());
    }
    if renamed.is_empty() {
        return;
    }
    for s in spans_mut(trace) {
        let Some(parent) = id_key(&s.parent_span_id) else {
            continue;
        };
        if let Some(&new) = renamed.get(&parent)
            && id_key(&s.span_id) != Some(new)
        {
            s.parent_span_id[..8].copy_from_slice(&new.to_be_bytes());
        }
    }
}

fn spans(trace: &TracesData) -> impl Iterator<Item = &Span> {
    trace
        .resource_spans
        .iter()
        .flat_map(|rs| rs.scope_spans.iter())
        .flat_map(|ss| ss.spans.iter())
}

fn spans_mut(trace: &mut TracesData) -> impl Iterator<Item = &mut Span> {
    trace
        .resource_spans
        .iter_mut()
        .flat_map(|rs| rs.scope_spans.iter_mut())
        .flat_map(|ss| ss.spans.iter_mut())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_matches_tempo() {
        // Checked against Tempo's own token function.
        let id = [0x39, 0xb2, 0xb6, 0xde, 0xb8, 0x62, 0xee, 0x75];
        assert_eq!(span_token(&id, 2), 0xcd10_1352_fedd_091b);
    }

    fn group(key: Option<u64>) -> ScopeSpans {
        ScopeSpans {
            spans: key
                .map(|k| Span {
                    start_time_unix_nano: k,
                    ..Default::default()
                })
                .into_iter()
                .collect(),
            ..Default::default()
        }
    }

    fn keys(items: &[ScopeSpans]) -> Vec<Option<u64>> {
        items
            .iter()
            .map(|s| s.spans.first().map(|s| s.start_time_unix_nano))
            .collect()
    }

    #[test]
    fn empty_groups_hold_their_place() {
        // Go's insertion sort: an empty group is a barrier.
        let mut small: Vec<ScopeSpans> = [Some(5), None, Some(3), Some(1)]
            .into_iter()
            .map(group)
            .collect();
        sort_groups(&mut small, scope_key);
        assert_eq!(keys(&small), [Some(5), None, Some(1), Some(3)]);

        // Larger: empties stay put, the rest sorted around them.
        let input: Vec<Option<u64>> = (0..20u64)
            .map(|i| if i % 5 == 0 { None } else { Some(100 - i) })
            .collect();
        let mut large: Vec<ScopeSpans> = input.iter().copied().map(group).collect();
        sort_groups(&mut large, scope_key);
        let got = keys(&large);
        for (i, k) in got.iter().enumerate() {
            assert_eq!(k.is_none(), i % 5 == 0);
        }
        let present: Vec<u64> = got.into_iter().flatten().collect();
        let mut sorted = present.clone();
        sorted.sort_unstable();
        assert_eq!(present, sorted);
    }
}
