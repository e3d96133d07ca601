#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported
//! Page indexes are read lazily: open reads the footer and the TraceID column's page indexes
//! only, a lookup adds the offset indexes of the columns it reads (once), a scan or
//! `check_metadata` every index. Corrupt indexes are reported when first needed, as the
//! same errors open used to return, and concurrent first uses agree with an eager load.

use std::ops::Range;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::FutureExt as _;
use otlp_model::TraceId;
use otlp_model::proto::trace::{ResourceSpans, ScopeSpans, Span};
use parquet::file::metadata::{PageIndexPolicy, ParquetMetaData, ParquetMetaDataReader};
use tempo_block::backend::DATA_NAME;
use tempo_block::{BlockBuilder, BlockConfig, BlockError, BlockObjects, BlockReader, WrittenBlock};

const TRACES: u8 = 200;

fn id(t: u8) -> TraceId {
    let mut b = [0x5a; 16];
    b[0] = t;
    TraceId::from_bytes(b)
}

/// 200 traces of 3 spans in several row groups of several pages each.
fn block() -> WrittenBlock {
    let mut b = BlockBuilder::new(BlockConfig {
        row_group_size_bytes: 20_000,
        page_size_bytes: 2048,
        page_row_limit: 16,
        ..BlockConfig::default()
    });
    for t in 0..TRACES {
        let trace = id(t);
        let spans = (0..3u8)
            .map(|s| Span {
                trace_id: trace.as_bytes().to_vec(),
                span_id: vec![t, s, 1, 1, 1, 1, 1, 1],
                parent_span_id: if s == 0 {
                    Vec::new()
                } else {
                    vec![t, 0, 1, 1, 1, 1, 1, 1]
                },
                name: format!("op-{t}-{s}"),
                start_time_unix_nano: 1_700_000_000_000_000_000 + u64::from(s),
                end_time_unix_nano: 1_700_000_000_100_000_000,
                ..Span::default()
            })
            .collect();
        b.push_trace(
            &trace,
            vec![ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans,
                    ..ScopeSpans::default()
                }],
                ..ResourceSpans::default()
            }],
        );
    }
    let block = b.finish("lazy", uuid::Uuid::nil()).unwrap();
    assert!(
        footer(&block.data).num_row_groups() > 2,
        "several row groups"
    );
    block
}

/// The footer of `data`, without page indexes.
fn footer(data: &Bytes) -> ParquetMetaData {
    ParquetMetaDataReader::new()
        .with_page_index_policy(PageIndexPolicy::Skip)
        .parse_and_finish(data)
        .unwrap()
}

/// The column-index and offset-index byte ranges of leaf `path` in every row group.
fn index_ranges(data: &Bytes, path: &str) -> Vec<(Range<u64>, Range<u64>)> {
    let meta = footer(data);
    meta.row_groups()
        .iter()
        .map(|rg| {
            let c = rg
                .columns()
                .iter()
                .find(|c| c.column_path().string() == path)
                .unwrap_or_else(|| panic!("no column {path}"));
            let range = |off: Option<i64>, len: Option<i32>| {
                let off = u64::try_from(off.unwrap()).unwrap();
                off..off + u64::try_from(len.unwrap()).unwrap()
            };
            (
                range(c.column_index_offset(), c.column_index_length()),
                range(c.offset_index_offset(), c.offset_index_length()),
            )
        })
        .collect()
}

/// Where the page indexes lie: from the first one to the footer.
fn index_region(data: &Bytes) -> Range<u64> {
    let meta = footer(data);
    let start = meta
        .row_groups()
        .iter()
        .flat_map(parquet::file::metadata::RowGroupMetaData::columns)
        .filter_map(|c| c.column_index_offset().or(c.offset_index_offset()))
        .min()
        .unwrap();
    let n = data.len();
    let footer_len = u32::from_le_bytes(data[n - 8..n - 4].try_into().unwrap());
    u64::try_from(start).unwrap()..(n as u64 - 8 - u64::from(footer_len))
}

fn overlaps(a: &Range<u64>, b: &Range<u64>) -> bool {
    a.start < b.end && b.start < a.end
}

/// A block's objects, recording every range read of `data.parquet`.
#[derive(Debug)]
struct Logged {
    block: WrittenBlock,
    reads: Mutex<Vec<Range<u64>>>,
}

