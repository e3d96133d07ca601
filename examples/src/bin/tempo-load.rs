//! `tempo-load`: a bounded load generator for a Tempo-compatible server (this project's
//! `tempo-server`, or Tempo itself).
//!
//! Sends `--requests` OTLP/gRPC export requests of `--traces` traces × `--spans` spans (three
//! attributes each) over `--concurrency` connections, then fetches `--lookups` of the sent
//! traces by ID from the query API (`/api/traces/<id>`, protobuf) — once right away (live
//! data), and again after `--settle` seconds when asked (completed blocks) — and prints
//! spans/s, refusals, request and lookup latency percentiles and, with `--server-pid`, the
//! server's peak resident memory (Linux `VmHWM`).
//!
//! ```sh
//! tempo-server --storage.trace.local.path /tmp/t/blocks --storage.trace.wal.path /tmp/t/wal &
//! tempo-load --server-pid $! --settle 40
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use std::io::Write as _;

use examples::cli;
use http_body_util::{BodyExt as _, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use otlp_model::build::{kv, resource_spans, span};
use otlp_model::proto::collector::trace::ExportTraceServiceRequest;
use otlp_model::proto::collector::trace::ExportTraceServiceResponse;
use otlp_model::{SpanId, TraceId};
use prost::Message as _;

/// A bounded OTLP/gRPC ingest and trace-by-ID load against a Tempo-compatible server.
#[derive(Debug, Parser)]
#[command(name = "tempo-load", version)]
struct Args {
    /// OTLP/gRPC receiver (host:port).
    #[arg(long, default_value = "127.0.0.1:4317")]
    otlp_grpc: String,
    /// Query API (host:port).
    #[arg(long, default_value = "127.0.0.1:3200")]
    query: String,
    /// Export requests to send.
    #[arg(long, default_value_t = 6000)]
    requests: usize,
    /// Traces per request.
    #[arg(long, default_value_t = 10)]
    traces: usize,
    /// Spans per trace.
    #[arg(long, default_value_t = 10)]
    spans: usize,
    /// Concurrent gRPC connections (one request in flight on each).
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Sent traces to fetch back by ID (spread over everything sent).
    #[arg(long, default_value_t = 200)]
    lookups: usize,
    /// After the first lookups, wait this many seconds (for the server to complete its
    /// blocks) and look the same traces up again; 0 skips.
    #[arg(long, default_value_t = 0)]
    settle: u64,
    /// `X-Scope-OrgID` to send.
    #[arg(long)]
    tenant: Option<String>,
    /// The server's process ID, to read its peak resident memory from /proc.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Seed of the trace IDs (change it to send new traces to the same server).
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// Sends request bodies encoded beforehand, so the generator's own CPU (it shares the
/// machine with the server) goes to sending, not to encoding protobuf.
#[derive(Debug, Clone, Copy, Default)]
struct PreEncoded;

impl tonic::codec::Codec for PreEncoded {
    type Encode = Bytes;
    type Decode = ExportTraceServiceResponse;
    type Encoder = PreEncoded;
    type Decoder = PreEncoded;

    fn encoder(&mut self) -> Self::Encoder {
        PreEncoded
    }

    fn decoder(&mut self) -> Self::Decoder {
        PreEncoded
    }
}

impl tonic::codec::Encoder for PreEncoded {
    type Item = Bytes;
    type Error = tonic::Status;

    fn encode(
        &mut self,
        item: Bytes,
        dst: &mut tonic::codec::EncodeBuf<'_>,
    ) -> Result<(), tonic::Status> {
        bytes::BufMut::put_slice(dst, &item);
        Ok(())
    }
}

impl tonic::codec::Decoder for PreEncoded {
    type Item = ExportTraceServiceResponse;
    type Error = tonic::Status;

    fn decode(
        &mut self,
        src: &mut tonic::codec::DecodeBuf<'_>,
    ) -> Result<Option<ExportTraceServiceResponse>, tonic::Status> {
        ExportTraceServiceResponse::decode(src)
            .map(Some)
            .map_err(|e| tonic::Status::internal(e.to_string()))
    }
}

const EXPORT_PATH: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

fn err(message: impl Into<String>) -> cli::Error {
    message.into().into()
}

fn trace_id(seed: u64, n: u64) -> TraceId {
    TraceId::from_high_low(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1, n + 1)
}

fn request(args: &Args, r: u64) -> ExportTraceServiceRequest {
    const T0: u64 = 1_764_000_000_000_000_000;
    let per = args.traces as u64;
    let resource_spans = (0..per)
        .map(|t| {
            let n = r * per + t;
            let id = trace_id(args.seed, n);
            let spans = (0..args.spans as u64)
                .map(|s| {
                    let mut sp = span(
                        id,
                        SpanId::from_u64(s + 1),
                        format!("GET /api/item/{}", s % 7),
                        T0 + n * 1_000_000 + s * 1000,
                        T0 + n * 1_000_000 + s * 1000 + 800,
                    );
                    if s > 0 {
                        sp.parent_span_id = SpanId::from_u64(1).as_bytes().to_vec();
                    }
                    sp.attributes = vec![
                        kv("http.method", "GET"),
                        kv("http.status_code", 200i64),
                        kv("user.id", format!("user-{}", n % 997)),
                    ];
                    sp
                })
                .collect();
            resource_spans(&format!("service-{}", n % 5), spans)
        })
        .collect();
    ExportTraceServiceRequest { resource_spans }
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i].as_secs_f64() * 1e3
}

fn peak_rss_mib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line["VmHWM:".len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib / 1024)
}

