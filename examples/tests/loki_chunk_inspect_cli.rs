//! `loki-chunk-inspect` end to end: detection of the three input kinds, JSON in the shape of
//! the compatibility vectors, and exit statuses 0 / 1 / 2.
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn run(args: &[&Path], json: bool) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_loki-chunk-inspect"));
    if json {
        cmd.arg("--json");
    }
    cmd.args(args).output().unwrap()
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

fn vector(dir: &Path, name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join(format!("{name}.json"))).unwrap()).unwrap()
}

#[test]
fn own_chunk_round_trips_through_the_cli() {
    use loki_chunk::{ChunkWriter, Codec, WriterOptions};
    let mut w = ChunkWriter::new(WriterOptions::v4(Codec::Zstd)).unwrap();
    let _ = w.append(5, b"hello", &[("trace_id", "t1")]).unwrap();
    let _ = w.append(7, &[0xff, 0xfe], &[]).unwrap(); // not UTF-8
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.chunk");
    std::fs::write(&file, w.finish().unwrap()).unwrap();
    let out = run(&[&file], true);
    assert!(out.status.success());
    let doc = json_of(&out);
    assert_eq!(doc["kind"], "memchunk");
    assert_eq!(doc["chunk"]["encoding"], "zstd");
    assert_eq!(doc["entries"][0]["structured_metadata"][0]["value"], "t1");
    assert_eq!(doc["entries"][1]["line_base64"], "//4=");
    let out = run(&[&file], false);
    assert!(String::from_utf8_lossy(&out.stdout).contains("format V4 codec zstd"));
}

#[test]
fn compat_vectors_print_loki_shaped_json_and_exit_statuses() {
    let Some(compat) = testkit::compat_dir("compat_vectors_print_loki_shaped_json") else {
        return;
    };
    let dir = compat.join("loki");

    // A clean chunk: exit 0, entries and facts exactly as Loki's.
    let out = run(&[&dir.join("v4_snappy.chunk")], true);
    assert_eq!(out.status.code(), Some(0));
    let (doc, want) = (json_of(&out), vector(&dir, "v4_snappy"));
    assert_eq!(doc["entries"], want["entries"]);
    for field in [
        "format_version",
        "encoding_byte",
        "encoding",
        "size_bytes",
        "sha256",
        "block_count",
        "entry_count",
        "min_ts_ns",
        "max_ts_ns",
        "uncompressed_size",
        "blocks",
        "symbol_table",
    ] {
        assert_eq!(doc["chunk"][field], want["chunk"][field], "{field}");
    }

    // A bad block: readable, exit 1, the block listed as skipped.
    let out = run(&[&dir.join("corrupt_block_bitflip.chunk")], true);
    assert_eq!(out.status.code(), Some(1));
    let doc = json_of(&out);
    assert_eq!(doc["entries"].as_array().unwrap().len(), 274);
    assert_eq!(doc["chunk"]["skipped_blocks"].as_array().unwrap().len(), 1);

    // Truncated and bad magic: rejected, exit 2, typed error on stderr, no panic.
    for (file, needle) in [("truncated_half.chunk", "trailer"), ("bad_magic.chunk", "")] {
        let out = run(&[&dir.join(file)], false);
        assert_eq!(out.status.code(), Some(2), "{file}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(needle) && !err.contains("panicked"),
            "{file}: {err}"
        );
    }

    // A checkpoint pair.
    let out = run(
        &[
            &dir.join("ckpt_v4_snappy.chunk"),
            &dir.join("ckpt_v4_snappy.head"),
        ],
        true,
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        json_of(&out)["entries"],
        vector(&dir, "ckpt_v4_snappy")["entries"]
    );

    // A stored object: detected, its key derived from its bytes.
    let out = run(&[&dir.join("storage_0_v13_v4_snappy.bin")], true);
    assert_eq!(out.status.code(), Some(0));
    let (doc, want) = (json_of(&out), vector(&dir, "storage_0_v13_v4_snappy"));
    assert_eq!(doc["kind"], "storage_chunk");
    assert_eq!(doc["object"]["object_key"], want["extra"]["object_key"]);
    assert_eq!(doc["entries"], want["entries"]);

    // A server-flushed object at its filesystem-store path: the key in the path is checked.
    let want = vector(&dir, "server_flushed_0");
    let fs_path = want["extra"]["filesystem_path"].as_str().unwrap();
    let root = tempfile::tempdir().unwrap();
    let placed = root.path().join(fs_path);
    std::fs::create_dir_all(placed.parent().unwrap()).unwrap();
    let mut object = std::fs::read(dir.join("server_flushed_0.bin")).unwrap();
    std::fs::write(&placed, &object).unwrap();
    let out = run(&[&placed], true);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json_of(&out)["object"]["filesystem_path"], fs_path);
    let last = object.len() - 1;
    object[last] ^= 1;
    std::fs::write(&placed, &object).unwrap();
    let out = run(&[&placed], false);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("checksum"));
}
