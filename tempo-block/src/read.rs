//! From assembled Parquet rows back to OTLP, for vParquet5 and vParquet4 files.
//!
//! Columns are found by name in the file's own schema ([`Layout::resolve`]), so spare
//! dedicated slots that a block left out, vParquet4's LIST wrappers and its fixed well-known
//! columns all resolve the same way. Attributes come back in Tempo's order: generic ones
//! first, then dedicated columns in the order of the block's dedicated-column list, then
//! `service.name` (vParquet4: `service.name`, then its well-known columns).

use otlp_model::Limits;
use otlp_model::proto::common::{AnyValue, ArrayValue, InstrumentationScope, KeyValue, any_value};
use otlp_model::proto::resource::Resource;
use otlp_model::proto::trace::{ResourceSpans, ScopeSpans, Span, Status, span};

use crate::assemble::{Node, Plan};
use crate::error::{BlockError, Result};
use crate::meta::{DedicatedColumn, DedicatedScope, DedicatedType};

/// Field positions of the generic attribute group.
#[derive(Debug, Clone)]
struct AttrLayout {
    key: usize,
    is_array: usize,
    value: usize,
    int: usize,
    double: usize,
    bool: usize,
    unsupported: usize,
}

/// A dedicated slot: its field in the `DedicatedAttributes` group and the attribute it holds.
#[derive(Debug, Clone)]
struct DedicatedSlot {
    field: usize,
    name: String,
    kind: DedicatedType,
}

/// A fixed vParquet4 column that holds a well-known attribute.
#[derive(Debug, Clone)]
struct WellKnown {
    field: usize,
    name: &'static str,
}

#[derive(Debug, Clone)]
struct ResourceLayout {
    service_name: usize,
    attrs: usize,
    attr: AttrLayout,
    dropped: usize,
    dedicated: Option<(usize, Vec<DedicatedSlot>)>,
    well_known: Vec<WellKnown>,
}

#[derive(Debug, Clone)]
struct ScopeLayout {
    name: usize,
    version: usize,
    attrs: usize,
    attr: AttrLayout,
    dropped: usize,
}

#[derive(Debug, Clone)]
struct EventLayout {
    time: usize,
    name: usize,
    attrs: usize,
    attr: AttrLayout,
    dropped: usize,
    dedicated: Option<(usize, Vec<DedicatedSlot>)>,
}

#[derive(Debug, Clone)]
struct LinkLayout {
    trace_id: usize,
    span_id: usize,
    trace_state: usize,
    attrs: usize,
    attr: AttrLayout,
    dropped: usize,
}

#[derive(Debug, Clone)]
struct SpanLayout {
    span_id: usize,
    parent_span_id: usize,
    name: usize,
    kind: usize,
    trace_state: usize,
    start: usize,
    duration: usize,
    status_code: usize,
    status_message: usize,
    attrs: usize,
    attr: AttrLayout,
    dropped_attrs: usize,
    events: usize,
    event: EventLayout,
    dropped_events: usize,
    links: usize,
    link: LinkLayout,
    dropped_links: usize,
    dedicated: Option<(usize, Vec<DedicatedSlot>)>,
    well_known: Vec<WellKnown>,
}

/// Where every field the OTLP conversion needs sits in a file's rows.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub(crate) trace_id: usize,
    rs: usize,
    resource: usize,
    res: ResourceLayout,
    ss: usize,
    scope: usize,
    sc: ScopeLayout,
    spans: usize,
    span: SpanLayout,
}

fn field(plan: &Plan, name: &str, at: &str) -> Result<usize> {
    plan.index_of(name)
        .ok_or_else(|| BlockError::corrupt("schema", format!("no column {at}{name}")))
}

fn child<'p>(plan: &'p Plan, name: &str, at: &str) -> Result<&'p Plan> {
    plan.child(name)
        .ok_or_else(|| BlockError::corrupt("schema", format!("no column {at}{name}")))
}

