//! Opening a block and reading traces from it: find by ID and scan in ID order.

use std::fmt;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bloom::tempo::{Shard, TraceKey};
use bytes::Bytes;
use otlp_model::TraceId;
use otlp_model::proto::trace::ResourceSpans;
use parquet::column::reader::ColumnReader;

use uuid::Uuid;

use crate::assemble::{Assembler, Column, Plan};
use crate::backend::{BlockStore, DATA_NAME, bloom_name};
use crate::error::{BlockError, Result};
use crate::file::{ParquetFile, RangeRead};
use crate::meta::BlockMeta;
use crate::read::Layout;

/// The objects of one block (`data.parquet`, `bloom-N`, `index`, `meta.json`), read by name.
#[async_trait]
pub trait BlockObjects: Send + Sync + fmt::Debug {
    /// Reads a whole object.
    async fn get(&self, name: &str) -> Result<Bytes>;
    /// Reads `range` of an object.
    async fn get_range(&self, name: &str, range: Range<u64>) -> Result<Bytes>;
    /// The size of an object in bytes.
    async fn size(&self, name: &str) -> Result<u64>;
}

/// The objects of block `block` of `tenant` in a [`BlockStore`].
#[derive(Debug, Clone)]
pub struct StoredBlock {
    store: BlockStore,
    tenant: String,
    block: Uuid,
}

impl StoredBlock {
    /// The objects of `block` of `tenant` in `store`.
    pub fn new(store: BlockStore, tenant: impl Into<String>, block: Uuid) -> Self {
        Self {
            store,
            tenant: tenant.into(),
            block,
        }
    }
}

#[async_trait]
impl BlockObjects for StoredBlock {
    async fn get(&self, name: &str) -> Result<Bytes> {
        self.store.read_object(&self.tenant, self.block, name).await
    }

    async fn get_range(&self, name: &str, range: Range<u64>) -> Result<Bytes> {
        self.store
            .read_object_range(&self.tenant, self.block, name, range)
            .await
    }

    async fn size(&self, name: &str) -> Result<u64> {
        self.store.object_size(&self.tenant, self.block, name).await
    }
}

/// Serves ranges of `data.parquet` from a [`BlockObjects`].
struct DataObject(Arc<dyn BlockObjects>);

#[async_trait]
impl RangeRead for DataObject {
    async fn read_range(&self, range: Range<u64>) -> Result<Bytes> {
        self.0.get_range(DATA_NAME, range).await
    }
}

/// Most bloom shards a block can have (Tempo clamps its shard count to 1000).
const MAX_BLOOM_SHARDS: u32 = 1000;

/// Rows read per column at a time while scanning.
const SCAN_BATCH: usize = 256;

/// An open block: its metadata, the Parquet footer and the TraceID column's page indexes;
/// the other columns' page indexes and the bloom shards are loaded on first use and kept.
pub struct BlockReader {
    meta: BlockMeta,
    objects: Arc<dyn BlockObjects>,
    file: ParquetFile,
    layout: Layout,
    /// The file's plan without the columns OTLP does not need (derived fields).
    plan: Plan,
    /// The leaf columns read for a trace, in file order.
    needed: Vec<usize>,
    trace_id_column: usize,
    /// TraceID (min, max) of every row group, when every row group has statistics.
    bounds: Option<Vec<(Vec<u8>, Vec<u8>)>>,
    blooms: Mutex<Vec<Option<Arc<Shard>>>>,
}

impl fmt::Debug for BlockReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockReader")
            .field("block_id", &self.meta.block_id)
            .field("tenant_id", &self.meta.tenant_id)
            .field("file", &self.file)
            .finish_non_exhaustive()
    }
}

