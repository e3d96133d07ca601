//! Opening chunks and iterating their entries.

use std::ops::ControlFlow;

use bytes::Bytes;

use crate::block::{BlockMeta, DecodedBlock, RawEntry, scan};
use crate::codec::Codec;
use crate::cursor::Cursor;
use crate::entry::{Direction, Entry, EntryRef};
use crate::error::{ChunkError, Section};
use crate::format::{
    CRC_LEN, HEAD_ORDERED, HEAD_UNORDERED, HEAD_UNORDERED_WITH_METADATA, HEADER_LEN, HEADER_LEN_V1,
    MAGIC, MAX_BLOCK_ENTRIES, MAX_BLOCK_LEN_V1_V2, MAX_BLOCK_RESERVE, MAX_LINE_LEN,
    METADATA_PAIR_ACCOUNTING_BYTES, TRAILER_LEN_V1_V3, TRAILER_LEN_V4, V1, V3, V4, block_len_bound,
};
use crate::symbols::SymbolTable;

pub use crate::query::{LineFilter, Query};

/// A block the reader left out because its checksum did not match (Loki skips such blocks
/// silently; this reader reports them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedBlock {
    /// Index of the block in the chunk's metas.
    pub index: usize,
    /// The block's metadata as stored.
    pub meta: BlockMeta,
    /// Why it was skipped.
    pub error: ChunkError,
}

/// An opened chunk: header, symbol table and block metas checked; blocks are decompressed
/// only when iterated.
///
/// Opening checks, in order: length, magic, version, codec, the trailer's section offsets, the
/// metas checksum, the V4 symbol-table checksum, then every block's bounds and checksum. A bad
/// header, trailer, metas or symbol table rejects the chunk; a block whose checksum does not
/// match is skipped and listed in [`Chunk::skipped_blocks`].
#[derive(Debug, Clone)]
pub struct Chunk {
    data: Bytes,
    version: u8,
    codec: Codec,
    symbols: SymbolTable,
    blocks: Vec<BlockMeta>,
    skipped: Vec<SkippedBlock>,
    head: Option<DecodedBlock>,
    head_format: Option<u8>,
}

/// Where the sections of a chunk are.
struct Layout {
    header_len: usize,
    symbols: Option<(usize, usize)>,
    metas: (usize, usize),
    blocks_end: usize,
}

/// Checks a decoded block against its metas: the declared entry count, and no entry newer
/// than the declared newest timestamp. (The declared oldest is not checked: Loki's head can
/// record a later minimum than its oldest entry when the block starts with empty lines.)
fn check_block(
    section: Section,
    meta: &BlockMeta,
    entries: u64,
    newest: Option<i64>,
) -> Result<(), ChunkError> {
    if entries != meta.entries {
        return Err(ChunkError::BlockMismatch {
            section,
            field: "entry count",
            expected: i64::try_from(meta.entries).unwrap_or(i64::MAX),
            found: i64::try_from(entries).unwrap_or(i64::MAX),
        });
    }
    if let Some(newest) = newest.filter(|&n| n > meta.max_ts) {
        return Err(ChunkError::BlockMismatch {
            section,
            field: "entry timestamp (max)",
            expected: meta.max_ts,
            found: newest,
        });
    }
    Ok(())
}

fn crc_at(data: &[u8], section: Section, offset: usize) -> Result<u32, ChunkError> {
    Cursor::new(
        data.get(offset..).unwrap_or_default(),
        offset as u64,
        section,
    )
    .be32()
}

fn check_crc(data: &[u8], section: Section, start: usize, len: usize) -> Result<(), ChunkError> {
    let covered = data.get(start..start + len).ok_or(ChunkError::Truncated {
        section,
        offset: start as u64,
        needed: len as u64,
        available: data.len().saturating_sub(start) as u64,
    })?;
    let stored = crc_at(data, section, start + len)?;
    let computed = crc32c::crc32c(covered);
    if stored == computed {
        Ok(())
    } else {
        Err(ChunkError::ChecksumMismatch {
            section,
            offset: (start + len) as u64,
            expected: stored,
            found: computed,
        })
    }
}

