//! Tests of the configuration: a typical Loki file, the unsupported-options warning, flags
//! over the file, runtime overrides, errors.
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser as _;
use loki_chunk::Codec;

use super::*;
use crate::server_config::normalise_args;

fn yaml(text: &str) -> Loaded {
    from_yaml(text, Path::new("loki.yaml")).unwrap()
}

/// Loki's own single-binary example configuration (`cmd/loki/loki-local-config.yaml`, in
/// substance).
const LOCAL_CONFIG: &str = "
auth_enabled: false

server:
  http_listen_port: 3100
  grpc_listen_port: 9096
  log_level: debug

common:
  instance_addr: 127.0.0.1
  path_prefix: /tmp/loki
  storage:
    filesystem:
      chunks_directory: /tmp/loki/chunks
      rules_directory: /tmp/loki/rules
  replication_factor: 1
  ring:
    kvstore:
      store: inmemory

query_range:
  results_cache:
    cache:
      embedded_cache:
        enabled: true
        max_size_mb: 100

limits_config:
  metric_aggregation_enabled: true
  max_line_size: 128KB
  reject_old_samples_max_age: 2w

schema_config:
  configs:
    - from: 2020-10-24
      store: tsdb
      object_store: filesystem
      schema: v13
      index:
        prefix: index_
        period: 24h

ruler:
  alertmanager_url: http://localhost:9093
";

#[test]
fn lokis_local_config_runs_with_one_warning() {
    let loaded = yaml(LOCAL_CONFIG);
    let c = &loaded.config;
    assert!(!c.auth_enabled);
    assert_eq!(c.http_endpoint, "0.0.0.0:3100");
    assert_eq!(c.chunks_dir, PathBuf::from("/tmp/loki/chunks"));
    assert_eq!(c.wal_dir, PathBuf::from("/tmp/loki/wal"));
    assert_eq!(c.limits.max_line_size, 128 * 1024);
    assert_eq!(
        c.limits.reject_old_samples_max_age,
        Duration::from_secs(14 * 24 * 3600)
    );
    assert_eq!(loaded.warnings.len(), 1);
    assert_eq!(
        loaded.warnings[0],
        "loki.yaml: options this server does not support, ignored: server.grpc_listen_port, \
         server.log_level, common.instance_addr, common.storage.filesystem.rules_directory, \
         common.replication_factor, common.ring, query_range, \
         limits_config.metric_aggregation_enabled, ruler"
    );
}

#[test]
fn defaults_and_lokis_file_defaults() {
    let none = Config::default();
    assert!(!none.auth_enabled);
    assert_eq!(none.chunks_dir, PathBuf::from("./data/chunks"));
    assert_eq!(none.http_endpoint, "0.0.0.0:3100");
    assert_eq!(none.otlp_index_labels.len(), 18);
    // A file that does not say: Loki's default, authentication on.
    let empty = yaml("");
    assert!(empty.config.auth_enabled);
    assert!(empty.warnings.is_empty());
    let old = yaml("schema_config: {configs: [{from: 2020-01-01, schema: v11}, {schema: v13}]}");
    assert!(
        old.warnings[0].contains("schema_config.configs[0].schema (v11"),
        "{:?}",
        old.warnings
    );
}

#[test]
fn every_section_read() {
    let loaded = yaml(
        "
server: {http_listen_address: 127.0.0.1, http_listen_port: 3200, graceful_shutdown_timeout: 5s}
storage_config: {filesystem: {directory: /data/chunks}}
ingester:
  chunk_target_size: 1000
  chunk_block_size: 100
  chunk_idle_period: 1m
  max_chunk_age: 1h
  chunk_encoding: snappy
  flush_check_period: 2s
  wal: {dir: /data/wal, enabled: false}
distributor:
  max_recv_msg_size: 1000
  max_decompressed_size: 2000
  otlp_config: {default_resource_attributes_as_index_labels: [service.name]}
querier: {multi_tenant_queries_enabled: true}
limits_config:
  ingestion_rate_mb: 1.5
  ingestion_burst_size_mb: 2
  max_label_names_per_series: 5
  creation_grace_period: 5m
  max_structured_metadata_size: 1KB
  max_global_streams_per_user: 10
  discover_service_name: []
  max_entries_limit_per_query: 50
",
    );
    let c = &loaded.config;
    assert_eq!(c.http_endpoint, "127.0.0.1:3200");
    assert_eq!(c.graceful_shutdown_timeout, Duration::from_secs(5));
    assert_eq!(c.chunks_dir, PathBuf::from("/data/chunks"));
    assert_eq!(c.wal_dir, PathBuf::from("/data/wal"));
    assert_eq!(c.ingester.chunk_target_size, 1000);
    assert_eq!(c.ingester.chunk_block_size, 100);
    assert_eq!(c.ingester.chunk_idle_period, Duration::from_secs(60));
    assert_eq!(c.ingester.max_chunk_age, Duration::from_secs(3600));
    assert_eq!(c.ingester.chunk_encoding, Codec::Snappy);
    assert_eq!(c.ingester.flush_check_period, Duration::from_secs(2));
    assert_eq!((c.max_recv_msg_size, c.max_decompressed_size), (1000, 2000));
    assert_eq!(c.otlp_index_labels, ["service.name"]);
    assert!(c.multi_tenant_queries_enabled);
    assert!((c.limits.ingestion_rate_mb - 1.5).abs() < f64::EPSILON);
    assert_eq!(c.limits.max_label_names_per_series, 5);
    assert_eq!(c.limits.creation_grace_period, Duration::from_secs(300));
    assert_eq!(c.limits.max_structured_metadata_size, 1024);
    assert_eq!(c.limits.max_global_streams_per_user, 10);
    assert!(c.limits.discover_service_name.is_empty());
    assert_eq!(c.limits.max_entries_limit_per_query, 50);
    assert_eq!(
        loaded.warnings,
        [
            "loki.yaml: options this server does not support, ignored: ingester.wal.enabled (the \
          WAL is always on)"
        ]
    );
}

