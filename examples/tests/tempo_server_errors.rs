//! tempo-server's refusals: malformed bodies and IDs (400), bodies over the limit (413),
//! content types it does not read (415), the store's limits (429), search (501), each with
//! a message saying what is wrong, in each protocol's own shape.
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

mod tempo_server_support;

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use otlp_model::proto::collector::trace::ExportTraceServiceRequest;
use prost::Message as _;
use tempo_server_support::{TestServer, Thrift, get, gzip, post, trace_id, two_span_trace};
use tonic::codec::CompressionEncoding;

const PROTOBUF: &str = "application/x-protobuf";
const JSON: &str = "application/json";

/// `google.rpc.Status`, as OTLP/HTTP errors carry it.
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

fn request(salt: u64) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: two_span_trace(trace_id(salt, 1), "svc"),
    }
}

#[tokio::test]
async fn malformed_requests_are_400_with_a_reason() {
    let server = TestServer::start(false).await;

    // OTLP/HTTP: the error is a google.rpc.Status in the request's encoding.
    let reply = post(
        server.otlp_http(),
        "/v1/traces",
        &[("content-type", PROTOBUF)],
        vec![0x0a, 0x05],
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.content_type(), Some(PROTOBUF));
    let status = RpcStatus::decode(reply.body.as_ref()).unwrap();
    assert_eq!(status.code, tonic::Code::InvalidArgument as i32);
    assert!(
        status.message.contains("ExportTraceServiceRequest"),
        "{}",
        status.message
    );

    let reply = post(
        server.otlp_http(),
        "/v1/traces",
        &[("content-type", JSON)],
        r#"{"resourceSpans":[{"scopeSpans":7}]}"#,
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.content_type(), Some(JSON));
    let body = reply.json();
    assert_eq!(body["code"], 3);
    assert!(
        body["message"].as_str().unwrap().contains("line 1"),
        "{body}"
    );

    // A trace ID of the wrong length is refused by the store, with its message.
    let mut bad = request(1);
    bad.resource_spans[0].scope_spans[0].spans[0].trace_id = vec![1; 8];
    let reply = post(
        server.otlp_http(),
        "/v1/traces",
        &[("content-type", PROTOBUF)],
        bad.encode_to_vec(),
    )
    .await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    let status = RpcStatus::decode(reply.body.as_ref()).unwrap();
    assert!(
        status.message.starts_with("invalid trace ID"),
        "{}",
        status.message
    );
    // OTLP/JSON's decoder already refuses it, naming the field.
    let reply = post(
        server.otlp_http(),
        "/v1/traces",
        &[("content-type", JSON)],
        otlp_model::json::encode_traces_json(
            &bad.resource_spans,
            otlp_model::json::JsonStyle::Otlp,
        ),
    )
    .await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(
        reply.json()["message"]
            .as_str()
            .unwrap()
            .contains("traceId"),
        "{}",
        reply.text()
    );
    let mut client = TraceServiceClient::connect(format!("http://{}", server.otlp_grpc()))
        .await
        .unwrap();
    let status = client.export(bad).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(
        status.message().contains("invalid trace ID"),
        "{}",
        status.message()
    );

    // A broken gzip stream.
    let reply = post(
        server.otlp_http(),
        "/v1/traces",
        &[("content-type", PROTOBUF), ("content-encoding", "gzip")],
        vec![0x1f, 0x8b, 0, 1, 2, 3],
    )
    .await;
    assert_eq!(reply.status, 400, "{}", reply.text());

    server.stop().await;
}

#[tokio::test]
async fn malformed_jaeger_and_zipkin_bodies_are_400() {
    let server = TestServer::start(false).await;
    // Jaeger: an undecodable batch.
    let reply = post(
        server.jaeger_http(),
        "/api/traces",
        &[("content-type", "application/x-thrift")],
        vec![0x0c, 0x00],
    )
    .await;
    assert_eq!(reply.status, 400);
    assert!(
        reply
            .text()
            .starts_with("unable to process request body: Jaeger Thrift"),
        "{}",
        reply.text()
    );

    // Zipkin: not JSON, and a bad ID.
    let reply = post(
        server.zipkin(),
        "/api/v2/spans",
        &[("content-type", JSON)],
        "[{",
    )
    .await;
    assert_eq!(reply.status, 400);
    assert!(reply.text().contains("Zipkin"), "{}", reply.text());
    let reply = post(
        server.zipkin(),
        "/api/v2/spans",
        &[("content-type", JSON)],
        r#"[{"traceId":"xyz","id":"1"}]"#,
    )
    .await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.text().contains("spans[0].traceId"),
        "{}",
        reply.text()
    );

    server.stop().await;
}

