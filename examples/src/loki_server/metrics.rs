//! The server's Prometheus metrics (`GET /metrics`, OpenMetrics text).
//!
//! | metric | labels | what |
//! | --- | --- | --- |
//! | `loki_distributor_lines_received_total` | `format`, `tenant` | entries stored (made durable) |
//! | `loki_distributor_bytes_received_total` | `format`, `tenant` | their lines and structured metadata, in bytes |
//! | `loki_discarded_samples_total` | `reason`, `tenant` | entries refused, by Loki's discard reason (`line_too_long`, `too_far_behind`, `rate_limited`, …) |
//! | `loki_discarded_bytes_total` | `reason`, `tenant` | their size |
//! | `loki_push_refused_requests_total` | `format`, `reason` | push requests refused whole (malformed body, too large, no tenant, store refusal) |
//! | `loki_ingester_memory_streams` | `tenant` | streams with data in memory |
//! | `loki_ingester_memory_chunks` | `tenant` | chunks in memory (open and waiting for their flush) |
//! | `loki_ingester_wal_bytes` | | size of the write-ahead log |
//! | `loki_querier_chunks_skipped_total` | `reason` | chunks a query left out (`missing`, `unreadable`, `corrupt`) and went on without |
//! | `loki_request_duration_seconds` | `route`, `status_code` | request latency (histogram) |
//!
//! The names follow Loki's where Loki has one, with a `format` label (`loki_json`,
//! `loki_protobuf`, `otlp`) on the ingest counters.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels: push format and tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct FormatTenant {
    format: &'static str,
    tenant: String,
}

/// Labels: discard reason and tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ReasonTenant {
    reason: &'static str,
    tenant: String,
}

/// Labels: push format and refusal reason.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct FormatReason {
    format: &'static str,
    reason: &'static str,
}

/// Labels: a reason.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ReasonLabel {
    reason: &'static str,
}

/// Labels: tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct TenantLabel {
    tenant: String,
}

/// Labels: route and HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RouteStatus {
    route: String,
    status_code: u16,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms … ~16 s.
    Histogram::new(exponential_buckets(0.000_5, 2.0, 16))
}

/// What one tenant holds in memory, for the gauges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantGauges {
    /// The tenant.
    pub tenant: String,
    /// Streams with data in memory.
    pub streams: u64,
    /// Chunks in memory.
    pub chunks: u64,
}

