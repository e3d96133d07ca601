//! Size limits applied by every decoder before it reads untrusted bytes.

use crate::error::{ModelError, WireFormat};

/// Limits a decoder enforces on untrusted input.
///
/// The limit is on the encoded size: a decoder rejects larger input before parsing anything.
/// Decoded messages can take several times their encoded size in memory (an empty span costs
/// two bytes on the wire and a few hundred in memory), so servers should size the limit with
/// that in mind; the default matches a common gRPC receive limit.
///
/// ```
/// use otlp_model::Limits;
///
/// let limits = Limits::default().with_max_bytes(1 << 20);
/// assert_eq!(limits.max_bytes(), 1 << 20);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    max_bytes: usize,
}

impl Limits {
    /// The default size limit: 16 MiB.
    pub const DEFAULT_MAX_BYTES: usize = 16 << 20;

    /// Limits with the given maximum input size in bytes.
    pub const fn new(max_bytes: usize) -> Self {
        Self { max_bytes }
    }

    /// The same limits with another maximum input size.
    #[must_use]
    pub const fn with_max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// The maximum input size in bytes.
    pub const fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// Checks `len` against the size limit.
    ///
    /// # Errors
    ///
    /// [`ModelError::TooLarge`] naming `format`.
    pub fn check(&self, format: WireFormat, len: usize) -> Result<(), ModelError> {
        if len > self.max_bytes {
            return Err(ModelError::TooLarge {
                format,
                limit: self.max_bytes,
                found: len,
            });
        }
        Ok(())
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::new(Self::DEFAULT_MAX_BYTES)
    }
}
