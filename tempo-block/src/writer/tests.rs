//! The writer's bytes: this crate's column encoders against the Parquet crate's, feeding in
//! pieces against feeding a row group at once, and the output frozen for fixed inputs.

use otlp_model::TraceId;
use otlp_model::proto::common::{
    AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList, any_value::Value,
};
use otlp_model::proto::resource::Resource;
use otlp_model::proto::trace::span::{Event, Link};
use otlp_model::proto::trace::{ResourceSpans, ScopeSpans, Span, Status};
use proptest::prelude::*;

use super::{BlockConfig, TraceWriter};

pub(crate) type Traces = Vec<(TraceId, Vec<ResourceSpans>)>;

/// `data.parquet` of `traces` (sorted, distinct IDs).
fn write(traces: &Traces, config: &BlockConfig, feed: usize, own: bool) -> Vec<u8> {
    let mut w = TraceWriter::new(Vec::new(), config.clone())
        .unwrap()
        .with_feed_estimate(feed);
    if !own {
        w = w.with_parquet_encoders();
    }
    for (id, rs) in traces {
        w.append(id, rs).unwrap();
    }
    w.finish().unwrap().0
}

/// Settings that exercise page cuts by bytes and rows, row-group cuts, threads and a schema
/// without dedicated columns.
pub(crate) fn configs() -> Vec<BlockConfig> {
    let base = BlockConfig {
        encode_threads: 1,
        ..BlockConfig::default()
    };
    vec![
        base.clone(),
        BlockConfig {
            page_size_bytes: 300,
            page_row_limit: 3,
            encode_threads: 2,
            ..base.clone()
        },
        BlockConfig {
            row_group_size_bytes: 3000,
            page_size_bytes: 2000,
            page_row_limit: 7,
            encode_threads: 3,
            ..base.clone()
        },
        BlockConfig {
            dedicated_columns: Vec::new(),
            ..base
        },
    ]
}

/// The same bytes with this crate's encoders as with the Parquet crate's, whether the column
/// writers are fed after every trace, now and then, or once per row group.
fn check(traces: &Traces, configs: &[BlockConfig]) {
    for config in configs {
        let want = write(traces, config, usize::MAX, false);
        for feed in [1, 700] {
            let got = write(traces, config, feed, true);
            assert!(
                want == got,
                "bytes differ from the Parquet crate's: {config:?}, feed every {feed}: \
                 {} and {} bytes",
                want.len(),
                got.len()
            );
        }
        assert!(
            want == write(traces, config, 1, false),
            "crate encoders, fed per trace"
        );
    }
}

fn kv(key: impl Into<String>, value: Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..KeyValue::default()
    }
}

/// A deterministic xorshift stream.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// One of `0..n`.
    fn pick(&mut self, n: usize) -> usize {
        usize::try_from(self.below(u64::try_from(n).unwrap_or(u64::MAX))).unwrap_or(0)
    }
}

/// A value of every kind the shredder distinguishes, picked by `r`.
fn value(rng: &mut Rng) -> Option<AnyValue> {
    let v = match rng.below(14) {
        0 => Value::StringValue(String::new()),
        1 | 2 => Value::StringValue(format!("v{}", rng.below(40))),
        3 => Value::IntValue(i64::try_from(rng.below(1000)).unwrap_or(0) - 500),
        4 => Value::IntValue(i64::MIN + i64::try_from(rng.below(3)).unwrap_or(0)),
        5 => Value::DoubleValue([0.0, -0.0, f64::NAN, f64::INFINITY, -1.5, 2.25][rng.pick(6)]),
        6 => Value::BoolValue(rng.below(2) == 0),
        7 => Value::ArrayValue(ArrayValue {
            values: (0..rng.below(4))
                .map(|i| AnyValue {
                    value: Some(Value::StringValue(format!("a{i}"))),
                })
                .collect(),
        }),
        8 => Value::ArrayValue(ArrayValue {
            values: (0..=rng.below(3))
                .map(|i| AnyValue {
                    value: Some(Value::IntValue(i64::try_from(i).unwrap_or(0))),
                })
                .collect(),
        }),
        9 => Value::ArrayValue(ArrayValue {
            values: vec![
                AnyValue {
                    value: Some(Value::BoolValue(true)),
                },
                AnyValue {
                    value: Some(Value::DoubleValue(1.0)),
                },
            ],
        }),
        10 => Value::KvlistValue(KeyValueList {
            values: vec![kv("k", Value::IntValue(1))],
        }),
        11 => Value::BytesValue(vec![1, 2, 3]),
        12 => return None,
        _ => Value::StringValue(format!("{:0100}", rng.next())),
    };
    Some(AnyValue { value: Some(v) })
}

