//! Zipkin v2 JSON → OTLP: the body of `POST /api/v2/spans`, mapped as the OpenTelemetry
//! Collector's Zipkin receiver (the one Tempo runs) maps it.
//!
//! * Spans are grouped by local service name, then by the `otel.library.name` tag (a stable
//!   sort on both); each service becomes one `ResourceSpans`, each library one `ScopeSpans`.
//! * The resource takes `service.name` from `localEndpoint.serviceName` (none at all when it
//!   is missing) and the well-known resource tags (`host.name`, `k8s.*`, `service.version`,
//!   ...) of the group's first span, as strings; those tags never become span attributes.
//! * IDs: a trace ID of up to 32 hex digits is left-padded to 16 bytes (so 64-bit IDs are
//!   widened); span IDs are 8 bytes; a parent equal to the span's own ID is dropped.
//! * `kind` CLIENT/SERVER/PRODUCER/CONSUMER maps to the OTLP kind; otherwise a `span.kind`
//!   tag of `internal` gives INTERNAL. `shared` and `debug` are ignored (query-time
//!   [`dedupe_shared_span_ids`](crate::combine::dedupe_shared_span_ids) separates shared
//!   client/server spans).
//! * Tags become string attributes; `otel.status_code`/`otel.status_description` and an
//!   `error` tag set the status; `w3c.tracestate` sets the trace state; `otlp.link.<n>` tags
//!   become links; endpoints add `network.local.address`, `net.host.port`,
//!   `service.peer.name`, `network.peer.address` and `net.peer.port`.
//! * Annotations become events named by their value (`name|{json attributes}|dropped` is
//!   split as OTLP-originated Zipkin data encodes it); timestamps are µs → ns, and a span
//!   without a timestamp starts at 0 with `otel.zipkin.absentField.startTime` = true.
//!
//! Any invalid span rejects the whole request, as the receiver does.
//!
//! ```
//! use otlp_model::zipkin::decode_spans;
//! use otlp_model::Limits;
//!
//! let body = br#"[{"traceId":"5af7183fb1d4cf5f","id":"352bff9a74ca9ad2","parentId":"6b221d5bc9e6496c",
//!   "name":"get /api","kind":"SERVER","timestamp":1556604172355737,"duration":1431,
//!   "localEndpoint":{"serviceName":"backend","ipv4":"192.168.99.1","port":3306},
//!   "tags":{"http.method":"GET","http.path":"/api"}}]"#;
//! let resource_spans = decode_spans(body, &Limits::default())?;
//! let span = &resource_spans[0].scope_spans[0].spans[0];
//! assert_eq!(span.trace_id[..8], [0; 8]); // a 64-bit ID, widened
//! assert_eq!(span.start_time_unix_nano, 1_556_604_172_355_737_000);
//! assert_eq!(span.attributes.len(), 4); // two tags, local address, local port
//! # Ok::<(), otlp_model::ModelError>(())
//! ```

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use crate::attrs::AttrMap;
use crate::error::{ModelError, WireFormat};
use crate::id::{SpanId, TraceId};
use crate::limits::Limits;
use crate::proto::common::{AnyValue, InstrumentationScope, KeyValue, any_value::Value};
use crate::proto::resource::Resource;
use crate::proto::trace::span::{Event, Link, SpanKind};
use crate::proto::trace::{ResourceSpans, ScopeSpans, Span, Status};

const FORMAT: WireFormat = WireFormat::ZipkinJson;

/// The service-name stand-in for spans without a local service (they get a resource with no
/// attributes).
const NO_SERVICE: &str = "OTLPResourceNoServiceName";

