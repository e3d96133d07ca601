//! Split-block bloom filter (SBBF) for this project's own indexes.
//!
//! The block layout of Parquet's split-block filter: the filter is an array of 256-bit
//! blocks, each of eight 32-bit words. A key's xxHash64 picks one block (upper 32 bits) and,
//! through eight salts, one bit in each of the block's words (lower 32 bits). A lookup touches
//! one 32-byte block — one cache line — whatever the false-positive rate, which is why it is
//! faster than a classic filter with `k` scattered probes.
//!
//! Unlike Parquet, the number of blocks is not rounded to a power of two: it is the smallest
//! count whose predicted false-positive rate (with the per-block load modelled as Poisson) is
//! at most the requested one, so the measured rate lands close to the target instead of up to
//! twice below it at twice the size.
//!
//! The serialised form has a versioned header and a CRC-32C of the bitset; see
//! [`crate::format`].

use crate::error::{BloomError, Format};
use crate::format::{
    SBBF_BLOCK_BYTES, SBBF_HASH_XXH64, SBBF_HEADER_LEN, SBBF_MAGIC, SBBF_MAX_BLOCKS, SBBF_SALT,
    SBBF_VERSION,
};

type Block = [u32; 8];

/// A split-block bloom filter.
///
/// ```
/// use bloom::Sbbf;
/// let mut filter = Sbbf::with_ndv_fpp(10_000, 0.01)?;
/// filter.insert(b"trace-1");
/// assert!(filter.contains(b"trace-1"));
/// let bytes = filter.to_bytes();
/// let back = Sbbf::from_bytes(&bytes)?;
/// assert!(back.contains(b"trace-1"));
/// # Ok::<(), bloom::BloomError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sbbf {
    blocks: Vec<Block>,
}

/// Mask with one bit set in each word, derived from the lower 32 bits of the key hash.
#[inline]
fn block_mask(hash: u32) -> Block {
    let mut mask = [0u32; 8];
    for (m, salt) in mask.iter_mut().zip(SBBF_SALT) {
        *m = 1 << (hash.wrapping_mul(salt) >> 27);
    }
    mask
}

/// Predicted false-positive rate of `blocks` blocks holding `ndv` distinct keys.
///
/// The load of a block is Poisson with mean `ndv / blocks`; a block holding `j` keys answers a
/// miss positively with probability `(1 - (31/32)^j)^8`.
fn predicted_fpp(ndv: u64, blocks: u64) -> f64 {
    if ndv == 0 {
        return 0.0;
    }
    #[allow(clippy::cast_precision_loss)] // counts far below 2^52
    let lambda = ndv as f64 / blocks as f64;
    // Sum the Poisson terms outward from the mode until they stop contributing.
    let word_miss = 31.0_f64 / 32.0;
    let term_fp = |j: f64| (1.0 - word_miss.powf(j)).powi(8);
    let ln_pmf = |j: f64| -lambda + j * lambda.ln() - ln_factorial(j);
    let mode = lambda.floor();
    let mut total = 0.0;
    let mut j = mode;
    loop {
        let p = ln_pmf(j).exp();
        total += p * term_fp(j);
        if (p < 1e-12 && j > mode) || j > mode + 10_000.0 {
            break;
        }
        j += 1.0;
    }
    let mut j = mode - 1.0;
    while j >= 0.0 {
        let p = ln_pmf(j).exp();
        total += p * term_fp(j);
        if p < 1e-12 {
            break;
        }
        j -= 1.0;
    }
    total
}

/// `ln(j!)` by Stirling's series (exact enough for the Poisson weights above).
fn ln_factorial(j: f64) -> f64 {
    if j < 2.0 {
        return 0.0;
    }
    if j < 20.0 {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // 2 <= j < 20
        return (2..=j as u32).map(|i| f64::from(i).ln()).sum();
    }
    let x = j + 1.0;
    (x - 0.5) * x.ln() - x + 0.5 * (2.0 * std::f64::consts::PI).ln() + 1.0 / (12.0 * x)
        - 1.0 / (360.0 * x * x * x)
}

impl Sbbf {
    /// An empty filter of `num_blocks` 32-byte blocks (at least 1).
    ///
    /// # Errors
    ///
    /// [`BloomError::InvalidParameter`] when `num_blocks` exceeds the 128 MiB cap.
    pub fn with_num_blocks(num_blocks: u32) -> Result<Self, BloomError> {
        if num_blocks > SBBF_MAX_BLOCKS {
            return Err(BloomError::InvalidParameter {
                name: "num_blocks",
                value: f64::from(num_blocks),
                reason: "must be at most 4194304 (128 MiB)",
            });
        }
        Ok(Self {
            blocks: vec![[0; 8]; num_blocks.max(1) as usize],
        })
    }

    /// The smallest filter whose predicted false-positive rate for `ndv` distinct keys is at
    /// most `fpp`.
    ///
    /// # Errors
    ///
    /// [`BloomError::InvalidParameter`] when `fpp` is not in `(0, 1)` or the filter would
    /// exceed 128 MiB.
    pub fn with_ndv_fpp(ndv: u64, fpp: f64) -> Result<Self, BloomError> {
        Self::with_num_blocks(Self::num_blocks_for(ndv, fpp)?)
    }

