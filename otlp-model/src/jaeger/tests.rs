//! Jaeger conversion tests over batches built with a small binary/compact Thrift writer.
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap,
    clippy::cast_lossless
)] // the test writer encodes Thrift bit patterns

use super::*;
use crate::proto::common::KeyValue;

use testkit::thrift::{T_DOUBLE, T_I32, T_LIST, T_STRUCT, ThriftWriter as W};

enum TagV<'a> {
    S(&'a str),
    D(f64),
    B(bool),
    L(i64),
}

fn tag(w: &mut W, key: &str, v: &TagV<'_>) {
    w.begin();
    w.str_field(1, key);
    let (ty, id) = match v {
        TagV::S(_) => (0, 3),
        TagV::D(_) => (1, 4),
        TagV::B(_) => (2, 5),
        TagV::L(_) => (3, 6),
    };
    w.field(T_I32, 2);
    w.i32(ty);
    match v {
        TagV::S(s) => w.str_field(id, s),
        TagV::D(d) => w.field(T_DOUBLE, id).double(*d),
        TagV::B(b) => w.bool_field(id, *b),
        TagV::L(l) => w.i64_field(id, *l),
    };
    w.end();
}

struct TestSpan<'a> {
    parent: i64,
    refs: Vec<(i32, i64, i64, i64)>,
    tags: Vec<(&'a str, TagV<'a>)>,
    logs: Vec<(i64, Vec<(&'a str, TagV<'a>)>)>,
}

fn batch(compact: bool, process_tags: &[(&str, TagV<'_>)], spans: &[TestSpan<'_>]) -> Vec<u8> {
    let mut w = W::new(compact);
    w.begin();
    w.field(T_STRUCT, 1);
    w.begin();
    w.str_field(1, "svc");
    w.field(T_LIST, 2);
    w.list(T_STRUCT, process_tags.len());
    for (k, v) in process_tags {
        tag(&mut w, k, v);
    }
    w.end();
    w.field(T_LIST, 2);
    w.list(T_STRUCT, spans.len());
    for (i, s) in spans.iter().enumerate() {
        w.begin();
        w.i64_field(1, 0x1111);
        w.i64_field(2, 0x2222);
        w.i64_field(3, i as i64 + 1);
        w.i64_field(4, s.parent);
        w.str_field(5, "op");
        if !s.refs.is_empty() {
            w.field(T_LIST, 6);
            w.list(T_STRUCT, s.refs.len());
            for &(t, low, high, id) in &s.refs {
                w.begin();
                w.field(T_I32, 1);
                w.i32(t);
                w.i64_field(2, low);
                w.i64_field(3, high);
                w.i64_field(4, id);
                w.end();
            }
        }
        w.field(T_I32, 7);
        w.i32(1);
        w.i64_field(8, 1_000_000);
        w.i64_field(9, 250);
        w.field(T_LIST, 10);
        w.list(T_STRUCT, s.tags.len());
        for (k, v) in &s.tags {
            tag(&mut w, k, v);
        }
        w.field(T_LIST, 11);
        w.list(T_STRUCT, s.logs.len());
        for (ts, fields) in &s.logs {
            w.begin();
            w.i64_field(1, *ts);
            w.field(T_LIST, 2);
            w.list(T_STRUCT, fields.len());
            for (k, v) in fields {
                tag(&mut w, k, v);
            }
            w.end();
        }
        w.end();
    }
    w.end();
    w.out
}

fn attr<'a>(kvs: &'a [KeyValue], key: &str) -> Option<&'a Value> {
    kvs.iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref()?.value.as_ref())
}

fn sample_spans() -> Vec<TestSpan<'static>> {
    vec![
        TestSpan {
            parent: 0,
            refs: vec![],
            tags: vec![
                ("span.kind", TagV::S("server")),
                ("error", TagV::B(true)),
                ("otel.status_description", TagV::S("boom")),
                ("http.status_code", TagV::L(500)),
                ("ratio", TagV::D(0.25)),
            ],
            logs: vec![(
                1_000_100,
                vec![("event", TagV::S("retry")), ("attempt", TagV::L(2))],
            )],
        },
        TestSpan {
            parent: 0,
            refs: vec![(1, 0x1111, 0x2222, 1), (0, 0x1111, 0x2222, 1), (0, 9, 9, 7)],
            tags: vec![
                ("span.kind", TagV::S("client")),
                ("http.status_code", TagV::S("404")),
                ("http.status_message", TagV::S("Not Found")),
            ],
            logs: vec![],
        },
    ]
}

