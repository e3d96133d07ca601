//! Selection details (tie order, streaming, metadata), chunk naming, and the index shared
//! by two writers of one bucket.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Env, MIN, SEC, T0, app, lines, select_all, stream};
use loki_store::index::{INDEX_ROOT, MemoryIndex};
use loki_store::{
    ChunkNames, Direction, Matcher, ObjectStoreBackend, PushEntry, PushStream, Store,
};

#[tokio::test]
async fn equal_timestamps_come_in_stream_order_then_arrival_order() {
    let env = Env::new();
    let store = env.open().await;
    store
        .push(
            "fake",
            vec![
                stream(r#"{app="b"}"#, &[(T0, "b1"), (T0, "b2")]),
                stream(r#"{app="a"}"#, &[(T0, "a1"), (T0 + 1, "a-later")]),
            ],
        )
        .await
        .unwrap();
    let any = [Matcher::regex("app", "a|b").unwrap()];
    assert_eq!(
        select_all(&store, "fake", &any, Direction::Forward).await,
        ["a1", "b1", "b2", "a-later"]
    );
    // Backward: newest first; equal timestamps of one stream in reverse arrival order.
    assert_eq!(
        select_all(&store, "fake", &any, Direction::Backward).await,
        ["a-later", "a1", "b2", "b1"]
    );
    // The same across a flushed chunk and the head.
    env.clock.advance(Duration::from_secs(31 * 60));
    store.tick().await.unwrap();
    store
        .push("fake", vec![stream(r#"{app="b"}"#, &[(T0, "b3")])])
        .await
        .unwrap();
    assert_eq!(
        select_all(&store, "fake", &any, Direction::Forward).await,
        ["a1", "b1", "b2", "b3", "a-later"]
    );
    assert_eq!(
        select_all(&store, "fake", &any, Direction::Backward).await,
        ["a-later", "a1", "b3", "b2", "b1"]
    );
}

#[tokio::test]
async fn entries_stream_one_at_a_time_with_their_metadata() {
    let env = Env::new();
    let store = env.open().await;
    let entries = (0..10)
        .map(|i| {
            PushEntry::with_metadata(T0 + i * SEC, format!("line {i}"), [("n", i.to_string())])
        })
        .collect();
    store
        .push("fake", vec![PushStream::new(r#"{app="s"}"#, entries)])
        .await
        .unwrap();
    let m = app("s");
    let mut s = store.select_stream("fake", &m, T0, T0 + MIN, Direction::Forward, 3, None);
    let first = s.next().await.unwrap();
    assert_eq!(first.line, b"line 0");
    assert_eq!(
        first.structured_metadata,
        [("n".to_owned(), "0".to_owned())]
    );
    assert_eq!(first.labels.get("service_name"), Some("s"));
    assert_eq!(s.next().await.unwrap().ts, T0 + SEC);
    assert_eq!(s.next().await.unwrap().ts, T0 + 2 * SEC);
    assert!(s.next().await.is_none(), "the limit ends it");
    assert_eq!(s.stats().memory_chunks, 1);
    // An empty or inverted range selects nothing.
    let none = store
        .select("fake", &m, T0 + MIN, T0, Direction::Forward, 0, None)
        .await
        .unwrap();
    assert!(none.entries.is_empty());
}

#[tokio::test]
async fn chunks_can_be_named_by_their_plain_keys() {
    let env = Env::new();
    let mut config = env.config();
    config.chunk_names = ChunkNames::Key;
    let store = env.open_with(config.clone()).await;
    store
        .push("fake", vec![stream(r#"{app="k"}"#, &[(T0, "x")])])
        .await
        .unwrap();
    store.shutdown().await.unwrap();
    let listed = env.backend().list("fake").await.unwrap();
    assert_eq!(listed.len(), 1);
    let (key, _) = loki_chunk::ObjectKey::parse(&listed[0]).unwrap();
    assert_eq!(key.tenant, "fake");
    let store = env.open_with(config).await;
    assert_eq!(
        select_all(&store, "fake", &app("k"), Direction::Forward).await,
        ["x"]
    );
}

#[tokio::test]
async fn two_writers_share_a_bucket_and_find_each_others_chunks() {
    let env = Env::new();
    let open = |wal: &str, writer: &str| {
        let mut c = loki_store::StoreConfig::new(env.dir.path().join(wal));
        c.index.writer_id = writer.to_owned();
        c.index.compact_after_files = 2;
        let backend = env.backend();
        let clock = Arc::new(env.clock.clone());
        async move { Store::open_with_clock(c, backend, clock).await.unwrap() }
    };
    let a = open("wal-a", "ingester-a").await;
    let b = open("wal-b", "ingester-b").await;
    for i in 0..3 {
        a.push(
            "fake",
            vec![stream(r#"{app="from-a"}"#, &[(T0 + i * MIN, "a")])],
        )
        .await
        .unwrap();
        env.clock.advance(Duration::from_secs(31 * 60));
        a.tick().await.unwrap();
    }
    b.push("fake", vec![stream(r#"{app="from-b"}"#, &[(T0, "b")])])
        .await
        .unwrap();
    b.shutdown().await.unwrap();
    // a merged its own files; b's single file is untouched.
    let files = env.backend().list(INDEX_ROOT).await.unwrap();
    assert_eq!(
        files.iter().filter(|f| f.contains("/ingester-a-")).count(),
        1,
        "{files:?}"
    );
    assert_eq!(
        files.iter().filter(|f| f.contains("/ingester-b-")).count(),
        1,
        "{files:?}"
    );
    a.poll_index().await.unwrap();
    let any = [Matcher::regex("app", "from-.*").unwrap()];
    let s = a
        .select(
            "fake",
            &any,
            T0,
            T0 + 24 * 60 * MIN,
            Direction::Forward,
            0,
            None,
        )
        .await
        .unwrap();
    assert_eq!(lines(&s.entries), ["a", "b", "a", "a"]);
    assert_eq!(
        a.label_values("fake", "app", &[], T0, T0 + 24 * 60 * MIN),
        ["from-a", "from-b"]
    );
}

#[tokio::test]
async fn a_memory_index_keeps_chunks_findable_by_this_process_only() {
    let env = Env::new();
    let open = || async {
        Store::open_with_index(
            env.config(),
            env.backend(),
            Arc::new(env.clock.clone()),
            Arc::new(MemoryIndex::new()),
        )
        .await
        .unwrap()
    };
    let store = open().await;
    store
        .push("fake", vec![stream(r#"{app="m"}"#, &[(T0, "x")])])
        .await
        .unwrap();
    env.clock.advance(Duration::from_secs(31 * 60));
    assert_eq!(store.tick().await.unwrap().chunks_flushed, 1);
    assert_eq!(
        select_all(&store, "fake", &app("m"), Direction::Forward).await,
        ["x"]
    );
    assert!(env.backend().list(INDEX_ROOT).await.unwrap().is_empty());
    drop(store);
    let store = open().await;
    assert!(
        select_all(&store, "fake", &app("m"), Direction::Forward)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn the_memory_backend_works_as_well_as_a_folder() {
    let env = Env::new();
    let backend = Arc::new(ObjectStoreBackend::memory());
    let store = Store::open_with_clock(env.config(), backend, Arc::new(env.clock.clone()))
        .await
        .unwrap();
    store
        .push(
            "fake",
            vec![stream(r#"{app="mem"}"#, &[(T0, "x"), (T0 + 1, "y")])],
        )
        .await
        .unwrap();
    env.clock.advance(Duration::from_secs(3 * 3600));
    let r = store.tick().await.unwrap();
    assert_eq!((r.chunks_flushed, r.chunks_released), (1, 1));
    assert!(r.segments_removed >= 1, "{r:?}");
    assert_eq!(
        select_all(&store, "fake", &app("mem"), Direction::Backward).await,
        ["y", "x"]
    );
}

/// Servers run these futures on a multi-threaded runtime: they must be `Send`.
#[test]
fn the_api_futures_are_send() {
    fn is_send<T: Send>(_: &T) {}
    let env = Env::new();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let store = rt.block_on(env.open());
    let filter = |l: &[u8]| !l.is_empty();
    let m = app("x");
    is_send(&store.push("fake", vec![]));
    is_send(&store.select("fake", &m, 0, 1, Direction::Forward, 1, Some(&filter)));
    let mut s = store.select_stream("fake", &m, 0, 1, Direction::Forward, 1, Some(&filter));
    is_send(&s.next());
    is_send(&store.tick());
    is_send(&store.shutdown());
}

/// A push whose caller goes away once it is under way (a client disconnecting) is still
/// stored whole: its WAL record never lacks its entries in memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_dropped_by_its_caller_completes() {
    let env = Env::new();
    let store = env.open().await;
    let mut push = Box::pin(store.push(
        "fake",
        vec![stream(r#"{app="gone"}"#, &[(T0, "a"), (T0 + 1, "b")])],
    ));
    // Polled once (up to the WAL append), then dropped.
    let _ = tokio::time::timeout(Duration::ZERO, &mut push).await;
    drop(push);
    let mut found = Vec::new();
    for _ in 0..200 {
        found = select_all(&store, "fake", &app("gone"), Direction::Forward).await;
        if !found.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(found, ["a", "b"]);
}
