//! Writing blocks: traces → `data.parquet`, bloom shards, `index` and `meta.json`.
//!
//! [`TraceWriter`] streams traces that arrive in ascending ID order into a Parquet file,
//! cutting row groups at a byte target and holding the current row group encoded. [`BlockBuilder`] accepts OTLP in any order, groups it
//! by trace, sorts, and produces a complete [`WrittenBlock`] whose objects can be stored with
//! [`WrittenBlock::upload`].

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;

use base64::Engine as _;
use bloom::tempo::{ShardedBloom, TempoBloomParams};
use bytes::Bytes;
use chrono::{DateTime, TimeZone as _, Utc};
use otlp_model::TraceId;
use otlp_model::proto::trace::{ResourceSpans, ScopeSpans, TracesData};
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::column::writer::ColumnCloseResult;
use parquet::file::properties::{
    EnabledStatistics, WriterProperties, WriterPropertiesPtr, WriterVersion,
};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::{ColumnPath, SchemaDescriptor};
use uuid::Uuid;

mod chunk;
mod columns;
mod encode;
mod fixed;
#[cfg(test)]
pub(crate) mod tests;
mod values;

use crate::backend::{BLOOM_PREFIX, BlockStore, DATA_NAME, INDEX_NAME, bloom_name};
use crate::error::{BlockError, Result};
use crate::meta::{BlockMeta, DedicatedColumn, Version};
use crate::model::{RowScratch, Slots, TraceRow};
use crate::schema::{BlockSchema, Codec, Enc};
use crate::shred::{ColBuf, Shredder};
use columns::{Chunk, ColumnSink};

/// Tempo size estimate (bytes) of the traces staged between two feeds of the column writers:
/// a few thousand spans, whose levels and values stay within the CPU caches.
const FEED_ESTIMATE: usize = 256 * 1024;

/// Settings of the block writer, with Tempo's defaults.
#[derive(Debug, Clone)]
pub struct BlockConfig {
    /// Dedicated attribute columns (Tempo's default list unless configured).
    pub dedicated_columns: Vec<DedicatedColumn>,
    /// A row group is cut once Tempo's size estimate of its traces exceeds this (100 MB).
    pub row_group_size_bytes: usize,
    /// Target data page size (256 KiB, parquet-go's page buffer).
    pub page_size_bytes: usize,
    /// Most rows (traces) per data page (1000). Tempo bounds pages by bytes only; bounding
    /// rows too keeps a lookup from decoding the levels of thousands of traces to reach one.
    pub page_row_limit: usize,
    /// Bloom filter false-positive rate (0.01).
    pub bloom_false_positive: f64,
    /// Bytes per bloom shard (102,400).
    pub bloom_shard_size_bytes: u32,
    /// Threads that encode and compress a row group's columns (the machine's parallelism;
    /// with 1, the thread that appends).
    pub encode_threads: usize,
}

impl Default for BlockConfig {
    fn default() -> Self {
        Self {
            dedicated_columns: DedicatedColumn::default_list(),
            row_group_size_bytes: 100_000_000,
            page_size_bytes: 256 * 1024,
            page_row_limit: 1000,
            bloom_false_positive: 0.01,
            bloom_shard_size_bytes: 102_400,
            encode_threads: std::thread::available_parallelism().map_or(1, usize::from),
        }
    }
}

/// What [`TraceWriter::finish`] reports about the file it wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSummary {
    /// Traces (rows) written.
    pub traces: u64,
    /// Spans written.
    pub spans: u64,
    /// The last (largest) trace ID of every row group, in order.
    pub row_group_max_ids: Vec<[u8; 16]>,
    /// The Parquet footer length (the little-endian `u32` before the trailing `PAR1`).
    pub footer_size: u32,
    /// Bytes written.
    pub size: u64,
    /// Smallest span start and largest span end (ns); 0 when there were no spans.
    pub start_unix_nano: u64,
    /// See `start_unix_nano`.
    pub end_unix_nano: u64,
}

