//! The store: opening, replay and state ([`Store`]), pushes (`push`), the background flush
//! cycle and shutdown (`flush`), selection (`select`, `merge`), labels and series
//! (`labels`), per-stream state (`stream`) and the values the API returns (`types`).

mod flush;
mod labels;
mod merge;
mod push;
mod select;
mod stream;
mod types;

pub use merge::EntryStream;
pub use select::LineFilter;
pub use types::{
    LogEntry, SelectStats, Selection, SkipReason, SkippedChunk, StoreStats, TenantStats, TickReport,
};

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use loki_chunk::{KeySchema, ObjectKey, WriterOptions};
use tokio::sync::Notify;

use crate::bucket::Backend;
use crate::clock::{Clock, SystemClock};
use crate::config::{ChunkNames, StoreConfig};
use crate::error::StoreError;
use crate::index::{BucketIndex, Index};
use crate::wal::{self, ReplayReport, Wal};
use stream::{Tenant, lock};

/// The embeddable log database. Cheap to clone (a handle); see the [crate docs](crate).
#[derive(Debug, Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: StoreConfig,
    clock: Arc<dyn Clock>,
    wal: Wal,
    backend: Arc<dyn Backend>,
    index: Arc<dyn Index>,
    tenants: RwLock<HashMap<String, Arc<Tenant>>>,
    /// Pushes hold it shared from before they look up their streams until their entries are
    /// in them; removing streams or WAL segments takes it exclusively, so no record is in a
    /// segment nothing references and no entry goes to a stream no longer in the map.
    gate: Arc<tokio::sync::RwLock<()>>,
    replay: ReplayReport,
    replayed_entries: u64,
    closed: AtomicBool,
    stop: Notify,
    background: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// One background cycle at a time; holds when the index was last polled.
    cycle: tokio::sync::Mutex<Option<Duration>>,
}

impl Store {
    /// Opens the store: loads the index from `backend` (this crate's
    /// [`BucketIndex`], writing under `config.index.writer_id`), replays the WAL in
    /// `config.wal_dir` into head chunks, and starts a new WAL segment.
    ///
    /// # Errors
    ///
    /// An invalid configuration, WAL folder errors, or a failing bucket listing. Damaged WAL
    /// records are reported in [`Store::replay_report`], unreadable index files in the log;
    /// neither fails the open.
    pub async fn open(config: StoreConfig, backend: Arc<dyn Backend>) -> Result<Self, StoreError> {
        Self::open_with_clock(config, backend, Arc::new(SystemClock)).await
    }

