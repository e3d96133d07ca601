#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported
//! Replays every committed fuzz seed and crash regression through the fuzz entry points, and
//! (ignored) regenerates the seed corpora from this crate's own encoders.

use otlp_model::fuzzing;
use otlp_model::json::{JsonStyle, encode_logs_json, encode_traces_json};
use otlp_model::proto::common::{AnyValue, KeyValue, KeyValueList, any_value::Value};
use otlp_model::proto::logs::{LogRecord, ResourceLogs, ScopeLogs};
use otlp_model::proto::trace::span::{Event, Link};
use otlp_model::proto::trace::{ResourceSpans, ScopeSpans, Span, Status, TracesData};
use otlp_model::tempo_api::{TraceByIdMetrics, TraceByIdResponse, trace_v2_json};
use prost::Message;

const TARGETS: [&str; 4] = ["otlp_protobuf", "otlp_json", "zipkin_json", "jaeger_thrift"];

#[test]
fn replay_fuzz_inputs() {
    for target in TARGETS {
        let inputs = testkit::fuzz_inputs(target);
        assert!(!inputs.is_empty(), "{target}");
        for (path, bytes) in inputs {
            eprintln!("replaying {}", path.display());
            match target {
                "otlp_protobuf" => fuzzing::otlp_protobuf(&bytes),
                "otlp_json" => fuzzing::otlp_json(&bytes),
                "zipkin_json" => fuzzing::zipkin_json(&bytes),
                _ => fuzzing::jaeger_thrift(&bytes),
            }
            // The seeds written by this file must decode (so the fuzzer starts from valid input).
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let limits = otlp_model::Limits::default();
            match (target, name.as_str()) {
                ("zipkin_json", "spans") => {
                    otlp_model::zipkin::decode_spans(&bytes, &limits).unwrap();
                }
                ("jaeger_thrift", "binary_batch") => {
                    otlp_model::jaeger::decode_batch(&bytes, otlp_model::Protocol::Binary, &limits)
                        .unwrap();
                }
                ("jaeger_thrift", "binary_datagram" | "compact_datagram") => {
                    otlp_model::jaeger::decode_agent_datagram(&bytes, &limits).unwrap();
                }
                ("otlp_json", "traces_otlp" | "traces_tempo") => {
                    otlp_model::json::decode_traces_json(&bytes, &limits).unwrap();
                }
                _ => {}
            }
        }
    }
}

