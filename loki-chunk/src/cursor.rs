//! A bounds-checked cursor over untrusted bytes.
//!
//! Every read checks what remains first and reports the section and absolute offset of the
//! field that does not fit; lengths read from the input are validated before any slice or
//! allocation is made from them.

use crate::error::{ChunkError, Section};

/// Reads fields from a byte slice, tracking the absolute offset of each.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Offset of `bytes[0]` in the whole input, for error reports.
    base: u64,
    section: Section,
}

impl<'a> Cursor<'a> {
    /// A cursor over `bytes`, which start at absolute offset `base` of the input.
    pub(crate) fn new(bytes: &'a [u8], base: u64, section: Section) -> Self {
        Self {
            bytes,
            pos: 0,
            base,
            section,
        }
    }

    /// Absolute offset of the next byte.
    #[inline]
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Position within the cursor's own bytes.
    #[inline]
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// Bytes left.
    #[inline]
    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// Whether every byte was consumed.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The section errors are reported against.
    pub(crate) fn section(&self) -> Section {
        self.section
    }

    #[cold]
    #[inline(never)]
    fn truncated(&self, needed: u64) -> ChunkError {
        ChunkError::Truncated {
            section: self.section,
            offset: self.offset(),
            needed,
            available: self.remaining() as u64,
        }
    }

    /// The next `n` bytes.
    #[inline]
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], ChunkError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(|| self.truncated(n as u64))?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    /// The next `n` bytes, where `n` was read from the input as a u64.
    #[inline]
    pub(crate) fn take_u64_len(&mut self, n: u64) -> Result<&'a [u8], ChunkError> {
        let n = usize::try_from(n).map_err(|_| self.truncated(n))?;
        self.take(n)
    }

    /// The next `N` bytes as an array.
    pub(crate) fn take_array<const N: usize>(&mut self) -> Result<[u8; N], ChunkError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, ChunkError> {
        Ok(self.take_array::<1>()?[0])
    }

    pub(crate) fn be32(&mut self) -> Result<u32, ChunkError> {
        Ok(u32::from_be_bytes(self.take_array()?))
    }

    pub(crate) fn be64(&mut self) -> Result<u64, ChunkError> {
        Ok(u64::from_be_bytes(self.take_array()?))
    }

    /// An unsigned LEB128 varint (Go `binary.Uvarint`): at most 10 bytes, no overflow.
    #[inline]
    pub(crate) fn uvarint(&mut self) -> Result<u64, ChunkError> {
        // One-byte varints (line lengths under 128, metadata section sizes and counts) are
        // the most common: no load-and-compact for them.
        if let Some(&b) = self.bytes.get(self.pos)
            && b < 0x80
        {
            self.pos += 1;
            return Ok(u64::from(b));
        }
        // Fast path: with ten bytes in view, decode from one little-endian 64-bit load: the
        // first byte without a continuation bit ends the varint, and the 7-bit groups are
        // compacted with shifts and masks. Near the end of the input, fall back to the
        // checked loop.
        if let Some(window) = self
            .bytes
            .get(self.pos..)
            .and_then(|rest| rest.first_chunk::<10>())
        {
            let (head, tail) = window.split_at(8);
            let word = u64::from_le_bytes(head.try_into().unwrap_or_default());
            let stops = !word & 0x8080_8080_8080_8080;
            if stops != 0 {
                let len = (stops.trailing_zeros() / 8 + 1) as usize;
                let keep = if len == 8 {
                    u64::MAX
                } else {
                    (1u64 << (8 * len)) - 1
                };
                self.pos += len;
                return Ok(compact_groups(word & keep));
            }
            // Nine or ten bytes: eight full groups, then the last one or two.
            let (b8, b9) = (
                tail.first().copied().unwrap_or(0),
                tail.get(1).copied().unwrap_or(0),
            );
            if b8 < 0x80 {
                self.pos += 9;
                return Ok(compact_groups(word) | (u64::from(b8) << 56));
            }
            if b9 <= 1 {
                self.pos += 10;
                return Ok(compact_groups(word)
                    | (u64::from(b8 & 0x7f) << 56)
                    | (u64::from(b9) << 63));
            }
            return Err(self.bad_varint());
        }
        self.uvarint_slow()
    }

    #[cold]
    #[inline(never)]
    fn out_of_range(&self, field: &'static str, pos: usize, limit: u64, found: u64) -> ChunkError {
        ChunkError::OutOfRange {
            section: self.section,
            field,
            offset: self.base + pos as u64,
            limit,
            found,
        }
    }

    #[cold]
    #[inline(never)]
    fn bad_varint(&self) -> ChunkError {
        ChunkError::BadVarint {
            section: self.section,
            offset: self.offset(),
        }
    }

    #[cold]
    #[inline(never)]
    fn uvarint_slow(&mut self) -> Result<u64, ChunkError> {
        let start = self.offset();
        let mut value = 0u64;
        for i in 0..10u32 {
            let Some(&byte) = self.bytes.get(self.pos) else {
                return Err(self.truncated(1));
            };
            self.pos += 1;
            if i == 9 && byte > 1 {
                break; // more than 64 bits
            }
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(ChunkError::BadVarint {
            section: self.section,
            offset: start,
        })
    }

    /// A zig-zag signed varint (Go `binary.Varint`).
    #[inline]
    pub(crate) fn varint(&mut self) -> Result<i64, ChunkError> {
        let u = self.uvarint()?;
        #[allow(clippy::cast_possible_wrap)] // zig-zag decoding reinterprets the bits
        let v = ((u >> 1) as i64) ^ -((u & 1) as i64);
        Ok(v)
    }

    /// An unsigned varint that must be at most `limit`; `field` names it in the error.
    #[inline]
    pub(crate) fn uvarint_max(
        &mut self,
        field: &'static str,
        limit: u64,
    ) -> Result<u64, ChunkError> {
        let start = self.pos;
        let v = self.uvarint()?;
        if v > limit {
            return Err(self.out_of_range(field, start, limit, v));
        }
        Ok(v)
    }
}

