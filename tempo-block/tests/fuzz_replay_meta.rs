#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported
//! Replays every committed seed and crash regression of the `tempo_meta` fuzz target through
//! its entry point, and (ignored) regenerates the seeds from this crate's own encoders.

use chrono::DateTime;
use tempo_block::fuzzing;
use tempo_block::meta::{
    BlockMeta, CompactedBlockMeta, DedicatedColumn, DedicatedOptions, DedicatedScope,
    DedicatedType, Version,
};
use tempo_block::tenant_index::TenantIndex;
use uuid::Uuid;

#[test]
fn replay_meta_inputs() {
    let inputs = testkit::fuzz_inputs("tempo_meta");
    assert!(!inputs.is_empty());
    for (path, bytes) in inputs {
        eprintln!("replaying {}", path.display());
        fuzzing::tempo_meta(&bytes);
        // The seeds written below must decode, so the fuzzer starts from valid input.
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        match name.as_str() {
            "meta_json" => drop(BlockMeta::from_json(&bytes).unwrap()),
            "compacted_json" => drop(CompactedBlockMeta::from_json(&bytes).unwrap()),
            "dedicated_columns" => drop(DedicatedColumn::list_from_json(&bytes).unwrap()),
            "index_json" => drop(TenantIndex::from_json(&bytes).unwrap()),
            "index_pb" => drop(TenantIndex::from_protobuf(&bytes).unwrap()),
            "index_json_gz" => drop(TenantIndex::decode_json_gz(&bytes, 1 << 20).unwrap()),
            "index_pb_zst" => drop(TenantIndex::decode_pb_zst(&bytes, 1 << 20).unwrap()),
            _ => {}
        }
    }
}

fn sample_index() -> TenantIndex {
    let mut meta = BlockMeta::new(Version::VParquet5, "single-tenant", Uuid::from_u128(0xcafe));
    meta.start_time = DateTime::from_timestamp(1_736_946_000, 0).unwrap();
    meta.end_time = DateTime::from_timestamp(1_736_947_002, 500_000_000).unwrap();
    meta.total_objects = 1000;
    meta.size = 2_120_489;
    meta.total_records = 13;
    meta.bloom_shards = 1;
    meta.footer_size = 156_839;
    meta.replication_factor = 1;
    meta.dedicated_columns = DedicatedColumn::default_list();
    meta.dedicated_columns.push(DedicatedColumn {
        scope: DedicatedScope::Event,
        name: "exception.<message>".into(),
        kind: DedicatedType::String,
        options: DedicatedOptions {
            array: true,
            blob: true,
        },
    });
    let mut old = BlockMeta::new(Version::VParquet4, "single-tenant", Uuid::from_u128(0xbeef));
    old.format = "vParquet3".into();
    let compacted = CompactedBlockMeta {
        meta: old.clone(),
        compacted_time: DateTime::from_timestamp(1_736_950_000, 0).unwrap(),
    };
    TenantIndex {
        created_at: DateTime::from_timestamp(1_763_728_075, 83_162_421).unwrap(),
        metas: vec![meta, old],
        compacted: vec![compacted],
    }
}

#[test]
#[ignore = "writes fuzz/corpus/tempo_meta; run by hand when the formats change"]
fn write_seed_corpus() {
    let index = sample_index();
    let target = "tempo_meta";
    testkit::write_seed(target, "meta_json", &index.metas[0].to_json().unwrap());
    testkit::write_seed(
        target,
        "compacted_json",
        &index.compacted[0].to_json().unwrap(),
    );
    testkit::write_seed(
        target,
        "dedicated_columns",
        DedicatedColumn::list_to_json(&index.metas[0].dedicated_columns).as_bytes(),
    );
    testkit::write_seed(target, "index_json", &index.to_json().unwrap());
    testkit::write_seed(target, "index_pb", &index.to_protobuf().unwrap());
    testkit::write_seed(target, "index_json_gz", &index.encode_json_gz().unwrap());
    testkit::write_seed(target, "index_pb_zst", &index.encode_pb_zst().unwrap());
}
