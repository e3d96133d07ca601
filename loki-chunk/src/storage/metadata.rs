//! The metadata JSON document of a stored chunk, written exactly as Loki's Go encoder does.

use std::fmt::Write as _;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::ObjectKey;
use crate::error::ChunkError;
use crate::format::{
    OBJECT_ENCODING_GZIP_LOG_CHUNK, OBJECT_ENCODING_LOG_CHUNK, OBJECT_METRIC_NAME,
};
use crate::labels::{LabelSet, METRIC_NAME_LABEL};

/// A chunk's `from` in ms from its first entry's time in ns, as Loki's flush rounds it
/// (integer division, so down for times after 1970).
pub fn from_ms_for_ns(first_entry_ns: i64) -> i64 {
    first_entry_ns / 1_000_000
}

/// A chunk's `through` in ms from its last entry's time in ns, as Loki's flush rounds it:
/// the integer quotient, plus one when the time is not a whole millisecond (so up for times
/// after 1970).
pub fn through_ms_for_ns(last_entry_ns: i64) -> i64 {
    last_entry_ns / 1_000_000 + i64::from(last_entry_ns % 1_000_000 != 0)
}

/// The JSON metadata document of a stored chunk.
///
/// ```json
/// {"fingerprint":4991090242057108148,"userID":"fake","from":1710071999.999,
///  "through":1710072000.073,"metric":{"__name__":"logs","app":"x","env":"prod"},
///  "ingestedAt":0,"encoding":129}
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkMetadata {
    /// The stream fingerprint (`fingerprint`).
    pub fingerprint: u64,
    /// The tenant (`userID`).
    pub tenant: String,
    /// First entry's time in ms (`from`, written as seconds).
    pub from_ms: i64,
    /// Last entry's time in ms, rounded up (`through`, written as seconds).
    pub through_ms: i64,
    /// The stream labels plus `__name__="logs"` (`metric`).
    pub metric: LabelSet,
    /// `ingestedAt`, written as a JSON integer; `None` when the document has no such field
    /// (objects written before Loki added it), and then it is not written either. Loki writes
    /// `0` except for backfilled streams.
    pub ingested_at: Option<i64>,
    /// `encoding`: 129 for Loki chunks ([`OBJECT_ENCODING_LOG_CHUNK`]), or the legacy 128.
    pub encoding: u64,
}

impl ChunkMetadata {
    /// The metadata Loki's ingester writes for a chunk of stream `stream` (without
    /// `__name__`, which is added): fingerprint from the labels, `ingestedAt` 0, encoding 129.
    /// See [`from_ms_for_ns`] and [`through_ms_for_ns`] for the time range.
    pub fn new(
        tenant: impl Into<String>,
        stream: &LabelSet,
        from_ms: i64,
        through_ms: i64,
    ) -> Self {
        let mut metric = stream.clone();
        metric.insert_valid(METRIC_NAME_LABEL, OBJECT_METRIC_NAME);
        Self {
            fingerprint: stream.fingerprint(),
            tenant: tenant.into(),
            from_ms,
            through_ms,
            metric,
            ingested_at: Some(0),
            encoding: OBJECT_ENCODING_LOG_CHUNK,
        }
    }

    /// The stream's labels: `metric` without `__name__`.
    pub fn stream_labels(&self) -> LabelSet {
        let mut labels = self.metric.clone();
        labels.remove(METRIC_NAME_LABEL);
        labels
    }

    /// The key of an object holding this metadata whose bytes have CRC-32C `checksum`.
    pub fn key(&self, checksum: u32) -> ObjectKey {
        ObjectKey {
            tenant: self.tenant.clone(),
            fingerprint: self.fingerprint,
            from_ms: self.from_ms,
            through_ms: self.through_ms,
            checksum,
        }
    }

