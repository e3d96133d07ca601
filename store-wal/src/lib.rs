//! A write-ahead log for the workspace's stores: a folder of segment files of checksummed,
//! length-prefixed records ([`format`](mod@format)), one writer thread that commits in groups, and replay
//! that tells a torn tail from damage. Records are opaque bytes; each store defines what
//! they hold (and its own segment magic, so one store never replays another's log).
//!
//! ```
//! use store_wal::{Wal, replay};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), store_wal::WalError> {
//! # let dir = tempfile::tempdir().unwrap();
//! const MAGIC: [u8; 6] = *b"DEMO\0\0";
//! let wal = Wal::open(dir.path(), MAGIC, 1)?;
//! let mut record = Vec::new();
//! let start = store_wal::format::begin_record(&mut record);
//! record.extend_from_slice(b"hello");
//! store_wal::format::finish_record(&mut record, start);
//! let segment = wal.append(record.into(), wal.intend()).await?; // synced when this returns
//! assert_eq!(segment, 1);
//! wal.close().await?;
//!
//! let mut seen = Vec::new();
//! let report = replay(dir.path(), MAGIC, |_, payload| {
//!     seen.push(payload.to_vec());
//!     Ok(())
//! })?;
//! assert_eq!((report.records, seen), (1, vec![b"hello".to_vec()]));
//! # Ok(())
//! # }
//! ```
//!
//! Persist policy: a push's record is written and the segment synced (`fdatasync`) before the
//! push is acknowledged. Records that arrive while a sync runs wait for the next one and share
//! it (group commit), so concurrent pushes cost one sync per group, not one each. After a
//! failed write or sync the log refuses every further append: what the kernel did with the
//! unsynced pages is unknown, so the store stops acknowledging rather than guess.
//!
//! The store decides when to rotate ([`Wal::rotate`]: a new segment for every record from
//! then on) and which segments it no longer needs ([`Wal::remove_before`]).

#![forbid(unsafe_code)]

pub mod format;

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use format::{FrameProblem, HeaderProblem};

/// A failure of the log.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WalError {
    /// Reading or writing a segment or the folder failed.
    #[error("WAL {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The IO error.
        source: io::Error,
    },
    /// An earlier write or sync failed; the log takes no more records.
    #[error("the WAL failed earlier and takes no more writes; restart to replay it")]
    Failed,
    /// The log is closed.
    #[error("the WAL is closed")]
    Closed,
}

/// Most records the writer takes into one group before it syncs.
const MAX_GROUP: usize = 4096;

/// The longest the writer waits for an announced record before it syncs the group it has.
const COMMIT_DELAY: std::time::Duration = std::time::Duration::from_micros(500);

enum Command {
    Append {
        record: bytes::Bytes,
        done: oneshot::Sender<Result<u64, WalError>>,
    },
    Rotate {
        done: oneshot::Sender<Result<u64, WalError>>,
    },
    RemoveBefore {
        sequence: u64,
        done: oneshot::Sender<Result<usize, WalError>>,
    },
    Close {
        done: oneshot::Sender<Result<(), WalError>>,
    },
}

#[derive(Debug, Default)]
struct Shared {
    /// Bytes in segment files on disk (headers and records).
    bytes: AtomicU64,
    /// The segment appended to now.
    current: AtomicU64,
    /// Set after a failed write or sync.
    failed: AtomicBool,
    /// Syncs done (for the stats: records per sync shows group commit at work).
    syncs: AtomicU64,
    /// Records appended.
    records: AtomicU64,
    /// Pushes that announced a record they are still encoding ([`Wal::intend`]).
    intending: AtomicUsize,
}

/// The log's writer: appends go to its thread, which writes, syncs and acknowledges them.
pub struct Wal {
    tx: mpsc::Sender<Command>,
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
    dir: PathBuf,
}

impl std::fmt::Debug for Wal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wal")
            .field("dir", &self.dir)
            .field("shared", &self.shared)
            .finish_non_exhaustive()
    }
}

fn io_err(path: &Path, source: io::Error) -> WalError {
    WalError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn sync_dir(dir: &Path) -> Result<(), WalError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_err(dir, e))
}

