//! Bit-level encoders of Parquet pages, as the Parquet crate writes them.
//!
//! The fast byte-array column writer ([`super::chunk`]) encodes levels, dictionary indexes and
//! value lengths itself, and its pages must be the bytes the Parquet crate's column writer
//! produces. These are ports of that crate's `BitWriter`, `RleEncoder` (the RLE/bit-packing
//! hybrid of levels and dictionary indexes) and `DeltaBitPackEncoder` (for 32-bit lengths),
//! decision for decision: where a run is cut, when a bit-packed run is closed, how blocks and
//! miniblocks are padded. Any change there would change bytes, so the tests compare every
//! encoder with the crate's output through the column writer (see `chunk`'s tests).

/// Bytes needed for `bits` bits.
fn bytes_for(bits: usize) -> usize {
    bits.div_ceil(8)
}

/// Bits needed to represent `x` (0 for 0).
#[allow(
    clippy::cast_possible_truncation,
    reason = "at most 64, the width of a u64"
)]
pub(super) fn bit_width(x: u64) -> u8 {
    (64 - x.leading_zeros()) as u8
}

/// Appends values of any bit width, least significant bit first.
#[derive(Debug, Default)]
pub(super) struct BitWriter {
    buffer: Vec<u8>,
    /// Bits not yet flushed to `buffer`.
    bits: u64,
    /// How many of `bits` are in use.
    bit_offset: u8,
}

impl BitWriter {
    fn from_buf(buffer: Vec<u8>) -> Self {
        Self {
            buffer,
            bits: 0,
            bit_offset: 0,
        }
    }

    /// Flushes the pending bits to a byte boundary.
    fn flush(&mut self) {
        let n = bytes_for(usize::from(self.bit_offset));
        self.buffer.extend_from_slice(&self.bits.to_le_bytes()[..n]);
        self.bits = 0;
        self.bit_offset = 0;
    }

    /// Bytes written so far, counting pending bits as whole bytes.
    pub(super) fn bytes_written(&self) -> usize {
        self.buffer.len() + bytes_for(usize::from(self.bit_offset))
    }

    /// Flushes and returns everything written.
    pub(super) fn flush_buffer(&mut self) -> &[u8] {
        self.flush();
        &self.buffer
    }

    pub(super) fn clear(&mut self) {
        self.buffer.clear();
        self.bits = 0;
        self.bit_offset = 0;
    }

    fn consume(mut self) -> Vec<u8> {
        self.flush();
        self.buffer
    }

    /// Flushes, then reserves `n` zero bytes; returns where they start.
    fn skip(&mut self, n: usize) -> usize {
        self.flush();
        let at = self.buffer.len();
        self.buffer.resize(at + n, 0);
        at
    }

    fn write_at(&mut self, offset: usize, value: u8) {
        self.buffer[offset] = value;
    }

    /// Appends the low `num_bits` bits of `v` (which has no higher bits set).
    #[allow(
        clippy::cast_possible_truncation,
        reason = "num_bits is at most 64, as in the Parquet crate"
    )]
    pub(super) fn put_value(&mut self, v: u64, num_bits: usize) {
        let num_bits = num_bits as u8;
        self.bits |= v.checked_shl(u32::from(self.bit_offset)).unwrap_or(0);
        self.bit_offset += num_bits;
        if let Some(remaining) = self.bit_offset.checked_sub(64) {
            self.buffer.extend_from_slice(&self.bits.to_le_bytes());
            self.bit_offset = remaining;
            self.bits = v
                .checked_shr(u32::from(num_bits - self.bit_offset))
                .unwrap_or(0);
        }
    }

    /// Flushes, then appends the low `num_bytes` little-endian bytes of `v`.
    fn put_aligned(&mut self, v: u64, num_bytes: usize) {
        self.flush();
        self.buffer
            .extend_from_slice(&v.to_le_bytes()[..num_bytes.min(8)]);
    }

    fn put_vlq(&mut self, mut v: u64) {
        while v & !0x7F != 0 {
            self.put_aligned((v & 0x7F) | 0x80, 1);
            v >>= 7;
        }
        self.put_aligned(v & 0x7F, 1);
    }

    #[allow(
        clippy::cast_sign_loss,
        reason = "zigzag encoding reinterprets the bits, as the Parquet crate does"
    )]
    fn put_zigzag_vlq(&mut self, v: i64) {
        self.put_vlq(((v << 1) ^ (v >> 63)) as u64);
    }
}

