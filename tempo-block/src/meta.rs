//! Block metadata: `meta.json` and `meta.compacted.json`, read and written exactly as Tempo
//! does.
//!
//! # `meta.json`
//!
//! One JSON object per block, written last so that its presence makes the block visible.
//! Tempo's writer emits the fields in this order, without spaces or a trailing newline:
//!
//! | field | type | notes |
//! | --- | --- | --- |
//! | `format` | string | the block encoding: `vParquet4`, `vParquet5`, or an older one |
//! | `blockID` | string | UUID, lower-case hyphenated |
//! | `tenantID` | string | |
//! | `startTime`, `endTime` | string | RFC 3339 with nanoseconds, trailing zeros trimmed |
//! | `totalObjects` | integer | traces (rows) in the block |
//! | `size` | integer | bytes of `data.parquet`; **left out when 0** |
//! | `compactionLevel` | integer | 0 for new blocks |
//! | `indexPageSize` | integer | 0 for Parquet blocks |
//! | `totalRecords` | integer | row groups for Parquet blocks |
//! | `bloomShards` | integer | `bloom-N` objects; 0 means the legacy 10 |
//! | `footerSize` | integer | Parquet footer length |
//! | `dedicatedColumns` | list | [`DedicatedColumn`]s; **left out when empty** |
//! | `replicationFactor` | integer | 1 for blocks from a live store; **left out when 0** |
//!
//! `meta.compacted.json` is the same object followed by `compactedTime`.
//!
//! Reading accepts what Go's decoder accepts, in any field order: unknown fields (old metas
//! carry `encoding`, `dataEncoding`, `minID`, `maxID`) are ignored, and a missing or `null`
//! field takes its zero value (`""`, 0, [`GO_ZERO_TIME`], empty list). Only `format` and
//! `blockID` are required, as a sign that the document is a block meta at all.
//!
//! # Versions
//!
//! [`BlockMeta::format`] keeps the stored version string as it is, so a meta of any
//! encoding — `vParquet3`, `v2`, `vParquet5-preview5` — parses, lists, goes through tenant
//! indexes and is written back unchanged. [`BlockMeta::version`] turns it into a [`Version`]
//! this crate reads, or [`BlockError::UnsupportedVersion`]: block readers call it before
//! opening anything, while listing, retention and tenant-index code work on every block.

mod dedicated;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

pub use dedicated::{
    DedicatedColumn, DedicatedOptions, DedicatedScope, DedicatedType, MAX_INT_COLUMNS_V5,
    MAX_STRING_COLUMNS_V4, MAX_STRING_COLUMNS_V5, supported_dedicated_columns,
    validate_dedicated_columns,
};
pub(crate) use dedicated::{kind_of, list_from_value, push_list};

use crate::error::{BlockError, Result};
use crate::gojson::{self, Escape};

/// A block encoding this crate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Version {
    /// `vParquet4`: read only.
    VParquet4,
    /// `vParquet5`: Tempo's default encoding, read and written.
    VParquet5,
}

impl Version {
    /// The encoding new blocks are written in (Tempo's default).
    pub const DEFAULT: Self = Self::VParquet5;

