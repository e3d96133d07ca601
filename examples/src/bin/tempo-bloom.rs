//! `tempo-bloom`: build, inspect and query Tempo bloom shards (`bloom-<i>` objects).
//!
//! ```text
//! tempo-bloom demo  [--dir ./data] [--traces 100000] [--seed 1]
//! tempo-bloom build --ids IDS.txt --out BLOCK_DIR [--fp 0.01] [--shard-size 102400] [--estimated N]
//! tempo-bloom test  BLOCK_DIR TRACE_ID...
//! tempo-bloom inspect SHARD_FILE...
//! ```
//!
//! Exit status: 0 success (for `test`: every ID may be present), 1 when `test` finds an ID
//! that is definitely absent or `demo` finds a false negative, 2 on any error. A closed
//! output pipe (`tempo-bloom test … | head -1`) ends the program quietly with status 0.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bloom::tempo::{ShardView, ShardedBloom, TempoBloomParams, TraceKey, shard_object_name};
use clap::{Parser, Subcommand};
use examples::cli::{self, Result};
use rand::{RngExt, SeedableRng};

#[derive(Parser)]
#[command(version, about = "Build, inspect and query Tempo bloom shards")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write the shards of a block of random trace IDs, read them back from disk and check
    /// every ID is found and how many absent IDs are false positives.
    Demo {
        /// Folder to write into (a `demo-block/` folder is created inside).
        #[arg(long, default_value = "./data")]
        dir: PathBuf,
        /// Number of trace IDs in the block.
        #[arg(long, default_value_t = 100_000)]
        traces: u64,
        /// Seed of the random IDs.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Build `bloom-<i>` shards for the trace IDs in a file (one hex ID per line).
    Build {
        /// File of hex trace IDs, one per line (up to 32 digits, left-padded with zeros).
        #[arg(long)]
        ids: PathBuf,
        /// Block folder to write `bloom-<i>` into.
        #[arg(long)]
        out: PathBuf,
        /// False-positive rate.
        #[arg(long, default_value_t = bloom::format::TEMPO_DEFAULT_FALSE_POSITIVE)]
        fp: f64,
        /// Bytes of bitset per shard.
        #[arg(long, default_value_t = bloom::format::TEMPO_DEFAULT_SHARD_SIZE_BYTES)]
        shard_size: u32,
        /// Estimated object count used for sizing (default: the number of IDs).
        #[arg(long)]
        estimated: Option<u64>,
    },
    /// Test trace IDs against the shards of a block folder.
    Test {
        /// Block folder holding `bloom-0 .. bloom-<n-1>`.
        block: PathBuf,
        /// Hex trace IDs.
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Print the header and fill of shard files.
    Inspect {
        /// Shard files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Demo { dir, traces, seed } => demo(&dir, traces, seed),
        Command::Build {
            ids,
            out,
            fp,
            shard_size,
            estimated,
        } => build(&ids, &out, fp, shard_size, estimated),
        Command::Test { block, ids } => test(&block, &ids),
        Command::Inspect { files } => inspect(&files),
    };
    cli::exit("tempo-bloom", outcome)
}

/// Parses a hex trace ID of up to 32 digits, left-padding it with zeros to 16 bytes.
fn parse_trace_id(hex_id: &str) -> Result<[u8; 16]> {
    Ok(otlp_model::TraceId::parse_hex(hex_id.trim())?.to_bytes())
}

fn write_shards(out: &Path, filter: &ShardedBloom) -> Result<()> {
    std::fs::create_dir_all(out)?;
    for (i, shard) in filter.encode_shards().iter().enumerate() {
        std::fs::write(out.join(shard_object_name(i)), shard)?;
    }
    Ok(())
}

/// Reads every `bloom-<i>` of a block folder, in order.
fn read_shards(block: &Path) -> Result<Vec<ShardView<Vec<u8>>>> {
    let mut shards = Vec::new();
    loop {
        let path = block.join(shard_object_name(shards.len()));
        if !path.exists() {
            break;
        }
        let bytes = std::fs::read(&path)?;
        shards.push(ShardView::parse(bytes).map_err(|e| format!("{}: {e}", path.display()))?);
    }
    if shards.is_empty() {
        return Err(format!("{}: no bloom-0 found", block.display()).into());
    }
    Ok(shards)
}

fn lookup(shards: &[ShardView<Vec<u8>>], id: &[u8; 16]) -> bool {
    let key = TraceKey::new(id);
    shards
        .get(key.shard_index(shards.len()))
        .is_some_and(|s| s.contains_key(&key))
}

fn demo(dir: &Path, traces: u64, seed: u64) -> Result<bool> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let ids: Vec<[u8; 16]> = (0..traces).map(|_| rng.random()).collect();
    let params = TempoBloomParams::with_defaults(traces);
    let mut filter = ShardedBloom::new(params);
    for id in &ids {
        filter.insert(id);
    }
    let block = dir.join("demo-block");
    write_shards(&block, &filter)?;
    let id_list: String = ids.iter().map(|id| hex::encode(id) + "\n").collect();
    std::fs::write(block.join("trace-ids.txt"), id_list)?;

    let shards = read_shards(&block)?;
    let missing = ids.iter().filter(|id| !lookup(&shards, id)).count();
    let probes = 100_000u32;
    let false_positives = (0..probes)
        .filter(|_| lookup(&shards, &rng.random::<[u8; 16]>()))
        .count();
    let mut out = cli::stdout();
    writeln!(
        out,
        "wrote {} shard(s) of {} bytes for {traces} trace IDs to {} (k = {}, estimated bits = {})",
        shards.len(),
        shards.first().map_or(0, |s| s.as_bytes().len()),
        block.display(),
        params.k(),
        params.total_bits(),
    )?;
    writeln!(
        out,
        "read back: {} of {traces} IDs found",
        ids.len() - missing
    )?;
    #[allow(clippy::cast_precision_loss)] // display only
    let rate = false_positives as f64 / f64::from(probes);
    writeln!(
        out,
        "false positives: {false_positives} of {probes} random absent IDs ({rate:.5}, target {})",
        params.false_positive()
    )?;
    out.flush()?;
    Ok(missing == 0)
}

