//! Loki chunks: encode (append + cut + compress + serialise) and decode (open + verify +
//! decompress + iterate every entry) per codec, each beside the raw codec library compressing
//! or decompressing the same block bytes. Throughput is uncompressed line bytes, the unit
//! Loki's own benchmarks report.
//!
//! Corpus: `LOKI_BENCH_MB` MB (default 100) of seeded logfmt, JSON and plain lines, cut into
//! chunks the way Loki's ingester cuts them (a new chunk when `space_for` says no: Loki's
//! 1.5 MB target, 256 KiB blocks, V4). Every codec runs over the whole corpus, so the `lz4`
//! rows decode thousands of 4 MiB-frame blocks, not one.
//!
//! Baselines, in the same group: `baseline_raw_codec` compresses every block payload with the
//! codec library and the writer's settings, or decompresses every block with one decoder
//! reused across blocks (what a reader can do at best); for gzip and flate,
//! `baseline_zlib_rs_level6` is what the writer used before libdeflate.
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::hint::black_box;
use std::ops::ControlFlow;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use loki_chunk::{Chunk, ChunkWriter, Codec, Query, WriterOptions};

/// Corpus size in MB (10^6 bytes of line text).
fn corpus_mb() -> usize {
    std::env::var("LOKI_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100)
}

/// Writes `lines` into as many chunks as Loki's ingester would cut.
fn write_chunks(codec: Codec, lines: &[(i64, Vec<u8>)]) -> Vec<bytes::Bytes> {
    let opts = WriterOptions::v4(codec);
    let mut chunks = Vec::new();
    let mut w = ChunkWriter::new(opts).expect("valid options");
    for (ts, line) in lines {
        if !w.space_for(line.len(), &[]) {
            let full = std::mem::replace(&mut w, ChunkWriter::new(opts).expect("valid options"));
            chunks.push(full.finish().expect("in memory"));
        }
        let _ = w.append(*ts, line, &[]).expect("in order");
    }
    chunks.push(w.finish().expect("in memory"));
    chunks
}

/// The compressed and the uncompressed bytes of every block of `chunks`.
fn blocks(codec: Codec, chunks: &[Chunk]) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let mut compressed = Vec::new();
    let mut payloads = Vec::new();
    for chunk in chunks {
        for b in chunk.blocks() {
            let start = usize::try_from(b.offset).expect("fits");
            let len = usize::try_from(b.compressed_len).expect("fits");
            let block = chunk.bytes()[start..start + len].to_vec();
            let mut out = Vec::new();
            benches::raw::decompress(codec, &block, &mut out);
            compressed.push(block);
            payloads.push(out);
        }
    }
    (compressed, payloads)
}

fn codecs(c: &mut Criterion) {
    let lines = benches::log_corpus(corpus_mb() * 1_000_000, 7);
    let line_bytes: u64 = lines.iter().map(|(_, l)| l.len() as u64).sum();
    for codec in Codec::ALL {
        let chunks: Vec<Chunk> = write_chunks(codec, &lines)
            .into_iter()
            .map(|b| Chunk::open(b).expect("own chunk"))
            .collect();
        let (compressed, payloads) = blocks(codec, &chunks);
        let stored: usize = chunks.iter().map(|c| c.bytes().len()).sum();
        eprintln!(
            "{codec}: {} chunks, {} blocks, {stored} bytes stored for {line_bytes} line bytes",
            chunks.len(),
            compressed.len()
        );

        let mut group = c.benchmark_group(format!("loki_encode/{}", codec.name()));
        group.throughput(Throughput::Bytes(line_bytes));
        group.sample_size(10);
        group.bench_function("chunk_writer", |b| {
            b.iter(|| write_chunks(codec, black_box(&lines)));
        });
        group.bench_function("baseline_raw_codec", |b| {
            b.iter(|| {
                for p in &payloads {
                    black_box(benches::raw::compress(codec, black_box(p)));
                }
            });
        });
        if matches!(codec, Codec::Gzip | Codec::Flate) {
            let old: usize = payloads
                .iter()
                .map(|p| benches::raw::compress_zlib6(codec, p).len())
                .sum();
            let new: usize = compressed.iter().map(Vec::len).sum();
            eprintln!("{codec}: blocks {new} bytes; zlib-rs level 6 would write {old}");
            group.bench_function("baseline_zlib_rs_level6", |b| {
                b.iter(|| {
                    for p in &payloads {
                        black_box(benches::raw::compress_zlib6(codec, black_box(p)));
                    }
                });
            });
        }
        group.finish();

        let mut group = c.benchmark_group(format!("loki_decode/{}", codec.name()));
        group.throughput(Throughput::Bytes(line_bytes));
        group.sample_size(10);
        group.bench_function("open_and_iterate", |b| {
            b.iter(|| {
                let mut n = 0usize;
                for stored in &chunks {
                    let chunk = Chunk::open(stored.bytes().clone()).expect("own chunk");
                    chunk
                        .for_each(Query::all(), |e| {
                            n += e.line.len();
                            ControlFlow::Continue(())
                        })
                        .expect("decodes");
                }
                black_box(n)
            });
        });
        group.bench_function("baseline_raw_codec", |b| {
            let mut out = Vec::new();
            b.iter(|| {
                let mut n = 0usize;
                benches::raw::decompress_all(codec, black_box(&compressed), &mut out, |p| {
                    n += p.len();
                });
                black_box(n)
            });
        });
        group.finish();
    }
}

criterion_group!(benches, codecs);
criterion_main!(benches);
