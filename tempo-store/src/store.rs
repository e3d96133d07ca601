//! The store: push, find, the background cut/complete/poll cycle, shutdown.

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

/// A trace still receiving spans.
#[derive(Debug)]
struct LiveTrace {
    /// One `TracesData` protobuf per push that carried spans of the trace: slices of the
    /// push's WAL record, so live data costs its protobuf size, not its decoded size.
    parts: Vec<Bytes>,
    bytes: usize,
    first: Duration,
    last: Duration,
    min_segment: u64,
}

/// Traces cut from the live set, waiting to be completed into a block.
#[derive(Debug, Default)]
struct Head {
    traces: HashMap<[u8; 16], Vec<Bytes>>,
    bytes: usize,
    started: Option<Duration>,
    min_segment: Option<u64>,
}

/// A head block being written; stays findable until its block is in the blocklist.
#[derive(Debug)]
struct Completing {
    head: Head,
    busy: AtomicBool,
}

#[derive(Debug)]
struct Tenant {
    live: HashMap<[u8; 16], LiveTrace>,
    head: Head,
    completing: Vec<Arc<Completing>>,
    bucket: TokenBucket,
}

impl Tenant {
    fn new(burst: u64, now: Duration) -> Self {
        Self {
            live: HashMap::new(),
            head: Head::default(),
            completing: Vec::new(),
            bucket: TokenBucket::new(burst, now),
        }
    }

    fn insert(&mut self, id: [u8; 16], part: Bytes, segment: u64, now: Duration) {
        let t = self.live.entry(id).or_insert_with(|| LiveTrace {
            parts: Vec::new(),
            bytes: 0,
            first: now,
            last: now,
            min_segment: segment,
        });
        t.bytes += part.len();
        t.parts.push(part);
        t.last = now;
        t.min_segment = t.min_segment.min(segment);
    }

    /// Moves live traces idle or live for too long (all of them with `all`) to the head.
    fn cut_traces(&mut self, now: Duration, idle: Duration, live: Duration, all: bool) -> usize {
        let due: Vec<[u8; 16]> = self
            .live
            .iter()
            .filter(|(_, t)| {
                all || now.saturating_sub(t.last) >= idle || now.saturating_sub(t.first) >= live
            })
            .map(|(id, _)| *id)
            .collect();
        for id in &due {
            if let Some(t) = self.live.remove(id) {
                let head = &mut self.head;
                head.traces.entry(*id).or_default().extend(t.parts);
                head.bytes += t.bytes;
                head.started.get_or_insert(now);
                head.min_segment = Some(
                    head.min_segment
                        .map_or(t.min_segment, |m| m.min(t.min_segment)),
                );
            }
        }
        due.len()
    }

    fn min_segment(&self) -> Option<u64> {
        let live = self.live.values().map(|t| t.min_segment);
        let head = self.head.min_segment;
        let completing = self.completing.iter().filter_map(|c| c.head.min_segment);
        live.chain(head).chain(completing).min()
    }
}

/// Decodes a live or head trace part (a `TracesData` protobuf this store encoded).
fn decode_part(part: &[u8]) -> Result<TracesData, tempo_block::BlockError> {
    let limits = otlp_model::Limits::new(usize::MAX);
    otlp_model::decode_traces_data(part, &limits)
        .map_err(|e| tempo_block::BlockError::InvalidInput(format!("live trace data: {e}")))
}

/// What a push stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PushReceipt {
    /// Spans stored.
    pub spans: usize,
    /// Traces the spans belong to.
    pub traces: usize,
    /// Protobuf bytes stored (what the rate limit counts).
    pub bytes: usize,
}

/// Where [`Store::find_trace`] looks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FindOptions {
    /// Skip blocks that end before this (unix seconds), as Tempo's `start`.
    pub start_unix_secs: Option<u64>,
    /// Skip blocks that start after this (unix seconds), as Tempo's `end`.
    pub end_unix_secs: Option<u64>,
}

impl FindOptions {
    /// Looks only at blocks overlapping `[start, end]` (unix seconds); live data is always
    /// searched.
    pub fn range(start_unix_secs: Option<u64>, end_unix_secs: Option<u64>) -> Self {
        Self {
            start_unix_secs,
            end_unix_secs,
        }
    }
}

