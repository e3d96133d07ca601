//! `loki-chunk-convert`: write log lines as Loki chunks, stored the way Loki's filesystem
//! object store stores them.
//!
//! ```text
//! loki-chunk-convert --out DIR [--tenant fake] [--labels '{job="app"}'] [--format text|json]
//!                    [--start TIME] [--codec gzip] [--schema v13] [--block-size BYTES]
//!                    [--target-size BYTES] [--max-chunk-age 2h] INPUT...
//! ```
//!
//! Every INPUT (a file, or `-` for stdin; gzip-compressed files are recognised by their first
//! bytes and decompressed) is read in order. Entries are grouped into streams by their
//! labels; each stream's entries go into chunks cut as Loki's ingester cuts them (a chunk is
//! closed when the next entry would take it past `--target-size` compressed bytes, or past
//! `--max-chunk-age` between its oldest and newest entry). Each chunk is wrapped as Loki
//! wraps it for object storage and written to `DIR/<tenant>/<fingerprint>/<base64 of
//! from:through:checksum>` (schema v12 and later; for v11, `DIR/<base64 of the whole key>`),
//! so DIR can serve as a Loki filesystem store's chunk folder. One line per chunk written is
//! printed (its path below DIR, stream, entries, time range), then a summary.
//!
//! Input formats:
//!
//! * `text` (the default): every line of the input is one log line (without its line end),
//!   of the stream `--labels`.
//! * `json`: JSON lines, one entry each:
//!   `{"line":"…", "ts":"2024-03-10T12:00:00.5Z", "labels":"{app=\"x\"}",
//!   "structured_metadata":{"trace_id":"abc"}}`. Only `line` is required. `ts` is an RFC 3339
//!   time or nanoseconds since the epoch (a number or a string of digits); `labels` a
//!   selector like `--labels` or an object of names and values, `--labels` when missing;
//!   `structured_metadata` an object of names and string values (kept in V4 chunks, i.e.
//!   schema v13 and later; earlier formats drop it, as Loki does).
//!
//! An entry without a time gets `--start` (default: now) plus its position in the input in
//! nanoseconds: the first line is at `--start`, the next 1 ns later, so the input's order is
//! the entries' order. Entries may come in any time order (Loki's unordered writes); an entry
//! identical to one already in its chunk's head block is dropped, as Loki drops it.
//!
//! The chunk format follows the schema, as in Loki: V4 for v13 and later, V3 before; the
//! codec is Loki's `chunk_encoding` (default gzip, as Loki's). Read the result back with
//! `loki-chunk-inspect DIR` (add `--lines` for the entries).
//!
//! Large inputs (1 MiB and more) show a progress bar on stderr when stderr is a terminal.
//!
//! Exit status: 0 every entry was written (duplicates dropped are reported, not an error); 2
//! on any error (unreadable or malformed input, with its line; bad labels; a folder that
//! cannot be written). Chunks closed before an input error stay written. A closed output pipe
//! (`loki-chunk-convert … | head -1`) only stops the output: the conversion is finished.

