//! `tempo-block-convert`: write OTLP traces as one Tempo block into a bucket.
//!
//! ```text
//! tempo-block-convert --path DIR_OR_URL --tenant TENANT [--store-option KEY=VALUE]...
//!                     [--block-id UUID] [--format auto|json|protobuf] [--no-tenant-index]
//!                     INPUT...
//! ```
//!
//! Every INPUT (a file, or `-` for stdin; gzip-compressed files are recognised by their first
//! bytes and decompressed) is read into one vParquet5 block, written the way Tempo writes
//! blocks (`data.parquet`, bloom shards, `index`, then `meta.json`) under
//! `<DIR_OR_URL>/<TENANT>/<block ID>/`. The tenant index (`index.json.gz`, `index.pb.zst`) is
//! then rebuilt from the bucket's listing, as Tempo's poller would, so Tempo's queriers see
//! the block at once (`--no-tenant-index` leaves it alone). The block's ID is `--block-id` or
//! a new random one; it is printed with the block's facts.
//!
//! Input formats (`--format auto` tells them apart by the first byte that is not white
//! space: `{` for JSON):
//!
//! * `json`: JSON lines. Each non-empty line is one OTLP/JSON `TracesData` or
//!   `ExportTraceServiceRequest` (`{"resourceSpans":[…]}`, the body of OTLP/HTTP's
//!   `POST /v1/traces`), or one line of Tempo's compatibility vectors,
//!   `{"traceID":"…","trace":{"resourceSpans":[…]}}`, whose `trace` is read. IDs are hex (or
//!   base64), int64 values strings or numbers, enums numbers or names.
//! * `protobuf`: the whole file is one protobuf `TracesData` or `ExportTraceServiceRequest`
//!   (the two are the same bytes).
//!
//! Spans are grouped into traces by trace ID wherever they appear in the input; the parts of
//! a trace are combined as Tempo combines them. Find the traces again with
//! `tempo-block-inspect --path DIR_OR_URL --tenant TENANT find TRACE_ID…`.
//!
//! This is a binary of its own rather than a `tempo-block-inspect` subcommand because it
//! writes: `tempo-block-inspect` only ever reads a bucket, and keeps a missing local folder an
//! error (where this creates it).
//!
//! Large inputs (1 MiB and more) show a progress bar on stderr when stderr is a terminal.
//! The whole block is built in memory before it is written.
//!
//! Exit status: 0 the block was written; 2 on any error (unreadable or malformed input, no
//! spans at all, a store that cannot be written), printed on stderr with the input's name and
//! line. On an input error nothing is written into the bucket (a missing local bucket folder
//! has been created, though: the store is opened first, so that a bad `--path` is found before
//! a long read). A closed output pipe only silences the output: the block is still written.

use std::collections::BTreeMap;
use std::io::{BufRead, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use examples::bucket::{self, Access};
use examples::cli::{self, Result, input, progress};
use otlp_model::Limits;
use otlp_model::proto::trace::TracesData;
use serde_json::value::RawValue;
use tempo_block::{BlockBuilder, BlockConfig};
use uuid::Uuid;

/// The program's name in messages.
const PROGRAM: &str = "tempo-block-convert";

/// The command line.
#[derive(Parser)]
#[command(
    version,
    about = "Write OTLP traces (JSON lines or protobuf) as a Tempo block"
)]
struct Cli {
    /// Where the blocks are, and whose.
    #[command(flatten)]
    bucket: bucket::BucketArgs,
    /// The new block's ID (default: a random UUID, as Tempo uses).
    #[arg(long, value_name = "UUID", value_parser = parse_block_id)]
    block_id: Option<Uuid>,
    /// The inputs' format.
    #[arg(long, value_enum, default_value_t = Format::Auto)]
    format: Format,
    /// Leave the tenant index alone (by default it is rebuilt to list the new block).
    #[arg(long)]
    no_tenant_index: bool,
    /// OTLP trace files (`-`: stdin), gzip-compressed or not.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
}

/// An input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// JSON when the first byte that is not white space is `{`, else protobuf.
    Auto,
    /// OTLP/JSON, one `TracesData` (or compat line `{"traceID":…,"trace":…}`) per line.
    Json,
    /// One protobuf `TracesData` or `ExportTraceServiceRequest`.
    Protobuf,
}

/// A block ID: a UUID in any of its spellings.
fn parse_block_id(text: &str) -> std::result::Result<Uuid, String> {
    Uuid::try_parse(text.trim()).map_err(|e| format!("not a block ID (a UUID): {e}"))
}

/// Counts of what was read.
#[derive(Debug, Default)]
struct Counts {
    /// Messages (lines, or protobuf files) read.
    messages: u64,
    /// Spans read.
    spans: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Cli::parse();
    cli::exit(PROGRAM, run(args).await)
}

