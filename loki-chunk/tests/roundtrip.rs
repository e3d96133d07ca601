//! Property tests: any entries written with any codec (V2, V3, V4) read back in time order,
//! forward and backward, with range and line filters; exact duplicates in one head are
//! dropped and reported.
#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

use loki_chunk::{Appended, Chunk, ChunkWriter, Codec, Direction, Entry, Query, WriterOptions};
use proptest::prelude::*;

fn codec() -> impl Strategy<Value = Codec> {
    proptest::sample::select(Codec::ALL.to_vec())
}

/// Entries with unique lines (so no duplicates), valid already-normalised metadata names.
fn entries() -> impl Strategy<Value = Vec<Entry>> {
    let meta = proptest::collection::btree_map("[a-z][a-z0-9]{0,6}", ".{0,8}", 0..3);
    proptest::collection::vec(
        (
            0i64..50,
            proptest::collection::vec(any::<u8>(), 0..40),
            meta,
        ),
        0..120,
    )
    .prop_map(|list| {
        list.into_iter()
            .enumerate()
            .map(|(i, (ts, mut line, meta))| {
                line.extend_from_slice(format!("#{i}").as_bytes());
                Entry::with_metadata(ts * 1_000 - 20_000, line, meta)
            })
            .collect()
    })
}

fn expected(input: &[Entry], version: u8) -> Vec<Entry> {
    let mut want: Vec<Entry> = input
        .iter()
        .map(|e| Entry {
            structured_metadata: if version >= 4 {
                e.structured_metadata.clone()
            } else {
                Vec::new()
            },
            ..e.clone()
        })
        .collect();
    want.sort_by_key(|e| e.ts); // stable: ties keep arrival order
    want
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn write_then_read_returns_entries_in_time_order(
        input in entries(),
        codec in codec(),
        v4 in any::<bool>(),
        block_size in 16usize..2048,
    ) {
        let opts = if v4 { WriterOptions::v4(codec) } else { WriterOptions::v3(codec) };
        let mut w = ChunkWriter::new(opts.block_size(block_size)).unwrap();
        for e in &input {
            prop_assert_eq!(w.append_entry(e).unwrap(), Appended::Stored);
        }
        let chunk = Chunk::open(w.finish().unwrap()).unwrap();
        let want = expected(&input, opts.version);
        prop_assert_eq!(&chunk.entries(Query::all()).unwrap(), &want);
        let mut back = chunk.entries(Query::all().direction(Direction::Backward)).unwrap();
        back.reverse();
        prop_assert_eq!(&back, &want);

        // Half-open range and a pushed-down line filter.
        let (from, through) = (-10_000, 10_000);
        let keep = |l: &[u8]| l.first().is_some_and(|b| b % 2 == 0);
        let ranged: Vec<Entry> = want
            .iter()
            .filter(|e| e.ts >= from && e.ts < through && keep(&e.line))
            .cloned()
            .collect();
        prop_assert_eq!(chunk.entries(Query::range(from, through).filter(&keep)).unwrap(), ranged);
    }

    #[test]
    fn v2_ordered_chunks_round_trip(mut input in entries(), codec in codec()) {
        input.sort_by_key(|e| e.ts);
        let mut w = ChunkWriter::new(WriterOptions::v2(codec).block_size(64)).unwrap();
        for e in &input {
            prop_assert_eq!(w.append_entry(e).unwrap(), Appended::Stored);
        }
        let chunk = Chunk::open(w.finish().unwrap()).unwrap();
        prop_assert_eq!(chunk.entries(Query::all()).unwrap(), expected(&input, 2));
    }

    #[test]
    fn checkpoints_round_trip(input in entries(), codec in codec()) {
        let mut w = ChunkWriter::new(WriterOptions::v4(codec).block_size(256)).unwrap();
        for e in &input {
            let _ = w.append_entry(e).unwrap();
        }
        let (chunk, head) = w.checkpoint().unwrap();
        let read = Chunk::open_checkpoint(chunk.clone(), &head).unwrap();
        let mut got = read.entries(Query::all()).unwrap();
        let mut want = expected(&input, 4);
        // Blocks cut before the checkpoint may overlap the head: ties across them are in
        // block order, so compare as multisets per timestamp.
        got.sort();
        want.sort();
        prop_assert_eq!(got, want);
        let restored = ChunkWriter::from_checkpoint(chunk, &head, 256, 0).unwrap();
        prop_assert_eq!(restored.entry_count(), input.len() as u64);
    }
}

