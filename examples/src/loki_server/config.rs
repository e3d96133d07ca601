//! Configuration: Loki's YAML file (`-config.file`), then the command-line flags.
//!
//! A user's single-binary `loki.yaml` works as it is: the options this server reads keep
//! Loki's names and meaning, and every other option in the file is named in one warning at
//! start (never silently ignored). Flags override the file. Without a file, the API listens
//! on port 3100, authentication is off (tenant `fake`) and storage goes under `./data`.
//!
//! | option (YAML) | flag | default |
//! | --- | --- | --- |
//! | `auth_enabled` | `--auth.enabled` | true with a file (Loki's default), false without one |
//! | `server.http_listen_address`, `http_listen_port` | `--server.http-listen-address`, `--server.http-listen-port` | all interfaces, 3100 |
//! | `server.graceful_shutdown_timeout` | `--server.graceful-shutdown-timeout` | 30s |
//! | `common.path_prefix` | `--common.path-prefix` | `./data`: chunks in `<prefix>/chunks`, the WAL in `<prefix>/wal` |
//! | `storage_config.filesystem.directory`, `common.storage.filesystem.chunks_directory` (or `common.storage.object_store.filesystem.dir`) | `--local.chunk-directory` | `<prefix>/chunks` |
//! | `ingester.wal.dir` | `--ingester.wal-dir` | `<prefix>/wal` |
//! | `ingester`: `chunk_target_size`, `chunk_block_size`, `chunk_idle_period`, `max_chunk_age`, `chunk_encoding`, `flush_check_period` | `--ingester.chunk-target-size`, `--ingester.chunks-block-size`, `--ingester.chunks-idle-period`, `--ingester.max-chunk-age`, `--ingester.chunk-encoding`, `--ingester.flush-check-period` | the store's (Loki's) |
//! | `limits_config`: `ingestion_rate_mb`, `ingestion_burst_size_mb`, `max_label_name_length`, `max_label_value_length`, `max_label_names_per_series`, `reject_old_samples`, `reject_old_samples_max_age`, `creation_grace_period`, `max_line_size`, `allow_structured_metadata`, `max_structured_metadata_size`, `max_structured_metadata_entries_count`, `max_streams_per_user`, `max_global_streams_per_user`, `discover_service_name`, `discover_log_levels`, `max_entries_limit_per_query` | `--distributor.ingestion-rate-limit-mb`, `--distributor.ingestion-burst-size-mb`, `--distributor.max-line-size`, `--ingester.max-global-streams-per-user`, `--validation.max-entries-limit`, `--validation.reject-old-samples.max-age` | the store's (Loki's) |
//! | `runtime_config.file`: a file `overrides: {<tenant>: {<limits_config options>}}`, each tenant's values over `limits_config` | | |
//! | `distributor.max_recv_msg_size`, `distributor.max_decompressed_size` | `--distributor.max-recv-msg-size` | 100 MiB, 5000 MiB |
//! | `distributor.otlp_config.default_resource_attributes_as_index_labels` | | Loki's 18 attributes (`service.name`, `k8s.pod.name`, …) |
//! | `querier.multi_tenant_queries_enabled` | `--querier.multi-tenant-queries-enabled` | false |
//! | `schema_config.configs` | | read to check that every period is `schema: v13` (the chunk keys written) |
//!
//! Durations use Go's syntax (`30s`, `1h30m`) except `reject_old_samples_max_age` and
//! `creation_grace_period`, which are Prometheus durations as in Loki (`1w`, `168h`); sizes
//! take Loki's units (`256KB`). `-config.expand-env` replaces `${VAR}`, `${VAR:-default}`
//! and `$VAR` in the files before they are read.

mod file;
mod flags;
mod resolve;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use loki_store::{IngesterConfig, Limits};

pub use crate::server_config::ConfigError;
pub use flags::Args;
pub use resolve::from_yaml;

/// The tenant of every request when authentication is off, as in Loki.
pub const FAKE_TENANT: &str = "fake";
/// Loki's HTTP port.
pub const DEFAULT_HTTP_PORT: u16 = 3100;
/// Loki's `distributor.max_recv_msg_size`: the largest push body as sent (100 MiB).
pub const DEFAULT_MAX_RECV_MSG_SIZE: usize = 100 << 20;
/// Loki's `distributor.max_decompressed_size`: the largest push body once decompressed
/// (50 times `max_recv_msg_size`).
pub const DEFAULT_MAX_DECOMPRESSED_SIZE: usize = 5000 << 20;
/// dskit's default `server.graceful_shutdown_timeout`.
pub const DEFAULT_GRACEFUL_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);
/// Where storage goes without a `common.path_prefix`.
pub const DEFAULT_PATH_PREFIX: &str = "./data";