/// Creates segment `sequence` in `dir` with its header, synced, and the folder synced.
fn create_segment(dir: &Path, magic: [u8; 6], sequence: u64) -> Result<File, WalError> {
    let path = dir.join(format::segment_name(sequence));
    let mut file = OpenOptions::new()
        .create_new(true)
        .append(true)
        .open(&path)
        .map_err(|e| io_err(&path, e))?;
    file.write_all(&format::encode_header(magic, sequence))
        .and_then(|()| file.sync_all())
        .map_err(|e| io_err(&path, e))?;
    sync_dir(dir)?;
    Ok(file)
}

/// The segments in `dir`, sorted by sequence.
///
/// # Errors
///
/// [`WalError::Io`] reading the folder.
pub fn list_segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>, WalError> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| io_err(dir, e))? {
        let entry = entry.map_err(|e| io_err(dir, e))?;
        let name = entry.file_name();
        if let Some(seq) = name.to_str().and_then(format::parse_segment_name) {
            out.push((seq, entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

impl Wal {
    /// Starts a log in `dir` (created if missing) whose first segment is `first_sequence`
    /// (one past the last replayed segment).
    ///
    /// # Errors
    ///
    /// [`WalError::Io`] creating the folder or the first segment.
    pub fn open(dir: &Path, magic: [u8; 6], first_sequence: u64) -> Result<Self, WalError> {
        fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
        let file = create_segment(dir, magic, first_sequence)?;
        let shared = Arc::new(Shared::default());
        let mut bytes = format::HEADER_LEN as u64;
        for (seq, path) in list_segments(dir)? {
            if seq != first_sequence {
                bytes += fs::metadata(&path).map_or(0, |m| m.len());
            }
        }
        shared.bytes.store(bytes, Ordering::Relaxed);
        shared.current.store(first_sequence, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel();
        let writer = Writer {
            magic,
            dir: dir.to_path_buf(),
            file,
            sequence: first_sequence,
            shared: Arc::clone(&shared),
            buf: Vec::new(),
            acks: Vec::new(),
        };
        let thread = std::thread::Builder::new()
            .name("store-wal".into())
            .spawn(move || writer.run(&rx))
            .map_err(|e| io_err(dir, e))?;
        Ok(Self {
            tx,
            shared,
            thread: Mutex::new(Some(thread)),
            dir: dir.to_path_buf(),
        })
    }

    fn send<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T, WalError>>) -> Command,
    ) -> Result<oneshot::Receiver<Result<T, WalError>>, WalError> {
        let (done, rx) = oneshot::channel();
        self.tx.send(make(done)).map_err(|_| WalError::Closed)?;
        Ok(rx)
    }

    /// Announces a record that is being prepared, so that a sync about to start waits for
    /// it briefly (group commit); the announcement ends when the guard is passed to
    /// [`Wal::append`] or dropped.
    pub fn intend(&self) -> Intent {
        self.shared.intending.fetch_add(1, Ordering::AcqRel);
        Intent {
            shared: Arc::clone(&self.shared),
        }
    }

    /// Appends one framed record; resolves once it is synced, to the segment it is in.
    ///
    /// # Errors
    ///
    /// [`WalError::Failed`] after an earlier failed write or sync; [`WalError::Io`] when this group's write or sync fails; [`WalError::Closed`].
    pub async fn append(&self, record: bytes::Bytes, intent: Intent) -> Result<u64, WalError> {
        if self.shared.failed.load(Ordering::Acquire) {
            return Err(WalError::Failed);
        }
        let rx = self.send(|done| Command::Append { record, done });
        drop(intent);
        rx?.await.map_err(|_| WalError::Closed)?
    }

    /// Starts a new segment; resolves to its sequence. Records appended after this call
    /// returns go to the new segment or a later one.
    ///
    /// # Errors
    ///
    /// [`WalError::Io`] creating the segment; [`WalError::Failed`]; [`WalError::Closed`].
    pub async fn rotate(&self) -> Result<u64, WalError> {
        let rx = self.send(|done| Command::Rotate { done })?;
        rx.await.map_err(|_| WalError::Closed)?
    }

    /// Removes every segment before `sequence` (never the current one); resolves to how many.
    ///
    /// # Errors
    ///
    /// [`WalError::Io`] listing or deleting; [`WalError::Closed`].
    pub async fn remove_before(&self, sequence: u64) -> Result<usize, WalError> {
        let rx = self.send(|done| Command::RemoveBefore { sequence, done })?;
        rx.await.map_err(|_| WalError::Closed)?
    }

    /// Syncs and stops the writer thread.
    ///
    /// # Errors
    ///
    /// [`WalError::Io`] from the last sync; [`WalError::Closed`].
    pub async fn close(&self) -> Result<(), WalError> {
        let rx = self.send(|done| Command::Close { done })?;
        let result = rx.await.map_err(|_| WalError::Closed)?;
        let thread = self
            .thread
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(t) = thread {
            let _ = tokio::task::spawn_blocking(move || t.join()).await;
        }
        result
    }

    /// The segment appended to now.
    pub fn current(&self) -> u64 {
        self.shared.current.load(Ordering::Acquire)
    }

    /// Whether a write or sync failed (the log takes no more records).
    pub fn failed(&self) -> bool {
        self.shared.failed.load(Ordering::Acquire)
    }

    /// Bytes in segment files.
    pub fn bytes(&self) -> u64 {
        self.shared.bytes.load(Ordering::Relaxed)
    }

    /// Records appended and syncs done since start.
    pub fn counters(&self) -> (u64, u64) {
        (
            self.shared.records.load(Ordering::Relaxed),
            self.shared.syncs.load(Ordering::Relaxed),
        )
    }
}

/// A record announced to the writer ([`Wal::intend`]).
#[derive(Debug)]
pub struct Intent {
    shared: Arc<Shared>,
}

impl Drop for Intent {
    fn drop(&mut self) {
        self.shared.intending.fetch_sub(1, Ordering::AcqRel);
    }
}

struct Writer {
    magic: [u8; 6],
    dir: PathBuf,
    file: File,
    sequence: u64,
    shared: Arc<Shared>,
    buf: Vec<u8>,
    acks: Vec<oneshot::Sender<Result<u64, WalError>>>,
}

impl Writer {
    fn run(mut self, rx: &mpsc::Receiver<Command>) {
        while let Ok(first) = rx.recv() {
            let group_started = std::time::Instant::now();
            let mut next = Some(first);
            let mut taken = 0;
            while let Some(cmd) = next.take() {
                taken += 1;
                match cmd {
                    Command::Append { record, done } => {
                        if self.shared.failed.load(Ordering::Acquire) {
                            let _ = done.send(Err(WalError::Failed));
                        } else {
                            self.buf.extend_from_slice(&record);
                            self.acks.push(done);
                        }
                    }
                    Command::Rotate { done } => {
                        self.commit();
                        let _ = done.send(self.rotate());
                    }
                    Command::RemoveBefore { sequence, done } => {
                        self.commit();
                        let _ = done.send(self.remove_before(sequence));
                    }
                    Command::Close { done } => {
                        self.commit();
                        let result = self.file.sync_all().map_err(|e| io_err(&self.path(), e));
                        let _ = done.send(result);
                        return;
                    }
                }
                if taken < MAX_GROUP {
                    next = rx.try_recv().ok();
                    if next.is_none() && !self.acks.is_empty() {
                        next = self.wait_for_intended(rx, group_started);
                    }
                }
            }
            self.commit();
        }
        self.commit();
    }

    fn path(&self) -> PathBuf {
        self.dir.join(format::segment_name(self.sequence))
    }

    /// Before syncing, waits (up to [`COMMIT_DELAY`] after the group's first command) for a
    /// record that a push has announced
    /// ([`Wal::intend`]) but not sent yet: a push encoding its batch now would otherwise
    /// miss this sync and pay for one of its own (Postgres' `commit_delay`, applied only when
    /// a record is known to be coming).
    fn wait_for_intended(
        &self,
        rx: &mpsc::Receiver<Command>,
        group_started: std::time::Instant,
    ) -> Option<Command> {
        if self.shared.intending.load(Ordering::Acquire) == 0 {
            return None;
        }
        let left = COMMIT_DELAY.checked_sub(group_started.elapsed())?;
        rx.recv_timeout(left).ok()
    }

    /// Writes the pending records, syncs, and acknowledges them.
    fn commit(&mut self) {
        if self.acks.is_empty() {
            return;
        }
        let result = self
            .file
            .write_all(&self.buf)
            .and_then(|()| self.file.sync_data());
        let n = self.acks.len() as u64;
        match result {
            Ok(()) => {
                self.shared
                    .bytes
                    .fetch_add(self.buf.len() as u64, Ordering::Relaxed);
                self.shared.records.fetch_add(n, Ordering::Relaxed);
                self.shared.syncs.fetch_add(1, Ordering::Relaxed);
                for ack in self.acks.drain(..) {
                    let _ = ack.send(Ok(self.sequence));
                }
            }
            Err(e) => {
                self.shared.failed.store(true, Ordering::Release);
                tracing::error!(path = %self.path().display(), error = %e,
                    "WAL write or sync failed; refusing further pushes");
                let kind = e.kind();
                let msg = e.to_string();
                let path = self.path();
                for ack in self.acks.drain(..) {
                    let _ = ack.send(Err(io_err(&path, io::Error::new(kind, msg.clone()))));
                }
            }
        }
        self.buf.clear();
        if self.buf.capacity() > 64 << 20 {
            self.buf = Vec::new();
        }
    }

    fn rotate(&mut self) -> Result<u64, WalError> {
        if self.shared.failed.load(Ordering::Acquire) {
            return Err(WalError::Failed);
        }
        let next = self.sequence + 1;
        let file = create_segment(&self.dir, self.magic, next)?;
        self.file = file;
        self.sequence = next;
        self.shared
            .bytes
            .fetch_add(format::HEADER_LEN as u64, Ordering::Relaxed);
        self.shared.current.store(next, Ordering::Release);
        Ok(next)
    }

    fn remove_before(&mut self, sequence: u64) -> Result<usize, WalError> {
        let mut removed = 0;
        for (seq, path) in list_segments(&self.dir)? {
            if seq >= sequence || seq == self.sequence {
                continue;
            }
            let len = fs::metadata(&path).map_or(0, |m| m.len());
            match fs::remove_file(&path) {
                Ok(()) => {
                    removed += 1;
                    self.shared.bytes.fetch_sub(
                        len.min(self.shared.bytes.load(Ordering::Relaxed)),
                        Ordering::Relaxed,
                    );
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err(&path, e)),
            }
        }
        Ok(removed)
    }
}

/// What replay found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReplayReport {
    /// Segments read.
    pub segments: usize,
    /// Records replayed.
    pub records: u64,
    /// Record bytes replayed (frames and payloads).
    pub bytes: u64,
    /// The torn tail cut from the last segment, if there was one.
    pub truncated: Option<TornTail>,
    /// Damage found before the last segment's tail: reported, the readable records before it
    /// replayed, the segment kept until its records are in blocks.
    pub corrupt: Vec<Damage>,
    /// The highest segment sequence seen (0 for an empty log).
    pub last_sequence: u64,
}

/// A torn tail: the unacknowledged end of the last segment, truncated by replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornTail {
    /// The segment's file.
    pub path: PathBuf,
    /// Where the bad frame starts (the file's new length).
    pub offset: u64,
    /// Bytes dropped.
    pub dropped_bytes: u64,
    /// What was wrong with the frame.
    pub problem: String,
}

/// Damage that is not a torn tail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// The segment's file.
    pub path: PathBuf,
    /// Where the bad header or frame starts.
    pub offset: u64,
    /// What was wrong.
    pub problem: String,
}

