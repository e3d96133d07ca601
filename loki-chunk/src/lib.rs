//! Grafana Loki's chunk format.
//!
//! * [`labels`]: stream label sets ([`LabelSet`]) in Prometheus/Loki selector syntax, printed
//!   canonically, and Loki's stream fingerprint.
//! * [`codec`], [`format`], [`error`]: the compression codecs, the byte layouts and the error
//!   type.
#![forbid(unsafe_code)]

pub mod codec;
#[allow(dead_code)] // varint writers and offsets serve the chunk reader/writer, landing separately
pub(crate) mod cursor;
pub mod error;
pub mod format;
pub mod labels;

pub use codec::Codec;
pub use error::{ChunkError, Section};
pub use labels::LabelSet;
