//! Execution of log queries over a [`loki_store::Store`]: the bridge from a planned query to
//! the store's read API, and from the store's entries to Loki's result streams: matchers handed to [`Store::select`] (with the line
//! filter pushed into chunk decoding), one selection per tenant of a multi-tenant query
//! merged by time, and entries grouped into streams as Loki's engine groups them.
//!
//! Multi-tenant queries behave as Loki's: every stream gets a `__tenant_id__` label (a
//! stream's own label of that name is kept as `original___tenant_id__`), and matchers on
//! `__tenant_id__` pick the tenants instead of filtering streams.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use loki_chunk::LabelSet;
use loki_store::{Direction, LogEntry, MatchOp, Matcher, SelectStats, Store, StoreError};

/// The label naming a stream's tenant in a multi-tenant query.
pub const TENANT_LABEL: &str = "__tenant_id__";
/// The prefix a stream's own `__tenant_id__` label gets in a multi-tenant query.
const RETAINED_PREFIX: &str = "original_";
/// The suffix a structured-metadata name gets when a stream label has the same name.
const DUPLICATE_SUFFIX: &str = "_extracted";

/// One entry of a query's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The stream's labels (with `__tenant_id__` in a multi-tenant query).
    pub labels: Arc<LabelSet>,
    /// Timestamp, ns.
    pub ts: i64,
    /// The line.
    pub line: Vec<u8>,
    /// Structured metadata, sorted by name.
    pub metadata: Vec<(String, String)>,
}

/// What a query returned and read.
#[derive(Debug, Clone, Default)]
pub struct Selected {
    /// The entries, in the query's direction, at most its limit.
    pub entries: Vec<Entry>,
    /// The store's statistics, summed over tenants.
    pub stats: SelectStats,
}

/// A compiled log query: store matchers, tenant matchers, the line filter.
#[derive(Debug, Clone)]
pub struct LogQuery {
    matchers: Vec<Matcher>,
    tenant_matchers: Vec<crate::Matcher>,
    line_filter: Option<crate::LineFilter>,
}

/// Matchers a store can use: logql's split into those on `__tenant_id__` (when `multi`) and
/// the rest, as the store's matchers. Regexes keep logql's meaning (`.` matches a newline).
///
/// # Errors
///
/// A regex the store's matcher cannot compile (it compiled for logql, so this is a size
/// limit).
pub fn split_matchers(
    matchers: &[crate::Matcher],
    multi: bool,
) -> Result<(Vec<Matcher>, Vec<crate::Matcher>), String> {
    let mut store = Vec::with_capacity(matchers.len());
    let mut tenant = Vec::new();
    for m in matchers {
        let name = m.name();
        if multi && name == TENANT_LABEL {
            tenant.push(m.clone());
            continue;
        }
        let name = match name.strip_prefix(RETAINED_PREFIX) {
            Some(TENANT_LABEL) if multi => TENANT_LABEL,
            _ => name,
        };
        let (op, value) = match m.op() {
            crate::ast::MatchOp::Eq => (MatchOp::Equal, m.value().to_owned()),
            crate::ast::MatchOp::Neq => (MatchOp::NotEqual, m.value().to_owned()),
            crate::ast::MatchOp::Re => (MatchOp::Regex, format!("(?s:{})", m.value())),
            crate::ast::MatchOp::Nre => (MatchOp::NotRegex, format!("(?s:{})", m.value())),
        };
        store.push(Matcher::new(op, name, value).map_err(|e| e.to_string())?);
    }
    Ok((store, tenant))
}

/// The matchers of a stream selector (`match[]`, a label API's `query`).
///
/// # Errors
///
/// The parser's message (Loki's text).
pub fn selector_matchers(text: &str) -> Result<Vec<crate::Matcher>, crate::Error> {
    let selector = crate::parse_selector(text)?;
    selector
        .matchers
        .iter()
        .map(crate::Matcher::from_ast)
        .collect()
}

/// The tenants of `tenants` the tenant matchers accept.
fn pick_tenants<'a>(tenants: &'a [String], matchers: &[crate::Matcher]) -> Vec<&'a str> {
    tenants
        .iter()
        .filter(|t| matchers.iter().all(|m| m.matches(t)))
        .map(String::as_str)
        .collect()
}

/// `labels` as a multi-tenant query shows them.
fn with_tenant(labels: &LabelSet, tenant: &str) -> LabelSet {
    let mut out = labels.clone();
    if let Some(own) = out.remove(TENANT_LABEL) {
        // A constant, valid name.
        let _ = out.insert(format!("{RETAINED_PREFIX}{TENANT_LABEL}"), own);
    }
    let _ = out.insert(TENANT_LABEL, tenant.to_owned());
    out
}

