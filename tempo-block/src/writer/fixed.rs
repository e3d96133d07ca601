//! Fixed-width values (INT32, INT64, DOUBLE, BOOLEAN) of a column chunk for
//! [`super::chunk::ChunkWriter`]: PLAIN or DELTA_BINARY_PACKED pages, bounds and statistics
//! as the Parquet crate computes them (unsigned order for unsigned integers, NaN skipped, a
//! zero double bound stored as -0.0 / +0.0).

use parquet::basic::Encoding;
use parquet::file::statistics::{Statistics, ValueStatistics};
use parquet::schema::types::ColumnDescriptor;

use super::encode::{BitWriter, DeltaBitPack};
use super::values::{Encode, PageValues, unsigned};

/// A fixed-width physical type: its PLAIN form, order and statistics as the crate has them.
pub(super) trait Fixed: Copy + PartialOrd + std::fmt::Debug + 'static {
    /// PLAIN bytes per value (the crate's `size_of` of the type).
    const WIDTH: usize;
    fn put_plain(self, out: &mut Vec<u8>, bits: &mut BitWriter);
    /// The crate's `compare_greater` (`unsigned` for unsigned integer columns).
    fn greater(self, other: Self, unsigned: bool) -> bool {
        let _ = unsigned;
        self > other
    }
    /// NaN, which bounds skip.
    fn is_nan(self) -> bool {
        false
    }
    /// A page minimum as the crate stores it (a zero double becomes -0.0).
    fn as_min(self) -> Self {
        self
    }
    /// A page maximum as the crate stores it (a zero double becomes +0.0).
    fn as_max(self) -> Self {
        self
    }
    /// The value for DELTA_BINARY_PACKED (integers only).
    fn as_i64(self) -> i64;
    fn bytes(self) -> Vec<u8>;
    fn statistics(v: ValueStatistics<Self>) -> Statistics;
}

impl Fixed for i32 {
    const WIDTH: usize = 4;
    fn put_plain(self, out: &mut Vec<u8>, _: &mut BitWriter) {
        out.extend_from_slice(&self.to_ne_bytes());
    }
    #[allow(
        clippy::cast_sign_loss,
        reason = "unsigned columns hold u32 bit patterns"
    )]
    fn greater(self, other: Self, unsigned: bool) -> bool {
        if unsigned {
            (self as u32) > (other as u32)
        } else {
            self > other
        }
    }
    fn as_i64(self) -> i64 {
        i64::from(self)
    }
    fn bytes(self) -> Vec<u8> {
        self.to_ne_bytes().to_vec()
    }
    fn statistics(v: ValueStatistics<Self>) -> Statistics {
        Statistics::Int32(v)
    }
}

impl Fixed for i64 {
    const WIDTH: usize = 8;
    fn put_plain(self, out: &mut Vec<u8>, _: &mut BitWriter) {
        out.extend_from_slice(&self.to_ne_bytes());
    }
    #[allow(
        clippy::cast_sign_loss,
        reason = "unsigned columns hold u64 bit patterns"
    )]
    fn greater(self, other: Self, unsigned: bool) -> bool {
        if unsigned {
            (self as u64) > (other as u64)
        } else {
            self > other
        }
    }
    fn as_i64(self) -> i64 {
        self
    }
    fn bytes(self) -> Vec<u8> {
        self.to_ne_bytes().to_vec()
    }
    fn statistics(v: ValueStatistics<Self>) -> Statistics {
        Statistics::Int64(v)
    }
}

impl Fixed for f64 {
    const WIDTH: usize = 8;
    fn put_plain(self, out: &mut Vec<u8>, _: &mut BitWriter) {
        out.extend_from_slice(&self.to_ne_bytes());
    }
    fn is_nan(self) -> bool {
        self.is_nan()
    }
    fn as_min(self) -> Self {
        if self == 0.0 { -0.0 } else { self }
    }
    fn as_max(self) -> Self {
        if self == 0.0 { 0.0 } else { self }
    }
    fn as_i64(self) -> i64 {
        0
    }
    fn bytes(self) -> Vec<u8> {
        self.to_ne_bytes().to_vec()
    }
    fn statistics(v: ValueStatistics<Self>) -> Statistics {
        Statistics::Double(v)
    }
}

