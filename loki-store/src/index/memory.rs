//! The in-memory index: per tenant, streams by ordinal, postings from label name and value to
//! stream ordinals, and each stream's chunk references sorted by time.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, PoisonError, RwLock};

use async_trait::async_trait;
use loki_chunk::LabelSet;

use super::{
    ChunkRef, CommitReport, Index, IndexError, IndexStats, IndexedStream, Lookup, PollReport,
};
use crate::matcher::{Matcher, matches_all};

#[derive(Debug)]
struct StreamEntry {
    labels: Arc<LabelSet>,
    /// Sorted by `(from_ns, through_ns, checksum)`.
    chunks: Vec<ChunkRef>,
}

#[derive(Debug, Default)]
struct TenantIndex {
    streams: Vec<StreamEntry>,
    by_labels: HashMap<Arc<LabelSet>, u32>,
    /// name → value → stream ordinals, ascending.
    postings: BTreeMap<String, BTreeMap<String, Vec<u32>>>,
    /// [`ChunkRef::identity`] of every chunk held.
    keys: HashSet<(u64, i64, i64, u32)>,
    chunk_count: usize,
}

impl TenantIndex {
    fn insert(&mut self, labels: &Arc<LabelSet>, chunk: ChunkRef) -> bool {
        if !self.keys.insert(chunk.identity()) {
            return false;
        }
        let ordinal = if let Some(&o) = self.by_labels.get(labels) {
            o
        } else {
            let o = u32::try_from(self.streams.len()).unwrap_or(u32::MAX);
            self.streams.push(StreamEntry {
                labels: Arc::clone(labels),
                chunks: Vec::new(),
            });
            self.by_labels.insert(Arc::clone(labels), o);
            for (n, v) in labels.iter() {
                self.postings
                    .entry(n.to_owned())
                    .or_default()
                    .entry(v.to_owned())
                    .or_default()
                    .push(o);
            }
            o
        };
        if let Some(s) = self.streams.get_mut(ordinal as usize) {
            let sort_key = |c: &ChunkRef| (c.from_ns, c.through_ns, c.checksum);
            let at = s.chunks.partition_point(|c| sort_key(c) < sort_key(&chunk));
            s.chunks.insert(at, chunk);
        }
        self.chunk_count += 1;
        true
    }

    /// Ordinals of the streams that may match: the intersection of the postings of every
    /// matcher that refuses the empty value (a stream must carry such a label); `None` when
    /// every matcher accepts the empty value (any stream may match).
    fn candidates(&self, matchers: &[Matcher]) -> Option<Vec<u32>> {
        let mut out: Option<Vec<u32>> = None;
        for m in matchers.iter().filter(|m| !m.matches_empty()) {
            let mut set: Vec<u32> = match self.postings.get(m.name()) {
                None => Vec::new(),
                Some(values) => {
                    if m.op() == crate::matcher::MatchOp::Equal {
                        values.get(m.value()).cloned().unwrap_or_default()
                    } else {
                        let mut v: Vec<u32> = values
                            .iter()
                            .filter(|(value, _)| m.matches(value))
                            .flat_map(|(_, o)| o.iter().copied())
                            .collect();
                        v.sort_unstable();
                        v
                    }
                }
            };
            if let Some(prev) = out {
                set.retain(|o| prev.binary_search(o).is_ok());
            }
            if set.is_empty() {
                return Some(Vec::new());
            }
            out = Some(set);
        }
        out
    }

    fn matching<'a>(&'a self, lookup: &Lookup<'_>) -> Vec<&'a StreamEntry> {
        let all = || 0..u32::try_from(self.streams.len()).unwrap_or(u32::MAX);
        let ordinals: Vec<u32> = self
            .candidates(lookup.matchers)
            .unwrap_or_else(|| all().collect());
        ordinals
            .into_iter()
            .filter_map(|o| self.streams.get(o as usize))
            .filter(|s| matches_all(lookup.matchers, &s.labels))
            .filter(|s| {
                s.chunks
                    .iter()
                    .any(|c| c.overlaps(lookup.start_ns, lookup.end_ns))
            })
            .collect()
    }
}

