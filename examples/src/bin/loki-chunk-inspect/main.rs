//! `loki-chunk-inspect`: print what is inside a Loki chunk, or list a folder of them.
//!
//! ```text
//! loki-chunk-inspect [--json | --lines] FILE [HEAD_FILE]
//! loki-chunk-inspect [--json | --lines] FOLDER
//! ```
//!
//! FILE is detected as a raw chunk (starts with Loki's magic), a stored chunk object (what Loki
//! writes to object storage; its key is checked when the path is a filesystem-store path), or,
//! with HEAD_FILE, a WAL-checkpoint pair. Without options it prints the version, codec, time
//! range and one line per block (entries, time range in ns, sizes, checksum status). With
//! `--json` it prints one JSON object with `chunk` facts and `entries` in the shape of the
//! compatibility vectors' `.json` files (plus `object` for stored objects), so the two can be
//! diffed. With `--lines` it prints the entries as text, one per line:
//!
//! ```text
//! 2024-03-10T12:00:00.000000123Z {app="x", env="prod"} {trace_id="4bf92f35"} the log line
//! ```
//!
//! the time in RFC 3339 (UTC, nanoseconds), the stream's labels (stored objects only), the
//! entry's structured metadata (when it has any), then the line's bytes as stored.
//!
//! FOLDER is a filesystem object store's chunk folder (Loki's `storage_config.filesystem.
//! directory`), or any folder below it: every file under it is looked at. Stored objects are
//! listed by tenant and stream (labels, fingerprint), each chunk with its time range, format,
//! codec, entries and size; raw chunks are listed after them; other files are skipped (and
//! counted on stderr). An object at a path that is an object key (`<tenant>/<fingerprint>/
//! <base64 of from:through:checksum>`, or the base64 of a whole v11 key) is checked against
//! it. `--json` prints one JSON line per chunk instead, `--lines` every chunk's entries.
//!
//! Errors say what the file is when it is not what was expected: a WAL-checkpoint chunk given
//! without its head file, a file that is neither a chunk nor a stored object, a chunk cut
//! short (by how many bytes, when its trailer is found).
//!
//! Exit status: 0 clean; 1 readable, but some blocks were skipped as corrupt (or, for a
//! folder, some files could not be read); 2 rejected (the reason is printed on stderr). A
//! closed output pipe (`loki-chunk-inspect --json FILE | head -1`) ends the program quietly
//! with status 0.

mod folder;
mod print;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bytes::Bytes;
use clap::Parser;
use examples::cli::{self, Result};
use loki_chunk::format::{self, HEAD_UNORDERED, HEAD_UNORDERED_WITH_METADATA, V4};
use loki_chunk::storage::{ObjectKey, StoredChunk};
use loki_chunk::{Chunk, ChunkError, LabelSet, Section};

/// The program's name in messages.
const PROGRAM: &str = "loki-chunk-inspect";

#[derive(Parser)]
#[command(
    version,
    about = "Print what is inside a Loki chunk, stored object or checkpoint, or list a folder of stored chunks"
)]
struct Cli {
    /// Print one JSON object (chunk facts and entries) instead of a summary; for a folder,
    /// one JSON line per chunk.
    #[arg(long, conflicts_with = "lines")]
    json: bool,
    /// Print the entries as text, one per line: time (RFC 3339, UTC, ns), stream labels
    /// (stored objects), structured metadata (when there is any) and the line.
    #[arg(long)]
    lines: bool,
    /// A raw chunk, a stored chunk object, the chunk part of a checkpoint, or a folder of
    /// stored chunks (a filesystem object store's layout).
    #[arg(value_name = "FILE_OR_FOLDER")]
    file: PathBuf,
    /// The head-block part of a checkpoint.
    head_file: Option<PathBuf>,
}

/// What to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Facts and one line per block (per chunk, for a folder).
    Summary,
    /// JSON in the compatibility vectors' shape (one line per chunk, for a folder).
    Json,
    /// The entries as text.
    Lines,
}

/// What FILE turned out to be.
enum Input {
    /// A chunk on its own.
    Raw(Chunk),
    /// A WAL checkpoint's chunk and head.
    Checkpoint(Chunk),
    /// The decoded object, its chunk, and the key its bytes belong under.
    Stored(Box<StoredChunk>, Chunk, ObjectKey),
}

