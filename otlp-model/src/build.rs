//! Shorter ways to build and read OTLP messages by hand.
//!
//! The prost messages are plain structs; building one attribute takes three nested literals
//! and an enum. This module adds:
//!
//! * [`kv`] and [`attrs`]: a [`KeyValue`] from a key and any [`IntoAnyValue`] (`&str`,
//!   `String`, `i64`, `f64`, `bool`, bytes, arrays of values);
//! * [`span`], [`resource_spans`]: a span from typed IDs, name and times, and the resource
//!   spans of one service around a list of spans;
//! * [`SpanExt`] and [`AnyValueExt`]: typed status, duration and attribute lookups on
//!   [`Span`] and [`AnyValue`].
//!
//! Prost already generates typed accessors for the enum fields: [`Span::kind`] returns a
//! [`SpanKind`](crate::proto::trace::span::SpanKind) and [`Span::set_kind`] takes one;
//! [`Status::code`] / [`Status::set_code`] do the same for [`StatusCode`].
//!
//! ```
//! use otlp_model::build::{AnyValueExt as _, SpanExt as _, attrs, kv, resource_spans, span};
//! use otlp_model::proto::trace::{span::SpanKind, status::StatusCode};
//! use otlp_model::{SpanId, TraceId};
//!
//! let trace_id = TraceId::parse_hex("5b8efff798038103d269b633813fc60c")?;
//! // Times are nanoseconds since the Unix epoch.
//! let mut s = span(trace_id, SpanId::from_u64(1), "GET /cart", 1_717_200_000_000_000_000, 1_717_200_000_250_000_000);
//! s.set_kind(SpanKind::Server);
//! s.attributes = attrs([("http.method", "GET"), ("http.route", "/cart")]);
//! s.attributes.push(kv("http.status_code", 200));
//! s.set_status(StatusCode::Error, "upstream timed out");
//!
//! assert_eq!(s.kind(), SpanKind::Server);
//! assert_eq!(s.status_code(), StatusCode::Error);
//! assert_eq!(s.duration_nanos(), 250_000_000);
//! assert_eq!(s.attribute("http.status_code").and_then(|v| v.as_i64()), Some(200));
//!
//! let rs = resource_spans("checkout", vec![s]);
//! assert_eq!(rs.resource.unwrap().attributes[0], kv("service.name", "checkout"));
//! # Ok::<(), otlp_model::ModelError>(())
//! ```

use crate::id::{SpanId, TraceId};
use crate::proto::common::{AnyValue, ArrayValue, InstrumentationScope, KeyValue, any_value};
use crate::proto::resource::Resource;
use crate::proto::trace::{ResourceSpans, ScopeSpans, Span, Status, status::StatusCode};

/// A value that becomes an OTLP [`AnyValue`].
pub trait IntoAnyValue {
    /// The value as an [`AnyValue`].
    fn into_any_value(self) -> AnyValue;
}

fn any(value: any_value::Value) -> AnyValue {
    AnyValue { value: Some(value) }
}

impl IntoAnyValue for AnyValue {
    fn into_any_value(self) -> AnyValue {
        self
    }
}

impl IntoAnyValue for &str {
    fn into_any_value(self) -> AnyValue {
        any(any_value::Value::StringValue(self.to_owned()))
    }
}

impl IntoAnyValue for String {
    fn into_any_value(self) -> AnyValue {
        any(any_value::Value::StringValue(self))
    }
}

impl IntoAnyValue for &String {
    fn into_any_value(self) -> AnyValue {
        self.as_str().into_any_value()
    }
}

impl IntoAnyValue for i64 {
    fn into_any_value(self) -> AnyValue {
        any(any_value::Value::IntValue(self))
    }
}

impl IntoAnyValue for i32 {
    fn into_any_value(self) -> AnyValue {
        i64::from(self).into_any_value()
    }
}

impl IntoAnyValue for u32 {
    fn into_any_value(self) -> AnyValue {
        i64::from(self).into_any_value()
    }
}

impl IntoAnyValue for f64 {
    fn into_any_value(self) -> AnyValue {
        any(any_value::Value::DoubleValue(self))
    }
}

