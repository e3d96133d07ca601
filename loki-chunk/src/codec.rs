//! The compression codecs Loki uses for blocks and the V4 symbol section.
//!
//! Each block is one complete stream of its codec: one gzip member, one raw DEFLATE stream,
//! one snappy *framed* stream, one LZ4 *frame*, one zstd frame. Decoders accept any valid
//! stream of the format (any level, with or without checksums), and every decompression is
//! bounded so a hostile stream cannot make the reader allocate more than a limit.

use std::cell::RefCell;
use std::io::{Read, Write};

use bytes::Bytes;

use crate::error::ChunkError;

/// A stream's bytes as an owned reader, so that a decoder holding it can be kept between
/// blocks (a decoder over a borrowed slice could not outlive the call).
#[derive(Debug, Default)]
struct Input {
    data: Bytes,
    pos: usize,
}

impl Read for Input {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let rest = self.data.get(self.pos..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        Ok(n)
    }
}

/// Decoders kept between blocks on one thread. A fresh LZ4 frame decoder allocates and
/// zero-fills buffers of the frame's block size (4 MiB for Loki's `lz4`), which the allocator
/// hands back to the OS after each block; a kept one reuses them. Snappy's decoder allocates
/// about 140 KiB per stream. At most one decoder per LZ4 frame layout and one snappy decoder
/// are kept per thread (about 8 MiB for a thread that decoded Loki's `lz4`, 4 MiB blocks); a
/// decoder that failed is dropped, not kept.
#[derive(Default)]
struct Reused {
    /// One LZ4 decoder per frame layout ([`lz4_slot`]): a decoder sizes its buffers for the
    /// first frame it reads and expects every later frame to have that layout.
    lz4: [Option<lz4_flex::frame::FrameDecoder<Input>>; 8],
    snappy: Option<snap::read::FrameDecoder<Input>>,
}

/// The decoder slot for an LZ4 frame: its declared maximum block size (BD byte, ids 4–7:
/// 64 KiB to 4 MiB) and whether its blocks are independent (FLG bit 5). `None` for a header
/// too short or outside those values; such a stream gets a fresh decoder, which reports it.
fn lz4_slot(stream: &[u8]) -> Option<usize> {
    let (flg, bd) = (*stream.get(4)?, *stream.get(5)?);
    let size_id = usize::from((bd >> 4) & 0x7);
    let independent = usize::from((flg >> 5) & 1);
    // `then`, not `then_some`: the slot must not be computed for a size id below 4.
    (4..=7)
        .contains(&size_id)
        .then(|| (size_id - 4) * 2 + independent)
}

thread_local! {
    static REUSED: RefCell<Reused> = RefCell::new(Reused::default());
    /// The DEFLATE compressor for gzip and flate blocks, kept per thread (libdeflate's
    /// compressor state is allocated once).
    static DEFLATE: RefCell<libdeflater::Compressor> =
        RefCell::new(libdeflater::Compressor::new(deflate_level()));
}

/// The DEFLATE level gzip and flate blocks are written with: libdeflate's level 3. On Loki's
/// own gzip vectors it gives the size Loki's encoder (klauspost/compress at its default level)
/// gives, within 0.5 %; on the benchmark corpus its output is 13 % larger than zlib-rs's
/// level 6 (which the reference measurements found 8 % smaller than Loki's) at more than
/// twice the speed (see BENCHMARKS.md). Any valid stream decodes, so the level is not part of
/// the format.
pub const DEFLATE_LEVEL: i32 = 3;

fn deflate_level() -> libdeflater::CompressionLvl {
    libdeflater::CompressionLvl::new(DEFLATE_LEVEL).unwrap_or_default()
}

/// The first byte of a snappy framed stream (the stream-identifier chunk type). A reused
/// decoder has already seen one, so the check is made here before handing it a new stream.
const SNAPPY_STREAM_IDENTIFIER: u8 = 0xff;

