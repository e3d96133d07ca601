//! tempo-block: writing a block, finding a trace by ID (present and absent), and scanning every
//! trace, each beside a baseline on the same data — prost encoding (writing) or decoding
//! (lookups, scans) of the same traces as OTLP protobuf, and the bare bloom test for absent IDs.
//!
//! Blocks live in memory (the "data in page cache" case). The lookup benches also run on
//! Tempo's own 1000-trace compat block when `COMPAT_DIR` is set.
//!
//! `tempo_block_find_50k_local_folder` finds present IDs in the same 50k-trace block stored
//! in a local folder (a temporary directory, so warm in the page cache), inside a
//! multi-threaded Tokio runtime as a server runs lookups: through this crate's local folder
//! (`ObjectStoreBackend::local`), beside the block in memory (`baseline_in_memory`, the
//! floor) and `object_store`'s `LocalFileSystem` on the same folder
//! (`baseline_object_store_local`, what `local` was before).
//!
//! `tempo_block_open_*` opens a block (the 50k-trace block on a local folder and in memory;
//! Tempo's compat block in its folder) and, separately, opens it and finds one present trace,
//! beside reading and parsing `meta.json` alone — all that Tempo's open reads.
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::hint::black_box;
use std::sync::Arc;

use bytes::Bytes;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use futures_util::FutureExt as _;
use otlp_model::TraceId;
use otlp_model::proto::trace::{ResourceSpans, TracesData};
use prost::Message;
use tempo_block::backend::{INDEX_NAME, META_NAME, bloom_name};
use tempo_block::meta::BlockMeta;
use tempo_block::object_store::local::LocalFileSystem;
use tempo_block::{
    BlockBuilder, BlockConfig, BlockObjects, BlockReader, BlockStore, ObjectStoreBackend,
    TraceWriter, WrittenBlock,
};

type Corpus = Vec<([u8; 16], Vec<ResourceSpans>)>;

/// Runs a future that completes without waiting (every object here is in memory).
fn now<F: std::future::Future>(f: F) -> F::Output {
    f.now_or_never()
        .expect("in-memory reads complete immediately")
}

fn build(corpus: &Corpus) -> WrittenBlock {
    let mut b = BlockBuilder::new(BlockConfig::default());
    for (id, rs) in corpus {
        b.push_trace(&TraceId::from_bytes(*id), rs.clone());
    }
    b.finish("bench", uuid::Uuid::nil()).expect("block builds")
}

fn proto_bytes(rs: &[ResourceSpans]) -> Vec<u8> {
    TracesData {
        resource_spans: rs.to_vec(),
    }
    .encode_to_vec()
}

fn write(c: &mut Criterion) {
    // 10,000 traces of 10 spans: 100,000 spans.
    let corpus = benches::trace_corpus(10_000, 10, 7);
    let spans = 100_000u64;
    let bytes: u64 = corpus
        .iter()
        .map(|(_, rs)| proto_bytes(rs).len() as u64)
        .sum();
    let mut sorted: Vec<(TraceId, Vec<ResourceSpans>)> = corpus
        .iter()
        .map(|(id, rs)| (TraceId::from_bytes(*id), rs.clone()))
        .collect();
    sorted.sort_by_key(|t| t.0);
    for (name, throughput) in [
        ("tempo_block_write_spans", Throughput::Elements(spans)),
        ("tempo_block_write_bytes", Throughput::Bytes(bytes)),
    ] {
        let mut group = c.benchmark_group(name);
        group.sample_size(10);
        group.throughput(throughput);
        group.bench_function("block_builder", |b| {
            b.iter_batched(
                || corpus.clone(),
                |corpus| {
                    let mut builder = BlockBuilder::new(BlockConfig::default());
                    for (id, rs) in corpus {
                        builder.push_trace(&TraceId::from_bytes(id), rs);
                    }
                    builder
                        .finish("bench", uuid::Uuid::nil())
                        .expect("block builds")
                },
                BatchSize::LargeInput,
            );
        });
        // The streaming writer on traces already sorted and borrowed (what completing a WAL or
        // compacting does): no grouping, and the input is neither moved nor dropped.
        group.bench_function("trace_writer_sorted", |b| {
            b.iter(|| {
                let mut w = TraceWriter::new(Vec::new(), BlockConfig::default()).expect("writer");
                for (id, rs) in &sorted {
                    w.append(id, rs).expect("sorted");
                }
                w.finish().expect("finishes").1.size
            });
        });
        group.bench_function("baseline_prost_encode", |b| {
            b.iter(|| {
                corpus
                    .iter()
                    .map(|(_, rs)| proto_bytes(black_box(rs)).len())
                    .sum::<usize>()
            });
        });
        group.finish();
    }
    write_200k(c);
}

