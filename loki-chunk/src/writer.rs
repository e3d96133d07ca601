//! Writing chunks Loki reads: V4 (head format 5, structured metadata), V3 (head format 4) and
//! V2 (ordered head), with every codec.

use bytes::Bytes;

use crate::block::{BlockMeta, DecodedBlock};
use crate::codec::Codec;
use crate::cursor::{put_uvarint, put_varint};
use crate::entry::Entry;
use crate::error::{ChunkError, Section};
use crate::format::{
    BLOCKS_PER_CHUNK_WITHOUT_TARGET, CRC_LEN, DEFAULT_BLOCK_SIZE, DEFAULT_TARGET_SIZE,
    HEAD_ORDERED, HEAD_UNORDERED, HEAD_UNORDERED_WITH_METADATA, HEADER_LEN, MAGIC, V2, V3, V4,
};
use crate::head::{Head, HeadAppend, valid_head_format};
use crate::reader::Chunk;
use crate::symbols::{SymbolTable, Symbolizer};

/// Options of a [`ChunkWriter`]; the defaults are Loki's for schema v13.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterOptions {
    /// Chunk format version: 4 (schema v13+), 3 (schema <= v12) or 2.
    pub version: u8,
    /// Head format: 5 for V4; 4 (unordered, default) or 3 (ordered) for V3; 3 for V2.
    pub head_format: u8,
    /// Block codec. Loki's default is gzip.
    pub codec: Codec,
    /// Uncompressed bytes after which the head is cut into a block (Loki: 262,144).
    pub block_size: usize,
    /// Compressed chunk size [`ChunkWriter::space_for`] aims below (Loki: 1,572,864); 0 means
    /// "at most 10 blocks".
    pub target_size: usize,
}

impl Default for WriterOptions {
    fn default() -> Self {
        Self::v4(Codec::Gzip)
    }
}

impl WriterOptions {
    /// V4 chunk (head format 5) with `codec` and Loki's default sizes.
    pub fn v4(codec: Codec) -> Self {
        Self {
            version: V4,
            head_format: HEAD_UNORDERED_WITH_METADATA,
            codec,
            block_size: DEFAULT_BLOCK_SIZE,
            target_size: DEFAULT_TARGET_SIZE,
        }
    }

    /// V3 chunk (unordered head, format 4) with `codec` and Loki's default sizes.
    pub fn v3(codec: Codec) -> Self {
        Self {
            version: V3,
            head_format: HEAD_UNORDERED,
            ..Self::v4(codec)
        }
    }

    /// V2 chunk (ordered head, format 3) with `codec` and Loki's default sizes.
    pub fn v2(codec: Codec) -> Self {
        Self {
            version: V2,
            head_format: HEAD_ORDERED,
            ..Self::v4(codec)
        }
    }

    /// The same options with another block size.
    #[must_use]
    pub fn block_size(mut self, block_size: usize) -> Self {
        self.block_size = block_size;
        self
    }

    /// The same options with another target size.
    #[must_use]
    pub fn target_size(mut self, target_size: usize) -> Self {
        self.target_size = target_size;
        self
    }

    fn validate(&self) -> Result<(), ChunkError> {
        if !(V2..=V4).contains(&self.version) {
            return Err(ChunkError::InvalidArgument {
                name: "version",
                reason: "the writer writes chunk versions 2, 3 and 4",
            });
        }
        if !valid_head_format(self.version, self.head_format) {
            return Err(ChunkError::InvalidArgument {
                name: "head_format",
                reason: "V4 needs head format 5, V3 format 3 or 4, V2 format 3",
            });
        }
        if self.block_size == 0 {
            return Err(ChunkError::InvalidArgument {
                name: "block_size",
                reason: "must be at least 1",
            });
        }
        Ok(())
    }
}

/// Largest block area reserved up front (see `ChunkWriter::data_capacity`).
const MAX_DATA_RESERVE: usize = 64 << 20;