impl BlockReader {
    /// Opens the block described by `meta` whose objects `objects` serves: reads the Parquet
    /// footer and the TraceID column's page indexes (what a lookup needs first) and resolves
    /// every column by path in the file's own schema. The other columns' page indexes are
    /// read, checked and kept when a lookup or scan first needs them (a lookup needs only the
    /// offset indexes of the columns it reads, in its row group); a corrupt one is reported
    /// then, as the same error open would have returned. Of the footer's statistics only the
    /// TraceID chunks' are decoded (a lookup picks its row group by them; nothing reads the
    /// others): a full scan or [`BlockReader::check_metadata`] decodes the rest.
    ///
    /// # Errors
    ///
    /// [`BlockError::UnsupportedVersion`] for a block this crate does not read; the storage's
    /// errors; [`BlockError::SizeMismatch`] when the footer cannot be read and `data.parquet`
    /// is not the `size` meta.json records (a truncated copy); [`BlockError::Corrupt`] or
    /// [`BlockError::Parquet`] for a file whose footer, TraceID page indexes or schema are not
    /// a Tempo block's.
    pub async fn open(meta: BlockMeta, objects: Arc<dyn BlockObjects>) -> Result<Self> {
        meta.version()?;
        let what = format!("{DATA_NAME} of block {}", meta.block_id);
        let len = if meta.size > 0 {
            meta.size
        } else {
            objects.size(DATA_NAME).await?
        };
        let source: Arc<dyn RangeRead> = Arc::new(DataObject(Arc::clone(&objects)));
        let hint = u64::from(meta.footer_size);
        let file = match ParquetFile::open(source, len, hint, &what, "TraceID").await {
            Ok(file) => file,
            // The footer is read at the end meta.json records, without asking the store for
            // the size first (one request fewer per block). When that fails, a file of
            // another size is the likely cause, and the error that says so.
            Err(e) if meta.size > 0 => match objects.size(DATA_NAME).await {
                Ok(found) if found != meta.size => {
                    return Err(BlockError::SizeMismatch {
                        block: meta.block_id,
                        object: DATA_NAME,
                        expected: meta.size,
                        found,
                    });
                }
                _ => return Err(e),
            },
            Err(e) => return Err(e),
        };
        let layout = Layout::resolve(file.plan(), &meta.dedicated_columns)?;
        let trace_id_column = file
            .column_index("TraceID")
            .ok_or_else(|| BlockError::corrupt(what.clone(), "no TraceID column"))?;
        // What every lookup needs first: the TraceID pages of its row group.
        let trace_ids: Vec<(usize, usize)> = (0..file.num_row_groups())
            .map(|g| (g, trace_id_column))
            .collect();
        file.load_indexes(&trace_ids, true).await?;
        // Tempo never writes more than 1000 shards; a larger count is a corrupt meta.json,
        // not a reason to allocate a table of billions.
        if meta.bloom_shard_count() > MAX_BLOOM_SHARDS {
            return Err(BlockError::corrupt(
                format!("meta.json of block {}", meta.block_id),
                format!(
                    "bloomShards {} exceeds Tempo's maximum of {MAX_BLOOM_SHARDS}",
                    meta.bloom_shard_count()
                ),
            ));
        }
        let shards = usize::try_from(meta.bloom_shard_count()).unwrap_or(1);
        let schema = file.metadata().file_metadata().schema_descr();
        let keep: Vec<bool> = schema
            .columns()
            .iter()
            .map(|c| !is_derived(&c.path().string()))
            .collect();
        let needed = (0..keep.len()).filter(|&c| keep[c]).collect();
        let plan = file.plan().project(&keep);
        let bounds = (0..file.num_row_groups())
            .map(|g| file.chunk_bounds(g, trace_id_column))
            .collect();
        Ok(Self {
            meta,
            objects,
            file,
            layout,
            plan,
            needed,
            trace_id_column,
            bounds,
            blooms: Mutex::new(vec![None; shards]),
        })
    }

    /// Opens block `block` of `tenant` in `store`: reads its `meta.json`, then as
    /// [`BlockReader::open`].
    ///
    /// # Errors
    ///
    /// As [`BlockReader::open`], and the store's errors reading `meta.json`.
    pub async fn open_stored(store: &BlockStore, tenant: &str, block: Uuid) -> Result<Self> {
        let meta = store.read_meta(tenant, block).await?;
        Self::open(
            meta,
            Arc::new(StoredBlock::new(store.clone(), tenant, block)),
        )
        .await
    }

    /// The block's metadata.
    pub fn meta(&self) -> &BlockMeta {
        &self.meta
    }

    /// The Parquet schema of the block's data file.
    pub fn parquet_schema(&self) -> &parquet::schema::types::Type {
        self.file
            .metadata()
            .file_metadata()
            .schema_descr()
            .root_schema()
    }

    /// The number of row groups.
    pub fn row_groups(&self) -> usize {
        self.file.num_row_groups()
    }

    /// Reads and checks the data file's metadata that open leaves for later, as open checked
    /// all of it before it was loaded lazily: the footer decoded whole (the column statistics
    /// lookups do not use included) and every page index not loaded yet (open reads only the
    /// TraceID column's; lookups and scans load the others as they need them). A full scan
    /// checks the same as it goes; this is for checking a whole block, such as a verify,
    /// without reading rows. Page indexes are kept for later reads.
    ///
    /// # Errors
    ///
    /// The storage's errors; [`BlockError::Parquet`] for a footer or column index that does
    /// not decode; [`BlockError::Corrupt`] for a page index that is not a complete Thrift
    /// structure or whose page locations lie outside their column chunk.
    pub async fn check_metadata(&self) -> Result<()> {
        self.file.check_footer().await?;
        self.file.load_all_indexes().await
    }

