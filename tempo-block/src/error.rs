//! The crate's error type.

/// Everything that can go wrong reading or writing a block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BlockError {
    /// The block's `meta.json` names an encoding this crate does not read.
    #[error("unsupported block version {found:?}; readable: vParquet4, vParquet5")]
    UnsupportedVersion {
        /// The `format` field of `meta.json`.
        found: String,
    },
}
