//! The store end to end on a local folder, with time advanced by hand.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use otlp_model::build::{resource_spans, span};
use otlp_model::proto::trace::{ResourceSpans, TracesData};
use otlp_model::{SpanId, TraceId};
use tempo_block::{Backend, ObjectStoreBackend};
use tempo_store::{FindOptions, Limits, ManualClock, PushError, RefusalKind, Store, StoreConfig};

const T0: u64 = 1_700_000_000_000_000_000;

/// Test trace `n`'s ID (IDs of zero are invalid, so numbering starts above it).
fn tid(n: u64) -> TraceId {
    TraceId::from_u64(n + 1000)
}

fn batch(trace: u64, spans: std::ops::Range<u64>) -> Vec<ResourceSpans> {
    let id = tid(trace);
    let spans = spans
        .map(|s| {
            span(
                id,
                SpanId::from_u64(s + 1),
                format!("op-{s}"),
                T0 + s * 1000,
                T0 + s * 1000 + 500,
            )
        })
        .collect();
    vec![resource_spans("svc", spans)]
}

fn span_ids(t: &TracesData) -> Vec<u64> {
    let mut ids: Vec<u64> = t
        .resource_spans
        .iter()
        .flat_map(|rs| &rs.scope_spans)
        .flat_map(|ss| &ss.spans)
        .map(|s| SpanId::from_slice(&s.span_id).unwrap().to_u64() - 1)
        .collect();
    ids.sort_unstable();
    ids
}

struct Env {
    dir: tempfile::TempDir,
    clock: ManualClock,
}

impl Env {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("blocks")).unwrap();
        Self {
            dir,
            clock: ManualClock::new(),
        }
    }

    fn backend(&self) -> Arc<dyn Backend> {
        Arc::new(ObjectStoreBackend::local(self.dir.path().join("blocks")).unwrap())
    }

    fn config(&self, wal: &str) -> StoreConfig {
        StoreConfig::new(self.dir.path().join(wal))
    }

    async fn open(&self, config: StoreConfig) -> Store {
        Store::open_with_clock(config, self.backend(), Arc::new(self.clock.clone()))
            .await
            .unwrap()
    }

    fn segments(&self, wal: &str) -> usize {
        std::fs::read_dir(self.dir.path().join(wal))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".wal")
            })
            .count()
    }
}

async fn find(store: &Store, tenant: &str, trace: u64) -> Option<Vec<u64>> {
    store
        .find_trace(tenant, &tid(trace), FindOptions::default())
        .await
        .unwrap()
        .map(|f| span_ids(&f.trace))
}

#[tokio::test]
async fn pushed_spans_are_found_live_in_the_head_and_in_the_completed_block() {
    let env = Env::new();
    let store = env.open(env.config("wal")).await;
    store.push("single-tenant", batch(1, 0..3)).await.unwrap();
    store.push("single-tenant", batch(1, 3..5)).await.unwrap();
    store.push("single-tenant", batch(2, 0..1)).await.unwrap();
    assert_eq!(
        find(&store, "single-tenant", 1).await.unwrap(),
        vec![0, 1, 2, 3, 4]
    );
    assert_eq!(store.stats().tenants["single-tenant"].live_traces, 2);

    // Idle for max_trace_idle: cut to the head block.
    env.clock.advance(Duration::from_secs(5));
    let r = store.tick().await.unwrap();
    assert_eq!(r.traces_cut, 2);
    assert_eq!(r.blocks_completed, 0);
    assert_eq!(store.stats().tenants["single-tenant"].head_traces, 2);
    assert_eq!(
        find(&store, "single-tenant", 1).await.unwrap(),
        vec![0, 1, 2, 3, 4]
    );

    // max_block_duration later: completed into a stored block, WAL segments removed.
    env.clock.advance(Duration::from_secs(30));
    let r = store.tick().await.unwrap();
    assert_eq!(r.blocks_completed, 1);
    assert!(r.segments_removed >= 1, "{r:?}");
    assert_eq!(env.segments("wal"), 1);
    let stats = store.stats();
    assert_eq!(stats.tenants["single-tenant"].blocks, 1);
    assert_eq!(stats.tenants["single-tenant"].head_traces, 0);
    let found = store
        .find_trace("single-tenant", &tid(1), FindOptions::default())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.blocks, 1);
    assert_eq!(span_ids(&found.trace), vec![0, 1, 2, 3, 4]);
    assert!(found.inspected_bytes > 0);
    assert_eq!(find(&store, "single-tenant", 2).await.unwrap(), vec![0]);
    assert_eq!(find(&store, "single-tenant", 3).await, None);

    // The block is a Tempo block: listed, with a tenant index after the next poll.
    let blocks = store.block_store();
    let ids = blocks.list_blocks("single-tenant").await.unwrap();
    assert_eq!(ids.live.len(), 1);
    store.poll().await.unwrap();
    let index = blocks.read_tenant_index("single-tenant").await.unwrap();
    assert_eq!(index.metas.len(), 1);
    assert_eq!(index.metas[0].total_objects, 2);
    store.shutdown().await.unwrap();
}

