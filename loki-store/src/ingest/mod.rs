//! What a push carries ([`PushStream`], [`PushEntry`]), what the store answers
//! ([`PushReport`], [`Rejection`]), and Loki's distributor rules for labels and entries.
//!
//! The checks run in Loki's order. For a stream: its labels parse (else the whole push is
//! refused), empty values are dropped, `service_name` is added, then at least one label,
//! `max_label_names_per_series` (not counting `service_name`), and per label in name order
//! the name length, the value length and duplicates. For an entry: too old, too new, line
//! size, then structured metadata (allowed, size, count). The ingester's checks (stream
//! limit, exact duplicate of the stream's last line, out-of-order window) follow in
//! [`crate::Store::push`].

pub mod messages;

use bytes::Bytes;
use loki_chunk::{ChunkError, LabelSet};

use crate::config::Limits;
use crate::error::RefusalKind;

/// The label Loki adds to streams without one.
pub const SERVICE_NAME_LABEL: &str = "service_name";

/// The `service_name` of streams none of whose `discover_service_name` labels is set.
pub const UNKNOWN_SERVICE: &str = "unknown_service";

/// One stream of a push: its labels in selector form and its entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushStream {
    /// The labels as Loki's push carries them: `{app="api", env="prod"}` (a JSON push's
    /// `stream` object printed this way).
    pub labels: String,
    /// The entries, in the order sent.
    pub entries: Vec<PushEntry>,
}

impl PushStream {
    /// A stream with `labels` (selector form) and `entries`.
    pub fn new(labels: impl Into<String>, entries: Vec<PushEntry>) -> Self {
        Self {
            labels: labels.into(),
            entries,
        }
    }
}

/// One log entry of a push.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushEntry {
    /// Timestamp, nanoseconds since the Unix epoch.
    pub ts: i64,
    /// The line (Loki does not require UTF-8).
    pub line: Bytes,
    /// Structured metadata `(name, value)` pairs. Names are normalised as Loki's distributor
    /// does (`service.name` becomes `service_name`).
    pub structured_metadata: Vec<(String, String)>,
}

impl PushEntry {
    /// An entry without structured metadata.
    pub fn new(ts: i64, line: impl Into<Bytes>) -> Self {
        Self {
            ts,
            line: line.into(),
            structured_metadata: Vec::new(),
        }
    }

    /// An entry with structured metadata.
    pub fn with_metadata(
        ts: i64,
        line: impl Into<Bytes>,
        metadata: impl IntoIterator<Item = (impl Into<String>, impl Into<String>)>,
    ) -> Self {
        Self {
            ts,
            line: line.into(),
            structured_metadata: metadata
                .into_iter()
                .map(|(n, v)| (n.into(), v.into()))
                .collect(),
        }
    }

    /// Bytes of structured metadata: names and values (Loki's `StructuredMetadataSize`).
    pub fn metadata_size(&self) -> usize {
        self.structured_metadata
            .iter()
            .map(|(n, v)| n.len() + v.len())
            .sum()
    }

    /// What the rate limits count: the line and its structured metadata (Loki's
    /// `EntryTotalSize`).
    pub fn total_size(&self) -> usize {
        self.line.len() + self.metadata_size()
    }
}

/// Why an entry was refused, as Loki's `loki_discarded_samples_total{reason}` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// The stream has no labels.
    MissingLabels,
    /// More than `max_label_names_per_series` labels.
    MaxLabelNamesPerSeries,
    /// A label name longer than `max_label_name_length`.
    LabelNameTooLong,
    /// A label value longer than `max_label_value_length`.
    LabelValueTooLong,
    /// The same label name twice.
    DuplicateLabelNames,
    /// Older than `reject_old_samples_max_age`.
    GreaterThanMaxSampleAge,
    /// Newer than now plus `creation_grace_period`.
    TooFarInFuture,
    /// A line longer than `max_line_size`.
    LineTooLong,
    /// Structured metadata while `allow_structured_metadata` is off.
    DisallowedStructuredMetadata,
    /// Structured metadata above `max_structured_metadata_size`.
    StructuredMetadataTooLarge,
    /// More structured-metadata pairs than `max_structured_metadata_entries_count`.
    StructuredMetadataTooMany,
    /// A new stream while the tenant is at its active-stream limit.
    StreamLimit,
    /// Older than the out-of-order window behind the stream's newest entry.
    TooFarBehind,
}

