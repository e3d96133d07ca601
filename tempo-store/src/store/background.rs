//! The background cycle (cut, complete, remove WAL segments, poll) and shutdown.

use super::{
    Arc, AtomicBool, Block, BlockReader, Completing, Cow, Ordering, PoisonError, Store, StoreError,
    Tenant, TickReport, TraceId, Uuid, decode_part,
};

impl Store {
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
        // A completion that fails (the backend down) must not stop the blocklist refresh.
        let completed = self.cut_and_complete(false).await;
        self.evict_idle_tenants();
        let mut report = TickReport::default();
        let now = self.inner.clock.now();
        let due = {
            let last = self
                .inner
                .last_poll
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            last.is_none_or(|l| now.saturating_sub(l) >= self.inner.config.blocklist_poll)
        };
        let polled = if due {
            report.polled = true;
            self.poll_now().await
        } else {
            Ok(())
        };
        let done = completed?;
        polled?;
        Ok(TickReport {
            polled: report.polled,
            ..done
        })
    }

    /// Forgets tenants with nothing in memory whose rate-limit bucket has had time to refill,
    /// so that tenant IDs seen once do not keep state for ever.
    fn evict_idle_tenants(&self) {
        let now = self.inner.clock.now();
        let overrides = &self.inner.config.overrides;
        self.tenants().retain(|name, t| {
            let limits = overrides.for_tenant(name);
            !t.is_empty()
                || !t.bucket.is_full(
                    limits.ingestion_rate_limit_bytes,
                    limits.ingestion_burst_size_bytes,
                    now,
                )
        });
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
        Ok(self.inner.wal.remove_before(min).await?)
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
        // Not while a cycle completes a block: the poll's result would replace the list the
        // completion just added its block to.
        let _cycle = self.inner.cycle.lock().await;
        self.poll_now().await
    }

    async fn poll_now(&self) -> Result<(), StoreError> {
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
        let result = self.cut_and_complete(true).await;
        let closed = self.inner.wal.close().await;
        result.and(closed.map_err(StoreError::from))
    }
}
