//! Grafana Tempo's sharded bloom filter, byte for byte.
//!
//! Tempo keeps one bloom filter per block, split into `bloom-<i>` objects ("shards") so that a
//! lookup fetches a single small object. Every shard has the same size and `k`; an ID lives in
//! shard `FNV-1 32-bit(id) mod shard_count`. Inside a shard, membership follows the
//! bits-and-blooms v3 scheme: two murmur3 x64-128 hashes (the second over the ID followed by
//! one `0x01` byte) combined by enhanced double hashing. The layout is in
//! [`crate::format`].
//!
//! * [`TempoBloomParams`] reproduces Tempo's sizing (total bits, `k`, shard count).
//! * [`ShardedBloom`] builds a block's shards and encodes them.
//! * [`ShardView`] tests membership directly over a shard's bytes without copying them.
//! * [`Shard`] is an owned, mutable shard (decode, insert, encode).
//! * [`TraceKey`] holds the hashes of one ID, so a lookup across many blocks hashes once.

use std::hash::Hasher as _;

use crate::error::{BloomError, Format};
use crate::format::{
    FNV32_OFFSET_BASIS, FNV32_PRIME, TEMPO_BITSET_LEN_OFFSET, TEMPO_DEFAULT_FALSE_POSITIVE,
    TEMPO_DEFAULT_SHARD_SIZE_BYTES, TEMPO_HEADER_LEN, TEMPO_K_OFFSET, TEMPO_M_OFFSET, TEMPO_MAX_K,
    TEMPO_MAX_M_BITS, TEMPO_MAX_SHARD_COUNT, TEMPO_WORD_BITS,
};

/// FNV-1 (not FNV-1a) 32-bit hash, as Go's `hash/fnv.New32` computes it.
///
/// Tempo picks a key's shard as `fnv1_32(id) % shard_count`.
///
/// ```
/// assert_eq!(bloom::tempo::fnv1_32(b""), 0x811c_9dc5);
/// assert_eq!(bloom::tempo::fnv1_32(b"a"), 0x050c_5d7e);
/// ```
#[inline]
pub fn fnv1_32(data: &[u8]) -> u32 {
    data.iter().fold(FNV32_OFFSET_BASIS, |h, &b| {
        h.wrapping_mul(FNV32_PRIME) ^ u32::from(b)
    })
}

/// The four base hashes of bits-and-blooms v3 for `data`.
///
/// `(h0, h1) = murmur3_x64_128(data)`, `(h2, h3) = murmur3_x64_128(data ++ [0x01])`, seed 0.
/// Both come from one pass over the key: 16-byte keys (trace IDs) take a fused path that
/// mixes the key's single murmur3 block once and finalises it twice; other lengths use the
/// streaming hasher, reading the first hash off before adding the `0x01` byte.
#[inline]
pub fn base_hashes(data: &[u8]) -> [u64; 4] {
    if let Ok(id) = <&[u8; 16]>::try_from(data) {
        return base_hashes_16(id);
    }
    let mut hasher = mur3::Hasher128::with_seed(0);
    hasher.write(data);
    let (h0, h1) = hasher.finish128();
    hasher.write(&[1]);
    let (h2, h3) = hasher.finish128();
    [h0, h1, h2, h3]
}

const MURMUR_C1: u64 = 0x87c3_7b91_1142_53d5;
const MURMUR_C2: u64 = 0x4cf5_ad43_2745_937f;

#[inline]
fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}

#[inline]
fn murmur_finish(mut h1: u64, mut h2: u64, len: u64) -> (u64, u64) {
    h1 ^= len;
    h2 ^= len;
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    h1 = fmix64(h1);
    h2 = fmix64(h2);
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    (h1, h2)
}

