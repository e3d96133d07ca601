//! `verify`: every row of a block read and checked against its meta and bloom filter.

use std::io::Write as _;

use examples::cli::{self, Result, progress};
use futures_util::{StreamExt as _, stream};
use indicatif::ProgressBar;
use otlp_model::TraceId;
use tempo_block::BlockMeta;
use uuid::Uuid;

use crate::{CONCURRENCY, PROGRAM, StoredMeta, Target, in_block, open_reader, read_meta};

/// `verify`: checks one block or every live block, one line per block and a summary.
pub(crate) async fn verify(target: &Target, block: Option<Uuid>) -> Result<bool> {
    let blocks = if let Some(block) = block {
        vec![block]
    } else {
        let live = target.store.list_blocks(&target.tenant).await?.live;
        if live.is_empty() {
            return Err(target.no_blocks(true).await.into());
        }
        live
    };
    // Every meta first: their object counts size the progress bar.
    let metas: Vec<(Uuid, Result<StoredMeta>)> = stream::iter(&blocks)
        .map(|&block| async move { (block, read_meta(target, block).await) })
        .buffered(CONCURRENCY)
        .collect()
        .await;
    let rows = metas
        .iter()
        .filter_map(|(_, meta)| meta.as_ref().ok())
        .map(|meta| meta.meta().total_objects)
        .sum();
    let bar = progress::bar(rows, "rows");
    let mut out = cli::stdout();
    let (mut passed, mut failed, mut unreadable) = (0usize, 0usize, 0usize);
    for (block, meta) in metas {
        bar.set_message(block.to_string());
        let checked = match meta {
            Ok(meta) => verify_block(target, meta.into_meta(), &bar).await,
            Err(e) => Err(e),
        };
        match checked {
            Ok(line) => {
                if line.failures.is_empty() {
                    passed += 1;
                } else {
                    failed += 1;
                }
                bar.suspend(|| {
                    writeln!(out, "{block}: {line}")?;
                    out.flush()
                })?;
            }
            Err(e) => {
                unreadable += 1;
                bar.suspend(|| cli::warn(PROGRAM, in_block(block, &e)));
            }
        }
    }
    drop(bar);
    writeln!(
        out,
        "verified {} block(s): {passed} ok, {failed} failed, {unreadable} unreadable",
        blocks.len()
    )?;
    out.flush()?;
    if unreadable > 0 {
        return Err(format!(
            "{unreadable} of {} block(s) could not be read",
            blocks.len()
        )
        .into());
    }
    Ok(failed == 0)
}

/// Scans every row of the block `meta` describes and checks it.
async fn verify_block(target: &Target, meta: BlockMeta, bar: &ProgressBar) -> Result<BlockVerdict> {
    let reader = open_reader(target, meta).await?;
    let mut check = RowCheck::default();
    let mut scan = reader.scan();
    while let Some((id, _)) = scan.next().await? {
        let in_bloom = reader.may_contain(&id).await?;
        check.row(id, in_bloom);
        bar.inc(1);
    }
    Ok(check.verdict(reader.meta(), reader.row_groups()))
}

/// The checks of `verify` over a block's rows, fed in storage order.
#[derive(Debug, Default)]
struct RowCheck {
    /// Rows seen so far.
    rows: u64,
    /// The previous row's ID.
    last: Option<TraceId>,
    /// Rows whose ID is not greater than the one before.
    unordered: u64,
    /// The first of them: its row number, the ID before it and its ID.
    first_unordered: Option<(u64, TraceId, TraceId)>,
    /// IDs the bloom filter says are absent.
    bloom_misses: u64,
    /// The first of them.
    first_bloom_miss: Option<TraceId>,
}

impl RowCheck {
    /// Takes the next row's trace ID and whether the bloom filter may hold it.
    fn row(&mut self, id: TraceId, in_bloom: bool) {
        if let Some(last) = self.last
            && id <= last
        {
            self.unordered += 1;
            self.first_unordered.get_or_insert((self.rows, last, id));
        }
        if !in_bloom {
            self.bloom_misses += 1;
            self.first_bloom_miss.get_or_insert(id);
        }
        self.last = Some(id);
        self.rows += 1;
    }

    /// The result, given the block's meta and the number of row groups in its file.
    fn verdict(&self, meta: &BlockMeta, row_groups: usize) -> BlockVerdict {
        let mut failures = Vec::new();
        if let Some((row, before, id)) = self.first_unordered {
            failures.push(format!(
                "{} row(s) not in strictly ascending trace ID order (first: row {row}, {id} after {before})",
                self.unordered
            ));
        }
        if self.rows != meta.total_objects {
            failures.push(format!(
                "{} rows, but meta.json says totalObjects {}",
                self.rows, meta.total_objects
            ));
        }
        if row_groups as u64 != u64::from(meta.total_records) {
            failures.push(format!(
                "{row_groups} row groups, but meta.json says totalRecords {}",
                meta.total_records
            ));
        }
        if let Some(id) = self.first_bloom_miss {
            failures.push(format!(
                "{} trace ID(s) missing from the bloom filter (first: {id})",
                self.bloom_misses
            ));
        }
        BlockVerdict {
            rows: self.rows,
            row_groups,
            bloom_shards: meta.bloom_shard_count(),
            failures,
        }
    }
}

/// What `verify` found in one block.
#[derive(Debug)]
struct BlockVerdict {
    /// Rows read.
    rows: u64,
    /// Row groups in the Parquet file.
    row_groups: usize,
    /// Bloom shards read.
    bloom_shards: u32,
    /// One sentence per failed check; empty when the block passed.
    failures: Vec<String>,
}

impl std::fmt::Display for BlockVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.failures.is_empty() {
            write!(
                f,
                "ok: {} rows in ascending trace ID order, {} row group(s), every ID in the bloom filter ({} shard(s))",
                self.rows, self.row_groups, self.bloom_shards
            )
        } else {
            write!(f, "FAILED: {}", self.failures.join("; "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(total_objects: u64, total_records: u32) -> BlockMeta {
        BlockMeta {
            total_objects,
            total_records,
            bloom_shards: 1,
            ..BlockMeta::new(tempo_block::Version::VParquet5, "t", Uuid::from_u128(7))
        }
    }

    #[test]
    fn row_check_passes_ascending_rows_matching_the_meta() {
        let mut check = RowCheck::default();
        for i in 1..=3 {
            check.row(TraceId::from_u64(i), true);
        }
        let verdict = check.verdict(&meta(3, 1), 1);
        assert!(verdict.failures.is_empty(), "{verdict}");
        assert!(verdict.to_string().starts_with("ok: 3 rows"));
    }

    #[test]
    fn row_check_reports_each_failed_check() {
        let mut check = RowCheck::default();
        for (i, in_bloom) in [(1, true), (5, false), (5, true), (2, false)] {
            check.row(TraceId::from_u64(i), in_bloom);
        }
        let verdict = check.verdict(&meta(3, 2), 1);
        let text = verdict.to_string();
        assert_eq!(verdict.failures.len(), 4, "{text}");
        assert!(
            text.contains(
                "2 row(s) not in strictly ascending trace ID order (first: row 2, \
                 00000000000000000000000000000005 after 00000000000000000000000000000005)"
            ),
            "{text}"
        );
        assert!(text.contains("4 rows, but meta.json says totalObjects 3"));
        assert!(text.contains("1 row groups, but meta.json says totalRecords 2"));
        assert!(text.contains(
            "2 trace ID(s) missing from the bloom filter (first: 00000000000000000000000000000005)"
        ));
    }
}