impl Input {
    /// The chunk, whatever it came in.
    fn chunk(&self) -> &Chunk {
        match self {
            Input::Raw(c) | Input::Checkpoint(c) | Input::Stored(_, c, _) => c,
        }
    }

    /// The `kind` of the compatibility vectors' JSON.
    fn kind(&self) -> &'static str {
        match self {
            Input::Raw(_) => "memchunk",
            Input::Checkpoint(_) => "checkpoint",
            Input::Stored(..) => "storage_chunk",
        }
    }

    /// The stream's labels, when the input says (stored objects).
    fn labels(&self) -> Option<LabelSet> {
        match self {
            Input::Stored(stored, ..) => Some(stored.metadata.stream_labels()),
            Input::Raw(_) | Input::Checkpoint(_) => None,
        }
    }
}

fn main() -> ExitCode {
    let args = Cli::parse();
    let result = run(&args).map_err(|e| cli::with_context(e, args.file.display()));
    cli::exit(PROGRAM, result)
}

/// Runs the command: `Ok(true)` clean, `Ok(false)` something was skipped.
fn run(args: &Cli) -> Result<bool> {
    let mode = match (args.json, args.lines) {
        (true, _) => Mode::Json,
        (_, true) => Mode::Lines,
        _ => Mode::Summary,
    };
    if args.file.is_dir() {
        if args.head_file.is_some() {
            return Err("a folder is listed on its own: leave out HEAD_FILE".into());
        }
        return folder::run(&args.file, mode);
    }
    let input = open(&args.file, args.head_file.as_deref())?;
    let mut out = cli::stdout();
    let clean = print::input(&mut out, &args.file, &input, mode)?;
    std::io::Write::flush(&mut out)?;
    Ok(clean)
}

/// The whole file.
fn read(path: &Path) -> Result<Bytes> {
    std::fs::read(path)
        .map(Bytes::from)
        .map_err(|e| format!("cannot read {}: {e}", path.display()).into())
}

/// The object keys a path may encode: each of its last 1 to 8 components, joined with `/`,
/// read as a filesystem-store name (`<tenant>/<fp>/<base64>`, a flat base64 v11 name, or
/// either with base64's `/` making more folder levels). Shortest first.
fn path_keys(path: &Path) -> Vec<ObjectKey> {
    let parts: Vec<&str> = path.iter().filter_map(|p| p.to_str()).collect();
    (1..=parts.len().min(8))
        .filter_map(|n| {
            let suffix = parts.get(parts.len() - n..)?.join("/");
            ObjectKey::parse_fs_path(&suffix).ok().map(|(key, _)| key)
        })
        .collect()
}

/// True when `data` opens as the chunk part of a WAL checkpoint (with an empty head). For V4
/// this is what tells a checkpoint chunk from a stored one: its symbol table is not
/// compressed. Before V4 the two forms are the same bytes.
fn opens_as_checkpoint_chunk(data: &Bytes) -> bool {
    let head_format = if data.get(4) == Some(&V4) {
        HEAD_UNORDERED_WITH_METADATA
    } else {
        HEAD_UNORDERED
    };
    Chunk::open_checkpoint(data.clone(), [head_format, 0]).is_ok()
}

/// The file that may be the head of the checkpoint whose chunk is `path` (the same name with
/// `.head`), if there is one.
fn sibling_head(path: &Path) -> Option<PathBuf> {
    let head = path.with_extension("head");
    (head != path && head.is_file()).then_some(head)
}

