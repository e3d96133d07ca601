//! One OTLP trace turned into the shape of a vParquet5 row, with every derived field.
//!
//! This is the write-side model: it borrows the OTLP input and records where each attribute
//! goes (its dedicated slot or the generic list), merges identical resources and scopes
//! ("rebatching"), and computes what Tempo derives at write time: trace bounds, root service
//! and span name, per-service span and error counts, the nested-set numbering with parent and
//! child counts, and the rounded start times. The rules (and Tempo's quirks this keeps, so the
//! rows match Tempo's) are documented on each step.

use std::ops::Range;

use otlp_model::proto::common::{AnyValue, KeyValue, any_value::Value};
use otlp_model::proto::trace::{ResourceSpans, Span, span};

use crate::meta::DedicatedType;
use crate::schema::BlockSchema;

mod nested_set;

/// A value stored in a dedicated slot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum DedVal<'a> {
    /// Nothing (a rejected later value cleared the slot, or an empty array).
    Empty,
    Str(&'a str),
    Int(i64),
    /// An array whose elements all have the slot's type.
    Array(&'a [AnyValue]),
}

/// The dedicated values of one span/event/resource: (slot, value), at most one per slot.
/// Slots number strings first (`0..strings`), then ints (`strings..`).
pub(crate) type Dedicated<'a> = [(u16, DedVal<'a>)];

/// Where the dedicated attributes of one scope go.
///
/// Attribute keys are looked up for every attribute of every span, so the names sit in a
/// small open-addressed table keyed by a fingerprint of the name (its length and first and
/// last bytes, which for names up to 16 bytes is the whole name): a lookup is one or two
/// probes and no `memcmp` per candidate name.
#[derive(Debug, Clone, Default)]
pub(crate) struct SlotMap {
    /// (attribute name, its fingerprint, type, slot).
    entries: Vec<(String, Fingerprint, DedicatedType, u16)>,
    /// Entry index + 1 per bucket, 0 for an empty bucket; a power of two long.
    table: Vec<u16>,
    /// Bit `n` set when a name is `n` bytes long (bit 63: 63 or more), so most keys are
    /// turned away by their length alone.
    lengths: u64,
}

/// The length and the first and last bytes of a key: equal fingerprints mean equal keys for
/// keys up to 16 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fingerprint {
    len: usize,
    head: u64,
    tail: u64,
}

impl Fingerprint {
    fn of(key: &[u8]) -> Self {
        let n = key.len();
        let (head, tail) = match (key.first_chunk::<8>(), key.last_chunk::<8>()) {
            (Some(h), Some(t)) => (u64::from_le_bytes(*h), u64::from_le_bytes(*t)),
            _ => match (key.first_chunk::<4>(), key.last_chunk::<4>()) {
                (Some(h), Some(t)) => (
                    u64::from(u32::from_le_bytes(*h)),
                    u64::from(u32::from_le_bytes(*t)),
                ),
                // 0 to 3 bytes: the first, middle and last byte are all of them.
                _ => match (key.first(), key.get(n / 2), key.last()) {
                    (Some(&a), Some(&b), Some(&c)) => {
                        (u64::from(a) | u64::from(b) << 8 | u64::from(c) << 16, 0)
                    }
                    _ => (0, 0),
                },
            },
        };
        Self { len: n, head, tail }
    }

    /// Whether equal fingerprints already mean equal keys.
    fn exact(self) -> bool {
        self.len <= 16
    }

    fn bucket(self, mask: usize) -> usize {
        let h = (self.head ^ self.tail.rotate_left(29) ^ self.len as u64)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        // The top bits are the best mixed; the mask keeps the few the table needs.
        usize::try_from(h >> 48).unwrap_or(0) & mask
    }
}

