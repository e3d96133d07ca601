//! The OTLP trace and log data model for the trace side of the workspace.
//!
//! This crate will hold the OTLP types, 16-byte trace and 8-byte span IDs, the wire formats
//! Tempo accepts and returns (OTLP protobuf and JSON, Zipkin v2, Jaeger Thrift) and trace
//! combining. So far it defines its error type; each part lands with its tests.
//!
//! ```
//! use otlp_model::ModelError;
//! let err = ModelError::IdTooLong { max_hex: 32, found: 33 };
//! assert_eq!(err.to_string(), "ID has 33 hex digits, at most 32 allowed");
//! ```
#![forbid(unsafe_code)]

mod error;

pub use error::ModelError;
