//! Tempo compatibility: the vectors and bloom shards in `$COMPAT_DIR/tempo/`, written by
//! Tempo's own code, are read and reproduced exactly.

#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

use std::path::{Path, PathBuf};

use bloom::tempo::{
    Shard, ShardView, ShardedBloom, TempoBloomParams, TraceKey, fnv1_32, shard_object_name,
};
use serde_json::Value;

fn tempo_dir(test: &str) -> Option<PathBuf> {
    testkit::compat_dir(test).map(|d| d.join("tempo"))
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn hex_id(s: &str) -> [u8; 16] {
    let padded = format!("{s:0>32}");
    let mut id = [0u8; 16];
    for (i, byte) in id.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&padded[2 * i..2 * i + 2], 16).unwrap();
    }
    id
}

/// The single block folder under `<set>/blocks/single-tenant/`, or all of them.
fn block_dirs(tempo: &Path, set: &str) -> Vec<PathBuf> {
    let tenant = tempo
        .join("generated")
        .join(set)
        .join("blocks/single-tenant");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&tenant)
        .unwrap_or_else(|e| panic!("{}: {e}", tenant.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no block in {}", tenant.display());
    dirs
}

fn read_shard_files(block: &Path, count: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| std::fs::read(block.join(shard_object_name(i))).unwrap())
        .collect()
}

fn present_ids(tempo: &Path) -> Vec<[u8; 16]> {
    read_json(&tempo.join("generated/present-trace-ids.json"))
        .as_array()
        .unwrap()
        .iter()
        .map(|t| hex_id(t["traceID"].as_str().unwrap()))
        .collect()
}

fn absent_ids(tempo: &Path) -> Vec<[u8; 16]> {
    read_json(&tempo.join("generated/absent-trace-ids.json"))
        .as_array()
        .unwrap()
        .iter()
        .map(|t| hex_id(t.as_str().unwrap()))
        .collect()
}

#[test]
fn bloom_vectors_match_exactly() {
    let Some(tempo) = tempo_dir("bloom_vectors_match_exactly") else {
        return;
    };
    let set = tempo.join("generated/vParquet5");
    let vectors = read_json(&set.join("bloom-vectors.json"));
    let params = TempoBloomParams::new(
        vectors["fp"].as_f64().unwrap(),
        u32::try_from(vectors["shardSizeBytes"].as_u64().unwrap()).unwrap(),
        vectors["estimatedObjects"].as_u64().unwrap(),
    )
    .unwrap();
    assert_eq!(
        params.total_bits(),
        vectors["estimate_m_bits"].as_u64().unwrap()
    );
    assert_eq!(params.k(), vectors["k"].as_u64().unwrap());
    assert_eq!(
        params.shard_count() as u64,
        vectors["shardCount"].as_u64().unwrap()
    );

    let block = &block_dirs(&tempo, "vParquet5")[0];
    let shard_bytes = read_shard_files(block, params.shard_count());
    let shards: Vec<ShardView<&[u8]>> = shard_bytes
        .iter()
        .map(|b| ShardView::parse(b.as_slice()).unwrap())
        .collect();

    let list = vectors["vectors"].as_array().unwrap();
    assert_eq!(list.len(), 40);
    for v in list {
        let id = hex_id(v["traceID"].as_str().unwrap());
        let key = TraceKey::new(&id);
        assert_eq!(u64::from(fnv1_32(&id)), v["fnv32_token"].as_u64().unwrap());
        assert_eq!(u64::from(key.token()), v["fnv32_token"].as_u64().unwrap());
        for (count, shard) in v["shardForShardCount"].as_object().unwrap() {
            let count: usize = count.parse().unwrap();
            assert_eq!(
                key.shard_index(count) as u64,
                shard.as_u64().unwrap(),
                "{id:02x?}"
            );
        }
        let expected: Vec<u64> = v["locations_k_unreduced"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap())
            .collect();
        let got: Vec<u64> = key.locations(params.k()).collect();
        assert_eq!(got, expected, "locations of {id:02x?}");
        let answer = shards[key.shard_index(shards.len())].contains_key(&key);
        assert_eq!(answer, v["blockBloomTest"].as_bool().unwrap(), "{id:02x?}");
        if v["present"].as_bool().unwrap() {
            assert!(answer, "present ID {id:02x?} must test positive");
        }
    }
}

