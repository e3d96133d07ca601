//! The `loki-server` and `observability-server` binaries: `--help`, a Loki YAML file with
//! options the server does not read (one warning naming them all), Loki's single-dash
//! flags, SIGTERM flushing the chunks and exiting 0, a bad configuration exiting 2, and
//! traces and logs in one process.
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

mod loki_server_support;

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use loki_server_support::{JSON, get, json_push, lines_of, ns_ago, post, query_range};
use serde_json::json;

const LOKI: &str = env!("CARGO_BIN_EXE_loki-server");
const BOTH: &str = env!("CARGO_BIN_EXE_observability-server");

#[test]
fn help_explains_every_option() {
    let out = Command::new(LOKI).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--config.file",
        "--config.expand-env",
        "--auth.enabled",
        "--server.http-listen-address",
        "--server.http-listen-port",
        "--server.graceful-shutdown-timeout",
        "--common.path-prefix",
        "--local.chunk-directory",
        "--ingester.wal-dir",
        "--ingester.max-chunk-age",
        "--distributor.ingestion-rate-limit-mb",
        "--validation.max-entries-limit",
        "--querier.multi-tenant-queries-enabled",
        "limits_config",
        "runtime_config.file",
        "max_entries_limit_per_query",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help:\n{help}");
    }
    let both = Command::new(BOTH).arg("--help").output().unwrap();
    let help = String::from_utf8(both.stdout).unwrap();
    for flag in ["--data.dir", "--tempo.config.file", "--loki.config.file"] {
        assert!(help.contains(flag), "{flag} missing from --help:\n{help}");
    }
}

#[test]
fn a_missing_configuration_file_exits_2() {
    let out = Command::new(LOKI)
        .args(["-config.file", "/no/such/loki.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("/no/such/loki.yaml"), "{stderr}");
}

/// A child's stderr lines, read on a thread.
fn stderr_lines(child: &mut Child) -> mpsc::Receiver<String> {
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Lines until one contains `needle`; the lines seen, that one last.
fn until(lines: &mpsc::Receiver<String>, needle: &str) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        let line = lines
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no line with {needle:?} in {seen:?}"));
        seen.push(line.clone());
        if line.contains(needle) {
            return seen;
        }
    }
}

/// The `http://ADDR` after `name` in a line.
fn address_after(line: &str, name: &str) -> SocketAddr {
    let rest = &line[line.find(name).unwrap() + name.len()..];
    rest.trim_start()
        .trim_start_matches("http://")
        .split([',', ' '])
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// SIGTERM, then the exit status within 30 s.
async fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "no exit within 30 s of SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_loki_yaml_runs_warns_once_and_sigterm_flushes() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("loki.yaml");
    std::fs::write(
        &config,
        format!(
            "
auth_enabled: false
server:
  http_listen_address: 127.0.0.1
  http_listen_port: 0
  grpc_listen_port: 9096
common:
  path_prefix: {prefix}
  replication_factor: 1
ingester:
  chunk_idle_period: 1h
limits_config:
  max_line_size: 64KB
schema_config:
  configs:
    - {{from: 2024-01-01, store: tsdb, object_store: filesystem, schema: v13, index: {{prefix: index_, period: 24h}}}}
",
            prefix = dir.path().join("loki").display()
        ),
    )
    .unwrap();
    let mut child = Command::new(LOKI)
        .arg(format!("-config.file={}", config.display()))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = stderr_lines(&mut child);
    let seen = until(&lines, "listening:");
    let warnings: Vec<&String> = seen.iter().filter(|l| l.contains("warning")).collect();
    assert_eq!(warnings.len(), 1, "{seen:?}");
    assert!(
        warnings[0].ends_with(
            "options this server does not support, ignored: server.grpc_listen_port, \
             common.replication_factor"
        ),
        "{}",
        warnings[0]
    );
    let http = address_after(seen.last().unwrap(), "Loki API");
    let body = json_push(&[(
        json!({"app": "cli"}),
        vec![(ns_ago(1), "from the binary", None)],
    )]);
    let reply = post(http, "/loki/api/v1/push", &[("content-type", JSON)], body).await;
    assert_eq!(reply.status, 204, "{}", reply.text());
    let long = "x".repeat(70_000);
    let body = json_push(&[(json!({"app": "cli"}), vec![(ns_ago(0), &long, None)])]);
    let reply = post(http, "/loki/api/v1/push", &[("content-type", JSON)], body).await;
    assert_eq!(reply.status, 400, "max_line_size 64KB from the file");
    let reply = query_range(http, r#"{app="cli"}"#, &[], &[]).await;
    assert_eq!(lines_of(&reply.json()), ["from the binary"]);

    let status = terminate(&mut child).await;
    let rest: Vec<String> = lines.try_iter().collect();
    assert!(status.success(), "{status:?}: {rest:?}");
    // The chunk was flushed on the way out.
    let chunks = dir.path().join("loki/chunks/fake");
    let count = walk_files(&chunks);
    assert!(count >= 1, "no chunk under {}: {rest:?}", chunks.display());
}

fn walk_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .filter_map(Result::ok)
            .map(|e| {
                let p = e.path();
                if p.is_dir() { walk_files(&p) } else { 1 }
            })
            .sum()
    })
}

