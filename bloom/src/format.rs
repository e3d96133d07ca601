//! On-disk layouts of both filters, written down once.
//!
//! # Tempo bloom shard (`bloom-<i>` objects beside a block)
//!
//! The serialisation of a bits-and-blooms v3 filter, as Tempo writes it. All integers are
//! big-endian.
//!
//! ```text
//! offset  size        field
//! 0       8           m: number of bits in the filter
//! 8       8           k: number of hash locations per key
//! 16      8           bit length of the bitset (always equal to m)
//! 24      8 * W       W = ceil(m / 64) words, big-endian u64 each;
//!                     bit j lives in word j / 64 at bit position j % 64 (LSB = 0)
//! ```
//!
//! A default shard is `24 + 102_400 = 102_424` bytes. Tempo sizes every shard of a block the
//! same way: `m = shard_size_bytes * 8`, `k` derived from the whole block's estimated object
//! count, and the shard of an ID is `FNV-1 32-bit(id) mod shard_count`.
//!
//! # Split-block bloom filter (this project's own indexes)
//!
//! The block layout of Parquet's split-block bloom filter (256-bit blocks of eight 32-bit
//! words, one bit set per word, xxHash64 with seed 0), behind a small versioned header. All
//! integers are little-endian.
//!
//! ```text
//! offset  size        field
//! 0       4           magic "SBBF"
//! 4       2           format version (1)
//! 6       1           hash algorithm (0 = xxHash64, seed 0)
//! 7       1           reserved, 0
//! 8       4           number of 32-byte blocks B (1..=MAX_SBBF_BLOCKS)
//! 12      4           CRC-32C of the bitset bytes
//! 16      32 * B      blocks; each block is eight u32 words
//! ```

/// Size of a Tempo shard's header: `m`, `k` and the bitset length, each a big-endian u64.
pub const TEMPO_HEADER_LEN: usize = 24;
/// Offset of `m` (bits in the filter) in a Tempo shard.
pub const TEMPO_M_OFFSET: usize = 0;
/// Offset of `k` (hash locations per key) in a Tempo shard.
pub const TEMPO_K_OFFSET: usize = 8;
/// Offset of the bitset's length in bits in a Tempo shard.
pub const TEMPO_BITSET_LEN_OFFSET: usize = 16;
/// Bits per bitset word in a Tempo shard.
pub const TEMPO_WORD_BITS: u64 = 64;

/// Tempo's default false-positive rate (`bloom_filter_false_positive`).
pub const TEMPO_DEFAULT_FALSE_POSITIVE: f64 = 0.01;
/// Tempo's default shard size in bytes (`bloom_filter_shard_size_bytes`).
pub const TEMPO_DEFAULT_SHARD_SIZE_BYTES: u32 = 100 * 1024;
/// Tempo's upper bound on the number of shards per block.
pub const TEMPO_MAX_SHARD_COUNT: usize = 1000;
/// Largest `k` a shard may declare. Tempo derives `k = ceil(ln 2 * m / n)` for the whole block,
/// which is 7 at the default rate and stays far below this bound for any sane rate; the cap
/// bounds the work one lookup can be made to do by a hostile header.
pub const TEMPO_MAX_K: u64 = 1024;
/// Largest `m` (bits) a shard may declare: 1 GiB of bitset, far above Tempo's 100 KiB default.
pub const TEMPO_MAX_M_BITS: u64 = 8 << 30;

/// FNV-1 32-bit offset basis (Go `hash/fnv.New32`).
pub const FNV32_OFFSET_BASIS: u32 = 2_166_136_261;
/// FNV-1 32-bit prime.
pub const FNV32_PRIME: u32 = 16_777_619;

/// Magic bytes opening a serialised split-block bloom filter.
pub const SBBF_MAGIC: [u8; 4] = *b"SBBF";
/// The only split-block filter format version this crate reads and writes.
pub const SBBF_VERSION: u16 = 1;
/// Hash algorithm id for xxHash64 with seed 0.
pub const SBBF_HASH_XXH64: u8 = 0;
/// Size of the split-block filter's header.
pub const SBBF_HEADER_LEN: usize = 16;
/// Bytes in one split-block filter block (eight u32 words).
pub const SBBF_BLOCK_BYTES: usize = 32;
/// Largest number of blocks a split-block filter may have: 128 MiB of bitset, as Parquet caps it.
pub const SBBF_MAX_BLOCKS: u32 = (128 << 20) / 32;
/// The salt constants of the split-block filter (one per word of a block), as in Parquet.
pub const SBBF_SALT: [u32; 8] = [
    0x47b6_137b,
    0x4497_4d91,
    0x8824_ad5b,
    0xa2b7_289d,
    0x7054_95c7,
    0x2df1_424b,
    0x9efc_4947,
    0x5c6b_fb31,
];