/// A chunk's compression codec, by Loki's codec id (byte 5 of the chunk).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Codec {
    /// Id 0: no compression.
    None,
    /// Id 1: gzip (RFC 1952). Loki's default chunk encoding, and implied by V1 chunks.
    Gzip,
    /// Id 3: LZ4 frame with 64 KiB blocks.
    Lz4_64k,
    /// Id 4: snappy framed stream.
    Snappy,
    /// Id 5: LZ4 frame with 256 KiB blocks.
    Lz4_256k,
    /// Id 6: LZ4 frame with 1 MiB blocks.
    Lz4_1M,
    /// Id 7: LZ4 frame with 4 MiB blocks (Loki calls it plain `lz4`).
    Lz4_4M,
    /// Id 8: raw DEFLATE (RFC 1951, no zlib or gzip wrapper).
    Flate,
    /// Id 9: zstd.
    Zstd,
}

impl std::fmt::Display for Codec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Codec {
    type Err = ChunkError;

    /// Parses Loki's codec names (`none`, `gzip`, `lz4-64k`, `snappy`, `lz4-256k`, `lz4-1M`,
    /// `lz4`, `flate`, `zstd`); `lz4-4M` is accepted for `lz4`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "none" => Codec::None,
            "gzip" => Codec::Gzip,
            "lz4-64k" => Codec::Lz4_64k,
            "snappy" => Codec::Snappy,
            "lz4-256k" => Codec::Lz4_256k,
            "lz4-1M" => Codec::Lz4_1M,
            "lz4" | "lz4-4M" => Codec::Lz4_4M,
            "flate" => Codec::Flate,
            "zstd" => Codec::Zstd,
            _ => {
                return Err(ChunkError::InvalidArgument {
                    name: "codec",
                    reason: "one of none, gzip, lz4-64k, snappy, lz4-256k, lz4-1M, lz4, flate, zstd",
                });
            }
        })
    }
}

impl Codec {
    /// Every codec, in id order.
    pub const ALL: [Codec; 9] = [
        Codec::None,
        Codec::Gzip,
        Codec::Lz4_64k,
        Codec::Snappy,
        Codec::Lz4_256k,
        Codec::Lz4_1M,
        Codec::Lz4_4M,
        Codec::Flate,
        Codec::Zstd,
    ];

    /// The codec with Loki's id `id`, if any (id 2 was never written and is not supported).
    pub fn from_id(id: u8) -> Option<Codec> {
        Some(match id {
            0 => Codec::None,
            1 => Codec::Gzip,
            3 => Codec::Lz4_64k,
            4 => Codec::Snappy,
            5 => Codec::Lz4_256k,
            6 => Codec::Lz4_1M,
            7 => Codec::Lz4_4M,
            8 => Codec::Flate,
            9 => Codec::Zstd,
            _ => return None,
        })
    }

    /// Loki's id of the codec.
    pub fn id(self) -> u8 {
        match self {
            Codec::None => 0,
            Codec::Gzip => 1,
            Codec::Lz4_64k => 3,
            Codec::Snappy => 4,
            Codec::Lz4_256k => 5,
            Codec::Lz4_1M => 6,
            Codec::Lz4_4M => 7,
            Codec::Flate => 8,
            Codec::Zstd => 9,
        }
    }

