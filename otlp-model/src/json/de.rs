//! OTLP/JSON decoding: serde visitors that build the prost messages directly, with no
//! intermediate JSON tree.
//!
//! Accepted, per the OTLP specification and the protobuf JSON mapping it builds on:
//! lowerCamelCase and original (snake_case) field names; unknown fields ignored; `null` for any
//! field means its default; 64-bit integers as numbers or decimal strings; enums as numbers or
//! as their names; doubles as numbers or `"NaN"`, `"Infinity"`, `"-Infinity"`; trace and span
//! IDs as hex (the OTLP form) or base64 (the protobuf JSON form Tempo answers with), told
//! apart by length; other bytes as base64.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use base64::Engine as _;

use crate::id::decode_hex;
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::proto::collector::logs::{ExportLogsPartialSuccess, ExportLogsServiceResponse};
use crate::proto::collector::trace::{ExportTracePartialSuccess, ExportTraceServiceResponse};
use crate::proto::common::{AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList};
use crate::proto::common::{EntityRef, any_value};
use crate::proto::logs::{LogRecord, LogsData, ResourceLogs, ScopeLogs, SeverityNumber};
use crate::proto::resource::Resource;
use crate::proto::trace::span::{Event, Link, SpanKind};
use crate::proto::trace::status::StatusCode;
use crate::proto::trace::{ResourceSpans, ScopeSpans, Span, Status, TracesData};
use crate::tempo_api::{PartialStatus, TraceByIdMetrics, TraceByIdResponse};

/// A message decoded from JSON.
pub(crate) struct W<T>(pub(crate) T);

/// A repeated message field decoded from a JSON array (`null` is an empty list).
pub(crate) struct WVec<T>(pub(crate) Vec<T>);

/// An object key, borrowed from the input when it holds no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de, T> Deserialize<'de> for WVec<T>
where
    W<T>: Deserialize<'de>,
{
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T> Visitor<'de> for V<T>
        where
            W<T>: Deserialize<'de>,
        {
            type Value = WVec<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(WVec(Vec::new()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                // The hint is what serde_json knows (nothing); never trust a count from input.
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
                while let Some(W(item)) = seq.next_element::<W<T>>()? {
                    out.push(item);
                }
                Ok(WVec(out))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// Defines the JSON decoding of one message: each arm maps field names to an action on the
/// message under construction; other names are skipped.
macro_rules! json_message {
    ($ty:ty, $expecting:literal, |$msg:ident, $map:ident| { $($($name:literal)|+ => $action:expr),* $(,)? }) => {
        impl<'de> Deserialize<'de> for W<$ty> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = W<$ty>;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_map<A: MapAccess<'de>>(self, mut $map: A) -> Result<Self::Value, A::Error> {
                        let mut $msg = <$ty>::default();
                        while let Some(key) = $map.next_key::<Key<'de>>()? {
                            match key.0.as_ref() {
                                $($($name)|+ => { $action; })*
                                _ => { $map.next_value::<IgnoredAny>()?; }
                            }
                        }
                        Ok(W($msg))
                    }
                }
                d.deserialize_map(V)
            }
        }
    };
}

fn vec<'de, A: MapAccess<'de>, T>(map: &mut A) -> Result<Vec<T>, A::Error>
where
    W<T>: Deserialize<'de>,
{
    Ok(map.next_value::<WVec<T>>()?.0)
}

fn msg<'de, A: MapAccess<'de>, T>(map: &mut A) -> Result<Option<T>, A::Error>
where
    W<T>: Deserialize<'de>,
{
    Ok(map.next_value::<Option<W<T>>>()?.map(|w| w.0))
}

fn string<'de, A: MapAccess<'de>>(map: &mut A) -> Result<String, A::Error> {
    Ok(map.next_value::<Option<String>>()?.unwrap_or_default())
}

/// A protobuf integer field: a JSON number or a decimal string.
struct Int<T>(T);

