#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported
//! Tempo's own `meta.json`, `meta.compacted.json` and tenant indexes (`$COMPAT_DIR/tempo/`):
//! every one parses, and our encoders reproduce what Tempo's current code wrote byte for
//! byte.

use std::io::Read;
use std::path::{Path, PathBuf};

use tempo_block::BlockError;
use tempo_block::meta::{
    BlockMeta, CompactedBlockMeta, DedicatedColumn, GO_ZERO_TIME, Version,
    supported_dedicated_columns,
};
use tempo_block::tenant_index::{DEFAULT_INDEX_SIZE_LIMIT, TenantIndex};
use uuid::Uuid;

fn tempo_dir(test: &str) -> Option<PathBuf> {
    testkit::compat_dir(test).map(|d| d.join("tempo"))
}

/// The `blocks/single-tenant` folders of the generated sets.
fn generated_tenants(tempo: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(tempo.join("generated"))
        .unwrap()
        .map(|e| e.unwrap().path().join("blocks/single-tenant"))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 4, "{dirs:?}");
    dirs
}

/// The block folders of a tenant folder.
fn block_dirs(tenant: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(tenant)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn unzstd(bytes: &[u8]) -> Vec<u8> {
    zstd::stream::decode_all(bytes).unwrap()
}

#[test]
fn generated_metas_round_trip_byte_for_byte() {
    let Some(tempo) = tempo_dir("generated_metas_round_trip_byte_for_byte") else {
        return;
    };
    let mut seen = 0;
    for tenant in generated_tenants(&tempo) {
        for block in block_dirs(&tenant) {
            let bytes = std::fs::read(block.join("meta.json")).unwrap();
            let meta = BlockMeta::from_json(&bytes).unwrap();
            assert_eq!(
                meta.block_id.to_string(),
                block.file_name().unwrap().to_str().unwrap()
            );
            assert_eq!(meta.tenant_id, "single-tenant");
            assert_eq!(
                String::from_utf8(meta.to_json().unwrap()).unwrap(),
                String::from_utf8(bytes).unwrap(),
                "{}",
                block.display()
            );
            // The writer kept exactly the default columns the encoding supports.
            let version = meta.version().unwrap();
            assert_eq!(
                meta.dedicated_columns,
                supported_dedicated_columns(&DedicatedColumn::default_list(), version)
            );
            seen += 1;
        }
    }
    assert_eq!(seen, 5);
}

#[test]
fn generated_vparquet5_meta_fields() {
    let Some(tempo) = tempo_dir("generated_vparquet5_meta_fields") else {
        return;
    };
    let path = tempo.join(
        "generated/vParquet5/blocks/single-tenant/00000000-0000-43e8-be3b-0000cafe0000/meta.json",
    );
    let meta = BlockMeta::from_json(&std::fs::read(path).unwrap()).unwrap();
    assert_eq!(meta.version().unwrap(), Version::VParquet5);
    assert_eq!(meta.start_time.to_rfc3339(), "2025-01-15T13:00:00+00:00");
    assert_eq!(meta.end_time.to_rfc3339(), "2025-01-15T13:16:42+00:00");
    assert_eq!(meta.total_objects, 1000);
    assert_eq!(meta.size, 2_120_489);
    assert_eq!(meta.total_records, 13);
    assert_eq!(meta.bloom_shards, 1);
    assert_eq!(meta.footer_size, 156_839);
    assert_eq!(meta.replication_factor, 0);
    assert_eq!(meta.dedicated_columns, DedicatedColumn::default_list());
    // The same list as `tempo-cli view schema` printed from the block's meta.
    let schema =
        std::fs::read_to_string(tempo.join("generated/vParquet5/schema-tempo-cli.txt")).unwrap();
    let quoted =
        DedicatedColumn::list_to_json(&DedicatedColumn::default_list()).replace('"', "\\\"");
    assert!(schema.contains(&format!("dedicated_columns:\"{quoted}\"")));
}

#[test]
fn shipped_metas_of_every_version_parse() {
    let Some(tempo) = tempo_dir("shipped_metas_of_every_version_parse") else {
        return;
    };
    let dir = tempo.join("shipped/tempodb/backend/test/test-data/single-tenant");
    let mut formats = Vec::new();
    for block in block_dirs(&dir) {
        let id: Uuid = block
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let meta_path = block.join("meta.json");
        let meta = if meta_path.exists() {
            BlockMeta::from_json(&std::fs::read(meta_path).unwrap()).unwrap()
        } else {
            let bytes = std::fs::read(block.join("meta.compacted.json")).unwrap();
            let compacted = CompactedBlockMeta::from_json(&bytes).unwrap();
            // A plain copy of meta.json: no compactedTime in the document.
            assert_eq!(compacted.compacted_time, GO_ZERO_TIME);
            compacted.meta
        };
        assert_eq!(meta.block_id, id);
        assert_eq!(meta.start_time, GO_ZERO_TIME);
        assert_eq!(meta.bloom_shard_count(), 10, "legacy shard count");
        formats.push(meta.format.clone());
        if meta.format == "vParquet5" {
            assert_eq!(meta.version().unwrap(), Version::VParquet5);
        } else {
            assert!(matches!(
                meta.version(),
                Err(BlockError::UnsupportedVersion { .. })
            ));
        }
    }
    formats.sort();
    assert_eq!(formats, ["v1", "v3", "v4", "vParquet5"]);

    // The encoding test blocks: vParquet3 and the preview are unsupported, vParquet4 is read.
    for (dir, format, readable) in [
        ("vparquet3", "vParquet3", false),
        ("vparquet4", "vParquet4", true),
        ("vparquet5", "vParquet5-preview5", false),
    ] {
        let path = tempo.join(format!(
            "shipped/tempodb/encoding/{dir}/test-data/single-tenant/b27b0e53-66a0-4505-afd6-434ae3cd4a10/meta.json"
        ));
        let meta = BlockMeta::from_json(&std::fs::read(path).unwrap()).unwrap();
        assert_eq!(meta.format, format);
        assert_eq!(meta.version().is_ok(), readable, "{format}");
        assert_eq!(meta.dedicated_columns.len(), 5);
        assert_eq!(meta.total_records, 1);
    }
}

#[test]
fn generated_tenant_indexes_match_tempo_bytes() {
    let Some(tempo) = tempo_dir("generated_tenant_indexes_match_tempo_bytes") else {
        return;
    };
    for tenant in generated_tenants(&tempo) {
        let shown = tenant.display();
        let gz = std::fs::read(tenant.join("index.json.gz")).unwrap();
        let zst = std::fs::read(tenant.join("index.pb.zst")).unwrap();
        let from_json = TenantIndex::decode_json_gz(&gz, DEFAULT_INDEX_SIZE_LIMIT).unwrap();
        let from_pb = TenantIndex::decode_pb_zst(&zst, DEFAULT_INDEX_SIZE_LIMIT).unwrap();
        assert_eq!(
            from_json, from_pb,
            "{shown}: JSON and protobuf hold the same index"
        );
        assert!(from_json.compacted.is_empty());

        // The index lists exactly the block folders, with their meta.json content.
        let mut metas = from_json.metas.clone();
        metas.sort_by_key(|m| m.block_id);
        let blocks = block_dirs(&tenant);
        assert_eq!(metas.len(), blocks.len(), "{shown}");
        for (meta, block) in metas.iter().zip(&blocks) {
            let on_disk =
                BlockMeta::from_json(&std::fs::read(block.join("meta.json")).unwrap()).unwrap();
            assert_eq!(meta, &on_disk, "{shown}");
        }

        // Our encoders give Tempo's exact JSON and protobuf (compression aside).
        assert_eq!(
            String::from_utf8(from_json.to_json().unwrap()).unwrap(),
            String::from_utf8(gunzip(&gz)).unwrap(),
            "{shown}"
        );
        assert_eq!(from_pb.to_protobuf().unwrap(), unzstd(&zst), "{shown}");
    }
}

#[test]
fn generated_index_contents() {
    let Some(tempo) = tempo_dir("generated_index_contents") else {
        return;
    };
    let tenant = tempo.join("generated/vParquet5/blocks/single-tenant");
    let index = TenantIndex::decode_pb_zst(
        &std::fs::read(tenant.join("index.pb.zst")).unwrap(),
        DEFAULT_INDEX_SIZE_LIMIT,
    )
    .unwrap();
    assert_eq!(
        index.created_at.to_rfc3339(),
        "2026-11-21T12:27:55.083162421+00:00"
    );
    assert_eq!(index.metas.len(), 1);
    let meta = &index.metas[0];
    assert_eq!(
        meta.block_id.to_string(),
        "00000000-0000-43e8-be3b-0000cafe0000"
    );
    assert_eq!(meta.total_objects, 1000);
    assert_eq!(meta.total_records, 13);
    assert_eq!(index.supported().count(), 1);

    let split = tempo.join("generated/vParquet5-split/blocks/single-tenant");
    let index = TenantIndex::decode_json_gz(
        &std::fs::read(split.join("index.json.gz")).unwrap(),
        DEFAULT_INDEX_SIZE_LIMIT,
    )
    .unwrap();
    let mut ids: Vec<String> = index.metas.iter().map(|m| m.block_id.to_string()).collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            "00000000-0000-444c-8e3b-0000beef0000",
            "00000000-0000-444d-8e3b-0000beef0001"
        ]
    );
    assert!(index.metas.iter().all(|m| m.total_objects == 40));
}