impl SlotMap {
    pub(crate) fn new(slots: &crate::schema::ScopeSlots) -> Self {
        let mut map = Self::default();
        let strings = slots.strings.len();
        let named = slots
            .strings
            .iter()
            .enumerate()
            .map(|(i, c)| (c, DedicatedType::String, slot_u16(i)))
            .chain(
                slots
                    .ints
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (c, DedicatedType::Int, slot_u16(strings + i))),
            );
        for (c, kind, slot) in named {
            // Tempo maps a name listed twice to its last slot.
            let fp = Fingerprint::of(c.name.as_bytes());
            match map.entries.iter_mut().find(|e| e.0 == c.name) {
                Some(e) => (e.2, e.3) = (kind, slot),
                None => map.entries.push((c.name.clone(), fp, kind, slot)),
            }
        }
        if !map.entries.is_empty() {
            let size = (map.entries.len() * 4).next_power_of_two().max(8);
            map.table = vec![0; size];
            for e in &map.entries {
                map.lengths |= 1 << e.0.len().min(63);
            }
            for (i, e) in map.entries.iter().enumerate() {
                let mut b = e.1.bucket(size - 1);
                while map.table[b] != 0 {
                    b = (b + 1) & (size - 1);
                }
                map.table[b] = slot_u16(i + 1);
            }
        }
        map
    }

    fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The type and slot of dedicated column `key`, if it is one.
    pub(crate) fn find(&self, key: &str) -> Option<(DedicatedType, u16)> {
        if self.lengths & (1 << key.len().min(63)) == 0 {
            return None;
        }
        let fp = Fingerprint::of(key.as_bytes());
        let mask = self.table.len() - 1;
        let mut b = fp.bucket(mask);
        loop {
            let e = usize::from(*self.table.get(b)?);
            let (name, efp, kind, slot) = self.entries.get(e.checked_sub(1)?)?;
            if *efp == fp && (fp.exact() || name == key) {
                return Some((*kind, *slot));
            }
            b = (b + 1) & mask;
        }
    }

    /// Splits `attrs` into dedicated values (appended to `ded`) and generic attributes
    /// (appended to `generic`), Tempo's way: a value of the slot's type (or an array of only
    /// that type) replaces the slot's content; any other value for a dedicated key empties the
    /// slot and stays generic. Returns the ranges of `generic` and `ded` appended.
    fn split<'a>(
        &self,
        attrs: impl IntoIterator<Item = &'a KeyValue>,
        generic: &mut Vec<&'a KeyValue>,
        ded: &mut Vec<(u16, DedVal<'a>)>,
    ) -> (Range<u32>, Range<u32>) {
        let (g0, d0) = (generic.len(), ded.len());
        if self.is_empty() {
            generic.extend(attrs);
        } else {
            for kv in attrs {
                let Some((kind, slot)) = self.find(&kv.key) else {
                    generic.push(kv);
                    continue;
                };
                let value = accepts(kind, kv.value.as_ref());
                let stored = value.unwrap_or(DedVal::Empty);
                match ded[d0..].iter_mut().find(|(s, _)| *s == slot) {
                    Some(entry) => entry.1 = stored,
                    None => ded.push((slot, stored)),
                }
                if value.is_none() {
                    generic.push(kv);
                }
            }
        }
        (span_of(g0, generic.len()), span_of(d0, ded.len()))
    }
}

/// `start..end` as the `u32` range rows store (a trace holds far fewer than 2^32 items).
fn span_of(start: usize, end: usize) -> Range<u32> {
    let at = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
    at(start)..at(end)
}

/// The items of `v` in `range`.
pub(crate) fn at<'v, T>(v: &'v [T], range: &Range<u32>) -> &'v [T] {
    v.get(range.start as usize..range.end as usize)
        .unwrap_or_default()
}

fn slot_u16(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

/// What a dedicated slot of `kind` stores for `value`, or `None` when it rejects it.
pub(crate) fn accepts(kind: DedicatedType, value: Option<&AnyValue>) -> Option<DedVal<'_>> {
    let value = value?.value.as_ref()?;
    match (kind, value) {
        (DedicatedType::String, Value::StringValue(s)) => Some(DedVal::Str(s)),
        (DedicatedType::Int, Value::IntValue(i)) => Some(DedVal::Int(*i)),
        (_, Value::ArrayValue(a)) => {
            let all = a.values.iter().all(|v| {
                matches!(
                    (kind, &v.value),
                    (DedicatedType::String, Some(Value::StringValue(_)))
                        | (DedicatedType::Int, Some(Value::IntValue(_)))
                )
            });
            all.then_some(if a.values.is_empty() {
                DedVal::Empty
            } else {
                DedVal::Array(&a.values)
            })
        }
        _ => None,
    }
}

