//! `list-blocks`: the tenant's blocks as a table or as their metas, each block's data file
//! checked to be the size its meta records.

use std::io::Write as _;

use examples::cli::{self, Result};
use futures_util::{StreamExt as _, stream};
use tempo_block::backend::DATA_NAME;
use uuid::Uuid;

use crate::{CONCURRENCY, PROGRAM, StoredMeta, Target};

/// How times are shown (fractional seconds only when there are any).
const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.fZ";

/// `list-blocks`: a table of the tenant's blocks (or their metas as JSON lines), sorted by
/// block ID. A block whose meta cannot be read is reported and makes the exit status 2; a
/// block whose `data.parquet` is missing or not the meta's size is flagged and makes it 1.
pub(crate) async fn list_blocks(target: &Target, json: bool) -> Result<bool> {
    let (store, tenant) = (&target.store, target.tenant.as_str());
    let ids = store.list_blocks(tenant).await?;
    let mut blocks: Vec<(Uuid, bool)> = ids.live.iter().map(|&b| (b, false)).collect();
    blocks.extend(ids.compacted.iter().map(|&b| (b, true)));
    blocks.sort_unstable();
    if blocks.is_empty() {
        cli::warn(PROGRAM, target.no_blocks(false).await);
    }
    let mut out = cli::stdout();
    if !json {
        writeln!(
            out,
            "{:<36}  {:<10}  {:<20}  {:<20}  {:>10}  {:>12}  {:>10}  {:>6}  {:>5}  STATE",
            "BLOCK ID",
            "FORMAT",
            "START",
            "END",
            "OBJECTS",
            "SIZE",
            "ROW GROUPS",
            "BLOOMS",
            "LEVEL"
        )?;
    }
    let mut metas = stream::iter(&blocks)
        .map(|&(block, compacted)| async move {
            let meta = if compacted {
                store
                    .read_compacted_meta(tenant, block)
                    .await
                    .map(StoredMeta::Compacted)
            } else {
                store.read_meta(tenant, block).await.map(StoredMeta::Live)
            };
            let problem = match &meta {
                Ok(meta) => data_problem(target, meta).await,
                Err(_) => None,
            };
            (block, meta, problem)
        })
        .buffered(CONCURRENCY);
    let (mut unreadable, mut broken) = (0, 0);
    while let Some((block, meta, problem)) = metas.next().await {
        if let Some(problem) = &problem {
            broken += 1;
            cli::warn(PROGRAM, format!("block {block}: {problem}"));
        }
        match meta {
            Ok(meta) if json => {
                out.write_all(&meta.to_json()?)?;
                out.write_all(b"\n")?;
            }
            Ok(meta) => writeln!(out, "{}", block_line(&meta, problem.as_deref()))?,
            Err(e) => {
                cli::warn(PROGRAM, format!("block {block}: {e}"));
                unreadable += 1;
            }
        }
    }
    out.flush()?;
    if unreadable > 0 {
        return Err(format!(
            "the metadata of {unreadable} of {} block(s) could not be read",
            blocks.len()
        )
        .into());
    }
    Ok(broken == 0)
}

/// What is wrong with the block's `data.parquet`, if anything: missing, or not the size
/// meta.json records (a meta recording no size is not checked).
async fn data_problem(target: &Target, meta: &StoredMeta) -> Option<String> {
    let meta = meta.meta();
    if meta.size == 0 {
        return None;
    }
    match target
        .store
        .object_size(&target.tenant, meta.block_id, DATA_NAME)
        .await
    {
        Ok(size) if size == meta.size => None,
        Ok(size) => Some(format!(
            "{DATA_NAME} is {size} bytes, meta.json says {}",
            meta.size
        )),
        Err(e) if e.is_not_found() => Some(format!("no {DATA_NAME}")),
        Err(e) => Some(e.to_string()),
    }
}

/// One `list-blocks` line; `problem` is what is wrong with the data file.
fn block_line(stored: &StoredMeta, problem: Option<&str>) -> String {
    let meta = stored.meta();
    let mut state = match stored {
        StoredMeta::Live(_) => "live".to_owned(),
        StoredMeta::Compacted(c) => format!("compacted {}", c.compacted_time.format(TIME_FORMAT)),
    };
    if let Some(problem) = problem {
        state = format!("{state}, BROKEN: {problem}");
    }
    format!(
        "{:<36}  {:<10}  {:<20}  {:<20}  {:>10}  {:>12}  {:>10}  {:>6}  {:>5}  {state}",
        meta.block_id.hyphenated().to_string(),
        meta.format,
        meta.start_time.format(TIME_FORMAT).to_string(),
        meta.end_time.format(TIME_FORMAT).to_string(),
        meta.total_objects,
        meta.size,
        meta.total_records,
        meta.bloom_shard_count(),
        meta.compaction_level,
    )
}
