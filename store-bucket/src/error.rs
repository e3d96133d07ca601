//! The crate's error type.

use std::io;
use std::ops::Range;
use std::sync::Arc;

/// Everything that can go wrong storing, reading or listing objects.
///
/// A missing object is always [`BucketError::NotFound`] ([`is_not_found`](Self::is_not_found)),
/// whichever the storage, so callers can tell "absent" from "failed".
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum BucketError {
    /// A path, prefix or object name that is not allowed (empty, too long, `.` or `..`
    /// segments, separators, control characters, names reserved for temporary files).
    #[error("invalid {kind} {value:?}: {reason}")]
    InvalidName {
        /// What was being named: "object path", "object name", "backend prefix", …
        kind: &'static str,
        /// The rejected value.
        value: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// An object that must exist does not.
    #[error("object {path:?} not found")]
    NotFound {
        /// The object's path in the backend.
        path: String,
    },
    /// A byte range reaching past the end of the object (a ranged read never returns fewer
    /// bytes than asked for).
    #[error(
        "byte range {}..{} of {path:?} reaches past the end of the object ({size} bytes)",
        .range.start, .range.end
    )]
    OutOfRange {
        /// The object's path in the backend.
        path: String,
        /// The range asked for.
        range: Range<u64>,
        /// The object's size.
        size: u64,
    },
    /// The caller asked for something the backend cannot do: a byte range that ends before
    /// it starts, an unknown URL scheme or store option, a cloud store whose cargo feature is
    /// not enabled.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A file operation in a local folder failed.
    #[error("local folder {op} of {path:?} failed: {source}")]
    Io {
        /// The operation: "get", "get range", "head", "put", "delete", "list", "create", "open".
        op: &'static str,
        /// The object's path (or prefix) in the backend; the folder for "create" and "open".
        path: String,
        /// The filesystem's error.
        source: Arc<io::Error>,
    },
    /// The object store failed.
    #[error("backend {op} of {path:?} failed: {source}")]
    ObjectStore {
        /// The operation: "get", "get range", "head", "put", "delete", "list", "open".
        op: &'static str,
        /// The object's path (or prefix) in the backend; the URL for "open".
        path: String,
        /// The object store's error.
        source: Arc<object_store::Error>,
    },
}

impl BucketError {
    /// True when the error says an object does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }

    /// A [`BucketError::NotFound`] for `path`.
    pub(crate) fn not_found(path: impl Into<String>) -> Self {
        Self::NotFound { path: path.into() }
    }

    /// The error of object-store operation `op` on `path`: [`BucketError::NotFound`] for a
    /// missing object, otherwise [`BucketError::ObjectStore`].
    pub(crate) fn object_store(
        op: &'static str,
        path: impl Into<String>,
        source: object_store::Error,
    ) -> Self {
        match source {
            object_store::Error::NotFound { .. } => Self::not_found(path),
            source => Self::ObjectStore {
                op,
                path: path.into(),
                source: Arc::new(source),
            },
        }
    }

    /// The error of file operation `op` on `path`: [`BucketError::NotFound`] for a missing
    /// file (or folder on the way), otherwise [`BucketError::Io`].
    pub(crate) fn io(op: &'static str, path: impl Into<String>, source: io::Error) -> Self {
        if source.kind() == io::ErrorKind::NotFound {
            return Self::not_found(path);
        }
        Self::Io {
            op,
            path: path.into(),
            source: Arc::new(source),
        }
    }
}

/// The crate's result type.
pub type Result<T, E = BucketError> = std::result::Result<T, E>;
