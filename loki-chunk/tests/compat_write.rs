//! The writer, fed the exact append sequences of Loki's vectors, makes the same decisions Loki
//! made (duplicates, out-of-order rejections, block cuts, accounting) and writes chunks that
//! decode to the same entries.
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

mod common;

use std::path::PathBuf;

use common::{assert_block_facts, expected_entries, loki_dir, ns, symbol_table};
use loki_chunk::{Appended, Chunk, ChunkError, ChunkWriter, Codec, Entry, Query, WriterOptions};
use serde_json::Value;

fn options(facts: &Value) -> WriterOptions {
    WriterOptions {
        version: u8::try_from(facts["format_version"].as_u64().unwrap()).unwrap(),
        head_format: u8::try_from(facts["head_block_format"].as_u64().unwrap()).unwrap(),
        codec: facts["encoding"].as_str().unwrap().parse().unwrap(),
        block_size: usize::try_from(facts["writer_block_size"].as_u64().unwrap()).unwrap(),
        target_size: usize::try_from(facts["writer_target_size"].as_u64().unwrap()).unwrap(),
    }
}

/// Feeds a vector's `appends` to a writer and checks each outcome against Loki's.
fn replay(name: &str, v: &Value) -> ChunkWriter {
    let mut w = ChunkWriter::new(options(&v["chunk"])).unwrap();
    for (i, a) in v["appends"].as_array().unwrap().iter().enumerate() {
        let metadata: Vec<(&str, &str)> = a["structured_metadata"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["name"].as_str().unwrap(), p["value"].as_str().unwrap()))
            .collect();
        let result = w.append(
            ns(&a["ts_ns"]),
            a["line"].as_str().unwrap().as_bytes(),
            &metadata,
        );
        if let Some(err) = a.get("error").and_then(Value::as_str) {
            assert!(err.contains("out of order"), "{name}: append {i}: {err}");
            assert!(
                matches!(result, Err(ChunkError::OutOfOrder { .. })),
                "{name}: append {i} must be rejected: {result:?}"
            );
        } else {
            let dup = a["dup"].as_bool().unwrap_or(false);
            let got = result.unwrap_or_else(|e| panic!("{name}: append {i}: {e}"));
            assert_eq!(
                got == Appended::Duplicate,
                dup,
                "{name}: append {i} duplicate flag"
            );
        }
    }
    w
}

/// `exact_order`: the entries came out in exactly Loki's order, so the symbols (numbered in
/// first-use order) must too; otherwise a rebuild ordered timestamp ties differently and the
/// tables must hold the same symbols.
fn check_facts(name: &str, w: &ChunkWriter, chunk: &Chunk, facts: &Value, exact_order: bool) {
    let blocks = facts["blocks"].as_array().unwrap();
    let ours = w.blocks();
    assert_eq!(ours.len(), blocks.len(), "{name}: block count");
    assert_eq!(
        chunk.blocks().len(),
        blocks.len(),
        "{name}: block count after reading"
    );
    for (i, (got, want)) in ours.iter().zip(blocks).enumerate() {
        assert_block_facts(name, i, got, want);
    }
    // Offsets the writer reports are where the serialised blocks are.
    let read: Vec<u64> = chunk.blocks().iter().map(|b| b.offset).collect();
    let written: Vec<u64> = ours.iter().map(|b| b.offset).collect();
    assert_eq!(read, written, "{name}: block offsets");
    if w.options().version >= 3 && w.head_len() == 0 {
        // V2 stores no sizes: Loki's figure (0) is what it reads back; a head left out of the
        // bytes is not in the read-back figure either.
        assert_eq!(
            w.uncompressed_size(),
            facts["uncompressed_size"].as_u64().unwrap(),
            "{name}"
        );
    }
    assert_eq!(
        chunk.uncompressed_size(),
        facts["uncompressed_size"].as_u64().unwrap(),
        "{name}"
    );
    if let Some(mut want) = symbol_table(facts) {
        let mut got: Vec<&str> = w.symbols().iter().map(String::as_str).collect();
        if !exact_order {
            want.sort_unstable();
            got.sort_unstable();
        }
        assert_eq!(got, want, "{name}: symbol table");
    }
}

/// Reports the first differing entry rather than both lists. Runs of equal timestamps compare
/// as multisets: when Loki's `Close()` rebuilds overlapping blocks, its merge orders entries
/// with equal timestamps from different blocks in an unspecified way.
fn assert_same_entries(name: &str, got: &[Entry], want: &[Entry]) {
    let canonical = |list: &[Entry]| {
        let mut list = list.to_vec();
        // Stable sort by (ts, content): equal-timestamp runs become sorted multisets.
        list.sort();
        list
    };
    let (got, want) = (&canonical(got)[..], &canonical(want)[..]);
    if let Some(i) = (0..got.len().max(want.len())).find(|&i| got.get(i) != want.get(i)) {
        let show = |e: Option<&Entry>| {
            e.map(|e| {
                format!(
                    "ts {} line {:?} sm {:?}",
                    e.ts,
                    String::from_utf8_lossy(&e.line[..e.line.len().min(60)]),
                    e.structured_metadata
                )
            })
        };
        panic!(
            "{name}: entry {i} of {}/{} differs:\n got  {:?}\n want {:?}",
            got.len(),
            want.len(),
            show(got.get(i)),
            show(want.get(i))
        );
    }
}

