//! `observability-server`: the Tempo-compatible and the Loki-compatible servers in one
//! process, on their default ports, with storage under one folder: traces and logs together
//! for one machine (or for Grafana with a Tempo and a Loki data source).
//!
//! ```text
//! observability-server [--data.dir ./data] [--tempo.config.file tempo.yaml] [--loki.config.file loki.yaml]
//! ```
//!
//! Without configuration files: Tempo's query API on :3200 with OTLP (4317 gRPC, 4318 HTTP),
//! Jaeger (14268, UDP 6831/6832) and Zipkin (9411) on localhost, traces under
//! `DATA_DIR/tempo`; Loki's API on :3100 (push and queries, authentication off), logs
//! under `DATA_DIR/loki`. A configuration file replaces that server's defaults (its
//! storage paths included). SIGTERM or Ctrl-C stops both: traces are completed into blocks,
//! log chunks flushed; status 0 after a clean shutdown, 2 on any error.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser as _;
use examples::tempo_server::{self, BackendConfig};
use examples::{cli, loki_server, server_config};
use tokio::sync::watch;

const PROGRAM: &str = "observability-server";

/// mimalloc instead of the system allocator, as for the two servers on their own.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The command line.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "observability-server",
    version,
    about = "Grafana Tempo and Grafana Loki compatible servers in one process: traces and logs \
             on their default ports, stored under one folder"
)]
struct Args {
    /// Storage root: traces in DIR/tempo (blocks, wal), logs in DIR/loki (chunks, wal).
    #[arg(long = "data.dir", value_name = "DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// Tempo's YAML configuration for the trace side (see tempo-server --help); its storage
    /// paths replace DATA_DIR/tempo.
    #[arg(long = "tempo.config.file", value_name = "PATH")]
    tempo_config: Option<PathBuf>,
    /// Loki's YAML configuration for the log side (see loki-server --help); its storage
    /// paths replace DATA_DIR/loki.
    #[arg(long = "loki.config.file", value_name = "PATH")]
    loki_config: Option<PathBuf>,
}

fn tempo_config(args: &Args) -> cli::Result<tempo_server::Config> {
    let loaded = tempo_server::config::load(&tempo_server::config::Args {
        config_file: args.tempo_config.clone(),
        ..tempo_server::config::Args::default()
    })?;
    for warning in &loaded.warnings {
        cli::warn(PROGRAM, format!("warning: traces: {warning}"));
    }
    let mut config = loaded.config;
    if args.tempo_config.is_none() {
        let dir = args.data_dir.join("tempo");
        config.backend = BackendConfig::Local(dir.join("blocks"));
        config.wal_dir = dir.join("wal");
    }
    Ok(config)
}

fn loki_config(args: &Args) -> cli::Result<loki_server::Config> {
    let loaded = loki_server::config::load(&loki_server::config::Args {
        config_file: args.loki_config.clone(),
        ..loki_server::config::Args::default()
    })?;
    for warning in &loaded.warnings {
        cli::warn(PROGRAM, format!("warning: logs: {warning}"));
    }
    let mut config = loaded.config;
    if args.loki_config.is_none() {
        config.set_path_prefix(&args.data_dir.join("loki"));
    }
    Ok(config)
}

/// Completes once `stop` turns true.
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

fn show(dir: &Path) -> String {
    dir.display().to_string()
}

async fn run() -> cli::Result<bool> {
    let args = Args::parse_from(server_config::normalise_args(std::env::args_os()));
    let tempo = tempo_config(&args)?;
    let loki = loki_config(&args)?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let traces = tempo_server::run(tempo, stopped(stop_rx.clone())).await?;
    let logs = match loki_server::run(loki.clone(), stopped(stop_rx)).await {
        Ok(logs) => logs,
        Err(e) => {
            let _ = stop_tx.send(true);
            let _ = traces.wait().await;
            return Err(e.into());
        }
    };
    cli::warn(
        PROGRAM,
        format!("traces: listening: {}", traces.addresses()),
    );
    cli::server::report_wal_replay(PROGRAM, traces.store().replay_report(), None);
    cli::warn(
        PROGRAM,
        format!(
            "logs: listening: {} (chunks in {}, WAL in {})",
            logs.addresses(),
            show(&loki.chunks_dir),
            show(&loki.wal_dir)
        ),
    );
    cli::server::report_wal_replay(
        PROGRAM,
        logs.store().replay_report(),
        Some(logs.store().replayed_entries()),
    );
    // Either server ending (the signal, or a listener failing) stops the other.
    let stop = Arc::new(stop_tx);
    let signal = tokio::spawn({
        let stop = Arc::clone(&stop);
        async move {
            cli::server::terminated().await;
            cli::warn(
                PROGRAM,
                "shutting down: completing traces into blocks, flushing log chunks",
            );
            let _ = stop.send(true);
        }
    });
    let (traces_done, logs_done) = tokio::join!(
        async {
            let r = traces.wait().await;
            let _ = stop.send(true);
            r
        },
        async {
            let r = logs.wait().await;
            let _ = stop.send(true);
            r
        }
    );
    signal.abort();
    traces_done.map_err(|e| cli::with_context(e.into(), "traces"))?;
    logs_done.map_err(|e| cli::with_context(e.into(), "logs"))?;
    Ok(true)
}

#[tokio::main]
async fn main() -> ExitCode {
    cli::exit(PROGRAM, run().await)
}
