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

    /// Drops a block (found deleted from the backend).
    pub(crate) fn remove(&self, tenant: &str, block: Uuid) {
        let mut all = self.write();
        if let Some(entry) = all.get_mut(tenant)
            && entry.contains_key(&block)
        {
            let mut map = (**entry).clone();
            map.remove(&block);
            *entry = Arc::new(map);
        }
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
            // The meta of every listed block, opened or not: what the tenant index lists.
            let mut metas: Vec<BlockMeta> = Vec::with_capacity(ids.live.len());
            let mut all_metas = true;
            for id in &ids.live {
                if let Some(b) = current.get(id) {
                    metas.push(b.meta.clone());
                    next.insert(*id, Arc::clone(b));
                    continue;
                }
                let meta = match indexed.get(id) {
                    Some(m) => m.clone(),
                    None => match store.read_meta(&tenant, *id).await {
                        Ok(m) => m,
                        Err(e) => {
                            all_metas = false;
                            failures.push((tenant.clone(), *id, e));
                            continue;
                        }
                    },
                };
                metas.push(meta.clone());
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
            // Rewritten only from a complete picture: a block whose meta could not be read
            // keeps the old index rather than vanishing from it (Tempo's queriers read it).
            if listed_changed && all_metas {
                rewrite_index(store, &tenant, metas, &ids.compacted, &mut failures).await;
            }
            self.write().insert(tenant, Arc::new(next));
        }
        Ok(failures)
    }
}

/// Rewrites the tenant index of `tenant` from `metas` and the metas of its `compacted` blocks
/// — only from a complete picture: when a compacted meta cannot be read, the old index stays.
async fn rewrite_index(
    store: &BlockStore,
    tenant: &str,
    metas: Vec<BlockMeta>,
    compacted: &[Uuid],
    failures: &mut Vec<(String, Uuid, tempo_block::BlockError)>,
) {
    let mut metas_compacted: Vec<CompactedBlockMeta> = Vec::new();
    for id in compacted {
        match store.read_compacted_meta(tenant, *id).await {
            Ok(m) => metas_compacted.push(m),
            Err(e) if e.is_not_found() => {}
            Err(e) => {
                failures.push((tenant.to_owned(), *id, e));
                return;
            }
        }
    }
    if let Err(e) = store
        .write_tenant_index(tenant, &TenantIndex::new(metas, metas_compacted))
        .await
    {
        tracing::warn!(tenant = %tenant, error = %e, "tenant index not written");
    }
}