#[test]
fn writer_reproduces_loki_chunk_facts() {
    let Some(dir) = loki_dir("writer_reproduces_loki_chunk_facts") else {
        return;
    };
    let mut checked = 0;
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    for path in paths {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        if v["kind"] != "memchunk" || v["chunk"]["format_version"].as_u64() == Some(1) {
            continue; // V1 is read-only
        }
        let mut w = replay(&name, &v);
        let overlapping = name.contains("overlapping");
        let bytes = if overlapping {
            // Loki serialised these without Close(): cut blocks only, head left out.
            w.to_bytes().unwrap()
        } else {
            w.close().unwrap();
            w.to_bytes().unwrap()
        };
        let chunk = Chunk::open(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (got, want) = (
            chunk.entries(Query::all()).unwrap(),
            expected_entries(&v["entries"]),
        );
        check_facts(&name, &w, &chunk, &v["chunk"], overlapping || got == want);
        if !overlapping {
            assert_same_entries(&name, &got, &want);
        }
        checked += 1;
    }
    assert!(checked >= 30, "{checked}");
}

#[test]
fn checkpoints_round_trip_and_restore_like_loki() {
    let Some(dir) = loki_dir("checkpoints_round_trip_and_restore_like_loki") else {
        return;
    };
    for version in [2, 3, 4] {
        let name = format!("ckpt_v{version}_snappy");
        let v: Value =
            serde_json::from_slice(&std::fs::read(dir.join(format!("{name}.json"))).unwrap())
                .unwrap();
        // Our own checkpoint of the same appends reads back to Loki's entries.
        let w = replay(&name, &v);
        assert_eq!(
            w.head_len() as u64,
            v["extra"]["head_entries"].as_u64().unwrap(),
            "{name}"
        );
        let (chunk, head) = w.checkpoint().unwrap();
        let ours = Chunk::open_checkpoint(chunk, &head).unwrap();
        assert_same_entries(
            &name,
            &ours.entries(Query::all()).unwrap(),
            &expected_entries(&v["entries"]),
        );

        // Restoring Loki's checkpoint gives Loki's in-memory chunk facts.
        let loki_chunk = std::fs::read(dir.join(format!("{name}.chunk"))).unwrap();
        let loki_head = std::fs::read(dir.join(format!("{name}.head"))).unwrap();
        let facts = &v["chunk"];
        let restored = ChunkWriter::from_checkpoint(
            loki_chunk,
            loki_head,
            usize::try_from(facts["writer_block_size"].as_u64().unwrap()).unwrap(),
            0,
        )
        .unwrap();
        assert_eq!(
            restored.uncompressed_size(),
            facts["uncompressed_size"].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(
            restored.entry_count(),
            facts["entry_count"].as_u64().unwrap(),
            "{name}"
        );
        if let Some(want) = symbol_table(facts) {
            assert_eq!(restored.symbols(), want.as_slice(), "{name}: symbol table");
        }
    }
}

#[test]
fn v2_writer_rejects_out_of_order_entries() {
    let mut w = ChunkWriter::new(WriterOptions::v2(Codec::Gzip).block_size(10)).unwrap();
    assert_eq!(w.append(10, b"0123456789", &[]).unwrap(), Appended::Stored); // cut
    assert!(matches!(
        w.append(5, b"x", &[]),
        Err(ChunkError::OutOfOrder { ts: 5, newest: 10 })
    ));
    assert_eq!(
        w.append(10, b"same ts is fine", &[]).unwrap(),
        Appended::Stored
    );
    assert!(matches!(
        w.append(9, b"y", &[]),
        Err(ChunkError::OutOfOrder { .. })
    ));
}

#[test]
fn space_for_follows_loki_accounting() {
    let mut w = ChunkWriter::new(WriterOptions::v4(Codec::None).target_size(100)).unwrap();
    assert!(w.space_for(99, &[]));
    assert!(!w.space_for(100, &[]));
    let _ = w.append(1, &[b'x'; 50], &[("k", "v")]).unwrap();
    // head: 50 + 8 (one pair); symbols: 2 bytes; new entry: 30 + 2 (name + value) => 92.
    assert!(w.space_for(30, &[("a", "b")]));
    assert!(!w.space_for(38, &[("a", "b")]));
    let mut w =
        ChunkWriter::new(WriterOptions::v3(Codec::None).block_size(1).target_size(0)).unwrap();
    for i in 0..10 {
        assert!(w.space_for(1, &[]));
        let _ = w.append(i, b"x", &[]).unwrap();
    }
    assert!(
        !w.space_for(1, &[]),
        "at most 10 blocks without a target size"
    );
}