/// Chunk references of every tenant, in memory only. [`super::BucketIndex`] keeps one and
/// makes it durable; on its own it is an [`Index`] whose commit and poll do nothing (for
/// tests and for embedding without a bucket index).
#[derive(Debug, Default)]
pub struct MemoryIndex {
    tenants: RwLock<HashMap<String, TenantIndex>>,
}

impl MemoryIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a chunk; `false` when it was already held.
    pub fn insert(&self, tenant: &str, labels: &Arc<LabelSet>, chunk: ChunkRef) -> bool {
        let mut tenants = self.tenants.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(t) = tenants.get_mut(tenant) {
            t.insert(labels, chunk)
        } else {
            let mut t = TenantIndex::default();
            let added = t.insert(labels, chunk);
            tenants.insert(tenant.to_owned(), t);
            added
        }
    }

    /// Every stream of `tenant` with a chunk touching `period`, with those chunks.
    pub fn period_streams(&self, tenant: &str, period: u32) -> Vec<super::format::FileStream> {
        let tenants = self.tenants.read().unwrap_or_else(PoisonError::into_inner);
        let Some(t) = tenants.get(tenant) else {
            return Vec::new();
        };
        t.streams
            .iter()
            .filter_map(|s| {
                let chunks: Vec<ChunkRef> = s
                    .chunks
                    .iter()
                    .filter(|c| c.periods().contains(&period))
                    .copied()
                    .collect();
                (!chunks.is_empty()).then(|| super::format::FileStream {
                    labels: (*s.labels).clone(),
                    chunks,
                })
            })
            .collect()
    }

    fn with_tenant<T>(&self, tenant: &str, f: impl FnOnce(&TenantIndex) -> T) -> Option<T> {
        let tenants = self.tenants.read().unwrap_or_else(PoisonError::into_inner);
        tenants.get(tenant).map(f)
    }

    /// Counts.
    pub fn counts(&self) -> IndexStats {
        let tenants = self.tenants.read().unwrap_or_else(PoisonError::into_inner);
        IndexStats {
            tenants: tenants.len(),
            streams: tenants.values().map(|t| t.streams.len()).sum(),
            chunks: tenants.values().map(|t| t.chunk_count).sum(),
            pending: 0,
        }
    }
}

#[async_trait]
impl Index for MemoryIndex {
    fn chunks(&self, lookup: Lookup<'_>) -> Vec<IndexedStream> {
        self.with_tenant(lookup.tenant, |t| {
            t.matching(&lookup)
                .into_iter()
                .map(|s| IndexedStream {
                    labels: Arc::clone(&s.labels),
                    chunks: s
                        .chunks
                        .iter()
                        .filter(|c| c.overlaps(lookup.start_ns, lookup.end_ns))
                        .copied()
                        .collect(),
                })
                .collect()
        })
        .unwrap_or_default()
    }

    fn series(&self, lookup: Lookup<'_>) -> Vec<Arc<LabelSet>> {
        self.with_tenant(lookup.tenant, |t| {
            t.matching(&lookup)
                .into_iter()
                .map(|s| Arc::clone(&s.labels))
                .collect()
        })
        .unwrap_or_default()
    }

    fn label_names(&self, lookup: Lookup<'_>) -> Vec<String> {
        self.with_tenant(lookup.tenant, |t| {
            let mut names = BTreeSet::new();
            for s in t.matching(&lookup) {
                for (n, _) in s.labels.iter() {
                    if !names.contains(n) {
                        names.insert(n.to_owned());
                    }
                }
            }
            names.into_iter().collect()
        })
        .unwrap_or_default()
    }

