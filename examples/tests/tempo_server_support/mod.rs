//! What the tempo-server tests share: an in-process server on free ports, a plain HTTP/1
//! client, an OTLP/gRPC client, and writers for the bodies real clients send (OTLP, Jaeger
//! Thrift in both protocols, Zipkin JSON).
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::missing_panics_doc,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)] // test code: a panic is how a failure is reported; not every test uses every helper

use std::io::Write as _;
use std::net::SocketAddr;

use bytes::Bytes;
use examples::tempo_server::{self, Config, RunningServer};
use http_body_util::{BodyExt as _, Full};
use hyper::header::HeaderMap;
use hyper_util::rt::TokioIo;
use otlp_model::build::{resource_spans, span};
use otlp_model::proto::trace::ResourceSpans;
use otlp_model::{SpanId, TraceId};
use testkit::thrift::{T_I32, T_I64, T_LIST, T_STRING, T_STRUCT, ThriftWriter};
use tokio::sync::oneshot;

/// A server started in-process on free loopback ports, with storage in a temporary folder.
pub struct TestServer {
    pub server: Option<RunningServer>,
    pub dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
}

impl TestServer {
    /// Every receiver on, multitenancy as given.
    pub async fn start(multitenancy: bool) -> Self {
        Self::start_with(|c| c.multitenancy_enabled = multitenancy).await
    }

    /// A server whose configuration `adjust` changes first.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self::start_in(dir, adjust).await
    }

    /// A server over the storage in `dir`.
    pub async fn start_in(dir: tempfile::TempDir, adjust: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::loopback(dir.path());
        adjust(&mut config);
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tempo_server::run(config, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
        Self {
            server: Some(server),
            dir,
            stop: Some(stop),
        }
    }

    fn addrs(&self) -> &tempo_server::Addresses {
        self.server.as_ref().unwrap().addresses()
    }

    pub fn http(&self) -> SocketAddr {
        self.addrs().http
    }
    pub fn otlp_grpc(&self) -> SocketAddr {
        self.addrs().otlp_grpc.unwrap()
    }
    pub fn otlp_http(&self) -> SocketAddr {
        self.addrs().otlp_http.unwrap()
    }
    pub fn jaeger_http(&self) -> SocketAddr {
        self.addrs().jaeger_thrift_http.unwrap()
    }
    pub fn jaeger_compact(&self) -> SocketAddr {
        self.addrs().jaeger_thrift_compact.unwrap()
    }
    pub fn jaeger_binary(&self) -> SocketAddr {
        self.addrs().jaeger_thrift_binary.unwrap()
    }
    pub fn zipkin(&self) -> SocketAddr {
        self.addrs().zipkin.unwrap()
    }

    /// Shuts the server down and waits for it; gives back the storage folder.
    pub async fn stop(mut self) -> tempfile::TempDir {
        let _ = self.stop.take().unwrap().send(());
        self.server.take().unwrap().wait().await.unwrap();
        self.dir
    }
}

/// A response: status, headers, body.
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8(self.body.to_vec()).unwrap()
    }
    pub fn content_type(&self) -> Option<&str> {
        self.headers
            .get("content-type")
            .map(|v| v.to_str().unwrap())
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// One HTTP/1.1 request on a new connection.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> Reply {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let mut builder = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr.to_string());
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    let request = builder.body(Full::new(body.into())).unwrap();
    let response = sender.send_request(request).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        headers,
        body,
    }
}

/// `GET path` with `headers`.
pub async fn get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Reply {
    request(addr, "GET", path, headers, Bytes::new()).await
}

