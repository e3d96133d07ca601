//! A Parquet file read by byte ranges: the footer at open, each column chunk's page indexes
//! on first use, then only the pages a lookup needs.
//!
//! [`RangeRead`] is all the reader asks of storage, so the same code reads a file held in
//! memory, a local file and an object in a bucket. Row-level reads go through the offset
//! index: for a single row only the page holding it (and the column's dictionary page) is
//! fetched and decoded. Page indexes are fetched, checked and decoded per column chunk when a
//! read first needs them ([`ParquetFile::load_indexes`]) and kept; where they lie is checked
//! with the footer at open. Of the footer's column statistics open decodes one column's (the
//! TraceID bounds); [`ParquetFile::check_footer`] decodes the whole footer for full checks.

use std::ops::Range;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use bytes::Bytes;
use parquet::basic::{Repetition, Type as PhysicalType};
use parquet::column::page::PageReader;
use parquet::column::reader::{ColumnReader, get_column_reader};
use parquet::errors::ParquetError;
use parquet::file::metadata::{
    ColumnChunkMetaData, FileMetaData, PageIndexPolicy, ParquetMetaData, ParquetMetaDataBuilder,
    ParquetMetaDataOptions, ParquetMetaDataReader, ParquetStatisticsPolicy, RowGroupMetaData,
};
use parquet::file::page_index::column_index::ColumnIndexMetaData;
use parquet::file::page_index::offset_index::PageLocation;
use parquet::file::properties::ReaderProperties;
use parquet::file::reader::{ChunkReader, Length};
use parquet::file::serialized_reader::SerializedPageReader;
use parquet::file::statistics::Statistics;
use parquet::schema::types::{ColumnDescPtr, SchemaDescriptor, Type};

use crate::assemble::{Column, Plan};
use crate::error::{BlockError, Result, contained};

/// Largest footer accepted (Tempo's footers are a few hundred kB for 100 MB blocks).
const MAX_FOOTER: u64 = 32 << 20;
/// Deepest schema nesting accepted.
const MAX_DEPTH: usize = 64;
/// Ranges closer than this are fetched as one.
const COALESCE_GAP: u64 = 64 << 10;

/// Something that serves byte ranges of one object.
#[async_trait]
pub trait RangeRead: Send + Sync {
    /// Reads `range` (which the caller keeps inside the object).
    async fn read_range(&self, range: Range<u64>) -> Result<Bytes>;
}

#[async_trait]
impl RangeRead for Bytes {
    async fn read_range(&self, range: Range<u64>) -> Result<Bytes> {
        let (Ok(start), Ok(end)) = (usize::try_from(range.start), usize::try_from(range.end))
        else {
            return Err(BlockError::corrupt(
                "data.parquet",
                "range beyond the address space",
            ));
        };
        if start > end || end > self.len() {
            return Err(BlockError::corrupt(
                "data.parquet",
                format!("range {start}..{end} outside {} bytes", self.len()),
            ));
        }
        Ok(self.slice(start..end))
    }
}

/// Byte ranges of a file held in memory, served to the Parquet decoder.
#[derive(Debug, Clone)]
pub(crate) struct Sparse {
    len: u64,
    ranges: Vec<(u64, Bytes)>,
}

impl Sparse {
    fn new(len: u64, mut ranges: Vec<(u64, Bytes)>) -> Self {
        ranges.sort_by_key(|r| r.0);
        Self { len, ranges }
    }

    fn slice(&self, start: u64, length: u64) -> parquet::errors::Result<Bytes> {
        let i = self.ranges.partition_point(|(s, _)| *s <= start);
        let missing = || ParquetError::General(format!("bytes {start}+{length} not fetched"));
        let (s, b) = self
            .ranges
            .get(i.checked_sub(1).ok_or_else(missing)?)
            .ok_or_else(missing)?;
        let off = usize::try_from(start - s).map_err(|_| missing())?;
        let end = usize::try_from(length)
            .ok()
            .and_then(|l| off.checked_add(l))
            .ok_or_else(missing)?;
        if end > b.len() {
            return Err(missing());
        }
        Ok(b.slice(off..end))
    }
}

impl Length for Sparse {
    fn len(&self) -> u64 {
        self.len
    }
}

impl ChunkReader for Sparse {
    type T = bytes::buf::Reader<Bytes>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        let i = self.ranges.partition_point(|(s, _)| *s <= start);
        let (s, b) = i
            .checked_sub(1)
            .and_then(|i| self.ranges.get(i))
            .ok_or_else(|| ParquetError::General(format!("offset {start} not fetched")))?;
        let off = usize::try_from(start - s)
            .ok()
            .filter(|o| *o <= b.len())
            .ok_or_else(|| ParquetError::General(format!("offset {start} not fetched")))?;
        Ok(bytes::Buf::reader(b.slice(off..)))
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        self.slice(start, length as u64)
    }
}

/// Merges ranges that overlap or lie within [`COALESCE_GAP`] of each other.
fn coalesce(mut ranges: Vec<Range<u64>>) -> Vec<Range<u64>> {
    ranges.retain(|r| r.start < r.end);
    ranges.sort_by_key(|r| r.start);
    let mut out: Vec<Range<u64>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last) if r.start <= last.end.saturating_add(COALESCE_GAP) => {
                last.end = last.end.max(r.end);
            }
            _ => out.push(r),
        }
    }
    out
}

