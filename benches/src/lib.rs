//! Shared inputs for the criterion benchmarks in `benches/benches/`.
//!
//! Every input is generated from a fixed seed so figures are reproducible across runs and
//! machines. Run the benchmarks with `cargo bench -p benches`; BENCHMARKS.md records results.
//!
//! ```
//! let a = benches::random_bytes(64, 7);
//! assert_eq!(a, benches::random_bytes(64, 7));
//! ```

use rand::{RngExt, SeedableRng, rngs::StdRng};

/// `len` pseudo-random bytes from `seed`.
pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = vec![0u8; len];
    rng.fill(out.as_mut_slice());
    out
}

/// `count` pseudo-random 16-byte trace IDs from `seed`.
pub fn trace_ids(count: usize, seed: u64) -> Vec<[u8; 16]> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..count).map(|_| rng.random()).collect()
}

/// A seeded, realistic log corpus: a mix of logfmt, JSON and plain-text lines with recurring
/// vocabulary (levels, services, paths, users) and varying numbers and IDs, with timestamps
/// increasing by a few milliseconds. Returns `(timestamp_ns, line)` pairs totalling at least
/// `bytes` bytes of line text.
pub fn log_corpus(bytes: usize, seed: u64) -> Vec<(i64, Vec<u8>)> {
    const LEVELS: [&str; 4] = ["debug", "info", "warn", "error"];
    const SERVICES: [&str; 6] = ["api", "db", "worker", "auth", "cache", "gateway"];
    const PATHS: [&str; 6] = [
        "/api/v1/users",
        "/api/v1/orders",
        "/api/v2/search",
        "/healthz",
        "/api/v1/payments/charge",
        "/static/app.js",
    ];
    const USERS: [&str; 5] = ["alice", "bob", "carol", "dave", "erin"];
    const MSGS: [&str; 6] = [
        "request completed",
        "cache miss, fetching from origin",
        "connection reset by peer",
        "slow query detected",
        "retrying after transient failure",
        "user session refreshed",
    ];
    let mut rng = StdRng::seed_from_u64(seed);
    let mut ts: i64 = 1_710_072_000_000_000_000;
    let mut total = 0;
    let mut out = Vec::new();
    while total < bytes {
        ts += rng.random_range(1_000_000..5_000_000);
        let level = LEVELS[rng.random_range(0..LEVELS.len())];
        let service = SERVICES[rng.random_range(0..SERVICES.len())];
        let path = PATHS[rng.random_range(0..PATHS.len())];
        let user = USERS[rng.random_range(0..USERS.len())];
        let msg = MSGS[rng.random_range(0..MSGS.len())];
        let trace: u64 = rng.random();
        let line = match rng.random_range(0..3) {
            0 => format!(
                "level={level} ts=2024-03-10T12:{:02}:{:02}.{:03}Z caller={service}/handler.go:{} msg=\"{msg}\" path={path} user={user} status={} duration={}ms trace_id={trace:016x}",
                rng.random_range(0..60),
                rng.random_range(0..60),
                rng.random_range(0..1000),
                rng.random_range(10..900),
                [200, 200, 200, 201, 404, 500][rng.random_range(0..6)],
                rng.random_range(1..2000),
            ),
            1 => format!(
                "{{\"level\":\"{level}\",\"service\":\"{service}\",\"msg\":\"{msg}\",\"path\":\"{path}\",\"user\":\"{user}\",\"bytes\":{},\"latency_ms\":{:.3},\"trace_id\":\"{trace:016x}\"}}",
                rng.random_range(0..100_000),
                rng.random_range(0.0..500.0),
            ),
            _ => format!(
                "2024-03-10T12:00:00Z {} [{service}-{}] {msg}: {} items in {}ms (user={user})",
                level.to_uppercase(),
                rng.random_range(0..8),
                rng.random_range(0..5000),
                rng.random_range(0..3000),
            ),
        };
        total += line.len();
        out.push((ts, line.into_bytes()));
    }
    out
}

