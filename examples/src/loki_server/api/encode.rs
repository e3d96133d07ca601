//! Loki's JSON response shapes: `streams` results (plain, and with the `categorize-labels`
//! encoding flag), tail messages, label sets, and the `stats` object.

use loki_store::SelectStats;
use serde_json::json;

use logql::exec::ResultStream;

/// The encoding flag that keeps structured metadata out of the stream labels.
pub const CATEGORIZE_LABELS: &str = "categorize-labels";

fn string(out: &mut Vec<u8>, s: &str) {
    // Writing a string into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// `{"a":"1","b":"2"}`.
pub fn labels_object<'a>(out: &mut Vec<u8>, labels: impl IntoIterator<Item = (&'a str, &'a str)>) {
    out.push(b'{');
    for (i, (name, value)) in labels.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        string(out, name);
        out.push(b':');
        string(out, value);
    }
    out.push(b'}');
}

/// `[{"stream":{…},"values":[["<ns>","<line>"(,{"structuredMetadata":{…}})],…]},…]`; with
/// `categorize`, every value has the third element (`{}` when the entry has no metadata),
/// as Loki writes it.
pub fn streams(out: &mut Vec<u8>, streams: &[ResultStream], categorize: bool) {
    out.push(b'[');
    for (i, s) in streams.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"stream\":");
        labels_object(out, s.labels.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        out.extend_from_slice(b",\"values\":[");
        for (j, v) in s.values.iter().enumerate() {
            if j > 0 {
                out.push(b',');
            }
            out.extend_from_slice(format!("[\"{}\",", v.ts).as_bytes());
            string(out, &v.line);
            if categorize {
                out.push(b',');
                out.push(b'{');
                if !v.metadata.is_empty() {
                    out.extend_from_slice(b"\"structuredMetadata\":");
                    labels_object(
                        out,
                        v.metadata.iter().map(|(n, m)| (n.as_str(), m.as_str())),
                    );
                }
                out.push(b'}');
            }
            out.push(b']');
        }
        out.extend_from_slice(b"]}");
    }
    out.push(b']');
}

/// Loki's `stats` object, with what this store measures (the rest of Loki's fields, which
/// describe its caches, queues and ingesters, are zero).
pub fn stats(stats: &SelectStats, returned: usize, exec_secs: f64) -> serde_json::Value {
    let chunks_ref = stats.memory_chunks + stats.chunks_fetched + stats.chunks_skipped;
    json!({
        "summary": {
            "bytesProcessedPerSecond": 0,
            "linesProcessedPerSecond": 0,
            "totalBytesProcessed": stats.bytes_fetched,
            "totalLinesProcessed": stats.entries_matched,
            "totalStructuredMetadataBytesProcessed": 0,
            "totalPostFilterLines": stats.entries_matched,
            "execTime": exec_secs,
            "queueTime": 0,
            "subqueries": 0,
            "totalEntriesReturned": returned,
            "splits": 0,
            "shards": 0,
            "totalChunksMatched": chunks_ref,
        },
        "querier": {
            "store": {
                "totalChunksRef": chunks_ref,
                "totalChunksDownloaded": stats.chunks_fetched,
                "chunksDownloadTime": 0,
                "queryReferencedStructuredMetadata": false,
                "chunk": {
                    "headChunkBytes": 0,
                    "headChunkLines": 0,
                    "decompressedBytes": 0,
                    "decompressedLines": stats.entries_matched,
                    "compressedBytes": stats.bytes_fetched,
                    "totalDuplicates": stats.duplicates,
                    "postFilterLines": stats.entries_matched,
                },
            }
        },
    })
}

/// The warnings a query's answer carries: chunks left out because they were missing,
/// unreadable or corrupt (where Loki fails the whole query, this store goes on).
pub fn warnings(stats: &SelectStats) -> Vec<String> {
    let mut out = Vec::new();
    if stats.chunks_skipped > 0 {
        let listed: Vec<String> = stats
            .skipped
            .iter()
            .take(5)
            .map(|c| format!("{} ({}: {})", c.key, c.reason.as_str(), c.detail))
            .collect();
        out.push(format!(
            "{} chunk(s) could not be read and were left out of the result: {}{}",
            stats.chunks_skipped,
            listed.join("; "),
            if stats.chunks_skipped > listed.len() {
                "; …"
            } else {
                ""
            }
        ));
    }
    if stats.blocks_skipped > 0 {
        out.push(format!(
            "{} corrupt block(s) inside chunks were left out of the result",
            stats.blocks_skipped
        ));
    }
    out
}

/// The whole answer of a log query: `{"status":"success",("warnings":[…],)"data":{…}}`.
pub fn streams_response(
    result: &[ResultStream],
    categorize: bool,
    stats_value: &serde_json::Value,
    warnings: &[String],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    out.extend_from_slice(b"{\"status\":\"success\",");
    if !warnings.is_empty() {
        out.extend_from_slice(b"\"warnings\":");
        let _ = serde_json::to_writer(&mut out, warnings);
        out.push(b',');
    }
    out.extend_from_slice(b"\"data\":{\"resultType\":\"streams\",");
    if categorize {
        out.extend_from_slice(b"\"encodingFlags\":[\"categorize-labels\"],");
    }
    out.extend_from_slice(b"\"result\":");
    streams(&mut out, result, categorize);
    out.extend_from_slice(b",\"stats\":");
    let _ = serde_json::to_writer(&mut out, stats_value);
    out.extend_from_slice(b"}}");
    out
}

/// A tail message: `{"streams":[…](,"encodingFlags":["categorize-labels"])}`.
pub fn tail_message(result: &[ResultStream], categorize: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(b"{\"streams\":");
    streams(&mut out, result, categorize);
    if categorize {
        out.extend_from_slice(b",\"encodingFlags\":[\"categorize-labels\"]");
    }
    out.push(b'}');
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

    use super::*;
    use logql::exec::ResultValue;

    fn sample() -> Vec<ResultStream> {
        vec![ResultStream {
            labels: vec![("app".into(), "a\"b".into())],
            values: vec![
                ResultValue {
                    ts: 1,
                    line: "one\n".into(),
                    metadata: vec![("trace_id".into(), "t".into())],
                },
                ResultValue {
                    ts: 2,
                    line: "two".into(),
                    metadata: Vec::new(),
                },
            ],
        }]
    }

    #[test]
    fn streams_as_loki_writes_them() {
        let mut plain = Vec::new();
        streams(&mut plain, &sample(), false);
        assert_eq!(
            String::from_utf8(plain).unwrap(),
            r#"[{"stream":{"app":"a\"b"},"values":[["1","one\n"],["2","two"]]}]"#
        );
        let body = streams_response(&sample(), true, &json!({}), &[]);
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["data"]["encodingFlags"], json!(["categorize-labels"]));
        assert_eq!(
            v["data"]["result"][0]["values"],
            json!([["1", "one\n", {"structuredMetadata": {"trace_id": "t"}}], ["2", "two", {}]])
        );
        assert!(v.get("warnings").is_none());
        let tail: serde_json::Value =
            serde_json::from_slice(&tail_message(&sample(), false)).unwrap();
        assert_eq!(tail["streams"][0]["values"][1], json!(["2", "two"]));
    }
}