    /// The `format` string of this encoding in `meta.json`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::VParquet4 => "vParquet4",
            Self::VParquet5 => "vParquet5",
        }
    }

    /// Parses a `format` string. Matching is exact: Tempo's preview versions
    /// (`vParquet5-preview5`) have other layouts and are refused, as current Tempo does.
    ///
    /// # Errors
    ///
    /// [`BlockError::UnsupportedVersion`] for anything but `vParquet4` and `vParquet5`.
    pub fn parse(format: &str) -> Result<Self> {
        match format {
            "vParquet4" => Ok(Self::VParquet4),
            "vParquet5" => Ok(Self::VParquet5),
            _ => Err(BlockError::UnsupportedVersion {
                found: format.to_owned(),
            }),
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Version {
    type Err = BlockError;

    /// See [`Version::parse`].
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

/// The time Go writes for a `time.Time` that was never set: `0001-01-01T00:00:00Z`.
pub const GO_ZERO_TIME: DateTime<Utc> = match DateTime::from_timestamp(-62_135_596_800, 0) {
    Some(t) => t,
    None => DateTime::UNIX_EPOCH,
};

/// Number of bloom shards a block has when its meta says 0 (blocks from before the count
/// was recorded).
pub const LEGACY_BLOOM_SHARDS: u32 = 10;

/// The metadata of one block (`meta.json`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockMeta {
    /// The stored `format` string, kept verbatim; see [`BlockMeta::version`].
    pub format: String,
    /// The block's ID (its folder name).
    pub block_id: Uuid,
    /// The tenant owning the block.
    pub tenant_id: String,
    /// Start of the block's time range (from its inputs, not from the traces).
    pub start_time: DateTime<Utc>,
    /// End of the block's time range.
    pub end_time: DateTime<Utc>,
    /// Number of traces (rows).
    pub total_objects: u64,
    /// Size of `data.parquet` in bytes; 0 is not written.
    pub size: u64,
    /// 0 for new blocks; compactor output is one more than its highest input.
    pub compaction_level: u32,
    /// 0 for Parquet blocks.
    pub index_page_size: u32,
    /// Number of row groups.
    pub total_records: u32,
    /// Number of `bloom-N` objects as stored; see [`BlockMeta::bloom_shard_count`].
    pub bloom_shards: u32,
    /// Length of the Parquet footer (the little-endian length before the final `PAR1`).
    pub footer_size: u32,
    /// The dedicated attribute columns; an empty list is not written.
    pub dedicated_columns: Vec<DedicatedColumn>,
    /// 0 for blocks from replicated ingesters (legacy), 1 for live-store and generator
    /// blocks; 0 is not written.
    pub replication_factor: u32,
}

impl BlockMeta {
    /// An empty meta of `version` for a new block: counts 0, times [`GO_ZERO_TIME`], no
    /// dedicated columns.
    pub fn new(version: Version, tenant_id: impl Into<String>, block_id: Uuid) -> Self {
        Self {
            format: version.as_str().to_owned(),
            block_id,
            tenant_id: tenant_id.into(),
            start_time: GO_ZERO_TIME,
            end_time: GO_ZERO_TIME,
            total_objects: 0,
            size: 0,
            compaction_level: 0,
            index_page_size: 0,
            total_records: 0,
            bloom_shards: 0,
            footer_size: 0,
            dedicated_columns: Vec::new(),
            replication_factor: 0,
        }
    }

    /// The block's encoding, when this crate reads it.
    ///
    /// # Errors
    ///
    /// [`BlockError::UnsupportedVersion`] for any other `format`.
    pub fn version(&self) -> Result<Version> {
        Version::parse(&self.format)
    }

    /// The number of bloom shards to read: [`bloom_shards`](Self::bloom_shards), or
    /// [`LEGACY_BLOOM_SHARDS`] when that is 0, as Tempo reads it.
    pub fn bloom_shard_count(&self) -> u32 {
        if self.bloom_shards == 0 {
            LEGACY_BLOOM_SHARDS
        } else {
            self.bloom_shards
        }
    }

    /// `meta.json` exactly as Tempo writes it (see the [module documentation](self)).
    ///
    /// # Errors
    ///
    /// [`BlockError::InvalidInput`] when a time's year is outside 0000–9999.
    pub fn to_json(&self) -> Result<Vec<u8>> {
        let mut out = String::with_capacity(512);
        out.push('{');
        self.push_fields(&mut out)?;
        out.push('}');
        Ok(out.into_bytes())
    }

    /// Parses `meta.json`.
    ///
    /// # Errors
    ///
    /// [`BlockError::Json`] naming the field at fault, for text that is not a JSON object,
    /// values of the wrong type or range, times that are not RFC 3339, a block ID that is not
    /// a UUID, a missing `format` or `blockID`, and bad dedicated columns.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        parse_meta(bytes, "meta.json")
    }

    /// Appends the fields (without braces).
    pub(crate) fn push_fields(&self, out: &mut String) -> Result<()> {
        use std::fmt::Write as _;
        let time = |out: &mut String, field: &str, t: &DateTime<Utc>| {
            gojson::push_time(out, t).map_err(|e| {
                BlockError::InvalidInput(format!("block {} {field}: {e}", self.block_id))
            })
        };
        out.push_str("\"format\":");
        gojson::push_string(out, &self.format, Escape::Html);
        let _ = write!(out, ",\"blockID\":\"{}\"", self.block_id.hyphenated());
        out.push_str(",\"tenantID\":");
        gojson::push_string(out, &self.tenant_id, Escape::Html);
        out.push_str(",\"startTime\":");
        time(out, "startTime", &self.start_time)?;
        out.push_str(",\"endTime\":");
        time(out, "endTime", &self.end_time)?;
        let _ = write!(out, ",\"totalObjects\":{}", self.total_objects);
        if self.size != 0 {
            let _ = write!(out, ",\"size\":{}", self.size);
        }
        let _ = write!(
            out,
            ",\"compactionLevel\":{},\"indexPageSize\":{},\"totalRecords\":{},\"bloomShards\":{},\"footerSize\":{}",
            self.compaction_level,
            self.index_page_size,
            self.total_records,
            self.bloom_shards,
            self.footer_size
        );
        if !self.dedicated_columns.is_empty() {
            out.push_str(",\"dedicatedColumns\":");
            push_list(out, &self.dedicated_columns, Escape::Html);
        }
        if self.replication_factor != 0 {
            let _ = write!(out, ",\"replicationFactor\":{}", self.replication_factor);
        }
        Ok(())
    }
}

/// The metadata of a block that compaction has replaced (`meta.compacted.json`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompactedBlockMeta {
    /// The block's metadata as it was.
    pub meta: BlockMeta,
    /// When the block was marked compacted.
    pub compacted_time: DateTime<Utc>,
}

