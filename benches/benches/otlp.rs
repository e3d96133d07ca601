//! The trace wire formats and trace combining, each beside a baseline on the same input:
//! prost's own decode for OTLP protobuf, a generic `serde_json::Value` parse for the JSON
//! formats, the OTLP protobuf decode of the same spans for Jaeger Thrift, and a plain clone
//! of the inputs for combining.
#![allow(missing_docs)] // criterion's macros generate undocumented items

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use otlp_model::combine::Combiner;
use otlp_model::json::{JsonStyle, decode_traces_json, encode_traces_json};
use otlp_model::proto::collector::trace::ExportTraceServiceRequest;
use otlp_model::{Limits, Protocol, decode_trace_request, jaeger, zipkin};
use prost::Message;
use std::hint::black_box;

const SPANS: usize = 10_000;

fn limits() -> Limits {
    Limits::new(1 << 30)
}

fn protobuf(c: &mut Criterion) {
    let data = benches::otlp_trace(SPANS, 1);
    let bytes = data.encode_to_vec();
    for (name, throughput) in [
        (
            "otlp_protobuf_decode_bytes",
            Throughput::Bytes(bytes.len() as u64),
        ),
        (
            "otlp_protobuf_decode_spans",
            Throughput::Elements(SPANS as u64),
        ),
    ] {
        let mut group = c.benchmark_group(name);
        group.throughput(throughput);
        group.bench_function("decode_trace_request", |b| {
            b.iter(|| decode_trace_request(black_box(&bytes), &limits()).expect("decodes"));
        });
        group.bench_function("baseline_prost_decode", |b| {
            b.iter(|| {
                ExportTraceServiceRequest::decode(black_box(bytes.as_slice())).expect("decodes")
            });
        });
        group.finish();
    }
}

fn json(c: &mut Criterion) {
    let data = benches::otlp_trace(SPANS, 1);
    let bytes = encode_traces_json(&data.resource_spans, JsonStyle::Otlp);
    for (name, throughput) in [
        (
            "otlp_json_decode_bytes",
            Throughput::Bytes(bytes.len() as u64),
        ),
        ("otlp_json_decode_spans", Throughput::Elements(SPANS as u64)),
    ] {
        let mut group = c.benchmark_group(name);
        group.throughput(throughput);
        group.bench_function("decode_traces_json", |b| {
            b.iter(|| decode_traces_json(black_box(&bytes), &limits()).expect("decodes"));
        });
        group.bench_function("baseline_serde_json_value", |b| {
            b.iter(|| {
                serde_json::from_slice::<serde_json::Value>(black_box(&bytes)).expect("parses")
            });
        });
        group.finish();
    }
    let mut group = c.benchmark_group("otlp_json_encode_bytes");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("encode_traces_json_otlp", |b| {
        b.iter(|| encode_traces_json(black_box(&data.resource_spans), JsonStyle::Otlp));
    });
    let value: serde_json::Value = serde_json::from_slice(&bytes).expect("parses");
    group.bench_function("baseline_serde_json_value_to_vec", |b| {
        b.iter(|| serde_json::to_vec(black_box(&value)).expect("writes"));
    });
    group.finish();
}

fn zipkin_and_jaeger(c: &mut Criterion) {
    let zipkin_body = benches::zipkin_json(SPANS, 1);
    let mut group = c.benchmark_group("zipkin_decode");
    group.throughput(Throughput::Elements(SPANS as u64));
    group.bench_function("decode_spans", |b| {
        b.iter(|| zipkin::decode_spans(black_box(&zipkin_body), &limits()).expect("decodes"));
    });
    group.bench_function("baseline_serde_json_value", |b| {
        b.iter(|| {
            serde_json::from_slice::<serde_json::Value>(black_box(&zipkin_body)).expect("parses")
        });
    });
    group.finish();

    let batch = benches::jaeger_batch(SPANS, 1);
    let otlp = benches::otlp_trace(SPANS, 1).encode_to_vec();
    let mut group = c.benchmark_group("jaeger_decode");
    group.throughput(Throughput::Elements(SPANS as u64));
    group.bench_function("decode_batch_binary", |b| {
        b.iter(|| {
            jaeger::decode_batch(black_box(&batch), Protocol::Binary, &limits()).expect("decodes")
        });
    });
    group.bench_function("baseline_otlp_protobuf_same_spans", |b| {
        b.iter(|| ExportTraceServiceRequest::decode(black_box(otlp.as_slice())).expect("decodes"));
    });
    group.finish();
}

fn combine(c: &mut Criterion) {
    for spans in [10_000usize, 100_000] {
        // As Tempo's BenchmarkCombine: two partial traces of `spans` spans each.
        let a = benches::otlp_trace(spans, 11);
        let b = benches::otlp_trace(spans, 12);
        let mut group = c.benchmark_group(format!("combine_{spans}"));
        group.throughput(Throughput::Elements(2 * spans as u64));
        group.sample_size(20);
        group.bench_function("combiner", |bench| {
            bench.iter_batched(
                || (a.clone(), b.clone()),
                |(a, b)| {
                    let mut combiner = Combiner::new();
                    combiner.consume(a).expect("no limit");
                    combiner.consume(b).expect("no limit");
                    combiner.result()
                },
                BatchSize::LargeInput,
            );
        });
        group.bench_function("baseline_clone_inputs", |bench| {
            bench.iter(|| (black_box(&a).clone(), black_box(&b).clone()));
        });
        group.finish();
    }
}

criterion_group!(benches, protobuf, json, zipkin_and_jaeger, combine);
criterion_main!(benches);
