//! A Thrift reader for the binary and compact protocols that bounds every length it reads.
//!
//! The Apache `thrift` crate allocates whatever a length prefix asks for before reading the
//! bytes, so a 5-byte message can ask for gigabytes; this reader checks each string,
//! binary and container length against the bytes left before using it, caps struct nesting
//! and reports the byte offset of every failure. It reads only what Jaeger's IDL needs and
//! skips everything else.
//!
//! Wire rules (Thrift's protocol specifications):
//!
//! * binary: big-endian fixed-width integers and doubles; field header = type byte + i16 id;
//!   string = i32 length + bytes; list = element type byte + i32 size.
//! * compact: zigzag LEB128 varints for i16/i32/i64, little-endian doubles; field header =
//!   `delta << 4 | type` (delta 0: a zigzag i16 id follows); a boolean field's value is its
//!   type nibble; string = varint length + bytes; list = `size << 4 | type` (size 15: a
//!   varint size follows).

use crate::error::{ModelError, ThriftReason, WireFormat};

/// Which Thrift protocol the bytes are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `TBinaryProtocol`.
    Binary,
    /// `TCompactProtocol`.
    Compact,
}

impl Protocol {
    fn format(self) -> WireFormat {
        match self {
            Protocol::Binary => WireFormat::JaegerThriftBinary,
            Protocol::Compact => WireFormat::JaegerThriftCompact,
        }
    }
}

/// A Thrift value type, independent of protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TType {
    Bool,
    I8,
    I16,
    I32,
    I64,
    Double,
    Binary,
    Struct,
    Map,
    Set,
    List,
    Uuid,
}

impl TType {
    /// The binary protocol's type id, used in error reports.
    pub(crate) fn id(self) -> u8 {
        match self {
            TType::Bool => 2,
            TType::I8 => 3,
            TType::Double => 4,
            TType::I16 => 6,
            TType::I32 => 8,
            TType::I64 => 10,
            TType::Binary => 11,
            TType::Struct => 12,
            TType::Map => 13,
            TType::Set => 14,
            TType::List => 15,
            TType::Uuid => 16,
        }
    }

    fn from_binary(id: u8) -> Option<Self> {
        Some(match id {
            2 => TType::Bool,
            3 => TType::I8,
            4 => TType::Double,
            6 => TType::I16,
            8 => TType::I32,
            10 => TType::I64,
            11 => TType::Binary,
            12 => TType::Struct,
            13 => TType::Map,
            14 => TType::Set,
            15 => TType::List,
            16 => TType::Uuid,
            _ => return None,
        })
    }

    fn from_compact(id: u8) -> Option<Self> {
        Some(match id {
            1 | 2 => TType::Bool,
            3 => TType::I8,
            4 => TType::I16,
            5 => TType::I32,
            6 => TType::I64,
            7 => TType::Double,
            8 => TType::Binary,
            9 => TType::List,
            10 => TType::Set,
            11 => TType::Map,
            12 => TType::Struct,
            13 => TType::Uuid,
            _ => return None,
        })
    }
}

/// Deepest struct/container nesting accepted (Thrift's Go library uses the same bound).
pub(crate) const MAX_DEPTH: usize = 64;

/// The message types a Thrift message header can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MessageHeader<'a> {
    pub(crate) name: &'a [u8],
    pub(crate) kind: u8,
    pub(crate) seq_id: i32,
}

/// A bounds-checked reader over one Thrift-encoded buffer.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    protocol: Protocol,
    /// Compact: the last field id of each open struct.
    last_ids: Vec<i16>,
    /// Compact: the value of a boolean field, carried in its header.
    pending_bool: Option<bool>,
}

