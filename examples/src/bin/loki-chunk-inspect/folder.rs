//! A folder of stored chunks (a filesystem object store's layout): every file under it
//! classified, the chunks listed by tenant and stream.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read as _, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use examples::cli::{self, Result, progress, time};
use loki_chunk::format::MAGIC;
use loki_chunk::storage::{KeySchema, StoredChunk};
use loki_chunk::{Chunk, LabelSet};
use serde_json::json;

use crate::{Mode, PROGRAM, path_keys, print};

/// Deepest folder level looked into (a v12 path is 3 levels, plus one per `/` in its
/// base64 name).
const MAX_DEPTH: usize = 16;

/// The first bytes of the snappy stream a stored object's metadata starts with, after its
/// 4-byte length: snappy's stream identifier chunk.
const SNAPPY_STREAM_ID: &[u8] = b"\xff\x06\x00\x00sNaPpY";

/// Folders with at least this many files get a progress bar (when stderr is a terminal).
const PROGRESS_FILES: usize = 200;

/// A chunk found in the folder.
struct Found {
    /// The path below the folder, `/`-separated.
    path: String,
    /// The file's size.
    size: u64,
    /// The stored object's metadata (`None` for a raw chunk).
    stored: Option<StoredChunk>,
    /// The object's key (stored objects).
    key: Option<loki_chunk::ObjectKey>,
    /// Whether the file's path is its key's filesystem-store path.
    at_its_key: bool,
    /// The chunk.
    chunk: Chunk,
}

impl Found {
    /// Tenant, stream and first entry: the listing order.
    fn order(&self) -> (Option<String>, String, i64, String) {
        let stored = self.stored.as_ref();
        (
            stored.map(|s| s.metadata.tenant.clone()),
            self.labels().map(|l| l.to_string()).unwrap_or_default(),
            self.chunk.bounds().map_or(i64::MIN, |(min, _)| min),
            self.path.clone(),
        )
    }

    /// The stream's labels (stored objects).
    fn labels(&self) -> Option<LabelSet> {
        self.stored.as_ref().map(|s| s.metadata.stream_labels())
    }
}

/// Lists `root` in `mode`: `Ok(true)` when every chunk-like file was read cleanly.
pub(crate) fn run(root: &Path, mode: Mode) -> Result<bool> {
    let mut files = Vec::new();
    walk(root, 0, &mut files)?;
    files.sort();
    let bar = if files.len() >= PROGRESS_FILES {
        progress::bar(files.len() as u64, "files")
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut found = Vec::new();
    let (mut broken, mut others) = (0usize, Vec::new());
    for file in &files {
        bar.inc(1);
        let relative = relative(root, file);
        match classify(file, &relative) {
            Ok(Some(chunk)) => found.push(chunk),
            Ok(None) => others.push(relative),
            Err(e) => {
                broken += 1;
                bar.suspend(|| cli::warn(PROGRAM, format!("{}: {e}", file.display())));
            }
        }
    }
    drop(bar);
    if !others.is_empty() {
        let shown: Vec<&str> = others.iter().take(3).map(String::as_str).collect();
        let more = if others.len() > shown.len() {
            ", …"
        } else {
            ""
        };
        cli::warn(
            PROGRAM,
            format!(
                "skipped {} file(s) that are neither chunks nor stored chunk objects ({}{more})",
                others.len(),
                shown.join(", ")
            ),
        );
    }
    if found.is_empty() && broken == 0 {
        return Err(format!(
            "no chunks or stored chunk objects in this folder ({} file(s) looked at)",
            files.len()
        )
        .into());
    }
    found.sort_by_cached_key(Found::order);
    let mut out = cli::stdout();
    match mode {
        Mode::Summary => summary(&mut out, &found)?,
        Mode::Json => {
            for chunk in &found {
                serde_json::to_writer(&mut out, &chunk_json(chunk))?;
                writeln!(out)?;
            }
        }
        Mode::Lines => {
            for chunk in &found {
                let labels = chunk.labels().map(|l| l.to_string());
                print::entry_lines(&mut out, &chunk.chunk, labels.as_deref())?;
            }
        }
    }
    out.flush()?;
    let skipped_blocks = found
        .iter()
        .filter(|f| !f.chunk.skipped_blocks().is_empty())
        .count();
    if skipped_blocks > 0 {
        cli::warn(
            PROGRAM,
            format!("{skipped_blocks} chunk(s) have blocks skipped as corrupt"),
        );
    }
    Ok(broken == 0 && skipped_blocks == 0)
}

/// Every file under `dir`, following no symbolic link to a folder (so no loop).
fn walk(dir: &Path, depth: usize, files: &mut Vec<PathBuf>) -> Result<()> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            if depth + 1 < MAX_DEPTH {
                walk(&path, depth + 1, files)?;
            }
        } else if kind.is_file() || (kind.is_symlink() && path.is_file()) {
            files.push(path);
        }
    }
    Ok(())
}