/// The low 7 bits of each of the eight bytes of `x` (little-endian), packed together: byte `i`
/// lands at bit `7 * i`. Continuation bits are dropped by the masks.
#[inline]
fn compact_groups(x: u64) -> u64 {
    (x & 0x7f)
        | ((x >> 1) & 0x3f80)
        | ((x >> 2) & 0x1f_c000)
        | ((x >> 3) & 0xfe0_0000)
        | ((x >> 4) & 0x7_f000_0000)
        | ((x >> 5) & 0x3f8_0000_0000)
        | ((x >> 6) & 0x1_fc00_0000_0000)
        | ((x >> 7) & 0xfe_0000_0000_0000)
}

/// Appends `v` as an unsigned LEB128 varint.
pub(crate) fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        #[allow(clippy::cast_possible_truncation)] // low 7 bits
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    #[allow(clippy::cast_possible_truncation)] // v < 0x80
    out.push(v as u8);
}

/// Appends `v` as a zig-zag signed varint.
pub(crate) fn put_varint(out: &mut Vec<u8>, v: i64) {
    #[allow(clippy::cast_sign_loss)] // zig-zag encoding reinterprets the bits
    put_uvarint(out, ((v << 1) ^ (v >> 63)) as u64);
}

/// Bytes `v` takes as an unsigned varint.
pub(crate) fn uvarint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_and_match_go() {
        for v in [0u64, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            let mut buf = Vec::new();
            put_uvarint(&mut buf, v);
            assert_eq!(buf.len(), uvarint_len(v));
            let mut c = Cursor::new(&buf, 0, Section::Metas);
            assert_eq!(c.uvarint().unwrap(), v);
            assert!(c.is_empty());
        }
        for v in [
            0i64,
            -1,
            1,
            -64,
            64,
            i64::MIN,
            i64::MAX,
            1_710_072_000_444_338_024,
        ] {
            let mut buf = Vec::new();
            put_varint(&mut buf, v);
            assert_eq!(Cursor::new(&buf, 0, Section::Metas).varint().unwrap(), v);
        }
        // Go: PutUvarint(300) = ac 02; PutVarint(-1) = 01.
        let mut buf = Vec::new();
        put_uvarint(&mut buf, 300);
        assert_eq!(buf, [0xac, 0x02]);
        buf.clear();
        put_varint(&mut buf, -1);
        assert_eq!(buf, [0x01]);
    }

    proptest::proptest! {
        /// The fast path agrees with the checked byte-by-byte loop on any bytes.
        #[test]
        fn fast_and_checked_varint_paths_agree(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 10..14)) {
            let mut fast = Cursor::new(&bytes, 0, Section::Metas);
            let mut slow = Cursor::new(&bytes, 0, Section::Metas);
            let (a, b) = (fast.uvarint(), slow.uvarint_slow());
            proptest::prop_assert_eq!(a.is_ok(), b.is_ok());
            if let (Ok(a), Ok(b)) = (a, b) {
                proptest::prop_assert_eq!(a, b);
                proptest::prop_assert_eq!(fast.position(), slow.position());
            }
        }
    }

    #[test]
    fn malformed_varints_are_errors() {
        let overlong = [0xffu8; 11];
        assert!(matches!(
            Cursor::new(&overlong, 10, Section::Metas).uvarint(),
            Err(ChunkError::BadVarint { offset: 10, .. })
        ));
        // The same through the checked loop (fewer than ten bytes in view).
        assert!(matches!(
            Cursor::new(&overlong[..9], 10, Section::Metas).uvarint(),
            Err(ChunkError::Truncated { .. })
        ));
        // Both paths agree on every length of a valid varint.
        let values = (0..64).flat_map(|s| [1u64 << s, (1u64 << s) - 1, (1u64 << s) | 0x55]);
        for v in values.chain([u64::MAX, 3_420_144_000_888_676_048]) {
            let mut buf = Vec::new();
            put_uvarint(&mut buf, v);
            let n = buf.len();
            buf.extend_from_slice(&[0; 10]);
            let mut fast = Cursor::new(&buf, 0, Section::Metas);
            assert_eq!(fast.uvarint().unwrap(), v);
            assert_eq!(fast.position(), n);
            let mut slow = Cursor::new(&buf[..n], 0, Section::Metas);
            assert_eq!(slow.uvarint().unwrap(), v);
        }
        let tenth_too_big = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert!(
            Cursor::new(&tenth_too_big, 0, Section::Metas)
                .uvarint()
                .is_err()
        );
        let cut = [0x80u8];
        assert!(matches!(
            Cursor::new(&cut, 7, Section::Metas).uvarint(),
            Err(ChunkError::Truncated { offset: 8, .. })
        ));
        let mut c = Cursor::new(&[1, 2, 3], 100, Section::Header);
        assert!(matches!(
            c.take(4),
            Err(ChunkError::Truncated {
                offset: 100,
                needed: 4,
                available: 3,
                ..
            })
        ));
        assert!(c.take_u64_len(u64::MAX).is_err());
    }
}
