//! Loki's refusal texts, word for word, and the two Go time layouts they print timestamps in.
//!
//! Clients and dashboards match on these strings (and Loki's own tests do), so each one is
//! built in exactly one place here. Label sets print as Prometheus prints them
//! (`{a="1", b="2"}`, [`loki_chunk::LabelSet`]'s `Display`).

use std::fmt::Write as _;

/// `time.RFC3339` as Go formats a UTC time: `2024-06-01T00:00:00Z`, the fraction of the
/// second dropped (Go truncates, it does not round).
pub fn rfc3339(ns: i64) -> String {
    let (date, secs_of_day, _) = civil(ns);
    let (h, m, s) = (secs_of_day / 3600, secs_of_day / 60 % 60, secs_of_day % 60);
    format!("{date}T{h:02}:{m:02}:{s:02}Z")
}

/// `time.Time.String()` of a UTC time: `2024-06-01 00:00:00.5 +0000 UTC`, the fraction with
/// its trailing zeros dropped and left out when zero.
pub fn go_time_string(ns: i64) -> String {
    let (date, secs_of_day, nanos) = civil(ns);
    let (h, m, s) = (secs_of_day / 3600, secs_of_day / 60 % 60, secs_of_day % 60);
    let mut out = format!("{date} {h:02}:{m:02}:{s:02}");
    if nanos > 0 {
        let frac = format!("{nanos:09}");
        let _ = write!(out, ".{}", frac.trim_end_matches('0'));
    }
    out.push_str(" +0000 UTC");
    out
}

/// The date (`YYYY-MM-DD`), seconds into the day and nanoseconds into the second of `ns` since
/// the epoch, in the proleptic Gregorian calendar (days from civil, after H. Hinnant).
fn civil(ns: i64) -> (String, i64, i64) {
    let secs = ns.div_euclid(1_000_000_000);
    let nanos = ns.rem_euclid(1_000_000_000);
    let days = secs.div_euclid(86_400);
    let secs_of_day = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (format!("{year:04}-{month:02}-{day:02}"), secs_of_day, nanos)
}

/// `MissingLabelsErrorMsg`.
pub const MISSING_LABELS: &str = "error at least one label pair is required per stream";

/// `MissingStreamsErrorMsg` (a push without streams).
pub const MISSING_STREAMS: &str = "error at least one valid stream is required for ingestion";

/// `MaxLabelNamesPerSeriesErrorMsg`.
pub fn max_label_names(stream: &str, count: usize, limit: usize) -> String {
    format!("entry for stream '{stream}' has {count} label names; limit {limit}")
}

/// `LabelNameTooLongErrorMsg`.
pub fn label_name_too_long(stream: &str, name: &str) -> String {
    format!("stream '{stream}' has label name too long: '{name}'")
}

/// `LabelValueTooLongErrorMsg`.
pub fn label_value_too_long(stream: &str, value: &str) -> String {
    format!("stream '{stream}' has label value too long: '{value}'")
}

/// `DuplicateLabelNamesErrorMsg`.
pub fn duplicate_label(stream: &str, name: &str) -> String {
    format!("stream '{stream}' has duplicate label name: '{name}'")
}

/// `GreaterThanMaxSampleAgeErrorMsg`.
pub fn too_old(stream: &str, ts: i64, oldest: i64) -> String {
    format!(
        "entry for stream '{stream}' has timestamp too old: {}, oldest acceptable timestamp is: {}",
        rfc3339(ts),
        rfc3339(oldest)
    )
}

/// `TooFarInFutureErrorMsg`.
pub fn too_new(stream: &str, ts: i64) -> String {
    format!(
        "entry for stream '{stream}' has timestamp too new: {}",
        rfc3339(ts)
    )
}

/// `LineTooLongErrorMsg`.
pub fn line_too_long(limit: usize, stream: &str, len: usize) -> String {
    format!(
        "max entry size '{limit}' bytes exceeded for stream '{stream}' while adding an entry with length '{len}' bytes"
    )
}

/// `DisallowedStructuredMetadataErrorMsg`.
pub fn structured_metadata_disallowed(stream: &str) -> String {
    format!(
        "stream '{stream}' includes structured metadata, but this feature is disallowed. Please see `limits_config.allow_structured_metadata` or contact your Loki administrator to enable it"
    )
}

/// `StructuredMetadataTooLargeErrorMsg`.
pub fn structured_metadata_too_large(stream: &str, size: usize, limit: usize) -> String {
    format!(
        "stream '{stream}' has structured metadata too large: '{size}' bytes, limit: '{limit}' bytes. Please see `limits_config.max_structured_metadata_size` or contact your Loki administrator to increase it"
    )
}