#[test]
fn exact_duplicates_in_the_head_are_dropped_and_reported() {
    let mut w = ChunkWriter::new(WriterOptions::v4(Codec::Snappy)).unwrap();
    assert_eq!(w.append(5, b"a", &[("k", "v")]).unwrap(), Appended::Stored);
    assert_eq!(
        w.append(5, b"a", &[("k", "v")]).unwrap(),
        Appended::Duplicate
    );
    assert_eq!(w.append(5, b"a", &[("k", "w")]).unwrap(), Appended::Stored);
    assert_eq!(w.append(5, b"b", &[("k", "v")]).unwrap(), Appended::Stored);
    assert_eq!(w.entry_count(), 3);
}

#[test]
fn close_rebuilds_overlapping_blocks_in_time_order() {
    let mut w = ChunkWriter::new(WriterOptions::v3(Codec::Gzip).block_size(1)).unwrap();
    for ts in [30, 10, 20, 5] {
        let _ = w.append(ts, b"x", &[]).unwrap(); // every entry is its own block
    }
    assert_eq!(w.blocks().len(), 4);
    w.close().unwrap();
    let blocks = w.blocks();
    assert!(
        blocks.windows(2).all(|b| b[0].max_ts <= b[1].min_ts),
        "{blocks:?}"
    );
    let chunk = Chunk::open(w.to_bytes().unwrap()).unwrap();
    let ts: Vec<i64> = chunk
        .entries(Query::all())
        .unwrap()
        .iter()
        .map(|e| e.ts)
        .collect();
    assert_eq!(ts, [5, 10, 20, 30]);
}

/// `finish` puts the header in front of the blocks in place; `to_bytes` copies. Both must give
/// the same chunk, for every version, after a checkpoint restore too.
#[test]
fn finish_in_place_equals_the_copying_serialiser() {
    for opts in [
        WriterOptions::v4(Codec::Snappy),
        WriterOptions::v3(Codec::Gzip),
        WriterOptions::v2(Codec::Lz4_64k),
        WriterOptions::v4(Codec::None).block_size(512),
    ] {
        let mut w = ChunkWriter::new(opts.block_size(opts.block_size.min(4096))).unwrap();
        for i in 0..2_000i64 {
            let line = format!("line {i} level=info msg=\"something happened\" n={}", i * 7);
            let md: &[(&str, &str)] = if i % 3 == 0 {
                &[("trace.id", "abc"), ("1st", "x")]
            } else {
                &[]
            };
            let _ = w
                .append(1_717_200_000_000_000_000 + i * 1_000, line.as_bytes(), md)
                .unwrap();
        }
        w.close().unwrap();
        let copied = w.to_bytes().unwrap();
        let (chunk, head) = w.checkpoint().unwrap();
        let finished = w.finish().unwrap();
        assert_eq!(copied, finished, "{opts:?}");
        let restored = ChunkWriter::from_checkpoint(chunk, head, opts.block_size, 0).unwrap();
        assert_eq!(
            restored.to_bytes().unwrap(),
            restored.finish().unwrap(),
            "{opts:?}"
        );
        assert_eq!(
            Chunk::open(finished)
                .unwrap()
                .entries(Query::all())
                .unwrap()
                .len(),
            2_000
        );
    }
}
