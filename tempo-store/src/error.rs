//! Errors: why a push was refused ([`PushError`]) and why the store failed ([`StoreError`]).

use std::path::PathBuf;

/// How a server should answer a refusal: Tempo's status codes follow from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RefusalKind {
    /// The request is wrong and retrying it will not help (HTTP 400, gRPC `InvalidArgument`).
    BadRequest,
    /// A limit on the tenant's rate or live traces; retry later (HTTP 429, gRPC
    /// `ResourceExhausted`).
    RateLimited,
    /// The batch is larger than the store takes in one push (HTTP 413, gRPC
    /// `ResourceExhausted`).
    TooLarge,
    /// The store cannot take writes now (HTTP 503, gRPC `Unavailable`).
    Unavailable,
    /// A fault inside the store (HTTP 500, gRPC `Internal`).
    Internal,
}

/// Why [`Store::push`](crate::Store::push) refused a batch. Nothing of a refused batch is
/// stored: a batch is accepted whole or not at all, so a client may retry it (spans already
/// stored are recognised by span ID when traces are read and combined).
///
/// The `Display` text is the message to send back; the limit errors carry Tempo's prefixes
/// (`RATE_LIMITED:`, `LIVE_TRACES_EXCEEDED:`, `TRACE_TOO_LARGE:`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PushError {
    /// The tenant ID breaks Tempo's rules.
    #[error("invalid tenant ID {tenant:?}: {reason}")]
    InvalidTenant {
        /// The ID as sent.
        tenant: String,
        /// The rule it breaks.
        reason: &'static str,
    },
    /// A span's trace ID is not 16 bytes or is all zeros.
    #[error("invalid trace ID {id}: trace IDs must be 16 bytes and not all zero (span {span})")]
    InvalidTraceId {
        /// The ID as sent, in hex.
        id: String,
        /// The span's name.
        span: String,
    },
    /// A span's ID is not 8 bytes or is all zeros.
    #[error("invalid span ID {id}: span IDs must be 8 bytes and not all zero (span {span})")]
    InvalidSpanId {
        /// The ID as sent, in hex.
        id: String,
        /// The span's name.
        span: String,
    },
    /// The tenant's ingestion rate limit and burst are used up.
    #[error(
        "RATE_LIMITED: ingestion rate limit ({limit} bytes) exceeded while adding {bytes} bytes for tenant {tenant}"
    )]
    RateLimited {
        /// The tenant.
        tenant: String,
        /// `ingestion_rate_limit_bytes` per second.
        limit: u64,
        /// The batch's size.
        bytes: u64,
    },
    /// The batch is larger than the burst could ever admit.
    #[error(
        "RATE_LIMITED: batch of {bytes} bytes is larger than the ingestion burst size ({burst} bytes) of tenant {tenant}"
    )]
    BatchAboveBurst {
        /// The tenant.
        tenant: String,
        /// `ingestion_burst_size_bytes`.
        burst: u64,
        /// The batch's size.
        bytes: u64,
    },
    /// The batch is larger than one WAL record may be.
    #[error("batch of {bytes} bytes is larger than the {limit} bytes one push may store")]
    BatchTooLarge {
        /// The batch's encoded size.
        bytes: u64,
        /// [`MAX_RECORD_LEN`](crate::wal::format::MAX_RECORD_LEN) less the record's header.
        limit: u64,
    },
    /// The batch would start more live traces than `max_traces_per_user` allows.
    #[error(
        "LIVE_TRACES_EXCEEDED: max live traces exceeded for tenant {tenant}: per-user traces limit (local: {limit}) exceeded"
    )]
    LiveTracesExceeded {
        /// The tenant.
        tenant: String,
        /// `max_traces_per_user`.
        limit: usize,
    },
    /// A trace would grow past `max_bytes_per_trace`.
    #[error(
        "TRACE_TOO_LARGE: max size of trace ({limit}) exceeded while adding {adding} bytes to trace {trace_id} for tenant {tenant}"
    )]
    TraceTooLarge {
        /// The tenant.
        tenant: String,
        /// The trace, in hex.
        trace_id: String,
        /// `max_bytes_per_trace`.
        limit: usize,
        /// Bytes the batch adds to it.
        adding: usize,
    },
    /// The store could not make the batch durable.
    #[error("push not stored: {0}")]
    Store(#[from] StoreError),
}

impl PushError {
    /// The reason label, as Tempo's `tempo_discarded_spans_total{reason}` names it.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::InvalidTenant { .. } => "invalid_tenant",
            Self::InvalidTraceId { .. } => "invalid_trace_id",
            Self::InvalidSpanId { .. } => "invalid_span_id",
            Self::RateLimited { .. } | Self::BatchAboveBurst { .. } => "rate_limited",
            Self::BatchTooLarge { .. } => "too_large",
            Self::LiveTracesExceeded { .. } => "live_traces_exceeded",
            Self::TraceTooLarge { .. } => "trace_too_large",
            Self::Store(_) => "internal_error",
        }
    }

    /// How a server should answer.
    pub fn kind(&self) -> RefusalKind {
        match self {
            Self::InvalidTenant { .. }
            | Self::InvalidTraceId { .. }
            | Self::InvalidSpanId { .. }
            | Self::TraceTooLarge { .. } => RefusalKind::BadRequest,
            Self::RateLimited { .. }
            | Self::BatchAboveBurst { .. }
            | Self::LiveTracesExceeded { .. } => RefusalKind::RateLimited,
            Self::BatchTooLarge { .. } => RefusalKind::TooLarge,
            Self::Store(StoreError::Closed | StoreError::WalFailed) => RefusalKind::Unavailable,
            Self::Store(_) => RefusalKind::Internal,
        }
    }
}

/// A failure of the store itself: its WAL, its backend, or a stored block.
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
    /// Writing, listing or reading blocks failed.
    #[error("block storage: {0}")]
    Block(#[from] tempo_block::BlockError),
    /// The configuration cannot work.
    #[error("invalid configuration: {0}")]
    Config(String),
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