/// The slot maps of all three scopes.
#[derive(Debug, Clone)]
pub(crate) struct Slots {
    pub(crate) resource: SlotMap,
    pub(crate) span: SlotMap,
    pub(crate) event: SlotMap,
}

impl Slots {
    pub(crate) fn new(schema: &BlockSchema) -> Self {
        Self {
            resource: SlotMap::new(&schema.resource),
            span: SlotMap::new(&schema.span),
            event: SlotMap::new(&schema.event),
        }
    }
}

#[derive(Debug)]
pub(crate) struct EventRow<'a> {
    pub(crate) event: &'a span::Event,
    /// Generic attributes, in [`TraceRow::attrs`].
    pub(crate) attrs: Range<u32>,
    /// Dedicated values, in [`TraceRow::ded`].
    pub(crate) ded: Range<u32>,
}

/// A span. Its attributes are split between dedicated columns and the generic list by the
/// shredder, which writes them as it routes them ([`crate::shred`]), rather than here.
#[derive(Debug)]
pub(crate) struct SpanRow<'a> {
    pub(crate) span: &'a Span,
    /// Events, in [`TraceRow::events`].
    pub(crate) events: Range<u32>,
    pub(crate) parent_id: i32,
    pub(crate) left: i32,
    pub(crate) right: i32,
    pub(crate) child_count: i32,
}

#[derive(Debug)]
pub(crate) struct ScopeRow<'a> {
    pub(crate) name: &'a str,
    pub(crate) version: &'a str,
    /// Attributes, in [`TraceRow::attrs`].
    pub(crate) attrs: Range<u32>,
    pub(crate) dropped: u32,
    pub(crate) spans: Vec<SpanRow<'a>>,
}

#[derive(Debug)]
pub(crate) struct ResourceRow<'a> {
    pub(crate) service: &'a str,
    /// Generic attributes, in [`TraceRow::attrs`].
    pub(crate) attrs: Range<u32>,
    pub(crate) dropped: u32,
    /// Dedicated values, in [`TraceRow::ded`].
    pub(crate) ded: Range<u32>,
    pub(crate) scopes: Vec<ScopeRow<'a>>,
}

/// Per-service counts of a trace.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ServiceStat {
    pub(crate) spans: u32,
    pub(crate) errors: u32,
}

