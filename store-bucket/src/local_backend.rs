//! [`Backend`] on a folder of the local filesystem, with inline positional reads on kept-open
//! files.
//!
//! `object_store`'s `LocalFileSystem` hands every call to Tokio's blocking pool when it runs
//! inside a runtime and opens the file for every range it reads: a lookup in a block spends
//! most of its time waking threads (100 lookups in a 50k-trace block made 4,636 opens and
//! 65,827 futex calls for 4,628 reads). Here every call does its file IO inline, on the
//! calling thread, and needs no runtime:
//!
//! * a byte range is one `fstat` and one positional read (`pread`) on a file kept open in
//!   [`FileCache`] — from the page cache, microseconds, less than a hand-off to another
//!   thread costs. A read that has to go to a slow disk or a network filesystem blocks the
//!   calling thread for as long; so does `object_store`'s outside a runtime.
//! * The `fstat` gives the file's size now and whether it is still linked: a file deleted or
//!   replaced by a rename (as this crate and `object_store` replace files) by anyone — this
//!   process, another backend on the same folder, another program — is reopened or reported
//!   missing, as a read that opens the file each time would; a file rewritten in place (as
//!   Tempo's local backend writes) is read as it is now. (The one case an open handle still serves old bytes: a file
//!   moved away or replaced while it has another hard link, until it leaves the cache.)
//!   Without inode link counts (Windows), a `stat` of the path is compared with the open file
//!   instead (size and modification time). [`put`](Backend::put) and
//!   [`delete`](Backend::delete) also drop the handle.
//! * Whole-object reads, heads, writes, deletes and listings open or walk the filesystem each
//!   time, as `object_store` does.
//!
//! What is stored is what `LocalFileSystem` (with automatic cleanup) stores: the same file
//! for each path; writes to a `<name>#<n>` file in the same folder, then renamed over the
//! target (readers see the old or the new object; nothing is fsynced); deleting the last
//! object of a folder removes the folder and every emptied parent up to the root. Two
//! differences, both for names this API cannot address anyway: an object path whose last
//! segment has the reserved `#<digits>` form is refused as [`BucketError::InvalidName`]
//! (`LocalFileSystem` fails it as a store error), and listings skip names that are not UTF-8
//! or that a path could not carry (backslashes, control characters) instead of failing.

use std::collections::HashMap;
use std::fmt;
use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{self, ErrorKind, Read as _, Write as _};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use bytes::Bytes;
use walkdir::WalkDir;

use crate::{Backend, BucketError, ObjectInfo, Result, check_path};

/// How many files a [`LocalBackend`] keeps open for range reads.
pub(crate) const OPEN_FILES: usize = 128;

/// A [`Backend`] on folder `root` (see [the module](self)). Clones share the open files.
#[derive(Clone)]
pub(crate) struct LocalBackend {
    /// The folder, canonical (symbolic links resolved), so that emptied folders are removed
    /// up to it and never past it.
    root: Arc<PathBuf>,
    /// Files kept open for range reads.
    files: Arc<Mutex<FileCache>>,
}