    /// Loki's name of the codec.
    pub fn name(self) -> &'static str {
        match self {
            Codec::None => "none",
            Codec::Gzip => "gzip",
            Codec::Lz4_64k => "lz4-64k",
            Codec::Snappy => "snappy",
            Codec::Lz4_256k => "lz4-256k",
            Codec::Lz4_1M => "lz4-1M",
            Codec::Lz4_4M => "lz4",
            Codec::Flate => "flate",
            Codec::Zstd => "zstd",
        }
    }

    fn lz4_block_size(self) -> Option<lz4_flex::frame::BlockSize> {
        use lz4_flex::frame::BlockSize;
        match self {
            Codec::Lz4_64k => Some(BlockSize::Max64KB),
            Codec::Lz4_256k => Some(BlockSize::Max256KB),
            Codec::Lz4_1M => Some(BlockSize::Max1MB),
            Codec::Lz4_4M => Some(BlockSize::Max4MB),
            _ => None,
        }
    }

    /// A capacity for the compressed form of `len` bytes that the codec's output rarely
    /// exceeds: the input size for `none`, half of it for the others (log lines compress by
    /// more than 2× with every codec Loki offers), plus room for stream headers.
    pub(crate) fn output_capacity(self, len: usize) -> usize {
        match self {
            Codec::None => len,
            _ => len / 2 + 64,
        }
    }

    /// Compresses `data` as one complete stream, appending it to `out`.
    ///
    /// # Errors
    ///
    /// [`ChunkError::Compress`] if the codec library fails (it does not on in-memory data).
    pub fn compress_into(self, data: &[u8], out: &mut Vec<u8>) -> Result<(), ChunkError> {
        let fail = |e: std::io::Error| ChunkError::Compress {
            codec: self,
            reason: e.to_string(),
        };
        match self {
            Codec::None => out.extend_from_slice(data),
            Codec::Gzip | Codec::Flate => DEFLATE.with(|c| {
                let mut c = c.borrow_mut();
                let gzip = self == Codec::Gzip;
                let bound = if gzip {
                    c.gzip_compress_bound(data.len())
                } else {
                    c.deflate_compress_bound(data.len())
                };
                let start = out.len();
                out.resize(start + bound, 0);
                let dst = &mut out[start..];
                let written = if gzip {
                    c.gzip_compress(data, dst)
                } else {
                    c.deflate_compress(data, dst)
                };
                // The bound is libdeflate's own worst case, so it cannot run out of space.
                let written = written.map_err(|e| ChunkError::Compress {
                    codec: self,
                    reason: e.to_string(),
                })?;
                out.truncate(start + written);
                Ok::<(), ChunkError>(())
            })?,
            Codec::Snappy => {
                let mut enc = snap::write::FrameEncoder::new(out);
                enc.write_all(data).map_err(fail)?;
                enc.flush().map_err(fail)?;
            }
            Codec::Lz4_64k | Codec::Lz4_256k | Codec::Lz4_1M | Codec::Lz4_4M => {
                let info = lz4_flex::frame::FrameInfo::new()
                    .block_size(self.lz4_block_size().unwrap_or_default());
                let mut enc = lz4_flex::frame::FrameEncoder::with_frame_info(info, out);
                enc.write_all(data).map_err(fail)?;
                enc.finish().map_err(|e| ChunkError::Compress {
                    codec: self,
                    reason: e.to_string(),
                })?;
            }
            Codec::Zstd => {
                let compressed =
                    zstd::bulk::compress(data, zstd::DEFAULT_COMPRESSION_LEVEL).map_err(fail)?;
                out.extend_from_slice(&compressed);
            }
        }
        Ok(())
    }

    /// As [`Codec::decompress_into`], for a stream held in shared bytes (a block of a chunk):
    /// LZ4 and snappy streams are decoded by a decoder kept on this thread, without copying
    /// or allocating per block.
    pub(crate) fn decompress_bytes(
        self,
        data: Bytes,
        out: &mut Vec<u8>,
        limit: u64,
    ) -> Result<(), String> {
        match self {
            Codec::Lz4_64k | Codec::Lz4_256k | Codec::Lz4_1M | Codec::Lz4_4M => {
                out.clear();
                let slot = lz4_slot(&data);
                let mut dec = slot
                    .and_then(|i| REUSED.with(|r| r.borrow_mut().lz4[i].take()))
                    .unwrap_or_else(|| lz4_flex::frame::FrameDecoder::new(Input::default()));
                *dec.get_mut() = Input { data, pos: 0 };
                read_bounded(&mut dec, out, limit)?;
                // Only a decoder that reached the end of its input cleanly is kept; it holds
                // no frame state then, and its buffers are what is worth keeping.
                if let Some(i) = slot {
                    dec.get_mut().data = Bytes::new();
                    REUSED.with(|r| r.borrow_mut().lz4[i] = Some(dec));
                }
                Ok(())
            }
            Codec::Snappy if data.first() == Some(&SNAPPY_STREAM_IDENTIFIER) => {
                out.clear();
                let mut dec = REUSED
                    .with(|r| r.borrow_mut().snappy.take())
                    .unwrap_or_else(|| snap::read::FrameDecoder::new(Input::default()));
                *dec.get_mut() = Input { data, pos: 0 };
                read_bounded(&mut dec, out, limit)?;
                dec.get_mut().data = Bytes::new();
                REUSED.with(|r| r.borrow_mut().snappy = Some(dec));
                Ok(())
            }
            _ => self.decompress_into(&data, out, limit),
        }
    }

    /// Decompresses one complete stream into `out` (cleared first), producing at most `limit`
    /// bytes. Returns the library's message on failure, or on output beyond `limit`.
    pub(crate) fn decompress_into(
        self,
        data: &[u8],
        out: &mut Vec<u8>,
        limit: u64,
    ) -> Result<(), String> {
        out.clear();
        let trailing = |extra: u64| {
            if extra == 0 {
                Ok(())
            } else {
                Err(format!("{extra} bytes after the end of the stream"))
            }
        };
        let read_bounded =
            |reader: &mut dyn Read, out: &mut Vec<u8>| read_bounded(reader, out, limit);
        match self {
            Codec::None => {
                if data.len() as u64 > limit {
                    return Err(format!("size exceeds the {limit}-byte limit"));
                }
                out.extend_from_slice(data);
                Ok(())
            }
            Codec::Gzip => read_bounded(&mut flate2::read::MultiGzDecoder::new(data), out),
            Codec::Flate => {
                let mut dec = flate2::read::DeflateDecoder::new(data);
                read_bounded(&mut dec, out)?;
                // A raw DEFLATE stream ends by itself: anything after it is not block data.
                trailing(data.len() as u64 - dec.total_in().min(data.len() as u64))
            }
            Codec::Snappy => read_bounded(&mut snap::read::FrameDecoder::new(data), out),
            Codec::Lz4_64k | Codec::Lz4_256k | Codec::Lz4_1M | Codec::Lz4_4M => {
                read_bounded(&mut lz4_flex::frame::FrameDecoder::new(data), out)
            }
            Codec::Zstd => {
                let mut dec = zstd::stream::read::Decoder::with_buffer(data)
                    .map_err(|e| e.to_string())?
                    .single_frame();
                read_bounded(&mut dec, out)?;
                trailing(dec.finish().len() as u64)
            }
        }
    }
}

