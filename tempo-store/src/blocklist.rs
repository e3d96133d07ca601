//! The blocks a tenant has in the backend, opened for lookups, and how the list is refreshed.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use tempo_block::{BlockMeta, BlockReader, BlockStore, CompactedBlockMeta, TenantIndex};
use uuid::Uuid;

use crate::error::StoreError;

/// One block, open.
#[derive(Debug)]
pub(crate) struct Block {
    pub(crate) meta: BlockMeta,
    pub(crate) reader: BlockReader,
    /// When this process completed the block (`None`: found by polling).
    pub(crate) completed_at: Option<Duration>,
}

impl Block {
    /// Whether the block's time range meets `[start, end]` (unix seconds, inclusive; `None`
    /// is open-ended).
    pub(crate) fn overlaps(&self, start: Option<u64>, end: Option<u64>) -> bool {
        let (bs, be) = (
            self.meta.start_time.timestamp(),
            self.meta.end_time.timestamp(),
        );
        let start = start.map_or(i64::MIN, |s| i64::try_from(s).unwrap_or(i64::MAX));
        let end = end.map_or(i64::MAX, |e| i64::try_from(e).unwrap_or(i64::MAX));
        be >= start && bs <= end
    }
}

/// One tenant's open blocks by ID.
pub(crate) type TenantBlocks = Arc<BTreeMap<Uuid, Arc<Block>>>;

/// The open blocks of every tenant; lookups take a snapshot and never wait for a poll.
#[derive(Debug, Default)]
pub(crate) struct Blocklist {
    tenants: std::sync::RwLock<HashMap<String, TenantBlocks>>,
}

impl Blocklist {
    pub(crate) fn snapshot(&self, tenant: &str) -> Option<TenantBlocks> {
        self.read().get(tenant).cloned()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, TenantBlocks>> {
        self.tenants
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, TenantBlocks>> {
        self.tenants
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds a block completed here.
    pub(crate) fn add(&self, tenant: &str, block: Block) {
        let mut all = self.write();
        let entry = all.entry(tenant.to_owned()).or_default();
        let mut map = (**entry).clone();
        map.insert(block.meta.block_id, Arc::new(block));
        *entry = Arc::new(map);
    }

    /// Blocks per tenant.
    pub(crate) fn counts(&self) -> BTreeMap<String, usize> {
        self.read()
            .iter()
            .map(|(t, m)| (t.clone(), m.len()))
            .collect()
    }

    /// Refreshes every tenant from the backend: the tenant index gives the metas it lists,
    /// a listing gives the blocks that exist now; blocks listed but not indexed have their
    /// `meta.json` read; new blocks are opened, vanished ones dropped (a block completed here
    /// is kept for `keep_completed` even while the listing does not show it yet). When the
    /// set of a tenant's blocks changed, its tenant index is rewritten (this process builds
    /// the index, as Tempo's single binary does).
    ///
    /// Returns the blocks that could not be read (reported, retried at the next poll).
    pub(crate) async fn poll(
        &self,
        store: &BlockStore,
        now: Duration,
        keep_completed: Duration,
    ) -> Result<Vec<(String, Uuid, tempo_block::BlockError)>, StoreError> {
        let mut failures = Vec::new();
        let mut tenants = store.list_tenants().await?;
        for t in self.read().keys() {
            if !tenants.contains(t) {
                tenants.push(t.clone());
            }
        }
        for tenant in tenants {
            let current = self.snapshot(&tenant).unwrap_or_default();
            let ids = match store.list_blocks(&tenant).await {
                Ok(ids) => ids,
                Err(e) if e.is_not_found() => tempo_block::backend::BlockIds::default(),
                Err(e) => return Err(e.into()),
            };
            let indexed: HashMap<Uuid, BlockMeta> = match store.read_tenant_index(&tenant).await {
                Ok(index) => index.metas.into_iter().map(|m| (m.block_id, m)).collect(),
                Err(_) => HashMap::new(),
            };
            let mut next = BTreeMap::new();
            let mut changed = false;
            for id in &ids.live {
                if let Some(b) = current.get(id) {
                    next.insert(*id, Arc::clone(b));
                    continue;
                }
                let meta = match indexed.get(id) {
                    Some(m) => m.clone(),
                    None => match store.read_meta(&tenant, *id).await {
                        Ok(m) => m,
                        Err(e) => {
                            failures.push((tenant.clone(), *id, e));
                            continue;
                        }
                    },
                };
                let objects = Arc::new(tempo_block::reader::StoredBlock::new(
                    store.clone(),
                    tenant.clone(),
                    *id,
                ));
                match BlockReader::open(meta.clone(), objects).await {
                    Ok(reader) => {
                        changed = true;
                        next.insert(
                            *id,
                            Arc::new(Block {
                                meta,
                                reader,
                                completed_at: None,
                            }),
                        );
                    }
                    Err(e) => failures.push((tenant.clone(), *id, e)),
                }
            }
            for (id, b) in current.iter() {
                if next.contains_key(id) {
                    continue;
                }
                let recent = b
                    .completed_at
                    .is_some_and(|at| now.saturating_sub(at) < keep_completed)
                    && !ids.compacted.contains(id);
                if recent {
                    next.insert(*id, Arc::clone(b));
                } else {
                    changed = true;
                }
            }
            let listed_changed = changed
                || indexed.len() != ids.live.len()
                || ids.live.iter().any(|id| !indexed.contains_key(id));
            if listed_changed {
                let metas: Vec<BlockMeta> = ids
                    .live
                    .iter()
                    .filter_map(|id| next.get(id).map(|b| b.meta.clone()))
                    .collect();
                let mut compacted: Vec<CompactedBlockMeta> = Vec::new();
                for id in &ids.compacted {
                    if let Ok(m) = store.read_compacted_meta(&tenant, *id).await {
                        compacted.push(m);
                    }
                }
                if let Err(e) = store
                    .write_tenant_index(&tenant, &TenantIndex::new(metas, compacted))
                    .await
                {
                    tracing::warn!(tenant = %tenant, error = %e, "tenant index not written");
                }
            }
            self.write().insert(tenant, Arc::new(next));
        }
        Ok(failures)
    }
}
