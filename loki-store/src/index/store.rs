//! [`BucketIndex`]: the in-memory index made durable as immutable files in the bucket.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use bytes::Bytes;
use loki_chunk::LabelSet;

use super::format::{self, FileStream};
use super::{ChunkRef, Index, IndexError, IndexStats, IndexedStream, Lookup, MemoryIndex};
use crate::bucket::Backend;

/// The folder of the index in the bucket.
pub const INDEX_ROOT: &str = "index";

/// The prefix of a period's folder: `lidx_<days since the epoch>`.
pub const PERIOD_PREFIX: &str = "lidx_";

/// What one [`Index::commit`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CommitReport {
    /// Chunk references made durable.
    pub chunks: usize,
    /// Files written for them.
    pub files_written: usize,
    /// Files written by merging this writer's files of one tenant and period.
    pub files_merged: usize,
    /// Files of this writer removed after a merge.
    pub files_removed: usize,
}

/// What one [`Index::poll`] did.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct PollReport {
    /// Files read.
    pub files_read: usize,
    /// Chunk references they added that the index did not hold.
    pub chunks_added: usize,
    /// Files that could not be read or do not check out, with why; retried by the next
    /// poll.
    pub unreadable: Vec<(String, IndexError)>,
}

/// Where an index file is: tenant, period, writer and sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileName {
    tenant: String,
    period: u32,
    writer: String,
    seq: u64,
}

impl FileName {
    fn path(&self) -> String {
        format!(
            "{INDEX_ROOT}/{PERIOD_PREFIX}{}/{}/{}-{:020}.{}",
            self.period,
            self.tenant,
            self.writer,
            self.seq,
            format::EXTENSION
        )
    }

    /// Parses `index/lidx_<day>/<tenant>/<writer>-<seq>.lidx`; `None` for anything else.
    fn parse(path: &str) -> Option<Self> {
        let mut parts = path.split('/');
        let (root, period, tenant, file) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if root != INDEX_ROOT || parts.next().is_some() {
            return None;
        }
        let period = period.strip_prefix(PERIOD_PREFIX)?.parse().ok()?;
        loki_chunk::storage::validate_tenant(tenant).ok()?;
        let stem = file.strip_suffix(format::EXTENSION)?.strip_suffix('.')?;
        let (writer, seq) = stem.rsplit_once('-')?;
        if writer.is_empty() || seq.len() != 20 || !seq.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(Self {
            tenant: tenant.to_owned(),
            period,
            writer: writer.to_owned(),
            seq: seq.parse().ok()?,
        })
    }
}

#[derive(Debug, Default)]
struct State {
    next_seq: u64,
    /// Files read or written (their contents are in memory).
    seen: HashSet<String>,
    /// This writer's files per (tenant, period).
    own: HashMap<(String, u32), Vec<String>>,
}

/// The label index kept in memory and stored in the bucket (see the [module docs](super)).
#[derive(Debug)]
pub struct BucketIndex {
    memory: MemoryIndex,
    backend: Arc<dyn Backend>,
    writer_id: String,
    compact_after: usize,
    pending: Mutex<Vec<(String, Arc<LabelSet>, ChunkRef)>>,
    /// Commits and polls one at a time.
    state: tokio::sync::Mutex<State>,
}

impl BucketIndex {
    /// An index stored in `backend` by writer `writer_id` (unique among the processes sharing
    /// the bucket), merging its files of a tenant and period once it has `compact_after` of
    /// them. Call [`Index::poll`] to load what is stored.
    pub fn new(
        backend: Arc<dyn Backend>,
        writer_id: impl Into<String>,
        compact_after: usize,
    ) -> Self {
        Self {
            memory: MemoryIndex::new(),
            backend,
            writer_id: writer_id.into(),
            compact_after: compact_after.max(2),
            pending: Mutex::new(Vec::new()),
            state: tokio::sync::Mutex::new(State::default()),
        }
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Vec<(String, Arc<LabelSet>, ChunkRef)>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn write_file(
        &self,
        state: &mut State,
        tenant: &str,
        period: u32,
        streams: &[FileStream],
    ) -> Result<String, IndexError> {
        let name = FileName {
            tenant: tenant.to_owned(),
            period,
            writer: self.writer_id.clone(),
            seq: state.next_seq,
        };
        let path = name.path();
        let bytes = format::encode(tenant, period, streams);
        self.backend
            .put(&path, Bytes::from(bytes))
            .await
            .map_err(|source| IndexError::Bucket {
                path: path.clone(),
                source,
            })?;
        state.next_seq += 1;
        state.seen.insert(path.clone());
        state
            .own
            .entry((tenant.to_owned(), period))
            .or_default()
            .push(path.clone());
        Ok(path)
    }

    /// Merges this writer's files of `tenant` and `period` into one and removes them.
    async fn merge(
        &self,
        state: &mut State,
        tenant: &str,
        period: u32,
        report: &mut CommitReport,
    ) -> Result<(), IndexError> {
        let old = state
            .own
            .get(&(tenant.to_owned(), period))
            .cloned()
            .unwrap_or_default();
        let streams = self.memory.period_streams(tenant, period);
        let merged = self.write_file(state, tenant, period, &streams).await?;
        report.files_merged += 1;
        for path in old {
            self.backend
                .delete(&path)
                .await
                .map_err(|source| IndexError::Bucket {
                    path: path.clone(),
                    source,
                })?;
            state.seen.remove(&path);
            report.files_removed += 1;
        }
        state.own.insert((tenant.to_owned(), period), vec![merged]);
        Ok(())
    }

    async fn read_file(
        &self,
        path: &str,
        name: &FileName,
    ) -> Result<format::IndexFile, IndexError> {
        let bucket = |source| IndexError::Bucket {
            path: path.to_owned(),
            source,
        };
        let info = self.backend.head(path).await.map_err(bucket)?;
        if info.size > format::MAX_FILE_LEN {
            return Err(IndexError::OutOfRange {
                field: "file length",
                offset: 0,
                found: info.size,
                limit: format::MAX_FILE_LEN,
            });
        }
        let bytes = self.backend.get(path).await.map_err(bucket)?;
        let file = format::decode(&bytes)?;
        if file.tenant != name.tenant {
            return Err(IndexError::PathMismatch {
                path: path.to_owned(),
                field: "tenant",
                found: file.tenant,
            });
        }
        if file.period != name.period {
            return Err(IndexError::PathMismatch {
                path: path.to_owned(),
                field: "period",
                found: file.period.to_string(),
            });
        }
        Ok(file)
    }
}

#[async_trait]
impl Index for BucketIndex {
    fn chunks(&self, lookup: Lookup<'_>) -> Vec<IndexedStream> {
        self.memory.chunks(lookup)
    }

