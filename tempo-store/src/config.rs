//! Settings, with Tempo's names and defaults.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use tempo_block::BlockConfig;

/// Per-tenant limits, with the names of Tempo's `overrides` and its defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// `ingestion.rate_limit_bytes`: bytes per second a tenant may push (30 MB).
    pub ingestion_rate_limit_bytes: u64,
    /// `ingestion.burst_size_bytes`: bytes a tenant may push at once above the rate (30 MB).
    pub ingestion_burst_size_bytes: u64,
    /// `ingestion.max_traces_per_user`: live traces per tenant (10,000; 0 = no limit).
    pub max_traces_per_user: usize,
    /// `global.max_bytes_per_trace`: bytes one trace may grow to (5 MB; 0 = no limit).
    pub max_bytes_per_trace: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            ingestion_rate_limit_bytes: 30_000_000,
            ingestion_burst_size_bytes: 30_000_000,
            max_traces_per_user: 10_000,
            max_bytes_per_trace: 5_000_000,
        }
    }
}

/// Limits for every tenant, and overrides for some.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    /// Tempo's `overrides.defaults`.
    pub defaults: Limits,
    /// Per-tenant limits, replacing the defaults for that tenant.
    pub per_tenant: HashMap<String, Limits>,
}

impl Overrides {
    /// The limits of `tenant`.
    pub fn for_tenant(&self, tenant: &str) -> &Limits {
        self.per_tenant.get(tenant).unwrap_or(&self.defaults)
    }
}

/// How the store cuts, completes and finds, with Tempo 3's live-store names and defaults.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StoreConfig {
    /// Folder of the write-ahead log (Tempo's `storage.trace.wal.path`).
    pub wal_dir: PathBuf,
    /// A live trace without new spans for this long is cut to the head block (5 s).
    pub max_trace_idle: Duration,
    /// A live trace is cut to the head block this long after its first span at the latest
    /// (30 s).
    pub max_trace_live: Duration,
    /// A head block is completed this long after its first trace was cut to it (30 s).
    pub max_block_duration: Duration,
    /// A head block is completed once its traces' protobuf size reaches this (50 MiB).
    pub max_block_bytes: usize,
    /// A block completed here stays findable this long even while a blocklist poll does
    /// not list it yet (an object store's listing may lag a write) (20 min).
    pub complete_block_timeout: Duration,
    /// How often the blocklist is refreshed from the backend (Tempo's
    /// `storage.trace.blocklist_poll`, 5 min).
    pub blocklist_poll: Duration,
    /// How often the background task cuts traces and blocks (1 s).
    pub tick_interval: Duration,
    /// Limits per tenant.
    pub overrides: Overrides,
    /// Settings of the blocks written.
    pub block: BlockConfig,
}

impl StoreConfig {
    /// The defaults, with the WAL in `wal_dir`.
    pub fn new(wal_dir: impl Into<PathBuf>) -> Self {
        Self {
            wal_dir: wal_dir.into(),
            max_trace_idle: Duration::from_secs(5),
            max_trace_live: Duration::from_secs(30),
            max_block_duration: Duration::from_secs(30),
            max_block_bytes: 50 << 20,
            complete_block_timeout: Duration::from_secs(20 * 60),
            blocklist_poll: Duration::from_secs(5 * 60),
            tick_interval: Duration::from_secs(1),
            overrides: Overrides::default(),
            block: BlockConfig::default(),
        }
    }
}