impl Reason {
    /// The reason label Loki uses in its discard metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MissingLabels => "missing_labels",
            Self::MaxLabelNamesPerSeries => "max_label_names_per_series",
            Self::LabelNameTooLong => "label_name_too_long",
            Self::LabelValueTooLong => "label_value_too_long",
            Self::DuplicateLabelNames => "duplicate_label_names",
            Self::GreaterThanMaxSampleAge => "greater_than_max_sample_age",
            Self::TooFarInFuture => "too_far_in_future",
            Self::LineTooLong => "line_too_long",
            Self::DisallowedStructuredMetadata => "disallowed_structured_metadata",
            Self::StructuredMetadataTooLarge => "structured_metadata_too_large",
            Self::StructuredMetadataTooMany => "structured_metadata_too_many",
            Self::StreamLimit => "stream_limit",
            Self::TooFarBehind => "too_far_behind",
        }
    }

    /// How a server answers a push with this refusal: 429 for the stream limit, 400 for the
    /// rest.
    pub fn kind(self) -> RefusalKind {
        match self {
            Self::StreamLimit => RefusalKind::RateLimited,
            _ => RefusalKind::BadRequest,
        }
    }

    /// Whether Loki's ingester (rather than its distributor) makes this refusal; the two
    /// report differently (see [`PushReport::loki_message`]).
    pub fn is_ingester(self) -> bool {
        matches!(self, Self::StreamLimit | Self::TooFarBehind)
    }
}

/// One refusal: an entry, or a whole stream (every entry of it).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rejection {
    /// Position of the stream in the push.
    pub stream_index: usize,
    /// The stream's labels as Loki prints them in the message (with `service_name` once it
    /// is known).
    pub stream: String,
    /// Position of the entry in its stream; `None` when the whole stream was refused.
    pub entry: Option<usize>,
    /// The entry's timestamp (ns); `None` for a whole stream.
    pub ts: Option<i64>,
    /// Entries refused: 1, or the stream's count.
    pub entries: usize,
    /// Bytes refused (lines and structured metadata).
    pub bytes: usize,
    /// Why.
    pub reason: Reason,
    /// Loki's text for this refusal.
    pub message: String,
}

/// What a push stored and what it refused. Refusals of single entries or streams do not
/// stop the rest of the push: everything not listed in `rejected` is stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PushReport {
    /// The tenant.
    pub tenant: String,
    /// Entries stored (made durable before the push returned).
    pub accepted: usize,
    /// Bytes of the entries stored (lines and structured metadata).
    pub accepted_bytes: usize,
    /// Entries dropped as exact duplicates (same stream, timestamp, line and metadata as one
    /// already stored); Loki drops them silently and so does the store, but counts them.
    pub duplicates: usize,
    /// Entries refused, with their reasons.
    pub rejected: Vec<Rejection>,
    /// Entries per stream of the push after the distributor's checks (what Loki's ingester
    /// receives; its refusal text counts against it).
    pub(crate) ingester_totals: Vec<usize>,
}

impl PushReport {
    /// Whether every entry was stored (or dropped as a duplicate).
    pub fn is_complete(&self) -> bool {
        self.rejected.is_empty()
    }

    /// Entries refused.
    pub fn rejected_entries(&self) -> usize {
        self.rejected.iter().map(|r| r.entries).sum()
    }

    /// How a server answers: `None` when nothing was refused (Loki's 204), else the status
    /// Loki would give (see [`PushReport::loki_message`] for which refusal decides it).
    pub fn kind(&self) -> Option<RefusalKind> {
        self.deciding().map(|(kind, _)| kind)
    }

