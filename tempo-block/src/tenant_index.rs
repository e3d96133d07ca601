//! The per-tenant block list Tempo keeps beside the blocks so that readers need not list the
//! bucket: `<tenant>/index.json.gz` and `<tenant>/index.pb.zst`.
//!
//! # `index.json.gz`
//!
//! A gzip member whose header names the file `index.json`, holding one JSON object:
//!
//! ```json
//! {"created_at":"2026-11-21T12:27:55.083162421Z","meta":[<meta.json object>, …],
//!  "compacted":[<meta.compacted.json object>, …]}
//! ```
//!
//! Each entry is byte for byte what [`BlockMeta::to_json`] / [`CompactedBlockMeta::to_json`]
//! write. Tempo writes an empty list as `null`; both `null` and `[]` are read.
//!
//! # `index.pb.zst`
//!
//! A zstd frame holding the protobuf message `backend.v1.TenantIndex` of Tempo's
//! `tempodb/backend/v1/v1.proto` (messages re-declared by hand below):
//!
//! ```text
//! TenantIndex        1: created_at Timestamp   2: repeated BlockMeta meta
//!                    3: repeated CompactedBlockMeta compacted_meta
//! BlockMeta          1: version string (the `format`)   2: block_id bytes (16, big-endian UUID)
//!                    5: tenant_id string   6: start_time Timestamp   7: end_time Timestamp
//!                    8: total_objects int64   9: size uint64   10: compaction_level uint32
//!                    12: index_page_size   13: total_records   15: bloom_shard_count
//!                    16: footer_size (uint32 each)
//!                    17: dedicated_columns bytes = the compact JSON list, not HTML-escaped
//!                    18: replication_factor uint32
//! CompactedBlockMeta 1: block_meta BlockMeta   2: compacted_time Timestamp
//! Timestamp          1: seconds int64   2: nanos int32     (google.protobuf.Timestamp)
//! ```
//!
//! Tempo's encoder always writes fields 2, 6, 7 and 17 (17 even when empty) and the other
//! scalars only when non-zero; [`TenantIndex::to_protobuf`] does the same, so it reproduces
//! Tempo's protobuf bytes. Tempo's readers try `index.pb.zst` first and fall back to
//! `index.json.gz` when it does not exist.
//!
//! # Limits
//!
//! Both files are compressed, so a small object can expand enormously: decompression stops
//! with [`BlockError::Compression`] past a caller-chosen size ([`DEFAULT_INDEX_SIZE_LIMIT`]
//! by default, far above the ~30 MiB of JSON a tenant with 25,000 blocks produces).
//!
//! # Blocks of other encodings
//!
//! A real bucket's index lists blocks of every encoding Tempo ever wrote there (vParquet3,
//! older `v2` blocks, …). Their metas are kept like any other: [`BlockMeta::format`] holds
//! the version string verbatim and only [`BlockMeta::version`] refuses it, so an index is
//! read and rewritten without losing a block. [`TenantIndex::supported`] lists the blocks
//! this crate can open.

use std::io::{Read, Write};

use chrono::{DateTime, Utc};
use flate2::Compression;
use serde::Deserialize;

use crate::error::{BlockError, Result};
use crate::gojson::{self, Escape};
use crate::meta::{BlockMeta, CompactedBlockMeta, DedicatedColumn, RawMeta, Version, push_list};

/// Name of the gzipped JSON index in a tenant's folder.
pub const TENANT_INDEX_JSON: &str = "index.json.gz";
/// Name of the zstd-compressed protobuf index in a tenant's folder.
pub const TENANT_INDEX_PB: &str = "index.pb.zst";
/// File name recorded in the gzip header of [`TENANT_INDEX_JSON`].
pub const TENANT_INDEX_GZIP_NAME: &str = "index.json";
/// Default limit on the decompressed size of a tenant index: 256 MiB.
pub const DEFAULT_INDEX_SIZE_LIMIT: usize = 256 << 20;