/// A trace found by ID.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FoundTrace {
    /// The trace, combined from every place it was found, sorted as Tempo sorts it.
    pub trace: TracesData,
    /// Protobuf bytes of every part read (Tempo's `inspectedBytes`).
    pub inspected_bytes: u64,
    /// True when the trace passed `max_bytes_per_trace` and only part of it is returned.
    pub partial: bool,
    /// Stored blocks the trace was found in.
    pub blocks: usize,
}

/// What one cycle of [`Store::tick`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TickReport {
    /// Live traces cut to head blocks.
    pub traces_cut: usize,
    /// Blocks completed and stored.
    pub blocks_completed: usize,
    /// WAL segments removed.
    pub segments_removed: usize,
    /// Whether the blocklist was polled.
    pub polled: bool,
}

/// Counts of one tenant's data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TenantStats {
    /// Traces still receiving spans.
    pub live_traces: usize,
    /// Traces in the head block or a block being completed.
    pub head_traces: usize,
    /// Stored blocks in the blocklist.
    pub blocks: usize,
}

/// A snapshot of the store's state, for metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreStats {
    /// Per tenant.
    pub tenants: BTreeMap<String, TenantStats>,
    /// Bytes in WAL segment files.
    pub wal_bytes: u64,
    /// Records appended to the WAL since start.
    pub wal_records: u64,
    /// WAL syncs since start (records per sync shows group commit).
    pub wal_syncs: u64,
}

impl Store {
    /// Opens the store: replays the WAL in `config.wal_dir` into live traces, polls the
    /// backend's blocklist once, and starts a new WAL segment.
    ///
    /// # Errors
    ///
    /// WAL folder or backend errors; [`StoreError::WalRecord`] for a checksummed record that
    /// does not decode.
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
                    .map_err(|source| StoreError::WalRecord { segment, source })?;
                let (parts, _) = ingest::split_by_trace(data.resource_spans).map_err(|e| {
                    StoreError::Config(format!(
                        "WAL segment {segment}: a record fails validation: {e}"
                    ))
                })?;
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
        let wal = Wal::open(&config.wal_dir, report.last_sequence + 1)?;
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

