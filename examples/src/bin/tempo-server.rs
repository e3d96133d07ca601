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
use examples::tempo_server::{self, config};
use examples::{cli, server_config};

const PROGRAM: &str = "tempo-server";

/// mimalloc instead of the system allocator: ingest decodes millions of small objects, and
/// glibc's malloc took about a quarter of the server's CPU under load (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

async fn run() -> cli::Result<bool> {
    let args = config::Args::parse_from(server_config::normalise_args(std::env::args_os()));
    let loaded = config::load(&args)?;
    for warning in &loaded.warnings {
        cli::warn(PROGRAM, format!("warning: {warning}"));
    }
    let server = tempo_server::run(loaded.config, async {
        cli::server::terminated().await;
        cli::warn(PROGRAM, "shutting down: completing the WAL into blocks");
    })
    .await?;
    cli::warn(PROGRAM, format!("listening: {}", server.addresses()));
    cli::server::report_wal_replay(PROGRAM, server.store().replay_report(), None);
    server.wait().await?;
    Ok(true)
}

#[tokio::main]
async fn main() -> ExitCode {
    cli::exit(PROGRAM, run().await)
}
