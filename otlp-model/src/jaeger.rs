//! Jaeger Thrift → OTLP: the bodies of Jaeger's HTTP collector endpoint (`POST /api/traces`,
//! a binary-protocol `Batch`) and of its UDP agent (`emitBatch` calls in the compact protocol
//! on port 6831 or the binary protocol on 6832).
//!
//! The mapping is the OpenTelemetry Collector's (the receiver Tempo runs):
//!
//! * one `Batch` becomes one `ResourceSpans` holding one `ScopeSpans` with no scope;
//! * the process's service name becomes `service.name`, its tags the other resource
//!   attributes (`hostname` is renamed `host.name`, `jaeger.version` becomes
//!   `opencensus.exporterversion` = `Jaeger-<version>`);
//! * trace IDs are `traceIdHigh ‖ traceIdLow` big-endian, timestamps µs → ns;
//! * the parent is `parentSpanId`, else the first same-trace `CHILD_OF` reference, else the
//!   first same-trace `FOLLOWS_FROM`; every other reference becomes a link carrying
//!   `opentracing.ref_type`;
//! * `span.kind` sets the kind; `error` = true, `otel.status_code`/`otel.status_description`
//!   and, failing those, `http.status_code` set the status;
//! * logs become events named by their `event` field, other fields as attributes;
//! * tags keep their types (string, double, bool, long, binary → bytes).
//!
//! Every length read from the input is checked before use, by a Thrift reader written for that; a missing
//! required field rejects the batch, as Jaeger's generated readers do.
//!
//! ```
//! use otlp_model::jaeger::decode_batch;
//! use otlp_model::{Limits, Protocol};
//!
//! // Batch{process: {serviceName: "svc"}, spans: [{traceIdLow: 1, traceIdHigh: 0, spanId: 2,
//! //   parentSpanId: 0, operationName: "op", flags: 1, startTime: 10, duration: 5}]}
//! let body = [
//!     0x0c, 0, 1, 0x0b, 0, 1, 0, 0, 0, 3, b's', b'v', b'c', 0,
//!     0x0f, 0, 2, 0x0c, 0, 0, 0, 1,
//!     0x0a, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x0a, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0,
//!     0x0a, 0, 3, 0, 0, 0, 0, 0, 0, 0, 2, 0x0a, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0,
//!     0x0b, 0, 5, 0, 0, 0, 2, b'o', b'p', 0x08, 0, 7, 0, 0, 0, 1,
//!     0x0a, 0, 8, 0, 0, 0, 0, 0, 0, 0, 10, 0x0a, 0, 9, 0, 0, 0, 0, 0, 0, 0, 5, 0,
//!     0,
//! ];
//! let rs = decode_batch(&body, Protocol::Binary, &Limits::default())?;
//! let span = &rs.scope_spans[0].spans[0];
//! assert_eq!(span.name, "op");
//! assert_eq!(span.trace_id, [[0u8; 15].as_slice(), &[1]].concat());
//! assert_eq!((span.start_time_unix_nano, span.end_time_unix_nano), (10_000, 15_000));
//! # Ok::<(), otlp_model::ModelError>(())
//! ```

use crate::attrs::AttrMap;
use crate::error::{ModelError, ThriftReason, WireFormat};
use crate::limits::Limits;
use crate::proto::common::{KeyValue, any_value::Value};
use crate::proto::resource::Resource;
use crate::proto::trace::span::{Event, Link, SpanKind};
use crate::proto::trace::status::StatusCode;
use crate::proto::trace::{ResourceSpans, ScopeSpans, Span, Status};
use crate::thrift::{Protocol, Reader, TType};

/// What the UDP agent receives: a method call and, for `emitBatch`, its spans.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum AgentCall {
    /// `emitBatch(batch)`: the batch, converted.
    EmitBatch(ResourceSpans),
    /// `emitZipkinBatch(spans)`: Zipkin v1 Thrift spans, which are not converted (the
    /// receiver Tempo runs does not support them either).
    EmitZipkinBatch,
    /// Another method; Jaeger's agent logs and drops these.
    Unknown(String),
}