type Result<T> = std::result::Result<T, ModelError>;

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8], protocol: Protocol) -> Self {
        Self {
            buf,
            pos: 0,
            protocol,
            last_ids: Vec::new(),
            pending_bool: None,
        }
    }

    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// An error at the current position.
    pub(crate) fn error(&self, reason: ThriftReason) -> ModelError {
        self.error_at(self.pos, reason)
    }

    pub(crate) fn error_at(&self, offset: usize, reason: ThriftReason) -> ModelError {
        ModelError::Thrift {
            format: self.protocol.format(),
            offset,
            reason,
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let available = self.buf.len() - self.pos;
        if n > available {
            return Err(self.error(ThriftReason::Truncated {
                needed: n,
                available,
            }));
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let bytes = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    fn byte(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }

    fn varint(&mut self, max_bytes: usize) -> Result<u64> {
        let start = self.pos;
        let mut value = 0u64;
        for i in 0..max_bytes {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(self.error_at(start, ThriftReason::VarintTooLong))
    }

    fn zigzag(v: u64) -> i64 {
        #[allow(clippy::cast_possible_wrap)]
        let r = ((v >> 1) as i64) ^ -((v & 1) as i64);
        r
    }

    pub(crate) fn read_i16(&mut self) -> Result<i16> {
        match self.protocol {
            Protocol::Binary => Ok(i16::from_be_bytes(self.array()?)),
            #[allow(clippy::cast_possible_truncation)]
            Protocol::Compact => Ok(Self::zigzag(self.varint(3)?) as i16),
        }
    }

    pub(crate) fn read_i32(&mut self) -> Result<i32> {
        match self.protocol {
            Protocol::Binary => Ok(i32::from_be_bytes(self.array()?)),
            #[allow(clippy::cast_possible_truncation)]
            Protocol::Compact => Ok(Self::zigzag(self.varint(5)?) as i32),
        }
    }

    pub(crate) fn read_i64(&mut self) -> Result<i64> {
        match self.protocol {
            Protocol::Binary => Ok(i64::from_be_bytes(self.array()?)),
            Protocol::Compact => Ok(Self::zigzag(self.varint(10)?)),
        }
    }

    pub(crate) fn read_double(&mut self) -> Result<f64> {
        let bytes = self.array::<8>()?;
        Ok(match self.protocol {
            Protocol::Binary => f64::from_be_bytes(bytes),
            Protocol::Compact => f64::from_le_bytes(bytes),
        })
    }

    pub(crate) fn read_bool(&mut self) -> Result<bool> {
        if let Some(v) = self.pending_bool.take() {
            return Ok(v);
        }
        // Binary: 1 is true. Compact container element: 1 is true, 2 false.
        Ok(self.byte()? == 1)
    }

    /// A length prefix, checked against the bytes left.
    fn length(&mut self) -> Result<usize> {
        let start = self.pos;
        let raw: i64 = match self.protocol {
            Protocol::Binary => i64::from(self.read_i32()?),
            Protocol::Compact => {
                let v = self.varint(5)?;
                i64::try_from(v).unwrap_or(i64::MAX)
            }
        };
        match usize::try_from(raw) {
            Ok(n) if n <= self.buf.len() - self.pos => Ok(n),
            _ => Err(self.error_at(start, ThriftReason::BadLength(raw))),
        }
    }

    pub(crate) fn read_binary(&mut self) -> Result<&'a [u8]> {
        let n = self.length()?;
        self.take(n)
    }

    /// A string field; `field` names it in the error when it is not UTF-8.
    pub(crate) fn read_string(&mut self, field: &'static str) -> Result<String> {
        let start = self.pos;
        let bytes = self.read_binary()?;
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| self.error_at(start, ThriftReason::NotUtf8(field)))
    }

    pub(crate) fn struct_begin(&mut self) -> Result<()> {
        if self.last_ids.len() >= MAX_DEPTH {
            return Err(self.error(ThriftReason::TooDeep));
        }
        self.last_ids.push(0);
        Ok(())
    }

    pub(crate) fn struct_end(&mut self) {
        self.last_ids.pop();
    }

    /// The next field's type and id, or `None` at the struct's stop byte.
    pub(crate) fn field_begin(&mut self) -> Result<Option<(TType, i16)>> {
        let start = self.pos;
        let header = self.byte()?;
        match self.protocol {
            Protocol::Binary => {
                if header == 0 {
                    return Ok(None);
                }
                let t = TType::from_binary(header)
                    .ok_or_else(|| self.error_at(start, ThriftReason::UnknownType(header)))?;
                let id = self.read_i16()?;
                Ok(Some((t, id)))
            }
            Protocol::Compact => {
                let type_id = header & 0x0f;
                if type_id == 0 {
                    return Ok(None);
                }
                let t = TType::from_compact(type_id)
                    .ok_or_else(|| self.error_at(start, ThriftReason::UnknownType(type_id)))?;
                let delta = header >> 4;
                let last = self.last_ids.last().copied().unwrap_or(0);
                let id = if delta == 0 {
                    self.read_i16()?
                } else {
                    last.wrapping_add(i16::from(delta))
                };
                if let Some(slot) = self.last_ids.last_mut() {
                    *slot = id;
                }
                if t == TType::Bool {
                    self.pending_bool = Some(type_id == 1);
                }
                Ok(Some((t, id)))
            }
        }
    }

    /// A list or set header: element type and element count. Every element takes at least
    /// one byte, so a count larger than the bytes left is rejected before anything is sized
    /// by it.
    pub(crate) fn list_begin(&mut self) -> Result<(TType, usize)> {
        let start = self.pos;
        let (type_id, size) = match self.protocol {
            Protocol::Binary => {
                let t = self.byte()?;
                let size = i64::from(self.read_i32()?);
                (t, size)
            }
            Protocol::Compact => {
                let header = self.byte()?;
                let short = header >> 4;
                let size = if short == 15 {
                    i64::try_from(self.varint(5)?).unwrap_or(i64::MAX)
                } else {
                    i64::from(short)
                };
                (header & 0x0f, size)
            }
        };
        let t = match self.protocol {
            Protocol::Binary => TType::from_binary(type_id),
            Protocol::Compact => TType::from_compact(type_id),
        }
        .ok_or_else(|| self.error_at(start, ThriftReason::UnknownType(type_id)))?;
        match usize::try_from(size) {
            Ok(n) if n <= self.buf.len() - self.pos => Ok((t, n)),
            _ => Err(self.error_at(start, ThriftReason::BadLength(size))),
        }
    }

    /// A map header: key type, value type, entry count (bounded as for lists).
    fn map_begin(&mut self) -> Result<(TType, TType, usize)> {
        let start = self.pos;
        let (k, v, size) = match self.protocol {
            Protocol::Binary => {
                let k = self.byte()?;
                let v = self.byte()?;
                (k, v, i64::from(self.read_i32()?))
            }
            Protocol::Compact => {
                let size = i64::try_from(self.varint(5)?).unwrap_or(i64::MAX);
                if size == 0 {
                    return Ok((TType::I8, TType::I8, 0));
                }
                let kv = self.byte()?;
                (kv >> 4, kv & 0x0f, size)
            }
        };
        let decode = |id| match self.protocol {
            Protocol::Binary => TType::from_binary(id),
            Protocol::Compact => TType::from_compact(id),
        };
        let kt = decode(k).ok_or_else(|| self.error_at(start, ThriftReason::UnknownType(k)))?;
        let vt = decode(v).ok_or_else(|| self.error_at(start, ThriftReason::UnknownType(v)))?;
        match usize::try_from(size) {
            Ok(n) if n <= self.buf.len() - self.pos => Ok((kt, vt, n)),
            _ => Err(self.error_at(start, ThriftReason::BadLength(size))),
        }
    }

    /// Skips one value of type `t`, nested values included.
    pub(crate) fn skip(&mut self, t: TType) -> Result<()> {
        self.skip_depth(t, 0)
    }

    fn skip_depth(&mut self, t: TType, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(self.error(ThriftReason::TooDeep));
        }
        match t {
            TType::Bool => {
                self.read_bool()?;
            }
            TType::I8 => {
                self.take(1)?;
            }
            TType::I16 => {
                self.read_i16()?;
            }
            TType::I32 => {
                self.read_i32()?;
            }
            TType::I64 => {
                self.read_i64()?;
            }
            TType::Double => {
                self.take(8)?;
            }
            TType::Uuid => {
                self.take(16)?;
            }
            TType::Binary => {
                self.read_binary()?;
            }
            TType::Struct => {
                self.struct_begin()?;
                while let Some((ft, _)) = self.field_begin()? {
                    self.skip_depth(ft, depth + 1)?;
                }
                self.struct_end();
            }
            TType::List | TType::Set => {
                let (et, n) = self.list_begin()?;
                for _ in 0..n {
                    self.skip_depth(et, depth + 1)?;
                }
            }
            TType::Map => {
                let (kt, vt, n) = self.map_begin()?;
                for _ in 0..n {
                    self.skip_depth(kt, depth + 1)?;
                    self.skip_depth(vt, depth + 1)?;
                }
            }
        }
        Ok(())
    }

    /// A message header (method call) in this reader's protocol. The binary protocol's
    /// strict (versioned) and old forms are both accepted.
    pub(crate) fn message_begin(&mut self) -> Result<MessageHeader<'a>> {
        let start = self.pos;
        match self.protocol {
            Protocol::Compact => {
                let id = self.byte()?;
                if id != 0x82 {
                    return Err(self.error_at(
                        start,
                        ThriftReason::BadMessage(format!("protocol id {id:#04x}, expected 0x82")),
                    ));
                }
                let vt = self.byte()?;
                if vt & 0x1f != 1 {
                    return Err(self.error_at(
                        start + 1,
                        ThriftReason::BadMessage(format!("version {}, expected 1", vt & 0x1f)),
                    ));
                }
                #[allow(clippy::cast_possible_truncation)]
                let seq_id = self.varint(5)? as i32;
                let name = self.read_binary()?;
                Ok(MessageHeader {
                    name,
                    kind: vt >> 5,
                    seq_id,
                })
            }
            Protocol::Binary => {
                let first = self.read_i32()?;
                if first < 0 {
                    #[allow(clippy::cast_sign_loss)]
                    let word = first as u32;
                    if word & 0xffff_0000 != 0x8001_0000 {
                        return Err(self.error_at(
                            start,
                            ThriftReason::BadMessage(format!("version word {word:#010x}")),
                        ));
                    }
                    let name = self.read_binary()?;
                    let seq_id = self.read_i32()?;
                    #[allow(clippy::cast_possible_truncation)]
                    let kind = (word & 0xff) as u8;
                    Ok(MessageHeader { name, kind, seq_id })
                } else {
                    self.pos = start;
                    let name = self.read_binary()?;
                    let kind = self.byte()?;
                    let seq_id = self.read_i32()?;
                    Ok(MessageHeader { name, kind, seq_id })
                }
            }
        }
    }
}