    /// Stores `batch` for `tenant`: validates it (tenant ID, 16-byte trace and 8-byte span
    /// IDs, rate and burst, live traces, bytes per trace), appends it to the WAL and waits
    /// for the sync that covers it. `Ok` is the acknowledgement: the spans survive a crash
    /// from then on, and are findable at once.
    ///
    /// # Errors
    ///
    /// A [`PushError`] saying why nothing was stored.
    pub async fn push(
        &self,
        tenant: &str,
        batch: Vec<ResourceSpans>,
    ) -> Result<PushReceipt, PushError> {
        ingest::validate_tenant_id(tenant)?;
        if self.inner.closed.load(Ordering::Acquire) {
            return Err(StoreError::Closed.into());
        }
        let (parts, spans) = ingest::split_by_trace(batch)?;
        if parts.is_empty() {
            return Ok(PushReceipt {
                spans: 0,
                traces: 0,
                bytes: 0,
            });
        }
        let mut record = Vec::new();
        let start = wal::format::begin_spans_record(&mut record, tenant);
        let placed = ingest::encode_parts_into(&mut record, &parts);
        wal::format::finish_record(&mut record, start);
        drop(parts);
        let bytes = record.len() - placed.first().map_or(record.len(), |p| p.range.start);
        let limits = self.inner.config.overrides.for_tenant(tenant).clone();
        let now = self.inner.clock.now();
        {
            let mut all = self.tenants();
            let t = all
                .entry(tenant.to_owned())
                .or_insert_with(|| Tenant::new(limits.ingestion_burst_size_bytes, now));
            if bytes as u64 > limits.ingestion_burst_size_bytes {
                return Err(PushError::BatchAboveBurst {
                    tenant: tenant.to_owned(),
                    burst: limits.ingestion_burst_size_bytes,
                    bytes: bytes as u64,
                });
            }
            if limits.max_traces_per_user > 0 {
                let new = placed
                    .iter()
                    .filter(|p| !t.live.contains_key(&p.id))
                    .count();
                if t.live.len() + new > limits.max_traces_per_user {
                    return Err(PushError::LiveTracesExceeded {
                        tenant: tenant.to_owned(),
                        limit: limits.max_traces_per_user,
                    });
                }
            }
            if limits.max_bytes_per_trace > 0 {
                for p in &placed {
                    let have = t.live.get(&p.id).map_or(0, |l| l.bytes);
                    if have + p.range.len() > limits.max_bytes_per_trace {
                        return Err(PushError::TraceTooLarge {
                            tenant: tenant.to_owned(),
                            trace_id: hex::encode(p.id),
                            limit: limits.max_bytes_per_trace,
                            adding: p.range.len(),
                        });
                    }
                }
            }
            if !t.bucket.try_take(
                bytes as u64,
                limits.ingestion_rate_limit_bytes,
                limits.ingestion_burst_size_bytes,
                now,
            ) {
                return Err(PushError::RateLimited {
                    tenant: tenant.to_owned(),
                    limit: limits.ingestion_rate_limit_bytes,
                    bytes: bytes as u64,
                });
            }
        }
        let record = Bytes::from(record);
        let _gate = self.inner.gate.read().await;
        let segment = self.inner.wal.append(record.clone()).await?;
        let now = self.inner.clock.now();
        let count = placed.len();
        {
            let mut all = self.tenants();
            let t = all
                .entry(tenant.to_owned())
                .or_insert_with(|| Tenant::new(limits.ingestion_burst_size_bytes, now));
            for p in placed {
                t.insert(p.id, record.slice(p.range), segment, now);
            }
        }
        Ok(PushReceipt {
            spans,
            traces: count,
            bytes,
        })
    }

    /// Finds trace `id` of `tenant` in live traces, head blocks, blocks being completed and
    /// every stored block whose time range meets `opts` and whose bloom filter may hold the
    /// ID (hashed once for all blocks), and combines what it finds as Tempo does. `None` when
    /// no part of the trace exists.
    ///
    /// # Errors
    ///
    /// A stored block that cannot be read ([`StoreError::Block`]).
    pub async fn find_trace(
        &self,
        tenant: &str,
        id: &TraceId,
        opts: FindOptions,
    ) -> Result<Option<FoundTrace>, StoreError> {
        if ingest::validate_tenant_id(tenant).is_err() {
            return Ok(None);
        }
        let key = id.to_bytes();
        let limits = self.inner.config.overrides.for_tenant(tenant);
        let mut combiner = Combiner::with_max_bytes(limits.max_bytes_per_trace, true);
        let mut inspected = 0u64;
        let mut found_any = false;
        let mut consume = |parts: Vec<ResourceSpans>, combiner: &mut Combiner| {
            found_any = true;
            // A size limit in partial mode never fails.
            let _ = combiner.consume(TracesData {
                resource_spans: parts,
            });
        };
        let memory: Vec<Bytes> = {
            let all = self.tenants();
            let mut out = Vec::new();
            if let Some(t) = all.get(tenant) {
                if let Some(l) = t.live.get(&key) {
                    out.extend(l.parts.iter().cloned());
                }
                if let Some(h) = t.head.traces.get(&key) {
                    out.extend(h.iter().cloned());
                }
                for c in &t.completing {
                    if let Some(h) = c.head.traces.get(&key) {
                        out.extend(h.iter().cloned());
                    }
                }
            }
            out
        };
        let mut blocks_found = 0;
        if let Some(blocks) = self.inner.blocklist.snapshot(tenant) {
            let tk = TraceKey::new(&key);
            for block in blocks.values() {
                if !block.overlaps(opts.start_unix_secs, opts.end_unix_secs) {
                    continue;
                }
                if !block.reader.may_contain_key(&tk).await? {
                    continue;
                }
                if let Some(parts) = block.reader.find_trace_skip_bloom(id).await? {
                    blocks_found += 1;
                    inspected += parts
                        .iter()
                        .map(|rs| prost::Message::encoded_len(rs) as u64)
                        .sum::<u64>();
                    consume(parts, &mut combiner);
                }
            }
        }
        for part in memory {
            inspected += part.len() as u64;
            consume(decode_part(&part)?.resource_spans, &mut combiner);
        }
        if !found_any {
            return Ok(None);
        }
        let partial = combiner.is_partial();
        Ok(combiner.result().map(|trace| FoundTrace {
            trace,
            inspected_bytes: inspected,
            partial,
            blocks: blocks_found,
        }))
    }