/// 20,000 traces of 10 spans (200,000 spans) in one row group: what completing a WAL block
/// and compacting write, on one encode thread (the comparison with Tempo's `CreateBlock` on
/// the same spans) and on two. Peak memory for the same write is measured by
/// `benches/tests/tempo_block_write_peak.rs` (one process per write).
fn write_200k(c: &mut Criterion) {
    let corpus = benches::trace_corpus(20_000, 10, 11);
    let mut sorted: Vec<(TraceId, Vec<ResourceSpans>)> = corpus
        .iter()
        .map(|(id, rs)| (TraceId::from_bytes(*id), rs.clone()))
        .collect();
    sorted.sort_by_key(|t| t.0);
    let config = |threads| BlockConfig {
        encode_threads: threads,
        ..BlockConfig::default()
    };
    let mut group = c.benchmark_group("tempo_block_write_200k_spans");
    group.sample_size(10);
    group.throughput(Throughput::Elements(200_000));
    for (name, threads) in [
        ("trace_writer_one_encode_thread", 1),
        ("trace_writer_two_encode_threads", 2),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut w = TraceWriter::new(Vec::new(), config(threads)).expect("writer");
                for (id, rs) in &sorted {
                    w.append(id, rs).expect("sorted");
                }
                w.finish().expect("finishes").1.size
            });
        });
    }
    group.bench_function("block_builder_one_encode_thread", |b| {
        b.iter_batched(
            || corpus.clone(),
            |corpus| {
                let mut builder = BlockBuilder::new(config(1));
                for (id, rs) in corpus {
                    builder.push_trace(&TraceId::from_bytes(id), rs);
                }
                builder
                    .finish("bench", uuid::Uuid::nil())
                    .expect("block builds")
            },
            BatchSize::LargeInput,
        );
    });
    group.bench_function("baseline_prost_encode", |b| {
        b.iter(|| {
            sorted
                .iter()
                .map(|(_, rs)| proto_bytes(black_box(rs)).len())
                .sum::<usize>()
        });
    });
    group.finish();
}

/// Lookup benches on one opened block: present IDs round-robin, absent IDs, with baselines.
fn lookups(
    c: &mut Criterion,
    label: &str,
    reader: &BlockReader,
    present: &[TraceId],
    absent: &[TraceId],
    protos: &[Vec<u8>],
) {
    let mut group = c.benchmark_group(format!("tempo_block_find_{label}"));
    group.throughput(Throughput::Elements(1));
    let mut next_present = 0;
    group.bench_function("find_present", |b| {
        b.iter(|| {
            next_present = (next_present + 1) % present.len();
            now(reader.find_trace(black_box(&present[next_present])))
                .expect("reads")
                .expect("present")
        });
    });
    let mut next_proto = 0;
    group.bench_function("baseline_prost_decode_present", |b| {
        b.iter(|| {
            next_proto = (next_proto + 1) % protos.len();
            TracesData::decode(black_box(protos[next_proto].as_slice())).expect("decodes")
        });
    });
    let mut next_absent = 0;
    group.bench_function("find_absent", |b| {
        b.iter(|| {
            next_absent = (next_absent + 1) % absent.len();
            now(reader.find_trace(black_box(&absent[next_absent]))).expect("reads")
        });
    });
    let mut next_bloom = 0;
    group.bench_function("baseline_bloom_test_absent", |b| {
        b.iter(|| {
            next_bloom = (next_bloom + 1) % absent.len();
            now(reader.may_contain(black_box(&absent[next_bloom]))).expect("reads")
        });
    });
    group.finish();
}

fn find(c: &mut Criterion) {
    // A block of 50,000 traces (4 spans each).
    let corpus = benches::trace_corpus(50_000, 4, 9);
    let block = build(&corpus);
    let reader = now(BlockReader::open(block.meta.clone(), Arc::new(block))).expect("opens");
    let present: Vec<TraceId> = corpus
        .iter()
        .step_by(97)
        .map(|(id, _)| TraceId::from_bytes(*id))
        .collect();
    let protos: Vec<Vec<u8>> = corpus
        .iter()
        .step_by(97)
        .map(|(_, rs)| proto_bytes(rs))
        .collect();
    let absent: Vec<TraceId> = benches::trace_ids(512, 99)
        .into_iter()
        .map(TraceId::from_bytes)
        .collect();
    lookups(c, "50k", &reader, &present, &absent, &protos);

    if let Some((reader, present, protos)) = compat_block() {
        lookups(c, "compat", &reader, &present, &absent, &protos);
    }
}

