#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported
//! Replays every committed fuzz seed and crash regression through the fuzz entry points, and
//! (ignored) regenerates the seed corpora from this crate's own writer.

use futures_util::FutureExt as _;
use otlp_model::TraceId;
use otlp_model::proto::trace::{ResourceSpans, ScopeSpans, Span};
use tempo_block::{BlockBuilder, BlockConfig, BlockReader, fuzzing};

#[test]
fn replay_parquet_inputs() {
    let inputs = testkit::fuzz_inputs("tempo_parquet");
    assert!(!inputs.is_empty());
    for (path, bytes) in inputs {
        eprintln!("replaying {}", path.display());
        fuzzing::data_parquet(&bytes);
    }
}

/// A small block of three traces (one with no root, one with an event and a link).
fn small_block() -> tempo_block::WrittenBlock {
    let mut b = BlockBuilder::new(BlockConfig {
        page_size_bytes: 1024,
        ..BlockConfig::default()
    });
    for t in 1u8..=3 {
        let id = TraceId::from_bytes([t; 16]);
        let spans = (0..3u8)
            .map(|s| Span {
                trace_id: id.as_bytes().to_vec(),
                span_id: vec![t, s, 1, 1, 1, 1, 1, 1],
                parent_span_id: if s == 0 && t != 2 {
                    Vec::new()
                } else {
                    vec![t, 0, 1, 1, 1, 1, 1, 1]
                },
                name: format!("op-{s}"),
                start_time_unix_nano: 1_700_000_000_000_000_000 + u64::from(s),
                end_time_unix_nano: 1_700_000_000_100_000_000,
                ..Span::default()
            })
            .collect();
        b.push_trace(
            &id,
            vec![ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans,
                    ..ScopeSpans::default()
                }],
                ..ResourceSpans::default()
            }],
        );
    }
    b.finish("fuzz", uuid::Uuid::nil()).unwrap()
}

#[test]
fn seed_block_reads_back() {
    let block = small_block();
    // meta.json's footerSize is the u32 before the trailing PAR1 (Tempo's Validate checks it).
    let n = block.data.len();
    assert_eq!(&block.data[n - 4..], b"PAR1");
    let footer = u32::from_le_bytes(block.data[n - 8..n - 4].try_into().unwrap());
    assert_eq!(block.meta.footer_size, footer);
    let reader = BlockReader::open(block.meta.clone(), std::sync::Arc::new(block))
        .now_or_never()
        .unwrap()
        .unwrap();
    let found = reader
        .find_trace(&TraceId::from_bytes([2; 16]))
        .now_or_never()
        .unwrap()
        .unwrap();
    assert_eq!(found.unwrap()[0].scope_spans[0].spans.len(), 3);
}

#[test]
#[ignore = "writes fuzz/corpus/tempo_parquet; run by hand when the format changes"]
fn write_seed_corpus() {
    testkit::write_seed("tempo_parquet", "small_block", &small_block().data);
}

#[test]
fn absurd_shard_count_in_meta_is_corrupt_not_an_allocation() {
    let mut block = small_block();
    block.meta.bloom_shards = u32::MAX;
    let err = BlockReader::open(block.meta.clone(), std::sync::Arc::new(block))
        .now_or_never()
        .unwrap()
        .unwrap_err();
    assert!(err.to_string().contains("bloomShards"), "{err}");
}
