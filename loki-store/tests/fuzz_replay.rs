//! Replays every committed fuzz seed through the WAL and index fuzz entry points, and writes
//! the seeds from a real store's files.

#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;

use loki_store::{ObjectStoreBackend, PushEntry, PushStream, Store, StoreConfig};

#[test]
fn replay_wal_inputs() {
    let inputs = testkit::fuzz_inputs("loki_store_wal");
    assert!(!inputs.is_empty());
    for (path, bytes) in inputs {
        eprintln!("replaying {}", path.display());
        loki_store::fuzzing::wal_segment(&bytes);
    }
}

#[test]
fn replay_index_inputs() {
    let inputs = testkit::fuzz_inputs("loki_store_index");
    assert!(!inputs.is_empty());
    for (path, bytes) in inputs {
        eprintln!("replaying {}", path.display());
        loki_store::fuzzing::index_file(&bytes);
    }
}

fn files_under(dir: &std::path::Path, ext: &str, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_under(&p, ext, out);
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
}

/// Rewrites the seed corpora from a store's own files:
/// `cargo test -p loki-store --test fuzz_replay -- --ignored write_seed_corpus`.
#[tokio::test]
#[ignore = "writes files; run by hand to regenerate the seeds"]
async fn write_seed_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let (wal, chunks) = (dir.path().join("wal"), dir.path().join("chunks"));
    std::fs::create_dir_all(&chunks).unwrap();
    let backend = Arc::new(ObjectStoreBackend::local(&chunks).unwrap());
    let store = Store::open(StoreConfig::new(&wal), backend.clone())
        .await
        .unwrap();
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    )
    .unwrap();
    let stream = PushStream::new(
        r#"{app="seed", env="test"}"#,
        vec![
            PushEntry::new(now - 2_000, "level=info msg=one"),
            PushEntry::with_metadata(now - 1_000, "level=error msg=two", [("trace_id", "abc")]),
        ],
    );
    store.push("fake", vec![stream]).await.unwrap();
    let mut segs = Vec::new();
    files_under(&wal, "wal", &mut segs);
    let seg = std::fs::read(&segs[0]).unwrap();
    testkit::write_seed("loki_store_wal", "valid-segment", &seg);
    testkit::write_seed("loki_store_wal", "torn-tail", &seg[..seg.len() - 3]);
    store.shutdown().await.unwrap();
    let mut idx = Vec::new();
    files_under(&chunks, "lidx", &mut idx);
    let file = std::fs::read(&idx[0]).unwrap();
    testkit::write_seed("loki_store_index", "valid-index", &file);
    let mut flipped = file.clone();
    flipped[file.len() / 2] ^= 0x20;
    testkit::write_seed("loki_store_index", "bit-flip", &flipped);
}
