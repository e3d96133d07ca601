//! [`ObjectStoreBackend`]: the [`Backend`] for every kind of storage. Object stores (memory,
//! and S3, GCS and Azure behind the `s3`, `gcs` and `azure` cargo features, or any
//! [`ObjectStore`]) go through `object_store`; a local folder goes through
//! [`LocalBackend`](crate::local_backend::LocalBackend), which reads ranges inline with
//! positional reads on kept-open files.
//!
//! One public type for both: [`ObjectStoreBackend::local`] and
//! [`ObjectStoreBackend::from_url`] return an `ObjectStoreBackend`, and code that holds one
//! (or an `Arc<dyn Backend>`) does not change with the storage.

use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::TryStreamExt as _;
use object_store::path::{Path, PathPart};
use object_store::{ObjectStore, ObjectStoreExt as _, PutPayload};

use crate::local_backend::LocalBackend;
use crate::{Backend, BucketError, ObjectInfo, Result, check_path};

/// A [`Backend`] over an [`ObjectStore`] with every path placed below a fixed prefix, or over
/// a local folder.
///
/// ```
/// use store_bucket::bytes::Bytes;
/// use store_bucket::{Backend, ObjectStoreBackend};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let backend = ObjectStoreBackend::memory();
/// backend.put("t/x", Bytes::from_static(b"hello")).await?;
/// assert_eq!(backend.get_range("t/x", 1..4).await?, "ell");
/// assert!(backend.get("../x").await.is_err());
/// # Ok::<(), store_bucket::BucketError>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct ObjectStoreBackend {
    inner: Inner,
}

/// What an [`ObjectStoreBackend`] stores in.
#[derive(Debug, Clone)]
enum Inner {
    /// An `object_store` store.
    Store(StoreBackend),
    /// A local folder, read and written by this crate's file code.
    Local(LocalBackend),
}

/// [`Backend`] over an [`ObjectStore`], below `prefix`.
#[derive(Debug, Clone)]
struct StoreBackend {
    store: Arc<dyn ObjectStore>,
    prefix: Path,
}

impl ObjectStoreBackend {
    /// A backend storing below `prefix` (`""` for the store's root) in `store`.
    ///
    /// Every call goes through `store`, also for `object_store`'s own local filesystem
    /// (which runs its file IO on Tokio's blocking pool inside a runtime); for a local
    /// folder, [`local`](Self::local) is the faster way to the same files.
    ///
    /// # Errors
    ///
    /// [`BucketError::InvalidName`] when `prefix` has an empty, `.`, `..`, backslash or
    /// control-character segment.
    pub fn new(store: Arc<dyn ObjectStore>, prefix: &str) -> Result<Self> {
        let prefix = parse_path(prefix, "backend prefix", true)?;
        Ok(Self {
            inner: Inner::Store(StoreBackend { store, prefix }),
        })
    }

    /// A backend in folder `dir` of the local filesystem, created when missing (as Tempo's
    /// local backend does). Deleting the last object of a folder removes the folder.
    ///
    /// The files are those `object_store`'s `LocalFileSystem` would write (the same paths,
    /// atomic replacement through a `<name>#<n>` temporary file and a rename, no fsync), but
    /// the IO is this crate's own and runs inline in the `async` calls, on the caller's
    /// thread and without a runtime: a byte range is one positional read (`pread`) on a file
    /// kept open in a small cache (up to 128 files, least recently used closed first), after
    /// an `fstat` that gives its size and tells whether it is still linked — so objects
    /// deleted, replaced by a rename (as this crate and `object_store` write) or rewritten in
    /// place (as Tempo's local backend writes), by this process or another, are read fresh or
    /// reported missing. Whole-object reads open the file each time. From the page cache a read takes microseconds, less than handing it to
    /// another thread would; a read that has to go to a slow disk or a network filesystem
    /// blocks the calling thread for as long.
    ///
    /// # Errors
    ///
    /// [`BucketError::Io`] when the folder cannot be created or resolved.
    pub fn local(dir: impl AsRef<std::path::Path>) -> Result<Self> {
        Ok(Self {
            inner: Inner::Local(LocalBackend::new(dir.as_ref())?),
        })
    }