/// Counts bytes passed to the inner writer.
struct Counting<W> {
    inner: W,
    written: u64,
    /// The last 8 bytes written (the footer length and `PAR1` once the file is complete).
    tail: [u8; 8],
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        let done = &buf[..n];
        if done.len() >= 8 {
            self.tail.copy_from_slice(&done[done.len() - 8..]);
        } else {
            self.tail.rotate_left(done.len());
            self.tail[8 - done.len()..].copy_from_slice(done);
        }
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Streams traces, in strictly ascending ID order, into a vParquet5 `data.parquet`.
///
/// # Memory
///
/// A trace is shredded into per-column buffers as it is appended, and every few thousand
/// spans those are encoded and compressed into the current row group's column chunks, so
/// what is held is the row group as it will be written (plus a dictionary per dictionary
/// column and a few MiB of not yet encoded values), not its values and levels. When the row
/// group is cut its chunks are spliced into `W` in schema order.
///
/// # Speed
///
/// Byte-array, integer, double and boolean columns are encoded by this crate's column
/// writers, which produce the bytes the Parquet crate's column writer does (same pages,
/// statistics, indexes and metadata; the tests compare the two) at a fraction of its cost
/// per value; columns with other settings (the `blob` option's zstd) go through the crate.
/// With [`BlockConfig::encode_threads`] above 1 the columns are encoded on that many threads
/// (this one among them); the bytes do not depend on it.
pub struct TraceWriter<W: Write + Send> {
    schema: BlockSchema,
    slots: Slots,
    /// Buffers handed from one trace's row to the next.
    scratch: RowScratch,
    shredder: Shredder,
    writer: SerializedFileWriter<Counting<W>>,
    descr: Arc<SchemaDescriptor>,
    props: WriterPropertiesPtr,
    config: BlockConfig,
    /// The current row group's column writers, in schema order (created at its first feed).
    sinks: Vec<Option<ColumnSink>>,
    estimate: usize,
    /// The estimate of the traces staged since the last feed.
    staged: usize,
    /// Feed the column writers once `staged` reaches this.
    feed_estimate: usize,
    /// Whether columns this crate encodes itself are (else the Parquet crate encodes all).
    own_encoders: bool,
    last_id: Option<[u8; 16]>,
    group_rows: usize,
    summary: FileSummary,
}

impl<W: Write + Send> std::fmt::Debug for TraceWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TraceWriter")
            .field("traces", &self.summary.traces)
            .field("row_groups", &self.summary.row_group_max_ids.len())
            .finish_non_exhaustive()
    }
}

impl<W: Write + Send> TraceWriter<W> {
    /// Starts a file with the schema derived from `config.dedicated_columns`.
    ///
    /// # Errors
    ///
    /// [`BlockError::InvalidInput`] for a dedicated-column list the schema cannot hold;
    /// [`BlockError::Parquet`] when the sink fails.
    pub fn new(out: W, config: BlockConfig) -> Result<Self> {
        let schema = BlockSchema::new(&config.dedicated_columns)?;
        let props = Arc::new(writer_properties(&schema, &config));
        let writer = SerializedFileWriter::new(
            Counting {
                inner: out,
                written: 0,
                tail: [0; 8],
            },
            Arc::clone(&schema.root),
            Arc::clone(&props),
        )
        .map_err(|e| BlockError::parquet("data.parquet", e))?;
        let descr = Arc::new(SchemaDescriptor::new(Arc::clone(&schema.root)));
        let shredder = Shredder::new(&schema);
        if descr.num_columns() != shredder.cols.len() {
            return Err(BlockError::InvalidInput(format!(
                "schema has {} leaves, the shredder {}",
                descr.num_columns(),
                shredder.cols.len()
            )));
        }
        Ok(Self {
            slots: Slots::new(&schema),
            sinks: (0..shredder.cols.len()).map(|_| None).collect(),
            scratch: RowScratch::default(),
            shredder,
            schema,
            writer,
            descr,
            props,
            config,
            estimate: 0,
            staged: 0,
            feed_estimate: FEED_ESTIMATE,
            own_encoders: true,
            last_id: None,
            group_rows: 0,
            summary: FileSummary {
                traces: 0,
                spans: 0,
                row_group_max_ids: Vec::new(),
                footer_size: 0,
                size: 0,
                start_unix_nano: 0,
                end_unix_nano: 0,
            },
        })
    }

    /// Feeds the column writers every `estimate` bytes of Tempo's size estimate instead (the
    /// bytes written do not depend on it; tests feed after every trace, or once per group).
    #[cfg(test)]
    pub(crate) fn with_feed_estimate(mut self, estimate: usize) -> Self {
        self.feed_estimate = estimate;
        self
    }

