//! `tempo-block-inspect`: list, read and check the Tempo blocks of one tenant in a bucket.
//!
//! ```text
//! tempo-block-inspect --path DIR_OR_URL --tenant TENANT [--store-option KEY=VALUE]... COMMAND
//!
//!   list-blocks [--json]       one line per block, live and compacted (--json: the metas)
//!   find TRACE_ID...           one JSON line per trace found in the tenant's live blocks
//!   meta [--pretty] BLOCK_ID   the block's meta.json (meta.compacted.json once compacted)
//!   schema BLOCK_ID            the block's Parquet schema, printed as tempo-cli prints it
//!   verify [BLOCK_ID]          read every row of the block (of every live block) and check it
//! ```
//!
//! DIR_OR_URL is the bucket root, holding `<tenant>/<blockID>/…`: a local folder or `file://`
//! URL, or `s3://bucket/prefix`, `gs://bucket/prefix`, `az://container/prefix` when built with
//! the `s3`, `gcs` or `azure` feature. Cloud credentials come from the usual environment
//! variables (`AWS_*`, `GOOGLE_*`, `AZURE_*`); `--store-option` overrides them.
//!
//! `find` prints `{"trace":<OTLP/JSON TracesData>,"traceID":"<32 hex digits>"}` for each ID
//! found, the line format of Tempo's compatibility vectors (`readback-traces.otlp.jsonl`). It
//! looks in every live block, bloom filter first and the Parquet file only when the bloom
//! filter may hold the ID, and combines the parts found in several blocks with Tempo's trace
//! combiner, in block ID order. IDs are 1 to 32 hex digits, left-padded with zeros; an ID
//! given twice is printed once.
//!
//! `verify` reads every row and checks that trace IDs are strictly ascending, that the rows
//! and row groups number `totalObjects` and `totalRecords` of meta.json, and that the bloom
//! filter holds every ID (no false negatives). A block that cannot be read is reported and
//! the other blocks are still verified.
//!
//! While `find` and `verify` work, a progress bar is drawn on stderr when stderr is a
//! terminal.
//!
//! Exit status: 0 success; 1 when `find` did not find an ID or `verify` found a block failing
//! a check; 2 on any error (bad argument, unreadable bucket or block, corrupt block), printed
//! on stderr.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use bloom::tempo::{ShardView, TraceKey, shard_object_name};
use bytes::Bytes;
use clap::{Parser, Subcommand};
use futures_util::{StreamExt as _, stream};
use indicatif::{ProgressBar, ProgressFinish, ProgressStyle};
use otlp_model::TraceId;
use otlp_model::combine::combine;
use otlp_model::json::{JsonStyle, encode_traces_json};
use otlp_model::proto::trace::{ResourceSpans, TracesData};
use tempo_block::backend::{COMPACTED_META_NAME, META_NAME};
use tempo_block::reader::StoredBlock;
use tempo_block::schema::schema_text;
use tempo_block::{BlockMeta, BlockReader, BlockStore, CompactedBlockMeta, ObjectStoreBackend};
use uuid::Uuid;

/// The command line: where the blocks are, whose, and what to do.
#[derive(Parser)]
#[command(
    version,
    about = "List, read and check the Tempo blocks of a tenant in a folder or bucket"
)]
struct Cli {
    /// The bucket root holding `<tenant>/<blockID>/…`: a local folder, or a URL (file://,
    /// s3://, gs://, az://; cloud stores need the matching cargo feature).
    #[arg(long, value_name = "DIR_OR_URL")]
    path: String,
    /// The tenant whose blocks are read.
    #[arg(long)]
    tenant: String,
    /// An object-store setting (object_store's config keys, e.g.
    /// `aws_endpoint=http://localhost:9000`); repeatable, overrides the environment.
    #[arg(long = "store-option", value_name = "KEY=VALUE", value_parser = parse_store_option)]
    store_options: Vec<(String, String)>,
    #[command(subcommand)]
    command: Command,
}