/// `StructuredMetadataTooManyErrorMsg`.
pub fn structured_metadata_too_many(stream: &str, count: usize, limit: usize) -> String {
    format!(
        "stream '{stream}' has too many structured metadata labels: '{count}', limit: '{limit}'. Please see `limits_config.max_structured_metadata_entries_count` or contact your Loki administrator to increase it"
    )
}

/// `RateLimitedErrorMsg`.
pub fn rate_limited(tenant: &str, limit: u64, lines: usize, bytes: usize) -> String {
    format!(
        "ingestion rate limit exceeded for user {tenant} (limit: {limit} bytes/sec) while attempting to ingest '{lines}' lines totaling '{bytes}' bytes, reduce log volume or contact your Loki administrator to see if the limit can be increased"
    )
}

/// `StreamLimitErrorMsg`.
pub fn stream_limit(stream: &str, tenant: &str) -> String {
    format!(
        "maximum active stream limit exceeded when trying to create stream {stream}, reduce the number of active streams (reduce labels or reduce label values), or contact your Loki administrator to see if the limit can be increased, user: '{tenant}'"
    )
}

/// `ErrTooFarBehind`'s text.
pub fn too_far_behind(ts: i64, cutoff: i64) -> String {
    format!(
        "entry too far behind, entry timestamp is: {}, oldest acceptable timestamp is: {}",
        rfc3339(ts),
        rfc3339(cutoff)
    )
}

/// How many entries one stream's refusal lists at most (Loki's `max_returned_stream_errors`).
pub const MAX_RETURNED_STREAM_ERRORS: usize = 10;

/// The ingester's refusal of some entries of one stream: one line per refused entry (at most
/// [`MAX_RETURNED_STREAM_ERRORS`]), then the totals.
pub fn stream_entries_ignored<'a>(
    tenant: &str,
    stream: &str,
    total: usize,
    refused: impl ExactSizeIterator<Item = (i64, &'a str)>,
) -> String {
    let count = refused.len();
    let mut out = String::new();
    for (ts, reason) in refused.take(MAX_RETURNED_STREAM_ERRORS) {
        let _ = writeln!(
            out,
            "entry with timestamp {} ignored, reason: '{reason}',",
            go_time_string(ts)
        );
    }
    let _ = write!(
        out,
        "user '{tenant}', total ignored: {count} out of {total} for stream: {stream}"
    );
    out
}

/// Loki's `GroupedErrors` text for the distributor's refusals: each distinct message once, in
/// first-seen order, joined by `; `, prefixed `N errors like: ` unless there is just one
/// refusal.
pub fn grouped<'a>(messages: impl IntoIterator<Item = &'a str>) -> String {
    let mut groups: Vec<(&str, usize)> = Vec::new();
    for m in messages {
        match groups.iter_mut().find(|(g, _)| *g == m) {
            Some((_, n)) => *n += 1,
            None => groups.push((m, 1)),
        }
    }
    let several = groups.len() > 1;
    let mut out = String::new();
    for (i, (m, n)) in groups.iter().enumerate() {
        if i > 0 {
            out.push_str("; ");
        }
        if several || *n > 1 {
            let _ = write!(out, "{n} errors like: ");
        }
        out.push_str(m);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_time_layouts() {
        // 2024-03-10T12:00:00Z
        let t = 1_710_072_000_000_000_000;
        assert_eq!(rfc3339(t), "2024-03-10T12:00:00Z");
        assert_eq!(rfc3339(t + 999_999_999), "2024-03-10T12:00:00Z");
        assert_eq!(go_time_string(t), "2024-03-10 12:00:00 +0000 UTC");
        assert_eq!(
            go_time_string(t + 500_000_000),
            "2024-03-10 12:00:00.5 +0000 UTC"
        );
        assert_eq!(
            go_time_string(t + 123_456_789),
            "2024-03-10 12:00:00.123456789 +0000 UTC"
        );
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
        assert_eq!(rfc3339(951_782_400_000_000_000), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn grouping_as_loki_does() {
        assert_eq!(grouped(["a"]), "a");
        assert_eq!(grouped(["a", "a"]), "2 errors like: a");
        assert_eq!(
            grouped(["a", "b", "a"]),
            "2 errors like: a; 1 errors like: b"
        );
    }

    #[test]
    fn ingester_refusal_block() {
        let t = 1_710_072_000_000_000_000;
        let text = stream_entries_ignored(
            "fake",
            r#"{app="x"}"#,
            2,
            [(t, "entry too far behind")].into_iter(),
        );
        assert_eq!(
            text,
            "entry with timestamp 2024-03-10 12:00:00 +0000 UTC ignored, reason: 'entry too far behind',\nuser 'fake', total ignored: 1 out of 2 for stream: {app=\"x\"}"
        );
    }
}