use std::collections::HashMap;
use std::io::{BufRead, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use examples::cli::{self, Result, input, progress, time};
use loki_chunk::format::{DEFAULT_BLOCK_SIZE, DEFAULT_TARGET_SIZE, V4};
use loki_chunk::storage::{
    ChunkMetadata, KeySchema, encode_object, from_ms_for_ns, through_ms_for_ns, validate_tenant,
};
use loki_chunk::{Appended, ChunkWriter, Codec, LabelSet, WriterOptions};
use serde_json::Value;

/// The program's name in messages.
const PROGRAM: &str = "loki-chunk-convert";

/// The command line.
#[derive(Parser)]
#[command(
    version,
    about = "Write log lines as Loki chunks in a filesystem object store's layout"
)]
struct Cli {
    /// The folder to write the chunk objects into (a Loki filesystem store's chunk folder);
    /// created when missing.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// The tenant (`fake` is Loki's when auth is off).
    #[arg(long, default_value = "fake")]
    tenant: String,
    /// The stream of lines that name none: a selector such as `{job="app", env="prod"}`.
    #[arg(long, value_name = "SELECTOR", value_parser = parse_labels)]
    labels: Option<LabelSet>,
    /// The inputs' format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// The time of the first entry without one (RFC 3339 or ns since the epoch; default:
    /// now).
    #[arg(long, value_name = "TIME", value_parser = time::parse_ns)]
    start: Option<i64>,
    /// The block codec (Loki's `chunk_encoding`): none, gzip, lz4-64k, snappy, lz4-256k,
    /// lz4-1M, lz4 (4M blocks), flate, zstd.
    #[arg(long, default_value = "gzip")]
    codec: Codec,
    /// The schema (`v11` … `v13`): its key layout, and its chunk format (V4 from v13, V3
    /// before).
    #[arg(long, default_value = "v13", value_parser = parse_schema)]
    schema: u32,
    /// Uncompressed bytes after which a block is cut (Loki's `chunk_block_size`).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_BLOCK_SIZE)]
    block_size: usize,
    /// Compressed bytes a chunk is kept below (Loki's `chunk_target_size`).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_TARGET_SIZE)]
    target_size: usize,
    /// Longest time between a chunk's oldest and newest entry (Loki's `max_chunk_age`):
    /// a number with `s`, `m` or `h`.
    #[arg(long, value_name = "DURATION", default_value = "2h", value_parser = parse_duration_ns)]
    max_chunk_age: i64,
    /// Log files (`-`: stdin), gzip-compressed or not.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
}

/// An input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// One log line per input line.
    Text,
    /// One JSON object per line: `line`, and optionally `ts`, `labels`,
    /// `structured_metadata`.
    Json,
}

/// A stream selector with at least one label.
fn parse_labels(text: &str) -> std::result::Result<LabelSet, String> {
    let labels = LabelSet::parse(text).map_err(|e| e.to_string())?;
    if labels.is_empty() {
        return Err("a stream needs at least one label".into());
    }
    Ok(labels)
}

/// A schema name, `v` and its number.
fn parse_schema(text: &str) -> std::result::Result<u32, String> {
    text.strip_prefix('v')
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|n| (9..=99).contains(n))
        .ok_or_else(|| format!("{text:?} is not a schema name such as v11, v12 or v13"))
}

/// `90s`, `30m`, `2h` (or a bare number of seconds) in nanoseconds.
fn parse_duration_ns(text: &str) -> std::result::Result<i64, String> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => text.split_at(at),
        None => (text, "s"),
    };
    let seconds: i64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => return Err(format!("{text:?}: the unit is s, m or h")),
    };
    number
        .parse::<i64>()
        .ok()
        .and_then(|n| n.checked_mul(seconds)?.checked_mul(1_000_000_000))
        .filter(|&ns| ns > 0)
        .ok_or_else(|| format!("{text:?} is not a positive duration such as 90s, 30m or 2h"))
}

/// One entry read from the input.
struct Entry {
    /// Its stream.
    labels: LabelSet,
    /// Its time, ns.
    ts: i64,
    /// The line's bytes.
    line: Vec<u8>,
    /// Structured metadata.
    metadata: Vec<(String, String)>,
}

/// The chunk being filled for one stream.
struct Open {
    /// The writer.
    writer: ChunkWriter,
    /// Oldest and newest entry in it (ns).
    bounds: Option<(i64, i64)>,
    /// Entries in it.
    entries: u64,
}

