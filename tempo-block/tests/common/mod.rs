//! Shared helpers of the integration tests.
#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use tempo_block::{BlockReader, BlockStore, ObjectStoreBackend};

/// `<COMPAT_DIR>/tempo/generated`, or `None` (test skipped) outside CI.
pub(crate) fn tempo_generated(test: &str) -> Option<PathBuf> {
    testkit::compat_dir(test).map(|d| d.join("tempo").join("generated"))
}

/// `{"traceID": ..., "trace": {...}}` lines of a gzipped JSONL file.
pub(crate) fn jsonl(path: &Path) -> Vec<(String, Value)> {
    let file = std::fs::File::open(path).unwrap();
    BufReader::new(flate2::read::GzDecoder::new(file))
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(&line.unwrap()).unwrap();
            (
                v["traceID"].as_str().unwrap().to_owned(),
                v["trace"].clone(),
            )
        })
        .collect()
}

/// Sorts every `attributes` list by key, so traces compare regardless of attribute order.
pub(crate) fn normalise(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let mut v = normalise(v);
                    if k == "attributes"
                        && let Value::Array(items) = &mut v
                    {
                        items.sort_by(|a, b| a["key"].as_str().cmp(&b["key"].as_str()));
                    }
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(normalise).collect()),
        // `34` and `34.0` are the same double.
        Value::Number(n) => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| v.clone(), Value::Number),
        other => other.clone(),
    }
}

/// Opens the only block of tenant `single-tenant` under a bucket directory, through the
/// local-filesystem backend.
pub(crate) async fn open_local_block(bucket: &Path) -> BlockReader {
    let store = BlockStore::new(Arc::new(ObjectStoreBackend::local(bucket).unwrap()));
    let blocks = store.list_blocks("single-tenant").await.unwrap();
    assert_eq!(blocks.live.len(), 1, "one block in {}", bucket.display());
    BlockReader::open_stored(&store, "single-tenant", blocks.live[0])
        .await
        .unwrap()
}
