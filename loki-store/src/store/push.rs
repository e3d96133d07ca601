//! Pushes: Loki's distributor and ingester checks, the rate limit, the WAL append, and the
//! head chunks.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use loki_chunk::{Appended, LabelSet};

use super::stream::{SharedStream, Tenant, lock};
use super::{Ordering, PoisonError, Store, writer_options};
use crate::config::Limits;
use crate::error::{PushError, StoreError};
use crate::ingest::{
    self, LabelProblem, PushEntry, PushReport, PushStream, Reason, Rejection, messages,
};
use crate::wal;

/// A stream of the push that passed the distributor's checks.
struct Staged {
    index: usize,
    labels: LabelSet,
    text: String,
    entries: Vec<(usize, PushEntry)>,
}

/// A stream's entries that passed every check, ready for the WAL.
struct Accepted {
    stream: SharedStream,
    labels: Arc<LabelSet>,
    entries: Vec<PushEntry>,
}

fn whole_stream(
    index: usize,
    stream: String,
    entries: usize,
    bytes: usize,
    reason: Reason,
    message: String,
) -> Rejection {
    Rejection {
        stream_index: index,
        stream,
        entry: None,
        ts: None,
        entries,
        bytes,
        reason,
        message,
    }
}

fn one_entry(
    index: usize,
    stream: &str,
    i: usize,
    e: &PushEntry,
    reason: Reason,
    message: String,
) -> Rejection {
    Rejection {
        stream_index: index,
        stream: stream.to_owned(),
        entry: Some(i),
        ts: Some(e.ts),
        entries: 1,
        bytes: e.total_size(),
        reason,
        message,
    }
}

impl Store {
    /// Stores the entries of `streams` for `tenant` that pass Loki's checks, and reports the
    /// ones that do not (see [`PushReport`]): labels (parsed, empty values dropped,
    /// `service_name` added, counted and measured), entry age and size, structured metadata,
    /// the tenant's ingestion rate and burst, its active-stream limit, exact duplicates of a
    /// stream's last entry (dropped silently, as Loki does), and the out-of-order window
    /// (`max_chunk_age / 2` behind the stream's newest entry).
    ///
    /// `Ok` is the acknowledgement: the stored entries are in the WAL, synced, and queryable.
    /// Once its checks are done, a push completes even if its caller drops the future (the
    /// WAL append and the head chunks run in a task of their own).
    ///
    /// # Errors
    ///
    /// A [`PushError`] when the whole push is refused (nothing of it is stored): an invalid
    /// tenant ID, no streams, labels that do not parse, the rate limit, a push too large for
    /// one WAL record, or a failing WAL.
    pub async fn push(
        &self,
        tenant: &str,
        streams: Vec<PushStream>,
    ) -> Result<PushReport, PushError> {
        loki_chunk::storage::validate_tenant(tenant).map_err(|e| PushError::InvalidTenant {
            tenant: tenant.to_owned(),
            reason: match e {
                loki_chunk::ChunkError::InvalidKey { reason, .. } => reason.to_owned(),
                other => other.to_string(),
            },
        })?;
        if self.inner.closed.load(Ordering::Acquire) {
            return Err(StoreError::Closed.into());
        }
        if streams.is_empty() {
            return Err(PushError::NoStreams);
        }
        // Announced before the checking and encoding, so a sync starting meanwhile waits.
        let intent = self.inner.wal.intend();
        let gate = Arc::clone(&self.inner.gate).read_owned().await;
        let limits = self.inner.config.overrides.for_tenant(tenant);
        let now = self.inner.clock.now();
        let mut report = PushReport {
            tenant: tenant.to_owned(),
            ingester_totals: vec![0; streams.len()],
            ..PushReport::default()
        };
        let staged = distributor(streams, limits, self.inner.clock.now_ns(), &mut report)?;
        if staged.is_empty() {
            return Ok(report);
        }
        let t = self.admit(tenant, &staged, limits, now)?;
        let accepted = self.ingester(tenant, &t, staged, limits, &mut report);
        if accepted.is_empty() {
            return Ok(report);
        }

        // The WAL: one record, synced before the acknowledgement.
        let mut record = Vec::new();
        let start = wal::format::begin_entries_record(&mut record, tenant, accepted.len());
        for a in &accepted {
            wal::format::encode_stream(&mut record, &a.labels, a.entries.iter());
        }
        wal::format::finish_record(&mut record, start);
        let payload = (record.len() - wal::format::FRAME_LEN) as u64;
        if payload > u64::from(wal::format::MAX_RECORD_LEN) {
            return Err(PushError::TooLarge {
                bytes: payload,
                limit: u64::from(wal::format::MAX_RECORD_LEN),
            });
        }
        // The append and the head chunks in a task of their own: a caller that goes away
        // (a client disconnecting) cannot leave a record in the WAL whose entries are not
        // in memory, where nothing would keep its segment.
        let store = self.clone();
        let done = tokio::spawn(async move {
            let _gate = gate;
            let segment = store.inner.wal.append(Bytes::from(record), intent).await?;
            store.apply(accepted, segment, &mut report);
            Ok::<_, PushError>(report)
        });
        done.await
            .map_err(|e| PushError::Store(StoreError::Task(e.to_string())))?
    }