    /// The text Loki answers a push with refusals with (`None` when there are none).
    ///
    /// As in Loki: when the ingester refused entries (out-of-order window, stream limit), the
    /// answer is the last such stream's refusal — for the window, one line per entry (at most
    /// ten) and the totals; otherwise the distributor's refusals, each distinct text once
    /// (`N errors like: …`, joined by `; `).
    pub fn loki_message(&self) -> Option<String> {
        self.deciding().map(|(_, text)| text)
    }

    fn deciding(&self) -> Option<(RefusalKind, String)> {
        if let Some(last) = self.rejected.iter().rev().find(|r| r.reason.is_ingester()) {
            let index = last.stream_index;
            if last.reason == Reason::StreamLimit {
                return Some((RefusalKind::RateLimited, last.message.clone()));
            }
            let refused: Vec<(i64, &str)> = self
                .rejected
                .iter()
                .filter(|r| r.stream_index == index && r.reason == Reason::TooFarBehind)
                .map(|r| (r.ts.unwrap_or_default(), r.message.as_str()))
                .collect();
            let total = self.ingester_totals.get(index).copied().unwrap_or(0);
            let text = messages::stream_entries_ignored(
                &self.tenant,
                &last.stream,
                total,
                refused.into_iter(),
            );
            return Some((RefusalKind::BadRequest, text));
        }
        if self.rejected.is_empty() {
            return None;
        }
        // One error per refusal: per entry, or once for a whole stream (as Loki counts them).
        let texts = self.rejected.iter().map(|r| r.message.as_str());
        Some((RefusalKind::BadRequest, messages::grouped(texts)))
    }
}

/// A stream's labels after the distributor's treatment.
#[derive(Debug, Clone)]
pub(crate) struct StreamLabels {
    pub(crate) labels: LabelSet,
    /// `labels` printed, the stream's identity in the store.
    pub(crate) text: String,
}

/// Why a stream's labels were refused: either the whole push (they do not parse) or the
/// stream.
#[derive(Debug)]
pub(crate) enum LabelProblem {
    /// The labels do not parse; Loki refuses the whole push.
    Unparsable(ChunkError),
    /// The stream is refused.
    Refused { reason: Reason, message: String },
}

/// Parses and checks a stream's labels as Loki's push parser and distributor do.
pub(crate) fn prepare_labels(raw: &str, limits: &Limits) -> Result<StreamLabels, LabelProblem> {
    let mut labels = match LabelSet::parse(raw) {
        Ok(l) => l,
        Err(e @ ChunkError::InvalidLabels { position, reason }) => {
            if reason == "duplicate label name" {
                let name: String = raw
                    .get(position..)
                    .unwrap_or_default()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                return Err(LabelProblem::Refused {
                    reason: Reason::DuplicateLabelNames,
                    message: messages::duplicate_label(raw, &name),
                });
            }
            return Err(LabelProblem::Unparsable(e));
        }
        Err(e) => return Err(LabelProblem::Unparsable(e)),
    };
    // Empty values are absent labels (Loki normalises them away before hashing).
    let empty: Vec<String> = labels
        .iter()
        .filter(|(_, v)| v.is_empty())
        .map(|(n, _)| n.to_owned())
        .collect();
    for name in empty {
        labels.remove(&name);
    }
    if labels.get(SERVICE_NAME_LABEL).is_none() && !limits.discover_service_name.is_empty() {
        let service = limits
            .discover_service_name
            .iter()
            .find_map(|name| labels.get(name).filter(|v| !v.is_empty()))
            .unwrap_or(UNKNOWN_SERVICE)
            .to_owned();
        // A constant, valid name.
        let _ = labels.insert(SERVICE_NAME_LABEL, service);
    }
    let text = labels.to_string();
    let refuse = |reason, message| Err(LabelProblem::Refused { reason, message });
    if labels.is_empty() {
        return refuse(Reason::MissingLabels, messages::MISSING_LABELS.to_owned());
    }
    let counted = labels.len() - usize::from(labels.get(SERVICE_NAME_LABEL).is_some());
    if counted > limits.max_label_names_per_series {
        return refuse(
            Reason::MaxLabelNamesPerSeries,
            messages::max_label_names(&text, counted, limits.max_label_names_per_series),
        );
    }
    for (name, value) in &labels {
        if name.len() > limits.max_label_name_length {
            return refuse(
                Reason::LabelNameTooLong,
                messages::label_name_too_long(&text, name),
            );
        }
        if value.len() > limits.max_label_value_length {
            return refuse(
                Reason::LabelValueTooLong,
                messages::label_value_too_long(&text, value),
            );
        }
    }
    Ok(StreamLabels { labels, text })
}

