//! The compression codecs Loki uses for blocks and the V4 symbol section.
//!
//! Each block is one complete stream of its codec: one gzip member, one raw DEFLATE stream,
//! one snappy *framed* stream, one LZ4 *frame*, one zstd frame. Decoders accept any valid
//! stream of the format (any level, with or without checksums), and every decompression is
//! bounded so a hostile stream cannot make the reader allocate more than a limit.

use std::io::{Read, Write};

use crate::error::ChunkError;

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
            Codec::Gzip => {
                let mut enc = flate2::write::GzEncoder::new(out, flate2::Compression::default());
                enc.write_all(data).map_err(fail)?;
                enc.finish().map_err(fail)?;
            }
            Codec::Flate => {
                let mut enc =
                    flate2::write::DeflateEncoder::new(out, flate2::Compression::default());
                enc.write_all(data).map_err(fail)?;
                enc.finish().map_err(fail)?;
            }
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
        let read_bounded = |reader: &mut dyn Read, out: &mut Vec<u8>| -> Result<(), String> {
            let n = reader
                .take(limit.saturating_add(1))
                .read_to_end(out)
                .map_err(|e| e.to_string())?;
            if n as u64 > limit {
                return Err(format!("decompressed size exceeds the {limit}-byte limit"));
            }
            Ok(())
        };
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
