//! The command line: Loki's flag names; flags override the file.

use std::path::PathBuf;
use std::time::Duration;

use super::{Config, ConfigError, DEFAULT_HTTP_PORT};
use crate::server_config::{
    host_port, parse_byte_size, parse_go_duration, parse_prom_duration, split_host_port,
};

/// What `--help` says after the flags.
const AFTER_HELP: &str = "\
The YAML file is Loki's (a single-binary loki.yaml works). Options read from it:
  auth_enabled (Loki's default with a file: true; without a file this server runs with
    authentication off, every request being tenant `fake`)
  server: http_listen_address, http_listen_port, graceful_shutdown_timeout
  common: path_prefix (chunks in PREFIX/chunks, the WAL in PREFIX/wal),
    storage.filesystem.chunks_directory, storage.object_store.filesystem.dir
  storage_config.filesystem.directory
  schema_config.configs (each period must be schema v13)
  ingester: chunk_target_size, chunk_block_size, chunk_idle_period, max_chunk_age,
    chunk_encoding, flush_check_period, wal.dir
  limits_config: ingestion_rate_mb, ingestion_burst_size_mb, max_label_name_length,
    max_label_value_length, max_label_names_per_series, reject_old_samples,
    reject_old_samples_max_age, creation_grace_period, max_line_size,
    allow_structured_metadata, max_structured_metadata_size,
    max_structured_metadata_entries_count, max_streams_per_user,
    max_global_streams_per_user, discover_service_name, discover_log_levels,
    max_entries_limit_per_query
  runtime_config.file: per-tenant limits (overrides: {<tenant>: {<limits_config options>}})
  distributor: max_recv_msg_size, max_decompressed_size,
    otlp_config.default_resource_attributes_as_index_labels
  querier.multi_tenant_queries_enabled
Any other option in the file is named in one warning at start and has no effect.
Flags override the file. Durations use Go's syntax (30s, 1h30m), the two sample-age limits
Prometheus' (1w, 168h). Single-dash flags as Loki writes them (-config.file=loki.yaml) are
accepted. Without a file, storage is ./data/chunks and ./data/wal.";