#[tokio::test]
async fn spans_arriving_after_a_cut_are_combined_with_the_stored_part() {
    let env = Env::new();
    let store = env.open(env.config("wal")).await;
    store.push("t", batch(9, 0..2)).await.unwrap();
    env.clock.advance(Duration::from_secs(40));
    store.tick().await.unwrap();
    env.clock.advance(Duration::from_secs(40));
    store.tick().await.unwrap();
    assert_eq!(store.stats().tenants["t"].blocks, 1);
    // The same spans again (a client retry) and a new one.
    store.push("t", batch(9, 1..3)).await.unwrap();
    let found = store
        .find_trace("t", &tid(9), FindOptions::default())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(span_ids(&found.trace), vec![0, 1, 2], "no span twice");
    store.shutdown().await.unwrap();
    // Shutdown completed the rest: two blocks, the trace still whole and once.
    let store = env.open(env.config("wal")).await;
    assert_eq!(store.stats().tenants["t"].blocks, 2);
    assert_eq!(find(&store, "t", 9).await.unwrap(), vec![0, 1, 2]);
    assert_eq!(store.replay_report().records, 0);
}

#[tokio::test]
async fn a_restart_without_shutdown_replays_every_acknowledged_push() {
    let env = Env::new();
    let store = env.open(env.config("wal")).await;
    for t in 0..20 {
        store.push("t", batch(t, 0..4)).await.unwrap();
    }
    // Some traces already in a block, others live: both must come back.
    env.clock.advance(Duration::from_secs(40));
    store.tick().await.unwrap();
    env.clock.advance(Duration::from_secs(40));
    store.tick().await.unwrap();
    for t in 20..30 {
        store.push("t", batch(t, 0..2)).await.unwrap();
    }
    drop(store); // no shutdown: as after a crash

    let store = env.open(env.config("wal")).await;
    assert_eq!(store.replay_report().records, 10);
    assert!(store.replay_report().truncated.is_none());
    for t in 0..20 {
        assert_eq!(
            find(&store, "t", t).await.unwrap(),
            vec![0, 1, 2, 3],
            "trace {t}"
        );
    }
    for t in 20..30 {
        assert_eq!(find(&store, "t", t).await.unwrap(), vec![0, 1], "trace {t}");
    }
}

#[tokio::test]
async fn a_torn_tail_is_truncated_and_reported_and_the_rest_replayed() {
    let env = Env::new();
    let store = env.open(env.config("wal")).await;
    store.push("t", batch(1, 0..2)).await.unwrap();
    store.push("t", batch(2, 0..2)).await.unwrap();
    drop(store);
    // A third record that never finished: its frame says 1000 bytes, 10 are there.
    let wal = env.dir.path().join("wal");
    let mut segs: Vec<_> = std::fs::read_dir(&wal)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    segs.sort();
    let last = segs.last().unwrap().clone();
    let before = std::fs::metadata(&last).unwrap().len();
    let mut bytes = std::fs::read(&last).unwrap();
    bytes.extend_from_slice(&1000u32.to_le_bytes());
    bytes.extend_from_slice(&[7; 10]);
    std::fs::write(&last, &bytes).unwrap();

    let store = env.open(env.config("wal")).await;
    let report = store.replay_report().clone();
    assert_eq!(report.records, 2);
    let torn = report.truncated.expect("torn tail reported");
    assert_eq!(torn.offset, before);
    assert_eq!(torn.dropped_bytes, 14);
    assert_eq!(std::fs::metadata(&last).unwrap().len(), before);
    assert_eq!(find(&store, "t", 1).await.unwrap(), vec![0, 1]);
    assert_eq!(find(&store, "t", 2).await.unwrap(), vec![0, 1]);
}

