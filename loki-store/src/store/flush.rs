//! The background cycle (close chunks, store them, commit the index, release memory and WAL
//! segments, poll the index) and shutdown.

use std::sync::Arc;

use bytes::Bytes;
use loki_chunk::storage::{from_ms_for_ns, through_ms_for_ns};
use loki_chunk::{ChunkMetadata, LabelSet};

use super::stream::{ClosedData, SharedStream, lock};
use super::{Ordering, PoisonError, Store, TickReport};
use crate::error::StoreError;
use crate::index::ChunkRef;

/// A closed chunk to store.
struct Job {
    tenant: String,
    stream: SharedStream,
    labels: Arc<LabelSet>,
    data: Arc<ClosedData>,
}

impl Store {
    /// One cycle of background work at the clock's time:
    ///
    /// 1. closes head chunks idle for more than `chunk_idle_period` or older than
    ///    `max_chunk_age` (chunks that filled up were closed by the push that filled them);
    /// 2. stores every closed chunk in the bucket as a Loki stored-chunk object under its
    ///    schema-v13 key, and adds it to the index;
    /// 3. commits the index (writes its files); once that succeeded, drops the stored chunks
    ///    from memory;
    /// 4. forgets streams with nothing left in memory and removes the WAL segments no entry
    ///    in memory needs any more;
    /// 5. polls the index for other writers' files every `resync_interval`.
    ///
    /// A host drives it itself or lets [`Store::spawn_background`] call it every
    /// `flush_check_period`.
    ///
    /// # Errors
    ///
    /// The first bucket, index or WAL error; work not done is retried by the next cycle.
    pub async fn tick(&self) -> Result<TickReport, StoreError> {
        let mut last_poll = self.inner.cycle.lock().await;
        let mut report = TickReport::default();
        let flushed = self.flush_cycle(false, &mut report).await;
        let now = self.inner.clock.now();
        let due = last_poll
            .is_none_or(|l| now.saturating_sub(l) >= self.inner.config.index.resync_interval);
        let mut polled = Ok(());
        if due {
            report.polled = true;
            match self.inner.index.poll().await {
                Ok(_) => *last_poll = Some(now),
                Err(e) => polled = Err(StoreError::from(e)),
            }
        }
        flushed?;
        polled?;
        Ok(report)
    }

    /// Polls the index for files other writers stored now (the background cycle does it every
    /// `resync_interval`).
    ///
    /// # Errors
    ///
    /// The bucket's listing error.
    pub async fn poll_index(&self) -> Result<(), StoreError> {
        let mut last_poll = self.inner.cycle.lock().await;
        self.inner.index.poll().await?;
        *last_poll = Some(self.inner.clock.now());
        Ok(())
    }