impl AttrLayout {
    fn resolve(parent: &Plan, at: &str) -> Result<(usize, Self)> {
        let attrs = field(parent, "Attrs", at)?;
        let p = child(parent, "Attrs", at)?.element();
        let at = format!("{at}Attrs.");
        Ok((
            attrs,
            Self {
                key: field(p, "Key", &at)?,
                is_array: field(p, "IsArray", &at)?,
                value: field(p, "Value", &at)?,
                int: field(p, "ValueInt", &at)?,
                double: field(p, "ValueDouble", &at)?,
                bool: field(p, "ValueBool", &at)?,
                unsupported: field(p, "ValueUnsupported", &at)?,
            },
        ))
    }
}

/// Slots of `scope` in the file's `DedicatedAttributes` group under `parent`.
fn dedicated(
    parent: &Plan,
    columns: &[DedicatedColumn],
    scope: DedicatedScope,
    at: &str,
) -> Result<Option<(usize, Vec<DedicatedSlot>)>> {
    let Some(group_field) = parent.index_of("DedicatedAttributes") else {
        return Ok(None);
    };
    let group = child(parent, "DedicatedAttributes", at)?;
    let (mut strings, mut ints) = (0, 0);
    let mut slots = Vec::new();
    for c in columns.iter().filter(|c| c.scope == scope) {
        let name = match c.kind {
            DedicatedType::String => {
                strings += 1;
                format!("String{strings:02}")
            }
            DedicatedType::Int => {
                ints += 1;
                format!("Int{ints:02}")
            }
        };
        // Entries past a scope's slots, or of a type or option the block's encoding does not
        // store, have no column: Tempo skips them, and so does this reader.
        let Some(f) = group.index_of(&name) else {
            continue;
        };
        slots.push(DedicatedSlot {
            field: f,
            name: c.name.clone(),
            kind: c.kind,
        });
    }
    Ok(Some((group_field, slots)))
}