#[tokio::test]
async fn a_corrupt_record_inside_the_log_is_reported_not_replayed_as_other_data() {
    let env = Env::new();
    let store = env.open(env.config("wal")).await;
    store.push("t", batch(1, 0..2)).await.unwrap();
    store.push("t", batch(2, 0..2)).await.unwrap();
    drop(store);
    let wal = env.dir.path().join("wal");
    let mut segs: Vec<_> = std::fs::read_dir(&wal)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    segs.sort();
    // Flip a byte in the last record's payload.
    let last = segs.last().unwrap().clone();
    let mut bytes = std::fs::read(&last).unwrap();
    let n = bytes.len();
    bytes[n - 3] ^= 0xff;
    std::fs::write(&last, &bytes).unwrap();
    let store = env.open(env.config("wal")).await;
    let report = store.replay_report();
    assert_eq!(report.records, 1);
    assert!(
        report
            .truncated
            .as_ref()
            .unwrap()
            .problem
            .contains("checksum")
    );
    assert_eq!(find(&store, "t", 1).await.unwrap(), vec![0, 1]);
    assert_eq!(find(&store, "t", 2).await, None);
}

#[tokio::test]
async fn refusals_are_typed_and_store_nothing() {
    let env = Env::new();
    let mut config = env.config("wal");
    config.overrides.defaults = Limits {
        max_traces_per_user: 3,
        max_bytes_per_trace: 2_000,
        ingestion_rate_limit_bytes: 1_000,
        ingestion_burst_size_bytes: 6_000,
    };
    config.overrides.per_tenant.insert(
        "rate".into(),
        Limits {
            max_traces_per_user: 0,
            max_bytes_per_trace: 0,
            ingestion_rate_limit_bytes: 1_000,
            ingestion_burst_size_bytes: 6_000,
        },
    );
    let store = env.open(config).await;

    let e = store.push("bad/tenant", batch(1, 0..1)).await.unwrap_err();
    assert!(matches!(e, PushError::InvalidTenant { .. }), "{e}");
    assert_eq!(e.kind(), RefusalKind::BadRequest);

    let mut b = batch(1, 0..1);
    b[0].scope_spans[0].spans[0].trace_id = vec![1; 8];
    let e = store.push("t", b).await.unwrap_err();
    assert!(matches!(e, PushError::InvalidTraceId { .. }), "{e}");
    let mut b = batch(1, 0..1);
    b[0].scope_spans[0].spans[0].span_id = vec![0; 8];
    let e = store.push("t", b).await.unwrap_err();
    assert_eq!(e.reason(), "invalid_span_id");

    // Too large for one trace: refused whole (the small trace in the same batch too).
    let mut b = batch(1, 0..40);
    b.extend(batch(2, 0..1));
    let e = store.push("t", b).await.unwrap_err();
    assert!(matches!(e, PushError::TraceTooLarge { .. }), "{e}");
    assert!(
        e.to_string()
            .starts_with("TRACE_TOO_LARGE: max size of trace (2000)"),
        "{e}"
    );
    assert_eq!(find(&store, "t", 2).await, None);

    // Live traces.
    for t in 1..=3 {
        store.push("t", batch(t, 0..1)).await.unwrap();
    }
    let e = store.push("t", batch(4, 0..1)).await.unwrap_err();
    assert_eq!(e.reason(), "live_traces_exceeded");
    assert_eq!(e.kind(), RefusalKind::RateLimited);
    assert!(e.to_string().starts_with("LIVE_TRACES_EXCEEDED:"), "{e}");
    // Existing traces still take spans.
    store.push("t", batch(3, 1..2)).await.unwrap();

    // Other tenants have their own limits' state.
    store.push("other", batch(4, 0..1)).await.unwrap();

    // Rate: the burst is used up, then refilled over time.
    let mut refused = None;
    for i in 0..100 {
        if let Err(e) = store.push("rate", batch(10 + i % 3, i..i + 1)).await {
            refused = Some(e);
            break;
        }
    }
    let e = refused.expect("rate limited");
    assert_eq!(e.reason(), "rate_limited");
    assert!(
        e.to_string()
            .starts_with("RATE_LIMITED: ingestion rate limit (1000 bytes)"),
        "{e}"
    );
    env.clock.advance(Duration::from_secs(10));
    store.push("rate", batch(10, 500..501)).await.unwrap();
    let big = batch(11, 0..200);
    let e = store.push("rate", big).await.unwrap_err();
    assert!(matches!(e, PushError::BatchAboveBurst { .. }), "{e}");
}