#[tokio::test]
async fn malformed_ids_and_times_are_400_with_tempos_text() {
    let server = TestServer::start(false).await;
    let reply = get(server.http(), "/api/traces/xyz", &[]).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.content_type(), Some("text/plain; charset=utf-8"));
    assert_eq!(
        reply.text(),
        "trace IDs can only contain hex characters: invalid character 'x' at position 1"
    );
    let long = "a".repeat(33);
    let reply = get(server.http(), &format!("/api/v2/traces/{long}"), &[]).await;
    assert_eq!(
        (reply.status, reply.text().as_str()),
        (400, "trace IDs can't be larger than 128 bits")
    );
    let reply = get(server.http(), "/api/traces/abc?start=20&end=10", &[]).await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.text(),
        "http parameter start must be before end. received start=20 end=10"
    );
    let reply = get(server.http(), "/api/traces/abc?start=soon", &[]).await;
    assert_eq!(
        reply.text(),
        "invalid start: strconv.ParseInt: parsing \"soon\": invalid syntax"
    );
    server.stop().await;
}

#[tokio::test]
async fn what_a_receiver_does_not_read_is_415() {
    let server = TestServer::start(false).await;
    let reply = post(
        server.otlp_http(),
        "/v1/traces",
        &[("content-type", "text/plain")],
        "x",
    )
    .await;
    assert_eq!(reply.status, 415);
    assert!(
        reply.text().contains("application/x-protobuf"),
        "{}",
        reply.text()
    );
    let reply = post(
        server.otlp_http(),
        "/v1/traces",
        &[("content-type", PROTOBUF), ("content-encoding", "br")],
        "x",
    )
    .await;
    assert_eq!(reply.status, 415);
    let reply = get(server.otlp_http(), "/v1/traces", &[]).await;
    assert_eq!(reply.status, 405);
    let reply = post(
        server.jaeger_http(),
        "/api/traces",
        &[("content-type", JSON)],
        "{}",
    )
    .await;
    assert_eq!(reply.status, 415);
    assert!(
        reply.text().contains("application/x-thrift"),
        "{}",
        reply.text()
    );
    let reply = post(
        server.zipkin(),
        "/api/v2/spans",
        &[("content-type", PROTOBUF)],
        "x",
    )
    .await;
    assert_eq!(reply.status, 415);
    let reply = post(
        server.zipkin(),
        "/api/v1/spans",
        &[("content-type", JSON)],
        "[]",
    )
    .await;
    assert_eq!(reply.status, 415);
    assert!(reply.text().contains("/api/v2/spans"), "{}", reply.text());
    server.stop().await;
}

#[tokio::test]
async fn bodies_over_the_limit_are_413() {
    let server = TestServer::start_with(|c| {
        let r = &mut c.receivers;
        for receiver in [
            &mut r.otlp_http,
            &mut r.jaeger_thrift_http,
            &mut r.zipkin,
            &mut r.otlp_grpc,
        ] {
            receiver.as_mut().unwrap().max_message_bytes = 1000;
        }
    })
    .await;
    let big = request(1);
    let mut big = big;
    big.resource_spans[0].scope_spans[0].spans[0].name = "n".repeat(2000);
    let body = big.encode_to_vec();
    let reply = post(
        server.otlp_http(),
        "/v1/traces",
        &[("content-type", PROTOBUF)],
        body.clone(),
    )
    .await;
    assert_eq!(reply.status, 413);
    let status = RpcStatus::decode(reply.body.as_ref()).unwrap();
    assert!(
        status.message.contains("max_request_body_size"),
        "{}",
        status.message
    );
    // The limit holds after decompression: a small gzip body that inflates past it.
    let reply = post(
        server.otlp_http(),
        "/v1/traces",
        &[("content-type", PROTOBUF), ("content-encoding", "gzip")],
        gzip(&body),
    )
    .await;
    assert_eq!(reply.status, 413);
    let reply = post(
        server.zipkin(),
        "/api/v2/spans",
        &[("content-type", JSON)],
        vec![b' '; 1001],
    )
    .await;
    assert_eq!(reply.status, 413);
    let reply = post(
        server.jaeger_http(),
        "/api/traces",
        &[("content-type", "application/x-thrift")],
        vec![0; 1001],
    )
    .await;
    assert_eq!(reply.status, 413);

    // gRPC: ResourceExhausted, as gRPC-Go answers, compressed or not.
    let mut client = TraceServiceClient::connect(format!("http://{}", server.otlp_grpc()))
        .await
        .unwrap();
    let status = client.export(big.clone()).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::ResourceExhausted, "{status:?}");
    let mut gz = client.send_compressed(CompressionEncoding::Gzip);
    let status = gz.export(big).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::ResourceExhausted, "{status:?}");
    // A small request still goes through.
    gz.export(request(2)).await.unwrap();
    server.stop().await;
}

