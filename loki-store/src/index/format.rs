//! The index file layout, written down once.
//!
//! One file lists, for one tenant and one period (a UTC day), streams and the chunks that
//! hold their entries, with the postings that find streams by label: label names → values →
//! streams (labels, fingerprint) → chunk refs (time range, checksum, size, entries).
//!
//! ```text
//! file     := header body footer
//! header   := magic "LIDX" (4) | version u8 (= 1) | flags u8 (= 0) | reserved u16 (= 0)
//! body     := tenant str | period uvarint            days since 1970-01-01 (UTC)
//!             | symbol count uvarint | symbol str*    every label name and value, sorted
//!                                                     by bytes, distinct
//!             | stream count uvarint | stream*       sorted by labels, distinct
//!             | name count uvarint | name-postings*  sorted by name
//! stream   := fingerprint u64 LE                      Loki's (xxHash64 of the labels)
//!             | label count uvarint | (name sym uvarint, value sym uvarint)*  sorted by name
//!             | chunk count uvarint | chunk*         sorted by (from, through, checksum)
//! chunk    := from_ns varint | through_ns − from_ns uvarint  first and last entry (ns)
//!             | checksum u32 LE | size uvarint (bytes of the object) | entries uvarint
//! name-postings := name sym uvarint | value count uvarint
//!             | (value sym uvarint | stream count uvarint | stream ordinal uvarint*)*
//!               ordinals ascending, each written as the difference to the one before
//! footer   := body length u64 LE | crc u32 LE | magic "LIDX"
//!             crc = CRC-32C of the header and the body
//! str      := length uvarint | UTF-8 bytes
//! ```
//!
//! A chunk's object key follows from the file's tenant and the ref:
//! `<tenant>/<fingerprint hex>/<from_ms hex>:<through_ms hex>:<checksum hex>` (Loki's schema
//! v13 key), `from_ms` being `from_ns` rounded down to the millisecond and `through_ms`
//! `through_ns` rounded up, as Loki's flush rounds them.
//!
//! Reading checks, in order: the length, the magic at both ends, the version, the body
//! length, the checksum; then the body with every count checked against the bytes left, and
//! nothing after the last posting; then the meaning: symbols sorted and distinct, symbol
//! references in range, labels valid and sorted, fingerprints equal to the labels' own,
//! streams and their chunks sorted and distinct, chunk ends within the range of `i64`, and
//! postings naming exactly the streams' labels. Each failure is an [`IndexError`] naming
//! its offset.
//!
//! Version 1 is the only version; a file of another version is refused, never guessed at.

use std::collections::BTreeMap;

use loki_chunk::LabelSet;

use super::{ChunkRef, IndexError};
use crate::cursor::{Cursor, CursorError, put_bytes, put_uvarint, put_varint};

/// The four bytes at both ends of every index file.
pub const MAGIC: [u8; 4] = *b"LIDX";

/// The version this crate writes and reads.
pub const VERSION: u8 = 1;

/// Length of the header: magic, version, flags, reserved.
pub const HEADER_LEN: usize = 8;

/// Length of the footer: body length, CRC, magic.
pub const FOOTER_LEN: usize = 16;

/// The extension of index files.
pub const EXTENSION: &str = "lidx";

/// The largest index file read (1 GiB): a larger object is refused before it is parsed.
pub const MAX_FILE_LEN: u64 = 1 << 30;

/// One stream of a file: its labels and chunks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStream {
    /// The stream's labels.
    pub labels: LabelSet,
    /// Its chunks in the file's period.
    pub chunks: Vec<ChunkRef>,
}

/// An index file's contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexFile {
    /// The tenant.
    pub tenant: String,
    /// Days since the epoch (UTC) the file covers.
    pub period: u32,
    /// Streams, sorted by labels.
    pub streams: Vec<FileStream>,
}