fn build(ids: &Path, out: &Path, fp: f64, shard_size: u32, estimated: Option<u64>) -> Result<bool> {
    let text = std::fs::read_to_string(ids)?;
    let ids = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(parse_trace_id)
        .collect::<Result<Vec<_>>>()?;
    let params = TempoBloomParams::new(fp, shard_size, estimated.unwrap_or(ids.len() as u64))?;
    let mut filter = ShardedBloom::new(params);
    for id in &ids {
        filter.insert(id);
    }
    write_shards(out, &filter)?;
    let mut out = cli::stdout();
    writeln!(
        out,
        "{} IDs -> {} shard(s), k = {}, {} bits each",
        ids.len(),
        filter.shard_count(),
        params.k(),
        params.shard_bits()
    )?;
    out.flush()?;
    Ok(true)
}

fn test(block: &Path, ids: &[String]) -> Result<bool> {
    let shards = read_shards(block)?;
    let mut all = true;
    let mut out = cli::stdout();
    for hex_id in ids {
        let id = parse_trace_id(hex_id)?;
        let maybe = lookup(&shards, &id);
        all &= maybe;
        writeln!(
            out,
            "{} {}",
            hex::encode(id),
            if maybe { "maybe" } else { "absent" }
        )?;
    }
    out.flush()?;
    Ok(all)
}

fn inspect(files: &[PathBuf]) -> Result<bool> {
    let mut out = cli::stdout();
    for path in files {
        let bytes = std::fs::read(path)?;
        let shard = ShardView::parse(bytes.as_slice())
            .map_err(|e| format!("{}: {e}", path.display()))?
            .to_shard();
        let encoded = shard.encode();
        let set: u32 = encoded
            .get(bloom::format::TEMPO_HEADER_LEN..)
            .unwrap_or_default()
            .iter()
            .map(|b| b.count_ones())
            .sum();
        #[allow(clippy::cast_precision_loss)] // display only
        let fill = f64::from(set) / shard.m() as f64;
        writeln!(
            out,
            "{}: m = {} bits, k = {}, {} bytes, {set} bits set ({:.4} full)",
            path.display(),
            shard.m(),
            shard.k(),
            bytes.len(),
            fill
        )?;
    }
    out.flush()?;
    Ok(true)
}
