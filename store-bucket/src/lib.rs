//! Object storage for the workspace's stores: one small async [`Backend`] trait (whole and
//! ranged reads, heads, atomic writes, deletes, listings) and [`ObjectStoreBackend`], its
//! implementation for a local folder, memory, and S3, GCS or Azure.
//!
//! ```
//! use store_bucket::bytes::Bytes;
//! use store_bucket::{Backend, ObjectStoreBackend};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), store_bucket::BucketError> {
//! let dir = tempfile::tempdir().unwrap();
//! let bucket = ObjectStoreBackend::local(dir.path())?;
//! bucket.put("tenant-1/a/data", Bytes::from_static(b"hello")).await?;
//! bucket.put("tenant-1/b/data", Bytes::from_static(b"world")).await?;
//!
//! assert_eq!(bucket.get("tenant-1/a/data").await?, "hello");
//! assert_eq!(bucket.get_range("tenant-1/b/data", 1..4).await?, "orl");
//! assert_eq!(bucket.head("tenant-1/b/data").await?.size, 5);
//! assert_eq!(bucket.list("tenant-1").await?, ["tenant-1/a/data", "tenant-1/b/data"]);
//! assert_eq!(bucket.list_dirs("tenant-1").await?, ["a", "b"]);
//! assert!(dir.path().join("tenant-1/a/data").is_file()); // the same paths as files
//!
//! assert!(bucket.get("tenant-1/c/data").await.unwrap_err().is_not_found());
//! assert!(bucket.get("../outside").await.is_err()); // no path leaves the bucket
//! # Ok(())
//! # }
//! ```
//!
//! # Paths
//!
//! Objects are named by `/`-separated paths relative to the backend's root, such as
//! `tenant/block/name`. Paths never start or end with `/`, and no segment is empty, `.`,
//! `..`, or holds a backslash or a control character ([`check_path`]), so nothing from a
//! request or a listing can climb out of the bucket. [`validate_object_name`] checks a single
//! segment, for callers that build paths from parts.
//!
//! # Implementations
//!
//! [`ObjectStoreBackend`] is the one backend type, whichever the storage: object stores
//! (memory, S3, GCS, Azure, or any `Arc<dyn ObjectStore>`) go through `object_store`; a local
//! folder ([`ObjectStoreBackend::local`], and the path forms of
//! [`ObjectStoreBackend::from_url`]) is served by this crate's own file code, which reads
//! byte ranges with positional reads on kept-open files, inline, without a thread hand-off.
//! Both keep the same layout and semantics, so the choice never shows in what is stored;
//! `object_store`'s own local store is still there through [`ObjectStoreBackend::new`].
//!
//! # Types from other crates, and the async runtime
//!
//! [`bytes`] (object contents), [`chrono`] ([`ObjectInfo::last_modified`]) and
//! [`object_store`] ([`ObjectStoreBackend::new`]) are re-exported, so a user can name their
//! types without adding (and matching versions of) the crates themselves.
//!
//! The [`Backend`] calls are `async` and runtime-agnostic in this crate. The local folder
//! does its file IO inline, on the calling thread, in any runtime or none (a range read from
//! the page cache takes microseconds, less than a hand-off to another thread); the memory
//! store completes at once; the S3, GCS and Azure clients of `object_store` need a Tokio 1
//! runtime with IO and time enabled.
//!
//! # Feature flags
//!
//! `s3`, `gcs` and `azure` add the cloud stores to [`ObjectStoreBackend::from_url`]
//! (`object_store`'s `aws`, `gcp` and `azure`); without them such a URL is an error naming
//! the feature.
#![forbid(unsafe_code)]

mod error;
mod local_backend;
mod object_backend;

use std::fmt;
use std::ops::Range;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};

pub use bytes;
pub use chrono;
pub use error::{BucketError, Result};
pub use object_backend::ObjectStoreBackend;
pub use object_store;

/// Longest object name accepted by [`validate_object_name`], in bytes (a common filesystem
/// limit).
pub const MAX_OBJECT_NAME_LEN: usize = 255;

/// Checks an object name, one segment of a path: 1 to 255 bytes, no `/` or `\`, not `.` or
/// `..`, no control characters, and no `#` (the local folder reserves `name#<digits>` for
/// its temporary files).
///
/// # Errors
///
/// [`BucketError::InvalidName`] naming the rule broken.
pub fn validate_object_name(name: &str) -> Result<()> {
    let fail = |reason| {
        Err(BucketError::InvalidName {
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

/// Checks a `/`-separated backend path: not starting or ending with `/`, and no empty, `.`,
/// `..`, backslash or control-character segment. `allow_root` admits `""` (the root, for
/// listings and prefixes); `kind` names what the path is in the error ("object path",
/// "backend prefix", …).
///
/// Every [`Backend`] of this crate checks each path it is given this way.
///
/// # Errors
///
/// [`BucketError::InvalidName`] naming the rule broken.
pub fn check_path(path: &str, kind: &'static str, allow_root: bool) -> Result<()> {
    let fail = |reason| {
        Err(BucketError::InvalidName {
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

/// Object storage as the stores need it: whole and ranged reads, atomic writes, deletes and
/// listings, on `/`-separated paths relative to the backend's root (`tenant/block/name`).
///
/// Paths never start or end with `/`. Implementations must refuse paths whose segments are
/// empty, `.` or `..` ([`BucketError::InvalidName`], see [`check_path`]), report a missing
/// object as [`BucketError::NotFound`] (see [`BucketError::is_not_found`]), and replace
/// objects atomically: a reader sees the old or the new object, never a mix.
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
    fn object_names() {
        for ok in ["data.parquet", "bloom-12", "meta.json", "index", "..x"] {
            validate_object_name(ok).unwrap();
        }
        validate_object_name(&"x".repeat(255)).unwrap();
        for bad in ["", ".", "..", "a/b", "../x", "a\\b", "a\nb", "x#1"] {
            let err = validate_object_name(bad).unwrap_err();
            assert!(
                matches!(
                    err,
                    BucketError::InvalidName {
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
    fn paths() {
        for ok in [
            "a",
            "a/b",
            "t/00000000-0000-0000-0000-000000000001/meta.json",
            "a/..x",
        ] {
            check_path(ok, "object path", false).unwrap();
        }
        check_path("", "prefix", true).unwrap();
        for bad in [
            "", ".", "..", "../x", "a/../b", "a//b", "/abs", "a/", "a/./b", "a\\..\\b", "a\0",
        ] {
            let err = check_path(bad, "object path", false).unwrap_err();
            assert!(
                matches!(
                    err,
                    BucketError::InvalidName {
                        kind: "object path",
                        ..
                    }
                ),
                "{bad:?}"
            );
        }
        assert!(check_path("..", "prefix", true).is_err());
    }
}