/// Encodes a file of `tenant`'s `streams` for `period`. Streams are sorted and chunks sorted
/// and deduplicated here; two streams with the same labels are merged. (A chunk whose
/// `through_ns` precedes its `from_ns`, which the store never makes, is written with
/// `through_ns = from_ns`.)
pub fn encode(tenant: &str, period: u32, streams: &[FileStream]) -> Vec<u8> {
    // Merge and sort streams by their printed labels.
    let mut by_labels: BTreeMap<String, (&LabelSet, Vec<ChunkRef>)> = BTreeMap::new();
    for s in streams {
        let e = by_labels
            .entry(s.labels.to_string())
            .or_insert_with(|| (&s.labels, Vec::new()));
        e.1.extend_from_slice(&s.chunks);
    }
    let mut symbols: Vec<&str> = Vec::new();
    for (labels, _) in by_labels.values() {
        for (n, v) in *labels {
            symbols.push(n);
            symbols.push(v);
        }
    }
    symbols.sort_unstable();
    symbols.dedup();
    let sym = |s: &str| symbols.binary_search(&s).unwrap_or_default() as u64;

    let mut out = Vec::with_capacity(64 + 32 * streams.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&[VERSION, 0, 0, 0]);
    put_bytes(&mut out, tenant.as_bytes());
    put_uvarint(&mut out, u64::from(period));
    put_uvarint(&mut out, symbols.len() as u64);
    for s in &symbols {
        put_bytes(&mut out, s.as_bytes());
    }
    put_uvarint(&mut out, by_labels.len() as u64);
    // name -> value -> ordinals
    let mut postings: BTreeMap<&str, BTreeMap<&str, Vec<u64>>> = BTreeMap::new();
    for (ordinal, (labels, chunks)) in by_labels.values_mut().enumerate() {
        out.extend_from_slice(&labels.fingerprint().to_le_bytes());
        put_uvarint(&mut out, labels.len() as u64);
        for (n, v) in *labels {
            put_uvarint(&mut out, sym(n));
            put_uvarint(&mut out, sym(v));
            postings
                .entry(n)
                .or_default()
                .entry(v)
                .or_default()
                .push(ordinal as u64);
        }
        chunks.sort_unstable_by_key(ChunkRef::identity);
        chunks.dedup_by_key(|c| c.identity());
        put_uvarint(&mut out, chunks.len() as u64);
        for c in chunks.iter() {
            put_varint(&mut out, c.from_ns);
            put_uvarint(
                &mut out,
                u64::try_from(c.through_ns.saturating_sub(c.from_ns)).unwrap_or(0),
            );
            out.extend_from_slice(&c.checksum.to_le_bytes());
            put_uvarint(&mut out, c.size);
            put_uvarint(&mut out, c.entries);
        }
    }
    put_uvarint(&mut out, postings.len() as u64);
    for (name, values) in &postings {
        put_uvarint(&mut out, sym(name));
        put_uvarint(&mut out, values.len() as u64);
        for (value, ordinals) in values {
            put_uvarint(&mut out, sym(value));
            put_uvarint(&mut out, ordinals.len() as u64);
            let mut prev = 0;
            for &o in ordinals {
                put_uvarint(&mut out, o - prev);
                prev = o;
            }
        }
    }
    let body_len = (out.len() - HEADER_LEN) as u64;
    let crc = crc32c::crc32c(&out);
    out.extend_from_slice(&body_len.to_le_bytes());
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&MAGIC);
    out
}

impl From<CursorError> for IndexError {
    fn from(e: CursorError) -> Self {
        match e {
            CursorError::Truncated {
                offset,
                needed,
                available,
            } => Self::Truncated {
                offset: (offset + HEADER_LEN) as u64,
                needed: needed as u64,
                available: available as u64,
            },
            CursorError::BadVarint { offset } => Self::BadVarint {
                offset: (offset + HEADER_LEN) as u64,
            },
            CursorError::TooLarge {
                offset,
                found,
                limit,
            } => Self::OutOfRange {
                field: "count or length",
                offset: (offset + HEADER_LEN) as u64,
                found,
                limit,
            },
            CursorError::Utf8 { offset } => Self::Utf8 {
                offset: (offset + HEADER_LEN) as u64,
            },
        }
    }
}

