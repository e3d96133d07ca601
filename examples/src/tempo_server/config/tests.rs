//! Tests of the configuration: flags over files, typical Tempo files, backends, errors.
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

use std::ffi::OsString;

use clap::Parser as _;

use super::*;

fn yaml(text: &str) -> Loaded {
    from_yaml(text, Path::new("tempo.yaml")).unwrap()
}

#[test]
fn host_ports() {
    assert_eq!(host_port("", 3200), "0.0.0.0:3200");
    assert_eq!(host_port("::1", 3200), "[::1]:3200");
    assert_eq!(host_port("127.0.0.1", 80), "127.0.0.1:80");
    assert_eq!(split_host_port("[::1]:3200"), ("::1", "3200"));
    assert_eq!(normalise_endpoint(":4317"), "0.0.0.0:4317");
}

#[test]
fn flags_override_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tempo.yaml");
    std::fs::write(
            &path,
            "server: {http_listen_port: 3300}\n\
             distributor: {receivers: {otlp: {protocols: {grpc: {endpoint: '${HOST_FOR_TEST:-127.0.0.1}:4317'}}}}}\n",
        )
        .unwrap();
    let args = Args::parse_from(normalise_args([
        "tempo-server".into(),
        OsString::from(format!("-config.file={}", path.display())),
        "-config.expand-env".into(),
        "--server.http-listen-address=127.0.0.1".into(),
        "--receiver.zipkin=127.0.0.1:9999".into(),
        "-multitenancy.enabled".into(),
        "--storage.trace.wal.path=/tmp/w".into(),
    ]));
    let loaded = load(&args).unwrap();
    let c = loaded.config;
    assert_eq!(c.http_endpoint, "127.0.0.1:3300");
    assert!(c.multitenancy_enabled);
    assert_eq!(c.wal_dir, PathBuf::from("/tmp/w"));
    assert_eq!(c.receivers.otlp_grpc.unwrap().endpoint, "127.0.0.1:4317");
    assert_eq!(c.receivers.zipkin.unwrap().endpoint, "127.0.0.1:9999");
    assert!(c.receivers.otlp_http.is_none());
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);

    let off = Args::parse_from(["tempo-server", "--receiver.otlp-grpc=off"]);
    let c = load(&off).unwrap().config;
    assert!(c.receivers.otlp_grpc.is_none());
    assert!(c.receivers.zipkin.is_some());
    assert_eq!(c.http_endpoint, "0.0.0.0:3200");
}

#[test]
fn a_file_without_receivers_enables_none_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tempo.yaml");
    std::fs::write(&path, "server: {http_listen_port: 3201}\n").unwrap();
    let args = Args {
        config_file: Some(path),
        ..Args::default()
    };
    let loaded = load(&args).unwrap();
    assert!(loaded.config.receivers.is_empty());
    assert_eq!(loaded.warnings.len(), 1);
    assert!(loaded.warnings[0].contains("no receiver"));
}

#[test]
fn a_typical_tempo_yaml() {
    let loaded = yaml(
        "
stream_over_http_enabled: true
server:
  http_listen_port: 3200
  grpc_listen_port: 9095
  log_level: info
distributor:
  receivers:
    jaeger:
      protocols:
        thrift_http:
          endpoint: \"0.0.0.0:14268\"
        grpc:
        thrift_binary:
        thrift_compact:
    zipkin:
    otlp:
      protocols:
        http:
        grpc:
          max_recv_msg_size_mib: 8
live_store:
  max_trace_idle: 10s
  max_block_duration: 5m
  max_block_bytes: 1000000
ingester:
  max_trace_live: 1m
  max_block_duration: 1h
storage:
  trace:
    backend: local
    wal:
      path: /var/tempo/wal
    local:
      path: /var/tempo/blocks
    blocklist_poll: 30s
overrides:
  defaults:
    ingestion:
      rate_limit_bytes: 1000
      max_traces_per_user: 50
    global:
      max_bytes_per_trace: 5000
multitenancy_enabled: true
",
    );
    let c = &loaded.config;
    assert!(c.multitenancy_enabled);
    assert_eq!(c.http_endpoint, "0.0.0.0:3200");
    let r = &c.receivers;
    assert_eq!(
        r.jaeger_thrift_http.as_ref().unwrap().endpoint,
        "0.0.0.0:14268"
    );
    assert_eq!(
        r.jaeger_thrift_compact.as_ref().unwrap().endpoint,
        DEFAULT_JAEGER_THRIFT_COMPACT
    );
    assert_eq!(
        r.jaeger_thrift_binary.as_ref().unwrap().max_message_bytes,
        65_000
    );
    assert_eq!(r.zipkin.as_ref().unwrap().endpoint, DEFAULT_ZIPKIN);
    assert_eq!(r.otlp_http.as_ref().unwrap().endpoint, DEFAULT_OTLP_HTTP);
    assert_eq!(r.otlp_grpc.as_ref().unwrap().max_message_bytes, 8 << 20);
    assert_eq!(c.cut.max_trace_idle, Some(Duration::from_secs(10)));
    assert_eq!(c.cut.max_trace_live, Some(Duration::from_secs(60)));
    assert_eq!(c.cut.max_block_duration, Some(Duration::from_secs(300)));
    assert_eq!(c.cut.max_block_bytes, Some(1_000_000));
    assert_eq!(c.cut.blocklist_poll, Some(Duration::from_secs(30)));
    assert_eq!(c.wal_dir, PathBuf::from("/var/tempo/wal"));
    assert_eq!(c.backend, BackendConfig::Local("/var/tempo/blocks".into()));
    assert_eq!(
        c.default_limits,
        TenantLimits {
            ingestion_rate_limit_bytes: Some(1000),
            ingestion_burst_size_bytes: None,
            max_traces_per_user: Some(50),
            max_bytes_per_trace: Some(5000),
        }
    );
    assert_eq!(
        loaded.warnings,
        [
            "tempo.yaml: options this server does not support, ignored: \
              stream_over_http_enabled, server.grpc_listen_port (no internal gRPC API here; \
              OTLP/gRPC is the otlp receiver's), server.log_level, \
              distributor.receivers.jaeger.protocols.grpc"
        ]
    );
}

