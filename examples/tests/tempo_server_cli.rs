//! The `tempo-server` binary: `--help`, a Tempo YAML file with options it does not read
//! (one warning naming them all), Tempo's single-dash flags, SIGTERM completing the WAL
//! into blocks and exiting 0, a bad configuration exiting 2.
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

mod tempo_server_support;

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use otlp_model::proto::collector::trace::ExportTraceServiceRequest;
use prost::Message as _;
use tempo_server_support::{get, post, trace_id, two_span_trace};

const BIN: &str = env!("CARGO_BIN_EXE_tempo-server");

#[test]
fn help_explains_every_option() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--config.file",
        "--config.expand-env",
        "--server.http-listen-address",
        "--server.http-listen-port",
        "--server.graceful-shutdown-timeout",
        "--multitenancy.enabled",
        "--storage.trace.backend",
        "--storage.trace.local.path",
        "--storage.trace.wal.path",
        "--storage.trace.blocklist_poll",
        "--receiver.otlp-grpc",
        "--receiver.otlp-http",
        "--receiver.jaeger-thrift-http",
        "--receiver.jaeger-thrift-compact",
        "--receiver.jaeger-thrift-binary",
        "--receiver.zipkin",
        "max_recv_msg_size_mib",
        "max_trace_idle",
        "per_tenant_override_config",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help:\n{help}");
    }
}

#[test]
fn a_missing_configuration_file_exits_2() {
    let out = Command::new(BIN)
        .args(["-config.file", "/no/such/tempo.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("/no/such/tempo.yaml"), "{stderr}");
}

/// `name ADDR` from the `listening:` line.
fn address_of(line: &str, name: &str) -> SocketAddr {
    let rest = &line[line.find(name).unwrap() + name.len()..];
    let addr = rest
        .trim_start()
        .trim_start_matches("http://")
        .split([',', ' '])
        .next()
        .unwrap();
    addr.parse().unwrap()
}

#[tokio::test]
#[allow(clippy::too_many_lines, reason = "one run of the binary, step by step")]
async fn a_tempo_yaml_runs_warns_once_and_sigterm_completes_the_wal() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("tempo.yaml");
    std::fs::write(
        &config,
        format!(
            "
server:
  http_listen_address: 127.0.0.1
  http_listen_port: 0
  log_level: info
distributor:
  receivers:
    otlp:
      protocols:
        http:
          endpoint: 127.0.0.1:0
metrics_generator:
  registry: {{external_labels: {{source: tempo}}}}
storage:
  trace:
    backend: local
    local: {{path: {blocks}}}
    wal: {{path: {wal}}}
    pool: {{max_workers: 100}}
",
            blocks = dir.path().join("blocks").display(),
            wal = dir.path().join("wal").display()
        ),
    )
    .unwrap();
    let mut child = Command::new(BIN)
        .arg(format!("-config.file={}", config.display()))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines_tx, lines) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let listening = loop {
        let line = lines.recv_timeout(Duration::from_secs(60)).unwrap();
        seen.push(line.clone());
        if line.contains("listening:") {
            break line;
        }
    };
    let warnings: Vec<&String> = seen.iter().filter(|l| l.contains("warning")).collect();
    assert_eq!(warnings.len(), 1, "{seen:?}");
    assert!(
        warnings[0].ends_with(
            "options this server does not support, ignored: server.log_level, \
             metrics_generator, storage.trace.pool"
        ),
        "{}",
        warnings[0]
    );
    let http = address_of(&listening, "query API");
    let otlp = address_of(&listening, "OTLP/HTTP");
    assert!(
        !listening.contains("Zipkin"),
        "only the configured receivers: {listening}"
    );

    let id = trace_id(9, 1);
    let body = ExportTraceServiceRequest {
        resource_spans: two_span_trace(id, "cli-svc"),
    }
    .encode_to_vec();
    let reply = post(
        otlp,
        "/v1/traces",
        &[("content-type", "application/x-protobuf")],
        body,
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        get(http, &format!("/api/traces/{}", id.to_hex()), &[])
            .await
            .status,
        200
    );

    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "no exit within 30 s of SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let rest: Vec<String> = lines.try_iter().collect();
    assert!(status.success(), "{status:?}: {rest:?}");
    // The live trace was completed into a block on the way out; the WAL holds no records.
    let tenant = dir.path().join("blocks/single-tenant");
    let blocks = std::fs::read_dir(&tenant)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().join("meta.json").is_file())
        .count();
    assert_eq!(blocks, 1, "{rest:?}");
}
