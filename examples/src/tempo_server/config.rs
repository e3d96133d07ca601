//! Configuration: Tempo's YAML file (`-config.file`), then the command-line flags.
//!
//! A user's single-binary `tempo.yaml` works as it is: the options this server reads keep
//! Tempo's names and meaning, and every other option in the file is named in one warning at
//! start (never silently ignored). Flags override the file. Without a file, every receiver
//! listens on its default port and storage goes under `./data`.
//!
//! | option (YAML) | flag | default |
//! | --- | --- | --- |
//! | `multitenancy_enabled` | `--multitenancy.enabled` | false: every request is tenant `single-tenant` |
//! | `server.http_listen_address`, `http_listen_port` | `--server.http-listen-address`, `--server.http-listen-port` | all interfaces, 3200 |
//! | `server.graceful_shutdown_timeout` | `--server.graceful-shutdown-timeout` | 30s |
//! | `distributor.receivers.otlp.protocols.grpc` (`endpoint`, `max_recv_msg_size_mib`) | `--receiver.otlp-grpc` | localhost:4317, 4 MiB |
//! | `distributor.receivers.otlp.protocols.http` (`endpoint`, `max_request_body_size`) | `--receiver.otlp-http` | localhost:4318, 20 MiB |
//! | `distributor.receivers.jaeger.protocols.thrift_http` (same keys) | `--receiver.jaeger-thrift-http` | localhost:14268, 20 MiB |
//! | `distributor.receivers.jaeger.protocols.thrift_compact` (`endpoint`, `max_packet_size`) | `--receiver.jaeger-thrift-compact` | localhost:6831 (UDP), 65000 |
//! | `distributor.receivers.jaeger.protocols.thrift_binary` (same keys) | `--receiver.jaeger-thrift-binary` | localhost:6832 (UDP), 65000 |
//! | `distributor.receivers.zipkin` (`endpoint`, `max_request_body_size`) | `--receiver.zipkin` | localhost:9411, 20 MiB |
//! | `storage.trace.backend` (`local`, `s3`, `gcs`, `azure`) | `--storage.trace.backend` | local |
//! | `storage.trace.local.path` | `--storage.trace.local.path` | `./data/blocks` |
//! | `storage.trace.wal.path` (or `live_store.wal.path`) | `--storage.trace.wal.path` | `./data/wal` |
//! | `storage.trace.blocklist_poll` | `--storage.trace.blocklist_poll` | the store's (Tempo's 5m) |
//! | `storage.trace.s3`: `bucket`, `prefix`, `endpoint`, `region`, `access_key`, `secret_key`, `insecure`, `forcepathstyle` | | |
//! | `storage.trace.gcs`: `bucket_name`, `prefix`; `storage.trace.azure`: `container_name`, `prefix`, `storage_account_name`, `storage_account_key` | | |
//! | `live_store` (or Tempo 2's `ingester`): `max_trace_idle` (`trace_idle_period`), `max_trace_live`, `max_block_duration`, `max_block_bytes`, `complete_block_timeout` | | the store's (Tempo's) |
//! | `overrides.defaults.ingestion`: `rate_limit_bytes`, `burst_size_bytes`, `max_traces_per_user`; `overrides.defaults.global.max_bytes_per_trace` | | the store's (Tempo's) |
//! | `overrides.per_tenant_override_config`: a file `overrides: {<tenant>: {ingestion: …, global: …}}`, each tenant's values over the defaults | | |
//!
//! In Tempo a receiver or protocol is enabled by being present in the file, even with no
//! value (`grpc:`); so it is here. A receiver flag takes `HOST:PORT` (enabling it) or `off`.
//! Durations use Go's syntax (`5s`, `30m`, `1h30m`); an endpoint written `:PORT` listens on
//! every interface. `-config.expand-env` replaces `${VAR}`, `${VAR:-default}` and `$VAR` in
//! the file before it is read.

