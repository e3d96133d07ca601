//! `loki-chunk-inspect`: print what is inside a Loki chunk.
//!
//! ```text
//! loki-chunk-inspect [--json] FILE [HEAD_FILE]
//! ```
//!
//! FILE is detected as a raw chunk (starts with Loki's magic), a stored chunk object (what Loki
//! writes to object storage; its key is checked when the path is a filesystem-store path), or,
//! with HEAD_FILE, a WAL-checkpoint pair. Without `--json` it prints the version, codec, and one
//! line per block (entries, time range, sizes, checksum status). With `--json` it prints one
//! JSON object with `chunk` facts and `entries` in the shape of the compatibility vectors'
//! `.json` files (plus `object` for stored objects), so the two can be diffed.
//!
//! Exit status: 0 clean; 1 readable, but some blocks were skipped as corrupt; 2 rejected (the
//! typed error is printed on stderr).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use base64::Engine as _;
use bytes::Bytes;
use clap::Parser;
use loki_chunk::storage::{KeySchema, ObjectKey, StoredChunk};
use loki_chunk::{Chunk, Entry, Query, format};
use serde_json::{Value, json};
use sha2::Digest as _;

#[derive(Parser)]
#[command(
    version,
    about = "Print what is inside a Loki chunk, stored object or checkpoint"
)]
struct Cli {
    /// Print one JSON object (chunk facts and entries) instead of a summary.
    #[arg(long)]
    json: bool,
    /// A raw chunk, a stored chunk object, or the chunk part of a checkpoint.
    file: PathBuf,
    /// The head-block part of a checkpoint.
    head_file: Option<PathBuf>,
}

/// What FILE turned out to be.
enum Input {
    Raw(Chunk),
    Checkpoint(Chunk),
    /// The decoded object, its chunk, and the key its bytes belong under.
    Stored(Box<StoredChunk>, Chunk, ObjectKey),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(skipped) if skipped => ExitCode::from(1),
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("loki-chunk-inspect: {}: {e}", cli.file.display());
            ExitCode::from(2)
        }
    }
}