/// The 32-bit integer fields of the Thrift struct at the start of `bytes` and of the structs
/// directly inside it, as (outer field ID, inner field ID or 0, value), with the struct
/// walked as [`thrift_struct_len`] walks it. Lets a caller check sizes and counts a decoder
/// would allocate by (e.g. a Parquet page header's `uncompressed_page_size`).
///
/// # Errors
///
/// As [`thrift_struct_len`].
pub fn thrift_struct_i32_fields(bytes: &[u8], protocol: Protocol) -> Result<Vec<(i16, i16, i32)>> {
    let mut r = Reader::new(bytes, protocol);
    let mut out = Vec::new();
    r.struct_begin()?;
    while let Some((t, id)) = r.field_begin()? {
        match t {
            TType::I32 => out.push((id, 0, r.read_i32()?)),
            TType::Struct => {
                r.struct_begin()?;
                while let Some((inner_t, inner_id)) = r.field_begin()? {
                    if inner_t == TType::I32 {
                        out.push((id, inner_id, r.read_i32()?));
                    } else {
                        r.skip(inner_t)?;
                    }
                }
                r.struct_end();
            }
            other => r.skip(other)?,
        }
    }
    r.struct_end();
    Ok(out)
}

/// The encoded length of the Thrift struct at the start of `bytes`, found by walking it with
/// every length, count and nesting level checked against the bytes (so the work is bounded
/// by the input's size). For checking untrusted Thrift before handing it to a decoder that
/// trusts counts — e.g. Parquet footers and page headers, which are compact-protocol structs.
///
/// # Errors
///
/// [`ModelError::Thrift`] with the offset and reason when the bytes do not hold a complete
/// struct.
pub fn thrift_struct_len(bytes: &[u8], protocol: Protocol) -> Result<usize> {
    if protocol == Protocol::Compact
        && let Some(len) = compact_struct_len(bytes)
    {
        return Ok(len);
    }
    let mut r = Reader::new(bytes, protocol);
    r.skip(TType::Struct)?;
    Ok(r.position())
}

