//! Tempo compatibility of trace combining: the two partial vParquet5 blocks in
//! `$COMPAT_DIR/tempo/generated/vParquet5-split/`, combined by [`Combiner`] (block `…beef0000`
//! first, then `…beef0001`), give the same resource/scope grouping, order and spans as Tempo's
//! own combiner did (`combined-traces.otlp.jsonl.gz`).

#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::Path;

use otlp_model::Limits;
use otlp_model::combine::Combiner;
use otlp_model::json::decode_traces_json;
use otlp_model::proto::common::{AnyValue, InstrumentationScope, KeyValue, any_value};
use otlp_model::proto::resource::Resource;
use otlp_model::proto::trace::{ResourceSpans, ScopeSpans, Span, TracesData};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::{Field, Row};
use parquet::schema::parser::parse_message_type;

const BLOCKS: [&str; 2] = [
    "00000000-0000-444c-8e3b-0000beef0000",
    "00000000-0000-444d-8e3b-0000beef0001",
];

/// The columns the skeleton needs. vParquet5 nests plain `repeated group`s (no LIST
/// annotation), so the leaf paths are `rs.Resource.ServiceName`, `rs.ss.Scope.Name`,
/// `rs.ss.Spans.SpanID` and so on.
const PROJECTION: &str = "
    required binary TraceID;
    repeated group rs {
        required group Resource {
            required binary ServiceName (STRING);
        }
        repeated group ss {
            required group Scope {
                required binary Name (STRING);
                required binary Version (STRING);
            }
            repeated group Spans {
                required binary SpanID;
                required binary Name (STRING);
                required int64 Kind (INTEGER(64,true));
                required int64 StartTimeUnixNano (INTEGER(64,false));
            }
        }
    }
";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        write!(s, "{b:02x}").unwrap();
        s
    })
}

fn column<'a>(row: &'a Row, name: &str) -> &'a Field {
    row.get_column_iter()
        .find_map(|(n, f)| (n.as_str() == name).then_some(f))
        .unwrap_or_else(|| panic!("column {name} missing in {row}"))
}

fn groups<'a>(row: &'a Row, name: &str) -> impl Iterator<Item = &'a Row> {
    let Field::ListInternal(list) = column(row, name) else {
        panic!("{name} is not a list");
    };
    list.elements().iter().map(move |e| match e {
        Field::Group(r) => r,
        other => panic!("{name} element is not a group: {other}"),
    })
}

fn group<'a>(row: &'a Row, name: &str) -> &'a Row {
    match column(row, name) {
        Field::Group(r) => r,
        other => panic!("{name} is not a group: {other}"),
    }
}

fn bytes(row: &Row, name: &str) -> Vec<u8> {
    match column(row, name) {
        Field::Bytes(b) => b.data().to_vec(),
        other => panic!("{name} is not binary: {other}"),
    }
}

fn string(row: &Row, name: &str) -> String {
    match column(row, name) {
        Field::Str(s) => s.clone(),
        other => panic!("{name} is not a string: {other}"),
    }
}

fn int(row: &Row, name: &str) -> i128 {
    match column(row, name) {
        Field::Long(v) => (*v).into(),
        Field::ULong(v) => (*v).into(),
        other => panic!("{name} is not an int64: {other}"),
    }
}

