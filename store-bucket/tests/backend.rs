#![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported
//! The backends on the local filesystem and in memory: range reads, listings, prefixes, URL
//! forms, refused paths, objects replaced or deleted (by the backend or behind its back),
//! temporary files, and the open-file cache of the local folder.
//!
//! Each test runs on every backend kind it applies to ([`Kind`]): in memory, this crate's
//! local folder, and `object_store`'s `LocalFileSystem`, which the local folder is held to
//! behave like. A failing run prints its kind first.

use std::path::Path;
use std::sync::Arc;

use store_bucket::bytes::Bytes;
use store_bucket::chrono::{Duration, Utc};
use store_bucket::object_store::local::LocalFileSystem;
use store_bucket::object_store::memory::InMemory;
use store_bucket::{Backend, BucketError, ObjectStoreBackend};

/// The backends the tests run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `ObjectStoreBackend::memory()`.
    Memory,
    /// `ObjectStoreBackend::local`: this crate's local folder.
    Local,
    /// `object_store`'s `LocalFileSystem` (with automatic cleanup) through
    /// `ObjectStoreBackend::new`: the behaviour the local folder keeps.
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

#[tokio::test]
async fn paths_that_escape_are_refused() {
    for kind in KINDS {
        let dir = tempfile::tempdir().unwrap();
        let backend = kind.backend(&dir.path().join("bucket"));
        let data = Bytes::from_static(b"x");
        for path in [
            "", ".", "..", "../x", "a/../b", "a//b", "/abs", "a/", "a/./b", "a\\..\\b", "x\0",
        ] {
            let err = backend.put(path, data.clone()).await.unwrap_err();
            assert!(
                matches!(err, BucketError::InvalidName { .. }),
                "{kind:?} {path:?}: {err}"
            );
            assert!(backend.get(path).await.is_err(), "{kind:?} {path:?}");
            assert!(backend.head(path).await.is_err(), "{kind:?} {path:?}");
            assert!(backend.delete(path).await.is_err(), "{kind:?} {path:?}");
            assert!(
                backend.get_range(path, 0..1).await.is_err(),
                "{kind:?} {path:?}"
            );
        }
        for prefix in ["..", "a/../b", "a//b", "/a", "a/"] {
            assert!(backend.list(prefix).await.is_err(), "{kind:?} {prefix:?}");
            assert!(
                backend.list_dirs(prefix).await.is_err(),
                "{kind:?} {prefix:?}"
            );
        }
        // Nothing was written anywhere.
        if kind != Kind::Memory {
            assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        }
        assert!(backend.list("").await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn heads_give_size_and_modification_time() {
    for kind in KINDS {
        let dir = tempfile::tempdir().unwrap();
        let backend = kind.backend(dir.path());
        let before = Utc::now() - Duration::seconds(2);
        backend
            .put("t/x", Bytes::from_static(b"12345"))
            .await
            .unwrap();
        let info = backend.head("t/x").await.unwrap();
        assert_eq!(info.size, 5, "{kind:?}");
        assert!(info.last_modified >= before, "{kind:?}: {info:?}");
        assert!(
            info.last_modified <= Utc::now() + Duration::seconds(2),
            "{kind:?}: {info:?}"
        );
        assert!(backend.head("t/y").await.unwrap_err().is_not_found());
    }
}

#[tokio::test]
async fn range_reads_return_exact_bytes() {
    let content: Vec<u8> = (0..=255u8).collect();
    for kind in KINDS {
        let dir = tempfile::tempdir().unwrap();
        let backend = kind.backend(dir.path());
        backend
            .put("t/obj", Bytes::from(content.clone()))
            .await
            .unwrap();
        assert_eq!(backend.get("t/obj").await.unwrap(), content);
        for range in [0..1u64, 10..20, 0..256, 255..256, 100..228] {
            let got = backend.get_range("t/obj", range.clone()).await.unwrap();
            let want = &content
                [usize::try_from(range.start).unwrap()..usize::try_from(range.end).unwrap()];
            assert_eq!(got, want, "{backend:?} {range:?}");
        }
        assert!(backend.get_range("t/obj", 7..7).await.unwrap().is_empty());
        let past = backend.get_range("t/obj", 250..300).await.unwrap_err();
        assert!(
            matches!(&past, BucketError::OutOfRange { path, range, size: 256 }
                if path == "t/obj" && *range == (250..300)),
            "{kind:?}: {past:?}"
        );
        assert_eq!(
            past.to_string(),
            "byte range 250..300 of \"t/obj\" reaches past the end of the object (256 bytes)"
        );
        assert!(
            backend.get_range("t/obj", 256..257).await.is_err(),
            "{backend:?}"
        );
        #[allow(clippy::reversed_empty_ranges)] // the point of the test
        let backwards = backend.get_range("t/obj", 9..3).await.unwrap_err();
        assert!(
            matches!(backwards, BucketError::InvalidInput(_)),
            "{backwards}"
        );
        assert!(
            backend
                .get_range("t/missing", 0..1)
                .await
                .unwrap_err()
                .is_not_found()
        );
        assert_eq!(backend.head("t/obj").await.unwrap().size, 256);
        assert!(backend.exists("t/obj").await.unwrap());
        assert!(!backend.exists("t/missing").await.unwrap());
        backend.delete("t/obj").await.unwrap();
        backend.delete("t/obj").await.unwrap(); // deleting a missing object succeeds
        assert!(!backend.exists("t/obj").await.unwrap());
    }
}

#[tokio::test]
async fn listings() {
    for kind in KINDS {
        let dir = tempfile::tempdir().unwrap();
        listed(&kind.backend(dir.path())).await;
    }
}

async fn listed(backend: &ObjectStoreBackend) {
    for path in ["a/1/x", "a/1/y", "a/2/z", "a/top", "b/3/w", "root"] {
        backend.put(path, Bytes::from_static(b".")).await.unwrap();
    }
    assert_eq!(backend.list_dirs("").await.unwrap(), ["a", "b"]);
    assert_eq!(backend.list_dirs("a").await.unwrap(), ["1", "2"]);
    assert!(backend.list_dirs("a/1").await.unwrap().is_empty());
    assert_eq!(
        backend.list("a").await.unwrap(),
        ["a/1/x", "a/1/y", "a/2/z", "a/top"]
    );
    assert_eq!(backend.list("a/1").await.unwrap(), ["a/1/x", "a/1/y"]);
    assert!(backend.list("c").await.unwrap().is_empty());
    assert_eq!(backend.list("").await.unwrap().len(), 6);
}

#[tokio::test]
async fn prefix_keeps_paths_relative() {
    let store = Arc::new(InMemory::new());
    let backend = ObjectStoreBackend::new(store.clone(), "root/sub").unwrap();
    backend.put("t/x", Bytes::from_static(b"1")).await.unwrap();
    let inner = ObjectStoreBackend::new(store, "").unwrap();
    assert_eq!(inner.list("").await.unwrap(), ["root/sub/t/x"]);
    assert_eq!(backend.list("").await.unwrap(), ["t/x"]);
    assert_eq!(backend.list_dirs("").await.unwrap(), ["t"]);
    for bad in ["..", "a//b", "/a", "a/"] {
        assert!(ObjectStoreBackend::new(Arc::new(InMemory::new()), bad).is_err());
    }
}

#[tokio::test]
async fn from_url_forms() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain");
    let backend = ObjectStoreBackend::from_url(plain.to_str().unwrap()).unwrap();
    backend.put("t/x", Bytes::from_static(b"1")).await.unwrap();
    assert!(plain.join("t/x").is_file());

    let url = format!("file://{}", dir.path().join("url").display());
    let backend = ObjectStoreBackend::from_url(&url).unwrap();
    backend.put("t/x", Bytes::from_static(b"1")).await.unwrap();
    assert!(dir.path().join("url/t/x").is_file());

    // The path forms give this crate's local folder, not object_store's.
    assert!(
        format!("{backend:?}").contains("LocalBackend"),
        "{backend:?}"
    );

    let memory = ObjectStoreBackend::from_url("memory://").unwrap();
    memory.put("t/x", Bytes::from_static(b"1")).await.unwrap();
    assert_eq!(memory.list("").await.unwrap(), ["t/x"]);

    let err = ObjectStoreBackend::from_url("ftp://host/x").unwrap_err();
    assert!(matches!(err, BucketError::InvalidInput(_)), "{err}");
    let err = ObjectStoreBackend::from_url_with_options("memory://", [("a", "b")]).unwrap_err();
    assert!(matches!(err, BucketError::InvalidInput(_)), "{err}");
    #[cfg(not(feature = "s3"))]
    {
        let err = ObjectStoreBackend::from_url("s3://bucket/prefix").unwrap_err();
        assert!(err.to_string().contains("`s3` cargo feature"), "{err}");
    }
    #[cfg(feature = "s3")]
    {
        let options = [
            ("aws_region", "eu-west-1"),
            ("aws_endpoint", "http://127.0.0.1:9"),
        ];
        ObjectStoreBackend::from_url_with_options("s3://bucket/prefix", options).unwrap();
        let err = ObjectStoreBackend::from_url_with_options("s3://bucket", [("nonsense", "1")])
            .unwrap_err();
        assert!(matches!(err, BucketError::InvalidInput(_)), "{err}");
    }
    #[cfg(not(feature = "gcs"))]
    assert!(
        ObjectStoreBackend::from_url("gs://bucket")
            .unwrap_err()
            .to_string()
            .contains("`gcs` cargo feature")
    );
    #[cfg(not(feature = "azure"))]
    assert!(
        ObjectStoreBackend::from_url("az://container/p")
            .unwrap_err()
            .to_string()
            .contains("`azure` cargo feature")
    );
}

#[tokio::test]
async fn replaced_and_deleted_objects_are_read_fresh() {
    for kind in KINDS {
        let dir = tempfile::tempdir().unwrap();
        let backend = kind.backend(dir.path());
        backend
            .put("t/x", Bytes::from_static(b"first version"))
            .await
            .unwrap();
        // Read by range first, so the local folder keeps the file open.
        assert_eq!(backend.get_range("t/x", 0..5).await.unwrap(), "first");
        backend
            .put("t/x", Bytes::from_static(b"second, longer version"))
            .await
            .unwrap();
        assert_eq!(backend.get_range("t/x", 0..6).await.unwrap(), "second");
        assert_eq!(backend.get_range("t/x", 8..14).await.unwrap(), "longer");
        assert_eq!(backend.head("t/x").await.unwrap().size, 22);
        backend
            .put("t/x", Bytes::from_static(b"3rd"))
            .await
            .unwrap();
        assert_eq!(backend.get_range("t/x", 0..3).await.unwrap(), "3rd");
        assert!(backend.get_range("t/x", 0..5).await.is_err(), "{kind:?}");

        backend.delete("t/x").await.unwrap();
        for err in [
            backend.get_range("t/x", 0..1).await.unwrap_err(),
            backend.get("t/x").await.unwrap_err(),
            backend.head("t/x").await.unwrap_err(),
        ] {
            assert!(err.is_not_found(), "{kind:?}: {err}");
        }
        backend
            .put("t/x", Bytes::from_static(b"back"))
            .await
            .unwrap();
        assert_eq!(backend.get_range("t/x", 1..4).await.unwrap(), "ack");
    }
}

#[tokio::test]
async fn files_changed_behind_the_backends_back_are_read_fresh() {
    for kind in LOCAL_KINDS {
        let dir = tempfile::tempdir().unwrap();
        let backend = kind.backend(dir.path());
        let file = dir.path().join("t/x");
        backend
            .put("t/x", Bytes::from_static(b"written here"))
            .await
            .unwrap();
        assert_eq!(backend.get_range("t/x", 0..7).await.unwrap(), "written");

        // Replaced by another writer the way this crate and Tempo replace files: a rename.
        std::fs::write(dir.path().join("t/x.tmp"), b"renamed over it").unwrap();
        std::fs::rename(dir.path().join("t/x.tmp"), &file).unwrap();
        assert_eq!(backend.get_range("t/x", 0..7).await.unwrap(), "renamed");
        // Rewritten in place, shorter: the new bytes, and the old end is gone.
        std::fs::write(&file, b"in place").unwrap();
        assert_eq!(backend.get_range("t/x", 3..8).await.unwrap(), "place");
        let err = backend.get_range("t/x", 0..15).await.unwrap_err();
        assert!(!err.is_not_found(), "{kind:?}: {err}");
        // Deleted by someone else.
        std::fs::remove_file(&file).unwrap();
        let err = backend.get_range("t/x", 0..1).await.unwrap_err();
        assert!(err.is_not_found(), "{kind:?}: {err}");
    }
}

#[tokio::test]
async fn more_files_than_are_kept_open_read_right() {
    // More files than the local folder keeps open (128), read round-robin so that every
    // read after the first pass finds its file closed again, and some replaced meanwhile.
    let content = |i: usize, version: u8| -> Vec<u8> {
        let mut c = format!("file {i} version {version}:").into_bytes();
        c.extend((0..200u8).map(|b| b ^ version ^ i.to_le_bytes()[0]));
        c
    };
    for kind in LOCAL_KINDS {
        let dir = tempfile::tempdir().unwrap();
        let backend = kind.backend(dir.path());
        let count = 300;
        let mut versions = vec![0u8; count];
        for i in 0..count {
            let path = format!("t/{}/{i}", i % 7);
            backend
                .put(&path, Bytes::from(content(i, 0)))
                .await
                .unwrap();
        }
        for pass in 0..3u8 {
            for (i, version) in versions.iter_mut().enumerate() {
                let path = format!("t/{}/{i}", i % 7);
                let want = content(i, *version);
                let got = backend
                    .get_range(&path, 5..want.len() as u64)
                    .await
                    .unwrap();
                assert_eq!(got, want[5..], "{kind:?}: pass {pass}, {path}");
                if i % 11 == usize::from(pass) {
                    *version = pass + 1;
                    backend
                        .put(&path, Bytes::from(content(i, pass + 1)))
                        .await
                        .unwrap();
                }
            }
        }
        assert_eq!(backend.list("t").await.unwrap().len(), count);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reads_racing_replacements_see_one_whole_object() {
    for kind in LOCAL_KINDS {
        let dir = tempfile::tempdir().unwrap();
        let backend = Arc::new(kind.backend(dir.path()));
        let versions = [Bytes::from(vec![b'a'; 4096]), Bytes::from(vec![b'b'; 8192])];
        backend.put("t/x", versions[0].clone()).await.unwrap();
        let writer = {
            let (backend, versions) = (Arc::clone(&backend), versions.clone());
            tokio::spawn(async move {
                for round in 0..200 {
                    backend
                        .put("t/x", versions[round % 2].clone())
                        .await
                        .unwrap();
                }
            })
        };
        let readers: Vec<_> = (0..3)
            .map(|_| {
                let backend = Arc::clone(&backend);
                tokio::spawn(async move {
                    for _ in 0..300 {
                        let got = backend.get_range("t/x", 100..4096).await.unwrap();
                        assert!(
                            got.iter().all(|&b| b == got[0]) && b"ab".contains(&got[0]),
                            "a mix of two versions"
                        );
                        tokio::task::yield_now().await;
                    }
                })
            })
            .collect();
        writer.await.unwrap();
        for reader in readers {
            reader.await.unwrap();
        }
    }
}

#[tokio::test]
async fn temporary_files_and_folders_are_not_objects() {
    for kind in LOCAL_KINDS {
        let dir = tempfile::tempdir().unwrap();
        let backend = kind.backend(dir.path());
        std::fs::create_dir_all(dir.path().join("t/folder")).unwrap();
        // What an interrupted write leaves behind.
        std::fs::write(dir.path().join("t/x#1"), b"partial").unwrap();
        backend
            .put("t/x", Bytes::from_static(b"whole"))
            .await
            .unwrap();
        assert_eq!(std::fs::read(dir.path().join("t/x#1")).unwrap(), b"partial");
        assert_eq!(backend.list("").await.unwrap(), ["t/x"]);
        assert_eq!(backend.list_dirs("t").await.unwrap(), ["folder"]);
        for name in ["t/x#1", "t/x#12"] {
            assert!(backend.get(name).await.is_err(), "{kind:?} {name}");
            assert!(
                backend.put(name, Bytes::new()).await.is_err(),
                "{kind:?} {name}"
            );
        }
        // A folder is not an object.
        for err in [
            backend.get("t/folder").await.unwrap_err(),
            backend.get_range("t/folder", 0..1).await.unwrap_err(),
            backend.head("t/folder").await.unwrap_err(),
        ] {
            assert!(err.is_not_found(), "{kind:?}: {err}");
        }
        // `x#` and `x#a` are ordinary names.
        for name in ["t/y#", "t/y#a"] {
            backend.put(name, Bytes::from_static(b"1")).await.unwrap();
        }
        assert_eq!(backend.list("t").await.unwrap(), ["t/x", "t/y#", "t/y#a"]);
    }
}
