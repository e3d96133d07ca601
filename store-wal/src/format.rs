//! The segment and record layout, written down once.
//!
//! A log is a folder of segment files named by a 20-digit sequence number and the extension
//! `.wal` (`00000000000000000001.wal`, …), replayed in sequence order. Every segment starts
//! with a header and holds records back to back:
//!
//! ```text
//! segment  := header record*
//! header   := magic (6) | version u16 LE (2) | sequence u64 LE (8) | crc u32 LE (4)
//!             magic = the store's six bytes; crc = CRC-32C of the 16 bytes before it
//! record   := length u32 LE (4) | crc u32 LE (4) | payload (length bytes)
//!             crc = CRC-32C of the 4 length bytes followed by the payload
//! ```
//!
//! The payload is the store's (each store documents its own). A record is acknowledged only
//! after the segment has been synced (`fdatasync`) with the record in it, so an acknowledged
//! record is whole on disk. What a crash can leave is a *torn tail*: the last record of the
//! last segment cut short or never synced (zeros or stale bytes). Replay reads each segment
//! up to the first frame that does not check out — a frame cut short, a length beyond the
//! file or above [`MAX_RECORD_LEN`], a zero length, or a CRC mismatch — and reports it; in the
//! last segment the tail from there is truncated (it was never acknowledged), in an earlier
//! segment it is damage and is reported as such.
//!
//! Version 1 is the only version; a segment with another version or magic is refused, never
//! guessed at.

/// The segment format version this crate writes and reads.
pub const VERSION: u16 = 1;

/// Length of the segment header: magic, version, sequence and the header's CRC.
pub const HEADER_LEN: usize = 20;

/// Length of a record's frame before its payload: length and CRC.
pub const FRAME_LEN: usize = 8;

/// The largest payload a record may carry (256 MiB): a length above it is a torn or corrupt
/// frame, never an allocation.
pub const MAX_RECORD_LEN: u32 = 256 << 20;

/// The extension of segment files.
pub const SEGMENT_EXTENSION: &str = "wal";

/// The file name of segment `sequence`.
pub fn segment_name(sequence: u64) -> String {
    format!("{sequence:020}.{SEGMENT_EXTENSION}")
}

/// The sequence number of a segment file name, `None` for any other name.
pub fn parse_segment_name(name: &str) -> Option<u64> {
    let stem = name.strip_suffix(".wal")?;
    if stem.len() != 20 || !stem.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    stem.parse().ok()
}

/// The header of segment `sequence` of a log whose segments start with `magic`.
pub fn encode_header(magic: [u8; 6], sequence: u64) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[..6].copy_from_slice(&magic);
    h[6..8].copy_from_slice(&VERSION.to_le_bytes());
    h[8..16].copy_from_slice(&sequence.to_le_bytes());
    let crc = crc32c::crc32c(&h[..16]);
    h[16..].copy_from_slice(&crc.to_le_bytes());
    h
}

/// Why a segment header was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderProblem {
    /// Fewer than [`HEADER_LEN`] bytes.
    Short,
    /// Not the log's magic.
    Magic,
    /// The header's CRC does not match.
    Checksum,
    /// A version this crate does not read.
    Version(u16),
    /// The sequence inside differs from the file name's.
    Sequence(u64),
}

/// Checks the header of segment `sequence` of a log whose segments start with `magic`.
///
/// # Errors
///
/// The first check that fails, in the order length, magic, checksum, version, sequence.
pub fn decode_header(bytes: &[u8], magic: [u8; 6], sequence: u64) -> Result<(), HeaderProblem> {
    let Some(h) = bytes.get(..HEADER_LEN) else {
        return Err(HeaderProblem::Short);
    };
    if h[..6] != magic {
        return Err(HeaderProblem::Magic);
    }
    let crc = u32::from_le_bytes([h[16], h[17], h[18], h[19]]);
    if crc32c::crc32c(&h[..16]) != crc {
        return Err(HeaderProblem::Checksum);
    }
    let version = u16::from_le_bytes([h[6], h[7]]);
    if version != VERSION {
        return Err(HeaderProblem::Version(version));
    }
    let mut seq = [0u8; 8];
    seq.copy_from_slice(&h[8..16]);
    let found = u64::from_le_bytes(seq);
    if found != sequence {
        return Err(HeaderProblem::Sequence(found));
    }
    Ok(())
}

