//! Column chunks written the way the Parquet crate's column writer writes them, at a
//! fraction of its cost per value.
//!
//! The crate's column writer spends most of a block's encoding time per value: every byte
//! array becomes a reference-counted `ByteArray`, is hashed into the dictionary and compared
//! twice with `memcmp` for the page statistics; every level and number goes through generic,
//! dynamically dispatched encoders. [`ChunkWriter`] takes the values straight from the
//! shredder's buffers (see [`super::values`] for the per-type encoding) and does everything
//! else as the crate's `GenericColumnWriter` does, step for step: the same mini-batches of
//! `write_batch_size` levels (extended to record boundaries), the same byte-budget
//! sub-batches, the same page cuts (row count and the crate's size estimates), the same
//! dictionary fallback, the same data page v2 layout (levels uncompressed, values compressed
//! unless that does not shrink them), statistics, truncated column index bounds, boundary
//! order, offset index, level histograms and chunk metadata. Pages go through the crate's
//! page writer. `columns` uses it only for the settings it reproduces ([`supported`]); the
//! tests compare its chunks with the crate's byte for byte.

use std::collections::{BTreeSet, VecDeque};

use bytes::Bytes;
use parquet::basic::{BoundaryOrder, Compression, Encoding, EncodingMask, PageType, Type};
use parquet::column::page::{CompressedPage, Page, PageWriteSpec, PageWriter};
use parquet::column::writer::ColumnCloseResult;
use parquet::errors::{ParquetError, Result};
use parquet::file::metadata::{
    ColumnChunkMetaData, ColumnIndexBuilder, LevelHistogram, OffsetIndexBuilder, PageEncodingStats,
};
use parquet::file::properties::{EnabledStatistics, WriterPropertiesPtr, WriterVersion};
use parquet::schema::types::ColumnDescPtr;

use super::encode::{RleEncoder, bit_width};
use super::fixed::FixedValues;
use super::values::{ByteArrays, BytesEncoding, Encode};

/// The chunk writer for `descr` under `props` when this module reproduces the crate's
/// there: data page v2, page statistics, no bloom filter, uncompressed or Snappy, and per
/// type an encoding it has (byte arrays: dictionary with PLAIN or DELTA_LENGTH_BYTE_ARRAY
/// fallback, or either alone, in byte order; INT32/INT64: PLAIN or DELTA_BINARY_PACKED;
/// DOUBLE and BOOLEAN: PLAIN; no dictionary for those).
pub(super) fn supported(
    descr: &ColumnDescPtr,
    props: &WriterPropertiesPtr,
    pages: Box<dyn PageWriter>,
) -> Result<FastWriter, Box<dyn PageWriter>> {
    use parquet::basic::{ConvertedType, LogicalType};
    let path = descr.path();
    let common = props.writer_version() == WriterVersion::PARQUET_2_0
        && props.statistics_enabled(path) == EnabledStatistics::Page
        && props.bloom_filter_properties(path).is_none()
        && matches!(
            props.compression(path),
            Compression::UNCOMPRESSED | Compression::SNAPPY
        );
    if !common {
        return Err(pages);
    }
    let dict = props.dictionary_enabled(path);
    let encoding = props.encoding(path);
    let plain_order = matches!(descr.logical_type_ref(), None | Some(LogicalType::String))
        && matches!(
            descr.converted_type(),
            ConvertedType::NONE | ConvertedType::UTF8
        );
    let int_encoding = || match encoding {
        Some(Encoding::PLAIN) => Some(false),
        // The crate's default for integers in writer version 2.
        Some(Encoding::DELTA_BINARY_PACKED) | None => Some(true),
        _ => None,
    };
    let int_order = matches!(
        descr.logical_type_ref(),
        None | Some(LogicalType::Integer(_))
    );
    Ok(match descr.physical_type() {
        Type::BYTE_ARRAY if plain_order => {
            let fallback = match encoding {
                Some(Encoding::DELTA_LENGTH_BYTE_ARRAY) => BytesEncoding::DeltaLength,
                Some(Encoding::PLAIN) => BytesEncoding::Plain,
                // The crate's default here is DELTA_BYTE_ARRAY, which this module lacks.
                _ => return Err(pages),
            };
            FastWriter::Bytes(ChunkWriter::boxed(
                descr,
                props,
                pages,
                ByteArrays::new(
                    descr,
                    dict,
                    fallback,
                    props.column_index_truncate_length(),
                    props.statistics_truncate_length(),
                ),
            ))
        }
        Type::INT32 if !dict && int_order => match int_encoding() {
            Some(delta) => FastWriter::I32(ChunkWriter::boxed(
                descr,
                props,
                pages,
                FixedValues::new(descr, delta, false),
            )),
            None => return Err(pages),
        },
        Type::INT64 if !dict && int_order => match int_encoding() {
            Some(delta) => FastWriter::I64(ChunkWriter::boxed(
                descr,
                props,
                pages,
                FixedValues::new(descr, delta, true),
            )),
            None => return Err(pages),
        },
        Type::DOUBLE
            if !dict && encoding == Some(Encoding::PLAIN) && descr.logical_type_ref().is_none() =>
        {
            FastWriter::F64(ChunkWriter::boxed(
                descr,
                props,
                pages,
                FixedValues::new(descr, false, false),
            ))
        }
        Type::BOOLEAN if !dict && encoding == Some(Encoding::PLAIN) => FastWriter::Bool(
            ChunkWriter::boxed(descr, props, pages, FixedValues::new(descr, false, false)),
        ),
        _ => return Err(pages),
    })
}

