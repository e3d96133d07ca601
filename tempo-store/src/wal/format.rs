//! The write-ahead log's on-disk layout, written down once.
//!
//! The WAL is a folder of segment files named by a 20-digit sequence number and the extension
//! `.wal` (`00000000000000000001.wal`, …), replayed in sequence order. Every segment starts
//! with a header and holds records back to back:
//!
//! ```text
//! segment  := header record*
//! header   := magic "TSWAL\0" (6) | version u16 LE (2) | sequence u64 LE (8) | crc u32 LE (4)
//!             crc = CRC-32C of the 16 bytes before it
//! record   := length u32 LE (4) | crc u32 LE (4) | payload (length bytes)
//!             crc = CRC-32C of the 4 length bytes followed by the payload
//! payload  := kind u8 (1 = spans) | tenant length u8 | tenant (1..=150 bytes, UTF-8)
//!             | OTLP TracesData protobuf (the rest)
//! ```
//!
//! A record is acknowledged only after the segment has been synced (`fdatasync`) with the
//! record in it, so an acknowledged record is whole on disk. What a crash can leave is a
//! *torn tail*: the last record of the last segment cut short or never synced (zeros or stale
//! bytes). Replay reads each segment up to the first frame that does not check out — a header
//! cut short, a length beyond the file or above [`MAX_RECORD_LEN`], a zero length, or a CRC
//! mismatch — and reports it; in the last segment the tail from there is truncated (it was
//! never acknowledged), in an earlier segment it is corruption and is reported as such.
//!
//! Version 1 is the only version; a segment with another version or magic is refused, never
//! guessed at.

/// The six bytes every segment starts with.
pub const MAGIC: [u8; 6] = *b"TSWAL\0";

/// The segment format version this crate writes and reads.
pub const VERSION: u16 = 1;

/// Length of the segment header: magic, version, sequence and the header's CRC.
pub const HEADER_LEN: usize = 20;

/// Length of a record's frame before its payload: length and CRC.
pub const FRAME_LEN: usize = 8;

/// The largest payload a record may carry (256 MiB): a length above it is a torn or corrupt
/// frame, never an allocation.
pub const MAX_RECORD_LEN: u32 = 256 << 20;

/// Record kind: OTLP spans of one tenant.
pub const KIND_SPANS: u8 = 1;

/// The longest tenant ID a record holds (Tempo's limit).
pub const MAX_TENANT_LEN: usize = 150;

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

/// The header of segment `sequence`.
pub fn encode_header(sequence: u64) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[..6].copy_from_slice(&MAGIC);
    h[6..8].copy_from_slice(&VERSION.to_le_bytes());
    h[8..16].copy_from_slice(&sequence.to_le_bytes());
    let crc = crc32c::crc32c(&h[..16]);
    h[16..].copy_from_slice(&crc.to_le_bytes());
    h
}

/// Why a segment header was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderProblem {
    /// Fewer than [`HEADER_LEN`] bytes.
    Short,
    /// Not [`MAGIC`].
    Magic,
    /// The header's CRC does not match.
    Checksum,
    /// A version this crate does not read.
    Version(u16),
    /// The sequence inside differs from the file name's.
    Sequence(u64),
}

