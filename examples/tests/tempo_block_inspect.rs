//! The `tempo-block-inspect` binary end to end: Tempo's own blocks (find gives Tempo's
//! readback, combined across the split blocks as Tempo combines), blocks written here, broken
//! blocks, and exit statuses 0 / 1 / 2.
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use testkit::normalise_trace_json as normalise;

use otlp_model::proto::trace::TracesData;
use serde_json::Value;
use tempo_block::{BlockBuilder, BlockConfig, BlockStore, ObjectStoreBackend, WrittenBlock};
use uuid::Uuid;

const TENANT: &str = "single-tenant";
const COMPAT_BLOCK: &str = "00000000-0000-43e8-be3b-0000cafe0000";

fn run(bucket: &Path, tenant: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tempo-block-inspect"))
        .arg("--path")
        .arg(bucket)
        .args(["--tenant", tenant])
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Stdout and stderr, for assertion messages.
fn both(out: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    )
}

fn json_lines(out: &Output) -> Vec<Value> {
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// `<COMPAT_DIR>/tempo/generated`, or `None` (test skipped) outside CI.
fn generated(test: &str) -> Option<PathBuf> {
    testkit::compat_dir(test).map(|d| d.join("tempo/generated"))
}

/// The lines of a gzipped `{"trace":…,"traceID":…}` file, by trace ID.
fn golden_lines(path: &Path) -> BTreeMap<String, Value> {
    testkit::trace_jsonl(path)
        .into_iter()
        .map(|(id, trace)| {
            (
                id.clone(),
                serde_json::json!({ "trace": trace, "traceID": id }),
            )
        })
        .collect()
}

/// Checks that every line of `out` equals the golden line of its trace ID.
fn assert_golden(out: &Output, golden: &BTreeMap<String, Value>, ids: &[&str]) {
    let lines = json_lines(out);
    assert_eq!(lines.len(), ids.len(), "{}", both(out));
    for (line, id) in lines.iter().zip(ids) {
        assert_eq!(line["traceID"], *id);
        assert!(
            normalise(line) == normalise(&golden[*id]),
            "trace {id} differs from Tempo's"
        );
    }
}

#[test]
fn tempo_block_find_list_meta_schema_verify() {
    let Some(generated) = generated("tempo_block_find_list_meta_schema_verify") else {
        return;
    };
    let bucket = generated.join("vParquet5/blocks");
    let golden = golden_lines(&generated.join("vParquet5/readback-traces.otlp.jsonl.gz"));
    let present: Value =
        serde_json::from_slice(&std::fs::read(generated.join("present-trace-ids.json")).unwrap())
            .unwrap();
    let ids: Vec<&str> = present
        .as_array()
        .unwrap()
        .iter()
        .take(3)
        .map(|t| t["traceID"].as_str().unwrap())
        .collect();
    let absent: Value =
        serde_json::from_slice(&std::fs::read(generated.join("absent-trace-ids.json")).unwrap())
            .unwrap();
    let absent = absent[0].as_str().unwrap();

    // Three present IDs (the first without its leading zeros, as Tempo prints IDs): Tempo's
    // readback lines, exit 0.
    let short = ids[0].trim_start_matches('0');
    assert_ne!(short, ids[0]);
    let out = run(&bucket, TENANT, &["find", short, ids[1], ids[2]]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    assert_golden(&out, &golden, &ids);

    // An absent ID among them: no line for it, exit 1.
    let out = run(&bucket, TENANT, &["find", ids[0], absent, ids[1]]);
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    assert_golden(&out, &golden, &ids[..2]);
    assert!(text(&out.stderr).contains(absent), "{}", both(&out));

    // A malformed ID: exit 2 before anything is printed.
    for bad in ["xyz", &"1".repeat(33), ""] {
        let out = run(&bucket, TENANT, &["find", ids[0], bad]);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", both(&out));
        assert!(out.stdout.is_empty(), "{bad:?}");
    }

    // list-blocks: the block and its counts; --json gives meta.json as Tempo wrote it.
    let out = run(&bucket, TENANT, &["list-blocks"]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    let listing = text(&out.stdout);
    let row = listing
        .lines()
        .find(|l| l.starts_with(COMPAT_BLOCK))
        .unwrap_or_else(|| panic!("{listing}"));
    let fields: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        fields,
        [
            COMPAT_BLOCK,
            "vParquet5",
            "2025-01-15T13:00:00Z",
            "2025-01-15T13:16:42Z",
            "1000",
            "2120489",
            "13",
            "1",
            "0",
            "live"
        ]
    );
    let stored_meta =
        std::fs::read_to_string(bucket.join(TENANT).join(COMPAT_BLOCK).join("meta.json")).unwrap();
    let out = run(&bucket, TENANT, &["list-blocks", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    assert_eq!(text(&out.stdout).trim_end(), stored_meta.trim_end());

    // meta: as stored, or indented with the same content.
    let out = run(&bucket, TENANT, &["meta", COMPAT_BLOCK]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    assert_eq!(text(&out.stdout).trim_end(), stored_meta.trim_end());
    let out = run(&bucket, TENANT, &["meta", "--pretty", COMPAT_BLOCK]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    assert!(text(&out.stdout).contains("\n  \"totalObjects\": 1000,\n"));
    assert_eq!(
        serde_json::from_slice::<Value>(&out.stdout).unwrap(),
        serde_json::from_str::<Value>(&stored_meta).unwrap()
    );

    // schema: exactly the schema part of `tempo-cli view schema`.
    let out = run(&bucket, TENANT, &["schema", COMPAT_BLOCK]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    let schema = text(&out.stdout);
    assert!(schema.starts_with("message Trace {\n"), "{schema}");
    let cli = std::fs::read_to_string(generated.join("vParquet5/schema-tempo-cli.txt")).unwrap();
    let start = cli.find("message Trace {").unwrap();
    let end = cli[start..].find("\n}\n").unwrap() + start + 3;
    assert_eq!(schema, &cli[start..end]);

    // verify: every check passes; no progress bar when stderr is not a terminal.
    let out = run(&bucket, TENANT, &["verify"]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    let report = text(&out.stdout);
    assert!(
        report.contains(&format!("{COMPAT_BLOCK}: ok: 1000 rows")),
        "{report}"
    );
    assert!(report.contains("1 ok, 0 failed, 0 unreadable"), "{report}");
    assert!(out.stderr.is_empty(), "{}", both(&out));
    let out = run(&bucket, TENANT, &["verify", COMPAT_BLOCK]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
}

#[test]
fn split_blocks_are_combined_as_tempo_combines() {
    let Some(generated) = generated("split_blocks_are_combined_as_tempo_combines") else {
        return;
    };
    let dir = generated.join("vParquet5-split");
    let golden = golden_lines(&dir.join("combined-traces.otlp.jsonl.gz"));
    assert_eq!(golden.len(), 40);
    let ids: Vec<&str> = golden.keys().map(String::as_str).collect();
    let mut args = vec!["find"];
    args.extend(&ids);
    let out = run(&dir.join("blocks"), TENANT, &args);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    assert_golden(&out, &golden, &ids);

    let out = run(&dir.join("blocks"), TENANT, &["verify"]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    assert!(text(&out.stdout).contains("verified 2 block(s): 2 ok"));
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

fn local_store(bucket: &Path) -> BlockStore {
    BlockStore::new(Arc::new(ObjectStoreBackend::local(bucket).unwrap()))
}

/// OTLP/JSON resource spans of trace `id` (32 hex digits) from `service`: one scope, one
/// span per span ID, named `op-<span ID>`.
fn trace_json(id: &str, service: &str, span_ids: &[&str]) -> String {
    let spans: Vec<String> = span_ids
        .iter()
        .enumerate()
        .map(|(i, span)| {
            format!(
                r#"{{"traceId":"{id}","spanId":"{span}","name":"op-{span}","kind":2,
                    "startTimeUnixNano":"{start}","endTimeUnixNano":"{end}",
                    "attributes":[{{"key":"i","value":{{"intValue":"{i}"}}}}]}}"#,
                start = 1_736_946_000_000_000_000u64 + i as u64,
                end = 1_736_946_001_000_000_000u64 + i as u64,
            )
        })
        .collect();
    format!(
        r#"{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"{service}"}}}}]}},
            "scopeSpans":[{{"scope":{{"name":"test"}},"spans":[{}]}}]}}"#,
        spans.join(",")
    )
}

/// A block of `tenant` holding `traces` (resource spans as OTLP/JSON), stored in `bucket`.
fn write_block(bucket: &Path, tenant: &str, block: Uuid, traces: &[String]) -> WrittenBlock {
    let body = format!(r#"{{"resourceSpans":[{}]}}"#, traces.join(","));
    let request =
        otlp_model::json::decode_traces_json(body.as_bytes(), &otlp_model::Limits::default())
            .unwrap();
    let mut builder = BlockBuilder::new(BlockConfig::default());
    builder
        .push_traces(TracesData {
            resource_spans: request.resource_spans,
        })
        .unwrap();
    let written = builder.finish(tenant, block).unwrap();
    block_on(written.upload(&local_store(bucket))).unwrap();
    written
}

/// The span IDs of a `find` line, sorted.
fn span_ids(line: &Value) -> Vec<String> {
    let mut ids: Vec<String> = line["trace"]["resourceSpans"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|rs| rs["scopeSpans"].as_array().unwrap())
        .flat_map(|ss| ss["spans"].as_array().unwrap())
        .map(|s| s["spanId"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

const ID_A: &str = "00000000000000000000000000000a01";
const ID_B: &str = "0000000000000000ffeeddccbbaa9988";
const ID_C: &str = "7a1b2c3d4e5f60718293a4b5c6d7e8f9";
const ID_D: &str = "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0";

#[test]
fn blocks_written_here_are_listed_found_and_verified() {
    let dir = tempfile::tempdir().unwrap();
    let bucket = dir.path();
    let (first, second, old) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
    write_block(
        bucket,
        "tenant-a",
        first,
        &[
            trace_json(ID_A, "front", &["00000000000000a1", "00000000000000a2"]),
            trace_json(ID_B, "back", &["00000000000000b1"]),
        ],
    );
    // Trace A again (one span shared with the first block, one new), and trace C.
    write_block(
        bucket,
        "tenant-a",
        second,
        &[
            trace_json(ID_A, "front", &["00000000000000a2", "00000000000000a3"]),
            trace_json(ID_C, "other", &["00000000000000c1"]),
        ],
    );
    // A compacted block: listed, never searched.
    write_block(
        bucket,
        "tenant-a",
        old,
        &[trace_json(ID_D, "old", &["00000000000000d1"])],
    );
    block_on(local_store(bucket).mark_compacted("tenant-a", old, chrono_time())).unwrap();

    let out = run(bucket, "tenant-a", &["list-blocks"]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    let listing = text(&out.stdout);
    assert_eq!(listing.lines().count(), 4, "{listing}");
    assert!(
        listing.contains(&format!("{first}  vParquet5")),
        "{listing}"
    );
    let old_row = listing
        .lines()
        .find(|l| l.starts_with(&old.to_string()))
        .unwrap();
    assert!(
        old_row.ends_with("compacted 2025-02-03T04:05:06Z"),
        "{old_row}"
    );
    let out = run(bucket, "tenant-a", &["list-blocks", "--json"]);
    let metas = json_lines(&out);
    assert_eq!(metas.len(), 3);
    assert_eq!(metas[2]["compactedTime"], "2025-02-03T04:05:06Z");
    assert_eq!(metas[0]["totalObjects"], 2);

    // A is in both blocks: combined, the shared span once. B and C from one block each.
    let short_b = ID_B.trim_start_matches('0');
    let out = run(bucket, "tenant-a", &["find", ID_A, short_b, ID_C, ID_A]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 3, "{}", both(&out));
    assert_eq!(lines[0]["traceID"], ID_A);
    assert_eq!(
        span_ids(&lines[0]),
        ["00000000000000a1", "00000000000000a2", "00000000000000a3"]
    );
    assert_eq!(lines[1]["traceID"], ID_B);
    assert_eq!(span_ids(&lines[1]), ["00000000000000b1"]);
    assert_eq!(
        lines[1]["trace"]["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["name"],
        "op-00000000000000b1"
    );
    assert_eq!(lines[2]["traceID"], ID_C);

    // D lives only in the compacted block.
    let out = run(bucket, "tenant-a", &["find", ID_D, ID_C]);
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    assert_eq!(json_lines(&out).len(), 1);

    let out = run(bucket, "tenant-a", &["verify"]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    let report = text(&out.stdout);
    assert!(report.contains(&format!("{first}: ok: 2 rows")), "{report}");
    assert!(report.contains("verified 2 block(s): 2 ok"), "{report}");
    // A compacted block is read when named.
    let out = run(bucket, "tenant-a", &["verify", &old.to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    let out = run(bucket, "tenant-a", &["meta", &old.to_string()]);
    assert!(text(&out.stdout).contains("\"compactedTime\":\"2025-02-03T04:05:06Z\""));
    let out = run(bucket, "tenant-a", &["schema", &second.to_string()]);
    assert!(text(&out.stdout).starts_with("message Trace {\n"));
}

#[test]
fn a_tenant_without_blocks_is_told_the_tenants_there() {
    let dir = tempfile::tempdir().unwrap();
    let bucket = dir.path();
    write_block(
        bucket,
        "tenant-a",
        Uuid::from_u128(1),
        &[trace_json(ID_A, "front", &["00000000000000a1"])],
    );
    // A tenant without blocks: the tenants there are named.
    let there = "; the tenants there: tenant-a";
    let out = run(bucket, "tenant-b", &["find", ID_A]);
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    assert!(
        text(&out.stderr).contains(&format!(
            "tenant tenant-b has no live blocks in {}{there}\n",
            bucket.display()
        )),
        "{}",
        both(&out)
    );
    let out = run(bucket, "tenant-b", &["verify"]);
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
    assert!(text(&out.stderr).contains(there), "{}", both(&out));
    let out = run(bucket, "tenant-b", &["list-blocks"]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    assert!(
        text(&out.stderr).contains(&format!(
            "tenant tenant-b has no blocks in {}{there}\n",
            bucket.display()
        )),
        "{}",
        both(&out)
    );
    let out = run(bucket, "tenant-a", &["list-blocks"]);
    assert!(out.stderr.is_empty(), "{}", both(&out));
}

fn chrono_time() -> chrono::DateTime<chrono::Utc> {
    "2025-02-03T04:05:06Z".parse().unwrap()
}

#[test]
fn broken_blocks_fail_verify_and_find() {
    let dir = tempfile::tempdir().unwrap();
    let bucket = dir.path();
    let block = Uuid::from_u128(0xb10c);
    let name = block.to_string();
    let written = write_block(
        bucket,
        "t",
        block,
        &[
            trace_json(ID_A, "s", &["00000000000000a1"]),
            trace_json(ID_B, "s", &["00000000000000b1"]),
        ],
    );
    let store = local_store(bucket);
    let folder = bucket.join("t").join(&name);

    // meta.json disagreeing with the file: verify fails (exit 1), naming the field.
    let mut meta = written.meta.clone();
    meta.total_objects = 3;
    block_on(store.write_meta(&meta)).unwrap();
    let out = run(bucket, "t", &["verify"]);
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    assert!(
        text(&out.stdout).contains("2 rows, but meta.json says totalObjects 3"),
        "{}",
        both(&out)
    );
    block_on(store.write_meta(&written.meta)).unwrap();

    // An empty bloom filter: every ID is a false negative.
    let empty = bloom::tempo::ShardedBloom::new(bloom::tempo::TempoBloomParams::with_defaults(2));
    let bloom_0 = folder.join("bloom-0");
    std::fs::write(&bloom_0, &empty.encode_shards()[0]).unwrap();
    let out = run(bucket, "t", &["verify", &name]);
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    assert!(
        text(&out.stdout).contains("2 trace ID(s) missing from the bloom filter"),
        "{}",
        both(&out)
    );
    let out = run(bucket, "t", &["find", ID_A]);
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    // A bloom shard that does not decode is an error.
    std::fs::write(&bloom_0, [0u8; 10]).unwrap();
    let out = run(bucket, "t", &["find", ID_A]);
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
    assert!(text(&out.stderr).contains(&name), "{}", both(&out));
    std::fs::write(&bloom_0, &written.blooms[0]).unwrap();

    // A truncated data file: find and verify report the block and the sizes, exit 2;
    // list-blocks flags it, exit 1.
    let data = folder.join("data.parquet");
    let (size, half) = (written.data.len(), written.data.len() / 2);
    std::fs::write(&data, &written.data[..half]).unwrap();
    let sizes = format!("data.parquet of block {name} is {half} bytes, meta.json says {size}");
    for args in [vec!["find", ID_A], vec!["verify"], vec!["schema", &name]] {
        let out = run(bucket, "t", &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", both(&out));
        assert!(out.stdout.iter().all(|&b| b != b'{'), "{args:?}");
        let err = text(&out.stderr);
        assert!(
            err.contains(&sizes) && !err.contains("panicked"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("Requested range"), "{err}");
    }
    let flagged = format!("data.parquet is {half} bytes, meta.json says {size}");
    let out = run(bucket, "t", &["list-blocks"]);
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    let row = text(&out.stdout).lines().nth(1).unwrap().to_owned();
    assert!(row.ends_with(&format!("live, BROKEN: {flagged}")), "{row}");
    assert!(
        text(&out.stderr).contains(&format!("block {name}: {flagged}")),
        "{}",
        both(&out)
    );
    let out = run(bucket, "t", &["list-blocks", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    assert_eq!(json_lines(&out).len(), 1);
    std::fs::remove_file(&data).unwrap();
    let out = run(bucket, "t", &["list-blocks"]);
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    assert!(
        text(&out.stdout).contains("live, BROKEN: no data.parquet"),
        "{}",
        both(&out)
    );

    // A corrupt meta.json.
    std::fs::write(folder.join("meta.json"), b"{\"format\":").unwrap();
    for args in [vec!["list-blocks"], vec!["meta", &name], vec!["verify"]] {
        let out = run(bucket, "t", &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", both(&out));
    }

    // Unknown block, bad tenant, missing bucket (not created), bad block ID.
    let out = run(bucket, "t", &["meta", &Uuid::from_u128(9).to_string()]);
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
    assert!(text(&out.stderr).contains("not found"), "{}", both(&out));
    let out = run(bucket, "../t", &["list-blocks"]);
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
    let missing = bucket.join("no-such-bucket");
    let out = run(&missing, "t", &["list-blocks"]);
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
    assert!(!missing.exists());
    let out = run(bucket, "t", &["schema", "not-a-uuid"]);
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
    let out = run(bucket, "t", &["--store-option", "x", "list-blocks"]);
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
}