/// Attributes with generic and dedicated keys (of the right and wrong types).
fn attrs(rng: &mut Rng, prefix: &str) -> Vec<KeyValue> {
    const KEYS: [&str; 8] = [
        "http.request.method",
        "http.response.status_code",
        "url.path",
        "k8s.pod.name",
        "server.port",
        "a.key.longer.than.sixteen.bytes",
        "",
        "x",
    ];
    (0..rng.below(7))
        .map(|_| {
            let key = match rng.below(3) {
                0 => format!("{prefix}.{}", rng.below(6)),
                _ => KEYS[rng.pick(KEYS.len())].to_string(),
            };
            KeyValue {
                key,
                value: value(rng),
                ..KeyValue::default()
            }
        })
        .collect()
}

/// A span of trace `id`, its ID sometimes shared with an earlier span's (`ids`).
fn span(rng: &mut Rng, id: [u8; 16], ids: &mut Vec<Vec<u8>>, s: u64) -> Span {
    let start = match rng.below(10) {
        0 => 0,
        _ => 1_700_000_000_000_000_000 + rng.below(4_000_000_000_000),
    };
    let span_id = match rng.below(12) {
        0 if !ids.is_empty() => ids[rng.pick(ids.len())].clone(),
        1 => vec![7; 4],
        _ => rng.next().to_le_bytes().to_vec(),
    };
    let parent = match rng.below(5) {
        0 => Vec::new(),
        1 => rng.next().to_le_bytes().to_vec(),
        _ if !ids.is_empty() => ids[rng.pick(ids.len())].clone(),
        _ => Vec::new(),
    };
    ids.push(span_id.clone());
    Span {
        trace_id: id.to_vec(),
        span_id,
        parent_span_id: parent,
        name: match rng.below(6) {
            0 => String::new(),
            1 => format!("{:0150}", rng.next()),
            _ => format!("op-{}", s % 7),
        },
        kind: i32::try_from(rng.below(6)).unwrap_or(0),
        trace_state: if rng.below(8) == 0 {
            "k=v".into()
        } else {
            String::new()
        },
        start_time_unix_nano: start,
        end_time_unix_nano: match rng.below(10) {
            0 => start.wrapping_sub(5),
            _ => start + rng.below(1_000_000),
        },
        attributes: attrs(rng, "span"),
        dropped_attributes_count: u32::try_from(rng.below(3)).unwrap_or(0),
        events: (0..rng.below(3))
            .map(|_| Event {
                time_unix_nano: start + rng.below(100),
                name: format!("e{}", rng.below(4)),
                attributes: attrs(rng, "event"),
                dropped_attributes_count: u32::try_from(rng.below(2)).unwrap_or(0),
            })
            .collect(),
        dropped_events_count: u32::try_from(rng.below(2)).unwrap_or(0),
        links: (0..rng.below(3))
            .map(|_| Link {
                trace_id: if rng.below(2) == 0 {
                    id.to_vec()
                } else {
                    rng.next().to_le_bytes().to_vec()
                },
                span_id: rng.next().to_le_bytes().to_vec(),
                trace_state: String::new(),
                attributes: if rng.below(3) == 0 {
                    vec![kv(
                        "opentracing.ref_type",
                        Value::StringValue("child_of".into()),
                    )]
                } else {
                    attrs(rng, "link")
                },
                ..Link::default()
            })
            .collect(),
        status: match rng.below(4) {
            0 => None,
            c => Some(Status {
                code: i32::try_from(c - 1).unwrap_or(0),
                message: if c == 3 { "boom".into() } else { String::new() },
            }),
        },
        ..Span::default()
    }
}

/// A scope's spans.
fn scope(rng: &mut Rng, id: [u8; 16], ids: &mut Vec<Vec<u8>>) -> ScopeSpans {
    let spans = (0..rng.below(12)).map(|s| span(rng, id, ids, s)).collect();
    ScopeSpans {
        scope: (rng.below(5) > 0).then(|| InstrumentationScope {
            name: format!("lib-{}", rng.below(3)),
            version: if rng.below(2) == 0 {
                "1.0".into()
            } else {
                String::new()
            },
            attributes: if rng.below(3) == 0 {
                attrs(rng, "scope")
            } else {
                Vec::new()
            },
            dropped_attributes_count: 0,
        }),
        spans,
        ..ScopeSpans::default()
    }
}

