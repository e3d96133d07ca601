//! What every binary does the same way.
//!
//! * Output goes through [`stdout`], a buffered handle whose write errors are returned, never
//!   a panic (`println!` panics when stdout is a closed pipe). A command returns
//!   [`Result`]`<bool>` and `main` ends with [`exit`], which maps it to the exit status: `Ok(true)` 0,
//!   `Ok(false)` 1, an error 2 with its message on stderr, except a closed pipe
//!   ([`io::ErrorKind::BrokenPipe`], as when the output is piped into `head`), which is a
//!   quiet, successful end: the reader has all it asked for.
//!   Commands whose output only reports on their work (the converters) write through
//!   [`report`] instead: a closed pipe silences the output and the work goes on.
//! * Messages on stderr go through [`warn`], which never panics either.
//! * [`progress`], [`time`] and [`input`]: progress bars, RFC 3339 times and input files.
//! * [`server`]: the servers' shutdown signal and WAL replay report.
//!
//! ```
//! use std::io::Write as _;
//! use std::process::ExitCode;
//!
//! fn run() -> examples::cli::Result<bool> {
//!     let mut out = examples::cli::stdout();
//!     writeln!(out, "hello")?;
//!     out.flush()?;
//!     Ok(true)
//! }
//!
//! fn main() -> ExitCode {
//!     examples::cli::exit("hello", run())
//! }
//! # let _ = main;
//! ```

pub mod input;
pub mod progress;
pub mod server;
pub mod time;

use std::fmt::Display;
use std::io::{self, Write as _};
use std::process::ExitCode;

/// A command's error: anything that can be shown to the user; printed once, on stderr.
pub type Error = Box<dyn std::error::Error>;

/// A command's result: `Ok(true)` success, `Ok(false)` "not found" or "a check failed".
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Standard output, buffered and locked for the life of the handle. Flush it before the
/// command returns: a write error when dropped unflushed is lost.
pub fn stdout() -> io::BufWriter<io::StdoutLock<'static>> {
    io::BufWriter::new(io::stdout().lock())
}

/// Standard output for a command whose output only reports on its work (the converters): a
/// closed pipe stops the output, not the work. Once a write finds the pipe closed, that write
/// and every later one succeed without writing, so the command carries on and ends as it
/// would have; other write errors are returned.
pub fn report() -> Report<io::StdoutLock<'static>> {
    Report {
        inner: io::stdout().lock(),
        closed: false,
    }
}

/// A writer that turns a closed pipe into silence; see [`report`].
#[derive(Debug)]
pub struct Report<W> {
    /// Where the output goes.
    inner: W,
    /// Whether a write found the pipe closed.
    closed: bool,
}

impl<W> Report<W> {
    /// A report writing to `inner`.
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            closed: false,
        }
    }

    /// True once a write found the pipe closed.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// `result`, with a closed pipe turned into success (and remembered).
    fn quiet<T>(&mut self, result: io::Result<T>, nothing: T) -> io::Result<T> {
        match result {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(nothing)
            }
            other => other,
        }
    }
}

impl<W: io::Write> io::Write for Report<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        let result = self.inner.write(buf);
        self.quiet(result, buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.closed {
            return Ok(());
        }
        let result = self.inner.flush();
        self.quiet(result, ())
    }
}

/// Prints `program: message` on stderr. A failure to write it is ignored: a closed stderr
/// must not turn into a panic.
pub fn warn(program: &str, message: impl Display) {
    let _ = writeln!(io::stderr().lock(), "{program}: {message}");
}

/// True when `error`, or an error it wraps, is a write to a closed pipe.
pub fn is_broken_pipe(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(io) = e.downcast_ref::<io::Error>()
            && io.kind() == io::ErrorKind::BrokenPipe
        {
            return true;
        }
        // serde_json's writer errors do not expose the io::Error as their source.
        if let Some(json) = e.downcast_ref::<serde_json::Error>()
            && json.io_error_kind() == Some(io::ErrorKind::BrokenPipe)
        {
            return true;
        }
        next = e.source();
    }
    false
}

/// The exit status of a command's result: `Ok(true)` 0, `Ok(false)` 1, a closed output pipe
/// 0 (quietly), any other error 2, printed on stderr as `program: error`.
pub fn exit(program: &str, result: Result<bool>) -> ExitCode {
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) if is_broken_pipe(e.as_ref()) => ExitCode::SUCCESS,
        Err(e) => {
            warn(program, e);
            ExitCode::from(2)
        }
    }
}

/// `error` with `context: ` in front of its message, unless it is a closed pipe, which is
/// kept as it is so that [`exit`] still recognises it.
pub fn with_context(error: Error, context: impl Display) -> Error {
    if is_broken_pipe(error.as_ref()) {
        error
    } else {
        format!("{context}: {error}").into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pipe whose reader is gone after `room` bytes.
    struct Pipe {
        room: usize,
        got: Vec<u8>,
    }

    impl io::Write for Pipe {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.got.len() + buf.len() > self.room {
                return Err(io::Error::new(io::ErrorKind::BrokenPipe, "closed"));
            }
            self.got.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn broken_pipes_are_found_wherever_they_are_wrapped() {
        let pipe = || io::Error::new(io::ErrorKind::BrokenPipe, "closed");
        assert!(is_broken_pipe(&pipe()));
        let boxed: Error = pipe().into();
        assert!(is_broken_pipe(boxed.as_ref()));
        let json: Error = serde_json::Error::io(pipe()).into();
        assert!(is_broken_pipe(json.as_ref()));
        assert!(is_broken_pipe(with_context(json, "x").as_ref()));
        let other: Error = io::Error::other("disk full").into();
        assert!(!is_broken_pipe(other.as_ref()));
        assert_eq!(
            with_context(other, "file").to_string(),
            "file: disk full".to_owned()
        );
        assert_eq!(exit("t", Err(pipe().into())), ExitCode::SUCCESS);
        assert_eq!(exit("t", Ok(false)), ExitCode::from(1));
    }

    #[test]
    fn a_report_goes_quiet_on_a_closed_pipe() {
        let mut report = Report::new(Pipe {
            room: 6,
            got: Vec::new(),
        });
        writeln!(report, "first").unwrap();
        assert!(!report.is_closed());
        writeln!(report, "second").unwrap();
        writeln!(report, "third").unwrap();
        report.flush().unwrap();
        assert!(report.is_closed());
        assert_eq!(report.inner.got, b"first\n");
    }
}