/// The distributor's checks of one entry, at `now_ns`.
pub(crate) fn check_entry(
    limits: &Limits,
    now_ns: i64,
    stream: &str,
    entry: &PushEntry,
) -> Result<(), (Reason, String)> {
    if limits.reject_old_samples {
        let max_age =
            i64::try_from(limits.reject_old_samples_max_age.as_nanos()).unwrap_or(i64::MAX);
        let oldest = now_ns.saturating_sub(max_age);
        if entry.ts < oldest {
            return Err((
                Reason::GreaterThanMaxSampleAge,
                messages::too_old(stream, entry.ts, oldest),
            ));
        }
    }
    let grace = i64::try_from(limits.creation_grace_period.as_nanos()).unwrap_or(i64::MAX);
    if entry.ts > now_ns.saturating_add(grace) {
        return Err((Reason::TooFarInFuture, messages::too_new(stream, entry.ts)));
    }
    if limits.max_line_size != 0 && entry.line.len() > limits.max_line_size {
        return Err((
            Reason::LineTooLong,
            messages::line_too_long(limits.max_line_size, stream, entry.line.len()),
        ));
    }
    let count = entry.structured_metadata.len();
    if count > 0 {
        if !limits.allow_structured_metadata {
            return Err((
                Reason::DisallowedStructuredMetadata,
                messages::structured_metadata_disallowed(stream),
            ));
        }
        let size = entry.metadata_size();
        let max = limits.max_structured_metadata_size;
        if max != 0 && size > max {
            return Err((
                Reason::StructuredMetadataTooLarge,
                messages::structured_metadata_too_large(stream, size, max),
            ));
        }
        let max = limits.max_structured_metadata_entries_count;
        if max != 0 && count > max {
            return Err((
                Reason::StructuredMetadataTooMany,
                messages::structured_metadata_too_many(stream, count, max),
            ));
        }
    }
    Ok(())
}

