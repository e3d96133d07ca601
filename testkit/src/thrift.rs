//! A minimal Thrift writer for tests, in the binary and the compact protocol: enough to build
//! Jaeger `Batch` structs and agent `emitBatch` datagrams field by field, including the
//! malformed ones a decoder must refuse. The one copy the workspace's tests share.

#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap,
    clippy::cast_lossless
)] // the writer encodes Thrift's bit patterns

/// Binary-protocol type ids (the compact protocol's are derived from them).
pub const T_BOOL: u8 = 2;
/// `double`.
pub const T_DOUBLE: u8 = 4;
/// `i32`.
pub const T_I32: u8 = 8;
/// `i64`.
pub const T_I64: u8 = 10;
/// `string` / `binary`.
pub const T_STRING: u8 = 11;
/// A struct.
pub const T_STRUCT: u8 = 12;
/// A list.
pub const T_LIST: u8 = 15;

/// Writes Thrift values into [`ThriftWriter::out`]; struct nesting is tracked for the
/// compact protocol's field-id deltas.
#[derive(Debug, Clone)]
pub struct ThriftWriter {
    /// What has been written.
    pub out: Vec<u8>,
    compact: bool,
    last_field: Vec<i16>,
}

impl ThriftWriter {
    /// A writer in the compact (`true`) or binary (`false`) protocol.
    pub fn new(compact: bool) -> Self {
        Self {
            out: Vec::new(),
            compact,
            last_field: vec![0],
        }
    }

    /// Whether this writer speaks the compact protocol.
    pub fn is_compact(&self) -> bool {
        self.compact
    }

    fn compact_type(t: u8) -> u8 {
        match t {
            T_BOOL => 1,
            T_DOUBLE => 7,
            T_I32 => 5,
            T_I64 => 6,
            T_STRING => 8,
            T_STRUCT => 12,
            T_LIST => 9,
            _ => panic!("no compact type for binary type {t}"),
        }
    }

    /// An unsigned LEB128 varint.
    pub fn varint(&mut self, mut v: u64) -> &mut Self {
        while v >= 0x80 {
            self.out.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.out.push(v as u8);
        self
    }

    fn zigzag(v: i64) -> u64 {
        ((v << 1) ^ (v >> 63)) as u64
    }

    /// A field header of type `t` (a binary type id) and id `id`.
    pub fn field(&mut self, t: u8, id: i16) -> &mut Self {
        if self.compact {
            let last = self.last_field.last().copied().unwrap_or(0);
            let delta = id - last;
            if (1..=15).contains(&delta) {
                self.out.push(((delta as u8) << 4) | Self::compact_type(t));
            } else {
                self.out.push(Self::compact_type(t));
                self.varint(Self::zigzag(i64::from(id)));
            }
            if let Some(l) = self.last_field.last_mut() {
                *l = id;
            }
        } else {
            self.out.push(t);
            self.out.extend_from_slice(&id.to_be_bytes());
        }
        self
    }

    /// A bool field (the compact protocol folds the value into the field header).
    pub fn bool_field(&mut self, id: i16, v: bool) -> &mut Self {
        if self.compact {
            let last = self.last_field.last().copied().unwrap_or(0);
            self.out
                .push((((id - last) as u8) << 4) | if v { 1 } else { 2 });
            if let Some(l) = self.last_field.last_mut() {
                *l = id;
            }
        } else {
            self.field(T_BOOL, id);
            self.out.push(u8::from(v));
        }
        self
    }

    /// An `i32` value.
    pub fn i32(&mut self, v: i32) -> &mut Self {
        if self.compact {
            self.varint(Self::zigzag(i64::from(v)))
        } else {
            self.out.extend_from_slice(&v.to_be_bytes());
            self
        }
    }

    /// An `i64` value.
    pub fn i64(&mut self, v: i64) -> &mut Self {
        if self.compact {
            self.varint(Self::zigzag(v))
        } else {
            self.out.extend_from_slice(&v.to_be_bytes());
            self
        }
    }

    /// A `double` value.
    pub fn double(&mut self, v: f64) -> &mut Self {
        if self.compact {
            self.out.extend_from_slice(&v.to_le_bytes());
        } else {
            self.out.extend_from_slice(&v.to_be_bytes());
        }
        self
    }

    /// A `string` value.
    pub fn string(&mut self, s: &str) -> &mut Self {
        if self.compact {
            self.varint(s.len() as u64);
        } else {
            self.out.extend_from_slice(&(s.len() as i32).to_be_bytes());
        }
        self.out.extend_from_slice(s.as_bytes());
        self
    }

    /// A list header: `len` elements of type `elem`.
    pub fn list(&mut self, elem: u8, len: usize) -> &mut Self {
        if self.compact {
            if len < 15 {
                self.out.push(((len as u8) << 4) | Self::compact_type(elem));
            } else {
                self.out.push(0xf0 | Self::compact_type(elem));
                self.varint(len as u64);
            }
        } else {
            self.out.push(elem);
            self.out.extend_from_slice(&(len as i32).to_be_bytes());
        }
        self
    }

    /// Enters a struct (its fields follow).
    pub fn begin(&mut self) -> &mut Self {
        self.last_field.push(0);
        self
    }

    /// Ends the struct entered last (its stop byte).
    pub fn end(&mut self) -> &mut Self {
        self.out.push(0);
        self.last_field.pop();
        self
    }

    /// An `i64` field.
    pub fn i64_field(&mut self, id: i16, v: i64) -> &mut Self {
        self.field(T_I64, id).i64(v)
    }

    /// A `string` field.
    pub fn str_field(&mut self, id: i16, v: &str) -> &mut Self {
        self.field(T_STRING, id).string(v)
    }

    /// The header of a oneway call `name` with sequence id 1 (what Jaeger agents receive).
    pub fn oneway_call(&mut self, name: &str) -> &mut Self {
        if self.compact {
            // protocol id 0x82, version 1 | ONEWAY (4) << 5, seqid 1
            self.out.extend_from_slice(&[0x82, 0x81, 0x01]);
            self.string(name)
        } else {
            self.out.extend_from_slice(&0x8001_0004_u32.to_be_bytes());
            self.string(name);
            self.out.extend_from_slice(&1_i32.to_be_bytes());
            self
        }
    }
}