/// The command line (`loki-server --help` lists these).
#[derive(Debug, Clone, Default, clap::Parser)]
#[command(
    name = "loki-server",
    version,
    about = "A Grafana Loki compatible log server: Loki's push and query APIs over loki-store",
    after_help = AFTER_HELP
)]
pub struct Args {
    /// Loki's YAML configuration file.
    #[arg(long = "config.file", value_name = "PATH")]
    pub config_file: Option<PathBuf>,
    /// Replace ${VAR}, ${VAR:-default} and $VAR in the configuration files with environment
    /// variables before reading them.
    #[arg(
        long = "config.expand-env",
        value_name = "BOOL",
        num_args = 0..=1,
        default_missing_value = "true"
    )]
    pub config_expand_env: Option<bool>,
    /// Require an X-Scope-OrgID header naming the tenant on every request; otherwise every
    /// request is tenant `fake`.
    #[arg(
        long = "auth.enabled",
        value_name = "BOOL",
        num_args = 0..=1,
        default_missing_value = "true"
    )]
    pub auth_enabled: Option<bool>,
    /// Address the API (port 3100) listens on [default: all interfaces].
    #[arg(long = "server.http-listen-address", value_name = "HOST")]
    pub http_listen_address: Option<String>,
    /// Port of the API: push, queries, /ready and /metrics [default: 3100].
    #[arg(long = "server.http-listen-port", value_name = "PORT")]
    pub http_listen_port: Option<u16>,
    /// How long shutdown waits for open requests, then for the store to flush its chunks
    /// [default: 30s].
    #[arg(
        long = "server.graceful-shutdown-timeout",
        value_name = "DURATION",
        value_parser = parse_go_duration
    )]
    pub graceful_shutdown_timeout: Option<Duration>,
    /// Storage under this folder: chunks in PREFIX/chunks, the WAL in PREFIX/wal
    /// [default: ./data].
    #[arg(long = "common.path-prefix", value_name = "DIR")]
    pub path_prefix: Option<PathBuf>,
    /// Folder of the chunks and the label index [default: PREFIX/chunks].
    #[arg(long = "local.chunk-directory", value_name = "DIR")]
    pub chunk_directory: Option<PathBuf>,
    /// Folder of the write-ahead log [default: PREFIX/wal].
    #[arg(long = "ingester.wal-dir", value_name = "DIR")]
    pub wal_dir: Option<PathBuf>,
    /// Compressed size a chunk aims at, in bytes [default: 1572864].
    #[arg(long = "ingester.chunk-target-size", value_name = "BYTES")]
    pub chunk_target_size: Option<usize>,
    /// Uncompressed size of a chunk's blocks, in bytes [default: 262144].
    #[arg(long = "ingester.chunks-block-size", value_name = "BYTES")]
    pub chunk_block_size: Option<usize>,
    /// A chunk without new entries for this long is flushed [default: 30m].
    #[arg(
        long = "ingester.chunks-idle-period",
        value_name = "DURATION",
        value_parser = parse_go_duration
    )]
    pub chunk_idle_period: Option<Duration>,
    /// A chunk spanning this long is flushed; half of it is the out-of-order window
    /// [default: 2h].
    #[arg(
        long = "ingester.max-chunk-age",
        value_name = "DURATION",
        value_parser = parse_go_duration
    )]
    pub max_chunk_age: Option<Duration>,
    /// How often chunks are checked for flushing [default: 30s].
    #[arg(
        long = "ingester.flush-check-period",
        value_name = "DURATION",
        value_parser = parse_go_duration
    )]
    pub flush_check_period: Option<Duration>,
    /// Codec of written chunks: none, gzip, lz4-64k, snappy, lz4-256k, lz4-1M, lz4, flate,
    /// zstd [default: gzip].
    #[arg(long = "ingester.chunk-encoding", value_name = "CODEC")]
    pub chunk_encoding: Option<String>,
    /// Per-tenant ingestion rate, MiB/s of lines and structured metadata [default: 4].
    #[arg(long = "distributor.ingestion-rate-limit-mb", value_name = "MB")]
    pub ingestion_rate_mb: Option<f64>,
    /// Per-tenant ingestion burst, MiB [default: 6].
    #[arg(long = "distributor.ingestion-burst-size-mb", value_name = "MB")]
    pub ingestion_burst_size_mb: Option<f64>,
    /// Longest line accepted (e.g. 256KB; 0: no limit) [default: 256KB].
    #[arg(long = "distributor.max-line-size", value_name = "SIZE", value_parser = parse_byte_size)]
    pub max_line_size: Option<u64>,
    /// Largest push body as sent, in bytes [default: 104857600].
    #[arg(long = "distributor.max-recv-msg-size", value_name = "BYTES")]
    pub max_recv_msg_size: Option<usize>,
    /// Active streams per tenant (0: no limit) [default: 5000].
    #[arg(long = "ingester.max-global-streams-per-user", value_name = "N")]
    pub max_global_streams_per_user: Option<usize>,
    /// Most entries one query may ask for [default: 5000].
    #[arg(long = "validation.max-entries-limit", value_name = "N")]
    pub max_entries_limit_per_query: Option<usize>,
    /// Oldest entry accepted, a Prometheus duration (e.g. 1w) [default: 1w].
    #[arg(
        long = "validation.reject-old-samples.max-age",
        value_name = "DURATION",
        value_parser = parse_prom_duration
    )]
    pub reject_old_samples_max_age: Option<Duration>,
    /// Let a query name several tenants (X-Scope-OrgID: a|b) [default: false].
    #[arg(
        long = "querier.multi-tenant-queries-enabled",
        value_name = "BOOL",
        num_args = 0..=1,
        default_missing_value = "true"
    )]
    pub multi_tenant_queries_enabled: Option<bool>,
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
    if let Some(enabled) = args.auth_enabled {
        config.auth_enabled = enabled;
    }
    if let Some(enabled) = args.multi_tenant_queries_enabled {
        config.multi_tenant_queries_enabled = enabled;
    }
    if let Some(prefix) = &args.path_prefix {
        config.set_path_prefix(prefix);
    }
    if let Some(dir) = &args.chunk_directory {
        config.chunks_dir.clone_from(dir);
    }
    if let Some(dir) = &args.wal_dir {
        config.wal_dir.clone_from(dir);
    }
    if let Some(n) = args.max_recv_msg_size {
        config.max_recv_msg_size = n;
    }
    let ingester = &mut config.ingester;
    if let Some(n) = args.chunk_target_size {
        ingester.chunk_target_size = n;
    }
    if let Some(n) = args.chunk_block_size {
        ingester.chunk_block_size = n;
    }
    if let Some(d) = args.chunk_idle_period {
        ingester.chunk_idle_period = d;
    }
    if let Some(d) = args.max_chunk_age {
        ingester.max_chunk_age = d;
    }
    if let Some(d) = args.flush_check_period {
        ingester.flush_check_period = d;
    }
    if let Some(name) = &args.chunk_encoding {
        ingester.chunk_encoding = super::resolve::parse_codec(name, "--ingester.chunk-encoding")?;
    }
    // Limit flags apply to every tenant, runtime overrides included.
    let limits = std::iter::once(&mut config.limits).chain(config.per_tenant_limits.values_mut());
    for l in limits {
        if let Some(v) = args.ingestion_rate_mb {
            l.ingestion_rate_mb = v;
        }
        if let Some(v) = args.ingestion_burst_size_mb {
            l.ingestion_burst_size_mb = v;
        }
        if let Some(v) = args.max_line_size {
            l.max_line_size = usize::try_from(v).unwrap_or(usize::MAX);
        }
        if let Some(v) = args.max_global_streams_per_user {
            l.max_global_streams_per_user = v;
        }
        if let Some(v) = args.max_entries_limit_per_query {
            l.max_entries_limit_per_query = v;
        }
        if let Some(v) = args.reject_old_samples_max_age {
            l.reject_old_samples_max_age = v;
        }
    }
    Ok(())
}
