//! Golden files made by this crate's own writer (`tests/golden/`), frozen: the writer must
//! keep producing the same bytes, and the reader must keep returning what Loki's reader
//! returns for them.
//!
//! Regenerate after a deliberate format change with `UPDATE_GOLDEN=1 cargo test -p loki-chunk
//! --test golden`, and say why in the commit.
#![allow(clippy::unwrap_used)] // test code panics on failure

use std::path::PathBuf;

use loki_chunk::{Chunk, ChunkWriter, Codec, Entry, Query, WriterOptions};

/// 2024-06-01T00:00:00Z in ns.
const T0: i64 = 1_717_200_000_000_000_000;

fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

/// Compares `bytes` with the golden file `name`, or rewrites it under `UPDATE_GOLDEN`.
fn check_frozen(name: &str, bytes: &[u8]) {
    let path = golden(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
    }
    let frozen = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        frozen == bytes,
        "{name}: the writer's output changed ({} bytes, frozen {} bytes)",
        bytes.len(),
        frozen.len()
    );
}

/// Timestamp, line, structured metadata.
type Append<'a> = (i64, &'a str, &'a [(&'a str, &'a str)]);

/// Structured-metadata names whose stored (raw, sorted) order differs from their order once
/// normalised. Loki's reader resolves each name, normalises it, and returns the pairs as a
/// label set, sorted by the normalised name: `1st` + `k8s-cluster` (stored in that order)
/// reads as `k8s_cluster`, `key_1st`.
#[test]
fn v4_metadata_is_returned_sorted_by_normalised_name() {
    let appends: [Append<'_>; 5] = [
        (T0, "two names", &[("k8s-cluster", "c1"), ("1st", "first")]),
        (T0 + 1, "none", &[]),
        (
            T0 + 2,
            "three",
            &[
                ("service.name", "api"),
                ("level", "info"),
                ("service-instance", "i-1"),
            ],
        ),
        (T0 + 3, "underscore", &[("a.b", "x"), ("_private", "p")]),
        (T0 + 4, "capital", &[("Zeta", "z"), ("1a", "y")]),
    ];
    let mut w = ChunkWriter::new(WriterOptions::v4(Codec::Snappy)).unwrap();
    for (ts, line, md) in appends {
        let _ = w.append(ts, line.as_bytes(), md).unwrap();
    }
    let bytes = w.finish().unwrap();
    check_frozen("v4_snappy_sm_normalised_order.chunk", &bytes);

    // Loki's order: by normalised name, byte order.
    let want = [
        Entry::with_metadata(
            T0,
            "two names",
            [("k8s_cluster", "c1"), ("key_1st", "first")],
        ),
        Entry::new(T0 + 1, "none"),
        Entry::with_metadata(
            T0 + 2,
            "three",
            [
                ("level", "info"),
                ("service_instance", "i-1"),
                ("service_name", "api"),
            ],
        ),
        Entry::with_metadata(T0 + 3, "underscore", [("a_b", "x"), ("key_private", "p")]),
        Entry::with_metadata(T0 + 4, "capital", [("Zeta", "z"), ("key_1a", "y")]),
    ];
    let frozen = std::fs::read(golden("v4_snappy_sm_normalised_order.chunk")).unwrap();
    let chunk = Chunk::open(frozen).unwrap();
    // The names are stored raw, sorted raw (as Loki's writer stores them).
    assert!(chunk.symbols().symbols().iter().any(|s| s == "1st"));
    assert_eq!(chunk.entries(Query::all()).unwrap(), want);

    // The borrowed iterator gives the same order, backward too.
    let mut seen = Vec::new();
    chunk
        .for_each(
            Query::all().direction(loki_chunk::Direction::Backward),
            |e| {
                seen.push(e.to_entry());
                std::ops::ControlFlow::Continue(())
            },
        )
        .unwrap();
    seen.reverse();
    assert_eq!(seen, want);
}

/// The same entries in a WAL checkpoint, whose head block is decoded by another path.
#[test]
fn checkpoint_head_metadata_is_sorted_by_normalised_name() {
    let mut w = ChunkWriter::new(WriterOptions::v4(Codec::Snappy)).unwrap();
    let _ = w
        .append(T0, b"head", &[("k8s-cluster", "c1"), ("1st", "first")])
        .unwrap();
    let (chunk, head) = w.checkpoint().unwrap();
    let read = Chunk::open_checkpoint(chunk, head).unwrap();
    assert_eq!(
        read.entries(Query::all()).unwrap(),
        [Entry::with_metadata(
            T0,
            "head",
            [("k8s_cluster", "c1"), ("key_1st", "first")]
        )]
    );
}
