//! The object-storage wrapper Loki puts around a flushed chunk, and the object's key.
//!
//! ```text
//! BE32   metadata_len    4 + stream length (older Cortex writers: stream length only)
//! bytes  snappy framed stream of the metadata JSON + "\n"
//! BE32   chunk_len
//! bytes  the MemChunk
//! ```
//!
//! No checksum is stored in the object: the CRC-32C of the whole object is the last part of
//! its [`ObjectKey`], and [`StoredChunk::decode_with_key`] checks it before anything else.
//!
//! # Byte-for-byte reproduction
//!
//! [`encode_object`] writes what Loki writes, so re-encoding a decoded Loki object gives the
//! same bytes and therefore the same key:
//!
//! * the metadata JSON is rendered by hand in the field order and number/string formatting of
//!   Loki's Go encoder ([`ChunkMetadata::to_json`]);
//! * the snappy stream comes from `snap`'s frame encoder, whose choices are those of
//!   golang/snappy's buffered writer (which Loki uses): the stream identifier, one chunk per
//!   64 KiB of input, each chunk compressed with the same block algorithm (hash-table sizing,
//!   skip heuristic, literal and copy encoding) and stored *uncompressed* (chunk type 0x01,
//!   with the masked CRC-32C of the data) whenever compression would save less than 1/8 of
//!   it. Loki's metadata documents are small and rarely compress by 1/8, so their streams are
//!   usually one uncompressed chunk, as in every Loki vector; the compatibility tests check
//!   those objects byte for byte. A metadata stream that does compress (long repetitive
//!   label values) relies on the two block compressors agreeing, which was established by
//!   comparing their algorithms, not by a Go-written vector.
//!
//! ```
//! use loki_chunk::storage::{ChunkMetadata, KeySchema, StoredChunk, encode_object};
//! use loki_chunk::LabelSet;
//!
//! let stream: LabelSet = r#"{app="x", env="prod"}"#.parse()?;
//! let meta = ChunkMetadata::new("fake", &stream, 1_710_071_999_999, 1_710_072_000_073);
//! let chunk = [0x01, 0x2e, 0xe5, 0x6a, 4, 4]; // a MemChunk's first bytes
//! let object = encode_object(&meta, &chunk)?;
//! assert!(object.key.to_key(KeySchema::V12).starts_with("fake/4543ea2197bb7ab4/18e283bedff:18e283bee49:"));
//!
//! let decoded = StoredChunk::decode_with_key(&object.bytes.into(), &object.key)?;
//! assert_eq!(decoded.metadata, meta);
//! assert_eq!(&decoded.chunk[..], &chunk);
//! # Ok::<(), loki_chunk::ChunkError>(())
//! ```

mod key;
mod metadata;

use std::ops::Range;

use bytes::Bytes;

pub use self::key::{KeySchema, MAX_TENANT_LEN, ObjectKey, validate_tenant};
pub use self::metadata::{ChunkMetadata, from_ms_for_ns, through_ms_for_ns};
use crate::codec::Codec;
use crate::cursor::Cursor;
use crate::error::{ChunkError, Section};
use crate::format::{
    MAX_OBJECT_METADATA_LEN, MAX_OBJECT_METADATA_STREAM_LEN, OBJECT_LEN_FIELD_LEN,
};

/// A stored chunk object, decoded: its metadata and the MemChunk bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredChunk {
    /// The metadata document.
    pub metadata: ChunkMetadata,
    /// The MemChunk bytes (a slice of the object when decoded from [`Bytes`]).
    pub chunk: Bytes,
    /// Whether the object's metadata length did not count its own four bytes (older Cortex
    /// writers). [`encode_object`] always writes the current form.
    pub legacy_metadata_len: bool,
}

/// Where the parts of an object are.
struct Layout {
    metadata: ChunkMetadata,
    chunk: Range<usize>,
    legacy_metadata_len: bool,
}

impl StoredChunk {
    /// A stored chunk from its parts.
    pub fn new(metadata: ChunkMetadata, chunk: impl Into<Bytes>) -> Self {
        Self {
            metadata,
            chunk: chunk.into(),
            legacy_metadata_len: false,
        }
    }