#[tokio::test]
async fn traces_and_logs_in_one_process() {
    let dir = tempfile::tempdir().unwrap();
    let tempo = dir.path().join("tempo.yaml");
    std::fs::write(
        &tempo,
        format!(
            "server: {{http_listen_address: 127.0.0.1, http_listen_port: 0}}\n\
             distributor: {{receivers: {{otlp: {{protocols: {{http: {{endpoint: '127.0.0.1:0'}}}}}}}}}}\n\
             storage: {{trace: {{backend: local, local: {{path: {b}}}, wal: {{path: {w}}}}}}}\n",
            b = dir.path().join("t/blocks").display(),
            w = dir.path().join("t/wal").display()
        ),
    )
    .unwrap();
    let loki = dir.path().join("loki.yaml");
    std::fs::write(
        &loki,
        format!(
            "auth_enabled: false\nserver: {{http_listen_address: 127.0.0.1, http_listen_port: 0}}\n\
             common: {{path_prefix: {}}}\n",
            dir.path().join("l").display()
        ),
    )
    .unwrap();
    let mut child = Command::new(BOTH)
        .arg(format!("--tempo.config.file={}", tempo.display()))
        .arg(format!("-loki.config.file={}", loki.display()))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = stderr_lines(&mut child);
    let seen = until(&lines, "logs: listening:");
    let traces_line = seen
        .iter()
        .find(|l| l.contains("traces: listening:"))
        .unwrap();
    let tempo_api = address_after(traces_line, "query API");
    let otlp = address_after(traces_line, "OTLP/HTTP");
    let loki_api = address_after(seen.last().unwrap(), "Loki API");
    assert!(!seen.iter().any(|l| l.contains("warning")), "{seen:?}");

    // A span in, a log line in; both back.
    let span = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"demo"}}]},
        "scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
        "name":"GET /","kind":2,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000250000000"}]}]}]}"#;
    let reply = post(otlp, "/v1/traces", &[("content-type", JSON)], span).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let body = json_push(&[(
        json!({"service_name": "demo"}),
        vec![(
            ns_ago(1),
            "GET / traceID=5b8efff798038103d269b633813fc60c",
            None,
        )],
    )]);
    let reply = post(
        loki_api,
        "/loki/api/v1/push",
        &[("content-type", JSON)],
        body,
    )
    .await;
    assert_eq!(reply.status, 204, "{}", reply.text());
    let trace = get(
        tempo_api,
        "/api/traces/5b8efff798038103d269b633813fc60c",
        &[],
    )
    .await;
    assert_eq!(trace.status, 200);
    let logs = query_range(loki_api, r#"{service_name="demo"} |= "5b8efff7""#, &[], &[]).await;
    assert_eq!(lines_of(&logs.json()).len(), 1);

    let status = terminate(&mut child).await;
    let rest: Vec<String> = lines.try_iter().collect();
    assert!(status.success(), "{status:?}: {rest:?}");
    assert!(
        walk_files(&dir.path().join("l/chunks/fake")) >= 1,
        "{rest:?}"
    );
    assert!(
        walk_files(&dir.path().join("t/blocks/single-tenant")) >= 1,
        "{rest:?}"
    );
}
