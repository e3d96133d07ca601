//! What the server binaries share: the shutdown signal and the report of a WAL replay.

use store_wal::ReplayReport;

use super::warn;

/// Completes on SIGTERM or Ctrl-C.
pub async fn terminated() {
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
}

/// Reports on stderr what replaying a store's WAL found: records restored (`entries`, when
/// the store counts them), a torn tail truncated, damage.
pub fn report_wal_replay(program: &str, replay: &ReplayReport, entries: Option<u64>) {
    if replay.records > 0 {
        let entries = entries
            .map(|n| format!("{n} entries in "))
            .unwrap_or_default();
        warn(
            program,
            format!(
                "WAL replayed: {entries}{} records ({} bytes) from {} segments",
                replay.records, replay.bytes, replay.segments
            ),
        );
    }
    if let Some(torn) = &replay.truncated {
        warn(
            program,
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
        warn(
            program,
            format!(
                "warning: WAL {}: damaged at byte {}: {} (the records before it were replayed)",
                damage.path.display(),
                damage.offset,
                damage.problem
            ),
        );
    }
}
