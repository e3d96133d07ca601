//! Chunks whose checksums are valid but whose metas lie: every lie is a typed error, never a
//! panic, a silent wrong answer or an allocation the input does not justify.
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss
)] // hand-rolled varints for forging metas

use loki_chunk::{Chunk, ChunkError, ChunkWriter, Codec, Direction, Query, Section, WriterOptions};

fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn uvarint(b: &[u8], pos: &mut usize) -> u64 {
    let (mut v, mut shift) = (0u64, 0);
    loop {
        let byte = b[*pos];
        *pos += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return v;
        }
        shift += 7;
    }
}

/// `[entries, min_ts, max_ts, offset, uncompressed, len]` of each block of a V3 chunk.
type Metas = Vec<[i64; 6]>;

/// Rewrites a V3 chunk's block metas through `edit`, keeping them checksummed.
fn rewrite_metas(chunk: &[u8], edit: impl FnOnce(&mut Metas)) -> Vec<u8> {
    let n = chunk.len();
    let metas_at = usize::try_from(u64::from_be_bytes(chunk[n - 8..].try_into().unwrap())).unwrap();
    let mut pos = metas_at;
    let count = uvarint(chunk, &mut pos);
    let zigzag = |u: u64| ((u >> 1) as i64) ^ -((u & 1) as i64);
    let mut metas: Metas = (0..count)
        .map(|_| {
            let mut m = [0i64; 6];
            for (i, field) in m.iter_mut().enumerate() {
                let u = uvarint(chunk, &mut pos);
                *field = if i == 1 || i == 2 {
                    zigzag(u)
                } else {
                    u as i64
                };
            }
            m
        })
        .collect();
    edit(&mut metas);
    let mut out = chunk[..metas_at].to_vec();
    put_uvarint(&mut out, metas.len() as u64);
    for m in &metas {
        for (i, &field) in m.iter().enumerate() {
            let u = if i == 1 || i == 2 {
                ((field << 1) ^ (field >> 63)) as u64
            } else {
                field as u64
            };
            put_uvarint(&mut out, u);
        }
    }
    let crc = crc32c::crc32c(&out[metas_at..]);
    out.extend_from_slice(&crc.to_be_bytes());
    out.extend_from_slice(&(metas_at as u64).to_be_bytes());
    out
}

fn v3_chunk(codec: Codec) -> Vec<u8> {
    let mut w = ChunkWriter::new(WriterOptions::v3(codec).block_size(64)).unwrap();
    for i in 0..20i64 {
        let _ = w
            .append(i * 10, format!("line number {i}").as_bytes(), &[])
            .unwrap();
    }
    w.finish().unwrap().to_vec()
}

fn all_reads(chunk: &Chunk) -> Vec<Result<usize, ChunkError>> {
    [Direction::Forward, Direction::Backward]
        .into_iter()
        .map(|d| chunk.entries(Query::all().direction(d)).map(|e| e.len()))
        .collect()
}

#[test]
fn the_helper_round_trips_an_untouched_chunk() {
    let chunk = v3_chunk(Codec::Snappy);
    assert_eq!(rewrite_metas(&chunk, |_| {}), chunk);
}

#[test]
fn a_block_holding_more_entries_than_declared_is_an_error() {
    let chunk = rewrite_metas(&v3_chunk(Codec::Gzip), |m| m[0][0] -= 1);
    let chunk = Chunk::open(chunk).unwrap();
    for read in all_reads(&chunk) {
        assert!(
            matches!(
                read,
                Err(ChunkError::BlockMismatch {
                    section: Section::Block(0),
                    field: "entry count",
                    ..
                })
            ),
            "{read:?}"
        );
    }
}

#[test]
fn a_block_holding_fewer_entries_than_declared_is_an_error() {
    let chunk = rewrite_metas(&v3_chunk(Codec::None), |m| m[1][0] += 1);
    for read in all_reads(&Chunk::open(chunk).unwrap()) {
        assert!(
            matches!(
                read,
                Err(ChunkError::BlockMismatch {
                    section: Section::Block(1),
                    ..
                })
            ),
            "{read:?}"
        );
    }
}

