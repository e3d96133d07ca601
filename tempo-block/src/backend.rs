//! Where blocks live: Tempo's bucket layout, a small storage trait, its `object_store`
//! implementation, and [`BlockStore`], the typed layer the rest of the crate uses.
//!
//! # Layout
//!
//! ```text
//! <root>/<tenant>/<blockID>/data.parquet         the Parquet file
//!                          /bloom-0 … bloom-<n-1> bloom shards
//!                          /index                row-group index (JSON)
//!                          /meta.json            written last: its presence makes the block live
//!                          /meta.compacted.json  replaces meta.json once compaction replaced the block
//!                          /nocompact.flg        optional: never compact this block
//! <root>/<tenant>/index.json.gz                  tenant index (see crate::tenant_index)
//! <root>/<tenant>/index.pb.zst
//! ```
//!
//! The local filesystem uses the same paths as directories and files, so a folder written
//! here can serve as `storage.trace.local.path` of a Tempo server, and the reverse.
//!
//! # Names
//!
//! Every path is built from checked parts, so nothing from a request or a listing can climb
//! out of the bucket or into another tenant:
//!
//! * tenant IDs follow Tempo's rule ([`validate_tenant_id`]);
//! * block IDs are [`Uuid`]s, written lower-case hyphenated; listings skip folder names that
//!   are not in that exact form;
//! * object names are single path segments ([`validate_object_name`]).
//!
//! [`Backend`] implementations check whole paths once more ([`ObjectStoreBackend`] refuses
//! empty, `.`/`..`, control-character and backslash segments).
//!
//! # Implementations
//!
//! [`ObjectStoreBackend`] is the one backend type, whichever the storage: object stores
//! (memory, S3, GCS, Azure, or any `Arc<dyn ObjectStore>`) go through `object_store`; a local
//! folder ([`ObjectStoreBackend::local`], and the path forms of
//! [`ObjectStoreBackend::from_url`]) is served by this crate's own file code, which reads
//! byte ranges with positional reads on kept-open files, inline, without a thread hand-off
//! (see [`ObjectStoreBackend::local`]). Both keep the same layout and semantics, so the
//! choice never shows in what is stored; `object_store`'s own local store is still there
//! through [`ObjectStoreBackend::new`].

mod block_store;
mod local_backend;
mod object_backend;

use std::fmt;
use std::ops::Range;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use uuid::Uuid;

pub use block_store::{BlockIds, BlockStore};
pub use object_backend::ObjectStoreBackend;

use crate::error::{BlockError, Result};

/// The Parquet file of a block.
pub const DATA_NAME: &str = "data.parquet";
/// The row-group index of a block.
pub const INDEX_NAME: &str = "index";
/// A block's metadata; its presence makes the block live.
pub const META_NAME: &str = "meta.json";
/// The metadata of a block replaced by compaction.
pub const COMPACTED_META_NAME: &str = "meta.compacted.json";
/// Flag object: the block must not be compacted.
pub const NO_COMPACT_NAME: &str = "nocompact.flg";
/// Prefix of bloom shard names: shard `i` is `bloom-<i>`.
pub const BLOOM_PREFIX: &str = "bloom-";

/// Longest tenant ID Tempo accepts, in bytes.
pub const MAX_TENANT_ID_LEN: usize = 150;
/// Longest object name accepted, in bytes (a common filesystem limit).
pub const MAX_OBJECT_NAME_LEN: usize = 255;

/// The name of bloom shard `shard`: `bloom-<shard>`.
pub fn bloom_name(shard: u32) -> String {
    format!("{BLOOM_PREFIX}{shard}")
}

/// Checks a tenant ID as Tempo does (dskit's `ValidTenantID`): 1 to 150 bytes of
/// `a-z A-Z 0-9 ! - _ . * ' ( )`, and neither `.` nor `..`. (Tempo itself lets an empty ID
/// through this check and refuses it elsewhere; it is refused here.)
///
/// # Errors
///
/// [`BlockError::InvalidName`] naming the rule broken.
pub fn validate_tenant_id(tenant: &str) -> Result<()> {
    let fail = |reason| {
        Err(BlockError::InvalidName {
            kind: "tenant ID",
            value: tenant.to_owned(),
            reason,
        })
    };
    if tenant.is_empty() {
        return fail("empty");
    }
    if tenant.len() > MAX_TENANT_ID_LEN {
        return fail("longer than 150 bytes");
    }
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b"!-_.*'()".contains(&b);
    if !tenant.bytes().all(allowed) {
        return fail("only a-z, A-Z, 0-9 and !-_.*'() are allowed");
    }
    if tenant == "." || tenant == ".." {
        return fail("\".\" and \"..\" are not allowed");
    }
    Ok(())
}

