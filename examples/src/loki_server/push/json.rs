//! Loki's JSON push bodies.
//!
//! * v1 (`/loki/api/v1/push`): `{"streams":[{"stream":{"app":"api"},"values":[["<ns>","<line>"],
//!   ["<ns>","<line>",{"trace_id":"…"}]]}]}`. The timestamp must be a JSON string of
//!   nanoseconds (a number is refused, as Loki refuses it); the optional third element is
//!   the entry's structured metadata, string values only.
//! * legacy (`/api/prom/push`): `{"streams":[{"labels":"{app=\"api\"}","entries":[{"ts":
//!   "<RFC 3339>","line":"<line>"}]}]}`, with optional `structuredMetadata: [{"name","value"}]`.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use bytes::Bytes;
use loki_chunk::labels::write_go_quoted;
use loki_store::{PushEntry, PushStream};
use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

use super::Refusal;

/// Which JSON shape a route reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `/loki/api/v1/push`.
    V1,
    /// `/api/prom/push`.
    Legacy,
}

/// Decodes a JSON push body into the store's streams.
///
/// # Errors
///
/// [`Refusal::malformed`] with the decoder's message.
pub fn decode(bytes: &[u8], shape: Shape) -> Result<Vec<PushStream>, Refusal> {
    let malformed = |e: serde_json::Error| Refusal::malformed(format!("JSON push body: {e}"));
    match shape {
        Shape::V1 => {
            let body: V1Body = serde_json::from_slice(bytes).map_err(malformed)?;
            Ok(body.streams.into_iter().map(V1Stream::into_push).collect())
        }
        Shape::Legacy => {
            let body: LegacyBody = serde_json::from_slice(bytes).map_err(malformed)?;
            body.streams
                .into_iter()
                .map(LegacyStream::into_push)
                .collect()
        }
    }
}

/// A stream's labels as Loki prints a label map: `{a="1", b="2"}`, sorted by name, values
/// quoted as Go quotes them. Names are not checked here: the store parses the text and
/// refuses the push when a name is invalid, as Loki does.
pub fn labels_text<'a>(labels: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::from("{");
    for (i, (name, value)) in labels.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(name);
        out.push('=');
        // Writing into a String cannot fail.
        let _ = write_go_quoted(&mut out, value);
    }
    out.push('}');
    out
}

#[derive(Deserialize)]
struct V1Body {
    #[serde(default)]
    streams: Vec<V1Stream>,
}

#[derive(Deserialize)]
struct V1Stream {
    #[serde(default)]
    stream: BTreeMap<String, String>,
    #[serde(default)]
    values: Vec<V1Entry>,
}

impl V1Stream {
    fn into_push(self) -> PushStream {
        let labels = labels_text(self.stream.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        PushStream::new(labels, self.values.into_iter().map(|e| e.0).collect())
    }
}

/// `["<ns>", "<line>"]` or `["<ns>", "<line>", {"name": "value", …}]`.
struct V1Entry(PushEntry);

/// A timestamp: a JSON string holding integer nanoseconds.
struct NanosString(i64);

impl<'de> Deserialize<'de> for NanosString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl Visitor<'_> for Visit {
            type Value = NanosString;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a timestamp: a string of nanoseconds since the epoch")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<NanosString, E> {
                v.parse::<i64>().map(NanosString).map_err(|_| {
                    E::custom(format!(
                        "error reading entry timestamp: strconv.ParseInt: parsing {v:?}: \
                         invalid syntax"
                    ))
                })
            }
        }
        deserializer.deserialize_str(Visit)
    }
}

impl<'de> Deserialize<'de> for V1Entry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> Visitor<'de> for Visit {
            type Value = V1Entry;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an entry: [\"<ns>\", \"<line>\"] or [\"<ns>\", \"<line>\", {…}]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<V1Entry, A::Error> {
                let too_few = || de::Error::custom("array must have at least 2 and up to 3 values");
                let ts: NanosString = seq.next_element()?.ok_or_else(too_few)?;
                let line: String = seq.next_element()?.ok_or_else(too_few)?;
                let metadata: Option<BTreeMap<String, String>> = seq.next_element()?;
                if seq.next_element::<de::IgnoredAny>()?.is_some() {
                    return Err(de::Error::custom(
                        "array must have at least 2 and up to 3 values",
                    ));
                }
                Ok(V1Entry(PushEntry::with_metadata(
                    ts.0,
                    Bytes::from(line),
                    metadata.unwrap_or_default(),
                )))
            }
        }
        deserializer.deserialize_seq(Visit)
    }
}

#[derive(Deserialize)]
struct LegacyBody {
    #[serde(default)]
    streams: Vec<LegacyStream>,
}