#[tokio::test]
async fn tenants_never_see_each_others_traces() {
    let env = Env::new();
    let store = env.open(env.config("wal")).await;
    store.push("a", batch(1, 0..2)).await.unwrap();
    store.push("b", batch(1, 5..6)).await.unwrap();
    assert_eq!(find(&store, "a", 1).await.unwrap(), vec![0, 1]);
    assert_eq!(find(&store, "b", 1).await.unwrap(), vec![5]);
    env.clock.advance(Duration::from_secs(40));
    store.tick().await.unwrap();
    env.clock.advance(Duration::from_secs(40));
    store.tick().await.unwrap();
    assert_eq!(find(&store, "a", 1).await.unwrap(), vec![0, 1]);
    assert_eq!(find(&store, "b", 1).await.unwrap(), vec![5]);
    assert_eq!(find(&store, "c", 1).await, None);
}

#[tokio::test]
async fn concurrent_pushes_share_syncs() {
    let env = Env::new();
    let store = env.open(env.config("wal")).await;
    let mut tasks = Vec::new();
    for t in 0..200u64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store.push("t", batch(t + 1, 0..2)).await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let stats = store.stats();
    assert_eq!(stats.wal_records, 200);
    assert!(
        stats.wal_syncs < 200,
        "group commit: {} syncs",
        stats.wal_syncs
    );
    for t in 0..200 {
        assert_eq!(find(&store, "t", t + 1).await.unwrap(), vec![0, 1]);
    }
}

#[tokio::test]
async fn blocks_written_by_another_store_are_found_after_a_poll() {
    let env = Env::new();
    let writer = env.open(env.config("wal-a")).await;
    let reader = env.open(env.config("wal-b")).await;
    writer.push("t", batch(5, 0..3)).await.unwrap();
    writer.shutdown().await.unwrap();
    assert_eq!(find(&reader, "t", 5).await, None);
    reader.poll().await.unwrap();
    assert_eq!(find(&reader, "t", 5).await.unwrap(), vec![0, 1, 2]);

    // Time-range pruning: a range that misses the block finds nothing.
    let secs = T0 / 1_000_000_000;
    let miss = FindOptions::range(Some(secs + 3600), None);
    let hit = FindOptions::range(Some(secs - 10), Some(secs + 10));
    let id = tid(5);
    assert!(reader.find_trace("t", &id, miss).await.unwrap().is_none());
    assert!(reader.find_trace("t", &id, hit).await.unwrap().is_some());
}