impl fmt::Debug for LocalBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalBackend")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl LocalBackend {
    /// A backend on folder `dir`, created when missing, keeping up to [`OPEN_FILES`] files
    /// open.
    ///
    /// # Errors
    ///
    /// [`BucketError::Io`] when the folder cannot be created or resolved.
    pub(crate) fn new(dir: &Path) -> Result<Self> {
        Self::with_open_files(dir, OPEN_FILES)
    }

    /// [`new`](Self::new) keeping up to `open_files` (at least 1) files open.
    pub(crate) fn with_open_files(dir: &Path, open_files: usize) -> Result<Self> {
        let shown = dir.display().to_string();
        fs::create_dir_all(dir).map_err(|e| io_error("create", shown.clone(), e))?;
        let root = fs::canonicalize(dir).map_err(|e| io_error("open", shown, e))?;
        Ok(Self {
            root: Arc::new(root),
            files: Arc::new(Mutex::new(FileCache::new(open_files))),
        })
    }

    /// The filesystem path of object `path`.
    fn file_path(&self, path: &str) -> Result<PathBuf> {
        check_object_path(path)?;
        Ok(self.join(path))
    }

    /// The filesystem path of folder `prefix` (`""`: the root).
    fn folder_path(&self, prefix: &str) -> Result<PathBuf> {
        check_path(prefix, "object path", true)?;
        check_local(prefix)?;
        Ok(self.join(prefix))
    }

    /// `root` joined with the segments of a checked path.
    fn join(&self, path: &str) -> PathBuf {
        let mut full = PathBuf::from(self.root.as_path());
        full.extend(path.split('/').filter(|s| !s.is_empty()));
        full
    }

    /// `full` (below the root) as a `/`-separated backend path, if it can be one.
    fn relative(&self, full: &Path) -> Option<String> {
        let rest = full.strip_prefix(self.root.as_path()).ok()?;
        let mut parts = Vec::new();
        for part in rest.components() {
            match part {
                std::path::Component::Normal(name) => parts.push(name.to_str()?),
                _ => return None,
            }
        }
        let path = parts.join("/");
        check_path(&path, "object path", false).ok()?;
        Some(path)
    }

    /// The open file behind (checked) object `path` and its size now: the kept handle while
    /// it still is the path's file, else the file opened and kept.
    fn open(&self, path: &str) -> Result<(Arc<OpenFile>, u64)> {
        let kept = self.files().get(path);
        if let Some(open) = kept {
            if let Ok(Some(len)) = open.current_len(|| self.join(path)) {
                return Ok((open, len));
            }
            let _closed_after_unlock = self.files().remove(path);
        }
        let full = self.join(path);
        let file = File::open(&full).map_err(|e| io_error("get range", path, e))?;
        let meta = file
            .metadata()
            .map_err(|e| io_error("get range", path, e))?;
        if meta.is_dir() {
            return Err(not_found(path));
        }
        let open = Arc::new(OpenFile::new(file, &meta));
        let _closed_after_unlock = self.files().insert(path, Arc::clone(&open));
        Ok((open, meta.len()))
    }

    /// The cache, locked. Every operation on it leaves it consistent, so a panic elsewhere
    /// while it was held does not spoil it.
    fn files(&self) -> MutexGuard<'_, FileCache> {
        self.files.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Removes the folders of `full` left empty, up to (not including) the root.
    fn remove_empty_parents(&self, full: &Path) {
        let mut parent = full.parent();
        while let Some(folder) = parent {
            if folder == self.root.as_path() || fs::remove_dir(folder).is_err() {
                break;
            }
            parent = folder.parent();
        }
    }

    /// The entries below `prefix` (files or folders), walked as `LocalFileSystem` walks:
    /// symbolic links followed, a missing folder or a broken link skipped.
    fn walk(
        &self,
        prefix: &str,
        max_depth: usize,
        mut each: impl FnMut(&walkdir::DirEntry),
    ) -> Result<()> {
        let base = self.folder_path(prefix)?;
        let walk = WalkDir::new(base)
            .min_depth(1)
            .max_depth(max_depth)
            .follow_links(true);
        for entry in walk {
            match entry {
                Ok(entry) => each(&entry),
                Err(e)
                    if e.io_error()
                        .is_some_and(|e| e.kind() == ErrorKind::NotFound) => {}
                Err(e) => {
                    let source = io::Error::from(e);
                    return Err(io_error("list", prefix, source));
                }
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Backend for LocalBackend {
    async fn get(&self, path: &str) -> Result<Bytes> {
        let full = self.file_path(path)?;
        let mut file = File::open(&full).map_err(|e| io_error("get", path, e))?;
        let meta = file.metadata().map_err(|e| io_error("get", path, e))?;
        if meta.is_dir() {
            return Err(not_found(path));
        }
        let mut data = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        file.read_to_end(&mut data)
            .map_err(|e| io_error("get", path, e))?;
        Ok(Bytes::from(data))
    }

    async fn get_range(&self, path: &str, range: Range<u64>) -> Result<Bytes> {
        check_object_path(path)?;
        if range.start > range.end {
            return Err(BucketError::InvalidInput(format!(
                "{path}: byte range {}..{} ends before it starts",
                range.start, range.end
            )));
        }
        if range.is_empty() {
            return Ok(Bytes::new());
        }
        let past_end = |size: u64| BucketError::OutOfRange {
            path: path.to_owned(),
            range: range.clone(),
            size,
        };
        let (open, size) = self.open(path)?;
        if range.end > size {
            return Err(past_end(size));
        }
        let len = usize::try_from(range.end - range.start).map_err(|_| {
            BucketError::InvalidInput(format!("{path}: byte range too large for memory"))
        })?;
        let mut data = vec![0; len];
        match read_exact_at(&open.file, || self.join(path), &mut data, range.start) {
            Ok(()) => Ok(Bytes::from(data)),
            // Cut short in place since its size was taken.
            Err(e) if e.kind() == ErrorKind::UnexpectedEof => {
                let _closed_after_unlock = self.files().remove(path);
                let size = open.file.metadata().map_or(0, |m| m.len());
                Err(past_end(size))
            }
            Err(e) => Err(io_error("get range", path, e)),
        }
    }

    async fn head(&self, path: &str) -> Result<ObjectInfo> {
        let full = self.file_path(path)?;
        let meta = fs::metadata(&full).map_err(|e| io_error("head", path, e))?;
        if meta.is_dir() {
            return Err(not_found(path));
        }
        let modified = meta.modified().map_err(|e| io_error("head", path, e))?;
        Ok(ObjectInfo {
            size: meta.len(),
            last_modified: modified.into(),
        })
    }

    async fn put(&self, path: &str, data: Bytes) -> Result<()> {
        let full = self.file_path(path)?;
        let (mut file, staged) = create_staged(&full).map_err(|e| io_error("put", path, e))?;
        let written = file.write_all(&data);
        // Closed before the rename: some FUSE filesystems upload on close.
        drop(file);
        if let Err(e) = written.and_then(|()| fs::rename(&staged, &full)) {
            let _ = fs::remove_file(&staged);
            return Err(io_error("put", path, e));
        }
        let _closed_after_unlock = self.files().remove(path);
        Ok(())
    }

    async fn delete(&self, path: &str) -> Result<()> {
        let full = self.file_path(path)?;
        let removed = fs::remove_file(&full);
        let _closed_after_unlock = self.files().remove(path);
        match removed {
            Ok(()) => {
                self.remove_empty_parents(&full);
                Ok(())
            }
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error("delete", path, e)),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>> {
        let mut paths = Vec::new();
        self.walk(prefix, usize::MAX, |entry| {
            if !entry.file_type().is_file() {
                return;
            }
            let staging = entry.file_name().to_str().is_some_and(is_staging_name);
            if let (false, Some(path)) = (staging, self.relative(entry.path())) {
                paths.push(path);
            }
        })?;
        paths.sort();
        Ok(paths)
    }

    async fn list_dirs(&self, prefix: &str) -> Result<Vec<String>> {
        let mut names = Vec::new();
        self.walk(prefix, 1, |entry| {
            if entry.file_type().is_dir()
                && let Some(path) = self.relative(entry.path())
                && let Some(name) = path.rsplit('/').next()
            {
                names.push(name.to_owned());
            }
        })?;
        names.sort();
        names.dedup();
        Ok(names)
    }
}

/// Checks an object path: a backend path ([`check_path`]) that the filesystem can hold
/// ([`check_local`]) and whose name is not a temporary file's.
fn check_object_path(path: &str) -> Result<()> {
    check_path(path, "object path", false)?;
    check_local(path)?;
    let name = path.rsplit('/').next().unwrap_or(path);
    if is_staging_name(name) {
        return Err(BucketError::InvalidName {
            kind: "object path",
            value: path.to_owned(),
            reason: "names ending in '#<digits>' are reserved for temporary files",
        });
    }
    Ok(())
}

/// Whether `name` is a temporary file's name: `<anything>#<one or more digits>`.
fn is_staging_name(name: &str) -> bool {
    name.split_once('#')
        .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Windows reads `C:x` as a path on drive C, so a `:` in a segment could leave the folder.
#[cfg(windows)]
fn check_local(path: &str) -> Result<()> {
    if path.contains(':') {
        return Err(BucketError::InvalidName {
            kind: "object path",
            value: path.to_owned(),
            reason: "':' is not allowed in local paths on Windows",
        });
    }
    Ok(())
}

/// Elsewhere every checked segment is a plain file name.
#[cfg(not(windows))]
#[allow(clippy::unnecessary_wraps, reason = "the Windows twin refuses names")]
fn check_local(_path: &str) -> Result<()> {
    Ok(())
}

/// Creates `<target>#<n>` (the smallest free `n` from 1) for writing, and its folders when
/// missing, as `LocalFileSystem` does.
fn create_staged(target: &Path) -> io::Result<(File, PathBuf)> {
    let mut n = 1u64;
    let mut folders_made = 0;
    loop {
        let mut staged = target.as_os_str().to_owned();
        staged.push(format!("#{n}"));
        let staged = PathBuf::from(staged);
        match OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&staged)
        {
            Ok(file) => return Ok((file, staged)),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => n += 1,
            // A concurrent delete can remove an emptied folder again; a few tries are plenty.
            Err(e) if e.kind() == ErrorKind::NotFound && folders_made < 8 => {
                let Some(folder) = target.parent() else {
                    return Err(e);
                };
                fs::create_dir_all(folder)?;
                folders_made += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Reads exactly `buf.len()` bytes at `offset` without moving a shared file position.
#[cfg(unix)]
fn read_exact_at(
    file: &File,
    _path: impl FnOnce() -> PathBuf,
    buf: &mut [u8],
    offset: u64,
) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

/// Reads exactly `buf.len()` bytes at `offset` (`seek_read` moves the handle's position,
/// which no read here depends on).
#[cfg(windows)]
fn read_exact_at(
    file: &File,
    _path: impl FnOnce() -> PathBuf,
    mut buf: &mut [u8],
    mut offset: u64,
) -> io::Result<()> {
    use std::os::windows::fs::FileExt as _;
    while !buf.is_empty() {
        match file.seek_read(buf, offset) {
            Ok(0) => return Err(ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Without positional reads: a handle of its own per read, so no position is shared.
#[cfg(not(any(unix, windows)))]
fn read_exact_at(
    _file: &File,
    path: impl FnOnce() -> PathBuf,
    buf: &mut [u8],
    offset: u64,
) -> io::Result<()> {
    use std::io::{Seek as _, SeekFrom};
    let mut file = File::open(path())?;
    file.seek(SeekFrom::Start(offset))?;
    file.read_exact(buf)
}

/// [`BucketError::NotFound`] for `path`.
fn not_found(path: &str) -> BucketError {
    BucketError::not_found(path)
}

/// An IO error of operation `op` on `path`: [`BucketError::NotFound`] for a missing file (or
/// folder on the way), otherwise [`BucketError::Io`].
fn io_error(op: &'static str, path: impl Into<String>, e: io::Error) -> BucketError {
    BucketError::io(op, path, e)
}

/// A file kept open.
#[derive(Debug)]
struct OpenFile {
    file: File,
    /// Without link counts, what the file looked like when opened, to compare its path with.
    #[cfg(not(unix))]
    identity: Identity,
}

impl OpenFile {
    /// `file`, opened with metadata `meta`.
    #[cfg(unix)]
    fn new(file: File, _meta: &Metadata) -> Self {
        Self { file }
    }

    /// `file`, opened with metadata `meta`.
    #[cfg(not(unix))]
    fn new(file: File, meta: &Metadata) -> Self {
        Self {
            file,
            identity: Identity::of(meta),
        }
    }

    /// The file's size now, or `None` when its path no longer names it: on Unix, when it has
    /// no link left (deleted, or replaced by a rename).
    #[cfg(unix)]
    fn current_len(&self, _path: impl FnOnce() -> PathBuf) -> io::Result<Option<u64>> {
        use std::os::unix::fs::MetadataExt as _;
        let meta = self.file.metadata()?;
        Ok((meta.nlink() > 0).then_some(meta.len()))
    }

    /// The file's size now, or `None` when the file at `path` is not the one open (by size
    /// and modification time) or is missing.
    #[cfg(not(unix))]
    fn current_len(&self, path: impl FnOnce() -> PathBuf) -> io::Result<Option<u64>> {
        match fs::metadata(path()) {
            Ok(now) => Ok((Identity::of(&now) == self.identity).then_some(now.len())),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// What tells one file from another behind the same path where there are no link counts:
/// size and modification time.
#[cfg(not(unix))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Identity {
    len: u64,
    modified: Option<std::time::SystemTime>,
}

#[cfg(not(unix))]
impl Identity {
    fn of(meta: &Metadata) -> Self {
        Self {
            len: meta.len(),
            modified: meta.modified().ok(),
        }
    }
}

/// Up to `capacity` open files by object path; the least recently used is closed first.
/// (A file still being read when it is dropped from here is closed after the read.)
struct FileCache {
    capacity: usize,
    /// Counts uses, to find the least recently used entry.
    clock: u64,
    files: HashMap<String, Slot>,
}

/// An entry of [`FileCache`].
struct Slot {
    file: Arc<OpenFile>,
    used: u64,
}

impl FileCache {
    fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            clock: 0,
            files: HashMap::new(),
        }
    }

    /// The open file for `path`, marked as just used.
    fn get(&mut self, path: &str) -> Option<Arc<OpenFile>> {
        self.clock += 1;
        let slot = self.files.get_mut(path)?;
        slot.used = self.clock;
        Some(Arc::clone(&slot.file))
    }

    /// Keeps `file` open for `path` in place of what was there, dropping the least recently
    /// used file when full. Returns what it dropped, for the caller to close once the cache
    /// is unlocked.
    #[must_use = "dropping the result closes a file, which should wait for the lock's release"]
    fn insert(&mut self, path: &str, file: Arc<OpenFile>) -> Option<Arc<OpenFile>> {
        self.clock += 1;
        let mut dropped = None;
        if !self.files.contains_key(path) && self.files.len() >= self.capacity {
            let oldest = self
                .files
                .iter()
                .min_by_key(|(_, slot)| slot.used)
                .map(|(p, _)| p.clone());
            if let Some(oldest) = oldest {
                dropped = self.files.remove(&oldest).map(|slot| slot.file);
            }
        }
        let used = self.clock;
        let replaced = self.files.insert(path.to_owned(), Slot { file, used });
        dropped.or(replaced.map(|slot| slot.file))
    }

    /// Drops the file kept for `path`, if any, and returns it (see [`insert`](Self::insert)).
    #[must_use = "dropping the result closes a file, which should wait for the lock's release"]
    fn remove(&mut self, path: &str) -> Option<Arc<OpenFile>> {
        self.files.remove(path).map(|slot| slot.file)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.files.len()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

    use futures_util::FutureExt as _;

    use super::*;

    /// Runs a call of this backend, which never waits.
    fn now<F: std::future::Future>(f: F) -> F::Output {
        f.now_or_never().unwrap()
    }

    #[test]
    fn staging_names() {
        for staged in ["x#1", "data.parquet#20", "#7"] {
            assert!(is_staging_name(staged), "{staged}");
        }
        for plain in ["x", "x#", "x#a", "x#1a", "meta.json"] {
            assert!(!is_staging_name(plain), "{plain}");
        }
    }

    #[test]
    fn the_cache_stays_within_its_bound_and_closes_the_least_recently_used() {
        let dir = tempfile::tempdir().unwrap();
        let backend = LocalBackend::with_open_files(dir.path(), 3).unwrap();
        for i in 0..5u8 {
            now(backend.put(&format!("t/{i}"), Bytes::from(vec![i; 4]))).unwrap();
        }
        for i in 0..3u8 {
            assert_eq!(
                now(backend.get_range(&format!("t/{i}"), 1..3)).unwrap(),
                [i; 2][..]
            );
        }
        assert_eq!(backend.files().len(), 3);
        // 0 used again, so 1 is the least recently used and goes first.
        now(backend.get_range("t/0", 0..1)).unwrap();
        now(backend.get_range("t/3", 0..1)).unwrap();
        {
            let files = backend.files();
            assert_eq!(files.len(), 3);
            assert!(files.files.contains_key("t/0"));
            assert!(!files.files.contains_key("t/1"));
        }
        for round in 0..3 {
            for i in 0..5u8 {
                let got = now(backend.get_range(&format!("t/{i}"), 0..4)).unwrap();
                assert_eq!(got, [i; 4][..], "round {round}, file {i}");
                assert!(backend.files().len() <= 3);
            }
        }
    }

    #[test]
    fn put_and_delete_close_the_kept_file() {
        let dir = tempfile::tempdir().unwrap();
        let backend = LocalBackend::with_open_files(dir.path(), 4).unwrap();
        now(backend.put("t/x", Bytes::from_static(b"old"))).unwrap();
        now(backend.get_range("t/x", 0..3)).unwrap();
        assert_eq!(backend.files().len(), 1);
        now(backend.put("t/x", Bytes::from_static(b"newer"))).unwrap();
        assert_eq!(backend.files().len(), 0);
        assert_eq!(now(backend.get_range("t/x", 0..5)).unwrap(), "newer");
        now(backend.delete("t/x")).unwrap();
        assert_eq!(backend.files().len(), 0);
        assert!(!dir.path().join("t").exists(), "emptied folder removed");
    }

    #[test]
    fn clones_share_kept_files() {
        let dir = tempfile::tempdir().unwrap();
        let backend = LocalBackend::with_open_files(dir.path(), 4).unwrap();
        let clone = backend.clone();
        now(backend.put("t/x", Bytes::from_static(b"abc"))).unwrap();
        now(clone.get_range("t/x", 0..1)).unwrap();
        assert_eq!(backend.files().len(), 1);
        assert!(format!("{backend:?}").starts_with("LocalBackend { root: "));
    }
}
