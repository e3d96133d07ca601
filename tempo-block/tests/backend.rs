#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported
//! Tempo's bucket layout on the backends of `store-bucket` (whose own tests cover the
//! storage itself: range reads, listings, refused paths, replaced files): block states,
//! tenant indexes, refused tenant IDs and object names, metas checked against their folder,
//! and Tempo's own bucket read in place.
//!
//! Each test runs on every backend kind it applies to ([`Kind`]): in memory, the local
//! folder, and `object_store`'s `LocalFileSystem`. A failing run prints its kind first.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use tempo_block::BlockError;
use tempo_block::backend::{
    Backend, BlockIds, BlockStore, DATA_NAME, META_NAME, ObjectStoreBackend, bloom_name,
};
use tempo_block::meta::{BlockMeta, DedicatedColumn, Version};
use tempo_block::object_store::local::LocalFileSystem;
use tempo_block::tenant_index::{TENANT_INDEX_JSON, TENANT_INDEX_PB, TenantIndex};
use uuid::Uuid;

/// The backends the tests run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `ObjectStoreBackend::memory()`.
    Memory,
    /// `ObjectStoreBackend::local`: store-bucket's local folder.
    Local,
    /// `object_store`'s `LocalFileSystem` (with automatic cleanup) through
    /// `ObjectStoreBackend::new`: what `local` used to be, and the behaviour it keeps.
    ObjectStoreLocal,
}

const KINDS: [Kind; 3] = [Kind::Memory, Kind::Local, Kind::ObjectStoreLocal];
const LOCAL_KINDS: [Kind; 2] = [Kind::Local, Kind::ObjectStoreLocal];

impl Kind {
    /// A backend of this kind; a local one on folder `root`, created when missing.
    fn backend(self, root: &Path) -> ObjectStoreBackend {
        eprintln!("backend: {self:?}");
        match self {
            Kind::Memory => ObjectStoreBackend::memory(),
            Kind::Local => ObjectStoreBackend::local(root).unwrap(),
            Kind::ObjectStoreLocal => {
                std::fs::create_dir_all(root).unwrap();
                let fs = LocalFileSystem::new_with_prefix(root)
                    .unwrap()
                    .with_automatic_cleanup(true);
                ObjectStoreBackend::new(Arc::new(fs), "").unwrap()
            }
        }
    }
}

fn sample_meta(tenant: &str, id: Uuid) -> BlockMeta {
    let mut meta = BlockMeta::new(Version::VParquet5, tenant, id);
    meta.start_time = DateTime::from_timestamp(1_736_946_000, 0).unwrap();
    meta.end_time = DateTime::from_timestamp(1_736_947_002, 0).unwrap();
    meta.total_objects = 3;
    meta.size = 5;
    meta.total_records = 1;
    meta.bloom_shards = 1;
    meta.replication_factor = 1;
    meta.dedicated_columns = DedicatedColumn::default_list();
    meta
}

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap()
}

#[tokio::test]
async fn local_folder_round_trip() {
    for kind in LOCAL_KINDS {
        round_trip(kind).await;
    }
}

