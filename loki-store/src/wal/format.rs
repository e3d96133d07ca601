//! The payload of this store's WAL records, written down once (the segment header and the
//! record frame around it are [`store_wal::format`]'s).
//!
//! ```text
//! segment magic := "LSWAL\0"
//! payload       := kind u8 (1 = entries) | tenant length u8 | tenant (1..=150 bytes, UTF-8)
//!                  | stream count uvarint | stream*
//! stream        := label count uvarint | (name str, value str)*   labels sorted by name,
//!                                                                  as stored (service_name
//!                                                                  added, empty values gone)
//!                  | entry count uvarint | entry*
//! entry         := ts varint (ns since the epoch, zig-zag)
//!                  | line bytes
//!                  | pair count uvarint | (name str, value str)*  structured metadata,
//!                                                                  names normalised
//! str, bytes    := length uvarint | the bytes (str: UTF-8)
//! ```
//!
//! A record holds the entries of one push that passed every check, so replay stores them
//! without checking them again (as Loki's replay does). Counts are checked against the bytes
//! left before anything is allocated; a record with bytes after its last stream is refused.
//! Version 1 of the segment format is the only one; a payload of another kind is refused at
//! replay and reported as damage.

use loki_chunk::LabelSet;

use crate::cursor::{Cursor, CursorError, put_bytes, put_uvarint, put_varint};
use crate::ingest::PushEntry;

pub use store_wal::format::{FRAME_LEN, HEADER_LEN, MAX_RECORD_LEN, finish_record};

/// The six bytes every segment of this store's log starts with.
pub const MAGIC: [u8; 6] = *b"LSWAL\0";

/// Record kind: entries of one tenant's push.
pub const KIND_ENTRIES: u8 = 1;

/// The longest tenant ID a record holds (Loki's limit).
pub const MAX_TENANT_LEN: usize = 150;

/// Smallest encoding of a stream (no labels, no entries): two one-byte counts.
const MIN_STREAM_LEN: usize = 2;
/// Smallest encoding of an entry: a one-byte timestamp, an empty line, no metadata.
const MIN_ENTRY_LEN: usize = 3;
/// Smallest encoding of a name/value pair: two empty strings.
const MIN_PAIR_LEN: usize = 2;

/// Starts an entries record of `tenant` at the end of `out` (frame, kind, tenant, stream
/// count). Append each stream with [`encode_stream`], then call [`finish_record`] with the
/// returned start.
///
/// `tenant` must be 1..=[`MAX_TENANT_LEN`] bytes (the store validates tenant IDs before).
pub fn begin_entries_record(out: &mut Vec<u8>, tenant: &str, streams: usize) -> usize {
    let start = store_wal::format::begin_record(out);
    out.push(KIND_ENTRIES);
    out.push(u8::try_from(tenant.len()).unwrap_or(u8::MAX));
    out.extend_from_slice(tenant.as_bytes());
    put_uvarint(out, streams as u64);
    start
}

/// Appends one stream of a record: its labels and entries.
pub fn encode_stream<'e>(
    out: &mut Vec<u8>,
    labels: &LabelSet,
    entries: impl ExactSizeIterator<Item = &'e PushEntry>,
) {
    put_uvarint(out, labels.len() as u64);
    for (name, value) in labels {
        put_bytes(out, name.as_bytes());
        put_bytes(out, value.as_bytes());
    }
    put_uvarint(out, entries.len() as u64);
    for e in entries {
        put_varint(out, e.ts);
        put_bytes(out, &e.line);
        put_uvarint(out, e.structured_metadata.len() as u64);
        for (name, value) in &e.structured_metadata {
            put_bytes(out, name.as_bytes());
            put_bytes(out, value.as_bytes());
        }
    }
}

/// One record's payload read back, borrowing from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntriesRecord<'a> {
    /// The tenant.
    pub tenant: &'a str,
    /// The streams, in the push's order.
    pub streams: Vec<RecordStream<'a>>,
}

/// One stream of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordStream<'a> {
    /// The stream's labels.
    pub labels: LabelSet,
    /// Its entries.
    pub entries: Vec<RecordEntry<'a>>,
}

/// One entry of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordEntry<'a> {
    /// Timestamp, ns since the epoch.
    pub ts: i64,
    /// The line.
    pub line: &'a [u8],
    /// Structured metadata.
    pub structured_metadata: Vec<(&'a str, &'a str)>,
}

fn cursor_text(e: CursorError) -> String {
    match e {
        CursorError::Truncated {
            offset,
            needed,
            available,
        } => format!("record cut short at offset {offset}: need {needed} bytes, {available} left"),
        CursorError::BadVarint { offset } => format!("malformed varint at offset {offset}"),
        CursorError::TooLarge {
            offset,
            found,
            limit,
        } => format!("count or length {found} at offset {offset} above {limit}"),
        CursorError::Utf8 { offset } => format!("string at offset {offset} is not UTF-8"),
    }
}