/// Decodes a bare `Batch` struct (the body of `POST /api/traces`, which is binary protocol)
/// into one `ResourceSpans`.
///
/// # Errors
///
/// [`ModelError::TooLarge`] past the limit; [`ModelError::Thrift`] with the byte offset for
/// malformed input or a missing required field.
pub fn decode_batch(
    bytes: &[u8],
    protocol: Protocol,
    limits: &Limits,
) -> Result<ResourceSpans, ModelError> {
    limits.check(format(protocol), bytes.len())?;
    let mut r = Reader::new(bytes, protocol);
    let batch = read_batch(&mut r)?;
    Ok(to_otlp(batch))
}

/// Decodes one UDP agent datagram: a Thrift message header followed by the call's
/// arguments. The protocol is told by the first byte (0x82 starts a compact message).
///
/// ```
/// use otlp_model::jaeger::{AgentCall, decode_agent_datagram};
/// use otlp_model::Limits;
///
/// // compact: protocol id, CALL v1, seqid 1, "emitBatch", args{1: Batch{process{"s"}, spans[]}}
/// let mut datagram = vec![0x82, 0x21, 0x01, 0x09];
/// datagram.extend_from_slice(b"emitBatch");
/// datagram.extend_from_slice(&[0x1c, 0x1c, 0x18, 0x01, b's', 0x00, 0x19, 0x0c, 0x00, 0x00]);
/// let AgentCall::EmitBatch(rs) = decode_agent_datagram(&datagram, &Limits::default())? else {
///     panic!("not a batch");
/// };
/// assert!(rs.scope_spans.is_empty());
/// # Ok::<(), otlp_model::ModelError>(())
/// ```
///
/// # Errors
///
/// As [`decode_batch`], plus a bad message header.
pub fn decode_agent_datagram(bytes: &[u8], limits: &Limits) -> Result<AgentCall, ModelError> {
    let protocol = if bytes.first() == Some(&0x82) {
        Protocol::Compact
    } else {
        Protocol::Binary
    };
    limits.check(format(protocol), bytes.len())?;
    let mut r = Reader::new(bytes, protocol);
    let header = r.message_begin()?;
    match header.name {
        b"emitBatch" => {}
        b"emitZipkinBatch" => return Ok(AgentCall::EmitZipkinBatch),
        other => {
            return Ok(AgentCall::Unknown(
                String::from_utf8_lossy(other).into_owned(),
            ));
        }
    }
    // emitBatch_args { 1: Batch batch }
    let mut batch = None;
    r.struct_begin()?;
    while let Some((t, id)) = r.field_begin()? {
        if id == 1 && t == TType::Struct {
            batch = Some(read_batch(&mut r)?);
        } else {
            r.skip(t)?;
        }
    }
    r.struct_end();
    let batch = batch.ok_or_else(|| r.error(ThriftReason::MissingField("emitBatch_args.batch")))?;
    Ok(AgentCall::EmitBatch(to_otlp(batch)))
}

fn format(protocol: Protocol) -> WireFormat {
    match protocol {
        Protocol::Binary => WireFormat::JaegerThriftBinary,
        Protocol::Compact => WireFormat::JaegerThriftCompact,
    }
}

// ---- the IDL, as decoded ---------------------------------------------------------------

struct Tag {
    key: String,
    value: Value,
}

struct Log {
    timestamp: i64,
    fields: Vec<Tag>,
}

struct SpanRef {
    ref_type: i32,
    trace_id_low: i64,
    trace_id_high: i64,
    span_id: i64,
}

#[derive(Default)]
struct JSpan {
    trace_id_low: i64,
    trace_id_high: i64,
    span_id: i64,
    parent_span_id: i64,
    operation_name: String,
    references: Option<Vec<SpanRef>>,
    flags: i32,
    start_time: i64,
    duration: i64,
    tags: Option<Vec<Tag>>,
    logs: Option<Vec<Log>>,
}

