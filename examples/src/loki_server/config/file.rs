//! Loki's YAML configuration file: the subset this server reads, with Loki's names, and the
//! tree of those options (everything else in a file is named in the start-up warning).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use crate::server_config::yaml::{ByteSize, GoDuration, Known, PromDuration};

/// The top level of `loki.yaml`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct FileConfig {
    pub(crate) auth_enabled: Option<bool>,
    pub(crate) server: Option<ServerSection>,
    pub(crate) common: Option<CommonSection>,
    pub(crate) storage_config: Option<StorageConfigSection>,
    pub(crate) schema_config: Option<SchemaConfigSection>,
    pub(crate) limits_config: Option<LimitsSection>,
    pub(crate) runtime_config: Option<RuntimeConfigSection>,
    pub(crate) ingester: Option<IngesterSection>,
    pub(crate) distributor: Option<DistributorSection>,
    pub(crate) querier: Option<QuerierSection>,
}

/// `server:` (dskit's server block).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ServerSection {
    pub(crate) http_listen_address: Option<String>,
    pub(crate) http_listen_port: Option<u16>,
    pub(crate) graceful_shutdown_timeout: Option<GoDuration>,
}

/// `common:`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CommonSection {
    pub(crate) path_prefix: Option<PathBuf>,
    pub(crate) storage: Option<CommonStorageSection>,
}

/// `common.storage:`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CommonStorageSection {
    pub(crate) filesystem: Option<ChunksDirectorySection>,
    pub(crate) object_store: Option<ObjectStoreSection>,
}

/// `common.storage.filesystem:`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ChunksDirectorySection {
    pub(crate) chunks_directory: Option<PathBuf>,
}

/// `common.storage.object_store:` (Loki's Thanos-based object store settings).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ObjectStoreSection {
    pub(crate) filesystem: Option<DirSection>,
}

/// A block with a `dir:`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DirSection {
    pub(crate) dir: Option<PathBuf>,
}

/// `storage_config:`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct StorageConfigSection {
    pub(crate) filesystem: Option<DirectorySection>,
}

/// `storage_config.filesystem:`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DirectorySection {
    pub(crate) directory: Option<PathBuf>,
}

/// `schema_config:`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct SchemaConfigSection {
    pub(crate) configs: Vec<SchemaPeriod>,
}

/// One period of `schema_config.configs`; only its schema version matters here.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct SchemaPeriod {
    pub(crate) schema: Option<String>,
}

/// `limits_config:`, and one tenant's block of a runtime overrides file.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub(crate) struct LimitsSection {
    pub(crate) ingestion_rate_mb: Option<f64>,
    pub(crate) ingestion_burst_size_mb: Option<f64>,
    pub(crate) max_label_name_length: Option<usize>,
    pub(crate) max_label_value_length: Option<usize>,
    pub(crate) max_label_names_per_series: Option<usize>,
    pub(crate) reject_old_samples: Option<bool>,
    pub(crate) reject_old_samples_max_age: Option<PromDuration>,
    pub(crate) creation_grace_period: Option<PromDuration>,
    pub(crate) max_line_size: Option<ByteSize>,
    pub(crate) allow_structured_metadata: Option<bool>,
    pub(crate) max_structured_metadata_size: Option<ByteSize>,
    pub(crate) max_structured_metadata_entries_count: Option<usize>,
    pub(crate) max_streams_per_user: Option<usize>,
    pub(crate) max_global_streams_per_user: Option<usize>,
    pub(crate) discover_service_name: Option<Vec<String>>,
    pub(crate) discover_log_levels: Option<bool>,
    pub(crate) max_entries_limit_per_query: Option<usize>,
}

/// `runtime_config:`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RuntimeConfigSection {
    /// One file, or several separated by commas (Loki reads them in order, later ones win).
    pub(crate) file: Option<String>,
}

/// A runtime configuration file: `overrides: {<tenant>: {<limits_config options>}}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RuntimeFile {
    pub(crate) overrides: Option<BTreeMap<String, Option<LimitsSection>>>,
}

/// `ingester:`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct IngesterSection {
    pub(crate) chunk_target_size: Option<usize>,
    pub(crate) chunk_block_size: Option<usize>,
    pub(crate) chunk_idle_period: Option<GoDuration>,
    pub(crate) max_chunk_age: Option<GoDuration>,
    pub(crate) chunk_encoding: Option<String>,
    pub(crate) flush_check_period: Option<GoDuration>,
    pub(crate) wal: Option<WalSection>,
}