/// Reads every input into a block, writes it and the tenant index, prints what was written.
async fn run(args: Cli) -> Result<bool> {
    tempo_block::backend::validate_tenant_id(&args.bucket.tenant)?;
    let store = args.bucket.open(Access::Write)?;
    let bar = progress::bytes(input::total_len(&args.inputs));
    let mut builder = BlockBuilder::new(BlockConfig::default());
    let mut counts = Counts::default();
    for path in &args.inputs {
        read_input(path, args.format, &bar, &mut builder, &mut counts)?;
    }
    if builder.trace_count() == 0 {
        return Err("the input holds no spans: no block written".into());
    }
    let block = args.block_id.unwrap_or_else(Uuid::new_v4);
    progress::step(&bar, "encoding the block");
    let written = builder.finish(&args.bucket.tenant, block)?;
    progress::step(&bar, "writing the block");
    written.upload(&store).await?;
    let index = if args.no_tenant_index {
        None
    } else {
        progress::step(&bar, "rebuilding the tenant index");
        Some(store.rebuild_tenant_index(&args.bucket.tenant).await?)
    };
    drop(bar);

    let meta = &written.meta;
    let mut out = cli::report();
    writeln!(
        out,
        "wrote block {block} of tenant {}: {} traces ({} spans from {} message(s)), {} bytes of \
         data.parquet in {} row group(s), {} bloom shard(s), {} .. {}",
        args.bucket.tenant,
        meta.total_objects,
        counts.spans,
        counts.messages,
        meta.size,
        meta.total_records,
        meta.bloom_shard_count(),
        meta.start_time.to_rfc3339(),
        meta.end_time.to_rfc3339(),
    )?;
    if let Some(index) = index {
        writeln!(
            out,
            "tenant index of {} rebuilt: {} live and {} compacted block(s)",
            args.bucket.tenant,
            index.metas.len(),
            index.compacted.len()
        )?;
    }
    out.flush()?;
    Ok(true)
}

/// Reads one input into `builder`, in the format given or detected.
fn read_input(
    path: &Path,
    format: Format,
    bar: &indicatif::ProgressBar,
    builder: &mut BlockBuilder,
    counts: &mut Counts,
) -> Result<()> {
    let mut reader = input::open(path, bar)?;
    let format = match format {
        Format::Auto => {
            let start = reader.fill_buf()?;
            match start.iter().find(|b| !b.is_ascii_whitespace()) {
                Some(b'{') | None => Format::Json,
                Some(_) => Format::Protobuf,
            }
        }
        given => given,
    };
    let name = path.display();
    if format == Format::Protobuf {
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes)?;
        let limits = Limits::new(bytes.len().max(Limits::DEFAULT_MAX_BYTES));
        let data = otlp_model::decode_traces_data(&bytes, &limits)
            .map_err(|e| format!("{name}: not an OTLP protobuf TracesData: {e}"))?;
        add(builder, counts, data).map_err(|e| format!("{name}: {e}"))?;
        return Ok(());
    }
    let mut line = Vec::new();
    let mut number = 0u64;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        number += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let data = json_line(&line).map_err(|e| format!("{name}: line {number}: {e}"))?;
        add(builder, counts, data).map_err(|e| format!("{name}: line {number}: {e}"))?;
    }
}

/// Adds one message's spans to the block.
fn add(builder: &mut BlockBuilder, counts: &mut Counts, data: TracesData) -> Result<()> {
    counts.messages += 1;
    counts.spans += data
        .resource_spans
        .iter()
        .flat_map(|rs| &rs.scope_spans)
        .map(|ss| ss.spans.len() as u64)
        .sum::<u64>();
    builder.push_traces(data)?;
    Ok(())
}

/// One JSON line: OTLP/JSON `TracesData`, or a compat line whose `trace` member is one.
fn json_line(line: &[u8]) -> Result<TracesData> {
    let members: BTreeMap<String, &RawValue> =
        serde_json::from_slice(line).map_err(|e| format!("not a JSON object ({e})"))?;
    let body = match members.get("trace") {
        Some(trace) if !members.contains_key("resourceSpans") => trace.get().as_bytes(),
        _ => line,
    };
    let limits = Limits::new(body.len().max(Limits::DEFAULT_MAX_BYTES));
    let request = otlp_model::json::decode_traces_json(body, &limits)?;
    Ok(TracesData {
        resource_spans: request.resource_spans,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

    use super::*;

    #[test]
    fn json_lines_of_either_shape_decode() {
        let otlp = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0000000000000000000000000000abcd","spanId":"00000000000000ef","name":"a"}]}]}]}"#;
        let wrapped = [
            &br#"{"traceID":"0000000000000000000000000000abcd","trace":"#[..],
            &otlp[..],
            b"}",
        ]
        .concat();
        for line in [&otlp[..], &wrapped] {
            let data = json_line(line).unwrap();
            assert_eq!(data.resource_spans[0].scope_spans[0].spans[0].name, "a");
        }
        assert!(json_line(b"[1]").is_err());
        assert!(json_line(b"{\"resourceSpans\":7}").is_err());
        assert!(parse_block_id("nope").is_err());
    }
}