/// Tags the receiver moves to the resource (from the first span of each service).
const RESOURCE_KEYS: &[&str] = &[
    "cloud.provider",
    "cloud.account.id",
    "cloud.region",
    "cloud.availability_zone",
    "cloud.platform",
    "aws.ecs.container.arn",
    "aws.ecs.cluster.arn",
    "aws.ecs.launchtype",
    "aws.ecs.task.arn",
    "aws.ecs.task.family",
    "aws.ecs.task.revision",
    "aws.eks.cluster.arn",
    "aws.log.group.names",
    "aws.log.group.arns",
    "aws.log.stream.names",
    "aws.log.stream.arns",
    "container.name",
    "container.id",
    "container.runtime",
    "container.image.name",
    "container.image.tag",
    "deployment.environment",
    "device.id",
    "device.model.identifier",
    "device.model.name",
    "device.manufacturer",
    "faas.name",
    "faas.id",
    "faas.version",
    "faas.instance",
    "faas.max_memory",
    "host.id",
    "host.name",
    "host.type",
    "host.arch",
    "host.image.name",
    "host.image.id",
    "host.image.version",
    "k8s.cluster.name",
    "k8s.node.name",
    "k8s.node.uid",
    "k8s.namespace.name",
    "k8s.pod.uid",
    "k8s.pod.name",
    "k8s.container.name",
    "k8s.container.restart_count",
    "k8s.replicaset.uid",
    "k8s.replicaset.name",
    "k8s.deployment.uid",
    "k8s.deployment.name",
    "k8s.statefulset.uid",
    "k8s.statefulset.name",
    "k8s.daemonset.uid",
    "k8s.daemonset.name",
    "k8s.job.uid",
    "k8s.job.name",
    "k8s.cronjob.uid",
    "k8s.cronjob.name",
    "os.type",
    "os.description",
    "os.name",
    "os.version",
    "process.pid",
    "process.executable.name",
    "process.executable.path",
    "process.command",
    "process.command_line",
    "process.command_args",
    "process.owner",
    "process.runtime.name",
    "process.runtime.version",
    "process.runtime.description",
    "service.name",
    "service.namespace",
    "service.instance.id",
    "service.version",
    "telemetry.sdk.name",
    "telemetry.sdk.language",
    "telemetry.sdk.version",
    "telemetry.auto.version",
    "webengine.name",
    "webengine.version",
    "webengine.description",
];

/// Tags that never become span attributes.
const OTHER_NON_SPAN_KEYS: &[&str] = &[
    "otlp.service.name.source",
    "otel.library.name",
    "otel.library.version",
    "opencensus.starttime",
    "opencensus.exporterversion",
    "opencensus.resourcetype",
];

fn is_non_span_key(key: &str) -> bool {
    RESOURCE_KEYS.contains(&key) || OTHER_NON_SPAN_KEYS.contains(&key)
}

/// Tags in input order (a repeated key keeps its first position and its last value).
#[derive(Default)]
struct Tags(Vec<(String, String)>);

impl Tags {
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
    fn remove(&mut self, key: &str) -> Option<String> {
        let i = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(i).1)
    }
}

impl<'de> Deserialize<'de> for Tags {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Tags;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of string tags")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Tags, E> {
                Ok(Tags::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tags, A::Error> {
                let mut tags: Vec<(String, String)> = Vec::new();
                let mut index: std::collections::HashMap<String, usize> =
                    std::collections::HashMap::new();
                while let Some(key) = map.next_key::<String>()? {
                    let value = map.next_value::<Option<String>>()?.unwrap_or_default();
                    if let Some(&i) = index.get(&key) {
                        tags[i].1 = value;
                    } else {
                        index.insert(key.clone(), tags.len());
                        tags.push((key, value));
                    }
                }
                Ok(Tags(tags))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Endpoint<'a> {
    #[serde(borrow, default)]
    service_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    ipv4: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    ipv6: Option<Cow<'a, str>>,
    #[serde(default)]
    port: Option<u16>,
}

#[derive(Deserialize)]
struct Annotation<'a> {
    #[serde(default)]
    timestamp: Option<u64>,
    #[serde(borrow, default)]
    value: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ZSpan<'a> {
    #[serde(borrow, default)]
    trace_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    parent_id: Option<Cow<'a, str>>,
    #[serde(default)]
    name: Option<String>,
    #[serde(borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(default)]
    timestamp: Option<u64>,
    #[serde(default)]
    duration: Option<u64>,
    #[serde(borrow, default)]
    local_endpoint: Option<Endpoint<'a>>,
    #[serde(borrow, default)]
    remote_endpoint: Option<Endpoint<'a>>,
    #[serde(borrow, default)]
    annotations: Option<Vec<Option<Annotation<'a>>>>,
    #[serde(default)]
    tags: Option<Tags>,
    #[serde(default)]
    #[allow(dead_code)]
    debug: Option<bool>,
    #[serde(default)]
    #[allow(dead_code)]
    shared: Option<bool>,
}

fn invalid(index: usize, field: &str, reason: impl Into<String>) -> ModelError {
    ModelError::Invalid {
        format: FORMAT,
        field: format!("spans[{index}].{field}"),
        reason: reason.into(),
    }
}

/// Decodes a Zipkin v2 JSON span list into OTLP resource spans.
///
/// # Errors
///
/// [`ModelError::TooLarge`] past the limit; [`ModelError::Json`] for malformed JSON or a
/// field of the wrong type; [`ModelError::Invalid`] (naming `spans[i].<field>`) for a bad ID,
/// IP address, annotation or link tag.
pub fn decode_spans(bytes: &[u8], limits: &Limits) -> Result<Vec<ResourceSpans>, ModelError> {
    limits.check(FORMAT, bytes.len())?;
    let spans: Option<Vec<Option<ZSpan<'_>>>> =
        serde_json::from_slice(bytes).map_err(|e| ModelError::json(FORMAT, &e))?;
    let mut spans: Vec<(usize, ZSpan<'_>)> = spans
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .filter_map(|(i, s)| s.map(|s| (i, s)))
        .collect();

    let service = |s: &ZSpan<'_>| -> String {
        s.local_endpoint
            .as_ref()
            .and_then(|e| e.service_name.as_deref())
            .filter(|n| !n.is_empty())
            .unwrap_or(NO_SERVICE)
            .to_owned()
    };
    let library = |s: &ZSpan<'_>| -> String {
        s.tags
            .as_ref()
            .and_then(|t| t.get("otel.library.name"))
            .unwrap_or_default()
            .to_owned()
    };
    spans.sort_by_cached_key(|(_, s)| (service(s), library(s)));