    /// The number of blocks [`Sbbf::with_ndv_fpp`] would allocate.
    ///
    /// # Errors
    ///
    /// As [`Sbbf::with_ndv_fpp`].
    pub fn num_blocks_for(ndv: u64, fpp: f64) -> Result<u32, BloomError> {
        if !(fpp > 0.0 && fpp < 1.0) {
            return Err(BloomError::InvalidParameter {
                name: "fpp",
                value: fpp,
                reason: "must be strictly between 0 and 1",
            });
        }
        let max = u64::from(SBBF_MAX_BLOCKS);
        if predicted_fpp(ndv, max) > fpp {
            #[allow(clippy::cast_precision_loss)] // reporting only
            return Err(BloomError::InvalidParameter {
                name: "ndv",
                value: ndv as f64,
                reason: "needs more than 128 MiB at this false-positive rate",
            });
        }
        // The predicted rate falls as blocks are added: binary search the smallest count.
        let (mut lo, mut hi) = (1u64, max);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if predicted_fpp(ndv, mid) <= fpp {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        Ok(u32::try_from(lo).unwrap_or(SBBF_MAX_BLOCKS))
    }

    /// Number of 32-byte blocks.
    pub fn num_blocks(&self) -> usize {
        self.blocks.len()
    }

    /// Size of the bitset in bytes.
    pub fn bitset_len(&self) -> usize {
        self.blocks.len() * SBBF_BLOCK_BYTES
    }

    /// The predicted false-positive rate after inserting `ndv` distinct keys.
    pub fn predicted_fpp(&self, ndv: u64) -> f64 {
        predicted_fpp(ndv, self.blocks.len() as u64)
    }

    /// The hash this filter uses for `key`: xxHash64 with seed 0.
    #[inline]
    pub fn hash(key: &[u8]) -> u64 {
        xxhash_rust::xxh64::xxh64(key, 0)
    }

    #[inline]
    fn block_index(&self, hash: u64) -> usize {
        // Multiply-shift maps the upper 32 bits uniformly onto 0..blocks (Parquet's choice).
        let index = ((hash >> 32) * self.blocks.len() as u64) >> 32;
        usize::try_from(index).unwrap_or(0)
    }

    /// Inserts a key by its [`Sbbf::hash`].
    #[inline]
    pub fn insert_hash(&mut self, hash: u64) {
        let index = self.block_index(hash);
        #[allow(clippy::cast_possible_truncation)] // the lower 32 bits pick the bits
        let mask = block_mask(hash as u32);
        if let Some(block) = self.blocks.get_mut(index) {
            for (word, bit) in block.iter_mut().zip(mask) {
                *word |= bit;
            }
        }
    }

    /// Inserts `key`.
    pub fn insert(&mut self, key: &[u8]) {
        self.insert_hash(Self::hash(key));
    }

    /// Whether a key with this [`Sbbf::hash`] may be present.
    #[inline]
    pub fn contains_hash(&self, hash: u64) -> bool {
        #[allow(clippy::cast_possible_truncation)] // the lower 32 bits pick the bits
        let mask = block_mask(hash as u32);
        self.blocks
            .get(self.block_index(hash))
            .is_some_and(|block| block.iter().zip(mask).all(|(w, bit)| w & bit != 0))
    }

    /// Whether `key` may be present (no false negatives).
    pub fn contains(&self, key: &[u8]) -> bool {
        self.contains_hash(Self::hash(key))
    }

    /// Serialises the filter (header, then the blocks).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bitset = Vec::with_capacity(self.bitset_len());
        for word in self.blocks.iter().flatten() {
            bitset.extend_from_slice(&word.to_le_bytes());
        }
        let mut out = Vec::with_capacity(SBBF_HEADER_LEN + bitset.len());
        out.extend_from_slice(&SBBF_MAGIC);
        out.extend_from_slice(&SBBF_VERSION.to_le_bytes());
        out.push(SBBF_HASH_XXH64);
        out.push(0);
        let blocks = u32::try_from(self.blocks.len()).unwrap_or(SBBF_MAX_BLOCKS);
        out.extend_from_slice(&blocks.to_le_bytes());
        out.extend_from_slice(&crc32c::crc32c(&bitset).to_le_bytes());
        out.extend_from_slice(&bitset);
        out
    }

