//! OTLP logs: `POST /otlp/v1/logs` with an `ExportLogsServiceRequest` (protobuf for
//! `application/x-protobuf`, OTLP/JSON for `application/json`), optionally `gzip`, `zstd` or
//! `lz4` encoded, turned into streams as Loki's default OTLP configuration does:
//!
//! * the resource attributes listed in `distributor.otlp_config.
//!   default_resource_attributes_as_index_labels` (`service.name`, `k8s.pod.name`, … by
//!   default) become stream labels, their names made Prometheus-safe (`service.name` →
//!   `service_name`, map values flattened into `parent_child`); the other resource
//!   attributes become structured metadata of every entry of the resource;
//! * scope attributes, `scope_name`, `scope_version` and `scope_dropped_attributes_count`
//!   become structured metadata, as do the record's attributes and its fields
//!   `observed_timestamp`, `severity_number`, `severity_text`, `dropped_attributes_count`,
//!   `flags`, `trace_id`, `span_id` (hex) and `event_name`;
//! * the line is the body as text (maps and arrays as JSON, bytes as base64); the time is
//!   the record's, else its observed time, else now;
//! * `service_name` is discovered by the store as for every push.
//!
//! Answers as Loki does: 204 on success; errors carry a protobuf `google.rpc.Status` with
//! the message (a 500 is sent as 503, which OTLP exporters retry).

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use bytes::Bytes;
use loki_store::{PushEntry, PushStream};
use otlp_model::Limits;
use otlp_model::proto::collector::logs::ExportLogsServiceRequest;
use otlp_model::proto::common::{AnyValue, KeyValue, any_value};
use prost::Message as _;

use super::json::labels_text;
use super::{Format, Ingest, Refusal, content_encoding, decompress, read_body};

const PROTOBUF: &str = "application/x-protobuf";
const JSON: &str = "application/json";

/// `google.rpc.Status`, the body of an OTLP/HTTP error.
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

/// `POST /otlp/v1/logs`.
pub(crate) async fn export(
    State(ingest): State<Ingest>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match push(&ingest, &headers, body).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(refusal) => {
            ingest.refused(Format::Otlp, &refusal);
            error_response(&refusal)
        }
    }
}

async fn push(ingest: &Ingest, headers: &HeaderMap, body: Body) -> Result<(), Refusal> {
    let tenant = ingest.tenant(headers)?;
    let encoding = content_encoding(headers, &["gzip", "zstd", "lz4"], |e| {
        format!("unsupported content encoding {e}: only gzip, lz4 and zstd are supported")
    })?;
    let content_type = headers
        .get(CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let json = match media.as_str() {
        PROTOBUF => false,
        JSON => true,
        _ => {
            return Err(Refusal::malformed(format!(
                "content type: {content_type} is not supported"
            )));
        }
    };
    let raw = read_body(body, headers, ingest.limits()).await?;
    let limits = ingest.limits();
    let index_labels = ingest.otlp_index_labels().to_vec();
    let streams = tokio::task::spawn_blocking(move || {
        let bytes = decompress(raw, encoding.as_deref(), limits)?;
        let decode_limits = Limits::new(limits.max_decompressed_size);
        let request = if json {
            otlp_model::json::decode_logs_json(&bytes, &decode_limits)
        } else {
            otlp_model::decode_logs_request(&bytes, &decode_limits)
        }
        .map_err(|e| Refusal::malformed(e.to_string()))?;
        to_streams(request, &index_labels, now_ns())
    })
    .await
    .map_err(|e| {
        Refusal::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            e.to_string(),
        )
    })??;
    ingest.push(Format::Otlp, &tenant, streams).await
}

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

fn error_response(refusal: &Refusal) -> Response {
    let status = if refusal.status == StatusCode::INTERNAL_SERVER_ERROR {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        refusal.status
    };
    let body = RpcStatus {
        code: 0,
        message: refusal.message.clone(),
    }
    .encode_to_vec();
    (status, [(CONTENT_TYPE, "application/octet-stream")], body).into_response()
}