/// A trace as a row. The attribute lists, dedicated values and events of all its resources,
/// scopes, spans and events live in three flat vectors that the parts index by range, so a
/// row costs a few allocations, not several per span, and [`RowScratch`] hands the vectors
/// from one row to the next.
#[derive(Debug)]
pub(crate) struct TraceRow<'a> {
    pub(crate) id: [u8; 16],
    pub(crate) start: u64,
    pub(crate) end: u64,
    pub(crate) root_service: &'a str,
    pub(crate) root_span: &'a str,
    /// Span and error counts by service name, sorted by name.
    pub(crate) stats: Vec<(&'a str, ServiceStat)>,
    pub(crate) resources: Vec<ResourceRow<'a>>,
    pub(crate) attrs: Vec<&'a KeyValue>,
    pub(crate) ded: Vec<(u16, DedVal<'a>)>,
    pub(crate) events: Vec<EventRow<'a>>,
}

/// Buffers reused from one [`TraceRow`] to the next: the row's flat vectors (kept empty
/// between rows) and the nested-set numbering's work space.
#[derive(Debug, Default)]
pub(crate) struct RowScratch {
    stats: Vec<(&'static str, ServiceStat)>,
    attrs: Vec<&'static KeyValue>,
    ded: Vec<(u16, DedVal<'static>)>,
    events: Vec<EventRow<'static>>,
    nodes: Vec<&'static Span>,
    nest: nested_set::NestScratch,
}

/// An empty vector with `v`'s allocation for elements of another lifetime: the standard
/// library's in-place `collect` keeps the buffer of a vector of same-layout elements, so rows
/// of different inputs share buffers without `unsafe` (should it not, the buffer is simply
/// allocated again).
fn recycle<T, U>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    v.into_iter().filter_map(|_| None).collect()
}

const STATUS_ERROR: i32 = 2;
/// Span counts used as `u32` indexes: past this a trace is numbered as if it had no root.
const MAX_NESTED_SPANS: usize = u32::MAX as usize - 1;

impl<'a> TraceRow<'a> {
    /// Builds the row of trace `id` from its resource spans, with `scratch`'s buffers; give
    /// them back with [`TraceRow::recycle`].
    #[allow(
        clippy::too_many_lines,
        reason = "one pass over the input in Tempo's order; the root and bounds are found during it"
    )]
    pub(crate) fn new(
        id: [u8; 16],
        input: &'a [ResourceSpans],
        slots: &Slots,
        scratch: &mut RowScratch,
    ) -> Self {
        let mut attrs: Vec<&'a KeyValue> = recycle(std::mem::take(&mut scratch.attrs));
        let mut ded: Vec<(u16, DedVal<'a>)> = recycle(std::mem::take(&mut scratch.ded));
        let mut events: Vec<EventRow<'a>> = recycle(std::mem::take(&mut scratch.events));
        let mut start = 0u64;
        let mut end = 0u64;
        let mut root: Option<(&'a ResourceSpans, &'a Span)> = None;
        let mut resources = Vec::with_capacity(input.len());
        for rs in input {
            let mut service = "";
            let mut dropped = 0;
            let (mut r_attrs, mut r_ded) = (span_of(attrs.len(), attrs.len()), 0..0);
            if let Some(resource) = &rs.resource {
                dropped = resource.dropped_attributes_count;
                let rest = resource.attributes.iter().filter(|&kv| {
                    if kv.key == "service.name"
                        && let Some(Value::StringValue(s)) =
                            kv.value.as_ref().and_then(|v| v.value.as_ref())
                    {
                        service = s;
                        false
                    } else {
                        true
                    }
                });
                // Dedicated columns take their attributes; the rest stay generic, in order.
                (r_attrs, r_ded) = slots.resource.split(rest, &mut attrs, &mut ded);
            }
            let mut scopes = Vec::with_capacity(rs.scope_spans.len());
            for ss in &rs.scope_spans {
                let a0 = attrs.len();
                let (name, version, scope_dropped) = match &ss.scope {
                    Some(s) => {
                        attrs.extend(&s.attributes);
                        (
                            s.name.as_str(),
                            s.version.as_str(),
                            s.dropped_attributes_count,
                        )
                    }
                    None => ("", "", 0),
                };
                let scope_attrs = span_of(a0, attrs.len());
                let mut spans = Vec::with_capacity(ss.spans.len());
                for sp in &ss.spans {
                    // Trace bounds; Tempo replaces the running start while it is still 0.
                    if start == 0 || sp.start_time_unix_nano < start {
                        start = sp.start_time_unix_nano;
                    }
                    end = end.max(sp.end_time_unix_nano);
                    if sp.parent_span_id.is_empty() && !child_of_link(sp) {
                        root = Some((rs, sp));
                    }
                    let e0 = events.len();
                    for e in &sp.events {
                        let (attrs, ded) = slots.event.split(&e.attributes, &mut attrs, &mut ded);
                        events.push(EventRow {
                            event: e,
                            attrs,
                            ded,
                        });
                    }
                    spans.push(SpanRow {
                        span: sp,
                        events: span_of(e0, events.len()),
                        parent_id: 0,
                        left: 0,
                        right: 0,
                        child_count: 0,
                    });
                }
                scopes.push(ScopeRow {
                    name,
                    version,
                    attrs: scope_attrs,
                    dropped: scope_dropped,
                    spans,
                });
            }
            resources.push(ResourceRow {
                service,
                attrs: r_attrs,
                dropped,
                ded: r_ded,
                scopes,
            });
        }
        let (root_service, root_span) = match root {
            Some((rs, sp)) => match &rs.resource {
                Some(r) => (
                    r.attributes
                        .iter()
                        .find(|kv| kv.key == "service.name")
                        .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
                            Value::StringValue(s) => Some(s.as_str()),
                            _ => None,
                        })
                        .unwrap_or(""),
                    sp.name.as_str(),
                ),
                None => ("", ""),
            },
            None => ("", ""),
        };
        let mut row = Self {
            id,
            start,
            end,
            root_service,
            root_span,
            stats: recycle(std::mem::take(&mut scratch.stats)),
            resources,
            attrs,
            ded,
            events,
        };
        row.rebatch();
        row.service_stats();
        row.nested_set(scratch);
        row
    }

    /// Gives the row's reusable buffers back to `scratch`.
    pub(crate) fn recycle(self, scratch: &mut RowScratch) {
        scratch.stats = recycle(self.stats);
        scratch.attrs = recycle(self.attrs);
        scratch.ded = recycle(self.ded);
        scratch.events = recycle(self.events);
    }

    /// Merges resources with equal service name, dedicated values and (sorted) attributes,
    /// then scopes with equal name, version and (sorted) attributes, keeping first appearances.
    fn rebatch(&mut self) {
        fn sort(attrs: &mut [&KeyValue], range: &Range<u32>) {
            if let Some(list) = attrs.get_mut(range.start as usize..range.end as usize) {
                list.sort_by(|a, b| a.key.cmp(&b.key));
            }
        }
        let attrs = &mut self.attrs;
        for r in &self.resources {
            sort(attrs, &r.attrs);
        }
        if self.resources.len() > 1 {
            let mut merged: Vec<ResourceRow<'a>> = Vec::with_capacity(self.resources.len());
            for r in self.resources.drain(..) {
                match merged.iter_mut().find(|m| {
                    m.service == r.service
                        && same_dedicated(at(&self.ded, &m.ded), at(&self.ded, &r.ded))
                        && at(attrs, &m.attrs) == at(attrs, &r.attrs)
                }) {
                    Some(m) => m.scopes.extend(r.scopes),
                    None => merged.push(r),
                }
            }
            self.resources = merged;
        }
        for r in &mut self.resources {
            if r.scopes.len() < 2 {
                continue;
            }
            for s in &r.scopes {
                sort(attrs, &s.attrs);
            }
            let mut merged: Vec<ScopeRow<'a>> = Vec::with_capacity(r.scopes.len());
            for s in r.scopes.drain(..) {
                match merged.iter_mut().find(|m| {
                    m.name == s.name
                        && m.version == s.version
                        && at(attrs, &m.attrs) == at(attrs, &s.attrs)
                }) {
                    Some(m) => m.spans.extend(s.spans),
                    None => merged.push(s),
                }
            }
            r.scopes = merged;
        }
    }

    /// Span and error counts per resource service name (every resource counts, even one
    /// without spans), sorted by name.
    fn service_stats(&mut self) {
        for r in &self.resources {
            let i = if let Some(i) = self.stats.iter().position(|(name, _)| *name == r.service) {
                i
            } else {
                self.stats.push((r.service, ServiceStat::default()));
                self.stats.len() - 1
            };
            let stat = &mut self.stats[i].1;
            for s in &r.scopes {
                for sp in &s.spans {
                    stat.spans += 1;
                    if sp
                        .span
                        .status
                        .as_ref()
                        .is_some_and(|st| st.code == STATUS_ERROR)
                    {
                        stat.errors += 1;
                    }
                }
            }
        }
        self.stats.sort_unstable_by(|a, b| a.0.cmp(b.0));
    }

    /// Tempo's nested-set numbering: depth first from each root (a span without parent ID)
    /// in storage order, a shared counter from 1 giving NestedSetLeft on the way down and
    /// NestedSetRight on the way up; ParentID is the parent's left (-1 for roots). Zipkin's
    /// shared client/server IDs are told apart by kind. No root leaves everything 0; an ID
    /// used by more than two spans zeroes everything.
    ///
    /// Spans are matched to parents through their IDs sorted once (no hashing, so no input
    /// can make it quadratic); children are kept in span order, as Tempo visits them.
    #[allow(
        clippy::cast_possible_truncation,
        reason = "span indexes are below MAX_NESTED_SPANS, checked first"
    )]
    fn nested_set(&mut self, scratch: &mut RowScratch) {
        let mut nodes: Vec<&'a Span> = recycle(std::mem::take(&mut scratch.nodes));
        nodes.extend(
            self.resources
                .iter()
                .flat_map(|r| &r.scopes)
                .flat_map(|s| &s.spans)
                .map(|sp| sp.span),
        );
        if nodes.len() <= MAX_NESTED_SPANS && nested_set::number(&nodes, &mut scratch.nest) {
            let w = &scratch.nest;
            for (i, sp) in self
                .resources
                .iter_mut()
                .flat_map(|r| r.scopes.iter_mut())
                .flat_map(|s| s.spans.iter_mut())
                .enumerate()
            {
                (sp.left, sp.right, sp.parent_id, sp.child_count) = w.numbers(i);
            }
        }
        scratch.nodes = recycle(nodes);
    }

    /// Tempo's estimate of the row's size, which decides where row groups are cut: fixed
    /// costs per trace, resource, scope, span, event and link, IDs by length, and per generic
    /// attribute a fixed cost plus extra array elements (string lengths do not count). Span
    /// attributes are routed (and so counted) by the shredder: add what
    /// [`crate::shred::Shredder::write`] returns.
    pub(crate) fn estimated_size(&self) -> usize {
        let list = |range: &Range<u32>| at(&self.attrs, range).iter().copied();
        let mut size = 7 + self.id.len();
        for r in &self.resources {
            size += 31 + attrs_size(list(&r.attrs));
            for s in &r.scopes {
                size += 6 + attrs_size(list(&s.attrs));
                for sp in &s.spans {
                    let span = sp.span;
                    size += 45 + span.span_id.len() + span.parent_span_id.len();
                    for e in at(&self.events, &sp.events) {
                        size += 14 + attrs_size(list(&e.attrs));
                    }
                    for l in &span.links {
                        size += 5 + l.trace_id.len() + l.span_id.len() + attrs_size(&l.attributes);
                    }
                }
            }
        }
        size
    }

    /// Number of spans.
    pub(crate) fn span_count(&self) -> usize {
        self.resources
            .iter()
            .flat_map(|r| &r.scopes)
            .map(|s| s.spans.len())
            .sum()
    }
}