/// Adds `levels` (each at most `max`) to the page's histogram of them; returns how many
/// equal `of`.
fn count_levels(levels: &[i16], max: i16, of: i16, hist: &mut Option<LevelHistogram>) -> usize {
    let mut counts = [0usize; 8];
    if max < 8 {
        // One pass: each level adds 1 to its byte of a u64 (255 levels at most, so no byte
        // carries into the next), which vectorises, unlike a scatter into counters.
        for chunk in levels.chunks(255) {
            #[allow(clippy::cast_sign_loss, reason = "levels are never negative")]
            let packed: u64 = chunk.iter().map(|&l| 1u64 << ((l as u64 & 7) * 8)).sum();
            for (k, c) in counts.iter_mut().enumerate() {
                *c += usize::from(u8::try_from((packed >> (k * 8)) & 0xFF).unwrap_or(0));
            }
        }
    }
    let mut wanted = 0;
    for level in 0..=max {
        let n = match counts.get(usize::try_from(level).unwrap_or(usize::MAX)) {
            Some(&n) if max < 8 => n,
            // Deeper levels than this crate's schemas have: one counting pass per level.
            _ => levels.iter().map(|&l| usize::from(l == level)).sum(),
        };
        if level == of {
            wanted = n;
        }
        if let Some(h) = hist.as_mut()
            && n > 0
        {
            h.increment_by(level, i64::try_from(n).unwrap_or(i64::MAX));
        }
    }
    wanted
}

/// This module's column writer for one chunk, by physical type.
///
/// Boxed: a writer is a few KiB (Snappy's hash table among it) and moves with its column.
pub(super) enum FastWriter {
    Bytes(Box<ChunkWriter<ByteArrays>>),
    I32(Box<ChunkWriter<FixedValues<i32>>>),
    I64(Box<ChunkWriter<FixedValues<i64>>>),
    F64(Box<ChunkWriter<FixedValues<f64>>>),
    Bool(Box<ChunkWriter<FixedValues<bool>>>),
}

impl FastWriter {
    pub(super) fn close(self) -> Result<ColumnCloseResult> {
        match self {
            Self::Bytes(w) => (*w).close(),
            Self::I32(w) => (*w).close(),
            Self::I64(w) => (*w).close(),
            Self::F64(w) => (*w).close(),
            Self::Bool(w) => (*w).close(),
        }
    }
}