#[test]
fn shipped_protobuf_index_with_old_versions() {
    let Some(tempo) = tempo_dir("shipped_protobuf_index_with_old_versions") else {
        return;
    };
    let dir = tempo.join("shipped/tempodb/backend/test/test-data/single-tenant");
    let index = TenantIndex::decode_pb_zst(
        &std::fs::read(dir.join("index.pb.zst")).unwrap(),
        DEFAULT_INDEX_SIZE_LIMIT,
    )
    .unwrap();
    let live: Vec<(String, &str)> = index
        .metas
        .iter()
        .map(|m| (m.block_id.to_string(), m.format.as_str()))
        .collect();
    assert_eq!(
        live,
        [
            ("709f51b4-4e04-464a-89e0-f1f8d956e633".to_owned(), "v3"),
            ("8ff0b000-3138-4665-84bf-630caff577a5".to_owned(), "v4"),
            (
                "f5ac87ed-77f1-408e-9c98-785692900e81".to_owned(),
                "vParquet5"
            ),
        ]
    );
    assert_eq!(index.compacted.len(), 1);
    assert_eq!(
        index.compacted[0].meta.block_id.to_string(),
        "fa599055-6305-43a9-9a17-5ff9b208cd01"
    );
    assert_eq!(index.compacted[0].meta.format, "v1");
    for meta in &index.metas {
        assert_eq!(meta.tenant_id, "single-tenant");
        assert_eq!(meta.start_time, GO_ZERO_TIME);
        assert!(meta.dedicated_columns.is_empty());
    }
    // Only the vParquet5 block is readable; the others stay listed.
    let supported: Vec<Uuid> = index.supported().map(|(m, _)| m.block_id).collect();
    assert_eq!(supported.len(), 1);
    // It survives our encoders (fields Tempo no longer has are dropped).
    let again = TenantIndex::decode_pb_zst(&index.encode_pb_zst().unwrap(), 1 << 20).unwrap();
    assert_eq!(again, index);
}