/// zstd level for [`TenantIndex::encode_pb_zst`] (close to the Go encoder's default).
const ZSTD_LEVEL: i32 = 3;

/// The block list of one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantIndex {
    /// When the index was built.
    pub created_at: DateTime<Utc>,
    /// Live blocks (those with `meta.json`).
    pub metas: Vec<BlockMeta>,
    /// Blocks compaction has replaced (those with `meta.compacted.json`).
    pub compacted: Vec<CompactedBlockMeta>,
}

impl TenantIndex {
    /// An index of `metas` and `compacted` created now.
    pub fn new(metas: Vec<BlockMeta>, compacted: Vec<CompactedBlockMeta>) -> Self {
        Self {
            created_at: Utc::now(),
            metas,
            compacted,
        }
    }

    /// The live blocks whose encoding this crate reads.
    pub fn supported(&self) -> impl Iterator<Item = (&BlockMeta, Version)> {
        self.metas
            .iter()
            .filter_map(|m| m.version().ok().map(|v| (m, v)))
    }

    /// The index as Tempo's JSON (uncompressed).
    ///
    /// # Errors
    ///
    /// [`BlockError::InvalidInput`] when a time's year is outside 0000–9999.
    pub fn to_json(&self) -> Result<Vec<u8>> {
        let mut out = String::with_capacity(64 + 600 * (self.metas.len() + self.compacted.len()));
        out.push_str("{\"created_at\":");
        gojson::push_time(&mut out, &self.created_at)
            .map_err(|e| BlockError::InvalidInput(format!("tenant index created_at: {e}")))?;
        out.push_str(",\"meta\":");
        push_objects(&mut out, &self.metas, BlockMeta::push_fields)?;
        out.push_str(",\"compacted\":");
        push_objects(&mut out, &self.compacted, CompactedBlockMeta::push_fields)?;
        out.push('}');
        Ok(out.into_bytes())
    }

