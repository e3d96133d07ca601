//! The values of a column chunk, per physical type, for [`super::chunk::ChunkWriter`]: how
//! they are encoded into pages, bounded and compared — each the way the Parquet crate's
//! column value encoder does it (`ColumnValueEncoderImpl`, its dictionary, PLAIN,
//! DELTA_BINARY_PACKED and DELTA_LENGTH_BYTE_ARRAY encoders, and its statistics rules).

use std::cmp::Ordering;

use parquet::basic::{ConvertedType, Encoding, LogicalType};
use parquet::data_type::ByteArray;
use parquet::file::statistics::{Statistics, ValueStatistics};
use parquet::schema::types::ColumnDescriptor;

use super::encode::{DeltaBitPack, RleEncoder, bit_width};

/// A page's encoded values as [`Encode::take_page`] returns them: their encoding, bounds
/// (minimum, maximum) and bytes of byte-array values.
pub(super) type PageValues<B> = (Encoding, Option<(B, B)>, Option<i64>);

/// A column chunk's values as [`super::chunk::ChunkWriter`] needs them.
pub(super) trait Encode {
    /// The staged values of one feed.
    type Input<'v>: Copy;
    /// A bound (minimum or maximum) of a page or chunk.
    type Bound: Clone;

    fn input_len(input: Self::Input<'_>) -> usize;
    /// Bytes per value of a fixed-width type (`None` for byte arrays).
    fn fixed_width(&self) -> Option<usize>;
    /// PLAIN bytes of value `i` (for the crate's byte budget of variable-width values).
    fn plain_size(input: Self::Input<'_>, i: usize) -> usize;
    /// The dictionary's PLAIN size while there is a dictionary.
    fn dict_size(&self) -> Option<usize>;
    /// Encodes values `start..start + count` into the page, with their bounds and bytes.
    fn put(&mut self, input: Self::Input<'_>, start: usize, count: usize);
    /// The crate's estimate of the page's encoded values.
    fn estimated_size(&self) -> usize;
    /// Appends the page's encoded values to `out` and starts a new page; returns their
    /// encoding, bounds and value bytes (`variable_length_bytes`).
    fn take_page(&mut self, out: &mut Vec<u8>) -> PageValues<Self::Bound>;
    /// Ends the dictionary: its PLAIN page and entry count.
    fn take_dictionary(&mut self) -> Option<(Vec<u8>, usize)>;
    /// The crate's `compare_greater`.
    fn greater(&self, a: &Self::Bound, b: &Self::Bound) -> bool;
    /// A data page header's statistics (the crate's, truncated as it truncates them).
    fn page_statistics(&self, lo: Self::Bound, hi: Self::Bound, nulls: u64) -> Statistics;
    /// The chunk's statistics.
    fn chunk_statistics(
        &self,
        lo: Option<Self::Bound>,
        hi: Option<Self::Bound>,
        nulls: u64,
    ) -> Statistics;
    /// A page's column index bounds (truncated for byte arrays).
    fn index_bounds(&self, lo: &Self::Bound, hi: &Self::Bound) -> (Vec<u8>, Vec<u8>);
}

/// Whether `descr`'s integers compare unsigned (the crate's `compare_greater`).
pub(super) fn unsigned(descr: &ColumnDescriptor) -> bool {
    matches!(descr.logical_type_ref(), Some(LogicalType::Integer(t)) if !t.is_signed)
        || matches!(
            descr.converted_type(),
            ConvertedType::UINT_8
                | ConvertedType::UINT_16
                | ConvertedType::UINT_32
                | ConvertedType::UINT_64
        )
}

// ---------------------------------------------------------------------------------------
// Byte arrays.

/// The byte-array values of a feed: value `i` is `data[ends[i - 1]..ends[i]]` (from 0 for
/// the first).
#[derive(Debug, Clone, Copy)]
pub(super) struct Values<'v> {
    pub(super) data: &'v [u8],
    pub(super) ends: &'v [usize],
}

impl<'v> Values<'v> {
    fn get(self, i: usize) -> &'v [u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.data[start..self.ends[i]]
    }

    /// Values `start..start + count`.
    fn range(self, start: usize, count: usize) -> impl Iterator<Item = &'v [u8]> {
        let mut from = start.checked_sub(1).map_or(0, |i| self.ends[i]);
        self.ends[start..start + count].iter().map(move |&end| {
            let v = &self.data[from..end];
            from = end;
            v
        })
    }
}