    /// The bloom shard index for `key` and the shard, loaded on first use.
    async fn bloom(&self, key: &TraceKey) -> Result<Arc<Shard>> {
        let count = self.lock_blooms().len();
        let i = key.shard_index(count);
        if let Some(Some(shard)) = self.lock_blooms().get(i) {
            return Ok(Arc::clone(shard));
        }
        let name = bloom_name(u32::try_from(i).unwrap_or(u32::MAX));
        let bytes = self.objects.get(&name).await?;
        let shard = Arc::new(Shard::decode(&bytes).map_err(|source| BlockError::Bloom {
            what: format!("{name} of block {}", self.meta.block_id),
            source,
        })?);
        if let Some(slot) = self.lock_blooms().get_mut(i) {
            *slot = Some(Arc::clone(&shard));
        }
        Ok(shard)
    }

    fn lock_blooms(&self) -> std::sync::MutexGuard<'_, Vec<Option<Arc<Shard>>>> {
        // A panic while holding the lock cannot leave the cache inconsistent (slots are
        // replaced whole), so a poisoned lock is still usable.
        self.blooms
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// True when the block's bloom filter may contain `id` (false means it certainly does not).
    ///
    /// # Errors
    ///
    /// The storage's errors reading the shard; [`BlockError::Bloom`] for a shard that does not
    /// decode.
    pub async fn may_contain(&self, id: &TraceId) -> Result<bool> {
        self.may_contain_key(&TraceKey::new(id.as_bytes())).await
    }

    /// As [`BlockReader::may_contain`] for an ID hashed once with [`TraceKey::new`] (of its
    /// 16 bytes), so that a lookup across many blocks hashes it only once.
    ///
    /// # Errors
    ///
    /// As [`BlockReader::may_contain`].
    pub async fn may_contain_key(&self, key: &TraceKey) -> Result<bool> {
        Ok(self.bloom(key).await?.contains_key(key))
    }

    /// Finds a trace by ID: bloom filter, then the row group whose TraceID bounds hold the ID,
    /// then the pages whose column-index bounds hold it, then one row decoded to OTLP.
    ///
    /// # Errors
    ///
    /// As [`BlockReader::may_contain`] and [`BlockReader::find_trace_skip_bloom`].
    pub async fn find_trace(&self, id: &TraceId) -> Result<Option<Vec<ResourceSpans>>> {
        if !self.may_contain(id).await? {
            return Ok(None);
        }
        self.find_trace_skip_bloom(id).await
    }

    /// [`BlockReader::find_trace`] without consulting the bloom filter.
    ///
    /// # Errors
    ///
    /// The storage's errors; [`BlockError::Corrupt`] or [`BlockError::Parquet`] for pages that
    /// do not decode or rows that do not assemble.
    pub async fn find_trace_skip_bloom(&self, id: &TraceId) -> Result<Option<Vec<ResourceSpans>>> {
        let Some((g, row)) = self.locate(id.as_bytes()).await? else {
            return Ok(None);
        };
        let read = self
            .file
            .read_columns(g, &self.needed, row..row + 1)
            .await?;
        let columns = self.spread(read);
        let mut asm = Assembler {
            plan: &self.plan,
            columns,
        };
        let row = asm.next_row()?.ok_or_else(|| {
            BlockError::corrupt(format!("row {row} of row group {g}"), "no row assembled")
        })?;
        self.layout.to_otlp(&row).map(Some)
    }

    /// Row groups whose TraceID range may hold `id`, from the chunk statistics (all of them
    /// when a row group has none).
    fn candidate_row_groups(&self, id: &[u8]) -> Vec<usize> {
        match &self.bounds {
            Some(b) => {
                // Rows are sorted by ID, so row groups are too: binary search on the minimums.
                let i = b.partition_point(|(min, _)| min.as_slice() <= id);
                match i.checked_sub(1) {
                    Some(g) if b[g].1.as_slice() >= id => vec![g],
                    _ => Vec::new(),
                }
            }
            None => (0..self.file.num_row_groups()).collect(),
        }
    }

    /// Row group and row number of `id`.
    async fn locate(&self, id: &[u8; 16]) -> Result<Option<(usize, usize)>> {
        for g in self.candidate_row_groups(id) {
            for pages in self
                .file
                .candidate_pages(g, self.trace_id_column, id)
                .await?
            {
                let start = pages.start;
                let cols = self
                    .file
                    .read_columns(g, &[self.trace_id_column], pages)
                    .await?;
                if let Some(pos) = cols.first().and_then(|c| c.position_of(id)) {
                    return Ok(Some((g, start + pos)));
                }
            }
        }
        Ok(None)
    }