impl CompactedBlockMeta {
    /// `meta.compacted.json` as Tempo writes it: the meta's fields, then `compactedTime`.
    ///
    /// # Errors
    ///
    /// [`BlockError::InvalidInput`] when a time's year is outside 0000–9999.
    pub fn to_json(&self) -> Result<Vec<u8>> {
        let mut out = String::with_capacity(512);
        out.push('{');
        self.push_fields(&mut out)?;
        out.push('}');
        Ok(out.into_bytes())
    }

    /// Parses `meta.compacted.json`. Tempo's object-store backends copy `meta.json`
    /// unchanged and take the compaction time from the object's modification time, so
    /// `compactedTime` is often missing: it is then [`GO_ZERO_TIME`] here, and
    /// [`BlockStore::read_compacted_meta`](crate::backend::BlockStore::read_compacted_meta)
    /// fills in the modification time instead.
    ///
    /// # Errors
    ///
    /// As [`BlockMeta::from_json`], and for a `compactedTime` that is not RFC 3339.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let (meta, compacted_time) = parse_compacted(bytes, "meta.compacted.json")?;
        Ok(Self {
            meta,
            compacted_time: compacted_time.unwrap_or(GO_ZERO_TIME),
        })
    }

    /// Appends the fields (without braces).
    pub(crate) fn push_fields(&self, out: &mut String) -> Result<()> {
        self.meta.push_fields(out)?;
        out.push_str(",\"compactedTime\":");
        gojson::push_time(out, &self.compacted_time).map_err(|e| {
            BlockError::InvalidInput(format!("block {} compactedTime: {e}", self.meta.block_id))
        })
    }
}