struct Process {
    service_name: String,
    tags: Option<Vec<Tag>>,
}

struct Batch {
    process: Process,
    spans: Vec<JSpan>,
}

/// Reads a struct: `on_field` handles each field it knows (returning `false` when the type
/// does not match, so the value is skipped as Jaeger's readers do); `required` lists bits
/// that must have been set, with their names.
fn read_struct(
    r: &mut Reader<'_>,
    required: &[(u32, &'static str)],
    mut on_field: impl FnMut(&mut Reader<'_>, TType, i16) -> Result<Option<u32>, ModelError>,
) -> Result<(), ModelError> {
    r.struct_begin()?;
    let mut seen = 0u32;
    while let Some((t, id)) = r.field_begin()? {
        match on_field(r, t, id)? {
            Some(bit) => seen |= bit,
            None => r.skip(t)?,
        }
    }
    r.struct_end();
    for &(bit, name) in required {
        if seen & bit == 0 {
            return Err(r.error(ThriftReason::MissingField(name)));
        }
    }
    Ok(())
}

fn read_list<T>(
    r: &mut Reader<'_>,
    field: &'static str,
    mut item: impl FnMut(&mut Reader<'_>) -> Result<T, ModelError>,
) -> Result<Vec<T>, ModelError> {
    let start = r.position();
    let (t, n) = r.list_begin()?;
    if t != TType::Struct {
        return Err(r.error_at(
            start,
            ThriftReason::WrongFieldType {
                field,
                found: t.id(),
            },
        ));
    }
    // n is bounded by the bytes left; still, grow as items arrive.
    let mut out = Vec::with_capacity(n.min(1024));
    for _ in 0..n {
        out.push(item(r)?);
    }
    Ok(out)
}

fn read_tag(r: &mut Reader<'_>) -> Result<Tag, ModelError> {
    let mut key = String::new();
    let mut v_type = 0i32;
    let (mut v_str, mut v_double, mut v_bool, mut v_long, mut v_binary) =
        (String::new(), 0f64, false, 0i64, Vec::new());
    read_struct(r, &[(1, "Tag.key"), (2, "Tag.vType")], |r, t, id| {
        Ok(match (id, t) {
            (1, TType::Binary) => {
                key = r.read_string("Tag.key")?;
                Some(1)
            }
            (2, TType::I32) => {
                v_type = r.read_i32()?;
                Some(2)
            }
            (3, TType::Binary) => {
                v_str = r.read_string("Tag.vStr")?;
                Some(4)
            }
            (4, TType::Double) => {
                v_double = r.read_double()?;
                Some(8)
            }
            (5, TType::Bool) => {
                v_bool = r.read_bool()?;
                Some(16)
            }
            (6, TType::I64) => {
                v_long = r.read_i64()?;
                Some(32)
            }
            (7, TType::Binary) => {
                v_binary = r.read_binary()?.to_vec();
                Some(64)
            }
            _ => None,
        })
    })?;
    let value = match v_type {
        0 => Value::StringValue(v_str),
        1 => Value::DoubleValue(v_double),
        2 => Value::BoolValue(v_bool),
        3 => Value::IntValue(v_long),
        4 => Value::BytesValue(v_binary),
        _ => Value::StringValue("<Unknown Jaeger TagType \"<UNSET>\">".to_owned()),
    };
    Ok(Tag { key, value })
}

fn read_log(r: &mut Reader<'_>) -> Result<Log, ModelError> {
    let mut timestamp = 0;
    let mut fields = Vec::new();
    read_struct(r, &[(1, "Log.timestamp"), (2, "Log.fields")], |r, t, id| {
        Ok(match (id, t) {
            (1, TType::I64) => {
                timestamp = r.read_i64()?;
                Some(1)
            }
            (2, TType::List) => {
                fields = read_list(r, "Log.fields", read_tag)?;
                Some(2)
            }
            _ => None,
        })
    })?;
    Ok(Log { timestamp, fields })
}

fn read_span_ref(r: &mut Reader<'_>) -> Result<SpanRef, ModelError> {
    let mut out = SpanRef {
        ref_type: 0,
        trace_id_low: 0,
        trace_id_high: 0,
        span_id: 0,
    };
    read_struct(
        r,
        &[
            (1, "SpanRef.refType"),
            (2, "SpanRef.traceIdLow"),
            (4, "SpanRef.traceIdHigh"),
            (8, "SpanRef.spanId"),
        ],
        |r, t, id| {
            Ok(match (id, t) {
                (1, TType::I32) => {
                    out.ref_type = r.read_i32()?;
                    Some(1)
                }
                (2, TType::I64) => {
                    out.trace_id_low = r.read_i64()?;
                    Some(2)
                }
                (3, TType::I64) => {
                    out.trace_id_high = r.read_i64()?;
                    Some(4)
                }
                (4, TType::I64) => {
                    out.span_id = r.read_i64()?;
                    Some(8)
                }
                _ => None,
            })
        },
    )?;
    Ok(out)
}

fn read_span(r: &mut Reader<'_>) -> Result<JSpan, ModelError> {
    let mut s = JSpan::default();
    read_struct(
        r,
        &[
            (1, "Span.traceIdLow"),
            (2, "Span.traceIdHigh"),
            (4, "Span.spanId"),
            (8, "Span.parentSpanId"),
            (16, "Span.operationName"),
            (64, "Span.flags"),
            (128, "Span.startTime"),
            (256, "Span.duration"),
        ],
        |r, t, id| {
            Ok(match (id, t) {
                (1, TType::I64) => {
                    s.trace_id_low = r.read_i64()?;
                    Some(1)
                }
                (2, TType::I64) => {
                    s.trace_id_high = r.read_i64()?;
                    Some(2)
                }
                (3, TType::I64) => {
                    s.span_id = r.read_i64()?;
                    Some(4)
                }
                (4, TType::I64) => {
                    s.parent_span_id = r.read_i64()?;
                    Some(8)
                }
                (5, TType::Binary) => {
                    s.operation_name = r.read_string("Span.operationName")?;
                    Some(16)
                }
                (6, TType::List) => {
                    s.references = Some(read_list(r, "Span.references", read_span_ref)?);
                    Some(32)
                }
                (7, TType::I32) => {
                    s.flags = r.read_i32()?;
                    Some(64)
                }
                (8, TType::I64) => {
                    s.start_time = r.read_i64()?;
                    Some(128)
                }
                (9, TType::I64) => {
                    s.duration = r.read_i64()?;
                    Some(256)
                }
                (10, TType::List) => {
                    s.tags = Some(read_list(r, "Span.tags", read_tag)?);
                    Some(512)
                }
                (11, TType::List) => {
                    s.logs = Some(read_list(r, "Span.logs", read_log)?);
                    Some(1024)
                }
                _ => None,
            })
        },
    )?;
    Ok(s)
}

fn read_process(r: &mut Reader<'_>) -> Result<Process, ModelError> {
    let mut p = Process {
        service_name: String::new(),
        tags: None,
    };
    read_struct(r, &[(1, "Process.serviceName")], |r, t, id| {
        Ok(match (id, t) {
            (1, TType::Binary) => {
                p.service_name = r.read_string("Process.serviceName")?;
                Some(1)
            }
            (2, TType::List) => {
                p.tags = Some(read_list(r, "Process.tags", read_tag)?);
                Some(2)
            }
            _ => None,
        })
    })?;
    Ok(p)
}

fn read_batch(r: &mut Reader<'_>) -> Result<Batch, ModelError> {
    let mut process = None;
    let mut spans = Vec::new();
    read_struct(
        r,
        &[(1, "Batch.process"), (2, "Batch.spans")],
        |r, t, id| {
            Ok(match (id, t) {
                (1, TType::Struct) => {
                    process = Some(read_process(r)?);
                    Some(1)
                }
                (2, TType::List) => {
                    spans = read_list(r, "Batch.spans", read_span)?;
                    Some(2)
                }
                _ => None,
            })
        },
    )?;
    let process = process.ok_or_else(|| r.error(ThriftReason::MissingField("Batch.process")))?;
    Ok(Batch { process, spans })
}

// ---- Jaeger → OTLP -------------------------------------------------------------------------

fn to_otlp(batch: Batch) -> ResourceSpans {
    let resource = process_to_resource(batch.process);
    let spans: Vec<Span> = batch
        .spans
        .into_iter()
        .filter(|s| !is_empty_span(s))
        .map(span_to_otlp)
        .collect();
    let scope_spans = if spans.is_empty() {
        Vec::new()
    } else {
        vec![ScopeSpans {
            scope: None,
            spans,
            schema_url: String::new(),
        }]
    };
    ResourceSpans {
        resource: Some(resource),
        scope_spans,
        schema_url: String::new(),
    }
}

fn process_to_resource(p: Process) -> Resource {
    let mut attrs = AttrMap::new();
    if !p.service_name.is_empty() {
        attrs.put(
            "service.name".to_owned(),
            Value::StringValue(p.service_name),
        );
    }
    for tag in p.tags.into_iter().flatten() {
        attrs.put(tag.key, tag.value);
    }
    if !attrs.contains("host.name")
        && let Some(v) = attrs.get("hostname").cloned()
    {
        attrs.put("host.name".to_owned(), v);
        attrs.remove("hostname");
    }
    if !attrs.contains("opencensus.exporterversion")
        && let Some(v) = attrs.get_str("jaeger.version").map(str::to_owned)
    {
        attrs.put(
            "opencensus.exporterversion".to_owned(),
            Value::StringValue(format!("Jaeger-{v}")),
        );
        attrs.remove("jaeger.version");
    }
    Resource {
        attributes: attrs.into_vec(),
        ..Default::default()
    }
}

fn is_empty_span(s: &JSpan) -> bool {
    s.trace_id_low == 0
        && s.trace_id_high == 0
        && s.span_id == 0
        && s.parent_span_id == 0
        && s.operation_name.is_empty()
        && s.references.is_none()
        && s.flags == 0
        && s.start_time == 0
        && s.duration == 0
        && s.tags.is_none()
        && s.logs.is_none()
}

#[allow(clippy::cast_sign_loss)]
fn trace_id(high: i64, low: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(16);
    out.extend_from_slice(&(high as u64).to_be_bytes());
    out.extend_from_slice(&(low as u64).to_be_bytes());
    out
}

#[allow(clippy::cast_sign_loss)]
fn micros_to_nanos(us: i64) -> u64 {
    (us as u64).wrapping_mul(1000)
}

const CHILD_OF: i32 = 0;
const FOLLOWS_FROM: i32 = 1;

fn parent_id(s: &JSpan) -> i64 {
    if s.parent_span_id != 0 {
        return s.parent_span_id;
    }
    let refs = s.references.as_deref().unwrap_or_default();
    let same_trace =
        |r: &&SpanRef| r.trace_id_high == s.trace_id_high && r.trace_id_low == s.trace_id_low;
    refs.iter()
        .filter(same_trace)
        .find(|r| r.ref_type == CHILD_OF)
        .or_else(|| {
            refs.iter()
                .filter(same_trace)
                .find(|r| r.ref_type == FOLLOWS_FROM)
        })
        .map_or(0, |r| r.span_id)
}

fn span_to_otlp(s: JSpan) -> Span {
    let parent = parent_id(&s);
    let links = s
        .references
        .as_deref()
        .unwrap_or_default()
        .iter()
        .filter(|r| !(r.ref_type == CHILD_OF && r.span_id == parent))
        .map(|r| Link {
            trace_id: trace_id(r.trace_id_high, r.trace_id_low),
            span_id: r.span_id.to_be_bytes().to_vec(),
            attributes: vec![KeyValue {
                key: "opentracing.ref_type".to_owned(),
                value: Some(crate::proto::common::AnyValue {
                    value: Some(Value::StringValue(
                        if r.ref_type == CHILD_OF {
                            "child_of"
                        } else {
                            "follows_from"
                        }
                        .to_owned(),
                    )),
                }),
                ..Default::default()
            }],
            ..Default::default()
        })
        .collect();

    let mut attrs = AttrMap::new();
    for tag in s.tags.into_iter().flatten() {
        attrs.put(tag.key, tag.value);
    }
    let kind = match attrs.get_str("span.kind") {
        Some("client") => SpanKind::Client,
        Some("server") => SpanKind::Server,
        Some("producer") => SpanKind::Producer,
        Some("consumer") => SpanKind::Consumer,
        Some("internal") => SpanKind::Internal,
        _ => SpanKind::Unspecified,
    };
    attrs.remove("span.kind");
    let status = status_from_tags(&mut attrs, kind);

    let events = s
        .logs
        .into_iter()
        .flatten()
        .map(|log| {
            let mut fields = AttrMap::new();
            for f in log.fields {
                fields.put(f.key, f.value);
            }
            let name = fields
                .get_str("event")
                .map(str::to_owned)
                .unwrap_or_default();
            fields.remove("event");
            Event {
                time_unix_nano: micros_to_nanos(log.timestamp),
                name,
                attributes: fields.into_vec(),
                dropped_attributes_count: 0,
            }
        })
        .collect();

    Span {
        trace_id: trace_id(s.trace_id_high, s.trace_id_low),
        span_id: s.span_id.to_be_bytes().to_vec(),
        parent_span_id: if parent == 0 {
            Vec::new()
        } else {
            parent.to_be_bytes().to_vec()
        },
        name: s.operation_name,
        kind: kind as i32,
        start_time_unix_nano: micros_to_nanos(s.start_time),
        end_time_unix_nano: micros_to_nanos(s.start_time.wrapping_add(s.duration)),
        attributes: attrs.into_vec(),
        events,
        links,
        status,
        ..Default::default()
    }
}

/// The Collector's status rules for Jaeger tags (see the module docs); consumes the tags it
/// uses.
fn status_from_tags(attrs: &mut AttrMap, kind: SpanKind) -> Option<Status> {
    let mut code = StatusCode::Unset;
    let mut message = String::new();
    let mut exists = false;

    if let Some(Value::BoolValue(true)) = attrs.get("error") {
        code = StatusCode::Error;
        exists = true;
        attrs.remove("error");
        if let Some(desc) = attrs.get_str("otel.status_description").map(str::to_owned) {
            message = desc;
            attrs.remove("otel.status_description");
        } else if let Some(msg) = attrs.get_str("http.status_message") {
            msg.clone_into(&mut message);
        }
    }

    if attrs.contains("otel.status_code") {
        if !exists {
            exists = true;
            code = match attrs
                .get_str("otel.status_code")
                .unwrap_or_default()
                .to_uppercase()
                .as_str()
            {
                "OK" => StatusCode::Ok,
                "ERROR" => StatusCode::Error,
                _ => StatusCode::Unset,
            };
            if let Some(desc) = attrs.get_str("otel.status_description").map(str::to_owned) {
                message = desc;
                attrs.remove("otel.status_description");
            }
        }
        attrs.remove("otel.status_code");
    } else if !exists {
        let http = match attrs.get("http.status_code") {
            Some(Value::IntValue(c)) => Some(*c),
            Some(Value::StringValue(s)) => s.parse::<i64>().ok(),
            _ => None,
        };
        if let Some(c) = http {
            code = match ((400..500).contains(&c), kind) {
                (true, SpanKind::Client) => StatusCode::Error,
                (true, SpanKind::Server) => StatusCode::Unset,
                _ if (100..399).contains(&c) => StatusCode::Unset,
                _ => StatusCode::Error,
            };
            if code != StatusCode::Unset {
                exists = true;
                if let Some(msg) = attrs.get_str("http.status_message") {
                    msg.clone_into(&mut message);
                }
            }
        }
    }

    exists.then_some(Status {
        message,
        code: code as i32,
    })
}

#[cfg(test)]
mod tests;
