//! Lookups by trace ID across live data, head blocks and stored blocks.

use super::{
    Bytes, Combiner, FindOptions, FoundTrace, ResourceSpans, Store, StoreError, TraceId, TraceKey,
    TracesData, decode_part, ingest,
};

impl Store {
    /// Finds trace `id` of `tenant` in live traces, head blocks, blocks being completed and
    /// every stored block whose time range meets `opts` and whose bloom filter may hold the
    /// ID (hashed once for all blocks), and combines what it finds as Tempo does. `None` when
    /// no part of the trace exists.
    ///
    /// # Errors
    ///
    /// A stored block that cannot be read ([`StoreError::Block`]); a block deleted from the
    /// backend since the last poll is skipped and dropped from the list instead.
    pub async fn find_trace(
        &self,
        tenant: &str,
        id: &TraceId,
        opts: FindOptions,
    ) -> Result<Option<FoundTrace>, StoreError> {
        if ingest::validate_tenant_id(tenant).is_err() {
            return Ok(None);
        }
        let key = id.to_bytes();
        let limits = self.inner.config.overrides.for_tenant(tenant);
        let mut combiner = Combiner::with_max_bytes(limits.max_bytes_per_trace, true);
        let mut inspected = 0u64;
        let mut found_any = false;
        let mut consume = |parts: Vec<ResourceSpans>, combiner: &mut Combiner| {
            found_any = true;
            // A size limit in partial mode never fails.
            let _ = combiner.consume(TracesData {
                resource_spans: parts,
            });
        };
        let memory: Vec<Bytes> = {
            let all = self.tenants();
            let mut out = Vec::new();
            if let Some(t) = all.get(tenant) {
                if let Some(l) = t.live.get(&key) {
                    out.extend(l.parts.iter().cloned());
                }
                if let Some(h) = t.head.traces.get(&key) {
                    out.extend(h.iter().cloned());
                }
                for c in &t.completing {
                    if let Some(h) = c.head.traces.get(&key) {
                        out.extend(h.iter().cloned());
                    }
                }
            }
            out
        };
        let mut blocks_found = 0;
        if let Some(blocks) = self.inner.blocklist.snapshot(tenant) {
            let tk = TraceKey::new(&key);
            for block in blocks.values() {
                if !block.overlaps(opts.start_unix_secs, opts.end_unix_secs) {
                    continue;
                }
                let found = match block.reader.may_contain_key(&tk).await {
                    Ok(false) => Ok(None),
                    Ok(true) => block.reader.find_trace_skip_bloom(id).await,
                    Err(e) => Err(e),
                };
                let found = match found {
                    Ok(found) => found,
                    // Deleted since the last poll (compacted, expired, or removed by another
                    // process): not an error for this lookup; dropped from the list.
                    Err(e) if e.is_not_found() => {
                        tracing::info!(tenant, block = %block.meta.block_id,
                            "block gone from the backend; dropped from the blocklist");
                        self.inner.blocklist.remove(tenant, block.meta.block_id);
                        continue;
                    }
                    Err(e) => return Err(e.into()),
                };
                if let Some(parts) = found {
                    blocks_found += 1;
                    inspected += parts
                        .iter()
                        .map(|rs| prost::Message::encoded_len(rs) as u64)
                        .sum::<u64>();
                    consume(parts, &mut combiner);
                }
            }
        }
        for part in memory {
            inspected += part.len() as u64;
            consume(decode_part(&part)?.resource_spans, &mut combiner);
        }
        if !found_any {
            return Ok(None);
        }
        let partial = combiner.is_partial();
        Ok(combiner.result().map(|trace| FoundTrace {
            trace,
            inspected_bytes: inspected,
            partial,
            blocks: blocks_found,
        }))
    }
}