/// Starts a record at the end of `out`: reserves its frame (filled in by [`finish_record`]).
/// Append the payload after it, then call [`finish_record`] with the returned start.
pub fn begin_record(out: &mut Vec<u8>) -> usize {
    let start = out.len();
    out.extend_from_slice(&[0; FRAME_LEN]);
    start
}

/// Fills in the length and CRC of the record that starts at `start` and ends at the end of
/// `out`.
pub fn finish_record(out: &mut [u8], start: usize) {
    let payload_len = out.len() - start - FRAME_LEN;
    let len = u32::try_from(payload_len).unwrap_or(u32::MAX);
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    let mut crc = crc32c::crc32c(&out[start..start + 4]);
    crc = crc32c::crc32c_append(crc, &out[start + FRAME_LEN..]);
    out[start + 4..start + FRAME_LEN].copy_from_slice(&crc.to_le_bytes());
}

/// Why a record frame was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameProblem {
    /// The frame header or payload is cut short by the end of the file.
    Truncated,
    /// A zero length (never written: a tail of zeros).
    ZeroLength,
    /// A length above [`MAX_RECORD_LEN`].
    TooLong(u32),
    /// The CRC does not match.
    Checksum,
}

/// Reads the record frame at the start of `bytes`: its payload and the bytes it took.
///
/// # Errors
///
/// The [`FrameProblem`] that makes the frame unreadable.
pub fn decode_frame(bytes: &[u8]) -> Result<(&[u8], usize), FrameProblem> {
    let Some(frame) = bytes.get(..FRAME_LEN) else {
        return Err(FrameProblem::Truncated);
    };
    let len = u32::from_le_bytes([frame[0], frame[1], frame[2], frame[3]]);
    let crc = u32::from_le_bytes([frame[4], frame[5], frame[6], frame[7]]);
    if len == 0 {
        return Err(FrameProblem::ZeroLength);
    }
    if len > MAX_RECORD_LEN {
        return Err(FrameProblem::TooLong(len));
    }
    let total = FRAME_LEN + len as usize;
    let Some(payload) = bytes.get(FRAME_LEN..total) else {
        return Err(FrameProblem::Truncated);
    };
    let computed = crc32c::crc32c_append(crc32c::crc32c(&frame[..4]), payload);
    if computed != crc {
        return Err(FrameProblem::Checksum);
    }
    Ok((payload, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAGIC: [u8; 6] = *b"TEST\0\0";

    #[test]
    fn frames_round_trip_and_every_cut_or_flip_is_detected() {
        let mut buf = Vec::new();
        let start = begin_record(&mut buf);
        buf.extend_from_slice(b"payload bytes");
        finish_record(&mut buf, start);
        let (payload, used) = decode_frame(&buf).expect("whole record");
        assert_eq!((payload, used), (&b"payload bytes"[..], buf.len()));
        for cut in 0..buf.len() {
            assert!(decode_frame(&buf[..cut]).is_err(), "cut at {cut}");
        }
        for i in 0..buf.len() {
            let mut bad = buf.clone();
            bad[i] ^= 0x40;
            assert!(decode_frame(&bad).is_err(), "flip at {i}");
        }
        assert_eq!(decode_frame(&[0; 16]), Err(FrameProblem::ZeroLength));
    }

    #[test]
    fn headers_check_magic_crc_version_and_sequence() {
        let h = encode_header(MAGIC, 7);
        assert_eq!(decode_header(&h, MAGIC, 7), Ok(()));
        assert_eq!(decode_header(&h, MAGIC, 8), Err(HeaderProblem::Sequence(7)));
        assert_eq!(decode_header(&h, *b"OTHER\0", 7), Err(HeaderProblem::Magic));
        assert_eq!(decode_header(&h[..19], MAGIC, 7), Err(HeaderProblem::Short));
        let mut bad = h;
        bad[9] ^= 1;
        assert_eq!(decode_header(&bad, MAGIC, 7), Err(HeaderProblem::Checksum));
    }

    #[test]
    fn segment_names() {
        assert_eq!(segment_name(12), "00000000000000000012.wal");
        assert_eq!(parse_segment_name("00000000000000000012.wal"), Some(12));
        assert_eq!(parse_segment_name("12.wal"), None);
        assert_eq!(parse_segment_name("00000000000000000012.tmp"), None);
    }
}