    /// An empty in-memory backend (for tests and examples).
    pub fn memory() -> Self {
        Self {
            inner: Inner::Store(StoreBackend {
                store: Arc::new(object_store::memory::InMemory::new()),
                prefix: Path::default(),
            }),
        }
    }

    /// A backend from a URL or a plain path:
    ///
    /// | form | store |
    /// | --- | --- |
    /// | `/data/bucket`, `data`, `file:///data/bucket` | [`local`](Self::local) folder (taken literally, no percent-decoding) |
    /// | `memory://` | [`memory`](Self::memory) |
    /// | `s3://bucket/prefix`, `s3a://…` | Amazon S3 and compatible stores (feature `s3`) |
    /// | `gs://bucket/prefix` | Google Cloud Storage (feature `gcs`) |
    /// | `az://container/prefix`, `azure://`, `abfs://`, `abfss://`, `adl://` | Azure Blob Storage (feature `azure`) |
    ///
    /// Cloud stores take their credentials and settings from the usual environment
    /// variables (`AWS_*`, `GOOGLE_*`, `AZURE_*`); see [`from_url_with_options`](Self::from_url_with_options)
    /// to pass them explicitly. The URL's path becomes the backend's prefix.
    ///
    /// # Errors
    ///
    /// [`BucketError::InvalidInput`] for an unknown scheme or one whose cargo feature is not
    /// enabled (the message names the feature); the errors of [`local`](Self::local) and of
    /// the store's builder.
    pub fn from_url(url: &str) -> Result<Self> {
        Self::from_url_with_options(url, std::iter::empty::<(&str, &str)>())
    }

    /// [`from_url`](Self::from_url) with store settings given as key/value pairs (keys as
    /// `object_store`'s config keys, e.g. `aws_endpoint`, `aws_allow_http`); they override
    /// the environment. Local and memory backends take no options.
    ///
    /// # Errors
    ///
    /// As [`from_url`](Self::from_url), and [`BucketError::InvalidInput`] for an unknown key.
    pub fn from_url_with_options<I, K, V>(url: &str, options: I) -> Result<Self>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        let options: Vec<(String, String)> = options
            .into_iter()
            .map(|(k, v)| (k.as_ref().to_owned(), v.into()))
            .collect();
        let Some((scheme, rest)) = url.split_once("://") else {
            return Self::local(url);
        };
        let no_options = |kind: &str| {
            if options.is_empty() {
                Ok(())
            } else {
                Err(BucketError::InvalidInput(format!(
                    "{url}: the {kind} backend takes no options"
                )))
            }
        };
        match scheme {
            "file" => {
                no_options("local")?;
                Self::local(rest)
            }
            "memory" => {
                no_options("memory")?;
                let mut memory = StoreBackend {
                    store: Arc::new(object_store::memory::InMemory::new()),
                    prefix: Path::default(),
                };
                memory.add_prefix(rest)?;
                Ok(Self {
                    inner: Inner::Store(memory),
                })
            }
            "s3" | "s3a" => Self::new(cloud::s3(url, options)?, url_prefix(rest)),
            "gs" => Self::new(cloud::gcs(url, options)?, url_prefix(rest)),
            "az" | "azure" | "abfs" | "abfss" | "adl" => {
                Self::new(cloud::azure(url, options)?, url_prefix(rest))
            }
            other => Err(BucketError::InvalidInput(format!(
                "{url}: unknown storage scheme {other:?} (file, memory, s3, gs, az)"
            ))),
        }
    }

    /// The backend that serves the calls.
    fn backend(&self) -> &dyn Backend {
        match &self.inner {
            Inner::Store(store) => store,
            Inner::Local(local) => local,
        }
    }
}

impl StoreBackend {
    /// Adds `prefix` below the current prefix.
    fn add_prefix(&mut self, prefix: &str) -> Result<()> {
        let extra = parse_path(prefix, "backend prefix", true)?;
        self.prefix = self.prefix.parts().chain(extra.parts()).collect();
        Ok(())
    }

    /// The store location of `path`; `allow_root` admits `""` (for listings).
    fn location(&self, path: &str, allow_root: bool) -> Result<Path> {
        let relative = parse_path(path, "object path", allow_root)?;
        Ok(self.prefix.parts().chain(relative.parts()).collect())
    }