impl Logged {
    fn new(block: WrittenBlock) -> Arc<Self> {
        Arc::new(Self {
            block,
            reads: Mutex::new(Vec::new()),
        })
    }

    fn take(&self) -> Vec<Range<u64>> {
        std::mem::take(&mut *self.reads.lock().unwrap())
    }
}

#[async_trait]
impl BlockObjects for Logged {
    async fn get(&self, name: &str) -> tempo_block::Result<Bytes> {
        self.block.get(name).await
    }

    async fn get_range(&self, name: &str, range: Range<u64>) -> tempo_block::Result<Bytes> {
        if name == DATA_NAME {
            self.reads.lock().unwrap().push(range.clone());
        }
        self.block.get_range(name, range).await
    }

    async fn size(&self, name: &str) -> tempo_block::Result<u64> {
        self.block.size(name).await
    }
}

fn open(block: &WrittenBlock) -> tempo_block::Result<BlockReader> {
    BlockReader::open(block.meta.clone(), Arc::new(block.clone()))
        .now_or_never()
        .unwrap()
}

fn find(reader: &BlockReader, t: u8) -> tempo_block::Result<Option<Vec<ResourceSpans>>> {
    reader.find_trace(&id(t)).now_or_never().unwrap()
}

fn scan_all(reader: &BlockReader) -> tempo_block::Result<Vec<(TraceId, Vec<ResourceSpans>)>> {
    let mut scan = reader.scan();
    let mut out = Vec::new();
    while let Some(t) = scan.next().now_or_never().unwrap()? {
        out.push(t);
    }
    Ok(out)
}

#[test]
fn open_reads_the_footer_and_the_trace_id_indexes_and_lookups_keep_what_they_load() {
    let block = block();
    let region = index_region(&block.data);
    let trace_id = index_ranges(&block.data, "TraceID");
    let name = index_ranges(&block.data, "rs.ss.Spans.Name");
    let logged = Logged::new(block.clone());
    let objects: Arc<dyn BlockObjects> = Arc::clone(&logged) as _;
    let reader = BlockReader::open(block.meta.clone(), objects)
        .now_or_never()
        .unwrap()
        .unwrap();
    let at_open = logged.take();
    let in_region: Vec<&Range<u64>> = at_open.iter().filter(|r| overlaps(r, &region)).collect();
    // Every index read at open is for the TraceID indexes (ranges closer than the coalescing
    // gap are fetched as one, so neighbours may come along; this block's are all close).
    assert!(!in_region.is_empty(), "{at_open:?}");
    for r in &in_region {
        assert!(
            trace_id
                .iter()
                .any(|(ci, oi)| overlaps(r, ci) || overlaps(r, oi)),
            "read {r:?} at open is not for the TraceID indexes"
        );
    }
    // Besides them, only the footer at the end of the file.
    let len = block.data.len() as u64;
    assert!(
        at_open.iter().all(|r| overlaps(r, &region) || r.end == len),
        "{at_open:?}"
    );

    // The first lookup in a row group reads the offset indexes it needs, the second none.
    assert!(find(&reader, 0).unwrap().is_some());
    let first = logged.take();
    assert!(
        first
            .iter()
            .any(|r| overlaps(r, &name[0].1) && overlaps(r, &region)),
        "{first:?}"
    );
    assert!(find(&reader, 1).unwrap().is_some());
    let second = logged.take();
    assert!(
        second.iter().all(|r| !overlaps(r, &region)),
        "a second lookup in the row group read page indexes again: {second:?}"
    );

    // Loading everything reads the rest once; afterwards nothing more.
    reader.check_metadata().now_or_never().unwrap().unwrap();
    assert!(!logged.take().is_empty());
    reader.check_metadata().now_or_never().unwrap().unwrap();
    assert!(logged.take().is_empty());
    assert_eq!(scan_all(&reader).unwrap().len(), usize::from(TRACES));
    assert!(logged.take().iter().all(|r| !overlaps(r, &region)));
}