    /// The tenant's rate limit: refuses the whole push, and then takes nothing.
    fn admit(
        &self,
        tenant: &str,
        staged: &[Staged],
        limits: &Limits,
        now: Duration,
    ) -> Result<Arc<Tenant>, PushError> {
        let lines: usize = staged.iter().map(|s| s.entries.len()).sum();
        let bytes: usize = staged
            .iter()
            .flat_map(|s| &s.entries)
            .map(|(_, e)| e.total_size())
            .sum();
        let t = self.tenant_or_create(tenant, limits.ingestion_burst_bytes(), now);
        let admitted = t
            .bucket
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .try_take(
                bytes as u64,
                limits.ingestion_rate_bytes(),
                limits.ingestion_burst_bytes(),
                now,
            );
        if admitted {
            Ok(t)
        } else {
            Err(PushError::RateLimited {
                tenant: tenant.to_owned(),
                limit: limits.ingestion_rate_bytes(),
                lines,
                bytes,
            })
        }
    }

    /// Loki's ingester checks: the stream limit, duplicates of the stream's last entry, and
    /// the out-of-order window. The entries that pass are noted in their streams (so the
    /// next entries are checked against them) and returned for the WAL.
    fn ingester(
        &self,
        tenant: &str,
        t: &Tenant,
        staged: Vec<Staged>,
        limits: &Limits,
        report: &mut PushReport,
    ) -> Vec<Accepted> {
        let window = i64::try_from(self.inner.config.ingester.max_chunk_age.as_nanos() / 2)
            .unwrap_or(i64::MAX);
        let mut accepted = Vec::with_capacity(staged.len());
        for s in staged {
            if let Some(total) = report.ingester_totals.get_mut(s.index) {
                *total = s.entries.len();
            }
            let Ok(stream) = t.get_or_create(&s.text, &s.labels, limits.stream_limit()) else {
                let bytes = s.entries.iter().map(|(_, e)| e.total_size()).sum();
                let message = messages::stream_limit(&s.text, tenant);
                report.rejected.push(whole_stream(
                    s.index,
                    s.text,
                    s.entries.len(),
                    bytes,
                    Reason::StreamLimit,
                    message,
                ));
                continue;
            };
            let mut entries: Vec<PushEntry> = Vec::with_capacity(s.entries.len());
            let mut st = lock(&stream);
            for (i, e) in s.entries {
                // The last entry taken: of this push if any, else the stream's.
                let duplicate = match entries.last() {
                    Some(l) => {
                        l.ts == e.ts
                            && l.line == e.line
                            && l.structured_metadata == e.structured_metadata
                    }
                    None => st.last_line.as_ref().is_some_and(|l| {
                        l.ts == e.ts && l.line == e.line && l.metadata == e.structured_metadata
                    }),
                };
                if duplicate {
                    report.duplicates += 1;
                    continue;
                }
                if let Some(highest) = st.highest_ts {
                    let cutoff = highest.saturating_sub(window);
                    if e.ts < cutoff {
                        let message = messages::too_far_behind(e.ts, cutoff);
                        report.rejected.push(one_entry(
                            s.index,
                            &s.text,
                            i,
                            &e,
                            Reason::TooFarBehind,
                            message,
                        ));
                        continue;
                    }
                }
                st.highest_ts = Some(st.highest_ts.map_or(e.ts, |h| h.max(e.ts)));
                entries.push(e);
            }
            if let Some(last) = entries.last() {
                st.note(last.ts, &last.line, &last.structured_metadata);
            }
            let labels = Arc::clone(&st.labels);
            drop(st);
            if !entries.is_empty() {
                accepted.push(Accepted {
                    stream,
                    labels,
                    entries,
                });
            }
        }
        accepted
    }