macro_rules! json_int {
    ($t:ty, $what:literal) => {
        impl<'de> Deserialize<'de> for Int<$t> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = Int<$t>;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str(concat!($what, " as a number or a decimal string"))
                    }
                    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                        <$t>::try_from(v).map(Int).map_err(|_| {
                            E::custom(format_args!("{v} is out of range for {}", $what))
                        })
                    }
                    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                        <$t>::try_from(v).map(Int).map_err(|_| {
                            E::custom(format_args!("{v} is out of range for {}", $what))
                        })
                    }
                    #[allow(
                        clippy::cast_possible_truncation,
                        clippy::cast_precision_loss,
                        clippy::cast_sign_loss,
                        clippy::cast_lossless
                    )]
                    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                        // The JSON mapping allows an integral value written as a float (1e3);
                        // the range check above the casts makes them exact.
                        if v.fract() == 0.0 && v >= <$t>::MIN as f64 && v <= <$t>::MAX as f64 {
                            if v < 0.0 {
                                return self.visit_i64(v as i64);
                            }
                            return self.visit_u64(v as u64);
                        }
                        Err(E::custom(format_args!("{v} is not a valid {}", $what)))
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                        v.parse::<$t>()
                            .map(Int)
                            .map_err(|_| E::custom(format_args!("{v:?} is not a valid {}", $what)))
                    }
                }
                d.deserialize_any(V)
            }
        }
    };
}

json_int!(u64, "uint64");
json_int!(i64, "int64");
json_int!(u32, "uint32");
json_int!(i32, "int32");

fn int<'de, A: MapAccess<'de>, T: Default>(map: &mut A) -> Result<T, A::Error>
where
    Int<T>: Deserialize<'de>,
{
    Ok(map
        .next_value::<Option<Int<T>>>()?
        .map_or_else(T::default, |v| v.0))
}

/// A protobuf double: a JSON number, or a string holding a number, `NaN` or `±Infinity`.
struct Double(f64);

impl<'de> Deserialize<'de> for Double {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Double;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a double")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Double(v))
            }
            #[allow(clippy::cast_precision_loss)]
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Double(v as f64))
            }
            #[allow(clippy::cast_precision_loss)]
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Double(v as f64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                match v {
                    "NaN" => Ok(Double(f64::NAN)),
                    "Infinity" => Ok(Double(f64::INFINITY)),
                    "-Infinity" => Ok(Double(f64::NEG_INFINITY)),
                    _ => v
                        .parse::<f64>()
                        .ok()
                        .filter(|d| d.is_finite())
                        .map(Double)
                        .ok_or_else(|| E::custom(format_args!("{v:?} is not a valid double"))),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// An enum field: its number, or its name looked up with `by_name`.
struct Enum<T>(i32, PhantomData<T>);

trait NamedEnum {
    const WHAT: &'static str;
    fn by_name(name: &str) -> Option<i32>;
}

impl NamedEnum for SpanKind {
    const WHAT: &'static str = "span kind";
    fn by_name(name: &str) -> Option<i32> {
        SpanKind::from_str_name(name).map(|k| k as i32)
    }
}

impl NamedEnum for StatusCode {
    const WHAT: &'static str = "status code";
    fn by_name(name: &str) -> Option<i32> {
        StatusCode::from_str_name(name).map(|k| k as i32)
    }
}

impl NamedEnum for PartialStatus {
    const WHAT: &'static str = "partial status";
    fn by_name(name: &str) -> Option<i32> {
        PartialStatus::from_str_name(name).map(|k| k as i32)
    }
}

impl NamedEnum for SeverityNumber {
    const WHAT: &'static str = "severity number";
    fn by_name(name: &str) -> Option<i32> {
        SeverityNumber::from_str_name(name).map(|k| k as i32)
    }
}

impl<'de, T: NamedEnum> Deserialize<'de> for Enum<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<T: NamedEnum> Visitor<'_> for V<T> {
            type Value = Enum<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a {} as a number or a name", T::WHAT)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                i32::try_from(v)
                    .map(|n| Enum(n, PhantomData))
                    .map_err(|_| E::custom(format_args!("{} {v} is out of range", T::WHAT)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                i32::try_from(v)
                    .map(|n| Enum(n, PhantomData))
                    .map_err(|_| E::custom(format_args!("{} {v} is out of range", T::WHAT)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                T::by_name(v)
                    .map(|n| Enum(n, PhantomData))
                    .ok_or_else(|| E::custom(format_args!("{v:?} is not a {}", T::WHAT)))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

fn enumeration<'de, A: MapAccess<'de>, T: NamedEnum>(map: &mut A) -> Result<i32, A::Error> {
    Ok(map.next_value::<Option<Enum<T>>>()?.map_or(0, |e| e.0))
}

/// Base64 in either alphabet, padded or not, as the protobuf JSON mapping accepts.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const CONFIG: GeneralPurposeConfig =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    const STANDARD: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, CONFIG);
    const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, CONFIG);
    if text.bytes().any(|b| b == b'-' || b == b'_') {
        URL_SAFE.decode(text).ok()
    } else {
        STANDARD.decode(text).ok()
    }
}

/// A `bytes` field holding base64.
struct Base64Bytes(Vec<u8>);

impl<'de> Deserialize<'de> for Base64Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Base64Bytes;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("base64 bytes")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                decode_base64(v)
                    .map(Base64Bytes)
                    .ok_or_else(|| E::custom("bytes value is not valid base64"))
            }
        }
        d.deserialize_str(V)
    }
}