/// `traces` traces from `seed`: several resources (some equal, to be merged) and scopes,
/// span trees with shared IDs and missing roots, events, links, statuses, empty strings,
/// long unique names (dictionary fallback) and extreme numbers.
pub(crate) fn corpus(traces: usize, seed: u64) -> Traces {
    let mut rng = Rng(seed | 1);
    let mut out: Traces = (0..traces)
        .map(|t| {
            let mut id = [0u8; 16];
            id[..8].copy_from_slice(&rng.next().to_le_bytes());
            id[8..].copy_from_slice(&rng.next().to_le_bytes());
            let mut ids: Vec<Vec<u8>> = Vec::new();
            let resources = (0..=rng.below(3))
                .map(|_| {
                    let mut attributes = attrs(&mut rng, "res");
                    if rng.below(4) > 0 {
                        attributes.push(kv(
                            "service.name",
                            Value::StringValue(format!("svc-{}", (t + rng.pick(2)) % 5)),
                        ));
                    }
                    let scopes = (0..rng.below(4))
                        .map(|_| scope(&mut rng, id, &mut ids))
                        .collect();
                    ResourceSpans {
                        resource: (rng.below(6) > 0).then_some(Resource {
                            attributes,
                            ..Resource::default()
                        }),
                        scope_spans: scopes,
                        ..ResourceSpans::default()
                    }
                })
                .collect::<Vec<_>>();
            let mut resources = resources;
            if resources.len() >= 2 && rng.below(2) == 0 {
                resources[1].resource = resources[0].resource.clone();
            }
            (TraceId::from_bytes(id), resources)
        })
        .collect();
    out.sort_by_key(|t| t.0);
    out.dedup_by_key(|t| t.0);
    out
}

/// FNV-1a 64 of `bytes` (a fingerprint of a written file).
pub(crate) fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The bytes written for fixed inputs, as the writer wrote them before the row group was
/// streamed and the crate's own encoders were added: what this crate writes does not change
/// unless on purpose (a change here is a format change, or a Parquet crate upgrade, whose
/// version is in every file's footer).
#[test]
fn output_is_frozen() {
    let traces = corpus(60, 3);
    let want = [
        (0x798b_cb89_8ddc_32a4_u64, 199_259),
        (0x18de_d10b_0556_0a88, 261_240),
        (0x781e_a7f4_ea07_6927, 826_648),
        (0x1451_4798_594a_c2c7, 191_543),
    ];
    for (config, (hash, len)) in configs().iter().zip(want) {
        let bytes = write(&traces, config, super::FEED_ESTIMATE, true);
        assert_eq!((fnv(&bytes), bytes.len()), (hash, len), "{config:?}");
    }
}

#[test]
fn own_encoders_write_the_parquet_crates_bytes() {
    check(&corpus(200, 7), &configs());
}

#[test]
fn dictionary_fallback() {
    // 8,000 distinct 150-byte span names: past the 1 MiB dictionary limit.
    let mut rng = Rng(11);
    let mut traces: Traces = (0..800)
        .map(|_| {
            let mut id = [0u8; 16];
            id[..8].copy_from_slice(&rng.next().to_le_bytes());
            id[8..].copy_from_slice(&rng.next().to_le_bytes());
            let spans = (0..10)
                .map(|_| Span {
                    trace_id: id.to_vec(),
                    span_id: rng.next().to_le_bytes().to_vec(),
                    name: format!("{:0150}", rng.next()),
                    ..Span::default()
                })
                .collect();
            let rs = ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans,
                    ..ScopeSpans::default()
                }],
                ..ResourceSpans::default()
            };
            (TraceId::from_bytes(id), vec![rs])
        })
        .collect();
    traces.sort_by_key(|t| t.0);
    let config = BlockConfig {
        encode_threads: 2,
        ..BlockConfig::default()
    };
    check(&traces, std::slice::from_ref(&config));
    let file = bytes::Bytes::from(write(&traces, &config, super::FEED_ESTIMATE, true));
    let reader = parquet::file::serialized_reader::SerializedFileReader::new(file).unwrap();
    let meta = parquet::file::reader::FileReader::metadata(&reader);
    let names = meta
        .row_group(0)
        .columns()
        .iter()
        .find(|c| c.column_path().string() == "rs.ss.Spans.Name")
        .unwrap();
    let encodings: Vec<_> = names.encodings().collect();
    assert!(
        encodings.contains(&parquet::basic::Encoding::RLE_DICTIONARY)
            && encodings.contains(&parquet::basic::Encoding::PLAIN),
        "span names fall back from the dictionary: {encodings:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]

    #[test]
    fn random_corpora_write_the_parquet_crates_bytes(seed in any::<u64>(), traces in 1usize..40) {
        check(&corpus(traces, seed), &configs());
    }
}
