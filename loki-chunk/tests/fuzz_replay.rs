//! Replays every committed fuzz seed and crash regression through the fuzz entry points.

#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

use loki_chunk::LabelSet;
use loki_chunk::storage::{ChunkMetadata, StoredChunk, encode_object};

#[test]
fn replay_stored_object_inputs() {
    let inputs = testkit::fuzz_inputs("loki_stored_object");
    assert!(!inputs.is_empty());
    for (path, bytes) in inputs {
        eprintln!("replaying {}", path.display());
        loki_chunk::fuzzing::stored_object(&bytes);
        let name = path.file_name().unwrap().to_string_lossy();
        if name.starts_with("valid") {
            assert!(
                StoredChunk::decode_slice(&bytes).is_ok(),
                "{name} must decode"
            );
        }
    }
}

#[test]
fn replay_labels_inputs() {
    let inputs = testkit::fuzz_inputs("loki_labels");
    assert!(!inputs.is_empty());
    for (path, bytes) in inputs {
        eprintln!("replaying {}", path.display());
        loki_chunk::fuzzing::labels(&bytes);
    }
}

/// Rewrites the seed corpora from this crate's own encoders:
/// `cargo test -p loki-chunk --test fuzz_replay -- --ignored write_seed_corpus`.
#[test]
#[ignore = "writes files; run by hand to regenerate the seeds"]
fn write_seed_corpus() {
    let root = testkit::workspace_root().join("fuzz/corpus");
    let write = |target: &str, name: &str, bytes: &[u8]| {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), bytes).unwrap();
    };

    // A small MemChunk-looking payload: the wrapper does not parse the chunk.
    let chunk: Vec<u8> = [0x01, 0x2e, 0xe5, 0x6a, 4, 4]
        .into_iter()
        .chain((0u8..40).map(|i| i.wrapping_mul(37)))
        .collect();
    let stream = LabelSet::parse(r#"{app="api", env="prod", line="a\"b\\c\n<&>"}"#).unwrap();
    let meta = ChunkMetadata::new("fake", &stream, 1_710_071_999_999, 1_710_072_000_073);
    let valid = encode_object(&meta, &chunk).unwrap().bytes;
    write("loki_stored_object", "valid", &valid);

    let mut legacy = valid.clone();
    let len = u32::from_be_bytes(legacy[..4].try_into().unwrap()) - 4;
    legacy[..4].copy_from_slice(&len.to_be_bytes());
    write("loki_stored_object", "valid-legacy-metadata-len", &legacy);

    let mut old = ChunkMetadata::new("tenant-a", &LabelSet::new(), -1500, 0);
    old.ingested_at = None;
    old.encoding = 128;
    write(
        "loki_stored_object",
        "valid-empty-labels-no-ingested-at",
        &encode_object(&old, b"").unwrap().bytes,
    );

    let repetitive =
        LabelSet::from_pairs([("a", "x".repeat(100)), ("b", "x".repeat(100))]).unwrap();
    let compressed = ChunkMetadata::new("fake", &repetitive, 0, 1);
    write(
        "loki_stored_object",
        "valid-compressed-metadata",
        &encode_object(&compressed, &chunk).unwrap().bytes,
    );

    write("loki_stored_object", "truncated", &valid[..valid.len() - 3]);
    let mut trailing = valid.clone();
    trailing.push(0);
    write("loki_stored_object", "trailing-byte", &trailing);
    let mut bad_crc = valid.clone();
    bad_crc[20] ^= 1;
    write("loki_stored_object", "bad-snappy-crc", &bad_crc);

    for (name, text) in [
        ("simple", r#"{app="x", env="prod"}"#),
        ("empty", "{}"),
        ("spaces-trailing-comma", " {\tjob = \"varlogs\" ,\n}"),
        (
            "escapes",
            r#"{a="\"\\\n\t\x41\101\u00e9\U0001F600", b="ünïcode"}"#,
        ),
        ("metric-name", r#"{__name__="logs", service_name="api"}"#),
        ("duplicate", r#"{a="1", a="2"}"#),
        ("bad-escape", r#"{a="\q"}"#),
        ("unterminated", r#"{a="b}"#),
    ] {
        write("loki_labels", name, text.as_bytes());
    }
}