    /// The JSON document exactly as Loki writes it (without the trailing newline the object
    /// adds):
    ///
    /// * fields in the order `fingerprint`, `userID`, `from`, `through`, `metric`,
    ///   `ingestedAt`, `encoding`, no whitespace;
    /// * `from`/`through` as seconds in Go's shortest float form (`strconv.FormatFloat(ms /
    ///   1000, 'f', -1, 64)`): up to three decimals, trailing zeros dropped (`1710072000.07`,
    ///   `1710072000`). It reads back exactly for |ms| < 2^51;
    /// * `userID` escaped as json-iterator does (`"`, `\`, `\n`, `\r`, `\t`, other controls as
    ///   `\u00XX`);
    /// * `metric` names sorted, values escaped as Go's `encoding/json` does (also `\b`, `\f`,
    ///   and `<`, `>`, `&`, U+2028, U+2029 as `\u` escapes).
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(128 + 32 * self.metric.len());
        let _ = write!(out, "{{\"fingerprint\":{},\"userID\":", self.fingerprint);
        push_json_string(&mut out, &self.tenant, JsonFlavor::JsonIter);
        let _ = write!(
            out,
            ",\"from\":{},\"through\":{},\"metric\":{{",
            go_seconds(self.from_ms),
            go_seconds(self.through_ms)
        );
        for (i, (name, value)) in self.metric.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_json_string(&mut out, name, JsonFlavor::Std);
            out.push(':');
            push_json_string(&mut out, value, JsonFlavor::Std);
        }
        out.push('}');
        if let Some(ingested_at) = self.ingested_at {
            let _ = write!(out, ",\"ingestedAt\":{ingested_at}");
        }
        let _ = write!(out, ",\"encoding\":{}}}", self.encoding);
        out
    }

    /// Parses a metadata document (a trailing newline or other whitespace is allowed).
    ///
    /// `fingerprint`, `userID`, `from`, `through`, `metric` and `encoding` are required;
    /// `ingestedAt` is optional; unknown fields are ignored. `from`/`through` are read as Go's
    /// `model.Time` reads them: integer seconds plus at most three decimals, further decimals
    /// cut off, no exponent (negative times with a fraction are read as their value, where Go
    /// mis-signs them). `metric` must have valid, distinct label names; `encoding` must be 128
    /// or 129.
    ///
    /// # Errors
    ///
    /// [`ChunkError::ObjectMetadata`] with serde_json's line and column.
    pub fn from_json(json: &[u8]) -> Result<Self, ChunkError> {
        let doc: MetadataDoc = serde_json::from_slice(json).map_err(|e| {
            let mut reason = e.to_string();
            if let Some(at) = reason.rfind(" at line ") {
                reason.truncate(at);
            }
            ChunkError::ObjectMetadata {
                line: e.line(),
                column: e.column(),
                reason,
            }
        })?;
        Ok(Self {
            fingerprint: doc.fingerprint,
            tenant: doc.user_id,
            from_ms: doc.from,
            through_ms: doc.through,
            metric: doc.metric,
            ingested_at: doc.ingested_at,
            encoding: doc.encoding,
        })
    }
}

/// `ms` as Prometheus' `model.Time` marshals it: seconds, Go's shortest `'f'` float format.
/// Rust's `Display` for `f64` prints the same shortest round-trip digits, never an exponent.
fn go_seconds(ms: i64) -> String {
    #[allow(clippy::cast_precision_loss)] // exactly Go's float64(t) / 1000
    let seconds = ms as f64 / 1000.0;
    format!("{seconds}")
}