/// Normalises structured-metadata names as Loki's distributor does; of two pairs that end
/// up with one name, the later value wins (Loki builds a label set).
pub(crate) fn normalize_metadata(metadata: &mut Vec<(String, String)>) {
    let needs = metadata.iter().any(|(n, _)| {
        matches!(
            loki_chunk::symbols::normalize_name(n),
            std::borrow::Cow::Owned(_)
        )
    });
    let mut seen = std::collections::HashSet::new();
    let has_dupes = metadata.iter().any(|(n, _)| !seen.insert(n.as_str()));
    if !needs && !has_dupes {
        return;
    }
    let mut out: Vec<(String, String)> = Vec::with_capacity(metadata.len());
    for (name, value) in metadata.drain(..) {
        let name = loki_chunk::symbols::normalize_name(&name).into_owned();
        match out.iter_mut().find(|(n, _)| *n == name) {
            Some(pair) => pair.1 = value,
            None => out.push((name, value)),
        }
    }
    *metadata = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(raw: &str, limits: &Limits) -> (Reason, String) {
        match prepare_labels(raw, limits) {
            Err(LabelProblem::Refused { reason, message }) => (reason, message),
            other => panic!("{raw}: {other:?}"),
        }
    }

    #[test]
    fn labels_get_service_name_and_lose_empty_values() {
        let l = Limits::default();
        let p = prepare_labels(r#"{job="varlogs", app="api", env=""}"#, &l).expect("valid");
        assert_eq!(p.text, r#"{app="api", job="varlogs", service_name="api"}"#);
        let p = prepare_labels(r#"{env="prod"}"#, &l).expect("valid");
        assert_eq!(p.text, r#"{env="prod", service_name="unknown_service"}"#);
        let p = prepare_labels(r#"{service_name="mine", app="api"}"#, &l).expect("valid");
        assert_eq!(p.labels.get("service_name"), Some("mine"));
        let off = Limits {
            discover_service_name: Vec::new(),
            ..Limits::default()
        };
        let p = prepare_labels(r#"{app="api"}"#, &off).expect("valid");
        assert_eq!(p.text, r#"{app="api"}"#);
        assert_eq!(refused("{}", &off).0, Reason::MissingLabels);
        assert!(matches!(
            prepare_labels("{app=}", &l),
            Err(LabelProblem::Unparsable(_))
        ));
    }

    #[test]
    fn label_limits_with_loki_texts() {
        let l = Limits {
            max_label_names_per_series: 2,
            max_label_name_length: 12,
            max_label_value_length: 15,
            ..Limits::default()
        };
        let (reason, text) = refused(r#"{a="1", b="2", c="3"}"#, &l);
        assert_eq!(reason, Reason::MaxLabelNamesPerSeries);
        assert_eq!(
            text,
            r#"entry for stream '{a="1", b="2", c="3", service_name="unknown_service"}' has 3 label names; limit 2"#
        );
        let (reason, text) = refused(r#"{a_name_too_long="1"}"#, &l);
        assert_eq!(reason, Reason::LabelNameTooLong);
        assert!(
            text.ends_with("has label name too long: 'a_name_too_long'"),
            "{text}"
        );
        let (reason, _) = refused(r#"{a="a value too long"}"#, &l);
        assert_eq!(reason, Reason::LabelValueTooLong);
        let (reason, text) = refused(r#"{a="1", a="2"}"#, &l);
        assert_eq!(reason, Reason::DuplicateLabelNames);
        assert_eq!(
            text,
            r#"stream '{a="1", a="2"}' has duplicate label name: 'a'"#
        );
    }

    #[test]
    fn entry_checks_in_loki_order() {
        let l = Limits {
            max_line_size: 4,
            max_structured_metadata_entries_count: 1,
            ..Limits::default()
        };
        let now = 1_710_072_000_000_000_000;
        let s = r#"{app="x"}"#;
        let week = 7 * 24 * 3600 * 1_000_000_000i64;
        assert!(check_entry(&l, now, s, &PushEntry::new(now, "ok")).is_ok());
        let (r, text) = check_entry(&l, now, s, &PushEntry::new(now - week - 1, "x")).unwrap_err();
        assert_eq!(r, Reason::GreaterThanMaxSampleAge);
        assert_eq!(
            text,
            r#"entry for stream '{app="x"}' has timestamp too old: 2024-03-03T11:59:59Z, oldest acceptable timestamp is: 2024-03-03T12:00:00Z"#
        );
        let ten_min = 600 * 1_000_000_000i64;
        assert!(check_entry(&l, now, s, &PushEntry::new(now + ten_min, "x")).is_ok());
        let (r, _) = check_entry(&l, now, s, &PushEntry::new(now + ten_min + 1, "x")).unwrap_err();
        assert_eq!(r, Reason::TooFarInFuture);
        let (r, text) = check_entry(&l, now, s, &PushEntry::new(now, "12345")).unwrap_err();
        assert_eq!(r, Reason::LineTooLong);
        assert_eq!(
            text,
            r#"max entry size '4' bytes exceeded for stream '{app="x"}' while adding an entry with length '5' bytes"#
        );
        let e = PushEntry::with_metadata(now, "x", [("a", "1"), ("b", "2")]);
        assert_eq!(
            check_entry(&l, now, s, &e).unwrap_err().0,
            Reason::StructuredMetadataTooMany
        );
    }

    #[test]
    fn metadata_names_are_normalised() {
        let mut m = vec![
            ("service.name".to_owned(), "a".to_owned()),
            ("trace_id".to_owned(), "t".to_owned()),
            ("service_name".to_owned(), "b".to_owned()),
        ];
        normalize_metadata(&mut m);
        assert_eq!(
            m,
            [
                ("service_name".to_owned(), "b".to_owned()),
                ("trace_id".to_owned(), "t".to_owned())
            ]
        );
    }
}
