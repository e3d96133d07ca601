//! Round-trip properties of label sets, object keys and stored objects.

#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

use bytes::Bytes;
use loki_chunk::storage::{ChunkMetadata, KeySchema, ObjectKey, StoredChunk, encode_object};
use loki_chunk::{ChunkError, LabelSet};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;

fn label_set() -> impl Strategy<Value = LabelSet> {
    btree_map("[a-zA-Z_][a-zA-Z0-9_]{0,12}", any::<String>(), 0..8)
        .prop_map(|m| LabelSet::from_pairs(m).unwrap())
}

fn tenant() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9!_.*'()-]{1,20}".prop_filter("not . or ..", |t| t != "." && t != "..")
}

fn object_key() -> impl Strategy<Value = ObjectKey> {
    (
        tenant(),
        any::<u64>(),
        any::<i64>(),
        any::<i64>(),
        any::<u32>(),
    )
        .prop_map(
            |(tenant, fingerprint, from_ms, through_ms, checksum)| ObjectKey {
                tenant,
                fingerprint,
                from_ms,
                through_ms,
                checksum,
            },
        )
}

proptest! {
    #[test]
    fn printed_label_sets_parse_back(set in label_set()) {
        let printed = set.to_string();
        let parsed = LabelSet::parse(&printed).unwrap();
        prop_assert_eq!(&parsed, &set);
        prop_assert_eq!(parsed.to_string(), printed);
        prop_assert_eq!(parsed.fingerprint(), set.fingerprint());
    }

    #[test]
    fn pair_order_does_not_matter(set in label_set(), seed in any::<u64>()) {
        let mut pairs: Vec<(String, String)> =
            set.iter().map(|(n, v)| (n.to_owned(), v.to_owned())).collect();
        let len = pairs.len().max(1);
        pairs.rotate_left(usize::try_from(seed).unwrap_or(0) % len);
        pairs.reverse();
        let rebuilt = LabelSet::from_pairs(pairs).unwrap();
        prop_assert_eq!(&rebuilt, &set);
        prop_assert_eq!(rebuilt.fingerprint(), set.fingerprint());
    }

    #[test]
    fn parse_never_panics(text in any::<String>()) {
        if let Err(e) = LabelSet::parse(&text) {
            let is_label_error = matches!(e, ChunkError::InvalidLabels { position, .. } if position <= text.len());
            prop_assert!(is_label_error);
        }
    }

    #[test]
    fn keys_and_fs_paths_round_trip(key in object_key()) {
        for schema in [KeySchema::V11, KeySchema::V12] {
            let text = key.to_key(schema);
            prop_assert_eq!(ObjectKey::parse(&text).unwrap(), (key.clone(), schema));
            let path = key.to_fs_path(schema);
            prop_assert_eq!(ObjectKey::parse_fs_path(&path).unwrap(), (key.clone(), schema));
        }
    }

    #[test]
    fn objects_round_trip(
        tenant in tenant(),
        stream in label_set(),
        from_ms in -(1i64 << 50)..(1i64 << 50),
        span in 0i64..(1 << 40),
        ingested_at in proptest::option::of(any::<i64>()),
        chunk in vec(any::<u8>(), 0..512),
    ) {
        let mut meta = ChunkMetadata::new(tenant, &stream, from_ms, from_ms + span);
        meta.ingested_at = ingested_at;
        let encoded = encode_object(&meta, &chunk).unwrap();
        let decoded =
            StoredChunk::decode_with_key(&Bytes::from(encoded.bytes.clone()), &encoded.key).unwrap();
        prop_assert_eq!(&decoded.metadata, &meta);
        prop_assert_eq!(&decoded.chunk[..], &chunk[..]);
        prop_assert_eq!(decoded.encode().unwrap(), encoded);
    }
}

/// A valid object to mutate.
fn seed_object() -> Vec<u8> {
    let stream = LabelSet::parse(r#"{app="api", env="prod", q="a\"<&>\n"}"#).unwrap();
    let meta = ChunkMetadata::new("fake", &stream, 1_710_071_999_999, 1_710_072_000_073);
    encode_object(&meta, b"\x01\x2e\xe5\x6a\x04\x04chunk")
        .unwrap()
        .bytes
}

proptest! {
    // The fuzz entry points on mutated inputs: they must never panic.
    #[test]
    fn stored_object_entry_point_survives_mutations(
        edits in vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..6),
    ) {
        let mut bytes = seed_object();
        for (at, byte, kind) in edits {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match kind {
                0 => bytes[i] = byte,
                1 => bytes.truncate(i),
                2 => bytes.insert(i, byte),
                _ => {
                    bytes.remove(i);
                }
            }
        }
        loki_chunk::fuzzing::stored_object(&bytes);
    }

    #[test]
    fn labels_entry_point_survives_any_text(
        text in r#"\{[ a-z_=",\\\t\n\}xu0-9é]{0,40}"#,
    ) {
        loki_chunk::fuzzing::labels(text.as_bytes());
    }
}

/// An object around arbitrary metadata bytes (framed as Loki frames its JSON).
fn wrap(metadata: &[u8], chunk: &[u8]) -> Vec<u8> {
    let mut stream = Vec::new();
    loki_chunk::Codec::Snappy
        .compress_into(metadata, &mut stream)
        .unwrap();
    let mut out = u32::try_from(stream.len() + 4)
        .unwrap()
        .to_be_bytes()
        .to_vec();
    out.extend_from_slice(&stream);
    out.extend_from_slice(&u32::try_from(chunk.len()).unwrap().to_be_bytes());
    out.extend_from_slice(chunk);
    out
}

proptest! {
    #[test]
    fn stored_object_entry_point_survives_mutated_json(
        edits in vec((any::<prop::sample::Index>(), r#"[0-9a-z"{}:,.\-\\ <]"#, 0u8..3), 1..4),
    ) {
        let stream = LabelSet::parse(r#"{app="api", env="prod"}"#).unwrap();
        let mut meta = ChunkMetadata::new("fake", &stream, 1_710_071_999_999, 1_710_072_000_073);
        meta.ingested_at = Some(12);
        let mut json = meta.to_json();
        for (at, text, kind) in edits {
            let mut i = at.index(json.len());
            while !json.is_char_boundary(i) {
                i -= 1;
            }
            match kind {
                0 => json.insert_str(i, &text),
                1 => {
                    json.remove(i.min(json.len().saturating_sub(1)));
                }
                _ => json.replace_range(i..json.len().min(i + 1), &text),
            }
        }
        json.push('\n');
        loki_chunk::fuzzing::stored_object(&wrap(json.as_bytes(), b"chunk"));
    }
}