const GROUP: usize = 8;
const MAX_GROUPS_PER_BIT_PACKED_RUN: usize = 1 << 6;

/// The RLE / bit-packing hybrid encoder (levels and dictionary indexes).
#[derive(Debug)]
pub(super) struct RleEncoder {
    bit_width: u8,
    writer: BitWriter,
    buffered: [u64; GROUP],
    num_buffered: usize,
    current: u64,
    repeat_count: usize,
    bit_packed_count: usize,
    /// Where the current bit-packed run's indicator byte goes.
    indicator_at: Option<usize>,
}

impl RleEncoder {
    pub(super) fn new(bit_width: u8) -> Self {
        Self::from_buf(bit_width, Vec::new())
    }

    pub(super) fn from_buf(bit_width: u8, buffer: Vec<u8>) -> Self {
        Self {
            bit_width,
            writer: BitWriter::from_buf(buffer),
            buffered: [0; GROUP],
            num_buffered: 0,
            current: 0,
            repeat_count: 0,
            bit_packed_count: 0,
            indicator_at: None,
        }
    }

    /// The most bytes `num_values` values of `bit_width` bits can take.
    pub(super) fn max_buffer_size(bit_width: u8, num_values: usize) -> usize {
        let runs = num_values.div_ceil(GROUP);
        let bit_packed = runs + runs * usize::from(bit_width);
        let rle = runs * (1 + bytes_for(usize::from(bit_width)));
        bit_packed.max(rle)
    }

    #[cfg(test)]
    pub(super) fn put(&mut self, value: u64) {
        if self.current == value {
            self.repeat_count += 1;
            if self.repeat_count > GROUP {
                return;
            }
        } else {
            if self.repeat_count >= GROUP {
                self.flush_rle_run();
            }
            self.repeat_count = 1;
            self.current = value;
        }
        self.buffered[self.num_buffered] = value;
        self.num_buffered += 1;
        if self.num_buffered == GROUP {
            self.flush_buffered();
        }
    }

    /// `put` of every value, with the encoder's state in locals while no run or group is
    /// flushed (the same decisions, without a load and store of every field per value).
    pub(super) fn put_all<T: Copy>(&mut self, values: &[T], as_u64: impl Fn(T) -> u64) {
        const SKIP: usize = 16;
        let (mut current, mut repeat, mut buffered) =
            (self.current, self.repeat_count, self.num_buffered);
        let mut i = 0;
        while let Some(&v) = values.get(i) {
            i += 1;
            let v = as_u64(v);
            if current == v {
                repeat += 1;
                if repeat > GROUP {
                    // Inside an RLE run nothing but the count changes: whole stretches of
                    // the value are counted at once (a sum of comparisons, which vectorises).
                    while let Some(next) = values.get(i..i + SKIP) {
                        let same: usize = next.iter().map(|&x| usize::from(as_u64(x) == v)).sum();
                        if same < SKIP {
                            break;
                        }
                        repeat += SKIP;
                        i += SKIP;
                    }
                    continue;
                }
            } else {
                if repeat >= GROUP {
                    (self.current, self.repeat_count, self.num_buffered) =
                        (current, repeat, buffered);
                    self.flush_rle_run();
                    buffered = self.num_buffered;
                }
                repeat = 1;
                current = v;
            }
            self.buffered[buffered] = v;
            buffered += 1;
            if buffered == GROUP {
                (self.current, self.repeat_count, self.num_buffered) = (current, repeat, buffered);
                self.flush_buffered();
                (repeat, buffered) = (self.repeat_count, self.num_buffered);
            }
        }
        (self.current, self.repeat_count, self.num_buffered) = (current, repeat, buffered);
    }

    /// [`RleEncoder::put_all`] of levels.
    pub(super) fn put_levels(&mut self, levels: &[i16]) {
        #[allow(clippy::cast_sign_loss, reason = "levels are never negative")]
        self.put_all(levels, |l| l as u64);
    }

    pub(super) fn consume(mut self) -> Vec<u8> {
        self.flush();
        self.writer.consume()
    }