/// Opens FILE as a raw chunk, a checkpoint pair (with `head_path`) or a stored object, with
/// errors that say what the file is when it is not what it was taken for.
fn open(path: &Path, head_path: Option<&Path>) -> Result<Input> {
    let data = read(path)?;
    if let Some(head_path) = head_path {
        let head = read(head_path)?;
        return match Chunk::open_checkpoint(data.clone(), head) {
            Ok(chunk) => Ok(Input::Checkpoint(chunk)),
            Err(e) if Chunk::open(data.clone()).is_ok() && !opens_as_checkpoint_chunk(&data) => {
                Err(format!(
                    "{e}: this is a chunk as Loki stores it, not the chunk part of a WAL \
                     checkpoint (its symbol table is compressed); leave out the head file"
                )
                .into())
            }
            Err(e) => Err(e.into()),
        };
    }
    if data.get(..4) == Some(&format::MAGIC.to_be_bytes()[..]) {
        let chunk = open_raw(path, &data)?;
        if let Some(head) = sibling_head(path) {
            cli::warn(
                PROGRAM,
                format!(
                    "note: {} beside it may be this chunk's WAL-checkpoint head; pass it as the \
                     second argument to read the head block's entries too",
                    head.display()
                ),
            );
        }
        return Ok(Input::Raw(chunk));
    }
    open_stored(path, &data)
}

/// Opens `data`, read from `path`, as a raw chunk; the error says when it is a checkpoint's
/// chunk (which needs its head file) or a truncated one.
fn open_raw(path: &Path, data: &Bytes) -> Result<Chunk, String> {
    Chunk::open(data.clone()).map_err(|e| {
        if opens_as_checkpoint_chunk(data) {
            let head = sibling_head(path)
                .map_or_else(String::new, |h| format!(" (probably {})", h.display()));
            format!(
                "this is a WAL-checkpoint chunk (its symbol table is stored uncompressed); pass \
                 the head file{head} as the second argument"
            )
        } else {
            explain_chunk_error(&e)
        }
    })
}

/// Opens `data` as a stored chunk object, checking it against the key its path encodes.
fn open_stored(path: &Path, data: &Bytes) -> Result<Input> {
    let keys = path_keys(path);
    let stored = match StoredChunk::decode(data) {
        Ok(stored) => stored,
        Err(e) if keys.is_empty() => {
            let start = data.get(..4).map_or_else(
                || format!("it is only {} bytes", data.len()),
                |b| format!("it starts with 0x{}", hex::encode(b)),
            );
            return Err(format!(
                "neither a Loki chunk ({start}, not the chunk magic {:#010x}) nor a stored \
                 chunk object ({e})",
                format::MAGIC
            )
            .into());
        }
        Err(e) => return Err(format!("a stored chunk object by its path, but {e}").into()),
    };
    let key = stored.metadata.key(crc32c::crc32c(data));
    if let Some(path_key) = keys.first()
        && !keys.contains(&key)
        // The library's error says what differs: the checksum, or a metadata field.
        && let Err(e) = StoredChunk::decode_with_key(data, path_key)
    {
        return Err(format!("its path names the key {path_key}, but {e}").into());
    }
    let chunk = Chunk::open(stored.chunk.clone())
        .map_err(|e| format!("the chunk inside the stored object: {e}"))?;
    Ok(Input::Stored(Box::new(stored), chunk, key))
}

/// A chunk's error as the user should read it: a chunk cut short by how many bytes, a trailer
/// pointing outside the file as the sign of a truncated file.
fn explain_chunk_error(error: &ChunkError) -> String {
    match error {
        ChunkError::TruncatedChunk { size, expected } => format!(
            "truncated: the file is {} bytes shorter than its trailer says ({size} bytes, the \
             trailer describes {expected})",
            expected.saturating_sub(*size)
        ),
        ChunkError::OutOfRange {
            section: Section::Trailer,
            ..
        } => format!(
            "{error}: the trailer (the file's last bytes) points outside the file, so the file \
             is cut short or its end is damaged"
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_found_in_store_paths() {
        let key = ObjectKey {
            tenant: "fake".into(),
            fingerprint: 0x4543_ea21_97bb_7ab4,
            from_ms: 0x18e_283b_edff,
            through_ms: 0x18e_283b_ee49,
            checksum: 0x8130_7248,
        };
        for schema in [loki_chunk::KeySchema::V12, loki_chunk::KeySchema::V11] {
            let path = Path::new("/var/loki/chunks").join(key.to_fs_path(schema));
            assert_eq!(
                path_keys(&path),
                std::slice::from_ref(&key),
                "{}",
                path.display()
            );
        }
        assert!(path_keys(Path::new("/tmp/v4_snappy.chunk")).is_empty());
    }
}