/// A trace (`N` = 16) or span (`N` = 8) ID: `2N` hex digits (OTLP/JSON) or base64 of `N`
/// bytes (protobuf JSON); the lengths never coincide. Empty means absent.
struct IdBytes<const N: usize>(Vec<u8>);

impl<'de, const N: usize> Deserialize<'de> for IdBytes<N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<const N: usize>;
        impl<const N: usize> Visitor<'_> for V<N> {
            type Value = IdBytes<N>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "an ID of {} hex digits", 2 * N)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                let b64_padded = N.div_ceil(3) * 4;
                let b64_bare = (N * 4).div_ceil(3);
                let bytes = if v.is_empty() {
                    Some(Vec::new())
                } else if v.len() == 2 * N {
                    decode_hex(v)
                } else if v.len() == b64_padded || v.len() == b64_bare {
                    decode_base64(v).filter(|b| b.len() == N)
                } else {
                    None
                };
                bytes.map(IdBytes).ok_or_else(|| {
                    E::custom(format_args!(
                        "{v:?} is not a {N}-byte ID ({} hex digits or base64)",
                        2 * N
                    ))
                })
            }
        }
        d.deserialize_str(V::<N>)
    }
}

fn id<'de, A: MapAccess<'de>, const N: usize>(
    map: &mut A,
    field: &'static str,
) -> Result<Vec<u8>, A::Error> {
    match map.next_value::<Option<IdBytes<N>>>() {
        Ok(v) => Ok(v.map(|b| b.0).unwrap_or_default()),
        Err(e) => Err(de::Error::custom(format_args!("{field}: {e}"))),
    }
}

json_message!(TracesData, "an OTLP TracesData object", |m, map| {
    "resourceSpans" | "resource_spans" | "batches" => m.resource_spans = vec(&mut map)?,
});

json_message!(ResourceSpans, "a ResourceSpans object", |m, map| {
    "resource" => m.resource = msg(&mut map)?,
    "scopeSpans" | "scope_spans" => m.scope_spans = vec(&mut map)?,
    "schemaUrl" | "schema_url" => m.schema_url = string(&mut map)?,
});

json_message!(ScopeSpans, "a ScopeSpans object", |m, map| {
    "scope" => m.scope = msg(&mut map)?,
    "spans" => m.spans = vec(&mut map)?,
    "schemaUrl" | "schema_url" => m.schema_url = string(&mut map)?,
});

json_message!(Span, "a Span object", |m, map| {
    "traceId" | "trace_id" => m.trace_id = id::<_, 16>(&mut map, "traceId")?,
    "spanId" | "span_id" => m.span_id = id::<_, 8>(&mut map, "spanId")?,
    "traceState" | "trace_state" => m.trace_state = string(&mut map)?,
    "parentSpanId" | "parent_span_id" => m.parent_span_id = id::<_, 8>(&mut map, "parentSpanId")?,
    "flags" => m.flags = int(&mut map)?,
    "name" => m.name = string(&mut map)?,
    "kind" => m.kind = enumeration::<_, SpanKind>(&mut map)?,
    "startTimeUnixNano" | "start_time_unix_nano" => m.start_time_unix_nano = int(&mut map)?,
    "endTimeUnixNano" | "end_time_unix_nano" => m.end_time_unix_nano = int(&mut map)?,
    "attributes" => m.attributes = vec(&mut map)?,
    "droppedAttributesCount" | "dropped_attributes_count" => m.dropped_attributes_count = int(&mut map)?,
    "events" => m.events = vec(&mut map)?,
    "droppedEventsCount" | "dropped_events_count" => m.dropped_events_count = int(&mut map)?,
    "links" => m.links = vec(&mut map)?,
    "droppedLinksCount" | "dropped_links_count" => m.dropped_links_count = int(&mut map)?,
    "status" => m.status = msg(&mut map)?,
});