    /// Parses the index's JSON (uncompressed). A compacted entry without `compactedTime`
    /// gets [`GO_ZERO_TIME`](crate::meta::GO_ZERO_TIME).
    ///
    /// # Errors
    ///
    /// [`BlockError::Json`] naming the entry and field at fault.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        const WHAT: &str = "tenant index JSON";
        let json_error = |message: String| BlockError::Json {
            what: WHAT.to_owned(),
            message,
        };
        let raw: RawIndex = serde_json::from_slice(bytes).map_err(|e| json_error(e.to_string()))?;
        let created_at = match raw.created_at {
            None => crate::meta::GO_ZERO_TIME,
            Some(text) => {
                gojson::parse_time(&text).map_err(|e| json_error(format!("created_at: {e}")))?
            }
        };
        let metas = raw
            .meta
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, m)| {
                m.into_meta()
                    .map(|(meta, _)| meta)
                    .map_err(|e| json_error(format!("meta[{i}]: {e}")))
            })
            .collect::<Result<_>>()?;
        let compacted = raw
            .compacted
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, m)| {
                m.into_meta()
                    .map(|(meta, time)| CompactedBlockMeta {
                        meta,
                        compacted_time: time.unwrap_or(crate::meta::GO_ZERO_TIME),
                    })
                    .map_err(|e| json_error(format!("compacted[{i}]: {e}")))
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            created_at,
            metas,
            compacted,
        })
    }

    /// `index.json.gz`: the JSON in one gzip member whose header names `index.json`.
    ///
    /// # Errors
    ///
    /// As [`TenantIndex::to_json`].
    pub fn encode_json_gz(&self) -> Result<Vec<u8>> {
        let json = self.to_json()?;
        let mut encoder = flate2::GzBuilder::new()
            .filename(TENANT_INDEX_GZIP_NAME)
            .write(Vec::with_capacity(json.len() / 8), Compression::default());
        let compressed = encoder.write_all(&json).and_then(|()| encoder.finish());
        compressed.map_err(|e| BlockError::Compression {
            what: TENANT_INDEX_JSON.to_owned(),
            message: e.to_string(),
        })
    }

    /// Reads `index.json.gz`, decompressing at most `limit` bytes (gzip members written one
    /// after another are read as one stream, as Go's reader does).
    ///
    /// # Errors
    ///
    /// [`BlockError::Compression`] for bad gzip data or more than `limit` bytes of JSON, and
    /// the errors of [`TenantIndex::from_json`].
    pub fn decode_json_gz(bytes: &[u8], limit: usize) -> Result<Self> {
        let json = read_bounded(
            flate2::read::MultiGzDecoder::new(bytes),
            limit,
            TENANT_INDEX_JSON,
        )?;
        Self::from_json(&json).map_err(|e| match e {
            BlockError::Json { message, .. } => BlockError::Json {
                what: TENANT_INDEX_JSON.to_owned(),
                message,
            },
            other => other,
        })
    }

    /// The index as Tempo's protobuf message (uncompressed).
    ///
    /// # Errors
    ///
    /// [`BlockError::InvalidInput`] for a time outside 0001–9999 (the range of
    /// `google.protobuf.Timestamp`) or a trace count above `i64::MAX`.
    pub fn to_protobuf(&self) -> Result<Vec<u8>> {
        use prost::Message as _;
        let message = pb::TenantIndex {
            created_at: Some(pb::timestamp(&self.created_at, "tenant index created_at")?),
            meta: self
                .metas
                .iter()
                .map(pb::BlockMeta::from_meta)
                .collect::<Result<_>>()?,
            compacted_meta: self
                .compacted
                .iter()
                .map(|c| {
                    Ok(pb::CompactedBlockMeta {
                        block_meta: Some(pb::BlockMeta::from_meta(&c.meta)?),
                        compacted_time: Some(pb::timestamp(
                            &c.compacted_time,
                            &format!("block {} compacted_time", c.meta.block_id),
                        )?),
                    })
                })
                .collect::<Result<_>>()?,
        };
        Ok(message.encode_to_vec())
    }

    /// Parses the index's protobuf message (uncompressed).
    ///
    /// # Errors
    ///
    /// [`BlockError::Protobuf`] when the message does not decode; [`BlockError::Corrupt`]
    /// for a block ID that is not 16 bytes, a timestamp out of range, a negative trace count
    /// or a bad dedicated-column list, naming the entry.
    pub fn from_protobuf(bytes: &[u8]) -> Result<Self> {
        use prost::Message as _;
        let message = pb::TenantIndex::decode(bytes).map_err(|source| BlockError::Protobuf {
            what: TENANT_INDEX_PB.to_owned(),
            source,
        })?;
        let created_at = pb::time(message.created_at.as_ref(), "created_at")?;
        let metas = message
            .meta
            .iter()
            .enumerate()
            .map(|(i, m)| m.to_meta(&format!("meta[{i}]")))
            .collect::<Result<_>>()?;
        let compacted = message
            .compacted_meta
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let what = format!("compacted_meta[{i}]");
                let meta = match &c.block_meta {
                    Some(m) => m.to_meta(&what)?,
                    None => pb::BlockMeta::default().to_meta(&what)?,
                };
                let compacted_time =
                    pb::time(c.compacted_time.as_ref(), &format!("{what}.compacted_time"))?;
                Ok(CompactedBlockMeta {
                    meta,
                    compacted_time,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            created_at,
            metas,
            compacted,
        })
    }

    /// `index.pb.zst`: the protobuf message in a zstd frame.
    ///
    /// # Errors
    ///
    /// As [`TenantIndex::to_protobuf`].
    pub fn encode_pb_zst(&self) -> Result<Vec<u8>> {
        let message = self.to_protobuf()?;
        zstd::bulk::compress(&message, ZSTD_LEVEL).map_err(|e| BlockError::Compression {
            what: TENANT_INDEX_PB.to_owned(),
            message: e.to_string(),
        })
    }

    /// Reads `index.pb.zst`, decompressing at most `limit` bytes (several frames are read
    /// as one stream).
    ///
    /// # Errors
    ///
    /// [`BlockError::Compression`] for bad zstd data or more than `limit` bytes, and the
    /// errors of [`TenantIndex::from_protobuf`].
    pub fn decode_pb_zst(bytes: &[u8], limit: usize) -> Result<Self> {
        let compression = |e: std::io::Error| BlockError::Compression {
            what: TENANT_INDEX_PB.to_owned(),
            message: e.to_string(),
        };
        let mut decoder = zstd::stream::read::Decoder::with_buffer(bytes).map_err(compression)?;
        // The window is the decoder's largest allocation: no larger than the output may be,
        // but never below 8 MiB (Go's encoder default) nor above zstd's default cap of 128 MiB.
        let limit_log = usize::BITS - limit.saturating_sub(1).leading_zeros();
        decoder
            .window_log_max(limit_log.clamp(23, 27))
            .map_err(compression)?;
        let message = read_bounded(decoder, limit, TENANT_INDEX_PB)?;
        Self::from_protobuf(&message)
    }
}

