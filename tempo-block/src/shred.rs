//! Record shredding: writes [`TraceRow`]s into per-leaf column buffers (values plus
//! definition and repetition levels), the inverse of [`crate::assemble`].
//!
//! Levels follow the vParquet5 nesting: a trace is level 0; `ServiceStats` and `rs` elements
//! are repetition/definition level 1, `ss` 2, `Spans` 3, span attributes, events and links 4,
//! their attributes 5 — and each attribute's value lists one deeper than the attribute.

use std::collections::HashMap;

use otlp_model::proto::common::{AnyValue, KeyValue, any_value::Value};

use otlp_model::proto::trace::Span;

use crate::model::{
    DedVal, Dedicated, ResourceRow, SlotMap, SpanRow, TraceRow, accepts, at, attr_size, homogeneous,
};
use crate::schema::{BlockSchema, MAX_INT_SLOTS, MAX_STRING_SLOTS};

/// Values of one leaf column.
#[derive(Debug)]
pub(crate) enum Data {
    Bytes { buf: Vec<u8>, ends: Vec<usize> },
    I32(Vec<i32>),
    I64(Vec<i64>),
    F64(Vec<f64>),
    Bool(Vec<bool>),
}

/// One leaf column's buffered values and levels.
#[derive(Debug)]
pub(crate) struct ColBuf {
    pub(crate) def: Vec<i16>,
    pub(crate) rep: Vec<i16>,
    pub(crate) data: Data,
}

impl ColBuf {
    fn new(data: Data) -> Self {
        Self {
            def: Vec::new(),
            rep: Vec::new(),
            data,
        }
    }

    #[inline]
    fn levels(&mut self, def: i16, rep: i16) {
        self.def.push(def);
        self.rep.push(rep);
    }

    #[inline]
    fn bytes(&mut self, v: &[u8], def: i16, rep: i16) {
        self.levels(def, rep);
        if let Data::Bytes { buf, ends } = &mut self.data {
            buf.extend_from_slice(v);
            ends.push(buf.len());
        }
    }

    #[inline]
    fn int(&mut self, v: i64, def: i16, rep: i16) {
        self.levels(def, rep);
        match &mut self.data {
            Data::I64(d) => d.push(v),
            // Columns stored as INT32 hold values that fit (counts, nested-set numbers, and
            // u32 bit patterns cast by the caller).
            Data::I32(d) => d.push(i32::try_from(v).unwrap_or(i32::MAX)),
            _ => {}
        }
    }

    #[inline]
    fn double(&mut self, v: f64, def: i16, rep: i16) {
        self.levels(def, rep);
        if let Data::F64(d) = &mut self.data {
            d.push(v);
        }
    }

    #[inline]
    fn boolean(&mut self, v: bool, def: i16, rep: i16) {
        self.levels(def, rep);
        if let Data::Bool(d) = &mut self.data {
            d.push(v);
        }
    }

    /// An entry without a value (an empty list or absent optional at `def`).
    #[inline]
    fn null(&mut self, def: i16, rep: i16) {
        self.levels(def, rep);
    }

    /// Drops the first `levels` levels and `values` values (fed to the column writer).
    pub(crate) fn consume(&mut self, levels: usize, values: usize) {
        self.def.drain(..levels);
        self.rep.drain(..levels);
        match &mut self.data {
            Data::Bytes { buf, ends } => {
                let end = values.checked_sub(1).map_or(0, |last| ends[last]);
                buf.drain(..end);
                ends.drain(..values);
                for e in ends.iter_mut() {
                    *e -= end;
                }
            }
            Data::I32(d) => drop(d.drain(..values)),
            Data::I64(d) => drop(d.drain(..values)),
            Data::F64(d) => drop(d.drain(..values)),
            Data::Bool(d) => drop(d.drain(..values)),
        }
    }

