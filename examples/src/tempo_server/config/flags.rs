//! The command line: Tempo's flag names where Tempo has the option, `--receiver.*` for the
//! receivers; flags override the file.

use std::path::PathBuf;
use std::time::Duration;

use super::{
    BackendConfig, Config, ConfigError, DEFAULT_GRPC_MAX_RECV_MSG_SIZE,
    DEFAULT_HTTP_MAX_REQUEST_BODY_SIZE, DEFAULT_HTTP_PORT, DEFAULT_UDP_MAX_PACKET_SIZE, Receiver,
    Receivers, host_port, invalid, parse_go_duration, split_host_port,
};

/// What `--help` says after the flags.
const AFTER_HELP: &str = "\
The YAML file is Tempo's (a single-binary tempo.yaml works). Options read from it:
  multitenancy_enabled
  server: http_listen_address, http_listen_port, graceful_shutdown_timeout
  distributor.receivers: otlp.protocols.grpc (endpoint, max_recv_msg_size_mib),
    otlp.protocols.http (endpoint, max_request_body_size),
    jaeger.protocols.thrift_http (endpoint, max_request_body_size),
    jaeger.protocols.thrift_compact / thrift_binary (endpoint, max_packet_size),
    zipkin (endpoint, max_request_body_size)
    A receiver is on when it is present in the file, even empty (`grpc:`); without a
    file every receiver is on at its default endpoint (localhost:4317, :4318, :14268,
    UDP :6831, :6832, :9411).
  storage.trace: backend (local, s3, gcs, azure), local.path, wal.path, blocklist_poll,
    s3 (bucket, prefix, endpoint, region, access_key, secret_key, insecure, forcepathstyle),
    gcs (bucket_name, prefix), azure (container_name, prefix, storage_account_name,
    storage_account_key)
  live_store (or ingester): max_trace_idle, max_trace_live, max_block_duration,
    max_block_bytes, complete_block_timeout, wal.path
  overrides: defaults.ingestion (rate_limit_bytes, burst_size_bytes, max_traces_per_user),
    defaults.global.max_bytes_per_trace, per_tenant_override_config
Any other option in the file is named in one warning at start and has no effect.
Flags override the file. Durations use Go's syntax (5s, 30m, 1h30m). Single-dash
flags as Tempo writes them (-config.file=tempo.yaml) are accepted.";

/// The command line (`tempo-server --help` lists these).
#[derive(Debug, Clone, Default, clap::Parser)]
#[command(
    name = "tempo-server",
    version,
    about = "A Grafana Tempo compatible trace server: OTLP, Jaeger and Zipkin in, Tempo's query API out",
    after_help = AFTER_HELP
)]
pub struct Args {
    /// Tempo's YAML configuration file.
    #[arg(long = "config.file", value_name = "PATH")]
    pub config_file: Option<PathBuf>,
    /// Replace ${VAR}, ${VAR:-default} and $VAR in the configuration file with environment
    /// variables before reading it.
    #[arg(
        long = "config.expand-env",
        value_name = "BOOL",
        num_args = 0..=1,
        default_missing_value = "true"
    )]
    pub config_expand_env: Option<bool>,
    /// Address the query API (port 3200) listens on [default: all interfaces].
    #[arg(long = "server.http-listen-address", value_name = "HOST")]
    pub http_listen_address: Option<String>,
    /// Port of the query API, `/ready` and `/metrics` [default: 3200].
    #[arg(long = "server.http-listen-port", value_name = "PORT")]
    pub http_listen_port: Option<u16>,
    /// How long shutdown waits for open requests, then for the store to complete its
    /// blocks [default: 30s].
    #[arg(
        long = "server.graceful-shutdown-timeout",
        value_name = "DURATION",
        value_parser = parse_go_duration
    )]
    pub graceful_shutdown_timeout: Option<Duration>,
    /// Require an X-Scope-OrgID header (gRPC: x-scope-orgid metadata) naming the tenant on
    /// every request; otherwise every request is tenant `single-tenant`.
    #[arg(
        long = "multitenancy.enabled",
        value_name = "BOOL",
        num_args = 0..=1,
        default_missing_value = "true"
    )]
    pub multitenancy_enabled: Option<bool>,
    /// Where blocks are stored [default: local].
    #[arg(long = "storage.trace.backend", value_name = "BACKEND",
          value_parser = ["local", "s3", "gcs", "azure"])]
    pub backend: Option<String>,
    /// Folder of the local backend [default: ./data/blocks].
    #[arg(long = "storage.trace.local.path", value_name = "DIR")]
    pub local_path: Option<PathBuf>,
    /// Folder of the write-ahead log [default: ./data/wal].
    #[arg(long = "storage.trace.wal.path", value_name = "DIR")]
    pub wal_path: Option<PathBuf>,
    /// How often the backend is polled for blocks written by other processes [default: 5m].
    #[arg(
        long = "storage.trace.blocklist_poll",
        value_name = "DURATION",
        value_parser = parse_go_duration
    )]
    pub blocklist_poll: Option<Duration>,
    /// OTLP/gRPC receiver: HOST:PORT, or `off`.
    #[arg(long = "receiver.otlp-grpc", value_name = "HOST:PORT|off")]
    pub otlp_grpc: Option<String>,
    /// OTLP/HTTP receiver (POST /v1/traces): HOST:PORT, or `off`.
    #[arg(long = "receiver.otlp-http", value_name = "HOST:PORT|off")]
    pub otlp_http: Option<String>,
    /// Jaeger Thrift-over-HTTP receiver (POST /api/traces): HOST:PORT, or `off`.
    #[arg(long = "receiver.jaeger-thrift-http", value_name = "HOST:PORT|off")]
    pub jaeger_thrift_http: Option<String>,
    /// Jaeger agent receiver, compact Thrift over UDP: HOST:PORT, or `off`.
    #[arg(long = "receiver.jaeger-thrift-compact", value_name = "HOST:PORT|off")]
    pub jaeger_thrift_compact: Option<String>,
    /// Jaeger agent receiver, binary Thrift over UDP: HOST:PORT, or `off`.
    #[arg(long = "receiver.jaeger-thrift-binary", value_name = "HOST:PORT|off")]
    pub jaeger_thrift_binary: Option<String>,
    /// Zipkin receiver (POST /api/v2/spans): HOST:PORT, or `off`.
    #[arg(long = "receiver.zipkin", value_name = "HOST:PORT|off")]
    pub zipkin: Option<String>,
}

