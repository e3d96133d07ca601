//! Zipkin mapping tests.

use super::*;

fn decode(body: &str) -> Result<Vec<ResourceSpans>, ModelError> {
    decode_spans(body.as_bytes(), &Limits::default())
}

fn attr<'a>(kvs: &'a [KeyValue], key: &str) -> Option<&'a Value> {
    kvs.iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref()?.value.as_ref())
}

fn s(v: &str) -> Value {
    Value::StringValue(v.to_owned())
}

#[test]
fn groups_by_service_then_library_and_builds_resources() {
    let body = r#"[
      {"traceId":"1","id":"a","name":"b1","localEndpoint":{"serviceName":"beta"},
       "tags":{"host.name":"h1","otel.library.name":"lib2","otel.library.version":"2.0","x":"1"}},
      {"traceId":"1","id":"b","name":"a1","localEndpoint":{"serviceName":"alpha"},
       "tags":{"otlp.service.name.source":"my.service","k8s.pod.name":"pod-1"}},
      {"traceId":"1","id":"c","name":"b2","localEndpoint":{"serviceName":"beta"},
       "tags":{"host.name":"h2","y":"2"}},
      null,
      {"traceId":"1","id":"d","name":"none"}
    ]"#;
    let out = decode(body).unwrap();
    assert_eq!(out.len(), 3);
    // Sorted: "OTLPResourceNoServiceName" < "alpha" < "beta".
    assert!(out[0].resource.as_ref().unwrap().attributes.is_empty());
    let alpha = &out[1].resource.as_ref().unwrap().attributes;
    assert_eq!(attr(alpha, "my.service"), Some(&s("alpha")));
    assert_eq!(attr(alpha, "k8s.pod.name"), Some(&s("pod-1")));
    assert!(attr(&out[1].scope_spans[0].spans[0].attributes, "k8s.pod.name").is_none());

    let beta = &out[2];
    // b2 (no library) sorts before b1 (lib2); the resource comes from b2's tags.
    assert_eq!(
        attr(&beta.resource.as_ref().unwrap().attributes, "host.name"),
        Some(&s("h2"))
    );
    assert_eq!(beta.scope_spans.len(), 2);
    assert_eq!(beta.scope_spans[0].spans[0].name, "b2");
    let scope = beta.scope_spans[1].scope.as_ref().unwrap();
    assert_eq!(
        (scope.name.as_str(), scope.version.as_str()),
        ("lib2", "2.0")
    );
    let b1 = &beta.scope_spans[1].spans[0];
    // host.name on a later span of the service is dropped, not kept as an attribute.
    assert!(attr(&b1.attributes, "host.name").is_none());
    assert_eq!(attr(&b1.attributes, "x"), Some(&s("1")));
}

#[test]
fn ids_kinds_status_endpoints_and_times() {
    let body = r#"[{"traceId":"463ac35c9f6413ad48485a3953bb6124","id":"0000000000000abc",
      "parentId":"0000000000000abc","name":"get","kind":"CLIENT","timestamp":10,"duration":5,
      "localEndpoint":{"serviceName":"fe","ipv6":"::ffff:10.0.0.1","port":8080},
      "remoteEndpoint":{"serviceName":"db","ipv4":"10.0.0.2","port":5432},
      "tags":{"otel.status_code":"STATUS_CODE_ERROR","otel.status_description":"broke",
              "error":"true","w3c.tracestate":"a=b","span.kind":"server"}}]"#;
    let out = decode(body).unwrap();
    let span = &out[0].scope_spans[0].spans[0];
    assert_eq!(span.trace_id[0], 0x46);
    assert!(
        span.parent_span_id.is_empty(),
        "a parent equal to the ID is dropped"
    );
    assert_eq!(span.kind, SpanKind::Client as i32);
    assert_eq!(span.trace_state, "a=b");
    assert_eq!(
        (span.start_time_unix_nano, span.end_time_unix_nano),
        (10_000, 15_000)
    );
    let status = span.status.as_ref().unwrap();
    assert_eq!((status.code, status.message.as_str()), (2, "broke"));
    assert_eq!(
        attr(&span.attributes, "network.local.address"),
        Some(&s("10.0.0.1"))
    );
    assert_eq!(
        attr(&span.attributes, "net.host.port"),
        Some(&Value::IntValue(8080))
    );
    assert_eq!(attr(&span.attributes, "service.peer.name"), Some(&s("db")));
    assert_eq!(
        attr(&span.attributes, "network.peer.address"),
        Some(&s("10.0.0.2"))
    );
    assert_eq!(
        attr(&span.attributes, "net.peer.port"),
        Some(&Value::IntValue(5432))
    );
    // With a Zipkin kind, a span.kind tag stays an attribute.
    assert_eq!(attr(&span.attributes, "span.kind"), Some(&s("server")));
    assert!(attr(&span.attributes, "error").is_none());
}