/// Compares two byte strings as `[u8]` does, eight bytes at a time and without calling
/// `memcmp` (which the values' short lengths make mostly call overhead, and which is slow
/// on the dangling address of an empty value).
pub(super) fn compare(lhs: &[u8], rhs: &[u8]) -> Ordering {
    let common = lhs.len().min(rhs.len());
    let (mut left, mut right) = (&lhs[..common], &rhs[..common]);
    while let (Some((l8, l_rest)), Some((r8, r_rest))) = (
        left.split_first_chunk::<8>(),
        right.split_first_chunk::<8>(),
    ) {
        let (l8, r8) = (u64::from_be_bytes(*l8), u64::from_be_bytes(*r8));
        if l8 != r8 {
            return l8.cmp(&r8);
        }
        (left, right) = (l_rest, r_rest);
    }
    for (l1, r1) in left.iter().zip(right) {
        if l1 != r1 {
            return l1.cmp(r1);
        }
    }
    lhs.len().cmp(&rhs.len())
}

/// Byte strings equal, without calling `memcmp`.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && compare(a, b) == Ordering::Equal
}

/// The dictionary: unique values in order of first appearance, in one arena, found by a
/// seeded hash (as the crate's dictionary, so no input makes lookups quadratic).
#[derive(Debug)]
struct Dict {
    hasher: ahash::RandomState,
    arena: Vec<u8>,
    /// End of each entry in `arena`.
    ends: Vec<usize>,
    hashes: Vec<u64>,
    /// Entry + 1 per slot (0: empty); a power of two long, at most half full.
    slots: Vec<u32>,
    /// The PLAIN size of the entries (4 + length each): the crate's dictionary page estimate.
    size: usize,
}

impl Dict {
    fn new() -> Self {
        Self {
            hasher: ahash::RandomState::new(),
            arena: Vec::new(),
            ends: Vec::new(),
            hashes: Vec::new(),
            slots: vec![0; 64],
            size: 0,
        }
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    fn entry(&self, i: u32) -> &[u8] {
        let i = i as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.arena[start..self.ends[i]]
    }

    #[allow(
        clippy::cast_possible_truncation,
        reason = "a hash is masked to the table size"
    )]
    fn intern(&mut self, value: &[u8]) -> u32 {
        let hash = self.hasher.hash_one(value);
        let mask = self.slots.len() - 1;
        let mut at = hash as usize & mask;
        loop {
            match self.slots[at] {
                0 => break,
                s => {
                    if self.hashes[(s - 1) as usize] == hash && same(self.entry(s - 1), value) {
                        return s - 1;
                    }
                }
            }
            at = (at + 1) & mask;
        }
        let entry = u32::try_from(self.len()).unwrap_or(u32::MAX);
        self.arena.extend_from_slice(value);
        self.ends.push(self.arena.len());
        self.hashes.push(hash);
        self.size += 4 + value.len();
        self.slots[at] = entry + 1;
        if self.len() * 2 > self.slots.len() {
            self.grow();
        }
        entry
    }

    #[allow(
        clippy::cast_possible_truncation,
        reason = "a hash is masked to the table size"
    )]
    fn grow(&mut self) {
        let mut slots = vec![0u32; self.slots.len() * 2];
        let mask = slots.len() - 1;
        for (e, &hash) in self.hashes.iter().enumerate() {
            let mut at = hash as usize & mask;
            while slots[at] != 0 {
                at = (at + 1) & mask;
            }
            slots[at] = u32::try_from(e + 1).unwrap_or(u32::MAX);
        }
        self.slots = slots;
    }

    /// The bit width of entry numbers (the crate's `num_required_bits(entries - 1)`).
    fn index_width(&self) -> u8 {
        bit_width(self.len().saturating_sub(1) as u64)
    }

    /// The dictionary page: every entry PLAIN-encoded.
    fn page(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.size);
        let mut start = 0;
        for &end in &self.ends {
            put_plain_bytes(&mut out, &self.arena[start..end]);
            start = end;
        }
        out
    }
}