/// Reads `reader` to its end into `out`, failing past `limit` bytes.
fn read_bounded(reader: &mut dyn Read, out: &mut Vec<u8>, limit: u64) -> Result<(), String> {
    let n = reader
        .take(limit.saturating_add(1))
        .read_to_end(out)
        .map_err(|e| e.to_string())?;
    if n as u64 > limit {
        return Err(format!("decompressed size exceeds the {limit}-byte limit"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_names_round_trip() {
        for codec in Codec::ALL {
            assert_eq!(Codec::from_id(codec.id()), Some(codec));
            assert_eq!(codec.name().parse::<Codec>().unwrap(), codec);
        }
        assert_eq!(Codec::from_id(2), None);
        assert_eq!(Codec::from_id(10), None);
    }

    #[test]
    fn every_codec_round_trips_and_respects_the_limit() {
        let data: Vec<u8> = (0..100_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        for codec in Codec::ALL {
            let mut compressed = Vec::new();
            codec.compress_into(&data, &mut compressed).unwrap();
            let mut out = Vec::new();
            codec
                .decompress_into(&compressed, &mut out, data.len() as u64)
                .unwrap();
            assert_eq!(out, data, "{codec}");
            assert!(
                codec
                    .decompress_into(&compressed, &mut out, data.len() as u64 - 1)
                    .is_err(),
                "{codec} must enforce the limit"
            );
        }
    }

    #[test]
    fn reused_decoders_give_what_fresh_ones_give() {
        let a: Vec<u8> = (0..300_000u32)
            .flat_map(|i| (i % 97).to_le_bytes())
            .collect();
        let b: Vec<u8> = (0..50_000u32).flat_map(|i| (i * 7).to_be_bytes()).collect();
        for codec in Codec::ALL {
            let enc = |data: &[u8]| {
                let mut out = Vec::new();
                codec.compress_into(data, &mut out).unwrap();
                Bytes::from(out)
            };
            let (ca, cb) = (enc(&a), enc(&b));
            let mut out = Vec::new();
            for _ in 0..2 {
                codec
                    .decompress_bytes(ca.clone(), &mut out, u64::MAX)
                    .unwrap();
                assert_eq!(out, a, "{codec}");
                // A failed stream (cut short) must not leave state behind for the next one.
                if codec != Codec::None {
                    let cut = ca.slice(..ca.len() / 2);
                    assert!(
                        codec.decompress_bytes(cut, &mut out, u64::MAX).is_err(),
                        "{codec}"
                    );
                }
                // Over the limit: an error, and the next stream still decodes.
                assert!(
                    codec.decompress_bytes(ca.clone(), &mut out, 10).is_err(),
                    "{codec}"
                );
                codec
                    .decompress_bytes(cb.clone(), &mut out, u64::MAX)
                    .unwrap();
                assert_eq!(out, b, "{codec}");
            }
        }
    }

    #[test]
    fn lz4_decoders_are_kept_per_frame_layout() {
        use lz4_flex::frame::{BlockMode, BlockSize, FrameEncoder, FrameInfo};
        let data: Vec<u8> = (0..600_000u32)
            .flat_map(|i| (i % 1013).to_le_bytes())
            .collect();
        let frame = |size, mode| {
            let info = FrameInfo::new().block_size(size).block_mode(mode);
            let mut enc = FrameEncoder::with_frame_info(info, Vec::new());
            enc.write_all(&data).unwrap();
            Bytes::from(enc.finish().unwrap())
        };
        let frames = [
            frame(BlockSize::Max4MB, BlockMode::Independent),
            frame(BlockSize::Max64KB, BlockMode::Linked),
            frame(BlockSize::Max64KB, BlockMode::Independent),
            frame(BlockSize::Max256KB, BlockMode::Linked),
        ];
        let slots: Vec<_> = frames.iter().map(|f| lz4_slot(f)).collect();
        assert_eq!(slots, [Some(7), Some(0), Some(1), Some(2)]);
        let mut out = Vec::new();
        for _ in 0..3 {
            for f in &frames {
                Codec::Lz4_4M
                    .decompress_bytes(f.clone(), &mut out, u64::MAX)
                    .unwrap();
                assert!(out == data);
            }
        }
        assert_eq!(
            lz4_slot(&[0x04, 0x22, 0x4d, 0x18, 0x60]),
            None,
            "short header"
        );
    }

    #[test]
    fn a_reused_snappy_decoder_still_requires_the_stream_identifier() {
        let mut good = Vec::new();
        Codec::Snappy
            .compress_into(b"hello hello hello", &mut good)
            .unwrap();
        let good = Bytes::from(good);
        let mut out = Vec::new();
        Codec::Snappy
            .decompress_bytes(good.clone(), &mut out, u64::MAX)
            .unwrap();
        // The same stream without its 10-byte identifier chunk.
        let headless = good.slice(10..);
        assert!(
            Codec::Snappy
                .decompress_bytes(headless, &mut out, u64::MAX)
                .is_err()
        );
    }

    #[test]
    fn stream_magics_match_loki() {
        let mut out = Vec::new();
        Codec::Snappy.compress_into(b"x", &mut out).unwrap();
        assert_eq!(&out[..10], b"\xff\x06\x00\x00sNaPpY");
        out.clear();
        Codec::Lz4_64k.compress_into(b"x", &mut out).unwrap();
        assert_eq!(&out[..4], [0x04, 0x22, 0x4d, 0x18]);
        assert_eq!(out[5], 0x40, "BD byte: 64 KiB max block");
        out.clear();
        Codec::Lz4_4M.compress_into(b"x", &mut out).unwrap();
        assert_eq!(out[5], 0x70, "BD byte: 4 MiB max block");
        out.clear();
        Codec::Gzip.compress_into(b"x", &mut out).unwrap();
        assert_eq!(&out[..3], [0x1f, 0x8b, 0x08]);
        out.clear();
        Codec::Zstd.compress_into(b"x", &mut out).unwrap();
        assert_eq!(&out[..4], [0x28, 0xb5, 0x2f, 0xfd]);
    }
}
