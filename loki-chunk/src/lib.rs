//! Grafana Loki's chunk format.
#![forbid(unsafe_code)]

pub mod codec;
pub(crate) mod cursor;
pub mod error;
pub mod format;

pub use codec::Codec;
pub use error::{ChunkError, Section};
