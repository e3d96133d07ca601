//! A Parquet file read by byte ranges: the footer and page indexes once at open, then only the
//! pages a lookup needs.
//!
//! [`RangeRead`] is all the reader asks of storage, so the same code reads a file held in
//! memory, a local file and an object in a bucket. Row-level reads go through the offset
//! index: for a single row only the page holding it (and the column's dictionary page) is
//! fetched and decoded.

use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use parquet::column::page::PageReader;
use parquet::column::reader::{ColumnReader, get_column_reader};
use parquet::errors::ParquetError;
use parquet::file::metadata::{PageIndexPolicy, ParquetMetaData, ParquetMetaDataReader};
use parquet::file::page_index::column_index::ColumnIndexMetaData;
use parquet::file::properties::ReaderProperties;
use parquet::file::reader::{ChunkReader, Length};
use parquet::file::serialized_reader::SerializedPageReader;
use parquet::file::statistics::Statistics;

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

/// An opened Parquet file: metadata with page indexes, the assembly plan of its schema.
pub(crate) struct ParquetFile {
    source: Arc<dyn RangeRead>,
    len: u64,
    meta: Arc<ParquetMetaData>,
    plan: Plan,
    columns: Vec<ColumnInfo>,
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
    pub(crate) async fn open(
        source: Arc<dyn RangeRead>,
        len: u64,
        footer_hint: u64,
        what: &str,
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
        let meta = contained(&format!("{what} footer"), || {
            ParquetMetaDataReader::decode_metadata(&footer_bytes)
        })?;

        // Page indexes sit between the row groups and the footer; fetch them in one range.
        let body_end = len - 8 - footer;
        let mut lo = u64::MAX;
        let mut hi = 0;
        for rg in meta.row_groups() {
            for c in rg.columns() {
                for (off, l) in [
                    (c.column_index_offset(), c.column_index_length()),
                    (c.offset_index_offset(), c.offset_index_length()),
                ] {
                    if let (Some(off), Some(l)) = (off, l) {
                        let (Ok(off), Ok(l)) = (u64::try_from(off), u64::try_from(l)) else {
                            return Err(corrupt("negative page index offset".into()));
                        };
                        let end = off.checked_add(l).filter(|e| *e <= body_end);
                        let Some(end) = end else {
                            return Err(corrupt(format!(
                                "page index {off}+{l} beyond the data ({body_end} bytes)"
                            )));
                        };
                        lo = lo.min(off);
                        hi = hi.max(end);
                    }
                }
            }
        }
        let meta = if lo < hi {
            let index = source.read_range(lo..hi).await?;
            check_len(&index, hi - lo, what)?;
            check_page_indexes(&meta, &index, lo, what)?;
            let sparse = Sparse::new(len, vec![(lo, index)]);
            contained(&format!("{what} page index"), || {
                let mut reader = ParquetMetaDataReader::new_with_metadata(meta)
                    .with_page_index_policy(PageIndexPolicy::Optional);
                reader.read_page_indexes(&sparse)?;
                reader.finish()
            })?
        } else {
            meta
        };

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
            meta: Arc::new(meta),
            plan,
            columns,
            props: Arc::new(ReaderProperties::builder().build()),
        };
        file.check_layout(what)?;
        Ok(file)
    }

    /// Checks every column chunk's byte range and page locations against the file, so the
    /// decoder is never pointed outside the data.
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
                if let Some(pages) = self.page_locations(g, c) {
                    let mut prev_row = -1i64;
                    let mut prev_end = start;
                    for p in pages {
                        let (Ok(off), Ok(size)) = (
                            u64::try_from(p.offset),
                            u64::try_from(p.compressed_page_size),
                        ) else {
                            return Err(BlockError::corrupt(
                                what.to_string(),
                                "negative page location".to_string(),
                            ));
                        };
                        if off < prev_end
                            || off + size > start + l
                            || p.first_row_index <= prev_row
                            || p.first_row_index >= rg.num_rows().max(1)
                        {
                            return Err(BlockError::corrupt(
                                what.to_string(),
                                format!(
                                    "row group {g} column {}: bad page location {p:?}",
                                    self.columns[c].path
                                ),
                            ));
                        }
                        prev_row = p.first_row_index;
                        prev_end = off + size;
                    }
                }
            }
        }
        Ok(())
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

    fn page_locations(
        &self,
        g: usize,
        c: usize,
    ) -> Option<&[parquet::file::page_index::offset_index::PageLocation]> {
        let oi = self.meta.offset_index()?.get(g)?.get(c)?;
        let pages = oi.page_locations();
        (!pages.is_empty()).then_some(pages.as_slice())
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
    /// row ranges. Without a page index, the whole row group.
    pub(crate) fn candidate_pages(&self, g: usize, c: usize, value: &[u8]) -> Vec<Range<usize>> {
        let rows = self.row_group_rows(g);
        let Some(pages) = self.page_locations(g, c) else {
            return std::iter::once(0..rows).collect();
        };
        let row_range = |i: usize| {
            let start = usize::try_from(pages[i].first_row_index).unwrap_or(0);
            let end = pages
                .get(i + 1)
                .map_or(rows, |p| usize::try_from(p.first_row_index).unwrap_or(rows));
            start..end
        };
        let index = self
            .meta
            .column_index()
            .and_then(|ci| ci.get(g))
            .and_then(|ci| ci.get(c));
        match index {
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
        }
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

    /// Column readers over row group `g` for `cols`, with the bytes holding `rows` fetched.
    pub(crate) async fn column_readers(
        &self,
        g: usize,
        cols: &[usize],
        rows: &Range<usize>,
    ) -> Result<Vec<ColumnReader>> {
        let rg = self.meta.row_group(g);
        let mut wanted = Vec::new();
        let mut headers = Vec::new();
        for &c in cols {
            // Checked at open (`check_layout`).
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
    otlp_model::thrift_walk::thrift_struct_len(bytes, otlp_model::Protocol::Compact).map_err(|e| match e {
        otlp_model::ModelError::Thrift { offset, reason, .. } => BlockError::corrupt(
            what.to_string(),
            format!("Thrift structure invalid at byte {offset}: {reason:?}"),
        ),
        other => BlockError::corrupt(what.to_string(), other.to_string()),
    })
}

/// Checks every column and offset index struct in `index` (the file's bytes from `lo`).
fn check_page_indexes(meta: &ParquetMetaData, index: &[u8], lo: u64, what: &str) -> Result<()> {
    let what = format!("{what} page index");
    for rg in meta.row_groups() {
        for c in rg.columns() {
            for (off, l) in [
                (c.column_index_offset(), c.column_index_length()),
                (c.offset_index_offset(), c.offset_index_length()),
            ] {
                if let (Some(off), Some(l)) = (off, l) {
                    // Offsets and lengths were checked against the fetched range at open.
                    let from = u64::try_from(off).unwrap_or(0).saturating_sub(lo);
                    let from = usize::try_from(from).unwrap_or(usize::MAX).min(index.len());
                    let to = from
                        .saturating_add(usize::try_from(l).unwrap_or(0))
                        .min(index.len());
                    check_thrift(&what, &index[from..to])?;
                }
            }
        }
    }
    Ok(())
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
    let fields = otlp_model::thrift_walk::thrift_struct_i32_fields(page, otlp_model::Protocol::Compact)
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
