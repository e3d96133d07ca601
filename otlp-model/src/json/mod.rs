//! OTLP/JSON: the JSON request and response bodies of OTLP/HTTP (`application/json`).
//!
//! Decoding follows the OTLP specification and the protobuf JSON mapping under it: field
//! names in lowerCamelCase (the original snake_case names are accepted too), unknown fields
//! ignored, 64-bit integers as strings or numbers, enums as numbers or names, trace and span
//! IDs as hex — or as base64, the form protobuf JSON (and Tempo's query API) uses, which a
//! decoder can tell apart by length. serde_json bounds nesting at 128 levels.
//!
//! Encoding writes either dialect ([`JsonStyle`]).
//!
//! ```
//! use otlp_model::json::{JsonStyle, decode_traces_json, encode_traces_json};
//! use otlp_model::Limits;
//!
//! let body = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{
//!     "traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
//!     "name":"GET /","kind":2,"startTimeUnixNano":"1544712660000000000",
//!     "endTimeUnixNano":1544712661000000000,
//!     "attributes":[{"key":"http.status_code","value":{"intValue":"200"}}]}]}]}]}"#;
//! let request = decode_traces_json(body, &Limits::default())?;
//! let span = &request.resource_spans[0].scope_spans[0].spans[0];
//! assert_eq!(span.trace_id[0], 0x5b);
//! assert_eq!(span.end_time_unix_nano, 1_544_712_661_000_000_000);
//!
//! let again = encode_traces_json(&request.resource_spans, JsonStyle::Otlp);
//! assert_eq!(decode_traces_json(&again, &Limits::default())?, request);
//! # Ok::<(), otlp_model::ModelError>(())
//! ```

mod de;
mod ser;

use serde::Deserialize;

pub use ser::JsonStyle;

pub(crate) use de::W;
pub(crate) use ser::trace_by_id_response as write_trace_by_id_response;

use crate::error::{ModelError, WireFormat};
use crate::limits::Limits;
use crate::proto::collector::logs::{ExportLogsServiceRequest, ExportLogsServiceResponse};
use crate::proto::collector::trace::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use crate::proto::common::AnyValue;
use crate::proto::logs::{LogsData, ResourceLogs};
use crate::proto::trace::{ResourceSpans, TracesData};

/// Parses `bytes` as one JSON value of type `T` under `limits`, naming `format` in errors.
pub(crate) fn parse<'de, T>(
    bytes: &'de [u8],
    limits: Limits,
    format: WireFormat,
) -> Result<T, ModelError>
where
    W<T>: Deserialize<'de>,
{
    limits.check(format, bytes.len())?;
    serde_json::from_slice::<W<T>>(bytes)
        .map(|w| w.0)
        .map_err(|e| ModelError::json(format, &e))
}

/// Encodes one `AnyValue` as protobuf JSON (`{"stringValue":"a"}`, `{"intValue":"5"}`,
/// `{"kvlistValue":{"values":[…]}}`, bytes as base64) — the form Tempo stores for attribute
/// values its columns cannot hold.
pub fn encode_any_value(value: &AnyValue) -> Vec<u8> {
    let mut out = Vec::new();
    ser::any_value(&mut out, value);
    out
}

/// Decodes one `AnyValue` from protobuf JSON (the inverse of [`encode_any_value`]).
///
/// # Errors
///
/// [`ModelError::TooLarge`] past the limit; [`ModelError::Json`] for malformed input.
pub fn decode_any_value(bytes: &[u8], limits: &Limits) -> Result<AnyValue, ModelError> {
    parse(bytes, *limits, WireFormat::OtlpJson)
}