/// The fields of a meta as they come out of the JSON parser; each is checked and converted by
/// [`RawMeta::into_meta`] so that errors can name the field.
#[derive(Deserialize)]
pub(crate) struct RawMeta {
    format: Option<Value>,
    #[serde(rename = "blockID")]
    block_id: Option<Value>,
    #[serde(rename = "tenantID")]
    tenant_id: Option<Value>,
    #[serde(rename = "startTime")]
    start_time: Option<Value>,
    #[serde(rename = "endTime")]
    end_time: Option<Value>,
    #[serde(rename = "totalObjects")]
    total_objects: Option<Value>,
    size: Option<Value>,
    #[serde(rename = "compactionLevel")]
    compaction_level: Option<Value>,
    #[serde(rename = "indexPageSize")]
    index_page_size: Option<Value>,
    #[serde(rename = "totalRecords")]
    total_records: Option<Value>,
    #[serde(rename = "bloomShards")]
    bloom_shards: Option<Value>,
    #[serde(rename = "footerSize")]
    footer_size: Option<Value>,
    #[serde(rename = "dedicatedColumns")]
    dedicated_columns: Option<Value>,
    #[serde(rename = "replicationFactor")]
    replication_factor: Option<Value>,
    #[serde(rename = "compactedTime")]
    compacted_time: Option<Value>,
}

impl RawMeta {
    /// Checks and converts every field; the error message names the field.
    pub(crate) fn into_meta(self) -> Result<(BlockMeta, Option<DateTime<Utc>>), String> {
        let format = required(string(self.format.as_ref(), "format")?, "format")?;
        let block_id = required(string(self.block_id.as_ref(), "blockID")?, "blockID")?;
        let block_id = Uuid::parse_str(&block_id)
            .map_err(|e| format!("blockID {block_id:?} is not a UUID: {e}"))?;
        let meta = BlockMeta {
            format,
            block_id,
            tenant_id: string(self.tenant_id.as_ref(), "tenantID")?.unwrap_or_default(),
            start_time: time(self.start_time.as_ref(), "startTime")?.unwrap_or(GO_ZERO_TIME),
            end_time: time(self.end_time.as_ref(), "endTime")?.unwrap_or(GO_ZERO_TIME),
            total_objects: uint(self.total_objects.as_ref(), "totalObjects")?,
            size: uint(self.size.as_ref(), "size")?,
            compaction_level: uint(self.compaction_level.as_ref(), "compactionLevel")?,
            index_page_size: uint(self.index_page_size.as_ref(), "indexPageSize")?,
            total_records: uint(self.total_records.as_ref(), "totalRecords")?,
            bloom_shards: uint(self.bloom_shards.as_ref(), "bloomShards")?,
            footer_size: uint(self.footer_size.as_ref(), "footerSize")?,
            dedicated_columns: match &self.dedicated_columns {
                None => Vec::new(),
                Some(v) => list_from_value(v).map_err(|e| format!("dedicatedColumns: {e}"))?,
            },
            replication_factor: uint(self.replication_factor.as_ref(), "replicationFactor")?,
        };
        let compacted = time(self.compacted_time.as_ref(), "compactedTime")?;
        Ok((meta, compacted))
    }
}

fn required<T>(value: Option<T>, field: &str) -> Result<T, String> {
    value.ok_or_else(|| format!("{field} is missing"))
}

fn string(value: Option<&Value>, field: &str) -> Result<Option<String>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(format!(
            "{field} must be a string, found {}",
            kind_of(other)
        )),
    }
}

fn time(value: Option<&Value>, field: &str) -> Result<Option<DateTime<Utc>>, String> {
    string(value, field)?
        .map(|s| gojson::parse_time(&s).map_err(|e| format!("{field}: {e}")))
        .transpose()
}

fn uint<T: TryFrom<u64>>(value: Option<&Value>, field: &str) -> Result<T, String> {
    let n = match value {
        None | Some(Value::Null) => 0,
        Some(Value::Number(n)) => n
            .as_u64()
            .ok_or_else(|| format!("{field} must be a non-negative integer, found {n}"))?,
        Some(other) => {
            return Err(format!(
                "{field} must be a number, found {}",
                kind_of(other)
            ));
        }
    };
    T::try_from(n).map_err(|_| format!("{field} {n} is out of range"))
}