/// `ingester.wal:`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct WalSection {
    pub(crate) dir: Option<PathBuf>,
    pub(crate) enabled: Option<bool>,
}

/// `distributor:`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DistributorSection {
    pub(crate) max_recv_msg_size: Option<usize>,
    pub(crate) max_decompressed_size: Option<usize>,
    pub(crate) otlp_config: Option<OtlpConfigSection>,
}

/// `distributor.otlp_config:`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct OtlpConfigSection {
    pub(crate) default_resource_attributes_as_index_labels: Option<Vec<String>>,
}

/// `querier:`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct QuerierSection {
    pub(crate) multi_tenant_queries_enabled: Option<bool>,
}

/// The options of `limits_config` (and of a tenant's runtime overrides) this server reads.
pub(crate) const LIMITS: &[(&str, Known)] = &[
    ("ingestion_rate_mb", Known::Leaf),
    ("ingestion_burst_size_mb", Known::Leaf),
    ("max_label_name_length", Known::Leaf),
    ("max_label_value_length", Known::Leaf),
    ("max_label_names_per_series", Known::Leaf),
    ("reject_old_samples", Known::Leaf),
    ("reject_old_samples_max_age", Known::Leaf),
    ("creation_grace_period", Known::Leaf),
    ("max_line_size", Known::Leaf),
    ("allow_structured_metadata", Known::Leaf),
    ("max_structured_metadata_size", Known::Leaf),
    ("max_structured_metadata_entries_count", Known::Leaf),
    ("max_streams_per_user", Known::Leaf),
    ("max_global_streams_per_user", Known::Leaf),
    ("discover_service_name", Known::Leaf),
    ("discover_log_levels", Known::Leaf),
    ("max_entries_limit_per_query", Known::Leaf),
];

/// Every option of `loki.yaml` this server reads.
pub(crate) const KNOWN: Known = Known::Block(&[
    ("auth_enabled", Known::Leaf),
    (
        "server",
        Known::Block(&[
            ("http_listen_address", Known::Leaf),
            ("http_listen_port", Known::Leaf),
            ("graceful_shutdown_timeout", Known::Leaf),
        ]),
    ),
    (
        "common",
        Known::Block(&[
            ("path_prefix", Known::Leaf),
            (
                "storage",
                Known::Block(&[
                    (
                        "filesystem",
                        Known::Block(&[("chunks_directory", Known::Leaf)]),
                    ),
                    (
                        "object_store",
                        Known::Block(&[("filesystem", Known::Block(&[("dir", Known::Leaf)]))]),
                    ),
                ]),
            ),
        ]),
    ),
    (
        "storage_config",
        Known::Block(&[("filesystem", Known::Block(&[("directory", Known::Leaf)]))]),
    ),
    // Read to check the schema version; the rest of a period (store, object_store, index
    // prefix and period) describes what this server writes anyway.
    ("schema_config", Known::Block(&[("configs", Known::Leaf)])),
    ("limits_config", Known::Block(LIMITS)),
    ("runtime_config", Known::Block(&[("file", Known::Leaf)])),
    (
        "ingester",
        Known::Block(&[
            ("chunk_target_size", Known::Leaf),
            ("chunk_block_size", Known::Leaf),
            ("chunk_idle_period", Known::Leaf),
            ("max_chunk_age", Known::Leaf),
            ("chunk_encoding", Known::Leaf),
            ("flush_check_period", Known::Leaf),
            (
                "wal",
                Known::Block(&[("dir", Known::Leaf), ("enabled", Known::Leaf)]),
            ),
        ]),
    ),
    (
        "distributor",
        Known::Block(&[
            ("max_recv_msg_size", Known::Leaf),
            ("max_decompressed_size", Known::Leaf),
            (
                "otlp_config",
                Known::Block(&[("default_resource_attributes_as_index_labels", Known::Leaf)]),
            ),
        ]),
    ),
    (
        "querier",
        Known::Block(&[("multi_tenant_queries_enabled", Known::Leaf)]),
    ),
]);

/// The options of a runtime configuration file this server reads.
pub(crate) const KNOWN_RUNTIME: Known = Known::Block(&[("overrides", Known::AnyKey(LIMITS))]);
