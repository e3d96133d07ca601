//! Every vector in `$COMPAT_DIR/loki/` (written by Loki's own encoder) decodes to exactly what
//! Loki's decoder returned, and every damaged vector gets a typed error or a reported skip.
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{assert_block_facts, expected_entries, loki_dir, ns, symbol_table, vectors};
use loki_chunk::{Chunk, ChunkError, Direction, Entry, Query, Section};
use serde_json::Value;

/// Compares entry lists; with `ties_as_sets`, runs of equal timestamps compare as multisets.
fn assert_entries_eq(name: &str, got: &[Entry], want: &[Entry], ties_as_sets: bool) {
    assert_eq!(got.len(), want.len(), "{name}: entry count");
    if !ties_as_sets {
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert_eq!(g, w, "{name}: entry {i}");
        }
        return;
    }
    let group = |list: &[Entry]| {
        let mut groups: Vec<(i64, Vec<Entry>)> = Vec::new();
        for e in list {
            match groups.last_mut() {
                Some((ts, g)) if *ts == e.ts => g.push(e.clone()),
                _ => groups.push((e.ts, vec![e.clone()])),
            }
        }
        for (_, g) in &mut groups {
            g.sort();
        }
        groups
    };
    assert_eq!(
        group(got),
        group(want),
        "{name}: entries (ties as multisets)"
    );
}

/// Symbols Loki's in-memory chunk holds beyond the stored table. Restoring a checkpoint
/// re-appends the head entries with normalised metadata names, which adds those names to
/// Loki's table (and their bytes to its uncompressed size); the stored bytes do not have them.
fn restored_extra_symbols(chunk: &Chunk, facts: &Value) -> Vec<String> {
    let stored = chunk.symbols().symbols();
    let want: Vec<String> = symbol_table(facts)
        .map(|t| t.into_iter().map(str::to_owned).collect())
        .unwrap_or_default();
    if want.len() <= stored.len() {
        return Vec::new();
    }
    assert_eq!(
        &want[..stored.len()],
        stored,
        "stored symbols are a prefix of Loki's"
    );
    want[stored.len()..].to_vec()
}

fn check_chunk_facts(name: &str, chunk: &Chunk, facts: &Value) {
    let extra = if chunk.head_format().is_some() {
        restored_extra_symbols(chunk, facts)
    } else {
        Vec::new()
    };
    let extra_bytes: usize = extra.iter().map(String::len).sum();
    assert_eq!(
        u64::from(chunk.version()),
        facts["format_version"].as_u64().unwrap(),
        "{name}"
    );
    if let Some(enc) = facts.get("encoding_byte") {
        assert_eq!(
            u64::from(chunk.codec().id()),
            enc.as_u64().unwrap(),
            "{name}"
        );
    }
    assert_eq!(
        chunk.codec().name(),
        facts["encoding"].as_str().unwrap(),
        "{name}"
    );
    assert_eq!(
        chunk.bytes().len() as u64,
        facts["size_bytes"].as_u64().unwrap(),
        "{name}"
    );
    assert_eq!(
        chunk.blocks().len() as u64,
        facts["block_count"].as_u64().unwrap(),
        "{name}"
    );
    assert_eq!(
        chunk.entry_count(),
        facts["entry_count"].as_u64().unwrap(),
        "{name}"
    );
    assert_eq!(
        chunk.uncompressed_size() + extra_bytes as u64,
        facts["uncompressed_size"].as_u64().unwrap(),
        "{name}"
    );
    if chunk.entry_count() > 0 {
        let (min, max) = chunk.bounds().unwrap();
        assert_eq!(min, ns(&facts["min_ts_ns"]), "{name}: min");
        assert_eq!(max, ns(&facts["max_ts_ns"]), "{name}: max");
    }
    for (i, (got, want)) in chunk
        .blocks()
        .iter()
        .zip(facts["blocks"].as_array().unwrap())
        .enumerate()
    {
        assert_block_facts(name, i, got, want);
        assert_eq!(
            got.offset,
            want["offset"].as_u64().unwrap(),
            "{name} block {i}"
        );
        assert_eq!(
            got.compressed_len,
            want["compressed_len"].as_u64().unwrap(),
            "{name} block {i}"
        );
    }
    if let Some(want) = symbol_table(facts) {
        let got: Vec<&str> = chunk
            .symbols()
            .symbols()
            .iter()
            .chain(&extra)
            .map(String::as_str)
            .collect();
        assert_eq!(got, want, "{name}: symbol table");
    }
}

