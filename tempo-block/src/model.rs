//! One OTLP trace turned into the shape of a vParquet5 row, with every derived field.
//!
//! This is the write-side model: it borrows the OTLP input and records where each attribute
//! goes (its dedicated slot or the generic list), merges identical resources and scopes
//! ("rebatching"), and computes what Tempo derives at write time: trace bounds, root service
//! and span name, per-service span and error counts, the nested-set numbering with parent and
//! child counts, and the rounded start times. The rules (and Tempo's quirks this keeps, so the
//! rows match Tempo's) are documented on each step.

use std::collections::{BTreeMap, HashMap};

use otlp_model::proto::common::{AnyValue, KeyValue, any_value::Value};
use otlp_model::proto::trace::{ResourceSpans, Span, span};

use crate::meta::DedicatedType;
use crate::schema::BlockSchema;

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
pub(crate) type Dedicated<'a> = Vec<(u16, DedVal<'a>)>;

/// Where the dedicated attributes of one scope go.
#[derive(Debug, Clone, Default)]
pub(crate) struct SlotMap {
    /// (attribute name, type, slot); at most 25 entries, so a scan beats hashing.
    map: Vec<(String, DedicatedType, u16)>,
}

impl SlotMap {
    pub(crate) fn new(slots: &crate::schema::ScopeSlots) -> Self {
        let mut map = Vec::new();
        let strings = slots.strings.len();
        for (i, c) in slots.strings.iter().enumerate() {
            map.push((c.name.clone(), DedicatedType::String, slot_u16(i)));
        }
        for (i, c) in slots.ints.iter().enumerate() {
            map.push((c.name.clone(), DedicatedType::Int, slot_u16(strings + i)));
        }
        // Tempo maps a name listed twice to its last slot.
        map.reverse();
        Self { map }
    }

    fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Splits `attrs` into dedicated values and generic attributes, Tempo's way: a value of
    /// the slot's type (or an array of only that type) replaces the slot's content; any other
    /// value for a dedicated key empties the slot and stays generic.
    fn split<'a>(
        &self,
        attrs: impl IntoIterator<Item = &'a KeyValue>,
        generic: &mut Vec<&'a KeyValue>,
    ) -> Dedicated<'a> {
        let mut ded: Dedicated<'a> = Vec::new();
        if self.is_empty() {
            generic.extend(attrs);
            return ded;
        }
        for kv in attrs {
            let Some(&(_, kind, slot)) = self.map.iter().find(|(name, ..)| *name == kv.key) else {
                generic.push(kv);
                continue;
            };
            let value = accepts(kind, kv.value.as_ref());
            let stored = value.unwrap_or(DedVal::Empty);
            match ded.iter_mut().find(|(s, _)| *s == slot) {
                Some(entry) => entry.1 = stored,
                None => ded.push((slot, stored)),
            }
            if value.is_none() {
                generic.push(kv);
            }
        }
        ded
    }
}

fn slot_u16(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

/// What a dedicated slot of `kind` stores for `value`, or `None` when it rejects it.
fn accepts(kind: DedicatedType, value: Option<&AnyValue>) -> Option<DedVal<'_>> {
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
    pub(crate) attrs: Vec<&'a KeyValue>,
    pub(crate) ded: Dedicated<'a>,
}

#[derive(Debug)]
pub(crate) struct SpanRow<'a> {
    pub(crate) span: &'a Span,
    pub(crate) attrs: Vec<&'a KeyValue>,
    pub(crate) ded: Dedicated<'a>,
    pub(crate) events: Vec<EventRow<'a>>,
    pub(crate) parent_id: i32,
    pub(crate) left: i32,
    pub(crate) right: i32,
    pub(crate) child_count: i32,
}

#[derive(Debug)]
pub(crate) struct ScopeRow<'a> {
    pub(crate) name: &'a str,
    pub(crate) version: &'a str,
    pub(crate) attrs: Vec<&'a KeyValue>,
    pub(crate) dropped: u32,
    pub(crate) spans: Vec<SpanRow<'a>>,
}

#[derive(Debug)]
pub(crate) struct ResourceRow<'a> {
    pub(crate) service: &'a str,
    pub(crate) attrs: Vec<&'a KeyValue>,
    pub(crate) dropped: u32,
    pub(crate) ded: Dedicated<'a>,
    pub(crate) scopes: Vec<ScopeRow<'a>>,
}

/// Per-service counts of a trace.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ServiceStat {
    pub(crate) spans: u32,
    pub(crate) errors: u32,
}

