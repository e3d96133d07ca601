//! The crate's error type.

/// Everything that can go wrong decoding or converting trace data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// A hex ID is longer than its type allows.
    #[error("ID has {found} hex digits, at most {max_hex} allowed")]
    IdTooLong {
        /// The most hex digits the ID type takes.
        max_hex: usize,
        /// Hex digits given.
        found: usize,
    },
}