/// The streams Loki makes of an OTLP request (see the [module docs](self)); entries without
/// a time get `now_ns`.
///
/// # Errors
///
/// An attribute whose name normalises to nothing but underscores (Loki refuses the request).
pub fn to_streams(
    request: ExportLogsServiceRequest,
    index_labels: &[String],
    now_ns: i64,
) -> Result<Vec<PushStream>, Refusal> {
    let mut streams: BTreeMap<String, Vec<PushEntry>> = BTreeMap::new();
    for rl in request.resource_logs {
        let mut labels: BTreeMap<String, String> = BTreeMap::new();
        let mut resource_metadata = Vec::new();
        let attributes = rl.resource.map(|r| r.attributes).unwrap_or_default();
        for kv in &attributes {
            let pairs = attribute_labels(&kv.key, kv.value.as_ref(), "")?;
            if index_labels.contains(&kv.key) {
                labels.extend(pairs);
            } else {
                resource_metadata.extend(pairs);
            }
        }
        let text = labels_text(labels.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        for sl in rl.scope_logs {
            let mut scope_metadata = Vec::new();
            if let Some(scope) = &sl.scope {
                for kv in &scope.attributes {
                    scope_metadata.extend(attribute_labels(&kv.key, kv.value.as_ref(), "")?);
                }
                if !scope.name.is_empty() {
                    scope_metadata.push(("scope_name".to_owned(), scope.name.clone()));
                }
                if !scope.version.is_empty() {
                    scope_metadata.push(("scope_version".to_owned(), scope.version.clone()));
                }
                if scope.dropped_attributes_count != 0 {
                    scope_metadata.push((
                        "scope_dropped_attributes_count".to_owned(),
                        scope.dropped_attributes_count.to_string(),
                    ));
                }
            }
            for record in sl.log_records {
                let mut metadata = record_metadata(&record)?;
                metadata.extend(resource_metadata.iter().cloned());
                metadata.extend(scope_metadata.iter().cloned());
                let ts = [record.time_unix_nano, record.observed_time_unix_nano]
                    .into_iter()
                    .find(|&t| t != 0)
                    .map_or(now_ns, |t| i64::try_from(t).unwrap_or(i64::MAX));
                let line = record.body.as_ref().map(as_string).unwrap_or_default();
                streams.entry(text.clone()).or_default().push(PushEntry {
                    ts,
                    line: Bytes::from(line),
                    structured_metadata: metadata,
                });
            }
        }
    }
    Ok(streams
        .into_iter()
        .map(|(labels, entries)| PushStream::new(labels, entries))
        .collect())
}

/// A record's attributes and fields as structured metadata, in Loki's order.
fn record_metadata(
    record: &otlp_model::proto::logs::LogRecord,
) -> Result<Vec<(String, String)>, Refusal> {
    let mut out = Vec::new();
    for kv in &record.attributes {
        // The record's own event name wins over an attribute of that name.
        if kv.key == "event_name" && !record.event_name.is_empty() {
            continue;
        }
        out.extend(attribute_labels(&kv.key, kv.value.as_ref(), "")?);
    }
    if record.time_unix_nano != 0 && record.observed_time_unix_nano != 0 {
        out.push((
            "observed_timestamp".to_owned(),
            record.observed_time_unix_nano.to_string(),
        ));
    }
    if record.severity_number != 0 {
        out.push((
            "severity_number".to_owned(),
            record.severity_number.to_string(),
        ));
    }
    if !record.severity_text.is_empty() {
        out.push(("severity_text".to_owned(), record.severity_text.clone()));
    }
    if record.dropped_attributes_count != 0 {
        out.push((
            "dropped_attributes_count".to_owned(),
            record.dropped_attributes_count.to_string(),
        ));
    }
    if record.flags != 0 {
        out.push(("flags".to_owned(), record.flags.to_string()));
    }
    if record.trace_id.iter().any(|&b| b != 0) {
        out.push(("trace_id".to_owned(), hex::encode(&record.trace_id)));
    }
    if record.span_id.iter().any(|&b| b != 0) {
        out.push(("span_id".to_owned(), hex::encode(&record.span_id)));
    }
    if !record.event_name.is_empty() {
        out.push(("event_name".to_owned(), record.event_name.clone()));
    }
    Ok(out)
}

/// One attribute as `(name, value)` pairs: its name made a Prometheus label name (with
/// `prefix_` before it), a map value flattened into one pair per entry.
fn attribute_labels(
    key: &str,
    value: Option<&AnyValue>,
    prefix: &str,
) -> Result<Vec<(String, String)>, Refusal> {
    let full = if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}_{key}")
    };
    let name = label_name(&full)?;
    match value.and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::KvlistValue(list)) => {
            let mut out = Vec::new();
            for KeyValue { key, value, .. } in &list.values {
                out.extend(attribute_labels(key, value.as_ref(), &name)?);
            }
            Ok(out)
        }
        _ => Ok(vec![(name, value.map(as_string).unwrap_or_default())]),
    }
}

