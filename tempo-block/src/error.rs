//! The crate's error type.

use std::sync::Arc;

use store_bucket::BucketError;

/// Everything that can go wrong reading or writing a block.
///
/// Errors about stored bytes name what was being read (object, column path, field) so a corrupt
/// block can be located; none of them is ever swallowed into "not found".
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum BlockError {
    /// The block's `meta.json` names an encoding this crate does not read (or write).
    #[error("unsupported block version {found:?}; readable: vParquet4, vParquet5")]
    UnsupportedVersion {
        /// The `format` field of `meta.json`.
        found: String,
    },
    /// A tenant ID, block ID, object name or path that is not allowed (empty, too long, path
    /// traversal, separators, control characters). Also what the backend's
    /// [`BucketError::InvalidName`] becomes.
    #[error("invalid {kind} {value:?}: {reason}")]
    InvalidName {
        /// What was being named: "tenant ID", "block ID", "object name", "object path", …
        kind: &'static str,
        /// The rejected value.
        value: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// An object that must exist does not (also the backend's [`BucketError::NotFound`]).
    #[error("object {path:?} not found")]
    NotFound {
        /// The object's path in the backend.
        path: String,
    },
    /// The object store failed (the backend's [`BucketError::ObjectStore`]).
    #[error("backend {op} of {path:?} failed: {source}")]
    Backend {
        /// The operation: "get", "put", "list", "delete", "head".
        op: &'static str,
        /// The object's path (or prefix) in the backend.
        path: String,
        /// The object store's error.
        source: Arc<store_bucket::object_store::Error>,
    },
    /// Any other storage error: a local folder's file operation that failed
    /// ([`BucketError::Io`]), a byte range past the end of an object
    /// ([`BucketError::OutOfRange`]), and whatever else [`BucketError`] may report.
    #[error(transparent)]
    Bucket(BucketError),
    /// A JSON document (meta.json, index, tenant index) did not parse or holds a bad value.
    #[error("{what}: invalid JSON: {message}")]
    Json {
        /// Which document.
        what: String,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A protobuf document (`index.pb.zst`) did not decode.
    #[error("{what}: invalid protobuf: {source}")]
    Protobuf {
        /// Which document.
        what: String,
        /// The decoder's error.
        source: prost::DecodeError,
    },
    /// A compressed object (gzip, zstd) did not decompress or exceeds its size limit.
    #[error("{what}: {message}")]
    Compression {
        /// Which object.
        what: String,
        /// What went wrong.
        message: String,
    },
    /// The Parquet library reported an error (corrupt page, bad footer, I/O).
    #[error("{context}: {source}")]
    Parquet {
        /// What was being read or written (object, column path, row group).
        context: String,
        /// The Parquet library's error.
        source: Arc<parquet::errors::ParquetError>,
    },
    /// Stored data that decodes but breaks the format's rules (schema mismatch, level
    /// sequences that do not form a row, IDs of the wrong length, sizes that disagree).
    #[error("corrupt {what}: {detail}")]
    Corrupt {
        /// What is corrupt (object, column path, field).
        what: String,
        /// How it is corrupt.
        detail: String,
    },
    /// An object of a block is not the size the block's `meta.json` records (`size` for
    /// `data.parquet`): the object was cut short (an interrupted copy or upload), or replaced.
    #[error("{object} of block {block} is {found} bytes, meta.json says {expected}")]
    SizeMismatch {
        /// The block.
        block: uuid::Uuid,
        /// The object's name (`data.parquet`).
        object: &'static str,
        /// The size `meta.json` records.
        expected: u64,
        /// The object's size in the store.
        found: u64,
    },
    /// A bloom shard did not decode.
    #[error("{what}: {source}")]
    Bloom {
        /// Which shard.
        what: String,
        /// The bloom crate's error.
        source: bloom::BloomError,
    },
    /// The caller passed something the writer cannot store (bad trace ID, too many dedicated
    /// columns, …), or the backend cannot do (a backwards byte range, an unknown URL scheme:
    /// the backend's [`BucketError::InvalidInput`]).
    #[error("invalid input: {0}")]
    InvalidInput(String),
}

impl BlockError {
    /// A [`BlockError::Corrupt`] for `what`.
    pub(crate) fn corrupt(what: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::Corrupt {
            what: what.into(),
            detail: detail.into(),
        }
    }

    /// A [`BlockError::Parquet`] with its context.
    pub(crate) fn parquet(
        context: impl Into<String>,
        source: parquet::errors::ParquetError,
    ) -> Self {
        Self::Parquet {
            context: context.into(),
            source: Arc::new(source),
        }
    }

    /// True when the error says an object does not exist.
    pub fn is_not_found(&self) -> bool {
        match self {
            Self::NotFound { .. } => true,
            Self::Bucket(e) => e.is_not_found(),
            _ => false,
        }
    }
}

/// A storage error as a block error: the variants both types have ([`BlockError::NotFound`],
/// [`BlockError::InvalidName`], [`BlockError::InvalidInput`], and [`BlockError::Backend`]
/// for the object store's errors) keep their variant and fields; the rest is
/// [`BlockError::Bucket`].
impl From<BucketError> for BlockError {
    fn from(e: BucketError) -> Self {
        match e {
            BucketError::NotFound { path } => Self::NotFound { path },
            BucketError::InvalidName {
                kind,
                value,
                reason,
            } => Self::InvalidName {
                kind,
                value,
                reason,
            },
            BucketError::InvalidInput(message) => Self::InvalidInput(message),
            BucketError::ObjectStore { op, path, source } => Self::Backend { op, path, source },
            other => Self::Bucket(other),
        }
    }
}

/// The crate's result type.
pub type Result<T, E = BlockError> = std::result::Result<T, E>;

/// Runs a call into the Parquet crate's page decoders, turning a panic into
/// [`BlockError::Corrupt`].
///
/// Some of those decoders index into page data without checking it (a corrupt
/// DELTA_LENGTH_BYTE_ARRAY page, for one), so a hostile file can make them panic. The panic is
/// contained here and reported as corruption of `what`; it cannot be contained in a program
/// built with `panic = "abort"`.
pub(crate) fn contained<T>(
    what: &str,
    f: impl FnOnce() -> std::result::Result<T, parquet::errors::ParquetError>,
) -> Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(BlockError::parquet(what, e)),
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "decoder panicked".into());
            Err(BlockError::corrupt(
                what,
                format!("undecodable page data ({message})"),
            ))
        }
    }
}