/// Every compat block: the header matches its meta, every present ID tests positive, the
/// shards we build for the same IDs and parameters are byte-identical to Tempo's, and so the
/// absent IDs get Tempo's answers.
#[test]
fn shards_rebuild_byte_identical_for_every_block() {
    let Some(tempo) = tempo_dir("shards_rebuild_byte_identical_for_every_block") else {
        return;
    };
    let all_present = present_ids(&tempo);
    let absent = absent_ids(&tempo);
    assert_eq!(absent.len(), 52);
    let cases: [(&str, usize); 4] = [
        ("vParquet5", 1000),
        ("vParquet4", 1000),
        ("vParquet5-bloom512", 1000),
        // The split blocks each hold partial copies of the first 40 traces.
        ("vParquet5-split", 40),
    ];
    let mut checked = 0;
    for (set, traces) in cases {
        for block in block_dirs(&tempo, set) {
            let meta = read_json(&block.join("meta.json"));
            let total = meta["totalObjects"].as_u64().unwrap();
            let shard_count = usize::try_from(meta["bloomShards"].as_u64().unwrap()).unwrap();
            let files = read_shard_files(&block, shard_count);
            let first = Shard::decode(&files[0]).unwrap();
            let shard_size = u32::try_from(first.m() / 8).unwrap();
            let params = TempoBloomParams::new(0.01, shard_size, total).unwrap();
            assert_eq!(params.shard_count(), shard_count, "{}", block.display());
            assert_eq!(params.k(), first.k());

            let ids = &all_present[..traces];
            let theirs = ShardedBloom::from_shards(
                files.iter().map(|f| Shard::decode(f).unwrap()).collect(),
            )
            .unwrap();
            for id in ids {
                assert!(
                    theirs.contains(id),
                    "{}: {id:02x?} missing",
                    block.display()
                );
            }

            let mut ours = ShardedBloom::new(params);
            for id in ids {
                ours.insert(id);
            }
            let encoded = ours.encode_shards();
            assert_eq!(encoded.len(), files.len());
            for (i, (a, b)) in encoded.iter().zip(&files).enumerate() {
                assert!(
                    a == b,
                    "{}: bloom-{i} differs from Tempo's",
                    block.display()
                );
            }
            for id in &absent {
                assert_eq!(ours.contains(id), theirs.contains(id));
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 5);
}

#[test]
fn shipped_shards_decode() {
    let Some(tempo) = tempo_dir("shipped_shards_decode") else {
        return;
    };
    let shipped = tempo.join("shipped/tempodb/encoding");
    for i in 0..3 {
        let bytes = std::fs::read(shipped.join(format!("common/test-data/bloom-{i}"))).unwrap();
        let shard = ShardView::parse(bytes.as_slice()).unwrap();
        assert_eq!((shard.m(), shard.k(), bytes.len()), (160, 7, 48));
        // Re-encoding an owned copy gives the same bytes back.
        assert_eq!(shard.to_shard().encode(), bytes);
    }
    for (version, m) in [
        ("vparquet3", 819_200),
        ("vparquet4", 819_200),
        ("vparquet5", 8_388_608),
    ] {
        let dir = shipped.join(version).join("test-data/single-tenant");
        let block = std::fs::read_dir(&dir)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let bytes = std::fs::read(block.join("bloom-0")).unwrap();
        let shard = ShardView::parse(bytes.as_slice()).unwrap();
        assert_eq!(shard.m(), m, "{version}");
        assert_eq!(shard.to_shard().encode(), bytes);
    }
}
