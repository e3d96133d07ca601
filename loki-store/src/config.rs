//! Settings, with Loki's names (`limits_config`, `ingester`) and its defaults.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use loki_chunk::Codec;

/// One mebibyte: Loki's `*_mb` limits count in units of 2^20 bytes.
pub const MIB: f64 = 1_048_576.0;

/// Per-tenant limits, with the names of Loki's `limits_config` and its defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// `ingestion_rate_mb`: MiB per second a tenant may push, counting lines and structured
    /// metadata (4).
    pub ingestion_rate_mb: f64,
    /// `ingestion_burst_size_mb`: MiB a tenant may push at once above the rate (6).
    pub ingestion_burst_size_mb: f64,
    /// `max_label_name_length` (1024 bytes).
    pub max_label_name_length: usize,
    /// `max_label_value_length` (2048 bytes).
    pub max_label_value_length: usize,
    /// `max_label_names_per_series` (15; `service_name` is not counted).
    pub max_label_names_per_series: usize,
    /// `reject_old_samples`: refuse entries older than `reject_old_samples_max_age` (true).
    pub reject_old_samples: bool,
    /// `reject_old_samples_max_age` (1 week).
    pub reject_old_samples_max_age: Duration,
    /// `creation_grace_period`: how far in the future an entry may be (10 minutes).
    pub creation_grace_period: Duration,
    /// `max_line_size` in bytes (256 KiB; 0 = no limit).
    pub max_line_size: usize,
    /// `allow_structured_metadata` (true).
    pub allow_structured_metadata: bool,
    /// `max_structured_metadata_size`: bytes of names and values per entry (64 KiB; 0 = no
    /// limit).
    pub max_structured_metadata_size: usize,
    /// `max_structured_metadata_entries_count`: pairs per entry (128; 0 = no limit).
    pub max_structured_metadata_entries_count: usize,
    /// `max_streams_per_user`: active streams per tenant in this process (0 = no limit).
    pub max_streams_per_user: usize,
    /// `max_global_streams_per_user`: active streams per tenant (5000; 0 = no limit). One
    /// process holds every stream, so this is a local limit too; the smaller non-zero of the
    /// two applies.
    pub max_global_streams_per_user: usize,
    /// `discover_service_name`: the labels whose first non-empty value becomes
    /// `service_name` when a stream has none (`unknown_service` when none of them is
    /// present). Empty disables the label.
    pub discover_service_name: Vec<String>,
    /// `discover_log_levels`. Accepted for configuration compatibility; this store does not
    /// add `detected_level` yet (Loki's default is true).
    pub discover_log_levels: bool,
    /// `max_entries_limit_per_query`: the most entries one select returns (5000; 0 = no
    /// limit). Applied by servers; the store takes the limit it is given.
    pub max_entries_limit_per_query: usize,
}

/// Loki's default `discover_service_name` list.
pub const DEFAULT_DISCOVER_SERVICE_NAME: [&str; 13] = [
    "service",
    "app",
    "application",
    "app_name",
    "name",
    "app_kubernetes_io_name",
    "container",
    "container_name",
    "k8s_container_name",
    "component",
    "workload",
    "job",
    "k8s_job_name",
];

impl Default for Limits {
    fn default() -> Self {
        Self {
            ingestion_rate_mb: 4.0,
            ingestion_burst_size_mb: 6.0,
            max_label_name_length: 1024,
            max_label_value_length: 2048,
            max_label_names_per_series: 15,
            reject_old_samples: true,
            reject_old_samples_max_age: Duration::from_secs(7 * 24 * 3600),
            creation_grace_period: Duration::from_secs(10 * 60),
            max_line_size: 256 * 1024,
            allow_structured_metadata: true,
            max_structured_metadata_size: 64 * 1024,
            max_structured_metadata_entries_count: 128,
            max_streams_per_user: 0,
            max_global_streams_per_user: 5000,
            discover_service_name: DEFAULT_DISCOVER_SERVICE_NAME
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            discover_log_levels: true,
            max_entries_limit_per_query: 5000,
        }
    }
}

