#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported
//! pyarrow opens a block this crate wrote for the compat input, decodes every column, and sees
//! Tempo's per-column compression and encodings (as `parquet-metadata-dump.txt`, pyarrow's
//! view of Tempo's own file, lists them).
//!
//! The Python interpreter comes from `TEMPO_BLOCK_PYTHON` (`.ci/run` installs pyarrow into a
//! virtual environment and sets it). Without it the test is skipped, except under CI, where a
//! missing interpreter is a failure.

mod common;

use std::collections::HashMap;
use std::process::Command;

use otlp_model::json::decode_traces_json;
use otlp_model::{Limits, TraceId};
use serde_json::Value;
use tempo_block::{BlockBuilder, BlockConfig};

use common::{jsonl, tempo_generated};

fn python() -> Option<String> {
    match std::env::var("TEMPO_BLOCK_PYTHON") {
        Ok(p) if !p.is_empty() => Some(p),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "TEMPO_BLOCK_PYTHON must name a Python with pyarrow in CI (.ci/run sets it)"
            );
            eprintln!("skipped: TEMPO_BLOCK_PYTHON is not set");
            None
        }
    }
}

#[test]
#[allow(clippy::too_many_lines, reason = "one end-to-end check, step by step")]
fn pyarrow_reads_our_block_with_tempos_column_settings() {
    let Some(root) = tempo_generated("pyarrow") else {
        return;
    };
    let Some(python) = python() else {
        return;
    };
    let mut builder = BlockBuilder::new(BlockConfig {
        row_group_size_bytes: 60_000,
        ..BlockConfig::default()
    });
    for (id, trace) in jsonl(&root.join("input-traces.otlp.jsonl.gz")) {
        let req = decode_traces_json(trace.to_string().as_bytes(), &Limits::default()).unwrap();
        builder.push_trace(&TraceId::parse_hex(&id).unwrap(), req.resource_spans);
    }
    let block = builder.finish("single-tenant", uuid::Uuid::nil()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.parquet");
    std::fs::write(&path, &block.data).unwrap();

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/pyarrow_check.py");
    let out = Command::new(&python)
        .arg(script)
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pyarrow failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(seen["num_rows"], 1000);
    assert_eq!(seen["num_row_groups"], 13);

    // Trace IDs in order and span counts as the compat list gives them.
    let present: Value =
        serde_json::from_slice(&std::fs::read(root.join("present-trace-ids.json")).unwrap())
            .unwrap();
    let mut expected: Vec<(&str, u64)> = present
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["traceID"].as_str().unwrap(),
                p["spanCount"].as_u64().unwrap(),
            )
        })
        .collect();
    expected.sort_unstable();
    let ids: Vec<&str> = seen["trace_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let spans: Vec<u64> = seen["span_counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(ids, expected.iter().map(|e| e.0).collect::<Vec<_>>());
    assert_eq!(spans, expected.iter().map(|e| e.1).collect::<Vec<_>>());

    // Column settings against pyarrow's view of Tempo's file.
    let dump = std::fs::read_to_string(root.join("parquet-metadata-dump.txt")).unwrap();
    let section = dump.split("===== ").nth(1).unwrap();
    let tempo: HashMap<&str, (&str, &str)> = section
        .lines()
        .skip_while(|l| !l.contains("columns (rg0)"))
        .skip(1)
        .map_while(|l| {
            let parts: Vec<&str> = l.split(" | ").map(str::trim).collect();
            (parts.len() == 6).then(|| (parts[0], (parts[2], parts[3])))
        })
        .collect();
    let columns = seen["columns"].as_array().unwrap();
    assert_eq!(columns.len(), tempo.len());
    for c in columns {
        let path = c["path"].as_str().unwrap();
        let (compression, encodings) = tempo[path];
        assert_eq!(c["compression"], compression, "{path}: compression");
        let ours: Vec<&str> = c["encodings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap())
            .collect();
        // The value encoding (levels are RLE either way).
        for enc in [
            "RLE_DICTIONARY",
            "DELTA_BINARY_PACKED",
            "DELTA_LENGTH_BYTE_ARRAY",
        ] {
            assert_eq!(
                ours.contains(&enc),
                encodings.contains(enc),
                "{path}: {enc} in ours {ours:?} vs Tempo's {encodings}"
            );
        }
        // The Parquet crate leaves out the column index of a repeated column chunk that holds
        // no value at all (every page null); such a chunk has no bounds to index anyway.
        assert!(
            c["has_column_index"] == true || c["has_min_max"] == false,
            "{path}: column index"
        );
        assert_eq!(c["has_offset_index"], true, "{path}: offset index");
    }
}