    fn label_values(&self, lookup: Lookup<'_>, name: &str) -> Vec<String> {
        self.with_tenant(lookup.tenant, |t| {
            let mut values = BTreeSet::new();
            for s in t.matching(&lookup) {
                if let Some(v) = s.labels.get(name)
                    && !values.contains(v)
                {
                    values.insert(v.to_owned());
                }
            }
            values.into_iter().collect()
        })
        .unwrap_or_default()
    }

    fn add(&self, tenant: &str, labels: &Arc<LabelSet>, chunk: ChunkRef) {
        self.insert(tenant, labels, chunk);
    }

    async fn commit(&self) -> Result<CommitReport, IndexError> {
        Ok(CommitReport::default())
    }

    async fn poll(&self) -> Result<PollReport, IndexError> {
        Ok(PollReport::default())
    }

    fn stats(&self) -> IndexStats {
        self.counts()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(s: &str) -> Arc<LabelSet> {
        Arc::new(LabelSet::parse(s).expect("labels"))
    }

    fn chunk(l: &LabelSet, from_ms: i64, through_ms: i64) -> ChunkRef {
        ChunkRef {
            fingerprint: l.fingerprint(),
            from_ns: from_ms * 1_000_000,
            through_ns: through_ms * 1_000_000,
            checksum: u32::try_from(from_ms % 1000).unwrap_or(0),
            size: 10,
            entries: 1,
        }
    }

    fn lookup(matchers: &[Matcher], start_ms: i64, end_ms: i64) -> Lookup<'_> {
        Lookup {
            tenant: "t",
            matchers,
            start_ns: start_ms * 1_000_000,
            end_ns: end_ms * 1_000_000,
        }
    }

    #[test]
    fn matchers_postings_and_time_ranges() {
        let idx = MemoryIndex::new();
        let api = labels(r#"{app="api", env="prod"}"#);
        let web = labels(r#"{app="web", env="dev"}"#);
        let db = labels(r#"{app="db"}"#);
        assert!(idx.insert("t", &api, chunk(&api, 1000, 2000)));
        assert!(!idx.insert("t", &api, chunk(&api, 1000, 2000)));
        idx.insert("t", &api, chunk(&api, 5000, 6000));
        idx.insert("t", &web, chunk(&web, 1500, 2500));
        idx.insert("t", &db, chunk(&db, 9000, 9500));
        idx.insert("other", &db, chunk(&db, 1000, 9500));

        let all = [Matcher::regex("app", ".+").expect("re")];
        let names = |m: &[Matcher], a, b| -> Vec<String> {
            idx.series(lookup(m, a, b))
                .iter()
                .map(|l| l.get("app").unwrap_or_default().to_owned())
                .collect()
        };
        assert_eq!(names(&all, 0, 10_000), ["api", "web", "db"]);
        assert_eq!(names(&all, 2001, 4000), ["web"]);
        // Through is inclusive of its millisecond.
        assert_eq!(names(&all, 2500, 2501), ["web"]);
        assert_eq!(
            names(&[Matcher::not_equal("env", "prod")], 0, 10_000),
            ["web", "db"]
        );
        assert_eq!(names(&[Matcher::equal("env", "")], 0, 10_000), ["db"]);
        assert_eq!(
            names(&[Matcher::regex("env", "prod|dev").expect("re")], 0, 10_000),
            ["api", "web"]
        );
        assert_eq!(
            names(
                &[
                    Matcher::regex("app", "a.*|w.*").expect("re"),
                    Matcher::equal("env", "dev")
                ],
                0,
                10_000
            ),
            ["web"]
        );
        let chunks = idx.chunks(lookup(&[Matcher::equal("app", "api")], 0, 10_000));
        assert_eq!(chunks[0].chunks.len(), 2);
        assert_eq!(idx.label_names(lookup(&[], 0, 10_000)), ["app", "env"]);
        assert_eq!(
            idx.label_values(lookup(&[], 0, 3000), "app"),
            ["api", "web"]
        );
        assert_eq!(idx.counts().chunks, 5);
        assert_eq!(idx.period_streams("t", 0).len(), 3);
    }
}
