//! The `tempo-bloom` binary end to end: demo, build, test, inspect and exit statuses.
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tempo-bloom"))
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The one block folder of a generated compat set.
fn block_dir(set: &Path) -> PathBuf {
    std::fs::read_dir(set.join("blocks/single-tenant"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir())
        .unwrap()
}

#[test]
fn demo_writes_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&[
        "demo",
        "--dir",
        dir.path().to_str().unwrap(),
        "--traces",
        "5000",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("read back: 5000 of 5000 IDs found"),
        "{stdout}"
    );
    let shard = std::fs::read(dir.path().join("demo-block/bloom-0")).unwrap();
    assert_eq!(shard.len(), 24 + 102_400);
}

#[test]
fn corrupt_shard_is_exit_2_with_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bloom-0");
    std::fs::write(&file, [0u8; 30]).unwrap();
    let out = run(&["inspect", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("header field m at offset 0"),
        "{}",
        text(&out.stderr)
    );
    let out = run(&["test", dir.path().to_str().unwrap(), "zz"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn build_reproduces_tempo_shards_and_test_answers_like_tempo() {
    let Some(compat) = testkit::compat_dir("build_reproduces_tempo_shards") else {
        return;
    };
    let generated = compat.join("tempo/generated");
    let present: serde_json::Value =
        serde_json::from_slice(&std::fs::read(generated.join("present-trace-ids.json")).unwrap())
            .unwrap();
    let ids: Vec<&str> = present
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["traceID"].as_str().unwrap())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let ids_file = dir.path().join("ids.txt");
    std::fs::write(&ids_file, ids.join("\n")).unwrap();
    let out_dir = dir.path().join("block");
    let out = run(&[
        "build",
        "--ids",
        ids_file.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "--shard-size",
        "512",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let tempo_block = block_dir(&generated.join("vParquet5-bloom512"));
    for i in 0..3 {
        let name = format!("bloom-{i}");
        let ours = std::fs::read(out_dir.join(&name)).unwrap();
        let theirs = std::fs::read(tempo_block.join(&name)).unwrap();
        assert!(ours == theirs, "{name} differs from Tempo's");
    }
    assert!(!Path::new(&out_dir.join("bloom-3")).exists());

    // Present IDs (with leading zeros stripped, as Tempo prints them) test positive: exit 0.
    let out = run(&[
        "test",
        tempo_block.to_str().unwrap(),
        ids[0].trim_start_matches('0'),
        ids[1],
    ]);
    assert!(out.status.success(), "{}", text(&out.stdout));

    // An ID Tempo's default-size bloom rejects is absent: exit 1.
    let vectors: serde_json::Value = serde_json::from_slice(
        &std::fs::read(generated.join("vParquet5/bloom-vectors.json")).unwrap(),
    )
    .unwrap();
    let rejected = vectors["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| !v["blockBloomTest"].as_bool().unwrap())
        .unwrap()["traceID"]
        .as_str()
        .unwrap();
    let default_block = block_dir(&generated.join("vParquet5"));
    let out = run(&["test", default_block.to_str().unwrap(), rejected]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("absent"));
}