    /// Decodes a serialised filter, checking length, magic, version, hash id, block count and
    /// checksum in that order.
    ///
    /// # Errors
    ///
    /// [`BloomError::TooShort`], [`BloomError::BadMagic`], [`BloomError::UnsupportedVersion`],
    /// [`BloomError::OutOfRange`] (hash algorithm, reserved byte or block count),
    /// [`BloomError::LengthMismatch`] or [`BloomError::ChecksumMismatch`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BloomError> {
        let format = Format::SplitBlock;
        let (header, bitset) =
            bytes
                .split_first_chunk::<SBBF_HEADER_LEN>()
                .ok_or(BloomError::TooShort {
                    format,
                    needed: SBBF_HEADER_LEN,
                    found: bytes.len(),
                })?;
        let [
            m0,
            m1,
            m2,
            m3,
            v0,
            v1,
            hash_id,
            reserved,
            b0,
            b1,
            b2,
            b3,
            c0,
            c1,
            c2,
            c3,
        ] = *header;
        if [m0, m1, m2, m3] != SBBF_MAGIC {
            return Err(BloomError::BadMagic {
                format,
                expected: SBBF_MAGIC,
                found: [m0, m1, m2, m3],
            });
        }
        let version = u16::from_le_bytes([v0, v1]);
        if version != SBBF_VERSION {
            return Err(BloomError::UnsupportedVersion {
                format,
                supported: SBBF_VERSION,
                found: version,
            });
        }
        for (field, offset, value) in [("hash algorithm", 6, hash_id), ("reserved", 7, reserved)] {
            if value != 0 {
                return Err(BloomError::OutOfRange {
                    format,
                    field,
                    offset,
                    min: 0,
                    max: 0,
                    found: u64::from(value),
                });
            }
        }
        let blocks = u32::from_le_bytes([b0, b1, b2, b3]);
        if !(1..=SBBF_MAX_BLOCKS).contains(&blocks) {
            return Err(BloomError::OutOfRange {
                format,
                field: "block count",
                offset: 8,
                min: 1,
                max: u64::from(SBBF_MAX_BLOCKS),
                found: u64::from(blocks),
            });
        }
        let expected_len = SBBF_HEADER_LEN as u64 + u64::from(blocks) * SBBF_BLOCK_BYTES as u64;
        if bytes.len() as u64 != expected_len {
            return Err(BloomError::LengthMismatch {
                format,
                expected: expected_len,
                found: bytes.len() as u64,
            });
        }
        let stored = u32::from_le_bytes([c0, c1, c2, c3]);
        let computed = crc32c::crc32c(bitset);
        if stored != computed {
            return Err(BloomError::ChecksumMismatch {
                format,
                section: "bitset",
                expected: stored,
                found: computed,
            });
        }
        let blocks = bitset
            .chunks_exact(SBBF_BLOCK_BYTES)
            .map(|chunk| {
                let mut block = [0u32; 8];
                for (word, bytes) in block.iter_mut().zip(chunk.chunks_exact(4)) {
                    let mut le = [0u8; 4];
                    le.copy_from_slice(bytes);
                    *word = u32::from_le_bytes(le);
                }
                block
            })
            .collect();
        Ok(Self { blocks })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicted_rate_falls_with_size() {
        let a = predicted_fpp(10_000, 100);
        let b = predicted_fpp(10_000, 1000);
        assert!(a > b, "{a} <= {b}");
        assert!(predicted_fpp(0, 1) == 0.0);
    }

    #[test]
    fn sizing_is_minimal() {
        let blocks = Sbbf::num_blocks_for(50_000, 0.01).unwrap();
        assert!(predicted_fpp(50_000, u64::from(blocks)) <= 0.01);
        assert!(predicted_fpp(50_000, u64::from(blocks) - 1) > 0.01);
    }

    #[test]
    fn decode_rejects_each_header_fault_in_order() {
        let mut f = Sbbf::with_num_blocks(2).unwrap();
        f.insert(b"x");
        let good = f.to_bytes();
        assert_eq!(Sbbf::from_bytes(&good).unwrap(), f);

        let mut bad = good.clone();
        bad[0] = b'X';
        assert!(matches!(
            Sbbf::from_bytes(&bad),
            Err(BloomError::BadMagic { .. })
        ));
        let mut bad = good.clone();
        bad[4] = 2;
        assert!(matches!(
            Sbbf::from_bytes(&bad),
            Err(BloomError::UnsupportedVersion { found: 2, .. })
        ));
        let mut bad = good.clone();
        bad[6] = 1;
        assert!(matches!(
            Sbbf::from_bytes(&bad),
            Err(BloomError::OutOfRange {
                field: "hash algorithm",
                offset: 6,
                ..
            })
        ));
        let mut bad = good.clone();
        bad[8] = 0;
        assert!(matches!(
            Sbbf::from_bytes(&bad),
            Err(BloomError::OutOfRange {
                field: "block count",
                found: 0,
                ..
            })
        ));
        let mut bad = good.clone();
        bad[8] = 3;
        assert!(matches!(
            Sbbf::from_bytes(&bad),
            Err(BloomError::LengthMismatch {
                expected: 112,
                found: 80,
                ..
            })
        ));
        let mut bad = good.clone();
        bad[20] ^= 0x10;
        assert!(matches!(
            Sbbf::from_bytes(&bad),
            Err(BloomError::ChecksumMismatch {
                section: "bitset",
                ..
            })
        ));
        assert!(matches!(
            Sbbf::from_bytes(&good[..5]),
            Err(BloomError::TooShort {
                needed: 16,
                found: 5,
                ..
            })
        ));
    }
}