    /// One cycle of background work at the clock's time: cuts idle and old live traces to
    /// head blocks, completes head blocks that are old or large enough (and retries ones that
    /// failed), removes WAL segments no longer needed, and polls the blocklist when due. A
    /// host drives it itself or lets [`Store::spawn_background`] call it.
    ///
    /// # Errors
    ///
    /// The first WAL or backend error; work not done is retried by the next cycle.
    pub async fn tick(&self) -> Result<TickReport, StoreError> {
        let _cycle = self.inner.cycle.lock().await;
        let mut report = self.cut_and_complete(false).await?;
        let now = self.inner.clock.now();
        let due = {
            let last = self
                .inner
                .last_poll
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            last.is_none_or(|l| now.saturating_sub(l) >= self.inner.config.blocklist_poll)
        };
        if due {
            self.poll().await?;
            report.polled = true;
        }
        Ok(report)
    }

    async fn cut_and_complete(&self, all: bool) -> Result<TickReport, StoreError> {
        let cfg = &self.inner.config;
        let now = self.inner.clock.now();
        let mut report = TickReport::default();
        let mut jobs: Vec<(String, Arc<Completing>)> = Vec::new();
        let mut new_heads = false;
        {
            let mut tenants = self.tenants();
            for (name, t) in tenants.iter_mut() {
                report.traces_cut += t.cut_traces(now, cfg.max_trace_idle, cfg.max_trace_live, all);
                let h = &t.head;
                let full = h.bytes >= cfg.max_block_bytes;
                let old = h
                    .started
                    .is_some_and(|s| now.saturating_sub(s) >= cfg.max_block_duration);
                if !h.traces.is_empty() && (all || full || old) {
                    let head = std::mem::take(&mut t.head);
                    t.completing.push(Arc::new(Completing {
                        head,
                        busy: AtomicBool::new(false),
                    }));
                    new_heads = true;
                }
                for c in &t.completing {
                    if !c.busy.swap(true, Ordering::AcqRel) {
                        jobs.push((name.clone(), Arc::clone(c)));
                    }
                }
            }
        }
        if new_heads {
            // Records after this go to a new segment, so the old ones can be removed once
            // their traces are stored.
            self.inner.wal.rotate().await?;
        }
        let mut first_error = None;
        for (tenant, job) in jobs {
            match self.complete(&tenant, &job).await {
                Ok(()) => report.blocks_completed += 1,
                Err(e) => {
                    tracing::error!(tenant = %tenant, error = %e, "block completion failed; retried next cycle");
                    job.busy.store(false, Ordering::Release);
                    first_error.get_or_insert(e);
                }
            }
        }
        if report.blocks_completed > 0 {
            report.segments_removed = self.remove_wal_segments().await?;
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(report),
        }
    }