/// Reads and checks an index file (see the [module docs](self) for the order of checks).
///
/// # Errors
///
/// The first check that fails, as an [`IndexError`].
pub fn decode(bytes: &[u8]) -> Result<IndexFile, IndexError> {
    let len = bytes.len();
    if len < HEADER_LEN + FOOTER_LEN {
        return Err(IndexError::Truncated {
            offset: 0,
            needed: (HEADER_LEN + FOOTER_LEN) as u64,
            available: len as u64,
        });
    }
    let (head, rest) = bytes.split_at(HEADER_LEN);
    let (body, footer) = rest.split_at(rest.len() - FOOTER_LEN);
    let mut tail_magic = [0u8; 4];
    tail_magic.copy_from_slice(&footer[12..16]);
    let mut head_magic = [0u8; 4];
    head_magic.copy_from_slice(&head[..4]);
    if head_magic != MAGIC {
        return Err(IndexError::BadMagic { found: head_magic });
    }
    if tail_magic != MAGIC {
        return Err(IndexError::BadMagic { found: tail_magic });
    }
    if head[4] != VERSION {
        return Err(IndexError::UnsupportedVersion { found: head[4] });
    }
    let mut f = Cursor::new(footer);
    let body_len = f.u64_le()?;
    if body_len != body.len() as u64 {
        return Err(IndexError::OutOfRange {
            field: "body length",
            offset: (len - FOOTER_LEN) as u64,
            found: body_len,
            limit: body.len() as u64,
        });
    }
    let stored = f.u32_le()?;
    let computed = crc32c::crc32c_append(crc32c::crc32c(head), body);
    if stored != computed {
        return Err(IndexError::Checksum {
            expected: stored,
            found: computed,
        });
    }
    decode_body(body)
}

/// Offset of a body position in the file.
fn at(pos: usize) -> u64 {
    (pos + HEADER_LEN) as u64
}

fn decode_body(body: &[u8]) -> Result<IndexFile, IndexError> {
    let mut c = Cursor::new(body);
    let tenant = c.str()?.to_owned();
    let period_at = c.pos();
    let period = c.uvarint()?;
    let period = u32::try_from(period).map_err(|_| IndexError::OutOfRange {
        field: "period",
        offset: at(period_at),
        found: period,
        limit: u64::from(u32::MAX),
    })?;
    let symbols = decode_symbols(&mut c)?;
    let (streams, labels_total) = decode_streams(&mut c, &symbols)?;
    let postings_total = decode_postings(&mut c, &symbols, &streams)?;
    if !c.is_empty() {
        return Err(IndexError::TrailingBytes {
            offset: at(c.pos()),
            count: c.remaining() as u64,
        });
    }
    if postings_total != labels_total {
        return Err(IndexError::Inconsistent {
            offset: 0,
            what: "postings do not list every stream label",
        });
    }
    Ok(IndexFile {
        tenant,
        period,
        streams,
    })
}

fn decode_symbols<'a>(c: &mut Cursor<'a>) -> Result<Vec<&'a str>, IndexError> {
    let n = c.count(1)?;
    let mut symbols: Vec<&str> = Vec::with_capacity(n);
    for _ in 0..n {
        let offset = at(c.pos());
        let s = c.str()?;
        if symbols.last().is_some_and(|last| *last >= s) {
            return Err(IndexError::Inconsistent {
                offset,
                what: "symbols not sorted and distinct",
            });
        }
        symbols.push(s);
    }
    Ok(symbols)
}