/// The raw codec libraries, called directly: the baseline the chunk benches compare against.
pub mod raw {
    use std::io::{Read, Write};

    use loki_chunk::Codec;
    use loki_chunk::codec::DEFLATE_LEVEL;

    /// Compresses `data` with `codec`'s library as one stream, with the settings the chunk
    /// writer uses (gzip and flate: libdeflate at [`DEFLATE_LEVEL`]).
    ///
    /// # Panics
    ///
    /// If the library fails on in-memory data (it does not).
    pub fn compress(codec: Codec, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len() / 2);
        match codec {
            Codec::Gzip | Codec::Flate => {
                let level = libdeflater::CompressionLvl::new(DEFLATE_LEVEL).expect("valid level");
                let mut c = libdeflater::Compressor::new(level);
                let gzip = codec == Codec::Gzip;
                let bound = if gzip {
                    c.gzip_compress_bound(data.len())
                } else {
                    c.deflate_compress_bound(data.len())
                };
                out.resize(bound, 0);
                let n = if gzip {
                    c.gzip_compress(data, &mut out)
                } else {
                    c.deflate_compress(data, &mut out)
                };
                out.truncate(n.expect("bound is enough"));
            }
            Codec::Snappy => {
                let mut e = snap::write::FrameEncoder::new(&mut out);
                e.write_all(data).expect("in memory");
                e.flush().expect("in memory");
            }
            Codec::Lz4_64k | Codec::Lz4_256k | Codec::Lz4_1M | Codec::Lz4_4M => {
                use lz4_flex::frame::{BlockSize, FrameInfo};
                // The frame block size Loki declares for each lz4 variant.
                let size = match codec {
                    Codec::Lz4_64k => BlockSize::Max64KB,
                    Codec::Lz4_256k => BlockSize::Max256KB,
                    Codec::Lz4_1M => BlockSize::Max1MB,
                    _ => BlockSize::Max4MB,
                };
                let info = FrameInfo::new().block_size(size);
                let mut e = lz4_flex::frame::FrameEncoder::with_frame_info(info, &mut out);
                e.write_all(data).expect("in memory");
                e.finish().expect("in memory");
            }
            Codec::Zstd => return zstd::bulk::compress(data, 3).expect("in memory"),
            _ => out.extend_from_slice(data),
        }
        out
    }

    /// gzip or raw DEFLATE with zlib-rs at level 6 (flate2's default): what the chunk writer
    /// used before libdeflate, kept as a second baseline.
    ///
    /// # Panics
    ///
    /// For a codec other than gzip and flate.
    pub fn compress_zlib6(codec: Codec, data: &[u8]) -> Vec<u8> {
        let level = flate2::Compression::default();
        match codec {
            Codec::Gzip => {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), level);
                e.write_all(data).expect("in memory");
                e.finish().expect("in memory")
            }
            Codec::Flate => {
                let mut e = flate2::write::DeflateEncoder::new(Vec::new(), level);
                e.write_all(data).expect("in memory");
                e.finish().expect("in memory")
            }
            _ => panic!("zlib-rs baseline is for gzip and flate"),
        }
    }

    /// Decompresses every stream of `blocks` (each one stream of `codec`) into `out` in turn,
    /// calling `each` after each block, with one decoder reused across blocks where the
    /// library allows it (LZ4 and snappy frame decoders, whose buffers are the expensive
    /// part): the baseline a reader with reused decoders is measured against.
    ///
    /// # Panics
    ///
    /// If a block is not a valid stream.
    pub fn decompress_all(
        codec: Codec,
        blocks: &[Vec<u8>],
        out: &mut Vec<u8>,
        mut each: impl FnMut(&[u8]),
    ) {
        match codec {
            Codec::Lz4_64k | Codec::Lz4_256k | Codec::Lz4_1M | Codec::Lz4_4M => {
                let mut dec = lz4_flex::frame::FrameDecoder::new(&b""[..]);
                for b in blocks {
                    *dec.get_mut() = b.as_slice();
                    out.clear();
                    dec.read_to_end(out).expect("valid");
                    each(out);
                }
            }
            Codec::Snappy => {
                let mut dec = snap::read::FrameDecoder::new(&b""[..]);
                for b in blocks {
                    *dec.get_mut() = b.as_slice();
                    out.clear();
                    dec.read_to_end(out).expect("valid");
                    each(out);
                }
            }
            _ => {
                for b in blocks {
                    decompress(codec, b, out);
                    each(out);
                }
            }
        }
    }

    /// Decompresses one stream of `codec` into `out` with a fresh decoder.
    ///
    /// # Panics
    ///
    /// If `data` is not a valid stream.
    pub fn decompress(codec: Codec, data: &[u8], out: &mut Vec<u8>) {
        out.clear();
        match codec {
            Codec::Gzip => {
                flate2::read::GzDecoder::new(data)
                    .read_to_end(out)
                    .expect("valid");
            }
            Codec::Flate => {
                flate2::read::DeflateDecoder::new(data)
                    .read_to_end(out)
                    .expect("valid");
            }
            Codec::Snappy => {
                snap::read::FrameDecoder::new(data)
                    .read_to_end(out)
                    .expect("valid");
            }
            Codec::Lz4_64k | Codec::Lz4_256k | Codec::Lz4_1M | Codec::Lz4_4M => {
                lz4_flex::frame::FrameDecoder::new(data)
                    .read_to_end(out)
                    .expect("valid");
            }
            Codec::Zstd => {
                zstd::stream::read::Decoder::new(data)
                    .expect("valid")
                    .read_to_end(out)
                    .expect("valid");
            }
            _ => out.extend_from_slice(data),
        }
    }
}