/// Per-column facts the reader needs, checked once at open.
#[derive(Debug, Clone)]
struct ColumnInfo {
    path: String,
    max_def: i16,
    max_rep: i16,
}

/// One column chunk's page indexes, each decoded and checked once, on first use.
#[derive(Debug, Default)]
struct ChunkIndexes {
    /// The page locations; `None` when the chunk has no offset index, one that does not
    /// decode, or one listing no pages (reads then refuse the chunk, as before any page of it
    /// could be checked).
    pages: OnceLock<Option<Vec<PageLocation>>>,
    /// The column index ([`ColumnIndexMetaData::NONE`] when the chunk has none).
    column: OnceLock<ColumnIndexMetaData>,
}

/// An opened Parquet file: the footer's metadata, the assembly plan of its schema, and the
/// page indexes of the column chunks read so far.
pub(crate) struct ParquetFile {
    source: Arc<dyn RangeRead>,
    len: u64,
    /// What the file is, for errors (`data.parquet of block …`).
    what: String,
    /// Where the footer starts: every page index lies before it.
    body_end: u64,
    /// Set once the whole footer has been decoded as the Parquet crate decodes it by default
    /// ([`ParquetFile::check_footer`]).
    footer_checked: OnceLock<()>,
    meta: Arc<ParquetMetaData>,
    plan: Plan,
    columns: Vec<ColumnInfo>,
    /// Row group `g`, leaf `c` at `g * columns.len() + c`.
    indexes: Vec<ChunkIndexes>,
    props: Arc<ReaderProperties>,
}

impl std::fmt::Debug for ParquetFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetFile")
            .field("len", &self.len)
            .field("row_groups", &self.meta.num_row_groups())
            .finish_non_exhaustive()
    }
}

impl ParquetFile {
    /// Opens a file of `len` bytes; `footer_hint` is meta.json's `footerSize` (0 if unknown).
    /// Of the footer's column statistics only those of leaf `stats_column` (a dotted path)
    /// are decoded: the reader uses no others ([`ParquetFile::check_footer`] decodes them all).
    pub(crate) async fn open(
        source: Arc<dyn RangeRead>,
        len: u64,
        footer_hint: u64,
        what: &str,
        stats_column: &str,
    ) -> Result<Self> {
        let corrupt = |d: String| BlockError::corrupt(what.to_string(), d);
        if len < 12 {
            return Err(corrupt(format!(
                "{len} bytes is too short for a Parquet file"
            )));
        }
        let mut tail_len = footer_hint.saturating_add(8).min(len).max(8);
        let mut tail = source.read_range(len - tail_len..len).await?;
        check_len(&tail, tail_len, what)?;
        let footer = parse_trailer(&tail).map_err(corrupt)?;
        if footer > MAX_FOOTER || footer + 12 > len {
            return Err(corrupt(format!(
                "footer of {footer} bytes in a {len}-byte file"
            )));
        }
        if footer + 8 > tail_len {
            tail_len = footer + 8;
            tail = source.read_range(len - tail_len..len).await?;
            check_len(&tail, tail_len, what)?;
        }
        let start = usize::try_from(tail_len - 8 - footer).map_err(|_| corrupt("footer".into()))?;
        let footer_bytes = tail.slice(start..tail.len() - 8);
        check_thrift(&format!("{what} footer"), &footer_bytes)?;
        let decode = |leaf: usize| {
            contained(&format!("{what} footer"), || {
                ParquetMetaDataReader::decode_metadata_with_options(
                    &footer_bytes,
                    Some(&footer_options(leaf)),
                )
            })
        };
        // Tempo's schemas have TraceID first; another file may need a second decode.
        let mut meta = decode(0)?;
        let leaf = meta
            .file_metadata()
            .schema_descr()
            .columns()
            .iter()
            .position(|c| c.path().string() == stats_column);
        if let Some(leaf) = leaf.filter(|l| *l != 0) {
            meta = decode(leaf)?;
        }

        // Page indexes sit between the row groups and the footer. They are fetched when a
        // read first needs them; where they lie is checked now.
        let body_end = len - 8 - footer;
        for rg in meta.row_groups() {
            for c in rg.columns() {
                for (off, l) in [
                    (c.column_index_offset(), c.column_index_length()),
                    (c.offset_index_offset(), c.offset_index_length()),
                ] {
                    index_range(off, l, body_end).map_err(corrupt)?;
                }
            }
        }

        let schema = meta.file_metadata().schema_descr();
        // Tempo's schemas nest at most 15 levels (vParquet4's LIST wrappers); the assembly
        // plan recurses over the schema, so a deeper one is refused before it is built.
        if let Some(c) = schema
            .columns()
            .iter()
            .find(|c| c.path().parts().len() > MAX_DEPTH)
        {
            return Err(corrupt(format!(
                "column {} nests {} levels deep (at most {MAX_DEPTH})",
                c.path(),
                c.path().parts().len()
            )));
        }
        let plan = Plan::of_root(schema.root_schema());
        let columns = schema
            .columns()
            .iter()
            .map(|c| ColumnInfo {
                path: c.path().string(),
                max_def: c.max_def_level(),
                max_rep: c.max_rep_level(),
            })
            .collect();
        let file = Self {
            source,
            len,
            what: what.to_string(),
            body_end,
            footer_checked: OnceLock::new(),
            meta: Arc::new(meta),
            plan,
            columns,
            indexes: Vec::new(),
            props: Arc::new(ReaderProperties::builder().build()),
        };
        file.check_layout(what)?;
        let chunks = file.num_row_groups() * file.columns.len();
        Ok(Self {
            indexes: (0..chunks).map(|_| ChunkIndexes::default()).collect(),
            ..file
        })
    }