    /// Writes a head block, stores it, opens it, and swaps it in for the head.
    async fn complete(&self, tenant: &str, job: &Arc<Completing>) -> Result<(), StoreError> {
        let config = self.inner.config.block.clone();
        let job2 = Arc::clone(job);
        let tenant2 = tenant.to_owned();
        let block_id = Uuid::new_v4();
        let written = tokio::task::spawn_blocking(move || {
            let head = &job2.head;
            let mut ids: Vec<&[u8; 16]> = head.traces.keys().collect();
            ids.sort_unstable();
            let traces = ids.into_iter().map(|id| {
                let parts = &head.traces[id];
                let rs = if parts.len() == 1 {
                    decode_part(&parts[0])?.resource_spans
                } else {
                    let mut decoded = Vec::with_capacity(parts.len());
                    for p in parts {
                        decoded.push(decode_part(p)?);
                    }
                    otlp_model::combine::combine(decoded)
                        .map(|t| t.resource_spans)
                        .unwrap_or_default()
                };
                Ok((TraceId::from_bytes(*id), Cow::Owned(rs)))
            });
            tempo_block::write_sorted_block(
                &config,
                &tenant2,
                block_id,
                head.traces.len(),
                None,
                traces,
            )
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))??;
        written.upload(&self.inner.blocks).await?;
        let meta = written.meta.clone();
        drop(written);
        let objects = Arc::new(tempo_block::reader::StoredBlock::new(
            self.inner.blocks.clone(),
            tenant.to_owned(),
            block_id,
        ));
        let reader = BlockReader::open(meta.clone(), objects).await?;
        self.inner.blocklist.add(
            tenant,
            Block {
                meta,
                reader,
                completed_at: Some(self.inner.clock.now()),
            },
        );
        let mut tenants = self.tenants();
        if let Some(t) = tenants.get_mut(tenant) {
            t.completing.retain(|c| !Arc::ptr_eq(c, job));
        }
        Ok(())
    }

    async fn remove_wal_segments(&self) -> Result<usize, StoreError> {
        let _exclusive = self.inner.gate.write().await;
        let current = self.inner.wal.current();
        let min = self
            .tenants()
            .values()
            .filter_map(Tenant::min_segment)
            .min()
            .unwrap_or(current)
            .min(current);
        self.inner.wal.remove_before(min).await
    }

    /// Refreshes the blocklist from the backend now (the background cycle does it every
    /// `blocklist_poll`): blocks written by another process, or by Tempo, into the same
    /// bucket become findable.
    ///
    /// # Errors
    ///
    /// The backend's listing errors. Blocks that cannot be opened are reported in the log
    /// and retried at the next poll.
    pub async fn poll(&self) -> Result<(), StoreError> {
        let now = self.inner.clock.now();
        let failures = self
            .inner
            .blocklist
            .poll(
                &self.inner.blocks,
                now,
                self.inner.config.complete_block_timeout,
            )
            .await?;
        for (tenant, block, error) in failures {
            tracing::error!(tenant = %tenant, block = %block, error = %error,
                "block cannot be read; left out of lookups until a poll can read it");
        }
        *self
            .inner
            .last_poll
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(now);
        Ok(())
    }

    /// Starts a Tokio task that runs [`Store::tick`] every `tick_interval` until
    /// [`Store::shutdown`].
    pub fn spawn_background(&self) {
        let store = self.clone();
        let handle = tokio::spawn(async move {
            let interval = store.inner.config.tick_interval;
            loop {
                tokio::select! {
                    () = tokio::time::sleep(interval) => {}
                    () = store.inner.stop.notified() => break,
                }
                if store.inner.closed.load(Ordering::Acquire) {
                    break;
                }
                if let Err(e) = store.tick().await {
                    tracing::error!(error = %e, "background cycle failed");
                }
            }
        });
        *self
            .inner
            .background
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(handle);
    }

    /// Stops taking pushes, stops the background task, completes every live trace and head
    /// block into stored blocks, removes the WAL segments they came from, and closes the WAL.
    /// Pushes after this fail with [`StoreError::Closed`].
    ///
    /// # Errors
    ///
    /// The first error completing or storing a block; what was not stored stays in the WAL
    /// and is replayed at the next open.
    pub async fn shutdown(&self) -> Result<(), StoreError> {
        if self.inner.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        self.inner.stop.notify_waiters();
        let handle = self
            .inner
            .background
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(h) = handle {
            let _ = h.await;
        }
        // Wait for pushes in flight.
        drop(self.inner.gate.write().await);
        let _cycle = self.inner.cycle.lock().await;
        let result = self.cut_and_complete(true).await;
        let closed = self.inner.wal.close().await;
        result.and(closed)
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

    /// True until [`Store::shutdown`] starts.
    pub fn is_ready(&self) -> bool {
        !self.inner.closed.load(Ordering::Acquire)
    }
}
