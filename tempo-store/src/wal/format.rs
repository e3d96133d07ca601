//! The payload of this store's WAL records, written down once (the segment and frame layout
//! around it is [`store_wal::format`]'s).
//!
//! ```text
//! segment magic := "TSWAL\0"
//! payload       := kind u8 (1 = spans) | tenant length u8 | tenant (1..=150 bytes, UTF-8)
//!                  | OTLP TracesData protobuf (the rest)
//! ```
//!
//! Version 1 of the segment format is the only one; a payload of another kind is refused at
//! replay and reported as damage.

pub use store_wal::format::{FRAME_LEN, HEADER_LEN, MAX_RECORD_LEN, finish_record};

/// The six bytes every segment of this store's log starts with.
pub const MAGIC: [u8; 6] = *b"TSWAL\0";

/// Record kind: OTLP spans of one tenant.
pub const KIND_SPANS: u8 = 1;

/// The longest tenant ID a record holds (Tempo's limit).
pub const MAX_TENANT_LEN: usize = 150;

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
    let start = store_wal::format::begin_record(out);
    out.push(KIND_SPANS);
    out.push(u8::try_from(tenant.len()).unwrap_or(u8::MAX));
    out.extend_from_slice(tenant.as_bytes());
    start
}

/// One record's payload read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpansRecord<'a> {
    /// The tenant the spans belong to.
    pub tenant: &'a str,
    /// OTLP `TracesData` protobuf.
    pub traces: &'a [u8],
}

/// Reads a record's payload.
///
/// # Errors
///
/// A text saying what is wrong: an unknown kind, or a tenant that is empty, too long, cut
/// short or not UTF-8.
pub fn decode_payload(payload: &[u8]) -> Result<SpansRecord<'_>, &'static str> {
    let (&kind, rest) = payload.split_first().ok_or("empty record payload")?;
    if kind != KIND_SPANS {
        return Err("record payload of an unknown kind");
    }
    let (&tenant_len, rest) = rest.split_first().ok_or("record payload cut short")?;
    let tenant_len = usize::from(tenant_len);
    if tenant_len == 0 || tenant_len > MAX_TENANT_LEN || rest.len() < tenant_len {
        return Err("record tenant ID empty, too long or cut short");
    }
    let (tenant, traces) = rest.split_at(tenant_len);
    let tenant = std::str::from_utf8(tenant).map_err(|_| "record tenant ID is not UTF-8")?;
    Ok(SpansRecord { tenant, traces })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_bad_payloads_are_refused() {
        let mut buf = Vec::new();
        encode_spans_record(&mut buf, "tenant-a", b"\x0a\x02\x08\x01");
        let (payload, used) = store_wal::format::decode_frame(&buf).expect("whole record");
        assert_eq!(used, buf.len());
        let rec = decode_payload(payload).expect("spans record");
        assert_eq!(rec.tenant, "tenant-a");
        assert_eq!(rec.traces, b"\x0a\x02\x08\x01");
        assert!(decode_payload(b"").is_err());
        assert!(decode_payload(b"\x02\x01a").is_err());
        assert!(decode_payload(b"\x01\x00").is_err());
        assert!(decode_payload(b"\x01\x05ab").is_err());
        assert!(decode_payload(b"\x01\x01\xff").is_err());
    }
}
