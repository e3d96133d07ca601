//! The crate's error type.

use std::fmt;

use crate::id::IdKind;

/// A wire format this crate decodes or encodes; errors name the one they are about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WireFormat {
    /// OTLP protobuf (`ExportTraceServiceRequest`, `ExportLogsServiceRequest`, ...).
    OtlpProtobuf,
    /// OTLP/JSON as the OTLP specification defines it.
    OtlpJson,
    /// Zipkin v2 JSON span list.
    ZipkinJson,
    /// Jaeger Thrift in the binary protocol.
    JaegerThriftBinary,
    /// Jaeger Thrift in the compact protocol.
    JaegerThriftCompact,
    /// Tempo's query-response protobuf (`tempopb.Trace`, `TraceByIDResponse`).
    TempoProtobuf,
}

impl fmt::Display for WireFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WireFormat::OtlpProtobuf => "OTLP protobuf",
            WireFormat::OtlpJson => "OTLP/JSON",
            WireFormat::ZipkinJson => "Zipkin v2 JSON",
            WireFormat::JaegerThriftBinary => "Jaeger Thrift (binary protocol)",
            WireFormat::JaegerThriftCompact => "Jaeger Thrift (compact protocol)",
            WireFormat::TempoProtobuf => "Tempo protobuf",
        })
    }
}

/// Why Thrift input was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ThriftReason {
    /// The input ended inside a value.
    Truncated {
        /// Bytes the value needed.
        needed: usize,
        /// Bytes that were left.
        available: usize,
    },
    /// A type id no Thrift protocol defines.
    UnknownType(u8),
    /// A string, binary or container length that is negative or larger than what is left.
    BadLength(i64),
    /// A varint longer than its integer type allows.
    VarintTooLong,
    /// Structs nested deeper than the decoder allows.
    TooDeep,
    /// A field of a known struct had an unexpected wire type.
    WrongFieldType {
        /// The struct and field, e.g. `Span.traceIdLow`.
        field: &'static str,
        /// The type id found.
        found: u8,
    },
    /// A required field of a known struct was missing.
    MissingField(&'static str),
    /// A string field was not UTF-8.
    NotUtf8(&'static str),
    /// A message header was not a call to the expected method.
    BadMessage(String),
}

impl fmt::Display for ThriftReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ThriftReason::Truncated { needed, available } => {
                write!(f, "truncated: needed {needed} bytes, {available} left")
            }
            ThriftReason::UnknownType(t) => write!(f, "unknown type id {t}"),
            ThriftReason::BadLength(n) => write!(f, "length {n} is negative or past the end"),
            ThriftReason::VarintTooLong => f.write_str("varint too long"),
            ThriftReason::TooDeep => f.write_str("structs nested too deeply"),
            ThriftReason::WrongFieldType { field, found } => {
                write!(f, "field {field} has wire type {found}")
            }
            ThriftReason::MissingField(field) => write!(f, "required field {field} is missing"),
            ThriftReason::NotUtf8(field) => write!(f, "field {field} is not UTF-8"),
            ThriftReason::BadMessage(why) => write!(f, "bad message header: {why}"),
        }
    }
}

/// Everything that can go wrong decoding or converting trace data.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// An ID given as text was empty.
    #[error("{kind} is empty")]
    IdEmpty {
        /// Trace or span ID.
        kind: IdKind,
    },
    /// A hex ID is longer than its type allows.
    #[error("{kind} has {found} hex digits, at most {max_hex} allowed")]
    IdTooLong {
        /// Trace or span ID.
        kind: IdKind,
        /// The most hex digits the ID type takes.
        max_hex: usize,
        /// Hex digits given.
        found: usize,
    },
    /// A hex ID holds a character that is not a hex digit.
    #[error("{kind} holds {found:?} at byte {position}, not a hex digit")]
    IdInvalidHex {
        /// Trace or span ID.
        kind: IdKind,
        /// Byte position of the character in the text.
        position: usize,
        /// The character.
        found: char,
    },
    /// A binary ID has the wrong number of bytes.
    #[error("{kind} has {found} bytes, expected {expected}")]
    IdLength {
        /// Trace or span ID.
        kind: IdKind,
        /// Bytes expected.
        expected: usize,
        /// Bytes found.
        found: usize,
    },
    /// The input is larger than the decoder's size limit.
    #[error("{format} input of {found} bytes exceeds the limit of {limit}")]
    TooLarge {
        /// The format being decoded.
        format: WireFormat,
        /// The limit in bytes.
        limit: usize,
        /// The input size in bytes.
        found: usize,
    },
    /// Protobuf input did not decode.
    #[error("{format}: invalid {message}: {source}")]
    Protobuf {
        /// The format being decoded.
        format: WireFormat,
        /// The top-level message being decoded.
        message: &'static str,
        /// prost's description (the field path where it knows it).
        source: prost::DecodeError,
    },
    /// JSON input did not decode, or a field held a value of the wrong shape.
    #[error("{format}: line {line}, column {column}: {reason}")]
    Json {
        /// The format being decoded.
        format: WireFormat,
        /// 1-based line of the error (0 when it was found after parsing).
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What was wrong, naming the field where known.
        reason: String,
    },
    /// Thrift input did not decode.
    #[error("{format}: at byte {offset}: {reason}")]
    Thrift {
        /// Which protocol.
        format: WireFormat,
        /// Byte offset where decoding failed.
        offset: usize,
        /// What was wrong.
        reason: ThriftReason,
    },
    /// A combined trace passed the size limit.
    #[error("trace exceeds max size (max bytes: {max_bytes})")]
    TraceTooLarge {
        /// The limit in bytes.
        max_bytes: usize,
    },
    /// Decoded input holds a value the OTLP model cannot represent (e.g. a trace ID of the
    /// wrong length in a span).
    #[error("{format}: {field}: {reason}")]
    Invalid {
        /// The format being decoded.
        format: WireFormat,
        /// Where the value was, e.g. `spans[3].traceId`.
        field: String,
        /// What was wrong with it.
        reason: String,
    },
}

impl ModelError {
    pub(crate) fn json(format: WireFormat, err: &serde_json::Error) -> Self {
        // serde_json's message ends with " at line L column C"; keep only the reason.
        let full = err.to_string();
        let reason = match full.rfind(" at line ") {
            Some(cut) if err.line() > 0 => full[..cut].to_owned(),
            _ => full,
        };
        ModelError::Json {
            format,
            line: err.line(),
            column: err.column(),
            reason,
        }
    }
}