async fn round_trip(kind: Kind) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("bucket");
    let store = BlockStore::new(Arc::new(kind.backend(&root)));
    assert!(root.is_dir(), "the folder is created");
    assert!(store.list_tenants().await.unwrap().is_empty());
    assert_eq!(
        store.list_blocks("tenant-1").await.unwrap(),
        BlockIds::default()
    );

    let a = Uuid::from_u128(0xa);
    let b = Uuid::from_u128(0xb);
    for id in [a, b] {
        store
            .write_object("tenant-1", id, DATA_NAME, Bytes::from_static(b"PAR1x"))
            .await
            .unwrap();
        store
            .write_object("tenant-1", id, &bloom_name(0), Bytes::from_static(b"bloom"))
            .await
            .unwrap();
        store
            .write_meta(&sample_meta("tenant-1", id))
            .await
            .unwrap();
    }
    // A folder that is not a tenant ID, and one that is not a block, are left out.
    std::fs::create_dir_all(root.join("not a tenant")).unwrap();
    std::fs::create_dir_all(root.join("tenant-1/not-a-block")).unwrap();
    std::fs::write(root.join("tenant-1/not-a-block/meta.json"), b"{}").unwrap();

    // Tempo's layout on disk, with Tempo's exact meta.json.
    let meta_file = root.join(format!("tenant-1/{a}/meta.json"));
    assert_eq!(
        std::fs::read(&meta_file).unwrap(),
        sample_meta("tenant-1", a).to_json().unwrap()
    );
    assert!(root.join(format!("tenant-1/{a}/data.parquet")).is_file());

    assert_eq!(store.list_tenants().await.unwrap(), ["tenant-1"]);
    let listed = store.list_blocks("tenant-1").await.unwrap();
    assert_eq!(listed.live, [a, b]);
    assert!(listed.compacted.is_empty());
    assert_eq!(
        store.read_meta("tenant-1", a).await.unwrap(),
        sample_meta("tenant-1", a)
    );
    assert_eq!(
        store.object_size("tenant-1", a, DATA_NAME).await.unwrap(),
        5
    );
    assert_eq!(
        store
            .read_object_range("tenant-1", a, DATA_NAME, 1..4)
            .await
            .unwrap(),
        "AR1"
    );

    // Compaction: meta.compacted.json replaces meta.json.
    store
        .mark_compacted("tenant-1", a, at(1_800_000_000))
        .await
        .unwrap();
    assert!(!meta_file.exists());
    let listed = store.list_blocks("tenant-1").await.unwrap();
    assert_eq!(listed.live, [b]);
    assert_eq!(listed.compacted, [a]);
    let compacted = store.read_compacted_meta("tenant-1", a).await.unwrap();
    assert_eq!(compacted.meta, sample_meta("tenant-1", a));
    assert_eq!(compacted.compacted_time, at(1_800_000_000));
    assert!(
        store
            .read_meta("tenant-1", a)
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert!(
        store
            .mark_compacted("tenant-1", a, at(0))
            .await
            .unwrap_err()
            .is_not_found()
    );

    // Deleting a block removes its objects and its folder.
    store.delete_block("tenant-1", a).await.unwrap();
    assert!(!root.join(format!("tenant-1/{a}")).exists());
    let listed = store.list_blocks("tenant-1").await.unwrap();
    assert_eq!(listed.live, [b]);
    assert!(listed.compacted.is_empty());
}

#[tokio::test]
async fn local_tenant_index() {
    for kind in LOCAL_KINDS {
        tenant_index_files(kind).await;
    }
}

async fn tenant_index_files(kind: Kind) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let store = BlockStore::new(Arc::new(kind.backend(root)));
    let (a, b) = (Uuid::from_u128(0xa), Uuid::from_u128(0xb));
    store.write_meta(&sample_meta("tenant-1", a)).await.unwrap();
    store.write_meta(&sample_meta("tenant-1", b)).await.unwrap();
    store
        .mark_compacted("tenant-1", a, at(1_800_000_000))
        .await
        .unwrap();
    let compacted = store.read_compacted_meta("tenant-1", a).await.unwrap();

    // Both files are written and read back (protobuf first, JSON when it is missing).
    let index = TenantIndex {
        created_at: at(1_800_000_100),
        metas: vec![store.read_meta("tenant-1", b).await.unwrap()],
        compacted: vec![compacted],
    };
    store.write_tenant_index("tenant-1", &index).await.unwrap();
    assert!(root.join("tenant-1").join(TENANT_INDEX_PB).is_file());
    assert!(root.join("tenant-1").join(TENANT_INDEX_JSON).is_file());
    assert_eq!(store.read_tenant_index("tenant-1").await.unwrap(), index);
    std::fs::remove_file(root.join("tenant-1").join(TENANT_INDEX_PB)).unwrap();
    assert_eq!(store.read_tenant_index("tenant-1").await.unwrap(), index);
    // An index without blocks removes both files.
    let empty = TenantIndex::new(Vec::new(), Vec::new());
    store.write_tenant_index("tenant-1", &empty).await.unwrap();
    assert!(!root.join("tenant-1").join(TENANT_INDEX_JSON).exists());
    assert!(
        store
            .read_tenant_index("tenant-1")
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test]
async fn tenant_index_rebuilt_from_a_listing() {
    for kind in KINDS {
        rebuilt_tenant_index(kind).await;
    }
}