    /// Flushes and returns everything written; call [`RleEncoder::clear`] after.
    pub(super) fn flush_buffer(&mut self) -> &[u8] {
        self.flush();
        self.writer.flush_buffer()
    }

    pub(super) fn clear(&mut self) {
        self.writer.clear();
        self.num_buffered = 0;
        self.current = 0;
        self.repeat_count = 0;
        self.bit_packed_count = 0;
        self.indicator_at = None;
    }

    fn flush(&mut self) {
        if self.bit_packed_count == 0 && self.repeat_count == 0 && self.num_buffered == 0 {
            return;
        }
        let all_repeat = self.bit_packed_count == 0
            && (self.repeat_count == self.num_buffered || self.num_buffered == 0);
        if self.repeat_count > 0 && all_repeat {
            self.flush_rle_run();
        } else {
            if self.num_buffered > 0 {
                self.buffered[self.num_buffered..].fill(0);
                self.num_buffered = GROUP;
            }
            self.bit_packed_count += self.num_buffered;
            self.flush_bit_packed_run(true);
            self.repeat_count = 0;
        }
    }

    fn flush_rle_run(&mut self) {
        self.writer.put_vlq((self.repeat_count as u64) << 1);
        self.writer
            .put_aligned(self.current, bytes_for(usize::from(self.bit_width)));
        self.num_buffered = 0;
        self.repeat_count = 0;
    }

    fn flush_bit_packed_run(&mut self, end_run: bool) {
        if self.indicator_at.is_none() {
            self.indicator_at = Some(self.writer.skip(1));
        }
        let width = usize::from(self.bit_width);
        if self.num_buffered == GROUP && width <= 8 {
            // A whole group is `width` bytes: packed at once, the same bits as value by value.
            let packed = self
                .buffered
                .iter()
                .enumerate()
                .fold(0u64, |acc, (j, &v)| acc | v << (j * width));
            self.writer.put_value(packed, GROUP * width);
        } else {
            for &v in &self.buffered[..self.num_buffered] {
                self.writer.put_value(v, width);
            }
        }
        self.num_buffered = 0;
        if end_run {
            self.finish_bit_packed_run();
        }
    }

    #[allow(
        clippy::cast_possible_truncation,
        reason = "a run holds fewer than 64 groups, so the indicator fits a byte"
    )]
    fn finish_bit_packed_run(&mut self) {
        let groups = self.bit_packed_count / GROUP;
        if let Some(at) = self.indicator_at.take() {
            self.writer.write_at(at, ((groups << 1) | 1) as u8);
        }
        self.bit_packed_count = 0;
    }

    fn flush_buffered(&mut self) {
        if self.repeat_count >= GROUP {
            self.num_buffered = 0;
            if self.bit_packed_count > 0 {
                self.finish_bit_packed_run();
            }
            return;
        }
        self.bit_packed_count += self.num_buffered;
        let groups = self.bit_packed_count / GROUP;
        self.flush_bit_packed_run(groups + 1 >= MAX_GROUPS_PER_BIT_PACKED_RUN);
        self.repeat_count = 0;
    }
}

const DELTA_MINI_BLOCKS: usize = 4;

/// DELTA_BINARY_PACKED for INT32 (also the lengths of DELTA_LENGTH_BYTE_ARRAY) or, `wide`,
/// INT64 values: blocks of 4 miniblocks of 32 (64) values.
#[derive(Debug)]
pub(super) struct DeltaBitPack {
    wide: bool,
    mini_block: usize,
    header: BitWriter,
    writer: BitWriter,
    total_values: usize,
    first_value: i64,
    current: i64,
    values_in_block: usize,
    deltas: Vec<i64>,
}

impl DeltaBitPack {
    pub(super) fn new(wide: bool) -> Self {
        let mini_block = if wide { 64 } else { 32 };
        Self {
            wide,
            mini_block,
            header: BitWriter::default(),
            writer: BitWriter::default(),
            total_values: 0,
            first_value: 0,
            current: 0,
            values_in_block: 0,
            deltas: vec![0; mini_block * DELTA_MINI_BLOCKS],
        }
    }