/// Every metric the server keeps.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    lines_received: Family<FormatTenant, Counter>,
    bytes_received: Family<FormatTenant, Counter>,
    discarded_samples: Family<ReasonTenant, Counter>,
    discarded_bytes: Family<ReasonTenant, Counter>,
    refused_requests: Family<FormatReason, Counter>,
    memory_streams: Family<TenantLabel, Gauge>,
    memory_chunks: Family<TenantLabel, Gauge>,
    wal_bytes: Gauge,
    chunks_skipped: Family<ReasonLabel, Counter>,
    request_duration: Family<RouteStatus, Histogram, fn() -> Histogram>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry holding every metric, all at zero.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let lines_received = Family::<FormatTenant, Counter>::default();
        let bytes_received = Family::<FormatTenant, Counter>::default();
        let discarded_samples = Family::<ReasonTenant, Counter>::default();
        let discarded_bytes = Family::<ReasonTenant, Counter>::default();
        let refused_requests = Family::<FormatReason, Counter>::default();
        let memory_streams = Family::<TenantLabel, Gauge>::default();
        let memory_chunks = Family::<TenantLabel, Gauge>::default();
        let wal_bytes = Gauge::default();
        let chunks_skipped = Family::<ReasonLabel, Counter>::default();
        let request_duration: Family<RouteStatus, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        // prometheus-client adds `_total` to counters.
        registry.register(
            "loki_distributor_lines_received",
            "Entries received and stored, by push format and tenant",
            lines_received.clone(),
        );
        registry.register(
            "loki_distributor_bytes_received",
            "Bytes of lines and structured metadata received and stored, by push format and tenant",
            bytes_received.clone(),
        );
        registry.register(
            "loki_discarded_samples",
            "Entries refused, by discard reason and tenant",
            discarded_samples.clone(),
        );
        registry.register(
            "loki_discarded_bytes",
            "Bytes of entries refused, by discard reason and tenant",
            discarded_bytes.clone(),
        );
        registry.register(
            "loki_push_refused_requests",
            "Push requests refused whole, by push format and reason",
            refused_requests.clone(),
        );
        registry.register(
            "loki_ingester_memory_streams",
            "Streams with data in memory, by tenant",
            memory_streams.clone(),
        );
        registry.register(
            "loki_ingester_memory_chunks",
            "Chunks in memory (open or waiting for their flush), by tenant",
            memory_chunks.clone(),
        );
        registry.register(
            "loki_ingester_wal_bytes",
            "Size of the write-ahead log in bytes",
            wal_bytes.clone(),
        );
        registry.register(
            "loki_querier_chunks_skipped",
            "Chunks left out of queries because they were missing, unreadable or corrupt",
            chunks_skipped.clone(),
        );
        registry.register(
            "loki_request_duration_seconds",
            "Time to answer a request, by route and status code",
            request_duration.clone(),
        );
        Self {
            registry,
            lines_received,
            bytes_received,
            discarded_samples,
            discarded_bytes,
            refused_requests,
            memory_streams,
            memory_chunks,
            wal_bytes,
            chunks_skipped,
            request_duration,
        }
    }

    /// Counts stored entries.
    pub fn received(&self, format: &'static str, tenant: &str, lines: usize, bytes: usize) {
        let labels = FormatTenant {
            format,
            tenant: tenant.to_owned(),
        };
        self.lines_received
            .get_or_create(&labels)
            .inc_by(as_u64(lines));
        self.bytes_received
            .get_or_create(&labels)
            .inc_by(as_u64(bytes));
    }

    /// Counts refused entries.
    pub fn discarded(&self, reason: &'static str, tenant: &str, entries: usize, bytes: usize) {
        let labels = ReasonTenant {
            reason,
            tenant: tenant.to_owned(),
        };
        self.discarded_samples
            .get_or_create(&labels)
            .inc_by(as_u64(entries));
        self.discarded_bytes
            .get_or_create(&labels)
            .inc_by(as_u64(bytes));
    }

    /// Counts a push refused whole.
    pub fn refused(&self, format: &'static str, reason: &'static str) {
        self.refused_requests
            .get_or_create(&FormatReason { format, reason })
            .inc();
    }

    /// Counts chunks a query left out.
    pub fn chunks_skipped(&self, reason: &'static str, chunks: usize) {
        self.chunks_skipped
            .get_or_create(&ReasonLabel { reason })
            .inc_by(as_u64(chunks));
    }

    /// Records the time a request took.
    pub fn observe_request(&self, route: &str, status_code: u16, elapsed: Duration) {
        self.request_duration
            .get_or_create(&RouteStatus {
                route: route.to_owned(),
                status_code,
            })
            .observe(elapsed.as_secs_f64());
    }

    /// Sets the store gauges (tenants not listed are dropped).
    pub fn set_store_gauges(&self, wal_bytes: u64, tenants: &[TenantGauges]) {
        self.wal_bytes.set(as_i64(wal_bytes));
        self.memory_streams.clear();
        self.memory_chunks.clear();
        for t in tenants {
            let labels = TenantLabel {
                tenant: t.tenant.clone(),
            };
            self.memory_streams
                .get_or_create(&labels)
                .set(as_i64(t.streams));
            self.memory_chunks
                .get_or_create(&labels)
                .set(as_i64(t.chunks));
        }
    }

    /// The OpenMetrics text of every metric.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// The content type of [`Metrics::encode`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

fn as_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

fn as_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_are_encoded_with_their_labels() {
        let m = Metrics::new();
        m.received("loki_json", "fake", 3, 300);
        m.discarded("line_too_long", "fake", 2, 20);
        m.refused("loki_protobuf", "malformed");
        m.chunks_skipped("corrupt", 1);
        m.observe_request("/loki/api/v1/push", 204, Duration::from_millis(3));
        m.set_store_gauges(
            1234,
            &[TenantGauges {
                tenant: "fake".into(),
                streams: 5,
                chunks: 6,
            }],
        );
        let text = m.encode();
        for line in [
            r#"loki_distributor_lines_received_total{format="loki_json",tenant="fake"} 3"#,
            r#"loki_distributor_bytes_received_total{format="loki_json",tenant="fake"} 300"#,
            r#"loki_discarded_samples_total{reason="line_too_long",tenant="fake"} 2"#,
            r#"loki_discarded_bytes_total{reason="line_too_long",tenant="fake"} 20"#,
            r#"loki_push_refused_requests_total{format="loki_protobuf",reason="malformed"} 1"#,
            r#"loki_querier_chunks_skipped_total{reason="corrupt"} 1"#,
            r#"loki_ingester_memory_streams{tenant="fake"} 5"#,
            r#"loki_ingester_memory_chunks{tenant="fake"} 6"#,
            "loki_ingester_wal_bytes 1234",
            r#"loki_request_duration_seconds_count{route="/loki/api/v1/push",status_code="204"} 1"#,
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from\n{text}"
            );
        }
    }
}