/// One column chunk being written.
pub(super) struct ChunkWriter<E: Encode> {
    values: E,
    descr: ColumnDescPtr,
    pages: Box<dyn PageWriter>,
    max_def: i16,
    max_rep: i16,
    batch: usize,
    page_limit: usize,
    dict_limit: usize,
    row_limit: usize,
    header_stats: bool,
    v2_threshold: f64,
    codec: Compression,
    snappy: Option<snap::raw::Encoder>,
    def_levels: RleEncoder,
    rep_levels: RleEncoder,
    /// The last page's encoded values (kept for its allocation).
    scratch: Vec<u8>,
    /// The last written page's buffer (kept for its allocation).
    spare: Vec<u8>,
    // Page metrics.
    page_levels: u32,
    page_rows: u32,
    page_nulls: u64,
    page_rep_hist: Option<LevelHistogram>,
    page_def_hist: Option<LevelHistogram>,
    // Chunk metrics.
    bytes_written: u64,
    rows_written: u64,
    uncompressed_size: u64,
    compressed_size: u64,
    num_values: u64,
    dict_page_offset: Option<u64>,
    data_page_offset: Option<u64>,
    min: Option<E::Bound>,
    max: Option<E::Bound>,
    nulls: u64,
    var_bytes: Option<i64>,
    rep_hist: Option<LevelHistogram>,
    def_hist: Option<LevelHistogram>,
    encodings: BTreeSet<Encoding>,
    encoding_stats: Vec<PageEncodingStats>,
    /// Data pages held until the dictionary page is written.
    held: VecDeque<CompressedPage>,
    column_index: ColumnIndexBuilder,
    offset_index: Option<OffsetIndexBuilder>,
    ascending: bool,
    descending: bool,
    last_bounds: Option<(E::Bound, E::Bound)>,
}

impl<E: Encode> ChunkWriter<E> {
    fn boxed(
        descr: &ColumnDescPtr,
        props: &WriterPropertiesPtr,
        pages: Box<dyn PageWriter>,
        values: E,
    ) -> Box<Self> {
        Box::new(Self::new(descr, props, pages, values))
    }

    fn new(
        descr: &ColumnDescPtr,
        props: &WriterPropertiesPtr,
        pages: Box<dyn PageWriter>,
        values: E,
    ) -> Self {
        let path = descr.path();
        let (max_def, max_rep) = (descr.max_def_level(), descr.max_rep_level());
        let codec = props.compression(path);
        #[allow(clippy::cast_sign_loss, reason = "levels are never negative")]
        let (def_width, rep_width) = (bit_width(max_def as u64), bit_width(max_rep as u64));
        Self {
            values,
            pages,
            max_def,
            max_rep,
            batch: props.write_batch_size(),
            page_limit: props.column_data_page_size_limit(path),
            dict_limit: props.column_dictionary_page_size_limit(path),
            row_limit: props.data_page_row_count_limit(),
            header_stats: props.write_page_header_statistics(path),
            v2_threshold: props.column_data_page_v2_compression_ratio_threshold(path),
            codec,
            snappy: (codec == Compression::SNAPPY).then(snap::raw::Encoder::new),
            def_levels: RleEncoder::new(def_width),
            rep_levels: RleEncoder::new(rep_width),
            scratch: Vec::new(),
            spare: Vec::new(),
            page_levels: 0,
            page_rows: 0,
            page_nulls: 0,
            page_rep_hist: LevelHistogram::try_new(max_rep),
            page_def_hist: LevelHistogram::try_new(max_def),
            bytes_written: 0,
            rows_written: 0,
            uncompressed_size: 0,
            compressed_size: 0,
            num_values: 0,
            dict_page_offset: None,
            data_page_offset: None,
            min: None,
            max: None,
            nulls: 0,
            var_bytes: None,
            rep_hist: LevelHistogram::try_new(max_rep),
            def_hist: LevelHistogram::try_new(max_def),
            encodings: BTreeSet::from([Encoding::RLE]),
            encoding_stats: Vec::new(),
            held: VecDeque::new(),
            column_index: ColumnIndexBuilder::new(descr.physical_type()),
            offset_index: (!props.offset_index_disabled()).then(OffsetIndexBuilder::new),
            ascending: true,
            descending: true,
            last_bounds: None,
            descr: descr.clone(),
        }
    }