    /// Encodes every column with the Parquet crate's column writer (the reference the
    /// crate's own column encoders are tested against).
    #[cfg(test)]
    pub(crate) fn with_parquet_encoders(mut self) -> Self {
        self.own_encoders = false;
        self
    }

    /// The schema being written.
    pub fn schema(&self) -> &BlockSchema {
        &self.schema
    }

    /// Appends one trace: all its resource spans (spans of other traces are not filtered
    /// out; split input by trace first, as [`BlockBuilder`] does).
    ///
    /// Fails with [`BlockError::InvalidInput`] when `id` is not greater than the previous ID.
    ///
    /// # Errors
    ///
    /// [`BlockError::InvalidInput`] for an ID out of order; [`BlockError::Parquet`] when
    /// encoding or the sink fails while a row group is written.
    pub fn append(&mut self, id: &TraceId, resource_spans: &[ResourceSpans]) -> Result<()> {
        let id = id.to_bytes();
        if self.last_id.is_some_and(|last| last >= id) {
            return Err(BlockError::InvalidInput(format!(
                "trace {} is not after the previous trace; traces must come in ascending ID order",
                TraceId::from_bytes(id)
            )));
        }
        let row = TraceRow::new(id, resource_spans, &self.slots, &mut self.scratch);
        let span_attrs_size = self.shredder.write(&row, &self.slots.span);
        let s = &mut self.summary;
        s.traces += 1;
        s.spans += row.span_count() as u64;
        if row.span_count() > 0 {
            if s.start_unix_nano == 0 || row.start < s.start_unix_nano {
                s.start_unix_nano = row.start;
            }
            s.end_unix_nano = s.end_unix_nano.max(row.end);
        }
        let size = row.estimated_size() + span_attrs_size;
        self.estimate += size;
        self.staged += size;
        row.recycle(&mut self.scratch);
        self.last_id = Some(id);
        self.group_rows += 1;
        if self.estimate > self.config.row_group_size_bytes {
            self.flush_row_group()?;
        } else if self.staged >= self.feed_estimate {
            self.feed(false)
                .map_err(|e| BlockError::parquet("data.parquet: encoding a row group", e))?;
        }
        Ok(())
    }

    /// Approximate bytes held for the current row group: staged values and levels, and the
    /// pages encoded so far (a dictionary column's pages count once its chunk is closed).
    pub fn buffered_bytes(&self) -> usize {
        self.shredder.buffered_bytes()
            + self
                .sinks
                .iter()
                .flatten()
                .map(ColumnSink::written_bytes)
                .sum::<usize>()
    }

