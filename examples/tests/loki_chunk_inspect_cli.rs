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

#[test]
fn lines_print_entries_with_readable_times() {
    use loki_chunk::{ChunkWriter, Codec, WriterOptions};
    let mut w = ChunkWriter::new(WriterOptions::v4(Codec::Gzip)).unwrap();
    let _ = w
        .append(
            1_710_072_000_000_000_123,
            b"second",
            &[("trace_id", "t\"1")],
        )
        .unwrap();
    let _ = w.append(1_710_071_999_000_000_000, b"first", &[]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.chunk");
    std::fs::write(&file, w.finish().unwrap()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_loki-chunk-inspect"))
        .arg("--lines")
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "2024-03-10T11:59:59.000000000Z first\n\
         2024-03-10T12:00:00.000000123Z {trace_id=\"t\\\"1\"} second\n"
    );
    // The summary gives the time range readably too.
    let out = run(&[&file], false);
    let summary = String::from_utf8(out.stdout).unwrap();
    assert!(
        summary.contains(
            "time range: 2024-03-10T11:59:59.000000000Z .. 2024-03-10T12:00:00.000000123Z"
        ),
        "{summary}"
    );
    // --json and --lines are one or the other.
    let out = Command::new(env!("CARGO_BIN_EXE_loki-chunk-inspect"))
        .args(["--lines", "--json"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Stderr of a run that must be rejected (status 2) without a panic.
fn rejected(args: &[&Path]) -> String {
    let out = run(args, false);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.stdout.is_empty(), "{args:?}");
    err
}

#[test]
fn errors_say_what_the_file_is() {
    let Some(compat) = testkit::compat_dir("errors_say_what_the_file_is") else {
        return;
    };
    let dir = compat.join("loki");

    // A chunk cut short: by how much, when the trailer can still be found.
    let err = rejected(&[&dir.join("truncated_tail5.chunk")]);
    assert!(
        err.contains(
            "the file is 5 bytes shorter than its trailer says (36633 bytes, the trailer \
             describes 36638)"
        ),
        "{err}"
    );
    let err = rejected(&[&dir.join("truncated_half.chunk")]);
    assert!(
        err.contains("points outside the file, so the file is cut short"),
        "{err}"
    );

    // A checkpoint's chunk without its head, and a plain chunk given a head.
    let err = rejected(&[&dir.join("ckpt_v4_snappy.chunk")]);
    assert!(
        err.contains("this is a WAL-checkpoint chunk")
            && err.contains("pass the head file")
            && err.contains("ckpt_v4_snappy.head"),
        "{err}"
    );
    let err = rejected(&[
        &dir.join("v4_snappy.chunk"),
        &dir.join("ckpt_v4_snappy.head"),
    ]);
    assert!(err.contains("leave out the head file"), "{err}");
    // Before V4 the checkpoint's chunk is an ordinary chunk: read, with a note on its head.
    let out = run(&[&dir.join("ckpt_v2_snappy.chunk")], false);
    assert_eq!(out.status.code(), Some(0));
    let note = String::from_utf8_lossy(&out.stderr);
    assert!(
        note.contains("ckpt_v2_snappy.head beside it may be this chunk's WAL-checkpoint head"),
        "{note}"
    );

    // Neither a chunk nor a stored object.
    for file in ["README.md", "bad_magic.chunk"] {
        let err = rejected(&[&dir.join(file)]);
        assert!(
            err.contains("neither a Loki chunk") && err.contains("nor a stored chunk object"),
            "{file}: {err}"
        );
    }
    let err = rejected(&[&dir.join("bad_magic.chunk")]);
    assert!(err.contains("it starts with 0xfe2ee56a"), "{err}");
    // A stored object whose chunk is damaged.
    let err = rejected(&[&dir.join("corrupt_storage_bitflip.bin")]);
    assert!(err.contains("the chunk inside the stored object"), "{err}");
    // A folder with a head file.
    let err = rejected(&[&dir, &dir.join("ckpt_v4_snappy.head")]);
    assert!(err.contains("leave out HEAD_FILE"), "{err}");
}

/// Places `<name>.bin` of the compat folder at `path` under `root`.
fn place(compat: &Path, name: &str, root: &Path, path: &str) -> std::path::PathBuf {
    let placed = root.join(path);
    std::fs::create_dir_all(placed.parent().unwrap()).unwrap();
    std::fs::copy(compat.join(format!("{name}.bin")), &placed).unwrap();
    placed
}

/// The vectors' stored objects in a filesystem store under `root`: Loki's server-written
/// objects at their own paths, objects of schemas v13, v12 and v11 at the paths their keys
/// give, and a file that is no chunk. Returns the store and each object's vector.
fn vector_store(dir: &Path, root: &Path) -> (std::path::PathBuf, Vec<(&'static str, Value)>) {
    let store = root.join("chunks");
    let mut expected = Vec::new();
    for name in [
        "server_flushed_0",
        "server_flushed_1",
        "server_flushed_2",
        "storage_0_v13_v4_snappy",
        "storage_1_v12_v3_gzip",
        "storage_2_v11_v4_zstd",
    ] {
        let want = vector(dir, name);
        let key = want["extra"]["object_key"].as_str().unwrap();
        let (key, schema) = loki_chunk::ObjectKey::parse(key).unwrap();
        place(dir, name, &store, &key.to_fs_path(schema));
        expected.push((name, want));
    }
    std::fs::write(store.join("README"), "not a chunk").unwrap();
    (store, expected)
}

#[test]
fn a_folder_of_stored_chunks_is_listed_by_tenant_and_stream() {
    let Some(compat) = testkit::compat_dir("a_folder_of_stored_chunks_is_listed") else {
        return;
    };
    let dir = compat.join("loki");
    let root = tempfile::tempdir().unwrap();
    let (store, expected) = vector_store(&dir, root.path());

    let out = Command::new(env!("CARGO_BIN_EXE_loki-chunk-inspect"))
        .arg(&store)
        .output()
        .unwrap();
    let (listing, notes) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{listing}{notes}");
    assert!(
        notes.contains("skipped 1 file(s)") && notes.contains("README"),
        "{notes}"
    );
    assert!(
        listing.starts_with("tenant fake: 5 stream(s), 5 chunk(s), "),
        "{listing}"
    );
    assert!(
        listing.contains("\ntenant tenant-a: 1 stream(s), 1 chunk(s), "),
        "{listing}"
    );
    assert!(
        listing.contains(
            "  stream {app=\"x\", env=\"prod\"} fingerprint 4543ea2197bb7ab4: 1 chunk(s), \
             2024-03-10T11:59:59.999998356Z .. 2024-03-10T12:00:00.072224952Z, 78 entries\n"
        ),
        "{listing}"
    );
    assert!(
        listing.contains("  V3 gzip  118 entries  6674 bytes  tenant-a/51b56e73b00d1b12/"),
        "{listing}"
    );

    // --json: one line per chunk, matching the vectors' facts.
    let out = Command::new(env!("CARGO_BIN_EXE_loki-chunk-inspect"))
        .arg("--json")
        .arg(&store)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), expected.len());
    for (name, want) in &expected {
        let key = want["extra"]["object_key"].as_str().unwrap();
        let (key, _) = loki_chunk::ObjectKey::parse(key).unwrap();
        let line = lines
            .iter()
            .find(|l| l["object_key"] == key.to_key(loki_chunk::KeySchema::V12))
            .unwrap_or_else(|| panic!("{name} not listed"));
        assert_eq!(line["tenant"], want["extra"]["tenant"], "{name}");
        assert_eq!(
            line["fingerprint_hex"], want["extra"]["fingerprint_hex"],
            "{name}"
        );
        assert_eq!(
            line["entry_count"],
            want["entries"].as_array().unwrap().len(),
            "{name}"
        );
        assert_eq!(line["at_its_key"], true, "{name}");
        assert_eq!(line["kind"], "storage_chunk");
    }

    // --lines: every entry of every chunk, with its stream.
    let out = Command::new(env!("CARGO_BIN_EXE_loki-chunk-inspect"))
        .arg("--lines")
        .arg(&store)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let total: usize = expected
        .iter()
        .map(|(_, want)| {
            want["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["line"].as_str().unwrap().matches('\n').count() + 1)
                .sum::<usize>()
        })
        .sum();
    assert_eq!(text.lines().count(), total);
    assert!(
        text.contains("2024-03-10T11:59:59.999998356Z {app=\"x\", env=\"prod\"} "),
        "{text}"
    );
}

#[test]
fn folder_problems_are_reported_and_the_rest_listed() {
    let Some(compat) = testkit::compat_dir("folder_problems_are_reported") else {
        return;
    };
    let dir = compat.join("loki");
    let root = tempfile::tempdir().unwrap();
    let (store, _) = vector_store(&dir, root.path());

    // A damaged object at its key's path: reported, the rest listed, status 1.
    let want = vector(&dir, "server_flushed_1");
    let broken = store.join(want["extra"]["filesystem_path"].as_str().unwrap());
    let mut bytes = std::fs::read(&broken).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&broken, bytes).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_loki-chunk-inspect"))
        .arg(&store)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("checksum"), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("tenant fake: 4 stream(s)"));

    // Pointed at one tenant's folder: still found and checked by their keys.
    let out = Command::new(env!("CARGO_BIN_EXE_loki-chunk-inspect"))
        .arg("--json")
        .arg(store.join("tenant-a"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let line: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["at_its_key"], true);

    // A folder without chunks is an error.
    let empty = root.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    std::fs::write(empty.join("x.txt"), "x").unwrap();
    let err = rejected(&[&empty]);
    assert!(err.contains("no chunks or stored chunk objects"), "{err}");
}