impl IntoAnyValue for bool {
    fn into_any_value(self) -> AnyValue {
        any(any_value::Value::BoolValue(self))
    }
}

impl IntoAnyValue for &[u8] {
    fn into_any_value(self) -> AnyValue {
        any(any_value::Value::BytesValue(self.to_vec()))
    }
}

impl IntoAnyValue for Vec<u8> {
    fn into_any_value(self) -> AnyValue {
        any(any_value::Value::BytesValue(self))
    }
}

impl IntoAnyValue for Vec<AnyValue> {
    fn into_any_value(self) -> AnyValue {
        any(any_value::Value::ArrayValue(ArrayValue { values: self }))
    }
}

/// An attribute: `key` with `value`.
///
/// ```
/// use otlp_model::build::kv;
/// let a = kv("retry", true);
/// assert_eq!(a.key, "retry");
/// ```
pub fn kv(key: impl Into<String>, value: impl IntoAnyValue) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(value.into_any_value()),
        ..KeyValue::default()
    }
}

/// Attributes from `(key, value)` pairs of one value type, in order. Mix types with
/// [`kv`].
pub fn attrs<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Vec<KeyValue>
where
    K: Into<String>,
    V: IntoAnyValue,
{
    pairs.into_iter().map(|(k, v)| kv(k, v)).collect()
}

/// A span of trace `trace_id` with ID `span_id`, `name`, and start and end times in
/// nanoseconds since the Unix epoch; every other field is empty (no parent: a root span;
/// kind unspecified, status unset).
pub fn span(
    trace_id: TraceId,
    span_id: SpanId,
    name: impl Into<String>,
    start_unix_nano: u64,
    end_unix_nano: u64,
) -> Span {
    Span {
        trace_id: trace_id.as_bytes().to_vec(),
        span_id: span_id.as_bytes().to_vec(),
        name: name.into(),
        start_time_unix_nano: start_unix_nano,
        end_time_unix_nano: end_unix_nano,
        ..Span::default()
    }
}

/// The resource spans of service `service_name` (the `service.name` resource attribute, as
/// Tempo reads it) holding `spans` in one scope without a name.
pub fn resource_spans(service_name: &str, spans: Vec<Span>) -> ResourceSpans {
    ResourceSpans {
        resource: Some(Resource {
            attributes: vec![kv("service.name", service_name)],
            ..Resource::default()
        }),
        scope_spans: vec![ScopeSpans {
            scope: Some(InstrumentationScope::default()),
            spans,
            ..ScopeSpans::default()
        }],
        ..ResourceSpans::default()
    }
}

/// Typed reads and writes on a [`Span`] beyond prost's [`Span::kind`] and
/// [`Span::set_kind`].
pub trait SpanExt {
    /// The status code; [`StatusCode::Unset`] when the span has no status.
    fn status_code(&self) -> StatusCode;
    /// Sets the status code and message.
    fn set_status(&mut self, code: StatusCode, message: impl Into<String>);
    /// End minus start time in nanoseconds (0 when the end is before the start).
    fn duration_nanos(&self) -> u64;
    /// The value of the span attribute `key` (the first one, if repeated).
    fn attribute(&self, key: &str) -> Option<&AnyValue>;
    /// The parent span's ID, `None` for a root span (empty or all-zero parent ID).
    fn parent_span_id(&self) -> Option<SpanId>;
}

impl SpanExt for Span {
    fn status_code(&self) -> StatusCode {
        self.status.as_ref().map_or(StatusCode::Unset, Status::code)
    }

    fn set_status(&mut self, code: StatusCode, message: impl Into<String>) {
        let mut status = Status {
            message: message.into(),
            ..Status::default()
        };
        status.set_code(code);
        self.status = Some(status);
    }

    fn duration_nanos(&self) -> u64 {
        self.end_time_unix_nano
            .saturating_sub(self.start_time_unix_nano)
    }

    fn attribute(&self, key: &str) -> Option<&AnyValue> {
        self.attributes
            .iter()
            .find(|a| a.key == key)
            .and_then(|a| a.value.as_ref())
    }