    let mut out: Vec<ResourceSpans> = Vec::new();
    let mut prev_service: Option<String> = None;
    let mut prev_library: Option<String> = None;
    for (index, mut span) in spans {
        let mut tags = span.tags.take().unwrap_or_default();
        let svc = service(&span);
        if prev_service.as_deref() != Some(svc.as_str()) {
            out.push(ResourceSpans {
                resource: Some(resource(&svc, &mut tags)),
                ..Default::default()
            });
            prev_service = Some(svc);
            prev_library = None;
        }
        let lib = tags.get("otel.library.name").unwrap_or_default().to_owned();
        let rs = out
            .last_mut()
            .ok_or_else(|| invalid(index, "", "no resource"))?;
        if prev_library.as_deref() != Some(lib.as_str()) || rs.scope_spans.is_empty() {
            let scope = if lib.is_empty() {
                InstrumentationScope::default()
            } else {
                tags.remove("otel.library.name");
                InstrumentationScope {
                    name: lib.clone(),
                    version: tags.remove("otel.library.version").unwrap_or_default(),
                    ..Default::default()
                }
            };
            rs.scope_spans.push(ScopeSpans {
                scope: Some(scope),
                ..Default::default()
            });
            prev_library = Some(lib);
        }
        let converted = convert_span(index, span, tags)?;
        if let Some(ss) = rs.scope_spans.last_mut() {
            ss.spans.push(converted);
        }
    }
    Ok(out)
}

fn string_kv(key: String, value: String) -> KeyValue {
    KeyValue {
        key,
        value: Some(AnyValue {
            value: Some(Value::StringValue(value)),
        }),
        ..Default::default()
    }
}

/// The resource of a service group, from its first span's tags (consuming the ones used).
fn resource(svc: &str, tags: &mut Tags) -> Resource {
    let mut attrs: Vec<KeyValue> = Vec::new();
    if svc != NO_SERVICE {
        {
            let key = tags
                .remove("otlp.service.name.source")
                .filter(|k| !k.is_empty())
                .unwrap_or_else(|| "service.name".to_owned());
            attrs.push(string_kv(key, svc.to_owned()));
            for &key in RESOURCE_KEYS {
                if let Some(v) = tags.remove(key) {
                    if let Some(kv) = attrs.iter_mut().find(|kv| kv.key == key) {
                        *kv = string_kv(key.to_owned(), v);
                    } else {
                        attrs.push(string_kv(key.to_owned(), v));
                    }
                }
            }
        }
    }
    Resource {
        attributes: attrs,
        ..Default::default()
    }
}

/// Hex of up to `max` digits as a big-endian integer (`u128` for trace IDs).
fn parse_hex_id(text: &str, max: usize) -> Option<u128> {
    if text.is_empty() || text.len() > max || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u128::from_str_radix(text, 16).ok()
}