async fn ingest(args: &Args) -> cli::Result<usize> {
    let requests: Arc<Vec<Bytes>> = Arc::new(
        (0..args.requests as u64)
            .map(|r| Bytes::from(request(args, r).encode_to_vec()))
            .collect(),
    );
    let next = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicUsize::new(0));
    let endpoint = format!("http://{}", args.otlp_grpc);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency.max(1) {
        let channel = tonic::transport::Endpoint::from_shared(endpoint.clone())
            .map_err(|e| err(format!("--otlp-grpc {endpoint}: {e}")))?
            .connect()
            .await
            .map_err(|e| err(format!("connecting to {endpoint}: {e}")))?;
        let mut client = tonic::client::Grpc::new(channel);
        let (requests, next, refused) = (
            Arc::clone(&requests),
            Arc::clone(&next),
            Arc::clone(&refused),
        );
        let tenant = args.tenant.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(req) = requests.get(i) else { break };
                let mut req = tonic::Request::new(req.clone());
                if let Some(t) = &tenant
                    && let Ok(v) = t.parse()
                {
                    req.metadata_mut().insert("x-scope-orgid", v);
                }
                let t = Instant::now();
                let sent = async {
                    client
                        .ready()
                        .await
                        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
                    client
                        .unary(
                            req,
                            tonic::codegen::http::uri::PathAndQuery::from_static(EXPORT_PATH),
                            PreEncoded,
                        )
                        .await
                };
                if sent.await.is_err() {
                    refused.fetch_add(1, Ordering::Relaxed);
                }
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.map_err(|e| err(format!("a sender failed: {e}")))?);
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let refused = refused.load(Ordering::Relaxed);
    let spans = (args.requests - refused) * args.traces * args.spans;
    #[allow(clippy::cast_precision_loss)]
    let rate = spans as f64 / elapsed.as_secs_f64();
    let mut out = cli::stdout();
    writeln!(
        out,
        "ingest: {} requests ({} traces x {} spans) over {} connections in {:.2} s: {rate:.0} spans/s accepted, {refused} requests refused; request latency p50 {:.2} ms, p99 {:.2} ms",
        args.requests,
        args.traces,
        args.spans,
        args.concurrency,
        elapsed.as_secs_f64(),
        pct(&latencies, 0.5),
        pct(&latencies, 0.99),
    )?;
    out.flush()?;
    Ok(refused)
}

async fn lookups(args: &Args, phase: &str) -> cli::Result<usize> {
    let stream = tokio::net::TcpStream::connect(&args.query)
        .await
        .map_err(|e| err(format!("connecting to {}: {e}", args.query)))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| err(format!("HTTP to {}: {e}", args.query)))?;
    tokio::spawn(conn);
    let total = (args.requests * args.traces) as u64;
    let step = (total / args.lookups.max(1) as u64).max(1);
    let mut latencies = Vec::new();
    let mut missing = 0;
    for k in 0..args.lookups as u64 {
        let id = trace_id(args.seed, (k * step) % total.max(1));
        let mut req = hyper::Request::get(format!("/api/traces/{}", id.to_hex()))
            .header("host", &args.query)
            .header("accept", "application/protobuf");
        if let Some(t) = &args.tenant {
            req = req.header("x-scope-orgid", t);
        }
        let req = req
            .body(Empty::<Bytes>::new())
            .map_err(|e| err(e.to_string()))?;
        let t = Instant::now();
        sender
            .ready()
            .await
            .map_err(|e| err(format!("HTTP to {}: {e}", args.query)))?;
        let resp = sender
            .send_request(req)
            .await
            .map_err(|e| err(format!("GET /api/traces: {e}")))?;
        let ok = resp.status().is_success();
        let _ = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| err(e.to_string()))?;
        latencies.push(t.elapsed());
        if !ok {
            missing += 1;
        }
    }
    latencies.sort();
    let mut out = cli::stdout();
    writeln!(
        out,
        "trace by ID ({phase}): {} lookups, {missing} not found; p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms",
        args.lookups,
        pct(&latencies, 0.5),
        pct(&latencies, 0.9),
        pct(&latencies, 0.99),
    )?;
    out.flush()?;
    Ok(missing)
}

/// Ingest, lookups, and the server's peak memory; `Ok(false)` when a request was refused or
/// a sent trace was not found.
async fn run(args: Args) -> cli::Result<bool> {
    let mut bad = ingest(&args).await?;
    bad += lookups(&args, "right after ingest").await?;
    if args.settle > 0 {
        tokio::time::sleep(Duration::from_secs(args.settle)).await;
        bad += lookups(&args, &format!("after {} s", args.settle)).await?;
    }
    if let Some(pid) = args.server_pid {
        let mut out = cli::stdout();
        match peak_rss_mib(pid) {
            Some(mib) => writeln!(out, "server peak RSS (VmHWM of pid {pid}): {mib} MiB")?,
            None => writeln!(out, "server peak RSS: /proc/{pid}/status not readable")?,
        }
        out.flush()?;
    }
    Ok(bad == 0)
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(cli::Error::from)
        .and_then(|rt| rt.block_on(run(args)));
    cli::exit("tempo-load", result)
}