#[test]
fn memchunks_decode_exactly() {
    let Some(dir) = loki_dir("memchunks_decode_exactly") else {
        return;
    };
    let mut checked = 0;
    for (name, v) in vectors(&dir) {
        if v["kind"] != "memchunk" {
            continue;
        }
        let bytes = std::fs::read(dir.join(v["file"].as_str().unwrap())).unwrap();
        let chunk = Chunk::open(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(chunk.skipped_blocks().is_empty(), "{name}");
        check_chunk_facts(&name, &chunk, &v["chunk"]);
        let overlapping = name.contains("overlapping");
        let got = chunk.entries(Query::all()).unwrap();
        assert_entries_eq(&name, &got, &expected_entries(&v["entries"]), overlapping);
        if let Some(backward) = v["extra"].get("entries_backward") {
            let got = chunk
                .entries(Query::all().direction(Direction::Backward))
                .unwrap();
            assert_entries_eq(&name, &got, &expected_entries(backward), true);
        } else {
            // Backward is forward reversed.
            let mut back = chunk
                .entries(Query::all().direction(Direction::Backward))
                .unwrap();
            back.reverse();
            assert_entries_eq(&name, &back, &got, false);
        }
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} memchunk vectors");
}

#[test]
fn checkpoints_decode_exactly() {
    let Some(dir) = loki_dir("checkpoints_decode_exactly") else {
        return;
    };
    let mut checked = 0;
    for (name, v) in vectors(&dir) {
        if v["kind"] != "checkpoint" {
            continue;
        }
        let chunk_bytes = std::fs::read(dir.join(v["file"].as_str().unwrap())).unwrap();
        let head = std::fs::read(dir.join(v["head_file"].as_str().unwrap())).unwrap();
        let chunk =
            Chunk::open_checkpoint(chunk_bytes, head).unwrap_or_else(|e| panic!("{name}: {e}"));
        check_chunk_facts(&name, &chunk, &v["chunk"]);
        assert_eq!(
            chunk.head_format().map(u64::from),
            v["chunk"]["head_block_format"].as_u64(),
            "{name}"
        );
        assert_eq!(
            chunk.head_entries() as u64,
            v["extra"]["head_entries"].as_u64().unwrap()
        );
        let got = chunk.entries(Query::all()).unwrap();
        assert_entries_eq(&name, &got, &expected_entries(&v["entries"]), false);
        checked += 1;
    }
    assert_eq!(checked, 3);
}

#[test]
fn damaged_vectors_get_typed_errors_or_reported_skips() {
    let Some(dir) = loki_dir("damaged_vectors_get_typed_errors_or_reported_skips") else {
        return;
    };
    let mut checked = BTreeSet::new();
    for (name, v) in vectors(&dir) {
        if v["kind"] != "corrupt"
            || Path::new(v["file"].as_str().unwrap())
                .extension()
                .is_none_or(|x| x != "chunk")
        {
            continue;
        }
        let bytes = std::fs::read(dir.join(v["file"].as_str().unwrap())).unwrap();
        let extra = &v["extra"];
        let result = Chunk::open(bytes);
        match extra["loki_result"].as_str().unwrap() {
            "loaded" => {
                let chunk = result.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(
                    chunk.blocks().len() as u64,
                    extra["blocks_loaded"].as_u64().unwrap(),
                    "{name}"
                );
                assert_eq!(chunk.skipped_blocks().len(), 1, "{name}");
                let skipped = &chunk.skipped_blocks()[0];
                assert!(
                    matches!(skipped.error, ChunkError::ChecksumMismatch { section: Section::Block(i), .. } if i == skipped.index),
                    "{name}: {:?}",
                    skipped.error
                );
                let entries = chunk.entries(Query::all()).unwrap();
                assert_eq!(
                    entries.len() as u64,
                    extra["entries_read"].as_u64().unwrap(),
                    "{name}"
                );
            }
            "error" => {
                let err = result
                    .err()
                    .unwrap_or_else(|| panic!("{name}: must be rejected"));
                let loki = extra["loki_error"].as_str().unwrap();
                if loki.contains("checksum") {
                    assert!(
                        matches!(
                            err,
                            ChunkError::ChecksumMismatch {
                                section: Section::Metas | Section::SymbolTable,
                                ..
                            }
                        ),
                        "{name}: {err:?}"
                    );
                } else if loki.contains("magic") {
                    assert!(
                        matches!(
                            err,
                            ChunkError::BadMagic {
                                expected: 0x012e_e56a,
                                ..
                            }
                        ),
                        "{name}: {err:?}"
                    );
                } else if loki.contains("version") {
                    assert!(
                        matches!(err, ChunkError::UnsupportedVersion { .. }),
                        "{name}: {err:?}"
                    );
                } else {
                    panic!("{name}: unexpected loki error {loki}");
                }
            }
            "panic" => {
                // Loki's decoder crashes; ours must report a typed error (at open or while
                // iterating) and never panic.
                let err = match result {
                    Err(e) => e,
                    Ok(chunk) => chunk
                        .entries(Query::all())
                        .err()
                        .unwrap_or_else(|| panic!("{name}: must fail")),
                };
                assert!(
                    matches!(
                        err,
                        ChunkError::Truncated { .. }
                            | ChunkError::TruncatedChunk { .. }
                            | ChunkError::OutOfRange { .. }
                            | ChunkError::ChecksumMismatch { .. }
                    ),
                    "{name}: {err:?}"
                );
            }
            other => panic!("{name}: unknown loki_result {other}"),
        }
        checked.insert(name);
    }
    assert!(checked.len() >= 7, "{checked:?}");
}

/// Every vector has a kind some test in this crate checks.
#[test]
fn no_vector_is_left_untested() {
    let Some(dir) = loki_dir("no_vector_is_left_untested") else {
        return;
    };
    for (name, v) in vectors(&dir) {
        let kind = v["kind"].as_str().unwrap();
        assert!(
            ["memchunk", "checkpoint", "storage_chunk", "corrupt"].contains(&kind),
            "{name}: unknown kind {kind}"
        );
    }
}

/// Stored objects (written by Loki's storage code and by a real Loki server): the chunk inside
/// decodes to exactly Loki's entries and facts.
#[test]
fn stored_objects_decode_exactly() {
    let Some(dir) = loki_dir("stored_objects_decode_exactly") else {
        return;
    };
    let mut checked = 0;
    for (name, v) in vectors(&dir) {
        if v["kind"] != "storage_chunk" {
            continue;
        }
        let object =
            bytes::Bytes::from(std::fs::read(dir.join(v["file"].as_str().unwrap())).unwrap());
        let stored =
            loki_chunk::StoredChunk::decode(&object).unwrap_or_else(|e| panic!("{name}: {e}"));
        let chunk = Chunk::open(stored.chunk).unwrap_or_else(|e| panic!("{name}: {e}"));
        check_chunk_facts(&name, &chunk, &v["chunk"]);
        let got = chunk.entries(Query::all()).unwrap();
        assert_entries_eq(&name, &got, &expected_entries(&v["entries"]), false);
        checked += 1;
    }
    assert!(checked >= 6, "{checked}");
}