fn service_resource(service: String) -> Resource {
    Resource {
        attributes: vec![KeyValue {
            key: "service.name".into(),
            value: Some(AnyValue {
                value: Some(any_value::Value::StringValue(service)),
            }),
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn scope(name: String, version: String) -> InstrumentationScope {
    InstrumentationScope {
        name,
        version,
        ..Default::default()
    }
}

fn skeleton_span(trace_id: Vec<u8>, span_id: Vec<u8>, kind: i32, start: u64, name: String) -> Span {
    Span {
        trace_id,
        span_id,
        kind,
        start_time_unix_nano: start,
        name,
        ..Default::default()
    }
}

/// Every trace of a block as a skeleton, by trace ID hex; empty groups are kept as stored.
fn read_block(path: &Path) -> BTreeMap<String, TracesData> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let reader = SerializedFileReader::new(file).unwrap();
    let root = reader.metadata().file_metadata().schema().name().to_owned();
    let projection = parse_message_type(&format!("message {root} {{ {PROJECTION} }}")).unwrap();
    let mut traces = BTreeMap::new();
    for row in reader.get_row_iter(Some(projection)).unwrap() {
        let row = row.unwrap();
        let trace_id = bytes(&row, "TraceID");
        let resource_spans = groups(&row, "rs")
            .map(|rs| ResourceSpans {
                resource: Some(service_resource(string(
                    group(rs, "Resource"),
                    "ServiceName",
                ))),
                scope_spans: groups(rs, "ss")
                    .map(|ss| {
                        let sc = group(ss, "Scope");
                        ScopeSpans {
                            scope: Some(scope(string(sc, "Name"), string(sc, "Version"))),
                            spans: groups(ss, "Spans")
                                .map(|s| {
                                    skeleton_span(
                                        trace_id.clone(),
                                        bytes(s, "SpanID"),
                                        i32::try_from(int(s, "Kind")).unwrap(),
                                        u64::try_from(int(s, "StartTimeUnixNano")).unwrap(),
                                        string(s, "Name"),
                                    )
                                })
                                .collect(),
                            ..Default::default()
                        }
                    })
                    .collect(),
                ..Default::default()
            })
            .collect();
        let previous = traces.insert(hex(&trace_id), TracesData { resource_spans });
        assert!(
            previous.is_none(),
            "trace {} twice in {}",
            hex(&trace_id),
            path.display()
        );
    }
    traces
}

/// A decoded OTLP trace cut down to the skeleton `read_block` builds.
fn reduce(resource_spans: Vec<ResourceSpans>) -> TracesData {
    let resource_spans = resource_spans
        .into_iter()
        .map(|rs| {
            let service = rs
                .resource
                .unwrap_or_default()
                .attributes
                .into_iter()
                .find(|kv| kv.key == "service.name")
                .and_then(|kv| kv.value?.value)
                .map(|v| match v {
                    any_value::Value::StringValue(s) => s,
                    other => panic!("service.name is not a string: {other:?}"),
                })
                .unwrap_or_default();
            ResourceSpans {
                resource: Some(service_resource(service)),
                scope_spans: rs
                    .scope_spans
                    .into_iter()
                    .map(|ss| {
                        let sc = ss.scope.unwrap_or_default();
                        ScopeSpans {
                            scope: Some(scope(sc.name, sc.version)),
                            spans: ss
                                .spans
                                .into_iter()
                                .map(|s| {
                                    skeleton_span(
                                        s.trace_id,
                                        s.span_id,
                                        s.kind,
                                        s.start_time_unix_nano,
                                        s.name,
                                    )
                                })
                                .collect(),
                            ..Default::default()
                        }
                    })
                    .collect(),
                ..Default::default()
            }
        })
        .collect();
    TracesData { resource_spans }
}

/// `{"traceID": …, "trace": <OTLP/JSON>}` lines, by trace ID hex.
fn read_golden(path: &Path) -> BTreeMap<String, TracesData> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut traces = BTreeMap::new();
    for line in BufReader::new(flate2::read::GzDecoder::new(file)).lines() {
        let line = line.unwrap();
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        let id = value["traceID"].as_str().unwrap().to_ascii_lowercase();
        let body = serde_json::to_vec(&value["trace"]).unwrap();
        let request = decode_traces_json(&body, &Limits::default())
            .unwrap_or_else(|e| panic!("golden trace {id}: {e}"));
        assert!(
            traces
                .insert(id.clone(), reduce(request.resource_spans))
                .is_none(),
            "{id} twice"
        );
    }
    traces
}

fn span_count(trace: &TracesData) -> usize {
    trace
        .resource_spans
        .iter()
        .flat_map(|rs| &rs.scope_spans)
        .map(|ss| ss.spans.len())
        .sum()
}

/// One line per resource: `service{scope@version:[span kind@start name, …] …}`.
fn describe(trace: &TracesData) -> String {
    let mut out = String::new();
    for rs in &trace.resource_spans {
        let service = rs
            .resource
            .as_ref()
            .and_then(|r| r.attributes.first())
            .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
                any_value::Value::StringValue(s) => Some(s.as_str()),
                _ => None,
            })
            .unwrap_or_default();
        write!(out, "\n  {service} {{").unwrap();
        for ss in &rs.scope_spans {
            let sc = ss.scope.clone().unwrap_or_default();
            write!(out, " {}@{}:[", sc.name, sc.version).unwrap();
            for s in &ss.spans {
                write!(
                    out,
                    " {} k{}@{} {:?}",
                    hex(&s.span_id),
                    s.kind,
                    s.start_time_unix_nano,
                    s.name
                )
                .unwrap();
            }
            out.push_str(" ]");
        }
        out.push_str(" }");
    }
    out
}

#[test]
fn combiner_matches_tempo_on_split_blocks() {
    let Some(compat) = testkit::compat_dir("compat_combine") else {
        return;
    };
    let dir = compat.join("tempo/generated/vParquet5-split");
    let [first, second] = BLOCKS.map(|b| {
        read_block(
            &dir.join("blocks/single-tenant")
                .join(b)
                .join("data.parquet"),
        )
    });
    let golden = read_golden(&dir.join("combined-traces.otlp.jsonl.gz"));
    assert_eq!(golden.len(), 40, "golden traces");
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>(),
        "both blocks hold the same traces"
    );

    let mut compared = 0;
    let mut deduplicated = 0;
    let mut appended = 0;
    for (id, expected) in &golden {
        let a = first
            .get(id)
            .unwrap_or_else(|| panic!("{id} not in block 0"))
            .clone();
        let b = second
            .get(id)
            .unwrap_or_else(|| panic!("{id} not in block 1"))
            .clone();
        let (inputs, first_resources) = (span_count(&a) + span_count(&b), a.resource_spans.len());
        let (block0, block1) = (describe(&a), describe(&b));

        let mut combiner = Combiner::new();
        assert_eq!(combiner.consume(a).unwrap(), 0);
        combiner.consume(b).unwrap();
        let combined = combiner.result().unwrap();

        assert_eq!(
            &combined,
            expected,
            "trace {id}: combined differs from Tempo\ncombined:{}\nTempo:{}\nblock 0:{block0}\nblock 1:{block1}",
            describe(&combined),
            describe(expected),
        );
        compared += 1;
        if span_count(&combined) < inputs {
            deduplicated += 1;
        }
        if combined.resource_spans.len() > first_resources {
            appended += 1;
        }
    }
    assert_eq!(compared, 40, "traces compared");
    assert!(deduplicated > 0, "no trace had a span deduplicated");
    assert!(
        appended > 0,
        "no trace had a resource appended from block 1"
    );
    println!(
        "compat_combine: {compared} traces match Tempo; {deduplicated} deduplicated, {appended} with appended resources"
    );
}