/// `POST path` with `headers` and `body`.
pub async fn post(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> Reply {
    request(addr, "POST", path, headers, body).await
}

/// `bytes`, gzip-compressed.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// A trace ID that is unique per `n` and `salt`.
pub fn trace_id(salt: u64, n: u64) -> TraceId {
    TraceId::from_high_low(0x5eed_0000_0000_0000 | salt, n + 1)
}

/// A two-span trace of service `service`: a root and a child.
pub fn two_span_trace(id: TraceId, service: &str) -> Vec<ResourceSpans> {
    let start = 1_700_000_000_000_000_000;
    let root = span(id, SpanId::from_u64(1), "root", start, start + 50_000_000);
    let mut child = span(
        id,
        SpanId::from_u64(2),
        "child",
        start + 1_000_000,
        start + 40_000_000,
    );
    child.parent_span_id = SpanId::from_u64(1).as_bytes().to_vec();
    vec![resource_spans(service, vec![root, child])]
}

/// The names of the spans of a v1 JSON body (`{"batches":[…]}`), sorted.
pub fn v1_span_names(body: &serde_json::Value) -> Vec<String> {
    let mut names: Vec<String> = body["batches"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|rs| rs["scopeSpans"].as_array().unwrap())
        .flat_map(|ss| ss["spans"].as_array().unwrap())
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

/// Jaeger batches and agent datagrams, written with the workspace's test Thrift writer.
pub struct Thrift {
    w: ThriftWriter,
    pub out: Vec<u8>,
}

impl Thrift {
    pub fn new(compact: bool) -> Self {
        Self {
            w: ThriftWriter::new(compact),
            out: Vec::new(),
        }
    }

    /// `Batch{process{serviceName}, spans[...]}`, each span `(trace_id, span_id, parent,
    /// name)` starting at `start_us` and lasting 1 ms, with a string tag `k=v`.
    pub fn batch(
        &mut self,
        service: &str,
        spans: &[(TraceId, u64, u64, &str)],
        start_us: i64,
    ) -> &mut Self {
        write_batch(&mut self.w, service, spans, start_us);
        self.out = self.w.out.clone();
        self
    }

    /// An agent datagram: a oneway `emitBatch` call holding the batch.
    pub fn emit_batch(
        compact: bool,
        service: &str,
        spans: &[(TraceId, u64, u64, &str)],
    ) -> Vec<u8> {
        let mut w = ThriftWriter::new(compact);
        w.oneway_call("emitBatch");
        // emitBatch_args { 1: Batch }
        w.begin();
        w.field(T_STRUCT, 1);
        write_batch(&mut w, service, spans, 1_700_000_000_000_000);
        w.end();
        w.out
    }
}

fn write_batch(
    w: &mut ThriftWriter,
    service: &str,
    spans: &[(TraceId, u64, u64, &str)],
    start_us: i64,
) {
    w.begin();
    w.field(T_STRUCT, 1).begin();
    w.field(T_STRING, 1).string(service);
    w.end();
    w.field(T_LIST, 2).list(T_STRUCT, spans.len());
    for &(trace, id, parent, name) in spans {
        w.begin();
        w.field(T_I64, 1).i64(trace.low() as i64);
        w.field(T_I64, 2).i64(trace.high() as i64);
        w.field(T_I64, 3).i64(id as i64);
        w.field(T_I64, 4).i64(parent as i64);
        w.field(T_STRING, 5).string(name);
        w.field(T_I32, 7).i32(1);
        w.field(T_I64, 8).i64(start_us);
        w.field(T_I64, 9).i64(1_000);
        w.field(T_LIST, 10).list(T_STRUCT, 1);
        w.begin();
        w.field(T_STRING, 1).string("k");
        w.field(T_I32, 2).i32(0); // TagType STRING
        w.field(T_STRING, 3).string("v");
        w.end();
        w.end();
    }
    w.end();
}

/// A Zipkin v2 JSON span list: each span `(trace_id_hex, span_id_hex, parent, name)`.
pub fn zipkin_json(service: &str, spans: &[(&str, &str, Option<&str>, &str)]) -> Vec<u8> {
    let list: Vec<serde_json::Value> = spans
        .iter()
        .map(|(trace, id, parent, name)| {
            let mut s = serde_json::json!({
                "traceId": trace, "id": id, "name": name, "kind": "SERVER",
                "timestamp": 1_700_000_000_000_000_u64, "duration": 1500,
                "localEndpoint": {"serviceName": service},
                "tags": {"http.method": "GET"}
            });
            if let Some(p) = parent {
                s["parentId"] = serde_json::Value::String((*p).to_owned());
            }
            s
        })
        .collect();
    serde_json::to_vec(&list).unwrap()
}