    /// Checks every column chunk's byte range against the file, so the decoder is never
    /// pointed outside the data (page locations are checked as they are loaded).
    fn check_layout(&self, what: &str) -> Result<()> {
        let body_end = self.len.saturating_sub(8);
        let ncols = self.columns.len();
        for (g, rg) in self.meta.row_groups().iter().enumerate() {
            if rg.columns().len() != ncols {
                return Err(BlockError::corrupt(
                    what.to_string(),
                    format!(
                        "row group {g} has {} columns, schema {ncols}",
                        rg.columns().len()
                    ),
                ));
            }
            if rg.num_rows() < 0 {
                return Err(BlockError::corrupt(
                    what.to_string(),
                    format!("row group {g}: negative rows"),
                ));
            }
            for (c, col) in rg.columns().iter().enumerate() {
                let Some((start, l)) = chunk_range(col) else {
                    return Err(BlockError::corrupt(
                        what.to_string(),
                        format!(
                            "row group {g} column {}: negative offset",
                            self.columns[c].path
                        ),
                    ));
                };
                if start.checked_add(l).is_none_or(|e| e > body_end) {
                    return Err(BlockError::corrupt(
                        what.to_string(),
                        format!(
                            "row group {g} column {}: bytes {start}+{l} beyond the data",
                            self.columns[c].path
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Checks the page locations of column `c` in row group `g` against its byte range
    /// (checked at open) and its row count: in order, inside the chunk, rows ascending.
    fn check_pages(&self, g: usize, c: usize, pages: &[PageLocation]) -> Result<()> {
        let rg = self.meta.row_group(g);
        let (start, l) = chunk_range(rg.column(c)).unwrap_or((0, 0));
        let mut prev_row = -1i64;
        let mut prev_end = start;
        for p in pages {
            let (Ok(off), Ok(size)) = (
                u64::try_from(p.offset),
                u64::try_from(p.compressed_page_size),
            ) else {
                return Err(BlockError::corrupt(
                    self.what.clone(),
                    "negative page location".to_string(),
                ));
            };
            if off < prev_end
                || off + size > start + l
                || p.first_row_index <= prev_row
                || p.first_row_index >= rg.num_rows().max(1)
            {
                return Err(BlockError::corrupt(
                    self.what.clone(),
                    format!(
                        "row group {g} column {}: bad page location {p:?}",
                        self.columns[c].path
                    ),
                ));
            }
            prev_row = p.first_row_index;
            prev_end = off + size;
        }
        Ok(())
    }

    fn chunk_indexes(&self, g: usize, c: usize) -> Option<&ChunkIndexes> {
        self.indexes
            .get(g.checked_mul(self.columns.len())?.checked_add(c)?)
    }

    /// Fetches, checks and decodes the offset indexes of `chunks` (row group, leaf column)
    /// that are not loaded yet, and their column indexes too when `column_index` is set; what
    /// decodes is kept for every later read. Two first uses at once may both decode a chunk:
    /// the results are equal and the first one is kept.
    ///
    /// The checks are the ones open made before page indexes were loaded lazily: every struct
    /// is walked with the bounded Thrift reader before the Parquet crate decodes it, a column
    /// index that does not decode is an error, an offset index that does not decode leaves the
    /// chunk without one (the crate's "optional" page-index policy: its reads are refused),
    /// and page locations must lie in order inside their chunk.
    pub(crate) async fn load_indexes(
        &self,
        chunks: &[(usize, usize)],
        column_index: bool,
    ) -> Result<()> {
        let corrupt = |d: String| BlockError::corrupt(self.what.clone(), d);
        let mut offsets = Vec::new();
        let mut column_indexes = Vec::new();
        for &(g, c) in chunks {
            let Some(slot) = self.chunk_indexes(g, c) else {
                continue;
            };
            let col = self.meta.row_group(g).column(c);
            if slot.pages.get().is_none() {
                let range = index_range(
                    col.offset_index_offset(),
                    col.offset_index_length(),
                    self.body_end,
                );
                match range.map_err(corrupt)? {
                    Some(r) => offsets.push((g, c, r)),
                    None => {
                        let _ = slot.pages.set(None);
                    }
                }
            }
            if column_index && slot.column.get().is_none() {
                let range = index_range(
                    col.column_index_offset(),
                    col.column_index_length(),
                    self.body_end,
                );
                match range.map_err(corrupt)? {
                    Some(r) => column_indexes.push((g, c, r)),
                    None => {
                        let _ = slot.column.set(ColumnIndexMetaData::NONE);
                    }
                }
            }
        }
        if offsets.is_empty() && column_indexes.is_empty() {
            return Ok(());
        }
        let wanted = offsets
            .iter()
            .chain(&column_indexes)
            .map(|(_, _, r)| r.clone())
            .collect();
        let mut fetched = Vec::new();
        for r in coalesce(wanted) {
            let bytes = self.source.read_range(r.clone()).await?;
            check_len(&bytes, r.end - r.start, &self.what)?;
            fetched.push((r.start, bytes));
        }
        let sparse = Sparse::new(self.len, fetched);
        let what = format!("{} page index", self.what);
        // Every struct is walked before any is decoded.
        let walk = |list: &[(usize, usize, Range<u64>)]| -> Result<Vec<(ColumnDescPtr, Bytes)>> {
            list.iter()
                .map(|(g, c, r)| {
                    let bytes = sparse
                        .slice(r.start, r.end - r.start)
                        .map_err(|e| BlockError::parquet(what.clone(), e))?;
                    check_thrift(&what, &bytes)?;
                    Ok((self.meta.row_group(*g).column(*c).column_descr_ptr(), bytes))
                })
                .collect()
        };
        let column_parts = walk(&column_indexes)?;
        let offset_parts = walk(&offsets)?;

        if !column_parts.is_empty() {
            self.keep_column_indexes(&column_indexes, &column_parts, &what)?;
        }
        if !offset_parts.is_empty() {
            self.keep_offset_indexes(&offsets, &offset_parts, &what)?;
        }
        Ok(())
    }

    /// Decodes the column indexes `parts` of `chunks` and keeps them.
    fn keep_column_indexes(
        &self,
        chunks: &[(usize, usize, Range<u64>)],
        parts: &[(ColumnDescPtr, Bytes)],
        what: &str,
    ) -> Result<()> {
        let decoded = contained(what, || {
            decode_page_indexes(parts, IndexKind::Column)?
                .take_column_index()
                .and_then(|groups| groups.into_iter().next())
                .filter(|v| v.len() == parts.len())
                .ok_or_else(|| ParquetError::General("column indexes missing".into()))
        })?;
        for ((g, c, _), index) in chunks.iter().zip(decoded) {
            if let Some(slot) = self.chunk_indexes(*g, *c) {
                let _ = slot.column.set(index);
            }
        }
        Ok(())
    }

    /// Decodes the offset indexes `parts` of `chunks`, checks their page locations and keeps
    /// them; a chunk whose offset index does not decode is kept as having none.
    fn keep_offset_indexes(
        &self,
        chunks: &[(usize, usize, Range<u64>)],
        parts: &[(ColumnDescPtr, Bytes)],
        what: &str,
    ) -> Result<()> {
        let decoded = match contained(what, || decode_offset_indexes(parts)) {
            Ok(all) => all.into_iter().map(Some).collect(),
            // Some offset index does not decode: find which, one at a time.
            Err(BlockError::Parquet { .. }) => parts
                .iter()
                .map(|part| {
                    match contained(what, || decode_offset_indexes(std::slice::from_ref(part))) {
                        Ok(mut one) => Ok(one.pop()),
                        Err(BlockError::Parquet { .. }) => Ok(None),
                        Err(e) => Err(e),
                    }
                })
                .collect::<Result<Vec<_>>>()?,
            Err(e) => return Err(e),
        };
        for ((g, c, _), pages) in chunks.iter().zip(decoded) {
            if let Some(pages) = &pages {
                self.check_pages(*g, *c, pages)?;
            }
            if let Some(slot) = self.chunk_indexes(*g, *c) {
                let _ = slot.pages.set(pages.filter(|p| !p.is_empty()));
            }
        }
        Ok(())
    }

    /// Decodes the whole footer as the Parquet crate does by default (the statistics open
    /// skips included) and drops it: what open checked before it decoded only the statistics
    /// the reader uses. Once per file; the footer is read again from storage.
    pub(crate) async fn check_footer(&self) -> Result<()> {
        if self.footer_checked.get().is_some() {
            return Ok(());
        }
        let range = self.body_end..self.len - 8;
        let bytes = self.source.read_range(range.clone()).await?;
        check_len(&bytes, range.end - range.start, &self.what)?;
        let what = format!("{} footer", self.what);
        // Storage is user code: the bytes are walked again before they are decoded.
        check_thrift(&what, &bytes)?;
        contained(&what, || ParquetMetaDataReader::decode_metadata(&bytes))?;
        let _ = self.footer_checked.set(());
        Ok(())
    }

    /// Loads every page index of the file (what open did before they were loaded lazily).
    pub(crate) async fn load_all_indexes(&self) -> Result<()> {
        let chunks: Vec<(usize, usize)> = (0..self.num_row_groups())
            .flat_map(|g| (0..self.columns.len()).map(move |c| (g, c)))
            .collect();
        self.load_indexes(&chunks, true).await
    }

    /// Loads both page indexes of every column chunk of row group `g`.
    pub(crate) async fn load_row_group_indexes(&self, g: usize) -> Result<()> {
        let chunks: Vec<(usize, usize)> = (0..self.columns.len()).map(|c| (g, c)).collect();
        self.load_indexes(&chunks, true).await
    }

    pub(crate) fn metadata(&self) -> &ParquetMetaData {
        &self.meta
    }

    pub(crate) fn plan(&self) -> &Plan {
        &self.plan
    }

    pub(crate) fn num_row_groups(&self) -> usize {
        self.meta.num_row_groups()
    }

    pub(crate) fn row_group_rows(&self, g: usize) -> usize {
        usize::try_from(self.meta.row_group(g).num_rows()).unwrap_or(0)
    }

    /// The next `rows` records of leaf column `c` from `reader`.
    pub(crate) fn read_batch(
        &self,
        c: usize,
        reader: &mut ColumnReader,
        rows: usize,
    ) -> Result<Column> {
        let info = &self.columns[c];
        Column::read(&info.path, reader, info.max_def, info.max_rep, rows)
    }

    /// Index of the leaf column with dotted `path`.
    pub(crate) fn column_index(&self, path: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.path == path)
    }

    /// The page locations of column `c` in row group `g`, once loaded; `None` before, and
    /// when the chunk has none.
    fn page_locations(&self, g: usize, c: usize) -> Option<&[PageLocation]> {
        self.chunk_indexes(g, c)?.pages.get()?.as_deref()
    }

    /// Min and max of a byte-array column in row group `g` from the chunk statistics.
    pub(crate) fn chunk_bounds(&self, g: usize, c: usize) -> Option<(Vec<u8>, Vec<u8>)> {
        match self.meta.row_group(g).column(c).statistics()? {
            Statistics::ByteArray(s) => {
                Some((s.min_opt()?.data().to_vec(), s.max_opt()?.data().to_vec()))
            }
            _ => None,
        }
    }

    /// Pages of column `c` in row group `g` whose byte-array bounds may contain `value`, as
    /// row ranges (the chunk's page indexes are loaded first). Without a page index, the whole
    /// row group.
    pub(crate) async fn candidate_pages(
        &self,
        g: usize,
        c: usize,
        value: &[u8],
    ) -> Result<Vec<Range<usize>>> {
        self.load_indexes(&[(g, c)], true).await?;
        let rows = self.row_group_rows(g);
        let Some(pages) = self.page_locations(g, c) else {
            return Ok(std::iter::once(0..rows).collect());
        };
        let row_range = |i: usize| {
            let start = usize::try_from(pages[i].first_row_index).unwrap_or(0);
            let end = pages
                .get(i + 1)
                .map_or(rows, |p| usize::try_from(p.first_row_index).unwrap_or(rows));
            start..end
        };
        let index = self.chunk_indexes(g, c).and_then(|i| i.column.get());
        Ok(match index {
            Some(ColumnIndexMetaData::BYTE_ARRAY(ix))
                if usize::try_from(ix.num_pages()).ok() == Some(pages.len()) =>
            {
                (0..pages.len())
                    .filter(|&i| {
                        !ix.is_null_page(i)
                            && ix.min_value(i).is_none_or(|m| m <= value)
                            && ix.max_value(i).is_none_or(|m| m >= value)
                    })
                    .map(row_range)
                    .collect()
            }
            _ => (0..pages.len()).map(row_range).collect(),
        })
    }

    /// Reads `rows` of leaf columns `cols` in row group `g`, fetching only the pages involved.
    pub(crate) async fn read_columns(
        &self,
        g: usize,
        cols: &[usize],
        rows: Range<usize>,
    ) -> Result<Vec<Column>> {
        let mut readers = self.column_readers(g, cols, &rows).await?;
        let mut out = Vec::with_capacity(cols.len());
        for (&c, reader) in cols.iter().zip(readers.iter_mut()) {
            let info = &self.columns[c];
            if rows.start > 0 {
                Column::skip(&info.path, reader, rows.start)?;
            }
            out.push(self.read_batch(c, reader, rows.len())?);
        }
        Ok(out)
    }

    /// Column readers over row group `g` for `cols`, with the bytes holding `rows` fetched
    /// (and the columns' offset indexes, if not loaded yet).
    pub(crate) async fn column_readers(
        &self,
        g: usize,
        cols: &[usize],
        rows: &Range<usize>,
    ) -> Result<Vec<ColumnReader>> {
        let chunks: Vec<(usize, usize)> = cols.iter().map(|&c| (g, c)).collect();
        self.load_indexes(&chunks, false).await?;
        let rg = self.meta.row_group(g);
        let mut wanted = Vec::new();
        let mut headers = Vec::new();
        for &c in cols {
            // Checked at open (`check_layout`); page locations as they were loaded.
            let (start, _) = chunk_range(rg.column(c)).unwrap_or((0, 0));
            match self.page_locations(g, c) {
                Some(pages) => {
                    // Dictionary page, then the data pages overlapping `rows`.
                    let first = u64::try_from(pages[0].offset).unwrap_or(start);
                    if first > start {
                        wanted.push(start..first);
                        headers.push((c, start..first));
                    }
                    for (i, p) in pages.iter().enumerate() {
                        let p_start = usize::try_from(p.first_row_index).unwrap_or(0);
                        let p_end = pages.get(i + 1).map_or(usize::MAX, |n| {
                            usize::try_from(n.first_row_index).unwrap_or(0)
                        });
                        if p_start < rows.end && p_end > rows.start {
                            let off = u64::try_from(p.offset).unwrap_or(0);
                            let size = u64::try_from(p.compressed_page_size).unwrap_or(0);
                            wanted.push(off..off + size);
                            headers.push((c, off..off + size));
                        }
                    }
                }
                // Pages can only be checked before decoding when their locations are known.
                None => {
                    return Err(BlockError::corrupt(
                        format!("column {} of row group {g}", self.columns[c].path),
                        "no offset index (Tempo writes one for every column chunk)",
                    ));
                }
            }
        }
        let mut fetched = Vec::new();
        for r in coalesce(wanted) {
            let bytes = self.source.read_range(r.clone()).await?;
            check_len(&bytes, r.end - r.start, "data.parquet")?;
            fetched.push((r.start, bytes));
        }
        let sparse = Arc::new(Sparse::new(self.len, fetched));
        for (c, range) in headers {
            let what = format!(
                "page header of column {} in row group {g}",
                self.columns[c].path
            );
            let page = sparse
                .slice(range.start, range.end - range.start)
                .map_err(|e| BlockError::parquet(what.clone(), e))?;
            check_page_header(&what, &page)?;
        }
        let total_rows = self.row_group_rows(g);
        let schema = self.meta.file_metadata().schema_descr();
        cols.iter()
            .map(|&c| {
                let info = &self.columns[c];
                let pages = self.page_locations(g, c).map(<[_]>::to_vec);
                contained(&format!("column {}", info.path), || {
                    let page_reader: Box<dyn PageReader> =
                        Box::new(SerializedPageReader::new_with_properties(
                            Arc::clone(&sparse),
                            rg.column(c),
                            total_rows,
                            pages,
                            Arc::clone(&self.props),
                        )?);
                    Ok(get_column_reader(schema.column(c), page_reader))
                })
            })
            .collect()
    }
}

/// A column chunk's byte range, or `None` when its metadata holds negative offsets (the
/// Parquet crate's own `byte_range` asserts instead).
fn chunk_range(c: &parquet::file::metadata::ColumnChunkMetaData) -> Option<(u64, u64)> {
    let start = c
        .dictionary_page_offset()
        .unwrap_or_else(|| c.data_page_offset());
    Some((
        u64::try_from(start).ok()?,
        u64::try_from(c.compressed_size()).ok()?,
    ))
}

/// Checks that `bytes` start with a complete compact-Thrift struct of at most `bytes.len()`
/// bytes before the Parquet crate decodes it: that crate skips unknown fields trusting their
/// counts (a list of 2^31 booleans costs it 2^31 steps and no input), so a crafted footer or
/// page header could otherwise pin a core for minutes. The walk here is bounded by the bytes.
fn check_thrift(what: &str, bytes: &[u8]) -> Result<usize> {
    otlp_model::thrift_walk::thrift_struct_len(bytes, otlp_model::Protocol::Compact).map_err(|e| {
        match e {
            otlp_model::ModelError::Thrift { offset, reason, .. } => BlockError::corrupt(
                what.to_string(),
                format!("Thrift structure invalid at byte {offset}: {reason:?}"),
            ),
            other => BlockError::corrupt(what.to_string(), other.to_string()),
        }
    })
}

/// How open decodes a footer: column statistics of leaf `leaf` only (the TraceID bounds a
/// lookup picks its row group by), no size or page-encoding statistics (nothing reads them).
/// Skipped fields are still walked by [`check_thrift`] first.
fn footer_options(leaf: usize) -> ParquetMetaDataOptions {
    ParquetMetaDataOptions::new()
        .with_column_stats_policy(ParquetStatisticsPolicy::skip_except(&[leaf]))
        .with_size_stats_policy(ParquetStatisticsPolicy::SkipAll)
        .with_encoding_stats_policy(ParquetStatisticsPolicy::SkipAll)
}

/// The byte range of a page index (`offset`, `length` from a column chunk's metadata), which
/// must lie before `body_end`; `None` when the chunk records none.
fn index_range(
    offset: Option<i64>,
    length: Option<i32>,
    body_end: u64,
) -> std::result::Result<Option<Range<u64>>, String> {
    let (Some(off), Some(l)) = (offset, length) else {
        return Ok(None);
    };
    let (Ok(off), Ok(l)) = (u64::try_from(off), u64::try_from(l)) else {
        return Err("negative page index offset".into());
    };
    match off.checked_add(l).filter(|e| *e <= body_end) {
        Some(end) => Ok(Some(off..end)),
        None => Err(format!(
            "page index {off}+{l} beyond the data ({body_end} bytes)"
        )),
    }
}

/// Which page index [`decode_page_indexes`] decodes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum IndexKind {
    Column,
    Offset,
}

/// Decodes serialized page indexes of one kind, each with the column it belongs to, with the
/// Parquet crate's own decoders. That crate decodes page indexes only for a whole file's
/// metadata, so the structs are laid end to end in one buffer and described by a metadata of
/// one row group whose column chunks point at them (the crate reads only their locations and
/// physical types); the result is in `parts` order.
fn decode_page_indexes(
    parts: &[(ColumnDescPtr, Bytes)],
    kind: IndexKind,
) -> parquet::errors::Result<ParquetMetaDataBuilder> {
    let size = parts.iter().map(|(_, b)| b.len()).sum::<usize>();
    // The crate wants the indexes to end before the end of the file, as the footer follows.
    let mut buf = Vec::with_capacity(size + 8);
    let leaf = Arc::new(
        Type::primitive_type_builder("c", PhysicalType::INT32)
            .with_repetition(Repetition::REQUIRED)
            .build()?,
    );
    let root = Type::group_type_builder("indexes")
        .with_fields(vec![leaf; parts.len()])
        .build()?;
    let schema = Arc::new(SchemaDescriptor::new(Arc::new(root)));
    let mut chunks = Vec::with_capacity(parts.len());
    for (descr, bytes) in parts {
        let off = i64::try_from(buf.len()).map_err(|_| ParquetError::General("size".into()))?;
        let len = i32::try_from(bytes.len()).map_err(|_| ParquetError::General("size".into()))?;
        buf.extend_from_slice(bytes);
        let chunk = ColumnChunkMetaData::builder(Arc::clone(descr));
        let chunk = match kind {
            IndexKind::Column => chunk
                .set_column_index_offset(Some(off))
                .set_column_index_length(Some(len)),
            IndexKind::Offset => chunk
                .set_offset_index_offset(Some(off))
                .set_offset_index_length(Some(len)),
        };
        chunks.push(chunk.build()?);
    }
    buf.extend_from_slice(&[0; 8]);
    let row_group = RowGroupMetaData::builder(Arc::clone(&schema))
        .set_column_metadata(chunks)
        .build()?;
    let meta = ParquetMetaData::new(
        FileMetaData::new(1, 0, None, None, schema, None),
        vec![row_group],
    );
    let policy = |k| {
        if kind == k {
            PageIndexPolicy::Required
        } else {
            PageIndexPolicy::Skip
        }
    };
    let mut reader = ParquetMetaDataReader::new_with_metadata(meta)
        .with_column_index_policy(policy(IndexKind::Column))
        .with_offset_index_policy(policy(IndexKind::Offset));
    reader.read_page_indexes(&Bytes::from(buf))?;
    Ok(reader.finish()?.into_builder())
}

/// The page locations of serialized offset indexes, in `parts` order.
fn decode_offset_indexes(
    parts: &[(ColumnDescPtr, Bytes)],
) -> parquet::errors::Result<Vec<Vec<PageLocation>>> {
    decode_page_indexes(parts, IndexKind::Offset)?
        .take_offset_index()
        .and_then(|groups| groups.into_iter().next())
        .filter(|v| v.len() == parts.len())
        .map(|v| v.into_iter().map(|oi| oi.page_locations).collect())
        .ok_or_else(|| ParquetError::General("offset indexes missing".into()))
}

/// Largest page size (compressed or not) a header may declare; Tempo's pages are 256 KiB.
const MAX_PAGE_BYTES: i32 = 64 << 20;
/// Most values (or rows) a page header may declare.
const MAX_PAGE_VALUES: i32 = 64 << 20;

/// Checks a page header's structure, then the sizes and counts the Parquet crate would
/// allocate by before decoding the page: `uncompressed_page_size`/`compressed_page_size`
/// (fields 2 and 3) and `num_values`/`num_rows` of the data, dictionary and v2 headers.
fn check_page_header(what: &str, page: &[u8]) -> Result<()> {
    check_thrift(what, page)?;
    let fields =
        otlp_model::thrift_walk::thrift_struct_i32_fields(page, otlp_model::Protocol::Compact)
            .map_err(|e| BlockError::corrupt(what.to_string(), e.to_string()))?;
    for (outer, inner, v) in fields {
        let (name, max) = match (outer, inner) {
            (2, 0) => ("uncompressed_page_size", MAX_PAGE_BYTES),
            (3, 0) => ("compressed_page_size", MAX_PAGE_BYTES),
            (5 | 7 | 8, 1) => ("num_values", MAX_PAGE_VALUES),
            (8, 3) => ("num_rows", MAX_PAGE_VALUES),
            _ => continue,
        };
        if !(0..=max).contains(&v) {
            return Err(BlockError::corrupt(
                what.to_string(),
                format!("{name} {v} outside 0..={max}"),
            ));
        }
    }
    Ok(())
}

/// Checks that storage returned the `want` bytes asked for (a [`RangeRead`] is user code).
fn check_len(got: &Bytes, want: u64, what: &str) -> Result<()> {
    if got.len() as u64 == want {
        Ok(())
    } else {
        Err(BlockError::corrupt(
            what.to_string(),
            format!(
                "storage returned {} bytes for a {want}-byte range",
                got.len()
            ),
        ))
    }
}

/// Checks the trailing magic and returns the footer length.
fn parse_trailer(tail: &[u8]) -> std::result::Result<u64, String> {
    let n = tail.len();
    if n < 8 || &tail[n - 4..] != b"PAR1" {
        return Err("no PAR1 magic at the end".into());
    }
    let mut len = [0u8; 4];
    len.copy_from_slice(&tail[n - 8..n - 4]);
    Ok(u64::from(u32::from_le_bytes(len)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_headers_declaring_huge_pages_are_refused() {
        // PageHeader { type: 0, uncompressed_page_size: i32::MAX, compressed_page_size: 1 }
        let huge = [
            0x15, 0x00, 0x15, 0xfe, 0xff, 0xff, 0xff, 0x0f, 0x15, 0x02, 0x00,
        ];
        let err = check_page_header("page", &huge).unwrap_err().to_string();
        assert!(err.contains("uncompressed_page_size"), "{err}");
        // The same header with a 4-byte page is fine.
        let small = [0x15, 0x00, 0x15, 0x08, 0x15, 0x02, 0x00];
        assert!(check_page_header("page", &small).is_ok());
        // A list of 2^31 booleans is refused by the bounded walk, not skipped element by element.
        let list = [0x19, 0xf1, 0xff, 0xff, 0xff, 0xff, 0x07, 0x00];
        assert!(check_page_header("page", &list).is_err());
    }

    /// A block of `traces` one-span traces (IDs ascending), pages of at most 100 rows.
    fn small_file(traces: u16) -> Bytes {
        use otlp_model::TraceId;
        use otlp_model::proto::trace::{ResourceSpans, ScopeSpans, Span};
        let mut b = crate::BlockBuilder::new(crate::BlockConfig {
            page_row_limit: 100,
            ..crate::BlockConfig::default()
        });
        for t in 0..traces {
            let mut bytes = [0; 16];
            bytes[..2].copy_from_slice(&t.to_be_bytes());
            let id = TraceId::from_bytes(bytes);
            let span = Span {
                trace_id: id.as_bytes().to_vec(),
                span_id: vec![1; 8],
                name: format!("op-{t}"),
                ..Span::default()
            };
            b.push_trace(
                &id,
                vec![ResourceSpans {
                    scope_spans: vec![ScopeSpans {
                        spans: vec![span],
                        ..ScopeSpans::default()
                    }],
                    ..ResourceSpans::default()
                }],
            );
        }
        b.finish("t", uuid::Uuid::nil())
            .map(|w| w.data)
            .unwrap_or_default()
    }

    fn open_now(data: Bytes) -> ParquetFile {
        use futures_util::FutureExt as _;
        let len = data.len() as u64;
        let file = ParquetFile::open(Arc::new(data), len, 0, "test", "TraceID").now_or_never();
        let Some(Ok(file)) = file else {
            panic!("small file opens");
        };
        file
    }

    #[test]
    fn page_indexes_load_on_first_use_and_page_locations_are_checked() {
        use futures_util::FutureExt as _;
        let file = open_now(small_file(3000));
        let c = file.column_index("rs.ss.Spans.Name").unwrap_or(usize::MAX);
        // Nothing is loaded at open (the reader loads the TraceID column's right after).
        assert!(file.page_locations(0, c).is_none());
        let loaded = file.load_indexes(&[(0, c)], false).now_or_never();
        assert!(matches!(loaded, Some(Ok(()))));
        let pages = file
            .page_locations(0, c)
            .map(<[_]>::to_vec)
            .unwrap_or_default();
        assert!(pages.len() >= 3, "{pages:?}");
        assert!(file.check_pages(0, c, &pages).is_ok());
        // Only the offset index was asked for.
        assert!(
            file.chunk_indexes(0, c)
                .is_some_and(|i| i.column.get().is_none())
        );

        // Locations out of order, overlapping, past the chunk or not starting rows in order
        // are refused, as open refused them when it loaded every index.
        let mut swapped = pages.clone();
        swapped.swap(1, 2);
        let mut overlapping = pages.clone();
        overlapping[1].offset -= 1;
        let mut past_end = pages.clone();
        if let Some(last) = past_end.last_mut() {
            last.compressed_page_size += 1;
        }
        let mut rows = pages.clone();
        rows[2].first_row_index = rows[1].first_row_index;
        let mut negative = pages.clone();
        negative[0].offset = -1;
        for bad in [swapped, overlapping, past_end, rows, negative] {
            let err = file.check_pages(0, c, &bad).err().map(|e| e.to_string());
            assert!(
                err.as_deref().is_some_and(|e| e.contains("page location")),
                "{err:?}"
            );
        }
    }

    #[test]
    fn coalesces_near_ranges() {
        assert_eq!(
            coalesce(vec![10..20, 0..5, 100_000..100_010, 21..30]),
            vec![0..30, 100_000..100_010]
        );
    }

    #[test]
    fn sparse_refuses_unfetched_bytes() {
        let s = Sparse::new(100, vec![(10, Bytes::from_static(b"abcdef"))]);
        assert_eq!(
            s.get_bytes(11, 3).unwrap_or_default(),
            Bytes::from_static(b"bcd")
        );
        assert!(s.get_bytes(14, 3).is_err());
        assert!(s.get_bytes(5, 1).is_err());
        assert!(s.get_read(200).is_err());
    }
}
