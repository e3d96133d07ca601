//! loki-server's refusals, each with Loki's status and text: partial rejections (the good
//! entries stored), limits (413, 429), tenancy (401, isolation, multi-tenant queries), query
//! errors (400), endpoints not built (501).
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

mod loki_server_support;

use loki_server_support::{
    JSON, PROTOBUF, TestServer, get, json_push, lines_of, ns_ago, post, protobuf_push, query_range,
    stream, streams_of, url,
};
use serde_json::json;

const PUSH: &str = "/loki/api/v1/push";

#[tokio::test]
async fn partial_rejections_store_the_good_entries() {
    let server = TestServer::start_with(|c| c.limits.max_line_size = 20).await;
    let now = ns_ago(0);
    let old = ns_ago(8 * 24 * 3600);
    let body = json_push(&[(
        json!({"app": "partial"}),
        vec![
            (now, "fits", None),
            (old, "too old", None),
            (now + 1, "this line is longer than twenty bytes", None),
        ],
    )]);
    let reply = post(server.http(), PUSH, &[("content-type", JSON)], body).await;
    assert_eq!(reply.status, 400);
    let text = reply.text();
    assert!(
        text.starts_with("1 errors like: entry for stream '{app=\"partial\", service_name=\"partial\"}' has timestamp too old: "),
        "{text}"
    );
    assert!(
        text.contains("; 1 errors like: max entry size '20' bytes exceeded for stream '{app=\"partial\", service_name=\"partial\"}' while adding an entry with length '37' bytes"),
        "{text}"
    );
    assert!(text.ends_with('\n'));
    let reply = query_range(server.http(), r#"{app="partial"}"#, &[], &[]).await;
    assert_eq!(lines_of(&reply.json()), ["fits"]);

    // Out of order beyond the window (an hour behind the stream's newest entry).
    let body = json_push(&[(
        json!({"app": "partial"}),
        vec![
            (ns_ago(2 * 3600), "far behind", None),
            (now + 2, "in order", None),
        ],
    )]);
    let reply = post(server.http(), PUSH, &[("content-type", JSON)], body).await;
    assert_eq!(reply.status, 400);
    let text = reply.text();
    assert!(text.starts_with("entry with timestamp "), "{text}");
    assert!(
        text.contains("ignored, reason: 'entry too far behind, entry timestamp is: "),
        "{text}"
    );
    assert!(
        text.contains("user 'fake', total ignored: 1 out of 2 for stream: {app=\"partial\", service_name=\"partial\"}"),
        "{text}"
    );
    let reply = query_range(
        server.http(),
        r#"{app="partial"}"#,
        &[("direction", "forward")],
        &[],
    )
    .await;
    assert_eq!(lines_of(&reply.json()), ["fits", "in order"]);

    // An exact duplicate is stored once and is no error.
    let body = json_push(&[(json!({"app": "partial"}), vec![(now, "fits", None)])]);
    assert_eq!(
        post(server.http(), PUSH, &[("content-type", JSON)], body)
            .await
            .status,
        204
    );
    let reply = query_range(server.http(), r#"{app="partial"}"#, &[], &[]).await;
    assert_eq!(lines_of(&reply.json()).len(), 2);
    server.stop().await;
}

#[tokio::test]
async fn malformed_pushes_are_400() {
    let server = TestServer::start().await;
    let t = ns_ago(1);
    let no_type = post(server.http(), PUSH, &[], "{}").await;
    assert_eq!(
        (no_type.status, no_type.text().as_str()),
        (400, "mime: no media type\n")
    );
    let number = post(
        server.http(),
        PUSH,
        &[("content-type", JSON)],
        format!(r#"{{"streams":[{{"stream":{{"a":"b"}},"values":[[{t},"x"]]}}]}}"#),
    )
    .await;
    assert_eq!(number.status, 400);
    assert!(
        number.text().contains("invalid type: integer"),
        "{}",
        number.text()
    );
    let bad_labels = post(
        server.http(),
        PUSH,
        &[("content-type", PROTOBUF)],
        protobuf_push(&[stream("{app=}", t, &["x"])]),
    )
    .await;
    assert_eq!(bad_labels.status, 400);
    assert!(
        bad_labels.text().starts_with("couldn't parse labels"),
        "{}",
        bad_labels.text()
    );
    let not_snappy = post(
        server.http(),
        PUSH,
        &[("content-type", PROTOBUF)],
        "plain text",
    )
    .await;
    assert_eq!(not_snappy.status, 400);
    let encoding = post(
        server.http(),
        PUSH,
        &[("content-type", JSON), ("content-encoding", "br")],
        "{}",
    )
    .await;
    assert_eq!(encoding.text(), "Content-Encoding \"br\" not supported\n");
    let no_streams = post(
        server.http(),
        PUSH,
        &[("content-type", JSON)],
        r#"{"streams":[]}"#,
    )
    .await;
    assert_eq!(no_streams.status, 422, "{}", no_streams.text());
    server.stop().await;
}

#[tokio::test]
async fn limits_answer_413_and_429() {
    let server = TestServer::start_with(|c| {
        c.max_recv_msg_size = 1000;
        c.limits.ingestion_rate_mb = 0.0001; // ~100 bytes/s
        c.limits.ingestion_burst_size_mb = 0.0002; // ~200 bytes
        c.limits.max_global_streams_per_user = 2;
    })
    .await;
    let t = ns_ago(1);
    let big = vec![b'x'; 2000];
    let reply = post(server.http(), PUSH, &[("content-type", JSON)], big).await;
    assert_eq!(reply.status, 413);
    assert_eq!(
        reply.text(),
        "request body too large: message size too large than max (2000 vs 1000)\n"
    );
    let line = "y".repeat(150);
    let body = json_push(&[(json!({"app": "rate"}), vec![(t, &line, None)])]);
    assert_eq!(
        post(server.http(), PUSH, &[("content-type", JSON)], body)
            .await
            .status,
        204
    );
    let body = json_push(&[(json!({"app": "rate"}), vec![(t + 1, &line, None)])]);
    let reply = post(server.http(), PUSH, &[("content-type", JSON)], body).await;
    assert_eq!(reply.status, 429);
    assert!(
        reply.text().starts_with("ingestion rate limit exceeded for user fake (limit: 104 bytes/sec) while attempting to ingest '1' lines totaling '150' bytes"),
        "{}",
        reply.text()
    );
    server.stop().await;

    let server = TestServer::start_with(|c| c.limits.max_global_streams_per_user = 1).await;
    let body = json_push(&[(json!({"app": "s1"}), vec![(t, "a", None)])]);
    assert_eq!(
        post(server.http(), PUSH, &[("content-type", JSON)], body)
            .await
            .status,
        204
    );
    let body = json_push(&[(json!({"app": "s2"}), vec![(t, "b", None)])]);
    let reply = post(server.http(), PUSH, &[("content-type", JSON)], body).await;
    assert_eq!(reply.status, 429);
    assert!(
        reply.text().starts_with("maximum active stream limit exceeded when trying to create stream {app=\"s2\", service_name=\"s2\"}"),
        "{}",
        reply.text()
    );
    server.stop().await;
}

#[tokio::test]
#[allow(clippy::too_many_lines, reason = "one server, every tenancy rule")]
async fn tenants_are_isolated() {
    let server = TestServer::start_with(|c| {
        c.auth_enabled = true;
        c.multi_tenant_queries_enabled = true;
    })
    .await;
    let t = ns_ago(1);
    let body = json_push(&[(json!({"app": "x"}), vec![(t, "line", None)])]);
    let reply = post(server.http(), PUSH, &[("content-type", JSON)], body.clone()).await;
    assert_eq!((reply.status, reply.text().as_str()), (401, "no org id\n"));
    for tenant in ["team-a", "team-b"] {
        let body = json_push(&[(
            json!({"app": "x"}),
            vec![(t, &format!("from {tenant}"), None)],
        )]);
        let reply = post(
            server.http(),
            PUSH,
            &[("content-type", JSON), ("X-Scope-OrgID", tenant)],
            body,
        )
        .await;
        assert_eq!(reply.status, 204, "{}", reply.text());
    }
    let reply = post(
        server.http(),
        PUSH,
        &[("content-type", JSON), ("X-Scope-OrgID", "team-a|team-b")],
        body,
    )
    .await;
    assert_eq!(
        (reply.status, reply.text().as_str()),
        (400, "multiple org IDs present\n")
    );
    let q = r#"{app="x"}"#;
    let reply = query_range(server.http(), q, &[], &[]).await;
    assert_eq!(reply.status, 401);
    let a = query_range(server.http(), q, &[], &[("X-Scope-OrgID", "team-a")]).await;
    assert_eq!(lines_of(&a.json()), ["from team-a"]);
    let c = query_range(server.http(), q, &[], &[("X-Scope-OrgID", "team-c")]).await;
    assert!(lines_of(&c.json()).is_empty());
    let labels = get(
        server.http(),
        "/loki/api/v1/labels",
        &[("X-Scope-OrgID", "team-c")],
    )
    .await;
    assert_eq!(labels.json()["data"], json!([]));

    // Several tenants: merged, each stream with its tenant.
    let both = query_range(server.http(), q, &[], &[("X-Scope-OrgID", "team-b|team-a")]).await;
    let streams = streams_of(&both.json());
    let tenants: Vec<&str> = streams
        .iter()
        .map(|(labels, _)| labels["__tenant_id__"].as_str().unwrap())
        .collect();
    assert_eq!(tenants, ["team-a", "team-b"]);
    let only_b = query_range(
        server.http(),
        r#"{app="x", __tenant_id__="team-b"}"#,
        &[],
        &[("X-Scope-OrgID", "team-b|team-a")],
    )
    .await;
    assert_eq!(lines_of(&only_b.json()), ["from team-b"]);
    let ids = get(
        server.http(),
        "/loki/api/v1/label/__tenant_id__/values",
        &[("X-Scope-OrgID", "team-a|team-b")],
    )
    .await;
    assert_eq!(ids.json()["data"], json!(["team-a", "team-b"]));
    let series = get(
        server.http(),
        &url("/loki/api/v1/series", &[("match[]", q)]),
        &[("X-Scope-OrgID", "team-a|team-b")],
    )
    .await;
    assert_eq!(series.json()["data"].as_array().unwrap().len(), 2);
    let bad = get(
        server.http(),
        "/loki/api/v1/labels",
        &[("X-Scope-OrgID", "a/b")],
    )
    .await;
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.text(),
        "tenant ID 'a/b' contains unsupported character '/'\n"
    );
    server.stop().await;

    // Without multi-tenant queries, several tenants are refused.
    let server = TestServer::start_with(|c| c.auth_enabled = true).await;
    let reply = query_range(server.http(), q, &[], &[("X-Scope-OrgID", "a|b")]).await;
    assert_eq!(
        (reply.status, reply.text().as_str()),
        (400, "multiple org IDs present\n")
    );
    server.stop().await;
}

#[tokio::test]
#[allow(clippy::too_many_lines, reason = "one refusal after the other")]
async fn query_errors_are_lokis() {
    let server = TestServer::start().await;
    let check = |status: u16, text: &str, reply: &loki_server_support::Reply| {
        assert_eq!(reply.status, status, "{}", reply.text());
        assert_eq!(reply.text(), format!("{text}\n"));
    };
    let reply = query_range(server.http(), r#"{app="api"} "error""#, &[], &[]).await;
    check(
        400,
        "parse error at line 1, col 13: syntax error: unexpected STRING",
        &reply,
    );
    let reply = query_range(server.http(), r#"{app=""}"#, &[], &[]).await;
    assert_eq!(reply.status, 400);
    assert!(
        reply
            .text()
            .starts_with("parse error : queries require at least one regexp or equality matcher"),
        "{}",
        reply.text()
    );
    let reply = query_range(server.http(), r#"{app="api"}"#, &[("limit", "6000")], &[]).await;
    check(
        400,
        "max entries limit per query exceeded, limit > max_entries_limit_per_query (6000 > 5000)",
        &reply,
    );
    let reply = query_range(
        server.http(),
        r#"{app="api"}"#,
        &[("start", "10"), ("end", "5")],
        &[],
    )
    .await;
    check(
        400,
        "end timestamp must not be before or equal to start time",
        &reply,
    );
    let reply = query_range(
        server.http(),
        r#"{app="api"}"#,
        &[("direction", "sideways")],
        &[],
    )
    .await;
    check(400, "invalid direction 'sideways'", &reply);
    let reply = query_range(server.http(), r#"{app="api"} | json"#, &[], &[]).await;
    check(400, "the json parser (| json) is not supported yet", &reply);
    let reply = query_range(
        server.http(),
        r#"sum(count_over_time({app="api"}[5m]))"#,
        &[],
        &[],
    )
    .await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.text().contains("is not supported yet"),
        "{}",
        reply.text()
    );
    let instant = get(
        server.http(),
        &url("/loki/api/v1/query", &[("query", r#"{app="api"}"#)]),
        &[],
    )
    .await;
    check(
        400,
        "log queries are not supported as an instant query type, please change your query to a range query type",
        &instant,
    );
    let metric = get(
        server.http(),
        &url(
            "/loki/api/v1/query",
            &[("query", r#"rate({app="api"}[1m])"#)],
        ),
        &[],
    )
    .await;
    assert_eq!(metric.status, 400);
    assert!(
        metric.text().contains("not supported yet"),
        "{}",
        metric.text()
    );
    for path in [
        "/loki/api/v1/index/volume",
        "/loki/api/v1/index/stats",
        "/loki/api/v1/detected_fields",
        "/loki/api/v1/patterns",
    ] {
        let reply = get(server.http(), path, &[]).await;
        assert_eq!(reply.status, 501, "{path}");
        assert!(
            reply.text().contains("not implemented yet"),
            "{path}: {}",
            reply.text()
        );
    }
    let unknown = get(server.http(), "/nope", &[]).await;
    assert_eq!(
        (unknown.status, unknown.text().as_str()),
        (404, "404 page not found\n")
    );
    server.stop().await;
}