    /// Reads every trace in ID order, a row group at a time (checking the whole footer first
    /// and each row group's page indexes as it starts).
    pub fn scan(&self) -> TraceScan<'_> {
        TraceScan {
            block: self,
            group: 0,
            readers: Vec::new(),
            remaining: 0,
            pending: std::collections::VecDeque::new(),
        }
    }

    /// Places the columns read for `self.needed` at their leaf positions, with placeholders
    /// for the leaves the plan skips.
    fn spread(&self, read: Vec<Column>) -> Vec<Column> {
        let n = self
            .file
            .metadata()
            .file_metadata()
            .schema_descr()
            .num_columns();
        let mut columns: Vec<Column> = (0..n).map(|_| Column::placeholder()).collect();
        for (&leaf, column) in self.needed.iter().zip(read) {
            columns[leaf] = column;
        }
        columns
    }
}

/// True for a column that holds only what Tempo derives at write time (trace summary,
/// service stats, nested-set numbers, rounded times, span counts): OTLP does not carry it,
/// so reading a trace skips it.
fn is_derived(path: &str) -> bool {
    const TRACE_LEVEL: [&str; 6] = [
        "TraceIDText",
        "StartTimeUnixNano",
        "EndTimeUnixNano",
        "DurationNano",
        "RootServiceName",
        "RootSpanName",
    ];
    const SPAN_LEVEL: [&str; 8] = [
        "ParentID",
        "NestedSetLeft",
        "NestedSetRight",
        "ChildCount",
        "StartTimeRounded15",
        "StartTimeRounded60",
        "StartTimeRounded300",
        "StartTimeRounded3600",
    ];
    let last = path.rsplit('.').next().unwrap_or(path);
    TRACE_LEVEL.contains(&path)
        || path.starts_with("ServiceStats")
        || (path.contains(".Spans.")
            && !path.contains(".Events.")
            && !path.contains(".Links.")
            && SPAN_LEVEL.contains(&last))
        || (last == "SpanCount" && path.starts_with("rs."))
}

/// A trace as stored: its ID and its resource spans.
pub type StoredTrace = (TraceId, Vec<ResourceSpans>);

/// Iterates a block's traces in ID order, holding one row group's compressed column chunks
/// and one batch of decoded rows at a time.
pub struct TraceScan<'a> {
    block: &'a BlockReader,
    group: usize,
    readers: Vec<ColumnReader>,
    remaining: usize,
    pending: std::collections::VecDeque<StoredTrace>,
}

impl fmt::Debug for TraceScan<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TraceScan")
            .field("group", &self.group)
            .field("remaining", &self.remaining)
            .finish_non_exhaustive()
    }
}

impl TraceScan<'_> {
    /// The next trace, or `None` after the last one.
    ///
    /// # Errors
    ///
    /// As [`BlockReader::find_trace_skip_bloom`]; after an error the scan should be dropped.
    pub async fn next(&mut self) -> Result<Option<StoredTrace>> {
        loop {
            if let Some(t) = self.pending.pop_front() {
                return Ok(Some(t));
            }
            if self.remaining == 0 {
                if self.group >= self.block.file.num_row_groups() {
                    return Ok(None);
                }
                let g = self.group;
                self.group += 1;
                let rows = self.block.file.row_group_rows(g);
                // A scan reads whole row groups: the whole footer is decoded once and every
                // page index of this row group is loaded and checked, not only those of the
                // columns read, so a full scan checks all that open checked before metadata
                // was loaded lazily.
                if g == 0 {
                    self.block.file.check_footer().await?;
                }
                self.block.file.load_row_group_indexes(g).await?;
                self.readers = self
                    .block
                    .file
                    .column_readers(g, &self.block.needed, &(0..rows))
                    .await?;
                self.remaining = rows;
                continue;
            }
            let batch = self.remaining.min(SCAN_BATCH);
            let mut read = Vec::with_capacity(self.readers.len());
            for (&c, reader) in self.block.needed.iter().zip(self.readers.iter_mut()) {
                read.push(self.block.file.read_batch(c, reader, batch)?);
            }
            self.remaining -= batch;
            let mut asm = Assembler {
                plan: &self.block.plan,
                columns: self.block.spread(read),
            };
            let mut got = 0;
            while let Some(row) = asm.next_row()? {
                let id = row.field(self.block.layout.trace_id).bytes();
                let id = TraceId::from_slice(id).map_err(|e| {
                    BlockError::corrupt(
                        format!("row group {}", self.group - 1),
                        format!("TraceID: {e}"),
                    )
                })?;
                self.pending
                    .push_back((id, self.block.layout.to_otlp(&row)?));
                got += 1;
            }
            if got != batch {
                return Err(BlockError::corrupt(
                    format!("row group {}", self.group - 1),
                    format!("{got} rows assembled where {batch} were read"),
                ));
            }
        }
    }
}