/// What to do with the tenant's blocks.
#[derive(Subcommand)]
enum Command {
    /// One line per block, live and compacted: ID, format, time range, traces, size, row
    /// groups, bloom shards, compaction level and state.
    ListBlocks {
        /// Print each block's meta (meta.compacted.json's content for compacted blocks) as
        /// one JSON line instead.
        #[arg(long)]
        json: bool,
    },
    /// Find traces by ID in every live block, combining the parts found in several blocks;
    /// one `{"trace":…,"traceID":…}` line per ID found.
    Find {
        /// Hex trace IDs (1 to 32 digits, left-padded with zeros).
        #[arg(required = true, value_name = "TRACE_ID", value_parser = parse_trace_id)]
        ids: Vec<TraceId>,
    },
    /// Print a block's meta.json as stored (meta.compacted.json for a compacted block).
    Meta {
        /// The block ID.
        #[arg(value_name = "BLOCK_ID", value_parser = parse_block_id)]
        block: Uuid,
        /// Indent the JSON (field order and values unchanged).
        #[arg(long)]
        pretty: bool,
    },
    /// Print a block's Parquet schema as `tempo-cli view schema` does.
    Schema {
        /// The block ID.
        #[arg(value_name = "BLOCK_ID", value_parser = parse_block_id)]
        block: Uuid,
    },
    /// Read every row of a block and check ID order, row and row-group counts against
    /// meta.json, and the bloom filter (no false negatives).
    Verify {
        /// The block ID (default: every live block of the tenant).
        #[arg(value_name = "BLOCK_ID", value_parser = parse_block_id)]
        block: Option<Uuid>,
    },
}

/// Errors are reported on stderr with exit status 2, whatever their type.
type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// How many blocks are read at once (metas, bloom shards, footers): requests to an object
/// store overlap; decoding stays on one thread.
const CONCURRENCY: usize = 8;

/// How times are shown in `list-blocks` (fractional seconds only when there are any).
const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.fZ";

/// Parses the command line, runs the command on a tokio runtime and maps its outcome to the
/// exit status.
#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("tempo-block-inspect: {e}");
            ExitCode::from(2)
        }
    }
}

/// Runs the command: `Ok(true)` exits 0, `Ok(false)` exits 1 (an ID not found, a check
/// failed), `Err` exits 2.
async fn run(cli: Cli) -> Result<bool> {
    let store = open_store(&cli.path, &cli.store_options)?;
    let tenant = cli.tenant.as_str();
    match cli.command {
        Command::ListBlocks { json } => list_blocks(&store, tenant, json).await,
        Command::Find { ids } => find(&store, tenant, &ids).await,
        Command::Meta { block, pretty } => meta(&store, tenant, block, pretty).await,
        Command::Schema { block } => schema(&store, tenant, block).await,
        Command::Verify { block } => verify(&store, tenant, block).await,
    }
}

/// A trace ID: 1 to 32 hex digits, left-padded with zeros.
fn parse_trace_id(text: &str) -> std::result::Result<TraceId, String> {
    TraceId::parse_hex(text.trim()).map_err(|e| e.to_string())
}

/// A block ID: a UUID in any of its spellings (stored lower-case and hyphenated).
fn parse_block_id(text: &str) -> std::result::Result<Uuid, String> {
    Uuid::try_parse(text.trim()).map_err(|e| format!("not a block ID (a UUID): {e}"))
}

/// A `--store-option`: `KEY=VALUE` with a non-empty key.
fn parse_store_option(text: &str) -> std::result::Result<(String, String), String> {
    text.split_once('=')
        .filter(|(key, _)| !key.is_empty())
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .ok_or_else(|| format!("{text:?} is not KEY=VALUE"))
}