    /// The crate's `write_batch`: `def` and `rep` are the levels (ignored when the column has
    /// no such level), `input` one value per definition at the maximum level. Returns the
    /// values written.
    ///
    /// # Errors
    ///
    /// As the crate: levels that do not start a record, or too few values; page writer
    /// errors.
    pub(super) fn write(&mut self, def: &[i16], rep: &[i16], input: E::Input<'_>) -> Result<usize> {
        let def = (self.max_def > 0).then_some(def);
        let rep = (self.max_rep > 0).then_some(rep);
        if let (Some(d), Some(r)) = (def, rep)
            && !d.is_empty()
            && !r.is_empty()
            && d.len() != r.len()
        {
            return Err(ParquetError::General(format!(
                "Inconsistent length of definition and repetition levels: {} != {}",
                d.len(),
                r.len()
            )));
        }
        let levels = def.map_or(0, <[i16]>::len).max(rep.map_or(0, <[i16]>::len));
        let levels = if levels > 0 {
            levels
        } else {
            E::input_len(input)
        };
        let (mut values_at, mut at) = (0, 0);
        while at < levels {
            let mut end = levels.min(at + self.batch);
            if let Some(r) = rep {
                while end < r.len() && r[end] != 0 {
                    end += 1;
                }
            }
            let n = end - at;
            let chunk_def = def.map(|d| &d[at..end]);
            let chunk_rep = rep.map(|r| &r[at..end]);
            let sub = self.sub_batch(input, chunk_def, values_at, n);
            if sub >= n {
                values_at += self.mini_batch(input, values_at, n, chunk_def, chunk_rep)?;
            } else {
                let mut start = 0;
                while start < n {
                    let mut e = (start + sub).min(n);
                    if let Some(r) = chunk_rep {
                        while e < n && r[e] != 0 {
                            e += 1;
                        }
                    }
                    values_at += self.mini_batch(
                        input,
                        values_at,
                        e - start,
                        chunk_def.map(|d| &d[start..e]),
                        chunk_rep.map(|r| &r[start..e]),
                    )?;
                    start = e;
                }
            }
            at = end;
        }
        Ok(values_at)
    }

    /// The crate's byte-budget chunker: how many of a chunk's `n` levels one mini-batch may
    /// take so that the page being filled (the dictionary page while there is one) does not
    /// overshoot its limit.
    fn sub_batch(
        &self,
        input: E::Input<'_>,
        def: Option<&[i16]>,
        values_at: usize,
        n: usize,
    ) -> usize {
        if n == 0 {
            return n;
        }
        let dict = self.values.dict_size();
        let width = self.values.fixed_width();
        let limit = if dict.is_some() {
            self.dict_limit
        } else {
            self.page_limit
        };
        if width.is_some_and(|w| w.saturating_mul(self.batch) <= limit) {
            return n;
        }
        let budget = match dict {
            Some(used) => self.dict_limit.saturating_sub(used),
            None => self.page_limit,
        };
        let in_chunk = def.map_or(n, |d| d.iter().filter(|&&l| l == self.max_def).count());
        if in_chunk == 0 {
            return n;
        }
        let end = (values_at + in_chunk).min(E::input_len(input));
        let start = values_at.min(end);
        let fit = if let Some(w) = width {
            (budget / w).max(1).min(end - start)
        } else {
            // Values up to and including the first that passes the budget.
            (start..end)
                .scan(0usize, |total, i| {
                    *total = total.saturating_add(E::plain_size(input, i));
                    Some(*total)
                })
                .position(|total| total > budget)
                .map_or(end - start, |i| i + 1)
        };
        let levels = if in_chunk == n {
            fit
        } else {
            (fit * n).div_ceil(in_chunk).max(1)
        };
        n.min(levels.max(1))
    }

