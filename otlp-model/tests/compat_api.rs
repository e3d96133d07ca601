#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported
//! Tempo's own outputs: the OTLP/JSON traces given to and read back from Tempo's block
//! writer, and the trace-by-ID responses of a real Tempo server. Every one must decode, and
//! our encoders must reproduce them field by field.

use std::path::PathBuf;

use otlp_model::json::{JsonStyle, decode_traces_json, encode_traces_json};
use otlp_model::proto::trace::TracesData;
use otlp_model::tempo_api::{
    TraceByIdResponse, decode_trace_v1_json, decode_trace_v1_protobuf, decode_trace_v2_json,
    decode_trace_v2_protobuf, trace_v1_json, trace_v1_protobuf, trace_v2_json, trace_v2_protobuf,
};
use otlp_model::{Limits, TraceId, decode_traces_data};
use prost::Message;
use serde_json::Value;

fn tempo_dir(test: &str) -> Option<PathBuf> {
    testkit::compat_dir(test).map(|d| d.join("tempo"))
}

use testkit::trace_jsonl as jsonl;

/// JSON equality where numbers compare by value (`34` equals `34.0`).
#[allow(clippy::many_single_char_names)] // a and b, then their parts x, y, v, w
fn same_json(a: &Value, b: &Value, path: &str) -> Result<(), String> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if x.as_f64() == y.as_f64() {
                Ok(())
            } else {
                Err(format!("{path}: {x} != {y}"))
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                match (x.get(k), y.get(k)) {
                    (Some(v), Some(w)) => same_json(v, w, &format!("{path}.{k}"))?,
                    _ => return Err(format!("{path}.{k}: present on one side only")),
                }
            }
            Ok(())
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return Err(format!("{path}: {} items != {}", x.len(), y.len()));
            }
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                same_json(v, w, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        _ if a == b => Ok(()),
        _ => Err(format!("{path}: {a} != {b}")),
    }
}

fn span_count(t: &TracesData) -> usize {
    t.resource_spans
        .iter()
        .flat_map(|rs| &rs.scope_spans)
        .map(|ss| ss.spans.len())
        .sum()
}

#[test]
fn golden_input_and_readback_traces_decode_and_reencode_exactly() {
    let Some(dir) = tempo_dir("golden_input_and_readback_traces_decode_and_reencode_exactly")
    else {
        return;
    };
    let present: Value = serde_json::from_slice(
        &std::fs::read(dir.join("generated/present-trace-ids.json")).unwrap(),
    )
    .unwrap();
    let present = present.as_array().unwrap();
    let limits = Limits::default();
    for file in [
        "generated/input-traces.otlp.jsonl.gz",
        "generated/vParquet5/readback-traces.otlp.jsonl.gz",
        "generated/vParquet4/readback-traces.otlp.jsonl.gz",
    ] {
        let lines = jsonl(&dir.join(file));
        assert_eq!(lines.len(), present.len(), "{file}");
        let mut spans = 0;
        for ((trace_id, value), expected) in lines.iter().zip(present) {
            let text = serde_json::to_vec(value).unwrap();
            let request = decode_traces_json(&text, &limits).unwrap();
            let data = TracesData {
                resource_spans: request.resource_spans,
            };
            let n = span_count(&data);
            spans += n;
            assert_eq!(expected["traceID"].as_str().unwrap(), trace_id, "{file}");
            assert_eq!(
                u64::try_from(n).unwrap(),
                expected["spanCount"].as_u64().unwrap(),
                "{file} {trace_id}"
            );
            // Every span carries this trace's ID.
            let id = TraceId::parse_hex(trace_id).unwrap();
            for rs in &data.resource_spans {
                for ss in &rs.scope_spans {
                    for s in &ss.spans {
                        assert_eq!(TraceId::from_slice(&s.trace_id).unwrap(), id);
                    }
                }
            }
            // Our OTLP/JSON is the same document, field by field.
            let ours: Value =
                serde_json::from_slice(&encode_traces_json(&data.resource_spans, JsonStyle::Otlp))
                    .unwrap();
            if let Err(diff) = same_json(&ours, value, "trace") {
                panic!("{file} {trace_id}: {diff}");
            }
            // Protobuf round trip is lossless.
            let bytes = data.encode_to_vec();
            assert_eq!(decode_traces_data(&bytes, &limits).unwrap(), data);
        }
        // (present-trace-ids.json sums to 8275 spans; the vectors' README says 8379.)
        let expected: u64 = present
            .iter()
            .map(|p| p["spanCount"].as_u64().unwrap())
            .sum();
        assert_eq!(u64::try_from(spans).unwrap(), expected, "{file}");
    }
}

#[test]
fn tempo_trace_by_id_responses_decode_and_reencode_field_by_field() {
    let Some(dir) = tempo_dir("tempo_trace_by_id_responses_decode_and_reencode_field_by_field")
    else {
        return;
    };
    let dir = dir.join("api-samples");
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap();
    let limits = Limits::default();

    let v1_json = read("trace-v1.json");
    let v1_pb = read("trace-v1.pb");
    let v2_json = read("trace-v2.json");
    let v2_pb = read("trace-v2.pb");

    let from_json = decode_trace_v1_json(&v1_json, &limits).unwrap();
    let from_pb = decode_trace_v1_protobuf(&v1_pb, &limits).unwrap();
    assert_eq!(
        from_json, from_pb,
        "v1 JSON and protobuf hold the same trace"
    );
    assert!(span_count(&from_pb) > 0);

    let v2_from_json = decode_trace_v2_json(&v2_json, &limits).unwrap();
    let v2_from_pb = decode_trace_v2_protobuf(&v2_pb, &limits).unwrap();
    assert_eq!(v2_from_json, v2_from_pb, "v2 JSON and protobuf agree");
    assert_eq!(v2_from_pb.trace.as_ref(), Some(&from_pb));
    assert_eq!(v2_from_pb.metrics.as_ref().unwrap().inspected_bytes, 46_954);

    // Encoders: protobuf byte for byte, JSON field by field.
    assert_eq!(trace_v1_protobuf(&from_pb), v1_pb);
    assert_eq!(trace_v2_protobuf(&v2_from_pb), v2_pb);
    let parse = |b: &[u8]| serde_json::from_slice::<Value>(b).unwrap();
    same_json(&parse(&trace_v1_json(&from_pb)), &parse(&v1_json), "v1").unwrap();
    same_json(&parse(&trace_v2_json(&v2_from_pb)), &parse(&v2_json), "v2").unwrap();

    // Not found: v1 is an empty 404 body; v2 an empty trace with empty metrics.
    assert!(read("trace-v1-notfound.txt").is_empty());
    assert_eq!(
        trace_v2_json(&TraceByIdResponse::not_found()),
        read("trace-v2-notfound.txt")
    );
}
