//! `tempo-block-convert` end to end: OTLP in (the compat input's JSON lines, protobuf made
//! here), a block out that `tempo-block-inspect` lists, finds every trace of and verifies,
//! and the tenant index that lists it.
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use otlp_model::proto::common::{AnyValue, KeyValue, any_value};
use otlp_model::proto::resource::Resource;
use otlp_model::proto::trace::{ResourceSpans, ScopeSpans, Span, TracesData};
use prost::Message as _;
use serde_json::Value;
use tempo_block::{BlockStore, ObjectStoreBackend};

fn convert(bucket: &Path, tenant: &str, args: &[&str], inputs: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tempo-block-convert"))
        .arg("--path")
        .arg(bucket)
        .args(["--tenant", tenant])
        .args(args)
        .args(inputs)
        .output()
        .unwrap()
}

fn inspect(bucket: &Path, tenant: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tempo-block-inspect"))
        .arg("--path")
        .arg(bucket)
        .args(["--tenant", tenant])
        .args(args)
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

/// The trace IDs of `find`'s output lines.
fn found_ids(out: &Output) -> BTreeSet<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["traceID"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

#[test]
fn the_compat_input_becomes_a_block_holding_every_trace() {
    let Some(compat) = testkit::compat_dir("the_compat_input_becomes_a_block") else {
        return;
    };
    let generated = compat.join("tempo/generated");
    let present: Value =
        serde_json::from_slice(&std::fs::read(generated.join("present-trace-ids.json")).unwrap())
            .unwrap();
    let ids: BTreeSet<String> = present
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["traceID"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 1000);
    let spans: u64 = present
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["spanCount"].as_u64().unwrap())
        .sum();

    let dir = tempfile::tempdir().unwrap();
    let bucket = dir.path().join("bucket"); // created by the converter
    let block = "00000000-0000-4000-8000-00000000c0de";
    let input = generated.join("input-traces.otlp.jsonl.gz");
    let out = convert(&bucket, "single-tenant", &["--block-id", block], &[&input]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.starts_with(&format!(
            "wrote block {block} of tenant single-tenant: 1000 traces ({spans} spans from 1000 message(s))"
        )),
        "{report}"
    );
    assert!(
        report.contains("tenant index of single-tenant rebuilt: 1 live and 0 compacted block(s)"),
        "{report}"
    );

    // find: every trace ID of the input, each with all its spans.
    let mut args = vec!["find"];
    args.extend(ids.iter().map(String::as_str));
    let out = inspect(&bucket, "single-tenant", &args);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    assert_eq!(found_ids(&out), ids);
    let found_spans: usize = String::from_utf8_lossy(&out.stdout)
        .matches("\"spanId\":")
        .count();
    assert!(
        found_spans as u64 >= spans,
        "{found_spans} of {spans} spans"
    );

    // verify: every row, in order, in the bloom filter; and listed.
    let out = inspect(&bucket, "single-tenant", &["verify"]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains(&format!("{block}: ok: 1000 rows")),
        "{report}"
    );
    let out = inspect(&bucket, "single-tenant", &["list-blocks"]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    let listing = String::from_utf8_lossy(&out.stdout);
    let row = listing.lines().nth(1).unwrap();
    assert!(row.starts_with(&format!("{block}  vParquet5")), "{listing}");
    assert!(row.ends_with("  live"), "{listing}");

    // The tenant index lists the block, as Tempo's poller would have it.
    let store = BlockStore::new(Arc::new(ObjectStoreBackend::local(&bucket).unwrap()));
    let index = block_on(store.read_tenant_index("single-tenant")).unwrap();
    assert_eq!(index.metas.len(), 1);
    assert_eq!(index.metas[0].block_id.to_string(), block);
    assert_eq!(index.metas[0].total_objects, 1000);
}

/// A trace of `spans` spans named `op-<i>` in service `service`.
fn trace(id: u8, service: &str, spans: u8) -> ResourceSpans {
    ResourceSpans {
        resource: Some(Resource {
            attributes: vec![KeyValue {
                key: "service.name".into(),
                value: Some(AnyValue {
                    value: Some(any_value::Value::StringValue(service.into())),
                }),
                ..KeyValue::default()
            }],
            ..Resource::default()
        }),
        scope_spans: vec![ScopeSpans {
            spans: (1..=spans)
                .map(|i| Span {
                    trace_id: vec![id; 16],
                    span_id: vec![i; 8],
                    name: format!("op-{i}"),
                    start_time_unix_nano: 1_736_946_000_000_000_000 + u64::from(i),
                    end_time_unix_nano: 1_736_946_001_000_000_000 + u64::from(i),
                    ..Span::default()
                })
                .collect(),
            ..ScopeSpans::default()
        }],
        ..ResourceSpans::default()
    }
}

#[test]
fn protobuf_and_json_inputs_of_several_files_make_one_block() {
    let dir = tempfile::tempdir().unwrap();
    let bucket = dir.path().join("bucket");
    // Protobuf: traces 1 and 2; JSON lines: the rest of trace 2 (span 3) and trace 3.
    let pb = dir.path().join("traces.pb");
    let data = TracesData {
        resource_spans: vec![trace(1, "front", 2), trace(2, "back", 2)],
    };
    std::fs::write(&pb, data.encode_to_vec()).unwrap();
    let jsonl = dir.path().join("traces.jsonl");
    let more = otlp_model::json::encode_traces_json(
        &[trace(3, "other", 1)],
        otlp_model::json::JsonStyle::Otlp,
    );
    let part = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"02020202020202020202020202020202","spanId":"0303030303030303","name":"op-3","startTimeUnixNano":"1736946000000000003","endTimeUnixNano":"1736946001000000003"}]}]}]}"#;
    std::fs::write(&jsonl, [part.as_bytes(), b"\n\n", &more, b"\n"].concat()).unwrap();
    let out = convert(&bucket, "t", &[], &[&pb, &jsonl]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(": 3 traces (6 spans from 3 message(s))"),
        "{}",
        both(&out)
    );
    let ids = [
        "01010101010101010101010101010101",
        "02020202020202020202020202020202",
        "03030303030303030303030303030303",
    ];
    let mut args = vec!["find"];
    args.extend(ids);
    let out = inspect(&bucket, "t", &args);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    assert_eq!(
        found_ids(&out),
        ids.iter().map(ToString::to_string).collect()
    );
    // Trace 2 came from both files: its three spans are one trace.
    let second: Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().nth(1).unwrap()).unwrap();
    let text = second.to_string();
    for span in ["op-1", "op-2", "op-3"] {
        assert!(text.contains(span), "{text}");
    }
    let out = inspect(&bucket, "t", &["verify"]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));

    // A second block; the tenant index now lists both. --format forces the format.
    let out = convert(&bucket, "t", &["--format", "protobuf"], &[&pb]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("2 live and 0 compacted block(s)"),
        "{}",
        both(&out)
    );
    let out = convert(&bucket, "t", &["--format", "json"], &[&pb]);
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
}