/// An OTLP attribute name as a Prometheus label name, as Prometheus' OTLP translator makes
/// it: every run of characters other than ASCII letters and digits becomes one `_` (a
/// `__name__`-style reserved name keeps its double underscores), and a leading digit gets
/// `key_` before it.
///
/// # Errors
///
/// An empty name, or one that is only underscores after this.
pub fn label_name(attribute: &str) -> Result<String, Refusal> {
    let refuse = |why: String| Refusal::malformed(format!("symbolizer lookup: {why}"));
    if attribute.is_empty() {
        return Err(refuse("label name is empty".to_owned()));
    }
    let reserved = attribute.len() >= 4 && attribute.starts_with("__") && attribute.ends_with("__");
    let inner = if reserved {
        &attribute[2..attribute.len() - 2]
    } else {
        attribute
    };
    let mut out = String::with_capacity(attribute.len());
    let mut underscore = false;
    for c in inner.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
            underscore = false;
        } else if !underscore {
            out.push('_');
            underscore = true;
        }
    }
    if reserved {
        out = format!("__{out}__");
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "key_");
    }
    if out.bytes().all(|b| b == b'_') {
        return Err(refuse(format!(
            "normalization for label name {attribute:?} resulted in invalid name {out:?}"
        )));
    }
    Ok(out)
}

/// An OTLP value as text, as the collector's `pcommon.Value.AsString` writes it: strings as
/// they are, numbers in decimal (doubles as JavaScript prints them), booleans as
/// `true`/`false`, bytes in base64, arrays and maps as JSON, nothing as the empty string.
pub fn as_string(value: &AnyValue) -> String {
    match &value.value {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        Some(any_value::Value::IntValue(i)) => i.to_string(),
        Some(any_value::Value::DoubleValue(d)) => format_double(*d),
        Some(any_value::Value::BytesValue(b)) => {
            base64::engine::general_purpose::STANDARD.encode(b)
        }
        Some(any_value::Value::ArrayValue(_) | any_value::Value::KvlistValue(_)) => {
            to_json(value).to_string()
        }
        // Nothing, or an index into a profile's string table (not a value of a log record).
        None | Some(_) => String::new(),
    }
}

/// A double as ECMAScript's `Number.prototype.toString` writes it (what the collector uses):
/// plain decimal between 1e-6 and 1e21, exponent notation (`1e+21`, `1e-7`) outside.
fn format_double(d: f64) -> String {
    if d.is_nan() {
        return "NaN".to_owned();
    }
    if d.is_infinite() {
        return if d > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    let abs = d.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let text = format!("{d:e}");
        match text.split_once('e') {
            Some((mantissa, exp)) if !exp.starts_with('-') => format!("{mantissa}e+{exp}"),
            _ => text,
        }
    } else {
        format!("{d}")
    }
}