    /// Buffered value bytes (a rough in-memory size).
    pub(crate) fn byte_size(&self) -> usize {
        self.def.len() * 4
            + match &self.data {
                Data::Bytes { buf, ends } => buf.len() + ends.len() * 8,
                Data::I32(d) => d.len() * 4,
                Data::I64(d) => d.len() * 8,
                Data::F64(d) => d.len() * 8,
                Data::Bool(d) => d.len(),
            }
    }
}

/// Leaf indexes of one generic attribute group.
#[derive(Debug, Clone, Copy)]
struct AttrIx {
    key: usize,
    is_array: usize,
    value: usize,
    int: usize,
    double: usize,
    bool: usize,
    unsupported: usize,
}

/// Leaf indexes of every column the shredder writes.
#[derive(Debug, Clone)]
struct Ix {
    trace_id: usize,
    trace_id_text: usize,
    start: usize,
    end: usize,
    duration: usize,
    root_service: usize,
    root_span: usize,
    stats_name: usize,
    stats_spans: usize,
    stats_errors: usize,
    res_service: usize,
    res_attrs: AttrIx,
    res_dropped: usize,
    res_ded: Vec<usize>,
    scope_name: usize,
    scope_version: usize,
    scope_attrs: AttrIx,
    scope_dropped: usize,
    span_id: usize,
    parent_span_id: usize,
    parent_id: usize,
    left: usize,
    right: usize,
    child_count: usize,
    name: usize,
    kind: usize,
    trace_state: usize,
    span_start: usize,
    span_duration: usize,
    status_code: usize,
    status_message: usize,
    span_attrs: AttrIx,
    span_dropped: usize,
    ev_time: usize,
    ev_name: usize,
    ev_attrs: AttrIx,
    ev_dropped: usize,
    ev_ded: Vec<usize>,
    dropped_events: usize,
    link_trace_id: usize,
    link_span_id: usize,
    link_trace_state: usize,
    link_attrs: AttrIx,
    link_dropped: usize,
    dropped_links: usize,
    span_ded: Vec<usize>,
    rounded: [usize; 4],
    span_count: usize,
    /// Leaves under `rs`, `rs.ss`, `rs.ss.Spans`, `…Events`, `…Links`, `ServiceStats`.
    under_rs: Vec<usize>,
    under_ss: Vec<usize>,
    under_spans: Vec<usize>,
    under_events: Vec<usize>,
    under_links: Vec<usize>,
    under_stats: Vec<usize>,
}

/// Column buffers for one row group, in schema leaf order.
#[derive(Debug)]
pub(crate) struct Shredder {
    pub(crate) cols: Vec<ColBuf>,
    ix: Ix,
}

const ROUNDING_STEPS: [u64; 4] = [15, 60, 300, 3600];

