//! [`BlockStore`]: tenants, blocks, metas, objects and tenant indexes on a [`Backend`].

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{
    Backend, COMPACTED_META_NAME, META_NAME, block_object_path, block_path, parse_block_id,
    tenant_object_path, validate_tenant_id,
};
use crate::error::{BlockError, Result};
use crate::meta::{self, BlockMeta, CompactedBlockMeta};
use crate::tenant_index::{
    DEFAULT_INDEX_SIZE_LIMIT, TENANT_INDEX_JSON, TENANT_INDEX_PB, TenantIndex,
};

/// The blocks of a tenant found by listing, by state; each list sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockIds {
    /// Blocks with `meta.json`.
    pub live: Vec<Uuid>,
    /// Blocks with `meta.compacted.json`. A block caught between the two steps of
    /// [`BlockStore::mark_compacted`] has both files and is in both lists, as in Tempo.
    pub compacted: Vec<Uuid>,
}

/// Typed access to Tempo's layout on a [`Backend`]: every path is built from a checked
/// tenant ID, a block UUID and a checked object name (see [the module](super)).
///
/// ```
/// use std::sync::Arc;
/// use tempo_block::backend::{BlockStore, ObjectStoreBackend};
/// use tempo_block::meta::{BlockMeta, Version};
/// use tempo_block::tenant_index::TenantIndex;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = BlockStore::new(Arc::new(ObjectStoreBackend::memory()));
/// let meta = BlockMeta::new(Version::VParquet5, "tenant-1", uuid::Uuid::new_v4());
/// store.write_meta(&meta).await?;
/// assert_eq!(store.list_blocks("tenant-1").await?.live, [meta.block_id]);
/// assert_eq!(store.read_meta("tenant-1", meta.block_id).await?, meta);
///
/// store.write_tenant_index("tenant-1", &TenantIndex::new(vec![meta.clone()], vec![])).await?;
/// assert_eq!(store.read_tenant_index("tenant-1").await?.metas, [meta]);
/// # Ok::<(), tempo_block::BlockError>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct BlockStore {
    backend: Arc<dyn Backend>,
    index_size_limit: usize,
}

impl BlockStore {
    /// A store on `backend`, reading tenant indexes up to [`DEFAULT_INDEX_SIZE_LIMIT`].
    pub fn new(backend: Arc<dyn Backend>) -> Self {
        Self {
            backend,
            index_size_limit: DEFAULT_INDEX_SIZE_LIMIT,
        }
    }

    /// This store with another limit on the decompressed size of tenant indexes.
    #[must_use]
    pub fn with_index_size_limit(mut self, limit: usize) -> Self {
        self.index_size_limit = limit;
        self
    }

