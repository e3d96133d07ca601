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
//! variables (`AWS_*`, `GOOGLE_*`, `AZURE_*`); `--store-option` overrides them. Blocks are
//! written into a bucket by `tempo-block-convert`.
//!
//! `list-blocks` also checks that each block's `data.parquet` is the size its meta records
//! (a copy cut short is the commonest broken block): a block that is not says so in its
//! STATE column and on stderr, and the exit status is 1.
//!
//! `find` prints `{"trace":<OTLP/JSON TracesData>,"traceID":"<32 hex digits>"}` for each ID
//! found, the line format of Tempo's compatibility vectors (`readback-traces.otlp.jsonl`). It
//! looks in every live block, bloom filter first and the Parquet file only when the bloom
//! filter may hold the ID (a block of which many traces are asked for is read once, row by
//! row, instead of once per ID), and combines the parts found in several blocks with Tempo's trace
//! combiner, in block ID order. IDs are 1 to 32 hex digits, left-padded with zeros; an ID
//! given twice is printed once.
//!
//! `verify` reads every row and checks that trace IDs are strictly ascending, that the rows
//! and row groups number `totalObjects` and `totalRecords` of meta.json, and that the bloom
//! filter holds every ID (no false negatives). A block that cannot be read (a truncated
//! `data.parquet` among them: "data.parquet of block … is N bytes, meta.json says M") is
//! reported and the other blocks are still verified.
//!
//! A tenant without blocks is reported with the tenants the bucket does hold. While `find`
//! and `verify` work, a progress bar is drawn on stderr when stderr is a terminal.
//!
//! Exit status: 0 success; 1 when `list-blocks` found a block whose data file is not the size
//! its meta says, `find` did not find an ID or `verify` found a block failing a check; 2 on
//! any error (bad argument, unreadable bucket or block, corrupt block), printed on stderr. A
//! closed output pipe (`… find … | head -1`) ends the program quietly with status 0.

mod find;
mod list;
mod show;
mod verify;

use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use examples::bucket::{self, Access};
use examples::cli::{self, Result};
use otlp_model::TraceId;
use tempo_block::backend::{COMPACTED_META_NAME, META_NAME};
use tempo_block::reader::StoredBlock;
use tempo_block::{BlockMeta, BlockReader, BlockStore, CompactedBlockMeta};
use uuid::Uuid;

/// The program's name in messages.
const PROGRAM: &str = "tempo-block-inspect";

/// The command line: where the blocks are, whose, and what to do.
#[derive(Parser)]
#[command(
    version,
    about = "List, read and check the Tempo blocks of a tenant in a folder or bucket"
)]
struct Cli {
    /// Where the blocks are, and whose.
    #[command(flatten)]
    bucket: bucket::BucketArgs,
    #[command(subcommand)]
    command: Command,
}

/// What to do with the tenant's blocks.
#[derive(Subcommand)]
enum Command {
    /// One line per block, live and compacted: ID, format, time range, traces, size, row
    /// groups, bloom shards, compaction level and state (with a data file whose size is not
    /// the meta's flagged).
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

/// The tenant of a bucket the command works on.
struct Target {
    /// The bucket.
    store: BlockStore,
    /// The bucket as given (`--path`), for messages.
    path: String,
    /// The tenant (`--tenant`).
    tenant: String,
}

impl Target {
    /// What to say when the tenant has no (`live`) blocks: the tenants the bucket holds.
    async fn no_blocks(&self, live: bool) -> String {
        bucket::no_blocks(&self.store, &self.path, &self.tenant, live).await
    }
}

/// How many blocks are read at once (metas, bloom shards, footers): requests to an object
/// store overlap; decoding stays on one thread.
const CONCURRENCY: usize = 8;

/// Parses the command line, runs the command on a tokio runtime and maps its outcome to the
/// exit status.
#[tokio::main]
async fn main() -> ExitCode {
    let args = Cli::parse();
    cli::exit(PROGRAM, run(args).await)
}

/// Runs the command: `Ok(true)` exits 0, `Ok(false)` exits 1 (an ID not found, a check
/// failed), `Err` exits 2.
async fn run(args: Cli) -> Result<bool> {
    let target = Target {
        store: args.bucket.open(Access::Read)?,
        path: args.bucket.path,
        tenant: args.bucket.tenant,
    };
    match args.command {
        Command::ListBlocks { json } => list::list_blocks(&target, json).await,
        Command::Find { ids } => find::find(&target, &ids).await,
        Command::Meta { block, pretty } => show::meta(&target, block, pretty).await,
        Command::Schema { block } => show::schema(&target, block).await,
        Command::Verify { block } => verify::verify(&target, block).await,
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
async fn read_meta(target: &Target, block: Uuid) -> Result<StoredMeta> {
    let (store, tenant) = (&target.store, target.tenant.as_str());
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

/// `error`'s message, prefixed with `block <ID>: ` unless it names the block already (most
/// of the library's errors do).
fn in_block(block: Uuid, error: &dyn std::fmt::Display) -> String {
    let message = error.to_string();
    if message.contains(&block.to_string()) {
        message
    } else {
        format!("block {block}: {message}")
    }
}

/// Opens the block `meta` describes, reading its objects from the target's store.
async fn open_reader(target: &Target, meta: BlockMeta) -> Result<BlockReader> {
    let objects = Arc::new(StoredBlock::new(
        target.store.clone(),
        target.tenant.as_str(),
        meta.block_id,
    ));
    Ok(BlockReader::open(meta, objects).await?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

    use super::*;

    #[test]
    fn arguments_parse() {
        assert_eq!(
            parse_block_id("00000000-0000-43E8-BE3B-0000CAFE0000").unwrap(),
            Uuid::from_u128(0x43e8_be3b_0000_cafe_0000)
        );
        assert!(parse_block_id("cafe").is_err());
        assert!(parse_trace_id("xyz").is_err());
        assert!(parse_trace_id(&"1".repeat(33)).is_err());
    }
}
