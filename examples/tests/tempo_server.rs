//! tempo-server end to end, in-process on free ports: spans pushed through every receiver
//! come back by ID from the query API in each of Tempo's shapes; the API's fixed answers
//! match real Tempo's (`compat/tempo/api-samples`); tenants are kept apart; a restart finds
//! what was stored.
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

mod tempo_server_support;

use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use otlp_model::json::{self, JsonStyle};
use otlp_model::proto::collector::trace::ExportTraceServiceRequest;
use otlp_model::tempo_api::{decode_trace_v1_protobuf, decode_trace_v2_protobuf};
use otlp_model::{Limits, TraceId};
use prost::Message as _;
use tempo_server_support::{
    Reply, TestServer, Thrift, get, gzip, post, trace_id, two_span_trace, v1_span_names,
    zipkin_json,
};
use tonic::codec::CompressionEncoding;

const PROTOBUF: &str = "application/x-protobuf";

/// `GET /api/traces/<id>` until it is found (UDP pushes have no answer to wait for).
async fn wait_for_trace(server: &TestServer, id: &str, headers: &[(&str, &str)]) -> Reply {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let reply = get(server.http(), &format!("/api/traces/{id}"), headers).await;
        if reply.status != 404 || Instant::now() > deadline {
            return reply;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn otlp_request(id: TraceId, service: &str) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: two_span_trace(id, service),
    }
}