#[test]
fn an_entry_newer_than_its_block_declares_is_an_error() {
    let chunk = rewrite_metas(&v3_chunk(Codec::Lz4_64k), |m| m[0][2] -= 1);
    let err = Chunk::open(chunk)
        .unwrap()
        .entries(Query::all())
        .unwrap_err();
    assert!(
        matches!(
            err,
            ChunkError::BlockMismatch {
                field: "entry timestamp (max)",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn metas_pointing_twice_at_one_block_are_rejected() {
    let chunk = rewrite_metas(&v3_chunk(Codec::Zstd), |m| {
        let first = m[0];
        m.push(first);
    });
    let err = Chunk::open(chunk).unwrap_err();
    assert!(
        matches!(
            err,
            ChunkError::OutOfRange {
                field: "block offset + length",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn absurd_entry_counts_and_sizes_are_refused_or_saturate() {
    let chunk = rewrite_metas(&v3_chunk(Codec::Snappy), |m| m[0][0] = i64::MAX);
    let err = Chunk::open(chunk).unwrap_err();
    assert!(
        matches!(
            err,
            ChunkError::OutOfRange {
                field: "block entry count",
                ..
            }
        ),
        "{err:?}"
    );

    // Huge accounted sizes: facts saturate, decoding is bounded by the real stream.
    let chunk = rewrite_metas(&v3_chunk(Codec::Snappy), |m| {
        for b in m.iter_mut() {
            b[4] = i64::MAX;
        }
    });
    let chunk = Chunk::open(chunk).unwrap();
    assert_eq!(chunk.uncompressed_size(), u64::MAX);
    assert_eq!(chunk.entries(Query::all()).unwrap().len(), 20);
}

#[test]
fn data_after_a_zstd_or_flate_stream_is_an_error() {
    for codec in [Codec::Zstd, Codec::Flate] {
        let mut w = ChunkWriter::new(WriterOptions::v3(codec)).unwrap();
        let _ = w.append(1, b"only line", &[]).unwrap();
        let chunk = w.finish().unwrap();
        let meta = Chunk::open(chunk.clone()).unwrap().blocks()[0];
        // Re-frame the block with one extra byte after the stream, fixing its CRC and metas.
        let (start, len) = (meta.offset as usize, meta.compressed_len as usize);
        let mut data = chunk[start..start + len].to_vec();
        data.push(0);
        let mut out = chunk[..start].to_vec();
        out.extend_from_slice(&data);
        out.extend_from_slice(&crc32c::crc32c(&data).to_be_bytes());
        let metas_at = out.len();
        let mut tail = chunk[start + len + 4..].to_vec();
        let n = tail.len();
        tail.truncate(n - 8);
        out.extend_from_slice(&tail);
        out.extend_from_slice(&(metas_at as u64).to_be_bytes());
        let out = rewrite_metas(&out, |m| m[0][5] += 1);
        let err = Chunk::open(out).unwrap().entries(Query::all()).unwrap_err();
        assert!(
            matches!(err, ChunkError::Decompress { .. }),
            "{codec}: {err:?}"
        );
    }
}

#[test]
fn a_v4_chunk_cut_short_says_by_how_many_bytes() {
    let mut w = ChunkWriter::new(WriterOptions::v4(Codec::Snappy).block_size(256)).unwrap();
    for i in 0..50i64 {
        let line = format!("line {i} of a chunk that will be cut short");
        let _ = w
            .append(
                1_717_200_000_000_000_000 + i,
                line.as_bytes(),
                &[("k", "v")],
            )
            .unwrap();
    }
    let chunk = w.finish().unwrap();
    let n = chunk.len() as u64;
    for missing in 1..=8u64 {
        let cut = chunk.slice(..chunk.len() - missing as usize);
        let err = Chunk::open(cut).unwrap_err();
        assert_eq!(
            err,
            ChunkError::TruncatedChunk {
                size: n - missing,
                expected: n
            },
            "{missing}"
        );
        assert!(
            err.to_string()
                .contains(&format!("{missing} bytes shorter than its trailer says")),
            "{err}"
        );
    }
    // More cut off: the trailer is gone; some other typed error, never a panic.
    for missing in [9, 20, 32, chunk.len() as u64 / 2] {
        let err = Chunk::open(chunk.slice(..chunk.len() - missing as usize)).unwrap_err();
        assert!(!matches!(err, ChunkError::TruncatedChunk { .. }), "{err}");
    }
}
