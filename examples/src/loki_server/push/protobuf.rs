//! Loki's protobuf push body: a `logproto.PushRequest` compressed with snappy's raw block
//! format, as Promtail, Alloy and most agents send it.
//!
//! ```text
//! PushRequest      { 1: repeated StreamAdapter streams }
//! StreamAdapter    { 1: string labels (selector text), 2: repeated EntryAdapter entries, 3: uint64 hash }
//! EntryAdapter     { 1: google.protobuf.Timestamp timestamp, 2: string line,
//!                    3: repeated LabelPairAdapter structuredMetadata, 4: repeated LabelPairAdapter parsed }
//! LabelPairAdapter { 1: string name, 2: string value }
//! ```
//!
//! Lines are read as bytes, as Loki keeps them (its Go strings need not be UTF-8); the
//! decompressed size is checked against `max_decompressed_size` before anything is
//! allocated.

use bytes::Bytes;
use loki_store::{PushEntry, PushStream};
use prost::Message as _;

use super::Refusal;

/// `logproto.PushRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PushRequest {
    /// The streams.
    #[prost(message, repeated, tag = "1")]
    pub streams: Vec<StreamAdapter>,
}

/// `logproto.StreamAdapter`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct StreamAdapter {
    /// The labels in selector form, `{app="api"}`.
    #[prost(string, tag = "1")]
    pub labels: String,
    /// The entries.
    #[prost(message, repeated, tag = "2")]
    pub entries: Vec<EntryAdapter>,
    /// Loki's internal stream hash; ignored.
    #[prost(uint64, tag = "3")]
    pub hash: u64,
}

/// `google.protobuf.Timestamp`.
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub struct Timestamp {
    /// Seconds since the epoch.
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    /// Nanoseconds into the second.
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

/// `logproto.EntryAdapter`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct EntryAdapter {
    /// When.
    #[prost(message, optional, tag = "1")]
    pub timestamp: Option<Timestamp>,
    /// The line.
    #[prost(bytes = "bytes", tag = "2")]
    pub line: Bytes,
    /// Structured metadata.
    #[prost(message, repeated, tag = "3")]
    pub structured_metadata: Vec<LabelPairAdapter>,
    /// Parsed labels (query responses only; ignored in a push).
    #[prost(message, repeated, tag = "4")]
    pub parsed: Vec<LabelPairAdapter>,
}

/// `logproto.LabelPairAdapter`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct LabelPairAdapter {
    /// The name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// The value.
    #[prost(string, tag = "2")]
    pub value: String,
}

impl Timestamp {
    /// Nanoseconds since the epoch (saturating).
    pub fn as_nanos(self) -> i64 {
        self.seconds
            .saturating_mul(1_000_000_000)
            .saturating_add(i64::from(self.nanos))
    }
}

/// Decodes a raw-snappy `PushRequest` into the store's streams.
///
/// # Errors
///
/// 413 when the decompressed size is over `max_decompressed_size`; 400 for bytes that are
/// not snappy or not a `PushRequest`.
pub fn decode(body: &[u8], max_decompressed_size: usize) -> Result<Vec<PushStream>, Refusal> {
    let len = snap::raw::decompress_len(body)
        .map_err(|e| Refusal::malformed(format!("snappy: corrupt input: {e}")))?;
    if len > max_decompressed_size {
        return Err(Refusal::too_large(
            "decompressed message size",
            len as u64,
            max_decompressed_size,
        ));
    }
    let raw = snap::raw::Decoder::new()
        .decompress_vec(body)
        .map_err(|e| Refusal::malformed(format!("snappy: corrupt input: {e}")))?;
    let request = PushRequest::decode(Bytes::from(raw))
        .map_err(|e| Refusal::malformed(format!("protobuf PushRequest: {e}")))?;
    Ok(request
        .streams
        .into_iter()
        .map(|s| {
            let entries = s
                .entries
                .into_iter()
                .map(|e| PushEntry {
                    ts: e.timestamp.unwrap_or_default().as_nanos(),
                    line: e.line,
                    structured_metadata: e
                        .structured_metadata
                        .into_iter()
                        .map(|p| (p.name, p.value))
                        .collect(),
                })
                .collect();
            PushStream::new(s.labels, entries)
        })
        .collect())
}

/// A `PushRequest` of `streams`, serialised and snappy-compressed as clients send it (for
/// tests and load generators).
pub fn encode(streams: &[PushStream]) -> Vec<u8> {
    let request = PushRequest {
        streams: streams
            .iter()
            .map(|s| StreamAdapter {
                labels: s.labels.clone(),
                entries: s
                    .entries
                    .iter()
                    .map(|e| EntryAdapter {
                        timestamp: Some(Timestamp {
                            seconds: e.ts.div_euclid(1_000_000_000),
                            nanos: i32::try_from(e.ts.rem_euclid(1_000_000_000)).unwrap_or(0),
                        }),
                        line: e.line.clone(),
                        structured_metadata: e
                            .structured_metadata
                            .iter()
                            .map(|(name, value)| LabelPairAdapter {
                                name: name.clone(),
                                value: value.clone(),
                            })
                            .collect(),
                        parsed: Vec::new(),
                    })
                    .collect(),
                hash: 0,
            })
            .collect(),
    };
    snap::raw::Encoder::new()
        .compress_vec(&request.encode_to_vec())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

    use super::*;

    #[test]
    fn round_trip_and_limits() {
        let streams = vec![PushStream::new(
            r#"{job="x"}"#,
            vec![
                PushEntry::new(1_700_000_000_123_456_789, "a line"),
                PushEntry::with_metadata(-1, "before 1970", [("k", "v")]),
            ],
        )];
        let body = encode(&streams);
        assert_eq!(decode(&body, 1 << 20).unwrap(), streams);
        let refusal = decode(&body, 10).unwrap_err();
        assert_eq!(refusal.status, 413);
        assert!(
            refusal.message.starts_with(
                "request body too large: decompressed message size too large than max ("
            ),
            "{}",
            refusal.message
        );
        assert_eq!(decode(b"\xff\xff\xff", 1 << 20).unwrap_err().status, 400);
    }
}