/// Pushes one trace through each OTLP receiver, then through the others; what `/api/traces/<id>` should then hold.
async fn push_through_every_receiver(server: &TestServer) -> Vec<(String, Vec<&'static str>)> {
    // OTLP/gRPC, gzip-compressed.
    let grpc_id = trace_id(1, 1);
    let mut client = TraceServiceClient::connect(format!("http://{}", server.otlp_grpc()))
        .await
        .unwrap()
        .send_compressed(CompressionEncoding::Gzip);
    client
        .export(otlp_request(grpc_id, "grpc-svc"))
        .await
        .unwrap();

    // OTLP/HTTP protobuf (gzip) and JSON.
    let proto_id = trace_id(1, 2);
    let body = gzip(&otlp_request(proto_id, "http-proto-svc").encode_to_vec());
    let reply = post(
        server.otlp_http(),
        "/v1/traces",
        &[("content-type", PROTOBUF), ("content-encoding", "gzip")],
        body,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.content_type(), Some(PROTOBUF));
    assert!(reply.body.is_empty(), "an empty ExportTraceServiceResponse");

    let json_id = trace_id(1, 3);
    let body = json::encode_traces_json(&two_span_trace(json_id, "http-json-svc"), JsonStyle::Otlp);
    let reply = post(
        server.otlp_http(),
        "/v1/traces",
        &[("content-type", "application/json; charset=utf-8")],
        body,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.text(), r#"{"partialSuccess":{}}"#);

    let mut expect = vec![
        (grpc_id.to_hex(), vec!["child", "root"]),
        (proto_id.to_hex(), vec!["child", "root"]),
        (json_id.to_hex(), vec!["child", "root"]),
    ];
    expect.extend(push_through_jaeger_and_zipkin(server).await);
    expect
}

/// Pushes one trace through each Jaeger and Zipkin receiver; what `/api/traces/<id>` should
/// then hold.
async fn push_through_jaeger_and_zipkin(server: &TestServer) -> Vec<(String, Vec<&'static str>)> {
    // Jaeger Thrift over HTTP: a 128-bit trace ID.
    let jaeger_id = trace_id(1, 4);
    let mut batch = Thrift::new(false);
    batch.batch(
        "jaeger-http-svc",
        &[(jaeger_id, 10, 0, "j-root"), (jaeger_id, 11, 10, "j-child")],
        1_700_000_000_000_000,
    );
    let reply = post(
        server.jaeger_http(),
        "/api/traces",
        &[("content-type", "application/x-thrift")],
        batch.out.clone(),
    )
    .await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    assert!(reply.body.is_empty());

    // Jaeger agent UDP, compact and binary: 64-bit trace IDs, widened to 16 bytes.
    let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let compact_id = TraceId::from_u64(0xc0_ffee);
    let datagram = Thrift::emit_batch(
        true,
        "agent-compact-svc",
        &[(compact_id, 20, 0, "compact-op")],
    );
    udp.send_to(&datagram, server.jaeger_compact())
        .await
        .unwrap();
    let binary_id = TraceId::from_u64(0xb1_0a1e);
    let datagram = Thrift::emit_batch(
        false,
        "agent-binary-svc",
        &[(binary_id, 30, 0, "binary-op")],
    );
    udp.send_to(&datagram, server.jaeger_binary())
        .await
        .unwrap();

    // Zipkin v2 JSON, gzip-compressed, a 64-bit trace ID.
    let body = gzip(&zipkin_json(
        "zipkin-svc",
        &[
            ("5af7183fb1d4cf5f", "352bff9a74ca9ad2", None, "z-root"),
            (
                "5af7183fb1d4cf5f",
                "6b221d5bc9e6496c",
                Some("352bff9a74ca9ad2"),
                "z-child",
            ),
        ],
    ));
    let reply = post(
        server.zipkin(),
        "/api/v2/spans",
        &[
            ("content-type", "application/json"),
            ("content-encoding", "gzip"),
        ],
        body,
    )
    .await;
    assert_eq!(reply.status, 202, "{}", reply.text());

    vec![
        (jaeger_id.to_hex(), vec!["j-child", "j-root"]),
        (compact_id.to_short_hex(), vec!["compact-op"]),
        (binary_id.to_hex(), vec!["binary-op"]),
        // The 64-bit ID as sent and left-padded both name the trace.
        ("5af7183fb1d4cf5f".to_owned(), vec!["z-child", "z-root"]),
        (
            "00000000000000005af7183fb1d4cf5f".to_owned(),
            vec!["z-child", "z-root"],
        ),
    ]
}

/// One trace in every shape the query API answers in.
async fn every_shape_of(server: &TestServer, id: &str) {
    let pb = get(
        server.http(),
        &format!("/api/traces/{id}"),
        &[("accept", "application/protobuf")],
    )
    .await;
    assert_eq!(pb.status, 200);
    assert_eq!(pb.content_type(), Some("application/protobuf"));
    let trace = decode_trace_v1_protobuf(&pb.body, &Limits::default()).unwrap();
    assert_eq!(trace.resource_spans[0].scope_spans[0].spans.len(), 2);

    let v2 = get(server.http(), &format!("/api/v2/traces/{id}"), &[]).await;
    assert_eq!(v2.status, 200);
    assert_eq!(v2.content_type(), Some("application/json"));
    let v2 = v2.json();
    assert_eq!(v2["trace"]["resourceSpans"].as_array().unwrap().len(), 1);
    assert!(
        v2["metrics"]["inspectedBytes"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );
    let v1 = get(server.http(), &format!("/api/traces/{id}"), &[])
        .await
        .json();
    assert_eq!(v2["trace"]["resourceSpans"], v1["batches"]);

    let v2pb = get(
        server.http(),
        &format!("/api/v2/traces/{id}"),
        &[("accept", "application/protobuf")],
    )
    .await;
    assert_eq!(v2pb.content_type(), Some("application/protobuf"));
    let v2pb = decode_trace_v2_protobuf(&v2pb.body, &Limits::default()).unwrap();
    assert_eq!(v2pb.trace.unwrap(), trace);
    assert!(v2pb.metrics.unwrap().inspected_bytes > 0);

    // start/end are accepted (live data is always searched).
    let ranged = get(
        server.http(),
        &format!("/api/traces/{id}?start=1699999000&end=1700001000"),
        &[],
    )
    .await;
    assert_eq!(ranged.status, 200);
}

/// The received counters know each protocol.
async fn counters_of_every_protocol(server: &TestServer) {
    let metrics = get(server.http(), "/metrics", &[]).await;
    assert_eq!(metrics.status, 200);
    let text = metrics.text();
    for protocol in [
        "otlp_grpc",
        "otlp_http",
        "jaeger_thrift_http",
        "jaeger_thrift_compact",
        "jaeger_thrift_binary",
        "zipkin",
    ] {
        let line = format!(
            "tempo_distributor_spans_received_total{{protocol=\"{protocol}\",tenant=\"single-tenant\"}}"
        );
        assert!(text.contains(&line), "{line} missing from\n{text}");
    }
    assert!(
        text.contains("tempo_live_store_live_traces{tenant=\"single-tenant\"}"),
        "{text}"
    );
    assert!(
        text.contains("tempo_request_duration_seconds_bucket{"),
        "{text}"
    );
}

#[tokio::test]
async fn every_receiver_round_trips_through_the_query_api() {
    let server = TestServer::start(false).await;
    let expect = push_through_every_receiver(&server).await;
    for (id, names) in &expect {
        let reply = wait_for_trace(&server, id, &[]).await;
        assert_eq!(reply.status, 200, "trace {id}: {}", reply.text());
        assert_eq!(reply.content_type(), Some("application/json"));
        assert_eq!(&v1_span_names(&reply.json()), names, "trace {id}");
    }
    every_shape_of(&server, &expect[0].0).await;
    counters_of_every_protocol(&server).await;
    server.stop().await;
}

/// The sample trace real Tempo returned, pushed back in: this server returns the same JSON.
#[tokio::test]
async fn the_sample_trace_comes_back_as_tempo_returned_it() {
    let Some(compat) = testkit::compat_dir("the_sample_trace_comes_back_as_tempo_returned_it")
    else {
        return;
    };
    let samples = compat.join("tempo/api-samples");
    let v1 = std::fs::read(samples.join("trace-v1.json")).unwrap();
    let trace = otlp_model::tempo_api::decode_trace_v1_json(&v1, &Limits::default()).unwrap();
    let server = TestServer::start(false).await;
    let body = ExportTraceServiceRequest {
        resource_spans: trace.resource_spans.clone(),
    }
    .encode_to_vec();
    let reply = post(
        server.otlp_http(),
        "/v1/traces",
        &[("content-type", PROTOBUF)],
        body,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());

    let id = "3f1bc882de60306d6bcc599e1bce20e5";
    let ours = get(server.http(), &format!("/api/traces/{id}"), &[]).await;
    let tempo: serde_json::Value = serde_json::from_slice(&v1).unwrap();
    assert_eq!(
        testkit::normalise_trace_json(&ours.json()),
        testkit::normalise_trace_json(&tempo)
    );
    let ours = get(server.http(), &format!("/api/v2/traces/{id}"), &[])
        .await
        .json();
    let tempo: serde_json::Value =
        serde_json::from_slice(&std::fs::read(samples.join("trace-v2.json")).unwrap()).unwrap();
    assert_eq!(
        testkit::normalise_trace_json(&ours["trace"]),
        testkit::normalise_trace_json(&tempo["trace"])
    );
    let pb = get(
        server.http(),
        &format!("/api/traces/{id}"),
        &[("accept", "application/protobuf")],
    )
    .await;
    let ours = decode_trace_v1_protobuf(&pb.body, &Limits::default()).unwrap();
    let tempo = decode_trace_v1_protobuf(
        &std::fs::read(samples.join("trace-v1.pb")).unwrap(),
        &Limits::default(),
    )
    .unwrap();
    let spans = |t: &otlp_model::proto::trace::TracesData| {
        let mut s: Vec<_> = t
            .resource_spans
            .iter()
            .flat_map(|rs| &rs.scope_spans)
            .flat_map(|ss| ss.spans.iter().map(|s| (s.span_id.clone(), s.name.clone())))
            .collect();
        s.sort();
        s
    };
    assert_eq!(spans(&ours), spans(&tempo));
    server.stop().await;
}

#[tokio::test]
async fn fixed_answers_match_real_tempo() {
    let Some(compat) = testkit::compat_dir("fixed_answers_match_real_tempo") else {
        return;
    };
    let samples = compat.join("tempo/api-samples");
    let sample = |name: &str| std::fs::read(samples.join(name)).unwrap();
    let server = TestServer::start(false).await;
    let http = server.http();

    let echo = get(http, "/api/echo", &[]).await;
    assert_eq!((echo.status, echo.body.to_vec()), (200, sample("echo.txt")));
    assert_eq!(echo.content_type(), Some("text/plain; charset=utf-8"));
    let ready = get(http, "/ready", &[]).await;
    assert_eq!(
        (ready.status, ready.body.to_vec()),
        (200, sample("ready.txt"))
    );
    assert_eq!(ready.content_type(), Some("text/plain; charset=utf-8"));

    // Unknown IDs: v1 404 with an empty body and no content type, v2 200 with empty parts.
    let missing = "0123456789abcdef0123456789abcdef";
    let v1 = get(http, &format!("/api/traces/{missing}"), &[]).await;
    assert_eq!(v1.status, 404);
    assert_eq!(v1.body.to_vec(), sample("trace-v1-notfound.txt"));
    assert_eq!(v1.content_type(), None);
    let v2 = get(http, &format!("/api/v2/traces/{missing}"), &[]).await;
    assert_eq!(v2.status, 200);
    assert_eq!(v2.body.to_vec(), sample("trace-v2-notfound.txt"));
    assert_eq!(v2.content_type(), Some("application/json"));

    // buildinfo: Tempo's keys in Tempo's order, a real version, a final newline.
    let info = get(http, "/api/status/buildinfo", &[]).await;
    assert_eq!(info.status, 200);
    assert_eq!(info.content_type(), Some("application/json"));
    assert!(info.text().ends_with("}\n"));
    let keys =
        |v: &serde_json::Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    let tempo: serde_json::Value = serde_json::from_slice(&sample("buildinfo.json")).unwrap();
    let ours = info.json();
    assert_eq!(keys(&ours), keys(&tempo));
    assert_eq!(
        ours["version"],
        format!("3.0.0+observability-storage.{}", env!("CARGO_PKG_VERSION"))
    );
    server.stop().await;
}

#[tokio::test]
async fn tenants_never_see_each_others_traces() {
    let server = TestServer::start(true).await;
    let id = trace_id(2, 1);
    let hex = id.to_hex();
    let body = otlp_request(id, "tenant-a-svc").encode_to_vec();
    let reply = post(
        server.otlp_http(),
        "/v1/traces",
        &[("content-type", PROTOBUF), ("x-scope-orgid", "tenant-a")],
        body,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    // The same trace ID from another tenant, over gRPC, with other spans.
    let mut b = two_span_trace(id, "tenant-b-svc");
    b[0].scope_spans[0].spans.truncate(1);
    b[0].scope_spans[0].spans[0].name = "b-only".into();
    let mut client = TraceServiceClient::connect(format!("http://{}", server.otlp_grpc()))
        .await
        .unwrap();
    let mut request = tonic::Request::new(ExportTraceServiceRequest { resource_spans: b });
    request
        .metadata_mut()
        .insert("x-scope-orgid", "tenant-b".parse().unwrap());
    client.export(request).await.unwrap();

    let as_tenant = |t: &'static str| [("x-scope-orgid", t)];
    let a = get(
        server.http(),
        &format!("/api/traces/{hex}"),
        &as_tenant("tenant-a"),
    )
    .await;
    assert_eq!(v1_span_names(&a.json()), ["child", "root"]);
    let b = get(
        server.http(),
        &format!("/api/traces/{hex}"),
        &as_tenant("tenant-b"),
    )
    .await;
    assert_eq!(v1_span_names(&b.json()), ["b-only"]);
    let c = get(
        server.http(),
        &format!("/api/traces/{hex}"),
        &as_tenant("tenant-c"),
    )
    .await;
    assert_eq!(c.status, 404);
    let c2 = get(
        server.http(),
        &format!("/api/v2/traces/{hex}"),
        &as_tenant("tenant-c"),
    )
    .await;
    assert_eq!(c2.text(), r#"{"trace":{},"metrics":{}}"#);
    server.stop().await;
}

#[tokio::test]
async fn without_a_tenant_every_port_answers_401() {
    let server = TestServer::start(true).await;
    let id = trace_id(2, 2);
    let hex = id.to_hex();
    let body = otlp_request(id, "svc").encode_to_vec();
    let mut client = TraceServiceClient::connect(format!("http://{}", server.otlp_grpc()))
        .await
        .unwrap();
    // No tenant: 401 "no org id" on every port; gRPC Unauthenticated.
    let none = get(server.http(), &format!("/api/traces/{hex}"), &[]).await;
    assert_eq!((none.status, none.text().as_str()), (401, "no org id\n"));
    let none = get(server.http(), &format!("/api/v2/traces/{hex}"), &[]).await;
    assert_eq!(none.status, 401);
    let push = post(
        server.otlp_http(),
        "/v1/traces",
        &[("content-type", PROTOBUF)],
        body,
    )
    .await;
    assert_eq!(push.status, 401);
    let status = client.export(otlp_request(id, "x")).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated);
    assert_eq!(status.message(), "no org id");
    let zipkin = post(
        server.zipkin(),
        "/api/v2/spans",
        &[("content-type", "application/json")],
        zipkin_json("z", &[("1", "1", None, "n")]),
    )
    .await;
    assert_eq!((zipkin.status, zipkin.text().as_str()), (401, "no org id"));
    let jaeger = post(
        server.jaeger_http(),
        "/api/traces",
        &[("content-type", "application/x-thrift")],
        Thrift::new(false).batch("j", &[], 0).out.clone(),
    )
    .await;
    assert_eq!(jaeger.status, 401);
    // A tenant ID Tempo refuses.
    let bad = get(
        server.http(),
        &format!("/api/traces/{hex}"),
        &[("x-scope-orgid", "../etc")],
    )
    .await;
    assert_eq!(bad.status, 400, "{}", bad.text());
    // The fixed endpoints need no tenant.
    assert_eq!(get(server.http(), "/ready", &[]).await.status, 200);
    assert_eq!(get(server.http(), "/api/echo", &[]).await.status, 200);
    assert_eq!(get(server.http(), "/metrics", &[]).await.status, 200);

    // UDP cannot carry a tenant: refused and counted.
    let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let udp_id = TraceId::from_u64(0x0dd);
    udp.send_to(
        &Thrift::emit_batch(true, "u", &[(udp_id, 1, 0, "u")]),
        server.jaeger_compact(),
    )
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let line = r#"tempo_receiver_refused_requests_total{protocol="jaeger_thrift_compact",reason="no_org_id"} 1"#;
    loop {
        let metrics = get(server.http(), "/metrics", &[]).await.text();
        if metrics.lines().any(|l| l == line) {
            break;
        }
        assert!(Instant::now() < deadline, "{line} missing from\n{metrics}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.stop().await;
}

#[tokio::test]
async fn a_restart_finds_what_was_stored_in_blocks() {
    let server = TestServer::start(false).await;
    let id = trace_id(3, 1);
    let body = otlp_request(id, "restart-svc").encode_to_vec();
    let reply = post(
        server.otlp_http(),
        "/v1/traces",
        &[("content-type", PROTOBUF)],
        body,
    )
    .await;
    assert_eq!(reply.status, 200);
    // Shutdown completes the live trace into a block.
    let dir = server.stop().await;
    let blocks = dir.path().join("blocks/single-tenant");
    let metas: Vec<_> = std::fs::read_dir(&blocks)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().join("meta.json").is_file())
        .collect();
    assert_eq!(metas.len(), 1, "one block in {}", blocks.display());

    let server = TestServer::start_in(dir, |_| {}).await;
    let reply = get(server.http(), &format!("/api/traces/{}", id.to_hex()), &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(v1_span_names(&reply.json()), ["child", "root"]);
    server.stop().await;
}

#[tokio::test]
async fn disabled_receivers_do_not_listen() {
    let server = TestServer::start_with(|c| {
        c.receivers.zipkin = None;
        c.receivers.jaeger_thrift_compact = None;
    })
    .await;
    let addrs = server.server.as_ref().unwrap().addresses();
    assert!(addrs.zipkin.is_none());
    assert!(addrs.jaeger_thrift_compact.is_none());
    assert!(addrs.otlp_grpc.is_some());
    server.stop().await;
}
