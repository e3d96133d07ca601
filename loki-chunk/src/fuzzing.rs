//! Entry points of the fuzz targets in `fuzz/`, kept here so that `cargo test` replays every
//! committed seed and crash input through exactly the code the fuzzer runs.
//!
//! Each function must never panic on any input; it panics only when an invariant the decoders
//! promise is broken.

use bytes::Bytes;

use crate::codec::Codec;
use crate::entry::{Direction, Entry};
use crate::error::ChunkError;
use crate::labels::LabelSet;
use crate::reader::{Chunk, Query};
use crate::storage::{ChunkMetadata, StoredChunk, encode_object};
use crate::writer::{Appended, ChunkWriter, WriterOptions};

/// Times whose seconds rendering (`ms / 1000` as a float) reads back exactly.
const EXACT_TIME_MS: i64 = 1 << 51;

/// Decodes `data` as a stored chunk object; when it decodes, checks that it also decodes
/// under its own key, and that re-encoding the decoded metadata and chunk gives an object
/// that decodes to the same values.
///
/// # Panics
///
/// When a decoded object fails under its own key, fails to re-encode (other than for being
/// too large), or re-encodes to different values.
pub fn stored_object(data: &[u8]) {
    let Ok(decoded) = StoredChunk::decode_slice(data) else {
        return;
    };
    chunk(&decoded.chunk);
    let object = Bytes::copy_from_slice(data);
    let key = decoded.metadata.key(crc32c::crc32c(data));
    let with_key = StoredChunk::decode_with_key(&object, &key);
    assert_eq!(with_key.as_ref(), Ok(&decoded), "decodes under its own key");

    let encoded = match encode_object(&decoded.metadata, &decoded.chunk) {
        Ok(encoded) => encoded,
        Err(ChunkError::InvalidArgument { .. }) => return, // re-escaped JSON over the limit
        Err(e) => panic!("decoded object does not re-encode: {e}"),
    };
    let again = StoredChunk::decode_slice(&encoded.bytes).expect("re-encoded object decodes");
    assert!(!again.legacy_metadata_len);
    assert_eq!(again.chunk, decoded.chunk);
    assert_eq!(again.encode().as_ref(), Ok(&encoded), "encoding is stable");
    let mut expected = decoded.metadata;
    for (ms, got) in [
        (&mut expected.from_ms, again.metadata.from_ms),
        (&mut expected.through_ms, again.metadata.through_ms),
    ] {
        if ms.unsigned_abs() >= EXACT_TIME_MS.unsigned_abs() {
            *ms = got; // beyond float precision Go's rendering is lossy too
        }
    }
    assert_eq!(again.metadata, expected);
}

/// Parses `data` (when UTF-8) as a label set; when it parses, checks that its printed form
/// parses back to the same set with the same fingerprint, and that building it from its
/// pairs gives the same set.
///
/// # Panics
///
/// When any of those round trips differs.
pub fn labels(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(set) = LabelSet::parse(text) else {
        return;
    };
    let printed = set.to_string();
    let reparsed = LabelSet::parse(&printed).expect("printed label set parses");
    assert_eq!(reparsed, set, "{printed}");
    assert_eq!(reparsed.fingerprint(), set.fingerprint());
    assert_eq!(reparsed.to_string(), printed);
    assert_eq!(LabelSet::from_pairs(set.iter()).as_ref(), Ok(&set));
    let meta = ChunkMetadata::new("fake", &set, 0, 0);
    assert_eq!(meta.stream_labels(), {
        let mut s = set.clone();
        s.remove(crate::labels::METRIC_NAME_LABEL);
        s
    });
}

/// Iterates every entry of an opened chunk forward and backward; both must succeed or fail
/// together, and backward must be forward reversed.
fn iterate(chunk: &Chunk) {
    let forward = chunk.entries(Query::all());
    let backward = chunk.entries(Query::all().direction(Direction::Backward));
    match (forward, backward) {
        (Ok(f), Ok(mut b)) => {
            b.reverse();
            assert_eq!(f, b, "backward is forward reversed");
        }
        (Err(_), Err(_)) => {}
        (f, b) => panic!("forward {:?} and backward {:?} disagree", f.err(), b.err()),
    }
}

/// Opens `data` as a chunk and, when it opens, iterates it fully in both directions.
///
/// # Panics
///
/// When forward and backward iteration disagree.
pub fn chunk(data: &[u8]) {
    if let Ok(chunk) = Chunk::open(Bytes::copy_from_slice(data)) {
        iterate(&chunk);
    }
}

/// Splits `data` into a checkpoint's chunk and head parts (the first two bytes choose where)
/// and opens the pair; when it opens, iterates it and restores a writer from it.
///
/// # Panics
///
/// When iteration disagrees with itself (see [`chunk`]).
pub fn checkpoint(data: &[u8]) {
    let Some((split, rest)) = data.split_first_chunk::<2>() else {
        return;
    };
    let at = usize::from(u16::from_le_bytes(*split)).min(rest.len());
    let (chunk_part, head_part) = rest.split_at(at);
    let chunk_bytes = Bytes::copy_from_slice(chunk_part);
    if let Ok(chunk) = Chunk::open_checkpoint(chunk_bytes.clone(), head_part) {
        iterate(&chunk);
        let _ = ChunkWriter::from_checkpoint(chunk_bytes, head_part, 1024, 0);
    }
}

/// Builds entries from `data` (codec, version and block size from the first bytes, then
/// entries of `[ts delta, line length, line, metadata flag]`), writes them, reads the chunk
/// back and checks every entry comes back in time order.
///
/// # Panics
///
/// When the written chunk does not read back to exactly the appended entries.
pub fn roundtrip(data: &[u8]) {
    let Some((&[codec, version, block], mut rest)) = data.split_first_chunk::<3>() else {
        return;
    };
    let codec = Codec::ALL[usize::from(codec) % Codec::ALL.len()];
    let v4 = version % 2 == 0;
    let opts = if v4 {
        WriterOptions::v4(codec)
    } else {
        WriterOptions::v3(codec)
    };
    let Ok(mut writer) = ChunkWriter::new(opts.block_size(16 + usize::from(block) * 8)) else {
        return;
    };
    let mut expected = Vec::new();
    let mut ts = 0i64;
    while let Some((&[delta, len, flags], tail)) = rest.split_first_chunk::<3>() {
        // Signed deltas make out-of-order entries.
        ts += i64::from(i8::from_le_bytes([delta]));
        let len = usize::from(len % 64).min(tail.len());
        let (line, tail) = tail.split_at(len);
        rest = tail;
        // A unique suffix keeps entries distinct, so none is a duplicate.
        let mut line = line.to_vec();
        line.extend_from_slice(format!("#{}", expected.len()).as_bytes());
        let value = format!("v{}", flags % 4);
        let metadata: Vec<(&str, &str)> = if flags % 2 == 1 {
            vec![("trace_id", value.as_str())]
        } else {
            Vec::new()
        };
        let outcome = writer
            .append(ts, &line, &metadata)
            .expect("unordered heads accept any entry");
        assert_eq!(outcome, Appended::Stored);
        let kept: Vec<(String, String)> = if v4 {
            metadata
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect()
        } else {
            Vec::new()
        };
        expected.push(Entry::with_metadata(ts, line, kept));
    }
    let bytes = writer.finish().expect("in-memory chunk");
    let chunk = Chunk::open(bytes).expect("own chunk opens");
    expected.sort_by_key(|e| e.ts);
    assert_eq!(
        chunk.entries(Query::all()).expect("own chunk decodes"),
        expected
    );
}