fn symbol<'s>(c: &mut Cursor<'_>, symbols: &[&'s str]) -> Result<&'s str, IndexError> {
    let offset = at(c.pos());
    let i = c.uvarint()?;
    usize::try_from(i)
        .ok()
        .and_then(|i| symbols.get(i).copied())
        .ok_or(IndexError::BadSymbol {
            offset,
            index: i,
            symbols: symbols.len() as u64,
        })
}

/// The streams, and how many labels they have in all.
fn decode_streams(
    c: &mut Cursor<'_>,
    symbols: &[&str],
) -> Result<(Vec<FileStream>, usize), IndexError> {
    // A fingerprint and two counts at least.
    let n_streams = c.count(10)?;
    let mut streams: Vec<FileStream> = Vec::with_capacity(n_streams);
    let mut last_printed: Option<String> = None;
    let mut labels_total = 0usize;
    for _ in 0..n_streams {
        let offset = at(c.pos());
        let fingerprint = c.u64_le()?;
        let n_labels = c.count(2)?;
        let mut pairs = Vec::with_capacity(n_labels);
        for _ in 0..n_labels {
            let name = symbol(c, symbols)?;
            let value = symbol(c, symbols)?;
            if pairs.last().is_some_and(|(last, _)| *last >= name) {
                return Err(IndexError::Inconsistent {
                    offset,
                    what: "stream labels not sorted by name",
                });
            }
            pairs.push((name, value));
        }
        labels_total += pairs.len();
        let labels = LabelSet::from_pairs(pairs).map_err(|e| IndexError::InvalidLabels {
            offset,
            reason: e.to_string(),
        })?;
        if labels.fingerprint() != fingerprint {
            return Err(IndexError::FingerprintMismatch {
                offset,
                stored: fingerprint,
                computed: labels.fingerprint(),
            });
        }
        let printed = labels.to_string();
        if last_printed.as_ref().is_some_and(|last| *last >= printed) {
            return Err(IndexError::Inconsistent {
                offset,
                what: "streams not sorted and distinct",
            });
        }
        last_printed = Some(printed);
        let chunks = decode_chunks(c, fingerprint)?;
        streams.push(FileStream { labels, chunks });
    }
    Ok((streams, labels_total))
}

fn decode_chunks(c: &mut Cursor<'_>, fingerprint: u64) -> Result<Vec<ChunkRef>, IndexError> {
    // From, span, checksum, size, entries.
    let n = c.count(8)?;
    let mut chunks = Vec::with_capacity(n);
    for _ in 0..n {
        let offset = at(c.pos());
        let from_ns = c.varint()?;
        let span = c.uvarint()?;
        let through_ns = i64::try_from(span)
            .ok()
            .and_then(|s| from_ns.checked_add(s))
            .ok_or(IndexError::OutOfRange {
                field: "chunk time span",
                offset,
                found: span,
                limit: i64::MAX.abs_diff(from_ns),
            })?;
        let checksum = c.u32_le()?;
        let size = c.uvarint()?;
        let entries = c.uvarint()?;
        let chunk = ChunkRef {
            fingerprint,
            from_ns,
            through_ns,
            checksum,
            size,
            entries,
        };
        if chunks
            .last()
            .is_some_and(|last: &ChunkRef| last.identity() >= chunk.identity())
        {
            return Err(IndexError::Inconsistent {
                offset,
                what: "chunks not sorted and distinct",
            });
        }
        chunks.push(chunk);
    }
    Ok(chunks)
}

/// Checks the postings against the streams; returns how many (name, value, stream) entries
/// they hold.
fn decode_postings(
    c: &mut Cursor<'_>,
    symbols: &[&str],
    streams: &[FileStream],
) -> Result<usize, IndexError> {
    let n_names = c.count(2)?;
    let mut total = 0usize;
    let mut last_name: Option<&str> = None;
    for _ in 0..n_names {
        let offset = at(c.pos());
        let name = symbol(c, symbols)?;
        if last_name.is_some_and(|l| l >= name) {
            return Err(IndexError::Inconsistent {
                offset,
                what: "posting names not sorted and distinct",
            });
        }
        last_name = Some(name);
        let n_values = c.count(2)?;
        for _ in 0..n_values {
            let value = symbol(c, symbols)?;
            let n_ordinals = c.count(1)?;
            let mut ordinal = 0u64;
            for i in 0..n_ordinals {
                let delta = c.uvarint()?;
                if i > 0 && delta == 0 {
                    return Err(IndexError::Inconsistent {
                        offset,
                        what: "posting ordinals not ascending",
                    });
                }
                ordinal = ordinal.saturating_add(delta);
                let stream = usize::try_from(ordinal)
                    .ok()
                    .and_then(|o| streams.get(o))
                    .ok_or(IndexError::Inconsistent {
                        offset,
                        what: "posting names a stream the file does not hold",
                    })?;
                if stream.labels.get(name) != Some(value) {
                    return Err(IndexError::Inconsistent {
                        offset,
                        what: "posting names a stream without that label value",
                    });
                }
                total += 1;
            }
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<FileStream> {
        let a = LabelSet::parse(r#"{app="api", env="prod"}"#).expect("labels");
        let b = LabelSet::parse(r#"{app="web"}"#).expect("labels");
        let chunk = |labels: &LabelSet, from_ms: i64, n| ChunkRef {
            fingerprint: labels.fingerprint(),
            from_ns: from_ms * 1_000_000,
            through_ns: (from_ms + 1000) * 1_000_000 + 1,
            checksum: 0xdead_beef,
            size: 1234,
            entries: n,
        };
        vec![
            FileStream {
                chunks: vec![chunk(&b, 1_710_072_000_000, 3)],
                labels: b.clone(),
            },
            FileStream {
                chunks: vec![
                    chunk(&a, 1_710_072_005_000, 2),
                    chunk(&a, 1_710_072_000_000, 1),
                ],
                labels: a,
            },
        ]
    }

    #[test]
    fn files_round_trip_sorted() {
        let bytes = encode("fake", 19_792, &sample());
        let file = decode(&bytes).expect("valid file");
        assert_eq!(file.tenant, "fake");
        assert_eq!(file.period, 19_792);
        assert_eq!(file.streams.len(), 2);
        assert_eq!(file.streams[0].labels.get("app"), Some("api"));
        assert_eq!(file.streams[0].chunks[0].from_ns, 1_710_072_000_000_000_000);
        assert_eq!(file.streams[1].chunks[0].entries, 3);
    }

    #[test]
    fn every_cut_and_flip_is_refused() {
        let bytes = encode("fake", 19_792, &sample());
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x10;
            assert!(decode(&bad).is_err(), "flip at {i}");
        }
        let mut v2 = bytes.clone();
        v2[4] = 2;
        assert!(matches!(
            decode(&v2),
            Err(IndexError::UnsupportedVersion { found: 2 })
        ));
        let mut crc = bytes.clone();
        let at = crc.len() - 8;
        crc[at] ^= 1;
        assert!(matches!(decode(&crc), Err(IndexError::Checksum { .. })));
    }

    /// A body that passes its checksum but lies about its meaning is still refused.
    #[test]
    fn inconsistent_bodies_are_refused() {
        fn seal(body: &[u8]) -> Vec<u8> {
            let mut out = MAGIC.to_vec();
            out.extend_from_slice(&[VERSION, 0, 0, 0]);
            out.extend_from_slice(body);
            let crc = crc32c::crc32c(&out);
            out.extend_from_slice(&(body.len() as u64).to_le_bytes());
            out.extend_from_slice(&crc.to_le_bytes());
            out.extend_from_slice(&MAGIC);
            out
        }
        let good = encode("t", 1, &sample());
        let body = &good[HEADER_LEN..good.len() - FOOTER_LEN];
        assert!(decode(&seal(body)).is_ok());
        // Symbols out of order: tenant "t", period 1, two symbols "b", "a".
        let unsorted = [1, b't', 1, 2, 1, b'b', 1, b'a', 0, 0];
        assert!(matches!(
            decode(&seal(&unsorted)),
            Err(IndexError::Inconsistent { .. })
        ));
        // No streams, but a posting list naming stream 0.
        let dangling = [1, b't', 1, 2, 1, b'a', 1, b'b', 0, 1, 0, 1, 1, 1, 0];
        assert!(matches!(
            decode(&seal(&dangling)),
            Err(IndexError::Inconsistent { .. })
        ));
        let mut trailing = body.to_vec();
        trailing.push(0);
        assert!(matches!(
            decode(&seal(&trailing)),
            Err(IndexError::TrailingBytes { .. })
        ));
    }
}
