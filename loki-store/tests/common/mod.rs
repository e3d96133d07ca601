//! Helpers shared by the integration tests: a store on a temporary folder with a manual
//! clock, and short ways to build pushes and read selections.
#![allow(clippy::unwrap_used, dead_code, unreachable_pub)]

use std::path::Path;
use std::sync::Arc;

use loki_store::{
    Backend, Direction, LogEntry, ManualClock, Matcher, ObjectStoreBackend, PushEntry, PushStream,
    Store, StoreConfig,
};

/// 2024-03-10T12:00:00Z.
pub const T0: i64 = 1_710_072_000_000_000_000;
pub const SEC: i64 = 1_000_000_000;
pub const MIN: i64 = 60 * SEC;

pub struct Env {
    pub dir: tempfile::TempDir,
    pub clock: ManualClock,
}

impl Env {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            clock: ManualClock::at_ns(T0),
        }
    }

    pub fn chunks_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("chunks")
    }

    pub fn backend(&self) -> Arc<dyn Backend> {
        std::fs::create_dir_all(self.chunks_dir()).unwrap();
        Arc::new(ObjectStoreBackend::local(self.chunks_dir()).unwrap())
    }

    pub fn config(&self) -> StoreConfig {
        StoreConfig::new(self.dir.path().join("wal"))
    }

    pub async fn open(&self) -> Store {
        self.open_with(self.config()).await
    }

    pub async fn open_with(&self, config: StoreConfig) -> Store {
        Store::open_with_clock(config, self.backend(), Arc::new(self.clock.clone()))
            .await
            .unwrap()
    }

    /// Every chunk object file under the chunks folder (index files left out).
    pub fn chunk_files(&self) -> Vec<std::path::PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(dir).into_iter().flatten() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    if !p.ends_with("index") {
                        walk(&p, out);
                    }
                } else {
                    out.push(p);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.chunks_dir(), &mut out);
        out.sort();
        out
    }
}

pub fn stream(labels: &str, entries: &[(i64, &str)]) -> PushStream {
    PushStream::new(
        labels,
        entries
            .iter()
            .map(|(ts, line)| PushEntry::new(*ts, line.to_string()))
            .collect(),
    )
}

pub fn lines(entries: &[LogEntry]) -> Vec<String> {
    entries
        .iter()
        .map(|e| String::from_utf8(e.line.clone()).unwrap())
        .collect()
}

pub async fn select_all(store: &Store, tenant: &str, m: &[Matcher], dir: Direction) -> Vec<String> {
    let s = store
        .select(
            tenant,
            m,
            T0 - 24 * 60 * MIN,
            T0 + 24 * 60 * MIN,
            dir,
            0,
            None,
        )
        .await
        .unwrap();
    lines(&s.entries)
}

pub fn app(name: &str) -> Vec<Matcher> {
    vec![Matcher::equal("app", name)]
}