/// Checks an object name inside a block or tenant folder: 1 to 255 bytes, one path segment
/// (no `/` or `\`), not `.` or `..`, no control characters, and no `#` (the local
/// filesystem store reserves `name#<digits>` for its temporary files).
///
/// # Errors
///
/// [`BlockError::InvalidName`] naming the rule broken.
pub fn validate_object_name(name: &str) -> Result<()> {
    let fail = |reason| {
        Err(BlockError::InvalidName {
            kind: "object name",
            value: name.to_owned(),
            reason,
        })
    };
    if name.is_empty() {
        return fail("empty");
    }
    if name.len() > MAX_OBJECT_NAME_LEN {
        return fail("longer than 255 bytes");
    }
    if name == "." || name == ".." {
        return fail("\".\" and \"..\" are not allowed");
    }
    if name.contains(['/', '\\']) {
        return fail("path separators are not allowed");
    }
    if name.contains('#') {
        return fail("'#' is not allowed");
    }
    if name.chars().any(char::is_control) {
        return fail("control characters are not allowed");
    }
    Ok(())
}

/// Parses a block folder name: a UUID in the lower-case hyphenated form Tempo writes.
///
/// # Errors
///
/// [`BlockError::InvalidName`] for anything else (including other spellings of a UUID, which
/// would name a different folder).
pub fn parse_block_id(name: &str) -> Result<Uuid> {
    match Uuid::try_parse(name) {
        Ok(id) if id.hyphenated().to_string() == name => Ok(id),
        _ => Err(BlockError::InvalidName {
            kind: "block ID",
            value: name.to_owned(),
            reason: "not a lower-case hyphenated UUID",
        }),
    }
}

/// The path of object `name` of block `block`: `<tenant>/<block>/<name>`.
///
/// # Errors
///
/// [`BlockError::InvalidName`] for a bad tenant ID or object name.
pub fn block_object_path(tenant: &str, block: Uuid, name: &str) -> Result<String> {
    validate_tenant_id(tenant)?;
    validate_object_name(name)?;
    Ok(format!("{tenant}/{}/{name}", block.hyphenated()))
}

/// The path of object `name` in a tenant's folder: `<tenant>/<name>`.
///
/// # Errors
///
/// [`BlockError::InvalidName`] for a bad tenant ID or object name.
pub fn tenant_object_path(tenant: &str, name: &str) -> Result<String> {
    validate_tenant_id(tenant)?;
    validate_object_name(name)?;
    Ok(format!("{tenant}/{name}"))
}

/// The folder of block `block`: `<tenant>/<block>`.
///
/// # Errors
///
/// [`BlockError::InvalidName`] for a bad tenant ID.
pub fn block_path(tenant: &str, block: Uuid) -> Result<String> {
    validate_tenant_id(tenant)?;
    Ok(format!("{tenant}/{}", block.hyphenated()))
}

/// Checks a `/`-separated backend path: not starting or ending with `/`, and no empty, `.`,
/// `..`, backslash or control-character segment. `allow_root` admits `""` (listings).
fn check_path(path: &str, kind: &'static str, allow_root: bool) -> Result<()> {
    let fail = |reason| {
        Err(BlockError::InvalidName {
            kind,
            value: path.to_owned(),
            reason,
        })
    };
    if path.is_empty() {
        return if allow_root { Ok(()) } else { fail("empty") };
    }
    if path.starts_with('/') || path.ends_with('/') {
        return fail("starts or ends with '/'");
    }
    for segment in path.split('/') {
        if segment.is_empty() {
            return fail("empty path segment");
        }
        if segment == "." || segment == ".." {
            return fail("\".\" and \"..\" segments are not allowed");
        }
        if segment.contains('\\') || segment.chars().any(char::is_control) {
            return fail("backslashes and control characters are not allowed");
        }
    }
    Ok(())
}

/// What a backend knows about a stored object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectInfo {
    /// Size in bytes.
    pub size: u64,
    /// When the object was last written.
    pub last_modified: DateTime<Utc>,
}