    /// Feeds the staged values to the column writers (all of them when `last`, then closes
    /// the chunks), on `encode_threads` threads. Returns the closed chunks when `last`.
    fn feed(&mut self, last: bool) -> parquet::errors::Result<Vec<(Chunk, ColumnCloseResult)>> {
        self.staged = 0;
        let columns = self.descr.columns();
        let batch = self.props.write_batch_size();
        let (props, own) = (&self.props, self.own_encoders);
        let one = |i: usize,
                   sink: &mut Option<ColumnSink>,
                   buf: &mut ColBuf|
         -> parquet::errors::Result<Option<(Chunk, ColumnCloseResult)>> {
            let descr = &columns[i];
            let s = sink.get_or_insert_with(|| ColumnSink::new(descr, props, own));
            s.feed(descr, buf, batch, last)?;
            match sink.take_if(|_| last) {
                Some(s) => s.close().map(Some),
                None => Ok(None),
            }
        };
        let threads = self.config.encode_threads.clamp(1, columns.len().max(1));
        let mut closed = Vec::new();
        if threads == 1 {
            // As on worker threads, an encoder panic becomes an error naming the column.
            let mut at = 0;
            let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                for (i, (sink, buf)) in self
                    .sinks
                    .iter_mut()
                    .zip(self.shredder.cols.iter_mut())
                    .enumerate()
                {
                    at = i;
                    closed.extend(one(i, sink, buf)?);
                }
                Ok(())
            }));
            return match done {
                Ok(r) => r.map(|()| closed),
                Err(_) => Err(parquet::errors::ParquetError::General(format!(
                    "column {} was not encoded (encoder panicked)",
                    columns[at].path()
                ))),
            };
        }
        // Columns are taken in turn by `threads` threads (this one among them); the bytes do
        // not depend on which thread encoded a column.
        let next = std::sync::atomic::AtomicUsize::new(0);
        let work: Vec<std::sync::Mutex<(&mut Option<ColumnSink>, &mut ColBuf)>> = self
            .sinks
            .iter_mut()
            .zip(self.shredder.cols.iter_mut())
            .map(std::sync::Mutex::new)
            .collect();
        let run = || {
            let mut done = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(cell) = work.get(i) else { break };
                let mut cell = cell
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let (sink, buf) = &mut *cell;
                done.push((i, one(i, sink, buf)));
            }
            done
        };
        let mut results: Vec<Option<parquet::errors::Result<Option<_>>>> =
            (0..columns.len()).map(|_| None).collect();
        std::thread::scope(|scope| {
            let workers: Vec<_> = (1..threads).map(|_| scope.spawn(run)).collect();
            let mine = run();
            for done in workers
                .into_iter()
                // A worker only panics if the Parquet encoder does; its columns are then
                // reported as not encoded below.
                .filter_map(|w| w.join().ok())
                .chain([mine])
            {
                for (i, r) in done {
                    results[i] = Some(r);
                }
            }
        });
        for (i, r) in results.into_iter().enumerate() {
            let r = r.ok_or_else(|| {
                parquet::errors::ParquetError::General(format!(
                    "column {} was not encoded (encoder panicked)",
                    columns[i].path()
                ))
            })?;
            closed.extend(r?);
        }
        Ok(closed)
    }

    fn flush_row_group(&mut self) -> Result<()> {
        if self.group_rows == 0 {
            return Ok(());
        }
        let err = |e| BlockError::parquet("data.parquet: writing a row group", e);
        let chunks = self.feed(true).map_err(err)?;
        let mut rg = self.writer.next_row_group().map_err(err)?;
        for (bytes, close) in chunks {
            rg.append_column(&bytes, close).map_err(err)?;
        }
        rg.close().map_err(err)?;
        if let Some(id) = self.last_id {
            self.summary.row_group_max_ids.push(id);
        }
        self.estimate = 0;
        self.group_rows = 0;
        Ok(())
    }

    /// Writes the last row group and the footer; returns the sink and what was written.
    ///
    /// # Errors
    ///
    /// [`BlockError::Parquet`] when encoding or the sink fails.
    pub fn finish(mut self) -> Result<(W, FileSummary)> {
        self.flush_row_group()?;
        let err = |e| BlockError::parquet("data.parquet: writing the footer", e);
        let counting = self.writer.into_inner().map_err(err)?;
        let mut summary = self.summary;
        summary.size = counting.written;
        // The footer length is the little-endian u32 before the trailing `PAR1`.
        let mut len = [0u8; 4];
        len.copy_from_slice(&counting.tail[..4]);
        summary.footer_size = u32::from_le_bytes(len);
        Ok((counting.inner, summary))
    }
}

/// Writer properties reproducing Tempo's per-column compression and encodings.
fn writer_properties(schema: &BlockSchema, config: &BlockConfig) -> WriterProperties {
    let mut b = WriterProperties::builder()
        .set_writer_version(WriterVersion::PARQUET_2_0)
        .set_data_page_size_limit(config.page_size_bytes)
        .set_data_page_row_count_limit(config.page_row_limit)
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_column_index_truncate_length(Some(16))
        .set_max_row_group_row_count(None);
    for leaf in &schema.leaves {
        let path = ColumnPath::new(leaf.path.split('.').map(String::from).collect());
        b = b.set_column_compression(
            path.clone(),
            match leaf.codec {
                Codec::None => Compression::UNCOMPRESSED,
                Codec::Snappy => Compression::SNAPPY,
                Codec::Zstd => Compression::ZSTD(ZstdLevel::default()),
            },
        );
        let (dict, encoding) = match leaf.enc {
            Enc::Dict => (true, Encoding::PLAIN),
            Enc::Delta => (false, Encoding::DELTA_BINARY_PACKED),
            Enc::Plain => (false, Encoding::PLAIN),
            Enc::DeltaLength => (false, Encoding::DELTA_LENGTH_BYTE_ARRAY),
        };
        b = b
            .set_column_dictionary_enabled(path.clone(), dict)
            .set_column_encoding(path.clone(), encoding);
        if !leaf.page_stats {
            b = b.set_column_statistics_enabled(path, EnabledStatistics::None);
        }
    }
    b.build()
}

