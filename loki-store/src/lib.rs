//! An embeddable log database that stores logs the way Grafana Loki 3 does: entries are
//! pushed under Loki's ingest rules, made durable in a write-ahead log before the push
//! returns, kept in one head chunk per stream, flushed as Loki's stored-chunk objects (V4
//! chunks under schema-v13 keys, via [`loki_chunk`]) to a local folder or an object store,
//! and found again through a label index, merged across streams by time.
//!
//! ```
//! use std::sync::Arc;
//! use loki_chunk::Direction;
//! use loki_store::{Matcher, ObjectStoreBackend, PushEntry, PushStream, Store, StoreConfig};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! # let (wal_dir, chunks_dir) = (dir.path().join("wal"), dir.path().join("chunks"));
//! let backend = Arc::new(ObjectStoreBackend::local(&chunks_dir)?);
//! let store = Store::open(StoreConfig::new(&wal_dir), backend).await?;
//! store.spawn_background(); // flushes chunks, commits the index
//!
//! let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_nanos() as i64;
//! let stream = PushStream::new(r#"{app="checkout", env="prod"}"#, vec![
//!     PushEntry::new(now - 1_000_000, "level=info msg=\"cart loaded\""),
//!     PushEntry::with_metadata(now, "level=error msg=\"payment failed\"", [("trace_id", "4bf92f35")]),
//! ]);
//! let report = store.push("fake", vec![stream]).await?; // durable once this returns
//! assert_eq!((report.accepted, report.rejected.len()), (2, 0));
//!
//! let errors = |line: &[u8]| line.starts_with(b"level=error");
//! let found = store
//!     .select("fake", &[Matcher::equal("app", "checkout")], now - 3_600_000_000_000, now + 1,
//!             Direction::Backward, 100, Some(&errors))
//!     .await?;
//! assert_eq!(found.entries.len(), 1);
//! assert_eq!(found.entries[0].labels.get("service_name"), Some("checkout")); // added as Loki does
//! assert_eq!(found.entries[0].structured_metadata, [("trace_id".to_string(), "4bf92f35".to_string())]);
//!
//! store.shutdown().await?; // flushes every chunk
//! # Ok(())
//! # }
//! ```
//!
//! # How data moves
//!
//! * [`Store::push`] checks each stream and entry as Loki's distributor and ingester do
//!   ([`ingest`]): labels, `service_name` discovery, line and structured-metadata limits,
//!   entry age, the tenant's rate limit and stream limit, exact duplicates, and the
//!   out-of-order window. Refused entries are listed with Loki's texts in the
//!   [`PushReport`] while the rest of the push is stored; only limits that refuse the whole
//!   push are errors ([`PushError`], whose [`kind`](PushError::kind) gives the status).
//! * Accepted entries go into one [`wal`] record, synced before the push returns (pushes
//!   arriving together share a sync), then into their stream's head chunk (V4, Loki's block
//!   and target sizes and codec).
//! * [`Store::tick`] (every `flush_check_period` with [`Store::spawn_background`]) closes
//!   chunks that are full, idle for `chunk_idle_period` or older than `max_chunk_age`,
//!   stores each in the bucket ([`bucket`]) as Loki's object under its schema-v13 key (with
//!   the filesystem store's names by default), adds it to the [`index`], and commits the
//!   index to its files; only then are the chunks dropped from memory and the WAL segments
//!   behind them removed.
//! * [`Store::select`] finds the matching streams in memory and in the index, and merges
//!   their chunks by timestamp with a heap, opening each chunk only when the merge reaches
//!   its range and pushing the line filter into chunk decoding; a limit stops it early. A
//!   missing or corrupt chunk is left out and counted in [`SelectStats`], never a failed
//!   query (where Loki fails the whole query). [`Store::series`], [`Store::label_names`] and
//!   [`Store::label_values`] answer from the same places.
//!
//! Replay at [`Store::open`] restores every acknowledged entry into head chunks; a torn
//! tail (a record that was never acknowledged) is truncated and reported in
//! [`Store::replay_report`]. A crash after a chunk was flushed but before the WAL behind it
//! was removed replays its entries again: they are flushed once more into another chunk,
//! and selections return an exact duplicate of an entry of the same stream once.
//!
//! # Differences from Loki
//!
//! * `detected_level` (`discover_log_levels`) is not added to structured metadata yet.
//! * The per-stream rate limit (`per_stream_rate_limit`) is not applied.
//! * The index is this crate's own format ([`index::format`]), not Loki's TSDB; the chunks
//!   themselves are byte-compatible with Loki's.
//! * `max_chunk_age` also bounds how long a chunk stays open by the clock (Loki only looks at
//!   the span of its entries' timestamps), so the WAL behind a chunk is bounded in time.
#![forbid(unsafe_code)]

pub mod bucket;
pub mod clock;
mod config;
mod cursor;
mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod index;
pub mod ingest;
mod limits;
mod matcher;
mod store;
pub mod wal;

pub use bucket::{Backend, BucketError, ObjectStoreBackend};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{
    ChunkNames, DEFAULT_DISCOVER_SERVICE_NAME, IndexConfig, IngesterConfig, Limits, MIB, Overrides,
    StoreConfig,
};
pub use error::{PushError, RefusalKind, StoreError};
pub use index::{ChunkRef, Index, IndexError};
pub use ingest::{PushEntry, PushReport, PushStream, Reason, Rejection};
pub use loki_chunk::Direction;
pub use matcher::{MatchOp, Matcher, MatcherError, matches_all};
pub use store::{
    EntryStream, LineFilter, LogEntry, SelectStats, Selection, SkipReason, SkippedChunk, Store,
    StoreStats, TenantStats, TickReport,
};
pub use store_wal::{Damage, ReplayReport, TornTail};
