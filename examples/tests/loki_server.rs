//! loki-server end to end, in-process on a free port: entries pushed in every body format
//! come back through `query_range` in Loki's shapes (forward, backward, limits, line filters,
//! `categorize-labels`), labels, values and series agree, a restart finds what was stored,
//! and the tail WebSocket delivers new entries.
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

mod loki_server_support;

use std::time::Duration;

use futures_util::StreamExt as _;
use loki_server_support::{
    JSON, PROTOBUF, TestServer, get, gzip, json_push, lines_of, ns_ago, post, protobuf_push,
    query_range, stream, streams_of, url,
};
use otlp_model::proto::collector::logs::ExportLogsServiceRequest;
use otlp_model::proto::common::{AnyValue, KeyValue, any_value};
use otlp_model::proto::logs::{LogRecord, ResourceLogs, ScopeLogs};
use otlp_model::proto::resource::Resource;
use prost::Message as _;
use serde_json::json;

const PUSH: &str = "/loki/api/v1/push";

#[tokio::test]
#[allow(clippy::too_many_lines, reason = "one data set, queried every way")]
async fn json_pushes_come_back_in_every_order_and_filter() {
    let server = TestServer::start().await;
    let t0 = ns_ago(60);
    let body = json_push(&[
        (
            json!({"app": "api", "env": "prod"}),
            vec![
                (t0, "GET /a 200", None),
                (t0 + 2, "GET /b 500 error", Some(json!({"trace_id": "abc"}))),
                (t0 + 4, "POST /c 200", None),
            ],
        ),
        (
            json!({"app": "worker"}),
            vec![(t0 + 1, "job 1 done", None), (t0 + 3, "job 2 error", None)],
        ),
    ]);
    let reply = post(server.http(), PUSH, &[("content-type", JSON)], body).await;
    assert_eq!(reply.status, 204, "{}", reply.text());
    assert!(reply.body.is_empty());

    // Backward by default, limit across streams.
    let reply = query_range(
        server.http(),
        r#"{app=~"api|worker"}"#,
        &[("limit", "3")],
        &[],
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.content_type(), Some("application/json"));
    let body = reply.json();
    let streams = streams_of(&body);
    // Streams sorted by labels; entries newest first; the three newest overall.
    let mut all: Vec<(String, String)> = streams.iter().flat_map(|(_, v)| v.clone()).collect();
    all.sort();
    assert_eq!(
        all.iter().map(|(_, l)| l.as_str()).collect::<Vec<_>>(),
        ["GET /b 500 error", "job 2 error", "POST /c 200"]
    );
    for (_, values) in &streams {
        let ts: Vec<i64> = values.iter().map(|(t, _)| t.parse().unwrap()).collect();
        assert!(ts.windows(2).all(|w| w[0] >= w[1]), "{ts:?}");
    }
    assert!(body["data"]["stats"]["summary"]["totalEntriesReturned"] == 3);
    // Without categorize-labels, metadata is among the labels: its entry is a stream of its own.
    assert!(
        streams
            .iter()
            .any(|(labels, _)| labels["trace_id"] == "abc" && labels["service_name"] == "api"),
        "{body}"
    );

    // Forward, everything, and line filters pushed down.
    let reply = query_range(
        server.http(),
        r#"{app="api"} |= "GET" != "500""#,
        &[("direction", "forward")],
        &[],
    )
    .await;
    assert_eq!(lines_of(&reply.json()), ["GET /a 200"]);
    let reply = query_range(server.http(), r#"{env="prod"} |~ `\d{3} error`"#, &[], &[]).await;
    assert_eq!(lines_of(&reply.json()), ["GET /b 500 error"]);
    let reply = query_range(
        server.http(),
        r#"{app=~".+"} |= "error""#,
        &[("direction", "FORWARD")],
        &[],
    )
    .await;
    let mut lines = lines_of(&reply.json());
    lines.sort();
    assert_eq!(lines, ["GET /b 500 error", "job 2 error"]);

    // Time bounds: start inclusive, end exclusive, in every timestamp format.
    let start = (t0 + 1).to_string();
    let end = (t0 + 3).to_string();
    let reply = query_range(
        server.http(),
        r#"{app=~"api|worker"}"#,
        &[("start", &start), ("end", &end), ("direction", "forward")],
        &[],
    )
    .await;
    let mut lines = lines_of(&reply.json());
    lines.sort();
    assert_eq!(lines, ["GET /b 500 error", "job 1 done"]);

    // categorize-labels: metadata beside the line, stream labels alone.
    let reply = query_range(
        server.http(),
        r#"{app="api"}"#,
        &[("direction", "forward")],
        &[("X-Loki-Response-Encoding-Flags", "categorize-labels")],
    )
    .await;
    let body = reply.json();
    assert_eq!(body["data"]["encodingFlags"], json!(["categorize-labels"]));
    let result = body["data"]["result"].as_array().unwrap();
    assert_eq!(result.len(), 1, "{body}");
    assert_eq!(
        result[0]["stream"],
        json!({"app": "api", "env": "prod", "service_name": "api"})
    );
    assert_eq!(result[0]["values"][0][2], json!({}));
    assert_eq!(
        result[0]["values"][1][2],
        json!({"structuredMetadata": {"trace_id": "abc"}})
    );

    // POST with a form body answers the same.
    let reply = post(
        server.http(),
        "/loki/api/v1/query_range",
        &[("content-type", "application/x-www-form-urlencoded")],
        "query=%7Bapp%3D%22worker%22%7D&direction=forward",
    )
    .await;
    assert_eq!(lines_of(&reply.json()), ["job 1 done", "job 2 error"]);
    server.stop().await;
}

#[tokio::test]
async fn labels_values_and_series() {
    let server = TestServer::start().await;
    let t0 = ns_ago(30);
    let body = json_push(&[
        (json!({"app": "api", "env": "prod"}), vec![(t0, "a", None)]),
        (json!({"app": "web", "env": "dev"}), vec![(t0, "b", None)]),
    ]);
    assert_eq!(
        post(server.http(), PUSH, &[("content-type", JSON)], body)
            .await
            .status,
        204
    );
    let names = get(server.http(), "/loki/api/v1/labels", &[]).await.json();
    assert_eq!(
        names,
        json!({"status": "success", "data": ["app", "env", "service_name"]})
    );
    let values = get(server.http(), "/loki/api/v1/label/app/values", &[])
        .await
        .json();
    assert_eq!(values["data"], json!(["api", "web"]));
    let scoped = get(
        server.http(),
        &url(
            "/loki/api/v1/label/env/values",
            &[("query", r#"{app="web"}"#)],
        ),
        &[],
    )
    .await
    .json();
    assert_eq!(scoped["data"], json!(["dev"]));
    let series = get(
        server.http(),
        &url("/loki/api/v1/series", &[("match[]", r#"{env="prod"}"#)]),
        &[],
    )
    .await
    .json();
    assert_eq!(
        series,
        json!({"status": "success", "data": [{"app": "api", "env": "prod", "service_name": "api"}]})
    );
    // POST form, two selectors.
    let both = post(
        server.http(),
        "/loki/api/v1/series",
        &[("content-type", "application/x-www-form-urlencoded")],
        "match[]=%7Benv%3D%22prod%22%7D&match[]=%7Benv%3D%22dev%22%7D",
    )
    .await
    .json();
    assert_eq!(both["data"].as_array().unwrap().len(), 2);
    // Without a selector: every series.
    let all = get(server.http(), "/loki/api/v1/series", &[]).await.json();
    assert_eq!(all["data"].as_array().unwrap().len(), 2);
    // A time range before the entries: nothing.
    let old = get(
        server.http(),
        &url(
            "/loki/api/v1/labels",
            &[("start", "1000000000"), ("end", "1000000001")],
        ),
        &[],
    )
    .await
    .json();
    assert_eq!(old["data"], json!([]));
    // A bad selector: Loki's parse error.
    let bad = get(
        server.http(),
        &url("/loki/api/v1/series", &[("match[]", "{env=}")]),
        &[],
    )
    .await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.text().starts_with("parse error at line 1, col 6"),
        "{}",
        bad.text()
    );
    server.stop().await;
}

#[tokio::test]
async fn protobuf_gzip_deflate_and_legacy_pushes() {
    let server = TestServer::start().await;
    let t0 = ns_ago(20);
    // Protobuf in raw snappy, with and without the redundant Content-Encoding: snappy.
    let body = protobuf_push(&[stream(r#"{job="proto"}"#, t0, &["p1", "p2"])]);
    let reply = post(server.http(), PUSH, &[("content-type", PROTOBUF)], body).await;
    assert_eq!(reply.status, 204, "{}", reply.text());
    let body = protobuf_push(&[stream(r#"{job="proto"}"#, t0 + 10, &["p3"])]);
    let reply = post(
        server.http(),
        PUSH,
        &[("content-type", PROTOBUF), ("content-encoding", "snappy")],
        body,
    )
    .await;
    assert_eq!(reply.status, 204, "{}", reply.text());
    // JSON, gzip and deflate.
    let body = json_push(&[(json!({"job": "gz"}), vec![(t0, "gzipped", None)])]);
    let reply = post(
        server.http(),
        PUSH,
        &[("content-type", JSON), ("content-encoding", "gzip")],
        gzip(&body),
    )
    .await;
    assert_eq!(reply.status, 204, "{}", reply.text());
    let body = json_push(&[(json!({"job": "deflate"}), vec![(t0, "deflated", None)])]);
    let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut raw, &body).unwrap();
    let reply = post(
        server.http(),
        PUSH,
        &[("content-type", JSON), ("content-encoding", "deflate")],
        raw.finish().unwrap(),
    )
    .await;
    assert_eq!(reply.status, 204, "{}", reply.text());
    // The legacy push, as python-logging-loki sends it.
    let legacy = json!({"streams": [{"labels": "{job=\"legacy\"}", "entries": [
        {"ts": chrono_rfc3339(t0), "line": "old style"}]}]});
    let reply = post(
        server.http(),
        "/api/prom/push",
        &[("content-type", JSON)],
        serde_json::to_vec(&legacy).unwrap(),
    )
    .await;
    assert_eq!(reply.status, 204, "{}", reply.text());

    let reply = query_range(
        server.http(),
        r#"{job="proto"}"#,
        &[("direction", "forward")],
        &[],
    )
    .await;
    assert_eq!(lines_of(&reply.json()), ["p1", "p2", "p3"]);
    for (job, line) in [
        ("gz", "gzipped"),
        ("deflate", "deflated"),
        ("legacy", "old style"),
    ] {
        let reply = query_range(server.http(), &format!("{{job=\"{job}\"}}"), &[], &[]).await;
        assert_eq!(lines_of(&reply.json()), [line], "{job}");
    }
    server.stop().await;
}

fn chrono_rfc3339(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let nanos = u32::try_from(ns.rem_euclid(1_000_000_000)).unwrap();
    chrono::DateTime::from_timestamp(secs, nanos)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

#[allow(clippy::unnecessary_wraps)] // the shape of OTLP's optional value fields
fn string(s: &str) -> Option<AnyValue> {
    Some(AnyValue {
        value: Some(any_value::Value::StringValue(s.to_owned())),
    })
}

fn kv(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: string(value),
        ..KeyValue::default()
    }
}

#[tokio::test]
async fn otlp_logs_become_streams_with_metadata() {
    let server = TestServer::start().await;
    let t0 = u64::try_from(ns_ago(10)).unwrap();
    let request = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(Resource {
                attributes: vec![kv("service.name", "checkout"), kv("host.name", "node-1")],
                ..Resource::default()
            }),
            scope_logs: vec![ScopeLogs {
                log_records: vec![LogRecord {
                    time_unix_nano: t0,
                    severity_text: "ERROR".to_owned(),
                    body: string("payment failed"),
                    attributes: vec![kv("order.id", "42")],
                    trace_id: vec![0x11; 16],
                    ..LogRecord::default()
                }],
                ..ScopeLogs::default()
            }],
            ..ResourceLogs::default()
        }],
    };
    let reply = post(
        server.http(),
        "/otlp/v1/logs",
        &[("content-type", PROTOBUF)],
        request.encode_to_vec(),
    )
    .await;
    assert_eq!(reply.status, 204, "{}", reply.text());
    // OTLP/JSON too.
    let json_body = otlp_model::json::encode_logs_json(
        &[ResourceLogs {
            resource: Some(Resource {
                attributes: vec![kv("service.name", "checkout")],
                ..Resource::default()
            }),
            scope_logs: vec![ScopeLogs {
                log_records: vec![LogRecord {
                    time_unix_nano: t0 + 1,
                    body: string("via json"),
                    ..LogRecord::default()
                }],
                ..ScopeLogs::default()
            }],
            ..ResourceLogs::default()
        }],
        otlp_model::json::JsonStyle::Otlp,
    );
    let reply = post(
        server.http(),
        "/otlp/v1/logs",
        &[("content-type", JSON)],
        json_body,
    )
    .await;
    assert_eq!(reply.status, 204, "{}", reply.text());
    let reply = query_range(
        server.http(),
        r#"{service_name="checkout"}"#,
        &[("direction", "forward")],
        &[("X-Loki-Response-Encoding-Flags", "categorize-labels")],
    )
    .await;
    let body = reply.json();
    let result = &body["data"]["result"][0];
    assert_eq!(
        result["stream"],
        json!({"service_name": "checkout"}),
        "{body}"
    );
    assert_eq!(result["values"][0][1], "payment failed");
    assert_eq!(
        result["values"][0][2]["structuredMetadata"],
        json!({
            "host_name": "node-1",
            "order_id": "42",
            "severity_text": "ERROR",
            "trace_id": "11".repeat(16)
        })
    );
    assert_eq!(result["values"][1][1], "via json");
    // A content type OTLP/HTTP does not use: Loki's refusal, as a google.rpc.Status.
    let reply = post(
        server.http(),
        "/otlp/v1/logs",
        &[("content-type", "text/plain")],
        "x",
    )
    .await;
    assert_eq!(reply.status, 400);
    assert!(
        String::from_utf8_lossy(&reply.body).contains("content type: text/plain is not supported")
    );
    server.stop().await;
}

#[tokio::test]
async fn a_restart_finds_flushed_and_replayed_entries() {
    let server = TestServer::start().await;
    let t0 = ns_ago(30);
    let body = protobuf_push(&[stream(r#"{app="restart"}"#, t0, &["one", "two"])]);
    assert_eq!(
        post(server.http(), PUSH, &[("content-type", PROTOBUF)], body)
            .await
            .status,
        204
    );
    // Shutdown flushes the chunks; the second run reads them from the bucket.
    let dir = server.stop().await;
    assert!(dir.path().join("chunks/fake").is_dir());
    let server = TestServer::start_in(dir, |_| {}).await;
    let body = protobuf_push(&[stream(r#"{app="restart"}"#, t0 + 5, &["three"])]);
    assert_eq!(
        post(server.http(), PUSH, &[("content-type", PROTOBUF)], body)
            .await
            .status,
        204
    );
    let reply = query_range(
        server.http(),
        r#"{app="restart"}"#,
        &[("direction", "forward")],
        &[],
    )
    .await;
    assert_eq!(lines_of(&reply.json()), ["one", "two", "three"]);
    let values = get(server.http(), "/loki/api/v1/label/app/values", &[])
        .await
        .json();
    assert_eq!(values["data"], json!(["restart"]));
    server.stop().await;
}

/// A WebSocket client of `/loki/api/v1/tail`.
async fn tail(
    addr: std::net::SocketAddr,
    query: &str,
) -> tokio_tungstenite::WebSocketStream<tokio::net::TcpStream> {
    let path = url("/loki/api/v1/tail", &[("query", query)]);
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (socket, response) = tokio_tungstenite::client_async(format!("ws://{addr}{path}"), stream)
        .await
        .unwrap();
    assert_eq!(response.status(), 101);
    socket
}

/// The next text message of a tail, as JSON.
async fn next_message(
    socket: &mut tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>,
) -> serde_json::Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(20), socket.next())
            .await
            .expect("a tail message within 20 s")
            .unwrap()
            .unwrap();
        if let tokio_tungstenite::tungstenite::Message::Text(text) = message {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

#[tokio::test]
async fn tail_sends_history_then_new_entries() {
    let server = TestServer::start().await;
    let t0 = ns_ago(5);
    let body = json_push(&[(
        json!({"app": "tailed"}),
        vec![(t0, "before error", None), (t0 + 1, "before ok", None)],
    )]);
    assert_eq!(
        post(server.http(), PUSH, &[("content-type", JSON)], body)
            .await
            .status,
        204
    );
    let mut socket = tail(server.http(), r#"{app="tailed"} |= "error""#).await;
    let first = next_message(&mut socket).await;
    assert_eq!(first["streams"][0]["stream"]["app"], "tailed", "{first}");
    assert_eq!(first["streams"][0]["values"][0][1], "before error");
    assert_eq!(first["streams"][0]["values"].as_array().unwrap().len(), 1);
    // Pushed after the connection: delivered by the next poll.
    let t1 = ns_ago(0);
    let body = json_push(&[(
        json!({"app": "tailed"}),
        vec![(t1, "later error", None), (t1 + 1, "later ok", None)],
    )]);
    assert_eq!(
        post(server.http(), PUSH, &[("content-type", JSON)], body)
            .await
            .status,
        204
    );
    let second = next_message(&mut socket).await;
    assert_eq!(
        second["streams"][0]["values"][0][1], "later error",
        "{second}"
    );
    assert_eq!(second["streams"][0]["values"].as_array().unwrap().len(), 1);
    socket.close(None).await.unwrap();
    // A bad query is refused before the upgrade.
    let bad = get(
        server.http(),
        &url("/loki/api/v1/tail", &[("query", "{")]),
        &[],
    )
    .await;
    assert_eq!(bad.status, 400);
    let too_long = get(
        server.http(),
        &url(
            "/loki/api/v1/tail",
            &[("query", r#"{a="b"}"#), ("delay_for", "6")],
        ),
        &[],
    )
    .await;
    assert_eq!(too_long.text(), "delay_for can't be greater than 5\n");
    // A tail open at shutdown is closed by the server, which then stops in time.
    let mut open = tail(server.http(), r#"{app="tailed"}"#).await;
    let _history = next_message(&mut open).await;
    tokio::time::timeout(Duration::from_secs(10), server.stop())
        .await
        .expect("shutdown with an open tail within 10 s");
    let closed = tokio::time::timeout(Duration::from_secs(5), open.next())
        .await
        .unwrap();
    assert!(
        matches!(
            closed,
            Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_))) | None
        ),
        "{closed:?}"
    );
}

#[tokio::test]
async fn fixed_answers() {
    let server = TestServer::start().await;
    let ready = get(server.http(), "/ready", &[]).await;
    assert_eq!((ready.status, ready.text().as_str()), (200, "ready\n"));
    let build = get(server.http(), "/loki/api/v1/status/buildinfo", &[])
        .await
        .json();
    assert!(
        build["version"].as_str().unwrap().starts_with("3."),
        "{build}"
    );
    for key in ["revision", "branch", "buildUser", "buildDate", "goVersion"] {
        assert!(build.get(key).is_some(), "{key}: {build}");
    }
    let formatted = get(
        server.http(),
        &url(
            "/loki/api/v1/format_query",
            &[("query", r#"{app="x"}|="err""#)],
        ),
        &[],
    )
    .await;
    assert_eq!(
        formatted.json(),
        json!({"status": "success", "data": "{app=\"x\"} |= \"err\""})
    );
    let invalid = get(
        server.http(),
        &url("/loki/api/v1/format_query", &[("query", "{app=")]),
        &[],
    )
    .await;
    assert_eq!(invalid.status, 400);
    assert_eq!(invalid.json()["status"], "invalid-query");
    let body = json_push(&[(json!({"app": "m"}), vec![(ns_ago(1), "x", None)])]);
    assert_eq!(
        post(server.http(), PUSH, &[("content-type", JSON)], body)
            .await
            .status,
        204
    );
    let metrics = get(server.http(), "/metrics", &[]).await;
    let text = metrics.text();
    assert!(
        text.contains(
            r#"loki_distributor_lines_received_total{format="loki_json",tenant="fake"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains("loki_ingester_memory_streams{tenant=\"fake\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("loki_request_duration_seconds_bucket{"),
        "{text}"
    );
    server.stop().await;
}
