//! Loki's chunk layout, written down once.
//!
//! # MemChunk file (versions 1-4)
//!
//! ```text
//! offset 0   BE32   magic 0x012EE56A
//! offset 4   u8     version (1..=4)
//! offset 5   u8     codec id (see Codec)                        -- absent in V1 (gzip)
//! [V4]       structured-metadata section, then BE32 CRC-32C of it
//!              uvarint symbol_count                             -- never compressed
//!              codec stream of symbol_count x (uvarint len, bytes)
//!                (uncompressed in the WAL-checkpoint form)
//! blocks     per block: codec stream of its entries, then BE32 CRC-32C of the stream
//! metas      uvarint block_count
//!            per block: uvarint entries, varint min_ts, varint max_ts, uvarint offset,
//!                       [V3, V4] uvarint uncompressed_size, uvarint length
//!            BE32 CRC-32C of the metas bytes
//! trailer    V1-V3: BE64 metas_offset
//!            V4:    BE64 sm_len, BE64 sm_offset, BE64 metas_len, BE64 metas_offset
//! ```
//!
//! Offsets are absolute; lengths exclude the 4-byte CRC that follows each section.
//!
//! # Block payload (after decompression)
//!
//! ```text
//! per entry: varint ts_ns, uvarint line_len, line bytes,
//!            [V4] uvarint metadata_len, uvarint pair_count,
//!                 pair_count x (uvarint name_symbol, uvarint value_symbol)
//! ```
//!
//! # Head block (WAL checkpoint), first byte = head format
//!
//! ```text
//! 3 (ordered):   u8 3, uvarint n, uvarint size, varint min_ts, varint max_ts,
//!                n x (varint ts, uvarint len, line)
//! 4 (unordered): u8 4, uvarint n, n x (varint ts, uvarint len, line)
//! 5 (+metadata): as 4, each entry followed by uvarint pair_count and the pairs
//!                (no metadata length prefix)
//! ```
//!
//! # Stored object (object storage)
//!
//! ```text
//! BE32   metadata_len (4 + stream length; older writers: stream length only)
//! bytes  snappy framed stream of the metadata JSON + "\n"
//! BE32   chunk_len
//! bytes  MemChunk
//! ```
//!
//! The CRC-32C of the whole object is the last part of its key.

/// Every chunk starts with this big-endian magic number.
pub const MAGIC: u32 = 0x012E_E56A;
/// Chunk format V1: gzip implied, no codec byte, no uncompressed sizes.
pub const V1: u8 = 1;
/// Chunk format V2: codec byte, ordered head.
pub const V2: u8 = 2;
/// Chunk format V3: per-block uncompressed size (schema <= v12).
pub const V3: u8 = 3;
/// Chunk format V4: structured metadata with a symbol table (schema >= v13).
pub const V4: u8 = 4;

/// Head format 3: ordered head, entries must arrive in time order.
pub const HEAD_ORDERED: u8 = 3;
/// Head format 4: unordered head.
pub const HEAD_UNORDERED: u8 = 4;
/// Head format 5: unordered head with structured metadata.
pub const HEAD_UNORDERED_WITH_METADATA: u8 = 5;

/// Header length of V1 chunks (magic + version).
pub const HEADER_LEN_V1: usize = 5;
/// Header length of V2-V4 chunks (magic + version + codec).
pub const HEADER_LEN: usize = 6;
/// Length of every CRC-32C that follows a section.
pub const CRC_LEN: usize = 4;
/// Trailer length of V1-V3 chunks: BE64 metas offset.
pub const TRAILER_LEN_V1_V3: usize = 8;
/// Trailer length of V4 chunks: (sm_len, sm_offset, metas_len, metas_offset), BE64 each.
pub const TRAILER_LEN_V4: usize = 32;

/// Loki's default uncompressed block size (`ingester.chunks-block-size`).
pub const DEFAULT_BLOCK_SIZE: usize = 256 * 1024;
/// Loki's default compressed chunk target size (`ingester.chunk-target-size`).
pub const DEFAULT_TARGET_SIZE: usize = 1536 * 1024;
/// With a target size of 0, a chunk holds at most this many blocks.
pub const BLOCKS_PER_CHUNK_WITHOUT_TARGET: usize = 10;
/// Accounting bytes per structured-metadata pair (two u32 symbol references).
pub const METADATA_PAIR_ACCOUNTING_BYTES: usize = 8;

/// Longest line the reader accepts (Loki's `maxLineLength`).
pub const MAX_LINE_LEN: u64 = 1 << 30;
/// Largest decompressed block the reader will ever produce: one maximal line plus slack.
pub const MAX_DECOMPRESSED_LEN: u64 = MAX_LINE_LEN + (16 << 20);
/// Largest decompressed block of a V1/V2 chunk, whose metas do not record block sizes. Loki
/// cuts blocks at 256 KiB by default (plus one line past it); this leaves room for lines up to
/// 256 MiB while keeping a hostile block from forcing a 1 GiB allocation.
pub const MAX_BLOCK_LEN_V1_V2: u64 = 256 << 20;
/// Largest decompressed V4 symbol table.
pub const MAX_SYMBOLS_LEN: u64 = 64 << 20;
/// Most symbols a V4 symbol table may hold. A chunk's table holds its distinct metadata names
/// and values (thousands for high-cardinality values such as trace IDs); the cap keeps a table
/// of empty strings, which compresses to almost nothing, from costing gigabytes of index.
pub const MAX_SYMBOLS: u64 = 1 << 20;
/// Most entries one block may declare. Loki's default 256 KiB blocks hold at most ~87,000
/// entries (three bytes each at the least); the cap bounds the index a reader builds for a
/// block whatever its decompressed size.
pub const MAX_BLOCK_ENTRIES: u64 = 1 << 21;
/// Most bytes reserved up front for a decompressed block; larger blocks grow as they inflate,
/// so a block whose metas overstate its size cannot reserve memory it never fills.
pub const MAX_BLOCK_RESERVE: u64 = 8 << 20;

/// Upper bound on a V3/V4 block's decompressed payload from its metas: the accounted size
/// (line bytes, plus 8 per metadata pair) at most doubles with the varint framing of short
/// entries, plus up to 64 bytes of varints per entry. Blocks claiming more decompress to an
/// error instead of an allocation.
pub fn block_len_bound(uncompressed_size: u64, entries: u64) -> u64 {
    uncompressed_size
        .saturating_mul(2)
        .saturating_add(entries.saturating_mul(64))
        .saturating_add(4096)
        .min(MAX_DECOMPRESSED_LEN)
}

/// Largest metadata JSON in a stored object.
pub const MAX_OBJECT_METADATA_LEN: u64 = 16 << 20;
/// The `encoding` value of a stored log chunk's metadata (`LogChunk`).
pub const OBJECT_ENCODING_LOG_CHUNK: u64 = 129;
/// The legacy `encoding` value (`GzipLogChunk`), still readable.
pub const OBJECT_ENCODING_GZIP_LOG_CHUNK: u64 = 128;

/// Bytes of each of a stored object's two BE32 length fields.
pub const OBJECT_LEN_FIELD_LEN: usize = 4;
/// Longest snappy stream holding a stored object's metadata. Snappy framing adds 8 bytes per
/// 64 KiB chunk, so twice the largest accepted metadata is far more than any writer needs.
pub const MAX_OBJECT_METADATA_STREAM_LEN: u64 = 2 * MAX_OBJECT_METADATA_LEN;
/// The value of the `__name__` label Loki adds to a stored chunk's `metric` labels.
pub const OBJECT_METRIC_NAME: &str = "logs";
