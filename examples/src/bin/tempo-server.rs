//! `tempo-server`: a Grafana Tempo compatible trace server (OTLP, Jaeger and Zipkin in,
//! Tempo's query API out), storing traces with `tempo-store`.
//!
//! ```text
//! tempo-server [-config.file tempo.yaml] [--flags]   # --help lists every option
//! ```
//!
//! Runs until SIGTERM or Ctrl-C, then stops the receivers, completes what is in memory into
//! blocks and exits: status 0 after a clean shutdown, 2 on any error (printed on stderr).

use std::process::ExitCode;

use clap::Parser as _;
use examples::cli;
use examples::tempo_server::{self, config};

const PROGRAM: &str = "tempo-server";

/// mimalloc instead of the system allocator: ingest decodes millions of small objects, and
/// glibc's malloc took about a quarter of the server's CPU under load (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Completes on SIGTERM or Ctrl-C.
async fn terminated() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    cli::warn(PROGRAM, "shutting down: completing the WAL into blocks");
}

async fn run() -> cli::Result<bool> {
    let args = config::Args::parse_from(config::normalise_args(std::env::args_os()));
    let loaded = config::load(&args)?;
    for warning in &loaded.warnings {
        cli::warn(PROGRAM, format!("warning: {warning}"));
    }
    let server = tempo_server::run(loaded.config, terminated()).await?;
    cli::warn(PROGRAM, format!("listening: {}", server.addresses()));
    let replay = server.store().replay_report();
    if replay.records > 0 {
        cli::warn(
            PROGRAM,
            format!(
                "WAL replayed: {} records ({} bytes) from {} segments",
                replay.records, replay.bytes, replay.segments
            ),
        );
    }
    if let Some(torn) = &replay.truncated {
        cli::warn(
            PROGRAM,
            format!(
                "warning: WAL {}: torn tail at byte {} truncated ({} bytes of an unacknowledged \
                 write dropped: {})",
                torn.path.display(),
                torn.offset,
                torn.dropped_bytes,
                torn.problem
            ),
        );
    }
    for damage in &replay.corrupt {
        cli::warn(
            PROGRAM,
            format!(
                "warning: WAL {}: damaged at byte {}: {} (the records before it were replayed)",
                damage.path.display(),
                damage.offset,
                damage.problem
            ),
        );
    }
    server.wait().await?;
    Ok(true)
}

#[tokio::main]
async fn main() -> ExitCode {
    cli::exit(PROGRAM, run().await)
}