#[derive(Deserialize)]
struct LegacyStream {
    #[serde(default)]
    labels: String,
    #[serde(default)]
    entries: Vec<LegacyEntry>,
}

#[derive(Deserialize)]
struct LegacyEntry {
    ts: String,
    #[serde(default)]
    line: String,
    #[serde(default, rename = "structuredMetadata")]
    structured_metadata: Vec<LegacyPair>,
}

#[derive(Deserialize)]
struct LegacyPair {
    name: String,
    #[serde(default)]
    value: String,
}

impl LegacyStream {
    fn into_push(self) -> Result<PushStream, Refusal> {
        let mut entries = Vec::with_capacity(self.entries.len());
        for e in self.entries {
            let ts = chrono::DateTime::parse_from_rfc3339(&e.ts)
                .ok()
                .and_then(|t| t.timestamp_nanos_opt())
                .ok_or_else(|| {
                    let mut message = String::new();
                    let _ = write!(
                        message,
                        "JSON push body: entry timestamp {:?} is not an RFC 3339 time",
                        e.ts
                    );
                    Refusal::malformed(message)
                })?;
            entries.push(PushEntry::with_metadata(
                ts,
                Bytes::from(e.line),
                e.structured_metadata.into_iter().map(|p| (p.name, p.value)),
            ));
        }
        Ok(PushStream::new(self.labels, entries))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

    use super::*;

    #[test]
    fn v1_bodies() {
        let body = br#"{"streams":[{"stream":{"job":"x","app":"a\"b"},"values":[
            ["1700000000000000001","one"],["1700000000000000002","two",{"trace_id":"t1"}]]}]}"#;
        let streams = decode(body, Shape::V1).unwrap();
        assert_eq!(streams.len(), 1);
        assert_eq!(streams[0].labels, r#"{app="a\"b", job="x"}"#);
        let e = &streams[0].entries;
        assert_eq!(
            (e[0].ts, e[0].line.as_ref()),
            (1_700_000_000_000_000_001, &b"one"[..])
        );
        assert_eq!(
            e[1].structured_metadata,
            [("trace_id".to_owned(), "t1".to_owned())]
        );
    }

    #[test]
    fn v1_refusals() {
        for (body, needle) in [
            (
                r#"{"streams":[{"stream":{"a":"b"},"values":[[1700000000,"x"]]}]}"#,
                "invalid type: integer",
            ),
            (
                r#"{"streams":[{"stream":{"a":"b"},"values":[["x1","x"]]}]}"#,
                "strconv.ParseInt: parsing \"x1\"",
            ),
            (
                r#"{"streams":[{"stream":{"a":"b"},"values":[["1"]]}]}"#,
                "at least 2 and up to 3",
            ),
            (
                r#"{"streams":[{"stream":{"a":"b"},"values":[["1","x",{},4]]}]}"#,
                "at least 2 and up to 3",
            ),
            (
                r#"{"streams":[{"stream":{"a":"b"},"values":[["1","x",{"k":1}]]}]}"#,
                "invalid type: integer",
            ),
            ("{", "EOF"),
        ] {
            let refusal = decode(body.as_bytes(), Shape::V1).unwrap_err();
            assert_eq!(refusal.status, 400);
            assert!(
                refusal.message.contains(needle),
                "{body}: {}",
                refusal.message
            );
        }
    }

    #[test]
    fn legacy_bodies() {
        let body = br#"{"streams":[{"labels":"{job=\"x\"}","entries":[
            {"ts":"2023-11-14T22:13:20.5Z","line":"hello"},
            {"ts":"2023-11-14T22:13:21Z","line":"with","structuredMetadata":[{"name":"k","value":"v"}]}]}]}"#;
        let streams = decode(body, Shape::Legacy).unwrap();
        assert_eq!(streams[0].labels, r#"{job="x"}"#);
        assert_eq!(streams[0].entries[0].ts, 1_700_000_000_500_000_000);
        assert_eq!(streams[0].entries[1].structured_metadata.len(), 1);
        let bad =
            br#"{"streams":[{"labels":"{job=\"x\"}","entries":[{"ts":"yesterday","line":"x"}]}]}"#;
        assert!(
            decode(bad, Shape::Legacy)
                .unwrap_err()
                .message
                .contains("RFC 3339")
        );
    }

    #[test]
    fn label_maps_print_as_loki_prints_them() {
        assert_eq!(
            labels_text([("a", "x\ny"), ("b", "ü")]),
            "{a=\"x\\ny\", b=\"ü\"}"
        );
        assert_eq!(labels_text([]), "{}");
    }
}