#[test]
fn bad_values_are_errors_naming_the_option() {
    for (text, needle) in [
        (
            "ingester: {chunk_encoding: brotli}",
            "ingester.chunk_encoding",
        ),
        ("ingester: {max_chunk_age: 0s}", "ingester.max_chunk_age"),
        ("ingester: {chunk_idle_period: 5x}", "chunk_idle_period"),
        ("limits_config: {max_line_size: huge}", "max_line_size"),
        (
            "limits_config: {reject_old_samples_max_age: 1.5h}",
            "reject_old_samples_max_age",
        ),
        ("server: [1, 2]", "server"),
    ] {
        let err = from_yaml(text, Path::new("loki.yaml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains(needle), "{text}: {err}");
    }
}

#[test]
fn runtime_overrides_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = dir.path().join("runtime.yaml");
    std::fs::write(
        &runtime,
        "overrides:\n  tenant-a: {max_line_size: 10, unknown_limit: 1}\n  tenant-b:\n",
    )
    .unwrap();
    let path = dir.path().join("loki.yaml");
    std::fs::write(
        &path,
        format!(
            "auth_enabled: true\nlimits_config: {{max_line_size: 100, max_label_names_per_series: 3}}\n\
             runtime_config: {{file: {}}}\ncommon: {{path_prefix: '${{PREFIX_FOR_TEST:-/p}}'}}\n",
            runtime.display()
        ),
    )
    .unwrap();
    let args = Args::parse_from(normalise_args([
        "loki-server".into(),
        OsString::from(format!("-config.file={}", path.display())),
        "-config.expand-env".into(),
        "--server.http-listen-port=3300".into(),
        "-auth.enabled=false".into(),
        "--ingester.wal-dir=/w".into(),
        "--validation.max-entries-limit=7".into(),
    ]));
    let loaded = load(&args).unwrap();
    let c = &loaded.config;
    assert_eq!(c.http_endpoint, "0.0.0.0:3300");
    assert!(!c.auth_enabled);
    assert_eq!(c.chunks_dir, PathBuf::from("/p/chunks"));
    assert_eq!(c.wal_dir, PathBuf::from("/w"));
    assert_eq!(c.limits_of("tenant-a").max_line_size, 10);
    assert_eq!(c.limits_of("tenant-a").max_label_names_per_series, 3);
    assert_eq!(c.limits_of("tenant-b").max_line_size, 100);
    assert_eq!(c.limits_of("other").max_line_size, 100);
    assert_eq!(c.limits_of("tenant-a").max_entries_limit_per_query, 7);
    assert_eq!(loaded.warnings.len(), 1);
    assert!(
        loaded.warnings[0].ends_with(&format!(
            "ignored: overrides.tenant-a.unknown_limit (in {})",
            runtime.display()
        )),
        "{:?}",
        loaded.warnings
    );

    let bad = Args::parse_from(["loki-server", "--ingester.chunk-encoding=x"]);
    assert!(
        load(&bad)
            .unwrap_err()
            .to_string()
            .contains("--ingester.chunk-encoding")
    );
    let missing = Args::parse_from(["loki-server", "--config.file=/no/such/loki.yaml"]);
    assert!(
        load(&missing)
            .unwrap_err()
            .to_string()
            .contains("/no/such/loki.yaml")
    );
}