    fn mini_batch(
        &mut self,
        input: E::Input<'_>,
        values_at: usize,
        levels: usize,
        def: Option<&[i16]>,
        rep: Option<&[i16]>,
    ) -> Result<usize> {
        let count = match def {
            Some(def) => {
                self.def_levels.put_levels(def);
                let count = count_levels(def, self.max_def, self.max_def, &mut self.page_def_hist);
                self.page_nulls += (def.len() - count) as u64;
                count
            }
            None => levels,
        };
        match rep {
            Some(rep) => {
                match rep.first() {
                    None => {
                        return Err(ParquetError::General(format!(
                            "Repetition levels are required, because max repetition level = {}",
                            self.max_rep
                        )));
                    }
                    Some(&first) if first != 0 => {
                        return Err(ParquetError::General(format!(
                            "Write must start at a record boundary, got non-zero repetition \
                             level of {first}"
                        )));
                    }
                    Some(_) => {}
                }
                self.rep_levels.put_levels(rep);
                let rows = count_levels(rep, self.max_rep, 0, &mut self.page_rep_hist);
                self.page_rows += u32::try_from(rows).unwrap_or(u32::MAX);
            }
            None => self.page_rows += u32::try_from(levels).unwrap_or(u32::MAX),
        }
        if values_at + count > E::input_len(input) {
            return Err(ParquetError::General(format!(
                "Expected to write {count} values, but have only {}",
                E::input_len(input).saturating_sub(values_at)
            )));
        }
        self.values.put(input, values_at, count);
        self.page_levels += u32::try_from(levels).unwrap_or(u32::MAX);
        if self.page_full() {
            self.add_data_page()?;
        }
        if self
            .values
            .dict_size()
            .is_some_and(|d| d >= self.dict_limit)
        {
            // Dictionary fallback.
            if self.page_levels > 0 {
                self.add_data_page()?;
            }
            self.write_dictionary_page()?;
            self.flush_held()?;
        }
        Ok(count)
    }

    /// The crate's `should_add_data_page`: rows at the limit, or its size estimate of the
    /// page at the byte limit.
    fn page_full(&self) -> bool {
        self.page_levels > 0
            && (self.page_rows as usize >= self.row_limit
                || self.values.estimated_size() >= self.page_limit)
    }

