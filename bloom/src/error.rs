//! The crate's error type.

/// Which serialised filter an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// A Tempo `bloom-<i>` shard.
    TempoShard,
    /// A serialised split-block bloom filter.
    SplitBlock,
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Format::TempoShard => "tempo bloom shard",
            Format::SplitBlock => "split-block bloom filter",
        })
    }
}

/// Everything that can go wrong building, decoding or querying a filter.
///
/// Decoding errors name the format, the field and its byte offset, and carry the expected and
/// found values, so callers can match on them and operators can see what was corrupt.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BloomError {
    /// The input ends before the fixed-size header does.
    #[error("{format}: input is {found} bytes, shorter than its {needed}-byte header")]
    TooShort {
        /// The format being decoded.
        format: Format,
        /// Bytes the header needs.
        needed: usize,
        /// Bytes available.
        found: usize,
    },
    /// The input's length disagrees with the length the header implies.
    #[error("{format}: header implies {expected} bytes in total, input has {found}")]
    LengthMismatch {
        /// The format being decoded.
        format: Format,
        /// Length implied by the header.
        expected: u64,
        /// Actual length.
        found: u64,
    },
    /// Two header fields that must agree do not.
    #[error("{format}: header field {field} at offset {offset} is {found}, expected {expected}")]
    HeaderMismatch {
        /// The format being decoded.
        format: Format,
        /// The field that disagrees.
        field: &'static str,
        /// Its byte offset.
        offset: usize,
        /// The value it must have.
        expected: u64,
        /// The value found.
        found: u64,
    },
    /// A header field is outside the range this crate accepts.
    #[error("{format}: header field {field} at offset {offset} is {found}, outside {min}..={max}")]
    OutOfRange {
        /// The format being decoded.
        format: Format,
        /// The offending field.
        field: &'static str,
        /// Its byte offset.
        offset: usize,
        /// Smallest accepted value.
        min: u64,
        /// Largest accepted value.
        max: u64,
        /// The value found.
        found: u64,
    },
    /// The input does not start with the expected magic bytes.
    #[error("{format}: bad magic {found:02x?}, expected {expected:02x?}")]
    BadMagic {
        /// The format being decoded.
        format: Format,
        /// The magic this format starts with.
        expected: [u8; 4],
        /// The bytes found instead.
        found: [u8; 4],
    },
    /// The format version is not one this crate reads.
    #[error("{format}: unsupported version {found}, this crate reads version {supported}")]
    UnsupportedVersion {
        /// The format being decoded.
        format: Format,
        /// The version this crate reads.
        supported: u16,
        /// The version found.
        found: u16,
    },
    /// A checksum over the payload does not match the one stored in the header.
    #[error("{format}: CRC-32C of {section} is {found:#010x}, header says {expected:#010x}")]
    ChecksumMismatch {
        /// The format being decoded.
        format: Format,
        /// The checksummed section.
        section: &'static str,
        /// Checksum stored in the input.
        expected: u32,
        /// Checksum computed over the input.
        found: u32,
    },
    /// A sizing parameter given by the caller is invalid.
    #[error("invalid parameter {name} = {value}: {reason}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// The value given.
        value: f64,
        /// What a valid value looks like.
        reason: &'static str,
    },
    /// Shards given to a sharded filter disagree with each other or with the shard count.
    #[error("shard {index}: {reason}")]
    InconsistentShards {
        /// Index of the first offending shard.
        index: usize,
        /// What disagrees.
        reason: &'static str,
    },
}