/// A PLAIN byte array: its length (as the crate writes it, native-endian) and its bytes.
#[allow(
    clippy::cast_possible_truncation,
    reason = "a value is far below 4 GiB, as the crate requires"
)]
fn put_plain_bytes(out: &mut Vec<u8>, value: &[u8]) {
    out.extend_from_slice(&(value.len() as u32).to_ne_bytes());
    out.extend_from_slice(value);
}

/// How byte arrays are encoded when there is no dictionary (any more).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BytesEncoding {
    Plain,
    DeltaLength,
}

/// Byte-array values: a dictionary while it stays under its limit, then PLAIN or
/// DELTA_LENGTH_BYTE_ARRAY; page bounds by dictionary entry (a value equal to the current
/// bound costs nothing), truncated for the column index and statistics as the crate does.
#[derive(Debug)]
pub(super) struct ByteArrays {
    fallback: BytesEncoding,
    dict: Option<Dict>,
    /// Whether bounds are truncated on UTF-8 character boundaries.
    utf8: bool,
    index_truncate: Option<usize>,
    stats_truncate: Option<usize>,
    signed_sort: bool,
    indices: Vec<u32>,
    plain: Vec<u8>,
    lengths: DeltaBitPack,
    bytes: Vec<u8>,
    min_entry: Option<u32>,
    max_entry: Option<u32>,
    min: Option<Vec<u8>>,
    max: Option<Vec<u8>>,
    var_bytes: Option<i64>,
}

impl ByteArrays {
    pub(super) fn new(
        descr: &ColumnDescriptor,
        dictionary: bool,
        fallback: BytesEncoding,
        index_truncate: Option<usize>,
        stats_truncate: Option<usize>,
    ) -> Self {
        Self {
            fallback,
            dict: dictionary.then(Dict::new),
            utf8: descr.logical_type_ref() == Some(&LogicalType::String)
                || descr.converted_type() == ConvertedType::UTF8,
            index_truncate,
            stats_truncate,
            signed_sort: descr.sort_order().is_signed(),
            indices: Vec::new(),
            plain: Vec::new(),
            lengths: DeltaBitPack::new(false),
            bytes: Vec::new(),
            min_entry: None,
            max_entry: None,
            min: None,
            max: None,
            var_bytes: None,
        }
    }

    /// The crate's `truncate_min_value`: at most `length` bytes (whole UTF-8 characters for
    /// a string column); whether it truncated.
    fn truncate_min(&self, length: Option<usize>, data: &[u8]) -> (Vec<u8>, bool) {
        length
            .filter(|&l| data.len() > l)
            .and_then(|l| {
                if self.utf8 {
                    match std::str::from_utf8(data) {
                        Ok(s) => truncate_utf8(s, l),
                        Err(_) => Some(data[..l].to_vec()),
                    }
                } else {
                    Some(data[..l].to_vec())
                }
            })
            .map_or_else(|| (data.to_vec(), false), |t| (t, true))
    }

    /// The crate's `truncate_max_value`: truncated, then incremented to stay an upper bound.
    fn truncate_max(&self, length: Option<usize>, data: &[u8]) -> (Vec<u8>, bool) {
        length
            .filter(|&l| data.len() > l)
            .and_then(|l| {
                if self.utf8 {
                    match std::str::from_utf8(data) {
                        Ok(s) => truncate_and_increment_utf8(s, l),
                        Err(_) => increment(data[..l].to_vec()),
                    }
                } else {
                    increment(data[..l].to_vec())
                }
            })
            .map_or_else(|| (data.to_vec(), false), |t| (t, true))
    }