#[allow(clippy::too_many_lines)] // the receiver's rules, one after the other, in their order
fn convert_span(index: usize, z: ZSpan<'_>, mut tags: Tags) -> Result<Span, ModelError> {
    let trace_text = z
        .trace_id
        .as_deref()
        .ok_or_else(|| invalid(index, "traceId", "missing"))?;
    let trace = parse_hex_id(trace_text, 32).ok_or_else(|| {
        invalid(
            index,
            "traceId",
            format!("{trace_text:?} is not 1-32 hex digits"),
        )
    })?;
    if trace == 0 {
        return Err(invalid(index, "traceId", "all zero"));
    }
    let id_text = z.id.as_deref().unwrap_or_default();
    let id = parse_hex_id(id_text, 16)
        .filter(|&v| v != 0)
        .ok_or_else(|| invalid(index, "id", format!("{id_text:?} is not a valid span ID")))?;
    let parent = match z.parent_id.as_deref() {
        None | Some("") => 0,
        Some(p) => parse_hex_id(p, 16)
            .ok_or_else(|| invalid(index, "parentId", format!("{p:?} is not a valid span ID")))?,
    };
    let trace_id = TraceId::from_bytes(trace.to_be_bytes());
    #[allow(clippy::cast_possible_truncation)]
    let span_id = SpanId::from_u64(id as u64);

    let mut span = Span {
        trace_id: trace_id.as_bytes().to_vec(),
        span_id: span_id.as_bytes().to_vec(),
        name: z.name.unwrap_or_default(),
        ..Default::default()
    };
    if let Some(ts) = tags.remove("w3c.tracestate") {
        span.trace_state = ts;
    }
    if parent != 0 && parent != id {
        #[allow(clippy::cast_possible_truncation)]
        let parent = SpanId::from_u64(parent as u64);
        span.parent_span_id = parent.as_bytes().to_vec();
    }
    span.kind = match z.kind.as_deref() {
        Some("CLIENT") => SpanKind::Client,
        Some("SERVER") => SpanKind::Server,
        Some("PRODUCER") => SpanKind::Producer,
        Some("CONSUMER") => SpanKind::Consumer,
        _ => match tags.remove("span.kind").as_deref() {
            Some("internal") => SpanKind::Internal,
            _ => SpanKind::Unspecified,
        },
    } as i32;

    // Status.
    let mut status: Option<Status> = None;
    if let Some(code) = tags.remove("otel.status_code") {
        let code = match code.as_str() {
            "STATUS_CODE_OK" | "Ok" => 1,
            "STATUS_CODE_ERROR" | "Error" => 2,
            _ => 0,
        };
        let message = tags.remove("otel.status_description").unwrap_or_default();
        status = Some(Status { message, code });
    }
    if let Some(v) = tags.get("error") {
        if v == "true" {
            tags.remove("error");
        }
        status.get_or_insert_with(Status::default).code = 2;
    }
    span.status = status.filter(|s| s.code != 0 || !s.message.is_empty());

    // Links from otlp.link.<n>.
    for n in 0..128 {
        let Some(value) = tags.remove(&format!("otlp.link.{n}")) else {
            break;
        };
        if let Some(link) = parse_link(index, n, &value)? {
            span.links.push(link);
        }
    }

    // Attributes: remaining tags, then endpoint attributes, then the absent-timestamp flag.
    let mut attrs = AttrMap::new();
    for (k, v) in tags.0 {
        if !is_non_span_key(&k) {
            attrs.put(k, Value::StringValue(v));
        }
    }
    if let Some(local) = &z.local_endpoint {
        for ip in [&local.ipv4, &local.ipv6].into_iter().flatten() {
            if !ip.is_empty() {
                let ip = parse_ip(index, "localEndpoint", ip)?;
                attrs.put("network.local.address".into(), Value::StringValue(ip));
            }
        }
        if let Some(port) = local.port.filter(|&p| p > 0) {
            attrs.put("net.host.port".into(), Value::IntValue(i64::from(port)));
        }
    }
    if let Some(remote) = &z.remote_endpoint {
        if let Some(name) = remote.service_name.as_deref().filter(|n| !n.is_empty()) {
            attrs.put(
                "service.peer.name".into(),
                Value::StringValue(name.to_owned()),
            );
        }
        for ip in [&remote.ipv4, &remote.ipv6].into_iter().flatten() {
            if !ip.is_empty() {
                let ip = parse_ip(index, "remoteEndpoint", ip)?;
                attrs.put("network.peer.address".into(), Value::StringValue(ip));
            }
        }
        if let Some(port) = remote.port.filter(|&p| p > 0) {
            attrs.put("net.peer.port".into(), Value::IntValue(i64::from(port)));
        }
    }
    let start = z.timestamp.unwrap_or(0);
    let duration = z.duration.unwrap_or(0).wrapping_mul(1000);
    if start > 0 {
        span.start_time_unix_nano = start.wrapping_mul(1000);
        span.end_time_unix_nano = span.start_time_unix_nano.wrapping_add(duration);
    } else {
        span.end_time_unix_nano = duration;
        attrs.put(
            "otel.zipkin.absentField.startTime".into(),
            Value::BoolValue(true),
        );
    }
    span.attributes = attrs.into_vec();

    for (i, a) in z.annotations.into_iter().flatten().enumerate() {
        let field = format!("annotations[{i}]");
        let a = a.ok_or_else(|| invalid(index, &field, "null annotation"))?;
        let ts = a
            .timestamp
            .filter(|&t| t > 0)
            .ok_or_else(|| invalid(index, &field, "valid annotation timestamp required"))?;
        span.events.push(parse_annotation(
            index,
            &field,
            ts,
            a.value.as_deref().unwrap_or_default(),
        )?);
    }
    Ok(span)
}