fn header_text(p: HeaderProblem) -> String {
    match p {
        HeaderProblem::Short => "segment header cut short".into(),
        HeaderProblem::Magic => "not a WAL segment (bad magic)".into(),
        HeaderProblem::Checksum => "segment header checksum mismatch".into(),
        HeaderProblem::Version(v) => format!("unsupported segment version {v}"),
        HeaderProblem::Sequence(s) => format!("header names segment {s}, not its file name's"),
    }
}

fn frame_text(p: FrameProblem) -> String {
    match p {
        FrameProblem::Truncated => "record cut short".into(),
        FrameProblem::ZeroLength => "zero-length frame".into(),
        FrameProblem::TooLong(n) => format!("record length {n} above the limit"),
        FrameProblem::Checksum => "record checksum mismatch".into(),
    }
}

/// Replays every segment in `dir` in order, calling `apply(sequence, payload)` for each
/// readable record. The last segment's torn tail is truncated (and synced); an empty last
/// segment whose header never made it to disk is removed. A record `apply` refuses (its
/// checksum held but its payload does not decode) is reported as damage and skipped.
///
/// # Errors
///
/// IO errors reading the folder or truncating.
pub fn replay(
    dir: &Path,
    magic: [u8; 6],
    mut apply: impl FnMut(u64, &[u8]) -> Result<(), String>,
) -> Result<ReplayReport, WalError> {
    let mut report = ReplayReport::default();
    if !dir.exists() {
        return Ok(report);
    }
    let segments = list_segments(dir)?;
    let count = segments.len();
    for (i, (seq, path)) in segments.into_iter().enumerate() {
        let last = i + 1 == count;
        report.segments += 1;
        report.last_sequence = report.last_sequence.max(seq);
        let bytes = fs::read(&path).map_err(|e| io_err(&path, e))?;
        if let Err(problem) = format::decode_header(&bytes, magic, seq) {
            if last && problem == HeaderProblem::Short {
                // Created but its header never synced: nothing in it was acknowledged.
                fs::remove_file(&path).map_err(|e| io_err(&path, e))?;
                report.truncated = Some(TornTail {
                    path,
                    offset: 0,
                    dropped_bytes: bytes.len() as u64,
                    problem: header_text(problem),
                });
            } else {
                tracing::error!(path = %path.display(), problem = %header_text(problem),
                    "WAL segment unreadable; left in place");
                report.corrupt.push(Damage {
                    path,
                    offset: 0,
                    problem: header_text(problem),
                });
            }
            continue;
        }
        let mut at = format::HEADER_LEN;
        while at < bytes.len() {
            match format::decode_frame(&bytes[at..]) {
                Ok((record, used)) => {
                    match apply(seq, record) {
                        Ok(()) => {
                            report.records += 1;
                            report.bytes += used as u64;
                        }
                        Err(problem) => {
                            tracing::error!(path = %path.display(), offset = at, problem = %problem,
                                "WAL record passes its checksum but does not decode; skipped");
                            report.corrupt.push(Damage {
                                path: path.clone(),
                                offset: at as u64,
                                problem,
                            });
                        }
                    }
                    at += used;
                }
                Err(problem) => {
                    let text = frame_text(problem);
                    if last {
                        let file = OpenOptions::new()
                            .write(true)
                            .open(&path)
                            .map_err(|e| io_err(&path, e))?;
                        file.set_len(at as u64)
                            .and_then(|()| file.sync_all())
                            .map_err(|e| io_err(&path, e))?;
                        tracing::warn!(path = %path.display(), offset = at,
                            dropped = bytes.len() - at, problem = %text,
                            "WAL torn tail truncated (never acknowledged)");
                        report.truncated = Some(TornTail {
                            path: path.clone(),
                            offset: at as u64,
                            dropped_bytes: (bytes.len() - at) as u64,
                            problem: text,
                        });
                    } else {
                        tracing::error!(path = %path.display(), offset = at, problem = %text,
                            "WAL segment damaged before its end; records after the damage are lost");
                        report.corrupt.push(Damage {
                            path: path.clone(),
                            offset: at as u64,
                            problem: text,
                        });
                    }
                    break;
                }
            }
        }
    }
    Ok(report)
}
