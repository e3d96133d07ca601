//! The store: opening and state ([`Store`]), pushes (`push`), lookups (`find`), the
//! background cut/complete/poll cycle and shutdown (`background`), per-tenant state
//! (`tenant`) and the values the API returns (`types`).

mod background;
mod find;
mod push;
mod tenant;
mod types;

pub use types::{FindOptions, FoundTrace, PushReceipt, StoreStats, TenantStats, TickReport};

use tenant::{Completing, Tenant, decode_part};

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bloom::tempo::TraceKey;
use bytes::Bytes;
use otlp_model::TraceId;
use otlp_model::combine::Combiner;
use otlp_model::proto::trace::{ResourceSpans, TracesData};
use tempo_block::{Backend, BlockReader, BlockStore};
use tokio::sync::{Notify, RwLock};
use uuid::Uuid;

use crate::blocklist::{Block, Blocklist};
use crate::clock::{Clock, SystemClock};
use crate::config::StoreConfig;
use crate::error::{PushError, StoreError};
use crate::ingest;
use crate::limits::TokenBucket;
use crate::wal::{self, ReplayReport, Wal};

/// The embeddable trace database. Cheap to clone (a handle); see the [crate docs](crate).
#[derive(Debug, Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: StoreConfig,
    clock: Arc<dyn Clock>,
    wal: Wal,
    blocks: BlockStore,
    blocklist: Blocklist,
    /// Pushes hold it shared from their WAL append until their traces are live; removing WAL
    /// segments takes it exclusively, so no record is in a segment that nothing references.
    gate: RwLock<()>,
    tenants: Mutex<HashMap<String, Tenant>>,
    replay: ReplayReport,
    last_poll: Mutex<Option<Duration>>,
    closed: AtomicBool,
    stop: Notify,
    background: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// One cut/complete/poll cycle at a time.
    cycle: tokio::sync::Mutex<()>,
}

impl Store {
    /// Opens the store: replays the WAL in `config.wal_dir` into live traces, polls the
    /// backend's blocklist once, and starts a new WAL segment.
    ///
    /// # Errors
    ///
    /// WAL folder or backend errors. Damaged WAL records are reported in
    /// [`Store::replay_report`], not refused.
    pub async fn open(config: StoreConfig, backend: Arc<dyn Backend>) -> Result<Self, StoreError> {
        Self::open_with_clock(config, backend, Arc::new(SystemClock::default())).await
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
        if config.max_block_bytes == 0 {
            return Err(StoreError::Config("max_block_bytes must be above 0".into()));
        }
        let now = clock.now();
        let dir = config.wal_dir.clone();
        let overrides = config.overrides.clone();
        let (replayed, report) = tokio::task::spawn_blocking(move || {
            let mut tenants: HashMap<String, Tenant> = HashMap::new();
            let limits = otlp_model::Limits::default()
                .with_max_bytes(usize::try_from(wal::format::MAX_RECORD_LEN).unwrap_or(usize::MAX));
            let report = wal::replay(&dir, |segment, record| {
                let data = otlp_model::decode_traces_data(record.traces, &limits)
                    .map_err(|e| format!("segment {segment}: spans do not decode: {e}"))?;
                let (parts, _) = ingest::split_by_trace(data.resource_spans)
                    .map_err(|e| format!("segment {segment}: spans fail validation: {e}"))?;
                let mut buf = Vec::new();
                let placed = ingest::encode_parts_into(&mut buf, &parts);
                drop(parts);
                let buf = Bytes::from(buf);
                let burst = overrides
                    .for_tenant(record.tenant)
                    .ingestion_burst_size_bytes;
                let t = tenants
                    .entry(record.tenant.to_owned())
                    .or_insert_with(|| Tenant::new(burst, now));
                for p in placed {
                    t.insert(p.id, buf.slice(p.range), segment, now);
                }
                Ok(())
            })?;
            Ok::<_, StoreError>((tenants, report))
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))??;
        if report.records > 0 || report.truncated.is_some() || !report.corrupt.is_empty() {
            tracing::info!(
                records = report.records,
                segments = report.segments,
                truncated = report.truncated.is_some(),
                corrupt = report.corrupt.len(),
                "WAL replayed"
            );
        }
        let wal = wal::open(&config.wal_dir, report.last_sequence + 1)?;
        let store = Self {
            inner: Arc::new(Inner {
                blocks: BlockStore::new(backend),
                blocklist: Blocklist::default(),
                gate: RwLock::new(()),
                tenants: Mutex::new(replayed),
                replay: report,
                last_poll: Mutex::new(None),
                closed: AtomicBool::new(false),
                stop: Notify::new(),
                background: Mutex::new(None),
                cycle: tokio::sync::Mutex::new(()),
                config,
                clock,
                wal,
            }),
        };
        store.poll().await?;
        Ok(store)
    }

    /// What replaying the WAL found at open: records restored, a torn tail truncated,
    /// damage reported.
    pub fn replay_report(&self) -> &ReplayReport {
        &self.inner.replay
    }

    /// The configuration the store runs with.
    pub fn config(&self) -> &StoreConfig {
        &self.inner.config
    }

    /// The backend's block store (for tools that read blocks directly).
    pub fn block_store(&self) -> &BlockStore {
        &self.inner.blocks
    }

    fn tenants(&self) -> MutexGuard<'_, HashMap<String, Tenant>> {
        self.inner
            .tenants
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts for metrics.
    pub fn stats(&self) -> StoreStats {
        let mut tenants: BTreeMap<String, TenantStats> = self
            .tenants()
            .iter()
            .map(|(name, t)| {
                let head_traces = t.head.traces.len()
                    + t.completing
                        .iter()
                        .map(|c| c.head.traces.len())
                        .sum::<usize>();
                (
                    name.clone(),
                    TenantStats {
                        live_traces: t.live.len(),
                        head_traces,
                        blocks: 0,
                    },
                )
            })
            .collect();
        for (name, n) in self.inner.blocklist.counts() {
            tenants.entry(name).or_default().blocks = n;
        }
        let (wal_records, wal_syncs) = self.inner.wal.counters();
        StoreStats {
            tenants,
            wal_bytes: self.inner.wal.bytes(),
            wal_records,
            wal_syncs,
        }
    }

    /// True until [`Store::shutdown`] starts, and while the WAL takes writes.
    pub fn is_ready(&self) -> bool {
        !self.inner.closed.load(Ordering::Acquire) && !self.inner.wal.failed()
    }
}