impl LogQuery {
    /// The query of a plan; `multi` when it runs over several tenants.
    ///
    /// # Errors
    ///
    /// As [`split_matchers`].
    pub fn new(plan: crate::LogPlan, multi: bool) -> Result<Self, String> {
        let (matchers, tenant_matchers) = split_matchers(&plan.matchers, multi)?;
        Ok(Self {
            matchers,
            tenant_matchers,
            line_filter: plan.line_filter,
        })
    }

    /// The entries of `tenants`' matching streams in `[start, end)`, in `direction`, at most
    /// `limit`, keeping only entries at least `interval` apart (0: all), merged by time
    /// across tenants.
    ///
    /// # Errors
    ///
    /// The store's (none today: missing and corrupt chunks are left out and counted).
    #[allow(clippy::too_many_arguments)]
    pub async fn select(
        &self,
        store: &Store,
        tenants: &[String],
        (start, end): (i64, i64),
        direction: Direction,
        limit: usize,
        interval: i64,
    ) -> Result<Selected, StoreError> {
        let multi = tenants.len() > 1;
        let filter = self.line_filter.as_ref();
        let predicate = |line: &[u8]| filter.is_none_or(|f| f.matches(line));
        let line_filter: Option<loki_store::LineFilter<'_>> =
            filter.is_some().then_some(&predicate as _);
        let mut per_tenant = Vec::new();
        let mut stats = SelectStats::default();
        for tenant in pick_tenants(tenants, &self.tenant_matchers) {
            let selection = store
                .select(
                    tenant,
                    &self.matchers,
                    start,
                    end,
                    direction,
                    limit,
                    line_filter,
                )
                .await?;
            add_stats(&mut stats, &selection.stats);
            let mut relabelled: BTreeMap<String, Arc<LabelSet>> = BTreeMap::new();
            let entries: Vec<Entry> = selection
                .entries
                .into_iter()
                .map(|e: LogEntry| {
                    let labels = if multi {
                        let key = e.labels.to_string();
                        Arc::clone(
                            relabelled
                                .entry(key)
                                .or_insert_with(|| Arc::new(with_tenant(&e.labels, tenant))),
                        )
                    } else {
                        e.labels
                    };
                    Entry {
                        labels,
                        ts: e.ts,
                        line: e.line,
                        metadata: e.structured_metadata,
                    }
                })
                .collect();
            per_tenant.push(entries);
        }
        let mut entries = merge(per_tenant, direction, limit);
        if interval > 0 {
            entries = sample(entries, direction, interval);
        }
        Ok(Selected { entries, stats })
    }
}

fn add_stats(total: &mut SelectStats, one: &SelectStats) {
    total.streams += one.streams;
    total.memory_chunks += one.memory_chunks;
    total.chunks_fetched += one.chunks_fetched;
    total.bytes_fetched += one.bytes_fetched;
    total.chunks_skipped += one.chunks_skipped;
    total.blocks_skipped += one.blocks_skipped;
    total.entries_matched += one.entries_matched;
    total.duplicates += one.duplicates;
    let room = SelectStats::MAX_LISTED.saturating_sub(total.skipped.len());
    total.skipped.extend(one.skipped.iter().take(room).cloned());
}

/// Sorted lists merged into one in `direction`, cut at `limit` (0: no limit).
fn merge(lists: Vec<Vec<Entry>>, direction: Direction, limit: usize) -> Vec<Entry> {
    let mut lists: Vec<std::iter::Peekable<std::vec::IntoIter<Entry>>> = lists
        .into_iter()
        .map(|l| l.into_iter().peekable())
        .collect();
    if lists.len() == 1 {
        let only: Vec<Entry> = lists.remove(0).collect();
        return if limit == 0 {
            only
        } else {
            only.into_iter().take(limit).collect()
        };
    }
    let mut out = Vec::new();
    loop {
        if limit != 0 && out.len() >= limit {
            break;
        }
        let next = lists
            .iter_mut()
            .enumerate()
            .filter_map(|(i, l)| l.peek().map(|e| (i, e.ts)))
            .min_by_key(|&(i, ts)| match direction {
                Direction::Forward => (i128::from(ts), i),
                Direction::Backward => (-i128::from(ts), i),
            });
        let Some((i, _)) = next else { break };
        if let Some(e) = lists[i].next() {
            out.push(e);
        }
    }
    out
}