    /// `left - right`, wrapping in 32 bits for INT32, as the crate computes deltas.
    #[allow(
        clippy::cast_possible_truncation,
        reason = "INT32 deltas wrap in 32 bits, as in the Parquet crate"
    )]
    fn sub(&self, left: i64, right: i64) -> i64 {
        if self.wide {
            left.wrapping_sub(right)
        } else {
            i64::from((left as i32).wrapping_sub(right as i32))
        }
    }

    /// `left - right` as an unsigned bit pattern of the value width.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "deltas wrap in the value width, as in the Parquet crate"
    )]
    fn sub_bits(&self, left: i64, right: i64) -> u64 {
        if self.wide {
            left.wrapping_sub(right) as u64
        } else {
            u64::from((left as i32).wrapping_sub(right as i32) as u32)
        }
    }

    pub(super) fn put(&mut self, value: i64) {
        if self.total_values == 0 {
            self.first_value = value;
            self.current = value;
            self.total_values = 1;
            return;
        }
        self.total_values += 1;
        self.deltas[self.values_in_block] = self.sub(value, self.current);
        self.current = value;
        self.values_in_block += 1;
        if self.values_in_block == self.deltas.len() {
            self.flush_block();
        }
    }

    /// Bytes of complete blocks written (the Parquet crate's size estimate).
    pub(super) fn estimated_size(&self) -> usize {
        self.writer.bytes_written()
    }

    fn flush_block(&mut self) {
        if self.values_in_block == 0 {
            return;
        }
        let min_delta = self.deltas[..self.values_in_block]
            .iter()
            .copied()
            .min()
            .unwrap_or(i64::MAX);
        self.writer.put_zigzag_vlq(min_delta);
        let widths_at = self.writer.skip(DELTA_MINI_BLOCKS);
        let mb = self.mini_block;
        for i in 0..DELTA_MINI_BLOCKS {
            let n = mb.min(self.values_in_block);
            if n == 0 {
                // Unused miniblocks have width 0 (the Parquet crate pads with 0 outside tests).
                for j in i..DELTA_MINI_BLOCKS {
                    self.writer.write_at(widths_at + j, 0);
                }
                break;
            }
            let block = &self.deltas[i * mb..i * mb + n];
            let max_delta = block.iter().copied().max().unwrap_or(i64::MIN);
            let width = bit_width(self.sub_bits(max_delta, min_delta));
            self.writer.write_at(widths_at + i, width);
            let width = usize::from(width);
            for j in 0..n {
                let v = self.sub_bits(self.deltas[i * mb + j], min_delta);
                self.writer.put_value(v, width);
            }
            for _ in n..mb {
                self.writer.put_value(0, width);
            }
            self.values_in_block -= n;
        }
    }

    /// Appends the page's encoded values to `out` and resets.
    pub(super) fn flush_into(&mut self, out: &mut Vec<u8>) {
        self.flush_block();
        self.header
            .put_vlq((self.mini_block * DELTA_MINI_BLOCKS) as u64);
        self.header.put_vlq(DELTA_MINI_BLOCKS as u64);
        self.header.put_vlq(self.total_values as u64);
        self.header.put_zigzag_vlq(self.first_value);
        out.extend_from_slice(self.header.flush_buffer());
        out.extend_from_slice(self.writer.flush_buffer());
        self.header.clear();
        self.writer.clear();
        self.total_values = 0;
        self.first_value = 0;
        self.current = 0;
        self.values_in_block = 0;
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::RleEncoder;

    /// Runs of a few values, as levels and dictionary indexes come.
    fn runs(max: u64) -> impl Strategy<Value = Vec<u64>> {
        prop::collection::vec((0..=max, 1usize..100), 0..60).prop_map(|runs| {
            runs.into_iter()
                .flat_map(|(v, n)| std::iter::repeat_n(v, n))
                .collect()
        })
    }

    proptest! {
        /// The batched `put_all` makes the decisions of one `put` per value.
        #[test]
        fn put_all_is_put_per_value(width in 1u8..20, values in runs(5), split in any::<usize>()) {
            let values: Vec<u64> = values.into_iter().map(|v| v & ((1 << width) - 1)).collect();
            let mut one = RleEncoder::new(width);
            for &v in &values {
                one.put(v);
            }
            let mut all = RleEncoder::new(width);
            let at = if values.is_empty() { 0 } else { split % values.len() };
            all.put_all(&values[..at], |v| v);
            all.put_all(&values[at..], |v| v);
            prop_assert_eq!(one.consume(), all.consume());
        }
    }
}