/// Where and how chunks are written, and what has been.
struct Sink {
    /// The folder.
    out: PathBuf,
    /// The tenant.
    tenant: String,
    /// The key layout.
    schema: KeySchema,
    /// The chunk format's writer options.
    options: WriterOptions,
    /// The longest chunk (ns between oldest and newest entry).
    max_age: i64,
    /// The open chunk of each stream, by label set.
    streams: HashMap<LabelSet, Open>,
    /// The progress bar, suspended while a chunk's line is printed.
    bar: indicatif::ProgressBar,
    /// Chunks written.
    chunks: u64,
    /// Entries stored.
    entries: u64,
    /// Entries dropped as duplicates.
    duplicates: u64,
    /// Streams seen.
    stream_count: usize,
    /// Whether the user was told that structured metadata is dropped (before V4).
    told_metadata_dropped: bool,
}

impl Sink {
    /// Adds an entry to its stream's chunk, writing out the chunk first when the entry does
    /// not fit in it.
    fn add(&mut self, out: &mut impl std::io::Write, entry: &Entry) -> Result<()> {
        let metadata: Vec<(&str, &str)> = entry
            .metadata
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        if !metadata.is_empty() && self.options.version < V4 && !self.told_metadata_dropped {
            self.told_metadata_dropped = true;
            self.bar.suspend(|| {
                cli::warn(
                    PROGRAM,
                    "structured metadata is dropped: schemas before v13 write V3 chunks, which \
                     cannot hold it",
                );
            });
        }
        if !self.streams.contains_key(&entry.labels) {
            self.stream_count += 1;
            let writer = ChunkWriter::new(self.options)?;
            self.streams.insert(
                entry.labels.clone(),
                Open {
                    writer,
                    bounds: None,
                    entries: 0,
                },
            );
        }
        let full = self.streams.get(&entry.labels).is_some_and(|open| {
            let too_old = open.bounds.is_some_and(|(min, max)| {
                max.max(entry.ts).saturating_sub(min.min(entry.ts)) > self.max_age
            });
            open.entries > 0 && (too_old || !open.writer.space_for(entry.line.len(), &metadata))
        });
        if full {
            self.flush(out, &entry.labels)?;
        }
        let Some(open) = self.streams.get_mut(&entry.labels) else {
            return Err("internal error: the stream's chunk is gone".into());
        };
        match open.writer.append(entry.ts, &entry.line, &metadata)? {
            Appended::Stored => {
                open.entries += 1;
                self.entries += 1;
                open.bounds = Some(open.bounds.map_or((entry.ts, entry.ts), |(min, max)| {
                    (min.min(entry.ts), max.max(entry.ts))
                }));
            }
            Appended::Duplicate => self.duplicates += 1,
        }
        Ok(())
    }

    /// Closes the open chunk of `labels`, if it has entries, and writes it as a stored object
    /// at its filesystem-store path; prints a line about it.
    fn flush(&mut self, out: &mut impl std::io::Write, labels: &LabelSet) -> Result<()> {
        let Some(open) = self.streams.get_mut(labels) else {
            return Ok(());
        };
        let Some((min, max)) = open.bounds else {
            return Ok(());
        };
        let writer = std::mem::replace(&mut open.writer, ChunkWriter::new(self.options)?);
        let entries = std::mem::take(&mut open.entries);
        open.bounds = None;
        let chunk = writer.finish()?;
        let meta = ChunkMetadata::new(
            self.tenant.as_str(),
            labels,
            from_ms_for_ns(min),
            through_ms_for_ns(max),
        );
        let object = encode_object(&meta, &chunk)?;
        let relative = object.key.to_fs_path(self.schema);
        let path = self.out.join(&relative);
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder)
                .map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
        }
        std::fs::write(&path, &object.bytes)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        self.chunks += 1;
        self.bar.suspend(|| {
            writeln!(
                out,
                "{relative}  {labels}  {entries} entries  {} .. {}",
                time::format_ns(min),
                time::format_ns(max)
            )?;
            out.flush()
        })?;
        Ok(())
    }

    /// Closes every open chunk, in the order of the streams' labels.
    fn finish(&mut self, out: &mut impl std::io::Write) -> Result<()> {
        let mut streams: Vec<LabelSet> = self.streams.keys().cloned().collect();
        streams.sort_by_cached_key(LabelSet::to_string);
        for labels in &streams {
            self.flush(out, labels)?;
        }
        Ok(())
    }
}

