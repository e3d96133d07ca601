//! `loki-chunk-convert` end to end: log lines (text or JSON lines) in, stored chunk objects
//! out in the filesystem store's layout, read back with `loki-chunk-inspect`'s folder mode
//! and with the library as Loki's reader would read them.
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use loki_chunk::{Chunk, KeySchema, ObjectKey, Query, StoredChunk};
use serde_json::Value;

fn convert(out: &Path, args: &[&str], inputs: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loki-chunk-convert"))
        .arg("--out")
        .arg(out)
        .args(args)
        .args(inputs)
        .output()
        .unwrap()
}

fn inspect(args: &[&str], path: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loki-chunk-inspect"))
        .args(args)
        .arg(path)
        .output()
        .unwrap()
}

fn both(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `loki-chunk-inspect --json FOLDER`: one value per chunk.
fn listing(store: &Path) -> Vec<Value> {
    let out = inspect(&["--json"], store);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Every file under `dir`.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[test]
fn text_lines_become_chunks_of_one_stream() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("app.log");
    let mut text = String::new();
    for i in 0..3000 {
        let _ = write!(text, "level=info msg=\"request {i}\" took={}ms\r\n", i % 97);
    }
    std::fs::write(&input, text).unwrap();
    let store = dir.path().join("chunks");
    let out = convert(
        &store,
        &[
            "--labels",
            "{job=\"app\", env=\"prod\"}",
            "--start",
            "2024-03-10T12:00:00Z",
            "--target-size",
            "6000",
            "--block-size",
            "2000",
        ],
        &[&input],
    );
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    let report = stdout(&out);
    let summary = report.lines().last().unwrap();
    assert!(summary.starts_with("wrote "), "{report}");
    assert!(
        summary.contains(" chunk(s) of 1 stream(s) of tenant fake under "),
        "{report}"
    );
    assert!(summary.ends_with(": 3000 entries"), "{report}");

    // Several chunks (the target size is small), all of one stream, at their keys' paths.
    let chunks = listing(&store);
    assert!(chunks.len() > 1, "{chunks:?}");
    assert_eq!(report.lines().count(), chunks.len() + 1, "{report}");
    let fingerprint = format!(
        "{:x}",
        "{env=\"prod\", job=\"app\"}"
            .parse::<loki_chunk::LabelSet>()
            .unwrap()
            .fingerprint()
    );
    for chunk in &chunks {
        assert_eq!(chunk["tenant"], "fake");
        assert_eq!(chunk["stream_labels"], "{env=\"prod\", job=\"app\"}");
        assert_eq!(chunk["fingerprint_hex"], fingerprint.as_str());
        assert_eq!(chunk["format_version"], 4);
        assert_eq!(chunk["encoding"], "gzip");
        assert_eq!(chunk["at_its_key"], true);
        assert!(chunk["size_bytes"].as_u64().unwrap() < 7000, "{chunk}");
    }
    let total: u64 = chunks
        .iter()
        .map(|c| c["entry_count"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 3000);

    // The lines in input order, 1 ns apart from --start, without their line ends.
    let out = inspect(&["--lines"], &store);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    let lines: Vec<String> = stdout(&out).lines().map(ToOwned::to_owned).collect();
    assert_eq!(lines.len(), 3000);
    assert_eq!(
        lines[0],
        "2024-03-10T12:00:00.000000000Z {env=\"prod\", job=\"app\"} level=info msg=\"request 0\" took=0ms"
    );
    assert_eq!(
        lines[2999],
        "2024-03-10T12:00:00.000002999Z {env=\"prod\", job=\"app\"} level=info msg=\"request 2999\" took=89ms"
    );

    // Each object decodes under the key its path names, as Loki's reader checks it.
    for path in files(&store) {
        let relative = path.strip_prefix(&store).unwrap().to_str().unwrap();
        let (key, schema) = ObjectKey::parse_fs_path(relative).unwrap();
        assert_eq!(schema, KeySchema::V12);
        let bytes = bytes::Bytes::from(std::fs::read(&path).unwrap());
        let stored = StoredChunk::decode_with_key(&bytes, &key).unwrap();
        let chunk = Chunk::open(stored.chunk).unwrap();
        let (min, max) = chunk.bounds().unwrap();
        assert_eq!(key.from_ms, loki_chunk::storage::from_ms_for_ns(min));
        assert_eq!(key.through_ms, loki_chunk::storage::through_ms_for_ns(max));
        assert!(chunk.entries(Query::all()).unwrap().len() > 100);
    }
}

#[test]
fn json_lines_name_their_streams_times_and_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("logs.jsonl");
    let lines = [
        r#"{"line":"started","ts":"2024-03-10T12:00:00Z","labels":"{app=\"api\"}","structured_metadata":{"trace_id":"abc"}}"#,
        r#"{"line":"working","ts":1710072001000000000,"labels":{"app":"worker"}}"#,
        "",
        r#"{"line":"no time, default stream"}"#,
        r#"{"line":"earlier","ts":"1710071999000000000","labels":"{app=\"api\"}"}"#,
        r#"{"line":"started","ts":"2024-03-10T12:00:00Z","labels":"{app=\"api\"}","structured_metadata":{"trace_id":"abc"}}"#,
        // Over two hours later: a chunk of its own (Loki's max_chunk_age).
        r#"{"line":"much later","ts":"2024-03-10T15:00:00Z","labels":"{app=\"api\"}"}"#,
    ];
    std::fs::write(&input, lines.join("\n")).unwrap();
    let store = dir.path().join("chunks");
    let out = convert(
        &store,
        &[
            "--format",
            "json",
            "--tenant",
            "tenant-a",
            "--labels",
            "{app=\"default\"}",
            "--start",
            "2024-01-01T00:00:00Z",
            "--codec",
            "snappy",
        ],
        &[&input],
    );
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    let report = stdout(&out);
    assert!(
        report.contains("wrote 4 chunk(s) of 3 stream(s) of tenant tenant-a under ")
            && report.contains(": 5 entries (1 duplicate(s) dropped)"),
        "{report}"
    );

    let out = inspect(&["--lines"], &store);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    // Sorted by stream, then time; the line without a time at --start + its position (3).
    assert_eq!(
        stdout(&out),
        "2024-03-10T11:59:59.000000000Z {app=\"api\"} earlier\n\
         2024-03-10T12:00:00.000000000Z {app=\"api\"} {trace_id=\"abc\"} started\n\
         2024-03-10T15:00:00.000000000Z {app=\"api\"} much later\n\
         2024-01-01T00:00:00.000000002Z {app=\"default\"} no time, default stream\n\
         2024-03-10T12:00:01.000000000Z {app=\"worker\"} working\n"
    );
    let chunks = listing(&store);
    assert_eq!(chunks.len(), 4);
    assert!(
        chunks
            .iter()
            .all(|c| c["tenant"] == "tenant-a" && c["encoding"] == "snappy")
    );

    // Schema v11: V3 chunks at flat base64 names; structured metadata dropped, with a note.
    let v11 = dir.path().join("v11");
    let out = convert(
        &v11,
        &[
            "--format",
            "json",
            "--schema",
            "v11",
            "--labels",
            "{a=\"b\"}",
        ],
        &[&input],
    );
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("structured metadata is dropped"),
        "{}",
        both(&out)
    );
    for path in files(&v11) {
        let relative = path.strip_prefix(&v11).unwrap().to_str().unwrap();
        assert_eq!(
            ObjectKey::parse_fs_path(relative).unwrap().1,
            KeySchema::V11,
            "{relative}"
        );
    }
    assert!(
        listing(&v11)
            .iter()
            .all(|c| c["format_version"] == 3 && c["at_its_key"] == true)
    );
}