/// Reads a JSON number as Go's `model.Time.UnmarshalJSON` does (see
/// [`ChunkMetadata::from_json`]).
fn parse_go_seconds(raw: &str) -> Result<i64, &'static str> {
    const BAD: &str = "time is not a number of seconds with at most three decimals";
    let (negative, body) = match raw.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, raw),
    };
    let (int_part, frac) = body.split_once('.').unwrap_or((body, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int_part.is_empty() || !all_digits(int_part) || !all_digits(frac) {
        return Err(BAD);
    }
    let mut millis = 0i64;
    for i in 0..3 {
        let digit = frac.as_bytes().get(i).map_or(0, |b| i64::from(b - b'0'));
        millis = millis * 10 + digit;
    }
    let ms = int_part
        .parse::<i64>()
        .ok()
        .and_then(|s| s.checked_mul(1000))
        .and_then(|ms| ms.checked_add(millis))
        .ok_or("time out of range")?;
    Ok(if negative { -ms } else { ms })
}

/// Whose JSON string escaping to reproduce.
#[derive(Clone, Copy, PartialEq, Eq)]
enum JsonFlavor {
    /// Go's `encoding/json` with HTML escaping (Prometheus labels' `MarshalJSON`).
    Std,
    /// json-iterator's `ConfigFastest` (no HTML escaping, raw non-ASCII).
    JsonIter,
}

fn push_json_string(out: &mut String, s: &str, flavor: JsonFlavor) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x08' if flavor == JsonFlavor::Std => out.push_str("\\b"),
            '\x0c' if flavor == JsonFlavor::Std => out.push_str("\\f"),
            c if c < ' ' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' if flavor == JsonFlavor::Std => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The document as serde reads it; every check runs inside serde so errors carry positions.
#[derive(Deserialize)]
struct MetadataDoc {
    fingerprint: u64,
    #[serde(rename = "userID")]
    user_id: String,
    #[serde(deserialize_with = "de_go_seconds")]
    from: i64,
    #[serde(deserialize_with = "de_go_seconds")]
    through: i64,
    #[serde(deserialize_with = "de_metric")]
    metric: LabelSet,
    #[serde(rename = "ingestedAt", default)]
    ingested_at: Option<i64>,
    #[serde(deserialize_with = "de_encoding")]
    encoding: u64,
}

fn de_go_seconds<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let raw = <&RawValue>::deserialize(d)?;
    parse_go_seconds(raw.get()).map_err(de::Error::custom)
}

fn de_encoding<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let encoding = u64::deserialize(d)?;
    if encoding == OBJECT_ENCODING_LOG_CHUNK || encoding == OBJECT_ENCODING_GZIP_LOG_CHUNK {
        Ok(encoding)
    } else {
        Err(de::Error::custom(format!(
            "unsupported encoding {encoding} (readable: 129 LogChunk, 128 GzipLogChunk)"
        )))
    }
}