/// Reads all of `reader`, failing past `limit` bytes.
fn read_bounded(reader: impl Read, limit: usize, what: &str) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    reader
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|e| BlockError::Compression {
            what: what.to_owned(),
            message: e.to_string(),
        })?;
    if out.len() > limit {
        return Err(BlockError::Compression {
            what: what.to_owned(),
            message: format!("decompresses to more than the limit of {limit} bytes"),
        });
    }
    Ok(out)
}

/// The index's JSON as it comes out of the parser.
#[derive(Deserialize)]
struct RawIndex {
    created_at: Option<String>,
    meta: Option<Vec<RawMeta>>,
    compacted: Option<Vec<RawMeta>>,
}

/// Tempo's `backend.v1` protobuf messages.
mod pb {
    use chrono::{DateTime, Utc};
    use uuid::Uuid;

    use super::{BlockError, DedicatedColumn, Escape, Result, push_list};

    /// Seconds of 0001-01-01T00:00:00Z and of 10000-01-01T00:00:00Z: the range of
    /// `google.protobuf.Timestamp`.
    const MIN_SECONDS: i64 = -62_135_596_800;
    const END_SECONDS: i64 = 253_402_300_800;

    /// `google.protobuf.Timestamp`.
    #[derive(Clone, PartialEq, Eq, prost::Message)]
    pub(super) struct Timestamp {
        #[prost(int64, tag = "1")]
        pub(super) seconds: i64,
        #[prost(int32, tag = "2")]
        pub(super) nanos: i32,
    }

    /// `backend.v1.BlockMeta`.
    #[derive(Clone, PartialEq, Eq, prost::Message)]
    pub(super) struct BlockMeta {
        #[prost(string, tag = "1")]
        pub(super) version: String,
        #[prost(bytes = "vec", optional, tag = "2")]
        pub(super) block_id: Option<Vec<u8>>,
        #[prost(string, tag = "5")]
        pub(super) tenant_id: String,
        #[prost(message, optional, tag = "6")]
        pub(super) start_time: Option<Timestamp>,
        #[prost(message, optional, tag = "7")]
        pub(super) end_time: Option<Timestamp>,
        #[prost(int64, tag = "8")]
        pub(super) total_objects: i64,
        #[prost(uint64, tag = "9")]
        pub(super) size: u64,
        #[prost(uint32, tag = "10")]
        pub(super) compaction_level: u32,
        #[prost(uint32, tag = "12")]
        pub(super) index_page_size: u32,
        #[prost(uint32, tag = "13")]
        pub(super) total_records: u32,
        #[prost(uint32, tag = "15")]
        pub(super) bloom_shard_count: u32,
        #[prost(uint32, tag = "16")]
        pub(super) footer_size: u32,
        #[prost(bytes = "vec", optional, tag = "17")]
        pub(super) dedicated_columns: Option<Vec<u8>>,
        #[prost(uint32, tag = "18")]
        pub(super) replication_factor: u32,
    }