/// Tempo's size estimate of generic attributes: 7 each, plus the elements of a typed array
/// past the first.
pub(crate) fn attrs_size<'k>(list: impl IntoIterator<Item = &'k KeyValue>) -> usize {
    list.into_iter().map(attr_size).sum()
}

/// [`attrs_size`] of one attribute.
pub(crate) fn attr_size(kv: &KeyValue) -> usize {
    7 + match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
        Some(Value::ArrayValue(a)) if homogeneous(&a.values) => a.values.len().saturating_sub(1),
        _ => 0,
    }
}

/// Dedicated values equal slot by slot (absent and empty are the same).
fn same_dedicated<'a>(a: &[(u16, DedVal<'a>)], b: &[(u16, DedVal<'a>)]) -> bool {
    fn get<'a>(d: &[(u16, DedVal<'a>)], slot: u16) -> DedVal<'a> {
        d.iter()
            .find(|(s, _)| *s == slot)
            .map_or(DedVal::Empty, |(_, v)| *v)
    }
    a.iter()
        .chain(b.iter())
        .all(|(slot, _)| get(a, *slot) == get(b, *slot))
}

/// True when a span links to its own trace with `opentracing.ref_type = child_of` (Tempo
/// does not treat such a span as the root).
fn child_of_link(sp: &Span) -> bool {
    sp.links.iter().any(|l| {
        l.trace_id == sp.trace_id
            && l.attributes.iter().any(|kv| {
                kv.key == "opentracing.ref_type"
                    && matches!(
                        kv.value.as_ref().and_then(|v| v.value.as_ref()),
                        Some(Value::StringValue(s)) if s == "child_of"
                    )
            })
    })
}

/// True when an array is stored in a typed list (non-empty, all elements of the first
/// element's scalar type).
pub(crate) fn homogeneous(values: &[AnyValue]) -> bool {
    let Some(first) = values.first().and_then(|v| v.value.as_ref()) else {
        return false;
    };
    let same = |v: &AnyValue| {
        matches!(
            (first, &v.value),
            (Value::StringValue(_), Some(Value::StringValue(_)))
                | (Value::IntValue(_), Some(Value::IntValue(_)))
                | (Value::DoubleValue(_), Some(Value::DoubleValue(_)))
                | (Value::BoolValue(_), Some(Value::BoolValue(_)))
        )
    };
    values.iter().all(same)
}
