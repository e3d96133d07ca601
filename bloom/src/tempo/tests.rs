//! Unit tests of the Tempo bloom format.
#![allow(clippy::cast_possible_truncation)] // test inputs are built from small counters

use super::*;

#[test]
fn fnv1_matches_go_reference_values() {
    // Go: fnv.New32() over "hello" = 0xb6fa7167 (FNV-1, not FNV-1a's 0x4f9f2cab).
    assert_eq!(fnv1_32(b"hello"), 0xb6fa_7167);
}

#[test]
fn header_errors_name_the_field() {
    let mut shard = Shard::new(128, 3).unwrap().encode();
    assert!(ShardView::parse(shard.as_slice()).is_ok());
    shard[15] = 0; // k = 0
    assert!(matches!(
        ShardView::parse(shard.as_slice()),
        Err(BloomError::OutOfRange {
            field: "k",
            offset: 8,
            ..
        })
    ));
    shard[15] = 3;
    shard[23] = 64; // bitset length 64 != m 128
    assert!(matches!(
        ShardView::parse(shard.as_slice()),
        Err(BloomError::HeaderMismatch {
            expected: 128,
            found: 64,
            ..
        })
    ));
    shard[23] = 128;
    shard.pop();
    assert!(matches!(
        ShardView::parse(shard.as_slice()),
        Err(BloomError::LengthMismatch {
            expected: 40,
            found: 39,
            ..
        })
    ));
    assert!(matches!(
        ShardView::parse(&shard[..10]),
        Err(BloomError::TooShort {
            needed: 24,
            found: 10,
            ..
        })
    ));
}

#[test]
fn view_and_owned_shard_agree() {
    let mut shard = Shard::new(1000, 5).unwrap();
    for i in 0u32..50 {
        shard.insert(&i.to_le_bytes());
    }
    let bytes = shard.encode();
    let view = ShardView::parse(bytes.as_slice()).unwrap();
    for i in 0u32..500 {
        assert_eq!(
            view.contains(&i.to_le_bytes()),
            shard.contains(&i.to_le_bytes())
        );
    }
    assert_eq!(view.to_shard(), shard);
}

#[test]
fn fused_16_byte_hashes_equal_the_reference() {
    let mut state = 0x1234_5678_9abc_def0u64;
    for _ in 0..2000 {
        let mut id = [0u8; 16];
        for b in &mut id {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            *b = (state >> 56) as u8;
        }
        let mut joined = id.to_vec();
        joined.push(1);
        let h = base_hashes_16(&id);
        assert_eq!((h[0], h[1]), mur3::murmurhash3_x64_128(&id, 0));
        assert_eq!((h[2], h[3]), mur3::murmurhash3_x64_128(&joined, 0));
    }
}

#[test]
fn streaming_hashes_equal_one_shot_hashes() {
    for len in [0usize, 1, 15, 16, 17, 31, 32, 200] {
        let key: Vec<u8> = (0..len).map(|i| i as u8).collect();
        let mut joined = key.clone();
        joined.push(1);
        let h = base_hashes(&key);
        assert_eq!(
            (h[0], h[1]),
            mur3::murmurhash3_x64_128(&key, 0),
            "len {len}"
        );
        assert_eq!(
            (h[2], h[3]),
            mur3::murmurhash3_x64_128(&joined, 0),
            "len {len}"
        );
    }
}

#[test]
fn sizing_rejects_what_a_shard_cannot_hold() {
    assert!(TempoBloomParams::new(0.01, (1 << 30) + 1, 10).is_err()); // > 1 GiB shards
    assert!(TempoBloomParams::new(1e-320, 1024, 10).is_err()); // k = 1063 > 1024
    let p = TempoBloomParams::new(1e-100, 1 << 20, 10).unwrap(); // large k, still in range
    let filter = ShardedBloom::new(p);
    assert_eq!(
        (filter.shards()[0].m(), filter.shards()[0].k()),
        (8 << 20, p.k())
    );
}