/// Object storage as blocks need it: whole and ranged reads, atomic writes, deletes and
/// listings, on `/`-separated paths relative to the backend's root (`tenant/block/name`).
///
/// Paths never start or end with `/`. Implementations must refuse paths whose segments are
/// empty, `.` or `..` ([`BlockError::InvalidName`]), report a missing object as
/// [`BlockError::NotFound`] (see [`BlockError::is_not_found`]), and replace objects
/// atomically: a reader sees the old or the new object, never a mix.
#[async_trait]
pub trait Backend: Send + Sync + fmt::Debug {
    /// The whole object.
    async fn get(&self, path: &str) -> Result<Bytes>;

    /// Bytes `range` of the object: exactly `range.end - range.start` bytes (an empty range
    /// reads nothing). A range reaching past the end of the object is an error, never a
    /// short read.
    async fn get_range(&self, path: &str, range: Range<u64>) -> Result<Bytes>;

    /// Size and modification time of the object.
    async fn head(&self, path: &str) -> Result<ObjectInfo>;

    /// Writes (or replaces) the object.
    async fn put(&self, path: &str, data: Bytes) -> Result<()>;

    /// Deletes the object. Deleting a missing object succeeds.
    async fn delete(&self, path: &str) -> Result<()>;

    /// Every object below folder `prefix` at any depth (`""` lists everything), as full
    /// paths, sorted.
    async fn list(&self, prefix: &str) -> Result<Vec<String>>;

    /// The names (last segment only) of the folders directly inside folder `prefix`
    /// (`""` for the root), sorted.
    async fn list_dirs(&self, prefix: &str) -> Result<Vec<String>>;

    /// Whether the object exists.
    async fn exists(&self, path: &str) -> Result<bool> {
        match self.head(path).await {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

    use super::*;

    #[test]
    fn tenant_ids() {
        for ok in ["single-tenant", "3", "a.b", "A_z-0!*'()", "..."] {
            validate_tenant_id(ok).unwrap();
        }
        validate_tenant_id(&"x".repeat(150)).unwrap();
        for bad in [
            "", ".", "..", "a/b", "a b", "é", "a\0", "../x", "a|b", "a#b",
        ] {
            let err = validate_tenant_id(bad).unwrap_err();
            assert!(
                matches!(
                    err,
                    BlockError::InvalidName {
                        kind: "tenant ID",
                        ..
                    }
                ),
                "{bad:?}"
            );
        }
        assert!(validate_tenant_id(&"x".repeat(151)).is_err());
    }

    #[test]
    fn object_names() {
        for ok in ["data.parquet", "bloom-12", "meta.json", "index", "..x"] {
            validate_object_name(ok).unwrap();
        }
        for bad in ["", ".", "..", "a/b", "../x", "a\\b", "a\nb", "x#1"] {
            let err = validate_object_name(bad).unwrap_err();
            assert!(
                matches!(
                    err,
                    BlockError::InvalidName {
                        kind: "object name",
                        ..
                    }
                ),
                "{bad:?}"
            );
        }
        assert!(validate_object_name(&"x".repeat(256)).is_err());
    }

    #[test]
    fn block_ids() {
        let id = parse_block_id("00000000-0000-43e8-be3b-0000cafe0000").unwrap();
        assert_eq!(id.as_u128(), 0x43e8_be3b_0000_cafe_0000);
        for bad in [
            "00000000-0000-43E8-BE3B-0000CAFE0000",
            "00000000000043e8be3b0000cafe0000",
            "{00000000-0000-43e8-be3b-0000cafe0000}",
            "x",
            "",
        ] {
            assert!(parse_block_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn paths() {
        let id = Uuid::from_u128(1);
        assert_eq!(
            block_object_path("t", id, META_NAME).unwrap(),
            "t/00000000-0000-0000-0000-000000000001/meta.json"
        );
        assert_eq!(
            tenant_object_path("t", "index.pb.zst").unwrap(),
            "t/index.pb.zst"
        );
        assert_eq!(
            block_path("t", id).unwrap(),
            "t/00000000-0000-0000-0000-000000000001"
        );
        assert_eq!(bloom_name(3), "bloom-3");
        assert!(block_object_path("..", id, META_NAME).is_err());
        assert!(block_object_path("t", id, "../meta.json").is_err());
        assert!(tenant_object_path("t/u", "x").is_err());
    }
}