/// A seeded trace of `spans` spans: resources of 5 scopes of 10 spans, random 8-byte span IDs,
/// six attributes per span (strings, an int, a double, a bool) and an event on every fifth.
pub fn otlp_trace(spans: usize, seed: u64) -> otlp_model::proto::trace::TracesData {
    use otlp_model::proto::common::{AnyValue, InstrumentationScope, KeyValue, any_value::Value};
    use otlp_model::proto::resource::Resource;
    use otlp_model::proto::trace::span::Event;
    use otlp_model::proto::trace::{ResourceSpans, ScopeSpans, Span, TracesData};
    let kv = |k: &str, v: Value| KeyValue {
        key: k.to_owned(),
        value: Some(AnyValue { value: Some(v) }),
        ..Default::default()
    };
    let mut rng = StdRng::seed_from_u64(seed);
    let trace_id: [u8; 16] = rng.random();
    let mut data = TracesData::default();
    let mut made = 0usize;
    while made < spans {
        let r = data.resource_spans.len();
        let mut rs = ResourceSpans {
            resource: Some(Resource {
                attributes: vec![
                    kv(
                        "service.name",
                        Value::StringValue(format!("service-{}", r % 7)),
                    ),
                    kv("host.name", Value::StringValue(format!("host-{r}"))),
                ],
                ..Default::default()
            }),
            ..Default::default()
        };
        for s in 0..5 {
            let mut ss = ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: format!("scope-{s}"),
                    version: "1.0.0".into(),
                    ..Default::default()
                }),
                ..Default::default()
            };
            for _ in 0..10 {
                if made == spans {
                    break;
                }
                let start = 1_700_000_000_000_000_000u64 + rng.random_range(0..1_000_000_000u64);
                let span_id: [u8; 8] = rng.random();
                let parent: [u8; 8] = rng.random();
                ss.spans.push(Span {
                    trace_id: trace_id.to_vec(),
                    span_id: span_id.to_vec(),
                    parent_span_id: parent.to_vec(),
                    name: format!("GET /api/v1/items/{}", made % 50),
                    kind: i32::try_from(made % 6).unwrap_or(0),
                    start_time_unix_nano: start,
                    end_time_unix_nano: start + rng.random_range(1_000..50_000_000u64),
                    attributes: vec![
                        kv("http.request.method", Value::StringValue("GET".into())),
                        kv(
                            "url.path",
                            Value::StringValue(format!("/api/v1/items/{made}")),
                        ),
                        kv("http.response.status_code", Value::IntValue(200)),
                        kv(
                            "db.rows",
                            Value::DoubleValue(f64::from(rng.random_range(0..1000u32)) / 7.0),
                        ),
                        kv("cache.hit", Value::BoolValue(made.is_multiple_of(3))),
                        kv(
                            "user.id",
                            Value::StringValue(format!("user-{}", rng.random_range(0..10_000u32))),
                        ),
                    ],
                    events: if made.is_multiple_of(5) {
                        vec![Event {
                            time_unix_nano: start + 1000,
                            name: "cache miss".into(),
                            attributes: vec![kv("key", Value::StringValue(format!("k{made}")))],
                            ..Default::default()
                        }]
                    } else {
                        Vec::new()
                    },
                    ..Default::default()
                });
                made += 1;
            }
            if !ss.spans.is_empty() {
                rs.scope_spans.push(ss);
            }
        }
        data.resource_spans.push(rs);
    }
    data
}