    /// Decodes a whole object; `chunk` is a slice of `object`, not a copy.
    ///
    /// Checks, in order: the metadata length fits the object (either form), the snappy stream
    /// decompresses to at most [`MAX_OBJECT_METADATA_LEN`] bytes, the JSON is valid metadata,
    /// the chunk length fits, and nothing follows the chunk. The chunk itself is not parsed.
    ///
    /// # Errors
    ///
    /// [`ChunkError::Truncated`] / [`ChunkError::OutOfRange`] for lengths
    /// ([`Section::ObjectMetadata`], [`Section::ObjectChunk`]), [`ChunkError::Decompress`] for
    /// the snappy stream, [`ChunkError::ObjectMetadata`] for the JSON,
    /// [`ChunkError::TrailingBytes`] ([`Section::Object`]) for bytes after the chunk.
    pub fn decode(object: &Bytes) -> Result<Self, ChunkError> {
        let layout = parse_object(object)?;
        Ok(Self {
            metadata: layout.metadata,
            chunk: object.slice(layout.chunk),
            legacy_metadata_len: layout.legacy_metadata_len,
        })
    }

    /// As [`decode`](Self::decode), copying the chunk out of `object`.
    ///
    /// # Errors
    ///
    /// As [`decode`](Self::decode).
    pub fn decode_slice(object: &[u8]) -> Result<Self, ChunkError> {
        let layout = parse_object(object)?;
        let chunk = object.get(layout.chunk).unwrap_or_default();
        Ok(Self {
            metadata: layout.metadata,
            chunk: Bytes::copy_from_slice(chunk),
            legacy_metadata_len: layout.legacy_metadata_len,
        })
    }

    /// Decodes an object fetched under `key`, checking first that the CRC-32C of its bytes is
    /// the key's, then, after decoding, that the metadata's tenant, fingerprint, from and
    /// through are the key's (as Loki's reader does).
    ///
    /// # Errors
    ///
    /// [`ChunkError::ObjectChecksum`], then those of [`decode`](Self::decode), then
    /// [`ChunkError::KeyMismatch`].
    pub fn decode_with_key(object: &Bytes, key: &ObjectKey) -> Result<Self, ChunkError> {
        let found = crc32c::crc32c(object);
        if found != key.checksum {
            return Err(ChunkError::ObjectChecksum {
                expected: key.checksum,
                found,
            });
        }
        let stored = Self::decode(object)?;
        let m = &stored.metadata;
        let mismatch = |field, key: String, metadata: String| {
            Err(ChunkError::KeyMismatch {
                field,
                key,
                metadata,
            })
        };
        if m.tenant != key.tenant {
            return mismatch("userID", key.tenant.clone(), m.tenant.clone());
        }
        if m.fingerprint != key.fingerprint {
            return mismatch(
                "fingerprint",
                format!("{:x}", key.fingerprint),
                format!("{:x}", m.fingerprint),
            );
        }
        if m.from_ms != key.from_ms {
            return mismatch("from", key.from_ms.to_string(), m.from_ms.to_string());
        }
        if m.through_ms != key.through_ms {
            return mismatch(
                "through",
                key.through_ms.to_string(),
                m.through_ms.to_string(),
            );
        }
        Ok(stored)
    }

    /// Encodes the object as Loki does; see [`encode_object`].
    ///
    /// # Errors
    ///
    /// As [`encode_object`].
    pub fn encode(&self) -> Result<EncodedObject, ChunkError> {
        encode_object(&self.metadata, &self.chunk)
    }
}

/// One stored object: its bytes and the key they are stored under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedObject {
    /// The object's bytes.
    pub bytes: Vec<u8>,
    /// Its key; `checksum` is the CRC-32C of `bytes`.
    pub key: ObjectKey,
}

/// Wraps `chunk` (MemChunk bytes) and its metadata into an object, byte for byte as Loki
/// does (see the [module docs](self)), and computes its key.
///
/// # Errors
///
/// [`ChunkError::InvalidArgument`] when the metadata JSON is longer than
/// [`MAX_OBJECT_METADATA_LEN`] or the chunk longer than 4 GiB - 1;
/// [`ChunkError::Compress`] if snappy fails (it does not in memory).
pub fn encode_object(metadata: &ChunkMetadata, chunk: &[u8]) -> Result<EncodedObject, ChunkError> {
    let mut json = metadata.to_json();
    json.push('\n');
    if json.len() as u64 > MAX_OBJECT_METADATA_LEN {
        return Err(ChunkError::InvalidArgument {
            name: "metadata",
            reason: "a JSON document of at most MAX_OBJECT_METADATA_LEN bytes",
        });
    }
    let chunk_len = u32::try_from(chunk.len()).map_err(|_| ChunkError::InvalidArgument {
        name: "chunk",
        reason: "at most 4 GiB - 1 bytes",
    })?;
    let mut bytes = Vec::with_capacity(json.len() + chunk.len() + 64);
    bytes.extend_from_slice(&[0; OBJECT_LEN_FIELD_LEN]);
    Codec::Snappy.compress_into(json.as_bytes(), &mut bytes)?;
    let metadata_len = u32::try_from(bytes.len()).map_err(|_| ChunkError::InvalidArgument {
        name: "metadata",
        reason: "a snappy stream shorter than 4 GiB",
    })?;
    if let Some(field) = bytes.get_mut(..OBJECT_LEN_FIELD_LEN) {
        field.copy_from_slice(&metadata_len.to_be_bytes());
    }
    bytes.extend_from_slice(&chunk_len.to_be_bytes());
    bytes.extend_from_slice(chunk);
    let key = metadata.key(crc32c::crc32c(&bytes));
    Ok(EncodedObject { bytes, key })
}

