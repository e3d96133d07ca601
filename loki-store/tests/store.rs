//! The store end to end on a local folder, with time moved by hand.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::path::Path;
use std::time::Duration;

use common::{Env, MIN, SEC, T0, app, lines, select_all, stream};
use loki_chunk::{KeySchema, ObjectKey, StoredChunk};
use loki_store::{
    Direction, Matcher, PushEntry, PushError, PushStream, Reason, RefusalKind, SkipReason,
};

#[tokio::test]
async fn pushed_entries_are_read_from_the_head_the_flushed_chunk_and_after_reopening() {
    let env = Env::new();
    let store = env.open().await;
    let r = store
        .push(
            "fake",
            vec![
                stream(
                    r#"{app="api", env="prod"}"#,
                    &[(T0, "a0"), (T0 + 2 * SEC, "a2")],
                ),
                stream(r#"{app="web"}"#, &[(T0 + SEC, "w1"), (T0 + 3 * SEC, "w3")]),
            ],
        )
        .await
        .unwrap();
    assert_eq!((r.accepted, r.rejected.len(), r.duplicates), (4, 0, 0));
    assert!(r.is_complete() && r.kind().is_none() && r.loki_message().is_none());

    let any = [Matcher::regex("app", ".+").unwrap()];
    assert_eq!(
        select_all(&store, "fake", &any, Direction::Forward).await,
        ["a0", "w1", "a2", "w3"]
    );
    assert_eq!(
        select_all(&store, "fake", &any, Direction::Backward).await,
        ["w3", "a2", "w1", "a0"]
    );
    let limited = store
        .select("fake", &any, T0, T0 + MIN, Direction::Backward, 3, None)
        .await
        .unwrap();
    assert_eq!(lines(&limited.entries), ["w3", "a2", "w1"]);
    // [start, end) is half-open.
    let window = store
        .select(
            "fake",
            &any,
            T0 + SEC,
            T0 + 3 * SEC,
            Direction::Forward,
            0,
            None,
        )
        .await
        .unwrap();
    assert_eq!(lines(&window.entries), ["w1", "a2"]);
    assert_eq!(
        window.entries[1].labels.to_string(),
        r#"{app="api", env="prod", service_name="api"}"#
    );

    // Idle for chunk_idle_period: closed, flushed, released.
    env.clock.advance(Duration::from_secs(31 * 60));
    let tick = store.tick().await.unwrap();
    assert_eq!(
        (tick.chunks_closed, tick.chunks_flushed),
        (2, 2),
        "{tick:?}"
    );
    assert_eq!(tick.chunks_released, 2);
    assert!(tick.index_files >= 1);
    assert!(
        store
            .stats()
            .tenants
            .get("fake")
            .is_none_or(|t| t.streams == 0)
    );
    let files = env.chunk_files();
    assert_eq!(files.len(), 2, "{files:?}");
    let s = store
        .select("fake", &any, T0, T0 + MIN, Direction::Forward, 0, None)
        .await
        .unwrap();
    assert_eq!(lines(&s.entries), ["a0", "w1", "a2", "w3"]);
    assert_eq!((s.stats.chunks_fetched, s.stats.memory_chunks), (2, 0));
    store.shutdown().await.unwrap();

    // A new process finds them through the index files.
    let store = env.open().await;
    assert_eq!(
        select_all(&store, "fake", &any, Direction::Backward).await,
        ["w3", "a2", "w1", "a0"]
    );
    store.shutdown().await.unwrap();
}

#[tokio::test]
async fn flushed_chunks_are_loki_objects_under_schema_v13_names() {
    let env = Env::new();
    let store = env.open().await;
    store
        .push(
            "fake",
            vec![PushStream::new(
                r#"{job="varlogs"}"#,
                vec![PushEntry::with_metadata(
                    T0 + 1,
                    "hello",
                    [("trace.id", "abc")],
                )],
            )],
        )
        .await
        .unwrap();
    store.shutdown().await.unwrap();
    let files = env.chunk_files();
    assert_eq!(files.len(), 1);
    let rel = files[0].strip_prefix(env.chunks_dir()).unwrap();
    let (key, schema) = ObjectKey::parse_fs_path(rel.to_str().unwrap()).unwrap();
    assert_eq!(schema, KeySchema::V12);
    let bytes = bytes::Bytes::from(std::fs::read(&files[0]).unwrap());
    let stored = StoredChunk::decode_with_key(&bytes, &key).unwrap();
    let labels = stored.metadata.stream_labels();
    assert_eq!(
        labels.to_string(),
        r#"{job="varlogs", service_name="varlogs"}"#
    );
    assert_eq!(key.fingerprint, labels.fingerprint());
    assert_eq!(
        (key.from_ms, key.through_ms),
        (T0 / 1_000_000, T0 / 1_000_000 + 1)
    );
    let chunk = loki_chunk::Chunk::open(stored.chunk).unwrap();
    assert_eq!(
        (chunk.version(), chunk.codec()),
        (4, loki_chunk::Codec::Gzip)
    );
    let entries = chunk.entries(loki_chunk::Query::all()).unwrap();
    assert_eq!(entries[0].line, b"hello");
    // The distributor normalised the metadata name.
    assert_eq!(
        entries[0].structured_metadata,
        [("trace_id".to_string(), "abc".to_string())]
    );
}

#[tokio::test]
async fn refused_entries_carry_loki_texts_while_the_rest_is_stored() {
    let env = Env::new();
    let mut config = env.config();
    config.overrides.defaults.max_line_size = 10;
    let store = env.open_with(config).await;
    let week = 7 * 24 * 60 * MIN;
    let r = store
        .push(
            "fake",
            vec![
                stream(
                    r#"{app="x"}"#,
                    &[
                        (T0, "good"),
                        (T0 - week - SEC, "too old"),
                        (T0 + 20 * MIN, "too new"),
                        (T0 + 1, "this line is too long"),
                    ],
                ),
                stream(r#"{a="1", a="2"}"#, &[(T0, "dup label")]),
            ],
        )
        .await
        .unwrap();
    assert_eq!(r.accepted, 1);
    let reasons: Vec<Reason> = r.rejected.iter().map(|x| x.reason).collect();
    assert_eq!(
        reasons,
        [
            Reason::GreaterThanMaxSampleAge,
            Reason::TooFarInFuture,
            Reason::LineTooLong,
            Reason::DuplicateLabelNames
        ]
    );
    assert_eq!(r.rejected[0].entry, Some(1));
    assert_eq!(
        r.rejected[0].message,
        r#"entry for stream '{app="x", service_name="x"}' has timestamp too old: 2024-03-03T11:59:59Z, oldest acceptable timestamp is: 2024-03-03T12:00:00Z"#
    );
    assert_eq!(
        r.rejected[1].message,
        r#"entry for stream '{app="x", service_name="x"}' has timestamp too new: 2024-03-10T12:20:00Z"#
    );
    assert_eq!(
        r.rejected[2].message,
        r#"max entry size '10' bytes exceeded for stream '{app="x", service_name="x"}' while adding an entry with length '21' bytes"#
    );
    assert_eq!(r.kind(), Some(RefusalKind::BadRequest));
    let text = r.loki_message().unwrap();
    assert!(
        text.starts_with("1 errors like: entry for stream"),
        "{text}"
    );
    assert_eq!(text.matches("errors like").count(), 4, "{text}");
    assert_eq!(
        select_all(&store, "fake", &app("x"), Direction::Forward).await,
        ["good"]
    );

    // Labels that do not parse refuse the whole push, as Loki's push parser does.
    let e = store
        .push(
            "fake",
            vec![
                stream(r#"{app="y"}"#, &[(T0, "kept?")]),
                stream("{app=", &[(T0, "x")]),
            ],
        )
        .await
        .unwrap_err();
    assert!(matches!(e, PushError::InvalidLabels { .. }), "{e}");
    assert_eq!(e.kind(), RefusalKind::BadRequest);
    assert!(
        select_all(&store, "fake", &app("y"), Direction::Forward)
            .await
            .is_empty()
    );
    assert_eq!(
        store
            .push("fake", vec![])
            .await
            .unwrap_err()
            .kind()
            .http_status(),
        422
    );
    assert!(matches!(
        store
            .push("a/b", vec![stream("{a=\"1\"}", &[(T0, "x")])])
            .await,
        Err(PushError::InvalidTenant { .. })
    ));
}

#[tokio::test]
async fn out_of_order_window_and_exact_duplicates() {
    let env = Env::new();
    let store = env.open().await;
    let s = r#"{app="ooo"}"#;
    store
        .push("fake", vec![stream(s, &[(T0, "now")])])
        .await
        .unwrap();
    // Half of max_chunk_age (1 h) behind the newest entry is accepted; further is not.
    let r = store
        .push(
            "fake",
            vec![stream(
                s,
                &[(T0 - 30 * MIN, "30m behind"), (T0 - 90 * MIN, "90m behind")],
            )],
        )
        .await
        .unwrap();
    assert_eq!(r.accepted, 1);
    assert_eq!(r.rejected.len(), 1);
    assert_eq!(r.rejected[0].reason, Reason::TooFarBehind);
    assert_eq!(r.kind(), Some(RefusalKind::BadRequest));
    assert_eq!(
        r.loki_message().unwrap(),
        "entry with timestamp 2024-03-10 10:30:00 +0000 UTC ignored, reason: 'entry too far behind, entry timestamp is: 2024-03-10T10:30:00Z, oldest acceptable timestamp is: 2024-03-10T11:00:00Z',\nuser 'fake', total ignored: 1 out of 2 for stream: {app=\"ooo\", service_name=\"ooo\"}"
    );
    // An exact duplicate of the last line is dropped silently; one of an older line by the
    // head chunk; a different line at the same timestamp is kept.
    let r = store
        .push(
            "fake",
            vec![stream(
                s,
                &[
                    (T0 - 30 * MIN, "30m behind"),
                    (T0, "now"),
                    (T0, "now, again"),
                ],
            )],
        )
        .await
        .unwrap();
    assert!(r.is_complete());
    assert_eq!((r.accepted, r.duplicates), (1, 2));
    assert_eq!(
        select_all(&store, "fake", &app("ooo"), Direction::Forward).await,
        ["30m behind", "now", "now, again"]
    );
}

#[tokio::test]
async fn rate_and_stream_limits() {
    let env = Env::new();
    let mut config = env.config();
    config.overrides.defaults.ingestion_rate_mb = 100.0 / 1_048_576.0;
    config.overrides.defaults.ingestion_burst_size_mb = 100.0 / 1_048_576.0;
    config.overrides.defaults.max_global_streams_per_user = 2;
    let store = env.open_with(config).await;
    let e = store
        .push(
            "fake",
            vec![stream(r#"{app="a"}"#, &[(T0, &"x".repeat(101))])],
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), RefusalKind::RateLimited);
    assert_eq!(
        e.to_string(),
        "ingestion rate limit exceeded for user fake (limit: 100 bytes/sec) while attempting to ingest '1' lines totaling '101' bytes, reduce log volume or contact your Loki administrator to see if the limit can be increased"
    );
    let r = store
        .push(
            "fake",
            vec![
                stream(r#"{app="a"}"#, &[(T0, "1")]),
                stream(r#"{app="b"}"#, &[(T0, "2")]),
                stream(r#"{app="c"}"#, &[(T0, "3")]),
            ],
        )
        .await
        .unwrap();
    assert_eq!(r.accepted, 2);
    assert_eq!(r.rejected[0].reason, Reason::StreamLimit);
    assert_eq!(r.kind(), Some(RefusalKind::RateLimited));
    assert_eq!(
        r.loki_message().unwrap(),
        "maximum active stream limit exceeded when trying to create stream {app=\"c\", service_name=\"c\"}, reduce the number of active streams (reduce labels or reduce label values), or contact your Loki administrator to see if the limit can be increased, user: 'fake'"
    );
    // The bucket refills at the rate.
    env.clock.advance(Duration::from_secs(1));
    assert!(
        store
            .push("fake", vec![stream(r#"{app="a"}"#, &[(T0 + SEC, "later")])])
            .await
            .unwrap()
            .is_complete()
    );
}

#[tokio::test]
async fn matchers_labels_values_and_series_over_head_and_flushed_streams() {
    let env = Env::new();
    let store = env.open().await;
    store
        .push(
            "fake",
            vec![
                stream(r#"{app="api", env="prod"}"#, &[(T0, "1")]),
                stream(r#"{app="api", env="dev"}"#, &[(T0, "2")]),
            ],
        )
        .await
        .unwrap();
    env.clock.advance(Duration::from_secs(31 * 60));
    store.tick().await.unwrap();
    // Flushed: in the index only. Now a stream in memory.
    let later = T0 + 31 * MIN;
    store
        .push(
            "fake",
            vec![stream(r#"{app="web", team="x"}"#, &[(later, "3")])],
        )
        .await
        .unwrap();
    let wide = (T0 - MIN, later + MIN);
    assert_eq!(
        store.label_names("fake", &[], wide.0, wide.1),
        ["app", "env", "service_name", "team"]
    );
    assert_eq!(
        store.label_values("fake", "app", &[], wide.0, wide.1),
        ["api", "web"]
    );
    assert_eq!(
        store.label_values("fake", "env", &app("api"), wide.0, wide.1),
        ["dev", "prod"]
    );
    // Only the stream in memory has data after T0 + 1 min.
    assert_eq!(
        store.label_values("fake", "app", &[], T0 + MIN, wide.1),
        ["web"]
    );
    let series: Vec<String> = store
        .series("fake", &[Matcher::not_equal("env", "prod")], wide.0, wide.1)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        series,
        [
            r#"{app="api", env="dev", service_name="api"}"#,
            r#"{app="web", service_name="web", team="x"}"#
        ]
    );
    let re = [Matcher::regex("env", "pro.").unwrap()];
    assert_eq!(
        select_all(&store, "fake", &re, Direction::Forward).await,
        ["1"]
    );
    let not_re = [
        Matcher::not_regex("env", "prod|dev").unwrap(),
        Matcher::regex("app", ".+").unwrap(),
    ];
    assert_eq!(
        select_all(&store, "fake", &not_re, Direction::Forward).await,
        ["3"]
    );
    // Fully anchored.
    let partial = [Matcher::regex("app", "ap").unwrap()];
    assert!(
        select_all(&store, "fake", &partial, Direction::Forward)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn tenants_are_isolated() {
    let env = Env::new();
    let store = env.open().await;
    store
        .push("team-a", vec![stream(r#"{app="x"}"#, &[(T0, "a's line")])])
        .await
        .unwrap();
    store
        .push("team-b", vec![stream(r#"{app="x"}"#, &[(T0, "b's line")])])
        .await
        .unwrap();
    assert_eq!(
        select_all(&store, "team-b", &app("x"), Direction::Forward).await,
        ["b's line"]
    );
    store.shutdown().await.unwrap();
    let store = env.open().await;
    assert_eq!(
        select_all(&store, "team-a", &app("x"), Direction::Forward).await,
        ["a's line"]
    );
    assert!(
        select_all(&store, "team-c", &app("x"), Direction::Forward)
            .await
            .is_empty()
    );
    assert!(
        store
            .label_names("team-c", &[], T0 - MIN, T0 + MIN)
            .is_empty()
    );
}

#[tokio::test]
async fn a_corrupt_or_missing_chunk_is_skipped_and_reported() {
    let env = Env::new();
    let store = env.open().await;
    for (i, name) in ["one", "two", "three"].iter().enumerate() {
        let labels = format!("{{app=\"{name}\"}}");
        let ts = T0 + i64::try_from(i).unwrap() * SEC;
        store
            .push("fake", vec![stream(&labels, &[(ts, name)])])
            .await
            .unwrap();
    }
    store.shutdown().await.unwrap();
    let files = env.chunk_files();
    assert_eq!(files.len(), 3);
    // Which file is which stream does not matter: break one, delete another.
    let mut bytes = std::fs::read(&files[0]).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&files[0], bytes).unwrap();
    std::fs::remove_file(&files[1]).unwrap();

    let store = env.open().await;
    let any = [Matcher::regex("app", ".+").unwrap()];
    let s = store
        .select("fake", &any, T0, T0 + MIN, Direction::Forward, 0, None)
        .await
        .unwrap();
    assert_eq!(s.entries.len(), 1);
    assert_eq!(s.stats.chunks_skipped, 2);
    let mut reasons: Vec<SkipReason> = s.stats.skipped.iter().map(|k| k.reason).collect();
    reasons.sort_by_key(|r| r.as_str());
    assert_eq!(reasons, [SkipReason::Corrupt, SkipReason::Missing]);
    assert!(s.stats.skipped.iter().all(|k| k.key.starts_with("fake/")));
}

#[tokio::test]
async fn entries_are_replayed_after_a_drop_without_shutdown_and_a_torn_tail_is_cut() {
    let env = Env::new();
    let store = env.open().await;
    store
        .push(
            "fake",
            vec![stream(r#"{app="r"}"#, &[(T0, "first"), (T0 + 1, "second")])],
        )
        .await
        .unwrap();
    store
        .push("fake", vec![stream(r#"{app="r"}"#, &[(T0 + 2, "third")])])
        .await
        .unwrap();
    drop(store);
    // A record cut short at the end of the last segment, as a crash mid-write leaves it.
    let wal = env.dir.path().join("wal");
    let mut segments: Vec<_> = std::fs::read_dir(&wal)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "wal"))
        .collect();
    segments.sort();
    let last = segments.last().unwrap();
    let mut f = std::fs::OpenOptions::new().append(true).open(last).unwrap();
    std::io::Write::write_all(&mut f, &[40, 0, 0, 0, 1, 2, 3]).unwrap();
    drop(f);

    let store = env.open().await;
    let report = store.replay_report();
    assert_eq!(report.records, 2);
    assert!(report.truncated.is_some());
    assert_eq!(store.replayed_entries(), 3);
    assert_eq!(
        select_all(&store, "fake", &app("r"), Direction::Forward).await,
        ["first", "second", "third"]
    );
    // The replayed stream remembers its last line.
    let r = store
        .push("fake", vec![stream(r#"{app="r"}"#, &[(T0 + 2, "third")])])
        .await
        .unwrap();
    assert_eq!(r.duplicates, 1);
    store.shutdown().await.unwrap();
    // Everything flushed: the WAL is down to its empty current segment.
    let store = env.open().await;
    assert_eq!(store.replay_report().records, 0);
    assert_eq!(
        select_all(&store, "fake", &app("r"), Direction::Backward).await,
        ["third", "second", "first"]
    );
}

#[tokio::test]
async fn a_head_replayed_after_its_chunk_was_flushed_is_not_returned_twice() {
    let env = Env::new();
    let store = env.open().await;
    store
        .push(
            "fake",
            vec![stream(r#"{app="d"}"#, &[(T0, "x"), (T0 + 1, "y")])],
        )
        .await
        .unwrap();
    drop(store);
    // Keep the WAL as it was before the flush, flush, then put it back: the state a crash
    // between storing the chunk and removing the WAL segments leaves.
    let wal = env.dir.path().join("wal");
    let saved = env.dir.path().join("wal-saved");
    copy_dir(&wal, &saved);
    let store = env.open().await;
    store.shutdown().await.unwrap();
    assert_eq!(env.chunk_files().len(), 1);
    std::fs::remove_dir_all(&wal).unwrap();
    copy_dir(&saved, &wal);

    let store = env.open().await;
    assert_eq!(store.replayed_entries(), 2);
    let s = store
        .select("fake", &app("d"), T0, T0 + MIN, Direction::Forward, 0, None)
        .await
        .unwrap();
    assert_eq!(lines(&s.entries), ["x", "y"]);
    assert_eq!(s.stats.duplicates, 2);
    let s = store
        .select(
            "fake",
            &app("d"),
            T0,
            T0 + MIN,
            Direction::Backward,
            0,
            None,
        )
        .await
        .unwrap();
    assert_eq!(lines(&s.entries), ["y", "x"]);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

#[tokio::test]
async fn full_chunks_are_cut_and_a_limited_selection_opens_few_of_them() {
    let env = Env::new();
    let mut config = env.config();
    config.ingester.chunk_target_size = 2048;
    config.ingester.chunk_block_size = 512;
    let store = env.open_with(config).await;
    let line = |i: i64| {
        format!(
            "line {i:05} {}",
            "z".repeat(40 + usize::try_from(i % 23).unwrap())
        )
    };
    for batch in 0..20 {
        let entries: Vec<(i64, String)> = (0..50)
            .map(|i| {
                let n = batch * 50 + i;
                (T0 + n * 1_000_000, line(n))
            })
            .collect();
        let entries: Vec<(i64, &str)> = entries.iter().map(|(t, l)| (*t, l.as_str())).collect();
        store
            .push("fake", vec![stream(r#"{app="big"}"#, &entries)])
            .await
            .unwrap();
    }
    let stats = store.stats();
    assert!(stats.tenants["fake"].closed_chunks > 3, "{stats:?}");
    let flushed = store.tick().await.unwrap().chunks_flushed;
    assert!(flushed > 3);
    let s = store
        .select(
            "fake",
            &app("big"),
            T0,
            T0 + MIN,
            Direction::Forward,
            5,
            None,
        )
        .await
        .unwrap();
    assert_eq!(lines(&s.entries), (0..5).map(line).collect::<Vec<_>>());
    assert!(s.stats.chunks_fetched <= 2, "{:?}", s.stats);
    let all = store
        .select(
            "fake",
            &app("big"),
            T0,
            T0 + MIN,
            Direction::Backward,
            0,
            None,
        )
        .await
        .unwrap();
    assert_eq!(all.entries.len(), 1000);
    assert!(all.entries.windows(2).all(|w| w[0].ts > w[1].ts));
    // The line filter is pushed into decoding.
    let sevens = |l: &[u8]| l.starts_with(b"line 0007");
    let s = store
        .select(
            "fake",
            &app("big"),
            T0,
            T0 + MIN,
            Direction::Forward,
            0,
            Some(&sevens),
        )
        .await
        .unwrap();
    assert_eq!(s.entries.len(), 10);
    assert_eq!(s.stats.entries_matched, 10);
}
