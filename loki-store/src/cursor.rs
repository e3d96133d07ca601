//! Variable-length integers and a bounds-checked reader, shared by the WAL payload and the
//! index file format. Every length read from input is checked against what remains before
//! anything is allocated or sliced.

/// Appends `v` as an unsigned LEB128 varint (7 bits per byte, low group first).
pub(crate) fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        // Truncation keeps the low seven bits and the continuation bit, as intended.
        #[allow(clippy::cast_possible_truncation)]
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    #[allow(clippy::cast_possible_truncation)]
    out.push(v as u8);
}

/// Appends `v` as a zig-zag signed varint.
#[allow(clippy::cast_sign_loss)]
pub(crate) fn put_varint(out: &mut Vec<u8>, v: i64) {
    put_uvarint(out, ((v << 1) ^ (v >> 63)) as u64);
}

/// Appends `bytes` with a uvarint length in front.
pub(crate) fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_uvarint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Why reading failed, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CursorError {
    /// A field needs `needed` bytes at `offset`; `available` remain.
    Truncated {
        offset: usize,
        needed: usize,
        available: usize,
    },
    /// A varint longer than ten bytes or above 64 bits, at `offset`.
    BadVarint { offset: usize },
    /// A length or count at `offset` is `found`, above `limit`.
    TooLarge {
        offset: usize,
        found: u64,
        limit: u64,
    },
    /// Bytes that should be UTF-8 are not, at `offset`.
    Utf8 { offset: usize },
}

/// A reader over a byte slice that never reads past its end.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    /// Offset of the next byte.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes left.
    pub(crate) fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], CursorError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.data.len())
            .ok_or(CursorError::Truncated {
                offset: self.pos,
                needed: n,
                available: self.remaining(),
            })?;
        let out = self.data.get(self.pos..end).unwrap_or_default();
        self.pos = end;
        Ok(out)
    }

    pub(crate) fn take_array<const N: usize>(&mut self) -> Result<[u8; N], CursorError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, CursorError> {
        Ok(self.take_array::<1>()?[0])
    }

    pub(crate) fn u32_le(&mut self) -> Result<u32, CursorError> {
        Ok(u32::from_le_bytes(self.take_array()?))
    }

    pub(crate) fn u64_le(&mut self) -> Result<u64, CursorError> {
        Ok(u64::from_le_bytes(self.take_array()?))
    }

    pub(crate) fn uvarint(&mut self) -> Result<u64, CursorError> {
        let start = self.pos;
        let mut v = 0u64;
        for i in 0..10 {
            let b = self.u8().map_err(|_| CursorError::Truncated {
                offset: start,
                needed: i + 1,
                available: self.data.len() - start,
            })?;
            if i == 9 && b > 1 {
                return Err(CursorError::BadVarint { offset: start });
            }
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(CursorError::BadVarint { offset: start })
    }

    #[allow(clippy::cast_possible_wrap)]
    pub(crate) fn varint(&mut self) -> Result<i64, CursorError> {
        let u = self.uvarint()?;
        Ok(((u >> 1) as i64) ^ -((u & 1) as i64))
    }

    /// A uvarint that must not exceed `limit`, as a `usize`.
    pub(crate) fn uvarint_max(&mut self, limit: u64) -> Result<usize, CursorError> {
        let offset = self.pos;
        let v = self.uvarint()?;
        if v > limit {
            return Err(CursorError::TooLarge {
                offset,
                found: v,
                limit,
            });
        }
        usize::try_from(v).map_err(|_| CursorError::TooLarge {
            offset,
            found: v,
            limit: usize::MAX as u64,
        })
    }

    /// A count of items each at least `min_item_len` bytes long: refused when the rest of the
    /// input could not hold that many, so no allocation is sized by a lie.
    pub(crate) fn count(&mut self, min_item_len: usize) -> Result<usize, CursorError> {
        let limit = (self.remaining() / min_item_len.max(1)) as u64;
        self.uvarint_max(limit)
    }

    /// Bytes with a uvarint length in front.
    pub(crate) fn bytes(&mut self) -> Result<&'a [u8], CursorError> {
        let n = self.uvarint_max(self.remaining() as u64)?;
        self.take(n)
    }

    /// A UTF-8 string with a uvarint length in front.
    pub(crate) fn str(&mut self) -> Result<&'a str, CursorError> {
        let offset = self.pos;
        let b = self.bytes()?;
        std::str::from_utf8(b).map_err(|_| CursorError::Utf8 { offset })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_and_bad_input_is_refused() {
        let mut buf = Vec::new();
        let values = [0u64, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX];
        for v in values {
            put_uvarint(&mut buf, v);
        }
        let signed = [0i64, -1, 1, i64::MIN, i64::MAX, -1_700_000_000_000_000_000];
        for v in signed {
            put_varint(&mut buf, v);
        }
        put_bytes(&mut buf, b"abc");
        let mut c = Cursor::new(&buf);
        for v in values {
            assert_eq!(c.uvarint(), Ok(v));
        }
        for v in signed {
            assert_eq!(c.varint(), Ok(v));
        }
        assert_eq!(c.str(), Ok("abc"));
        assert!(c.is_empty());
        assert!(matches!(
            Cursor::new(&[0x80]).uvarint(),
            Err(CursorError::Truncated { .. })
        ));
        assert!(matches!(
            Cursor::new(&[0xff; 11]).uvarint(),
            Err(CursorError::BadVarint { .. })
        ));
        assert!(matches!(
            Cursor::new(&[5, b'a']).bytes(),
            Err(CursorError::TooLarge { .. })
        ));
        assert!(matches!(
            Cursor::new(&[200, 1]).count(1),
            Err(CursorError::TooLarge { .. })
        ));
        assert!(matches!(
            Cursor::new(&[1, 0xff]).str(),
            Err(CursorError::Utf8 { .. })
        ));
    }
}
