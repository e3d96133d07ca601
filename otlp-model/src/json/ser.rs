//! JSON encoding of OTLP messages in the two dialects in use: OTLP/JSON (hex IDs, enums as
//! numbers) and the protobuf JSON mapping Tempo's query API answers with (base64 IDs, enum
//! names, a `status` on every span).
//!
//! Both omit fields that hold their default value, write 64-bit integers as strings, 32-bit
//! ones as numbers, other bytes as padded base64, and non-finite doubles as `"NaN"`,
//! `"Infinity"` and `"-Infinity"`. Fields come in the order the `.proto` files declare them.

use base64::Engine as _;

use crate::proto::common::{AnyValue, InstrumentationScope, KeyValue, any_value};
use crate::proto::logs::{LogRecord, ResourceLogs, ScopeLogs, SeverityNumber};
use crate::proto::resource::Resource;
use crate::proto::trace::span::{Event, Link, SpanKind};
use crate::proto::trace::status::StatusCode;
use crate::proto::trace::{ResourceSpans, ScopeSpans, Span, Status};
use crate::tempo_api::{PartialStatus, TraceByIdResponse};

/// Which JSON dialect to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum JsonStyle {
    /// OTLP/JSON per the OTLP specification: trace and span IDs in hex, enums as numbers.
    Otlp,
    /// The protobuf JSON mapping as Tempo's query API writes it: IDs in base64, enums by
    /// name, and `"status":{}` on every span that has none.
    Tempo,
}

impl JsonStyle {
    fn hex_ids(self) -> bool {
        matches!(self, JsonStyle::Otlp)
    }
    fn enum_names(self) -> bool {
        matches!(self, JsonStyle::Tempo)
    }
    fn always_status(self) -> bool {
        matches!(self, JsonStyle::Tempo)
    }
}

/// Writes one JSON object, tracking whether a separator is due.
struct Obj<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> Obj<'a> {
    fn open(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        Self { out, first: true }
    }

    fn key(&mut self, name: &str) -> &mut Vec<u8> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }

    /// A key that may need escaping (map keys taken from data).
    fn key_escaped(&mut self, name: &str) -> &mut Vec<u8> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        write_str(self.out, name);
        self.out.push(b':');
        self.out
    }

    fn string(&mut self, name: &str, value: &str) {
        if !value.is_empty() {
            let out = self.key(name);
            write_str(out, value);
        }
    }

    fn u32(&mut self, name: &str, value: u32) {
        if value != 0 {
            let out = self.key(name);
            out.extend_from_slice(value.to_string().as_bytes());
        }
    }

    fn u64_string(&mut self, name: &str, value: u64) {
        if value != 0 {
            let out = self.key(name);
            out.push(b'"');
            out.extend_from_slice(value.to_string().as_bytes());
            out.push(b'"');
        }
    }

    fn id(&mut self, name: &str, value: &[u8], style: JsonStyle) {
        if !value.is_empty() {
            let out = self.key(name);
            out.push(b'"');
            if style.hex_ids() {
                write_hex(out, value);
            } else {
                write_base64(out, value);
            }
            out.push(b'"');
        }
    }

    fn enumeration(&mut self, name: &str, value: i32, label: Option<&str>, style: JsonStyle) {
        if value != 0 {
            let out = self.key(name);
            match label {
                Some(label) if style.enum_names() => write_str(out, label),
                _ => out.extend_from_slice(value.to_string().as_bytes()),
            }
        }
    }

    fn list<T>(&mut self, name: &str, items: &[T], mut each: impl FnMut(&mut Vec<u8>, &T)) {
        if !items.is_empty() {
            let out = self.key(name);
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                each(out, item);
            }
            out.push(b']');
        }
    }

    fn close(self) {
        self.out.push(b'}');
    }
}

fn write_str(out: &mut Vec<u8>, value: &str) {
    // serde_json's escaping; writing to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, value);
}

use crate::id::push_hex as write_hex;

fn write_base64(out: &mut Vec<u8>, bytes: &[u8]) {
    let start = out.len();
    out.resize(
        start + base64::encoded_len(bytes.len(), true).unwrap_or(0),
        0,
    );
    let written = base64::engine::general_purpose::STANDARD
        .encode_slice(bytes, &mut out[start..])
        .unwrap_or(0);
    out.truncate(start + written);
}

fn write_double(out: &mut Vec<u8>, value: f64) {
    if value.is_nan() {
        out.extend_from_slice(b"\"NaN\"");
    } else if value.is_infinite() {
        out.extend_from_slice(if value > 0.0 {
            b"\"Infinity\""
        } else {
            b"\"-Infinity\""
        });
    } else {
        let _ = serde_json::to_writer(&mut *out, &value);
    }
}

/// Writes `ResourceSpans` as a JSON object.
pub(crate) fn resource_spans(out: &mut Vec<u8>, rs: &ResourceSpans, style: JsonStyle) {
    let mut o = Obj::open(out);
    if let Some(resource) = &rs.resource {
        write_resource(o.key("resource"), resource);
    }
    o.list("scopeSpans", &rs.scope_spans, |out, ss| {
        scope_spans(out, ss, style);
    });
    o.string("schemaUrl", &rs.schema_url);
    o.close();
}