#[test]
fn object_store_backends() {
    let c = yaml(
        "storage: {trace: {backend: s3, s3: {bucket: b, prefix: /p/, endpoint: 'minio:9000', \
             insecure: true, access_key: k, secret_key: s, region: r}}}",
    )
    .config;
    let BackendConfig::ObjectStore { url, options } = c.backend else {
        panic!("not an object store");
    };
    assert_eq!(url, "s3://b/p");
    let get = |k: &str| {
        options
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(get("aws_endpoint"), Some("http://minio:9000"));
    assert_eq!(get("aws_allow_http"), Some("true"));
    assert_eq!(get("aws_access_key_id"), Some("k"));
    assert_eq!(get("aws_region"), Some("r"));
    let gcs = yaml("storage: {trace: {backend: gcs, gcs: {bucket_name: g}}}").config;
    assert!(matches!(gcs.backend, BackendConfig::ObjectStore { url, .. } if url == "gs://g"));
    let err = from_yaml("storage: {trace: {backend: s3}}", Path::new("t.yaml")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "storage.trace.s3.bucket: required with backend: s3"
    );
    let err = from_yaml("storage: {trace: {backend: nfs}}", Path::new("t.yaml")).unwrap_err();
    assert!(err.to_string().contains("not one of local"), "{err}");
}

#[test]
fn bad_files_say_where() {
    let err = from_yaml("server: {http_listen_port: many}", Path::new("t.yaml")).unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("t.yaml: "), "{text}");
    assert!(text.contains("line 1"), "{text}");
    let err = from_yaml("distributor: {receivers: {otlp: }}", Path::new("t.yaml")).unwrap_err();
    assert!(err.to_string().contains("at least one protocol"), "{err}");
    // An empty file is Tempo's defaults with no receiver.
    let empty = yaml("");
    assert!(empty.config.receivers.is_empty());
}

#[test]
fn per_tenant_overrides_merge_over_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let overrides = dir.path().join("overrides.yaml");
    std::fs::write(
        &overrides,
        "overrides:\n  big:\n    ingestion: {rate_limit_bytes: 99, unknown_here: 1}\n  plain:\n",
    )
    .unwrap();
    let loaded = yaml(&format!(
        "overrides: {{defaults: {{ingestion: {{rate_limit_bytes: 5, burst_size_bytes: 6}}}}, \
             per_tenant_override_config: '{}'}}",
        overrides.display()
    ));
    let c = &loaded.config;
    assert_eq!(c.limits_of("big").ingestion_rate_limit_bytes, Some(99));
    assert_eq!(c.limits_of("big").ingestion_burst_size_bytes, Some(6));
    assert_eq!(c.limits_of("plain").ingestion_rate_limit_bytes, Some(5));
    assert_eq!(c.limits_of("other"), c.default_limits);
    assert_eq!(loaded.warnings.len(), 1);
    assert!(
        loaded.warnings[0].contains("overrides.big.ingestion.unknown_here (in "),
        "{:?}",
        loaded.warnings
    );
}
