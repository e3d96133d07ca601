#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported
//! Round trips of block metas, dedicated-column lists and tenant indexes through every
//! encoding, for arbitrary values; and the decoders on arbitrary and damaged bytes.

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use tempo_block::fuzzing;
use tempo_block::meta::{
    BlockMeta, CompactedBlockMeta, DedicatedColumn, DedicatedOptions, DedicatedScope, DedicatedType,
};
use tempo_block::tenant_index::TenantIndex;
use uuid::Uuid;

/// Times Go and protobuf can both hold: years 0001 to 9999, any nanosecond.
fn time() -> impl Strategy<Value = DateTime<Utc>> {
    (-62_135_596_800i64..253_402_300_800, 0u32..1_000_000_000)
        .prop_map(|(s, n)| DateTime::from_timestamp(s, n).unwrap())
}

/// Strings with the characters Go's encoder escapes.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z.]{0,12}",
        any::<String>(),
        "[<>&\"\\\\\u{0}-\u{1f}\u{2028}\u{2029}é]{0,8}",
    ]
}

fn column() -> impl Strategy<Value = DedicatedColumn> {
    (
        prop_oneof![
            Just(DedicatedScope::Resource),
            Just(DedicatedScope::Span),
            Just(DedicatedScope::Event)
        ],
        text(),
        prop_oneof![Just(DedicatedType::String), Just(DedicatedType::Int)],
        any::<(bool, bool)>(),
    )
        .prop_map(|(scope, name, kind, (array, blob))| DedicatedColumn {
            scope,
            name,
            kind,
            options: DedicatedOptions { array, blob },
        })
}

fn meta() -> impl Strategy<Value = BlockMeta> {
    (
        (text(), any::<u128>(), text(), time(), time()),
        (0..=i64::MAX as u64, any::<u64>(), any::<[u32; 6]>()),
        prop::collection::vec(column(), 0..6),
    )
        .prop_map(
            |((format, id, tenant, start, end), (objects, size, n), columns)| BlockMeta {
                format,
                block_id: Uuid::from_u128(id),
                tenant_id: tenant,
                start_time: start,
                end_time: end,
                total_objects: objects,
                size,
                compaction_level: n[0],
                index_page_size: n[1],
                total_records: n[2],
                bloom_shards: n[3],
                footer_size: n[4],
                dedicated_columns: columns,
                replication_factor: n[5],
            },
        )
}

fn index() -> impl Strategy<Value = TenantIndex> {
    (
        time(),
        prop::collection::vec(meta(), 0..4),
        prop::collection::vec((meta(), time()), 0..3),
    )
        .prop_map(|(created_at, metas, compacted)| TenantIndex {
            created_at,
            metas,
            compacted: compacted
                .into_iter()
                .map(|(meta, compacted_time)| CompactedBlockMeta {
                    meta,
                    compacted_time,
                })
                .collect(),
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn meta_json_round_trip(meta in meta(), at in time()) {
        let json = meta.to_json().unwrap();
        prop_assert_eq!(&BlockMeta::from_json(&json).unwrap(), &meta);
        // serde_json reads our escaping as the same strings.
        let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
        prop_assert_eq!(value["tenantID"].as_str().unwrap(), meta.tenant_id.as_str());
        let compacted = CompactedBlockMeta { meta, compacted_time: at };
        let json = compacted.to_json().unwrap();
        prop_assert_eq!(CompactedBlockMeta::from_json(&json).unwrap(), compacted);
    }

    #[test]
    fn dedicated_list_round_trip(columns in prop::collection::vec(column(), 0..30)) {
        let json = DedicatedColumn::list_to_json(&columns);
        prop_assert_eq!(DedicatedColumn::list_from_json(json.as_bytes()).unwrap(), columns);
    }

    #[test]
    fn tenant_index_round_trips(index in index()) {
        let json = index.to_json().unwrap();
        prop_assert_eq!(&TenantIndex::from_json(&json).unwrap(), &index);
        let pb = index.to_protobuf().unwrap();
        prop_assert_eq!(&TenantIndex::from_protobuf(&pb).unwrap(), &index);
        let gz = index.encode_json_gz().unwrap();
        prop_assert_eq!(&TenantIndex::decode_json_gz(&gz, 1 << 20).unwrap(), &index);
        let zst = index.encode_pb_zst().unwrap();
        prop_assert_eq!(&TenantIndex::decode_pb_zst(&zst, 1 << 20).unwrap(), &index);
        // Every input is also a valid fuzz input.
        for bytes in [&json, &pb, &gz, &zst] {
            fuzzing::tempo_meta(bytes);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        fuzzing::tempo_meta(&bytes);
    }

    #[test]
    fn damaged_encodings_never_panic(
        index in index(),
        cuts in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        truncate in any::<prop::sample::Index>(),
    ) {
        for mut bytes in [
            index.to_json().unwrap(),
            index.to_protobuf().unwrap(),
            index.encode_json_gz().unwrap(),
            index.encode_pb_zst().unwrap(),
        ] {
            if bytes.is_empty() {
                continue;
            }
            for (at, value) in &cuts {
                let i = at.index(bytes.len());
                bytes[i] = *value;
            }
            fuzzing::tempo_meta(&bytes);
            bytes.truncate(truncate.index(bytes.len()));
            fuzzing::tempo_meta(&bytes);
        }
    }
}