    async fn flush_cycle(&self, all: bool, report: &mut TickReport) -> Result<(), StoreError> {
        let cfg = &self.inner.config.ingester;
        let now = self.inner.clock.now();
        let mut jobs = Vec::new();
        let mut first_error: Option<StoreError> = None;
        for (tenant, t) in self.all_tenants() {
            for stream in t.all() {
                let mut st = lock(&stream);
                if all || st.head_due(now, cfg.chunk_idle_period, cfg.max_chunk_age) {
                    match st.close_head() {
                        Ok(true) => report.chunks_closed += 1,
                        Ok(false) => {}
                        Err(e) => {
                            tracing::error!(tenant = %tenant, error = %e, "head chunk not closed");
                            first_error.get_or_insert(e.into());
                        }
                    }
                }
                for c in st.closed.iter().filter(|c| c.stored.is_none()) {
                    jobs.push(Job {
                        tenant: tenant.clone(),
                        stream: Arc::clone(&stream),
                        labels: Arc::clone(&st.labels),
                        data: Arc::clone(&c.data),
                    });
                }
            }
        }
        let current = self.inner.wal.current();
        if report.chunks_closed > 0 || jobs.iter().any(|j| j.data.min_segment >= current) {
            // Records from now on go to a new segment, so the segments behind the closed
            // chunks can be removed once they are flushed. (A chunk whose store keeps
            // failing does not rotate the log every cycle.)
            self.inner.wal.rotate().await?;
        }
        self.store_all(jobs, report, &mut first_error).await;
        let waiting = self.all_tenants().iter().any(|(_, t)| {
            t.all()
                .iter()
                .any(|s| lock(s).closed.iter().any(|c| c.stored.is_some()))
        });
        if waiting {
            match self.inner.index.commit().await {
                Ok(c) => {
                    report.index_files += c.files_written;
                    // Every chunk marked stored was added before the commit: durable now.
                    for (_, t) in self.all_tenants() {
                        for s in t.all() {
                            let mut st = lock(&s);
                            let before = st.closed.len();
                            st.closed.retain(|c| c.stored.is_none());
                            report.chunks_released += before - st.closed.len();
                        }
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "index not committed; retried next cycle");
                    first_error.get_or_insert(e.into());
                }
            }
        }
        if report.chunks_released > 0 || all {
            self.release(report).await?;
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Stores closed chunks, up to `concurrent_flushes` objects in flight at once (an object
    /// store's latency is paid per request), marking each stored one and adding it to the
    /// index.
    async fn store_all(
        &self,
        jobs: Vec<Job>,
        report: &mut TickReport,
        first_error: &mut Option<StoreError>,
    ) {
        let cfg = &self.inner.config.ingester;
        let mut flights = tokio::task::JoinSet::new();
        let mut jobs = jobs.into_iter();
        loop {
            while flights.len() < cfg.concurrent_flushes.max(1) {
                let Some(job) = jobs.next() else { break };
                let store = self.clone();
                flights.spawn(async move {
                    let stored = store.store_chunk(&job.tenant, &job.labels, &job.data).await;
                    (job, stored)
                });
            }
            let Some(done) = flights.join_next().await else {
                break;
            };
            match done {
                Ok((job, Ok(chunk))) => {
                    // Marked before the index holds it, so that a selection never sees the
                    // chunk in the index without knowing it is the one in memory.
                    {
                        let mut st = lock(&job.stream);
                        if let Some(c) = st
                            .closed
                            .iter_mut()
                            .find(|c| Arc::ptr_eq(&c.data, &job.data))
                        {
                            c.stored = Some(chunk);
                        }
                    }
                    self.inner.index.add(&job.tenant, &job.labels, chunk);
                    report.chunks_flushed += 1;
                }
                Ok((job, Err(e))) => {
                    tracing::error!(tenant = %job.tenant, stream = %job.labels, error = %e,
                        "chunk not stored; retried next cycle");
                    report.flush_errors += 1;
                    first_error.get_or_insert(e);
                }
                Err(e) => {
                    report.flush_errors += 1;
                    first_error.get_or_insert(StoreError::Task(e.to_string()));
                }
            }
        }
    }

    /// Forgets empty streams (and idle tenants) and removes WAL segments nothing in memory
    /// needs.
    async fn release(&self, report: &mut TickReport) -> Result<(), StoreError> {
        let _exclusive = self.inner.gate.write().await;
        let mut min: Option<u64> = None;
        for (_, t) in self.all_tenants() {
            let mut streams = t.streams.write().unwrap_or_else(PoisonError::into_inner);
            let before = streams.len();
            streams.retain(|_, s| {
                let st = lock(s);
                if let Some(m) = st.min_segment() {
                    min = Some(min.map_or(m, |x| x.min(m)));
                }
                !st.is_empty()
            });
            report.streams_removed += before - streams.len();
        }
        // Tenants with no streams left whose rate limiter has refilled hold nothing worth
        // keeping (tenant IDs seen once do not keep state for ever).
        let now = self.inner.clock.now();
        let overrides = &self.inner.config.overrides;
        self.inner
            .tenants
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|name, t| {
                let limits = overrides.for_tenant(name);
                let empty = t
                    .streams
                    .read()
                    .unwrap_or_else(PoisonError::into_inner)
                    .is_empty();
                let full = t
                    .bucket
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .is_full(
                        limits.ingestion_rate_bytes(),
                        limits.ingestion_burst_bytes(),
                        now,
                    );
                !(empty && full)
            });
        let current = self.inner.wal.current();
        let keep_from = min.unwrap_or(current).min(current);
        report.segments_removed += self.inner.wal.remove_before(keep_from).await?;
        Ok(())
    }

    /// Stores one closed chunk as Loki's object, returning its index entry.
    async fn store_chunk(
        &self,
        tenant: &str,
        labels: &LabelSet,
        data: &ClosedData,
    ) -> Result<ChunkRef, StoreError> {
        let (first, last) = data.bounds;
        let (from_ms, through_ms) = (from_ms_for_ns(first), through_ms_for_ns(last));
        let metadata = ChunkMetadata::new(tenant, labels, from_ms, through_ms);
        let object = loki_chunk::encode_object(&metadata, data.chunk.bytes())?;
        let path = self.chunk_path(&object.key);
        let size = object.bytes.len() as u64;
        self.inner
            .backend
            .put(&path, Bytes::from(object.bytes))
            .await?;
        Ok(ChunkRef {
            fingerprint: object.key.fingerprint,
            from_ns: first,
            through_ns: last,
            checksum: object.key.checksum,
            size,
            entries: data.entries,
        })
    }

    /// Starts a Tokio task that runs [`Store::tick`] every `flush_check_period` until
    /// [`Store::shutdown`].
    pub fn spawn_background(&self) {
        let store = self.clone();
        let handle = tokio::spawn(async move {
            let interval = store.inner.config.ingester.flush_check_period;
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

    /// Stops taking pushes, stops the background task, flushes every chunk in memory
    /// (Loki's `flush_on_shutdown`), commits the index, removes the WAL segments behind
    /// them, and closes the WAL. Pushes after this fail with [`StoreError::Closed`].
    ///
    /// # Errors
    ///
    /// The first error storing a chunk or committing the index; what was not stored stays
    /// in the WAL and is replayed at the next open.
    pub async fn shutdown(&self) -> Result<(), StoreError> {
        if self.inner.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        // A permit, kept if the task is inside a cycle rather than waiting.
        self.inner.stop.notify_one();
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
        let mut report = TickReport::default();
        let result = self.flush_cycle(true, &mut report).await;
        let closed = self.inner.wal.close().await;
        result.and(closed.map_err(StoreError::from))
    }
}