fn to_json(value: &AnyValue) -> serde_json::Value {
    use serde_json::Value as J;
    match &value.value {
        Some(any_value::Value::StringValue(s)) => J::String(s.clone()),
        Some(any_value::Value::BoolValue(b)) => J::Bool(*b),
        Some(any_value::Value::IntValue(i)) => J::from(*i),
        Some(any_value::Value::DoubleValue(d)) => {
            serde_json::Number::from_f64(*d).map_or(J::Null, J::Number)
        }
        Some(any_value::Value::BytesValue(b)) => {
            J::String(base64::engine::general_purpose::STANDARD.encode(b))
        }
        Some(any_value::Value::ArrayValue(a)) => J::Array(a.values.iter().map(to_json).collect()),
        Some(any_value::Value::KvlistValue(list)) => J::Object(
            list.values
                .iter()
                .map(|kv| (kv.key.clone(), kv.value.as_ref().map_or(J::Null, to_json)))
                .collect(),
        ),
        None | Some(_) => J::Null,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

    use otlp_model::proto::common::{ArrayValue, InstrumentationScope, KeyValueList};
    use otlp_model::proto::logs::{LogRecord, ResourceLogs, ScopeLogs};
    use otlp_model::proto::resource::Resource;

    use super::*;
    use crate::loki_server::config::DEFAULT_OTLP_INDEX_LABELS;

    fn any(s: &str) -> AnyValue {
        AnyValue {
            value: Some(any_value::Value::StringValue(s.to_owned())),
        }
    }

    #[allow(clippy::unnecessary_wraps)] // the shape of OTLP's optional value fields
    fn string(s: &str) -> Option<AnyValue> {
        Some(any(s))
    }

    fn kv(key: &str, value: Option<AnyValue>) -> KeyValue {
        KeyValue {
            key: key.to_owned(),
            value,
            ..KeyValue::default()
        }
    }

    #[test]
    fn label_names_as_prometheus_makes_them() {
        let ok = |s: &str| label_name(s).unwrap();
        assert_eq!(ok("service.name"), "service_name");
        assert_eq!(ok("k8s.pod.name"), "k8s_pod_name");
        assert_eq!(ok("a..b__c"), "a_b_c");
        assert_eq!(ok("123abc"), "key_123abc");
        assert_eq!(ok("__meta__"), "__meta__");
        assert_eq!(ok("_private"), "_private");
        assert!(label_name("...").is_err());
        assert!(label_name("").is_err());
    }

    #[test]
    fn values_as_the_collector_prints_them() {
        let v = |value| as_string(&AnyValue { value: Some(value) });
        assert_eq!(v(any_value::Value::IntValue(-5)), "-5");
        assert_eq!(v(any_value::Value::DoubleValue(1.5)), "1.5");
        assert_eq!(v(any_value::Value::DoubleValue(1e21)), "1e+21");
        assert_eq!(v(any_value::Value::DoubleValue(1e-7)), "1e-7");
        assert_eq!(v(any_value::Value::DoubleValue(100.0)), "100");
        assert_eq!(v(any_value::Value::BoolValue(true)), "true");
        assert_eq!(v(any_value::Value::BytesValue(vec![1, 2, 3])), "AQID");
        assert_eq!(
            v(any_value::Value::ArrayValue(ArrayValue {
                values: vec![
                    any("a"),
                    AnyValue {
                        value: Some(any_value::Value::IntValue(1))
                    }
                ],
            })),
            r#"["a",1]"#
        );
        assert_eq!(as_string(&AnyValue { value: None }), "");
    }

    #[test]
    fn resources_become_streams_as_loki_maps_them() {
        let request = ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                resource: Some(Resource {
                    attributes: vec![
                        kv("service.name", string("checkout")),
                        kv("k8s.pod.name", string("pod-1")),
                        kv("host.name", string("node-7")),
                        kv(
                            "deployment",
                            Some(AnyValue {
                                value: Some(any_value::Value::KvlistValue(KeyValueList {
                                    values: vec![kv("tier", string("web"))],
                                })),
                            }),
                        ),
                    ],
                    ..Resource::default()
                }),
                scope_logs: vec![ScopeLogs {
                    scope: Some(InstrumentationScope {
                        name: "my.lib".to_owned(),
                        version: "1.0".to_owned(),
                        ..InstrumentationScope::default()
                    }),
                    log_records: vec![
                        LogRecord {
                            time_unix_nano: 1_700_000_000_000_000_001,
                            observed_time_unix_nano: 1_700_000_000_000_000_002,
                            severity_number: 9,
                            severity_text: "INFO".to_owned(),
                            body: string("hello"),
                            attributes: vec![kv("http.method", string("GET"))],
                            trace_id: vec![0xab; 16],
                            span_id: vec![0xcd; 8],
                            ..LogRecord::default()
                        },
                        LogRecord {
                            observed_time_unix_nano: 1_700_000_000_000_000_003,
                            body: string("no time"),
                            ..LogRecord::default()
                        },
                        LogRecord {
                            body: None,
                            ..LogRecord::default()
                        },
                    ],
                    ..ScopeLogs::default()
                }],
                ..ResourceLogs::default()
            }],
        };
        let index: Vec<String> = DEFAULT_OTLP_INDEX_LABELS
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let streams = to_streams(request, &index, 42).unwrap();
        assert_eq!(streams.len(), 1);
        assert_eq!(
            streams[0].labels,
            r#"{k8s_pod_name="pod-1", service_name="checkout"}"#
        );
        let e = &streams[0].entries;
        assert_eq!(e[0].ts, 1_700_000_000_000_000_001);
        assert_eq!(e[0].line.as_ref(), b"hello");
        let names: Vec<&str> = e[0]
            .structured_metadata
            .iter()
            .map(|(n, _)| n.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "http_method",
                "observed_timestamp",
                "severity_number",
                "severity_text",
                "trace_id",
                "span_id",
                "host_name",
                "deployment_tier",
                "scope_name",
                "scope_version"
            ]
        );
        assert_eq!(e[0].structured_metadata[4].1, "ab".repeat(16));
        assert_eq!(e[1].ts, 1_700_000_000_000_000_003);
        assert!(
            !e[1]
                .structured_metadata
                .iter()
                .any(|(n, _)| n == "observed_timestamp")
        );
        assert_eq!((e[2].ts, e[2].line.as_ref()), (42, &b""[..]));
    }
}