mod file;
mod flags;
mod resolve;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use crate::server_config::{
    ConfigError, format_go_duration, normalise_args, parse_go_duration,
};
pub(crate) use crate::server_config::{
    host_port, invalid, normalise_endpoint, saturating_usize, split_host_port,
};
use file::LimitsSection;
pub use flags::Args;
pub use resolve::from_yaml;

/// The tenant of every request when multitenancy is off, as in Tempo.
pub const SINGLE_TENANT: &str = "single-tenant";

/// Tempo's HTTP port for the query API.
pub const DEFAULT_HTTP_PORT: u16 = 3200;
/// The OTLP/gRPC receiver's default endpoint.
pub const DEFAULT_OTLP_GRPC: &str = "localhost:4317";
/// The OTLP/HTTP receiver's default endpoint.
pub const DEFAULT_OTLP_HTTP: &str = "localhost:4318";
/// The Jaeger Thrift-over-HTTP receiver's default endpoint.
pub const DEFAULT_JAEGER_THRIFT_HTTP: &str = "localhost:14268";
/// The Jaeger agent's compact-Thrift UDP endpoint.
pub const DEFAULT_JAEGER_THRIFT_COMPACT: &str = "localhost:6831";
/// The Jaeger agent's binary-Thrift UDP endpoint.
pub const DEFAULT_JAEGER_THRIFT_BINARY: &str = "localhost:6832";
/// The Zipkin receiver's default endpoint.
pub const DEFAULT_ZIPKIN: &str = "localhost:9411";
/// gRPC's default largest received message (`max_recv_msg_size_mib: 4`).
pub const DEFAULT_GRPC_MAX_RECV_MSG_SIZE: usize = 4 << 20;
/// The OpenTelemetry Collector's default HTTP `max_request_body_size` (20 MiB).
pub const DEFAULT_HTTP_MAX_REQUEST_BODY_SIZE: usize = 20 << 20;
/// The Jaeger agent's default `max_packet_size`.
pub const DEFAULT_UDP_MAX_PACKET_SIZE: usize = 65_000;
/// dskit's default `server.graceful_shutdown_timeout`.
pub const DEFAULT_GRACEFUL_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

/// Everything the server runs with, after defaults, the YAML file and the flags.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Where the query API (`/api/traces/…`, `/ready`, `/metrics`) listens (`HOST:PORT`).
    pub http_endpoint: String,
    /// How long shutdown waits for open requests, and then for the store to complete its
    /// blocks, before giving up (data still in the WAL is replayed at the next start).
    pub graceful_shutdown_timeout: Duration,
    /// Whether requests must name their tenant (`X-Scope-OrgID`).
    pub multitenancy_enabled: bool,
    /// The span receivers; `None` is a disabled one.
    pub receivers: Receivers,
    /// Where completed blocks go.
    pub backend: BackendConfig,
    /// The write-ahead log's folder.
    pub wal_dir: PathBuf,
    /// When traces and blocks are cut; `None` fields keep the store's defaults.
    pub cut: CutSettings,
    /// Limits of every tenant; `None` fields keep the store's defaults.
    pub default_limits: TenantLimits,
    /// Limits of named tenants (already merged over [`default_limits`](Self::default_limits)).
    pub per_tenant_limits: BTreeMap<String, TenantLimits>,
}

/// The span receivers, each `None` when disabled.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Receivers {
    /// OTLP/gRPC (`TraceService/Export`).
    pub otlp_grpc: Option<Receiver>,
    /// OTLP/HTTP (`POST /v1/traces`).
    pub otlp_http: Option<Receiver>,
    /// Jaeger Thrift over HTTP (`POST /api/traces`).
    pub jaeger_thrift_http: Option<Receiver>,
    /// Jaeger agent, compact Thrift over UDP (`emitBatch`).
    pub jaeger_thrift_compact: Option<Receiver>,
    /// Jaeger agent, binary Thrift over UDP (`emitBatch`).
    pub jaeger_thrift_binary: Option<Receiver>,
    /// Zipkin v2 JSON (`POST /api/v2/spans`).
    pub zipkin: Option<Receiver>,
}

