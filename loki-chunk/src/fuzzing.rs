//! Entry points of the fuzz targets in `fuzz/`, kept here so that `cargo test` replays every
//! committed seed and crash input through exactly the code the fuzzer runs.
//!
//! Each function must never panic on any input; it panics only when an invariant the decoders
//! promise is broken.

use bytes::Bytes;

use crate::error::ChunkError;
use crate::labels::LabelSet;
use crate::storage::{ChunkMetadata, StoredChunk, encode_object};

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
