//! Blocks: their metadata, and the entry payload inside one block.

use std::ops::{ControlFlow, Range};

use crate::cursor::{Cursor, put_uvarint, put_varint, uvarint_len};
use crate::error::{ChunkError, Section};
use crate::format::MAX_LINE_LEN;
use crate::symbols::SymbolTable;

/// Facts about one block, from the chunk's block metas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockMeta {
    /// Number of entries the writer put in the block.
    pub entries: u64,
    /// Smallest entry timestamp (ns).
    pub min_ts: i64,
    /// Largest entry timestamp (ns).
    pub max_ts: i64,
    /// Absolute file offset of the block's compressed data. When the stored offset was wrong
    /// (a historic writer bug Loki tolerates) this is where the block was actually found.
    pub offset: u64,
    /// Loki's uncompressed-size accounting for the block (0 in V1/V2 chunks).
    pub uncompressed_size: u64,
    /// Length of the compressed data, excluding the 4-byte CRC that follows it.
    pub compressed_len: u64,
}

impl BlockMeta {
    /// Whether the block may hold entries in the half-open range `[from, through)`.
    pub fn overlaps(&self, from: i64, through: i64) -> bool {
        self.max_ts >= from && self.min_ts < through
    }
}

/// One decoded entry: ranges into the decoded block's payload and pair list.
#[derive(Debug, Clone)]
pub(crate) struct RawEntry {
    pub(crate) ts: i64,
    pub(crate) line: Range<usize>,
    pub(crate) pairs: Range<usize>,
}

/// A block's entries after decompression, as ranges into its payload (no per-entry
/// allocation). The payload is `payload`, or, for uncompressed blocks, the range `borrowed` of
/// the chunk's own bytes (nothing is copied).
#[derive(Debug, Clone, Default)]
pub(crate) struct DecodedBlock {
    pub(crate) payload: Vec<u8>,
    pub(crate) borrowed: Option<Range<usize>>,
    pub(crate) entries: Vec<RawEntry>,
    pub(crate) pairs: Vec<(u32, u32)>,
}

impl DecodedBlock {
    /// The payload bytes, given the chunk's bytes (for a borrowed payload).
    pub(crate) fn bytes<'a>(&'a self, chunk: &'a [u8]) -> &'a [u8] {
        match &self.borrowed {
            Some(r) => chunk.get(r.clone()).unwrap_or_default(),
            None => &self.payload,
        }
    }

    /// Parses `self.payload` (already decompressed) into entries. `with_metadata` is true for
    /// V4 chunks. Offsets in errors are relative to the decompressed payload.
    pub(crate) fn parse(
        &mut self,
        section: Section,
        with_metadata: bool,
        symbols: &SymbolTable,
        max_entries: u64,
    ) -> Result<(), ChunkError> {
        self.borrowed = None;
        let payload = std::mem::take(&mut self.payload);
        let result = self.parse_slice(&payload, 0, section, with_metadata, symbols, max_entries);
        self.payload = payload;
        result
    }

    /// Parses `chunk[range]` in place (an uncompressed block); error offsets are absolute.
    pub(crate) fn parse_borrowed(
        &mut self,
        chunk: &[u8],
        range: Range<usize>,
        section: Section,
        with_metadata: bool,
        symbols: &SymbolTable,
        max_entries: u64,
    ) -> Result<(), ChunkError> {
        let payload = chunk.get(range.clone()).unwrap_or_default();
        self.borrowed = Some(range.clone());
        self.parse_slice(
            payload,
            range.start as u64,
            section,
            with_metadata,
            symbols,
            max_entries,
        )
    }

    /// Indexes `payload`, stopping with an error past `max_entries` entries (so a block that
    /// understates its entries cannot make the index outgrow what its metas declare).
    fn parse_slice(
        &mut self,
        payload: &[u8],
        base: u64,
        section: Section,
        with_metadata: bool,
        symbols: &SymbolTable,
        max_entries: u64,
    ) -> Result<(), ChunkError> {
        self.entries.clear();
        self.pairs.clear();
        let (entries, pairs) = (&mut self.entries, &mut self.pairs);
        let mut scratch = Vec::new();
        let flow = scan(
            payload,
            base,
            section,
            with_metadata,
            symbols,
            &mut scratch,
            |ts, line, entry_pairs| {
                if entries.len() as u64 >= max_entries {
                    return ControlFlow::Break(());
                }
                let first = pairs.len();
                pairs.extend_from_slice(entry_pairs);
                entries.push(RawEntry {
                    ts,
                    line,
                    pairs: first..pairs.len(),
                });
                ControlFlow::Continue(())
            },
        )?;
        if flow.is_break() {
            return Err(ChunkError::BlockMismatch {
                section,
                field: "entry count",
                expected: i64::try_from(max_entries).unwrap_or(i64::MAX),
                found: i64::try_from(max_entries)
                    .unwrap_or(i64::MAX)
                    .saturating_add(1),
            });
        }
        Ok(())
    }
}

