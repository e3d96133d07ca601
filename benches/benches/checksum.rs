//! CRC-32C (Loki's chunk checksum) over 1 MiB, beside `crc32fast` (IEEE) on the same bytes.
#![allow(missing_docs)] // criterion's macros generate undocumented items

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn checksums(c: &mut Criterion) {
    let data = benches::random_bytes(1 << 20, 42);
    let mut group = c.benchmark_group("checksum_1MiB");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.bench_function("crc32c", |b| b.iter(|| crc32c::crc32c(black_box(&data))));
    group.bench_function("baseline_crc32fast_ieee", |b| {
        b.iter(|| crc32fast::hash(black_box(&data)));
    });
    group.finish();
}

criterion_group!(benches, checksums);
criterion_main!(benches);