/// A complete block in memory, ready to be stored.
#[derive(Debug, Clone)]
pub struct WrittenBlock {
    /// `meta.json` content as a struct.
    pub meta: BlockMeta,
    /// `data.parquet`.
    pub data: Bytes,
    /// `bloom-0` … `bloom-N`.
    pub blooms: Vec<Bytes>,
    /// The `index` object.
    pub index: Bytes,
}

impl WrittenBlock {
    /// Stores the block in `store` the way Tempo does: `data.parquet`, the bloom shards and
    /// `index` first, `meta.json` last (its presence is what makes a block visible).
    ///
    /// The tenant index (`index.json.gz`, `index.pb.zst`) is **not** updated: Tempo's own
    /// ingesters do not update it either; its poller rebuilds it from a listing. A reader
    /// that lists blocks ([`BlockStore::list_blocks`]) sees the block at once; for readers of
    /// the tenant index, call [`BlockStore::rebuild_tenant_index`] after uploading.
    ///
    /// # Errors
    ///
    /// The store's errors; on failure `meta.json` has not been written, so the block is not
    /// visible.
    pub async fn upload(&self, store: &BlockStore) -> Result<()> {
        let (tenant, block) = (self.meta.tenant_id.as_str(), self.meta.block_id);
        store
            .write_object(tenant, block, DATA_NAME, self.data.clone())
            .await?;
        for (i, shard) in self.blooms.iter().enumerate() {
            store
                .write_object(
                    tenant,
                    block,
                    &bloom_name(u32::try_from(i).unwrap_or(u32::MAX)),
                    shard.clone(),
                )
                .await?;
        }
        store
            .write_object(tenant, block, INDEX_NAME, self.index.clone())
            .await?;
        store.write_meta(&self.meta).await
    }
}

/// The `index` object: base64 of each row group's last trace ID.
pub fn index_json(max_ids: &[[u8; 16]]) -> Vec<u8> {
    if max_ids.is_empty() {
        return br#"{"rowGroups":null}"#.to_vec();
    }
    let ids: Vec<String> = max_ids
        .iter()
        .map(|id| base64::engine::general_purpose::STANDARD.encode(id))
        .collect();
    serde_json::json!({ "rowGroups": ids })
        .to_string()
        .into_bytes()
}

/// Collects OTLP traces in any order and writes them as one block.
///
/// Spans are grouped by their trace ID (resource spans holding several traces are split);
/// parts of one trace pushed separately are combined with Tempo's combiner (spans with the
/// same ID and kind are kept once).
///
/// # Memory
///
/// Everything pushed is held, as decoded OTLP structs, until [`BlockBuilder::finish`]:
/// typically a few times the protobuf size of the input (every string, ID and attribute is
/// its own allocation), plus a map entry per trace. `finish` then writes the traces through
/// a [`TraceWriter`] into an in-memory `data.parquet`, so the peak is the input plus the
/// finished file (plus the row group being written, held encoded until it is spliced in).
/// For blocks larger than memory allows, sort the traces yourself and stream them with
/// [`TraceWriter`] into any [`std::io::Write`].
#[derive(Debug, Default)]
pub struct BlockBuilder {
    config: BlockConfig,
    traces: BTreeMap<[u8; 16], Vec<Vec<ResourceSpans>>>,
    time_range: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

impl BlockBuilder {
    /// A builder with `config`.
    pub fn new(config: BlockConfig) -> Self {
        Self {
            config,
            traces: BTreeMap::new(),
            time_range: None,
        }
    }

    /// Sets meta.json's `startTime`/`endTime` (by default the span bounds, to the second).
    #[must_use]
    pub fn with_time_range(mut self, start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        self.time_range = Some((start, end));
        self
    }

    /// Number of distinct traces so far.
    pub fn trace_count(&self) -> usize {
        self.traces.len()
    }