/// Walks the entries of a decompressed block payload, calling `f` with each entry's
/// timestamp, line range (within `payload`) and metadata pairs, without allocating per
/// entry: `pairs` is a scratch buffer reused for every entry. `base` is the absolute offset
/// of `payload` for error reports (0 for decompressed data).
pub(crate) fn scan<F>(
    payload: &[u8],
    base: u64,
    section: Section,
    with_metadata: bool,
    symbols: &SymbolTable,
    pairs: &mut Vec<(u32, u32)>,
    mut f: F,
) -> Result<ControlFlow<()>, ChunkError>
where
    F: FnMut(i64, Range<usize>, &[(u32, u32)]) -> ControlFlow<()>,
{
    let mut cur = Cursor::new(payload, base, section);
    while !cur.is_empty() {
        let ts = cur.varint()?;
        let len = cur.uvarint_max("line length", MAX_LINE_LEN)?;
        let start = cur.position();
        cur.take_u64_len(len)?;
        let line = start..cur.position();
        pairs.clear();
        if with_metadata {
            let section_len = cur.uvarint()?;
            // The common case, an entry without metadata, is the section `01 00`.
            if section_len == 1 && payload.get(cur.position()) == Some(&0) {
                cur.take(1)?;
                if f(ts, line, pairs).is_break() {
                    return Ok(ControlFlow::Break(()));
                }
                continue;
            }
            let section_offset = cur.offset();
            let bytes = cur.take_u64_len(section_len)?;
            let mut sm = Cursor::new(bytes, section_offset, section);
            let count = sm.uvarint_max("metadata pair count", section_len)?;
            for _ in 0..count {
                let name = symbol_ref(&mut sm, symbols)?;
                let value = symbol_ref(&mut sm, symbols)?;
                pairs.push((name, value));
            }
            symbols.sort_pairs(pairs);
            if !sm.is_empty() {
                return Err(ChunkError::TrailingBytes {
                    section,
                    offset: sm.offset(),
                    count: sm.remaining() as u64,
                });
            }
        }
        if f(ts, line, pairs).is_break() {
            return Ok(ControlFlow::Break(()));
        }
    }
    Ok(ControlFlow::Continue(()))
}

fn symbol_ref(cur: &mut Cursor<'_>, symbols: &SymbolTable) -> Result<u32, ChunkError> {
    let offset = cur.offset();
    let index = cur.uvarint()?;
    match u32::try_from(index) {
        Ok(i) if (i as usize) < symbols.len() => Ok(i),
        _ => Err(ChunkError::BadSymbolRef {
            section: cur.section(),
            offset,
            index,
            symbols: symbols.len() as u64,
        }),
    }
}

/// Appends one entry of a block payload; returns the offset of the line within `out`.
pub(crate) fn encode_entry(
    out: &mut Vec<u8>,
    ts: i64,
    line: &[u8],
    pairs: &[(u32, u32)],
    with_metadata: bool,
) -> usize {
    put_varint(out, ts);
    put_uvarint(out, line.len() as u64);
    let line_start = out.len();
    out.extend_from_slice(line);
    if with_metadata {
        let pairs_len: usize = pairs
            .iter()
            .map(|&(n, v)| uvarint_len(u64::from(n)) + uvarint_len(u64::from(v)))
            .sum();
        let section_len = uvarint_len(pairs.len() as u64) + pairs_len;
        put_uvarint(out, section_len as u64);
        put_uvarint(out, pairs.len() as u64);
        for &(n, v) in pairs {
            put_uvarint(out, u64::from(n));
            put_uvarint(out, u64::from(v));
        }
    }
    line_start
}
