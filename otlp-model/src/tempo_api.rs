//! Tempo's trace-by-ID responses, in JSON and protobuf, for both API versions.
//!
//! | endpoint | JSON | protobuf (`Accept: application/protobuf`) |
//! | --- | --- | --- |
//! | `GET /api/traces/<id>` (v1) | `{"batches":[...]}` ([`trace_v1_json`]) | `tempopb.Trace`, wire-identical to OTLP `TracesData` ([`trace_v1_protobuf`]) |
//! | `GET /api/v2/traces/<id>` | `{"trace":{"resourceSpans":[...]},"metrics":{...}}` ([`trace_v2_json`]) | [`TraceByIdResponse`] ([`trace_v2_protobuf`]) |
//!
//! The JSON is the protobuf JSON mapping as Tempo writes it: IDs in base64, enums by name,
//! 64-bit integers as strings, default values left out, and `"status":{}` on every span
//! that has no status. Not found is a 404 with an empty body in v1 and
//! [`TraceByIdResponse::not_found`] (`{"trace":{},"metrics":{}}`, status 200) in v2.
//!
//! ```
//! use otlp_model::proto::trace::{ResourceSpans, ScopeSpans, Span, TracesData};
//! use otlp_model::tempo_api::{TraceByIdResponse, trace_v1_json, trace_v2_json};
//!
//! let span = Span { trace_id: vec![0x3f; 16], span_id: vec![0x39; 8], name: "root".into(), kind: 2, ..Default::default() };
//! let trace = TracesData { resource_spans: vec![ResourceSpans {
//!     scope_spans: vec![ScopeSpans { spans: vec![span], ..Default::default() }],
//!     ..Default::default()
//! }] };
//! let v1 = String::from_utf8(trace_v1_json(&trace)).unwrap();
//! assert!(v1.starts_with(r#"{"batches":[{"scopeSpans":[{"spans":[{"traceId":"Pz8/Pz8/Pz8/Pz8/Pz8/Pw==""#));
//! assert!(v1.ends_with(r#""kind":"SPAN_KIND_SERVER","status":{}}]}]}]}"#));
//!
//! let v2 = trace_v2_json(&TraceByIdResponse::not_found());
//! assert_eq!(v2, br#"{"trace":{},"metrics":{}}"#);
//! ```

use std::collections::BTreeMap;

use prost::Message;

use crate::error::{ModelError, WireFormat};
use crate::json::{self, JsonStyle};
use crate::limits::Limits;
use crate::proto::trace::TracesData;
use crate::protobuf::decode_message;

/// Whether a trace-by-ID answer is complete (`tempopb.PartialStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum PartialStatus {
    /// The whole trace.
    Complete = 0,
    /// Truncated (size limit), filtered or pruned; `message` says why.
    Partial = 1,
}

impl PartialStatus {
    /// The name used in JSON.
    pub fn as_str_name(self) -> &'static str {
        match self {
            PartialStatus::Complete => "COMPLETE",
            PartialStatus::Partial => "PARTIAL",
        }
    }

    /// The value with the given JSON name.
    pub fn from_str_name(name: &str) -> Option<Self> {
        match name {
            "COMPLETE" => Some(PartialStatus::Complete),
            "PARTIAL" => Some(PartialStatus::Partial),
            _ => None,
        }
    }
}

/// What a trace-by-ID query cost (`tempopb.TraceByIDMetrics`).
#[derive(Clone, PartialEq, Message)]
pub struct TraceByIdMetrics {
    /// Bytes read to answer.
    #[prost(uint64, tag = "1")]
    pub inspected_bytes: u64,
    /// Backend requests made.
    #[prost(uint64, tag = "2")]
    pub backend_reads: u64,
    /// Bytes fetched from the backend.
    #[prost(uint64, tag = "3")]
    pub backend_bytes: u64,
    /// Other counters by name.
    #[prost(btree_map = "string, int64", tag = "4")]
    pub additional_metrics: BTreeMap<String, i64>,
}

