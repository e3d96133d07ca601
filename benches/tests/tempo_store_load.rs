//! Bounded load on the embedded trace store, one process per run so that peak memory is this
//! run's alone (Linux `VmHWM`, reset after the input is built):
//!
//! ```sh
//! cargo test --release -p benches --test tempo_store_load -- --ignored --nocapture --test-threads 1
//! ```
//!
//! * `ingest`: `TEMPO_LOAD_REQUESTS` (6,000) OTLP export requests of 10 traces × 10 spans
//!   (3 attributes per span, the shape of the reference measurement of Tempo's ingest) are
//!   decoded from protobuf and pushed by `TEMPO_LOAD_WRITERS` (8) concurrent writers, every
//!   push acknowledged only after its WAL sync; prints spans/s, syncs and peak RSS, beside
//!   the same-run baseline of decoding the requests alone.
//! * `find_by_id`: 60,000 traces of 10 spans stored once as one block and once as 1,000
//!   blocks of 60 traces; prints p50/p99 of `find_trace` for 1,000 present IDs over each
//!   bucket (a store opened on it, every block polled and opened), beside the in-memory
//!   lookup of the same trace in the single block.

#![allow(
    clippy::unwrap_used,
    missing_docs,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use otlp_model::build::{kv, resource_spans, span};
use otlp_model::proto::collector::trace::ExportTraceServiceRequest;
use otlp_model::proto::trace::ResourceSpans;
use otlp_model::{Limits as WireLimits, SpanId, TraceId};
use prost::Message as _;
use tempo_block::{BlockBuilder, BlockConfig, BlockStore, ObjectStoreBackend};
use tempo_store::{FindOptions, Limits, Store, StoreConfig};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