#[test]
fn concurrent_first_uses_agree_with_an_eager_load() {
    let block = block();
    let eager = open(&block).unwrap();
    eager.check_metadata().now_or_never().unwrap().unwrap();
    let expected: Vec<_> = (0..TRACES).map(|t| find(&eager, t).unwrap()).collect();
    let expected_scan = scan_all(&eager).unwrap();
    for _ in 0..4 {
        let lazy = open(&block).unwrap();
        std::thread::scope(|s| {
            let workers: Vec<_> = (0..4u8)
                .map(|w| {
                    let lazy = &lazy;
                    s.spawn(move || {
                        (0..TRACES)
                            .map(|i| {
                                // Each thread walks the IDs from a different start.
                                let t = u8::try_from(
                                    (usize::from(i) + usize::from(w) * 50) % usize::from(TRACES),
                                )
                                .unwrap();
                                (t, find(lazy, t).unwrap())
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for w in workers {
                for (t, found) in w.join().unwrap() {
                    assert_eq!(found, expected[usize::from(t)], "trace {t}");
                }
            }
        });
        assert_eq!(scan_all(&lazy).unwrap(), expected_scan);
    }
}

/// `block` with `bytes` written over `range` of its data file.
fn corrupted(block: &WrittenBlock, range: &Range<u64>, fill: u8) -> WrittenBlock {
    let mut data = block.data.to_vec();
    let (s, e) = (
        usize::try_from(range.start).unwrap(),
        usize::try_from(range.end).unwrap(),
    );
    data[s..e].fill(fill);
    WrittenBlock {
        data: Bytes::from(data),
        ..block.clone()
    }
}

fn is_corrupt_page_index(e: &BlockError) -> bool {
    matches!(e, BlockError::Corrupt { what, detail }
        if what.ends_with("page index") && detail.contains("Thrift structure invalid"))
}

#[test]
fn a_corrupt_trace_id_index_fails_open() {
    let block = block();
    let trace_id = index_ranges(&block.data, "TraceID");
    for g in [0, trace_id.len() - 1] {
        for range in [&trace_id[g].0, &trace_id[g].1] {
            let err = open(&corrupted(&block, range, 0xff)).unwrap_err();
            assert!(is_corrupt_page_index(&err), "{err}");
        }
    }
    // A column index that walks but does not decode (an empty struct) is the Parquet crate's
    // error, as it was when open decoded every index.
    let err = open(&corrupted(&block, &trace_id[1].0, 0)).unwrap_err();
    assert!(
        matches!(&err, BlockError::Parquet { context, .. } if context.ends_with("page index")),
        "{err}"
    );
}

#[test]
fn corrupt_indexes_of_other_columns_are_reported_when_first_needed() {
    let block = block();
    let expected = find(&open(&block).unwrap(), 3).unwrap();

    // A column read by lookups: its offset index is needed by the first lookup in its row
    // group, and only there.
    let name = index_ranges(&block.data, "rs.ss.Spans.Name");
    let bad = corrupted(&block, &name[0].1, 0xff);
    let reader = open(&bad).unwrap();
    let err = find(&reader, 3).unwrap_err();
    assert!(is_corrupt_page_index(&err), "{err}");
    // Asked again, the same error (nothing half-loaded was kept).
    let again = find(&reader, 3).unwrap_err();
    assert_eq!(again.to_string(), err.to_string());
    // Another row group's lookups are unaffected.
    assert!(find(&reader, TRACES - 1).unwrap().is_some());
    let scanned = scan_all(&reader).unwrap_err();
    assert!(is_corrupt_page_index(&scanned), "{scanned}");
    let checked = reader.check_metadata().now_or_never().unwrap().unwrap_err();
    assert!(is_corrupt_page_index(&checked), "{checked}");

    // Its column index is never needed by a lookup, but a scan (and a check) reads it.
    let bad = corrupted(&block, &name[0].0, 0xff);
    let reader = open(&bad).unwrap();
    assert_eq!(find(&reader, 3).unwrap(), expected);
    let scanned = scan_all(&reader).unwrap_err();
    assert!(is_corrupt_page_index(&scanned), "{scanned}");
    let checked = reader.check_metadata().now_or_never().unwrap().unwrap_err();
    assert!(is_corrupt_page_index(&checked), "{checked}");

    // An offset index that walks but does not decode leaves its chunk without one: reading
    // the column is refused (as when such a file's indexes were all dropped at open).
    let bad = corrupted(&block, &name[0].1, 0);
    let reader = open(&bad).unwrap();
    let err = find(&reader, 3).unwrap_err();
    assert!(
        matches!(&err, BlockError::Corrupt { what, detail }
            if what.contains("rs.ss.Spans.Name") && detail.contains("no offset index")),
        "{err}"
    );

    // A column lookups skip (derived at write time): lookups are unaffected, scans are not.
    let root = index_ranges(&block.data, "RootServiceName");
    let bad = corrupted(&block, &root[0].1, 0xff);
    let reader = open(&bad).unwrap();
    assert_eq!(find(&reader, 3).unwrap(), expected);
    let scanned = scan_all(&reader).unwrap_err();
    assert!(is_corrupt_page_index(&scanned), "{scanned}");
}

/// `block` with its footer replaced by `footer` (the trailer and meta.json's sizes updated).
fn with_footer(block: &WrittenBlock, footer: &[u8]) -> WrittenBlock {
    let n = block.data.len();
    let old = u32::from_le_bytes(block.data[n - 8..n - 4].try_into().unwrap()) as usize;
    let mut data = block.data[..n - 8 - old].to_vec();
    data.extend_from_slice(footer);
    data.extend_from_slice(&u32::try_from(footer.len()).unwrap().to_le_bytes());
    data.extend_from_slice(b"PAR1");
    let mut meta = block.meta.clone();
    meta.size = data.len() as u64;
    meta.footer_size = u32::try_from(footer.len()).unwrap();
    WrittenBlock {
        meta,
        data: Bytes::from(data),
        ..block.clone()
    }
}

#[test]
fn statistics_lookups_do_not_use_are_checked_by_full_reads() {
    use parquet::file::metadata::{ParquetMetaDataOptions, ParquetStatisticsPolicy};
    let block = block();
    let expected = find(&open(&block).unwrap(), 3).unwrap();
    let n = block.data.len();
    let len = u32::from_le_bytes(block.data[n - 8..n - 4].try_into().unwrap()) as usize;
    let footer = block.data[n - 8 - len..n - 8].to_vec();
    // What open decodes: TraceID's column statistics only (leaf 0), no size or encoding
    // statistics.
    let lean = ParquetMetaDataOptions::new()
        .with_column_stats_policy(ParquetStatisticsPolicy::skip_except(&[0]))
        .with_size_stats_policy(ParquetStatisticsPolicy::SkipAll)
        .with_encoding_stats_policy(ParquetStatisticsPolicy::SkipAll);
    // Damage only statistics nothing reads: give a page-encoding statistics entry (compact
    // struct `{1: i32 page_type, 2: i32 encoding, 3: i32 count}`, each field header 0x15) an
    // encoding that does not exist, leaving the footer a valid Thrift struct that the lean
    // decode accepts and the full decode refuses.
    let mut checked = 0;
    for at in 0..footer.len().saturating_sub(5) {
        let w = &footer[at..at + 5];
        if !(w[0] == 0x15 && w[2] == 0x15 && w[4] == 0x15 && w[1] < 0x80 && w[3] < 0x80) {
            continue;
        }
        let mut bad = footer.clone();
        bad[at + 3] = 0x7e;
        let walks = otlp_model::thrift_walk::thrift_struct_len(&bad, otlp_model::Protocol::Compact);
        if walks.ok() != Some(bad.len())
            || ParquetMetaDataReader::decode_metadata(&bad).is_ok()
            || ParquetMetaDataReader::decode_metadata_with_options(&bad, Some(&lean)).is_err()
        {
            continue;
        }
        let bad = with_footer(&block, &bad);
        let Ok(reader) = open(&bad) else {
            continue;
        };
        if find(&reader, 3).ok() != Some(expected.clone()) {
            continue;
        }
        // Open and lookups do without these statistics; a full check or scan reports the
        // footer's error, as open did when it decoded everything.
        let footer_error = |e: &BlockError| matches!(e, BlockError::Parquet { context, .. } if context.ends_with("footer"));
        let err = reader.check_metadata().now_or_never().unwrap().unwrap_err();
        assert!(footer_error(&err), "{err}");
        let err = scan_all(&open(&bad).unwrap()).unwrap_err();
        assert!(footer_error(&err), "{err}");
        checked += 1;
        if checked == 3 {
            break;
        }
    }
    assert!(
        checked > 0,
        "no damage found that only the full decode sees"
    );
}
