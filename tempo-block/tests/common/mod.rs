//! Shared helpers of the integration tests.
#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::io::{BufRead, BufReader};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use serde_json::Value;
use tempo_block::meta::{
    BlockMeta, DedicatedColumn, DedicatedOptions, DedicatedScope, DedicatedType, Version,
};
use tempo_block::{BlockError, BlockObjects, BlockReader};

/// `<COMPAT_DIR>/tempo/generated`, or `None` (test skipped) outside CI.
pub fn tempo_generated(test: &str) -> Option<PathBuf> {
    testkit::compat_dir(test).map(|d| d.join("tempo").join("generated"))
}

/// `{"traceID": ..., "trace": {...}}` lines of a gzipped JSONL file.
pub fn jsonl(path: &Path) -> Vec<(String, Value)> {
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
pub fn normalise(v: &Value) -> Value {
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

/// A block directory on the local disk.
#[derive(Debug)]
pub struct LocalDir(pub PathBuf);

#[async_trait]
impl BlockObjects for LocalDir {
    async fn get(&self, name: &str) -> Result<Bytes, BlockError> {
        std::fs::read(self.0.join(name))
            .map(Bytes::from)
            .map_err(|_| BlockError::NotFound { path: name.into() })
    }
    async fn get_range(&self, name: &str, range: Range<u64>) -> Result<Bytes, BlockError> {
        let all = self.get(name).await?;
        Ok(all.slice(usize::try_from(range.start).unwrap()..usize::try_from(range.end).unwrap()))
    }
    async fn size(&self, name: &str) -> Result<u64, BlockError> {
        Ok(self.get(name).await?.len() as u64)
    }
}

fn parse_meta(bytes: &[u8]) -> BlockMeta {
    let v: Value = serde_json::from_slice(bytes).unwrap();
    let n = |k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(0);
    let t = |k: &str| v[k].as_str().unwrap().parse().unwrap();
    let dedicated_columns = v
        .get("dedicatedColumns")
        .and_then(Value::as_array)
        .map(|cols| {
            cols.iter()
                .map(|c| DedicatedColumn {
                    scope: match c.get("s").and_then(Value::as_str) {
                        Some("resource") => DedicatedScope::Resource,
                        Some("event") => DedicatedScope::Event,
                        _ => DedicatedScope::Span,
                    },
                    name: c["n"].as_str().unwrap().to_owned(),
                    kind: if c.get("t").and_then(Value::as_str) == Some("int") {
                        DedicatedType::Int
                    } else {
                        DedicatedType::String
                    },
                    options: DedicatedOptions::default(),
                })
                .collect()
        })
        .unwrap_or_default();
    BlockMeta {
        version: if v["format"] == "vParquet4" {
            Version::VParquet4
        } else {
            Version::VParquet5
        },
        block_id: v["blockID"].as_str().unwrap().parse().unwrap(),
        tenant_id: v["tenantID"].as_str().unwrap().to_owned(),
        start_time: t("startTime"),
        end_time: t("endTime"),
        total_objects: n("totalObjects"),
        size: n("size"),
        compaction_level: 0,
        index_page_size: 0,
        total_records: u32::try_from(n("totalRecords")).unwrap(),
        bloom_shards: u32::try_from(n("bloomShards")).unwrap(),
        footer_size: u32::try_from(n("footerSize")).unwrap(),
        dedicated_columns,
        replication_factor: 0,
    }
}

/// Opens the only block of tenant `single-tenant` under a bucket directory.
pub async fn open_local_block(bucket: &Path) -> BlockReader {
    let tenant = bucket.join("single-tenant");
    let dir = std::fs::read_dir(&tenant)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir())
        .unwrap();
    let meta = parse_meta(&std::fs::read(dir.join("meta.json")).unwrap());
    BlockReader::open(meta, Arc::new(LocalDir(dir)))
        .await
        .unwrap()
}