#[test]
fn stdin_and_gzip_inputs_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("in.log.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(b"from gzip\n").unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let store = dir.path().join("chunks");
    let mut child = Command::new(env!("CARGO_BIN_EXE_loki-chunk-convert"))
        .arg("--out")
        .arg(&store)
        .args(["--labels", "{job=\"x\"}", "--start", "1000"])
        .arg(&gz)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"from stdin\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    let out = inspect(&["--lines"], &store);
    assert_eq!(
        stdout(&out),
        "1970-01-01T00:00:00.000001000Z {job=\"x\"} from gzip\n\
         1970-01-01T00:00:00.000001001Z {job=\"x\"} from stdin\n"
    );
}

#[test]
fn bad_inputs_and_arguments_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("chunks");
    let input = dir.path().join("in.jsonl");
    std::fs::write(&input, "{\"line\":\"ok\"}\n{\"ts\":5}\n").unwrap();
    for (args, needle) in [
        (
            &["--format", "json", "--labels", "{a=\"b\"}"][..],
            "in.jsonl: line 2: no \"line\" string",
        ),
        (
            &["--format", "json"],
            "line 1: no \"labels\", and no --labels",
        ),
        (&[], "text input needs --labels"),
        (&["--labels", "{}"], "a stream needs at least one label"),
        (&["--labels", "{1a=\"b\"}"], "invalid label set"),
        (&["--labels", "{a=\"b\"}", "--tenant", "../x"], "tenant"),
        (&["--labels", "{a=\"b\"}", "--codec", "brotli"], "brotli"),
        (
            &["--labels", "{a=\"b\"}", "--max-chunk-age", "1d"],
            "the unit is s, m or h",
        ),
        (
            &["--labels", "{a=\"b\"}", "--start", "soon"],
            "neither an RFC 3339 time",
        ),
        (
            &["--labels", "{a=\"b\"}", "--block-size", "0"],
            "block_size",
        ),
    ] {
        let out = convert(&store, args, &[&input]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", both(&out));
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let out = convert(
        &store,
        &["--labels", "{a=\"b\"}"],
        &[&dir.path().join("missing")],
    );
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
    assert!(files(&store).is_empty(), "nothing written");
}