/// Parses a meta document; `what` names it in errors.
pub(crate) fn parse_meta(bytes: &[u8], what: &str) -> Result<BlockMeta> {
    parse_compacted(bytes, what).map(|(meta, _)| meta)
}

/// Parses a compacted-meta document (`compactedTime` optional); `what` names it in errors.
pub(crate) fn parse_compacted(
    bytes: &[u8],
    what: &str,
) -> Result<(BlockMeta, Option<DateTime<Utc>>)> {
    let json_error = |message: String| BlockError::Json {
        what: what.to_owned(),
        message,
    };
    let raw: RawMeta = serde_json::from_slice(bytes).map_err(|e| json_error(e.to_string()))?;
    raw.into_meta().map_err(json_error)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

    use super::*;

    const GENERATED: &str = r#"{"format":"vParquet5","blockID":"00000000-0000-43e8-be3b-0000cafe0000","tenantID":"single-tenant","startTime":"2025-01-15T13:00:00Z","endTime":"2025-01-15T13:16:42Z","totalObjects":1000,"size":2120489,"compactionLevel":0,"indexPageSize":0,"totalRecords":13,"bloomShards":1,"footerSize":156839,"dedicatedColumns":[{"s":"resource","n":"k8s.cluster.name"},{"n":"http.response.status_code","t":"int"}]}"#;

    #[test]
    fn round_trip_is_byte_exact() {
        let meta = BlockMeta::from_json(GENERATED.as_bytes()).unwrap();
        assert_eq!(meta.version().unwrap(), Version::VParquet5);
        assert_eq!(meta.total_records, 13);
        assert_eq!(meta.dedicated_columns.len(), 2);
        assert_eq!(
            String::from_utf8(meta.to_json().unwrap()).unwrap(),
            GENERATED
        );
    }

    #[test]
    fn optional_fields_are_written_only_when_set() {
        let mut meta = BlockMeta::new(Version::VParquet5, "t", Uuid::nil());
        let json = String::from_utf8(meta.to_json().unwrap()).unwrap();
        assert_eq!(
            json,
            r#"{"format":"vParquet5","blockID":"00000000-0000-0000-0000-000000000000","tenantID":"t","startTime":"0001-01-01T00:00:00Z","endTime":"0001-01-01T00:00:00Z","totalObjects":0,"compactionLevel":0,"indexPageSize":0,"totalRecords":0,"bloomShards":0,"footerSize":0}"#
        );
        meta.size = 5;
        meta.replication_factor = 1;
        let json = String::from_utf8(meta.to_json().unwrap()).unwrap();
        assert!(json.contains(r#""totalObjects":0,"size":5,"compactionLevel""#));
        assert!(json.ends_with(r#""footerSize":0,"replicationFactor":1}"#));
        assert_eq!(BlockMeta::from_json(json.as_bytes()).unwrap(), meta);
    }

    #[test]
    fn versions() {
        assert_eq!("vParquet4".parse::<Version>().unwrap(), Version::VParquet4);
        for bad in ["vParquet3", "vParquet5-preview5", "v2", "", "vparquet5"] {
            let err = bad.parse::<Version>().unwrap_err();
            assert!(matches!(err, BlockError::UnsupportedVersion { ref found } if found == bad));
        }
        // Any format parses as a meta; the version is checked when it is asked for.
        let old = GENERATED.replace("vParquet5", "vParquet3");
        let meta = BlockMeta::from_json(old.as_bytes()).unwrap();
        assert!(meta.version().is_err());
        assert_eq!(String::from_utf8(meta.to_json().unwrap()).unwrap(), old);
    }

    #[test]
    fn legacy_bloom_shard_count() {
        let mut meta = BlockMeta::new(Version::VParquet5, "t", Uuid::nil());
        assert_eq!(meta.bloom_shard_count(), 10);
        meta.bloom_shards = 3;
        assert_eq!(meta.bloom_shard_count(), 3);
    }

    #[test]
    fn lenient_like_go() {
        let json = br#"{"blockID":"F5AC87ED77F1408E9C98785692900E81","format":"v2","encoding":"lz4","totalObjects":null,"dataEncoding":"","minID":"AA=="}"#;
        let meta = BlockMeta::from_json(json).unwrap();
        assert_eq!(
            meta.block_id.to_string(),
            "f5ac87ed-77f1-408e-9c98-785692900e81"
        );
        assert_eq!(meta.tenant_id, "");
        assert_eq!(meta.start_time, GO_ZERO_TIME);
        assert_eq!(meta.total_objects, 0);
    }

    #[test]
    fn errors_name_the_field() {
        let cases: [(&str, &str); 9] = [
            (r#"{"format":"vParquet5"}"#, "blockID is missing"),
            (
                r#"{"blockID":"00000000-0000-0000-0000-000000000000"}"#,
                "format is missing",
            ),
            (r#"{"format":"x","blockID":"nope"}"#, "blockID"),
            (
                r#"{"format":1,"blockID":"00000000-0000-0000-0000-000000000000"}"#,
                "format must be a string",
            ),
            (
                r#"{"format":"x","blockID":"00000000-0000-0000-0000-000000000000","totalObjects":-1}"#,
                "totalObjects",
            ),
            (
                r#"{"format":"x","blockID":"00000000-0000-0000-0000-000000000000","bloomShards":4294967296}"#,
                "bloomShards",
            ),
            (
                r#"{"format":"x","blockID":"00000000-0000-0000-0000-000000000000","footerSize":1.5}"#,
                "footerSize",
            ),
            (
                r#"{"format":"x","blockID":"00000000-0000-0000-0000-000000000000","startTime":"yesterday"}"#,
                "startTime",
            ),
            (
                r#"{"format":"x","blockID":"00000000-0000-0000-0000-000000000000","dedicatedColumns":[{"s":"x","n":"a"}]}"#,
                "dedicatedColumns: column 0",
            ),
        ];
        for (json, needle) in cases {
            let err = BlockMeta::from_json(json.as_bytes()).unwrap_err();
            match &err {
                BlockError::Json { what, message } => {
                    assert_eq!(what, "meta.json");
                    assert!(message.contains(needle), "{json}: {message}");
                }
                other => panic!("{json}: {other}"),
            }
        }
        for garbage in [
            &b""[..],
            b"null",
            b"[]",
            b"{",
            b"\xff",
            b"{\"format\":\"a\",\"format\":\"b\"}",
        ] {
            assert!(BlockMeta::from_json(garbage).is_err());
        }
    }

    #[test]
    fn compacted_meta() {
        let mut json = GENERATED.trim_end_matches('}').to_owned();
        json.push_str(r#","compactedTime":"2026-01-02T03:04:05.5Z"}"#);
        let compacted = CompactedBlockMeta::from_json(json.as_bytes()).unwrap();
        assert_eq!(
            compacted.compacted_time.to_rfc3339(),
            "2026-01-02T03:04:05.500+00:00"
        );
        assert_eq!(
            String::from_utf8(compacted.to_json().unwrap()).unwrap(),
            json
        );
        // Field order does not matter when reading (older Tempo wrote compactedTime first).
        let first = format!(
            r#"{{"compactedTime":"2026-01-02T03:04:05.5Z",{}"#,
            &GENERATED[1..]
        );
        assert_eq!(
            CompactedBlockMeta::from_json(first.as_bytes()).unwrap(),
            compacted
        );
        // Without compactedTime (a plain copy of meta.json).
        let copy = CompactedBlockMeta::from_json(GENERATED.as_bytes()).unwrap();
        assert_eq!(copy.compacted_time, GO_ZERO_TIME);
    }
}
