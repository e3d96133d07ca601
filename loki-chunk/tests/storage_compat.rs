//! Loki compatibility of the object-storage wrapper: every stored object in
//! `$COMPAT_DIR/loki/` (written by Loki's own Go code, or flushed by a real Loki server)
//! decodes to exactly the facts Loki recorded, and re-encoding reproduces it byte for byte,
//! so it lands under the same key.

#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

use std::path::{Path, PathBuf};

use bytes::Bytes;
use loki_chunk::format::MAGIC;
use loki_chunk::storage::{
    ChunkMetadata, KeySchema, ObjectKey, StoredChunk, encode_object, from_ms_for_ns,
    through_ms_for_ns,
};
use loki_chunk::{ChunkError, LabelSet};
use serde_json::Value;

fn loki_dir(test: &str) -> Option<PathBuf> {
    testkit::compat_dir(test).map(|d| d.join("loki"))
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// The `.bin` files of `dir` whose names start with one of `prefixes`, sorted.
fn bins(dir: &Path, prefixes: &[&str]) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            p.extension().is_some_and(|e| e == "bin")
                && prefixes.iter().any(|prefix| name.starts_with(prefix))
        })
        .collect();
    files.sort();
    files
}

fn labels_of(value: &Value) -> LabelSet {
    LabelSet::from_pairs(
        value
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())),
    )
    .unwrap()
}

fn be32(bytes: &[u8], at: usize) -> u64 {
    u64::from(u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()))
}

/// Checks one stored object against its `.json` facts.
fn check_object(path: &Path) {
    let name = path.display().to_string();
    let raw = std::fs::read(path).unwrap();
    let doc = read_json(&path.with_extension("json"));
    let object = Bytes::from(raw.clone());

    let stored = StoredChunk::decode(&object).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(!stored.legacy_metadata_len, "{name}");
    check_metadata(&name, &stored.metadata, &doc);
    check_layout(&name, &object, &stored, &doc);
    check_key_and_reencode(&name, &object, &stored, &doc["extra"]);
}

/// Tenant, times, fingerprint, labels and the JSON text.
fn check_metadata(name: &str, meta: &ChunkMetadata, doc: &Value) {
    let extra = &doc["extra"];
    // Tenant, time range, fingerprint.
    assert_eq!(meta.tenant, extra["tenant"].as_str().unwrap(), "{name}");
    assert_eq!(meta.from_ms, extra["from_ms"].as_i64().unwrap(), "{name}");
    assert_eq!(
        meta.through_ms,
        extra["through_ms"].as_i64().unwrap(),
        "{name}"
    );
    let fp_hex = extra["fingerprint_hex"].as_str().unwrap();
    assert_eq!(format!("{:x}", meta.fingerprint), fp_hex, "{name}");
    if let Some(dec) = extra.get("fingerprint_dec") {
        assert_eq!(
            meta.fingerprint.to_string(),
            dec.as_str().unwrap(),
            "{name}"
        );
    }

    // Labels: the metric labels carry __name__="logs"; the fingerprint leaves it out.
    assert_eq!(meta.metric.get("__name__"), Some("logs"), "{name}");
    let stream = meta.stream_labels();
    if let Some(labels) = extra.get("stream_labels") {
        assert_eq!(stream, labels_of(labels), "{name}");
    }
    if let Some(text) = extra.get("stream_labels_string") {
        let text = text.as_str().unwrap();
        assert_eq!(stream.to_string(), text, "{name}");
        assert_eq!(text.parse::<LabelSet>().unwrap(), stream, "{name}");
    }
    if let Some(labels) = extra.get("metric_labels") {
        assert_eq!(meta.metric, labels_of(labels), "{name}");
    }
    assert_eq!(
        stream.fingerprint(),
        meta.fingerprint,
        "{name}: recomputed fingerprint"
    );
    assert_eq!(meta.metric.fingerprint(), meta.fingerprint, "{name}");

    // The time range follows from the chunk's entry times as Loki rounds them.
    let chunk_facts = &doc["chunk"];
    let ns = |field: &str| chunk_facts[field].as_str().unwrap().parse::<i64>().unwrap();
    assert_eq!(from_ms_for_ns(ns("min_ts_ns")), meta.from_ms, "{name}");
    assert_eq!(
        through_ms_for_ns(ns("max_ts_ns")),
        meta.through_ms,
        "{name}"
    );

    // Metadata JSON, exactly.
    let json = extra["metadata_json"].as_str().unwrap();
    assert_eq!(format!("{}\n", meta.to_json()), json, "{name}");
    assert_eq!(
        &ChunkMetadata::from_json(json.as_bytes()).unwrap(),
        meta,
        "{name}"
    );
}

/// Length fields, chunk position and the chunk's first bytes.
fn check_layout(name: &str, object: &Bytes, stored: &StoredChunk, doc: &Value) {
    let extra = &doc["extra"];
    let chunk_facts = &doc["chunk"];
    let raw = &object[..];
    // Length fields and where the chunk starts.
    if let Some(len) = extra.get("metadata_len_field") {
        assert_eq!(be32(raw, 0), len.as_u64().unwrap(), "{name}");
    }
    let chunk_offset = raw.len() - stored.chunk.len();
    if let Some(offset) = extra.get("memchunk_offset") {
        assert_eq!(chunk_offset as u64, offset.as_u64().unwrap(), "{name}");
    }
    if let Some(len) = extra.get("data_len_field") {
        assert_eq!(be32(raw, chunk_offset - 4), len.as_u64().unwrap(), "{name}");
    }

    // The embedded chunk: zero-copy slice, Loki's size, magic, version and codec bytes.
    assert_eq!(
        stored.chunk.as_ptr(),
        object[chunk_offset..].as_ptr(),
        "{name}"
    );
    assert_eq!(
        stored.chunk.len() as u64,
        chunk_facts["size_bytes"].as_u64().unwrap(),
        "{name}"
    );
    assert_eq!(be32(&stored.chunk, 0), u64::from(MAGIC), "{name}");
    assert_eq!(
        u64::from(stored.chunk[4]),
        chunk_facts["format_version"].as_u64().unwrap(),
        "{name}"
    );
    if let Some(codec) = chunk_facts.get("encoding_byte") {
        assert_eq!(
            u64::from(stored.chunk[5]),
            codec.as_u64().unwrap(),
            "{name}"
        );
    }
}

