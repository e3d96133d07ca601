//! From the parsed YAML file to a [`Config`], with Loki's defaults for what it leaves out.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use loki_chunk::Codec;
use loki_store::Limits;
use serde_yaml_ng::Value;

use super::file::{self, FileConfig, KNOWN, KNOWN_RUNTIME, LimitsSection};
use super::{Config, ConfigError, DEFAULT_HTTP_PORT, Loaded};
use crate::server_config::yaml::{GoDuration, unknown_keys};
use crate::server_config::{host_port, invalid};

/// The schema version whose chunk keys the store writes.
const SCHEMA: &str = "v13";

/// The configuration a Loki YAML text gives (`path` names it in messages), and a warning
/// naming every option it holds that this server does not read. A `runtime_config.file` is
/// read from disk.
///
/// # Errors
///
/// YAML that does not parse, a value of the wrong type, or one that cannot be used.
pub fn from_yaml(text: &str, path: &Path) -> Result<Loaded, ConfigError> {
    from_yaml_with(text, path, |p| {
        std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
            path: p.to_path_buf(),
            source,
        })
    })
}

fn parse<T: serde::de::DeserializeOwned + Default>(
    text: &str,
    path: &Path,
) -> Result<(T, Value), ConfigError> {
    let yaml_error = |source| ConfigError::Yaml {
        path: path.to_path_buf(),
        source,
    };
    // An empty file is an empty configuration.
    let value: Value = serde_yaml_ng::from_str::<Option<Value>>(text)
        .map_err(yaml_error)?
        .unwrap_or(Value::Null);
    if value.is_null() {
        return Ok((T::default(), value));
    }
    let parsed = serde_yaml_ng::from_str(text).map_err(yaml_error)?;
    Ok((parsed, value))
}

/// As [`from_yaml`], reading other files (the runtime configuration) with `read`.
pub(crate) fn from_yaml_with(
    text: &str,
    path: &Path,
    read: impl Fn(&Path) -> Result<String, ConfigError>,
) -> Result<Loaded, ConfigError> {
    let (file, value): (FileConfig, Value) = parse(text, path)?;
    let mut unsupported = unknown_keys(&value, KNOWN);

    // Loki's default, as a file that leaves it out gets in Loki.
    let mut config = Config {
        auth_enabled: file.auth_enabled.unwrap_or(true),
        ..Config::default()
    };
    if let Some(server) = &file.server {
        let port = server.http_listen_port.unwrap_or(DEFAULT_HTTP_PORT);
        let host = server.http_listen_address.as_deref().unwrap_or("");
        config.http_endpoint = host_port(host, port);
        if let Some(GoDuration(timeout)) = server.graceful_shutdown_timeout {
            config.graceful_shutdown_timeout = timeout;
        }
    }
    storage_from(&file, &mut config);
    if let Some(schema) = &file.schema_config {
        for (i, period) in schema.configs.iter().enumerate() {
            match period.schema.as_deref() {
                Some(SCHEMA) | None => {}
                Some(other) => unsupported.push(format!(
                    "schema_config.configs[{i}].schema ({other}: this server writes {SCHEMA} \
                     chunk keys and its own index)"
                )),
            }
        }
    }
    if let Some(ingester) = &file.ingester {
        ingester_from(ingester, &mut config)?;
        if ingester.wal.as_ref().and_then(|w| w.enabled) == Some(false) {
            unsupported.push("ingester.wal.enabled (the WAL is always on)".to_owned());
        }
    }
    if let Some(distributor) = &file.distributor {
        if let Some(n) = distributor.max_recv_msg_size {
            config.max_recv_msg_size = n;
        }
        if let Some(n) = distributor.max_decompressed_size {
            config.max_decompressed_size = n;
        }
        if let Some(labels) = distributor
            .otlp_config
            .as_ref()
            .and_then(|o| o.default_resource_attributes_as_index_labels.clone())
        {
            config.otlp_index_labels = labels;
        }
    }
    if let Some(enabled) = file
        .querier
        .as_ref()
        .and_then(|q| q.multi_tenant_queries_enabled)
    {
        config.multi_tenant_queries_enabled = enabled;
    }
    if let Some(limits) = &file.limits_config {
        config.limits = limits_from(limits, &Limits::default());
    }
    if let Some(files) = file.runtime_config.as_ref().and_then(|r| r.file.as_deref()) {
        for runtime in files.split(',').map(str::trim).filter(|f| !f.is_empty()) {
            let runtime = PathBuf::from(runtime);
            let text = read(&runtime)?;
            let (per_tenant, unknown) = read_runtime(&text, &runtime, &config.limits)?;
            config.per_tenant_limits.extend(per_tenant);
            unsupported.extend(
                unknown
                    .into_iter()
                    .map(|key| format!("{key} (in {})", runtime.display())),
            );
        }
    }

    let mut warnings = Vec::new();
    if !unsupported.is_empty() {
        warnings.push(format!(
            "{}: options this server does not support, ignored: {}",
            path.display(),
            unsupported.join(", ")
        ));
    }
    Ok(Loaded { config, warnings })
}