#[test]
fn shipped_large_json_index() {
    let Some(tempo) = tempo_dir("shipped_large_json_index") else {
        return;
    };
    let gz = std::fs::read(tempo.join("shipped/tempodb/backend/test/test-data/3/index.json.gz"))
        .unwrap();
    let index = TenantIndex::decode_json_gz(&gz, DEFAULT_INDEX_SIZE_LIMIT).unwrap();
    assert_eq!(
        index.created_at.to_rfc3339(),
        "2024-10-01T03:23:41.935630083+00:00"
    );
    assert_eq!(index.metas.len(), 22_435);
    assert_eq!(index.compacted.len(), 3_264);
    assert!(index.metas.iter().all(|m| m.tenant_id == "3"));
    assert!(
        index
            .metas
            .iter()
            .all(|m| matches!(m.version(), Ok(Version::VParquet4)))
    );
    assert_eq!(
        index
            .metas
            .iter()
            .filter(|m| m.replication_factor == 1)
            .count(),
        6_824
    );
    let first = &index.metas[0];
    assert_eq!(
        first.block_id.to_string(),
        "a3949580-4ee9-4ed9-b661-dca5d863922a"
    );
    assert_eq!(first.size, 10_717_822_052);
    assert_eq!(first.bloom_shards, 11);
    assert_eq!(first.dedicated_columns.len(), 20);
    // Written by an older Tempo: compactedTime came first; it is read all the same.
    let compacted = &index.compacted[0];
    assert_eq!(
        compacted.meta.block_id.to_string(),
        "d3ae08c4-7409-49c4-ba20-662377274eb6"
    );
    assert_eq!(
        compacted.compacted_time.to_rfc3339(),
        "2024-10-01T02:57:59+00:00"
    );
    assert_eq!(compacted.meta.compaction_level, 3);

    // Round trips through both of our encodings (uncompressed: gzip in a debug build is
    // slow, and compression is covered elsewhere).
    assert_eq!(
        TenantIndex::from_json(&index.to_json().unwrap()).unwrap(),
        index
    );
    assert_eq!(
        TenantIndex::from_protobuf(&index.to_protobuf().unwrap()).unwrap(),
        index
    );

    // A limit below its size is refused, not truncated.
    let err = TenantIndex::decode_json_gz(&gz, 1 << 20).unwrap_err();
    assert!(matches!(err, BlockError::Compression { .. }), "{err}");
}