/// [`base_hashes`] of a 16-byte key: murmur3 x64-128 (seed 0) of the key, and of the key
/// followed by `0x01`, sharing the one block both inputs start with.
#[inline]
fn base_hashes_16(id: &[u8; 16]) -> [u64; 4] {
    let (lo, hi) = id.split_at(8);
    let mut k1 = u64::from_le_bytes(lo.try_into().unwrap_or_default());
    let mut k2 = u64::from_le_bytes(hi.try_into().unwrap_or_default());
    // The single 16-byte block, from seed 0.
    k1 = k1
        .wrapping_mul(MURMUR_C1)
        .rotate_left(31)
        .wrapping_mul(MURMUR_C2);
    let mut h1 = k1;
    h1 = h1.rotate_left(27).wrapping_mul(5).wrapping_add(0x52dc_e729);
    k2 = k2
        .wrapping_mul(MURMUR_C2)
        .rotate_left(33)
        .wrapping_mul(MURMUR_C1);
    let mut h2 = k2;
    h2 = h2
        .rotate_left(31)
        .wrapping_add(h1)
        .wrapping_mul(5)
        .wrapping_add(0x3849_5ab5);
    // First hash: no tail, length 16.
    let (a, b) = murmur_finish(h1, h2, 16);
    // Second hash: a one-byte tail 0x01, length 17.
    let tail = 1u64
        .wrapping_mul(MURMUR_C1)
        .rotate_left(31)
        .wrapping_mul(MURMUR_C2);
    let (c, d) = murmur_finish(h1 ^ tail, h2, 17);
    [a, b, c, d]
}

/// The `i`-th unreduced bit location of bits-and-blooms' enhanced double hashing.
///
/// The bit tested in a filter of `m` bits is `location(h, i) % m`.
#[inline]
pub fn location(h: &[u64; 4], i: u64) -> u64 {
    let a = h[(i % 2) as usize];
    let b = h[2 + (((i + (i % 2)) % 4) / 2) as usize];
    a.wrapping_add(i.wrapping_mul(b))
}

/// The hashes of one key (normally a 16-byte trace ID), computed once.
///
/// Looking an ID up in many blocks (as a trace-by-ID query does) only needs the shard token
/// and the base hashes, which do not depend on the block; compute them once with
/// [`TraceKey::new`] and pass the key to every block's shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceKey {
    token: u32,
    hashes: [u64; 4],
}

impl TraceKey {
    /// Hashes `id` (Tempo always passes the 16-byte, zero-padded trace ID).
    #[inline]
    pub fn new(id: &[u8]) -> Self {
        Self {
            token: fnv1_32(id),
            hashes: base_hashes(id),
        }
    }

    /// The FNV-1 32-bit token Tempo uses to pick the shard.
    pub fn token(&self) -> u32 {
        self.token
    }

    /// The shard this key belongs to when a block has `shard_count` shards.
    ///
    /// A `shard_count` of 0 is treated as 1.
    #[inline]
    pub fn shard_index(&self, shard_count: usize) -> usize {
        // Shard counts are at most 1000, so 32-bit arithmetic suffices (and a 32-bit division
        // is several times cheaper than a 64-bit one); larger counts take the wide path.
        match u32::try_from(shard_count.max(1)) {
            Ok(count) => (self.token % count) as usize,
            Err(_) => usize::try_from(self.token).unwrap_or(0) % shard_count,
        }
    }

    /// The bits-and-blooms base hashes.
    pub fn hashes(&self) -> &[u64; 4] {
        &self.hashes
    }

    /// The `k` unreduced locations of this key (before `mod m`), as bits-and-blooms computes them.
    pub fn locations(&self, k: u64) -> impl Iterator<Item = u64> + '_ {
        (0..k).map(|i| location(&self.hashes, i))
    }
}

/// Tempo's bloom sizing for one block.
///
/// From the false-positive rate `p`, the shard size in bytes and the estimated object count `n`:
///
/// ```text
/// total bits = ceil(-n ln p / (ln 2)^2)
/// k          = ceil(ln 2 * total bits / n)
/// shards     = clamp(ceil(total bits / (shard bytes * 8)), 1, 1000)
/// ```
///
/// and every shard has `shard bytes * 8` bits and the same `k`.
///
/// ```
/// use bloom::tempo::TempoBloomParams;
/// let p = TempoBloomParams::new(0.01, 102_400, 1000)?;
/// assert_eq!((p.total_bits(), p.k(), p.shard_count()), (9586, 7, 1));
/// let small = TempoBloomParams::new(0.01, 512, 1000)?;
/// assert_eq!(small.shard_count(), 3);
/// # Ok::<(), bloom::BloomError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TempoBloomParams {
    false_positive: f64,
    shard_size_bytes: u32,
    estimated_objects: u64,
    total_bits: u64,
    k: u64,
    shard_count: usize,
}