/// Decodes an OTLP/JSON `ExportTraceServiceRequest` (the body of `POST /v1/traces`).
///
/// # Errors
///
/// [`ModelError::TooLarge`] past the limit; [`ModelError::Json`] with line, column and the
/// offending field for malformed input.
pub fn decode_traces_json(
    bytes: &[u8],
    limits: &Limits,
) -> Result<ExportTraceServiceRequest, ModelError> {
    let data: TracesData = parse(bytes, *limits, WireFormat::OtlpJson)?;
    Ok(ExportTraceServiceRequest {
        resource_spans: data.resource_spans,
    })
}

/// Decodes an OTLP/JSON `ExportLogsServiceRequest` (the body of `POST /v1/logs`).
///
/// # Errors
///
/// [`ModelError::TooLarge`] past the limit; [`ModelError::Json`] for malformed input.
pub fn decode_logs_json(
    bytes: &[u8],
    limits: &Limits,
) -> Result<ExportLogsServiceRequest, ModelError> {
    let data: LogsData = parse(bytes, *limits, WireFormat::OtlpJson)?;
    Ok(ExportLogsServiceRequest {
        resource_logs: data.resource_logs,
    })
}

/// Decodes the JSON response of an OTLP/HTTP trace export (`{"partialSuccess":{...}}`).
///
/// # Errors
///
/// [`ModelError::TooLarge`] past the limit; [`ModelError::Json`] for malformed input.
pub fn decode_trace_response_json(
    bytes: &[u8],
    limits: &Limits,
) -> Result<ExportTraceServiceResponse, ModelError> {
    parse(bytes, *limits, WireFormat::OtlpJson)
}

/// Decodes the JSON response of an OTLP/HTTP logs export.
///
/// # Errors
///
/// [`ModelError::TooLarge`] past the limit; [`ModelError::Json`] for malformed input.
pub fn decode_logs_response_json(
    bytes: &[u8],
    limits: &Limits,
) -> Result<ExportLogsServiceResponse, ModelError> {
    parse(bytes, *limits, WireFormat::OtlpJson)
}

/// Encodes `{"resourceSpans":[...]}` — an `ExportTraceServiceRequest` or `TracesData`.
pub fn encode_traces_json(resource_spans: &[ResourceSpans], style: JsonStyle) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 * resource_spans.len().max(1));
    ser::wrapped_list(&mut out, "resourceSpans", resource_spans, |out, rs| {
        ser::resource_spans(out, rs, style);
    });
    out
}

/// Encodes `{"resourceLogs":[...]}` — an `ExportLogsServiceRequest` or `LogsData`.
pub fn encode_logs_json(resource_logs: &[ResourceLogs], style: JsonStyle) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 * resource_logs.len().max(1));
    ser::wrapped_list(&mut out, "resourceLogs", resource_logs, |out, rl| {
        ser::resource_logs(out, rl, style);
    });
    out
}

/// Encodes the JSON body of an OTLP/HTTP trace export response. A response without a
/// partial success is written `{"partialSuccess":{}}`, as Tempo (the OpenTelemetry
/// Collector's receiver) answers.
///
/// ```
/// use otlp_model::json::encode_trace_response_json;
/// use otlp_model::proto::collector::trace::ExportTraceServiceResponse;
///
/// let body = encode_trace_response_json(&ExportTraceServiceResponse::default());
/// assert_eq!(body, br#"{"partialSuccess":{}}"#);
/// ```
pub fn encode_trace_response_json(response: &ExportTraceServiceResponse) -> Vec<u8> {
    let p = response.partial_success.clone().unwrap_or_default();
    let mut out = Vec::with_capacity(32);
    ser::partial_success(
        &mut out,
        "rejectedSpans",
        p.rejected_spans,
        &p.error_message,
    );
    out
}

/// Encodes the JSON body of an OTLP/HTTP logs export response.
pub fn encode_logs_response_json(response: &ExportLogsServiceResponse) -> Vec<u8> {
    let p = response.partial_success.clone().unwrap_or_default();
    let mut out = Vec::with_capacity(32);
    ser::partial_success(
        &mut out,
        "rejectedLogRecords",
        p.rejected_log_records,
        &p.error_message,
    );
    out
}