/// `file` below `root`, with `/` between components.
fn relative(root: &Path, file: &Path) -> String {
    let below = file.strip_prefix(root).unwrap_or(file);
    below
        .iter()
        .map(|p| p.to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// What `file` is: a chunk (`Some`), something else (`None`), or a chunk or stored object
/// that does not read (an error).
fn classify(file: &Path, relative: &str) -> Result<Option<Found>> {
    let mut head = [0u8; 14];
    let mut opened = File::open(file)?;
    let mut got = 0;
    while got < head.len() {
        match opened.read(&mut head[got..])? {
            0 => break,
            n => got += n,
        }
    }
    let head = &head[..got];
    let raw = head.get(..4) == Some(&MAGIC.to_be_bytes()[..]);
    let object = head.get(4..) == Some(SNAPPY_STREAM_ID);
    let keys = path_keys(file);
    if !raw && !object {
        if keys.is_empty() {
            return Ok(None);
        }
        return Err("its path is an object key, but it is not a stored chunk object".into());
    }
    let data = Bytes::from(std::fs::read(file)?);
    let size = data.len() as u64;
    if raw {
        let chunk = crate::open_raw(file, &data)?;
        return Ok(Some(Found {
            path: relative.to_owned(),
            size,
            stored: None,
            key: None,
            at_its_key: false,
            chunk,
        }));
    }
    let stored = StoredChunk::decode(&data)?;
    let key = stored.metadata.key(crc32c::crc32c(&data));
    if let Some(path_key) = keys.first()
        && !keys.contains(&key)
        && let Err(e) = StoredChunk::decode_with_key(&data, path_key)
    {
        return Err(format!("its path names the key {path_key}, but {e}").into());
    }
    let chunk = Chunk::open(stored.chunk.clone())
        .map_err(|e| format!("the chunk inside the stored object: {e}"))?;
    Ok(Some(Found {
        path: relative.to_owned(),
        size,
        at_its_key: keys.contains(&key),
        stored: Some(stored),
        key: Some(key),
        chunk,
    }))
}

/// `from .. through` of a chunk: its entries' bounds, else its key's (ms).
fn time_range(found: &Found) -> (String, String) {
    match (found.chunk.bounds(), &found.key) {
        (Some((min, max)), _) => (time::format_ns(min), time::format_ns(max)),
        (None, Some(key)) => (
            time::format_ms(key.from_ms),
            time::format_ms(key.through_ms),
        ),
        (None, None) => ("-".into(), "-".into()),
    }
}

/// One line per chunk, under a line per tenant and per stream; raw chunks last.
fn summary(out: &mut impl Write, found: &[Found]) -> std::io::Result<()> {
    // tenant -> stream (labels, fingerprint) -> chunks, in listing order.
    let mut tenants: BTreeMap<&str, BTreeMap<(String, u64), Vec<&Found>>> = BTreeMap::new();
    let mut raw = Vec::new();
    for chunk in found {
        match &chunk.stored {
            Some(stored) => tenants
                .entry(stored.metadata.tenant.as_str())
                .or_default()
                .entry((
                    stored.metadata.stream_labels().to_string(),
                    stored.metadata.fingerprint,
                ))
                .or_default()
                .push(chunk),
            None => raw.push(chunk),
        }
    }
    for (tenant, streams) in &tenants {
        let chunks: Vec<&&Found> = streams.values().flatten().collect();
        writeln!(
            out,
            "tenant {tenant}: {} stream(s), {} chunk(s), {} bytes",
            streams.len(),
            chunks.len(),
            chunks.iter().map(|c| c.size).sum::<u64>()
        )?;
        for ((labels, fingerprint), chunks) in streams {
            let from = chunks
                .iter()
                .filter_map(|c| c.chunk.bounds())
                .map(|b| b.0)
                .min();
            let through = chunks
                .iter()
                .filter_map(|c| c.chunk.bounds())
                .map(|b| b.1)
                .max();
            let range = match (from, through) {
                (Some(from), Some(through)) => {
                    format!("{} .. {}", time::format_ns(from), time::format_ns(through))
                }
                _ => "no entries".into(),
            };
            writeln!(
                out,
                "  stream {labels} fingerprint {fingerprint:x}: {} chunk(s), {range}, {} entries",
                chunks.len(),
                chunks.iter().map(|c| c.chunk.entry_count()).sum::<u64>()
            )?;
            for chunk in chunks {
                chunk_line(out, chunk)?;
            }
        }
    }
    if !raw.is_empty() {
        writeln!(out, "raw chunks (no object metadata): {}", raw.len())?;
        for chunk in raw {
            chunk_line(out, chunk)?;
        }
    }
    Ok(())
}

/// `    <from> .. <through>  V4 gzip  N entries  S bytes  <path>`.
fn chunk_line(out: &mut impl Write, found: &Found) -> std::io::Result<()> {
    let (from, through) = time_range(found);
    let chunk = &found.chunk;
    let skipped = match chunk.skipped_blocks().len() {
        0 => String::new(),
        n => format!("  {n} block(s) SKIPPED as corrupt"),
    };
    writeln!(
        out,
        "    {from} .. {through}  V{} {}  {} entries  {} bytes  {}{skipped}",
        chunk.version(),
        chunk.codec(),
        chunk.entry_count(),
        found.size,
        found.path
    )
}

/// One `--json` line: where the chunk is, whose, when, and its facts.
fn chunk_json(found: &Found) -> serde_json::Value {
    let chunk = &found.chunk;
    let (min, max) = chunk.bounds().unwrap_or((0, 0));
    let mut line = json!({
        "path": found.path,
        "kind": if found.stored.is_some() { "storage_chunk" } else { "memchunk" },
        "size_bytes": found.size,
        "format_version": chunk.version(),
        "encoding": chunk.codec().name(),
        "block_count": chunk.blocks().len(),
        "skipped_blocks": chunk.skipped_blocks().len(),
        "entry_count": chunk.entry_count(),
        "uncompressed_size": chunk.uncompressed_size(),
        "min_ts_ns": min.to_string(),
        "max_ts_ns": max.to_string(),
        "min_time": time::format_ns(min),
        "max_time": time::format_ns(max),
    });
    if let (Some(stored), Some(key)) = (&found.stored, &found.key) {
        let meta = &stored.metadata;
        line["tenant"] = json!(meta.tenant);
        line["stream_labels"] = json!(meta.stream_labels().to_string());
        line["fingerprint_hex"] = json!(format!("{:x}", meta.fingerprint));
        line["from_ms"] = json!(meta.from_ms);
        line["through_ms"] = json!(meta.through_ms);
        line["object_key"] = json!(key.to_key(KeySchema::V12));
        line["filesystem_path"] = json!(key.to_fs_path(KeySchema::V12));
        line["at_its_key"] = json!(found.at_its_key);
    }
    line
}
