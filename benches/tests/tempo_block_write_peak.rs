//! Peak memory (and wall time) of writing one 200,000-span block, one process per run so the
//! peak is this write's alone:
//!
//! ```sh
//! cargo test --release -p benches --test tempo_block_write_peak -- --ignored --nocapture
//! ```
//!
//! The input is `benches::trace_corpus(20_000, 10, 11)` sorted by ID and held decoded (as the
//! `write` bench group holds it), streamed through `TraceWriter` into memory on one encode
//! thread. `TEMPO_WRITE_THREADS`, `TEMPO_WRITE_TRACES`, `TEMPO_WRITE_SPANS` and
//! `TEMPO_WRITE_REPS` change the defaults (1, 20,000, 10, 1); `TEMPO_WRITE_MODE=builder`
//! writes through `BlockBuilder` from a copy of the input instead; `TEMPO_WRITE_OUT=PATH`
//! saves the last `data.parquet` (to compare the bytes of two builds).
//!
//! Printed to stderr: the process's resident size with the input built (`input`), its peak
//! during the writes (`VmHWM`, reset after the input is built; Linux only), and the peak above
//! the input (`write_peak`), with the spans per second of each run.

use std::time::Instant;

use otlp_model::TraceId;
use otlp_model::proto::trace::{ResourceSpans, TracesData};
use prost::Message as _;
use tempo_block::{BlockBuilder, BlockConfig, TraceWriter};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A `/proc/self/status` field in KiB.
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Nanoseconds this thread has run on a CPU (`/proc/thread-self/schedstat`; Linux only): unlike
/// wall time, not inflated by other processes on a busy machine.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The traces of `make()` as (ID, OTLP protobuf) records, read from `path`, or generated and
/// written there first.
fn proto_input(
    path: &std::path::Path,
    make: &mut dyn FnMut() -> Vec<(TraceId, Vec<ResourceSpans>)>,
) -> Vec<(TraceId, Vec<u8>)> {
    if !path.exists() {
        let mut file = Vec::new();
        for (id, resource_spans) in make() {
            let proto = TracesData { resource_spans }.encode_to_vec();
            file.extend_from_slice(&id.to_bytes());
            file.extend_from_slice(&u32::try_from(proto.len()).expect("small").to_le_bytes());
            file.extend_from_slice(&proto);
        }
        std::fs::write(path, file).expect("writes the input file");
        eprintln!("created {}: run again to measure", path.display());
    }
    let file = std::fs::read(path).expect("reads the input file");
    let mut out = Vec::new();
    let mut rest = file.as_slice();
    while let Some((id, tail)) = rest.split_first_chunk::<16>() {
        let (len, tail) = tail.split_first_chunk::<4>().expect("record length");
        let (proto, tail) = tail.split_at(u32::from_le_bytes(*len) as usize);
        out.push((TraceId::from_bytes(*id), proto.to_vec()));
        rest = tail;
    }
    out
}

/// One `data.parquet`: through `BlockBuilder` from `owned` when given, else through
/// `TraceWriter` from `protos` (decoded trace by trace) when given, else from `corpus`.
fn write_once(
    config: &BlockConfig,
    owned: Option<Vec<(TraceId, Vec<ResourceSpans>)>>,
    protos: Option<&[(TraceId, Vec<u8>)]>,
    corpus: &[(TraceId, Vec<ResourceSpans>)],
) -> Vec<u8> {
    if let Some(owned) = owned {
        let mut b = BlockBuilder::new(config.clone());
        for (id, rs) in owned {
            b.push_trace(&id, rs);
        }
        return b
            .finish("bench", uuid::Uuid::nil())
            .expect("block builds")
            .data
            .to_vec();
    }
    let mut w = TraceWriter::new(Vec::new(), config.clone()).expect("writer");
    if let Some(protos) = protos {
        // Each trace decoded just before it is appended, as completion reads the WAL.
        for (id, proto) in protos {
            let rs = TracesData::decode(proto.as_slice()).expect("decodes");
            w.append(id, &rs.resource_spans).expect("sorted");
        }
    } else {
        for (id, rs) in corpus {
            w.append(id, rs).expect("sorted");
        }
    }
    w.finish().expect("finishes").0
}