fn reset_peak() {
    // Writing 5 to clear_refs resets VmHWM to the current RSS (Linux).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

const T0: u64 = 1_764_000_000_000_000_000;

/// Trace `n` with `spans` spans: a root and children, 3 attributes each.
fn trace(n: u64, spans: u64) -> Vec<ResourceSpans> {
    let id = TraceId::from_high_low(0x5eed, n + 1);
    let spans = (0..spans)
        .map(|s| {
            let mut sp = span(
                id,
                SpanId::from_u64(s + 1),
                format!("GET /api/item/{}", s % 7),
                T0 + n * 1_000_000 + s * 1000,
                T0 + n * 1_000_000 + s * 1000 + 800,
            );
            if s > 0 {
                sp.parent_span_id = SpanId::from_u64(1).as_bytes().to_vec();
            }
            sp.attributes = vec![
                kv("http.method", "GET"),
                kv("http.status_code", 200i64),
                kv("user.id", format!("user-{}", n % 997)),
            ];
            sp
        })
        .collect();
    vec![resource_spans(&format!("service-{}", n % 5), spans)]
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

#[test]
#[ignore = "load test: run in release with --nocapture"]
fn ingest() {
    let requests = env_usize("TEMPO_LOAD_REQUESTS", 6000);
    let writers = env_usize("TEMPO_LOAD_WRITERS", 8);
    let bodies: Vec<Vec<u8>> = (0..requests as u64)
        .map(|r| {
            let resource_spans = (0..10).flat_map(|t| trace(r * 10 + t, 10)).collect();
            ExportTraceServiceRequest { resource_spans }.encode_to_vec()
        })
        .collect();
    let bytes: usize = bodies.iter().map(Vec::len).sum();
    let spans = requests * 100;

    let limits = WireLimits::default();
    let t = Instant::now();
    for b in &bodies {
        std::hint::black_box(otlp_model::decode_trace_request(b, &limits).unwrap());
    }
    let decode = t.elapsed();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("blocks")).unwrap();
    let input_kib = status_kib("VmRSS:").unwrap_or(0);
    reset_peak();
    let (elapsed, stats) = rt.block_on(async {
        let backend = Arc::new(ObjectStoreBackend::local(dir.path().join("blocks")).unwrap());
        let mut config = StoreConfig::new(dir.path().join("wal"));
        // Raised as in the reference measurement (its default live-trace limit refuses the
        // burst); every other setting is the default.
        config.overrides.defaults = Limits {
            ingestion_rate_limit_bytes: 1 << 40,
            ingestion_burst_size_bytes: 1 << 40,
            max_traces_per_user: 0,
            ..Limits::default()
        };
        let store = Store::open(config, backend).await.unwrap();
        store.spawn_background();
        let bodies = Arc::new(bodies);
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let t = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..writers {
            let (store, bodies, next) = (store.clone(), Arc::clone(&bodies), Arc::clone(&next));
            tasks.push(tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(body) = bodies.get(i) else { break };
                    let req = otlp_model::decode_trace_request(body, &limits).unwrap();
                    store
                        .push("single-tenant", req.resource_spans)
                        .await
                        .unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let elapsed = t.elapsed();
        let stats = store.stats();
        store.shutdown().await.unwrap();
        (elapsed, stats)
    });
    let peak = status_kib("VmHWM:").unwrap_or(0);
    eprintln!(
        "ingest: {requests} requests, {spans} spans, {:.1} MB of OTLP protobuf, {writers} writers",
        bytes as f64 / 1e6
    );
    eprintln!(
        "  pushed (decode + validate + WAL fsync + live): {:.0} spans/s ({:.2} s), {} WAL records in {} syncs",
        spans as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64(),
        stats.wal_records,
        stats.wal_syncs
    );
    eprintln!(
        "  baseline, protobuf decode alone: {:.0} spans/s",
        spans as f64 / decode.as_secs_f64()
    );
    eprintln!(
        "  RSS with input built {} MiB; peak during ingest and shutdown {} MiB",
        input_kib / 1024,
        peak / 1024
    );
}

async fn write_blocks(store: &BlockStore, traces: u64, per_block: u64) {
    let config = BlockConfig {
        encode_threads: 1,
        ..BlockConfig::default()
    };
    let mut n = 0;
    while n < traces {
        let mut b = BlockBuilder::new(config.clone());
        for t in n..(n + per_block).min(traces) {
            for rs in trace(t, 10) {
                b.push(rs).unwrap();
            }
        }
        let block = b
            .finish("single-tenant", tempo_block::uuid::Uuid::new_v4())
            .unwrap();
        block.upload(store).await.unwrap();
        n += per_block;
    }
}

#[test]
#[ignore = "load test: run in release with --nocapture"]
fn find_by_id() {
    let traces = env_usize("TEMPO_LOAD_TRACES", 60_000) as u64;
    let lookups = env_usize("TEMPO_LOAD_LOOKUPS", 1000) as u64;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut results = Vec::new();
        for blocks in [1, 1000] {
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path().join("blocks");
            std::fs::create_dir_all(&root).unwrap();
            let backend = Arc::new(ObjectStoreBackend::local(&root).unwrap());
            let bs = BlockStore::new(backend.clone());
            let t = Instant::now();
            write_blocks(&bs, traces, traces.div_ceil(blocks)).await;
            let written = t.elapsed();
            let t = Instant::now();
            let store = Store::open(StoreConfig::new(dir.path().join("wal")), backend)
                .await
                .unwrap();
            let opened = t.elapsed();
            assert_eq!(store.stats().tenants["single-tenant"].blocks, blocks as usize);
            let mut lat = Vec::new();
            let mut x: u64 = 12345;
            for _ in 0..lookups {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                let n = (x >> 33) % traces;
                let id = TraceId::from_high_low(0x5eed, n + 1);
                let t = Instant::now();
                let found = store
                    .find_trace("single-tenant", &id, FindOptions::default())
                    .await
                    .unwrap()
                    .unwrap();
                lat.push(t.elapsed());
                assert_eq!(found.blocks, 1);
            }
            let mut absent = Vec::new();
            for i in 0..lookups {
                let id = TraceId::from_high_low(0xabad, i + 1);
                let t = Instant::now();
                assert!(store
                    .find_trace("single-tenant", &id, FindOptions::default())
                    .await
                    .unwrap()
                    .is_none());
                absent.push(t.elapsed());
            }
            lat.sort();
            absent.sort();
            eprintln!(
                "find_by_id, {traces} traces in {blocks} block(s): written in {:.1} s, store opened (poll + open every block) in {:.0} ms",
                written.as_secs_f64(),
                opened.as_secs_f64() * 1e3
            );
            eprintln!(
                "  present: p50 {:.3} ms, p99 {:.3} ms; absent: p50 {:.3} ms, p99 {:.3} ms",
                percentile(&lat, 0.5).as_secs_f64() * 1e3,
                percentile(&lat, 0.99).as_secs_f64() * 1e3,
                percentile(&absent, 0.5).as_secs_f64() * 1e3,
                percentile(&absent, 0.99).as_secs_f64() * 1e3
            );
            results.push(percentile(&lat, 0.5));
        }
        eprintln!(
            "  1000 blocks / 1 block, present p50: {:.2}x",
            results[1].as_secs_f64() / results[0].as_secs_f64()
        );
    });
}