impl Limits {
    /// `ingestion_rate_mb` in bytes per second, as Loki converts it.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    pub fn ingestion_rate_bytes(&self) -> u64 {
        (self.ingestion_rate_mb.max(0.0) * MIB) as u64
    }

    /// `ingestion_burst_size_mb` in bytes.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    pub fn ingestion_burst_bytes(&self) -> u64 {
        (self.ingestion_burst_size_mb.max(0.0) * MIB) as u64
    }

    /// The active-stream limit that applies: the smaller non-zero of `max_streams_per_user`
    /// and `max_global_streams_per_user`, `None` when both are 0.
    pub fn stream_limit(&self) -> Option<usize> {
        [self.max_streams_per_user, self.max_global_streams_per_user]
            .into_iter()
            .filter(|&n| n > 0)
            .min()
    }
}

/// Limits for every tenant, and overrides for some (Loki's `limits_config` and runtime
/// `overrides`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    /// `limits_config`.
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

/// How chunks are cut and flushed, with the names of Loki's `ingester` block and its
/// defaults.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct IngesterConfig {
    /// `chunk_target_size`: compressed bytes a chunk aims below (1,572,864; 0 = ten blocks).
    pub chunk_target_size: usize,
    /// `chunk_block_size`: uncompressed bytes after which the head block is cut (262,144).
    pub chunk_block_size: usize,
    /// `chunk_idle_period`: a chunk without new entries for this long is flushed (30 min).
    pub chunk_idle_period: Duration,
    /// `max_chunk_age`: a chunk whose entries span more than this is flushed (2 h), and the
    /// out-of-order window is half of it. This store also flushes a chunk that has been open
    /// this long by the clock, so that the WAL behind it cannot grow without bound.
    pub max_chunk_age: Duration,
    /// `chunk_encoding`: the block codec of written chunks (gzip, Loki's default).
    pub chunk_encoding: Codec,
    /// `flush_check_period`: how often the background task looks for chunks to flush (30 s).
    pub flush_check_period: Duration,
    /// `concurrent_flushes`: chunks stored in the bucket at once (32).
    pub concurrent_flushes: usize,
}

impl Default for IngesterConfig {
    fn default() -> Self {
        Self {
            chunk_target_size: 1_572_864,
            chunk_block_size: 262_144,
            chunk_idle_period: Duration::from_secs(30 * 60),
            max_chunk_age: Duration::from_secs(2 * 3600),
            chunk_encoding: Codec::Gzip,
            flush_check_period: Duration::from_secs(30),
            concurrent_flushes: 32,
        }
    }
}

/// How chunk objects are named in the bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChunkNames {
    /// Loki's filesystem object store: `<tenant>/<fp>/<base64("from:through:crc")>`
    /// (the default; right for a local folder).
    #[default]
    Filesystem,
    /// Loki's cloud object stores: the plain schema-v13 key `<tenant>/<fp>/<from>:<through>:<crc>`.
    Key,
}

/// The label index: where it is written and how often other writers' files are read.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct IndexConfig {
    /// This process's name in index file names (`<writer_id>-<seq>.lidx`). Processes sharing
    /// a bucket must use different names (Loki's ingester name). Empty (the default): a
    /// random name made once and kept in the WAL folder (`index-writer-id`), so every WAL
    /// folder writes under its own name.
    pub writer_id: String,
    /// How often index files written by other processes are looked for (Loki's
    /// `tsdb_shipper.resync_interval`, 5 min).
    pub resync_interval: Duration,
    /// Once this process has this many files for one tenant and period, it merges them into
    /// one (8).
    pub compact_after_files: usize,
}

impl Default for IndexConfig {
    fn default() -> Self {
        Self {
            writer_id: String::new(),
            resync_interval: Duration::from_secs(5 * 60),
            compact_after_files: 8,
        }
    }
}

/// Everything the store runs with.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StoreConfig {
    /// Folder of the write-ahead log (Loki's `ingester.wal.dir`).
    pub wal_dir: PathBuf,
    /// Chunk cutting and flushing.
    pub ingester: IngesterConfig,
    /// Limits per tenant.
    pub overrides: Overrides,
    /// The label index.
    pub index: IndexConfig,
    /// How chunk objects are named.
    pub chunk_names: ChunkNames,
}