async fn rebuilt_tenant_index(kind: Kind) {
    let dir = tempfile::tempdir().unwrap();
    let store = BlockStore::new(Arc::new(kind.backend(dir.path())));
    let (a, b, c) = (
        Uuid::from_u128(0xa),
        Uuid::from_u128(0xb),
        Uuid::from_u128(0xc),
    );
    for id in [c, a, b] {
        store
            .write_meta(&sample_meta("tenant-1", id))
            .await
            .unwrap();
    }
    store.write_meta(&sample_meta("tenant-2", a)).await.unwrap();
    store
        .mark_compacted("tenant-1", b, at(1_800_000_000))
        .await
        .unwrap();
    let built = store.rebuild_tenant_index("tenant-1").await.unwrap();
    let ids: Vec<Uuid> = built.metas.iter().map(|m| m.block_id).collect();
    assert_eq!(ids, [a, c], "live blocks of this tenant only, sorted");
    assert_eq!(built.compacted.len(), 1);
    assert_eq!(built.compacted[0].meta.block_id, b);
    assert_eq!(built.compacted[0].compacted_time, at(1_800_000_000));
    // What was written is what readers of the index get.
    assert_eq!(store.read_tenant_index("tenant-1").await.unwrap(), built);
    assert!(matches!(
        store.rebuild_tenant_index("../x").await,
        Err(BlockError::InvalidName { .. })
    ));
}

#[tokio::test]
async fn names_that_escape_are_refused() {
    for kind in LOCAL_KINDS {
        escaping_names(kind).await;
    }
}

async fn escaping_names(kind: Kind) {
    let dir = tempfile::tempdir().unwrap();
    let backend = Arc::new(kind.backend(&dir.path().join("bucket")));
    let store = BlockStore::new(backend.clone());
    let id = Uuid::from_u128(1);
    let data = Bytes::from_static(b"x");

    for tenant in ["", ".", "..", "../x", "a/b", "a\\b", "a b"] {
        let err = store
            .write_object(tenant, id, DATA_NAME, data.clone())
            .await
            .unwrap_err();
        assert!(
            matches!(err, BlockError::InvalidName { .. }),
            "{tenant:?}: {err}"
        );
        assert!(store.list_blocks(tenant).await.is_err(), "{tenant:?}");
        assert!(store.read_tenant_index(tenant).await.is_err(), "{tenant:?}");
    }
    for name in ["", ".", "..", "../x", "a/b", "../../etc/passwd", "x\0"] {
        let err = store
            .write_object("t", id, name, data.clone())
            .await
            .unwrap_err();
        assert!(
            matches!(err, BlockError::InvalidName { .. }),
            "{name:?}: {err}"
        );
        assert!(store.read_object("t", id, name).await.is_err(), "{name:?}");
    }
    // Nothing was written anywhere.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    assert!(backend.list("").await.unwrap().is_empty());
}

#[tokio::test]
async fn metas_are_checked_against_their_folder() {
    for kind in KINDS {
        let dir = tempfile::tempdir().unwrap();
        metas_checked(Arc::new(kind.backend(dir.path()))).await;
    }
}