fn de_metric<'de, D: Deserializer<'de>>(d: D) -> Result<LabelSet, D::Error> {
    struct MetricVisitor;
    impl<'de> Visitor<'de> for MetricVisitor {
        type Value = LabelSet;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object of label names to string values")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LabelSet, A::Error> {
            let mut pairs: Vec<(String, String)> = Vec::new();
            while let Some(pair) = map.next_entry::<String, String>()? {
                pairs.push(pair);
            }
            let names: Vec<String> = pairs.iter().map(|(n, _)| n.clone()).collect();
            LabelSet::from_pairs(pairs).map_err(|e| match e {
                ChunkError::InvalidLabels { position, reason } => de::Error::custom(format!(
                    "metric label {:?}: {reason}",
                    names.get(position).map_or("", String::as_str)
                )),
                other => de::Error::custom(other),
            })
        }
    }
    d.deserialize_map(MetricVisitor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ChunkMetadata {
        let stream = LabelSet::parse(r#"{app="x", env="prod"}"#).unwrap();
        ChunkMetadata::new("fake", &stream, 1_710_071_999_999, 1_710_072_000_073)
    }

    #[test]
    fn metadata_json_matches_loki() {
        assert_eq!(
            sample().to_json(),
            r#"{"fingerprint":4991090242057108148,"userID":"fake","from":1710071999.999,"through":1710072000.073,"metric":{"__name__":"logs","app":"x","env":"prod"},"ingestedAt":0,"encoding":129}"#
        );
        let back = ChunkMetadata::from_json(sample().to_json().as_bytes()).unwrap();
        assert_eq!(back, sample());
    }

    #[test]
    fn seconds_use_go_shortest_float_form() {
        for (ms, text) in [
            (0, "0"),
            (1, "0.001"),
            (1_710_072_000_000, "1710072000"),
            (1_710_072_000_070, "1710072000.07"),
            (1_710_072_000_100, "1710072000.1"),
            (-1, "-0.001"),
            (-1500, "-1.5"),
        ] {
            assert_eq!(go_seconds(ms), text);
            assert_eq!(parse_go_seconds(text), Ok(ms), "{text}");
        }
        assert_eq!(
            parse_go_seconds("1.23456"),
            Ok(1234),
            "extra decimals cut off"
        );
        assert_eq!(parse_go_seconds("12"), Ok(12_000));
        assert!(parse_go_seconds("1e3").is_err());
        assert!(parse_go_seconds("\"1\"").is_err());
        assert!(parse_go_seconds("99999999999999999").is_err());
    }

    #[test]
    fn json_strings_are_escaped_as_go_does() {
        let mut out = String::new();
        push_json_string(
            &mut out,
            "a<b>&\"\\\n\x08\x01\u{2028}é\x7f",
            JsonFlavor::Std,
        );
        assert_eq!(
            out,
            concat!(r#""a\u003cb\u003e\u0026\"\\\n\b\u0001\u2028é"#, "\x7f\"")
        );
        out.clear();
        push_json_string(&mut out, "a<b\x08\u{2028}", JsonFlavor::JsonIter);
        assert_eq!(out, "\"a<b\\u0008\u{2028}\"");
    }

    #[test]
    fn metadata_errors_have_positions() {
        let cases: [(&str, usize); 5] = [
            ("{\"fingerprint\":1,", 1),
            ("{\n\"fingerprint\":-1}", 2),
            (
                r#"{"fingerprint":1,"userID":"a","from":1e3,"through":1,"metric":{},"encoding":129}"#,
                1,
            ),
            (
                r#"{"fingerprint":1,"userID":"a","from":1,"through":1,"metric":{"a.b":"x"},"encoding":129}"#,
                1,
            ),
            (
                r#"{"fingerprint":1,"userID":"a","from":1,"through":1,"metric":{},"encoding":3}"#,
                1,
            ),
        ];
        for (json, line) in cases {
            match ChunkMetadata::from_json(json.as_bytes()) {
                Err(ChunkError::ObjectMetadata {
                    line: l, column, ..
                }) => {
                    assert_eq!(l, line, "{json}");
                    assert!(column > 0, "{json}");
                }
                other => panic!("{json}: {other:?}"),
            }
        }
        let no_ingested = r#"{"fingerprint":1,"userID":"a","from":1,"through":2.5,"metric":{},"encoding":128,"x":[1]}"#;
        let m = ChunkMetadata::from_json(no_ingested.as_bytes()).unwrap();
        assert_eq!((m.from_ms, m.through_ms, m.ingested_at), (1000, 2500, None));
        assert_eq!(
            m.to_json(),
            r#"{"fingerprint":1,"userID":"a","from":1,"through":2.5,"metric":{},"encoding":128}"#
        );
    }

    #[test]
    fn time_bounds_round_like_loki() {
        assert_eq!(from_ms_for_ns(1_710_071_999_999_998_356), 1_710_071_999_999);
        assert_eq!(
            through_ms_for_ns(1_710_072_000_072_224_952),
            1_710_072_000_073
        );
        assert_eq!(
            through_ms_for_ns(1_710_072_000_072_000_000),
            1_710_072_000_072
        );
        assert_eq!(through_ms_for_ns(i64::MAX), i64::MAX / 1_000_000 + 1);
    }
}