    /// The backend underneath.
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }

    /// The tenants: folders at the root whose names are valid tenant IDs, sorted. Other
    /// folders are skipped.
    ///
    /// # Errors
    ///
    /// The backend's listing error.
    pub async fn list_tenants(&self) -> Result<Vec<String>> {
        let mut dirs = self.backend.list_dirs("").await?;
        dirs.retain(|d| validate_tenant_id(d).is_ok());
        Ok(dirs)
    }

    /// The blocks of `tenant`, found by listing (as Tempo's `Blocks()`): folders named by a
    /// block ID that hold `meta.json` (live) or `meta.compacted.json` (compacted). Anything
    /// else in the tenant's folder is ignored.
    ///
    /// # Errors
    ///
    /// [`BlockError::InvalidName`] for a bad tenant ID; the backend's listing error.
    pub async fn list_blocks(&self, tenant: &str) -> Result<BlockIds> {
        validate_tenant_id(tenant)?;
        let mut ids = BlockIds::default();
        for path in self.backend.list(tenant).await? {
            let mut parts = path.split('/');
            let (Some(_), Some(block), Some(name), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let Ok(id) = parse_block_id(block) else {
                continue;
            };
            match name {
                META_NAME => ids.live.push(id),
                COMPACTED_META_NAME => ids.compacted.push(id),
                _ => {}
            }
        }
        ids.live.sort();
        ids.compacted.sort();
        Ok(ids)
    }

    /// The `meta.json` of a block.
    ///
    /// # Errors
    ///
    /// [`BlockError::NotFound`] when the block has no `meta.json`; [`BlockError::Json`]
    /// naming the object when it does not parse; [`BlockError::Corrupt`] when it names
    /// another block or tenant than its folder.
    pub async fn read_meta(&self, tenant: &str, block: Uuid) -> Result<BlockMeta> {
        let path = block_object_path(tenant, block, META_NAME)?;
        let bytes = self.backend.get(&path).await?;
        let meta = meta::parse_meta(&bytes, &path)?;
        check_identity(&meta, tenant, block, &path)?;
        Ok(meta)
    }

    /// The `meta.compacted.json` of a block. When it has no `compactedTime` (Tempo's
    /// object-store backends copy `meta.json` unchanged), the object's modification time is
    /// used, as Tempo does.
    ///
    /// # Errors
    ///
    /// As [`read_meta`](Self::read_meta), for `meta.compacted.json`.
    pub async fn read_compacted_meta(
        &self,
        tenant: &str,
        block: Uuid,
    ) -> Result<CompactedBlockMeta> {
        let path = block_object_path(tenant, block, COMPACTED_META_NAME)?;
        let bytes = self.backend.get(&path).await?;
        let (meta, time) = meta::parse_compacted(&bytes, &path)?;
        check_identity(&meta, tenant, block, &path)?;
        let compacted_time = match time {
            Some(t) => t,
            None => self.backend.head(&path).await?.last_modified,
        };
        Ok(CompactedBlockMeta {
            meta,
            compacted_time,
        })
    }

    /// Writes `meta.json` of the block `meta` describes (its tenant and block ID). Written
    /// last, it makes the block live.
    ///
    /// # Errors
    ///
    /// [`BlockError::InvalidName`] for a bad tenant ID; [`BlockError::InvalidInput`] when a
    /// time cannot be written; the backend's error.
    pub async fn write_meta(&self, meta: &BlockMeta) -> Result<()> {
        let path = block_object_path(&meta.tenant_id, meta.block_id, META_NAME)?;
        Ok(self
            .backend
            .put(&path, Bytes::from(meta.to_json()?))
            .await?)
    }

    /// Marks a block compacted at `time`, as Tempo's compactor does: `meta.compacted.json`
    /// (the meta plus `compactedTime`) is written, then `meta.json` deleted. A reader that
    /// lists in between sees the block in both states.
    ///
    /// # Errors
    ///
    /// [`BlockError::NotFound`] when the block has no `meta.json`; the errors of
    /// [`read_meta`](Self::read_meta) and of the backend.
    pub async fn mark_compacted(
        &self,
        tenant: &str,
        block: Uuid,
        time: DateTime<Utc>,
    ) -> Result<()> {
        let meta = self.read_meta(tenant, block).await?;
        let compacted = CompactedBlockMeta {
            meta,
            compacted_time: time,
        };
        let path = block_object_path(tenant, block, COMPACTED_META_NAME)?;
        self.backend
            .put(&path, Bytes::from(compacted.to_json()?))
            .await?;
        Ok(self
            .backend
            .delete(&block_object_path(tenant, block, META_NAME)?)
            .await?)
    }

    /// Object `name` of a block, whole.
    ///
    /// # Errors
    ///
    /// [`BlockError::InvalidName`] for a bad tenant ID or name; [`BlockError::NotFound`];
    /// the backend's error.
    pub async fn read_object(&self, tenant: &str, block: Uuid, name: &str) -> Result<Bytes> {
        Ok(self
            .backend
            .get(&block_object_path(tenant, block, name)?)
            .await?)
    }

    /// Bytes `range` of object `name` of a block (see [`Backend::get_range`]).
    ///
    /// # Errors
    ///
    /// As [`read_object`](Self::read_object); a range past the end of the object is an
    /// error.
    pub async fn read_object_range(
        &self,
        tenant: &str,
        block: Uuid,
        name: &str,
        range: Range<u64>,
    ) -> Result<Bytes> {
        Ok(self
            .backend
            .get_range(&block_object_path(tenant, block, name)?, range)
            .await?)
    }

    /// The size in bytes of object `name` of a block.
    ///
    /// # Errors
    ///
    /// As [`read_object`](Self::read_object).
    pub async fn object_size(&self, tenant: &str, block: Uuid, name: &str) -> Result<u64> {
        let path = block_object_path(tenant, block, name)?;
        Ok(self.backend.head(&path).await?.size)
    }

    /// Writes (or replaces) object `name` of a block.
    ///
    /// # Errors
    ///
    /// [`BlockError::InvalidName`] for a bad tenant ID or name; the backend's error.
    pub async fn write_object(
        &self,
        tenant: &str,
        block: Uuid,
        name: &str,
        data: Bytes,
    ) -> Result<()> {
        Ok(self
            .backend
            .put(&block_object_path(tenant, block, name)?, data)
            .await?)
    }

    /// Deletes object `name` of a block (a missing object is not an error).
    ///
    /// # Errors
    ///
    /// [`BlockError::InvalidName`] for a bad tenant ID or name; the backend's error.
    pub async fn delete_object(&self, tenant: &str, block: Uuid, name: &str) -> Result<()> {
        Ok(self
            .backend
            .delete(&block_object_path(tenant, block, name)?)
            .await?)
    }

    /// Deletes every object of a block: `meta.json` first (so the block stops being live),
    /// then the data objects, and `meta.compacted.json` last, so that a deletion cut short
    /// still leaves a meta by which the block is found and deleted again.
    ///
    /// # Errors
    ///
    /// [`BlockError::InvalidName`] for a bad tenant ID; the backend's error (objects
    /// deleted before it stay deleted).
    pub async fn delete_block(&self, tenant: &str, block: Uuid) -> Result<()> {
        let folder = block_path(tenant, block)?;
        let mut paths = self.backend.list(&folder).await?;
        let rank = |p: &String| match p.rsplit('/').next() {
            Some(META_NAME) => 0,
            Some(COMPACTED_META_NAME) => 2,
            _ => 1,
        };
        paths.sort_by_key(rank);
        for path in paths {
            self.backend.delete(&path).await?;
        }
        Ok(())
    }

    /// The tenant index of `tenant`: `index.pb.zst`, or `index.json.gz` when that does not
    /// exist (Tempo's order). Other errors reading `index.pb.zst` are returned, not hidden
    /// by the fallback.
    ///
    /// # Errors
    ///
    /// [`BlockError::NotFound`] (for `index.json.gz`) when neither exists; the decoding
    /// errors of [`TenantIndex::decode_pb_zst`] and [`TenantIndex::decode_json_gz`]; the
    /// backend's error.
    pub async fn read_tenant_index(&self, tenant: &str) -> Result<TenantIndex> {
        let pb_path = tenant_object_path(tenant, TENANT_INDEX_PB)?;
        match self.backend.get(&pb_path).await {
            Ok(bytes) => {
                return TenantIndex::decode_pb_zst(&bytes, self.index_size_limit)
                    .map_err(|e| name_document(e, &pb_path));
            }
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e.into()),
        }
        let json_path = tenant_object_path(tenant, TENANT_INDEX_JSON)?;
        let bytes = self.backend.get(&json_path).await?;
        TenantIndex::decode_json_gz(&bytes, self.index_size_limit)
            .map_err(|e| name_document(e, &json_path))
    }

    /// Builds the tenant index of `tenant` from a listing, as Tempo's poller does, and writes
    /// it with [`BlockStore::write_tenant_index`]: every block with `meta.json` in
    /// [`TenantIndex::metas`], every block with `meta.compacted.json` in
    /// [`TenantIndex::compacted`], both sorted by block ID. Uploading a block
    /// ([`WrittenBlock::upload`](crate::WrittenBlock::upload)) does not touch the index; call
    /// this afterwards so that readers of `index.json.gz` (Tempo's queriers) see the block
    /// before their next poll builds the index themselves.
    ///
    /// # Errors
    ///
    /// [`BlockError::InvalidName`] for a bad tenant ID; the errors of
    /// [`BlockStore::read_meta`] and [`BlockStore::read_compacted_meta`] for a block whose
    /// meta cannot be read; the backend's error.
    pub async fn rebuild_tenant_index(&self, tenant: &str) -> Result<TenantIndex> {
        let ids = self.list_blocks(tenant).await?;
        let mut metas = Vec::with_capacity(ids.live.len());
        for id in ids.live {
            metas.push(self.read_meta(tenant, id).await?);
        }
        let mut compacted = Vec::with_capacity(ids.compacted.len());
        for id in ids.compacted {
            compacted.push(self.read_compacted_meta(tenant, id).await?);
        }
        let index = TenantIndex::new(metas, compacted);
        self.write_tenant_index(tenant, &index).await?;
        Ok(index)
    }

    /// Writes the tenant index of `tenant` as Tempo does: `index.pb.zst`, then
    /// `index.json.gz`. An index without any block deletes both files instead.
    ///
    /// # Errors
    ///
    /// [`BlockError::InvalidName`] for a bad tenant ID; the encoding errors of
    /// [`TenantIndex::encode_pb_zst`] and [`TenantIndex::encode_json_gz`]; the backend's
    /// error.
    pub async fn write_tenant_index(&self, tenant: &str, index: &TenantIndex) -> Result<()> {
        let pb_path = tenant_object_path(tenant, TENANT_INDEX_PB)?;
        let json_path = tenant_object_path(tenant, TENANT_INDEX_JSON)?;
        if index.metas.is_empty() && index.compacted.is_empty() {
            self.backend.delete(&json_path).await?;
            return Ok(self.backend.delete(&pb_path).await?);
        }
        let pb = index.encode_pb_zst()?;
        let json = index.encode_json_gz()?;
        self.backend.put(&pb_path, Bytes::from(pb)).await?;
        Ok(self.backend.put(&json_path, Bytes::from(json)).await?)
    }
}

/// Checks that a meta read from a block's folder belongs to that folder.
fn check_identity(meta: &BlockMeta, tenant: &str, block: Uuid, path: &str) -> Result<()> {
    if meta.block_id != block || meta.tenant_id != tenant {
        return Err(BlockError::corrupt(
            path,
            format!(
                "the meta describes block {} of tenant {:?}",
                meta.block_id, meta.tenant_id
            ),
        ));
    }
    Ok(())
}

/// Puts the object's path into a decoding error's document name.
fn name_document(error: BlockError, path: &str) -> BlockError {
    match error {
        BlockError::Json { message, .. } => BlockError::Json {
            what: path.to_owned(),
            message,
        },
        BlockError::Protobuf { source, .. } => BlockError::Protobuf {
            what: path.to_owned(),
            source,
        },
        BlockError::Compression { message, .. } => BlockError::Compression {
            what: path.to_owned(),
            message,
        },
        BlockError::Corrupt { what, detail } => BlockError::Corrupt {
            what: what.replacen(TENANT_INDEX_PB, path, 1),
            detail,
        },
        other => other,
    }
}
