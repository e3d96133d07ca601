//! Reading Loki's compatibility vectors, shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used)] // each test file uses a subset; test code panics on failure

use std::path::{Path, PathBuf};

use loki_chunk::{BlockMeta, Entry};
use serde_json::Value;

/// `$COMPAT_DIR/loki`, or `None` when the test is skipped.
pub(crate) fn loki_dir(test: &str) -> Option<PathBuf> {
    testkit::compat_dir(test).map(|d| d.join("loki"))
}

/// Every `.json` vector in `dir`, by file stem, sorted.
pub(crate) fn vectors(dir: &Path) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (
                name,
                serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap(),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// A nanosecond timestamp written as a decimal string.
pub(crate) fn ns(v: &Value) -> i64 {
    v.as_str().unwrap().parse().unwrap()
}

/// The `entries` (or `appends`) list of a vector as entries.
pub(crate) fn expected_entries(list: &Value) -> Vec<Entry> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| Entry {
            ts: ns(&e["ts_ns"]),
            line: e["line"].as_str().unwrap().as_bytes().to_vec(),
            structured_metadata: e["structured_metadata"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        p["name"].as_str().unwrap().to_owned(),
                        p["value"].as_str().unwrap().to_owned(),
                    )
                })
                .collect(),
        })
        .collect()
}

/// Asserts a block's entry count, time bounds and uncompressed size equal a vector's block
/// facts (offsets and lengths depend on the writer's compressor and are compared by callers
/// that read Loki's own bytes).
pub(crate) fn assert_block_facts(name: &str, i: usize, got: &BlockMeta, want: &Value) {
    assert_eq!(
        got.entries,
        want["entries"].as_u64().unwrap(),
        "{name} block {i}"
    );
    assert_eq!(got.min_ts, ns(&want["min_ts_ns"]), "{name} block {i}");
    assert_eq!(got.max_ts, ns(&want["max_ts_ns"]), "{name} block {i}");
    assert_eq!(
        got.uncompressed_size,
        want["uncompressed_size"].as_u64().unwrap(),
        "{name} block {i}"
    );
}

/// A vector's `symbol_table`, if it has one.
pub(crate) fn symbol_table(facts: &Value) -> Option<Vec<&str>> {
    let table = facts.get("symbol_table")?.as_array().unwrap();
    Some(table.iter().map(|s| s.as_str().unwrap()).collect())
}
