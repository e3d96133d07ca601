//! Grafana Tempo's Parquet trace blocks.
//!
//! This crate writes vParquet5 blocks and reads vParquet4 and vParquet5 blocks, with their
//! `meta.json`, bloom shards (through the `bloom` crate), backend layout and lookups.
//!
//! * [`meta`]: `meta.json` / `meta.compacted.json` ([`BlockMeta`], [`CompactedBlockMeta`]),
//!   block [`Version`]s and dedicated columns, written byte for byte as Tempo writes them.
//! * [`tenant_index`]: the per-tenant block list ([`TenantIndex`]), `index.json.gz` and
//!   `index.pb.zst`, with bounded decompression.
#![forbid(unsafe_code)]

mod error;
mod gojson;
pub mod meta;
pub mod tenant_index;

pub use error::{BlockError, Result};
pub use meta::{BlockMeta, CompactedBlockMeta, DedicatedColumn, Version};
pub use tenant_index::TenantIndex;