/// Checks the header of segment `sequence`.
///
/// # Errors
///
/// The first check that fails, in the order length, magic, checksum, version, sequence.
pub fn decode_header(bytes: &[u8], sequence: u64) -> Result<(), HeaderProblem> {
    let Some(h) = bytes.get(..HEADER_LEN) else {
        return Err(HeaderProblem::Short);
    };
    if h[..6] != MAGIC {
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

/// Appends one framed record holding `tenant`'s spans (`traces`: an OTLP `TracesData`
/// protobuf) to `out`.
///
/// `tenant` must be 1..=[`MAX_TENANT_LEN`] bytes (the store validates tenant IDs before).
pub fn encode_spans_record(out: &mut Vec<u8>, tenant: &str, traces: &[u8]) {
    let start = begin_spans_record(out, tenant);
    out.extend_from_slice(traces);
    finish_record(out, start);
}

/// Starts a spans record of `tenant` at the end of `out`: the frame (filled in by
/// [`finish_record`]), kind and tenant. Append the `TracesData` protobuf after it, then call
/// [`finish_record`] with the returned start.
pub fn begin_spans_record(out: &mut Vec<u8>, tenant: &str) -> usize {
    let start = out.len();
    out.extend_from_slice(&[0; FRAME_LEN]);
    out.push(KIND_SPANS);
    out.push(u8::try_from(tenant.len()).unwrap_or(u8::MAX));
    out.extend_from_slice(tenant.as_bytes());
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

/// One record read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpansRecord<'a> {
    /// The tenant the spans belong to.
    pub tenant: &'a str,
    /// OTLP `TracesData` protobuf.
    pub traces: &'a [u8],
}

/// Why a record frame was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameProblem {
    /// The frame header or payload is cut short by the end of the file.
    Truncated,
    /// A zero length (never written by this crate: a tail of zeros).
    ZeroLength,
    /// A length above [`MAX_RECORD_LEN`].
    TooLong(u32),
    /// The CRC does not match.
    Checksum,
    /// The CRC matched but the payload is not a record this version knows.
    Payload,
}

/// Reads the record at the start of `bytes`: the record and the bytes it took.
///
/// # Errors
///
/// The [`FrameProblem`] that makes the frame unreadable.
pub fn decode_record(bytes: &[u8]) -> Result<(SpansRecord<'_>, usize), FrameProblem> {
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
    let (&kind, rest) = payload.split_first().ok_or(FrameProblem::Payload)?;
    if kind != KIND_SPANS {
        return Err(FrameProblem::Payload);
    }
    let (&tenant_len, rest) = rest.split_first().ok_or(FrameProblem::Payload)?;
    let tenant_len = usize::from(tenant_len);
    if tenant_len == 0 || tenant_len > MAX_TENANT_LEN || rest.len() < tenant_len {
        return Err(FrameProblem::Payload);
    }
    let (tenant, traces) = rest.split_at(tenant_len);
    let tenant = std::str::from_utf8(tenant).map_err(|_| FrameProblem::Payload)?;
    Ok((SpansRecord { tenant, traces }, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_every_cut_is_detected() {
        let mut buf = Vec::new();
        encode_spans_record(&mut buf, "tenant-a", b"\x0a\x02\x08\x01");
        let (rec, used) = decode_record(&buf).expect("whole record");
        assert_eq!(used, buf.len());
        assert_eq!(rec.tenant, "tenant-a");
        assert_eq!(rec.traces, b"\x0a\x02\x08\x01");
        for cut in 0..buf.len() {
            assert!(decode_record(&buf[..cut]).is_err(), "cut at {cut}");
        }
        for i in 0..buf.len() {
            let mut bad = buf.clone();
            bad[i] ^= 0x40;
            assert!(decode_record(&bad).is_err(), "flip at {i}");
        }
        assert_eq!(decode_record(&[0; 16]), Err(FrameProblem::ZeroLength));
    }

    #[test]
    fn headers_check_magic_crc_version_and_sequence() {
        let h = encode_header(7);
        assert_eq!(decode_header(&h, 7), Ok(()));
        assert_eq!(decode_header(&h, 8), Err(HeaderProblem::Sequence(7)));
        assert_eq!(decode_header(&h[..19], 7), Err(HeaderProblem::Short));
        let mut bad = h;
        bad[0] = b'x';
        assert_eq!(decode_header(&bad, 7), Err(HeaderProblem::Magic));
        let mut bad = h;
        bad[9] ^= 1;
        assert_eq!(decode_header(&bad, 7), Err(HeaderProblem::Checksum));
    }

    #[test]
    fn segment_names() {
        assert_eq!(segment_name(12), "00000000000000000012.wal");
        assert_eq!(parse_segment_name("00000000000000000012.wal"), Some(12));
        assert_eq!(parse_segment_name("12.wal"), None);
        assert_eq!(parse_segment_name("00000000000000000012.tmp"), None);
    }
}