fn main() -> ExitCode {
    let args = Cli::parse();
    cli::exit(PROGRAM, run(&args))
}

/// Reads every input into chunks and writes them.
fn run(args: &Cli) -> Result<bool> {
    validate_tenant(&args.tenant)?;
    let schema = KeySchema::for_schema_version(args.schema);
    let options = if args.schema >= 13 {
        WriterOptions::v4(args.codec)
    } else {
        WriterOptions::v3(args.codec)
    }
    .block_size(args.block_size)
    .target_size(args.target_size);
    drop(ChunkWriter::new(options)?); // bad sizes are refused before anything is read
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    let bar = progress::bytes(input::total_len(&args.inputs));
    let mut sink = Sink {
        out: args.out.clone(),
        tenant: args.tenant.clone(),
        schema,
        options,
        max_age: args.max_chunk_age,
        streams: HashMap::new(),
        bar: bar.clone(),
        chunks: 0,
        entries: 0,
        duplicates: 0,
        stream_count: 0,
        told_metadata_dropped: false,
    };
    let start = args.start.unwrap_or_else(time::now_ns);
    let mut out = cli::report();
    let mut position = 0i64;
    for path in &args.inputs {
        let mut reader = input::open(path, &bar)?;
        let mut line = Vec::new();
        let mut number = 0u64;
        loop {
            line.clear();
            if reader.read_until(b'\n', &mut line)? == 0 {
                break;
            }
            number += 1;
            let at = || format!("{}: line {number}", path.display());
            let default_ts = start.saturating_add(position);
            let entry = match args.format {
                Format::Text => text_entry(&line, args.labels.as_ref(), default_ts),
                Format::Json => json_entry(&line, args.labels.as_ref(), default_ts),
            }
            .map_err(|e| cli::with_context(e, at()))?;
            let Some(entry) = entry else { continue };
            position += 1;
            sink.add(&mut out, &entry)
                .map_err(|e| cli::with_context(e, at()))?;
        }
    }
    sink.finish(&mut out)?;
    drop(bar);
    writeln!(
        out,
        "wrote {} chunk(s) of {} stream(s) of tenant {} under {}: {} entries{}",
        sink.chunks,
        sink.stream_count,
        args.tenant,
        args.out.display(),
        sink.entries,
        match sink.duplicates {
            0 => String::new(),
            n => format!(" ({n} duplicate(s) dropped)"),
        }
    )?;
    out.flush()?;
    Ok(true)
}

/// A text line without its line end.
fn strip_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// A `text` input line: the line itself, of stream `labels`, at `ts`.
fn text_entry(line: &[u8], labels: Option<&LabelSet>, ts: i64) -> Result<Option<Entry>> {
    let labels = labels.ok_or("text input needs --labels (the stream its lines belong to)")?;
    Ok(Some(Entry {
        labels: labels.clone(),
        ts,
        line: strip_line_end(line).to_vec(),
        metadata: Vec::new(),
    }))
}

