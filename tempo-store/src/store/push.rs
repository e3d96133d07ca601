//! Pushes: validation, limits, the WAL append, and making traces live.

use super::{
    Bytes, Duration, Ordering, PushError, PushReceipt, ResourceSpans, Store, StoreError, Tenant,
    ingest, wal,
};

impl Store {
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
        // Announced before the encoding work, so a sync starting meanwhile waits for it.
        let intent = self.inner.wal.intend();
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
        let limit = u64::from(wal::format::MAX_RECORD_LEN) - (2 + tenant.len()) as u64;
        if bytes as u64 > limit {
            return Err(PushError::BatchTooLarge {
                bytes: bytes as u64,
                limit,
            });
        }
        let limits = self.inner.config.overrides.for_tenant(tenant).clone();
        let now = self.inner.clock.now();
        {
            let mut all = self.tenants();
            // A tenant's state is created only for a batch it accepts.
            let mut fresh = None;
            let t = match all.get_mut(tenant) {
                Some(t) => t,
                None => fresh.insert(Tenant::new(limits.ingestion_burst_size_bytes, now)),
            };
            check_limits(tenant, t, &limits, &placed, bytes, now)?;
            if let Some(t) = fresh {
                all.insert(tenant.to_owned(), t);
            }
        }
        let record = Bytes::from(record);
        let _gate = self.inner.gate.read().await;
        let segment = self.inner.wal.append(record.clone(), intent).await?;
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
}

/// Checks `placed` (a batch of `bytes`) against `tenant`'s limits and takes its bytes from
/// the rate limiter. The checks and the insert after the WAL append are two steps, so
/// concurrent pushes can together pass a limit by what is in flight at once (a few
/// requests' worth), as in Tempo.
fn check_limits(
    tenant: &str,
    t: &mut Tenant,
    limits: &crate::config::Limits,
    placed: &[ingest::EncodedPart],
    bytes: usize,
    now: Duration,
) -> Result<(), PushError> {
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
        for p in placed {
            // Everything held of the trace: live, cut to the head, being completed.
            let have = t.trace_bytes(&p.id);
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
    Ok(())
}
