//! Entry points of the fuzz targets in `fuzz/`, kept here so that `cargo test` replays every
//! committed seed and crash input through exactly the code the fuzzer runs.
//!
//! Each function must never panic on any input.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::FutureExt as _;
use otlp_model::TraceId;

use crate::meta::{BlockMeta, DedicatedColumn, Version};
use crate::reader::BlockReader;
use crate::writer::WrittenBlock;

/// Rows scanned at most per input (a large claimed row count must not make one run slow).
const MAX_ROWS: usize = 10_000;

/// A `data.parquet` from untrusted bytes: open it (footer, page indexes, schema), scan every
/// row and look up a few IDs without the bloom filter. Everything must end in a value or an
/// error. Runs both with Tempo's default dedicated columns and with none.
pub fn data_parquet(data: &[u8]) {
    for dedicated_columns in [DedicatedColumn::default_list(), Vec::new()] {
        let meta = BlockMeta {
            version: Version::VParquet5,
            block_id: uuid::Uuid::nil(),
            tenant_id: "fuzz".into(),
            start_time: chrono::DateTime::default(),
            end_time: chrono::DateTime::default(),
            total_objects: 0,
            size: data.len() as u64,
            compaction_level: 0,
            index_page_size: 0,
            total_records: 0,
            bloom_shards: 1,
            footer_size: 0,
            dedicated_columns,
            replication_factor: 0,
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
    }
}