    /// `backend.v1.CompactedBlockMeta`.
    #[derive(Clone, PartialEq, Eq, prost::Message)]
    pub(super) struct CompactedBlockMeta {
        #[prost(message, optional, tag = "1")]
        pub(super) block_meta: Option<BlockMeta>,
        #[prost(message, optional, tag = "2")]
        pub(super) compacted_time: Option<Timestamp>,
    }

    /// `backend.v1.TenantIndex`.
    #[derive(Clone, PartialEq, Eq, prost::Message)]
    pub(super) struct TenantIndex {
        #[prost(message, optional, tag = "1")]
        pub(super) created_at: Option<Timestamp>,
        #[prost(message, repeated, tag = "2")]
        pub(super) meta: Vec<BlockMeta>,
        #[prost(message, repeated, tag = "3")]
        pub(super) compacted_meta: Vec<CompactedBlockMeta>,
    }

    /// A time as a protobuf timestamp; `what` names it in errors.
    pub(super) fn timestamp(time: &DateTime<Utc>, what: &str) -> Result<Timestamp> {
        let seconds = time.timestamp();
        if !(MIN_SECONDS..END_SECONDS).contains(&seconds) {
            return Err(BlockError::InvalidInput(format!(
                "{what}: {time} is outside the protobuf timestamp range (years 0001-9999)"
            )));
        }
        let nanos = time.timestamp_subsec_nanos() % 1_000_000_000;
        Ok(Timestamp {
            seconds,
            // Below 1e9, so it fits.
            nanos: i32::try_from(nanos).unwrap_or(0),
        })
    }

    /// A protobuf timestamp as a time; `what` names it in errors. An absent timestamp is
    /// [`GO_ZERO_TIME`](crate::meta::GO_ZERO_TIME), as Tempo's decoder leaves it.
    pub(super) fn time(timestamp: Option<&Timestamp>, what: &str) -> Result<DateTime<Utc>> {
        let Some(ts) = timestamp else {
            return Ok(crate::meta::GO_ZERO_TIME);
        };
        let nanos = u32::try_from(ts.nanos).ok().filter(|n| *n < 1_000_000_000);
        let time = nanos
            .filter(|_| (MIN_SECONDS..END_SECONDS).contains(&ts.seconds))
            .and_then(|n| DateTime::from_timestamp(ts.seconds, n));
        time.ok_or_else(|| {
            BlockError::corrupt(
                format!("{} {what}", super::TENANT_INDEX_PB),
                format!(
                    "timestamp {}s {}ns is outside years 0001-9999",
                    ts.seconds, ts.nanos
                ),
            )
        })
    }

    impl BlockMeta {
        /// The message for `meta`, with every field Tempo's encoder always writes present.
        pub(super) fn from_meta(meta: &crate::meta::BlockMeta) -> Result<Self> {
            let what = |field: &str| format!("block {} {field}", meta.block_id);
            let mut columns = String::new();
            if !meta.dedicated_columns.is_empty() {
                push_list(&mut columns, &meta.dedicated_columns, Escape::Plain);
            }
            Ok(Self {
                version: meta.format.clone(),
                block_id: Some(meta.block_id.as_bytes().to_vec()),
                tenant_id: meta.tenant_id.clone(),
                start_time: Some(timestamp(&meta.start_time, &what("start_time"))?),
                end_time: Some(timestamp(&meta.end_time, &what("end_time"))?),
                total_objects: i64::try_from(meta.total_objects).map_err(|_| {
                    BlockError::InvalidInput(format!(
                        "{}: {} does not fit in an int64",
                        what("total_objects"),
                        meta.total_objects
                    ))
                })?,
                size: meta.size,
                compaction_level: meta.compaction_level,
                index_page_size: meta.index_page_size,
                total_records: meta.total_records,
                bloom_shard_count: meta.bloom_shards,
                footer_size: meta.footer_size,
                dedicated_columns: Some(columns.into_bytes()),
                replication_factor: meta.replication_factor,
            })
        }