/// Largest head arena reserved up front (a larger block size grows the arena as it fills).
const MAX_HEAD_RESERVE: usize = 16 << 20;

/// What happened to an appended entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Appended {
    /// The entry was stored.
    Stored,
    /// An identical entry (timestamp, line, metadata) is already in the head: dropped, as Loki
    /// does. Duplicates in blocks already cut are not detected (nor are they by Loki).
    Duplicate,
}

/// A block that has been cut: where its compressed bytes are, and its facts.
#[derive(Debug, Clone)]
struct CutBlock {
    /// The block's bytes in [`ChunkWriter::data`] (its CRC follows them there).
    range: std::ops::Range<usize>,
    entries: u64,
    min_ts: i64,
    max_ts: i64,
    uncompressed_size: u64,
}

/// Builds a chunk the way Loki's `MemChunk` does.
///
/// Entries go into a head block; when the head's accounted size reaches the block size it is
/// compressed into a block. [`ChunkWriter::finish`] cuts the head, rebuilds the blocks in time
/// order if they overlap (as Loki's `Close` does) and serialises the chunk.
///
/// ```
/// use loki_chunk::{Chunk, Codec, Query, WriterOptions, writer::ChunkWriter};
/// let mut w = ChunkWriter::new(WriterOptions::v4(Codec::Snappy))?;
/// // Nanoseconds since the epoch: 2024-06-01T00:00:01Z, then one second earlier.
/// let _ = w.append(1_717_200_001_000_000_000, b"second", &[("trace_id", "abc")])?;
/// let _ = w.append(1_717_200_000_000_000_000, b"first", &[])?;
/// let chunk = Chunk::open(w.finish()?)?;
/// let entries = chunk.entries(Query::all())?;
/// assert_eq!(entries[0].line, b"first");
/// assert_eq!(entries[1].structured_metadata, [("trace_id".to_string(), "abc".to_string())]);
/// # Ok::<(), loki_chunk::ChunkError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ChunkWriter {
    opts: WriterOptions,
    symbols: Symbolizer,
    blocks: Vec<CutBlock>,
    /// The cut blocks as the chunk stores them: each block's bytes then its CRC-32C, back to
    /// back, so that [`ChunkWriter::finish`] only has to put the header in front.
    data: Vec<u8>,
    cut_bytes: usize,
    head: Head,
    scratch: Vec<u8>,
}

impl ChunkWriter {
    /// An empty chunk.
    ///
    /// # Errors
    ///
    /// [`ChunkError::InvalidArgument`] for an unsupported version/head-format pair or a zero
    /// block size.
    pub fn new(opts: WriterOptions) -> Result<Self, ChunkError> {
        opts.validate()?;
        Ok(Self {
            opts,
            symbols: Symbolizer::default(),
            blocks: Vec::new(),
            data: Vec::new(),
            cut_bytes: 0,
            head: Head::new(opts.head_format),
            scratch: Vec::new(),
        })
    }

    /// The writer's options.
    pub fn options(&self) -> &WriterOptions {
        &self.opts
    }

    fn with_metadata(&self) -> bool {
        self.opts.version >= V4
    }

    /// Sorted `(name, value)` pairs as symbol references (V4); nothing before V4, where Loki
    /// drops structured metadata.
    fn symbolize(&mut self, metadata: &[(&str, &str)]) -> Vec<(u32, u32)> {
        if !self.with_metadata() || metadata.is_empty() {
            return Vec::new();
        }
        // Loki stores the pairs as a label set: sorted by name.
        let mut sorted: Vec<(&str, &str)> = metadata.to_vec();
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        sorted
            .into_iter()
            .map(|(n, v)| (self.symbols.add(n), self.symbols.add(v)))
            .collect()
    }

