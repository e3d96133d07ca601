//! The V4 structured-metadata symbol table.
//!
//! Names and values of structured metadata share one table of strings, indexed from 0 in
//! first-use order; entries refer to them by index. In a chunk the table is stored as an
//! uncompressed `uvarint count` followed by a codec stream of `count x (uvarint len, bytes)`;
//! in the WAL-checkpoint form the list is stored uncompressed.

use std::collections::HashMap;

use crate::codec::Codec;
use crate::cursor::{Cursor, put_uvarint, uvarint_len};
use crate::error::{ChunkError, Section};
use crate::format::{MAX_SYMBOLS, MAX_SYMBOLS_LEN};

/// Normalises a structured-metadata name the way Loki's reader does (the OTLP to Prometheus
/// label-name rules): characters outside `[A-Za-z0-9_]` become `_`, runs of `_` after the
/// first character collapse to one, a leading digit gets a `key_` prefix and a single
/// leading `_` a `key` prefix. Reserved names of the form `__x__`, and names that are already
/// valid with no repeated underscores, are returned unchanged (borrowed).
///
/// ```
/// use loki_chunk::symbols::normalize_name;
/// assert_eq!(normalize_name("service.name"), "service_name");
/// assert_eq!(normalize_name("1st-key"), "key_1st_key");
/// assert_eq!(normalize_name("trace_id"), "trace_id");
/// assert_eq!(normalize_name("__reserved__"), "__reserved__");
/// ```
pub fn normalize_name(name: &str) -> std::borrow::Cow<'_, str> {
    let valid = |c: char| c.is_ascii_alphanumeric() || c == '_';
    // Reserved names (`__name__`, `__stream_shard__`) are kept as they are.
    let reserved = name.len() > 4 && name.starts_with("__") && name.ends_with("__");
    if reserved && name.chars().all(valid) {
        return std::borrow::Cow::Borrowed(name);
    }
    let starts_ok = !name.starts_with(|c: char| c.is_ascii_digit())
        && (!name.starts_with('_') || name.starts_with("__"));
    if starts_ok && name.chars().all(valid) && !name.get(1..).is_some_and(|r| r.contains("__")) {
        return std::borrow::Cow::Borrowed(name);
    }
    let mut out = String::with_capacity(name.len() + 4);
    let mut leading = true;
    for c in name.chars() {
        let c = if valid(c) { c } else { '_' };
        // Keep a leading run of underscores (reserved names such as `__name__` start with
        // two); collapse later runs.
        if c == '_' && !leading && out.ends_with('_') {
            continue;
        }
        leading &= c == '_';
        out.push(c);
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "key_");
    } else if out.starts_with('_') && !out.starts_with("__") {
        out.insert_str(0, "key");
    }
    std::borrow::Cow::Owned(out)
}

/// A decoded symbol table: the stored strings and, for use as metadata names, their
/// normalised forms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SymbolTable {
    symbols: Vec<String>,
    names: Vec<String>,
}

impl SymbolTable {
    /// A table holding `symbols` in index order.
    pub fn from_symbols(symbols: Vec<String>) -> Self {
        let names = symbols
            .iter()
            .map(|s| normalize_name(s).into_owned())
            .collect();
        Self { symbols, names }
    }

    /// Number of symbols.
    pub fn len(&self) -> usize {
        self.symbols.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.symbols.is_empty()
    }

    /// The stored symbols, in index order.
    pub fn symbols(&self) -> &[String] {
        &self.symbols
    }

    /// Symbol `index` as stored (used for values).
    pub fn get(&self, index: u32) -> Option<&str> {
        self.symbols.get(index as usize).map(String::as_str)
    }

    /// Symbol `index` normalised as a metadata name.
    pub fn name(&self, index: u32) -> Option<&str> {
        self.names.get(index as usize).map(String::as_str)
    }

    /// Puts an entry's `(name, value)` symbol references in the order Loki's reader returns
    /// them: sorted by normalised name (stable, so pairs whose names normalise alike keep their
    /// stored order). Loki turns the resolved pairs into a label set, which sorts them; a chunk
    /// that stores `1st` before `k8s-cluster` (sorted raw) is read as `k8s_cluster` before
    /// `key_1st`. References must be in range (they are checked while decoding).
    pub(crate) fn sort_pairs(&self, pairs: &mut [(u32, u32)]) {
        if pairs.len() < 2 {
            return;
        }
        let name = |i: u32| self.names.get(i as usize).map_or("", String::as_str);
        if pairs.windows(2).all(|w| name(w[0].0) <= name(w[1].0)) {
            return;
        }
        pairs.sort_by(|a, b| name(a.0).cmp(name(b.0)));
    }