impl TempoBloomParams {
    /// Sizes a block's filter as Tempo does.
    ///
    /// An `estimated_objects` of 0 is sized as 1 (Tempo's arithmetic has no defined result
    /// for an empty block).
    ///
    /// # Errors
    ///
    /// [`BloomError::InvalidParameter`] when `false_positive` is not in `(0, 1)`,
    /// `shard_size_bytes` is 0 or above 1 GiB, or the rate needs more than
    /// [`TEMPO_MAX_K`] hash locations.
    pub fn new(
        false_positive: f64,
        shard_size_bytes: u32,
        estimated_objects: u64,
    ) -> Result<Self, BloomError> {
        if !(false_positive > 0.0 && false_positive < 1.0) {
            return Err(BloomError::InvalidParameter {
                name: "false_positive",
                value: false_positive,
                reason: "must be strictly between 0 and 1",
            });
        }
        if shard_size_bytes == 0 || u64::from(shard_size_bytes) * 8 > TEMPO_MAX_M_BITS {
            return Err(BloomError::InvalidParameter {
                name: "shard_size_bytes",
                value: f64::from(shard_size_bytes),
                reason: "must be between 1 and 1 GiB",
            });
        }
        let n = estimated_objects.max(1);
        #[allow(clippy::cast_precision_loss)] // object counts are far below 2^52
        let nf = n as f64;
        let ln2 = std::f64::consts::LN_2;
        let total_bits = float_to_u64((-nf * false_positive.ln() / (ln2 * ln2)).ceil());
        #[allow(clippy::cast_precision_loss)] // bit counts are far below 2^52
        let k = float_to_u64((ln2 * total_bits as f64 / nf).ceil()).max(1);
        if k > TEMPO_MAX_K {
            return Err(BloomError::InvalidParameter {
                name: "false_positive",
                value: false_positive,
                reason: "needs more than 1024 hash locations per key",
            });
        }
        let shard_bits = u64::from(shard_size_bytes) * 8;
        let shard_count = usize::try_from(total_bits.div_ceil(shard_bits))
            .unwrap_or(usize::MAX)
            .clamp(1, TEMPO_MAX_SHARD_COUNT);
        Ok(Self {
            false_positive,
            shard_size_bytes,
            estimated_objects,
            total_bits,
            k,
            shard_count,
        })
    }

    /// Tempo's defaults (rate 0.01, 100 KiB shards) for `estimated_objects` objects.
    pub fn with_defaults(estimated_objects: u64) -> Self {
        // The defaults are valid, so this cannot fail; fall back to one-object sizing anyway.
        Self::new(
            TEMPO_DEFAULT_FALSE_POSITIVE,
            TEMPO_DEFAULT_SHARD_SIZE_BYTES,
            estimated_objects,
        )
        .unwrap_or(Self {
            false_positive: TEMPO_DEFAULT_FALSE_POSITIVE,
            shard_size_bytes: TEMPO_DEFAULT_SHARD_SIZE_BYTES,
            estimated_objects,
            total_bits: 10,
            k: 7,
            shard_count: 1,
        })
    }

    /// The configured false-positive rate.
    pub fn false_positive(&self) -> f64 {
        self.false_positive
    }

    /// The configured shard size in bytes (the bitset; the header adds 24).
    pub fn shard_size_bytes(&self) -> u32 {
        self.shard_size_bytes
    }

    /// The estimated object count the filter was sized for.
    pub fn estimated_objects(&self) -> u64 {
        self.estimated_objects
    }

    /// Bits the whole block's filter would need (used only to derive `k` and the shard count).
    pub fn total_bits(&self) -> u64 {
        self.total_bits
    }

    /// Hash locations per key, shared by all shards.
    pub fn k(&self) -> u64 {
        self.k
    }

    /// Number of shards (1..=1000).
    pub fn shard_count(&self) -> usize {
        self.shard_count
    }