impl Shredder {
    #[allow(clippy::too_many_lines, reason = "one lookup per leaf column")]
    pub(crate) fn new(schema: &BlockSchema) -> Self {
        let paths: HashMap<&str, usize> = schema
            .leaves
            .iter()
            .enumerate()
            .map(|(i, l)| (l.path.as_str(), i))
            .collect();
        // Every path looked up here is created by `BlockSchema`; a miss is a bug in this crate.
        let at = |p: &str| paths.get(p).copied().unwrap_or(usize::MAX);
        let attrs = |prefix: &str| AttrIx {
            key: at(&format!("{prefix}Attrs.Key")),
            is_array: at(&format!("{prefix}Attrs.IsArray")),
            value: at(&format!("{prefix}Attrs.Value")),
            int: at(&format!("{prefix}Attrs.ValueInt")),
            double: at(&format!("{prefix}Attrs.ValueDouble")),
            bool: at(&format!("{prefix}Attrs.ValueBool")),
            unsupported: at(&format!("{prefix}Attrs.ValueUnsupported")),
        };
        let ded = |prefix: &str, slots: &crate::schema::ScopeSlots| {
            (0..slots.strings.len())
                .map(|i| at(&format!("{prefix}DedicatedAttributes.String{:02}", i + 1)))
                .chain(
                    (0..slots.ints.len())
                        .map(|i| at(&format!("{prefix}DedicatedAttributes.Int{:02}", i + 1))),
                )
                .collect::<Vec<_>>()
        };
        let under = |prefix: &str| {
            schema
                .leaves
                .iter()
                .enumerate()
                .filter(|(_, l)| l.path.starts_with(prefix))
                .map(|(i, _)| i)
                .collect::<Vec<_>>()
        };
        let sp = "rs.ss.Spans.";
        let ix = Ix {
            trace_id: at("TraceID"),
            trace_id_text: at("TraceIDText"),
            start: at("StartTimeUnixNano"),
            end: at("EndTimeUnixNano"),
            duration: at("DurationNano"),
            root_service: at("RootServiceName"),
            root_span: at("RootSpanName"),
            stats_name: at("ServiceStats.ServiceName"),
            stats_spans: at("ServiceStats.SpanCount"),
            stats_errors: at("ServiceStats.ErrorCount"),
            res_service: at("rs.Resource.ServiceName"),
            res_attrs: attrs("rs.Resource."),
            res_dropped: at("rs.Resource.DroppedAttributesCount"),
            res_ded: ded("rs.Resource.", &schema.resource),
            scope_name: at("rs.ss.Scope.Name"),
            scope_version: at("rs.ss.Scope.Version"),
            scope_attrs: attrs("rs.ss.Scope."),
            scope_dropped: at("rs.ss.Scope.DroppedAttributesCount"),
            span_id: at("rs.ss.Spans.SpanID"),
            parent_span_id: at("rs.ss.Spans.ParentSpanID"),
            parent_id: at("rs.ss.Spans.ParentID"),
            left: at("rs.ss.Spans.NestedSetLeft"),
            right: at("rs.ss.Spans.NestedSetRight"),
            child_count: at("rs.ss.Spans.ChildCount"),
            name: at("rs.ss.Spans.Name"),
            kind: at("rs.ss.Spans.Kind"),
            trace_state: at("rs.ss.Spans.TraceState"),
            span_start: at("rs.ss.Spans.StartTimeUnixNano"),
            span_duration: at("rs.ss.Spans.DurationNano"),
            status_code: at("rs.ss.Spans.StatusCode"),
            status_message: at("rs.ss.Spans.StatusMessage"),
            span_attrs: attrs(sp),
            span_dropped: at("rs.ss.Spans.DroppedAttributesCount"),
            ev_time: at("rs.ss.Spans.Events.TimeSinceStartNano"),
            ev_name: at("rs.ss.Spans.Events.Name"),
            ev_attrs: attrs("rs.ss.Spans.Events."),
            ev_dropped: at("rs.ss.Spans.Events.DroppedAttributesCount"),
            ev_ded: ded("rs.ss.Spans.Events.", &schema.event),
            dropped_events: at("rs.ss.Spans.DroppedEventsCount"),
            link_trace_id: at("rs.ss.Spans.Links.TraceID"),
            link_span_id: at("rs.ss.Spans.Links.SpanID"),
            link_trace_state: at("rs.ss.Spans.Links.TraceState"),
            link_attrs: attrs("rs.ss.Spans.Links."),
            link_dropped: at("rs.ss.Spans.Links.DroppedAttributesCount"),
            dropped_links: at("rs.ss.Spans.DroppedLinksCount"),
            span_ded: ded(sp, &schema.span),
            rounded: [
                at("rs.ss.Spans.StartTimeRounded15"),
                at("rs.ss.Spans.StartTimeRounded60"),
                at("rs.ss.Spans.StartTimeRounded300"),
                at("rs.ss.Spans.StartTimeRounded3600"),
            ],
            span_count: at("rs.ss.SpanCount"),
            under_rs: under("rs."),
            under_ss: under("rs.ss."),
            under_spans: under("rs.ss.Spans."),
            under_events: under("rs.ss.Spans.Events."),
            under_links: under("rs.ss.Spans.Links."),
            under_stats: under("ServiceStats."),
        };
        let root = schema.parquet_type();
        let mut cols = Vec::with_capacity(schema.leaves.len());
        collect_leaves(root, &mut cols);
        Self { cols, ix }
    }