#[test]
#[ignore = "a measurement: run alone with --release -- --ignored --nocapture"]
fn write_200k_spans_peak_memory() {
    let threads = env_usize("TEMPO_WRITE_THREADS", 1);
    let traces = env_usize("TEMPO_WRITE_TRACES", 20_000);
    let spans_per_trace = env_usize("TEMPO_WRITE_SPANS", 10);
    let reps = env_usize("TEMPO_WRITE_REPS", 1);
    let builder = std::env::var("TEMPO_WRITE_MODE").is_ok_and(|m| m == "builder");
    let mut make_corpus = || {
        let mut corpus: Vec<(TraceId, Vec<ResourceSpans>)> =
            benches::trace_corpus(traces, spans_per_trace, 11)
                .into_iter()
                .map(|(id, rs)| (TraceId::from_bytes(id), rs))
                .collect();
        corpus.sort_by_key(|t| t.0);
        corpus
    };
    // With `TEMPO_WRITE_INPUT=proto:PATH` the input is the traces' OTLP protobuf, one
    // length-prefixed record per trace in ID order, read from PATH (created on the first run,
    // which then says so: its peak includes generating the corpus).
    let protos = std::env::var("TEMPO_WRITE_INPUT")
        .ok()
        .and_then(|v| v.strip_prefix("proto:").map(std::path::PathBuf::from))
        .map(|path| proto_input(&path, &mut make_corpus));
    let corpus = if protos.is_none() {
        make_corpus()
    } else {
        Vec::new()
    };
    let spans = traces * spans_per_trace;
    let input = status_kib("VmRSS:").unwrap_or(0);
    // Writing 5 to clear_refs resets the peak resident size (VmHWM) to the current one.
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let config = BlockConfig {
        encode_threads: threads,
        ..BlockConfig::default()
    };
    let mut size = 0;
    let mut last = Vec::new();
    for _ in 0..reps {
        drop(std::mem::take(&mut last));
        let copy = builder.then(|| corpus.clone());
        let t = Instant::now();
        let cpu = thread_cpu_ns();
        last = write_once(&config, copy, protos.as_deref(), &corpus);
        let secs = t.elapsed().as_secs_f64();
        size = last.len();
        #[allow(clippy::cast_precision_loss, reason = "printed figures")]
        let (on_cpu, kspans) = (
            thread_cpu_ns()
                .zip(cpu)
                .map_or(f64::NAN, |(b, a)| b.saturating_sub(a) as f64 / 1e9),
            spans as f64 / 1000.0,
        );
        eprintln!(
            "run: {secs:.3} s, {:.0}k spans/s; on CPU {on_cpu:.3} s, {:.0}k spans/s",
            kspans / secs,
            kspans / on_cpu
        );
    }
    let hwm = status_kib("VmHWM:").unwrap_or(0);
    if let Some(path) = std::env::var_os("TEMPO_WRITE_OUT") {
        std::fs::write(path, &last).expect("writes the block's data.parquet");
    }
    eprintln!(
        "{}{} {spans} spans, {threads} encode thread(s): data.parquet {size} bytes; input {} MiB; \
         VmHWM {} MiB{}; write_peak {} MiB above the input",
        if builder {
            "BlockBuilder"
        } else {
            "TraceWriter"
        },
        if protos.is_some() {
            " (input: OTLP protobuf, decoded per trace)"
        } else {
            ""
        },
        input / 1024,
        hwm / 1024,
        if reset {
            ""
        } else {
            " (not reset: includes building the input)"
        },
        hwm.saturating_sub(input) / 1024,
    );
}