    /// Bits in each shard: `shard_size_bytes * 8`.
    pub fn shard_bits(&self) -> u64 {
        u64::from(self.shard_size_bytes) * 8
    }
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // saturating by design
fn float_to_u64(x: f64) -> u64 {
    // `as` saturates: NaN -> 0, negatives -> 0, too large -> u64::MAX.
    x as u64
}

/// Checked view of a shard's header: `(m, k, words)` where `words` is the bitset's word count.
fn parse_header(bytes: &[u8]) -> Result<(u64, u64, usize), BloomError> {
    let format = Format::TempoShard;
    let header: &[u8; TEMPO_HEADER_LEN] = bytes.first_chunk().ok_or(BloomError::TooShort {
        format,
        needed: TEMPO_HEADER_LEN,
        found: bytes.len(),
    })?;
    let field = |offset: usize| {
        let mut word = [0u8; 8];
        word.copy_from_slice(&header[offset..offset + 8]);
        u64::from_be_bytes(word)
    };
    let (m, k, bit_len) = (
        field(TEMPO_M_OFFSET),
        field(TEMPO_K_OFFSET),
        field(TEMPO_BITSET_LEN_OFFSET),
    );
    if !(1..=TEMPO_MAX_M_BITS).contains(&m) {
        return Err(BloomError::OutOfRange {
            format,
            field: "m",
            offset: TEMPO_M_OFFSET,
            min: 1,
            max: TEMPO_MAX_M_BITS,
            found: m,
        });
    }
    if !(1..=TEMPO_MAX_K).contains(&k) {
        return Err(BloomError::OutOfRange {
            format,
            field: "k",
            offset: TEMPO_K_OFFSET,
            min: 1,
            max: TEMPO_MAX_K,
            found: k,
        });
    }
    if bit_len != m {
        return Err(BloomError::HeaderMismatch {
            format,
            field: "bitset length",
            offset: TEMPO_BITSET_LEN_OFFSET,
            expected: m,
            found: bit_len,
        });
    }
    let words = m.div_ceil(TEMPO_WORD_BITS);
    let expected_len = TEMPO_HEADER_LEN as u64 + words * 8;
    if bytes.len() as u64 != expected_len {
        return Err(BloomError::LengthMismatch {
            format,
            expected: expected_len,
            found: bytes.len() as u64,
        });
    }
    // `words * 8 + 24 == bytes.len()`, so `words` fits in usize.
    Ok((m, k, usize::try_from(words).unwrap_or(usize::MAX)))
}

/// Zero-copy view of one encoded Tempo shard.
///
/// [`ShardView::parse`] checks the header and length once; [`ShardView::contains`] then reads
/// `k` bytes of the bitset in place. `B` is any byte container: `&[u8]`, `Vec<u8>`,
/// [`bytes::Bytes`] (as fetched from object storage) and so on.
///
/// ```
/// use bloom::tempo::{ShardedBloom, ShardView, TempoBloomParams};
/// let mut filter = ShardedBloom::new(TempoBloomParams::new(0.01, 512, 100)?);
/// let id = [7u8; 16];
/// filter.insert(&id);
/// let encoded = filter.encode_shard(filter.shard_of(&id));
/// let view = ShardView::parse(encoded.as_slice())?;
/// assert!(view.contains(&id));
/// # Ok::<(), bloom::BloomError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ShardView<B> {
    bytes: B,
    m: u64,
    k: u64,
}

impl<B: AsRef<[u8]>> ShardView<B> {
    /// Checks the header and length of an encoded shard without copying its bitset.
    ///
    /// # Errors
    ///
    /// [`BloomError::TooShort`], [`BloomError::OutOfRange`] (`m` or `k`),
    /// [`BloomError::HeaderMismatch`] (bitset length differs from `m`) or
    /// [`BloomError::LengthMismatch`] (the bitset is not exactly `ceil(m/64)` words).
    pub fn parse(bytes: B) -> Result<Self, BloomError> {
        let (m, k, _) = parse_header(bytes.as_ref())?;
        Ok(Self { bytes, m, k })
    }

    /// Bits in the shard.
    pub fn m(&self) -> u64 {
        self.m
    }

    /// Hash locations per key.
    pub fn k(&self) -> u64 {
        self.k
    }

    /// Whether `id` may be in the shard (no false negatives).
    #[inline]
    pub fn contains(&self, id: &[u8]) -> bool {
        self.contains_key(&TraceKey::new(id))
    }

    /// Whether a pre-hashed key may be in the shard.
    #[inline]
    pub fn contains_key(&self, key: &TraceKey) -> bool {
        let bitset = self.bytes.as_ref().get(TEMPO_HEADER_LEN..).unwrap_or(&[]);
        (0..self.k).all(|i| {
            let bit = location(&key.hashes, i) % self.m;
            // Bit j is bit j % 64 of big-endian word j / 64, i.e. bit j % 8 of byte
            // 8 * (j / 64) + 7 - (j % 64) / 8.
            let byte = (bit / 64) * 8 + 7 - (bit % 64) / 8;
            usize::try_from(byte)
                .ok()
                .and_then(|b| bitset.get(b))
                .is_some_and(|&v| v & (1 << (bit % 8)) != 0)
        })
    }