    /// The crate's `truncate_statistics` of byte-array statistics.
    fn truncated(
        &self,
        lo: Option<Vec<u8>>,
        hi: Option<Vec<u8>>,
        nulls: u64,
        backwards_compatible: bool,
    ) -> Statistics {
        match (lo, hi) {
            (Some(lo), Some(hi)) => {
                let (lo, lo_cut) = self.truncate_min(self.stats_truncate, &lo);
                let (hi, hi_cut) = self.truncate_max(self.stats_truncate, &hi);
                Statistics::ByteArray(
                    ValueStatistics::new(
                        Some(ByteArray::from(lo)),
                        Some(ByteArray::from(hi)),
                        None,
                        Some(nulls),
                        self.signed_sort,
                    )
                    .with_max_is_exact(!hi_cut)
                    .with_min_is_exact(!lo_cut),
                )
            }
            (lo, hi) => Statistics::ByteArray(
                ValueStatistics::new(
                    lo.map(ByteArray::from),
                    hi.map(ByteArray::from),
                    None,
                    Some(nulls),
                    false,
                )
                .with_backwards_compatible_min_max(backwards_compatible),
            ),
        }
    }
}

/// Sets `slot` to a copy of `value`, reusing its allocation.
fn replace(slot: &mut Option<Vec<u8>>, value: &[u8]) {
    match slot {
        Some(v) => {
            v.clear();
            v.extend_from_slice(value);
        }
        None => *slot = Some(value.to_vec()),
    }
}

impl Encode for ByteArrays {
    type Input<'v> = Values<'v>;
    type Bound = Vec<u8>;

    fn input_len(input: Values<'_>) -> usize {
        input.ends.len()
    }

    fn fixed_width(&self) -> Option<usize> {
        None
    }

    fn plain_size(input: Values<'_>, i: usize) -> usize {
        4 + input.get(i).len()
    }

    fn dict_size(&self) -> Option<usize> {
        self.dict.as_ref().map(|d| d.size)
    }