/// Reads a record's payload.
///
/// # Errors
///
/// A text saying what is wrong and where: an unknown kind, a bad tenant, a count or length
/// beyond the payload, invalid labels, or bytes after the last stream.
pub fn decode_payload(payload: &[u8]) -> Result<EntriesRecord<'_>, String> {
    let mut c = Cursor::new(payload);
    let kind = c.u8().map_err(cursor_text)?;
    if kind != KIND_ENTRIES {
        return Err(format!("record payload of unknown kind {kind}"));
    }
    let tenant_len = usize::from(c.u8().map_err(cursor_text)?);
    if tenant_len == 0 || tenant_len > MAX_TENANT_LEN {
        return Err(format!("record tenant ID of {tenant_len} bytes"));
    }
    let tenant = std::str::from_utf8(c.take(tenant_len).map_err(cursor_text)?)
        .map_err(|_| "record tenant ID is not UTF-8".to_owned())?;
    let n_streams = c.count(MIN_STREAM_LEN).map_err(cursor_text)?;
    let mut streams = Vec::with_capacity(n_streams);
    for _ in 0..n_streams {
        let at = c.pos();
        let n_labels = c.count(MIN_PAIR_LEN).map_err(cursor_text)?;
        let mut pairs = Vec::with_capacity(n_labels);
        for _ in 0..n_labels {
            let name = c.str().map_err(cursor_text)?;
            let value = c.str().map_err(cursor_text)?;
            pairs.push((name, value));
        }
        let labels =
            LabelSet::from_pairs(pairs).map_err(|e| format!("stream at offset {at}: {e}"))?;
        let n_entries = c.count(MIN_ENTRY_LEN).map_err(cursor_text)?;
        let mut entries = Vec::with_capacity(n_entries);
        for _ in 0..n_entries {
            let ts = c.varint().map_err(cursor_text)?;
            let line = c.bytes().map_err(cursor_text)?;
            let n_pairs = c.count(MIN_PAIR_LEN).map_err(cursor_text)?;
            let mut structured_metadata = Vec::with_capacity(n_pairs);
            for _ in 0..n_pairs {
                let name = c.str().map_err(cursor_text)?;
                let value = c.str().map_err(cursor_text)?;
                structured_metadata.push((name, value));
            }
            entries.push(RecordEntry {
                ts,
                line,
                structured_metadata,
            });
        }
        streams.push(RecordStream { labels, entries });
    }
    if !c.is_empty() {
        return Err(format!(
            "{} unexpected bytes after the last stream at offset {}",
            c.remaining(),
            c.pos()
        ));
    }
    Ok(EntriesRecord { tenant, streams })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(tenant: &str, labels: &LabelSet, entries: &[PushEntry]) -> Vec<u8> {
        let mut buf = Vec::new();
        let start = begin_entries_record(&mut buf, tenant, 1);
        encode_stream(&mut buf, labels, entries.iter());
        finish_record(&mut buf, start);
        buf
    }

    #[test]
    fn records_round_trip_and_every_cut_is_refused() {
        let labels = LabelSet::parse(r#"{app="api", service_name="api"}"#).expect("labels");
        let entries = [
            PushEntry::new(-5, "first"),
            PushEntry::with_metadata(1_710_072_000_000_000_000, "", [("trace_id", "abc")]),
        ];
        let buf = record("tenant-a", &labels, &entries);
        let (payload, used) = store_wal::format::decode_frame(&buf).expect("whole record");
        assert_eq!(used, buf.len());
        let rec = decode_payload(payload).expect("entries record");
        assert_eq!(rec.tenant, "tenant-a");
        assert_eq!(rec.streams.len(), 1);
        assert_eq!(rec.streams[0].labels, labels);
        let e = &rec.streams[0].entries;
        assert_eq!((e[0].ts, e[0].line), (-5, &b"first"[..]));
        assert_eq!(e[1].structured_metadata, [("trace_id", "abc")]);
        for cut in 0..payload.len() {
            assert!(decode_payload(&payload[..cut]).is_err(), "cut at {cut}");
        }
        let mut long = payload.to_vec();
        long.push(0);
        assert!(
            decode_payload(&long)
                .unwrap_err()
                .contains("unexpected bytes")
        );
        assert!(
            decode_payload(b"\x02\x01a\x00")
                .unwrap_err()
                .contains("kind 2")
        );
        assert!(decode_payload(b"\x01\x00\x00").is_err());
        // A count larger than the payload could hold allocates nothing.
        assert!(decode_payload(b"\x01\x01a\xff\xff\xff\xff\x0f").is_err());
    }
}
