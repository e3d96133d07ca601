//! The OTLP trace and log data model, and every wire format Tempo accepts or returns.
//!
//! * [`proto`]: the OTLP messages (prost, from `opentelemetry-proto`) under one tree.
//! * [`TraceId`] and [`SpanId`]: 16- and 8-byte IDs, parsed and printed as Tempo does
//!   (hex of any length up to the full width, left-padded; 64-bit IDs widened).
//! * Decoders for untrusted input, each behind a size limit ([`Limits`]) and returning a
//!   typed [`ModelError`], each with a fuzz target: OTLP protobuf ([`decode_trace_request`],
//!   [`decode_logs_request`]), OTLP/JSON ([`json`]), Zipkin v2 JSON ([`zipkin`]) and Jaeger
//!   Thrift ([`jaeger`]), the last two mapped to OTLP as Tempo's receivers map them.
//! * Tempo's trace-by-ID responses, v1 and v2, JSON and protobuf ([`tempo_api`]).
//! * Tempo's trace combining, sorting and shared-span-ID dedupe ([`combine`]).
//! * Shorter ways to build spans and attributes by hand, and typed reads of them ([`build`]).
//!
//! The messages are `opentelemetry-proto` 0.33's prost types; [`prost`] (0.14) is
//! re-exported for `prost::Message`'s `encode_to_vec` and `decode`.
//!
//! Nothing here does IO.
//!
//! # Example
//!
//! Decode an OTLP/JSON export, read its IDs, and write it back as protobuf:
//!
//! ```
//! use otlp_model::{Limits, SpanId, TraceId, decode_trace_request, json};
//! use prost::Message;
//!
//! let body = br#"{"resourceSpans":[{"resource":{"attributes":[
//!     {"key":"service.name","value":{"stringValue":"checkout"}}]},
//!   "scopeSpans":[{"spans":[{"traceId":"0000000000000000000000000000abcd",
//!     "spanId":"00000000000000ef","name":"charge","kind":3}]}]}]}"#;
//! let request = json::decode_traces_json(body, &Limits::default())?;
//! let span = &request.resource_spans[0].scope_spans[0].spans[0];
//! assert_eq!(TraceId::from_slice(&span.trace_id)?, "abcd".parse()?);
//! assert_eq!(SpanId::from_slice(&span.span_id)?.to_short_hex(), "ef");
//!
//! let protobuf = request.encode_to_vec();
//! assert_eq!(decode_trace_request(&protobuf, &Limits::default())?, request);
//! # Ok::<(), otlp_model::ModelError>(())
//! ```
#![forbid(unsafe_code)]

mod attrs;
pub mod build;
pub mod combine;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod id;
pub mod jaeger;
pub mod json;
mod limits;
pub mod proto;
mod protobuf;
pub mod tempo_api;
mod thrift;
pub mod zipkin;

pub use prost;

pub use error::{ModelError, ThriftReason, WireFormat};
pub use id::{IdKind, SpanId, TraceId};
pub use limits::Limits;
pub use protobuf::{
    decode_logs_data, decode_logs_request, decode_logs_response, decode_trace_request,
    decode_trace_response, decode_traces_data,
};
pub use thrift::Protocol;

/// Bounded walks over untrusted Thrift structs, for the workspace's Parquet reader (which
/// checks footers and page headers with them before the Parquet crate decodes them). Not
/// part of the supported API.
#[doc(hidden)]
pub mod thrift_walk {
    pub use crate::thrift::{thrift_struct_i32_fields, thrift_struct_len};
}