    /// Approximate bytes buffered.
    pub(crate) fn buffered_bytes(&self) -> usize {
        self.cols.iter().map(ColBuf::byte_size).sum()
    }

    /// Appends one trace, routing span attributes to dedicated columns with `span_slots`.
    /// Returns Tempo's size estimate of the spans' generic attributes (the part of the row's
    /// estimate [`TraceRow::estimated_size`] leaves out).
    pub(crate) fn write(&mut self, t: &TraceRow<'_>, span_slots: &SlotMap) -> usize {
        let mut rows = Rows {
            c: &mut self.cols,
            ix: &self.ix,
            t,
            span_slots,
            span_attrs_size: 0,
        };
        rows.trace();
        rows.span_attrs_size
    }
}

/// One trace being written into the column buffers.
struct Rows<'s, 't, 'a> {
    c: &'s mut [ColBuf],
    ix: &'s Ix,
    t: &'t TraceRow<'a>,
    span_slots: &'s SlotMap,
    /// Tempo's size estimate of the generic span attributes written.
    span_attrs_size: usize,
}

impl Rows<'_, '_, '_> {
    fn nulls(&mut self, leaves: &[usize], def: i16, rep: i16) {
        for &c in leaves {
            self.c[c].null(def, rep);
        }
    }

    fn trace(&mut self) {
        let (ix, t) = (self.ix, self.t);
        let (c, id) = (&mut *self.c, &t.id);
        c[ix.trace_id].bytes(id, 0, 0);
        let text = otlp_model::TraceId::from_bytes(*id).to_short_hex();
        let text = if text == "0" { "" } else { text.as_str() };
        c[ix.trace_id_text].bytes(text.as_bytes(), 0, 0);
        c[ix.start].int(t.start.cast_signed(), 0, 0);
        c[ix.end].int(t.end.cast_signed(), 0, 0);
        c[ix.duration].int(t.end.wrapping_sub(t.start).cast_signed(), 0, 0);
        c[ix.root_service].bytes(t.root_service.as_bytes(), 0, 0);
        c[ix.root_span].bytes(t.root_span.as_bytes(), 0, 0);
        if t.stats.is_empty() {
            self.nulls(&ix.under_stats, 0, 0);
        } else {
            for (i, (name, s)) in t.stats.iter().enumerate() {
                let r = i16::from(i > 0);
                c[ix.stats_name].bytes(name.as_bytes(), 1, r);
                c[ix.stats_spans].int(i64::from(s.spans.cast_signed()), 1, r);
                c[ix.stats_errors].int(i64::from(s.errors.cast_signed()), 1, r);
            }
        }
        if t.resources.is_empty() {
            self.nulls(&ix.under_rs, 0, 0);
            return;
        }
        for (i, r) in t.resources.iter().enumerate() {
            let rep = i16::from(i > 0);
            self.resource(r, rep);
        }
    }

    fn resource(&mut self, r: &ResourceRow<'_>, rep: i16) {
        let (ix, t) = (self.ix, self.t);
        self.c[ix.res_service].bytes(r.service.as_bytes(), 1, rep);
        self.attrs(ix.res_attrs, at(&t.attrs, &r.attrs).iter().copied(), 2, rep);
        self.c[ix.res_dropped].int(i64::from(r.dropped.cast_signed()), 1, rep);
        self.dedicated(&ix.res_ded, at(&t.ded, &r.ded), 2, rep);
        if r.scopes.is_empty() {
            self.nulls(&ix.under_ss, 1, rep);
            return;
        }
        for (j, s) in r.scopes.iter().enumerate() {
            let rep = if j == 0 { rep } else { 2 };
            self.c[ix.scope_name].bytes(s.name.as_bytes(), 2, rep);
            self.c[ix.scope_version].bytes(s.version.as_bytes(), 2, rep);
            self.attrs(
                ix.scope_attrs,
                at(&t.attrs, &s.attrs).iter().copied(),
                3,
                rep,
            );
            self.c[ix.scope_dropped].int(i64::from(s.dropped.cast_signed()), 2, rep);
            self.c[ix.span_count].int(i64::try_from(s.spans.len()).unwrap_or(i64::MAX), 2, rep);
            if s.spans.is_empty() {
                self.nulls(&ix.under_spans, 2, rep);
                continue;
            }
            for (k, sp) in s.spans.iter().enumerate() {
                let rep = if k == 0 { rep } else { 3 };
                self.span(sp, rep);
            }
        }
    }

    fn span(&mut self, row: &SpanRow<'_>, rep: i16) {
        let (ix, t) = (self.ix, self.t);
        let sp = row.span;
        let c = &mut *self.c;
        c[ix.span_id].bytes(&sp.span_id, 3, rep);
        c[ix.parent_span_id].bytes(&sp.parent_span_id, 3, rep);
        c[ix.parent_id].int(i64::from(row.parent_id), 3, rep);
        c[ix.left].int(i64::from(row.left), 3, rep);
        c[ix.right].int(i64::from(row.right), 3, rep);
        c[ix.child_count].int(i64::from(row.child_count), 3, rep);
        c[ix.name].bytes(sp.name.as_bytes(), 3, rep);
        c[ix.kind].int(i64::from(sp.kind), 3, rep);
        c[ix.trace_state].bytes(sp.trace_state.as_bytes(), 3, rep);
        let start = sp.start_time_unix_nano;
        c[ix.span_start].int(start.cast_signed(), 3, rep);
        c[ix.span_duration].int(
            sp.end_time_unix_nano.wrapping_sub(start).cast_signed(),
            3,
            rep,
        );
        let (code, message) = sp
            .status
            .as_ref()
            .map_or((0, ""), |s| (s.code, s.message.as_str()));
        c[ix.status_code].int(i64::from(code), 3, rep);
        c[ix.status_message].bytes(message.as_bytes(), 3, rep);
        c[ix.span_dropped].int(i64::from(sp.dropped_attributes_count.cast_signed()), 3, rep);
        c[ix.dropped_events].int(i64::from(sp.dropped_events_count.cast_signed()), 3, rep);
        c[ix.dropped_links].int(i64::from(sp.dropped_links_count.cast_signed()), 3, rep);
        for (col, step) in ix.rounded.iter().zip(ROUNDING_STEPS) {
            // Tempo's interval mapper: buckets are closed on the right, so a start exactly on a
            // boundary belongs to the bucket before it; a zero start stays 0.
            let bucket = if start == 0 {
                0
            } else {
                (start - 1) / (step * 1_000_000_000)
            };
            // Stored as the low 32 bits (UINT32), as Tempo casts it.
            #[allow(
                clippy::cast_possible_truncation,
                reason = "Tempo stores the bucket number's low 32 bits (a UINT32 column)"
            )]
            let bucket = bucket as u32;
            c[*col].int(i64::from(bucket.cast_signed()), 3, rep);
        }
        self.span_attrs(sp, rep);
        let events = at(&t.events, &row.events);
        if events.is_empty() {
            self.nulls(&ix.under_events, 3, rep);
        } else {
            for (e, ev) in events.iter().enumerate() {
                let rep = if e == 0 { rep } else { 4 };
                let since = ev.event.time_unix_nano.wrapping_sub(start);
                self.c[ix.ev_time].int(since.cast_signed(), 4, rep);
                self.c[ix.ev_name].bytes(ev.event.name.as_bytes(), 4, rep);
                self.attrs(ix.ev_attrs, at(&t.attrs, &ev.attrs).iter().copied(), 5, rep);
                self.c[ix.ev_dropped].int(
                    i64::from(ev.event.dropped_attributes_count.cast_signed()),
                    4,
                    rep,
                );
                self.dedicated(&ix.ev_ded, at(&t.ded, &ev.ded), 5, rep);
            }
        }
        if sp.links.is_empty() {
            self.nulls(&ix.under_links, 3, rep);
        } else {
            for (l, link) in sp.links.iter().enumerate() {
                let rep = if l == 0 { rep } else { 4 };
                self.c[ix.link_trace_id].bytes(&link.trace_id, 4, rep);
                self.c[ix.link_span_id].bytes(&link.span_id, 4, rep);
                self.c[ix.link_trace_state].bytes(link.trace_state.as_bytes(), 4, rep);
                self.attrs(ix.link_attrs, link.attributes.iter(), 5, rep);
                self.c[ix.link_dropped].int(
                    i64::from(link.dropped_attributes_count.cast_signed()),
                    4,
                    rep,
                );
            }
        }
    }

    /// Writes a span's attributes: those of a dedicated column with a value of its type go
    /// to the column (a later one replaces an earlier; one of another type empties it and
    /// stays generic), the rest to the generic list in order, with their elements at level 4.
    fn span_attrs(&mut self, sp: &Span, rep: i16) {
        const LVL: i16 = 4;
        let ix = self.ix;
        let mut slots = [DedVal::Empty; MAX_STRING_SLOTS + MAX_INT_SLOTS];
        let mut generic = 0usize;
        for kv in &sp.attributes {
            if let Some((kind, slot)) = self.span_slots.find(&kv.key) {
                let value = accepts(kind, kv.value.as_ref());
                if let Some(s) = slots.get_mut(usize::from(slot)) {
                    *s = value.unwrap_or(DedVal::Empty);
                }
                if value.is_some() {
                    continue;
                }
            }
            let r = if generic == 0 { rep } else { LVL };
            self.attr(ix.span_attrs, kv, LVL, r);
            self.span_attrs_size += attr_size(kv);
            generic += 1;
        }
        if generic == 0 {
            self.attrs(ix.span_attrs, std::iter::empty(), LVL, rep);
        }
        for (&col, value) in ix.span_ded.iter().zip(slots) {
            self.dedicated_value(col, value, LVL, rep);
        }
    }

    /// Writes a generic attribute list whose elements sit at level `lvl`.
    fn attrs<'k>(
        &mut self,
        ix: AttrIx,
        list: impl ExactSizeIterator<Item = &'k KeyValue>,
        lvl: i16,
        rep: i16,
    ) {
        if list.len() == 0 {
            for c in [
                ix.key,
                ix.is_array,
                ix.value,
                ix.int,
                ix.double,
                ix.bool,
                ix.unsupported,
            ] {
                self.c[c].null(lvl - 1, rep);
            }
            return;
        }
        for (i, kv) in list.enumerate() {
            let rep = if i == 0 { rep } else { lvl };
            self.attr(ix, kv, lvl, rep);
        }
    }

    fn attr(&mut self, ix: AttrIx, kv: &KeyValue, lvl: i16, rep: i16) {
        let value = kv.value.as_ref().and_then(|v| v.value.as_ref());
        let c = &mut *self.c;
        c[ix.key].bytes(kv.key.as_bytes(), lvl, rep);
        // Which typed list holds an array's values, or None (scalars, the JSON fallback).
        let (is_array, typed): (bool, Option<(usize, &[AnyValue])>) = match value {
            Some(Value::ArrayValue(a)) if a.values.is_empty() => (true, None),
            Some(Value::ArrayValue(a)) if homogeneous(&a.values) => {
                let col = match a.values[0].value {
                    Some(Value::StringValue(_)) => ix.value,
                    Some(Value::IntValue(_)) => ix.int,
                    Some(Value::DoubleValue(_)) => ix.double,
                    _ => ix.bool,
                };
                (true, Some((col, a.values.as_slice())))
            }
            _ => (false, None),
        };
        c[ix.is_array].boolean(is_array, lvl, rep);
        let inner = lvl + 1;
        let scalar_col = match value {
            Some(Value::StringValue(_)) => Some(ix.value),
            Some(Value::IntValue(_)) => Some(ix.int),
            Some(Value::DoubleValue(_)) => Some(ix.double),
            Some(Value::BoolValue(_)) => Some(ix.bool),
            _ => None,
        };
        for col in [ix.value, ix.int, ix.double, ix.bool] {
            if scalar_col == Some(col) {
                push_scalar(&mut c[col], value, inner, rep);
            } else if let Some((tcol, items)) = typed
                && tcol == col
            {
                for (j, item) in items.iter().enumerate() {
                    let r = if j == 0 { rep } else { inner };
                    push_scalar(&mut c[col], item.value.as_ref(), inner, r);
                }
            } else {
                c[col].null(lvl, rep);
            }
        }
        // Mixed arrays, key-value lists, bytes and value-less attributes keep their protobuf
        // JSON; scalars and typed or empty arrays have none.
        if scalar_col.is_none() && !is_array {
            let json = match &kv.value {
                Some(any) => otlp_model::json::encode_any_value(any),
                None => otlp_model::json::encode_any_value(&AnyValue::default()),
            };
            c[ix.unsupported].bytes(&json, inner, rep);
        } else {
            c[ix.unsupported].null(lvl, rep);
        }
    }

    /// Writes every dedicated slot of a scope; slot lists' elements sit at level `lvl`.
    fn dedicated(&mut self, cols: &[usize], ded: &Dedicated<'_>, lvl: i16, rep: i16) {
        for (slot, &col) in cols.iter().enumerate() {
            let value = ded
                .iter()
                .find(|(s, _)| usize::from(*s) == slot)
                .map_or(DedVal::Empty, |(_, v)| *v);
            self.dedicated_value(col, value, lvl, rep);
        }
    }

    /// Writes one dedicated slot's value; list elements sit at level `lvl`.
    fn dedicated_value(&mut self, col: usize, value: DedVal<'_>, lvl: i16, rep: i16) {
        let c = &mut self.c[col];
        match value {
            DedVal::Empty => c.null(lvl - 1, rep),
            DedVal::Str(s) => c.bytes(s.as_bytes(), lvl, rep),
            DedVal::Int(i) => c.int(i, lvl, rep),
            DedVal::Array(items) => {
                for (j, item) in items.iter().enumerate() {
                    let r = if j == 0 { rep } else { lvl };
                    push_scalar(c, item.value.as_ref(), lvl, r);
                }
            }
        }
    }
}

fn push_scalar(c: &mut ColBuf, v: Option<&Value>, def: i16, rep: i16) {
    match v {
        Some(Value::StringValue(s)) => c.bytes(s.as_bytes(), def, rep),
        Some(Value::IntValue(i)) => c.int(*i, def, rep),
        Some(Value::DoubleValue(d)) => c.double(*d, def, rep),
        Some(Value::BoolValue(b)) => c.boolean(*b, def, rep),
        _ => c.null(def - 1, rep),
    }
}

/// One empty buffer per leaf of `t`, in schema order.
fn collect_leaves(t: &parquet::schema::types::Type, out: &mut Vec<ColBuf>) {
    use parquet::basic::Type as P;
    if t.is_primitive() {
        out.push(ColBuf::new(match t.get_physical_type() {
            P::INT32 => Data::I32(Vec::new()),
            P::INT64 => Data::I64(Vec::new()),
            P::DOUBLE | P::FLOAT => Data::F64(Vec::new()),
            P::BOOLEAN => Data::Bool(Vec::new()),
            _ => Data::Bytes {
                buf: Vec::new(),
                ends: Vec::new(),
            },
        }));
    } else {
        for f in t.get_fields() {
            collect_leaves(f, out);
        }
    }
}