fn read(path: &Path) -> Result<Bytes, String> {
    std::fs::read(path)
        .map(Bytes::from)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// The object key a filesystem-store path encodes, if it is one (`<tenant>/<fp>/<base64>` or a
/// single base64 file name).
fn crc32c_of(bytes: &[u8]) -> u32 {
    crc32c::crc32c(bytes)
}

fn key_from_path(path: &Path) -> Option<ObjectKey> {
    let parts: Vec<&str> = path
        .iter()
        .filter_map(|p| p.to_str())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .take(3)
        .collect();
    let candidates = [
        parts.iter().rev().copied().collect::<Vec<_>>().join("/"),
        parts.first().map(ToString::to_string).unwrap_or_default(),
    ];
    candidates
        .iter()
        .find_map(|c| ObjectKey::parse_fs_path(c).ok().map(|(key, _)| key))
}

fn open(cli: &Cli) -> Result<Input, Box<dyn std::error::Error>> {
    let data = read(&cli.file)?;
    if let Some(head_path) = &cli.head_file {
        let head = read(head_path)?;
        return Ok(Input::Checkpoint(Chunk::open_checkpoint(data, head)?));
    }
    if data.get(..4) == Some(&format::MAGIC.to_be_bytes()[..]) {
        return Ok(Input::Raw(Chunk::open(data)?));
    }
    let stored = match key_from_path(&cli.file) {
        Some(key) => StoredChunk::decode_with_key(&data, &key)?,
        None => StoredChunk::decode(&data)?,
    };
    let chunk = Chunk::open(stored.chunk.clone())?;
    let key = stored.metadata.key(crc32c_of(&data));
    Ok(Input::Stored(Box::new(stored), chunk, key))
}

fn run(cli: &Cli) -> Result<bool, Box<dyn std::error::Error>> {
    let input = open(cli)?;
    let (chunk, kind) = match &input {
        Input::Raw(c) => (c, "memchunk"),
        Input::Checkpoint(c) => (c, "checkpoint"),
        Input::Stored(_, c, _) => (c, "storage_chunk"),
    };
    let entries = chunk.entries(Query::all())?;
    let skipped = !chunk.skipped_blocks().is_empty();
    if cli.json {
        let mut doc = json!({
            "kind": kind,
            "file": cli.file.file_name().map(|f| f.to_string_lossy().into_owned()),
            "chunk": chunk_facts(chunk),
            "entries": entries.iter().map(entry_json).collect::<Vec<_>>(),
        });
        if let Input::Stored(stored, _, key) = &input {
            doc["object"] = object_json(stored, key);
        }
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        print_summary(&input, chunk, entries.len());
    }
    Ok(skipped)
}

fn chunk_facts(chunk: &Chunk) -> Value {
    let (min, max) = chunk.bounds().unwrap_or((0, 0));
    let mut facts = json!({
        "format_version": chunk.version(),
        "encoding": chunk.codec().name(),
        "size_bytes": chunk.bytes().len(),
        "sha256": hex::encode(sha2::Sha256::digest(chunk.bytes())),
        "block_count": chunk.blocks().len(),
        "entry_count": chunk.entry_count(),
        "min_ts_ns": min.to_string(),
        "max_ts_ns": max.to_string(),
        "uncompressed_size": chunk.uncompressed_size(),
        "blocks": chunk.blocks().iter().map(|b| json!({
            "entries": b.entries,
            "min_ts_ns": b.min_ts.to_string(),
            "max_ts_ns": b.max_ts.to_string(),
            "offset": b.offset,
            "uncompressed_size": b.uncompressed_size,
            "compressed_len": b.compressed_len,
        })).collect::<Vec<_>>(),
        "skipped_blocks": chunk.skipped_blocks().iter().map(|s| json!({
            "index": s.index,
            "entries": s.meta.entries,
            "offset": s.meta.offset,
            "error": s.error.to_string(),
        })).collect::<Vec<_>>(),
    });
    if chunk.version() > 1 {
        facts["encoding_byte"] = json!(chunk.codec().id());
    }
    if let Some(head) = chunk.head_format() {
        facts["head_block_format"] = json!(head);
    }
    if chunk.version() >= 4 {
        facts["symbol_table"] = json!(chunk.symbols().symbols());
    }
    facts
}

fn entry_json(e: &Entry) -> Value {
    let mut v = json!({
        "ts_ns": e.ts.to_string(),
        "line": String::from_utf8_lossy(&e.line),
        "structured_metadata": e.structured_metadata.iter()
            .map(|(n, v)| json!({"name": n, "value": v}))
            .collect::<Vec<_>>(),
    });
    if std::str::from_utf8(&e.line).is_err() {
        // The line is not UTF-8: `line` is a lossy rendering; this is the exact bytes.
        v["line_base64"] = json!(base64::engine::general_purpose::STANDARD.encode(&e.line));
    }
    v
}

fn object_json(stored: &StoredChunk, key: &ObjectKey) -> Value {
    let meta = &stored.metadata;
    json!({
        "tenant": meta.tenant,
        "fingerprint_hex": format!("{:x}", meta.fingerprint),
        "from_ms": meta.from_ms,
        "through_ms": meta.through_ms,
        "metric_labels": meta.metric.iter().map(|(n, v)| (n.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
        "stream_labels_string": meta.stream_labels().to_string(),
        "checksum_hex": format!("{:x}", key.checksum),
        "object_key": key.to_key(KeySchema::V12),
        "filesystem_path": key.to_fs_path(KeySchema::V12),
        "metadata_json": meta.to_json(),
    })
}

fn print_summary(input: &Input, chunk: &Chunk, entries: usize) {
    if let Input::Stored(stored, _, key) = input {
        let meta = &stored.metadata;
        println!("stored object: key {}", key.to_key(KeySchema::V12));
        println!(
            "  tenant {} stream {} fingerprint {:x} from {} through {} (ms)",
            meta.tenant,
            meta.stream_labels(),
            meta.fingerprint,
            meta.from_ms,
            meta.through_ms
        );
    }
    println!(
        "chunk: format V{} codec {} {} bytes, {} blocks, {} entries, uncompressed size {}",
        chunk.version(),
        chunk.codec(),
        chunk.bytes().len(),
        chunk.blocks().len() + chunk.skipped_blocks().len(),
        entries,
        chunk.uncompressed_size()
    );
    if chunk.version() >= 4 {
        println!("symbols: {}", chunk.symbols().len());
    }
    if let Some(head) = chunk.head_format() {
        println!(
            "head block: format {head}, {} entries",
            chunk.head_entries()
        );
    }
    let mut rows: Vec<(u64, String)> = chunk
        .blocks()
        .iter()
        .map(|b| {
            (
                b.offset,
                format!(
                    "{:>6} entries  {}..={}  offset {:>8}  compressed {:>8}  uncompressed {:>8}  crc ok",
                    b.entries, b.min_ts, b.max_ts, b.offset, b.compressed_len, b.uncompressed_size
                ),
            )
        })
        .collect();
    rows.extend(chunk.skipped_blocks().iter().map(|s| {
        (
            s.meta.offset,
            format!(
                "{:>6} entries  {}..={}  offset {:>8}  compressed {:>8}  SKIPPED: {}",
                s.meta.entries,
                s.meta.min_ts,
                s.meta.max_ts,
                s.meta.offset,
                s.meta.compressed_len,
                s.error
            ),
        )
    }));
    rows.sort_by_key(|(offset, _)| *offset);
    for (i, (_, row)) in rows.iter().enumerate() {
        println!("block {i:>3}: {row}");
    }
}