impl StoreConfig {
    /// Loki's defaults, with the WAL in `wal_dir`.
    pub fn new(wal_dir: impl Into<PathBuf>) -> Self {
        Self {
            wal_dir: wal_dir.into(),
            ingester: IngesterConfig::default(),
            overrides: Overrides::default(),
            index: IndexConfig::default(),
            chunk_names: ChunkNames::default(),
        }
    }

    /// Checks the settings that cannot work.
    pub(crate) fn validate(&self) -> Result<(), &'static str> {
        if self.ingester.chunk_block_size == 0 {
            return Err("ingester.chunk_block_size must be above 0");
        }
        if self.ingester.max_chunk_age.is_zero() {
            return Err("ingester.max_chunk_age must be above 0");
        }
        let id = &self.index.writer_id;
        if !id.is_empty() && !valid_writer_id(id) {
            return Err("index.writer_id must be 1 to 64 characters of [A-Za-z0-9_.-]");
        }
        Ok(())
    }
}

/// Whether `id` may name a writer in index file names.
pub(crate) fn valid_writer_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
}

/// The file in the WAL folder that keeps the writer name made for it.
pub(crate) const WRITER_ID_FILE: &str = "index-writer-id";

/// The writer name of `config`: its own, or the one kept in its WAL folder (made and
/// synced there the first time).
pub(crate) fn resolve_writer_id(config: &StoreConfig) -> std::io::Result<String> {
    use std::hash::{BuildHasher as _, Hasher as _};
    if !config.index.writer_id.is_empty() {
        return Ok(config.index.writer_id.clone());
    }
    let path = config.wal_dir.join(WRITER_ID_FILE);
    if let Ok(kept) = std::fs::read_to_string(&path) {
        let kept = kept.trim();
        if valid_writer_id(kept) {
            return Ok(kept.to_owned());
        }
    }
    std::fs::create_dir_all(&config.wal_dir)?;
    // A process-random hasher over the time and the process ID.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    h.write_u32(std::process::id());
    let id = format!("w{:016x}", h.finish());
    let tmp = config.wal_dir.join(format!("{WRITER_ID_FILE}.tmp"));
    {
        let mut f = std::fs::File::create(&tmp)?;
        std::io::Write::write_all(&mut f, id.as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, &path)?;
    std::fs::File::open(&config.wal_dir)?.sync_all()?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loki_defaults() {
        let l = Limits::default();
        assert_eq!(l.ingestion_rate_bytes(), 4 << 20);
        assert_eq!(l.ingestion_burst_bytes(), 6 << 20);
        assert_eq!(l.max_line_size, 262_144);
        assert_eq!(l.stream_limit(), Some(5000));
        assert_eq!(l.discover_service_name[0], "service");
        let l = Limits {
            max_streams_per_user: 10,
            ..Limits::default()
        };
        assert_eq!(l.stream_limit(), Some(10));
        let l = Limits {
            max_global_streams_per_user: 0,
            ..Limits::default()
        };
        assert_eq!(l.stream_limit(), None);
        let c = StoreConfig::new("/tmp/wal");
        assert_eq!(c.ingester.chunk_target_size, 1_572_864);
        assert_eq!(c.ingester.chunk_encoding, Codec::Gzip);
        assert!(c.validate().is_ok());
        let mut bad = c.clone();
        bad.index.writer_id = "a/b".into();
        assert!(bad.validate().is_err());
        assert!(!valid_writer_id(&"x".repeat(65)) && valid_writer_id("ingester-1.a_b"));
    }

    #[test]
    fn a_writer_name_is_made_once_per_wal_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut c = StoreConfig::new(dir.path().join("wal"));
        let made = resolve_writer_id(&c).expect("made");
        assert!(valid_writer_id(&made));
        assert_eq!(resolve_writer_id(&c).expect("kept"), made);
        let other = StoreConfig::new(dir.path().join("wal-2"));
        assert_ne!(resolve_writer_id(&other).expect("made"), made);
        c.index.writer_id = "ingester-1".into();
        assert_eq!(resolve_writer_id(&c).expect("given"), "ingester-1");
    }
}