    /// Appends acknowledged entries to their streams' head chunks.
    fn apply(&self, accepted: Vec<Accepted>, segment: u64, report: &mut PushReport) {
        let now = self.inner.clock.now();
        let opts = writer_options(&self.inner.config);
        for a in accepted {
            let mut st = lock(&a.stream);
            for e in &a.entries {
                let metadata: Vec<(&str, &str)> = e
                    .structured_metadata
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.as_str()))
                    .collect();
                match st.append((e.ts, &e.line, &metadata), segment, now, opts) {
                    Ok(Appended::Duplicate) => report.duplicates += 1,
                    Ok(Appended::Stored) => {
                        report.accepted += 1;
                        report.accepted_bytes += e.total_size();
                    }
                    Err(err) => {
                        // The entry is in the WAL: the next open restores it.
                        tracing::error!(tenant = %report.tenant, error = %err,
                            "entry not added to its head chunk");
                        report.accepted += 1;
                        report.accepted_bytes += e.total_size();
                    }
                }
            }
        }
    }

    fn tenant_or_create(&self, name: &str, burst: u64, now: Duration) -> Arc<Tenant> {
        if let Some(t) = self.tenant(name) {
            return t;
        }
        let mut all = self
            .inner
            .tenants
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        Arc::clone(
            all.entry(name.to_owned())
                .or_insert_with(|| Arc::new(Tenant::new(burst, now))),
        )
    }
}

/// Loki's distributor checks: each stream's labels, then each of its entries. Refusals go
/// to `report`; labels that do not parse refuse the whole push.
fn distributor(
    streams: Vec<PushStream>,
    limits: &Limits,
    now_ns: i64,
    report: &mut PushReport,
) -> Result<Vec<Staged>, PushError> {
    let mut staged = Vec::with_capacity(streams.len());
    for (index, s) in streams.into_iter().enumerate() {
        if s.entries.is_empty() {
            continue;
        }
        let labels = match ingest::prepare_labels(&s.labels, limits) {
            Ok(l) => l,
            Err(LabelProblem::Unparsable(source)) => {
                return Err(PushError::InvalidLabels {
                    labels: s.labels,
                    source,
                });
            }
            Err(LabelProblem::Refused { reason, message }) => {
                let bytes = s.entries.iter().map(PushEntry::total_size).sum();
                report.rejected.push(whole_stream(
                    index,
                    s.labels,
                    s.entries.len(),
                    bytes,
                    reason,
                    message,
                ));
                continue;
            }
        };
        let mut kept = Vec::with_capacity(s.entries.len());
        for (i, mut e) in s.entries.into_iter().enumerate() {
            match ingest::check_entry(limits, now_ns, &labels.text, &e) {
                Ok(()) => {
                    ingest::normalize_metadata(&mut e.structured_metadata);
                    kept.push((i, e));
                }
                Err((reason, message)) => {
                    report
                        .rejected
                        .push(one_entry(index, &labels.text, i, &e, reason, message));
                }
            }
        }
        if !kept.is_empty() {
            staged.push(Staged {
                index,
                labels: labels.labels,
                text: labels.text,
                entries: kept,
            });
        }
    }
    Ok(staged)
}
