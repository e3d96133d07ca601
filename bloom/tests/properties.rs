//! Property tests: no false negatives, the split-block filter's measured false-positive rate
//! stays within 20 % of its target, and encodings round-trip.

#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)] // rates

use bloom::Sbbf;
use bloom::tempo::{Shard, ShardView, ShardedBloom, TempoBloomParams};
use proptest::prelude::*;

fn keys(seed: u64, count: usize) -> Vec<[u8; 16]> {
    // SplitMix64: cheap, seeded, and independent of the filters' hashes.
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    (0..count)
        .map(|_| {
            let mut id = [0u8; 16];
            id[..8].copy_from_slice(&next().to_le_bytes());
            id[8..].copy_from_slice(&next().to_le_bytes());
            id
        })
        .collect()
}

proptest! {
    // A fixed seed: the false-positive check is statistical (a small filter's own rate varies
    // with where its keys land), so the cases are fixed for CI to be repeatable; change the
    // seed by hand to explore.
    #![proptest_config(ProptestConfig {
        cases: 24,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x5eed_b100),
        ..ProptestConfig::default()
    })]

    #[test]
    fn sbbf_fpp_within_20_percent_and_no_false_negatives(
        ndv in 2_000u64..20_000,
        fpp in 0.002f64..0.1,
        seed in any::<u64>(),
    ) {
        let present = keys(seed, usize::try_from(ndv).unwrap());
        let mut filter = Sbbf::with_ndv_fpp(ndv, fpp).unwrap();
        for k in &present {
            filter.insert(k);
        }
        for k in &present {
            prop_assert!(filter.contains(k));
        }
        // Enough probes that sampling noise (3 sigma) stays well inside the 20 % band.
        let probes = ((400.0 / fpp) as usize).max(20_000);
        let absent = keys(seed ^ 0xdead_beef_cafe_f00d, probes);
        let hits = absent.iter().filter(|k| filter.contains(*k)).count();
        let measured = hits as f64 / probes as f64;
        prop_assert!(
            (measured - fpp).abs() <= 0.2 * fpp,
            "ndv {} target {} measured {} ({} blocks)", ndv, fpp, measured, filter.num_blocks()
        );
    }

    #[test]
    fn sbbf_round_trips(ndv in 1u64..5_000, seed in any::<u64>()) {
        let mut filter = Sbbf::with_ndv_fpp(ndv, 0.01).unwrap();
        for k in keys(seed, usize::try_from(ndv).unwrap()) {
            filter.insert(&k);
        }
        prop_assert_eq!(Sbbf::from_bytes(&filter.to_bytes()).unwrap(), filter);
    }

    #[test]
    fn tempo_filter_has_no_false_negatives_and_round_trips(
        n in 1u64..3_000,
        shard_size in 8u32..4096,
        seed in any::<u64>(),
    ) {
        let ids = keys(seed, usize::try_from(n).unwrap());
        let params = TempoBloomParams::new(0.01, shard_size, n).unwrap();
        let mut filter = ShardedBloom::new(params);
        for id in &ids {
            filter.insert(id);
        }
        let encoded = filter.encode_shards();
        prop_assert_eq!(encoded.len(), params.shard_count());
        let views: Vec<ShardView<&[u8]>> =
            encoded.iter().map(|b| ShardView::parse(b.as_slice()).unwrap()).collect();
        for id in &ids {
            prop_assert!(filter.contains(id));
            prop_assert!(views[filter.shard_of(id)].contains(id));
        }
        let decoded: Vec<Shard> = encoded.iter().map(|b| Shard::decode(b).unwrap()).collect();
        prop_assert_eq!(ShardedBloom::from_shards(decoded).unwrap(), filter);
    }

    #[test]
    fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = ShardView::parse(bytes.as_slice()).map(|v| v.contains(&[0u8; 16]));
        let _ = Shard::decode(&bytes);
        let _ = Sbbf::from_bytes(&bytes).map(|f| f.contains(b"k"));
    }
}