/// Nesting at which [`CompactWalk`] gives up and leaves the walk to [`Reader`] (which allows
/// [`MAX_DEPTH`]); Parquet's structs nest a handful of levels.
const FAST_WALK_DEPTH: usize = 32;

/// [`thrift_struct_len`]'s walk of a compact-protocol struct, without the [`Reader`]'s field
/// IDs, boolean slot and error reports: about four times as fast on Parquet footers. It
/// accepts only what [`Reader::skip`] accepts, with the same length; `None` (invalid input,
/// or nesting past [`FAST_WALK_DEPTH`]) hands the bytes to the reader, which then reports the
/// error with its offset.
fn compact_struct_len(bytes: &[u8]) -> Option<usize> {
    let mut w = CompactWalk { buf: bytes, pos: 0 };
    w.fields(0)?;
    Some(w.pos)
}

struct CompactWalk<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl CompactWalk<'_> {
    #[inline]
    fn byte(&mut self) -> Option<u8> {
        let b = *self.buf.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    /// A varint of at most `max` bytes (the reader's bounds: 3 for i16, 5 for i32 and
    /// lengths, 10 for i64).
    #[inline]
    fn varint(&mut self, max: usize) -> Option<u64> {
        let mut value = 0u64;
        for i in 0..max {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    /// Steps over a varint of at most `max` bytes.
    #[inline]
    fn skip_varint(&mut self, max: usize) -> Option<()> {
        let rest = self.buf.get(self.pos..)?;
        let end = rest.iter().take(max).position(|b| b & 0x80 == 0)?;
        self.pos += end + 1;
        Some(())
    }

    #[inline]
    fn skip(&mut self, n: u64) -> Option<()> {
        let n = usize::try_from(n).ok()?;
        if n > self.buf.len() - self.pos {
            return None;
        }
        self.pos += n;
        Some(())
    }

    /// A container's element count, which may not exceed the bytes left.
    #[inline]
    fn count(&self, n: u64) -> Option<u64> {
        (usize::try_from(n).ok()? <= self.buf.len() - self.pos).then_some(n)
    }

    /// The fields of a struct up to its stop byte, the struct at `depth`.
    fn fields(&mut self, depth: usize) -> Option<()> {
        if depth > FAST_WALK_DEPTH {
            return None;
        }
        loop {
            let header = self.byte()?;
            let t = header & 0x0f;
            if t == 0 {
                return Some(());
            }
            if header >> 4 == 0 {
                // A full field ID follows.
                self.skip_varint(3)?;
            }
            match t {
                // A boolean field's value is its type nibble.
                1 | 2 => {}
                5 => self.skip_varint(5)?,
                6 => self.skip_varint(10)?,
                8 => {
                    let n = self.varint(5)?;
                    self.skip(n)?;
                }
                _ => self.value(t, depth + 1)?,
            }
        }
    }

    /// `n` values of compact type `et`, the elements of a list or set at `depth - 1`.
    fn elements(&mut self, et: u8, n: u64, depth: usize) -> Option<()> {
        let n = self.count(n)?;
        match et {
            // Booleans and bytes take one byte each, doubles eight, UUIDs sixteen.
            1..=3 => self.skip(n),
            7 => self.skip(n.checked_mul(8)?),
            13 => self.skip(n.checked_mul(16)?),
            4..=6 => {
                let max = [3, 5, 10][usize::from(et - 4)];
                for _ in 0..n {
                    self.skip_varint(max)?;
                }
                Some(())
            }
            8 => {
                for _ in 0..n {
                    let len = self.varint(5)?;
                    self.skip(len)?;
                }
                Some(())
            }
            _ => {
                for _ in 0..n {
                    self.value(et, depth)?;
                }
                Some(())
            }
        }
    }

    /// One value of compact type `t` (a boolean as a container element: one byte).
    fn value(&mut self, t: u8, depth: usize) -> Option<()> {
        match t {
            1..=3 => self.skip(1),
            4 => self.skip_varint(3),
            5 => self.skip_varint(5),
            6 => self.skip_varint(10),
            7 => self.skip(8),
            8 => {
                let n = self.varint(5)?;
                self.skip(n)
            }
            9 | 10 => {
                if depth > FAST_WALK_DEPTH {
                    return None;
                }
                let header = self.byte()?;
                let short = header >> 4;
                let n = if short == 15 {
                    self.varint(5)?
                } else {
                    u64::from(short)
                };
                let et = header & 0x0f;
                if !(1..=13).contains(&et) {
                    return None;
                }
                self.elements(et, n, depth + 1)
            }
            11 => {
                if depth > FAST_WALK_DEPTH {
                    return None;
                }
                let n = self.varint(5)?;
                if n == 0 {
                    return Some(());
                }
                let kv = self.byte()?;
                let (kt, vt) = (kv >> 4, kv & 0x0f);
                if !(1..=13).contains(&kt) || !(1..=13).contains(&vt) {
                    return None;
                }
                for _ in 0..self.count(n)? {
                    self.value(kt, depth + 1)?;
                    self.value(vt, depth + 1)?;
                }
                Some(())
            }
            12 => self.fields(depth),
            13 => self.skip(16),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_past_the_end_are_rejected_before_use() {
        // Binary string claiming 2^31-1 bytes.
        let mut r = Reader::new(&[0x7f, 0xff, 0xff, 0xff, b'a'], Protocol::Binary);
        assert!(matches!(
            r.read_binary(),
            Err(ModelError::Thrift {
                offset: 0,
                reason: ThriftReason::BadLength(0x7fff_ffff),
                ..
            })
        ));
        // Compact list of 2^32 elements.
        let mut r = Reader::new(&[0xfc, 0xff, 0xff, 0xff, 0xff, 0x0f], Protocol::Compact);
        assert!(matches!(
            r.list_begin(),
            Err(ModelError::Thrift {
                reason: ThriftReason::BadLength(_),
                ..
            })
        ));
        // Negative binary list size.
        let mut r = Reader::new(&[12, 0xff, 0xff, 0xff, 0xff], Protocol::Binary);
        assert!(r.list_begin().is_err());
    }

    #[test]
    fn compact_integers_and_field_deltas() {
        // struct { 1: i64 = -1, 3: bool true, 20: string "hi" } STOP
        let bytes = [0x16, 0x01, 0x21, 0x08, 0x28, 0x02, b'h', b'i', 0x00];
        let mut r = Reader::new(&bytes, Protocol::Compact);
        r.struct_begin().unwrap();
        assert_eq!(r.field_begin().unwrap(), Some((TType::I64, 1)));
        assert_eq!(r.read_i64().unwrap(), -1);
        assert_eq!(r.field_begin().unwrap(), Some((TType::Bool, 3)));
        assert!(r.read_bool().unwrap());
        assert_eq!(r.field_begin().unwrap(), Some((TType::Binary, 20)));
        assert_eq!(r.read_binary().unwrap(), b"hi");
        assert_eq!(r.field_begin().unwrap(), None);
    }

    #[test]
    fn binary_message_headers_strict_and_old() {
        let strict = [0x80, 0x01, 0x00, 0x04, 0, 0, 0, 2, b'h', b'i', 0, 0, 0, 7];
        let old = [0, 0, 0, 2, b'h', b'i', 4, 0, 0, 0, 7];
        for bytes in [&strict[..], &old[..]] {
            let header = Reader::new(bytes, Protocol::Binary)
                .message_begin()
                .unwrap();
            assert_eq!(
                (header.name, header.kind, header.seq_id),
                (&b"hi"[..], 4, 7)
            );
        }
        let bad = [0x80, 0x02, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0];
        assert!(Reader::new(&bad, Protocol::Binary).message_begin().is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        // Binary: struct field 1 of type struct, repeated.
        let mut bytes = Vec::new();
        for _ in 0..10_000 {
            bytes.extend_from_slice(&[12, 0, 1]);
        }
        let mut r = Reader::new(&bytes, Protocol::Binary);
        assert!(matches!(
            r.skip(TType::Struct),
            Err(ModelError::Thrift {
                reason: ThriftReason::TooDeep,
                ..
            })
        ));
    }

    /// A small deterministic generator (xorshift64*).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            #[allow(clippy::cast_possible_truncation)]
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        #[allow(clippy::cast_possible_truncation)]
        out.push(v as u8);
    }

    /// A random compact value of type `t` (booleans as container elements).
    fn value(rng: &mut Rng, t: u8, depth: usize, out: &mut Vec<u8>) {
        let leaf = depth > 6;
        match t {
            1 | 2 => out.push(1 + u8::try_from(rng.below(2)).unwrap_or(0)),
            3 => out.push(u8::try_from(rng.below(256)).unwrap_or(0)),
            4 => varint(out, rng.below(1 << 16)),
            5 => varint(out, rng.below(1 << 32)),
            6 => varint(out, rng.next()),
            7 => out.extend_from_slice(&rng.next().to_le_bytes()),
            8 => {
                let n = rng.below(20);
                varint(out, n);
                out.extend((0..n).map(|i| u8::try_from(i).unwrap_or(0)));
            }
            9 | 10 => {
                let n = if leaf { 0 } else { rng.below(20) };
                let et = element_type(rng);
                if n < 15 {
                    out.push(u8::try_from(n).unwrap_or(0) << 4 | et);
                } else {
                    out.push(0xf0 | et);
                    varint(out, n);
                }
                for _ in 0..n {
                    value(rng, et, depth + 1, out);
                }
            }
            11 => {
                let n = if leaf { 0 } else { rng.below(4) };
                varint(out, n);
                if n > 0 {
                    let (kt, vt) = (element_type(rng), element_type(rng));
                    out.push(kt << 4 | vt);
                    for _ in 0..n {
                        value(rng, kt, depth + 1, out);
                        value(rng, vt, depth + 1, out);
                    }
                }
            }
            12 => fields(rng, depth, out),
            _ => out.extend_from_slice(&[0xab; 16]),
        }
    }

    fn element_type(rng: &mut Rng) -> u8 {
        1 + u8::try_from(rng.below(13)).unwrap_or(0)
    }

    /// A random compact struct's fields and stop byte.
    fn fields(rng: &mut Rng, depth: usize, out: &mut Vec<u8>) {
        let n = if depth > 6 { 0 } else { rng.below(6) };
        for _ in 0..n {
            let t = element_type(rng);
            let delta = u8::try_from(rng.below(16)).unwrap_or(0);
            out.push(delta << 4 | t);
            if delta == 0 {
                varint(out, rng.below(1 << 16));
            }
            if t != 1 && t != 2 {
                value(rng, t, depth + 1, out);
            }
        }
        out.push(0);
    }

    fn reader_len(bytes: &[u8]) -> Option<usize> {
        let mut r = Reader::new(bytes, Protocol::Compact);
        r.skip(TType::Struct).ok().map(|()| r.position())
    }

    #[test]
    fn fast_compact_walk_agrees_with_the_reader() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut answered = 0;
        for _ in 0..3000 {
            let mut bytes = Vec::new();
            fields(&mut rng, 0, &mut bytes);
            let len = bytes.len();
            bytes.extend_from_slice(&[0x15, 0x02, 0x00]);
            // Every well-formed struct is walked, to the same length.
            assert_eq!(compact_struct_len(&bytes), Some(len));
            assert_eq!(reader_len(&bytes), Some(len));
            // Damaged copies: wherever the fast walk answers, the reader agrees.
            for _ in 0..8 {
                let mut bad = bytes.clone();
                match rng.below(3) {
                    0 => bad.truncate(usize::try_from(rng.below(len as u64)).unwrap_or(0)),
                    1 => {
                        let at = usize::try_from(rng.below(bad.len() as u64)).unwrap_or(0);
                        bad[at] = u8::try_from(rng.below(256)).unwrap_or(0);
                    }
                    _ => {
                        let at = usize::try_from(rng.below(bad.len() as u64)).unwrap_or(0);
                        bad[at] ^= 1 << rng.below(8);
                    }
                }
                if let Some(n) = compact_struct_len(&bad) {
                    answered += 1;
                    assert_eq!(reader_len(&bad), Some(n), "{bad:02x?}");
                }
                assert_eq!(
                    thrift_struct_len(&bad, Protocol::Compact).ok(),
                    reader_len(&bad)
                );
            }
        }
        assert!(answered > 1000, "{answered}");
        // Random bytes too.
        for _ in 0..20_000 {
            let n = usize::try_from(rng.below(24)).unwrap_or(0);
            let bytes: Vec<u8> = (0..n)
                .map(|_| u8::try_from(rng.below(256)).unwrap_or(0))
                .collect();
            if let Some(len) = compact_struct_len(&bytes) {
                assert_eq!(reader_len(&bytes), Some(len), "{bytes:02x?}");
            }
        }
    }

    #[test]
    fn deep_compact_structs_fall_back_to_the_reader() {
        // Struct field 1 of type struct, nested 40 deep: past the fast walk's depth, within
        // the reader's.
        let mut bytes = vec![0x1c; 40];
        bytes.extend(std::iter::repeat_n(0, 41));
        assert_eq!(compact_struct_len(&bytes), None);
        assert_eq!(
            thrift_struct_len(&bytes, Protocol::Compact).ok(),
            Some(bytes.len())
        );
        // 100 deep: the reader's error.
        let mut bytes = vec![0x1c; 100];
        bytes.extend(std::iter::repeat_n(0, 101));
        assert!(matches!(
            thrift_struct_len(&bytes, Protocol::Compact),
            Err(ModelError::Thrift {
                reason: ThriftReason::TooDeep,
                ..
            })
        ));
    }
}
