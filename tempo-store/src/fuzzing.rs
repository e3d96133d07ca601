//! Entry points for the workspace's fuzz targets (`fuzz/`). Not part of the supported API.

use crate::ingest;
use crate::wal::format;

/// Reads `data` as a WAL segment the way replay does: header, then records until the first
/// bad frame, each record's spans decoded and split by trace. Must never panic.
pub fn wal_segment(data: &[u8]) {
    let sequence = data
        .get(8..16)
        .map_or(0, |b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])));
    let mut at = if store_wal::format::decode_header(data, format::MAGIC, sequence).is_ok() {
        format::HEADER_LEN
    } else {
        0
    };
    let limits = otlp_model::Limits::default();
    while let Some(rest) = data.get(at..) {
        if rest.is_empty() {
            break;
        }
        let Ok((payload, used)) = store_wal::format::decode_frame(rest) else {
            break;
        };
        let Ok(record) = format::decode_payload(payload) else {
            at += used;
            continue;
        };
        assert!(used > format::FRAME_LEN && used <= rest.len());
        if let Ok(traces) = otlp_model::decode_traces_data(record.traces, &limits)
            && let Ok((parts, _)) = ingest::split_by_trace(traces.resource_spans)
        {
            let mut again = Vec::new();
            let placed = ingest::encode_parts_into(&mut again, &parts);
            assert_eq!(placed.len(), parts.len());
            assert_eq!(placed.last().map_or(0, |p| p.range.end), again.len());
        }
        at += used;
    }
}