/// Where chunks and the WAL go: explicit directories first, then `common.path_prefix`.
fn storage_from(file: &FileConfig, config: &mut Config) {
    let common = file.common.as_ref();
    if let Some(prefix) = common.and_then(|c| c.path_prefix.as_deref()) {
        config.set_path_prefix(prefix);
    }
    let storage = common.and_then(|c| c.storage.as_ref());
    let chunks = file
        .storage_config
        .as_ref()
        .and_then(|s| s.filesystem.as_ref())
        .and_then(|f| f.directory.clone())
        .or_else(|| {
            storage
                .and_then(|s| s.filesystem.as_ref())
                .and_then(|f| f.chunks_directory.clone())
        })
        .or_else(|| {
            storage
                .and_then(|s| s.object_store.as_ref())
                .and_then(|o| o.filesystem.as_ref())
                .and_then(|f| f.dir.clone())
        });
    if let Some(dir) = chunks {
        config.chunks_dir = dir;
    }
    if let Some(dir) = file
        .ingester
        .as_ref()
        .and_then(|i| i.wal.as_ref())
        .and_then(|w| w.dir.clone())
    {
        config.wal_dir = dir;
    }
}

fn ingester_from(section: &file::IngesterSection, config: &mut Config) -> Result<(), ConfigError> {
    let ingester = &mut config.ingester;
    if let Some(n) = section.chunk_target_size {
        ingester.chunk_target_size = n;
    }
    if let Some(n) = section.chunk_block_size {
        if n == 0 {
            return Err(invalid("ingester.chunk_block_size", "must be above 0"));
        }
        ingester.chunk_block_size = n;
    }
    if let Some(GoDuration(d)) = section.chunk_idle_period {
        ingester.chunk_idle_period = d;
    }
    if let Some(GoDuration(d)) = section.max_chunk_age {
        if d.is_zero() {
            return Err(invalid("ingester.max_chunk_age", "must be above 0"));
        }
        ingester.max_chunk_age = d;
    }
    if let Some(GoDuration(d)) = section.flush_check_period {
        ingester.flush_check_period = d;
    }
    if let Some(name) = &section.chunk_encoding {
        ingester.chunk_encoding = parse_codec(name, "ingester.chunk_encoding")?;
    }
    Ok(())
}

/// Loki's chunk encoding names.
pub(crate) fn parse_codec(name: &str, option: &str) -> Result<Codec, ConfigError> {
    name.parse::<Codec>().map_err(|_| {
        invalid(
            option,
            format!(
                "{name:?} is not one of none, gzip, lz4-64k, snappy, lz4-256k, lz4-1M, lz4, \
                 flate, zstd"
            ),
        )
    })
}

/// `base` with the limits `section` sets.
pub(crate) fn limits_from(section: &LimitsSection, base: &Limits) -> Limits {
    let mut l = base.clone();
    let s = section;
    let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    if let Some(v) = s.ingestion_rate_mb {
        l.ingestion_rate_mb = v;
    }
    if let Some(v) = s.ingestion_burst_size_mb {
        l.ingestion_burst_size_mb = v;
    }
    if let Some(v) = s.max_label_name_length {
        l.max_label_name_length = v;
    }
    if let Some(v) = s.max_label_value_length {
        l.max_label_value_length = v;
    }
    if let Some(v) = s.max_label_names_per_series {
        l.max_label_names_per_series = v;
    }
    if let Some(v) = s.reject_old_samples {
        l.reject_old_samples = v;
    }
    if let Some(v) = s.reject_old_samples_max_age {
        l.reject_old_samples_max_age = v.0;
    }
    if let Some(v) = s.creation_grace_period {
        l.creation_grace_period = v.0;
    }
    if let Some(v) = s.max_line_size {
        l.max_line_size = size(v.0);
    }
    if let Some(v) = s.allow_structured_metadata {
        l.allow_structured_metadata = v;
    }
    if let Some(v) = s.max_structured_metadata_size {
        l.max_structured_metadata_size = size(v.0);
    }
    if let Some(v) = s.max_structured_metadata_entries_count {
        l.max_structured_metadata_entries_count = v;
    }
    if let Some(v) = s.max_streams_per_user {
        l.max_streams_per_user = v;
    }
    if let Some(v) = s.max_global_streams_per_user {
        l.max_global_streams_per_user = v;
    }
    if let Some(v) = &s.discover_service_name {
        l.discover_service_name.clone_from(v);
    }
    if let Some(v) = s.discover_log_levels {
        l.discover_log_levels = v;
    }
    if let Some(v) = s.max_entries_limit_per_query {
        l.max_entries_limit_per_query = v;
    }
    l
}

/// A runtime configuration file's per-tenant limits (over `defaults`) and the options it holds
/// that this server does not read.
fn read_runtime(
    text: &str,
    path: &Path,
    defaults: &Limits,
) -> Result<(HashMap<String, Limits>, Vec<String>), ConfigError> {
    let (parsed, value): (file::RuntimeFile, Value) = parse(text, path)?;
    let limits = parsed
        .overrides
        .unwrap_or_default()
        .into_iter()
        .map(|(tenant, section)| {
            let own = section.unwrap_or_default();
            (tenant, limits_from(&own, defaults))
        })
        .collect();
    Ok((limits, unknown_keys(&value, KNOWN_RUNTIME)))
}