json_message!(Event, "a Span.Event object", |m, map| {
    "timeUnixNano" | "time_unix_nano" => m.time_unix_nano = int(&mut map)?,
    "name" => m.name = string(&mut map)?,
    "attributes" => m.attributes = vec(&mut map)?,
    "droppedAttributesCount" | "dropped_attributes_count" => m.dropped_attributes_count = int(&mut map)?,
});

json_message!(Link, "a Span.Link object", |m, map| {
    "traceId" | "trace_id" => m.trace_id = id::<_, 16>(&mut map, "links.traceId")?,
    "spanId" | "span_id" => m.span_id = id::<_, 8>(&mut map, "links.spanId")?,
    "traceState" | "trace_state" => m.trace_state = string(&mut map)?,
    "attributes" => m.attributes = vec(&mut map)?,
    "droppedAttributesCount" | "dropped_attributes_count" => m.dropped_attributes_count = int(&mut map)?,
    "flags" => m.flags = int(&mut map)?,
});

json_message!(Status, "a Status object", |m, map| {
    "message" => m.message = string(&mut map)?,
    "code" => m.code = enumeration::<_, StatusCode>(&mut map)?,
});

json_message!(Resource, "a Resource object", |m, map| {
    "attributes" => m.attributes = vec(&mut map)?,
    "droppedAttributesCount" | "dropped_attributes_count" => m.dropped_attributes_count = int(&mut map)?,
    "entityRefs" | "entity_refs" => m.entity_refs = vec(&mut map)?,
});

json_message!(EntityRef, "an EntityRef object", |m, map| {
    "schemaUrl" | "schema_url" => m.schema_url = string(&mut map)?,
    "type" => m.r#type = string(&mut map)?,
    "idKeys" | "id_keys" => m.id_keys = map.next_value::<Option<Vec<String>>>()?.unwrap_or_default(),
    "descriptionKeys" | "description_keys" => m.description_keys = map.next_value::<Option<Vec<String>>>()?.unwrap_or_default(),
});

json_message!(InstrumentationScope, "an InstrumentationScope object", |m, map| {
    "name" => m.name = string(&mut map)?,
    "version" => m.version = string(&mut map)?,
    "attributes" => m.attributes = vec(&mut map)?,
    "droppedAttributesCount" | "dropped_attributes_count" => m.dropped_attributes_count = int(&mut map)?,
});

json_message!(KeyValue, "a KeyValue object", |m, map| {
    "key" => m.key = string(&mut map)?,
    "value" => m.value = msg(&mut map)?,
});

json_message!(ArrayValue, "an ArrayValue object", |m, map| {
    "values" => m.values = vec(&mut map)?,
});

json_message!(KeyValueList, "a KeyValueList object", |m, map| {
    "values" => m.values = vec(&mut map)?,
});

impl<'de> Deserialize<'de> for W<AnyValue> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = W<AnyValue>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an AnyValue object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                use any_value::Value;
                let mut value: Option<Value> = None;
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    let v = match key.0.as_ref() {
                        "stringValue" | "string_value" => {
                            map.next_value::<Option<String>>()?.map(Value::StringValue)
                        }
                        "boolValue" | "bool_value" => {
                            map.next_value::<Option<bool>>()?.map(Value::BoolValue)
                        }
                        "intValue" | "int_value" => map
                            .next_value::<Option<Int<i64>>>()?
                            .map(|v| Value::IntValue(v.0)),
                        "doubleValue" | "double_value" => map
                            .next_value::<Option<Double>>()?
                            .map(|v| Value::DoubleValue(v.0)),
                        "arrayValue" | "array_value" => {
                            msg::<_, ArrayValue>(&mut map)?.map(Value::ArrayValue)
                        }
                        "kvlistValue" | "kvlist_value" => {
                            msg::<_, KeyValueList>(&mut map)?.map(Value::KvlistValue)
                        }
                        "bytesValue" | "bytes_value" => map
                            .next_value::<Option<Base64Bytes>>()?
                            .map(|v| Value::BytesValue(v.0)),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                            None
                        }
                    };
                    if let Some(v) = v {
                        if value.is_some() {
                            return Err(de::Error::custom("AnyValue holds more than one value"));
                        }
                        value = Some(v);
                    }
                }
                Ok(W(AnyValue { value }))
            }
        }
        d.deserialize_map(V)
    }
}