/// Most bytes [`cut_short_v4`] looks for: with up to 8 missing, the trailer's first three
/// fields are still whole and the fourth is implied by them.
const MAX_CUT_FOUND: usize = 8;

/// For a V4 chunk whose trailer does not describe it: the [`ChunkError::TruncatedChunk`] it
/// is, when it is a chunk with its last 1 to [`MAX_CUT_FOUND`] bytes cut off. The trailer is
/// then found that many bytes before its place: its symbol-table length and offset and its
/// metas length are whole, the metas end with their CRC right before it (which gives the
/// metas offset, whose surviving leading bytes must agree), and both sections' checksums
/// match. Anything else gives `None`, and the caller's error stands.
fn cut_short_v4(data: &[u8], header_len: usize) -> Option<ChunkError> {
    let field = |at: usize| -> Option<u64> {
        let bytes: [u8; 8] = data.get(at..at.checked_add(8)?)?.try_into().ok()?;
        Some(u64::from_be_bytes(bytes))
    };
    (1..=MAX_CUT_FOUND).find_map(|missing| {
        let trailer = (data.len() + missing).checked_sub(TRAILER_LEN_V4)?;
        let (sm_len, sm_offset, metas_len) =
            (field(trailer)?, field(trailer + 8)?, field(trailer + 16)?);
        let metas_offset = (trailer as u64)
            .checked_sub(CRC_LEN as u64)?
            .checked_sub(metas_len)?;
        let surviving = data.get(trailer + 24..)?;
        if metas_offset.to_be_bytes().get(..surviving.len())? != surviving {
            return None;
        }
        let sm_end = sm_offset.checked_add(sm_len)?.checked_add(CRC_LEN as u64)?;
        if sm_offset < header_len as u64 || sm_end > metas_offset {
            return None;
        }
        let at = |v: u64| usize::try_from(v).ok();
        check_crc(data, Section::Metas, at(metas_offset)?, at(metas_len)?).ok()?;
        check_crc(data, Section::SymbolTable, at(sm_offset)?, at(sm_len)?).ok()?;
        Some(ChunkError::TruncatedChunk {
            size: data.len() as u64,
            expected: (trailer + TRAILER_LEN_V4) as u64,
        })
    })
}

impl Chunk {
    /// Opens a chunk (any version 1-4, any codec).
    ///
    /// # Errors
    ///
    /// A [`ChunkError`] naming the section, offset and values when the header, trailer,
    /// metas or symbol table is corrupt or truncated; [`ChunkError::TruncatedChunk`] (with
    /// the number of bytes missing) for a V4 chunk cut short by up to 8 bytes, whose trailer
    /// is then found before its place. Blocks with a bad checksum do not fail the open; see
    /// [`Chunk::skipped_blocks`].
    pub fn open(data: impl Into<Bytes>) -> Result<Self, ChunkError> {
        Self::open_inner(data.into(), true)
    }

    /// Opens the two parts of a WAL checkpoint: the chunk (whose V4 symbol table is stored
    /// uncompressed) and its serialised head block. Head entries are iterated with the blocks.
    ///
    /// # Errors
    ///
    /// As [`Chunk::open`], and a [`ChunkError`] with [`Section::HeadBlock`] for a corrupt head.
    pub fn open_checkpoint(
        chunk: impl Into<Bytes>,
        head: impl AsRef<[u8]>,
    ) -> Result<Self, ChunkError> {
        let mut c = Self::open_inner(chunk.into(), false)?;
        let (format, block) = c.decode_head(head.as_ref())?;
        c.head_format = Some(format);
        c.head = (!block.entries.is_empty()).then_some(block);
        Ok(c)
    }