fn parse_object(object: &[u8]) -> Result<Layout, ChunkError> {
    let mut header = Cursor::new(object, 0, Section::ObjectMetadata);
    let metadata_len = u64::from(header.be32()?);
    let stream_start = OBJECT_LEN_FIELD_LEN;
    let available = header.remaining();
    let limit = MAX_OBJECT_METADATA_STREAM_LEN + OBJECT_LEN_FIELD_LEN as u64;
    if metadata_len > limit {
        return Err(ChunkError::OutOfRange {
            section: Section::ObjectMetadata,
            field: "metadata_len",
            offset: 0,
            limit,
            found: metadata_len,
        });
    }
    // Current writers count the length field itself; older ones do not. Take the current form
    // when its stream decompresses, else the older one.
    let current = metadata_len.checked_sub(OBJECT_LEN_FIELD_LEN as u64);
    let mut first_error = None;
    let mut json = Vec::new();
    let mut found = None;
    for (stream_len, legacy) in [(current, false), (Some(metadata_len), true)] {
        let Some(stream_len) = stream_len.and_then(|n| usize::try_from(n).ok()) else {
            continue;
        };
        let Some(stream) = header.clone().take(stream_len).ok() else {
            continue;
        };
        match Codec::Snappy.decompress_into(stream, &mut json, MAX_OBJECT_METADATA_LEN) {
            Ok(()) => {
                found = Some((stream_len, legacy));
                break;
            }
            Err(reason) => {
                first_error.get_or_insert(ChunkError::Decompress {
                    section: Section::ObjectMetadata,
                    codec: Codec::Snappy,
                    offset: stream_start as u64,
                    reason,
                });
            }
        }
    }
    let Some((stream_len, legacy_metadata_len)) = found else {
        return Err(first_error.unwrap_or(ChunkError::Truncated {
            section: Section::ObjectMetadata,
            offset: stream_start as u64,
            needed: current.unwrap_or(metadata_len),
            available: available as u64,
        }));
    };
    let metadata = ChunkMetadata::from_json(&json)?;

    let chunk_field = stream_start + stream_len;
    let rest = object.get(chunk_field..).unwrap_or_default();
    let mut c = Cursor::new(rest, chunk_field as u64, Section::ObjectChunk);
    let chunk_len = c.be32()?;
    let chunk_start = chunk_field + OBJECT_LEN_FIELD_LEN;
    let chunk = c.take_u64_len(u64::from(chunk_len))?;
    if !c.is_empty() {
        return Err(ChunkError::TrailingBytes {
            section: Section::Object,
            offset: c.offset(),
            count: c.remaining() as u64,
        });
    }
    Ok(Layout {
        metadata,
        chunk: chunk_start..chunk_start + chunk.len(),
        legacy_metadata_len,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::LabelSet;

    fn sample() -> ChunkMetadata {
        let stream = LabelSet::parse(r#"{app="x", env="prod"}"#).unwrap();
        ChunkMetadata::new("fake", &stream, 1_710_071_999_999, 1_710_072_000_073)
    }

    #[test]
    fn objects_round_trip_and_check_their_key() {
        let meta = sample();
        let chunk = b"\x01\x2e\xe5\x6a\x04\x04chunk bytes".to_vec();
        let object = encode_object(&meta, &chunk).unwrap();
        let bytes = Bytes::from(object.bytes.clone());
        let decoded = StoredChunk::decode_with_key(&bytes, &object.key).unwrap();
        assert_eq!(decoded, StoredChunk::new(meta.clone(), chunk.clone()));
        assert_eq!(decoded.encode().unwrap(), object);
        // Zero copy: the chunk points into the object.
        let start = bytes.len() - chunk.len();
        assert_eq!(decoded.chunk.as_ptr(), bytes[start..].as_ptr());

        let mut wrong = object.key.clone();
        wrong.checksum ^= 1;
        assert!(matches!(
            StoredChunk::decode_with_key(&bytes, &wrong),
            Err(ChunkError::ObjectChecksum { .. })
        ));
        let mut other_tenant = meta.clone();
        other_tenant.tenant = "other".into();
        let other = encode_object(&other_tenant, &chunk).unwrap();
        let key = ObjectKey {
            tenant: "fake".into(),
            ..other.key.clone()
        };
        assert!(matches!(
            StoredChunk::decode_with_key(&other.bytes.into(), &key),
            Err(ChunkError::KeyMismatch {
                field: "userID",
                ..
            })
        ));
    }

    #[test]
    fn legacy_metadata_length_is_accepted() {
        let object = encode_object(&sample(), b"chunk").unwrap().bytes;
        let mut legacy = object.clone();
        let len = u32::from_be_bytes(legacy[..4].try_into().unwrap()) - 4;
        legacy[..4].copy_from_slice(&len.to_be_bytes());
        let decoded = StoredChunk::decode_slice(&legacy).unwrap();
        assert!(decoded.legacy_metadata_len);
        assert_eq!(decoded.metadata, sample());
        assert_eq!(&decoded.chunk[..], b"chunk");
        assert_eq!(decoded.encode().unwrap().bytes, object);
    }

    #[test]
    fn damaged_objects_are_typed_errors() {
        let object = encode_object(&sample(), b"chunk").unwrap().bytes;
        let meta_len = u32::from_be_bytes(object[..4].try_into().unwrap()) as usize;
        assert!(matches!(
            StoredChunk::decode_slice(&object[..3]),
            Err(ChunkError::Truncated {
                section: Section::ObjectMetadata,
                ..
            })
        ));
        assert!(matches!(
            StoredChunk::decode_slice(&object[..meta_len - 1]),
            Err(ChunkError::Truncated {
                section: Section::ObjectMetadata,
                ..
            })
        ));
        assert!(matches!(
            StoredChunk::decode_slice(&object[..meta_len + 2]),
            Err(ChunkError::Truncated {
                section: Section::ObjectChunk,
                ..
            })
        ));
        assert!(matches!(
            StoredChunk::decode_slice(&object[..object.len() - 1]),
            Err(ChunkError::Truncated {
                section: Section::ObjectChunk,
                ..
            })
        ));
        let mut trailing = object.clone();
        trailing.push(0);
        assert!(matches!(
            StoredChunk::decode_slice(&trailing),
            Err(ChunkError::TrailingBytes {
                section: Section::Object,
                count: 1,
                ..
            })
        ));
        let mut huge = object.clone();
        huge[..4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(
            StoredChunk::decode_slice(&huge),
            Err(ChunkError::OutOfRange {
                section: Section::ObjectMetadata,
                ..
            })
        ));
        let mut bad_stream = object.clone();
        bad_stream[20] ^= 0xff; // inside the metadata chunk: its masked CRC no longer matches
        assert!(matches!(
            StoredChunk::decode_slice(&bad_stream),
            Err(ChunkError::Decompress {
                section: Section::ObjectMetadata,
                offset: 4,
                ..
            })
        ));
    }

    #[test]
    fn small_metadata_is_one_uncompressed_snappy_chunk_as_loki_writes_it() {
        let json = format!("{}\n", sample().to_json());
        let object = encode_object(&sample(), b"").unwrap().bytes;
        let stream = &object[4..object.len() - 4];
        assert_eq!(stream[..10], *b"\xff\x06\x00\x00sNaPpY");
        assert_eq!(stream[10], 0x01, "uncompressed data chunk");
        let chunk_len = u32::from_le_bytes([stream[11], stream[12], stream[13], 0]) as usize;
        assert_eq!(chunk_len, 4 + json.len());
        assert_eq!(&stream[18..], json.as_bytes());
        assert_eq!(stream.len(), 10 + 4 + 4 + json.len());
    }

    #[test]
    fn compressible_metadata_uses_a_compressed_snappy_chunk() {
        let stream =
            LabelSet::from_pairs([("a", "x".repeat(200)), ("b", "x".repeat(200))]).unwrap();
        let meta = ChunkMetadata::new("fake", &stream, 0, 1);
        let object = encode_object(&meta, b"").unwrap();
        assert_eq!(object.bytes[4..14], *b"\xff\x06\x00\x00sNaPpY");
        assert_eq!(object.bytes[14], 0x00, "compressed chunk");
        let decoded = StoredChunk::decode_slice(&object.bytes).unwrap();
        assert_eq!(decoded.metadata, meta);
    }
}