    /// Appends an entry: `ts` is its timestamp in **nanoseconds** since the Unix epoch, `line`
    /// the log line, `metadata` its structured-metadata `(name, value)` pairs in any order
    /// (stored sorted by name, as Loki stores them). Structured metadata is kept in V4 chunks
    /// and dropped before V4 (as Loki does). The head is cut into a block when its size
    /// reaches the block size.
    ///
    /// # Errors
    ///
    /// [`ChunkError::OutOfOrder`] for an ordered head (V2) given an entry older than the
    /// newest one; a compression error when a block is cut.
    pub fn append(
        &mut self,
        ts: i64,
        line: &[u8],
        metadata: &[(&str, &str)],
    ) -> Result<Appended, ChunkError> {
        if self.opts.head_format == HEAD_ORDERED
            && self.head.is_empty()
            && let Some(last) = self.blocks.last().filter(|b| b.max_ts > ts)
        {
            return Err(ChunkError::OutOfOrder {
                ts,
                newest: last.max_ts,
            });
        }
        let pairs = self.symbolize(metadata);
        if self.head.is_empty() {
            // The head fills to about the block size before it is cut: allocate that once
            // instead of growing (and copying) the arena through every power of two.
            self.head
                .reserve(self.opts.block_size.min(MAX_HEAD_RESERVE) + line.len() + 64);
        }
        let outcome = self.head.append(ts, line, &pairs)?;
        if self.head.size() >= self.opts.block_size {
            self.cut_block()?;
        }
        Ok(match outcome {
            HeadAppend::Stored => Appended::Stored,
            HeadAppend::Duplicate => Appended::Duplicate,
        })
    }

    /// Appends an owned [`Entry`].
    ///
    /// # Errors
    ///
    /// As [`ChunkWriter::append`].
    pub fn append_entry(&mut self, entry: &Entry) -> Result<Appended, ChunkError> {
        let metadata: Vec<(&str, &str)> = entry
            .structured_metadata
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        self.append(entry.ts, &entry.line, &metadata)
    }

    /// Whether an entry with a line of `line_len` bytes and `metadata` still fits: with a
    /// target size, the symbol bytes, the compressed blocks, the head and the new entry stay
    /// below it (Loki's `SpaceFor`); without one, the chunk has fewer than 10 blocks.
    pub fn space_for(&self, line_len: usize, metadata: &[(&str, &str)]) -> bool {
        if self.opts.target_size == 0 {
            return self.blocks.len() < BLOCKS_PER_CHUNK_WITHOUT_TARGET;
        }
        let mut head = self.head.size() + line_len;
        let mut symbols = 0;
        if self.with_metadata() {
            head += metadata
                .iter()
                .map(|(n, v)| n.len() + v.len())
                .sum::<usize>();
            symbols = self.symbols.string_bytes();
        }
        symbols + self.cut_bytes + head < self.opts.target_size
    }

    /// Compresses the head into a block (nothing if the head is empty).
    ///
    /// # Errors
    ///
    /// A compression error from the codec.
    pub fn cut_block(&mut self) -> Result<(), ChunkError> {
        let Some((min_ts, max_ts)) = self.head.bounds() else {
            return Ok(());
        };
        if self.data.capacity() == 0 {
            self.data.reserve(self.data_capacity());
        }
        let payload = self.head.block_payload(&mut self.scratch);
        let start = self.data.len();
        self.opts.codec.compress_into(payload, &mut self.data)?;
        let end = self.data.len();
        let crc = crc32c::crc32c(self.data.get(start..).unwrap_or_default());
        self.data.extend_from_slice(&crc.to_be_bytes());
        self.cut_bytes += end - start;
        self.blocks.push(CutBlock {
            range: start..end,
            entries: self.head.len() as u64,
            min_ts,
            max_ts,
            uncompressed_size: self.head.size() as u64,
        });
        self.head.clear();
        Ok(())
    }

