//! Crash consistency, tested by crashing: a child process runs the store (background cycles
//! cutting and completing blocks every few milliseconds) while four writers push, printing
//! every acknowledged push; the parent SIGKILLs it at a pseudo-random moment, reopens the
//! store on the same folders, and checks that every acknowledged span of the round — and a sample
//! of every earlier round's — is found by trace ID exactly once. Repeated with different kill points (`TEMPO_STORE_CRASH_ROUNDS`, 20 by
//! default; `TEMPO_STORE_CRASH_SEED` picks the moments).
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use otlp_model::build::{resource_spans, span};
use otlp_model::{SpanId, TraceId};
use tempo_block::ObjectStoreBackend;
use tempo_store::{FindOptions, Store, StoreConfig};

const CHILD_ENV: &str = "TEMPO_STORE_CRASH_CHILD";

fn config(dir: &Path) -> StoreConfig {
    let mut c = StoreConfig::new(dir.join("wal"));
    c.max_trace_idle = Duration::from_millis(40);
    c.max_trace_live = Duration::from_millis(150);
    c.max_block_duration = Duration::from_millis(200);
    c.tick_interval = Duration::from_millis(15);
    c.blocklist_poll = Duration::from_secs(1);
    c.block.encode_threads = 1;
    c
}

async fn open(dir: &Path) -> Store {
    std::fs::create_dir_all(dir.join("blocks")).unwrap();
    let backend = Arc::new(ObjectStoreBackend::local(dir.join("blocks")).unwrap());
    Store::open(config(dir), backend).await.unwrap()
}

/// The child: pushes until killed. Trace IDs are (round, writer, n); each trace gets its spans
/// in two pushes, so some traces are split across a cut.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_child() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let round: u64 = std::env::var("TEMPO_STORE_CRASH_ROUND")
        .unwrap()
        .parse()
        .unwrap();
    let dir = std::path::PathBuf::from(dir);
    let store = open(&dir).await;
    store.spawn_background();
    let out = Arc::new(std::sync::Mutex::new(std::io::stdout()));
    println!("READY");
    let mut writers = Vec::new();
    for w in 0..4u64 {
        let store = store.clone();
        let out = Arc::clone(&out);
        writers.push(tokio::spawn(async move {
            for n in 0u64.. {
                let trace = (round << 40) | (w << 32) | n;
                let id = TraceId::from_high_low(1, trace);
                for half in 0..2u64 {
                    let spans = (0..3)
                        .map(|s| {
                            let sid = half * 3 + s + 1;
                            span(
                                id,
                                SpanId::from_u64(sid),
                                "op",
                                1_700_000_000_000_000_000,
                                1_700_000_000_000_000_100,
                            )
                        })
                        .collect();
                    store
                        .push("crash", vec![resource_spans("svc", spans)])
                        .await
                        .unwrap();
                    {
                        let mut o = out.lock().unwrap();
                        writeln!(o, "ACK {trace} {half}").unwrap();
                        o.flush().unwrap();
                    }
                    // Bounded load: the check afterwards reads every trace of the round.
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            }
        }));
    }
    for w in writers {
        w.await.unwrap();
    }
}

fn next(seed: &mut u64) -> u64 {
    *seed = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    *seed >> 33
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_span_survives_sigkill() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let rounds: u64 = std::env::var("TEMPO_STORE_CRASH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(20);
    let mut seed: u64 = std::env::var("TEMPO_STORE_CRASH_SEED")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0x5eed);
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    // trace -> halves acknowledged
    let mut acked: BTreeMap<u64, BTreeSet<u64>> = BTreeMap::new();
    for round in 0..rounds {
        let delay = Duration::from_millis(30 + next(&mut seed) % 700);
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash_child",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(CHILD_ENV, dir.path())
            .env("TEMPO_STORE_CRASH_ROUND", round.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut lines = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line.ends_with("READY") {
                    let _ = ready_tx.send(());
                }
                lines.push(line);
            }
            lines
        });
        // Kill `delay` after the child is ready (its replay done and pushes starting).
        let ready = ready_rx.recv_timeout(Duration::from_secs(60)).is_ok();
        std::thread::sleep(delay);
        child.kill().unwrap();
        child.wait().unwrap();
        let lines = reader.join().unwrap();
        assert!(ready, "round {round}: the child never became ready");
        let mut this_round = 0;
        let mut round_traces = BTreeSet::new();
        for line in lines.iter().filter_map(|l| l.strip_prefix("ACK ")) {
            let mut it = line.split(' ');
            let trace: u64 = it.next().unwrap().parse().unwrap();
            let half: u64 = it.next().unwrap().parse().unwrap();
            acked.entry(trace).or_default().insert(half);
            round_traces.insert(trace);
            this_round += 1;
        }
        // Check this round's acknowledgements and a sample of every earlier round's, with
        // the store reopened as the next run would.
        let store = open(dir.path()).await;
        let earlier: Vec<u64> = acked
            .keys()
            .copied()
            .filter(|t| !round_traces.contains(t))
            .collect();
        let mut sample: BTreeSet<u64> = round_traces.clone();
        for _ in 0..earlier.len().min(200) {
            sample.insert(earlier[usize::try_from(next(&mut seed)).unwrap() % earlier.len()]);
        }
        let checked = check(&store, &acked, &sample, round).await;
        eprintln!(
            "round {round}: killed after {delay:?}, {this_round} pushes acknowledged, {checked} traces checked, replayed {} records{}",
            store.replay_report().records,
            if store.replay_report().truncated.is_some() {
                ", torn tail truncated"
            } else {
                ""
            }
        );
        drop(store);
    }
    assert!(!acked.is_empty());
}

/// Looks up every sampled acknowledged trace: each acknowledged span present, none twice.
async fn check(
    store: &Store,
    acked: &BTreeMap<u64, BTreeSet<u64>>,
    sample: &BTreeSet<u64>,
    round: u64,
) -> usize {
    let mut checked = 0;
    for (trace, halves) in acked.iter().filter(|(t, _)| sample.contains(t)) {
        let id = TraceId::from_high_low(1, *trace);
        let found = store
            .find_trace("crash", &id, FindOptions::default())
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("round {round}: acknowledged trace {trace:x} lost"));
        let ids: Vec<u64> = found
            .trace
            .resource_spans
            .iter()
            .flat_map(|rs| &rs.scope_spans)
            .flat_map(|ss| &ss.spans)
            .map(|s| SpanId::from_slice(&s.span_id).unwrap().to_u64())
            .collect();
        let unique: BTreeSet<u64> = ids.iter().copied().collect();
        assert_eq!(
            unique.len(),
            ids.len(),
            "round {round}: trace {trace:x} has a span twice: {ids:?}"
        );
        for half in halves {
            for s in 0..3 {
                assert!(
                    unique.contains(&(half * 3 + s + 1)),
                    "round {round}: acknowledged span {} of trace {trace:x} lost",
                    half * 3 + s + 1
                );
            }
        }
        checked += 1;
    }
    checked
}
