//! Printing one chunk: a summary, JSON in the compatibility vectors' shape, or its entries as
//! text lines.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::ops::ControlFlow;
use std::path::Path;

use base64::Engine as _;
use examples::cli::{Result, time};
use loki_chunk::labels::write_go_quoted;
use loki_chunk::storage::{KeySchema, ObjectKey, StoredChunk};
use loki_chunk::{Chunk, Entry, EntryRef, Query};
use serde_json::{Value, json};
use sha2::Digest as _;

use crate::{Input, Mode};

/// Prints `input` (read from `path`) in `mode`: `Ok(true)` when no block was skipped.
pub(crate) fn input(out: &mut impl Write, path: &Path, input: &Input, mode: Mode) -> Result<bool> {
    let chunk = input.chunk();
    let clean = chunk.skipped_blocks().is_empty();
    match mode {
        Mode::Json => {
            let entries = chunk.entries(Query::all())?;
            let mut doc = json!({
                "kind": input.kind(),
                "file": path.file_name().map(|f| f.to_string_lossy().into_owned()),
                "chunk": chunk_facts(chunk),
                "entries": entries.iter().map(entry_json).collect::<Vec<_>>(),
            });
            if let Input::Stored(stored, _, key) = input {
                doc["object"] = object_json(stored, key);
            }
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            writeln!(out)?;
        }
        Mode::Lines => {
            let labels = input.labels().map(|l| l.to_string());
            entry_lines(out, chunk, labels.as_deref())?;
        }
        Mode::Summary => {
            // Every entry decoded: a block that passes its checksum but does not decode is
            // an error here too.
            let mut entries = 0usize;
            chunk.for_each(Query::all(), |_| {
                entries += 1;
                ControlFlow::Continue(())
            })?;
            summary(out, input, entries)?;
        }
    }
    Ok(clean)
}

/// Writes every entry of `chunk` as one text line: time (RFC 3339, ns), `labels` when given,
/// the structured metadata when there is any, the line's bytes.
pub(crate) fn entry_lines(out: &mut impl Write, chunk: &Chunk, labels: Option<&str>) -> Result<()> {
    let mut failed: Option<io::Error> = None;
    let mut text = String::new();
    chunk.for_each(Query::all(), |entry| {
        text.clear();
        entry_prefix(&mut text, &entry, labels);
        let written = out
            .write_all(text.as_bytes())
            .and_then(|()| out.write_all(entry.line))
            .and_then(|()| out.write_all(b"\n"));
        match written {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                failed = Some(e);
                ControlFlow::Break(())
            }
        }
    })?;
    match failed {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

/// What comes before an entry's line: `<time> [<labels> ][{<metadata>} ]`.
fn entry_prefix(text: &mut String, entry: &EntryRef<'_>, labels: Option<&str>) {
    text.push_str(&time::format_ns(entry.ts));
    text.push(' ');
    if let Some(labels) = labels {
        text.push_str(labels);
        text.push(' ');
    }
    if entry.metadata_len() > 0 {
        text.push('{');
        for (i, (name, value)) in entry.structured_metadata().enumerate() {
            if i > 0 {
                text.push_str(", ");
            }
            let _ = write!(text, "{name}=");
            let _ = write_go_quoted(text, value);
        }
        text.push_str("} ");
    }
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

/// The summary: the object's key and stream (stored objects), the chunk's facts and time
/// range, one line per block.
fn summary(out: &mut impl Write, input: &Input, entries: usize) -> io::Result<()> {
    let chunk = input.chunk();
    if let Input::Stored(stored, _, key) = input {
        let meta = &stored.metadata;
        writeln!(out, "stored object: key {}", key.to_key(KeySchema::V12))?;
        writeln!(
            out,
            "  tenant {} stream {} fingerprint {:x} from {} through {}",
            meta.tenant,
            meta.stream_labels(),
            meta.fingerprint,
            time::format_ms(meta.from_ms),
            time::format_ms(meta.through_ms)
        )?;
    }
    writeln!(
        out,
        "chunk: format V{} codec {} {} bytes, {} blocks, {} entries, uncompressed size {}",
        chunk.version(),
        chunk.codec(),
        chunk.bytes().len(),
        chunk.blocks().len() + chunk.skipped_blocks().len(),
        entries,
        chunk.uncompressed_size()
    )?;
    if let Some((min, max)) = chunk.bounds() {
        writeln!(
            out,
            "time range: {} .. {}",
            time::format_ns(min),
            time::format_ns(max)
        )?;
    }
    if chunk.version() >= 4 {
        writeln!(out, "symbols: {}", chunk.symbols().len())?;
    }
    if let Some(head) = chunk.head_format() {
        writeln!(
            out,
            "head block: format {head}, {} entries",
            chunk.head_entries()
        )?;
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
        writeln!(out, "block {i:>3}: {row}")?;
    }
    Ok(())
}