    /// Cuts the head and, if blocks overlap in time, rebuilds the chunk with every entry in
    /// time order (Loki's `Close`). Rebuilt V4 chunks store normalised metadata names, as
    /// Loki's do.
    ///
    /// # Errors
    ///
    /// A compression error from the codec.
    pub fn close(&mut self) -> Result<(), ChunkError> {
        self.cut_block()?;
        let ordered = self
            .blocks
            .windows(2)
            .all(|w| matches!(w, [a, b] if b.min_ts >= a.max_ts));
        if ordered {
            return Ok(());
        }
        // Decode every block and merge by timestamp (ties in block order), then write the
        // entries into a fresh chunk.
        let table = SymbolTable::from_symbols(self.symbols.symbols().to_vec());
        let mut decoded = Vec::with_capacity(self.blocks.len());
        for (i, b) in self.blocks.iter().enumerate() {
            let mut block = DecodedBlock::default();
            self.opts
                .codec
                .decompress_into(self.block_bytes(b), &mut block.payload, u64::MAX)
                .map_err(|reason| ChunkError::Decompress {
                    section: Section::Block(i),
                    codec: self.opts.codec,
                    offset: 0,
                    reason,
                })?;
            block.parse(Section::Block(i), self.with_metadata(), &table, u64::MAX)?;
            decoded.push(block);
        }
        let mut order: Vec<(i64, usize, usize)> = decoded
            .iter()
            .enumerate()
            .flat_map(|(b, block)| {
                block
                    .entries
                    .iter()
                    .enumerate()
                    .map(move |(i, e)| (e.ts, b, i))
            })
            .collect();
        order.sort_by_key(|&(ts, _, _)| ts);
        let mut rebuilt = ChunkWriter::new(self.opts)?;
        for (_, b, i) in order {
            let Some((block, e)) = decoded.get(b).and_then(|d| Some((d, d.entries.get(i)?))) else {
                continue;
            };
            let line = block.payload.get(e.line.clone()).unwrap_or_default();
            let pairs = block.pairs.get(e.pairs.clone()).unwrap_or_default();
            let metadata: Vec<(&str, &str)> = pairs
                .iter()
                .map(|&(n, v)| {
                    (
                        table.name(n).unwrap_or_default(),
                        table.get(v).unwrap_or_default(),
                    )
                })
                .collect();
            let _ = rebuilt.append(e.ts, line, &metadata)?;
        }
        rebuilt.cut_block()?;
        *self = rebuilt;
        Ok(())
    }

    /// Closes the chunk and returns its bytes.
    ///
    /// # Errors
    ///
    /// A compression error from the codec.
    pub fn finish(mut self) -> Result<Bytes, ChunkError> {
        self.close()?;
        let (prefix, symbols) = self.prefix(true)?;
        let tail = self.tail(prefix.len(), symbols);
        let mut data = std::mem::take(&mut self.data);
        // Put the header in front of the blocks in place (one move within the buffer, which
        // was reserved with room to spare) instead of copying every block into a new one.
        data.reserve(prefix.len() + tail.len());
        data.splice(0..0, prefix);
        data.extend_from_slice(&tail);
        Ok(Bytes::from(data))
    }

    /// The chunk's bytes as they stand: cut blocks only, the head is not included (call
    /// [`ChunkWriter::cut_block`] or [`ChunkWriter::close`] first), as Loki's `Bytes()`.
    ///
    /// # Errors
    ///
    /// A compression error from the codec (V4 symbol table).
    pub fn to_bytes(&self) -> Result<Bytes, ChunkError> {
        Ok(Bytes::from(self.serialize(true)?))
    }

    /// The WAL-checkpoint form: the chunk with its cut blocks (V4 symbol table uncompressed)
    /// and the serialised head block. [`ChunkWriter::from_checkpoint`] and
    /// [`Chunk::open_checkpoint`] read it back.
    ///
    /// # Errors
    ///
    /// As [`ChunkWriter::to_bytes`].
    pub fn checkpoint(&self) -> Result<(Bytes, Bytes), ChunkError> {
        Ok((
            Bytes::from(self.serialize(false)?),
            Bytes::from(self.head.encode_checkpoint()),
        ))
    }