/// Go's canonical IP text: IPv4-mapped IPv6 addresses print as IPv4.
fn parse_ip(index: usize, field: &str, text: &str) -> Result<String, ModelError> {
    let ip: IpAddr = text
        .parse()
        .map_err(|_| invalid(index, field, format!("{text:?} is not an IP address")))?;
    Ok(match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => v6.to_string(),
        },
        IpAddr::V4(v4) => v4.to_string(),
    })
}

/// JSON attribute values as the receiver maps them: strings, integral numbers as ints,
/// other numbers as doubles, booleans; nulls, arrays and objects are dropped.
fn json_attributes(index: usize, field: &str, text: &str) -> Result<Vec<KeyValue>, ModelError> {
    let parsed: Option<serde_json::Map<String, serde_json::Value>> = serde_json::from_str(text)
        .map_err(|e| {
            invalid(
                index,
                field,
                format!("attributes are not a JSON object: {e}"),
            )
        })?;
    let mut out = Vec::new();
    for (k, v) in parsed.unwrap_or_default() {
        let value = match v {
            serde_json::Value::String(s) => Value::StringValue(s),
            serde_json::Value::Bool(b) => Value::BoolValue(b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::IntValue(i),
                None => Value::DoubleValue(n.as_f64().unwrap_or_default()),
            },
            _ => continue,
        };
        out.push(KeyValue {
            key: k,
            value: Some(AnyValue { value: Some(value) }),
            ..Default::default()
        });
    }
    Ok(out)
}

fn parse_annotation(
    index: usize,
    field: &str,
    ts_micros: u64,
    value: &str,
) -> Result<Event, ModelError> {
    let parts: Vec<&str> = value.split('|').collect();
    let mut event = Event {
        time_unix_nano: ts_micros.wrapping_mul(1000),
        name: parts[0].to_owned(),
        ..Default::default()
    };
    if parts.len() >= 3 {
        let last = parts[parts.len() - 1];
        event.attributes = json_attributes(index, field, &parts[1..parts.len() - 1].join("|"))?;
        event.dropped_attributes_count = last
            .parse()
            .map_err(|_| invalid(index, field, format!("{last:?} is not a dropped count")))?;
    }
    Ok(event)
}

fn parse_link_id<const N: usize>(
    index: usize,
    field: &str,
    text: &str,
) -> Result<[u8; N], ModelError> {
    let text = text.trim_matches('"');
    if text.is_empty() {
        return Ok([0; N]);
    }
    if text.len() != 2 * N {
        return Err(invalid(index, field, "invalid length for ID"));
    }
    crate::id::decode_hex(text)
        .and_then(|bytes| <[u8; N]>::try_from(bytes).ok())
        .ok_or_else(|| invalid(index, field, format!("{text:?} is not hex")))
}

fn parse_link(index: usize, n: usize, value: &str) -> Result<Option<Link>, ModelError> {
    let parts: Vec<&str> = value.split('|').collect();
    if parts.len() < 5 {
        return Ok(None);
    }
    let field = format!("tags[otlp.link.{n}]");
    let trace_id = parse_link_id::<16>(index, &field, parts[0])?;
    let span_id = parse_link_id::<8>(index, &field, parts[1])?;
    let last = parts[parts.len() - 1];
    Ok(Some(Link {
        trace_id: trace_id.to_vec(),
        span_id: span_id.to_vec(),
        trace_state: parts[2].to_owned(),
        attributes: json_attributes(index, &field, &parts[3..parts.len() - 1].join("|"))?,
        dropped_attributes_count: last
            .parse()
            .map_err(|_| invalid(index, &field, format!("{last:?} is not a dropped count")))?,
        flags: 0,
    }))
}

#[cfg(test)]
mod tests;