    fn series(&self, lookup: Lookup<'_>) -> Vec<Arc<LabelSet>> {
        self.memory.series(lookup)
    }

    fn label_names(&self, lookup: Lookup<'_>) -> Vec<String> {
        self.memory.label_names(lookup)
    }

    fn label_values(&self, lookup: Lookup<'_>, name: &str) -> Vec<String> {
        self.memory.label_values(lookup, name)
    }

    fn add(&self, tenant: &str, labels: &Arc<LabelSet>, chunk: ChunkRef) {
        if self.memory.insert(tenant, labels, chunk) {
            self.pending()
                .push((tenant.to_owned(), Arc::clone(labels), chunk));
        }
    }

    async fn commit(&self) -> Result<CommitReport, IndexError> {
        let mut state = self.state.lock().await;
        let pending = std::mem::take(&mut *self.pending());
        let mut report = CommitReport::default();
        if pending.is_empty() {
            return Ok(report);
        }
        // (tenant, period) -> labels text -> stream
        let mut groups: BTreeMap<(String, u32), BTreeMap<String, FileStream>> = BTreeMap::new();
        for (tenant, labels, chunk) in &pending {
            for period in chunk.periods() {
                groups
                    .entry((tenant.clone(), period))
                    .or_default()
                    .entry(labels.to_string())
                    .or_insert_with(|| FileStream {
                        labels: (**labels).clone(),
                        chunks: Vec::new(),
                    })
                    .chunks
                    .push(*chunk);
            }
        }
        let mut written: HashSet<(String, u32)> = HashSet::new();
        for ((tenant, period), streams) in &groups {
            let streams: Vec<FileStream> = streams.values().cloned().collect();
            if let Err(e) = self.write_file(&mut state, tenant, *period, &streams).await {
                // What was not written is committed by the next call; a reference whose
                // file for one period was written is written again, which is harmless.
                let mut back: Vec<_> = pending
                    .into_iter()
                    .filter(|(t, _, c)| c.periods().any(|p| !written.contains(&(t.clone(), p))))
                    .collect();
                let mut p = self.pending();
                back.append(&mut p);
                *p = back;
                return Err(e);
            }
            written.insert((tenant.clone(), *period));
            report.files_written += 1;
        }
        report.chunks = pending.len();
        for key in groups.keys() {
            let own = state.own.get(key).map_or(0, Vec::len);
            if own >= self.compact_after
                && let Err(e) = self.merge(&mut state, &key.0, key.1, &mut report).await
            {
                // Everything is durable already; the merge is retried after the next
                // commit to this tenant and period.
                tracing::warn!(tenant = %key.0, period = key.1, error = %e, "index files not merged");
            }
        }
        Ok(report)
    }