json_message!(LogsData, "an OTLP LogsData object", |m, map| {
    "resourceLogs" | "resource_logs" => m.resource_logs = vec(&mut map)?,
});

json_message!(ResourceLogs, "a ResourceLogs object", |m, map| {
    "resource" => m.resource = msg(&mut map)?,
    "scopeLogs" | "scope_logs" => m.scope_logs = vec(&mut map)?,
    "schemaUrl" | "schema_url" => m.schema_url = string(&mut map)?,
});

json_message!(ScopeLogs, "a ScopeLogs object", |m, map| {
    "scope" => m.scope = msg(&mut map)?,
    "logRecords" | "log_records" => m.log_records = vec(&mut map)?,
    "schemaUrl" | "schema_url" => m.schema_url = string(&mut map)?,
});

json_message!(LogRecord, "a LogRecord object", |m, map| {
    "timeUnixNano" | "time_unix_nano" => m.time_unix_nano = int(&mut map)?,
    "observedTimeUnixNano" | "observed_time_unix_nano" => m.observed_time_unix_nano = int(&mut map)?,
    "severityNumber" | "severity_number" => m.severity_number = enumeration::<_, SeverityNumber>(&mut map)?,
    "severityText" | "severity_text" => m.severity_text = string(&mut map)?,
    "body" => m.body = msg(&mut map)?,
    "attributes" => m.attributes = vec(&mut map)?,
    "droppedAttributesCount" | "dropped_attributes_count" => m.dropped_attributes_count = int(&mut map)?,
    "flags" => m.flags = int(&mut map)?,
    "traceId" | "trace_id" => m.trace_id = id::<_, 16>(&mut map, "traceId")?,
    "spanId" | "span_id" => m.span_id = id::<_, 8>(&mut map, "spanId")?,
    "eventName" | "event_name" => m.event_name = string(&mut map)?,
});

json_message!(ExportTraceServiceResponse, "an ExportTraceServiceResponse object", |m, map| {
    "partialSuccess" | "partial_success" => m.partial_success = msg(&mut map)?,
});

json_message!(ExportTracePartialSuccess, "an ExportTracePartialSuccess object", |m, map| {
    "rejectedSpans" | "rejected_spans" => m.rejected_spans = int(&mut map)?,
    "errorMessage" | "error_message" => m.error_message = string(&mut map)?,
});

json_message!(ExportLogsServiceResponse, "an ExportLogsServiceResponse object", |m, map| {
    "partialSuccess" | "partial_success" => m.partial_success = msg(&mut map)?,
});

json_message!(ExportLogsPartialSuccess, "an ExportLogsPartialSuccess object", |m, map| {
    "rejectedLogRecords" | "rejected_log_records" => m.rejected_log_records = int(&mut map)?,
    "errorMessage" | "error_message" => m.error_message = string(&mut map)?,
});

json_message!(TraceByIdResponse, "a Tempo TraceByIDResponse object", |m, map| {
    "trace" => m.trace = msg(&mut map)?,
    "metrics" => m.metrics = msg(&mut map)?,
    "status" => m.status = enumeration::<_, PartialStatus>(&mut map)?,
    "message" => m.message = string(&mut map)?,
});

json_message!(TraceByIdMetrics, "a Tempo TraceByIDMetrics object", |m, map| {
    "inspectedBytes" | "inspected_bytes" => m.inspected_bytes = int(&mut map)?,
    "backendReads" | "backend_reads" => m.backend_reads = int(&mut map)?,
    "backendBytes" | "backend_bytes" => m.backend_bytes = int(&mut map)?,
    "additionalMetrics" | "additional_metrics" => m.additional_metrics = map
        .next_value::<Option<std::collections::BTreeMap<String, Int<i64>>>>()?
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v.0))
        .collect(),
});