/// One receiver's socket and size limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receiver {
    /// `HOST:PORT` to listen on (port 0: any free port).
    pub endpoint: String,
    /// The largest message accepted, in bytes: the gRPC message, the HTTP body (after
    /// decompression) or the UDP datagram.
    pub max_message_bytes: usize,
}

impl Receiver {
    pub(crate) fn new(endpoint: &str, max_message_bytes: usize) -> Self {
        Self {
            endpoint: normalise_endpoint(endpoint),
            max_message_bytes,
        }
    }
}

/// Where completed blocks are stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendConfig {
    /// A local folder (`storage.trace.local.path`).
    Local(PathBuf),
    /// An object store: its URL (`s3://bucket/prefix`, `gs://…`, `az://…`) and settings
    /// (object_store's keys, e.g. `aws_endpoint`); needs the matching cargo feature.
    ObjectStore {
        /// The bucket URL.
        url: String,
        /// Settings that override the environment's.
        options: Vec<(String, String)>,
    },
}

/// When live traces and head blocks are cut (Tempo's live-store settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CutSettings {
    /// A trace is cut to the head block after this long without new spans.
    pub max_trace_idle: Option<Duration>,
    /// A trace is cut after this long in memory, whatever arrives.
    pub max_trace_live: Option<Duration>,
    /// A head block is completed after this long.
    pub max_block_duration: Option<Duration>,
    /// A head block is completed past this size.
    pub max_block_bytes: Option<u64>,
    /// How long completed blocks stay in the store's local list after they were written.
    pub complete_block_timeout: Option<Duration>,
    /// How often the backend's block list is polled.
    pub blocklist_poll: Option<Duration>,
}

/// One tenant's ingestion limits, with Tempo's override names; `None` keeps the store's
/// default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TenantLimits {
    /// `ingestion.rate_limit_bytes`: bytes per second.
    pub ingestion_rate_limit_bytes: Option<u64>,
    /// `ingestion.burst_size_bytes`.
    pub ingestion_burst_size_bytes: Option<u64>,
    /// `ingestion.max_traces_per_user`: live traces.
    pub max_traces_per_user: Option<u64>,
    /// `global.max_bytes_per_trace`.
    pub max_bytes_per_trace: Option<u64>,
}

impl TenantLimits {
    pub(crate) fn from_section(section: &LimitsSection) -> Self {
        let ingestion = section.ingestion.clone().unwrap_or_default();
        let global = section.global.clone().unwrap_or_default();
        Self {
            ingestion_rate_limit_bytes: ingestion.rate_limit_bytes,
            ingestion_burst_size_bytes: ingestion.burst_size_bytes,
            max_traces_per_user: ingestion.max_traces_per_user,
            max_bytes_per_trace: global.max_bytes_per_trace,
        }
    }

    /// `self` with `over`'s values where it has them.
    pub(crate) fn overlaid(self, over: Self) -> Self {
        Self {
            ingestion_rate_limit_bytes: over
                .ingestion_rate_limit_bytes
                .or(self.ingestion_rate_limit_bytes),
            ingestion_burst_size_bytes: over
                .ingestion_burst_size_bytes
                .or(self.ingestion_burst_size_bytes),
            max_traces_per_user: over.max_traces_per_user.or(self.max_traces_per_user),
            max_bytes_per_trace: over.max_bytes_per_trace.or(self.max_bytes_per_trace),
        }
    }
}

impl Default for Config {
    /// Tempo's defaults with every receiver on, storage under `./data`.
    fn default() -> Self {
        Self {
            http_endpoint: format!("0.0.0.0:{DEFAULT_HTTP_PORT}"),
            graceful_shutdown_timeout: DEFAULT_GRACEFUL_SHUTDOWN_TIMEOUT,
            multitenancy_enabled: false,
            receivers: Receivers::all_defaults(),
            backend: BackendConfig::Local(PathBuf::from("./data/blocks")),
            wal_dir: PathBuf::from("./data/wal"),
            cut: CutSettings::default(),
            default_limits: TenantLimits::default(),
            per_tenant_limits: BTreeMap::new(),
        }
    }
}