async fn metas_checked(backend: Arc<ObjectStoreBackend>) {
    let store = BlockStore::new(backend.clone());
    let id = Uuid::from_u128(5);
    let other = sample_meta("t", Uuid::from_u128(6)).to_json().unwrap();
    backend
        .put(&format!("t/{id}/{META_NAME}"), Bytes::from(other))
        .await
        .unwrap();
    let err = store.read_meta("t", id).await.unwrap_err();
    assert!(matches!(err, BlockError::Corrupt { .. }), "{err}");
    let wrong_tenant = sample_meta("u", id).to_json().unwrap();
    backend
        .put(&format!("t/{id}/{META_NAME}"), Bytes::from(wrong_tenant))
        .await
        .unwrap();
    assert!(store.read_meta("t", id).await.is_err());

    backend
        .put(
            &format!("t/{id}/{META_NAME}"),
            Bytes::from_static(b"{\"format\":"),
        )
        .await
        .unwrap();
    match store.read_meta("t", id).await.unwrap_err() {
        BlockError::Json { what, .. } => assert_eq!(what, format!("t/{id}/meta.json")),
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn compacted_meta_without_time_uses_modification_time() {
    for kind in KINDS {
        let dir = tempfile::tempdir().unwrap();
        compacted_time_from_modification(Arc::new(kind.backend(dir.path()))).await;
    }
}

async fn compacted_time_from_modification(backend: Arc<ObjectStoreBackend>) {
    let store = BlockStore::new(backend.clone());
    let id = Uuid::from_u128(9);
    // As Tempo's S3 backend leaves it: a copy of meta.json.
    let copy = sample_meta("t", id).to_json().unwrap();
    let path = format!("t/{id}/meta.compacted.json");
    let before = Utc::now();
    backend.put(&path, Bytes::from(copy)).await.unwrap();
    let compacted = store.read_compacted_meta("t", id).await.unwrap();
    assert_eq!(
        compacted.compacted_time,
        backend.head(&path).await.unwrap().last_modified
    );
    assert!(compacted.compacted_time >= before - chrono::Duration::seconds(1));
}

#[tokio::test]
async fn bad_protobuf_index_is_an_error_not_a_fallback() {
    for kind in KINDS {
        let dir = tempfile::tempdir().unwrap();
        bad_protobuf_index(Arc::new(kind.backend(dir.path()))).await;
    }
}

async fn bad_protobuf_index(backend: Arc<ObjectStoreBackend>) {
    let store = BlockStore::new(backend.clone());
    let index = TenantIndex {
        created_at: at(1),
        metas: vec![sample_meta("t", Uuid::from_u128(1))],
        compacted: Vec::new(),
    };
    store.write_tenant_index("t", &index).await.unwrap();
    backend
        .put("t/index.pb.zst", Bytes::from_static(b"not zstd"))
        .await
        .unwrap();
    match store.read_tenant_index("t").await.unwrap_err() {
        BlockError::Compression { what, .. } => assert_eq!(what, "t/index.pb.zst"),
        other => panic!("{other}"),
    }
    // A limit below the index's size is refused.
    let small = BlockStore::new(backend.clone()).with_index_size_limit(10);
    backend.delete("t/index.pb.zst").await.unwrap();
    assert!(matches!(
        small.read_tenant_index("t").await.unwrap_err(),
        BlockError::Compression { .. }
    ));
    assert_eq!(store.read_tenant_index("t").await.unwrap(), index);
}

fn tempo_bucket(test: &str) -> Option<PathBuf> {
    testkit::compat_dir(test).map(|d| d.join("tempo/generated/vParquet5/blocks"))
}

#[tokio::test]
async fn reads_tempo_bucket_in_place() {
    let Some(bucket) = tempo_bucket("reads_tempo_bucket_in_place") else {
        return;
    };
    for kind in LOCAL_KINDS {
        tempo_bucket_in_place(kind, &bucket).await;
    }
}

async fn tempo_bucket_in_place(kind: Kind, bucket: &Path) {
    let store = BlockStore::new(Arc::new(kind.backend(bucket)));
    assert_eq!(store.list_tenants().await.unwrap(), ["single-tenant"]);
    let id: Uuid = "00000000-0000-43e8-be3b-0000cafe0000".parse().unwrap();
    let listed = store.list_blocks("single-tenant").await.unwrap();
    assert_eq!(listed.live, [id]);
    assert!(listed.compacted.is_empty());

    let meta = store.read_meta("single-tenant", id).await.unwrap();
    assert_eq!(meta.version().unwrap(), Version::VParquet5);
    assert_eq!(meta.total_objects, 1000);
    let index = store.read_tenant_index("single-tenant").await.unwrap();
    assert_eq!(index.metas, std::slice::from_ref(&meta));

    // data.parquet ends with the footer length (meta.footerSize) and "PAR1".
    let size = store
        .object_size("single-tenant", id, DATA_NAME)
        .await
        .unwrap();
    assert_eq!(size, meta.size);
    let tail = store
        .read_object_range("single-tenant", id, DATA_NAME, size - 8..size)
        .await
        .unwrap();
    assert_eq!(&tail[4..], b"PAR1");
    assert_eq!(
        u32::from_le_bytes(tail[..4].try_into().unwrap()),
        meta.footer_size
    );
    let on_disk = std::fs::read(bucket.join(format!("single-tenant/{id}/data.parquet"))).unwrap();
    let middle = store
        .read_object_range("single-tenant", id, DATA_NAME, 1000..5000)
        .await
        .unwrap();
    assert_eq!(middle, on_disk[1000..5000]);
    // The default bloom shard: 24-byte header and 102,400 bytes of bits.
    let bloom = store
        .read_object("single-tenant", id, &bloom_name(0))
        .await
        .unwrap();
    assert_eq!(bloom.len(), 102_424);
    assert_eq!(meta.bloom_shard_count(), 1);
}

#[tokio::test]
async fn a_data_file_of_another_size_than_the_meta_says_is_named_as_such() {
    use otlp_model::proto::trace::{ResourceSpans, ScopeSpans, Span};
    use tempo_block::{BlockBuilder, BlockConfig, BlockReader};

    let store = BlockStore::new(Arc::new(ObjectStoreBackend::memory()));
    let span = Span {
        trace_id: vec![7; 16],
        span_id: vec![1; 8],
        name: "op".into(),
        start_time_unix_nano: 1_736_946_000_000_000_000,
        end_time_unix_nano: 1_736_946_001_000_000_000,
        ..Span::default()
    };
    let mut builder = BlockBuilder::new(BlockConfig::default());
    builder
        .push(ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans: vec![span],
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        })
        .unwrap();
    let block = Uuid::from_u128(0x5123);
    let written = builder.finish("t", block).unwrap();
    written.upload(&store).await.unwrap();
    BlockReader::open_stored(&store, "t", block).await.unwrap();

    // Cut short (an interrupted copy). A longer file is still read: its first `size` bytes
    // are the block, as for Tempo, which also reads by meta.json's size.
    let size = written.data.len() as u64;
    for cut in [
        written.data.slice(..written.data.len() / 2),
        written.data.slice(..written.data.len() - 1),
    ] {
        let found = cut.len() as u64;
        store
            .write_object("t", block, DATA_NAME, cut)
            .await
            .unwrap();
        let err = BlockReader::open_stored(&store, "t", block)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                BlockError::SizeMismatch { block: b, object: DATA_NAME, expected, found: f }
                    if b == block && expected == size && f == found
            ),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!("data.parquet of block {block} is {found} bytes, meta.json says {size}")
        );
    }
    let mut longer = written.data.to_vec();
    longer.extend_from_slice(b"appended");
    store
        .write_object("t", block, DATA_NAME, Bytes::from(longer))
        .await
        .unwrap();
    BlockReader::open_stored(&store, "t", block).await.unwrap();
}

