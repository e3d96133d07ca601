//! OTLP protobuf: the request bodies of OTLP/gRPC and OTLP/HTTP (`application/x-protobuf`).
//!
//! Decoding is prost's, behind a size check; prost bounds every length by the bytes left and
//! limits message nesting to 100 levels, so hostile input yields a [`ModelError::Protobuf`],
//! never a panic. Encoding is `prost::Message::encode_to_vec` on the messages themselves.

use prost::Message;

use crate::error::{ModelError, WireFormat};
use crate::limits::Limits;
use crate::proto::collector::logs::{ExportLogsServiceRequest, ExportLogsServiceResponse};
use crate::proto::collector::trace::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use crate::proto::logs::LogsData;
use crate::proto::trace::TracesData;

/// Decodes one protobuf message of `format` under `limits`.
pub(crate) fn decode_message<M: Message + Default>(
    bytes: &[u8],
    limits: Limits,
    format: WireFormat,
    message: &'static str,
) -> Result<M, ModelError> {
    limits.check(format, bytes.len())?;
    M::decode(bytes).map_err(|source| ModelError::Protobuf {
        format,
        message,
        source,
    })
}

fn decode<M: Message + Default>(
    bytes: &[u8],
    limits: Limits,
    message: &'static str,
) -> Result<M, ModelError> {
    decode_message(bytes, limits, WireFormat::OtlpProtobuf, message)
}

/// Decodes an `ExportTraceServiceRequest` (OTLP/gRPC `TraceService/Export`, OTLP/HTTP
/// `POST /v1/traces` with `application/x-protobuf`).
///
/// ```
/// use otlp_model::proto::collector::trace::ExportTraceServiceRequest;
/// use otlp_model::{Limits, decode_trace_request};
/// use prost::Message;
///
/// let body = ExportTraceServiceRequest::default().encode_to_vec();
/// assert!(decode_trace_request(&body, &Limits::default())?.resource_spans.is_empty());
/// assert!(decode_trace_request(&[0x0a, 0x05], &Limits::default()).is_err()); // truncated
/// # Ok::<(), otlp_model::ModelError>(())
/// ```
///
/// # Errors
///
/// [`ModelError::TooLarge`] past the limit, [`ModelError::Protobuf`] for malformed bytes.
pub fn decode_trace_request(
    bytes: &[u8],
    limits: &Limits,
) -> Result<ExportTraceServiceRequest, ModelError> {
    decode(bytes, *limits, "ExportTraceServiceRequest")
}

/// Decodes an `ExportLogsServiceRequest` (OTLP/gRPC `LogsService/Export`, OTLP/HTTP
/// `POST /v1/logs`).
///
/// # Errors
///
/// [`ModelError::TooLarge`] past the limit, [`ModelError::Protobuf`] for malformed bytes.
pub fn decode_logs_request(
    bytes: &[u8],
    limits: &Limits,
) -> Result<ExportLogsServiceRequest, ModelError> {
    decode(bytes, *limits, "ExportLogsServiceRequest")
}

/// Decodes a `TracesData` message; Tempo's `tempopb.Trace` (the v1 trace-by-ID protobuf
/// response and the row format of its WAL) has the same wire form.
///
/// # Errors
///
/// [`ModelError::TooLarge`] past the limit, [`ModelError::Protobuf`] for malformed bytes.
pub fn decode_traces_data(bytes: &[u8], limits: &Limits) -> Result<TracesData, ModelError> {
    decode(bytes, *limits, "TracesData")
}

/// Decodes a `LogsData` message.
///
/// # Errors
///
/// [`ModelError::TooLarge`] past the limit, [`ModelError::Protobuf`] for malformed bytes.
pub fn decode_logs_data(bytes: &[u8], limits: &Limits) -> Result<LogsData, ModelError> {
    decode(bytes, *limits, "LogsData")
}

/// Decodes an `ExportTraceServiceResponse` (what an OTLP receiver answers).
///
/// # Errors
///
/// [`ModelError::TooLarge`] past the limit, [`ModelError::Protobuf`] for malformed bytes.
pub fn decode_trace_response(
    bytes: &[u8],
    limits: &Limits,
) -> Result<ExportTraceServiceResponse, ModelError> {
    decode(bytes, *limits, "ExportTraceServiceResponse")
}

/// Decodes an `ExportLogsServiceResponse`.
///
/// # Errors
///
/// [`ModelError::TooLarge`] past the limit, [`ModelError::Protobuf`] for malformed bytes.
pub fn decode_logs_response(
    bytes: &[u8],
    limits: &Limits,
) -> Result<ExportLogsServiceResponse, ModelError> {
    decode(bytes, *limits, "ExportLogsServiceResponse")
}