#[test]
fn bad_inputs_are_refused_with_their_line_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let bucket = dir.path().join("bucket");
    let jsonl = dir.path().join("bad.jsonl");
    let good = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0000000000000000000000000000000a","spanId":"000000000000000b","name":"x"}]}]}]}"#;
    for (text, needle) in [
        (
            format!("{good}\n{{\"resourceSpans\":7}}\n"),
            "bad.jsonl: line 2:",
        ),
        (format!("{good}\nnot json\n"), "line 2: not a JSON object"),
        (
            "\n{}\n".to_owned(),
            "the input holds no spans: no block written",
        ),
    ] {
        std::fs::write(&jsonl, text).unwrap();
        let out = convert(&bucket, "t", &[], &[&jsonl]);
        assert_eq!(out.status.code(), Some(2), "{}", both(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{needle}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let pb = dir.path().join("bad.pb");
    std::fs::write(&pb, [0x0a, 0xff, 0xff]).unwrap();
    let out = convert(&bucket, "t", &[], &[&pb]);
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bad.pb: not an OTLP protobuf TracesData"),
        "{}",
        both(&out)
    );
    let out = convert(&bucket, "t", &[], &[&dir.path().join("missing.jsonl")]);
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
    let out = convert(&bucket, "../t", &[], &[&jsonl]);
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
    // Nothing but the bucket folder itself was written.
    assert_eq!(std::fs::read_dir(&bucket).unwrap().count(), 0);
}