    async fn poll(&self) -> Result<PollReport, IndexError> {
        let mut state = self.state.lock().await;
        let listed = self
            .backend
            .list(INDEX_ROOT)
            .await
            .map_err(|source| IndexError::Bucket {
                path: INDEX_ROOT.to_owned(),
                source,
            })?;
        let mut report = PollReport::default();
        let present: HashSet<&String> = listed.iter().collect();
        state.seen.retain(|p| present.contains(p));
        for path in &listed {
            let Some(name) = FileName::parse(path) else {
                continue;
            };
            if name.writer == self.writer_id {
                state.next_seq = state.next_seq.max(name.seq + 1);
                let own = state
                    .own
                    .entry((name.tenant.clone(), name.period))
                    .or_default();
                if !own.contains(path) {
                    own.push(path.clone());
                }
            }
            if state.seen.contains(path) {
                continue;
            }
            match self.read_file(path, &name).await {
                Ok(file) => {
                    for s in file.streams {
                        let labels = Arc::new(s.labels);
                        for c in s.chunks {
                            if self.memory.insert(&file.tenant, &labels, c) {
                                report.chunks_added += 1;
                            }
                        }
                    }
                    report.files_read += 1;
                    state.seen.insert(path.clone());
                }
                // Removed by its writer's merge since the listing: its contents are in the
                // merged file.
                Err(IndexError::Bucket { source, .. }) if source.is_not_found() => {}
                Err(e) => {
                    tracing::error!(path = %path, error = %e, "index file unreadable; retried at the next poll");
                    report.unreadable.push((path.clone(), e));
                }
            }
        }
        for own in state.own.values_mut() {
            own.retain(|p| present.contains(p));
        }
        Ok(report)
    }

    fn stats(&self) -> IndexStats {
        IndexStats {
            pending: self.pending().len(),
            ..self.memory.counts()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bucket::ObjectStoreBackend;
    use crate::matcher::Matcher;

    fn chunk(l: &LabelSet, from_ms: i64) -> ChunkRef {
        ChunkRef {
            fingerprint: l.fingerprint(),
            from_ns: from_ms * 1_000_000,
            through_ns: (from_ms + 10) * 1_000_000,
            checksum: u32::try_from(from_ms % 100_000).unwrap_or(0),
            size: 100,
            entries: 2,
        }
    }

    #[test]
    fn file_names() {
        let n = FileName {
            tenant: "fake".into(),
            period: 19_792,
            writer: "ingester-1".into(),
            seq: 7,
        };
        let p = n.path();
        assert_eq!(
            p,
            "index/lidx_19792/fake/ingester-1-00000000000000000007.lidx"
        );
        assert_eq!(FileName::parse(&p), Some(n));
        for bad in [
            "index/index_19792/fake/a-00000000000000000007.lidx",
            "index/lidx_19792/fake/a-7.lidx",
            "index/lidx_19792/../a-00000000000000000007.lidx",
            "index/lidx_19792/fake/a-00000000000000000007.tsdb",
            "other/lidx_1/fake/a-00000000000000000007.lidx",
        ] {
            assert_eq!(FileName::parse(bad), None, "{bad}");
        }
    }

    #[tokio::test]
    async fn commits_are_found_by_another_writer_and_merged() {
        let backend: Arc<dyn Backend> = Arc::new(ObjectStoreBackend::memory());
        let a = BucketIndex::new(Arc::clone(&backend), "a", 3);
        let labels = Arc::new(LabelSet::parse(r#"{app="api"}"#).expect("labels"));
        let day = super::super::PERIOD_MS;
        for i in 0..5 {
            a.add("fake", &labels, chunk(&labels, 10 * day + i * 1000));
            let r = a.commit().await.expect("commit");
            assert_eq!(r.chunks, 1);
        }
        // A chunk across midnight is in both days' files.
        a.add("fake", &labels, chunk(&labels, 11 * day - 5));
        a.commit().await.expect("commit");
        let listed = backend.list(INDEX_ROOT).await.expect("list");
        assert!(listed.len() <= 4, "{listed:?}");
        assert!(listed.iter().any(|p| p.contains("lidx_11/")), "{listed:?}");

        let b = BucketIndex::new(Arc::clone(&backend), "b", 3);
        let r = b.poll().await.expect("poll");
        assert!(r.unreadable.is_empty());
        assert_eq!(r.chunks_added, 6);
        let m = [Matcher::equal("app", "api")];
        let found = b.chunks(Lookup {
            tenant: "fake",
            matchers: &m,
            start_ns: 0,
            end_ns: i64::MAX,
        });
        assert_eq!(found[0].chunks.len(), 6);
        // A restarted writer continues its sequence.
        let a2 = BucketIndex::new(Arc::clone(&backend), "a", 3);
        a2.poll().await.expect("poll");
        a2.add("fake", &labels, chunk(&labels, 12 * day));
        a2.commit().await.expect("commit");
        assert_eq!(b.poll().await.expect("poll").chunks_added, 1);
    }

    #[tokio::test]
    async fn damaged_files_are_reported_not_loaded() {
        let backend: Arc<dyn Backend> = Arc::new(ObjectStoreBackend::memory());
        backend
            .put(
                "index/lidx_1/fake/x-00000000000000000001.lidx",
                Bytes::from_static(b"LIDXnot really"),
            )
            .await
            .expect("put");
        let idx = BucketIndex::new(backend, "a", 8);
        let r = idx.poll().await.expect("poll");
        assert_eq!(r.unreadable.len(), 1);
        assert_eq!(r.files_read, 0);
    }
}