/// The store at `path`. A local folder must exist: the backend would create it, and a typo
/// would then read as an empty bucket.
fn open_store(path: &str, options: &[(String, String)]) -> Result<BlockStore> {
    let local = match path.split_once("://") {
        None => Some(path),
        Some(("file", dir)) => Some(dir),
        Some(_) => None,
    };
    if let Some(dir) = local
        && !Path::new(dir).is_dir()
    {
        return Err(format!(
            "{path}: no such folder (the bucket root, holding <tenant>/<blockID>/…)"
        )
        .into());
    }
    let options = options.iter().map(|(k, v)| (k.as_str(), v.clone()));
    // The backend's errors name the URL or folder.
    let backend = ObjectStoreBackend::from_url_with_options(path, options)?;
    Ok(BlockStore::new(Arc::new(backend)))
}

/// A block's metadata as stored: `meta.json`, or `meta.compacted.json` once compacted.
enum StoredMeta {
    /// `meta.json`: the block is live.
    Live(BlockMeta),
    /// `meta.compacted.json`: compaction replaced the block.
    Compacted(CompactedBlockMeta),
}

impl StoredMeta {
    /// The block's metadata, whatever its state.
    fn meta(&self) -> &BlockMeta {
        match self {
            Self::Live(meta) => meta,
            Self::Compacted(compacted) => &compacted.meta,
        }
    }

    /// The block's metadata, whatever its state.
    fn into_meta(self) -> BlockMeta {
        match self {
            Self::Live(meta) => meta,
            Self::Compacted(compacted) => compacted.meta,
        }
    }

    /// The object the metadata was read from.
    fn object_name(&self) -> &'static str {
        match self {
            Self::Live(_) => META_NAME,
            Self::Compacted(_) => COMPACTED_META_NAME,
        }
    }

    /// The metadata as Tempo writes it.
    fn to_json(&self) -> tempo_block::Result<Vec<u8>> {
        match self {
            Self::Live(meta) => meta.to_json(),
            Self::Compacted(compacted) => compacted.to_json(),
        }
    }
}

/// The metadata of `block`: `meta.json`, else `meta.compacted.json`.
async fn read_meta(store: &BlockStore, tenant: &str, block: Uuid) -> Result<StoredMeta> {
    match store.read_meta(tenant, block).await {
        Ok(meta) => Ok(StoredMeta::Live(meta)),
        Err(e) if e.is_not_found() => match store.read_compacted_meta(tenant, block).await {
            Ok(compacted) => Ok(StoredMeta::Compacted(compacted)),
            Err(e) if e.is_not_found() => Err(format!(
                "block {block} of tenant {tenant} not found (neither {META_NAME} nor {COMPACTED_META_NAME})"
            )
            .into()),
            Err(e) => Err(e.into()),
        },
        Err(e) => Err(e.into()),
    }
}

/// Opens the block `meta` describes, reading its objects from `store`.
async fn open_reader(store: &BlockStore, tenant: &str, meta: BlockMeta) -> Result<BlockReader> {
    let objects = Arc::new(StoredBlock::new(store.clone(), tenant, meta.block_id));
    Ok(BlockReader::open(meta, objects).await?)
}

/// A progress bar on stderr (hidden when stderr is not a terminal), cleared when dropped.
fn progress_bar(len: u64, unit: &str) -> ProgressBar {
    let bar = ProgressBar::new(len).with_finish(ProgressFinish::AndClear);
    let template =
        format!("{{elapsed_precise}} {{wide_bar}} {{human_pos}}/{{human_len}} {unit} {{msg}}");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar
}

