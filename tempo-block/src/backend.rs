//! Where blocks live: Tempo's bucket layout and [`BlockStore`], the typed layer the rest of
//! the crate uses, on the storage of [`store_bucket`] ([`Backend`], [`ObjectStoreBackend`],
//! re-exported here).
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
//! empty, `.`/`..`, control-character and backslash segments, see
//! [`store_bucket::check_path`]).
//!
//! # Storage
//!
//! The storage itself is [`store_bucket`]'s, shared with the log store: the [`Backend`]
//! trait and [`ObjectStoreBackend`] (a local folder read with positional reads on kept-open
//! files; memory, S3, GCS and Azure through `object_store`). Their errors are
//! [`BucketError`]s, which convert into [`BlockError`] (`?` does it).

mod block_store;

use uuid::Uuid;

pub use block_store::{BlockIds, BlockStore};
pub use store_bucket::{
    Backend, BucketError, MAX_OBJECT_NAME_LEN, ObjectInfo, ObjectStoreBackend, validate_object_name,
};

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
