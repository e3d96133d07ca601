//! Grafana Loki's chunk format.
//!
//! This crate will read every chunk version Loki reads (V1-V4, every codec), write V3 and V4
//! chunks that Loki reads, and handle the object-storage wrapper, its keys and stream
//! fingerprints. So far it defines its error type; the format, reader and writer land with
//! their compatibility tests.
//!
//! ```
//! use loki_chunk::ChunkError;
//! let err = ChunkError::BadMagic { expected: 0x012e_e56a, found: 0 };
//! assert_eq!(err.to_string(), "bad chunk magic 0x00000000, expected 0x012ee56a");
//! ```
#![forbid(unsafe_code)]

mod error;

pub use error::ChunkError;