/// Only entries at least `interval` after (forward) or before (backward) the last one kept,
/// as Loki's `interval` parameter keeps them.
fn sample(entries: Vec<Entry>, direction: Direction, interval: i64) -> Vec<Entry> {
    let mut last: Option<i64> = None;
    entries
        .into_iter()
        .filter(|e| {
            let keep = last.is_none_or(|l| match direction {
                Direction::Forward => e.ts >= l.saturating_add(interval),
                Direction::Backward => e.ts <= l.saturating_sub(interval),
            });
            if keep {
                last = Some(e.ts);
            }
            keep
        })
        .collect()
}

/// One stream of a result: its labels and its values in the query's direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultStream {
    /// The labels shown: the stream's, and (without `categorize-labels`) the entries'
    /// structured metadata.
    pub labels: Vec<(String, String)>,
    /// The values.
    pub values: Vec<ResultValue>,
}

/// One value of a result stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultValue {
    /// Timestamp, ns.
    pub ts: i64,
    /// The line (invalid UTF-8 replaced, as Loki's JSON encoder does).
    pub line: String,
    /// Structured metadata shown beside the line (with `categorize-labels`).
    pub metadata: Vec<(String, String)>,
}

/// Groups entries into result streams as Loki's engine does: by labels — with the entries'
/// structured metadata among them unless `categorize` (a metadata name equal to a stream
/// label's gets `_extracted`) — streams sorted by their labels' text, each keeping the
/// entries' order.
pub fn group_streams(entries: Vec<Entry>, categorize: bool) -> Vec<ResultStream> {
    let mut streams: BTreeMap<String, ResultStream> = BTreeMap::new();
    for e in entries {
        let mut labels: Vec<(String, String)> = e
            .labels
            .iter()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect();
        let metadata: Vec<(String, String)> = e
            .metadata
            .into_iter()
            .map(|(name, value)| {
                if e.labels.get(&name).is_some() {
                    (format!("{name}{DUPLICATE_SUFFIX}"), value)
                } else {
                    (name, value)
                }
            })
            .collect();
        let shown = if categorize {
            metadata
        } else {
            labels.extend(metadata);
            labels.sort();
            labels.dedup_by(|a, b| a.0 == b.0);
            Vec::new()
        };
        let key = labels_key(&labels);
        let stream = streams.entry(key).or_insert_with(|| ResultStream {
            labels,
            values: Vec::new(),
        });
        stream.values.push(ResultValue {
            ts: e.ts,
            line: String::from_utf8_lossy(&e.line).into_owned(),
            metadata: shown,
        });
    }
    streams.into_values().collect()
}

/// The text Loki sorts result streams by: `{a="1", b="2"}`.
fn labels_key(labels: &[(String, String)]) -> String {
    let mut out = String::from("{");
    for (i, (name, value)) in labels.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(name);
        out.push('=');
        // Writing into a String cannot fail.
        let _ = loki_chunk::labels::write_go_quoted(&mut out, value);
    }
    out.push('}');
    out
}

/// Label names over `tenants` (and `__tenant_id__` for several).
///
/// # Errors
///
/// As [`split_matchers`].
pub fn label_names(
    store: &Store,
    tenants: &[String],
    matchers: &[crate::Matcher],
    (start, end): (i64, i64),
) -> Result<Vec<String>, String> {
    let multi = tenants.len() > 1;
    let (store_matchers, tenant_matchers) = split_matchers(matchers, multi)?;
    let mut names = BTreeSet::new();
    for tenant in pick_tenants(tenants, &tenant_matchers) {
        for name in store.label_names(tenant, &store_matchers, start, end) {
            if multi && name == TENANT_LABEL {
                names.insert(format!("{RETAINED_PREFIX}{TENANT_LABEL}"));
            } else {
                names.insert(name);
            }
        }
    }
    if multi {
        names.insert(TENANT_LABEL.to_owned());
    }
    Ok(names.into_iter().collect())
}

/// The values of label `name` over `tenants` (the tenants themselves for `__tenant_id__`
/// with several).
///
/// # Errors
///
/// As [`split_matchers`].
pub fn label_values(
    store: &Store,
    tenants: &[String],
    name: &str,
    matchers: &[crate::Matcher],
    (start, end): (i64, i64),
) -> Result<Vec<String>, String> {
    let multi = tenants.len() > 1;
    if multi && name == TENANT_LABEL {
        return Ok(tenants.to_vec());
    }
    let (store_matchers, tenant_matchers) = split_matchers(matchers, multi)?;
    let name = match name.strip_prefix(RETAINED_PREFIX) {
        Some(TENANT_LABEL) if multi => TENANT_LABEL,
        _ => name,
    };
    let mut values = BTreeSet::new();
    for tenant in pick_tenants(tenants, &tenant_matchers) {
        values.extend(store.label_values(tenant, name, &store_matchers, start, end));
    }
    Ok(values.into_iter().collect())
}