#[test]
fn binary_and_compact_decode_to_the_same_spans() {
    let tags = [
        ("hostname", TagV::S("box")),
        ("jaeger.version", TagV::S("Go-2.30")),
        ("ip", TagV::S("10.0.0.1")),
    ];
    let spans = sample_spans();
    let a = decode_batch(
        &batch(false, &tags, &spans),
        Protocol::Binary,
        &Limits::default(),
    )
    .unwrap();
    let b = decode_batch(
        &batch(true, &tags, &spans),
        Protocol::Compact,
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(a, b);

    let resource = a.resource.as_ref().unwrap();
    let keys: Vec<&str> = resource
        .attributes
        .iter()
        .map(|kv| kv.key.as_str())
        .collect();
    // hostname → host.name and jaeger.version → opencensus.exporterversion: each new key is
    // appended, then the old one removed by moving the last entry into its slot.
    assert_eq!(
        keys,
        [
            "service.name",
            "host.name",
            "opencensus.exporterversion",
            "ip"
        ][..]
    );
    assert_eq!(
        attr(&resource.attributes, "opencensus.exporterversion"),
        Some(&Value::StringValue("Jaeger-Go-2.30".into()))
    );

    let spans = &a.scope_spans[0].spans;
    let root = &spans[0];
    assert_eq!(
        root.trace_id,
        [0x2222u64.to_be_bytes(), 0x1111u64.to_be_bytes()].concat()
    );
    assert_eq!(root.kind, SpanKind::Server as i32);
    assert_eq!(root.start_time_unix_nano, 1_000_000_000);
    assert_eq!(root.end_time_unix_nano, 1_000_250_000);
    let status = root.status.as_ref().unwrap();
    assert_eq!(
        (status.code, status.message.as_str()),
        (StatusCode::Error as i32, "boom")
    );
    assert!(attr(&root.attributes, "error").is_none());
    assert!(attr(&root.attributes, "span.kind").is_none());
    assert_eq!(
        attr(&root.attributes, "ratio"),
        Some(&Value::DoubleValue(0.25))
    );
    assert_eq!(root.events[0].name, "retry");
    assert_eq!(root.events[0].time_unix_nano, 1_000_100_000);
    assert_eq!(root.events[0].attributes.len(), 1);

    // Child: parent from the first same-trace CHILD_OF; the FOLLOWS_FROM and the other
    // trace's CHILD_OF stay links; a 404 on a client span is an error.
    let child = &spans[1];
    assert_eq!(child.parent_span_id, 1i64.to_be_bytes());
    assert_eq!(child.links.len(), 2);
    assert_eq!(
        attr(&child.links[0].attributes, "opentracing.ref_type"),
        Some(&Value::StringValue("follows_from".into()))
    );
    assert_eq!(child.links[1].span_id, 7i64.to_be_bytes());
    let status = child.status.as_ref().unwrap();
    assert_eq!(
        (status.code, status.message.as_str()),
        (StatusCode::Error as i32, "Not Found")
    );
}

#[test]
fn agent_datagrams_in_both_protocols() {
    let body = batch(true, &[], &sample_spans());
    let mut compact = vec![0x82, 0x81, 0x00, 0x09];
    compact.extend_from_slice(b"emitBatch");
    compact.push(0x1c);
    compact.extend_from_slice(&body);
    compact.push(0);
    let AgentCall::EmitBatch(rs) = decode_agent_datagram(&compact, &Limits::default()).unwrap()
    else {
        panic!("expected a batch");
    };
    assert_eq!(rs.scope_spans[0].spans.len(), 2);

    let body = batch(false, &[], &sample_spans());
    let mut binary = vec![0x80, 0x01, 0x00, 0x04, 0, 0, 0, 9];
    binary.extend_from_slice(b"emitBatch");
    binary.extend_from_slice(&[0, 0, 0, 1, 12, 0, 1]);
    binary.extend_from_slice(&body);
    binary.push(0);
    assert_eq!(
        decode_agent_datagram(&binary, &Limits::default()).unwrap(),
        AgentCall::EmitBatch(rs)
    );

    let mut other = vec![0x82, 0x21, 0x01, 0x0f];
    other.extend_from_slice(b"emitZipkinBatch");
    assert_eq!(
        decode_agent_datagram(&other, &Limits::default()).unwrap(),
        AgentCall::EmitZipkinBatch
    );
}

#[test]
fn truncation_and_missing_fields_are_typed_errors() {
    let body = batch(false, &[], &sample_spans());
    for cut in [0, 1, 5, body.len() / 2, body.len() - 1] {
        let err = decode_batch(&body[..cut], Protocol::Binary, &Limits::default()).unwrap_err();
        assert!(matches!(err, ModelError::Thrift { .. }), "{cut}: {err}");
    }
    // A batch with only spans: process is required.
    let err = decode_batch(
        &[15, 0, 2, 12, 0, 0, 0, 0, 0],
        Protocol::Binary,
        &Limits::default(),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            ModelError::Thrift {
                reason: ThriftReason::MissingField("Batch.process"),
                ..
            }
        ),
        "{err}"
    );
    let err = decode_batch(&body, Protocol::Binary, &Limits::new(10)).unwrap_err();
    assert!(matches!(err, ModelError::TooLarge { .. }));
}