/// Applies the flags `args` sets over `config`.
pub(crate) fn apply_flags(args: &Args, config: &mut Config) -> Result<(), ConfigError> {
    if args.http_listen_address.is_some() || args.http_listen_port.is_some() {
        let (old_host, old_port) = split_host_port(&config.http_endpoint);
        let host = args.http_listen_address.as_deref().unwrap_or(old_host);
        let port = match args.http_listen_port {
            Some(port) => port,
            None => old_port.parse().unwrap_or(DEFAULT_HTTP_PORT),
        };
        config.http_endpoint = host_port(host, port);
    }
    if let Some(timeout) = args.graceful_shutdown_timeout {
        config.graceful_shutdown_timeout = timeout;
    }
    if let Some(enabled) = args.multitenancy_enabled {
        config.multitenancy_enabled = enabled;
    }
    if let Some(wal) = &args.wal_path {
        config.wal_dir.clone_from(wal);
    }
    if let Some(poll) = args.blocklist_poll {
        config.cut.blocklist_poll = Some(poll);
    }
    apply_backend_flags(args, config)?;
    apply_receiver_flags(args, &mut config.receivers);
    Ok(())
}

fn apply_backend_flags(args: &Args, config: &mut Config) -> Result<(), ConfigError> {
    let flag = args.backend.as_deref();
    if flag == Some("local") && !matches!(config.backend, BackendConfig::Local(_)) {
        config.backend = BackendConfig::Local("./data/blocks".into());
    }
    if let Some(other) = flag.filter(|b| *b != "local") {
        let scheme = match other {
            "gcs" => "gs",
            "azure" => "az",
            s => s,
        };
        let configured = matches!(&config.backend, BackendConfig::ObjectStore { url, .. }
            if url.starts_with(scheme));
        if !configured {
            return Err(invalid(
                "--storage.trace.backend",
                format!(
                    "{other} needs its bucket settings (storage.trace.{other}) in the \
                     configuration file"
                ),
            ));
        }
    }
    if let Some(path) = &args.local_path {
        match &mut config.backend {
            BackendConfig::Local(dir) => dir.clone_from(path),
            BackendConfig::ObjectStore { .. } => {
                return Err(invalid(
                    "--storage.trace.local.path",
                    "the backend is not local (storage.trace.backend)",
                ));
            }
        }
    }
    Ok(())
}

fn apply_receiver_flags(args: &Args, receivers: &mut Receivers) {
    let flags = [
        (
            &args.otlp_grpc,
            &mut receivers.otlp_grpc,
            DEFAULT_GRPC_MAX_RECV_MSG_SIZE,
        ),
        (
            &args.otlp_http,
            &mut receivers.otlp_http,
            DEFAULT_HTTP_MAX_REQUEST_BODY_SIZE,
        ),
        (
            &args.jaeger_thrift_http,
            &mut receivers.jaeger_thrift_http,
            DEFAULT_HTTP_MAX_REQUEST_BODY_SIZE,
        ),
        (
            &args.jaeger_thrift_compact,
            &mut receivers.jaeger_thrift_compact,
            DEFAULT_UDP_MAX_PACKET_SIZE,
        ),
        (
            &args.jaeger_thrift_binary,
            &mut receivers.jaeger_thrift_binary,
            DEFAULT_UDP_MAX_PACKET_SIZE,
        ),
        (
            &args.zipkin,
            &mut receivers.zipkin,
            DEFAULT_HTTP_MAX_REQUEST_BODY_SIZE,
        ),
    ];
    for (flag, receiver, default_max) in flags {
        match flag.as_deref() {
            None => {}
            Some("off") => *receiver = None,
            Some(endpoint) => {
                let max = receiver
                    .as_ref()
                    .map_or(default_max, |r| r.max_message_bytes);
                *receiver = Some(Receiver::new(endpoint, max));
            }
        }
    }
}