    /// Adds resource spans (of one or more traces), grouped by each span's trace ID. A
    /// resource spans without any span names no trace and is skipped; use
    /// [`BlockBuilder::push_trace`] to keep such groups.
    ///
    /// Fails with [`BlockError::InvalidInput`] for a span whose trace ID is not 1–16 bytes.
    ///
    /// # Errors
    ///
    /// [`BlockError::InvalidInput`] for a trace ID that is not 1–16 bytes.
    pub fn push(&mut self, rs: ResourceSpans) -> Result<()> {
        // Fast path: every span of the batch belongs to one trace.
        let mut ids = rs
            .scope_spans
            .iter()
            .flat_map(|ss| ss.spans.iter())
            .map(|s| s.trace_id.as_slice());
        let first = ids.next();
        if let Some(first) = first
            && ids.all(|id| id == first)
        {
            let id = trace_key(first)?;
            self.add(id, vec![rs]);
            return Ok(());
        }
        if first.is_none() {
            return Ok(());
        }
        let ResourceSpans {
            resource,
            scope_spans,
            schema_url,
        } = rs;
        let mut parts: BTreeMap<[u8; 16], ResourceSpans> = BTreeMap::new();
        for ss in scope_spans {
            let ScopeSpans {
                scope,
                spans,
                schema_url: ss_url,
            } = ss;
            let mut by_trace: BTreeMap<[u8; 16], Vec<_>> = BTreeMap::new();
            for span in spans {
                by_trace
                    .entry(trace_key(&span.trace_id)?)
                    .or_default()
                    .push(span);
            }
            for (id, spans) in by_trace {
                let part = parts.entry(id).or_insert_with(|| ResourceSpans {
                    resource: resource.clone(),
                    scope_spans: Vec::new(),
                    schema_url: schema_url.clone(),
                });
                part.scope_spans.push(ScopeSpans {
                    scope: scope.clone(),
                    spans,
                    schema_url: ss_url.clone(),
                });
            }
        }
        for (id, part) in parts {
            self.add(id, vec![part]);
        }
        Ok(())
    }

    /// Adds resource spans that all belong to trace `id`, kept whole (unlike
    /// [`BlockBuilder::push`], a resource or scope without spans is kept too, as Tempo does).
    pub fn push_trace(&mut self, id: &TraceId, resource_spans: Vec<ResourceSpans>) {
        self.add(id.to_bytes(), resource_spans);
    }

    /// Adds every resource spans of a `TracesData`.
    ///
    /// # Errors
    ///
    /// As [`BlockBuilder::push`].
    pub fn push_traces(&mut self, data: TracesData) -> Result<()> {
        for rs in data.resource_spans {
            self.push(rs)?;
        }
        Ok(())
    }

    fn add(&mut self, id: [u8; 16], part: Vec<ResourceSpans>) {
        self.traces.entry(id).or_default().push(part);
    }

