//! Grafana Tempo's Parquet trace blocks: written so Tempo reads them, read as Tempo wrote them.
//!
//! A block is a folder `<tenant>/<blockID>/` in a bucket holding `data.parquet` (one row per
//! trace, sorted by trace ID), `bloom-0..N` (the trace-ID bloom filter), `index` and
//! `meta.json`. This crate writes vParquet5 blocks (Tempo 3's default) and reads vParquet5
//! and vParquet4 ones.
//!
//! ```
//! use std::sync::Arc;
//! use otlp_model::TraceId;
//! use otlp_model::proto::trace::{ResourceSpans, ScopeSpans, Span};
//! use tempo_block::{BlockBuilder, BlockConfig, BlockReader, BlockStore, ObjectStoreBackend};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), tempo_block::BlockError> {
//! let id = TraceId::parse_hex("5b8efff798038103d269b633813fc60c").unwrap();
//! let span = Span {
//!     trace_id: id.as_bytes().to_vec(),
//!     span_id: vec![1, 2, 3, 4, 5, 6, 7, 8],
//!     name: "GET /".into(),
//!     start_time_unix_nano: 1_700_000_000_000_000_000,
//!     end_time_unix_nano: 1_700_000_000_250_000_000,
//!     ..Span::default()
//! };
//! let rs = ResourceSpans {
//!     scope_spans: vec![ScopeSpans { spans: vec![span], ..ScopeSpans::default() }],
//!     ..ResourceSpans::default()
//! };
//!
//! // Write: OTLP in any order -> data.parquet, bloom shards, index, meta.json (last).
//! let mut builder = BlockBuilder::new(BlockConfig::default());
//! builder.push(rs)?;
//! let block = builder.finish("single-tenant", tempo_block::uuid::Uuid::new_v4())?;
//! let dir = tempfile::tempdir().unwrap();
//! let store = BlockStore::new(Arc::new(ObjectStoreBackend::local(dir.path())?));
//! block.upload(&store).await?;
//!
//! // Read: open by meta.json, find by ID (bloom -> row group -> page -> one row).
//! let reader = BlockReader::open_stored(&store, "single-tenant", block.meta.block_id).await?;
//! let trace = reader.find_trace(&id).await?.expect("present");
//! assert_eq!(trace[0].scope_spans[0].spans[0].name, "GET /");
//! assert!(reader.find_trace(&TraceId::from_u64(7)).await?.is_none());
//! # Ok(())
//! # }
//! ```
//!
//! * [`writer`]: [`BlockBuilder`] (traces in any order, grouped and sorted) and
//!   [`TraceWriter`] (sorted traces streamed into `data.parquet`), deriving the schema from
//!   the dedicated-column list ([`schema`]) and every field Tempo derives; the rows of
//!   Tempo's compatibility input equal Tempo's own block column by column.
//! * [`reader`]: [`BlockReader`] — open by `meta.json`, resolve columns by path in the file's
//!   own schema, find a trace by ID reading only the pages it needs, scan every trace in ID
//!   order a row group at a time. Any storage that serves byte ranges ([`BlockObjects`]).
//! * [`meta`]: `meta.json` / `meta.compacted.json` ([`BlockMeta`], [`CompactedBlockMeta`]),
//!   block [`Version`]s and dedicated columns, written byte for byte as Tempo writes them.
//! * [`tenant_index`]: the per-tenant block list ([`TenantIndex`]), `index.json.gz` and
//!   `index.pb.zst`, with bounded decompression.
//! * [`backend`]: the bucket layout and [`BlockStore`], typed access to tenants, blocks,
//!   metas and objects, on a [`Backend`] — the storage trait of [`store_bucket`], re-exported
//!   with its implementation ([`ObjectStoreBackend`]: a local folder read with positional
//!   reads on kept-open files; memory and S3/GCS/Azure, behind features, through
//!   `object_store`). Its [`BucketError`]s convert into [`BlockError`].
//!
//! # Types from other crates, and the async runtime
//!
//! Public signatures use a few other crates' types. They are re-exported here, so a user
//! can name them without adding (and matching versions of) the crates themselves:
//!
//! | re-export | crate version | used in |
//! | --- | --- | --- |
//! | [`uuid`] | uuid 1 | block IDs: [`BlockBuilder::finish`], [`BlockMeta::block_id`], every [`BlockStore`] call |
//! | [`chrono`] | chrono 0.4 | `DateTime<Utc>` times: [`BlockBuilder::with_time_range`], [`BlockMeta`] start/end, [`TenantIndex::created_at`] |
//! | [`bytes`] | bytes 1 | object contents: [`WrittenBlock`]'s fields, [`Backend`] and [`BlockStore`] reads and writes |
//! | [`object_store`] | object_store 0.13 | [`ObjectStoreBackend::new`] over any `Arc<dyn ObjectStore>` |
//! | [`store_bucket`] | this workspace | the [`Backend`] trait, [`ObjectStoreBackend`] and their [`BucketError`] |
//! | [`otlp_model`] | this workspace | the OTLP messages ([`otlp_model::proto`]) and [`TraceId`](otlp_model::TraceId) |
//!
//! Encoding and decoding are synchronous. Storage access ([`Backend`], [`BlockStore`],
//! [`BlockReader`]) is `async` and runtime-agnostic in this crate. The local folder
//! ([`ObjectStoreBackend::local`]) does its file IO inline, on the calling thread, in any
//! runtime or none (a range read from the page cache takes microseconds, less than a hand-off
//! to another thread); the memory store completes at once; the S3, GCS and Azure clients of
//! `object_store` need a Tokio 1 runtime with IO and time enabled. Use Tokio (as the example
//! does) for those, or bring your own [`Backend`].
//!
//! Corrupt input is reported as a [`BlockError`] naming the object, column or field; see
//! ARCHITECTURE.md for the one place where the Parquet crate's decoders need their panics
//! contained.
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
pub use bytes;
pub use chrono;
pub use error::{BlockError, Result};
pub use file::RangeRead;
pub use meta::{BlockMeta, CompactedBlockMeta, DedicatedColumn, Version};
pub use otlp_model;
pub use reader::{BlockObjects, BlockReader, TraceScan};
pub use schema::BlockSchema;
pub use store_bucket::{self, BucketError, object_store};
pub use tenant_index::TenantIndex;
pub use uuid;
pub use writer::{BlockBuilder, BlockConfig, TraceWriter, WrittenBlock, write_sorted_block};