#[test]
fn annotations_links_and_absent_timestamps() {
    let body = r#"[{"traceId":"ab","id":"1","kind":"internal",
      "annotations":[{"timestamp":7,"value":"plain"},
                     {"timestamp":8,"value":"ev|{\"n\":3,\"f\":1.5,\"b\":true,\"s\":\"x\",\"z\":null}|2"},
                     {"timestamp":9,"value":"a|b"}],
      "tags":{"otlp.link.0":"0102030405060708090a0b0c0d0e0f10|1112131415161718|ts|{\"k\":\"v\"}|4",
              "otlp.link.1":"short|x","otlp.link.3":"never|read|x|{}|0","span.kind":"internal",
              "error":"maybe"}}]"#;
    let out = decode(body).unwrap();
    let span = &out[0].scope_spans[0].spans[0];
    assert_eq!(span.kind, SpanKind::Internal as i32);
    assert_eq!(span.trace_id, [[0u8; 15].as_slice(), &[0xab]].concat());
    assert_eq!(span.start_time_unix_nano, 0);
    assert_eq!(
        attr(&span.attributes, "otel.zipkin.absentField.startTime"),
        Some(&Value::BoolValue(true))
    );
    // Any error tag sets ERROR; only "true" is consumed.
    assert_eq!(span.status.as_ref().unwrap().code, 2);
    assert_eq!(attr(&span.attributes, "error"), Some(&s("maybe")));
    assert_eq!(span.events.len(), 3);
    assert_eq!(span.events[0].name, "plain");
    assert_eq!(span.events[1].name, "ev");
    assert_eq!(span.events[1].attributes.len(), 4);
    assert_eq!(span.events[1].dropped_attributes_count, 2);
    assert_eq!(span.events[2].name, "a");
    assert!(span.events[2].attributes.is_empty());
    // link.0 parsed, link.1 skipped (too few parts), reading stopped at the gap before 3.
    assert_eq!(span.links.len(), 1);
    assert_eq!(span.links[0].trace_state, "ts");
    assert_eq!(span.links[0].dropped_attributes_count, 4);
    assert!(attr(&span.attributes, "otlp.link.3").is_some());
}

#[test]
fn invalid_input_is_a_typed_error_naming_the_span() {
    for (body, field) in [
        (r#"[{"id":"1"}]"#, "spans[0].traceId"),
        (r#"[{"traceId":"","id":"1"}]"#, "spans[0].traceId"),
        (r#"[{"traceId":"0","id":"1"}]"#, "spans[0].traceId"),
        (
            r#"[{"traceId":"1"},{"traceId":"1","id":"0"}]"#,
            "spans[0].id",
        ),
        (
            r#"[{"traceId":"1","id":"1"},{"traceId":"1","id":"0"}]"#,
            "spans[1].id",
        ),
        (
            r#"[{"traceId":"1","id":"12345678901234567"}]"#,
            "spans[0].id",
        ),
        (
            r#"[{"traceId":"1","id":"1","parentId":"xyz"}]"#,
            "spans[0].parentId",
        ),
        (
            r#"[{"traceId":"1","id":"1","localEndpoint":{"ipv4":"300.1.1.1"}}]"#,
            "spans[0].localEndpoint",
        ),
        (
            r#"[{"traceId":"1","id":"1","annotations":[null]}]"#,
            "spans[0].annotations[0]",
        ),
        (
            r#"[{"traceId":"1","id":"1","annotations":[{"value":"x"}]}]"#,
            "spans[0].annotations[0]",
        ),
        (
            r#"[{"traceId":"1","id":"1","annotations":[{"timestamp":1,"value":"a|b|c"}]}]"#,
            "spans[0].annotations[0]",
        ),
    ] {
        match decode(body) {
            Err(ModelError::Invalid { field: f, .. }) => assert_eq!(f, field, "{body}"),
            other => panic!("{body}: {other:?}"),
        }
    }
    for body in [
        "",
        "{}",
        r#"[{"traceId":"1","id":"1","timestamp":-1}]"#,
        r#"[{"traceId":"1","id":"1","tags":{"n":1}}]"#,
        r#"[{"traceId":"1","id":"1","localEndpoint":{"port":70000}}]"#,
    ] {
        assert!(
            matches!(decode(body), Err(ModelError::Json { .. })),
            "{body}"
        );
    }
    assert!(decode("[]").unwrap().is_empty());
    assert!(decode("null").unwrap().is_empty());
}