    /// The underlying bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.as_ref()
    }

    /// Copies the bitset into an owned, mutable [`Shard`].
    pub fn to_shard(&self) -> Shard {
        let words = self
            .bytes
            .as_ref()
            .get(TEMPO_HEADER_LEN..)
            .unwrap_or(&[])
            .chunks_exact(8)
            .map(|w| {
                let mut word = [0u8; 8];
                word.copy_from_slice(w);
                u64::from_be_bytes(word)
            })
            .collect();
        Shard {
            m: self.m,
            k: self.k,
            words,
        }
    }
}

/// One owned Tempo shard: a bits-and-blooms filter of `m` bits and `k` locations per key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shard {
    m: u64,
    k: u64,
    words: Vec<u64>,
}

impl Shard {
    /// An empty shard of `m` bits and `k` locations (both at least 1, as bits-and-blooms does).
    ///
    /// # Errors
    ///
    /// [`BloomError::InvalidParameter`] when `m` exceeds [`TEMPO_MAX_M_BITS`] or `k` exceeds
    /// [`TEMPO_MAX_K`].
    pub fn new(m: u64, k: u64) -> Result<Self, BloomError> {
        let (m, k) = (m.max(1), k.max(1));
        if m > TEMPO_MAX_M_BITS {
            #[allow(clippy::cast_precision_loss)] // reporting only
            return Err(BloomError::InvalidParameter {
                name: "m",
                value: m as f64,
                reason: "must be at most 8 GiBit",
            });
        }
        if k > TEMPO_MAX_K {
            #[allow(clippy::cast_precision_loss)] // reporting only
            return Err(BloomError::InvalidParameter {
                name: "k",
                value: k as f64,
                reason: "must be at most 1024",
            });
        }
        let words = usize::try_from(m.div_ceil(TEMPO_WORD_BITS)).unwrap_or(usize::MAX);
        Ok(Self {
            m,
            k,
            words: vec![0; words],
        })
    }

    /// Decodes an encoded shard into an owned, mutable one (copies the bitset).
    ///
    /// # Errors
    ///
    /// As [`ShardView::parse`].
    pub fn decode(bytes: &[u8]) -> Result<Self, BloomError> {
        Ok(ShardView::parse(bytes)?.to_shard())
    }

    /// Bits in the shard.
    pub fn m(&self) -> u64 {
        self.m
    }

    /// Hash locations per key.
    pub fn k(&self) -> u64 {
        self.k
    }

    /// Adds a pre-hashed key.
    #[inline]
    pub fn insert_key(&mut self, key: &TraceKey) {
        for i in 0..self.k {
            let bit = location(&key.hashes, i) % self.m;
            if let Some(w) = usize::try_from(bit / 64)
                .ok()
                .and_then(|w| self.words.get_mut(w))
            {
                *w |= 1 << (bit % 64);
            }
        }
    }

    /// Adds `id`.
    pub fn insert(&mut self, id: &[u8]) {
        self.insert_key(&TraceKey::new(id));
    }

    /// Whether a pre-hashed key may be in the shard.
    #[inline]
    pub fn contains_key(&self, key: &TraceKey) -> bool {
        (0..self.k).all(|i| {
            let bit = location(&key.hashes, i) % self.m;
            usize::try_from(bit / 64)
                .ok()
                .and_then(|w| self.words.get(w))
                .is_some_and(|w| w & (1 << (bit % 64)) != 0)
        })
    }

    /// Whether `id` may be in the shard.
    pub fn contains(&self, id: &[u8]) -> bool {
        self.contains_key(&TraceKey::new(id))
    }

    /// Size of the encoded shard in bytes.
    pub fn encoded_len(&self) -> usize {
        TEMPO_HEADER_LEN + self.words.len() * 8
    }