    /// Writes the block: `data.parquet` sorted by trace ID, bloom shards sized for the trace
    /// count, `index`, and the meta of block `block_id` of `tenant_id`.
    ///
    /// # Errors
    ///
    /// [`BlockError::InvalidInput`] for bloom or dedicated-column settings that cannot be
    /// written; [`BlockError::Parquet`] when encoding fails.
    pub fn finish(self, tenant_id: &str, block_id: Uuid) -> Result<WrittenBlock> {
        let count = self.traces.len();
        let traces = self.traces.into_iter().map(|(id, parts)| {
            let rs = if parts.len() == 1 {
                parts.into_iter().flatten().collect::<Vec<_>>()
            } else {
                otlp_model::combine::combine(
                    parts
                        .into_iter()
                        .map(|resource_spans| TracesData { resource_spans }),
                )
                .map(|t| t.resource_spans)
                .unwrap_or_default()
            };
            Ok((TraceId::from_bytes(id), std::borrow::Cow::Owned(rs)))
        });
        write_sorted_block(
            &self.config,
            tenant_id,
            block_id,
            count,
            self.time_range,
            traces,
        )
    }
}

/// Writes a block from traces already sorted by ID (each ID once, its parts combined), one
/// at a time: `data.parquet`, bloom shards sized for `trace_count`, `index`, and the meta of
/// block `block_id` of `tenant_id`. Traces may be borrowed, so a caller that holds its traces
/// (a store completing a head block that stays readable meanwhile) writes without copying
/// them. `time_range` sets meta.json's `startTime`/`endTime` (by default the span bounds, to
/// the second).
///
/// # Errors
///
/// The first error `traces` yields; [`BlockError::InvalidInput`] for bloom or
/// dedicated-column settings that cannot be written or for IDs out of order;
/// [`BlockError::Parquet`] when encoding fails.
pub fn write_sorted_block<'a>(
    config: &BlockConfig,
    tenant_id: &str,
    block_id: Uuid,
    trace_count: usize,
    time_range: Option<(DateTime<Utc>, DateTime<Utc>)>,
    traces: impl IntoIterator<Item = Result<(TraceId, std::borrow::Cow<'a, [ResourceSpans]>)>>,
) -> Result<WrittenBlock> {
    let params = TempoBloomParams::new(
        config.bloom_false_positive,
        config.bloom_shard_size_bytes,
        trace_count as u64,
    )
    .map_err(|e| BlockError::InvalidInput(format!("bloom settings: {e}")))?;
    let mut bloom = ShardedBloom::new(params);
    let mut writer = TraceWriter::new(Vec::new(), config.clone())?;
    let mut previous: Option<[u8; 16]> = None;
    for item in traces {
        let (id, rs) = item?;
        let key = id.to_bytes();
        if previous.is_some_and(|p| p >= key) {
            return Err(BlockError::InvalidInput(format!(
                "trace {id} is not after the trace before it: traces must be sorted by ID, each once"
            )));
        }
        previous = Some(key);
        writer.append(&id, &rs)?;
        bloom.insert(&key);
    }
    let dedicated = writer.schema().dedicated_columns().to_vec();
    let (data, summary) = writer.finish()?;
    let (start, end) = time_range.unwrap_or_else(|| {
        (
            seconds(summary.start_unix_nano, false),
            seconds(summary.end_unix_nano, true),
        )
    });
    let meta = BlockMeta {
        start_time: start,
        end_time: end,
        total_objects: summary.traces,
        size: summary.size,
        total_records: u32::try_from(summary.row_group_max_ids.len()).unwrap_or(u32::MAX),
        bloom_shards: u32::try_from(bloom.shard_count()).unwrap_or(u32::MAX),
        footer_size: summary.footer_size,
        dedicated_columns: dedicated,
        ..BlockMeta::new(Version::VParquet5, tenant_id, block_id)
    };
    Ok(WrittenBlock {
        meta,
        blooms: bloom
            .shards()
            .iter()
            .map(|s| Bytes::from(s.encode()))
            .collect(),
        index: Bytes::from(index_json(&summary.row_group_max_ids)),
        data: Bytes::from(data),
    })
}

/// Unix nanoseconds to whole seconds (rounded up when `ceil`).
fn seconds(ns: u64, ceil: bool) -> DateTime<Utc> {
    let mut s = ns / 1_000_000_000;
    if ceil && !ns.is_multiple_of(1_000_000_000) {
        s += 1;
    }
    Utc.timestamp_opt(i64::try_from(s).unwrap_or(i64::MAX), 0)
        .single()
        .unwrap_or_default()
}

/// A trace ID of 1–16 bytes, left-padded to 16.
fn trace_key(id: &[u8]) -> Result<[u8; 16]> {
    TraceId::from_padded(id)
        .map(TraceId::to_bytes)
        .map_err(|e| BlockError::InvalidInput(format!("span trace ID: {e}")))
}

#[async_trait::async_trait]
impl crate::reader::BlockObjects for WrittenBlock {
    async fn get(&self, name: &str) -> Result<Bytes> {
        match name {
            DATA_NAME => Ok(self.data.clone()),
            INDEX_NAME => Ok(self.index.clone()),
            _ => name
                .strip_prefix(BLOOM_PREFIX)
                .and_then(|i| i.parse::<usize>().ok())
                .and_then(|i| self.blooms.get(i).cloned())
                .ok_or_else(|| BlockError::NotFound {
                    path: name.to_string(),
                }),
        }
    }

    async fn get_range(&self, name: &str, range: std::ops::Range<u64>) -> Result<Bytes> {
        let all = self.get(name).await?;
        crate::file::RangeRead::read_range(&all, range).await
    }

    async fn size(&self, name: &str) -> Result<u64> {
        Ok(self.get(name).await?.len() as u64)
    }
}