    /// As [`Store::open`] with time read from `clock`.
    ///
    /// # Errors
    ///
    /// As [`Store::open`].
    pub async fn open_with_clock(
        config: StoreConfig,
        backend: Arc<dyn Backend>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StoreError> {
        config.validate().map_err(StoreError::Config)?;
        let writer_id =
            crate::config::resolve_writer_id(&config).map_err(|source| StoreError::Wal {
                path: config.wal_dir.join(crate::config::WRITER_ID_FILE),
                source,
            })?;
        let index = Arc::new(BucketIndex::new(
            Arc::clone(&backend),
            writer_id,
            config.index.compact_after_files,
        ));
        Self::open_with_index(config, backend, clock, index).await
    }

    /// As [`Store::open_with_clock`] with another [`Index`] than the bucket's own (for
    /// instance [`MemoryIndex`](crate::index::MemoryIndex) when nothing but this process
    /// needs to find the chunks again, or a future TSDB index). The index is polled once
    /// before the WAL is replayed.
    ///
    /// # Errors
    ///
    /// As [`Store::open`].
    pub async fn open_with_index(
        config: StoreConfig,
        backend: Arc<dyn Backend>,
        clock: Arc<dyn Clock>,
        index: Arc<dyn Index>,
    ) -> Result<Self, StoreError> {
        config.validate().map_err(StoreError::Config)?;
        let polled = index.poll().await?;
        for (path, e) in &polled.unreadable {
            tracing::error!(path = %path, error = %e, "index file left out");
        }
        let now = clock.now();
        let dir = config.wal_dir.clone();
        let opts = writer_options(&config);
        let overrides = config.overrides.clone();
        let (tenants, report, entries) = tokio::task::spawn_blocking(move || {
            let mut tenants: HashMap<String, Arc<Tenant>> = HashMap::new();
            let mut entries = 0u64;
            let report = wal::replay(&dir, |segment, record| {
                let tenant = tenants.entry(record.tenant.to_owned()).or_insert_with(|| {
                    let burst = overrides.for_tenant(record.tenant).ingestion_burst_bytes();
                    Arc::new(Tenant::new(burst, now))
                });
                for s in record.streams {
                    let text = s.labels.to_string();
                    // Replay restores what was acknowledged; limits do not apply.
                    let Ok(stream) = tenant.get_or_create(&text, &s.labels, None) else {
                        continue;
                    };
                    let mut st = lock(&stream);
                    for e in s.entries {
                        let line = bytes::Bytes::copy_from_slice(e.line);
                        let metadata: Vec<(String, String)> = e
                            .structured_metadata
                            .iter()
                            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                            .collect();
                        st.note(e.ts, &line, &metadata);
                        let _ = st
                            .append((e.ts, e.line, &e.structured_metadata), segment, now, opts)
                            .map_err(|err| {
                                format!("segment {segment}: entry not restored: {err}")
                            })?;
                        entries += 1;
                    }
                }
                Ok(())
            })?;
            Ok::<_, StoreError>((tenants, report, entries))
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))??;
        if report.records > 0 || report.truncated.is_some() || !report.corrupt.is_empty() {
            tracing::info!(
                records = report.records,
                entries,
                segments = report.segments,
                truncated = report.truncated.is_some(),
                corrupt = report.corrupt.len(),
                "WAL replayed"
            );
        }
        let wal = wal::open(&config.wal_dir, report.last_sequence + 1)?;
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                clock,
                wal,
                backend,
                index,
                tenants: RwLock::new(tenants),
                gate: Arc::new(tokio::sync::RwLock::new(())),
                replay: report,
                replayed_entries: entries,
                closed: AtomicBool::new(false),
                stop: Notify::new(),
                background: Mutex::new(None),
                cycle: tokio::sync::Mutex::new(Some(now)),
            }),
        })
    }

    /// What replaying the WAL found at open: records restored, a torn tail truncated,
    /// damage reported.
    pub fn replay_report(&self) -> &ReplayReport {
        &self.inner.replay
    }

    /// Entries restored from the WAL at open.
    pub fn replayed_entries(&self) -> u64 {
        self.inner.replayed_entries
    }

    /// The configuration the store runs with.
    pub fn config(&self) -> &StoreConfig {
        &self.inner.config
    }

    /// The label index.
    pub fn index(&self) -> &Arc<dyn Index> {
        &self.inner.index
    }

    /// The bucket chunks and index files are stored in.
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.inner.backend
    }

    /// The path in the bucket of the chunk object named `key` (see
    /// [`ChunkNames`](crate::ChunkNames)).
    pub fn chunk_path(&self, key: &ObjectKey) -> String {
        match self.inner.config.chunk_names {
            ChunkNames::Filesystem => key.to_fs_path(KeySchema::V12),
            ChunkNames::Key => key.to_key(KeySchema::V12),
        }
    }

    /// True until [`Store::shutdown`] starts, and while the WAL takes writes.
    pub fn is_ready(&self) -> bool {
        !self.inner.closed.load(Ordering::Acquire) && !self.inner.wal.failed()
    }

    fn tenant(&self, name: &str) -> Option<Arc<Tenant>> {
        self.inner
            .tenants
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned()
    }

    fn all_tenants(&self) -> Vec<(String, Arc<Tenant>)> {
        self.inner
            .tenants
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(n, t)| (n.clone(), Arc::clone(t)))
            .collect()
    }

    /// Counts for metrics.
    pub fn stats(&self) -> StoreStats {
        let mut tenants = BTreeMap::new();
        for (name, t) in self.all_tenants() {
            let mut s = TenantStats::default();
            for stream in t.all() {
                let st = lock(&stream);
                s.streams += 1;
                if let Some(h) = &st.head {
                    s.head_chunks += 1;
                    s.entries_in_memory += h.writer.entry_count();
                }
                s.closed_chunks += st.closed.len();
                s.entries_in_memory += st.closed.iter().map(|c| c.data.entries).sum::<u64>();
            }
            tenants.insert(name, s);
        }
        let (wal_records, wal_syncs) = self.inner.wal.counters();
        StoreStats {
            tenants,
            wal_bytes: self.inner.wal.bytes(),
            wal_records,
            wal_syncs,
            index: self.inner.index.stats(),
        }
    }
}

/// The chunk writer options of `config` (V4 chunks, schema v13).
fn writer_options(config: &StoreConfig) -> WriterOptions {
    WriterOptions::v4(config.ingester.chunk_encoding)
        .block_size(config.ingester.chunk_block_size)
        .target_size(config.ingester.chunk_target_size)
}
