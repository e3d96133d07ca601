//! `loki-server`: a Grafana Loki compatible log server (Loki's push API, JSON, protobuf and
//! OTLP, in; Loki's query API out), storing logs with `loki-store`.
//!
//! ```text
//! loki-server [-config.file loki.yaml] [--flags]   # --help lists every option
//! ```
//!
//! Runs until SIGTERM or Ctrl-C, then stops taking requests, flushes every chunk in memory
//! and exits: status 0 after a clean shutdown, 2 on any error (printed on stderr).

use std::process::ExitCode;

use clap::Parser as _;
use examples::loki_server::{self, config};
use examples::{cli, server_config};

const PROGRAM: &str = "loki-server";

/// mimalloc instead of the system allocator, as for tempo-server: ingest allocates many
/// small objects (decoded entries and labels).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

async fn run() -> cli::Result<bool> {
    let args = config::Args::parse_from(server_config::normalise_args(std::env::args_os()));
    let loaded = config::load(&args)?;
    for warning in &loaded.warnings {
        cli::warn(PROGRAM, format!("warning: {warning}"));
    }
    let server = loki_server::run(loaded.config, async {
        cli::server::terminated().await;
        cli::warn(PROGRAM, "shutting down: flushing the chunks in memory");
    })
    .await?;
    cli::warn(PROGRAM, format!("listening: {}", server.addresses()));
    cli::server::report_wal_replay(
        PROGRAM,
        server.store().replay_report(),
        Some(server.store().replayed_entries()),
    );
    server.wait().await?;
    Ok(true)
}

#[tokio::main]
async fn main() -> ExitCode {
    cli::exit(PROGRAM, run().await)
}