/// The spans of [`otlp_trace`] as a Zipkin v2 JSON span list (tags as strings).
pub fn zipkin_json(spans: usize, seed: u64) -> Vec<u8> {
    use std::fmt::Write as _;
    let data = otlp_trace(spans, seed);
    let hex = |b: &[u8]| {
        match b.len() {
            16 => otlp_model::TraceId::from_slice(b).map(|id| id.to_hex()),
            _ => otlp_model::SpanId::from_slice(b).map(|id| id.to_hex()),
        }
        .unwrap_or_default()
    };
    let mut out = String::from("[");
    for (ri, rs) in data.resource_spans.iter().enumerate() {
        for ss in &rs.scope_spans {
            for s in &ss.spans {
                if out.len() > 1 {
                    out.push(',');
                }
                let kind = ["", "", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"]
                    [usize::try_from(s.kind).unwrap_or(0)];
                let _ = write!(
                    out,
                    r#"{{"traceId":"{}","id":"{}","parentId":"{}","name":"{}","kind":"{kind}","timestamp":{},"duration":{},"localEndpoint":{{"serviceName":"service-{}","ipv4":"10.0.0.{}","port":8080}},"annotations":[{{"timestamp":{},"value":"cache miss"}}],"tags":{{"http.method":"GET","http.path":"/api/v1/items","http.status_code":"200","user.id":"user-{}"}}}}"#,
                    hex(&s.trace_id),
                    hex(&s.span_id),
                    hex(&s.parent_span_id),
                    s.name,
                    s.start_time_unix_nano / 1000,
                    (s.end_time_unix_nano - s.start_time_unix_nano) / 1000,
                    ri % 7,
                    ri % 250,
                    s.start_time_unix_nano / 1000 + 1,
                    ri,
                );
            }
        }
    }
    out.push(']');
    out.into_bytes()
}

/// The spans of [`otlp_trace`] as one Jaeger Thrift `Batch` in the binary protocol (the body
/// of Jaeger's `POST /api/traces`), with the same tags typed.
pub fn jaeger_batch(spans: usize, seed: u64) -> Vec<u8> {
    use otlp_model::proto::common::any_value::Value;
    use testkit::thrift::{T_DOUBLE, T_I32, T_I64, T_LIST, T_STRING, T_STRUCT, ThriftWriter};
    let data = otlp_trace(spans, seed);
    let all: Vec<_> = data
        .resource_spans
        .iter()
        .flat_map(|rs| &rs.scope_spans)
        .flat_map(|ss| &ss.spans)
        .collect();
    let be = |b: &[u8]| i64::from_be_bytes(b.try_into().unwrap_or([0; 8]));
    let micros = |ns: u64| i64::try_from(ns / 1000).unwrap_or(0);
    let mut w = ThriftWriter::new(false);
    w.begin();
    w.field(T_STRUCT, 1).begin().str_field(1, "service-0").end();
    w.field(T_LIST, 2).list(T_STRUCT, all.len());
    for s in all {
        w.begin();
        w.i64_field(1, be(&s.trace_id[8..]));
        w.i64_field(2, be(&s.trace_id[..8]));
        w.i64_field(3, be(&s.span_id));
        w.i64_field(4, be(&s.parent_span_id));
        w.str_field(5, &s.name);
        w.field(T_I32, 7).i32(1);
        w.i64_field(8, micros(s.start_time_unix_nano));
        w.i64_field(9, micros(s.end_time_unix_nano - s.start_time_unix_nano));
        w.field(T_LIST, 10).list(T_STRUCT, s.attributes.len());
        for kv in &s.attributes {
            w.begin().str_field(1, &kv.key);
            // Jaeger TagType: STRING 0, DOUBLE 1, BOOL 2, LONG 3.
            match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                Some(Value::IntValue(i)) => w.field(T_I32, 2).i32(3).field(T_I64, 6).i64(*i),
                Some(Value::DoubleValue(d)) => {
                    w.field(T_I32, 2).i32(1).field(T_DOUBLE, 4).double(*d)
                }
                Some(Value::BoolValue(b)) => w.field(T_I32, 2).i32(2).bool_field(5, *b),
                Some(Value::StringValue(v)) => {
                    w.field(T_I32, 2).i32(0).field(T_STRING, 3).string(v)
                }
                _ => w.field(T_I32, 2).i32(0),
            };
            w.end();
        }
        w.field(T_LIST, 11).list(T_STRUCT, s.events.len());
        for e in &s.events {
            w.begin().i64_field(1, micros(e.time_unix_nano));
            w.field(T_LIST, 2).list(T_STRUCT, 1);
            w.begin()
                .str_field(1, "event")
                .field(T_I32, 2)
                .i32(0)
                .str_field(3, &e.name)
                .end();
            w.end();
        }
        w.end();
    }
    w.end();
    w.out
}