    fn layout(data: &[u8]) -> Result<(u8, Codec, Layout), ChunkError> {
        let mut cur = Cursor::new(data, 0, Section::Header);
        let magic = cur.be32()?;
        if magic != MAGIC {
            return Err(ChunkError::BadMagic {
                expected: MAGIC,
                found: magic,
            });
        }
        let version = cur.u8()?;
        if !(V1..=V4).contains(&version) {
            return Err(ChunkError::UnsupportedVersion { found: version });
        }
        let (codec, header_len) = if version == V1 {
            (Codec::Gzip, HEADER_LEN_V1)
        } else {
            let id = cur.u8()?;
            (
                Codec::from_id(id).ok_or(ChunkError::UnsupportedCodec { found: id })?,
                HEADER_LEN,
            )
        };
        let trailer_len = if version == V4 {
            TRAILER_LEN_V4
        } else {
            TRAILER_LEN_V1_V3
        };
        // The smallest chunk: header, metas (count varint) + CRC, trailer.
        let min_len = header_len + 1 + CRC_LEN + trailer_len;
        if data.len() < min_len {
            return Err(ChunkError::Truncated {
                section: Section::Trailer,
                offset: header_len as u64,
                needed: (min_len - header_len) as u64,
                available: (data.len() - header_len.min(data.len())) as u64,
            });
        }
        let trailer_start = data.len() - trailer_len;
        let mut t = Cursor::new(
            data.get(trailer_start..).unwrap_or_default(),
            trailer_start as u64,
            Section::Trailer,
        );
        // A section [offset, offset + len) followed by its CRC must sit between the header
        // and the trailer.
        let section_bounds = |field: &'static str, field_offset: u64, offset: u64, len: u64| {
            let limit = (trailer_start - CRC_LEN) as u64;
            if offset < header_len as u64 || offset > limit {
                return Err(ChunkError::OutOfRange {
                    section: Section::Trailer,
                    field,
                    offset: field_offset,
                    limit,
                    found: offset,
                });
            }
            if len > limit - offset {
                return Err(ChunkError::OutOfRange {
                    section: Section::Trailer,
                    field: "section length",
                    offset: field_offset,
                    limit: limit - offset,
                    found: len,
                });
            }
            // Both fit in usize: they are below data.len().
            Ok((
                usize::try_from(offset).unwrap_or(0),
                usize::try_from(len).unwrap_or(0),
            ))
        };
        let layout = if version == V4 {
            let sm_len = t.be64()?;
            let sm_offset = t.be64()?;
            let metas_len = t.be64()?;
            let metas_offset = t.be64()?;
            let base = trailer_start as u64;
            // Offsets outside the chunk: most often a chunk cut short, whose last 32 bytes are
            // not its trailer. Say so when the trailer is found a few bytes earlier.
            let symbols = section_bounds("symbol table offset", base + 8, sm_offset, sm_len)
                .map_err(|e| cut_short_v4(data, header_len).unwrap_or(e))?;
            let metas = section_bounds("metas offset", base + 24, metas_offset, metas_len)
                .map_err(|e| cut_short_v4(data, header_len).unwrap_or(e))?;
            Layout {
                header_len,
                symbols: Some(symbols),
                metas,
                blocks_end: metas.0,
            }
        } else {
            let metas_offset = t.be64()?;
            // The metas run up to the CRC before the trailer; an offset past that is rejected
            // by `section_bounds` (the saturated length is then irrelevant).
            let metas_len = ((trailer_start - CRC_LEN) as u64).saturating_sub(metas_offset);
            let metas = section_bounds(
                "metas offset",
                trailer_start as u64,
                metas_offset,
                metas_len,
            )?;
            Layout {
                header_len,
                symbols: None,
                metas,
                blocks_end: metas.0,
            }
        };
        Ok((version, codec, layout))
    }

    fn open_inner(data: Bytes, symbols_compressed: bool) -> Result<Self, ChunkError> {
        let (version, codec, layout) = Self::layout(&data)?;
        let (metas_offset, metas_len) = layout.metas;
        check_crc(&data, Section::Metas, metas_offset, metas_len).map_err(|e| {
            let cut = (version == V4).then(|| cut_short_v4(&data, layout.header_len));
            cut.flatten().unwrap_or(e)
        })?;
        let mut first_block_start = layout.header_len;
        let symbols = if let Some((sm_offset, sm_len)) = layout.symbols {
            check_crc(&data, Section::SymbolTable, sm_offset, sm_len)?;
            first_block_start = sm_offset + sm_len + CRC_LEN;
            let section = data.get(sm_offset..sm_offset + sm_len).unwrap_or_default();
            let section_codec = if symbols_compressed {
                codec
            } else {
                Codec::None
            };
            SymbolTable::decode(section, sm_offset as u64, section_codec)?
        } else {
            SymbolTable::default()
        };

        let (blocks, skipped) = Self::locate_blocks(&data, version, &layout, first_block_start)?;
        Ok(Self {
            data,
            version,
            codec,
            symbols,
            blocks,
            skipped,
            head: None,
            head_format: None,
        })
    }

    /// Reads the block metas and checks every block's bounds and checksum: the readable
    /// blocks, and those skipped for a checksum mismatch.
    fn locate_blocks(
        data: &[u8],
        version: u8,
        layout: &Layout,
        first_block_start: usize,
    ) -> Result<(Vec<BlockMeta>, Vec<SkippedBlock>), ChunkError> {
        let (metas_offset, metas_len) = layout.metas;
        let metas = data
            .get(metas_offset..metas_offset + metas_len)
            .unwrap_or_default();
        let mut cur = Cursor::new(metas, metas_offset as u64, Section::Metas);
        // Each block meta takes at least five bytes.
        let count = cur.uvarint_max("block count", metas_len as u64 / 5)?;
        let mut blocks = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
        let mut skipped = Vec::new();
        // Loki's reader walks an "expected" offset alongside the stored ones: the first block
        // starts after the header (and V4 symbol table), each next one 4 bytes after the
        // previous block's data. A stored offset that is out of range or fails its checksum is
        // retried at the expected offset (a historic writer bug). Blocks must also not start
        // before the end of the previous accepted block: a chunk's blocks are disjoint, and
        // the check keeps hostile metas from pointing many times at one large block.
        let mut expected = first_block_start as u64;
        let mut floor = first_block_start as u64;
        for index in 0..usize::try_from(count).unwrap_or(0) {
            let entries = cur.uvarint_max("block entry count", MAX_BLOCK_ENTRIES)?;
            let min_ts = cur.varint()?;
            let max_ts = cur.varint()?;
            let offset_field = cur.offset();
            let offset = cur.uvarint()?;
            let uncompressed_size = if version >= V3 { cur.uvarint()? } else { 0 };
            let compressed_len = cur.uvarint()?;
            let meta = BlockMeta {
                entries,
                min_ts,
                max_ts,
                offset,
                uncompressed_size,
                compressed_len,
            };
            let section = Section::Block(index);
            let blocks_end = layout.blocks_end as u64;
            let fits = |start: u64| {
                start >= floor
                    && compressed_len <= blocks_end
                    && start <= blocks_end - compressed_len
                    && blocks_end - compressed_len - start >= CRC_LEN as u64
            };
            let crc_ok = |start: u64| {
                let (s, l) = (
                    usize::try_from(start).unwrap_or(usize::MAX),
                    usize::try_from(compressed_len).unwrap_or(usize::MAX),
                );
                check_crc(data, section, s, l)
            };
            let outcome = if fits(offset) {
                match crc_ok(offset) {
                    Ok(()) => Ok(offset),
                    Err(_) if offset != expected && fits(expected) && crc_ok(expected).is_ok() => {
                        Ok(expected)
                    }
                    Err(e) => Err(e),
                }
            } else if offset != expected && fits(expected) && crc_ok(expected).is_ok() {
                Ok(expected)
            } else {
                // Out of range, and not found at the expected offset either: as in Loki, the
                // chunk is rejected.
                return Err(ChunkError::OutOfRange {
                    section: Section::Metas,
                    field: "block offset + length",
                    offset: offset_field,
                    limit: blocks_end,
                    found: offset.saturating_add(compressed_len),
                });
            };
            match outcome {
                Ok(start) => {
                    blocks.push(BlockMeta {
                        offset: start,
                        ..meta
                    });
                    floor = start + compressed_len + CRC_LEN as u64;
                }
                Err(error) => skipped.push(SkippedBlock { index, meta, error }),
            }
            expected = expected
                .saturating_add(compressed_len)
                .saturating_add(CRC_LEN as u64);
        }
        Ok((blocks, skipped))
    }

    fn decode_head(&self, head: &[u8]) -> Result<(u8, DecodedBlock), ChunkError> {
        let section = Section::HeadBlock;
        let mut cur = Cursor::new(head, 0, section);
        let format = cur.u8()?;
        let allowed: &[u8] = match self.version {
            V4 => &[HEAD_UNORDERED_WITH_METADATA],
            _ => &[HEAD_ORDERED, HEAD_UNORDERED],
        };
        if !allowed.contains(&format) {
            return Err(ChunkError::BadHeadFormat {
                section,
                offset: 0,
                expected: if self.version == V4 {
                    "5 for V4 chunks"
                } else {
                    "3 or 4 for V1-V3 chunks"
                },
                found: format,
            });
        }
        // Each entry takes at least two bytes (ts and length varints).
        let count = cur.uvarint_max("head entry count", head.len() as u64 / 2)?;
        if format == HEAD_ORDERED {
            cur.uvarint()?; // size
            cur.varint()?; // min ts
            cur.varint()?; // max ts
        }
        let mut block = DecodedBlock::default();
        block.payload.reserve(head.len());
        for _ in 0..count {
            let ts = cur.varint()?;
            let len = cur.uvarint_max("line length", MAX_LINE_LEN)?;
            let line = cur.take_u64_len(len)?;
            let start = block.payload.len();
            block.payload.extend_from_slice(line);
            let first_pair = block.pairs.len();
            if format == HEAD_UNORDERED_WITH_METADATA {
                let pairs = cur.uvarint_max("metadata pair count", cur.remaining() as u64)?;
                for _ in 0..pairs {
                    let mut one = || -> Result<u32, ChunkError> {
                        let offset = cur.offset();
                        let index = cur.uvarint()?;
                        u32::try_from(index)
                            .ok()
                            .filter(|&i| (i as usize) < self.symbols.len())
                            .ok_or(ChunkError::BadSymbolRef {
                                section,
                                offset,
                                index,
                                symbols: self.symbols.len() as u64,
                            })
                    };
                    let name = one()?;
                    let value = one()?;
                    block.pairs.push((name, value));
                }
                self.symbols.sort_pairs(&mut block.pairs[first_pair..]);
            }
            block.entries.push(RawEntry {
                ts,
                line: start..block.payload.len(),
                pairs: first_pair..block.pairs.len(),
            });
        }
        if !cur.is_empty() {
            return Err(ChunkError::TrailingBytes {
                section,
                offset: cur.offset(),
                count: cur.remaining() as u64,
            });
        }
        Ok((format, block))
    }

    /// The chunk format version (1-4).
    pub fn version(&self) -> u8 {
        self.version
    }

    /// The codec of the blocks (gzip for V1).
    pub fn codec(&self) -> Codec {
        self.codec
    }

    /// The chunk's bytes.
    pub fn bytes(&self) -> &Bytes {
        &self.data
    }

    /// The V4 symbol table (empty before V4).
    pub fn symbols(&self) -> &SymbolTable {
        &self.symbols
    }

    /// Metadata of the blocks that passed their checksum, in stored order.
    pub fn blocks(&self) -> &[BlockMeta] {
        &self.blocks
    }

    /// Blocks left out because their checksum did not match.
    pub fn skipped_blocks(&self) -> &[SkippedBlock] {
        &self.skipped
    }

    /// The head format of a checkpoint's head block, if opened with
    /// [`Chunk::open_checkpoint`].
    pub fn head_format(&self) -> Option<u8> {
        self.head_format
    }

    /// Number of entries in a checkpoint's head block.
    pub fn head_entries(&self) -> usize {
        self.head.as_ref().map_or(0, |h| h.entries.len())
    }

    /// A checkpoint head's entries in stored order, copied (empty without a head).
    pub(crate) fn head_entry_list(&self) -> Vec<Entry> {
        self.head.as_ref().map_or_else(Vec::new, |h| {
            h.entries
                .iter()
                .map(|e| self.entry_ref(h, e).to_entry())
                .collect()
        })
    }

    /// Entries in the readable blocks (and the head), from the block metas.
    pub fn entry_count(&self) -> u64 {
        self.blocks.iter().fold(self.head_entries() as u64, |n, b| {
            n.saturating_add(b.entries)
        })
    }

    /// Smallest and largest entry timestamp (ns since the epoch) over the readable blocks and
    /// the head, if any.
    pub fn bounds(&self) -> Option<(i64, i64)> {
        let blocks = self.blocks.iter().map(|b| (b.min_ts, b.max_ts));
        let head = self.head.iter().filter_map(|h| {
            let min = h.entries.iter().map(|e| e.ts).min();
            let max = h.entries.iter().map(|e| e.ts).max();
            min.zip(max)
        });
        blocks
            .chain(head)
            .reduce(|(a, b), (c, d)| (a.min(c), b.max(d)))
    }

    /// Loki's `UncompressedSize()`: the readable blocks' uncompressed sizes, plus the symbol
    /// strings in V4, plus a checkpoint head's size (line bytes, and 8 bytes per metadata
    /// pair in head format 5).
    pub fn uncompressed_size(&self) -> u64 {
        let symbols: usize = self.symbols.symbols().iter().map(String::len).sum();
        let head = self.head.as_ref().map_or(0, |h| {
            h.payload.len() + h.pairs.len() * METADATA_PAIR_ACCOUNTING_BYTES
        });
        self.blocks.iter().fold((symbols + head) as u64, |n, b| {
            n.saturating_add(b.uncompressed_size)
        })
    }

    /// Decompresses block `meta` into `out` (an uncompressed block is borrowed, not copied).
    fn load_block(
        &self,
        index: usize,
        meta: &BlockMeta,
        out: &mut DecodedBlock,
    ) -> Result<(), ChunkError> {
        let section = Section::Block(index);
        let start = usize::try_from(meta.offset).unwrap_or(usize::MAX);
        let len = usize::try_from(meta.compressed_len).unwrap_or(usize::MAX);
        let compressed =
            self.data
                .get(start..start.saturating_add(len))
                .ok_or(ChunkError::Truncated {
                    section,
                    offset: meta.offset,
                    needed: meta.compressed_len,
                    available: self.data.len().saturating_sub(start) as u64,
                })?;
        if self.codec == Codec::None {
            out.borrowed = Some(start..start + compressed.len());
            return Ok(());
        }
        out.borrowed = None;
        let limit = if self.version >= V3 {
            block_len_bound(meta.uncompressed_size, meta.entries)
        } else {
            MAX_BLOCK_LEN_V1_V2
        };
        // Size the buffer once from the metas (V3/V4) instead of growing it while inflating.
        let expected = meta
            .uncompressed_size
            .saturating_add(meta.entries.saturating_mul(16))
            .min(limit)
            .min(MAX_BLOCK_RESERVE);
        out.payload.clear();
        out.payload.reserve(usize::try_from(expected).unwrap_or(0));
        let compressed = self.data.slice_ref(compressed);
        self.codec
            .decompress_bytes(compressed, &mut out.payload, limit)
            .map_err(|reason| ChunkError::Decompress {
                section,
                codec: self.codec,
                offset: meta.offset,
                reason,
            })
    }

    /// Decompresses and indexes block `meta` into `out`.
    fn decode_block(
        &self,
        index: usize,
        meta: &BlockMeta,
        out: &mut DecodedBlock,
    ) -> Result<(), ChunkError> {
        self.load_block(index, meta, out)?;
        let section = Section::Block(index);
        let v4 = self.version == V4;
        match out.borrowed.clone() {
            Some(range) => {
                out.parse_borrowed(&self.data, range, section, v4, &self.symbols, meta.entries)?;
            }
            None => out.parse(section, v4, &self.symbols, meta.entries)?,
        }
        let newest = out.entries.iter().map(|e| e.ts).max();
        check_block(section, meta, out.entries.len() as u64, newest)
    }

    fn entry_ref<'s>(&'s self, block: &'s DecodedBlock, e: &RawEntry) -> EntryRef<'s> {
        EntryRef {
            ts: e.ts,
            line: block
                .bytes(&self.data)
                .get(e.line.clone())
                .unwrap_or_default(),
            pairs: block.pairs.get(e.pairs.clone()).unwrap_or_default(),
            symbols: &self.symbols,
        }
    }

    /// Calls `f` for every entry `query` selects, in its direction, without copying lines.
    /// `f` returns [`ControlFlow::Break`] to stop early.
    ///
    /// Blocks that are in time order are decoded one at a time; blocks that overlap (only in
    /// chunks written without Loki's final rebuild) are decoded together and merged by
    /// timestamp. Entries with equal timestamps from different overlapping blocks come out in
    /// block order (Loki leaves that order unspecified).
    ///
    /// # Errors
    ///
    /// A [`ChunkError`] if a block whose checksum matched fails to decompress or parse.
    pub fn for_each<F>(&self, query: Query<'_>, mut f: F) -> Result<(), ChunkError>
    where
        F: FnMut(EntryRef<'_>) -> ControlFlow<()>,
    {
        let selected: Vec<(usize, &BlockMeta)> = self
            .blocks
            .iter()
            .enumerate()
            .filter(|(_, b)| b.overlaps(query.from, query.through))
            .collect();
        let sequential = self.head.is_none()
            && selected
                .windows(2)
                .all(|w| matches!(w, [(_, a), (_, b)] if a.max_ts <= b.min_ts));
        if !sequential {
            return self.for_each_merged(query, &selected, &mut f);
        }
        let mut block = DecodedBlock::default();
        let mut pairs = Vec::new();
        let order: Box<dyn Iterator<Item = &(usize, &BlockMeta)>> = match query.direction {
            Direction::Forward => Box::new(selected.iter()),
            Direction::Backward => Box::new(selected.iter().rev()),
        };
        for &(index, meta) in order {
            if self
                .visit_block(query, index, meta, &mut block, &mut pairs, &mut f)?
                .is_break()
            {
                break;
            }
        }
        Ok(())
    }

    /// One block of an in-order chunk: forward walks the payload once, calling `f` as entries
    /// are parsed; backward indexes the block and walks the index in reverse.
    fn visit_block<F>(
        &self,
        query: Query<'_>,
        index: usize,
        meta: &BlockMeta,
        block: &mut DecodedBlock,
        pairs: &mut Vec<(u32, u32)>,
        f: &mut F,
    ) -> Result<ControlFlow<()>, ChunkError>
    where
        F: FnMut(EntryRef<'_>) -> ControlFlow<()>,
    {
        if query.direction == Direction::Forward {
            self.load_block(index, meta, block)?;
            let payload = block.bytes(&self.data);
            let base = block.borrowed.as_ref().map_or(0, |r| r.start as u64);
            let section = Section::Block(index);
            let (mut seen, mut newest, mut overflow) = (0u64, i64::MIN, false);
            let flow = scan(
                payload,
                base,
                section,
                self.version == V4,
                &self.symbols,
                pairs,
                |ts, line, entry_pairs| {
                    seen += 1;
                    newest = newest.max(ts);
                    if seen > meta.entries || ts > meta.max_ts {
                        overflow = true;
                        return ControlFlow::Break(());
                    }
                    let line = payload.get(line).unwrap_or_default();
                    if query.accepts(ts, line) {
                        f(EntryRef {
                            ts,
                            line,
                            pairs: entry_pairs,
                            symbols: &self.symbols,
                        })
                    } else {
                        ControlFlow::Continue(())
                    }
                },
            )?;
            // A block must hold what its metas declare (checked once the walk is complete).
            if overflow || flow.is_continue() {
                // Stopped at a too-new entry within the count: report the timestamp.
                let counted = if overflow && seen <= meta.entries {
                    meta.entries
                } else {
                    seen
                };
                check_block(section, meta, counted, (seen > 0).then_some(newest))?;
            }
            return Ok(flow);
        }
        self.decode_block(index, meta, block)?;
        let emit = |e: &RawEntry| {
            let r = self.entry_ref(block, e);
            if query.accepts(r.ts, r.line) {
                f(r)
            } else {
                ControlFlow::Continue(())
            }
        };
        Ok(block.entries.iter().rev().try_for_each(emit))
    }

    /// Overlapping or unsorted blocks (or a checkpoint head): decode every selected block and
    /// merge by timestamp, ties in block order.
    fn for_each_merged<F>(
        &self,
        query: Query<'_>,
        selected: &[(usize, &BlockMeta)],
        f: &mut F,
    ) -> Result<(), ChunkError>
    where
        F: FnMut(EntryRef<'_>) -> ControlFlow<()>,
    {
        let mut decoded = Vec::with_capacity(selected.len() + 1);
        for &(index, meta) in selected {
            let mut block = DecodedBlock::default();
            self.decode_block(index, meta, &mut block)?;
            decoded.push(block);
        }
        let in_range = |ts: i64| ts >= query.from && ts < query.through;
        let mut order: Vec<(i64, usize, usize)> = Vec::new();
        let blocks = decoded.iter().chain(self.head.as_ref());
        for (b, block) in blocks.enumerate() {
            for (i, e) in block.entries.iter().enumerate() {
                if in_range(e.ts) {
                    order.push((e.ts, b, i));
                }
            }
        }
        // Stable: ties keep block order, and stored order within a block.
        order.sort_by_key(|&(ts, _, _)| ts);
        let lookup = |b: usize| decoded.get(b).or(self.head.as_ref());
        let mut emit = |&(_, b, i): &(i64, usize, usize)| {
            let Some((block, e)) = lookup(b).and_then(|blk| Some((blk, blk.entries.get(i)?)))
            else {
                return ControlFlow::Continue(());
            };
            let r = self.entry_ref(block, e);
            if query.filter.is_none_or(|p| p(r.line)) {
                f(r)
            } else {
                ControlFlow::Continue(())
            }
        };
        let _ = match query.direction {
            Direction::Forward => order.iter().try_for_each(&mut emit),
            Direction::Backward => order.iter().rev().try_for_each(&mut emit),
        };
        Ok(())
    }

    /// Every entry `query` selects, copied.
    ///
    /// # Errors
    ///
    /// As [`Chunk::for_each`].
    pub fn entries(&self, query: Query<'_>) -> Result<Vec<Entry>, ChunkError> {
        let mut out = Vec::new();
        self.for_each(query, |e| {
            out.push(e.to_entry());
            ControlFlow::Continue(())
        })?;
        Ok(out)
    }
}
