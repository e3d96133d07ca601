//! Label names, label values and series over a time range: the index for flushed chunks,
//! the streams in memory for the rest.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use loki_chunk::LabelSet;

use super::Store;
use super::stream::lock;
use crate::index::Lookup;
use crate::matcher::{Matcher, matches_all};

impl Store {
    /// The streams of `tenant` matching every matcher with entries in `[start, end)` (ns),
    /// sorted by labels: flushed ones from the index, and those still in memory.
    pub fn series(
        &self,
        tenant: &str,
        matchers: &[Matcher],
        start: i64,
        end: i64,
    ) -> Vec<Arc<LabelSet>> {
        let mut out: BTreeMap<String, Arc<LabelSet>> = BTreeMap::new();
        for labels in self.memory_series(tenant, matchers, start, end) {
            out.entry(labels.to_string()).or_insert(labels);
        }
        let lookup = Lookup {
            tenant,
            matchers,
            start_ns: start,
            end_ns: end,
        };
        if start < end {
            for labels in self.inner.index.series(lookup) {
                out.entry(labels.to_string()).or_insert(labels);
            }
        }
        out.into_values().collect()
    }

    /// The label names of `tenant`'s streams matching every matcher (none: every stream)
    /// with entries in `[start, end)` (ns), sorted.
    pub fn label_names(
        &self,
        tenant: &str,
        matchers: &[Matcher],
        start: i64,
        end: i64,
    ) -> Vec<String> {
        let mut names: BTreeSet<String> = BTreeSet::new();
        for labels in self.memory_series(tenant, matchers, start, end) {
            names.extend(labels.iter().map(|(n, _)| n.to_owned()));
        }
        if start < end {
            names.extend(self.inner.index.label_names(Lookup {
                tenant,
                matchers,
                start_ns: start,
                end_ns: end,
            }));
        }
        names.into_iter().collect()
    }

    /// The values of label `name` of `tenant`'s streams matching every matcher with entries
    /// in `[start, end)` (ns), sorted.
    pub fn label_values(
        &self,
        tenant: &str,
        name: &str,
        matchers: &[Matcher],
        start: i64,
        end: i64,
    ) -> Vec<String> {
        let mut values: BTreeSet<String> = BTreeSet::new();
        for labels in self.memory_series(tenant, matchers, start, end) {
            if let Some(v) = labels.get(name) {
                values.insert(v.to_owned());
            }
        }
        if start < end {
            values.extend(self.inner.index.label_values(
                Lookup {
                    tenant,
                    matchers,
                    start_ns: start,
                    end_ns: end,
                },
                name,
            ));
        }
        values.into_iter().collect()
    }

    fn memory_series(
        &self,
        tenant: &str,
        matchers: &[Matcher],
        start: i64,
        end: i64,
    ) -> Vec<Arc<LabelSet>> {
        let Some(t) = self.tenant(tenant) else {
            return Vec::new();
        };
        t.all()
            .iter()
            .filter_map(|s| {
                let st = lock(s);
                let (lo, hi) = st.bounds()?;
                (lo < end && hi >= start && matches_all(matchers, &st.labels))
                    .then(|| Arc::clone(&st.labels))
            })
            .collect()
    }
}