/// `list-blocks`: a table of the tenant's blocks (or their metas as JSON lines), sorted by
/// block ID; a block whose meta cannot be read is reported and makes the exit status 2.
async fn list_blocks(store: &BlockStore, tenant: &str, json: bool) -> Result<bool> {
    let ids = store.list_blocks(tenant).await?;
    let mut blocks: Vec<(Uuid, bool)> = ids.live.iter().map(|&b| (b, false)).collect();
    blocks.extend(ids.compacted.iter().map(|&b| (b, true)));
    blocks.sort_unstable();
    if blocks.is_empty() {
        eprintln!("tempo-block-inspect: tenant {tenant} has no blocks");
    }
    let mut out = std::io::stdout().lock();
    if !json {
        writeln!(
            out,
            "{:<36}  {:<10}  {:<20}  {:<20}  {:>10}  {:>12}  {:>10}  {:>6}  {:>5}  STATE",
            "BLOCK ID",
            "FORMAT",
            "START",
            "END",
            "OBJECTS",
            "SIZE",
            "ROW GROUPS",
            "BLOOMS",
            "LEVEL"
        )?;
    }
    let mut metas = stream::iter(&blocks)
        .map(|&(block, compacted)| async move {
            let meta = if compacted {
                store
                    .read_compacted_meta(tenant, block)
                    .await
                    .map(StoredMeta::Compacted)
            } else {
                store.read_meta(tenant, block).await.map(StoredMeta::Live)
            };
            (block, meta)
        })
        .buffered(CONCURRENCY);
    let mut unreadable = 0;
    while let Some((block, meta)) = metas.next().await {
        match meta {
            Ok(meta) if json => {
                out.write_all(&meta.to_json()?)?;
                out.write_all(b"\n")?;
            }
            Ok(meta) => writeln!(out, "{}", block_line(&meta))?,
            Err(e) => {
                eprintln!("tempo-block-inspect: block {block}: {e}");
                unreadable += 1;
            }
        }
    }
    out.flush()?;
    if unreadable > 0 {
        return Err(format!(
            "the metadata of {unreadable} of {} block(s) could not be read",
            blocks.len()
        )
        .into());
    }
    Ok(true)
}

/// One `list-blocks` line.
fn block_line(stored: &StoredMeta) -> String {
    let meta = stored.meta();
    let state = match stored {
        StoredMeta::Live(_) => "live".to_owned(),
        StoredMeta::Compacted(c) => format!("compacted {}", c.compacted_time.format(TIME_FORMAT)),
    };
    format!(
        "{:<36}  {:<10}  {:<20}  {:<20}  {:>10}  {:>12}  {:>10}  {:>6}  {:>5}  {state}",
        meta.block_id.hyphenated().to_string(),
        meta.format,
        meta.start_time.format(TIME_FORMAT).to_string(),
        meta.end_time.format(TIME_FORMAT).to_string(),
        meta.total_objects,
        meta.size,
        meta.total_records,
        meta.bloom_shard_count(),
        meta.compaction_level,
    )
}

/// `find`: looks `ids` up in every live block and prints one line per ID found, combining
/// the parts of a trace in block order.
async fn find(store: &BlockStore, tenant: &str, ids: &[TraceId]) -> Result<bool> {
    let mut unique: Vec<TraceId> = Vec::with_capacity(ids.len());
    for id in ids {
        if !unique.contains(id) {
            unique.push(*id);
        }
    }
    let blocks = store.list_blocks(tenant).await?.live;
    if blocks.is_empty() {
        eprintln!("tempo-block-inspect: tenant {tenant} has no live blocks");
    }
    let bar = progress_bar(blocks.len() as u64, "blocks");
    // The parts of each trace, in block order.
    let mut parts: Vec<Vec<TracesData>> = unique.iter().map(|_| Vec::new()).collect();
    let mut results = stream::iter(&blocks)
        .map(|&block| find_in_block(store, tenant, block, &unique))
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

    let mut out = std::io::stdout().lock();
    let mut all_found = true;
    for (id, trace_parts) in unique.iter().zip(parts) {
        if let Some(trace) = combine(trace_parts) {
            out.write_all(&trace_line(id, &trace.resource_spans))?;
        } else {
            all_found = false;
            eprintln!(
                "tempo-block-inspect: trace {id} not found in {} live block(s)",
                blocks.len()
            );
        }
    }
    out.flush()?;
    Ok(all_found)
}