    /// `location` relative to this backend's prefix, as a `/`-joined path.
    fn relative(&self, location: &Path) -> Option<String> {
        let parts: Vec<PathPart<'_>> = location.prefix_match(&self.prefix)?.collect();
        let names: Vec<&str> = parts.iter().map(AsRef::as_ref).collect();
        Some(names.join("/"))
    }
}

#[async_trait]
impl Backend for ObjectStoreBackend {
    async fn get(&self, path: &str) -> Result<Bytes> {
        self.backend().get(path).await
    }

    async fn get_range(&self, path: &str, range: Range<u64>) -> Result<Bytes> {
        self.backend().get_range(path, range).await
    }

    async fn head(&self, path: &str) -> Result<ObjectInfo> {
        self.backend().head(path).await
    }

    async fn put(&self, path: &str, data: Bytes) -> Result<()> {
        self.backend().put(path, data).await
    }

    async fn delete(&self, path: &str) -> Result<()> {
        self.backend().delete(path).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>> {
        self.backend().list(prefix).await
    }

    async fn list_dirs(&self, prefix: &str) -> Result<Vec<String>> {
        self.backend().list_dirs(prefix).await
    }

    async fn exists(&self, path: &str) -> Result<bool> {
        self.backend().exists(path).await
    }
}

/// The part of a cloud URL's `bucket/prefix` after the bucket.
fn url_prefix(rest: &str) -> &str {
    rest.split_once('/').map_or("", |(_, prefix)| prefix)
}

/// Checks a `/`-separated path and turns it into a store path.
fn parse_path(path: &str, kind: &'static str, allow_root: bool) -> Result<Path> {
    check_path(path, kind, allow_root)?;
    Path::parse(path).map_err(|_| BucketError::InvalidName {
        kind,
        value: path.to_owned(),
        reason: "not a valid object-store path",
    })
}

#[async_trait]
impl Backend for StoreBackend {
    async fn get(&self, path: &str) -> Result<Bytes> {
        let location = self.location(path, false)?;
        let result = self
            .store
            .get(&location)
            .await
            .map_err(|e| BucketError::object_store("get", path, e))?;
        result
            .bytes()
            .await
            .map_err(|e| BucketError::object_store("get", path, e))
    }

    async fn get_range(&self, path: &str, range: Range<u64>) -> Result<Bytes> {
        let location = self.location(path, false)?;
        if range.start > range.end {
            return Err(BucketError::InvalidInput(format!(
                "{path}: byte range {}..{} ends before it starts",
                range.start, range.end
            )));
        }
        if range.is_empty() {
            return Ok(Bytes::new());
        }
        let wanted = range.end - range.start;
        let bytes = self
            .store
            .get_range(&location, range.clone())
            .await
            .map_err(|e| BucketError::object_store("get range", path, e))?;
        if bytes.len() as u64 != wanted {
            // The store cuts a range that starts inside the object at its end.
            return Err(BucketError::OutOfRange {
                path: path.to_owned(),
                size: range.start + bytes.len() as u64,
                range,
            });
        }
        Ok(bytes)
    }

    async fn head(&self, path: &str) -> Result<ObjectInfo> {
        let location = self.location(path, false)?;
        let meta = self
            .store
            .head(&location)
            .await
            .map_err(|e| BucketError::object_store("head", path, e))?;
        Ok(ObjectInfo {
            size: meta.size,
            last_modified: meta.last_modified,
        })
    }

    async fn put(&self, path: &str, data: Bytes) -> Result<()> {
        let location = self.location(path, false)?;
        self.store
            .put(&location, PutPayload::from_bytes(data))
            .await
            .map_err(|e| BucketError::object_store("put", path, e))?;
        Ok(())
    }