#[derive(Debug)]
pub(crate) struct TraceRow<'a> {
    pub(crate) id: [u8; 16],
    pub(crate) start: u64,
    pub(crate) end: u64,
    pub(crate) root_service: &'a str,
    pub(crate) root_span: &'a str,
    pub(crate) stats: BTreeMap<&'a str, ServiceStat>,
    pub(crate) resources: Vec<ResourceRow<'a>>,
}

const STATUS_ERROR: i32 = 2;
const KIND_SERVER: i32 = 2;
const KIND_CLIENT: i32 = 3;

impl<'a> TraceRow<'a> {
    /// Builds the row of trace `id` from its resource spans.
    #[allow(
        clippy::too_many_lines,
        reason = "one pass over the input in Tempo's order; the root and bounds are found during it"
    )]
    pub(crate) fn new(id: [u8; 16], input: &'a [ResourceSpans], slots: &Slots) -> Self {
        let mut start = 0u64;
        let mut end = 0u64;
        let mut root: Option<(&'a ResourceSpans, &'a Span)> = None;
        let mut resources = Vec::with_capacity(input.len());
        for rs in input {
            let mut service = "";
            let mut attrs = Vec::new();
            let mut ded = Vec::new();
            let mut dropped = 0;
            if let Some(resource) = &rs.resource {
                dropped = resource.dropped_attributes_count;
                let mut rest = Vec::with_capacity(resource.attributes.len());
                for kv in &resource.attributes {
                    if kv.key == "service.name"
                        && let Some(Value::StringValue(s)) =
                            kv.value.as_ref().and_then(|v| v.value.as_ref())
                    {
                        service = s;
                    } else {
                        rest.push(kv);
                    }
                }
                // Dedicated columns take their attributes; the rest stay generic, in order.
                ded = slots.resource.split(rest, &mut attrs);
            }
            let mut scopes = Vec::with_capacity(rs.scope_spans.len());
            for ss in &rs.scope_spans {
                let (name, version, scope_attrs, scope_dropped) = match &ss.scope {
                    Some(s) => (
                        s.name.as_str(),
                        s.version.as_str(),
                        s.attributes.iter().collect(),
                        s.dropped_attributes_count,
                    ),
                    None => ("", "", Vec::new(), 0),
                };
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
                    let mut attrs = Vec::with_capacity(sp.attributes.len());
                    let ded = slots.span.split(&sp.attributes, &mut attrs);
                    let events = sp
                        .events
                        .iter()
                        .map(|e| {
                            let mut attrs = Vec::with_capacity(e.attributes.len());
                            let ded = slots.event.split(&e.attributes, &mut attrs);
                            EventRow {
                                event: e,
                                attrs,
                                ded,
                            }
                        })
                        .collect();
                    spans.push(SpanRow {
                        span: sp,
                        attrs,
                        ded,
                        events,
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
                attrs,
                dropped,
                ded,
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
            stats: BTreeMap::new(),
            resources,
        };
        row.rebatch();
        row.service_stats();
        row.nested_set();
        row
    }

    /// Merges resources with equal service name, dedicated values and (sorted) attributes,
    /// then scopes with equal name, version and (sorted) attributes, keeping first appearances.
    fn rebatch(&mut self) {
        for r in &mut self.resources {
            r.attrs.sort_by(|a, b| a.key.cmp(&b.key));
        }
        if self.resources.len() > 1 {
            let mut merged: Vec<ResourceRow<'a>> = Vec::with_capacity(self.resources.len());
            for r in self.resources.drain(..) {
                match merged.iter_mut().find(|m| {
                    m.service == r.service && same_dedicated(&m.ded, &r.ded) && m.attrs == r.attrs
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
            for s in &mut r.scopes {
                s.attrs.sort_by(|a, b| a.key.cmp(&b.key));
            }
            let mut merged: Vec<ScopeRow<'a>> = Vec::with_capacity(r.scopes.len());
            for s in r.scopes.drain(..) {
                match merged
                    .iter_mut()
                    .find(|m| m.name == s.name && m.version == s.version && m.attrs == s.attrs)
                {
                    Some(m) => m.spans.extend(s.spans),
                    None => merged.push(s),
                }
            }
            r.scopes = merged;
        }
    }

    /// Span and error counts per resource service name (every resource counts, even one
    /// without spans).
    fn service_stats(&mut self) {
        for r in &self.resources {
            let stat = self.stats.entry(r.service).or_default();
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
    }

    /// Tempo's nested-set numbering: depth first from each root (a span without parent ID)
    /// in storage order, a shared counter from 1 giving NestedSetLeft on the way down and
    /// NestedSetRight on the way up; ParentID is the parent's left (-1 for roots). Zipkin's
    /// shared client/server IDs are told apart by kind. No root leaves everything 0; an ID
    /// used by more than two spans zeroes everything.
    fn nested_set(&mut self) {
        let mut nodes: Vec<&mut SpanRow<'a>> = self
            .resources
            .iter_mut()
            .flat_map(|r| r.scopes.iter_mut())
            .flat_map(|s| s.spans.iter_mut())
            .collect();
        let n = nodes.len();
        let key = |id: &[u8]| {
            let mut b = [0u8; 8];
            let l = id.len().min(8);
            b[..l].copy_from_slice(&id[..l]);
            u64::from_le_bytes(b)
        };
        let mut by_id: HashMap<u64, [u32; 2]> = HashMap::with_capacity(n);
        let mut counts: HashMap<u64, u8> = HashMap::with_capacity(n);
        let mut roots = Vec::new();
        for (i, node) in nodes.iter().enumerate() {
            let k = key(&node.span.span_id);
            let c = counts.entry(k).or_insert(0);
            if *c >= 2 {
                // More than two spans share an ID: Tempo gives up on the whole trace.
                return;
            }
            by_id.entry(k).or_insert([u32::MAX; 2])[usize::from(*c)] =
                u32::try_from(i).unwrap_or(u32::MAX);
            *c += 1;
            if node.span.parent_span_id.is_empty() {
                roots.push(i);
            }
        }
        if roots.is_empty() {
            return;
        }
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, node) in nodes.iter().enumerate() {
            if node.span.parent_span_id.is_empty() {
                continue;
            }
            let Some(cands) = by_id.get(&key(&node.span.parent_span_id)) else {
                continue;
            };
            let cands: Vec<usize> = cands
                .iter()
                .filter(|&&c| c != u32::MAX)
                .map(|&c| c as usize)
                .collect();
            let parent = if cands.len() == 1 {
                Some(cands[0])
            } else {
                let want = if node.span.kind == KIND_SERVER {
                    KIND_CLIENT
                } else {
                    KIND_SERVER
                };
                cands.into_iter().find(|&c| nodes[c].span.kind == want)
            };
            if let Some(p) = parent {
                children[p].push(i);
            }
        }
        for (i, node) in nodes.iter_mut().enumerate() {
            node.child_count = i32::try_from(children[i].len()).unwrap_or(i32::MAX);
        }
        let mut counter: i32 = 1;
        let mut visited = vec![false; n];
        for &root in &roots {
            // Iterative depth-first walk: (node, next child position).
            nodes[root].left = counter;
            nodes[root].parent_id = -1;
            counter = counter.saturating_add(1);
            visited[root] = true;
            let mut stack = vec![(root, 0usize)];
            while let Some((node, pos)) = stack.last_mut() {
                let node = *node;
                if let Some(&child) = children[node].get(*pos) {
                    *pos += 1;
                    if visited[child] {
                        continue;
                    }
                    visited[child] = true;
                    nodes[child].left = counter;
                    nodes[child].parent_id = nodes[node].left;
                    counter = counter.saturating_add(1);
                    stack.push((child, 0));
                } else {
                    nodes[node].right = counter;
                    counter = counter.saturating_add(1);
                    stack.pop();
                }
            }
        }
    }

    /// Tempo's estimate of the row's size, which decides where row groups are cut: fixed
    /// costs per trace, resource, scope, span, event and link, IDs by length, and per generic
    /// attribute a fixed cost plus extra array elements (string lengths do not count).
    pub(crate) fn estimated_size(&self) -> usize {
        fn attrs(list: &[&KeyValue]) -> usize {
            list.iter()
                .map(|kv| {
                    7 + match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                        Some(Value::ArrayValue(a)) if homogeneous(&a.values) => {
                            a.values.len().saturating_sub(1)
                        }
                        _ => 0,
                    }
                })
                .sum()
        }
        let mut size = 7 + self.id.len();
        for r in &self.resources {
            size += 31 + attrs(&r.attrs);
            for s in &r.scopes {
                size += 6 + attrs(&s.attrs);
                for sp in &s.spans {
                    let span = sp.span;
                    size += 45 + span.span_id.len() + span.parent_span_id.len() + attrs(&sp.attrs);
                    for e in &sp.events {
                        size += 14 + attrs(&e.attrs);
                    }
                    for l in &span.links {
                        let refs: Vec<&KeyValue> = l.attributes.iter().collect();
                        size += 5 + l.trace_id.len() + l.span_id.len() + attrs(&refs);
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

/// Dedicated values equal slot by slot (absent and empty are the same).
fn same_dedicated<'a>(a: &Dedicated<'a>, b: &Dedicated<'a>) -> bool {
    fn get<'a>(d: &Dedicated<'a>, slot: u16) -> DedVal<'a> {
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