/// The trace (part) of each of `ids` stored in `block`: the bloom filter first, then the
/// Parquet file (opened only when the bloom filter may hold one of the IDs).
async fn find_in_block(
    store: &BlockStore,
    tenant: &str,
    block: Uuid,
    ids: &[TraceId],
) -> Result<Vec<Option<Vec<ResourceSpans>>>> {
    let in_block = |e: &dyn std::fmt::Display| format!("block {block}: {e}");
    let meta = store
        .read_meta(tenant, block)
        .await
        .map_err(|e| in_block(&e))?;
    let maybe = bloom_lookup(store, &meta, ids)
        .await
        .map_err(|e| in_block(&e))?;
    let mut found: Vec<Option<Vec<ResourceSpans>>> = ids.iter().map(|_| None).collect();
    if !maybe.contains(&true) {
        return Ok(found);
    }
    let reader = open_reader(store, tenant, meta)
        .await
        .map_err(|e| in_block(&e))?;
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

/// `meta`: the block's stored meta object, checked to parse first.
async fn meta(store: &BlockStore, tenant: &str, block: Uuid, pretty: bool) -> Result<bool> {
    // Parsed first, so a corrupt meta is an error naming the field at fault.
    let stored = read_meta(store, tenant, block).await?;
    let bytes = store
        .read_object(tenant, block, stored.object_name())
        .await?;
    let mut out = std::io::stdout().lock();
    if pretty {
        let text = std::str::from_utf8(&bytes)?;
        serde_json::from_str::<serde_json::Value>(text)?;
        out.write_all(indent_json(text).as_bytes())?;
    } else {
        out.write_all(&bytes)?;
        if !bytes.ends_with(b"\n") {
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    Ok(true)
}

/// Indents valid JSON text by two spaces per level, keeping every token (field order, number
/// spellings) as it is. Empty objects and arrays stay on one line.
fn indent_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut depth = 0usize;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    let mut chars = text.chars().peekable();
    let (mut in_string, mut escaped) = (false, false);
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                while chars.next_if(char::is_ascii_whitespace).is_some() {}
                if let Some(close) = chars.next_if(|&n| n == '}' || n == ']') {
                    out.push(close);
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_ascii_whitespace() => {}
            c => out.push(c),
        }
    }
    out.push('\n');
    out
}

/// `schema`: the block's Parquet schema as `tempo-cli view schema` prints it.
async fn schema(store: &BlockStore, tenant: &str, block: Uuid) -> Result<bool> {
    let meta = read_meta(store, tenant, block).await?.into_meta();
    let reader = open_reader(store, tenant, meta).await?;
    let mut out = std::io::stdout().lock();
    out.write_all(schema_text(reader.parquet_schema()).as_bytes())?;
    out.flush()?;
    Ok(true)
}

/// `verify`: checks one block or every live block, one line per block and a summary.
async fn verify(store: &BlockStore, tenant: &str, block: Option<Uuid>) -> Result<bool> {
    let blocks = if let Some(block) = block {
        vec![block]
    } else {
        let live = store.list_blocks(tenant).await?.live;
        if live.is_empty() {
            return Err(format!("tenant {tenant} has no live blocks").into());
        }
        live
    };
    // Every meta first: their object counts size the progress bar.
    let metas: Vec<(Uuid, Result<StoredMeta>)> = stream::iter(&blocks)
        .map(|&block| async move { (block, read_meta(store, tenant, block).await) })
        .buffered(CONCURRENCY)
        .collect()
        .await;
    let rows = metas
        .iter()
        .filter_map(|(_, meta)| meta.as_ref().ok())
        .map(|meta| meta.meta().total_objects)
        .sum();
    let bar = progress_bar(rows, "rows");
    let (mut passed, mut failed, mut unreadable) = (0usize, 0usize, 0usize);
    for (block, meta) in metas {
        bar.set_message(block.to_string());
        let checked = match meta {
            Ok(meta) => verify_block(store, tenant, meta.into_meta(), &bar).await,
            Err(e) => Err(e),
        };
        match checked {
            Ok(line) => {
                if line.failures.is_empty() {
                    passed += 1;
                } else {
                    failed += 1;
                }
                bar.suspend(|| writeln!(std::io::stdout(), "{block}: {line}"))?;
            }
            Err(e) => {
                unreadable += 1;
                bar.suspend(|| eprintln!("tempo-block-inspect: block {block}: {e}"));
            }
        }
    }
    drop(bar);
    writeln!(
        std::io::stdout(),
        "verified {} block(s): {passed} ok, {failed} failed, {unreadable} unreadable",
        blocks.len()
    )?;
    if unreadable > 0 {
        return Err(format!(
            "{unreadable} of {} block(s) could not be read",
            blocks.len()
        )
        .into());
    }
    Ok(failed == 0)
}

/// Scans every row of the block `meta` describes and checks it.
async fn verify_block(
    store: &BlockStore,
    tenant: &str,
    meta: BlockMeta,
    bar: &ProgressBar,
) -> Result<BlockVerdict> {
    let reader = open_reader(store, tenant, meta).await?;
    let mut check = RowCheck::default();
    let mut scan = reader.scan();
    while let Some((id, _)) = scan.next().await? {
        let in_bloom = reader.may_contain(&id).await?;
        check.row(id, in_bloom);
        bar.inc(1);
    }
    Ok(check.verdict(reader.meta(), reader.row_groups()))
}

/// The checks of `verify` over a block's rows, fed in storage order.
#[derive(Debug, Default)]
struct RowCheck {
    /// Rows seen so far.
    rows: u64,
    /// The previous row's ID.
    last: Option<TraceId>,
    /// Rows whose ID is not greater than the one before.
    unordered: u64,
    /// The first of them: its row number, the ID before it and its ID.
    first_unordered: Option<(u64, TraceId, TraceId)>,
    /// IDs the bloom filter says are absent.
    bloom_misses: u64,
    /// The first of them.
    first_bloom_miss: Option<TraceId>,
}

impl RowCheck {
    /// Takes the next row's trace ID and whether the bloom filter may hold it.
    fn row(&mut self, id: TraceId, in_bloom: bool) {
        if let Some(last) = self.last
            && id <= last
        {
            self.unordered += 1;
            self.first_unordered.get_or_insert((self.rows, last, id));
        }
        if !in_bloom {
            self.bloom_misses += 1;
            self.first_bloom_miss.get_or_insert(id);
        }
        self.last = Some(id);
        self.rows += 1;
    }

    /// The result, given the block's meta and the number of row groups in its file.
    fn verdict(&self, meta: &BlockMeta, row_groups: usize) -> BlockVerdict {
        let mut failures = Vec::new();
        if let Some((row, before, id)) = self.first_unordered {
            failures.push(format!(
                "{} row(s) not in strictly ascending trace ID order (first: row {row}, {id} after {before})",
                self.unordered
            ));
        }
        if self.rows != meta.total_objects {
            failures.push(format!(
                "{} rows, but meta.json says totalObjects {}",
                self.rows, meta.total_objects
            ));
        }
        if row_groups as u64 != u64::from(meta.total_records) {
            failures.push(format!(
                "{row_groups} row groups, but meta.json says totalRecords {}",
                meta.total_records
            ));
        }
        if let Some(id) = self.first_bloom_miss {
            failures.push(format!(
                "{} trace ID(s) missing from the bloom filter (first: {id})",
                self.bloom_misses
            ));
        }
        BlockVerdict {
            rows: self.rows,
            row_groups,
            bloom_shards: meta.bloom_shard_count(),
            failures,
        }
    }
}

/// What `verify` found in one block.
#[derive(Debug)]
struct BlockVerdict {
    /// Rows read.
    rows: u64,
    /// Row groups in the Parquet file.
    row_groups: usize,
    /// Bloom shards read.
    bloom_shards: u32,
    /// One sentence per failed check; empty when the block passed.
    failures: Vec<String>,
}

impl std::fmt::Display for BlockVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.failures.is_empty() {
            write!(
                f,
                "ok: {} rows in ascending trace ID order, {} row group(s), every ID in the bloom filter ({} shard(s))",
                self.rows, self.row_groups, self.bloom_shards
            )
        } else {
            write!(f, "FAILED: {}", self.failures.join("; "))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

    use super::*;

    fn meta(total_objects: u64, total_records: u32) -> BlockMeta {
        BlockMeta {
            total_objects,
            total_records,
            bloom_shards: 1,
            ..BlockMeta::new(tempo_block::Version::VParquet5, "t", Uuid::from_u128(7))
        }
    }

    #[test]
    fn row_check_passes_ascending_rows_matching_the_meta() {
        let mut check = RowCheck::default();
        for i in 1..=3 {
            check.row(TraceId::from_u64(i), true);
        }
        let verdict = check.verdict(&meta(3, 1), 1);
        assert!(verdict.failures.is_empty(), "{verdict}");
        assert!(verdict.to_string().starts_with("ok: 3 rows"));
    }

    #[test]
    fn row_check_reports_each_failed_check() {
        let mut check = RowCheck::default();
        for (i, in_bloom) in [(1, true), (5, false), (5, true), (2, false)] {
            check.row(TraceId::from_u64(i), in_bloom);
        }
        let verdict = check.verdict(&meta(3, 2), 1);
        let text = verdict.to_string();
        assert_eq!(verdict.failures.len(), 4, "{text}");
        assert!(
            text.contains(
                "2 row(s) not in strictly ascending trace ID order (first: row 2, \
                 00000000000000000000000000000005 after 00000000000000000000000000000005)"
            ),
            "{text}"
        );
        assert!(text.contains("4 rows, but meta.json says totalObjects 3"));
        assert!(text.contains("1 row groups, but meta.json says totalRecords 2"));
        assert!(text.contains(
            "2 trace ID(s) missing from the bloom filter (first: 00000000000000000000000000000005)"
        ));
    }

    #[test]
    fn indent_json_keeps_tokens_and_order() {
        let text = r#"{"b":1.50,"a":[],"s":"x,{\"y\":[]}","o":{"k":[1, 2]},"e":{}}"#;
        let indented = indent_json(text);
        assert_eq!(
            indented,
            "{\n  \"b\": 1.50,\n  \"a\": [],\n  \"s\": \"x,{\\\"y\\\":[]}\",\n  \"o\": {\n    \"k\": [\n      1,\n      2\n    ]\n  },\n  \"e\": {}\n}\n"
        );
        let again: serde_json::Value = serde_json::from_str(&indented).unwrap();
        assert_eq!(
            again,
            serde_json::from_str::<serde_json::Value>(text).unwrap()
        );
    }

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

    #[test]
    fn arguments_parse() {
        assert_eq!(
            parse_store_option("aws_region=eu-west-1").unwrap(),
            ("aws_region".to_owned(), "eu-west-1".to_owned())
        );
        assert!(parse_store_option("=x").is_err());
        assert!(parse_store_option("x").is_err());
        assert_eq!(
            parse_block_id("00000000-0000-43E8-BE3B-0000CAFE0000").unwrap(),
            Uuid::from_u128(0x43e8_be3b_0000_cafe_0000)
        );
        assert!(parse_block_id("cafe").is_err());
        assert!(parse_trace_id("xyz").is_err());
        assert!(parse_trace_id(&"1".repeat(33)).is_err());
    }
}
