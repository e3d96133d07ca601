#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported
//! Properties: combining is idempotent, order-insensitive after sorting and never loses a
//! distinct span; every JSON dialect and protobuf round-trip.

use std::collections::BTreeSet;

use otlp_model::combine::{combine, sort_trace, span_token};
use otlp_model::json::{JsonStyle, decode_traces_json, encode_traces_json};
use otlp_model::proto::common::{AnyValue, InstrumentationScope, KeyValue, any_value::Value};
use otlp_model::proto::resource::Resource;
use otlp_model::proto::trace::span::{Event, Link};
use otlp_model::proto::trace::{ResourceSpans, ScopeSpans, Span, Status, TracesData};
use otlp_model::{Limits, decode_trace_request};
use proptest::prelude::*;
use prost::Message;

/// A span whose content is a function of (id, kind), so duplicates are true duplicates.
fn span(id: u8, kind: i32) -> Span {
    Span {
        trace_id: vec![7; 16],
        span_id: vec![id; 8],
        kind,
        name: format!("op-{id}"),
        start_time_unix_nano: u64::from(id % 5) * 1000 + u64::try_from(kind).unwrap(),
        end_time_unix_nano: 10_000,
        ..Default::default()
    }
}

/// A partial trace: groups of (resource, scope) each holding some spans.
fn partial() -> impl Strategy<Value = TracesData> {
    prop::collection::vec(
        (
            0u8..3,
            prop::collection::vec(
                (0u8..3, prop::collection::vec((0u8..24, 0i32..6), 0..6)),
                0..3,
            ),
        ),
        0..4,
    )
    .prop_map(|resources| TracesData {
        resource_spans: resources
            .into_iter()
            .map(|(r, scopes)| ResourceSpans {
                resource: Some(Resource {
                    attributes: vec![KeyValue {
                        key: "service.name".into(),
                        value: Some(AnyValue {
                            value: Some(Value::StringValue(format!("svc-{r}"))),
                        }),
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
                scope_spans: scopes
                    .into_iter()
                    .map(|(s, spans)| ScopeSpans {
                        scope: Some(InstrumentationScope {
                            name: format!("scope-{s}"),
                            ..Default::default()
                        }),
                        spans: spans.into_iter().map(|(id, k)| span(id, k)).collect(),
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            })
            .collect(),
    })
}

fn tokens(t: &TracesData) -> BTreeSet<u64> {
    t.resource_spans
        .iter()
        .flat_map(|rs| &rs.scope_spans)
        .flat_map(|ss| &ss.spans)
        .map(|s| span_token(&s.span_id, s.kind))
        .collect()
}

/// The distinct spans, in a canonical order.
fn distinct_spans(t: &TracesData) -> Vec<Vec<u8>> {
    let mut seen = BTreeSet::new();
    t.resource_spans
        .iter()
        .flat_map(|rs| &rs.scope_spans)
        .flat_map(|ss| &ss.spans)
        .filter(|s| seen.insert(span_token(&s.span_id, s.kind)))
        .map(Message::encode_to_vec)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn combining_never_loses_a_distinct_span(parts in prop::collection::vec(partial(), 1..5)) {
        let union: BTreeSet<u64> = parts.iter().flat_map(tokens).collect();
        let combined = combine(parts).unwrap();
        prop_assert_eq!(tokens(&combined), union);
    }

    #[test]
    fn combining_is_idempotent(parts in prop::collection::vec(partial(), 1..5)) {
        // A single input comes back as given (unsorted, as Tempo does); sort to compare.
        let mut once = combine(parts).unwrap();
        sort_trace(&mut once);
        let twice = combine([once.clone(), once.clone()]).unwrap();
        prop_assert_eq!(twice, once);
    }

    #[test]
    fn combining_is_order_insensitive_after_sorting(parts in prop::collection::vec(partial(), 1..5)) {
        let forward = combine(parts.clone()).unwrap();
        let backward = combine(parts.into_iter().rev()).unwrap();
        prop_assert_eq!(distinct_spans(&forward), distinct_spans(&backward));
    }

    #[test]
    fn json_and_protobuf_round_trip(
        data in partial(),
        attr in any::<i64>(),
        double in any::<f64>(),
        text in ".{0,12}",
        bytes in prop::collection::vec(any::<u8>(), 0..12),
        code in 0i32..3,
    ) {
        let mut data = data;
        for rs in &mut data.resource_spans {
            for ss in &mut rs.scope_spans {
                for s in &mut ss.spans {
                    s.attributes = vec![
                        kv("i", Value::IntValue(attr)),
                        kv("d", Value::DoubleValue(double)),
                        kv("s", Value::StringValue(text.clone())),
                        kv("b", Value::BytesValue(bytes.clone())),
                    ];
                    s.events = vec![Event { time_unix_nano: 5, name: text.clone(), ..Default::default() }];
                    s.links = vec![Link { trace_id: vec![1; 16], span_id: vec![2; 8], ..Default::default() }];
                    s.status = Some(Status { message: text.clone(), code });
                }
            }
        }
        let limits = Limits::default();
        for style in [JsonStyle::Otlp, JsonStyle::Tempo] {
            let json = encode_traces_json(&data.resource_spans, style);
            let back = decode_traces_json(&json, &limits).unwrap();
            // NaN never equals itself: compare the encodings instead.
            prop_assert_eq!(encode_traces_json(&back.resource_spans, style), json);
        }
        let request = decode_trace_request(&data.encode_to_vec(), &limits).unwrap();
        prop_assert_eq!(request.encode_to_vec(), data.encode_to_vec());
    }
}

fn kv(key: &str, value: Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}