/// The v2 trace-by-ID response (`tempopb.TraceByIDResponse`).
#[derive(Clone, PartialEq, Message)]
pub struct TraceByIdResponse {
    /// The trace (`tempopb.Trace`, wire-identical to `TracesData`).
    #[prost(message, optional, tag = "1")]
    pub trace: Option<TracesData>,
    /// What the query cost.
    #[prost(message, optional, tag = "2")]
    pub metrics: Option<TraceByIdMetrics>,
    /// A [`PartialStatus`].
    #[prost(enumeration = "PartialStatus", tag = "3")]
    pub status: i32,
    /// Why the trace is partial.
    #[prost(string, tag = "4")]
    pub message: String,
}

impl TraceByIdResponse {
    /// A complete answer holding `trace`.
    pub fn found(trace: TracesData, metrics: TraceByIdMetrics) -> Self {
        Self {
            trace: Some(trace),
            metrics: Some(metrics),
            status: PartialStatus::Complete as i32,
            message: String::new(),
        }
    }

    /// What Tempo answers for an unknown ID: an empty trace and empty metrics.
    pub fn not_found() -> Self {
        Self {
            trace: Some(TracesData::default()),
            metrics: Some(TraceByIdMetrics::default()),
            status: PartialStatus::Complete as i32,
            message: String::new(),
        }
    }
}

/// The v1 JSON body: `{"batches":[<ResourceSpans>...]}` (an empty trace is `{}`).
pub fn trace_v1_json(trace: &TracesData) -> Vec<u8> {
    let body = json::encode_traces_json(&trace.resource_spans, JsonStyle::Tempo);
    // Same object with the list renamed, as Tempo's v1 marshaller does.
    match body.strip_prefix(b"{\"resourceSpans\":".as_slice()) {
        Some(rest) => [b"{\"batches\":".as_slice(), rest].concat(),
        None => body,
    }
}

/// The v1 protobuf body (`tempopb.Trace`).
pub fn trace_v1_protobuf(trace: &TracesData) -> Vec<u8> {
    trace.encode_to_vec()
}

/// The v2 JSON body.
pub fn trace_v2_json(response: &TraceByIdResponse) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    json::write_trace_by_id_response(&mut out, response);
    out
}

/// The v2 protobuf body.
pub fn trace_v2_protobuf(response: &TraceByIdResponse) -> Vec<u8> {
    response.encode_to_vec()
}

/// Decodes a v1 JSON body (`{"batches":[...]}`; `resourceSpans` is accepted too).
///
/// # Errors
///
/// [`ModelError::TooLarge`] or [`ModelError::Json`].
pub fn decode_trace_v1_json(bytes: &[u8], limits: &Limits) -> Result<TracesData, ModelError> {
    json::parse(bytes, *limits, WireFormat::OtlpJson)
}

/// Decodes a v2 JSON body.
///
/// # Errors
///
/// [`ModelError::TooLarge`] or [`ModelError::Json`].
pub fn decode_trace_v2_json(
    bytes: &[u8],
    limits: &Limits,
) -> Result<TraceByIdResponse, ModelError> {
    json::parse(bytes, *limits, WireFormat::OtlpJson)
}

/// Decodes a v1 protobuf body.
///
/// # Errors
///
/// [`ModelError::TooLarge`] or [`ModelError::Protobuf`].
pub fn decode_trace_v1_protobuf(bytes: &[u8], limits: &Limits) -> Result<TracesData, ModelError> {
    decode_message(bytes, *limits, WireFormat::TempoProtobuf, "tempopb.Trace")
}

/// Decodes a v2 protobuf body.
///
/// # Errors
///
/// [`ModelError::TooLarge`] or [`ModelError::Protobuf`].
pub fn decode_trace_v2_protobuf(
    bytes: &[u8],
    limits: &Limits,
) -> Result<TraceByIdResponse, ModelError> {
    decode_message(
        bytes,
        *limits,
        WireFormat::TempoProtobuf,
        "tempopb.TraceByIDResponse",
    )
}
