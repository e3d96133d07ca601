//! The crate's error type.

/// Everything that can go wrong reading or writing a chunk.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChunkError {
    /// The chunk does not start with Loki's magic number.
    #[error("bad chunk magic {found:#010x}, expected {expected:#010x}")]
    BadMagic {
        /// The magic every chunk starts with.
        expected: u32,
        /// The value found.
        found: u32,
    },
}
