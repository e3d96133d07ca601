//! Entry points of the fuzz targets in `fuzz/` (`tempo_meta`, `tempo_parquet`), kept here so
//! that `cargo test` replays every committed seed and crash input through exactly the code
//! the fuzzer runs.
//!
//! The functions must never panic on any input; they panic only when a promise of the
//! decoders is broken (something that decoded does not survive a round trip through our
//! encoders).

use std::sync::Arc;

use bytes::Bytes;
use futures_util::FutureExt as _;
use otlp_model::TraceId;

use crate::meta::{
    BlockMeta, CompactedBlockMeta, DedicatedColumn, Version, supported_dedicated_columns,
    validate_dedicated_columns,
};
use crate::reader::BlockReader;
use crate::tenant_index::TenantIndex;
use crate::writer::WrittenBlock;

/// Decompressed-size limit for the tenant-index readers while fuzzing (the fuzzer runs
/// with a 1 GiB allocation cap).
const FUZZ_INDEX_LIMIT: usize = 4 << 20;

/// `meta.json`, `meta.compacted.json`, dedicated-column lists and tenant indexes (JSON and
/// protobuf, plain and compressed) from untrusted bytes. What decodes is re-encoded (when it
/// can be: a time outside the writable range is refused, not a bug) and must decode to the
/// same value.
///
/// # Panics
///
/// When something decoded does not survive encode → decode.
pub fn tempo_meta(data: &[u8]) {
    if let Ok(meta) = BlockMeta::from_json(data)
        && let Ok(json) = meta.to_json()
    {
        let back = BlockMeta::from_json(&json).expect("our meta.json parses");
        assert_eq!(back, meta, "meta.json round trip");
        assert_eq!(
            back.to_json().ok(),
            Some(json),
            "meta.json re-encodes identically"
        );
    }
    if let Ok(meta) = CompactedBlockMeta::from_json(data)
        && let Ok(json) = meta.to_json()
    {
        let back = CompactedBlockMeta::from_json(&json).expect("our meta.compacted.json parses");
        assert_eq!(back, meta, "meta.compacted.json round trip");
    }
    if let Ok(columns) = DedicatedColumn::list_from_json(data) {
        let json = DedicatedColumn::list_to_json(&columns);
        let back = DedicatedColumn::list_from_json(json.as_bytes()).expect("our list parses");
        assert_eq!(back, columns, "dedicated column list round trip");
        for version in [Version::VParquet4, Version::VParquet5] {
            let kept = supported_dedicated_columns(&columns, version);
            if validate_dedicated_columns(&columns, version).is_ok() {
                assert_eq!(kept, columns, "a valid list is fully supported");
            }
        }
    }
    let decoded = [
        TenantIndex::from_json(data),
        TenantIndex::from_protobuf(data),
        TenantIndex::decode_json_gz(data, FUZZ_INDEX_LIMIT),
        TenantIndex::decode_pb_zst(data, FUZZ_INDEX_LIMIT),
    ];
    for index in decoded.into_iter().flatten() {
        if let Ok(json) = index.to_json() {
            let back = TenantIndex::from_json(&json).expect("our index JSON parses");
            assert_eq!(back, index, "tenant index JSON round trip");
        }
        if let Ok(pb) = index.to_protobuf() {
            let back = TenantIndex::from_protobuf(&pb).expect("our index protobuf parses");
            assert_eq!(back, index, "tenant index protobuf round trip");
        }
    }
}

/// Rows scanned at most per input (a large claimed row count must not make one run slow).
const MAX_ROWS: usize = 10_000;

/// A `data.parquet` from untrusted bytes: open it (footer, TraceID page indexes, schema), scan
/// every row and look up a few IDs without the bloom filter (both load the other page indexes
/// they need on first use), then check the rest of the metadata (the whole footer, every page
/// index still unread). Everything must end in a value or an error. Runs both with Tempo's
/// default dedicated columns and with none.
pub fn data_parquet(data: &[u8]) {
    for dedicated_columns in [DedicatedColumn::default_list(), Vec::new()] {
        let meta = BlockMeta {
            size: data.len() as u64,
            bloom_shards: 1,
            dedicated_columns,
            ..BlockMeta::new(Version::VParquet5, "fuzz", uuid::Uuid::nil())
        };
        let block = WrittenBlock {
            meta: meta.clone(),
            data: Bytes::copy_from_slice(data),
            blooms: Vec::new(),
            index: Bytes::new(),
        };
        // Every object is in memory, so every future completes at its first poll.
        let Some(Ok(reader)) = BlockReader::open(meta, Arc::new(block)).now_or_never() else {
            continue;
        };
        let mut first = None;
        let mut scan = reader.scan();
        for _ in 0..MAX_ROWS {
            match scan.next().now_or_never() {
                Some(Ok(Some((id, _)))) => {
                    first.get_or_insert(id);
                }
                _ => break,
            }
        }
        let ids = [
            Some(TraceId::from_bytes([0; 16])),
            Some(TraceId::from_bytes([0xff; 16])),
            first,
        ];
        for id in ids.into_iter().flatten() {
            let _ = reader.find_trace_skip_bloom(&id).now_or_never();
        }
        let _ = reader.check_metadata().now_or_never();
    }
}