#[tokio::test]
async fn storage_errors_keep_their_meaning_as_block_errors() {
    use tempo_block::BucketError;

    let backend = Arc::new(ObjectStoreBackend::memory());
    let store = BlockStore::new(backend.clone());
    let id = Uuid::from_u128(3);
    store
        .write_object("t", id, DATA_NAME, Bytes::from_static(b"0123"))
        .await
        .unwrap();
    // Variants both types have keep their variant.
    let missing = store.read_object("t", id, META_NAME).await.unwrap_err();
    assert!(
        matches!(&missing, BlockError::NotFound { path } if *path == format!("t/{id}/meta.json")),
        "{missing:?}"
    );
    let refused = BlockError::from(backend.put("../x", Bytes::new()).await.unwrap_err());
    assert!(
        matches!(
            refused,
            BlockError::InvalidName {
                kind: "object path",
                ..
            }
        ),
        "{refused:?}"
    );
    let scheme = BlockError::from(ObjectStoreBackend::from_url("ftp://host/x").unwrap_err());
    assert!(matches!(scheme, BlockError::InvalidInput(_)), "{scheme:?}");
    // The rest is wrapped whole.
    let past = store
        .read_object_range("t", id, DATA_NAME, 2..9)
        .await
        .unwrap_err();
    assert!(
        matches!(
            &past,
            BlockError::Bucket(BucketError::OutOfRange { size: 4, .. })
        ),
        "{past:?}"
    );
    assert!(!past.is_not_found());
    let wrapped = BlockError::Bucket(BucketError::NotFound { path: "x".into() });
    assert!(wrapped.is_not_found());
}