/// Loki's `distributor.otlp_config.default_resource_attributes_as_index_labels`: the OTLP
/// resource attributes that become stream labels (the others become structured metadata).
pub const DEFAULT_OTLP_INDEX_LABELS: [&str; 18] = [
    "service.name",
    "service.namespace",
    "service.instance.id",
    "deployment.environment",
    "deployment.environment.name",
    "cloud.region",
    "cloud.availability_zone",
    "k8s.cluster.name",
    "k8s.namespace.name",
    "k8s.pod.name",
    "k8s.container.name",
    "container.name",
    "k8s.replicaset.name",
    "k8s.deployment.name",
    "k8s.statefulset.name",
    "k8s.daemonset.name",
    "k8s.cronjob.name",
    "k8s.job.name",
];

/// Everything the server runs with, after defaults, the YAML file and the flags.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Where the API (push, queries, `/ready`, `/metrics`) listens (`HOST:PORT`).
    pub http_endpoint: String,
    /// How long shutdown waits for open requests, and then for the store to flush its
    /// chunks, before giving up (what is not flushed stays in the WAL and is replayed).
    pub graceful_shutdown_timeout: Duration,
    /// Whether requests must name their tenant (`X-Scope-OrgID`); otherwise every request
    /// is tenant `fake`.
    pub auth_enabled: bool,
    /// Whether a query may name several tenants (`X-Scope-OrgID: a|b`).
    pub multi_tenant_queries_enabled: bool,
    /// The folder chunks and the label index are stored in (Loki's filesystem object store).
    pub chunks_dir: PathBuf,
    /// The write-ahead log's folder.
    pub wal_dir: PathBuf,
    /// The largest push body as sent, in bytes.
    pub max_recv_msg_size: usize,
    /// The largest push body once decompressed, in bytes.
    pub max_decompressed_size: usize,
    /// The OTLP resource attributes that become stream labels.
    pub otlp_index_labels: Vec<String>,
    /// When chunks are cut and flushed.
    pub ingester: IngesterConfig,
    /// Limits of every tenant (`limits_config`).
    pub limits: Limits,
    /// Limits of named tenants (`runtime_config.file`), already merged over
    /// [`limits`](Self::limits).
    pub per_tenant_limits: HashMap<String, Limits>,
}

impl Default for Config {
    /// Loki's defaults, authentication off, storage under `./data`.
    fn default() -> Self {
        let prefix = Path::new(DEFAULT_PATH_PREFIX);
        Self {
            http_endpoint: format!("0.0.0.0:{DEFAULT_HTTP_PORT}"),
            graceful_shutdown_timeout: DEFAULT_GRACEFUL_SHUTDOWN_TIMEOUT,
            auth_enabled: false,
            multi_tenant_queries_enabled: false,
            chunks_dir: prefix.join("chunks"),
            wal_dir: prefix.join("wal"),
            max_recv_msg_size: DEFAULT_MAX_RECV_MSG_SIZE,
            max_decompressed_size: DEFAULT_MAX_DECOMPRESSED_SIZE,
            otlp_index_labels: DEFAULT_OTLP_INDEX_LABELS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            ingester: IngesterConfig::default(),
            limits: Limits::default(),
            per_tenant_limits: HashMap::new(),
        }
    }
}

impl Config {
    /// The API on `127.0.0.1:0` (a free port; [`RunningServer::addresses`] tells which) and
    /// storage under `dir` (`dir/chunks`, `dir/wal`): for tests and for embedding.
    ///
    /// [`RunningServer::addresses`]: super::RunningServer::addresses
    pub fn loopback(dir: &Path) -> Self {
        Self {
            http_endpoint: "127.0.0.1:0".to_owned(),
            chunks_dir: dir.join("chunks"),
            wal_dir: dir.join("wal"),
            ..Self::default()
        }
    }

    /// Storage under `prefix` (`prefix/chunks`, `prefix/wal`), as `common.path_prefix` sets it.
    pub fn set_path_prefix(&mut self, prefix: &Path) {
        self.chunks_dir = prefix.join("chunks");
        self.wal_dir = prefix.join("wal");
    }

    /// The limits of `tenant`: its own, else the defaults.
    pub fn limits_of(&self, tenant: &str) -> &Limits {
        self.per_tenant_limits.get(tenant).unwrap_or(&self.limits)
    }
}

/// A configuration and what was said about it.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The configuration.
    pub config: Config,
    /// Warnings to print at start: at most one, naming every unsupported option.
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
            let expand = args.config_expand_env == Some(true);
            let text = read_config_text(path, expand)?;
            resolve::from_yaml_with(&text, path, |p| read_config_text(p, expand))?
        }
    };
    flags::apply_flags(args, &mut loaded.config)?;
    Ok(loaded)
}

/// A configuration file's text, with environment references expanded when asked.
fn read_config_text(path: &Path, expand_env: bool) -> Result<String, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(if expand_env {
        crate::server_config::yaml::expand_env(&text, |name| std::env::var(name).ok())
    } else {
        text
    })
}