/// The streams matching any of `groups` (each a list of matchers; none: every stream) over
/// `tenants`, deduplicated, sorted by labels.
///
/// # Errors
///
/// As [`split_matchers`].
pub fn series(
    store: &Store,
    tenants: &[String],
    groups: &[Vec<crate::Matcher>],
    (start, end): (i64, i64),
) -> Result<Vec<LabelSet>, String> {
    let multi = tenants.len() > 1;
    let all = [Vec::new()];
    let groups = if groups.is_empty() { &all[..] } else { groups };
    let mut out: BTreeMap<String, LabelSet> = BTreeMap::new();
    for group in groups {
        let (store_matchers, tenant_matchers) = split_matchers(group, multi)?;
        for tenant in pick_tenants(tenants, &tenant_matchers) {
            for labels in store.series(tenant, &store_matchers, start, end) {
                let labels = if multi {
                    with_tenant(&labels, tenant)
                } else {
                    (*labels).clone()
                };
                out.entry(labels.to_string()).or_insert(labels);
            }
        }
    }
    Ok(out.into_values().collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

    use super::*;

    fn entry(labels: &str, ts: i64, metadata: &[(&str, &str)]) -> Entry {
        Entry {
            labels: Arc::new(LabelSet::parse(labels).unwrap()),
            ts,
            line: format!("line {ts}").into_bytes(),
            metadata: metadata
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn metadata_splits_streams_unless_categorized() {
        let entries = vec![
            entry(r#"{app="b"}"#, 3, &[]),
            entry(r#"{app="a"}"#, 2, &[("trace_id", "t")]),
            entry(r#"{app="a"}"#, 1, &[("app", "x")]),
        ];
        let plain = group_streams(entries.clone(), false);
        let keys: Vec<String> = plain.iter().map(|s| labels_key(&s.labels)).collect();
        assert_eq!(
            keys,
            [
                r#"{app="a", app_extracted="x"}"#,
                r#"{app="a", trace_id="t"}"#,
                r#"{app="b"}"#
            ]
        );
        let categorized = group_streams(entries, true);
        assert_eq!(categorized.len(), 2);
        assert_eq!(categorized[0].values.len(), 2);
        assert_eq!(
            categorized[0].values[0].metadata,
            [("trace_id".into(), "t".into())]
        );
        assert_eq!(
            categorized[0].values[1].metadata,
            [("app_extracted".into(), "x".into())]
        );
    }

    #[test]
    fn tenants_merge_by_time_and_intervals_thin_out() {
        let a = vec![entry("{a=\"1\"}", 5, &[]), entry("{a=\"1\"}", 1, &[])];
        let b = vec![entry("{a=\"1\"}", 4, &[]), entry("{a=\"1\"}", 3, &[])];
        let merged = merge(vec![a.clone(), b.clone()], Direction::Backward, 3);
        assert_eq!(merged.iter().map(|e| e.ts).collect::<Vec<_>>(), [5, 4, 3]);
        let forward = merge(
            vec![a.into_iter().rev().collect(), b.into_iter().rev().collect()],
            Direction::Forward,
            0,
        );
        assert_eq!(
            forward.iter().map(|e| e.ts).collect::<Vec<_>>(),
            [1, 3, 4, 5]
        );
        let thinned = sample(forward, Direction::Forward, 2);
        assert_eq!(thinned.iter().map(|e| e.ts).collect::<Vec<_>>(), [1, 3, 5]);
    }

    #[test]
    fn tenant_matchers_pick_tenants() {
        let ms = selector_matchers(r#"{__tenant_id__=~"a|c", app="x"}"#).unwrap();
        let (store, tenant) = split_matchers(&ms, true).unwrap();
        assert_eq!(store.len(), 1);
        let tenants = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
        assert_eq!(pick_tenants(&tenants, &tenant), ["a", "c"]);
        let (store, tenant) = split_matchers(&ms, false).unwrap();
        assert_eq!((store.len(), tenant.len()), (2, 0));
        let labels = with_tenant(
            &LabelSet::parse(r#"{__tenant_id__="own", app="x"}"#).unwrap(),
            "a",
        );
        assert_eq!(
            labels.to_string(),
            r#"{__tenant_id__="a", app="x", original___tenant_id__="own"}"#
        );
    }
}