#[tokio::test]
async fn store_limits_are_429_and_resource_exhausted() {
    let server = TestServer::start_with(|c| {
        c.default_limits.ingestion_rate_limit_bytes = Some(10);
        c.default_limits.ingestion_burst_size_bytes = Some(10);
    })
    .await;
    let reply = post(
        server.otlp_http(),
        "/v1/traces",
        &[("content-type", PROTOBUF)],
        request(1).encode_to_vec(),
    )
    .await;
    assert_eq!(reply.status, 429, "{}", reply.text());
    let status = RpcStatus::decode(reply.body.as_ref()).unwrap();
    assert_eq!(status.code, tonic::Code::ResourceExhausted as i32);
    assert!(
        status.message.starts_with("RATE_LIMITED:"),
        "{}",
        status.message
    );
    let mut client = TraceServiceClient::connect(format!("http://{}", server.otlp_grpc()))
        .await
        .unwrap();
    let status = client.export(request(2)).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::ResourceExhausted);
    let mut batch = Thrift::new(false);
    batch.batch("j", &[(trace_id(3, 1), 1, 0, "op")], 1_700_000_000_000_000);
    let reply = post(
        server.jaeger_http(),
        "/api/traces",
        &[("content-type", "application/x-thrift")],
        batch.out.clone(),
    )
    .await;
    assert_eq!(reply.status, 429);
    assert!(
        reply.text().starts_with("RATE_LIMITED:"),
        "{}",
        reply.text()
    );

    let metrics = get(server.http(), "/metrics", &[]).await.text();
    for line in [
        r#"tempo_discarded_spans_total{reason="rate_limited",tenant="single-tenant"} 5"#,
        r#"tempo_receiver_refused_requests_total{protocol="otlp_http",reason="rate_limited"} 1"#,
        r#"tempo_receiver_refused_requests_total{protocol="otlp_grpc",reason="rate_limited"} 1"#,
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "{line} missing from\n{metrics}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn live_trace_limit_is_429() {
    let server = TestServer::start_with(|c| c.default_limits.max_traces_per_user = Some(1)).await;
    let push = |salt| {
        post(
            server.otlp_http(),
            "/v1/traces",
            &[("content-type", PROTOBUF)],
            request(salt).encode_to_vec(),
        )
    };
    assert_eq!(push(1).await.status, 200);
    let reply = push(2).await;
    assert_eq!(reply.status, 429);
    let status = RpcStatus::decode(reply.body.as_ref()).unwrap();
    assert!(
        status.message.starts_with("LIVE_TRACES_EXCEEDED:"),
        "{}",
        status.message
    );
    server.stop().await;
}

#[tokio::test]
async fn search_is_501_with_a_clear_text() {
    let server = TestServer::start(false).await;
    for path in [
        "/api/search?q=%7B%7D",
        "/api/search/tags",
        "/api/v2/search/tags?scope=span",
        "/api/search/tag/service.name/values",
        "/api/v2/search/tag/resource.service.name/values",
        "/api/metrics/query_range?q=%7B%7D",
        "/api/metrics/query",
    ] {
        let reply = get(server.http(), path, &[]).await;
        assert_eq!(reply.status, 501, "{path}");
        assert_eq!(reply.content_type(), Some("text/plain; charset=utf-8"));
        assert!(
            reply.text().contains("not implemented yet"),
            "{path}: {}",
            reply.text()
        );
    }
    let search = get(server.http(), "/api/search", &[]).await.text();
    assert!(search.contains("TraceQL"), "{search}");
    let reply = get(server.http(), "/no/such/path", &[]).await;
    assert_eq!(
        (reply.status, reply.text().as_str()),
        (404, "404 page not found\n")
    );
    server.stop().await;
}