fn well_known(parent: &Plan, names: &[(&str, &'static str)]) -> Vec<WellKnown> {
    names
        .iter()
        .filter_map(|(column, attr)| {
            parent
                .index_of(column)
                .map(|field| WellKnown { field, name: attr })
        })
        .collect()
}

impl Layout {
    /// Resolves the layout from a file's plan and its block's dedicated-column list.
    pub(crate) fn resolve(root: &Plan, columns: &[DedicatedColumn]) -> Result<Self> {
        let rs_plan = child(root, "rs", "")?.element();
        let res_plan = child(rs_plan, "Resource", "rs.")?;
        let (res_attrs, res_attr) = AttrLayout::resolve(res_plan, "rs.Resource.")?;
        let res = ResourceLayout {
            service_name: field(res_plan, "ServiceName", "rs.Resource.")?,
            attrs: res_attrs,
            attr: res_attr,
            dropped: field(res_plan, "DroppedAttributesCount", "rs.Resource.")?,
            dedicated: dedicated(res_plan, columns, DedicatedScope::Resource, "rs.Resource.")?,
            well_known: well_known(
                res_plan,
                &[
                    ("Cluster", "cluster"),
                    ("Namespace", "namespace"),
                    ("Pod", "pod"),
                    ("Container", "container"),
                    ("K8sClusterName", "k8s.cluster.name"),
                    ("K8sNamespaceName", "k8s.namespace.name"),
                    ("K8sPodName", "k8s.pod.name"),
                    ("K8sContainerName", "k8s.container.name"),
                ],
            ),
        };
        let ss_plan = child(rs_plan, "ss", "rs.")?.element();
        let sc_plan = child(ss_plan, "Scope", "rs.ss.")?;
        let (sc_attrs, sc_attr) = AttrLayout::resolve(sc_plan, "rs.ss.Scope.")?;
        let sc = ScopeLayout {
            name: field(sc_plan, "Name", "rs.ss.Scope.")?,
            version: field(sc_plan, "Version", "rs.ss.Scope.")?,
            attrs: sc_attrs,
            attr: sc_attr,
            dropped: field(sc_plan, "DroppedAttributesCount", "rs.ss.Scope.")?,
        };
        let sp = child(ss_plan, "Spans", "rs.ss.")?.element();
        let at = "rs.ss.Spans.";
        let (sp_attrs, sp_attr) = AttrLayout::resolve(sp, at)?;
        let ev = child(sp, "Events", at)?.element();
        let ev_at = "rs.ss.Spans.Events.";
        let (ev_attrs, ev_attr) = AttrLayout::resolve(ev, ev_at)?;
        let ln = child(sp, "Links", at)?.element();
        let ln_at = "rs.ss.Spans.Links.";
        let (ln_attrs, ln_attr) = AttrLayout::resolve(ln, ln_at)?;
        let span = SpanLayout {
            span_id: field(sp, "SpanID", at)?,
            parent_span_id: field(sp, "ParentSpanID", at)?,
            name: field(sp, "Name", at)?,
            kind: field(sp, "Kind", at)?,
            trace_state: field(sp, "TraceState", at)?,
            start: field(sp, "StartTimeUnixNano", at)?,
            duration: field(sp, "DurationNano", at)?,
            status_code: field(sp, "StatusCode", at)?,
            status_message: field(sp, "StatusMessage", at)?,
            attrs: sp_attrs,
            attr: sp_attr,
            dropped_attrs: field(sp, "DroppedAttributesCount", at)?,
            events: field(sp, "Events", at)?,
            event: EventLayout {
                time: field(ev, "TimeSinceStartNano", ev_at)?,
                name: field(ev, "Name", ev_at)?,
                attrs: ev_attrs,
                attr: ev_attr,
                dropped: field(ev, "DroppedAttributesCount", ev_at)?,
                dedicated: dedicated(ev, columns, DedicatedScope::Event, ev_at)?,
            },
            dropped_events: field(sp, "DroppedEventsCount", at)?,
            links: field(sp, "Links", at)?,
            link: LinkLayout {
                trace_id: field(ln, "TraceID", ln_at)?,
                span_id: field(ln, "SpanID", ln_at)?,
                trace_state: field(ln, "TraceState", ln_at)?,
                attrs: ln_attrs,
                attr: ln_attr,
                dropped: field(ln, "DroppedAttributesCount", ln_at)?,
            },
            dropped_links: field(sp, "DroppedLinksCount", at)?,
            dedicated: dedicated(sp, columns, DedicatedScope::Span, at)?,
            well_known: well_known(
                sp,
                &[
                    ("HttpMethod", "http.method"),
                    ("HttpUrl", "http.url"),
                    ("HttpStatusCode", "http.status_code"),
                ],
            ),
        };
        Ok(Self {
            trace_id: field(root, "TraceID", "")?,
            rs: field(root, "rs", "")?,
            resource: field(rs_plan, "Resource", "rs.")?,
            res,
            ss: field(rs_plan, "ss", "rs.")?,
            scope: field(ss_plan, "Scope", "rs.ss.")?,
            sc,
            spans: field(ss_plan, "Spans", "rs.ss.")?,
            span,
        })
    }

    /// Converts one assembled row to its trace ID and OTLP resource spans.
    pub(crate) fn to_otlp(&self, row: &Node) -> Result<Vec<ResourceSpans>> {
        let trace_id = row.field(self.trace_id).bytes().to_vec();
        row.field(self.rs)
            .list()
            .iter()
            .map(|rs| self.resource_spans(rs, &trace_id))
            .collect()
    }

    fn resource_spans(&self, rs: &Node, trace_id: &[u8]) -> Result<ResourceSpans> {
        let r = rs.field(self.resource);
        let l = &self.res;
        let mut attributes = attrs(r.field(l.attrs), &l.attr)?;
        if let Some((g, slots)) = &l.dedicated {
            dedicated_values(r.field(*g), slots, &mut attributes);
        }
        let service = r.field(l.service_name).string();
        if !service.is_empty() {
            attributes.push(string_kv("service.name", service));
        }
        for w in &l.well_known {
            if let Node::Bytes(b) = r.field(w.field) {
                attributes.push(string_kv(
                    w.name,
                    String::from_utf8_lossy(b.data()).into_owned(),
                ));
            }
        }
        let scope_spans = rs
            .field(self.ss)
            .list()
            .iter()
            .map(|ss| self.scope_spans(ss, trace_id))
            .collect::<Result<_>>()?;
        Ok(ResourceSpans {
            resource: Some(Resource {
                attributes,
                dropped_attributes_count: u32_of(r.field(l.dropped)),
                entity_refs: Vec::new(),
            }),
            scope_spans,
            schema_url: String::new(),
        })
    }

    fn scope_spans(&self, ss: &Node, trace_id: &[u8]) -> Result<ScopeSpans> {
        let s = ss.field(self.scope);
        let l = &self.sc;
        let spans = ss
            .field(self.spans)
            .list()
            .iter()
            .map(|sp| self.span(sp, trace_id))
            .collect::<Result<_>>()?;
        Ok(ScopeSpans {
            scope: Some(InstrumentationScope {
                name: s.field(l.name).string(),
                version: s.field(l.version).string(),
                attributes: attrs(s.field(l.attrs), &l.attr)?,
                dropped_attributes_count: u32_of(s.field(l.dropped)),
            }),
            spans,
            schema_url: String::new(),
        })
    }

    fn span(&self, sp: &Node, trace_id: &[u8]) -> Result<Span> {
        let l = &self.span;
        let start = sp.field(l.start).i64().cast_unsigned();
        let duration = sp.field(l.duration).i64().cast_unsigned();
        let mut attributes = attrs(sp.field(l.attrs), &l.attr)?;
        if let Some((g, slots)) = &l.dedicated {
            dedicated_values(sp.field(*g), slots, &mut attributes);
        }
        for w in &l.well_known {
            match sp.field(w.field) {
                Node::Bytes(b) => {
                    attributes.push(string_kv(
                        w.name,
                        String::from_utf8_lossy(b.data()).into_owned(),
                    ));
                }
                Node::I64(v) => attributes.push(kv(w.name, any_value::Value::IntValue(*v))),
                _ => {}
            }
        }
        let e = &l.event;
        let events = sp
            .field(l.events)
            .list()
            .iter()
            .map(|ev| {
                let mut attributes = attrs(ev.field(e.attrs), &e.attr)?;
                if let Some((g, slots)) = &e.dedicated {
                    dedicated_values(ev.field(*g), slots, &mut attributes);
                }
                Ok(span::Event {
                    time_unix_nano: start.wrapping_add(ev.field(e.time).i64().cast_unsigned()),
                    name: ev.field(e.name).string(),
                    attributes,
                    dropped_attributes_count: u32_of(ev.field(e.dropped)),
                })
            })
            .collect::<Result<_>>()?;
        let k = &l.link;
        let links = sp
            .field(l.links)
            .list()
            .iter()
            .map(|ln| {
                Ok(span::Link {
                    trace_id: ln.field(k.trace_id).bytes().to_vec(),
                    span_id: ln.field(k.span_id).bytes().to_vec(),
                    trace_state: ln.field(k.trace_state).string(),
                    attributes: attrs(ln.field(k.attrs), &k.attr)?,
                    dropped_attributes_count: u32_of(ln.field(k.dropped)),
                    flags: 0,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Span {
            trace_id: trace_id.to_vec(),
            span_id: sp.field(l.span_id).bytes().to_vec(),
            trace_state: sp.field(l.trace_state).string(),
            parent_span_id: sp.field(l.parent_span_id).bytes().to_vec(),
            flags: 0,
            name: sp.field(l.name).string(),
            kind: i32_of(sp.field(l.kind)),
            start_time_unix_nano: start,
            end_time_unix_nano: start.wrapping_add(duration),
            attributes,
            dropped_attributes_count: u32_of(sp.field(l.dropped_attrs)),
            events,
            dropped_events_count: u32_of(sp.field(l.dropped_events)),
            links,
            dropped_links_count: u32_of(sp.field(l.dropped_links)),
            status: Some(Status {
                message: sp.field(l.status_message).string(),
                code: i32_of(sp.field(l.status_code)),
            }),
        })
    }
}

/// A count stored as the bit pattern of a `u32` in an INT32 column.
fn u32_of(n: &Node) -> u32 {
    i32::try_from(n.i64()).map_or(0, i32::cast_unsigned)
}

fn i32_of(n: &Node) -> i32 {
    i32::try_from(n.i64()).unwrap_or(0)
}

fn kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: Some(AnyValue { value: Some(value) }),
        key_strindex: 0,
    }
}

fn string_kv(key: &str, value: String) -> KeyValue {
    kv(key, any_value::Value::StringValue(value))
}

/// One typed value list of a generic attribute and how to read its elements.
type TypedList<'a> = (&'a [Node], fn(&Node) -> Option<any_value::Value>);

/// The generic attributes of a group, Tempo's way: a scalar from the first non-empty typed
/// list, an array from the first non-empty list (all empty: an empty array), anything else
/// from its stored protobuf JSON; an attribute with no value at all is dropped.
fn attrs(list: &Node, l: &AttrLayout) -> Result<Vec<KeyValue>> {
    use any_value::Value;
    let mut out = Vec::with_capacity(list.list().len());
    for a in list.list() {
        let key = a.field(l.key).string();
        let is_array = matches!(a.field(l.is_array), Node::Bool(true));
        let typed: [TypedList<'_>; 4] = [
            (a.field(l.value).list(), |n| {
                Some(Value::StringValue(n.string()))
            }),
            (a.field(l.int).list(), |n| Some(Value::IntValue(n.i64()))),
            (a.field(l.double).list(), |n| match n {
                Node::F64(v) => Some(Value::DoubleValue(*v)),
                _ => None,
            }),
            (a.field(l.bool).list(), |n| match n {
                Node::Bool(v) => Some(Value::BoolValue(*v)),
                _ => None,
            }),
        ];
        let found = typed.iter().find(|(items, _)| !items.is_empty());
        let value = if is_array {
            let values = found
                .map(|(items, f)| {
                    items
                        .iter()
                        .map(|n| AnyValue { value: f(n) })
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            Some(Value::ArrayValue(ArrayValue { values }))
        } else if let Some(([first, ..], f)) = found {
            f(first)
        } else if let Node::Bytes(json) = a.field(l.unsupported) {
            let any = otlp_model::json::decode_any_value(json.data(), &Limits::default()).map_err(
                |e| {
                    BlockError::corrupt(
                        format!("attribute {key:?}"),
                        format!("ValueUnsupported is not an AnyValue: {e}"),
                    )
                },
            )?;
            // A value-less attribute is stored as `{}`; Tempo returns it with an empty value.
            out.push(KeyValue {
                key,
                value: Some(any),
                key_strindex: 0,
            });
            continue;
        } else {
            None
        };
        if let Some(value) = value {
            out.push(KeyValue {
                key,
                value: Some(AnyValue { value: Some(value) }),
                key_strindex: 0,
            });
        }
    }
    Ok(out)
}

/// Appends the values of dedicated slots in list order.
fn dedicated_values(group: &Node, slots: &[DedicatedSlot], out: &mut Vec<KeyValue>) {
    use any_value::Value;
    let to_value = |slot: &DedicatedSlot, n: &Node| match (slot.kind, n) {
        (DedicatedType::String, Node::Bytes(b)) => Some(Value::StringValue(
            String::from_utf8_lossy(b.data()).into_owned(),
        )),
        (DedicatedType::Int, Node::I64(v)) => Some(Value::IntValue(*v)),
        _ => None,
    };
    for slot in slots {
        let node = group.field(slot.field);
        let value = match node {
            // As Tempo: no value → no attribute, one → a scalar, more → an array (whatever
            // the column's `array` option says).
            Node::List(items) if items.len() > 1 => Some(Value::ArrayValue(ArrayValue {
                values: items
                    .iter()
                    .map(|n| AnyValue {
                        value: to_value(slot, n),
                    })
                    .collect(),
            })),
            Node::List(items) => items.first().and_then(|n| to_value(slot, n)),
            Node::Null => None,
            scalar => to_value(slot, scalar),
        };
        if let Some(value) = value {
            out.push(KeyValue {
                key: slot.name.clone(),
                value: Some(AnyValue { value: Some(value) }),
                key_strindex: 0,
            });
        }
    }
}
