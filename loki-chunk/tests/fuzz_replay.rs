//! Replays every committed fuzz seed and crash regression through the fuzz entry points.

#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

use loki_chunk::storage::{ChunkMetadata, StoredChunk, encode_object};
use loki_chunk::{Chunk, ChunkWriter, Codec, LabelSet, WriterOptions};

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
fn replay_chunk_inputs() {
    for target in ["loki_chunk", "loki_checkpoint", "loki_roundtrip"] {
        let inputs = testkit::fuzz_inputs(target);
        assert!(!inputs.is_empty(), "{target}");
        for (path, bytes) in inputs {
            eprintln!("replaying {}", path.display());
            match target {
                "loki_chunk" => loki_chunk::fuzzing::chunk(&bytes),
                "loki_checkpoint" => loki_chunk::fuzzing::checkpoint(&bytes),
                _ => loki_chunk::fuzzing::roundtrip(&bytes),
            }
            let name = path.file_name().unwrap().to_string_lossy();
            if target == "loki_chunk" && name.starts_with("valid") {
                assert!(Chunk::open(bytes).is_ok(), "{name} must open");
            }
        }
    }
}

/// Seeds for the chunk targets, from this crate's own writer:
/// `cargo test -p loki-chunk --test fuzz_replay -- --ignored write_chunk_seed_corpus`.
#[test]
#[ignore = "writes files; run by hand to regenerate the seeds"]
fn write_chunk_seed_corpus() {
    let write = testkit::write_seed;
    let cases = [
        ("v2-gzip", WriterOptions::v2(Codec::Gzip)),
        ("v3-snappy", WriterOptions::v3(Codec::Snappy)),
        ("v3-lz4", WriterOptions::v3(Codec::Lz4_64k)),
        ("v4-zstd", WriterOptions::v4(Codec::Zstd)),
        ("v4-none", WriterOptions::v4(Codec::None)),
        ("v4-flate", WriterOptions::v4(Codec::Flate)),
    ];
    for (name, opts) in cases {
        let mut w = ChunkWriter::new(opts.block_size(64)).unwrap();
        for i in 0..12i64 {
            let meta: &[(&str, &str)] = if i % 3 == 0 {
                &[("trace_id", "abc"), ("user", "bob")]
            } else {
                &[]
            };
            let _ = w
                .append(i * 1000, format!("line {i} level=info").as_bytes(), meta)
                .unwrap();
        }
        let (ckpt_chunk, head) = w.checkpoint().unwrap();
        let bytes = w.finish().unwrap();
        write("loki_chunk", &format!("valid-{name}"), &bytes);
        let mut pair = u16::try_from(ckpt_chunk.len())
            .unwrap()
            .to_le_bytes()
            .to_vec();
        pair.extend_from_slice(&ckpt_chunk);
        pair.extend_from_slice(&head);
        write("loki_checkpoint", &format!("valid-{name}"), &pair);
        if name == "v4-zstd" {
            write("loki_chunk", "truncated-half", &bytes[..bytes.len() / 2]);
            let mut flipped = bytes.to_vec();
            flipped[bytes.len() / 3] ^= 0x40;
            write("loki_chunk", "bitflip", &flipped);
        }
    }
    write(
        "loki_roundtrip",
        "in-order",
        &[
            4, 0, 3, 1, 5, 0, b'h', b'e', b'l', b'l', b'o', 2, 1, 1, b'x',
        ],
    );
    write(
        "loki_roundtrip",
        "out-of-order-v3",
        &[
            3, 1, 0, 10, 2, 1, b'a', b'b', 0xfb, 3, 0, b'c', b'd', b'e', 0, 0, 0,
        ],
    );
    write("loki_roundtrip", "empty", &[0, 0, 0]);
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
    let write = testkit::write_seed;

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
