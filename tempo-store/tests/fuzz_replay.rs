//! Replays every committed fuzz seed and crash regression through the WAL fuzz entry point.

#![allow(clippy::unwrap_used, missing_docs)]

use otlp_model::build::{resource_spans, span};
use otlp_model::proto::trace::TracesData;
use otlp_model::{SpanId, TraceId};
use prost::Message as _;
use tempo_store::wal::format;

#[test]
fn replay_wal_inputs() {
    let inputs = testkit::fuzz_inputs("tempo_store_wal");
    assert!(!inputs.is_empty());
    for (path, bytes) in inputs {
        eprintln!("replaying {}", path.display());
        tempo_store::fuzzing::wal_segment(&bytes);
    }
}

/// Rewrites the seed corpus from this crate's own encoder:
/// `cargo test -p tempo-store --test fuzz_replay -- --ignored write_seed_corpus`.
#[test]
#[ignore = "writes files; run by hand to regenerate the seeds"]
fn write_seed_corpus() {
    let mut seg = store_wal::format::encode_header(format::MAGIC, 3).to_vec();
    for t in 1..4u64 {
        let id = TraceId::from_u64(t);
        let spans = (1..3)
            .map(|s| span(id, SpanId::from_u64(s), "op", 10, 20))
            .collect();
        let data = TracesData {
            resource_spans: vec![resource_spans("svc", spans)],
        };
        format::encode_spans_record(&mut seg, "single-tenant", &data.encode_to_vec());
    }
    testkit::write_seed("tempo_store_wal", "valid-segment", &seg);
    testkit::write_seed("tempo_store_wal", "torn-tail", &seg[..seg.len() - 5]);
    let mut flipped = seg.clone();
    flipped[40] ^= 0x10;
    testkit::write_seed("tempo_store_wal", "bad-crc", &flipped);
}
