//! Grafana Loki's chunk format, read and written byte-compatibly.
//!
//! * [`Chunk`] opens any chunk Loki reads — format V1 to V4, every codec (none, gzip, snappy,
//!   LZ4 in four block sizes, flate, zstd) — and iterates its entries forward or backward over
//!   a half-open time range, with an optional line predicate pushed into decoding. It also
//!   opens the WAL-checkpoint pair (chunk + head block).
//! * [`ChunkWriter`] writes V4 (structured metadata), V3 and V2 chunks the way Loki's
//!   `MemChunk` does: same block cuts, duplicate and out-of-order rules, size accounting,
//!   `SpaceFor` answer and `Close()` rebuild of overlapping blocks; and checkpoints.
//!
//! * [`StoredChunk`] decodes and encodes the object Loki stores under an [`ObjectKey`]
//!   (metadata JSON + chunk, reproduced byte for byte, so re-encoded objects get the same
//!   key), for schema v12+ and v11 keys and the filesystem store's file names.
//! * [`LabelSet`] parses and prints stream selectors `{a="b", c="d"}` and computes Loki's
//!   stream fingerprint.
//!
//! Untrusted bytes never panic. Opening checks length, magic, version, codec, section
//! offsets, the metas checksum and the symbol-table checksum, each failure a typed
//! [`ChunkError`] naming the [`Section`], offset and expected and found values. A block whose
//! checksum does not match is skipped and reported in [`Chunk::skipped_blocks`] (Loki skips it
//! silently); a truncated chunk is an error (Loki's decoder panics). Every decompression is
//! bounded. The layout is written down once, in [`format`](mod@format).
//!
//! # Units
//!
//! Entry timestamps — [`ChunkWriter::append`], [`Entry::ts`], [`Query`] bounds — are
//! **nanoseconds** since the Unix epoch, as in Loki's chunks. Object keys and stored-chunk
//! metadata ([`ObjectKey`], [`ChunkMetadata`]) are **milliseconds**, as Loki writes them:
//! [`storage::from_ms_for_ns`] and [`storage::through_ms_for_ns`] round a chunk's entry times
//! the way Loki's flush does, [`ObjectKey::time_range_ns`] and [`Query::range_ms`] go back,
//! and [`NANOS_PER_MILLI`] is the factor.
//!
//! # Types from other crates
//!
//! [`Chunk::open`], [`StoredChunk`] and [`EncodedObject`] hold [`bytes::Bytes`] (bytes 1),
//! re-exported as [`bytes`] so callers need not add the crate themselves.
//!
//! # Example
//!
//! ```
//! use std::ops::ControlFlow;
//! use loki_chunk::{Chunk, ChunkWriter, Codec, Direction, Query, WriterOptions};
//!
//! // Timestamps are nanoseconds since the epoch: 2024-06-01T00:00:00Z and the next seconds.
//! const T0: i64 = 1_717_200_000_000_000_000;
//! const SECOND: i64 = 1_000_000_000;
//!
//! // Write a V4 chunk with Loki's defaults and snappy blocks.
//! let mut writer = ChunkWriter::new(WriterOptions::v4(Codec::Snappy))?;
//! let _ = writer.append(T0, b"level=info msg=\"started\"", &[])?;
//! let _ = writer.append(T0 + 2 * SECOND, b"level=error msg=\"failed\"", &[("trace_id", "4bf92f35")])?;
//! let _ = writer.append(T0 + SECOND, b"level=info msg=\"working\"", &[])?; // out of order is fine
//! let bytes = writer.finish()?;
//!
//! // Read it back: errors only, newest first, over the first minute, nothing copied.
//! let chunk = Chunk::open(bytes)?;
//! let errors = |line: &[u8]| line.starts_with(b"level=error");
//! let query = Query::range(T0, T0 + 60 * SECOND).direction(Direction::Backward).filter(&errors);
//! chunk.for_each(query, |entry| {
//!     assert_eq!(entry.ts, T0 + 2 * SECOND);
//!     assert_eq!(entry.structured_metadata().next(), Some(("trace_id", "4bf92f35")));
//!     ControlFlow::Continue(())
//! })?;
//! assert_eq!(chunk.entries(Query::all())?.len(), 3);
//! # Ok::<(), loki_chunk::ChunkError>(())
//! ```
#![forbid(unsafe_code)]

pub mod block;
pub mod codec;
pub(crate) mod cursor;
pub mod entry;
pub mod error;
pub mod format;
#[doc(hidden)]
pub mod fuzzing;
pub(crate) mod head;
pub mod labels;
pub mod query;
pub mod reader;
pub mod storage;
pub mod symbols;
pub mod writer;

pub use block::BlockMeta;
pub use bytes;
pub use codec::Codec;
pub use entry::{Direction, Entry, EntryRef};
pub use error::{ChunkError, Section};
pub use labels::LabelSet;
pub use query::NANOS_PER_MILLI;
pub use reader::{Chunk, LineFilter, Query, SkippedBlock};
pub use storage::{ChunkMetadata, EncodedObject, KeySchema, ObjectKey, StoredChunk, encode_object};
pub use writer::{Appended, ChunkWriter, WriterOptions};