fn kv(key: &str, value: Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

fn sample_trace() -> TracesData {
    let span = Span {
        trace_id: (0..16).collect(),
        span_id: vec![9; 8],
        parent_span_id: vec![8; 8],
        name: "GET /items".into(),
        kind: 2,
        start_time_unix_nano: 1_700_000_000_000_000_000,
        end_time_unix_nano: 1_700_000_000_500_000_000,
        attributes: vec![
            kv("http.method", Value::StringValue("GET".into())),
            kv("http.status_code", Value::IntValue(200)),
            kv("ratio", Value::DoubleValue(0.5)),
            kv("ok", Value::BoolValue(true)),
            kv("raw", Value::BytesValue(vec![0, 1, 2])),
            kv(
                "nested",
                Value::KvlistValue(KeyValueList {
                    values: vec![kv("inner", Value::IntValue(-1))],
                }),
            ),
        ],
        events: vec![Event {
            time_unix_nano: 1_700_000_000_100_000_000,
            name: "retry".into(),
            ..Default::default()
        }],
        links: vec![Link {
            trace_id: vec![1; 16],
            span_id: vec![2; 8],
            ..Default::default()
        }],
        status: Some(Status {
            message: "boom".into(),
            code: 2,
        }),
        ..Default::default()
    };
    TracesData {
        resource_spans: vec![ResourceSpans {
            resource: Some(otlp_model::proto::resource::Resource {
                attributes: vec![kv("service.name", Value::StringValue("shop".into()))],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans: vec![span],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// A Jaeger `Batch` in the binary protocol: process "svc", one span with a string tag.
fn jaeger_binary_batch() -> Vec<u8> {
    let mut b = vec![0x0c, 0, 1, 0x0b, 0, 1, 0, 0, 0, 3, b's', b'v', b'c', 0];
    b.extend_from_slice(&[0x0f, 0, 2, 0x0c, 0, 0, 0, 1]);
    for (id, v) in [(1u8, 1i64), (2, 0), (3, 2), (4, 0)] {
        b.extend_from_slice(&[0x0a, 0, id]);
        b.extend_from_slice(&v.to_be_bytes());
    }
    b.extend_from_slice(&[0x0b, 0, 5, 0, 0, 0, 2, b'o', b'p', 0x08, 0, 7, 0, 0, 0, 1]);
    for (id, v) in [(8u8, 10i64), (9, 5)] {
        b.extend_from_slice(&[0x0a, 0, id]);
        b.extend_from_slice(&v.to_be_bytes());
    }
    // tags: [{key "error", vType BOOL(2), vBool true}]
    b.extend_from_slice(&[0x0f, 0, 10, 0x0c, 0, 0, 0, 1]);
    b.extend_from_slice(&[0x0b, 0, 1, 0, 0, 0, 5, b'e', b'r', b'r', b'o', b'r']);
    b.extend_from_slice(&[0x08, 0, 2, 0, 0, 0, 2, 0x02, 0, 5, 1, 0]);
    b.extend_from_slice(&[0, 0]);
    b
}

#[test]
#[ignore = "rewrites fuzz/corpus from this crate's encoders"]
fn write_seed_corpus() {
    let trace = sample_trace();
    testkit::write_seed("otlp_protobuf", "trace_request", &trace.encode_to_vec());
    let logs = ResourceLogs {
        scope_logs: vec![ScopeLogs {
            log_records: vec![LogRecord {
                time_unix_nano: 1,
                severity_number: 9,
                body: Some(AnyValue {
                    value: Some(Value::StringValue("hello".into())),
                }),
                trace_id: vec![3; 16],
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    };
    testkit::write_seed(
        "otlp_protobuf",
        "logs_request",
        &otlp_model::proto::logs::LogsData {
            resource_logs: vec![logs.clone()],
        }
        .encode_to_vec(),
    );
    let response = TraceByIdResponse::found(
        trace.clone(),
        TraceByIdMetrics {
            inspected_bytes: 100,
            ..Default::default()
        },
    );
    testkit::write_seed("otlp_protobuf", "tempo_v2", &response.encode_to_vec());

    let otlp = encode_traces_json(&trace.resource_spans, JsonStyle::Otlp);
    testkit::write_seed("otlp_json", "traces_otlp", &otlp);
    let tempo = encode_traces_json(&trace.resource_spans, JsonStyle::Tempo);
    testkit::write_seed("otlp_json", "traces_tempo", &tempo);
    testkit::write_seed(
        "otlp_json",
        "logs",
        &encode_logs_json(&[logs], JsonStyle::Otlp),
    );
    testkit::write_seed("otlp_json", "tempo_v2", &trace_v2_json(&response));
    testkit::write_seed(
        "otlp_json",
        "partial_success",
        br#"{"partialSuccess":{"rejectedSpans":"2","errorMessage":"x"}}"#,
    );

    testkit::write_seed(
        "zipkin_json",
        "spans",
        br#"[{"traceId":"5af7183fb1d4cf5f","id":"352bff9a74ca9ad2","parentId":"6b221d5bc9e6496c","name":"get /api","kind":"SERVER","timestamp":1556604172355737,"duration":1431,"localEndpoint":{"serviceName":"backend","ipv4":"192.168.99.1","port":3306},"remoteEndpoint":{"ipv6":"::1","port":80},"annotations":[{"timestamp":1556604172355800,"value":"ev|{\"k\":1}|0"}],"tags":{"http.method":"GET","otel.library.name":"lib","error":"true","otlp.link.0":"0102030405060708090a0b0c0d0e0f10|1112131415161718|ts|{}|0"}},null]"#,
    );

    let batch = jaeger_binary_batch();
    testkit::write_seed("jaeger_thrift", "binary_batch", &batch);
    let mut datagram = vec![0x80, 0x01, 0x00, 0x04, 0, 0, 0, 9];
    datagram.extend_from_slice(b"emitBatch");
    datagram.extend_from_slice(&[0, 0, 0, 1, 0x0c, 0, 1]);
    datagram.extend_from_slice(&batch);
    datagram.push(0);
    testkit::write_seed("jaeger_thrift", "binary_datagram", &datagram);
    let mut compact = vec![0x82, 0x21, 0x01, 0x09];
    compact.extend_from_slice(b"emitBatch");
    compact.extend_from_slice(&[
        0x1c, 0x1c, 0x18, 0x01, b's', 0x29, 0x1c, 0x18, 0x01, b'k', 0x15, 0x00, 0x18, 0x01, b'v',
        0x00, 0x00, 0x19, 0x0c, 0x00, 0x00,
    ]);
    testkit::write_seed("jaeger_thrift", "compact_datagram", &compact);
}
