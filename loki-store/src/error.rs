//! Errors: why a whole push was refused ([`PushError`]) and why the store failed
//! ([`StoreError`]). Refusals of single entries or streams are not errors: they are listed
//! in the push's [`PushReport`](crate::PushReport) while the rest is stored.

use std::path::PathBuf;

use crate::bucket::BucketError;
use crate::index::IndexError;

/// How a server should answer a refusal: Loki's status codes follow from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RefusalKind {
    /// The request is wrong and retrying it will not help (HTTP 400).
    BadRequest,
    /// The request holds nothing to store (HTTP 422, Loki's answer to a push without
    /// streams).
    Unprocessable,
    /// A limit on the tenant's rate or streams; retry later (HTTP 429).
    RateLimited,
    /// The push is larger than the store takes at once (HTTP 413).
    TooLarge,
    /// The store cannot take writes now (HTTP 503).
    Unavailable,
    /// A fault inside the store (HTTP 500).
    Internal,
}

impl RefusalKind {
    /// The HTTP status Loki answers with.
    pub fn http_status(self) -> u16 {
        match self {
            Self::BadRequest => 400,
            Self::Unprocessable => 422,
            Self::RateLimited => 429,
            Self::TooLarge => 413,
            Self::Unavailable => 503,
            Self::Internal => 500,
        }
    }
}

/// Why [`Store::push`](crate::Store::push) refused a whole push. Nothing of a refused push is
/// stored.
///
/// The `Display` text is the message to send back; the limit errors are Loki's texts.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PushError {
    /// The tenant ID breaks Loki's rules (1 to 150 bytes of `[a-zA-Z0-9!_.*'()-]`, not `.`
    /// or `..`).
    #[error("invalid tenant ID {tenant:?}: {reason}")]
    InvalidTenant {
        /// The ID as sent.
        tenant: String,
        /// The rule it breaks.
        reason: String,
    },
    /// The push has no streams (Loki's 422).
    #[error("{}", crate::ingest::messages::MISSING_STREAMS)]
    NoStreams,
    /// A stream's labels do not parse; Loki refuses the whole push.
    #[error("couldn't parse labels: {labels:?}: {source}")]
    InvalidLabels {
        /// The labels as sent.
        labels: String,
        /// What is wrong with them.
        source: loki_chunk::ChunkError,
    },
    /// The tenant's ingestion rate limit and burst are used up (Loki's
    /// `ingestion_rate_mb` / `ingestion_burst_size_mb`).
    #[error("{}", crate::ingest::messages::rate_limited(tenant, *limit, *lines, *bytes))]
    RateLimited {
        /// The tenant.
        tenant: String,
        /// The rate, bytes per second.
        limit: u64,
        /// Lines the push would have stored.
        lines: usize,
        /// Bytes the push would have stored.
        bytes: usize,
    },
    /// The push is larger than one WAL record may be.
    #[error("push of {bytes} bytes is larger than the {limit} bytes one push may store")]
    TooLarge {
        /// The push's encoded size.
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// The store could not make the push durable.
    #[error("push not stored: {0}")]
    Store(#[from] StoreError),
}

impl PushError {
    /// How a server should answer.
    pub fn kind(&self) -> RefusalKind {
        match self {
            Self::InvalidTenant { .. } | Self::InvalidLabels { .. } => RefusalKind::BadRequest,
            Self::NoStreams => RefusalKind::Unprocessable,
            Self::RateLimited { .. } => RefusalKind::RateLimited,
            Self::TooLarge { .. } => RefusalKind::TooLarge,
            Self::Store(StoreError::Closed | StoreError::WalFailed) => RefusalKind::Unavailable,
            Self::Store(_) => RefusalKind::Internal,
        }
    }

    /// Loki's discard reason label (`loki_discarded_samples_total{reason}`), where there is
    /// one.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::InvalidTenant { .. } => "invalid_tenant",
            Self::NoStreams => "missing_streams",
            Self::InvalidLabels { .. } => "invalid_labels",
            Self::RateLimited { .. } => "rate_limited",
            Self::TooLarge { .. } => "request_body_too_large",
            Self::Store(_) => "internal_error",
        }
    }
}

/// A failure of the store itself: its WAL, its bucket, or its index.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Reading or writing the WAL failed.
    #[error("WAL {path}: {source}")]
    Wal {
        /// The file or folder.
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
    /// An earlier WAL write or sync failed; the store takes no more writes.
    #[error("the WAL failed earlier and takes no more writes; restart to replay it")]
    WalFailed,
    /// The store is shut down.
    #[error("the store is shut down")]
    Closed,
    /// Storing or listing objects failed.
    #[error("bucket: {0}")]
    Bucket(#[from] BucketError),
    /// The index failed.
    #[error("index: {0}")]
    Index(#[from] IndexError),
    /// A chunk could not be written (a codec failure).
    #[error("chunk: {0}")]
    Chunk(#[from] loki_chunk::ChunkError),
    /// The configuration cannot work.
    #[error("invalid configuration: {0}")]
    Config(&'static str),
    /// A background task panicked or was cancelled.
    #[error("background task failed: {0}")]
    Task(String),
}

impl From<store_wal::WalError> for StoreError {
    fn from(e: store_wal::WalError) -> Self {
        match e {
            store_wal::WalError::Io { path, source } => Self::Wal { path, source },
            store_wal::WalError::Failed => Self::WalFailed,
            _ => Self::Closed,
        }
    }
}

impl From<store_wal::WalError> for PushError {
    fn from(e: store_wal::WalError) -> Self {
        Self::Store(e.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_texts() {
        let e = PushError::RateLimited {
            tenant: "fake".into(),
            limit: 4_194_304,
            lines: 2,
            bytes: 10,
        };
        assert_eq!(e.kind().http_status(), 429);
        assert_eq!(
            e.to_string(),
            "ingestion rate limit exceeded for user fake (limit: 4194304 bytes/sec) while attempting to ingest '2' lines totaling '10' bytes, reduce log volume or contact your Loki administrator to see if the limit can be increased"
        );
        assert_eq!(PushError::NoStreams.kind().http_status(), 422);
        assert_eq!(
            PushError::Store(StoreError::Closed).kind(),
            RefusalKind::Unavailable
        );
    }
}
