//! Every binary, its output piped into a reader that goes away (`… | head -1`): a quiet end
//! with status 0, never a panic (status 101, "failed printing to stdout").
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

use std::ffi::OsStr;
use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use loki_chunk::{ChunkWriter, Codec, WriterOptions};

/// Starts `bin` with `args`, stdout and stderr piped.
fn spawn_piped(bin: &str, args: &[&OsStr]) -> std::process::Child {
    Command::new(bin)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Runs `bin` with `args`, its stdout a pipe whose reading end is closed at once.
fn closed_at_once(bin: &str, args: &[&OsStr]) -> Output {
    let mut child = spawn_piped(bin, args);
    drop(child.stdout.take());
    child.wait_with_output().unwrap()
}

/// Runs `bin` with `args`, reads the first line of its output and closes the pipe, as
/// `head -1` does; returns the line.
fn first_line_then_closed(bin: &str, args: &[&OsStr]) -> (String, Output) {
    let mut child = spawn_piped(bin, args);
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (line, child.wait_with_output().unwrap())
}

/// The program ended quietly: status 0, nothing on stderr.
fn assert_quiet(what: &str, out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    assert_eq!(out.status.code(), Some(0), "{what}: {stderr}");
    assert!(stderr.is_empty(), "{what}: {stderr}");
}

/// `line 0` to `line <n-1>`, one a line.
fn numbered_lines(n: usize) -> String {
    use std::fmt::Write as _;
    let mut text = String::new();
    for i in 0..n {
        let _ = writeln!(text, "line {i}");
    }
    text
}

fn os<'a>(args: &'a [&'a str]) -> Vec<&'a OsStr> {
    args.iter().map(OsStr::new).collect()
}

/// A chunk of `n` entries, whose JSON (about 150 bytes an entry) outgrows a pipe's buffer.
fn write_chunk(path: &Path, n: i64) {
    let mut w = ChunkWriter::new(WriterOptions::v4(Codec::Snappy)).unwrap();
    for i in 0..n {
        let line = format!("level=info msg=\"request {i} served\" path=/api/v1/items/{i}");
        let _ = w
            .append(
                1_717_200_000_000_000_000 + i,
                line.as_bytes(),
                &[("trace_id", "abc")],
            )
            .unwrap();
    }
    std::fs::write(path, w.finish().unwrap()).unwrap();
}

#[test]
fn loki_chunk_inspect_ends_quietly_on_a_closed_pipe() {
    let bin = env!("CARGO_BIN_EXE_loki-chunk-inspect");
    let dir = tempfile::tempdir().unwrap();
    let chunk = dir.path().join("big.chunk");
    write_chunk(&chunk, 20_000);
    let file = chunk.as_os_str();

    // The issue's case: `loki-chunk-inspect --json FILE | head -1`.
    let (line, out) = first_line_then_closed(bin, &[OsStr::new("--json"), file]);
    assert_eq!(line, "{\n");
    assert_quiet("--json | head -1", &out);
    let (line, out) = first_line_then_closed(bin, &[OsStr::new("--lines"), file]);
    assert!(
        line.starts_with("2024-06-01T00:00:00.000000000Z {trace_id=\"abc\"} level=info"),
        "{line}"
    );
    assert_quiet("--lines | head -1", &out);
    for args in [
        vec![file],
        vec![OsStr::new("--json"), file],
        vec![OsStr::new("--lines"), file],
    ] {
        assert_quiet(&format!("{args:?}"), &closed_at_once(bin, &args));
    }

    // Folder mode.
    let store = dir.path().join("store");
    let text = numbered_lines(20_000);
    std::fs::write(dir.path().join("lines.txt"), text).unwrap();
    let convert = Command::new(env!("CARGO_BIN_EXE_loki-chunk-convert"))
        .args(["--labels", "{job=\"x\"}", "--start", "0", "--out"])
        .arg(&store)
        .arg(dir.path().join("lines.txt"))
        .output()
        .unwrap();
    assert!(convert.status.success(), "{convert:?}");
    let (line, out) = first_line_then_closed(bin, &[OsStr::new("--lines"), store.as_os_str()]);
    assert_eq!(line, "1970-01-01T00:00:00.000000000Z {job=\"x\"} line 0\n");
    assert_quiet("FOLDER --lines | head -1", &out);
    for mode in ["--json", "--lines"] {
        let out = closed_at_once(bin, &[OsStr::new(mode), store.as_os_str()]);
        assert_quiet(mode, &out);
    }
    assert_quiet("FOLDER", &closed_at_once(bin, &[store.as_os_str()]));
}

#[test]
fn the_converters_finish_their_work_on_a_closed_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let lines = dir.path().join("lines.txt");
    let text = numbered_lines(5_000);
    std::fs::write(&lines, text).unwrap();
    let store = dir.path().join("store");
    // Small chunks: many lines of output, the first written long before the last chunk.
    let out = closed_at_once(
        env!("CARGO_BIN_EXE_loki-chunk-convert"),
        &[
            OsStr::new("--labels"),
            OsStr::new("{job=\"x\"}"),
            OsStr::new("--target-size"),
            OsStr::new("1000"),
            OsStr::new("--block-size"),
            OsStr::new("500"),
            OsStr::new("--out"),
            store.as_os_str(),
            lines.as_os_str(),
        ],
    );
    assert_quiet("loki-chunk-convert", &out);
    let listing = Command::new(env!("CARGO_BIN_EXE_loki-chunk-inspect"))
        .arg("--json")
        .arg(&store)
        .output()
        .unwrap();
    assert!(listing.status.success(), "{listing:?}");
    let entries: u64 = String::from_utf8(listing.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["entry_count"]
                .as_u64()
                .unwrap()
        })
        .sum();
    assert_eq!(
        entries, 5_000,
        "every line converted although stdout was closed"
    );

    let traces = dir.path().join("traces.jsonl");
    std::fs::write(&traces, r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0000000000000000000000000000abcd","spanId":"00000000000000ef","name":"a","startTimeUnixNano":"1736946000000000000","endTimeUnixNano":"1736946001000000000"}]}]}]}"#).unwrap();
    let bucket = dir.path().join("bucket");
    let out = closed_at_once(
        env!("CARGO_BIN_EXE_tempo-block-convert"),
        &[
            OsStr::new("--path"),
            bucket.as_os_str(),
            OsStr::new("--tenant"),
            OsStr::new("t"),
            traces.as_os_str(),
        ],
    );
    assert_quiet("tempo-block-convert", &out);
    assert_eq!(
        std::fs::read_dir(bucket.join("t")).unwrap().count(),
        3,
        "block, index.json.gz, index.pb.zst"
    );
}

#[test]
fn the_tempo_tools_end_quietly_on_a_closed_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let traces = dir.path().join("traces.jsonl");
    let lines: String = (1..=300)
        .map(|i| {
            format!(
                r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"{i:032x}","spanId":"{i:016x}","name":"op","startTimeUnixNano":"1736946000000000000","endTimeUnixNano":"1736946001000000000"}}]}}]}}]}}"#
            ) + "\n"
        })
        .collect();
    std::fs::write(&traces, lines).unwrap();
    let bucket = dir.path().join("bucket");
    let block = "00000000-0000-4000-8000-000000000001";
    let convert = Command::new(env!("CARGO_BIN_EXE_tempo-block-convert"))
        .arg("--path")
        .arg(&bucket)
        .args(["--tenant", "t", "--block-id", block])
        .arg(&traces)
        .output()
        .unwrap();
    assert!(convert.status.success(), "{convert:?}");

    let inspect = env!("CARGO_BIN_EXE_tempo-block-inspect");
    let bucket = bucket.to_str().unwrap();
    let ids: Vec<String> = (1..=300).map(|i| format!("{i:x}")).collect();
    let mut find = vec!["--path", bucket, "--tenant", "t", "find"];
    find.extend(ids.iter().map(String::as_str));
    let (line, out) = first_line_then_closed(inspect, &os(&find));
    assert!(line.starts_with("{\"trace\":"), "{line}");
    assert_quiet("find | head -1", &out);
    for command in [
        &["list-blocks"][..],
        &["list-blocks", "--json"],
        &["meta", "--pretty", block],
        &["schema", block],
        &["verify"],
        &find[4..],
    ] {
        let mut args = vec!["--path", bucket, "--tenant", "t"];
        args.extend(command);
        assert_quiet(
            &format!("{command:?}"),
            &closed_at_once(inspect, &os(&args)),
        );
    }

    let bloom = env!("CARGO_BIN_EXE_tempo-bloom");
    let ids_file = dir.path().join("ids.txt");
    std::fs::write(&ids_file, ids.join("\n")).unwrap();
    let shards = dir.path().join("shards");
    let build = Command::new(bloom)
        .arg("build")
        .arg("--ids")
        .arg(&ids_file)
        .arg("--out")
        .arg(&shards)
        .output()
        .unwrap();
    assert!(build.status.success(), "{build:?}");
    let mut test = vec![OsStr::new("test"), shards.as_os_str()];
    test.extend(ids.iter().map(OsStr::new));
    let (line, out) = first_line_then_closed(bloom, &test);
    assert!(line.ends_with(" maybe\n"), "{line}");
    assert_quiet("tempo-bloom test | head -1", &out);
    let shard = shards.join("bloom-0");
    for args in [
        test.clone(),
        vec![OsStr::new("inspect"), shard.as_os_str()],
        vec![
            OsStr::new("build"),
            OsStr::new("--ids"),
            ids_file.as_os_str(),
            OsStr::new("--out"),
            shards.as_os_str(),
        ],
    ] {
        assert_quiet(&format!("{args:?}"), &closed_at_once(bloom, &args));
    }
}