    /// Restores a writer from a checkpoint pair, as Loki's ingester does after a restart:
    /// blocks are kept as they are and the head's entries are appended again (with their
    /// metadata names normalised, which adds those names to the symbol table, as in Loki).
    ///
    /// # Errors
    ///
    /// Any [`ChunkError`] of [`Chunk::open_checkpoint`], or one from appending the head.
    pub fn from_checkpoint(
        chunk: impl Into<Bytes>,
        head: impl AsRef<[u8]>,
        block_size: usize,
        target_size: usize,
    ) -> Result<Self, ChunkError> {
        let restored = Chunk::open_checkpoint(chunk, head)?;
        let version = restored.version();
        let head_format = restored
            .head_format()
            .unwrap_or(HEAD_UNORDERED_WITH_METADATA);
        let mut w = ChunkWriter::new(WriterOptions {
            version,
            head_format,
            codec: restored.codec(),
            block_size,
            target_size,
        })?;
        for s in restored.symbols().symbols() {
            w.symbols.add(s);
        }
        if let Some(skipped) = restored.skipped_blocks().first() {
            return Err(skipped.error.clone());
        }
        for meta in restored.blocks() {
            let start = usize::try_from(meta.offset).unwrap_or(usize::MAX);
            let len = usize::try_from(meta.compressed_len).unwrap_or(usize::MAX);
            let data = restored
                .bytes()
                .get(start..start.saturating_add(len))
                .unwrap_or_default();
            let at = w.data.len();
            w.data.extend_from_slice(data);
            w.data
                .extend_from_slice(&crc32c::crc32c(data).to_be_bytes());
            w.cut_bytes += data.len();
            w.blocks.push(CutBlock {
                range: at..at + data.len(),
                entries: meta.entries,
                min_ts: meta.min_ts,
                max_ts: meta.max_ts,
                uncompressed_size: meta.uncompressed_size,
            });
        }
        for e in restored.head_entry_list() {
            let _ = w.append_entry(&e)?;
        }
        Ok(w)
    }

    /// Facts of the cut blocks, in order (offsets are those the serialised chunk will have).
    pub fn blocks(&self) -> Vec<BlockMeta> {
        let mut offset = self.blocks_start() as u64;
        self.blocks
            .iter()
            .map(|b| {
                let meta = BlockMeta {
                    entries: b.entries,
                    min_ts: b.min_ts,
                    max_ts: b.max_ts,
                    offset,
                    uncompressed_size: if self.opts.version >= V3 {
                        b.uncompressed_size
                    } else {
                        0
                    },
                    compressed_len: b.range.len() as u64,
                };
                offset += (b.range.len() + CRC_LEN) as u64;
                meta
            })
            .collect()
    }

    /// Entries in the cut blocks and the head.
    pub fn entry_count(&self) -> u64 {
        self.blocks
            .iter()
            .fold(self.head.len() as u64, |n, b| n.saturating_add(b.entries))
    }

    /// Loki's `UncompressedSize()`: head size, block sizes and (V4) symbol bytes.
    pub fn uncompressed_size(&self) -> u64 {
        let symbols = if self.with_metadata() {
            self.symbols.string_bytes()
        } else {
            0
        };
        self.blocks
            .iter()
            .fold((self.head.size() + symbols) as u64, |n, b| {
                n.saturating_add(b.uncompressed_size)
            })
    }

    /// Smallest and largest entry timestamp (ns since the epoch) in the blocks and the head.
    pub fn bounds(&self) -> Option<(i64, i64)> {
        self.blocks
            .iter()
            .map(|b| (b.min_ts, b.max_ts))
            .chain(self.head.bounds())
            .reduce(|(a, b), (c, d)| (a.min(c), b.max(d)))
    }

    /// The V4 symbol table in index order (empty before V4).
    pub fn symbols(&self) -> &[String] {
        self.symbols.symbols()
    }

    /// Compressed bytes of the cut blocks.
    pub fn compressed_size(&self) -> usize {
        self.cut_bytes
    }

    /// Number of entries in the head block.
    pub fn head_len(&self) -> usize {
        self.head.len()
    }

