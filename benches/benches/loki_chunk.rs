//! Loki chunks: encode (append + cut + compress + serialise) and decode (open + verify +
//! decompress + iterate every entry) per codec, each beside the raw codec library compressing
//! or decompressing the same block bytes. Throughput is uncompressed line bytes, the unit
//! Loki's own benchmarks report.
//!
//! Corpus: ~1.5 MB of seeded logfmt, JSON and plain lines; 256 KiB blocks; V4 chunks.
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::hint::black_box;
use std::ops::ControlFlow;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use loki_chunk::{Chunk, ChunkWriter, Codec, Query, WriterOptions};

const CORPUS_BYTES: usize = 1_500_000;

fn write_chunk(codec: Codec, lines: &[(i64, Vec<u8>)]) -> bytes::Bytes {
    let mut w = ChunkWriter::new(WriterOptions::v4(codec)).expect("valid options");
    for (ts, line) in lines {
        let _ = w.append(*ts, line, &[]).expect("in order");
    }
    w.finish().expect("in memory")
}

/// The uncompressed payload of each block of `chunk`, as the writer compressed them.
fn block_payloads(codec: Codec, chunk: &Chunk) -> Vec<Vec<u8>> {
    chunk
        .blocks()
        .iter()
        .map(|b| {
            let start = usize::try_from(b.offset).expect("fits");
            let len = usize::try_from(b.compressed_len).expect("fits");
            let mut out = Vec::new();
            benches::raw::decompress(codec, &chunk.bytes()[start..start + len], &mut out);
            out
        })
        .collect()
}

fn codecs(c: &mut Criterion) {
    let lines = benches::log_corpus(CORPUS_BYTES, 7);
    let line_bytes: u64 = lines.iter().map(|(_, l)| l.len() as u64).sum();
    for codec in Codec::ALL {
        let chunk = Chunk::open(write_chunk(codec, &lines)).expect("own chunk");
        let payloads = block_payloads(codec, &chunk);
        let compressed: Vec<Vec<u8>> = payloads
            .iter()
            .map(|p| benches::raw::compress(codec, p))
            .collect();

        let mut group = c.benchmark_group(format!("loki_encode/{}", codec.name()));
        group.throughput(Throughput::Bytes(line_bytes));
        group.sample_size(20);
        group.bench_function("chunk_writer", |b| {
            b.iter(|| write_chunk(codec, black_box(&lines)));
        });
        group.bench_function("baseline_raw_codec", |b| {
            b.iter(|| {
                for p in &payloads {
                    black_box(benches::raw::compress(codec, black_box(p)));
                }
            });
        });
        group.finish();

        let mut group = c.benchmark_group(format!("loki_decode/{}", codec.name()));
        group.throughput(Throughput::Bytes(line_bytes));
        group.sample_size(20);
        group.bench_function("open_and_iterate", |b| {
            b.iter(|| {
                let chunk = Chunk::open(chunk.bytes().clone()).expect("own chunk");
                let mut n = 0usize;
                chunk
                    .for_each(Query::all(), |e| {
                        n += e.line.len();
                        ControlFlow::Continue(())
                    })
                    .expect("decodes");
                black_box(n)
            });
        });
        group.bench_function("baseline_raw_codec", |b| {
            let mut out = Vec::new();
            b.iter(|| {
                for block in &compressed {
                    benches::raw::decompress(codec, black_box(block), &mut out);
                    black_box(out.len());
                }
            });
        });
        group.finish();
    }
}

criterion_group!(benches, codecs);
criterion_main!(benches);