/// CRC, key in both forms, filesystem path, key checks, and the byte-exact re-encoding.
fn check_key_and_reencode(name: &str, object: &Bytes, stored: &StoredChunk, extra: &Value) {
    let raw = &object[..];
    let meta = &stored.metadata;
    // CRC and object key.
    let crc = crc32c::crc32c(raw);
    assert_eq!(
        format!("{crc:x}"),
        extra["checksum_hex"].as_str().unwrap(),
        "{name}"
    );
    if let Some(c) = extra.get("checksum_crc32c") {
        assert_eq!(u64::from(crc), c.as_u64().unwrap(), "{name}");
    }
    let key_text = extra["object_key"].as_str().unwrap();
    let (key, schema) = ObjectKey::parse(key_text).unwrap();
    assert_eq!(key, meta.key(crc), "{name}");
    assert_eq!(key.to_key(schema), key_text, "{name}");
    if let Some(s) = extra.get("schema") {
        assert_eq!(
            KeySchema::for_schema_name(s.as_str().unwrap()).unwrap(),
            schema,
            "{name}"
        );
    }
    if let Some(fs_path) = extra.get("filesystem_path") {
        let fs_path = fs_path.as_str().unwrap();
        assert_eq!(key.to_fs_path(schema), fs_path, "{name}");
        assert_eq!(
            ObjectKey::parse_fs_path(fs_path).unwrap(),
            (key.clone(), schema)
        );
    }
    assert_eq!(
        &StoredChunk::decode_with_key(object, &key).unwrap(),
        stored,
        "{name}"
    );

    // Re-encoding reproduces the object, hence the key.
    let encoded = encode_object(meta, &stored.chunk).unwrap();
    assert!(encoded.bytes == raw, "{name}: re-encoded object differs");
    assert_eq!(encoded.key, key, "{name}");
    assert_eq!(encoded.key.to_key(schema), key_text, "{name}");
    let rebuilt = ChunkMetadata::new(
        meta.tenant.clone(),
        &meta.stream_labels(),
        meta.from_ms,
        meta.through_ms,
    );
    assert_eq!(&rebuilt, meta, "{name}: metadata as the ingester builds it");
}

#[test]
fn stored_objects_decode_and_reencode_exactly() {
    let Some(dir) = loki_dir("stored_objects_decode_and_reencode_exactly") else {
        return;
    };
    let files = bins(&dir, &["storage_", "server_flushed_"]);
    assert!(
        files.len() >= 6,
        "expected the storage and server vectors, found {files:?}"
    );
    for path in &files {
        check_object(path);
    }
}

#[test]
fn corrupt_stored_objects_are_rejected_as_loki_rejects_them() {
    let Some(dir) = loki_dir("corrupt_stored_objects_are_rejected_as_loki_rejects_them") else {
        return;
    };
    let files = bins(&dir, &["corrupt_storage_"]);
    assert!(!files.is_empty(), "no corrupt_storage_* vector");
    for path in &files {
        let name = path.display();
        let object = Bytes::from(std::fs::read(path).unwrap());
        let extra = read_json(&path.with_extension("json"))["extra"].clone();
        assert_eq!(extra["loki_result"], "error", "{name}");
        let (key, _) = ObjectKey::parse(extra["object_key"].as_str().unwrap()).unwrap();
        let err = StoredChunk::decode_with_key(&object, &key).unwrap_err();
        if extra["loki_error"].as_str().unwrap().contains("checksum") {
            assert!(
                matches!(err, ChunkError::ObjectChecksum { expected, .. } if expected == key.checksum),
                "{name}: {err:?}"
            );
        }
    }
}

#[test]
fn bitflipped_object_fails_its_checksum() {
    let Some(dir) = loki_dir("bitflipped_object_fails_its_checksum") else {
        return;
    };
    let path = dir.join("corrupt_storage_bitflip.bin");
    let object = Bytes::from(std::fs::read(&path).unwrap());
    let extra = read_json(&path.with_extension("json"))["extra"].clone();
    assert_eq!(extra["loki_error"], "invalid chunk checksum");
    let (key, schema) = ObjectKey::parse(extra["object_key"].as_str().unwrap()).unwrap();
    assert_eq!(schema, KeySchema::V12);
    assert!(matches!(
        StoredChunk::decode_with_key(&object, &key),
        Err(ChunkError::ObjectChecksum { expected: 0x8130_7248, found }) if found != 0x8130_7248
    ));
    // The flipped bit is inside the chunk, so the wrapper alone still decodes.
    let flipped = usize::try_from(extra["flipped_offset"].as_u64().unwrap()).unwrap();
    let stored = StoredChunk::decode(&object).unwrap();
    assert!(flipped >= object.len() - stored.chunk.len());
}
