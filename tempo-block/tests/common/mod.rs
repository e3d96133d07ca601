//! Shared helpers of the integration tests.
#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tempo_block::{BlockReader, BlockStore, ObjectStoreBackend};

/// `<COMPAT_DIR>/tempo/generated`, or `None` (test skipped) outside CI.
pub(crate) fn tempo_generated(test: &str) -> Option<PathBuf> {
    testkit::compat_dir(test).map(|d| d.join("tempo").join("generated"))
}

#[allow(unused_imports, reason = "each test binary uses a different subset")]
pub(crate) use testkit::{normalise_trace_json as normalise, trace_jsonl as jsonl};

/// Opens the only block of tenant `single-tenant` under a bucket directory, through the
/// local-filesystem backend.
pub(crate) async fn open_local_block(bucket: &Path) -> BlockReader {
    let store = BlockStore::new(Arc::new(ObjectStoreBackend::local(bucket).unwrap()));
    let blocks = store.list_blocks("single-tenant").await.unwrap();
    assert_eq!(blocks.live.len(), 1, "one block in {}", bucket.display());
    BlockReader::open_stored(&store, "single-tenant", blocks.live[0])
        .await
        .unwrap()
}