#[tokio::test]
async fn size_cut_completes_a_head_block_before_its_age() {
    let env = Env::new();
    let mut config = env.config("wal");
    config.max_block_bytes = 2_000;
    let store = env.open(config).await;
    for t in 0..20 {
        store.push("t", batch(t + 1, 0..3)).await.unwrap();
    }
    env.clock.advance(Duration::from_secs(5));
    let r = store.tick().await.unwrap();
    assert_eq!(r.blocks_completed, 1, "{r:?}");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

#[tokio::test]
async fn blocks_written_by_tempo_into_the_bucket_are_found() {
    let Some(compat) = testkit::compat_dir("blocks_written_by_tempo_into_the_bucket_are_found")
    else {
        return;
    };
    let env = Env::new();
    copy_dir(
        &compat.join("tempo/generated/vParquet5/blocks"),
        &env.dir.path().join("blocks"),
    );
    let store = env.open(env.config("wal")).await;
    let present: serde_json::Value = serde_json::from_slice(
        &std::fs::read(compat.join("tempo/generated/present-trace-ids.json")).unwrap(),
    )
    .unwrap();
    let present = present.as_array().unwrap();
    assert!(present.len() > 10);
    for p in present {
        let id = TraceId::parse_hex(p["traceID"].as_str().unwrap()).unwrap();
        let found = store
            .find_trace("single-tenant", &id, FindOptions::default())
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{id} not found"));
        assert_eq!(
            span_ids(&found.trace).len(),
            usize::try_from(p["spanCount"].as_u64().unwrap()).unwrap()
        );
    }
    let absent: serde_json::Value = serde_json::from_slice(
        &std::fs::read(compat.join("tempo/generated/absent-trace-ids.json")).unwrap(),
    )
    .unwrap();
    for a in absent.as_array().unwrap() {
        let hex = a.as_str().or_else(|| a["traceID"].as_str()).unwrap();
        let id = TraceId::parse_hex(hex).unwrap();
        assert!(
            store
                .find_trace("single-tenant", &id, FindOptions::default())
                .await
                .unwrap()
                .is_none()
        );
    }
}

#[tokio::test]
async fn a_block_deleted_behind_the_stores_back_is_skipped_not_an_error() {
    let env = Env::new();
    let store = env.open(env.config("wal")).await;
    store.push("t", batch(1, 0..2)).await.unwrap();
    env.clock.advance(Duration::from_secs(40));
    store.tick().await.unwrap();
    env.clock.advance(Duration::from_secs(40));
    store.tick().await.unwrap();
    assert_eq!(store.stats().tenants["t"].blocks, 1);
    // Another process (a compactor, retention) deletes the block.
    let ids = store.block_store().list_blocks("t").await.unwrap();
    store
        .block_store()
        .delete_block("t", ids.live[0])
        .await
        .unwrap();
    store.push("t", batch(1, 5..6)).await.unwrap();
    assert_eq!(find(&store, "t", 1).await.unwrap(), vec![5]);
    assert_eq!(store.stats().tenants["t"].blocks, 0);
}

#[tokio::test]
async fn an_unreadable_block_never_removes_others_from_the_tenant_index() {
    let env = Env::new();
    let store = env.open(env.config("wal")).await;
    store.push("t", batch(1, 0..2)).await.unwrap();
    env.clock.advance(Duration::from_secs(40));
    store.tick().await.unwrap();
    env.clock.advance(Duration::from_secs(40));
    store.tick().await.unwrap();
    store.poll().await.unwrap();
    let index = store.block_store().read_tenant_index("t").await.unwrap();
    assert_eq!(index.metas.len(), 1);
    // A block folder whose meta.json does not parse.
    let bad = env
        .dir
        .path()
        .join("blocks/t/00000000-0000-4000-8000-000000000001");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join("meta.json"), b"{not json").unwrap();
    store.poll().await.unwrap();
    let index = store.block_store().read_tenant_index("t").await.unwrap();
    assert_eq!(index.metas.len(), 1, "the index keeps the readable block");
    assert_eq!(find(&store, "t", 1).await.unwrap(), vec![0, 1]);
}

#[tokio::test]
async fn refused_pushes_leave_no_tenant_state() {
    let env = Env::new();
    let mut config = env.config("wal");
    config.overrides.defaults.ingestion_burst_size_bytes = 10;
    let store = env.open(config).await;
    assert!(store.push("someone", batch(1, 0..3)).await.is_err());
    assert!(!store.stats().tenants.contains_key("someone"));
}

#[tokio::test]
async fn max_bytes_per_trace_counts_what_was_already_cut_to_the_head() {
    let env = Env::new();
    let mut config = env.config("wal");
    config.overrides.defaults.max_bytes_per_trace = 1_000;
    let store = env.open(config).await;
    store.push("t", batch(1, 0..10)).await.unwrap();
    env.clock.advance(Duration::from_secs(6));
    store.tick().await.unwrap();
    assert_eq!(store.stats().tenants["t"].live_traces, 0);
    assert_eq!(store.stats().tenants["t"].head_traces, 1);
    let e = store.push("t", batch(1, 10..20)).await.unwrap_err();
    assert!(matches!(e, PushError::TraceTooLarge { .. }), "{e}");
}