impl Config {
    /// Every listener on `127.0.0.1:0` (a free port each; [`RunningServer::addresses`]
    /// tells which) and storage under `dir` (`dir/blocks`, `dir/wal`): for tests and for
    /// embedding.
    ///
    /// [`RunningServer::addresses`]: super::RunningServer::addresses
    pub fn loopback(dir: &Path) -> Self {
        let any = |max| {
            Some(Receiver {
                endpoint: "127.0.0.1:0".to_owned(),
                max_message_bytes: max,
            })
        };
        Self {
            http_endpoint: "127.0.0.1:0".to_owned(),
            receivers: Receivers {
                otlp_grpc: any(DEFAULT_GRPC_MAX_RECV_MSG_SIZE),
                otlp_http: any(DEFAULT_HTTP_MAX_REQUEST_BODY_SIZE),
                jaeger_thrift_http: any(DEFAULT_HTTP_MAX_REQUEST_BODY_SIZE),
                jaeger_thrift_compact: any(DEFAULT_UDP_MAX_PACKET_SIZE),
                jaeger_thrift_binary: any(DEFAULT_UDP_MAX_PACKET_SIZE),
                zipkin: any(DEFAULT_HTTP_MAX_REQUEST_BODY_SIZE),
            },
            backend: BackendConfig::Local(dir.join("blocks")),
            wal_dir: dir.join("wal"),
            ..Self::default()
        }
    }

    /// The tenant limits of `tenant`: its own, else the defaults.
    pub fn limits_of(&self, tenant: &str) -> TenantLimits {
        self.per_tenant_limits
            .get(tenant)
            .copied()
            .unwrap_or(self.default_limits)
    }
}

impl Receivers {
    /// Every receiver on its default endpoint and limit.
    pub fn all_defaults() -> Self {
        Self {
            otlp_grpc: Some(Receiver::new(
                DEFAULT_OTLP_GRPC,
                DEFAULT_GRPC_MAX_RECV_MSG_SIZE,
            )),
            otlp_http: Some(Receiver::new(
                DEFAULT_OTLP_HTTP,
                DEFAULT_HTTP_MAX_REQUEST_BODY_SIZE,
            )),
            jaeger_thrift_http: Some(Receiver::new(
                DEFAULT_JAEGER_THRIFT_HTTP,
                DEFAULT_HTTP_MAX_REQUEST_BODY_SIZE,
            )),
            jaeger_thrift_compact: Some(Receiver::new(
                DEFAULT_JAEGER_THRIFT_COMPACT,
                DEFAULT_UDP_MAX_PACKET_SIZE,
            )),
            jaeger_thrift_binary: Some(Receiver::new(
                DEFAULT_JAEGER_THRIFT_BINARY,
                DEFAULT_UDP_MAX_PACKET_SIZE,
            )),
            zipkin: Some(Receiver::new(
                DEFAULT_ZIPKIN,
                DEFAULT_HTTP_MAX_REQUEST_BODY_SIZE,
            )),
        }
    }

    /// True when no receiver is enabled.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A configuration and what was said about it.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The configuration.
    pub config: Config,
    /// Warnings to print at start: at most one naming every unsupported option, and one
    /// when no receiver is on.
    pub warnings: Vec<String>,
}

/// Reads the file `args` names (if any), then applies the flags.
///
/// # Errors
///
/// A file that cannot be read or parsed; an option whose value cannot be used.
pub fn load(args: &Args) -> Result<Loaded, ConfigError> {
    let mut loaded = match &args.config_file {
        None => Loaded {
            config: Config::default(),
            warnings: Vec::new(),
        },
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.clone(),
                source,
            })?;
            let text = if args.config_expand_env == Some(true) {
                file::expand_env(&text, |name| std::env::var(name).ok())
            } else {
                text
            };
            from_yaml(&text, path)?
        }
    };
    flags::apply_flags(args, &mut loaded.config)?;
    if loaded.config.receivers.is_empty() {
        loaded.warnings.push(
            "no receiver is configured (distributor.receivers): this server accepts no spans"
                .to_owned(),
        );
    }
    Ok(loaded)
}