/// Present lookups in the 50k-trace block on a local folder, beside the same block in memory
/// and the same folder through `object_store`'s `LocalFileSystem`.
fn find_local(c: &mut Criterion) {
    let corpus = benches::trace_corpus(50_000, 4, 9);
    let block = build(&corpus);
    let present: Vec<TraceId> = corpus
        .iter()
        .step_by(97)
        .map(|(id, _)| TraceId::from_bytes(*id))
        .collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temporary folder");
    let local = BlockStore::new(Arc::new(
        ObjectStoreBackend::local(dir.path()).expect("local folder"),
    ));
    rt.block_on(block.upload(&local)).expect("uploads");
    let object_store_fs = LocalFileSystem::new_with_prefix(dir.path())
        .expect("local folder")
        .with_automatic_cleanup(true);
    let object_store_local = BlockStore::new(Arc::new(
        ObjectStoreBackend::new(Arc::new(object_store_fs), "").expect("backend"),
    ));
    let (tenant, id) = (block.meta.tenant_id.clone(), block.meta.block_id);
    let readers = [
        (
            "local_folder",
            rt.block_on(BlockReader::open_stored(&local, &tenant, id)),
        ),
        (
            "baseline_in_memory",
            rt.block_on(BlockReader::open(block.meta.clone(), Arc::new(block))),
        ),
        (
            "baseline_object_store_local",
            rt.block_on(BlockReader::open_stored(&object_store_local, &tenant, id)),
        ),
    ];
    let mut group = c.benchmark_group("tempo_block_find_50k_local_folder");
    group.throughput(Throughput::Elements(1));
    for (name, reader) in readers {
        let reader = reader.expect("opens");
        let mut next = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                next = (next + 1) % present.len();
                rt.block_on(reader.find_trace(black_box(&present[next])))
                    .expect("reads")
                    .expect("present")
            });
        });
    }
    group.finish();
}

/// Opening a block, beside what Tempo's open costs (reading and parsing `meta.json`, nothing
/// else): our open (`meta.json` when read from a store, the Parquet footer, the TraceID
/// column's page indexes), and open followed by the first present lookup (bloom shard, the
/// other columns' offset indexes, pages) — the 50k-trace block on a local folder (warm) and in
/// memory, and Tempo's compat block in its compat folder when `COMPAT_DIR` is set.
fn open(c: &mut Criterion) {
    let corpus = benches::trace_corpus(50_000, 4, 9);
    let block = build(&corpus);
    let present: Vec<TraceId> = corpus
        .iter()
        .step_by(97)
        .map(|(id, _)| TraceId::from_bytes(*id))
        .collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temporary folder");
    let local = BlockStore::new(Arc::new(
        ObjectStoreBackend::local(dir.path()).expect("local folder"),
    ));
    rt.block_on(block.upload(&local)).expect("uploads");
    let (tenant, id) = (block.meta.tenant_id.clone(), block.meta.block_id);
    let meta_json = block.meta.to_json().expect("meta.json encodes");
    let meta = block.meta.clone();
    let objects: Arc<WrittenBlock> = Arc::new(block);

    let mut group = c.benchmark_group("tempo_block_open_50k");
    group.bench_function("local_folder_baseline_read_meta_json", |b| {
        b.iter(|| rt.block_on(local.read_meta(&tenant, id)).expect("reads"));
    });
    group.bench_function("local_folder_open", |b| {
        b.iter(|| {
            rt.block_on(BlockReader::open_stored(&local, &tenant, id))
                .expect("opens")
        });
    });
    let mut next = 0;
    group.bench_function("local_folder_open_find_present", |b| {
        b.iter(|| {
            next = (next + 1) % present.len();
            rt.block_on(async {
                let reader = BlockReader::open_stored(&local, &tenant, id).await?;
                reader.find_trace(black_box(&present[next])).await
            })
            .expect("reads")
            .expect("present")
        });
    });
    group.bench_function("memory_baseline_parse_meta_json", |b| {
        b.iter(|| BlockMeta::from_json(black_box(&meta_json)).expect("parses"));
    });
    group.bench_function("memory_open", |b| {
        b.iter(|| {
            let objects: Arc<dyn BlockObjects> = Arc::clone(&objects) as _;
            now(BlockReader::open(meta.clone(), objects)).expect("opens")
        });
    });
    let mut next = 0;
    group.bench_function("memory_open_find_present", |b| {
        b.iter(|| {
            next = (next + 1) % present.len();
            let objects: Arc<dyn BlockObjects> = Arc::clone(&objects) as _;
            let reader = now(BlockReader::open(meta.clone(), objects)).expect("opens");
            now(reader.find_trace(black_box(&present[next])))
                .expect("reads")
                .expect("present")
        });
    });
    group.finish();
    open_compat(c, &rt);
}

