//! Entry points of the fuzz targets in `fuzz/`, kept here so that `cargo test` replays every
//! committed seed and crash input through exactly the code the fuzzer runs.
//!
//! Each function must never panic on any input; it panics only when a promise of the
//! decoders is broken (something that decoded does not survive a round trip).

use prost::Message;

use crate::json::{JsonStyle, decode_logs_json, decode_traces_json, encode_logs_json};
use crate::json::{decode_trace_response_json, encode_traces_json};
use crate::limits::Limits;
use crate::thrift::Protocol;
use crate::{jaeger, tempo_api, zipkin};

/// OTLP protobuf: trace and logs requests, Tempo's v2 response. What decodes re-encodes to
/// bytes that decode to the same message.
///
/// # Panics
///
/// When a decoded message does not survive encode → decode.
pub fn otlp_protobuf(data: &[u8]) {
    let limits = Limits::default();
    if let Ok(req) = crate::decode_trace_request(data, &limits) {
        let again = crate::decode_trace_request(&req.encode_to_vec(), &limits);
        assert_eq!(again.as_ref().ok(), Some(&req), "trace request round trip");
    }
    if let Ok(req) = crate::decode_logs_request(data, &limits) {
        let again = crate::decode_logs_request(&req.encode_to_vec(), &limits);
        assert_eq!(again.as_ref().ok(), Some(&req), "logs request round trip");
    }
    let _ = tempo_api::decode_trace_v2_protobuf(data, &limits);
}

/// OTLP/JSON traces and logs, response bodies and Tempo's v1/v2 JSON. What decodes is
/// encoded in both dialects; each encoding decodes and re-encodes to itself.
///
/// # Panics
///
/// When an encoding of decoded data does not decode, or does not re-encode identically.
pub fn otlp_json(data: &[u8]) {
    let limits = Limits::default();
    if let Ok(req) = decode_traces_json(data, &limits) {
        for style in [JsonStyle::Otlp, JsonStyle::Tempo] {
            let json = encode_traces_json(&req.resource_spans, style);
            let back = decode_traces_json(&json, &limits).expect("our JSON decodes");
            assert_eq!(
                encode_traces_json(&back.resource_spans, style),
                json,
                "JSON re-encodes identically"
            );
        }
    }
    if let Ok(req) = decode_logs_json(data, &limits) {
        let json = encode_logs_json(&req.resource_logs, JsonStyle::Otlp);
        let back = decode_logs_json(&json, &limits).expect("our JSON decodes");
        assert_eq!(encode_logs_json(&back.resource_logs, JsonStyle::Otlp), json);
    }
    let _ = decode_trace_response_json(data, &limits);
    if let Ok(resp) = tempo_api::decode_trace_v2_json(data, &limits) {
        let json = tempo_api::trace_v2_json(&resp);
        let back = tempo_api::decode_trace_v2_json(&json, &limits).expect("our JSON decodes");
        assert_eq!(tempo_api::trace_v2_json(&back), json);
    }
}

/// Zipkin v2 JSON span lists.
///
/// # Panics
///
/// When converted spans break the model's invariants (IDs of the wrong length).
pub fn zipkin_json(data: &[u8]) {
    if let Ok(resource_spans) = zipkin::decode_spans(data, &Limits::default()) {
        for rs in &resource_spans {
            for ss in &rs.scope_spans {
                for s in &ss.spans {
                    assert_eq!(s.trace_id.len(), 16);
                    assert_eq!(s.span_id.len(), 8);
                    assert!(s.parent_span_id.is_empty() || s.parent_span_id.len() == 8);
                }
            }
        }
    }
}

/// Jaeger Thrift: a bare `Batch` in both protocols and an agent datagram.
///
/// # Panics
///
/// When converted spans break the model's invariants (IDs of the wrong length).
pub fn jaeger_thrift(data: &[u8]) {
    let limits = Limits::default();
    let check = |rs: &crate::proto::trace::ResourceSpans| {
        for ss in &rs.scope_spans {
            for s in &ss.spans {
                assert_eq!(s.trace_id.len(), 16);
                assert_eq!(s.span_id.len(), 8);
            }
        }
    };
    for protocol in [Protocol::Binary, Protocol::Compact] {
        if let Ok(rs) = jaeger::decode_batch(data, protocol, &limits) {
            check(&rs);
        }
    }
    if let Ok(jaeger::AgentCall::EmitBatch(rs)) = jaeger::decode_agent_datagram(data, &limits) {
        check(&rs);
    }
}