fn write_resource(out: &mut Vec<u8>, r: &Resource) {
    let mut o = Obj::open(out);
    o.list("attributes", &r.attributes, key_value);
    o.u32("droppedAttributesCount", r.dropped_attributes_count);
    o.list("entityRefs", &r.entity_refs, |out, e| {
        let mut o = Obj::open(out);
        o.string("schemaUrl", &e.schema_url);
        o.string("type", &e.r#type);
        o.list("idKeys", &e.id_keys, |out, k| write_str(out, k));
        o.list("descriptionKeys", &e.description_keys, |out, k| {
            write_str(out, k);
        });
        o.close();
    });
    o.close();
}

fn scope(out: &mut Vec<u8>, s: &InstrumentationScope) {
    let mut o = Obj::open(out);
    o.string("name", &s.name);
    o.string("version", &s.version);
    o.list("attributes", &s.attributes, key_value);
    o.u32("droppedAttributesCount", s.dropped_attributes_count);
    o.close();
}

fn scope_spans(out: &mut Vec<u8>, ss: &ScopeSpans, style: JsonStyle) {
    let mut o = Obj::open(out);
    if let Some(s) = &ss.scope {
        scope(o.key("scope"), s);
    }
    o.list("spans", &ss.spans, |out, span| write_span(out, span, style));
    o.string("schemaUrl", &ss.schema_url);
    o.close();
}

fn write_span(out: &mut Vec<u8>, s: &Span, style: JsonStyle) {
    let mut o = Obj::open(out);
    o.id("traceId", &s.trace_id, style);
    o.id("spanId", &s.span_id, style);
    o.string("traceState", &s.trace_state);
    o.id("parentSpanId", &s.parent_span_id, style);
    o.u32("flags", s.flags);
    o.string("name", &s.name);
    let kind = SpanKind::try_from(s.kind).ok().map(|k| k.as_str_name());
    o.enumeration("kind", s.kind, kind, style);
    o.u64_string("startTimeUnixNano", s.start_time_unix_nano);
    o.u64_string("endTimeUnixNano", s.end_time_unix_nano);
    o.list("attributes", &s.attributes, key_value);
    o.u32("droppedAttributesCount", s.dropped_attributes_count);
    o.list("events", &s.events, write_event);
    o.u32("droppedEventsCount", s.dropped_events_count);
    o.list("links", &s.links, |out, l| write_link(out, l, style));
    o.u32("droppedLinksCount", s.dropped_links_count);
    match &s.status {
        Some(status) => write_status(o.key("status"), status, style),
        None if style.always_status() => o.key("status").extend_from_slice(b"{}"),
        None => {}
    }
    o.close();
}

fn write_event(out: &mut Vec<u8>, e: &Event) {
    let mut o = Obj::open(out);
    o.u64_string("timeUnixNano", e.time_unix_nano);
    o.string("name", &e.name);
    o.list("attributes", &e.attributes, key_value);
    o.u32("droppedAttributesCount", e.dropped_attributes_count);
    o.close();
}

fn write_link(out: &mut Vec<u8>, l: &Link, style: JsonStyle) {
    let mut o = Obj::open(out);
    o.id("traceId", &l.trace_id, style);
    o.id("spanId", &l.span_id, style);
    o.string("traceState", &l.trace_state);
    o.list("attributes", &l.attributes, key_value);
    o.u32("droppedAttributesCount", l.dropped_attributes_count);
    o.u32("flags", l.flags);
    o.close();
}

fn write_status(out: &mut Vec<u8>, s: &Status, style: JsonStyle) {
    let mut o = Obj::open(out);
    o.string("message", &s.message);
    let code = StatusCode::try_from(s.code).ok().map(|c| c.as_str_name());
    o.enumeration("code", s.code, code, style);
    o.close();
}

fn key_value(out: &mut Vec<u8>, kv: &KeyValue) {
    let mut o = Obj::open(out);
    o.string("key", &kv.key);
    if let Some(v) = &kv.value {
        any(o.key("value"), v);
    }
    o.close();
}

pub(crate) fn any_value(out: &mut Vec<u8>, v: &AnyValue) {
    any(out, v);
}

fn any(out: &mut Vec<u8>, v: &AnyValue) {
    use any_value::Value;
    let mut o = Obj::open(out);
    match &v.value {
        None => {}
        // A oneof member is written even when it holds its default value.
        Some(Value::StringValue(s)) => write_str(o.key("stringValue"), s),
        Some(Value::BoolValue(b)) => {
            o.key("boolValue")
                .extend_from_slice(if *b { b"true" } else { b"false" });
        }
        Some(Value::IntValue(i)) => {
            let out = o.key("intValue");
            out.push(b'"');
            out.extend_from_slice(i.to_string().as_bytes());
            out.push(b'"');
        }
        Some(Value::DoubleValue(d)) => write_double(o.key("doubleValue"), *d),
        Some(Value::ArrayValue(a)) => {
            let out = o.key("arrayValue");
            let mut inner = Obj::open(out);
            inner.list("values", &a.values, any);
            inner.close();
        }
        Some(Value::KvlistValue(l)) => {
            let out = o.key("kvlistValue");
            let mut inner = Obj::open(out);
            inner.list("values", &l.values, key_value);
            inner.close();
        }
        Some(Value::BytesValue(b)) => {
            let out = o.key("bytesValue");
            out.push(b'"');
            write_base64(out, b);
            out.push(b'"');
        }
        Some(Value::StringValueStrindex(i)) => o
            .key("stringValueStrindex")
            .extend_from_slice(i.to_string().as_bytes()),
    }
    o.close();
}

/// Writes `ResourceLogs` as a JSON object.
pub(crate) fn resource_logs(out: &mut Vec<u8>, rl: &ResourceLogs, style: JsonStyle) {
    let mut o = Obj::open(out);
    if let Some(resource) = &rl.resource {
        write_resource(o.key("resource"), resource);
    }
    o.list("scopeLogs", &rl.scope_logs, |out, sl| {
        scope_logs(out, sl, style);
    });
    o.string("schemaUrl", &rl.schema_url);
    o.close();
}

fn scope_logs(out: &mut Vec<u8>, sl: &ScopeLogs, style: JsonStyle) {
    let mut o = Obj::open(out);
    if let Some(s) = &sl.scope {
        scope(o.key("scope"), s);
    }
    o.list("logRecords", &sl.log_records, |out, r| {
        log_record(out, r, style);
    });
    o.string("schemaUrl", &sl.schema_url);
    o.close();
}

fn log_record(out: &mut Vec<u8>, r: &LogRecord, style: JsonStyle) {
    let mut o = Obj::open(out);
    o.u64_string("timeUnixNano", r.time_unix_nano);
    o.u64_string("observedTimeUnixNano", r.observed_time_unix_nano);
    let severity = SeverityNumber::try_from(r.severity_number)
        .ok()
        .map(|s| s.as_str_name());
    o.enumeration("severityNumber", r.severity_number, severity, style);
    o.string("severityText", &r.severity_text);
    if let Some(body) = &r.body {
        any(o.key("body"), body);
    }
    o.list("attributes", &r.attributes, key_value);
    o.u32("droppedAttributesCount", r.dropped_attributes_count);
    o.u32("flags", r.flags);
    o.id("traceId", &r.trace_id, style);
    o.id("spanId", &r.span_id, style);
    o.string("eventName", &r.event_name);
    o.close();
}

/// Writes `{"<field>":[<items>]}` with `each` writing one item.
pub(crate) fn wrapped_list<T>(
    out: &mut Vec<u8>,
    field: &str,
    items: &[T],
    each: impl FnMut(&mut Vec<u8>, &T),
) {
    let mut o = Obj::open(out);
    o.list(field, items, each);
    o.close();
}

/// Writes a partial-success response body: `{"partialSuccess":{...}}`.
pub(crate) fn partial_success(
    out: &mut Vec<u8>,
    rejected_field: &str,
    rejected: i64,
    error_message: &str,
) {
    let mut o = Obj::open(out);
    {
        let inner_out = o.key("partialSuccess");
        let mut inner = Obj::open(inner_out);
        if rejected != 0 {
            let out = inner.key(rejected_field);
            out.push(b'"');
            out.extend_from_slice(rejected.to_string().as_bytes());
            out.push(b'"');
        }
        inner.string("errorMessage", error_message);
        inner.close();
    }
    o.close();
}

/// Writes Tempo's `TraceByIDResponse` JSON:
/// `{"trace":{"resourceSpans":[...]},"metrics":{...},"status":"PARTIAL","message":"..."}`.
pub(crate) fn trace_by_id_response(out: &mut Vec<u8>, r: &TraceByIdResponse) {
    let mut o = Obj::open(out);
    if let Some(trace) = &r.trace {
        let out = o.key("trace");
        let mut t = Obj::open(out);
        t.list("resourceSpans", &trace.resource_spans, |out, rs| {
            resource_spans(out, rs, JsonStyle::Tempo);
        });
        t.close();
    }
    if let Some(m) = &r.metrics {
        let out = o.key("metrics");
        let mut mo = Obj::open(out);
        mo.u64_string("inspectedBytes", m.inspected_bytes);
        mo.u64_string("backendReads", m.backend_reads);
        mo.u64_string("backendBytes", m.backend_bytes);
        if !m.additional_metrics.is_empty() {
            let out = mo.key("additionalMetrics");
            let mut am = Obj::open(out);
            for (k, v) in &m.additional_metrics {
                let out = am.key_escaped(k);
                out.push(b'"');
                out.extend_from_slice(v.to_string().as_bytes());
                out.push(b'"');
            }
            am.close();
        }
        mo.close();
    }
    let status = PartialStatus::try_from(r.status)
        .ok()
        .map(PartialStatus::as_str_name);
    o.enumeration("status", r.status, status, JsonStyle::Tempo);
    o.string("message", &r.message);
    o.close();
}