        /// The meta this message holds; `what` names the entry in errors.
        pub(super) fn to_meta(&self, what: &str) -> Result<crate::meta::BlockMeta> {
            let corrupt = |detail: String| {
                BlockError::corrupt(format!("{} {what}", super::TENANT_INDEX_PB), detail)
            };
            let block_id = match self.block_id.as_deref() {
                None | Some([]) => Uuid::nil(),
                Some(bytes) => Uuid::from_slice(bytes)
                    .map_err(|_| corrupt(format!("block_id has {} bytes, not 16", bytes.len())))?,
            };
            let dedicated_columns = match self.dedicated_columns.as_deref() {
                None | Some([]) => Vec::new(),
                Some(json) => DedicatedColumn::list_from_json(json)
                    .map_err(|e| corrupt(format!("dedicated_columns: {e}")))?,
            };
            Ok(crate::meta::BlockMeta {
                format: self.version.clone(),
                block_id,
                tenant_id: self.tenant_id.clone(),
                start_time: time(self.start_time.as_ref(), &format!("{what}.start_time"))?,
                end_time: time(self.end_time.as_ref(), &format!("{what}.end_time"))?,
                total_objects: u64::try_from(self.total_objects).map_err(|_| {
                    corrupt(format!("total_objects {} is negative", self.total_objects))
                })?,
                size: self.size,
                compaction_level: self.compaction_level,
                index_page_size: self.index_page_size,
                total_records: self.total_records,
                bloom_shards: self.bloom_shard_count,
                footer_size: self.footer_size,
                dedicated_columns,
                replication_factor: self.replication_factor,
            })
        }
    }
}

