//! Input files of the converters: a path or `-` (stdin), gzip-compressed or not.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use flate2::bufread::MultiGzDecoder;
use indicatif::ProgressBar;

/// The first two bytes of a gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// True for the path `-`, which names standard input.
pub fn is_stdin(path: &Path) -> bool {
    path == Path::new("-")
}

/// The total size in bytes of `paths`, for a progress bar; `None` when one is stdin or
/// cannot be looked at (opening it will then say why).
pub fn total_len(paths: &[impl AsRef<Path>]) -> Option<u64> {
    paths.iter().try_fold(0u64, |sum, path| {
        let path = path.as_ref();
        if is_stdin(path) {
            return None;
        }
        Some(sum + std::fs::metadata(path).ok()?.len())
    })
}

/// Opens `path` (`-`: stdin) for reading, decompressing it when it starts with gzip's magic
/// bytes (concatenated gzip members are read in turn, as `zcat` reads them). The bytes read
/// from the file advance `bar`.
///
/// # Errors
///
/// The error opening or first reading the file, with the path in its message.
pub fn open(path: &Path, bar: &ProgressBar) -> io::Result<Box<dyn BufRead>> {
    let named = |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", path.display()));
    let raw: Box<dyn Read> = if is_stdin(path) {
        Box::new(io::stdin().lock())
    } else {
        Box::new(File::open(path).map_err(named)?)
    };
    let mut buffered = BufReader::with_capacity(1 << 16, bar.wrap_read(raw));
    if buffered.fill_buf().map_err(named)?.starts_with(&GZIP_MAGIC) {
        Ok(Box::new(BufReader::new(MultiGzDecoder::new(buffered))))
    } else {
        Ok(Box::new(buffered))
    }
}

/// Reads `input` to its end.
///
/// # Errors
///
/// The read error (a corrupt gzip stream among them), with the path in its message.
pub fn read_all(path: &Path, bar: &ProgressBar) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    open(path, bar)?
        .read_to_end(&mut bytes)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

    use super::*;
    use std::io::Write as _;

    #[test]
    fn plain_and_gzipped_files_read_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("a.txt");
        std::fs::write(&plain, "one\ntwo\n").unwrap();
        let gz = dir.path().join("a.txt.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(b"one\ntwo\n").unwrap();
        std::fs::write(&gz, enc.finish().unwrap()).unwrap();
        let bar = ProgressBar::hidden();
        assert_eq!(read_all(&plain, &bar).unwrap(), b"one\ntwo\n");
        assert_eq!(read_all(&gz, &bar).unwrap(), b"one\ntwo\n");
        assert_eq!(total_len(&[&plain, &plain]), Some(16));
        assert_eq!(total_len(&[plain.as_path(), Path::new("-")]), None);
        let missing = dir.path().join("missing");
        let err = open(&missing, &bar).err().unwrap();
        assert!(err.to_string().contains("missing"), "{err}");
    }
}
