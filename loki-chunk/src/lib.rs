//! Grafana Loki's chunk format.
//!
//! * [`labels`]: stream label sets ([`LabelSet`]) in Prometheus/Loki selector syntax, printed
//!   canonically, and Loki's stream fingerprint.
//! * [`storage`]: the object-storage wrapper around a flushed chunk ([`StoredChunk`],
//!   [`ChunkMetadata`]) and its key ([`ObjectKey`]), reproduced byte for byte.
//! * [`codec`], [`format`](mod@format), [`error`]: the compression codecs, the byte layouts and the error
//!   type.
#![forbid(unsafe_code)]

pub mod codec;
#[allow(dead_code)] // varint writers and offsets serve the chunk reader/writer, landing separately
pub(crate) mod cursor;
pub mod error;
pub mod format;
pub mod fuzzing;
pub mod labels;
pub mod storage;

pub use codec::Codec;
pub use error::{ChunkError, Section};
pub use labels::LabelSet;
pub use storage::{ChunkMetadata, EncodedObject, KeySchema, ObjectKey, StoredChunk, encode_object};