    fn parent_span_id(&self) -> Option<SpanId> {
        SpanId::from_slice(&self.parent_span_id)
            .ok()
            .filter(|id| id.as_bytes().iter().any(|&b| b != 0))
    }
}

/// Typed reads of an [`AnyValue`]: each returns `None` for a value of another type.
pub trait AnyValueExt {
    /// A string value.
    fn as_str(&self) -> Option<&str>;
    /// An integer value.
    fn as_i64(&self) -> Option<i64>;
    /// A double value.
    fn as_f64(&self) -> Option<f64>;
    /// A boolean value.
    fn as_bool(&self) -> Option<bool>;
    /// A bytes value.
    fn as_bytes(&self) -> Option<&[u8]>;
}

impl AnyValueExt for AnyValue {
    fn as_str(&self) -> Option<&str> {
        match &self.value {
            Some(any_value::Value::StringValue(s)) => Some(s),
            _ => None,
        }
    }

    fn as_i64(&self) -> Option<i64> {
        match self.value {
            Some(any_value::Value::IntValue(v)) => Some(v),
            _ => None,
        }
    }

    fn as_f64(&self) -> Option<f64> {
        match self.value {
            Some(any_value::Value::DoubleValue(v)) => Some(v),
            _ => None,
        }
    }

    fn as_bool(&self) -> Option<bool> {
        match self.value {
            Some(any_value::Value::BoolValue(v)) => Some(v),
            _ => None,
        }
    }

    fn as_bytes(&self) -> Option<&[u8]> {
        match &self.value {
            Some(any_value::Value::BytesValue(v)) => Some(v),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::trace::span::SpanKind;

    #[test]
    fn values_map_to_their_otlp_types() {
        use any_value::Value as V;
        let cases = [
            (kv("s", "x"), V::StringValue("x".into())),
            (kv("o", String::from("y")), V::StringValue("y".into())),
            (kv("i", -3_i64), V::IntValue(-3)),
            (kv("i32", 7_i32), V::IntValue(7)),
            (kv("u32", 8_u32), V::IntValue(8)),
            (kv("f", 1.5), V::DoubleValue(1.5)),
            (kv("b", false), V::BoolValue(false)),
            (kv("y", &b"\x00\x01"[..]), V::BytesValue(vec![0, 1])),
        ];
        for (got, want) in cases {
            assert_eq!(got.value.and_then(|v| v.value), Some(want), "{}", got.key);
        }
        let arr = kv("a", vec![1_i64.into_any_value(), "z".into_any_value()]);
        let Some(any_value::Value::ArrayValue(a)) = arr.value.and_then(|v| v.value) else {
            panic!("not an array");
        };
        assert_eq!(a.values.len(), 2);
    }

    #[test]
    fn span_helpers_read_back_what_they_set() {
        let id = TraceId::from_u64(9);
        let mut s = span(id, SpanId::from_u64(2), "n", 10, 4);
        assert_eq!(s.trace_id, id.as_bytes());
        assert_eq!(s.duration_nanos(), 0, "end before start saturates");
        assert_eq!(s.status_code(), StatusCode::Unset);
        assert_eq!(s.parent_span_id(), None);
        s.parent_span_id = vec![0; 8];
        assert_eq!(s.parent_span_id(), None, "all-zero parent is a root");
        s.parent_span_id = SpanId::from_u64(5).as_bytes().to_vec();
        assert_eq!(s.parent_span_id(), Some(SpanId::from_u64(5)));
        s.set_status(StatusCode::Ok, "fine");
        assert_eq!(s.status_code(), StatusCode::Ok);
        assert_eq!(
            s.status.as_ref().map(|st| st.message.as_str()),
            Some("fine")
        );
        s.set_kind(SpanKind::Client);
        assert_eq!(s.kind(), SpanKind::Client);
        s.attributes = attrs([("a", 1_i64), ("b", 2)]);
        assert_eq!(s.attribute("b").and_then(AnyValueExt::as_i64), Some(2));
        assert_eq!(s.attribute("b").and_then(AnyValueExt::as_str), None);
        assert!(s.attribute("missing").is_none());
    }
}
