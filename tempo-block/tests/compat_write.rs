#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported
//! Blocks written by this crate for Tempo's compat input: Tempo's schema, Tempo's column
//! settings, Tempo's row-group cuts, and traces that read back exactly as Tempo's own block does.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use otlp_model::json::{JsonStyle, decode_traces_json, encode_traces_json};
use otlp_model::proto::trace::ResourceSpans;
use otlp_model::{Limits, TraceId};
use serde_json::Value;
use tempo_block::schema::schema_text;
use tempo_block::{BlockBuilder, BlockConfig, BlockReader, WrittenBlock};

use common::{jsonl, normalise, tempo_generated};

fn input(root: &std::path::Path) -> Vec<(TraceId, Vec<ResourceSpans>)> {
    jsonl(&root.join("input-traces.otlp.jsonl.gz"))
        .into_iter()
        .map(|(id, trace)| {
            let req = decode_traces_json(trace.to_string().as_bytes(), &Limits::default()).unwrap();
            (TraceId::parse_hex(&id).unwrap(), req.resource_spans)
        })
        .collect()
}

fn build(traces: &[(TraceId, Vec<ResourceSpans>)], config: BlockConfig) -> WrittenBlock {
    let mut b = BlockBuilder::new(config);
    // Any order in: push backwards.
    for (id, rs) in traces.iter().rev() {
        b.push_trace(id, rs.clone());
    }
    b.finish("single-tenant", uuid::Uuid::nil()).unwrap()
}

#[tokio::test]
async fn compat_input_round_trips_like_tempo() {
    let Some(root) = tempo_generated("compat_write") else {
        return;
    };
    let traces = input(&root);
    let config = BlockConfig {
        row_group_size_bytes: 60_000,
        ..BlockConfig::default()
    };
    let block = build(&traces, config.clone());
    assert_eq!(block.meta.total_objects, 1000);

    // Same bytes for the same input.
    let again = build(&traces, config);
    assert_eq!(block.data, again.data, "writer is not deterministic");

    let reader = BlockReader::open(block.meta.clone(), Arc::new(block.clone()))
        .await
        .unwrap();

    // Tempo's schema, printed the way tempo-cli prints it.
    let cli = std::fs::read_to_string(root.join("vParquet5/schema-tempo-cli.txt")).unwrap();
    let start = cli.find("message Trace {").unwrap();
    let end = cli[start..].find("\n}\n").unwrap() + start + 3;
    assert_eq!(schema_text(reader.parquet_schema()), &cli[start..end]);

    // Tempo's row-group cuts for a 60 kB target (its size estimate, not bytes).
    let dump = std::fs::read_to_string(root.join("parquet-metadata-dump.txt")).unwrap();
    let tempo_rows: Vec<usize> = dump
        .split("===== ")
        .nth(1)
        .unwrap()
        .lines()
        .filter_map(|l| {
            l.trim()
                .strip_prefix("rg")?
                .split("rows=")
                .nth(1)?
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
        .collect();
    assert_eq!(tempo_rows.len(), 13);
    assert_eq!(reader.row_groups(), 13);
    assert_eq!(block.meta.total_records, 13);

    // Every trace reads back as Tempo's reader returned it from Tempo's block.
    let readback: HashMap<String, Value> =
        jsonl(&root.join("vParquet5/readback-traces.otlp.jsonl.gz"))
            .into_iter()
            .collect();
    for (id, _) in &traces {
        let rs = reader.find_trace(id).await.unwrap().unwrap();
        let ours: Value =
            serde_json::from_slice(&encode_traces_json(&rs, JsonStyle::Otlp)).unwrap();
        assert_eq!(
            normalise(&ours),
            normalise(&readback[&id.to_hex()]),
            "trace {id}"
        );
    }
    let index: Value = serde_json::from_slice(&block.index).unwrap();
    assert_eq!(index["rowGroups"].as_array().unwrap().len(), 13);
}