    /// The crate's `add_data_page`.
    fn add_data_page(&mut self) -> Result<()> {
        let mut values = std::mem::take(&mut self.scratch);
        values.clear();
        let (encoding, bounds, var) = self.values.take_page(&mut values);
        self.nulls += self.page_nulls;
        if let Some((lo, hi)) = &bounds {
            if self.min.as_ref().is_none_or(|m| self.values.greater(m, lo)) {
                self.min = Some(lo.clone());
            }
            if self.max.as_ref().is_none_or(|m| self.values.greater(hi, m)) {
                self.max = Some(hi.clone());
            }
        }
        self.update_indexes(bounds.as_ref(), var);
        if let (Some(chunk), Some(page)) = (&mut self.def_hist, &self.page_def_hist) {
            chunk.add(page);
        }
        if let (Some(chunk), Some(page)) = (&mut self.rep_hist, &self.page_rep_hist) {
            chunk.add(page);
        }
        if let Some(v) = var {
            *self.var_bytes.get_or_insert(0) += v;
        }
        let header_stats = if self.header_stats {
            bounds.map(|(lo, hi)| self.values.page_statistics(lo, hi, self.page_nulls))
        } else {
            None
        };
        let mut buf = std::mem::take(&mut self.spare);
        buf.clear();
        let mut rep_len = 0;
        if self.max_rep > 0 {
            buf.extend_from_slice(self.rep_levels.flush_buffer());
            self.rep_levels.clear();
            rep_len = buf.len();
        }
        let mut def_len = 0;
        if self.max_def > 0 {
            buf.extend_from_slice(self.def_levels.flush_buffer());
            self.def_levels.clear();
            def_len = buf.len() - rep_len;
        }
        let uncompressed = rep_len + def_len + values.len();
        let compressed = if let Some(snappy) = &mut self.snappy {
            let before = buf.len();
            buf.resize(before + snap::raw::max_compress_len(values.len()), 0);
            let n = snappy
                .compress(&values, &mut buf[before..])
                .map_err(|e| ParquetError::External(Box::new(e)))?;
            buf.truncate(before + n);
            #[allow(
                clippy::cast_precision_loss,
                reason = "the crate compares the sizes as f64"
            )]
            let worse = n as f64 >= uncompressed as f64 * self.v2_threshold;
            if worse {
                buf.truncate(before);
                buf.extend_from_slice(&values);
            }
            !worse
        } else {
            buf.extend_from_slice(&values);
            false
        };
        self.scratch = values;
        let page = Page::DataPageV2 {
            buf: Bytes::from(buf),
            num_values: self.page_levels,
            encoding,
            num_nulls: u32::try_from(self.page_nulls).unwrap_or(u32::MAX),
            num_rows: self.page_rows,
            def_levels_byte_len: u32::try_from(def_len).unwrap_or(u32::MAX),
            rep_levels_byte_len: u32::try_from(rep_len).unwrap_or(u32::MAX),
            is_compressed: compressed,
            statistics: header_stats,
        };
        let page = CompressedPage::new(page, uncompressed);
        if self.values.dict_size().is_some() {
            self.held.push_back(page);
        } else {
            self.write_data_page(page)?;
        }
        self.rows_written += u64::from(self.page_rows);
        self.page_levels = 0;
        self.page_rows = 0;
        self.page_nulls = 0;
        for h in [&mut self.page_rep_hist, &mut self.page_def_hist]
            .into_iter()
            .flatten()
        {
            h.reset();
        }
        Ok(())
    }

    /// The crate's `update_column_offset_index`.
    fn update_indexes(&mut self, bounds: Option<&(E::Bound, E::Bound)>, var: Option<i64>) {
        let nulls = i64::try_from(self.page_nulls).unwrap_or(i64::MAX);
        let null_page = u64::from(self.page_rows) == self.page_nulls;
        if null_page && self.column_index.valid() {
            self.column_index
                .append(true, Vec::new(), Vec::new(), nulls);
        } else if self.column_index.valid() {
            match bounds {
                None => self.column_index.to_invalid(),
                Some((lo, hi)) => {
                    if let Some((last_lo, last_hi)) = &self.last_bounds {
                        let v = &self.values;
                        if self.ascending && (v.greater(last_lo, lo) || v.greater(last_hi, hi)) {
                            self.ascending = false;
                        }
                        if self.descending && (v.greater(lo, last_lo) || v.greater(hi, last_hi)) {
                            self.descending = false;
                        }
                    }
                    self.last_bounds = Some((lo.clone(), hi.clone()));
                    let (lo, hi) = self.values.index_bounds(lo, hi);
                    self.column_index.append(false, lo, hi, nulls);
                }
            }
        }
        self.column_index
            .append_histograms(&self.page_rep_hist, &self.page_def_hist);
        if let Some(index) = &mut self.offset_index {
            index.append_row_count(i64::from(self.page_rows));
            index.append_unencoded_byte_array_data_bytes(var);
        }
    }

    /// The crate's `write_data_page`.
    fn write_data_page(&mut self, page: CompressedPage) -> Result<()> {
        self.encodings.insert(page.encoding());
        match self.encoding_stats.last_mut() {
            Some(s) if s.page_type == page.page_type() && s.encoding == page.encoding() => {
                s.count += 1;
            }
            _ => self.encoding_stats.push(PageEncodingStats {
                page_type: page.page_type(),
                encoding: page.encoding(),
                count: 1,
            }),
        }
        // The page writer copies the page out and drops it: its buffer, then no longer
        // shared, serves the next page (a fresh one per page would be fresh memory to fault
        // in each time).
        let buf = page.compressed_page().buffer().clone();
        let spec = self.pages.write_page(page)?;
        if let Ok(buf) = buf.try_into_mut() {
            self.spare = Vec::from(buf);
        }
        if let Some(index) = &mut self.offset_index {
            index.append_offset_and_size(
                i64::try_from(spec.offset).unwrap_or(i64::MAX),
                i32::try_from(spec.compressed_size).unwrap_or(i32::MAX),
            );
        }
        self.count_page(&spec);
        Ok(())
    }

    /// The crate's `write_dictionary_page` (which ends the dictionary).
    fn write_dictionary_page(&mut self) -> Result<()> {
        let Some((plain, entries)) = self.values.take_dictionary() else {
            return Err(ParquetError::General(
                "Dictionary encoder is not set".into(),
            ));
        };
        let uncompressed = plain.len();
        let buf = match &mut self.snappy {
            Some(snappy) => {
                let mut out = vec![0; snap::raw::max_compress_len(plain.len())];
                let n = snappy
                    .compress(&plain, &mut out)
                    .map_err(|e| ParquetError::External(Box::new(e)))?;
                out.truncate(n);
                out
            }
            None => plain,
        };
        let page = CompressedPage::new(
            Page::DictionaryPage {
                buf: Bytes::from(buf),
                num_values: u32::try_from(entries).unwrap_or(u32::MAX),
                encoding: Encoding::PLAIN,
                is_sorted: false,
            },
            uncompressed,
        );
        self.encodings.insert(page.encoding());
        self.encoding_stats.insert(
            0,
            PageEncodingStats {
                page_type: PageType::DICTIONARY_PAGE,
                encoding: page.encoding(),
                count: 1,
            },
        );
        let spec = self.pages.write_page(page)?;
        self.count_page(&spec);
        Ok(())
    }

    fn flush_held(&mut self) -> Result<()> {
        if self.page_levels > 0 {
            self.add_data_page()?;
        }
        while let Some(page) = self.held.pop_front() {
            self.write_data_page(page)?;
        }
        Ok(())
    }

    /// The crate's `update_metrics_for_page`.
    fn count_page(&mut self, spec: &PageWriteSpec) {
        self.uncompressed_size += spec.uncompressed_size as u64;
        self.compressed_size += spec.compressed_size as u64;
        self.bytes_written += spec.bytes_written;
        match spec.page_type {
            PageType::DATA_PAGE | PageType::DATA_PAGE_V2 => {
                self.num_values += u64::from(spec.num_values);
                self.data_page_offset.get_or_insert(spec.offset);
            }
            PageType::DICTIONARY_PAGE => self.dict_page_offset = Some(spec.offset),
            PageType::INDEX_PAGE => {}
        }
    }

    /// The crate's `close`.
    pub(super) fn close(mut self) -> Result<ColumnCloseResult> {
        if self.page_levels > 0 {
            self.add_data_page()?;
        }
        if self.values.dict_size().is_some() {
            self.write_dictionary_page()?;
        }
        self.flush_held()?;
        let to_i64 = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let (lo, hi) = (self.min.take(), self.max.take());
        let stats = self.values.chunk_statistics(lo, hi, self.nulls);
        let metadata = ColumnChunkMetaData::builder(self.descr.clone())
            .set_compression(self.codec)
            .set_encodings_mask(EncodingMask::new_from_encodings(self.encodings.iter()))
            .set_page_encoding_stats(self.encoding_stats.clone())
            .set_total_compressed_size(to_i64(self.compressed_size))
            .set_total_uncompressed_size(to_i64(self.uncompressed_size))
            .set_num_values(to_i64(self.num_values))
            .set_data_page_offset(to_i64(self.data_page_offset.unwrap_or(0)))
            .set_dictionary_page_offset(self.dict_page_offset.map(to_i64))
            .set_statistics(stats)
            .set_unencoded_byte_array_data_bytes(self.var_bytes)
            .set_repetition_level_histogram(self.rep_hist.take())
            .set_definition_level_histogram(self.def_hist.take())
            .build()?;
        self.pages.close()?;
        self.column_index
            .set_boundary_order(match (self.ascending, self.descending) {
                (true, _) => BoundaryOrder::ASCENDING,
                (false, true) => BoundaryOrder::DESCENDING,
                (false, false) => BoundaryOrder::UNORDERED,
            });
        let column_index = if self.column_index.valid() {
            Some(self.column_index.build()?)
        } else {
            None
        };
        Ok(ColumnCloseResult {
            bytes_written: self.bytes_written,
            rows_written: self.rows_written,
            metadata,
            bloom_filter: None,
            column_index,
            offset_index: self.offset_index.map(OffsetIndexBuilder::build),
        })
    }
}
