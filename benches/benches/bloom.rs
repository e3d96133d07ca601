//! Bloom filters: Tempo's sharded filter and the split-block filter, each beside the
//! `bloomfilter` crate with the same keys and false-positive rate.
//!
//! Keys are seeded 16-byte trace IDs; "test" groups probe a mix of present and absent IDs.
#![allow(missing_docs)] // criterion's macros generate undocumented items

use bloom::Sbbf;
use bloom::tempo::{ShardView, ShardedBloom, TempoBloomParams, TraceKey};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const KEYS: usize = 50_000;
const FPP: f64 = 0.01;

fn baseline(keys: &[[u8; 16]]) -> bloomfilter::Bloom<[u8; 16]> {
    let mut b = bloomfilter::Bloom::new_for_fp_rate(keys.len(), FPP).expect("valid sizing");
    for k in keys {
        b.set(k);
    }
    b
}

fn insert(c: &mut Criterion) {
    let keys = benches::trace_ids(KEYS, 1);
    let mut group = c.benchmark_group("bloom_insert");
    group.throughput(Throughput::Elements(KEYS as u64));
    group.bench_function("tempo_sharded", |b| {
        let params = TempoBloomParams::with_defaults(KEYS as u64);
        b.iter_batched_ref(
            || ShardedBloom::new(params),
            |f| keys.iter().for_each(|k| f.insert(k)),
            BatchSize::LargeInput,
        );
    });
    group.bench_function("sbbf", |b| {
        b.iter_batched_ref(
            || Sbbf::with_ndv_fpp(KEYS as u64, FPP).expect("valid sizing"),
            |f| keys.iter().for_each(|k| f.insert(k)),
            BatchSize::LargeInput,
        );
    });
    group.bench_function("baseline_bloomfilter_crate", |b| {
        b.iter_batched_ref(
            || bloomfilter::Bloom::new_for_fp_rate(KEYS, FPP).expect("valid sizing"),
            |f| keys.iter().for_each(|k| f.set(k)),
            BatchSize::LargeInput,
        );
    });
    group.finish();
}

fn test(c: &mut Criterion) {
    let keys = benches::trace_ids(KEYS, 1);
    // Half present, half absent.
    let probes: Vec<[u8; 16]> = keys
        .iter()
        .take(KEYS / 2)
        .copied()
        .chain(benches::trace_ids(KEYS / 2, 2))
        .collect();
    let mut tempo = ShardedBloom::new(TempoBloomParams::with_defaults(KEYS as u64));
    let mut sbbf = Sbbf::with_ndv_fpp(KEYS as u64, FPP).expect("valid sizing");
    for k in &keys {
        tempo.insert(k);
        sbbf.insert(k);
    }
    let encoded = tempo.encode_shard(0);
    let view = ShardView::parse(encoded.as_slice()).expect("own shard");
    let reference = baseline(&keys);

    let mut group = c.benchmark_group("bloom_test");
    group.throughput(Throughput::Elements(probes.len() as u64));
    group.bench_function("tempo_sharded", |b| {
        b.iter(|| probes.iter().filter(|k| tempo.contains(*k)).count());
    });
    group.bench_function("tempo_shard_view_zero_copy", |b| {
        b.iter(|| probes.iter().filter(|k| view.contains(*k)).count());
    });
    let prehashed: Vec<TraceKey> = probes.iter().map(|k| TraceKey::new(k)).collect();
    group.bench_function("tempo_shard_view_prehashed", |b| {
        b.iter(|| prehashed.iter().filter(|k| view.contains_key(k)).count());
    });
    group.bench_function("sbbf", |b| {
        b.iter(|| probes.iter().filter(|k| sbbf.contains(*k)).count());
    });
    group.bench_function("baseline_bloomfilter_crate", |b| {
        b.iter(|| probes.iter().filter(|k| reference.check(k)).count());
    });
    group.finish();
}

fn decode_and_test(c: &mut Criterion) {
    // One default Tempo shard (102,424 bytes) as fetched from storage, then one lookup.
    let keys = benches::trace_ids(KEYS, 1);
    let mut tempo = ShardedBloom::new(TempoBloomParams::with_defaults(KEYS as u64));
    for k in &keys {
        tempo.insert(k);
    }
    let encoded = tempo.encode_shard(0);
    let probe = keys[KEYS / 3];
    let mut group = c.benchmark_group("bloom_decode_and_test_102424B_shard");
    group.throughput(Throughput::Bytes(encoded.len() as u64));
    group.bench_function("shard_view_parse_and_test", |b| {
        b.iter(|| {
            ShardView::parse(black_box(encoded.as_slice()))
                .expect("own shard")
                .contains(black_box(&probe))
        });
    });
    group.bench_function("owned_decode_and_test", |b| {
        b.iter(|| {
            bloom::tempo::Shard::decode(black_box(&encoded))
                .expect("own shard")
                .contains(black_box(&probe))
        });
    });
    group.bench_function("baseline_memcpy_shard", |b| {
        b.iter(|| black_box(encoded.clone()));
    });
    group.finish();
}

criterion_group!(benches, insert, test, decode_and_test);
criterion_main!(benches);
