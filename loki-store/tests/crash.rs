//! Crash consistency, tested by crashing: a child process runs the store (background cycles
//! closing, flushing and indexing chunks every few milliseconds, chunks small enough to fill
//! up) while four writers push, printing every acknowledged push; the parent SIGKILLs it at a
//! pseudo-random moment, reopens the store on the same folders, and checks that every
//! acknowledged line of every round so far is found exactly once, and no line twice.
//! Repeated with different kill points (`LOKI_STORE_CRASH_ROUNDS`, 20 by default;
//! `LOKI_STORE_CRASH_SEED` picks the moments).
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use loki_store::{
    Clock, Direction, Matcher, ObjectStoreBackend, PushEntry, PushStream, Store, StoreConfig,
    SystemClock,
};

const CHILD_ENV: &str = "LOKI_STORE_CRASH_CHILD";
const WRITERS: u64 = 4;
const LINES_PER_PUSH: u64 = 3;

fn config(dir: &Path) -> StoreConfig {
    let mut c = StoreConfig::new(dir.join("wal"));
    c.ingester.chunk_target_size = 4096;
    c.ingester.chunk_block_size = 1024;
    c.ingester.chunk_idle_period = Duration::from_millis(40);
    // Heads also close 300 ms after they open; the out-of-order window (150 ms) does not
    // matter, each writer's timestamps increase.
    c.ingester.max_chunk_age = Duration::from_millis(300);
    c.ingester.flush_check_period = Duration::from_millis(15);
    c.index.resync_interval = Duration::from_secs(1);
    c.index.compact_after_files = 4;
    c
}

async fn open(dir: &Path) -> Store {
    std::fs::create_dir_all(dir.join("chunks")).unwrap();
    let backend = Arc::new(ObjectStoreBackend::local(dir.join("chunks")).unwrap());
    Store::open(config(dir), backend).await.unwrap()
}

fn line(round: u64, writer: u64, n: u64, i: u64) -> String {
    format!(
        "round={round} writer={writer} push={n} line={i} {}",
        "x".repeat(40)
    )
}

/// The child: pushes until killed. Writer `w` pushes to stream `{app="crash", writer="w"}`
/// with increasing timestamps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_child() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let round: u64 = std::env::var("LOKI_STORE_CRASH_ROUND")
        .unwrap()
        .parse()
        .unwrap();
    let dir = std::path::PathBuf::from(dir);
    let store = open(&dir).await;
    store.spawn_background();
    let out = Arc::new(std::sync::Mutex::new(std::io::stdout()));
    println!("READY");
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let store = store.clone();
        let out = Arc::clone(&out);
        writers.push(tokio::spawn(async move {
            let labels = format!("{{app=\"crash\", writer=\"{w}\"}}");
            let mut last_ts = 0i64;
            for n in 0u64.. {
                let entries = (0..LINES_PER_PUSH)
                    .map(|i| {
                        last_ts = SystemClock.now_ns().max(last_ts + 1);
                        PushEntry::new(last_ts, line(round, w, n, i))
                    })
                    .collect();
                let report = store
                    .push("crash", vec![PushStream::new(labels.clone(), entries)])
                    .await
                    .unwrap();
                assert!(report.is_complete(), "{report:?}");
                {
                    let mut o = out.lock().unwrap();
                    writeln!(o, "ACK {round} {w} {n}").unwrap();
                    o.flush().unwrap();
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
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

/// Runs the child for round `round` and SIGKILLs it `delay` after it is ready (its replay
/// done and pushes starting); returns what it printed.
fn run_child(exe: &Path, dir: &Path, round: u64, delay: Duration) -> Vec<String> {
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "crash_child",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD_ENV, dir)
        .env("LOKI_STORE_CRASH_ROUND", round.to_string())
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
    let ready = ready_rx.recv_timeout(Duration::from_secs(60)).is_ok();
    std::thread::sleep(delay);
    child.kill().unwrap();
    child.wait().unwrap();
    let out = reader.join().unwrap();
    assert!(ready, "round {round}: the child never became ready");
    out
}

/// Reads every entry back from a reopened store: each acknowledged line present, no line
/// twice, time order kept. Returns the store for the report.
async fn check(
    dir: &Path,
    acked: &BTreeSet<String>,
    since: i64,
    round: u64,
) -> (Store, loki_store::SelectStats) {
    let store = open(dir).await;
    let s = store
        .select(
            "crash",
            &[Matcher::equal("app", "crash")],
            since - 3_600_000_000_000,
            SystemClock.now_ns() + 3_600_000_000_000,
            Direction::Forward,
            0,
            None,
        )
        .await
        .unwrap();
    assert_eq!(s.stats.chunks_skipped, 0, "round {round}: {:?}", s.stats);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for e in &s.entries {
        *seen
            .entry(String::from_utf8(e.line.clone()).unwrap())
            .or_default() += 1;
    }
    for (l, n) in &seen {
        assert_eq!(*n, 1, "round {round}: line {l:?} returned {n} times");
    }
    for l in acked {
        assert!(
            seen.contains_key(l),
            "round {round}: acknowledged line {l:?} lost"
        );
    }
    assert!(
        s.entries.windows(2).all(|w| w[0].ts <= w[1].ts),
        "round {round}: entries out of order"
    );
    (store, s.stats)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_line_survives_sigkill_exactly_once() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let rounds: u64 = std::env::var("LOKI_STORE_CRASH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(20);
    let mut seed: u64 = std::env::var("LOKI_STORE_CRASH_SEED")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0x10c1);
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let started = SystemClock.now_ns();
    let mut acked: BTreeSet<String> = BTreeSet::new();
    for round in 0..rounds {
        let delay = Duration::from_millis(30 + next(&mut seed) % 700);
        let out = run_child(&exe, dir.path(), round, delay);
        let mut this_round = 0;
        for ack in out.iter().filter_map(|l| l.strip_prefix("ACK ")) {
            let f: Vec<u64> = ack.split(' ').map(|x| x.parse().unwrap()).collect();
            for i in 0..LINES_PER_PUSH {
                acked.insert(line(f[0], f[1], f[2], i));
            }
            this_round += 1;
        }
        // Reopen as the next run would, and read everything back.
        let (store, stats) = check(dir.path(), &acked, started, round).await;
        eprintln!(
            "round {round}: killed after {delay:?}, {this_round} pushes acknowledged, {} lines checked, replayed {} records{}, {} chunks fetched, {} duplicates dropped",
            acked.len(),
            store.replay_report().records,
            if store.replay_report().truncated.is_some() {
                ", torn tail truncated"
            } else {
                ""
            },
            stats.chunks_fetched,
            stats.duplicates,
        );
    }
    assert!(!acked.is_empty());
}
