//! Replays every committed fuzz seed and crash regression through the fuzz entry points.

#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

use bloom::Sbbf;
use bloom::tempo::{Shard, ShardedBloom, TempoBloomParams};

#[test]
fn replay_tempo_shard_inputs() {
    let inputs = testkit::fuzz_inputs("bloom_tempo_shard");
    assert!(!inputs.is_empty());
    for (path, bytes) in inputs {
        eprintln!("replaying {}", path.display());
        bloom::fuzzing::tempo_shard(&bytes);
    }
}

#[test]
fn replay_sbbf_inputs() {
    let inputs = testkit::fuzz_inputs("bloom_sbbf");
    assert!(!inputs.is_empty());
    for (path, bytes) in inputs {
        eprintln!("replaying {}", path.display());
        bloom::fuzzing::sbbf(&bytes);
    }
}

/// Rewrites the seed corpora from this crate's own encoders:
/// `cargo test -p bloom --test fuzz_replay -- --ignored write_seed_corpus`.
#[test]
#[ignore = "writes files; run by hand to regenerate the seeds"]
fn write_seed_corpus() {
    let write = testkit::write_seed;
    let mut filter = ShardedBloom::new(TempoBloomParams::new(0.01, 64, 40).unwrap());
    for i in 0u8..40 {
        filter.insert(&[i; 16]);
    }
    for (i, shard) in filter.encode_shards().iter().enumerate() {
        write("bloom_tempo_shard", &format!("valid-shard-{i}"), shard);
    }
    let odd = Shard::new(100, 3).unwrap().encode(); // m not a multiple of 64
    write("bloom_tempo_shard", "valid-odd-m", &odd);
    write("bloom_tempo_shard", "truncated-header", &odd[..20]);
    let mut bad_len = odd.clone();
    bad_len[23] = 99;
    write("bloom_tempo_shard", "bitset-length-mismatch", &bad_len);

    let mut sbbf = Sbbf::with_ndv_fpp(20, 0.05).unwrap();
    for i in 0u8..20 {
        sbbf.insert(&[i; 16]);
    }
    let bytes = sbbf.to_bytes();
    write("bloom_sbbf", "valid", &bytes);
    write("bloom_sbbf", "truncated", &bytes[..bytes.len() - 3]);
    let mut bad_crc = bytes.clone();
    bad_crc[20] ^= 1;
    write("bloom_sbbf", "bad-crc", &bad_crc);
}