/// `traces` seeded traces of `spans_per_trace` spans each (the shape of [`otlp_trace`]), with
/// a real span tree: the first span of each trace is its root and every other span's parent
/// is an earlier span. Returned with their 16-byte IDs, in generation (not ID) order.
pub fn trace_corpus(
    traces: usize,
    spans_per_trace: usize,
    seed: u64,
) -> Vec<([u8; 16], Vec<otlp_model::proto::trace::ResourceSpans>)> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..traces)
        .map(|i| {
            let mut data = otlp_trace(spans_per_trace, seed.wrapping_mul(1_000_003) ^ i as u64);
            let mut ids: Vec<Vec<u8>> = Vec::new();
            let mut trace_id = [0u8; 16];
            for span in data
                .resource_spans
                .iter_mut()
                .flat_map(|rs| rs.scope_spans.iter_mut())
                .flat_map(|ss| ss.spans.iter_mut())
            {
                trace_id.copy_from_slice(&span.trace_id);
                span.parent_span_id = if ids.is_empty() {
                    Vec::new()
                } else {
                    ids[rng.random_range(0..ids.len())].clone()
                };
                ids.push(span.span_id.clone());
            }
            (trace_id, data.resource_spans)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_jaeger_bench_input_decodes_to_the_same_spans() {
        let batch = super::jaeger_batch(50, 3);
        let decoded = otlp_model::jaeger::decode_batch(
            &batch,
            otlp_model::Protocol::Binary,
            &otlp_model::Limits::default(),
        )
        .expect("decodes");
        let spans: usize = decoded.scope_spans.iter().map(|ss| ss.spans.len()).sum();
        assert_eq!(spans, 50);
        let attrs = decoded.scope_spans[0].spans[0].attributes.len();
        assert_eq!(
            attrs,
            super::otlp_trace(50, 3).resource_spans[0].scope_spans[0].spans[0]
                .attributes
                .len()
        );
    }
}