impl Fixed for bool {
    const WIDTH: usize = 1;
    fn put_plain(self, _: &mut Vec<u8>, bits: &mut BitWriter) {
        bits.put_value(u64::from(self), 1);
    }
    fn as_i64(self) -> i64 {
        i64::from(self)
    }
    fn bytes(self) -> Vec<u8> {
        vec![u8::from(self)]
    }
    fn statistics(v: ValueStatistics<Self>) -> Statistics {
        Statistics::Boolean(v)
    }
}

/// Fixed-width values, PLAIN or DELTA_BINARY_PACKED (no dictionary).
#[derive(Debug)]
pub(super) struct FixedValues<T: Fixed> {
    delta: Option<DeltaBitPack>,
    unsigned: bool,
    signed_sort: bool,
    plain: Vec<u8>,
    bits: BitWriter,
    min: Option<T>,
    max: Option<T>,
}

impl<T: Fixed> FixedValues<T> {
    /// `delta` for DELTA_BINARY_PACKED (`wide` for 64-bit values), else PLAIN.
    pub(super) fn new(descr: &ColumnDescriptor, delta: bool, wide: bool) -> Self {
        Self {
            delta: delta.then(|| DeltaBitPack::new(wide)),
            unsigned: unsigned(descr),
            signed_sort: descr.sort_order().is_signed(),
            plain: Vec::new(),
            bits: BitWriter::default(),
            min: None,
            max: None,
        }
    }
}

impl<T: Fixed> Encode for FixedValues<T> {
    type Input<'v> = &'v [T];
    type Bound = T;

    fn input_len(input: &[T]) -> usize {
        input.len()
    }

    fn fixed_width(&self) -> Option<usize> {
        Some(T::WIDTH)
    }

    fn plain_size(_: &[T], _: usize) -> usize {
        T::WIDTH
    }

    fn dict_size(&self) -> Option<usize> {
        None
    }

    fn put(&mut self, input: &[T], start: usize, count: usize) {
        let (unsigned, values) = (self.unsigned, &input[start..start + count]);
        for &v in values {
            if !v.is_nan() {
                if self.min.is_none_or(|m| m.greater(v, unsigned)) {
                    self.min = Some(v);
                }
                if self.max.is_none_or(|m| v.greater(m, unsigned)) {
                    self.max = Some(v);
                }
            }
        }
        match &mut self.delta {
            Some(delta) => {
                for &v in values {
                    delta.put(v.as_i64());
                }
            }
            None => {
                for &v in values {
                    v.put_plain(&mut self.plain, &mut self.bits);
                }
            }
        }
    }

    fn estimated_size(&self) -> usize {
        match &self.delta {
            Some(delta) => delta.estimated_size(),
            None => self.plain.len() + self.bits.bytes_written(),
        }
    }

    fn take_page(&mut self, out: &mut Vec<u8>) -> PageValues<T> {
        let bounds = match (self.min.take(), self.max.take()) {
            (Some(lo), Some(hi)) => Some((lo.as_min(), hi.as_max())),
            _ => None,
        };
        if let Some(delta) = &mut self.delta {
            delta.flush_into(out);
            return (Encoding::DELTA_BINARY_PACKED, bounds, None);
        }
        out.extend_from_slice(&self.plain);
        out.extend_from_slice(self.bits.flush_buffer());
        self.plain.clear();
        self.bits.clear();
        (Encoding::PLAIN, bounds, None)
    }

    fn take_dictionary(&mut self) -> Option<(Vec<u8>, usize)> {
        None
    }

    fn greater(&self, a: &T, b: &T) -> bool {
        a.greater(*b, self.unsigned)
    }

    fn page_statistics(&self, lo: T, hi: T, nulls: u64) -> Statistics {
        T::statistics(ValueStatistics::new(
            Some(lo),
            Some(hi),
            None,
            Some(nulls),
            false,
        ))
    }

    fn chunk_statistics(&self, lo: Option<T>, hi: Option<T>, nulls: u64) -> Statistics {
        T::statistics(
            ValueStatistics::new(lo, hi, None, Some(nulls), false)
                .with_backwards_compatible_min_max(self.signed_sort),
        )
    }

    fn index_bounds(&self, lo: &T, hi: &T) -> (Vec<u8>, Vec<u8>) {
        (lo.bytes(), hi.bytes())
    }
}
