//! Entry points for fuzz targets. Not part of the supported API.

use crate::index::format as index_format;
use crate::wal::format;

/// Reads `data` as a WAL segment the way replay does: header, then records until the first
/// bad frame, each record's payload decoded and re-encoded. Must never panic.
pub fn wal_segment(data: &[u8]) {
    let sequence = data
        .get(8..16)
        .map_or(0, |b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])));
    let mut at = if store_wal::format::decode_header(data, format::MAGIC, sequence).is_ok() {
        format::HEADER_LEN
    } else {
        0
    };
    while let Some(rest) = data.get(at..) {
        if rest.is_empty() {
            break;
        }
        let Ok((payload, used)) = store_wal::format::decode_frame(rest) else {
            break;
        };
        at += used;
        let Ok(record) = format::decode_payload(payload) else {
            continue;
        };
        // What decodes re-encodes to the same payload.
        let mut again = Vec::new();
        let start = format::begin_entries_record(&mut again, record.tenant, record.streams.len());
        for s in &record.streams {
            let entries: Vec<crate::PushEntry> = s
                .entries
                .iter()
                .map(|e| crate::PushEntry {
                    ts: e.ts,
                    line: bytes::Bytes::copy_from_slice(e.line),
                    structured_metadata: e
                        .structured_metadata
                        .iter()
                        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                        .collect(),
                })
                .collect();
            format::encode_stream(&mut again, &s.labels, entries.iter());
        }
        format::finish_record(&mut again, start);
        let reread = store_wal::format::decode_frame(&again).map(|(p, _)| p);
        assert!(
            reread.is_ok_and(|p| format::decode_payload(p).is_ok_and(|r| r == record)),
            "a decoded record re-encodes to itself"
        );
    }
}

/// Reads `data` as an index file; what decodes re-encodes to a file that decodes the same.
/// Must never panic.
pub fn index_file(data: &[u8]) {
    let Ok(file) = index_format::decode(data) else {
        return;
    };
    let again = index_format::encode(&file.tenant, file.period, &file.streams);
    assert!(
        index_format::decode(&again).is_ok_and(|f| f == file),
        "a decoded index file re-encodes to itself"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::ChunkRef;
    use crate::index::format::FileStream;

    /// Every cut and bit flip of a valid segment and index file goes through the entry
    /// points without a panic.
    #[test]
    fn damaged_inputs_never_panic() {
        let labels = loki_chunk::LabelSet::parse(r#"{app="a"}"#).expect("labels");
        let mut seg = store_wal::format::encode_header(format::MAGIC, 3).to_vec();
        for n in 0..3 {
            let start = format::begin_entries_record(&mut seg, "fake", 1);
            let e = [crate::PushEntry::with_metadata(n, "line", [("k", "v")])];
            format::encode_stream(&mut seg, &labels, e.iter());
            format::finish_record(&mut seg, start);
        }
        let file = index_format::encode(
            "fake",
            1,
            &[FileStream {
                chunks: vec![ChunkRef {
                    fingerprint: labels.fingerprint(),
                    from_ns: 5,
                    through_ns: 9,
                    checksum: 7,
                    size: 100,
                    entries: 2,
                }],
                labels,
            }],
        );
        for input in [seg, file] {
            wal_segment(&input);
            index_file(&input);
            for i in 0..input.len() {
                wal_segment(&input[..i]);
                index_file(&input[..i]);
                let mut bad = input.clone();
                bad[i] ^= 0x21;
                wal_segment(&bad);
                index_file(&bad);
            }
        }
    }
}