/// Writes `items` as a JSON array of objects (Go's `null` when empty), each object's fields
/// written by `fields`.
fn push_objects<T>(
    out: &mut String,
    items: &[T],
    fields: impl Fn(&T, &mut String) -> Result<()>,
) -> Result<()> {
    if items.is_empty() {
        out.push_str("null");
        return Ok(());
    }
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('{');
        fields(item, out)?;
        out.push('}');
    }
    out.push(']');
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

    use uuid::Uuid;

    use super::*;
    use crate::meta::{DedicatedOptions, DedicatedScope, DedicatedType};

    fn sample() -> TenantIndex {
        let mut live = BlockMeta::new(Version::VParquet5, "tenant-1", Uuid::from_u128(0xabc));
        live.start_time = DateTime::from_timestamp(1_736_946_000, 0).unwrap();
        live.end_time = DateTime::from_timestamp(1_736_947_002, 120).unwrap();
        live.total_objects = 1000;
        live.size = 2_120_489;
        live.total_records = 13;
        live.bloom_shards = 1;
        live.footer_size = 156_839;
        live.replication_factor = 1;
        live.dedicated_columns = DedicatedColumn::default_list();
        live.dedicated_columns.push(DedicatedColumn {
            scope: DedicatedScope::Event,
            name: "a<b>&c".into(),
            kind: DedicatedType::String,
            options: DedicatedOptions {
                array: true,
                blob: true,
            },
        });
        let mut old = BlockMeta::new(Version::VParquet4, "tenant-1", Uuid::from_u128(0xdef));
        old.format = "vParquet3".into();
        let compacted = CompactedBlockMeta {
            meta: BlockMeta::new(Version::VParquet4, "tenant-1", Uuid::from_u128(7)),
            compacted_time: DateTime::from_timestamp(1_736_950_000, 999_999_999).unwrap(),
        };
        TenantIndex {
            created_at: DateTime::from_timestamp(1_763_728_075, 83_162_421).unwrap(),
            metas: vec![live, old],
            compacted: vec![compacted],
        }
    }

    #[test]
    fn json_gz_round_trip() {
        let index = sample();
        let gz = index.encode_json_gz().unwrap();
        assert_eq!(&gz[..4], &[0x1f, 0x8b, 8, 8], "gzip with a file name");
        assert_eq!(&gz[10..21], b"index.json\0");
        let back = TenantIndex::decode_json_gz(&gz, DEFAULT_INDEX_SIZE_LIMIT).unwrap();
        assert_eq!(back, index);
        assert_eq!(back.supported().count(), 1);
    }

    #[test]
    fn pb_zst_round_trip() {
        let index = sample();
        let zst = index.encode_pb_zst().unwrap();
        assert_eq!(
            TenantIndex::decode_pb_zst(&zst, DEFAULT_INDEX_SIZE_LIMIT).unwrap(),
            index
        );
    }

    #[test]
    fn empty_lists_are_null() {
        let index = TenantIndex {
            created_at: DateTime::from_timestamp(0, 0).unwrap(),
            metas: Vec::new(),
            compacted: Vec::new(),
        };
        let json = index.to_json().unwrap();
        assert_eq!(
            json,
            br#"{"created_at":"1970-01-01T00:00:00Z","meta":null,"compacted":null}"#
        );
        assert_eq!(TenantIndex::from_json(&json).unwrap(), index);
        let brackets = br#"{"created_at":"1970-01-01T00:00:00Z","meta":[],"compacted":[]}"#;
        assert_eq!(TenantIndex::from_json(brackets).unwrap(), index);
        assert_eq!(
            TenantIndex::from_protobuf(&index.to_protobuf().unwrap()).unwrap(),
            index
        );
    }

    #[test]
    fn size_limit_is_enforced() {
        let index = sample();
        let gz = index.encode_json_gz().unwrap();
        let json_len = index.to_json().unwrap().len();
        assert!(TenantIndex::decode_json_gz(&gz, json_len).is_ok());
        let err = TenantIndex::decode_json_gz(&gz, json_len - 1).unwrap_err();
        assert!(matches!(err, BlockError::Compression { .. }), "{err}");
        let zst = index.encode_pb_zst().unwrap();
        let pb_len = index.to_protobuf().unwrap().len();
        assert!(TenantIndex::decode_pb_zst(&zst, pb_len).is_ok());
        let err = TenantIndex::decode_pb_zst(&zst, pb_len - 1).unwrap_err();
        assert!(matches!(err, BlockError::Compression { .. }), "{err}");
    }

    #[test]
    fn errors_name_the_entry() {
        let json = br#"{"created_at":"1970-01-01T00:00:00Z","meta":[{"format":"vParquet5"}]}"#;
        let err = TenantIndex::from_json(json).unwrap_err();
        assert!(
            err.to_string().contains("meta[0]: blockID is missing"),
            "{err}"
        );
        let json = br#"{"compacted":[{"format":"x","blockID":"00000000-0000-0000-0000-000000000000","compactedTime":5}]}"#;
        let err = TenantIndex::from_json(json).unwrap_err();
        assert!(
            err.to_string().contains("compacted[0]: compactedTime"),
            "{err}"
        );

        // A 3-byte block ID in field 2 of the first meta.
        let bad = [0x12, 0x05, 0x12, 0x03, 1, 2, 3];
        let err = TenantIndex::from_protobuf(&bad).unwrap_err();
        assert!(matches!(err, BlockError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("meta[0]"), "{err}");
        assert!(matches!(
            TenantIndex::from_protobuf(&[0xff]).unwrap_err(),
            BlockError::Protobuf { .. }
        ));
        for garbage in [&b""[..], b"\x1f\x8b", b"not gzip"] {
            assert!(TenantIndex::decode_json_gz(garbage, 1 << 20).is_err());
        }
        assert!(TenantIndex::decode_pb_zst(b"not zstd", 1 << 20).is_err());
    }
}
