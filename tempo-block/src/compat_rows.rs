//! Whole-row equality with Tempo: the compat input written by this crate and by Tempo's own
//! writer must give identical rows, column by column (derived fields included).
#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is how a failure is reported"
)]

use std::io::BufRead;
use std::sync::Arc;

use bytes::Bytes;
use otlp_model::{Limits, TraceId};

use crate::assemble::{Assembler, Node};
use crate::file::{ParquetFile, RangeRead};
use crate::writer::{BlockBuilder, BlockConfig};

async fn rows(data: Bytes) -> Vec<Node> {
    let len = data.len() as u64;
    let source: Arc<dyn RangeRead> = Arc::new(data);
    let file = ParquetFile::open(source, len, 0, "test", "TraceID")
        .await
        .unwrap();
    let ncols = file.metadata().file_metadata().schema_descr().num_columns();
    let all: Vec<usize> = (0..ncols).collect();
    let mut out = Vec::new();
    for g in 0..file.num_row_groups() {
        let n = file.row_group_rows(g);
        let columns = file.read_columns(g, &all, 0..n).await.unwrap();
        let mut asm = Assembler {
            plan: file.plan(),
            columns,
        };
        while let Some(row) = asm.next_row().unwrap() {
            out.push(row);
        }
    }
    out
}

/// The first differing path between two nodes.
fn diff(a: &Node, b: &Node, path: &str) -> Option<String> {
    match (a, b) {
        (Node::Group(x), Node::Group(y)) | (Node::List(x), Node::List(y)) if x.len() == y.len() => {
            x.iter()
                .zip(y)
                .enumerate()
                .find_map(|(i, (p, q))| diff(p, q, &format!("{path}/{i}")))
        }
        _ if a == b => None,
        _ => Some(format!("{path}: ours {a:?} != tempo {b:?}")),
    }
}

#[tokio::test]
async fn rows_equal_tempos_column_by_column() {
    let Some(dir) = testkit::compat_dir("compat_rows") else {
        return;
    };
    let root = dir.join("tempo/generated");
    let file = std::fs::File::open(root.join("input-traces.otlp.jsonl.gz")).unwrap();
    let mut builder = BlockBuilder::new(BlockConfig {
        row_group_size_bytes: 60_000,
        ..BlockConfig::default()
    });
    for line in std::io::BufReader::new(flate2::read::GzDecoder::new(file)).lines() {
        let v: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
        let id = TraceId::parse_hex(v["traceID"].as_str().unwrap()).unwrap();
        let req = otlp_model::json::decode_traces_json(
            v["trace"].to_string().as_bytes(),
            &Limits::default(),
        )
        .unwrap();
        builder.push_trace(&id, req.resource_spans);
    }
    let ours = builder.finish("single-tenant", uuid::Uuid::nil()).unwrap();
    let block = std::fs::read_dir(root.join("vParquet5/blocks/single-tenant"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir())
        .unwrap();
    let tempo = Bytes::from(std::fs::read(block.join("data.parquet")).unwrap());
    let (a, b) = (rows(ours.data.clone()).await, rows(tempo).await);
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        if let Some(d) = diff(x, y, "") {
            panic!("row {i}: {d}");
        }
    }
    let index = std::fs::read(block.join("index")).unwrap();
    assert_eq!(
        ours.index.as_ref(),
        index.as_slice(),
        "index object differs"
    );
    let bloom = std::fs::read(block.join("bloom-0")).unwrap();
    assert_eq!(ours.blooms.len(), 1);
    assert_eq!(ours.blooms[0].as_ref(), bloom.as_slice(), "bloom-0 differs");
}
