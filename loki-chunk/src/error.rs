//! The crate's error type.

use crate::codec::Codec;

/// The part of a chunk, head block or stored object an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Section {
    /// Magic, version and codec bytes.
    Header,
    /// The V4 structured-metadata (symbol table) section.
    SymbolTable,
    /// One block's data, by index in the metas.
    Block(usize),
    /// The block metadata section.
    Metas,
    /// The section offsets at the end of the file.
    Trailer,
    /// A serialised head block (WAL checkpoint).
    HeadBlock,
    /// The length-prefixed metadata of a stored object.
    ObjectMetadata,
    /// The chunk inside a stored object.
    ObjectChunk,
    /// A whole stored object.
    Object,
}

impl std::fmt::Display for Section {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Section::Header => f.write_str("header"),
            Section::SymbolTable => f.write_str("symbol table"),
            Section::Block(i) => write!(f, "block {i}"),
            Section::Metas => f.write_str("block metas"),
            Section::Trailer => f.write_str("trailer"),
            Section::HeadBlock => f.write_str("head block"),
            Section::ObjectMetadata => f.write_str("object metadata"),
            Section::ObjectChunk => f.write_str("object chunk"),
            Section::Object => f.write_str("object"),
        }
    }
}

/// Everything that can go wrong reading or writing chunks, head blocks, stored objects,
/// object keys and label sets.
///
/// Corruption variants name the section and the byte offset (absolute in the input being
/// decoded, or within the decompressed block for entry-level errors) and carry the expected
/// and found values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChunkError {
    /// The input ends before a field does.
    #[error("{section}: truncated at offset {offset}: need {needed} bytes, {available} left")]
    Truncated {
        /// Where.
        section: Section,
        /// Offset of the field that does not fit.
        offset: u64,
        /// Bytes the field needs.
        needed: u64,
        /// Bytes left in the input.
        available: u64,
    },
    /// The chunk was cut short: its trailer (V4), which should end the input, was found
    /// `expected - size` bytes before where it ends, and the sections it records are where
    /// it says, checksums included. (Loki's decoder panics on such a chunk.)
    #[error(
        "truncated chunk: the chunk is {} bytes shorter than its trailer says ({size} bytes, the trailer describes {expected})",
        .expected.saturating_sub(*.size)
    )]
    TruncatedChunk {
        /// The length of the input.
        size: u64,
        /// The length the trailer's section offsets describe.
        expected: u64,
    },
    /// The chunk does not start with Loki's magic number.
    #[error("bad chunk magic {found:#010x}, expected {expected:#010x}")]
    BadMagic {
        /// The magic every chunk starts with.
        expected: u32,
        /// The value found.
        found: u32,
    },
    /// The chunk version is not 1-4.
    #[error("unsupported chunk version {found} at offset 4 (readable: 1-4)")]
    UnsupportedVersion {
        /// The version byte.
        found: u8,
    },
    /// The codec byte names no codec Loki writes.
    #[error("unsupported codec id {found} at offset 5")]
    UnsupportedCodec {
        /// The codec byte.
        found: u8,
    },
    /// The head format byte is not 3, 4 or 5, or does not fit the chunk version.
    #[error("{section}: head format {found} at offset {offset} is not valid here ({expected})")]
    BadHeadFormat {
        /// Where.
        section: Section,
        /// Offset of the format byte.
        offset: u64,
        /// What is allowed.
        expected: &'static str,
        /// The format found.
        found: u8,
    },
    /// A stored CRC-32C does not match the bytes it covers.
    #[error(
        "{section}: CRC-32C mismatch at offset {offset}: stored {expected:#010x}, computed {found:#010x}"
    )]
    ChecksumMismatch {
        /// The checksummed section.
        section: Section,
        /// Offset of the stored checksum.
        offset: u64,
        /// The checksum stored in the input.
        expected: u32,
        /// The checksum computed over the input.
        found: u32,
    },
    /// A variable-length integer is malformed or overflows 64 bits.
    #[error("{section}: malformed varint at offset {offset}")]
    BadVarint {
        /// Where.
        section: Section,
        /// Offset of its first byte.
        offset: u64,
    },
    /// A value read from the input is outside what the format allows.
    #[error("{section}: {field} at offset {offset} is {found}, limit {limit}")]
    OutOfRange {
        /// Where.
        section: Section,
        /// The field.
        field: &'static str,
        /// Its offset.
        offset: u64,
        /// The limit it broke (inclusive).
        limit: u64,
        /// The value found.
        found: u64,
    },
    /// A section has bytes after its last field.
    #[error("{section}: {count} unexpected bytes after offset {offset}")]
    TrailingBytes {
        /// Where.
        section: Section,
        /// Offset of the first unexpected byte.
        offset: u64,
        /// How many.
        count: u64,
    },
    /// A compressed stream failed to decompress.
    #[error("{section}: {codec} stream at offset {offset} does not decompress: {reason}")]
    Decompress {
        /// Where.
        section: Section,
        /// The codec.
        codec: Codec,
        /// Offset of the compressed stream.
        offset: u64,
        /// The codec library's message.
        reason: String,
    },
    /// Compressing a block failed (only possible through an I/O-level codec failure).
    #[error("{codec} compression failed: {reason}")]
    Compress {
        /// The codec.
        codec: Codec,
        /// The codec library's message.
        reason: String,
    },
    /// A symbol is not valid UTF-8.
    #[error("{section}: symbol at offset {offset} is not valid UTF-8")]
    InvalidUtf8 {
        /// Where.
        section: Section,
        /// Offset of the symbol's bytes.
        offset: u64,
    },
    /// A block's entries disagree with its metas: more or fewer entries than declared, or an
    /// entry newer than the block's declared newest timestamp.
    #[error("{section}: {field} is {found}, the block metas say {expected}")]
    BlockMismatch {
        /// The block.
        section: Section,
        /// `"entry count"` or `"entry timestamp (max)"`.
        field: &'static str,
        /// What the metas declare.
        expected: i64,
        /// What the block holds.
        found: i64,
    },
    /// An entry refers to a symbol the table does not hold.
    #[error("{section}: symbol reference {index} at offset {offset}, table has {symbols} symbols")]
    BadSymbolRef {
        /// Where.
        section: Section,
        /// Offset of the reference within the decompressed data.
        offset: u64,
        /// The reference.
        index: u64,
        /// Symbols in the table.
        symbols: u64,
    },
    /// An ordered head was given an entry older than its newest one.
    #[error("entry out of order: timestamp {ts} is before {newest}")]
    OutOfOrder {
        /// The rejected entry's timestamp (ns).
        ts: i64,
        /// The newest timestamp already in the chunk (ns).
        newest: i64,
    },
    /// A writer option or argument is invalid.
    #[error("invalid argument {name}: {reason}")]
    InvalidArgument {
        /// The argument.
        name: &'static str,
        /// What a valid value looks like.
        reason: &'static str,
    },
    /// The stored object's CRC-32C differs from the one in its key.
    #[error("object checksum {found:#010x} does not match the key's {expected:#010x}")]
    ObjectChecksum {
        /// The checksum in the key.
        expected: u32,
        /// The checksum of the object's bytes.
        found: u32,
    },
    /// The stored object's metadata JSON is invalid.
    #[error("object metadata JSON invalid at line {line}, column {column}: {reason}")]
    ObjectMetadata {
        /// Line in the JSON (1-based).
        line: usize,
        /// Column in the JSON (1-based).
        column: usize,
        /// The JSON parser's message.
        reason: String,
    },
    /// A field of the stored object's metadata disagrees with its key.
    #[error("object metadata {field} is {metadata}, the key says {key}")]
    KeyMismatch {
        /// The field.
        field: &'static str,
        /// The value in the key.
        key: String,
        /// The value in the metadata.
        metadata: String,
    },
    /// An object key (or filesystem name) is malformed.
    #[error("invalid object key {key:?}: {reason}")]
    InvalidKey {
        /// The key.
        key: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A label set in Prometheus form does not parse.
    #[error("invalid label set at byte {position}: {reason}")]
    InvalidLabels {
        /// Byte offset in the input.
        position: usize,
        /// What is wrong.
        reason: &'static str,
    },
}