/// The `open` cases on Tempo's own block in the compat folder (a local bucket), read where it
/// lies.
fn open_compat(c: &mut Criterion, rt: &tokio::runtime::Runtime) {
    let Some(dir) = std::env::var_os("COMPAT_DIR") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir).join("tempo/generated");
    let compat = BlockStore::new(Arc::new(
        ObjectStoreBackend::local(dir.join("vParquet5/blocks")).expect("compat folder"),
    ));
    let tenant = "single-tenant";
    let Some(id) = rt
        .block_on(compat.list_blocks(tenant))
        .ok()
        .and_then(|ids| ids.live.first().copied())
    else {
        return;
    };
    let ids: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join("present-trace-ids.json")).expect("present IDs"),
    )
    .expect("present IDs parse");
    let present: Vec<TraceId> = ids
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|e| TraceId::parse_hex(e["traceID"].as_str()?).ok())
        .collect();
    let mut group = c.benchmark_group("tempo_block_open_compat");
    group.bench_function("local_folder_baseline_read_meta_json", |b| {
        b.iter(|| rt.block_on(compat.read_meta(tenant, id)).expect("reads"));
    });
    group.bench_function("local_folder_open", |b| {
        b.iter(|| {
            rt.block_on(BlockReader::open_stored(&compat, tenant, id))
                .expect("opens")
        });
    });
    let mut next = 0;
    group.bench_function("local_folder_open_find_present", |b| {
        b.iter(|| {
            next = (next + 1) % present.len();
            rt.block_on(async {
                let reader = BlockReader::open_stored(&compat, tenant, id).await?;
                reader.find_trace(black_box(&present[next])).await
            })
            .expect("reads")
            .expect("present")
        });
    });
    group.finish();
}

/// Tempo's vParquet5 compat block, loaded into memory, with its present IDs.
fn compat_block() -> Option<(BlockReader, Vec<TraceId>, Vec<Vec<u8>>)> {
    let dir = std::path::PathBuf::from(std::env::var_os("COMPAT_DIR")?).join("tempo/generated");
    let tenant = dir.join("vParquet5/blocks/single-tenant");
    let block_dir = std::fs::read_dir(&tenant)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.is_dir())?;
    let read = |name: &str| Bytes::from(std::fs::read(block_dir.join(name)).expect("compat file"));
    let meta = BlockMeta::from_json(&read(META_NAME)).expect("meta.json parses");
    let blooms = (0..meta.bloom_shards)
        .map(|i| read(&bloom_name(i)))
        .collect();
    let block = WrittenBlock {
        meta: meta.clone(),
        data: read("data.parquet"),
        blooms,
        index: read(INDEX_NAME),
    };
    let reader = now(BlockReader::open(meta, Arc::new(block))).expect("compat block opens");
    let ids: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("present-trace-ids.json")).ok()?).ok()?;
    let present: Vec<TraceId> = ids
        .as_array()?
        .iter()
        .filter_map(|e| TraceId::parse_hex(e["traceID"].as_str()?).ok())
        .collect();
    let protos = present
        .iter()
        .map(|id| {
            let rs = now(reader.find_trace(id)).expect("reads").expect("present");
            proto_bytes(&rs)
        })
        .collect();
    Some((reader, present, protos))
}

fn scan(c: &mut Criterion) {
    let corpus = benches::trace_corpus(20_000, 10, 11);
    let block = build(&corpus);
    let data_bytes = block.data.len() as u64;
    let reader = now(BlockReader::open(block.meta.clone(), Arc::new(block))).expect("opens");
    let protos: Vec<Vec<u8>> = corpus.iter().map(|(_, rs)| proto_bytes(rs)).collect();
    for (name, throughput) in [
        ("tempo_block_scan_spans", Throughput::Elements(200_000)),
        (
            "tempo_block_scan_parquet_bytes",
            Throughput::Bytes(data_bytes),
        ),
    ] {
        let mut group = c.benchmark_group(name);
        group.sample_size(10);
        group.throughput(throughput);
        group.bench_function("scan", |b| {
            b.iter(|| {
                let mut scan = reader.scan();
                let mut n = 0;
                while let Some(t) = now(scan.next()).expect("reads") {
                    n += t.1.len();
                }
                n
            });
        });
        group.bench_function("baseline_prost_decode", |b| {
            b.iter(|| {
                protos
                    .iter()
                    .map(|p| {
                        TracesData::decode(black_box(p.as_slice()))
                            .expect("decodes")
                            .resource_spans
                            .len()
                    })
                    .sum::<usize>()
            });
        });
        group.finish();
    }
}

criterion_group!(benches, write, find, find_local, open, scan);
criterion_main!(benches);