    /// Decodes the section at absolute offset `base`: `uvarint count`, then the list, which is
    /// a `codec` stream (or plain bytes when `codec` is `None`, as in checkpoints).
    pub(crate) fn decode(section: &[u8], base: u64, codec: Codec) -> Result<Self, ChunkError> {
        let mut cur = Cursor::new(section, base, Section::SymbolTable);
        // Each symbol takes at least one byte (its length varint).
        let count = cur.uvarint_max("symbol count", MAX_SYMBOLS)?;
        let stream_offset = cur.offset();
        let stream = cur.take(cur.remaining())?;
        let mut plain = Vec::new();
        let list: &[u8] = if codec == Codec::None {
            stream
        } else {
            codec
                .decompress_into(stream, &mut plain, MAX_SYMBOLS_LEN)
                .map_err(|reason| ChunkError::Decompress {
                    section: Section::SymbolTable,
                    codec,
                    offset: stream_offset,
                    reason,
                })?;
            &plain
        };
        // Offsets inside a decompressed list are relative to the list.
        let list_base = if codec == Codec::None {
            stream_offset
        } else {
            0
        };
        let mut cur = Cursor::new(list, list_base, Section::SymbolTable);
        if count > list.len() as u64 {
            return Err(ChunkError::OutOfRange {
                section: Section::SymbolTable,
                field: "symbol count",
                offset: base,
                limit: list.len() as u64,
                found: count,
            });
        }
        let mut symbols = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
        for _ in 0..count {
            let len = cur.uvarint()?;
            let at = cur.offset();
            let bytes = cur.take_u64_len(len)?;
            let s = std::str::from_utf8(bytes).map_err(|_| ChunkError::InvalidUtf8 {
                section: Section::SymbolTable,
                offset: at,
            })?;
            symbols.push(s.to_owned());
        }
        if !cur.is_empty() {
            return Err(ChunkError::TrailingBytes {
                section: Section::SymbolTable,
                offset: cur.offset(),
                count: cur.remaining() as u64,
            });
        }
        Ok(Self::from_symbols(symbols))
    }
}

/// Builds a symbol table while writing: deduplicates strings in first-use order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Symbolizer {
    index: HashMap<String, u32>,
    symbols: Vec<String>,
    /// Bytes of the uncompressed list (`uvarint len` + bytes per symbol).
    list_bytes: usize,
}

impl Symbolizer {
    pub(crate) fn add(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = u32::try_from(self.symbols.len()).unwrap_or(u32::MAX);
        self.index.insert(s.to_owned(), i);
        self.symbols.push(s.to_owned());
        self.list_bytes += uvarint_len(s.len() as u64) + s.len();
        i
    }

    /// Bytes of the symbol strings alone (Loki counts these towards a V4 chunk's
    /// uncompressed size).
    pub(crate) fn string_bytes(&self) -> usize {
        self.symbols.iter().map(String::len).sum()
    }

    pub(crate) fn symbols(&self) -> &[String] {
        &self.symbols
    }

    /// Appends the section (without its CRC): `uvarint count` then the list, compressed with
    /// `codec` (plain for `Codec::None`, as in checkpoints).
    pub(crate) fn encode_into(&self, codec: Codec, out: &mut Vec<u8>) -> Result<(), ChunkError> {
        put_uvarint(out, self.symbols.len() as u64);
        let mut list = Vec::with_capacity(self.list_bytes);
        for s in &self.symbols {
            put_uvarint(&mut list, s.len() as u64);
            list.extend_from_slice(s.as_bytes());
        }
        codec.compress_into(&list, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_matches_loki_examples() {
        for (raw, want) in [
            ("service.name", "service_name"),
            ("http.status_code", "http_status_code"),
            ("k8s.pod.name", "k8s_pod_name"),
            ("empty_value", "empty_value"),
            ("1st-key", "key_1st_key"),
            ("user", "user"),
            ("a..b", "a_b"),
            ("_x", "key_x"),
            ("__name__", "__name__"),
            ("", ""),
        ] {
            assert_eq!(normalize_name(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn table_round_trips_compressed_and_plain() {
        let mut s = Symbolizer::default();
        for x in ["trace_id", "abc", "user", "", "abc", "ünï"] {
            s.add(x);
        }
        assert_eq!(s.symbols().len(), 5);
        for codec in [Codec::None, Codec::Snappy, Codec::Gzip] {
            let mut out = Vec::new();
            s.encode_into(codec, &mut out).unwrap();
            let t = SymbolTable::decode(&out, 6, codec).unwrap();
            assert_eq!(t.symbols(), s.symbols());
        }
    }

    #[test]
    fn hostile_counts_are_rejected_before_allocating() {
        let mut out = Vec::new();
        put_uvarint(&mut out, 1 << 40);
        assert!(SymbolTable::decode(&out, 0, Codec::None).is_err());
    }
}