    async fn delete(&self, path: &str) -> Result<()> {
        let location = self.location(path, false)?;
        match self.store.delete(&location).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(BucketError::object_store("delete", path, e)),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>> {
        let location = self.location(prefix, true)?;
        let metas: Vec<object_store::ObjectMeta> = self
            .store
            .list(Some(&location))
            .try_collect()
            .await
            .map_err(|e| BucketError::object_store("list", prefix, e))?;
        let mut paths: Vec<String> = metas
            .iter()
            .filter_map(|m| self.relative(&m.location))
            .filter(|p| !p.is_empty())
            .collect();
        paths.sort();
        Ok(paths)
    }

    async fn list_dirs(&self, prefix: &str) -> Result<Vec<String>> {
        let location = self.location(prefix, true)?;
        let listing = self
            .store
            .list_with_delimiter(Some(&location))
            .await
            .map_err(|e| BucketError::object_store("list", prefix, e))?;
        let mut names: Vec<String> = listing
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().map(str::to_owned))
            .collect();
        names.sort();
        Ok(names)
    }
}

/// Builders of the cloud stores, each behind its cargo feature.
mod cloud {
    use std::sync::Arc;

    use object_store::ObjectStore;

    use crate::{BucketError, Result};

    /// The error for a store whose feature is not compiled in.
    #[allow(dead_code, reason = "unused when every cloud feature is enabled")]
    fn missing(url: &str, store: &str, feature: &str) -> BucketError {
        BucketError::InvalidInput(format!(
            "{url}: {store} support is not compiled in; enable the `{feature}` cargo feature of store-bucket (or of a crate that forwards it)"
        ))
    }

    /// Applies `options` to a builder through its config-key type.
    #[cfg(any(feature = "s3", feature = "gcs", feature = "azure"))]
    fn configure<B, K>(
        url: &str,
        mut builder: B,
        options: Vec<(String, String)>,
        with: impl Fn(B, K, String) -> B,
    ) -> Result<B>
    where
        K: std::str::FromStr,
    {
        for (key, value) in options {
            let parsed = key.to_ascii_lowercase().parse::<K>().map_err(|_| {
                BucketError::InvalidInput(format!("{url}: unknown store option {key:?}"))
            })?;
            builder = with(builder, parsed, value);
        }
        Ok(builder)
    }

    #[cfg(feature = "s3")]
    pub(super) fn s3(url: &str, options: Vec<(String, String)>) -> Result<Arc<dyn ObjectStore>> {
        use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
        let builder = AmazonS3Builder::from_env().with_url(url);
        let builder = configure(url, builder, options, |b, k: AmazonS3ConfigKey, v| {
            b.with_config(k, v)
        })?;
        let store = builder
            .build()
            .map_err(|e| BucketError::object_store("open", url, e))?;
        Ok(Arc::new(store))
    }

    #[cfg(not(feature = "s3"))]
    pub(super) fn s3(url: &str, _options: Vec<(String, String)>) -> Result<Arc<dyn ObjectStore>> {
        Err(missing(url, "S3", "s3"))
    }

    #[cfg(feature = "gcs")]
    pub(super) fn gcs(url: &str, options: Vec<(String, String)>) -> Result<Arc<dyn ObjectStore>> {
        use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
        let builder = GoogleCloudStorageBuilder::from_env().with_url(url);
        let builder = configure(url, builder, options, |b, k: GoogleConfigKey, v| {
            b.with_config(k, v)
        })?;
        let store = builder
            .build()
            .map_err(|e| BucketError::object_store("open", url, e))?;
        Ok(Arc::new(store))
    }

    #[cfg(not(feature = "gcs"))]
    pub(super) fn gcs(url: &str, _options: Vec<(String, String)>) -> Result<Arc<dyn ObjectStore>> {
        Err(missing(url, "Google Cloud Storage", "gcs"))
    }

    #[cfg(feature = "azure")]
    pub(super) fn azure(url: &str, options: Vec<(String, String)>) -> Result<Arc<dyn ObjectStore>> {
        use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
        let builder = MicrosoftAzureBuilder::from_env().with_url(url);
        let builder = configure(url, builder, options, |b, k: AzureConfigKey, v| {
            b.with_config(k, v)
        })?;
        let store = builder
            .build()
            .map_err(|e| BucketError::object_store("open", url, e))?;
        Ok(Arc::new(store))
    }

    #[cfg(not(feature = "azure"))]
    pub(super) fn azure(
        url: &str,
        _options: Vec<(String, String)>,
    ) -> Result<Arc<dyn ObjectStore>> {
        Err(missing(url, "Azure Blob Storage", "azure"))
    }
}
