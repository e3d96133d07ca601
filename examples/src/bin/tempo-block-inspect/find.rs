//! `find`: traces by ID across the tenant's live blocks, combined as Tempo combines them.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;

use bloom::tempo::{ShardView, TraceKey, shard_object_name};
use bytes::Bytes;
use examples::cli::{self, Result, progress};
use futures_util::{StreamExt as _, stream};
use otlp_model::TraceId;
use otlp_model::combine::combine;
use otlp_model::json::{JsonStyle, encode_traces_json};
use otlp_model::proto::trace::{ResourceSpans, TracesData};
use tempo_block::{BlockMeta, BlockStore};
use uuid::Uuid;

use crate::{CONCURRENCY, PROGRAM, Target, in_block, open_reader};

/// `find`: looks `ids` up in every live block and prints one line per ID found, combining
/// the parts of a trace in block order.
pub(crate) async fn find(target: &Target, ids: &[TraceId]) -> Result<bool> {
    let mut unique: Vec<TraceId> = Vec::with_capacity(ids.len());
    for id in ids {
        if !unique.contains(id) {
            unique.push(*id);
        }
    }
    let blocks = target.store.list_blocks(&target.tenant).await?.live;
    if blocks.is_empty() {
        cli::warn(PROGRAM, target.no_blocks(true).await);
    }
    let bar = progress::bar(blocks.len() as u64, "blocks");
    // The parts of each trace, in block order.
    let mut parts: Vec<Vec<TracesData>> = unique.iter().map(|_| Vec::new()).collect();
    let mut results = stream::iter(&blocks)
        .map(|&block| find_in_block(target, block, &unique))
        .buffered(CONCURRENCY);
    while let Some(found) = results.next().await {
        for (trace_parts, found) in parts.iter_mut().zip(found?) {
            if let Some(resource_spans) = found {
                trace_parts.push(TracesData { resource_spans });
            }
        }
        bar.inc(1);
    }
    drop(bar);

    let mut out = cli::stdout();
    let mut all_found = true;
    for (id, trace_parts) in unique.iter().zip(parts) {
        if let Some(trace) = combine(trace_parts) {
            out.write_all(&trace_line(id, &trace.resource_spans))?;
        } else {
            all_found = false;
            cli::warn(
                PROGRAM,
                format!("trace {id} not found in {} live block(s)", blocks.len()),
            );
        }
    }
    out.flush()?;
    Ok(all_found)
}

/// A block is scanned instead of looked up ID by ID when the IDs its bloom filter may hold
/// number at least 1/`SCAN_RATIO` of its traces.
const SCAN_RATIO: u64 = 32;

/// The trace (part) of each of `ids` stored in `block`: the bloom filter first, then the
/// Parquet file (opened only when the bloom filter may hold one of the IDs): the row of each
/// ID looked up, or, when many of the block's traces are wanted, every row read once.
async fn find_in_block(
    target: &Target,
    block: Uuid,
    ids: &[TraceId],
) -> Result<Vec<Option<Vec<ResourceSpans>>>> {
    let in_block = |e: &dyn std::fmt::Display| in_block(block, e);
    let meta = target
        .store
        .read_meta(&target.tenant, block)
        .await
        .map_err(|e| in_block(&e))?;
    let maybe = bloom_lookup(&target.store, &meta, ids)
        .await
        .map_err(|e| in_block(&e))?;
    let mut found: Vec<Option<Vec<ResourceSpans>>> = ids.iter().map(|_| None).collect();
    if !maybe.contains(&true) {
        return Ok(found);
    }
    let wanted = maybe.iter().filter(|&&m| m).count() as u64;
    let scan = wanted > 1 && wanted.saturating_mul(SCAN_RATIO) >= meta.total_objects;
    let reader = open_reader(target, meta).await.map_err(|e| in_block(&e))?;
    if scan {
        // Many of the block's traces are asked for: one pass over its rows costs less than
        // a lookup each (every lookup decodes the pages holding its row).
        let slots: HashMap<TraceId, usize> = ids
            .iter()
            .zip(&maybe)
            .enumerate()
            .filter(|(_, (_, maybe))| **maybe)
            .map(|(slot, (id, _))| (*id, slot))
            .collect();
        let mut rows = reader.scan();
        while let Some((id, resource_spans)) = rows.next().await.map_err(|e| in_block(&e))? {
            if let Some(&slot) = slots.get(&id) {
                found[slot] = Some(resource_spans);
            }
        }
        return Ok(found);
    }
    for ((slot, id), maybe) in found.iter_mut().zip(ids).zip(maybe) {
        if maybe {
            *slot = reader
                .find_trace_skip_bloom(id)
                .await
                .map_err(|e| in_block(&e))?;
        }
    }
    Ok(found)
}

/// For each of `ids`, whether the bloom filter of the block `meta` describes may hold it;
/// each shard needed is read once.
async fn bloom_lookup(store: &BlockStore, meta: &BlockMeta, ids: &[TraceId]) -> Result<Vec<bool>> {
    let shard_count = usize::try_from(meta.bloom_shard_count())?;
    let mut shards: BTreeMap<usize, ShardView<Bytes>> = BTreeMap::new();
    let mut maybe = Vec::with_capacity(ids.len());
    for id in ids {
        let key = TraceKey::new(id.as_bytes());
        let index = key.shard_index(shard_count);
        let shard = match shards.entry(index) {
            Entry::Occupied(shard) => shard.into_mut(),
            Entry::Vacant(slot) => {
                let name = shard_object_name(index);
                let bytes = store
                    .read_object(&meta.tenant_id, meta.block_id, &name)
                    .await?;
                slot.insert(ShardView::parse(bytes).map_err(|e| format!("{name}: {e}"))?)
            }
        };
        maybe.push(shard.contains_key(&key));
    }
    Ok(maybe)
}

/// `{"trace":<OTLP/JSON>,"traceID":"<32 hex>"}` and a newline: Tempo's compatibility-vector
/// line (Go writes the keys in this order).
fn trace_line(id: &TraceId, resource_spans: &[ResourceSpans]) -> Vec<u8> {
    let mut line = b"{\"trace\":".to_vec();
    line.extend(encode_traces_json(resource_spans, JsonStyle::Otlp));
    line.extend_from_slice(b",\"traceID\":\"");
    line.extend_from_slice(id.to_hex().as_bytes());
    line.extend_from_slice(b"\"}\n");
    line
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

    use super::*;

    #[test]
    fn trace_lines_have_the_compat_shape() {
        // An empty list is left out, as protobuf's JSON mapping (and Tempo) does.
        let id = TraceId::parse_hex("abc").unwrap();
        let line = trace_line(&id, &[]);
        assert_eq!(
            String::from_utf8(line).unwrap(),
            "{\"trace\":{},\"traceID\":\"00000000000000000000000000000abc\"}\n"
        );
    }
}
