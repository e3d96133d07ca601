//! Grafana Tempo's Parquet trace blocks.
//!
//! This crate writes vParquet5 blocks and reads vParquet4 and vParquet5 blocks, with their
//! `meta.json`, bloom shards (through the `bloom` crate), backend layout and lookups.
#![forbid(unsafe_code)]

mod assemble;
#[cfg(test)]
mod compat_rows;
mod error;
mod file;
#[doc(hidden)]
pub mod fuzzing;
pub mod meta;
mod model;
mod read;
pub mod reader;
pub mod schema;
mod shred;
pub mod writer;

pub use error::{BlockError, Result};
pub use file::RangeRead;
pub use reader::{BlockObjects, BlockReader, TraceScan};
pub use schema::BlockSchema;
pub use writer::{BlockBuilder, BlockConfig, TraceWriter, WrittenBlock};
