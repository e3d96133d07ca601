//! What the loki-server tests share: an in-process server on a free port, a plain HTTP/1
//! client, and the bodies real clients push (JSON, protobuf in raw snappy).
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::missing_panics_doc
)] // test code: a panic is how a failure is reported; not every test uses every helper

use std::io::Write as _;
use std::net::SocketAddr;

use bytes::Bytes;
use examples::loki_server::{self, Config, RunningServer};
use http_body_util::{BodyExt as _, Full};
use hyper::header::HeaderMap;
use hyper_util::rt::TokioIo;
use loki_store::{PushEntry, PushStream};
use tokio::sync::oneshot;

/// A server started in-process on a free loopback port, with storage in a temporary folder.
pub struct TestServer {
    pub server: Option<RunningServer>,
    pub dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
}

impl TestServer {
    /// Loki's defaults (authentication off).
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// A server whose configuration `adjust` changes first.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Self {
        Self::start_in(tempfile::tempdir().unwrap(), adjust).await
    }

    /// A server over the storage in `dir`.
    pub async fn start_in(dir: tempfile::TempDir, adjust: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::loopback(dir.path());
        adjust(&mut config);
        let (stop, stopped) = oneshot::channel::<()>();
        let server = loki_server::run(config, async {
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

    pub fn http(&self) -> SocketAddr {
        self.server.as_ref().unwrap().addresses().http
    }

    /// Shuts the server down (flushing its chunks) and waits for it; gives back the storage
    /// folder.
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
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
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

/// `path?k=v&…` with the values percent-encoded.
pub fn url(path: &str, params: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        query.append_pair(k, v);
    }
    format!("{path}?{}", query.finish())
}

/// `bytes`, gzip-compressed.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Now in ns, minus `ago_secs` seconds.
pub fn ns_ago(ago_secs: i64) -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    i64::try_from(now).unwrap() - ago_secs * 1_000_000_000
}

/// One stream of a JSON push: its labels and its entries `(ts, line, metadata)`.
pub type JsonStream<'a> = (
    serde_json::Value,
    Vec<(i64, &'a str, Option<serde_json::Value>)>,
);

/// A JSON push body: one stream per `(labels, entries)`, entries `(ts, line, metadata)`.
pub fn json_push(streams: &[JsonStream<'_>]) -> Vec<u8> {
    let streams: Vec<serde_json::Value> = streams
        .iter()
        .map(|(labels, entries)| {
            let values: Vec<serde_json::Value> = entries
                .iter()
                .map(|(ts, line, md)| match md {
                    Some(md) => serde_json::json!([ts.to_string(), line, md]),
                    None => serde_json::json!([ts.to_string(), line]),
                })
                .collect();
            serde_json::json!({"stream": labels, "values": values})
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({ "streams": streams })).unwrap()
}

/// A protobuf push body (raw snappy), as Promtail sends it.
pub fn protobuf_push(streams: &[PushStream]) -> Vec<u8> {
    loki_server::push::protobuf::encode(streams)
}

/// A stream of `lines`, one ns apart from `start`.
pub fn stream(labels: &str, start: i64, lines: &[&str]) -> PushStream {
    PushStream::new(
        labels,
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| PushEntry::new(start + i64::try_from(i).unwrap(), (*l).to_owned()))
            .collect(),
    )
}

pub const JSON: &str = "application/json";
pub const PROTOBUF: &str = "application/x-protobuf";

/// The `(ts, line)` values of a `streams` answer, per stream, with the stream's labels.
pub fn streams_of(body: &serde_json::Value) -> Vec<(serde_json::Value, Vec<(String, String)>)> {
    assert_eq!(body["status"], "success", "{body}");
    assert_eq!(body["data"]["resultType"], "streams", "{body}");
    body["data"]["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let values = s["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| {
                    (
                        v[0].as_str().unwrap().to_owned(),
                        v[1].as_str().unwrap().to_owned(),
                    )
                })
                .collect();
            (s["stream"].clone(), values)
        })
        .collect()
}

/// Every line of a `streams` answer, in answer order.
pub fn lines_of(body: &serde_json::Value) -> Vec<String> {
    streams_of(body)
        .into_iter()
        .flat_map(|(_, v)| v.into_iter().map(|(_, l)| l))
        .collect()
}

/// `query_range` of `query` over the last hour (plus `extra` parameters).
pub async fn query_range(
    addr: SocketAddr,
    query: &str,
    extra: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> Reply {
    let mut params = vec![("query", query)];
    params.extend_from_slice(extra);
    get(addr, &url("/loki/api/v1/query_range", &params), headers).await
}
