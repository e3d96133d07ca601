#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported
//! Blocks written by Tempo's own writer: every present ID must come back exactly as Tempo's
//! reader returned it (attribute order aside), every absent ID must be not found, and a full
//! scan must return every trace in ID order.

mod common;

use std::collections::HashMap;
use std::path::Path;

use otlp_model::TraceId;
use otlp_model::json::{JsonStyle, encode_traces_json};
use serde_json::Value;

use common::{jsonl, normalise, open_local_block, tempo_generated};

fn ids(path: &Path) -> Vec<TraceId> {
    let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let text = e
                .get("traceID")
                .and_then(Value::as_str)
                .or_else(|| e.as_str())
                .unwrap();
            TraceId::parse_hex(text).unwrap()
        })
        .collect()
}

async fn check_variant(variant: &str) {
    let Some(root) = tempo_generated("compat_read") else {
        return;
    };
    let dir = root.join(variant);
    let block = open_local_block(&dir.join("blocks")).await;
    let readback: HashMap<String, Value> = jsonl(&dir.join("readback-traces.otlp.jsonl.gz"))
        .into_iter()
        .collect();
    let present = ids(&root.join("present-trace-ids.json"));
    assert_eq!(present.len(), 1000);
    for id in &present {
        let found = block.find_trace(id).await.unwrap();
        let rs = found.unwrap_or_else(|| panic!("{variant}: {id} not found"));
        let ours: Value =
            serde_json::from_slice(&encode_traces_json(&rs, JsonStyle::Otlp)).unwrap();
        let theirs = &readback[&id.to_hex()];
        assert_eq!(
            normalise(&ours),
            normalise(theirs),
            "{variant}: trace {id} differs"
        );
    }
    for id in ids(&root.join("absent-trace-ids.json")) {
        assert!(
            block.find_trace(&id).await.unwrap().is_none(),
            "{variant}: absent {id} found"
        );
        assert!(
            block.find_trace_skip_bloom(&id).await.unwrap().is_none(),
            "{variant}: absent {id} found without the bloom"
        );
    }

    let mut scan = block.scan();
    let mut seen = Vec::new();
    while let Some((id, rs)) = scan.next().await.unwrap() {
        let ours: Value =
            serde_json::from_slice(&encode_traces_json(&rs, JsonStyle::Otlp)).unwrap();
        assert_eq!(
            normalise(&ours),
            normalise(&readback[&id.to_hex()]),
            "{variant}: scan {id}"
        );
        seen.push(id);
    }
    assert_eq!(seen.len(), 1000);
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "{variant}: scan not in ID order"
    );
}

#[tokio::test]
async fn vparquet5_block_reads_like_tempo() {
    check_variant("vParquet5").await;
}

#[tokio::test]
async fn vparquet4_block_reads_like_tempo() {
    check_variant("vParquet4").await;
}

#[tokio::test]
async fn vparquet5_three_shard_bloom_block_reads_like_tempo() {
    check_variant("vParquet5-bloom512").await;
}
