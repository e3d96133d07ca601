//! An embeddable trace database that stores traces the way Grafana Tempo does: spans are
//! pushed, made durable in a write-ahead log before the push returns, kept as live traces,
//! cut into head blocks and completed into Tempo blocks (vParquet5, via [`tempo_block`]) in
//! a local folder or an object store; any trace can be found by ID across all of it, and
//! blocks written by another process — or by Tempo itself — into the same bucket are found
//! too.
//!
//! ```
//! use std::sync::Arc;
//! use otlp_model::{SpanId, TraceId};
//! use otlp_model::build::{resource_spans, span};
//! use tempo_block::ObjectStoreBackend;
//! use tempo_store::{FindOptions, Store, StoreConfig};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! # let (wal_dir, blocks_dir) = (dir.path().join("wal"), dir.path().join("blocks"));
//! # std::fs::create_dir_all(&blocks_dir)?;
//! let backend = Arc::new(ObjectStoreBackend::local(&blocks_dir)?);
//! let store = Store::open(StoreConfig::new(&wal_dir), backend).await?;
//! store.spawn_background(); // cuts traces, completes blocks, polls the blocklist
//!
//! let id = TraceId::parse_hex("5b8efff798038103d269b633813fc60c")?;
//! let batch = vec![resource_spans("checkout", vec![span(id, SpanId::from_u64(1), "GET /cart", 1_700_000_000_000_000_000, 1_700_000_000_250_000_000)])];
//! store.push("single-tenant", batch).await?; // durable once this returns
//!
//! let found = store.find_trace("single-tenant", &id, FindOptions::default()).await?;
//! let spans = &found.expect("stored").trace.resource_spans[0].scope_spans[0].spans;
//! assert_eq!(spans[0].name, "GET /cart");
//!
//! store.shutdown().await?; // completes everything into blocks
//! # Ok(())
//! # }
//! ```
//!
//! # How data moves
//!
//! * [`Store::push`] validates a batch (tenant ID as Tempo validates it, 16-byte trace and
//!   8-byte span IDs, `max_bytes_per_trace`, `max_traces_per_user` live traces, the tenant's
//!   ingestion rate and burst), splits it by trace, appends one record to the [`wal`] and
//!   waits for the sync that covers it. Concurrent pushes share a sync (group commit). A
//!   batch is stored whole or refused whole with a [`PushError`] whose
//!   [`kind`](PushError::kind) tells a server which status to answer.
//! * Live traces are cut to the tenant's head block after `max_trace_idle` without new spans
//!   or `max_trace_live` after their first; the head block is completed after
//!   `max_block_duration` or at `max_block_bytes`: its traces (parts combined as Tempo
//!   combines them) are written sorted by ID with [`tempo_block::write_sorted_block`] and
//!   stored (`meta.json` last). Only then are the WAL segments it came from removed.
//! * [`Store::find_trace`] combines what live traces, head blocks, blocks being written and
//!   every stored block (pruned by time range, then by bloom filter with the ID hashed once)
//!   hold of a trace.
//! * The blocklist is refreshed every `blocklist_poll` from the tenant index and a listing;
//!   this process rewrites the tenant index when the set of blocks changed.
//! * Time comes from a [`Clock`]; [`Store::tick`] runs one cycle of background work, which
//!   [`Store::spawn_background`] repeats every `tick_interval`.
//!
//! Replay at [`Store::open`] restores every acknowledged record into live traces; a torn
//! tail (a record that was never acknowledged) is truncated and reported in
//! [`Store::replay_report`]. A crash between storing a block and removing its WAL segments
//! replays those traces again; they are written once more into a later block, and lookups
//! combine the copies by span ID, so nothing is returned twice.
#![forbid(unsafe_code)]

mod blocklist;
pub mod clock;
mod config;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod ingest;
mod limits;
mod store;
pub mod wal;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{Limits, Overrides, StoreConfig};
pub use error::{PushError, RefusalKind, StoreError};
pub use ingest::validate_tenant_id;
pub use store::{FindOptions, FoundTrace, PushReceipt, Store, StoreStats, TenantStats, TickReport};
pub use wal::{Damage, ReplayReport, TornTail};