    fn put(&mut self, input: Values<'_>, start: usize, count: usize) {
        let mut var = 0usize;
        match &mut self.dict {
            Some(dict) => {
                for value in input.range(start, count) {
                    var += value.len();
                    let e = dict.intern(value);
                    self.indices.push(e);
                    if self.min_entry != Some(e)
                        && self
                            .min_entry
                            .is_none_or(|m| compare(dict.entry(m), value).is_gt())
                    {
                        self.min_entry = Some(e);
                    }
                    if self.max_entry != Some(e)
                        && self
                            .max_entry
                            .is_none_or(|m| compare(value, dict.entry(m)).is_gt())
                    {
                        self.max_entry = Some(e);
                    }
                }
            }
            None => {
                for i in start..start + count {
                    let value = input.get(i);
                    var += value.len();
                    if self
                        .min
                        .as_deref()
                        .is_none_or(|m| compare(m, value).is_gt())
                    {
                        replace(&mut self.min, value);
                    }
                    if self
                        .max
                        .as_deref()
                        .is_none_or(|m| compare(value, m).is_gt())
                    {
                        replace(&mut self.max, value);
                    }
                    match self.fallback {
                        BytesEncoding::Plain => put_plain_bytes(&mut self.plain, value),
                        BytesEncoding::DeltaLength => {
                            #[allow(
                                clippy::cast_possible_truncation,
                                clippy::cast_possible_wrap,
                                reason = "lengths are INT32, as the crate encodes them"
                            )]
                            self.lengths.put(i64::from(value.len() as i32));
                            self.bytes.extend_from_slice(value);
                        }
                    }
                }
            }
        }
        // The crate adds the slice's bytes even for an empty slice (so a page always has a
        // byte count).
        *self.var_bytes.get_or_insert(0) += i64::try_from(var).unwrap_or(i64::MAX);
    }

    fn estimated_size(&self) -> usize {
        match &self.dict {
            Some(d) => RleEncoder::max_buffer_size(d.index_width(), self.indices.len()),
            None => match self.fallback {
                BytesEncoding::Plain => self.plain.len(),
                BytesEncoding::DeltaLength => self.lengths.estimated_size() + self.bytes.len(),
            },
        }
    }

    fn take_page(&mut self, out: &mut Vec<u8>) -> PageValues<Vec<u8>> {
        let var = self.var_bytes.take();
        if let Some(dict) = &self.dict {
            // The entries' bit width, then the entries RLE / bit-packed.
            let width = dict.index_width();
            let mut buf = std::mem::take(out);
            buf.reserve(RleEncoder::max_buffer_size(width, self.indices.len()) + 1);
            buf.push(width);
            let mut rle = RleEncoder::from_buf(width, buf);
            rle.put_all(&self.indices, u64::from);
            *out = rle.consume();
            self.indices.clear();
            let bounds = match (self.min_entry.take(), self.max_entry.take()) {
                (Some(lo), Some(hi)) => Some((dict.entry(lo).to_vec(), dict.entry(hi).to_vec())),
                _ => None,
            };
            return (Encoding::RLE_DICTIONARY, bounds, var);
        }
        let bounds = match (self.min.take(), self.max.take()) {
            (Some(lo), Some(hi)) => Some((lo, hi)),
            _ => None,
        };
        match self.fallback {
            BytesEncoding::Plain => {
                out.extend_from_slice(&self.plain);
                self.plain.clear();
                (Encoding::PLAIN, bounds, var)
            }
            BytesEncoding::DeltaLength => {
                self.lengths.flush_into(out);
                out.extend_from_slice(&self.bytes);
                self.bytes.clear();
                (Encoding::DELTA_LENGTH_BYTE_ARRAY, bounds, var)
            }
        }
    }

    fn take_dictionary(&mut self) -> Option<(Vec<u8>, usize)> {
        let dict = self.dict.take()?;
        Some((dict.page(), dict.len()))
    }

    fn greater(&self, a: &Vec<u8>, b: &Vec<u8>) -> bool {
        compare(a, b).is_gt()
    }

    fn page_statistics(&self, lo: Vec<u8>, hi: Vec<u8>, nulls: u64) -> Statistics {
        self.truncated(Some(lo), Some(hi), nulls, false)
    }

    fn chunk_statistics(&self, lo: Option<Vec<u8>>, hi: Option<Vec<u8>>, nulls: u64) -> Statistics {
        self.truncated(lo, hi, nulls, self.signed_sort)
    }

    fn index_bounds(&self, lo: &Vec<u8>, hi: &Vec<u8>) -> (Vec<u8>, Vec<u8>) {
        (
            self.truncate_min(self.index_truncate, lo).0,
            self.truncate_max(self.index_truncate, hi).0,
        )
    }
}

/// The crate's `truncate_utf8`: the longest prefix of at most `length` bytes ending on a
/// character boundary, if it is not empty.
fn truncate_utf8(data: &str, length: usize) -> Option<Vec<u8>> {
    let split = (1..=length).rfind(|&x| data.is_char_boundary(x))?;
    Some(data.as_bytes()[..split].to_vec())
}

/// The crate's `truncate_and_increment_utf8`.
fn truncate_and_increment_utf8(data: &str, length: usize) -> Option<Vec<u8>> {
    let lower = length.saturating_sub(3);
    let split = (lower..=length).rfind(|&x| data.is_char_boundary(x))?;
    increment_utf8(data.get(..split)?)
}

/// The crate's `increment_utf8`: the last character that can be incremented without
/// growing, incremented, and what precedes it.
fn increment_utf8(data: &str) -> Option<Vec<u8>> {
    for (idx, c) in data.char_indices().rev() {
        let len = c.len_utf8();
        if let Some(next) = char::from_u32(c as u32 + 1)
            && next.len_utf8() == len
        {
            let mut out = data.as_bytes()[..idx + len].to_vec();
            next.encode_utf8(&mut out[idx..]);
            return Some(out);
        }
    }
    None
}

/// The crate's `increment`: the bytes as a big number plus one, `None` on overflow.
fn increment(mut data: Vec<u8>) -> Option<Vec<u8>> {
    for b in data.iter_mut().rev() {
        let (v, overflow) = b.overflowing_add(1);
        *b = v;
        if !overflow {
            return Some(data);
        }
    }
    None
}