/// A `json` input line (`None` for a blank one); `labels` and `ts` are used where it has
/// none.
fn json_entry(line: &[u8], labels: Option<&LabelSet>, ts: i64) -> Result<Option<Entry>> {
    if line.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let doc: Value = serde_json::from_slice(line).map_err(|e| format!("not JSON ({e})"))?;
    let Value::Object(fields) = doc else {
        return Err("not a JSON object".into());
    };
    let text = fields
        .get("line")
        .and_then(Value::as_str)
        .ok_or("no \"line\" string")?;
    let ts = match fields.get("ts") {
        None | Some(Value::Null) => ts,
        Some(Value::Number(n)) => n.as_i64().ok_or("\"ts\" is not an integer of ns")?,
        Some(Value::String(s)) => time::parse_ns(s)?,
        Some(_) => return Err("\"ts\" is neither a time nor a number".into()),
    };
    let labels = match fields.get("labels") {
        None | Some(Value::Null) => labels
            .cloned()
            .ok_or("no \"labels\", and no --labels to use instead")?,
        Some(Value::String(s)) => parse_labels(s)?,
        Some(Value::Object(pairs)) => {
            let pairs = pairs
                .iter()
                .map(|(n, v)| v.as_str().map(|v| (n.as_str(), v)))
                .collect::<Option<Vec<_>>>()
                .ok_or("a \"labels\" value is not a string")?;
            let labels = LabelSet::from_pairs(pairs)?;
            if labels.is_empty() {
                return Err("\"labels\" is empty: a stream needs at least one label".into());
            }
            labels
        }
        Some(_) => return Err("\"labels\" is neither a selector nor an object".into()),
    };
    let metadata = match fields.get("structured_metadata") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(pairs)) => pairs
            .iter()
            .map(|(n, v)| v.as_str().map(|v| (n.clone(), v.to_owned())))
            .collect::<Option<Vec<_>>>()
            .ok_or("a \"structured_metadata\" value is not a string")?,
        Some(_) => return Err("\"structured_metadata\" is not an object".into()),
    };
    Ok(Some(Entry {
        labels,
        ts,
        line: text.as_bytes().to_vec(),
        metadata,
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

    use super::*;

    #[test]
    fn arguments_parse() {
        assert_eq!(parse_duration_ns("2h"), Ok(7_200_000_000_000));
        assert_eq!(parse_duration_ns("90"), Ok(90_000_000_000));
        assert!(parse_duration_ns("0s").is_err());
        assert!(parse_duration_ns("5d").is_err());
        assert!(parse_duration_ns("h").is_err());
        assert_eq!(parse_schema("v13"), Ok(13));
        assert!(parse_schema("13").is_err());
        assert!(parse_labels("{}").is_err());
        assert!(parse_labels("{a=\"b\"}").is_ok());
    }

    #[test]
    fn json_lines_give_entries() {
        let default: LabelSet = "{job=\"d\"}".parse().unwrap();
        let e = json_entry(
            br#"{"line":"x","ts":"2024-03-10T12:00:00Z","labels":{"app":"a"},"structured_metadata":{"k":"v"}}"#,
            None,
            5,
        )
        .unwrap()
        .unwrap();
        assert_eq!(e.ts, 1_710_072_000_000_000_000);
        assert_eq!(e.labels.to_string(), "{app=\"a\"}");
        assert_eq!(e.metadata, [("k".to_owned(), "v".to_owned())]);
        let e = json_entry(br#"{"line":"y","ts":42}"#, Some(&default), 5)
            .unwrap()
            .unwrap();
        assert_eq!((e.ts, e.labels), (42, default.clone()));
        let e = json_entry(br#"{"line":"z","labels":"{a=\"b\"}"}"#, None, 5)
            .unwrap()
            .unwrap();
        assert_eq!(e.ts, 5);
        assert!(json_entry(b"  \n", None, 5).unwrap().is_none());
        for bad in [
            &br#"{"ts":1}"#[..],
            br#"{"line":"x"}"#,
            br#"{"line":"x","labels":{"a":1}}"#,
            br#"{"line":"x","labels":"{1=\"b\"}"}"#,
            br#"{"line":"x","labels":"{a=\"b\"}","ts":"soon"}"#,
            b"[1]",
            b"{",
        ] {
            assert!(
                json_entry(bad, None, 5).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(strip_line_end(b"a\r\n"), b"a");
        assert!(text_entry(b"x\n", None, 1).is_err());
    }
}