    /// Appends the encoded shard (Tempo's `bloom-<i>` bytes) to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.reserve(self.encoded_len());
        out.extend_from_slice(&self.m.to_be_bytes());
        out.extend_from_slice(&self.k.to_be_bytes());
        out.extend_from_slice(&self.m.to_be_bytes());
        for w in &self.words {
            out.extend_from_slice(&w.to_be_bytes());
        }
    }

    /// The encoded shard.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode_into(&mut out);
        out
    }
}

/// A block's whole bloom filter: `shard_count` shards of equal size and `k`.
///
/// ```
/// use bloom::tempo::{ShardedBloom, TempoBloomParams};
/// let mut filter = ShardedBloom::new(TempoBloomParams::with_defaults(3));
/// filter.insert(&[1u8; 16]);
/// assert!(filter.contains(&[1u8; 16]));
/// let objects: Vec<Vec<u8>> = filter.encode_shards(); // bloom-0, bloom-1, ...
/// assert_eq!(objects[0].len(), 24 + 102_400);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardedBloom {
    shards: Vec<Shard>,
}

impl ShardedBloom {
    /// Empty shards sized by `params` (which [`TempoBloomParams::new`] has checked against the
    /// shard limits, so every shard gets exactly the requested `m` and `k`).
    pub fn new(params: TempoBloomParams) -> Self {
        let shard = Shard::new(params.shard_bits(), params.k()).unwrap_or_else(|_| Shard {
            m: 1,
            k: 1,
            words: vec![0],
        });
        Self {
            shards: vec![shard; params.shard_count()],
        }
    }

    /// Reassembles a filter from decoded shards (in `bloom-0, bloom-1, ...` order).
    ///
    /// # Errors
    ///
    /// [`BloomError::InconsistentShards`] when there are no shards, more than 1000, or when the
    /// shards differ in `m` or `k`.
    pub fn from_shards(shards: Vec<Shard>) -> Result<Self, BloomError> {
        let Some(first) = shards.first() else {
            return Err(BloomError::InconsistentShards {
                index: 0,
                reason: "a filter has at least one shard",
            });
        };
        if shards.len() > TEMPO_MAX_SHARD_COUNT {
            return Err(BloomError::InconsistentShards {
                index: TEMPO_MAX_SHARD_COUNT,
                reason: "a filter has at most 1000 shards",
            });
        }
        if let Some(index) = shards.iter().position(|s| s.m != first.m || s.k != first.k) {
            return Err(BloomError::InconsistentShards {
                index,
                reason: "m or k differs from shard 0",
            });
        }
        Ok(Self { shards })
    }

    /// Number of shards.
    pub fn shard_count(&self) -> usize {
        self.shards.len()
    }

    /// The shard `id` belongs to.
    pub fn shard_of(&self, id: &[u8]) -> usize {
        TraceKey::new(id).shard_index(self.shards.len())
    }

    /// The shards, in `bloom-<i>` order.
    pub fn shards(&self) -> &[Shard] {
        &self.shards
    }

    /// Adds a pre-hashed key to its shard.
    #[inline]
    pub fn insert_key(&mut self, key: &TraceKey) {
        let index = key.shard_index(self.shards.len());
        if let Some(shard) = self.shards.get_mut(index) {
            shard.insert_key(key);
        }
    }

    /// Adds `id` to its shard.
    pub fn insert(&mut self, id: &[u8]) {
        self.insert_key(&TraceKey::new(id));
    }

    /// Whether a pre-hashed key may be in the filter.
    #[inline]
    pub fn contains_key(&self, key: &TraceKey) -> bool {
        self.shards
            .get(key.shard_index(self.shards.len()))
            .is_some_and(|s| s.contains_key(key))
    }

    /// Whether `id` may be in the filter (no false negatives).
    pub fn contains(&self, id: &[u8]) -> bool {
        self.contains_key(&TraceKey::new(id))
    }

    /// Encodes shard `index` (the bytes of `bloom-<index>`); empty if `index` is out of range.
    pub fn encode_shard(&self, index: usize) -> Vec<u8> {
        self.shards
            .get(index)
            .map(Shard::encode)
            .unwrap_or_default()
    }

    /// Encodes every shard, in `bloom-<i>` order.
    pub fn encode_shards(&self) -> Vec<Vec<u8>> {
        self.shards.iter().map(Shard::encode).collect()
    }
}

/// The object name of shard `index` beside a block: `bloom-<index>`.
pub fn shard_object_name(index: usize) -> String {
    format!("bloom-{index}")
}

#[cfg(test)]
mod tests;