    /// Byte offset of the first block once serialised: the header and, in V4, the compressed
    /// symbol section and its CRC (encoded here to learn its size).
    fn blocks_start(&self) -> usize {
        if self.with_metadata() {
            let mut sm = Vec::new();
            let _ = self.symbols.encode_into(self.opts.codec, &mut sm);
            HEADER_LEN + sm.len() + CRC_LEN
        } else {
            HEADER_LEN
        }
    }

    /// The bytes of cut block `b`.
    fn block_bytes(&self, b: &CutBlock) -> &[u8] {
        self.data.get(b.range.clone()).unwrap_or_default()
    }

    /// What [`ChunkWriter::data`] is reserved to on the first cut: the target size plus a
    /// block (or, without a target, the ten blocks such a chunk holds), capped. This is
    /// address space; pages are touched only as blocks are written.
    fn data_capacity(&self) -> usize {
        let block = self.opts.codec.output_capacity(self.opts.block_size) + CRC_LEN;
        let want = if self.opts.target_size > 0 {
            self.opts.target_size.saturating_add(block)
        } else {
            block.saturating_mul(BLOCKS_PER_CHUNK_WITHOUT_TARGET)
        };
        want.min(MAX_DATA_RESERVE)
    }

    /// The bytes before the blocks: magic, version, codec and, in V4, the symbol section and
    /// its CRC; with the section's offset and length (zero before V4).
    fn prefix(&self, compress_symbols: bool) -> Result<(Vec<u8>, (u64, u64)), ChunkError> {
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(&MAGIC.to_be_bytes());
        out.push(self.opts.version);
        out.push(self.opts.codec.id());
        let mut sm = (0u64, 0u64);
        if self.with_metadata() {
            let start = out.len();
            let codec = if compress_symbols {
                self.opts.codec
            } else {
                Codec::None
            };
            self.symbols.encode_into(codec, &mut out)?;
            let crc = crc32c::crc32c(out.get(start..).unwrap_or_default());
            sm = (start as u64, (out.len() - start) as u64);
            out.extend_from_slice(&crc.to_be_bytes());
        }
        Ok((out, sm))
    }

    /// The bytes after the blocks, for blocks starting at `blocks_start`: the metas, their
    /// CRC and the trailer of offsets.
    fn tail(&self, blocks_start: usize, sm: (u64, u64)) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.blocks.len() * 24);
        let metas_offset = blocks_start + self.data.len();
        put_uvarint(&mut out, self.blocks.len() as u64);
        for b in &self.blocks {
            put_uvarint(&mut out, b.entries);
            put_varint(&mut out, b.min_ts);
            put_varint(&mut out, b.max_ts);
            put_uvarint(&mut out, (blocks_start + b.range.start) as u64);
            if self.opts.version >= V3 {
                put_uvarint(&mut out, b.uncompressed_size);
            }
            put_uvarint(&mut out, b.range.len() as u64);
        }
        let metas_len = out.len();
        let crc = crc32c::crc32c(&out);
        out.extend_from_slice(&crc.to_be_bytes());
        if self.with_metadata() {
            out.extend_from_slice(&sm.1.to_be_bytes());
            out.extend_from_slice(&sm.0.to_be_bytes());
            out.extend_from_slice(&(metas_len as u64).to_be_bytes());
        }
        out.extend_from_slice(&(metas_offset as u64).to_be_bytes());
        out
    }

    /// The whole chunk, copied (the writer stays usable).
    fn serialize(&self, compress_symbols: bool) -> Result<Vec<u8>, ChunkError> {
        let (prefix, sm) = self.prefix(compress_symbols)?;
        let tail = self.tail(prefix.len(), sm);
        let mut out = Vec::with_capacity(prefix.len() + self.data.len() + tail.len());
        out.extend_from_slice(&prefix);
        out.extend_from_slice(&self.data);
        out.extend_from_slice(&tail);
        Ok(out)
    }
}
