//! Grafana Tempo's Parquet trace blocks.
//!
//! This crate writes vParquet5 blocks and reads vParquet4 and vParquet5 blocks, with their
//! `meta.json`, bloom shards (through the `bloom` crate), backend layout and lookups.
//!
//! * [`meta`]: `meta.json` / `meta.compacted.json` ([`BlockMeta`], [`CompactedBlockMeta`]),
//!   block [`Version`]s and dedicated columns, written byte for byte as Tempo writes them.
//! * [`tenant_index`]: the per-tenant block list ([`TenantIndex`]), `index.json.gz` and
//!   `index.pb.zst`, with bounded decompression.
//! * [`backend`]: the bucket layout, the [`Backend`] storage trait with its `object_store`
//!   implementation ([`ObjectStoreBackend`]: local folder, memory, S3/GCS/Azure behind
//!   features) and [`BlockStore`], typed access to tenants, blocks, metas and objects.
#![forbid(unsafe_code)]

mod assemble;
pub mod backend;
#[cfg(test)]
mod compat_rows;
mod error;
mod file;
#[doc(hidden)]
pub mod fuzzing;
mod gojson;
pub mod meta;
mod model;
mod read;
pub mod reader;
pub mod schema;
mod shred;
pub mod tenant_index;
pub mod writer;

pub use backend::{Backend, BlockStore, ObjectStoreBackend};
pub use error::{BlockError, Result};
pub use file::RangeRead;
pub use meta::{BlockMeta, CompactedBlockMeta, DedicatedColumn, Version};
pub use reader::{BlockObjects, BlockReader, TraceScan};
pub use schema::BlockSchema;
pub use tenant_index::TenantIndex;
pub use writer::{BlockBuilder, BlockConfig, TraceWriter, WrittenBlock};
