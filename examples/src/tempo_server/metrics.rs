//! The server's Prometheus metrics (`GET /metrics`, OpenMetrics text).
//!
//! | metric | labels | what |
//! | --- | --- | --- |
//! | `tempo_distributor_spans_received_total` | `protocol`, `tenant` | spans accepted (stored durably) |
//! | `tempo_distributor_bytes_received_total` | `protocol`, `tenant` | their size as the store counts it |
//! | `tempo_discarded_spans_total` | `reason`, `tenant` | spans of batches the store refused, by Tempo's discard reason (`rate_limited`, `live_traces_exceeded`, `trace_too_large`, …) |
//! | `tempo_receiver_refused_requests_total` | `protocol`, `reason` | requests refused, whatever the cause (malformed body, too large, no tenant, store refusal; gRPC messages over the size limit are refused by the transport before they reach the receiver, and are not counted) |
//! | `tempo_live_store_live_traces` | `tenant` | traces in memory, not yet cut |
//! | `tempo_live_store_blocks` | `tenant` | blocks the store knows |
//! | `tempo_live_store_wal_bytes` | | size of the write-ahead log |
//! | `tempo_request_duration_seconds` | `route`, `status_code` | query API latency (histogram) |
//!
//! The names follow Tempo's where Tempo has one (`tempo_distributor_spans_received_total`,
//! `tempo_discarded_spans_total`, `tempo_request_duration_seconds`), with a `protocol`
//! label added.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels: receiver protocol and tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ProtocolTenant {
    protocol: &'static str,
    tenant: String,
}

/// Labels: discard reason and tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ReasonTenant {
    reason: &'static str,
    tenant: String,
}

/// Labels: receiver protocol and refusal reason.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ProtocolReason {
    protocol: &'static str,
    reason: &'static str,
}

/// Labels: tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct TenantLabel {
    tenant: String,
}

/// Labels: query route and HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RouteStatus {
    route: String,
    status_code: u16,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms … ~16 s.
    Histogram::new(exponential_buckets(0.000_5, 2.0, 16))
}

/// What one tenant's part of the store holds, for the gauges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantGauges {
    /// The tenant.
    pub tenant: String,
    /// Traces in memory.
    pub live_traces: u64,
    /// Blocks known.
    pub blocks: u64,
}

/// Every metric the server keeps.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    spans_received: Family<ProtocolTenant, Counter>,
    bytes_received: Family<ProtocolTenant, Counter>,
    discarded_spans: Family<ReasonTenant, Counter>,
    refused_requests: Family<ProtocolReason, Counter>,
    live_traces: Family<TenantLabel, Gauge>,
    blocks: Family<TenantLabel, Gauge>,
    wal_bytes: Gauge,
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
        let spans_received = Family::<ProtocolTenant, Counter>::default();
        let bytes_received = Family::<ProtocolTenant, Counter>::default();
        let discarded_spans = Family::<ReasonTenant, Counter>::default();
        let refused_requests = Family::<ProtocolReason, Counter>::default();
        let live_traces = Family::<TenantLabel, Gauge>::default();
        let blocks = Family::<TenantLabel, Gauge>::default();
        let wal_bytes = Gauge::default();
        let request_duration: Family<RouteStatus, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        // prometheus-client adds `_total` to counters.
        registry.register(
            "tempo_distributor_spans_received",
            "Spans received and stored, by receiver protocol and tenant",
            spans_received.clone(),
        );
        registry.register(
            "tempo_distributor_bytes_received",
            "Bytes of spans received and stored, by receiver protocol and tenant",
            bytes_received.clone(),
        );
        registry.register(
            "tempo_discarded_spans",
            "Spans refused by the store, by discard reason and tenant",
            discarded_spans.clone(),
        );
        registry.register(
            "tempo_receiver_refused_requests",
            "Requests refused, by receiver protocol and reason",
            refused_requests.clone(),
        );
        registry.register(
            "tempo_live_store_live_traces",
            "Traces in memory, not yet cut to a block, by tenant",
            live_traces.clone(),
        );
        registry.register(
            "tempo_live_store_blocks",
            "Blocks the store knows, by tenant",
            blocks.clone(),
        );
        registry.register(
            "tempo_live_store_wal_bytes",
            "Size of the write-ahead log in bytes",
            wal_bytes.clone(),
        );
        registry.register(
            "tempo_request_duration_seconds",
            "Time to answer a query API request, by route and status code",
            request_duration.clone(),
        );
        Self {
            registry,
            spans_received,
            bytes_received,
            discarded_spans,
            refused_requests,
            live_traces,
            blocks,
            wal_bytes,
            request_duration,
        }
    }

    /// Counts a stored batch.
    pub fn received(&self, protocol: &'static str, tenant: &str, spans: usize, bytes: usize) {
        let labels = ProtocolTenant {
            protocol,
            tenant: tenant.to_owned(),
        };
        self.spans_received
            .get_or_create(&labels)
            .inc_by(as_u64(spans));
        self.bytes_received
            .get_or_create(&labels)
            .inc_by(as_u64(bytes));
    }

    /// Counts `spans` spans the store refused for `reason`.
    pub fn discarded(&self, reason: &'static str, tenant: &str, spans: usize) {
        self.discarded_spans
            .get_or_create(&ReasonTenant {
                reason,
                tenant: tenant.to_owned(),
            })
            .inc_by(as_u64(spans));
    }

    /// Counts a refused request.
    pub fn refused(&self, protocol: &'static str, reason: &'static str) {
        self.refused_requests
            .get_or_create(&ProtocolReason { protocol, reason })
            .inc();
    }

    /// Records the time a query API request took.
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
        self.live_traces.clear();
        self.blocks.clear();
        for t in tenants {
            let labels = TenantLabel {
                tenant: t.tenant.clone(),
            };
            self.live_traces
                .get_or_create(&labels)
                .set(as_i64(t.live_traces));
            self.blocks.get_or_create(&labels).set(as_i64(t.blocks));
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
        m.received("otlp_grpc", "t1", 3, 300);
        m.discarded("rate_limited", "t1", 2);
        m.refused("zipkin", "malformed");
        m.observe_request("/api/traces/{id}", 200, Duration::from_millis(3));
        m.set_store_gauges(
            1234,
            &[TenantGauges {
                tenant: "t1".into(),
                live_traces: 5,
                blocks: 2,
            }],
        );
        let text = m.encode();
        for line in [
            r#"tempo_distributor_spans_received_total{protocol="otlp_grpc",tenant="t1"} 3"#,
            r#"tempo_distributor_bytes_received_total{protocol="otlp_grpc",tenant="t1"} 300"#,
            r#"tempo_discarded_spans_total{reason="rate_limited",tenant="t1"} 2"#,
            r#"tempo_receiver_refused_requests_total{protocol="zipkin",reason="malformed"} 1"#,
            r#"tempo_live_store_live_traces{tenant="t1"} 5"#,
            r#"tempo_live_store_blocks{tenant="t1"} 2"#,
            "tempo_live_store_wal_bytes 1234",
            r#"tempo_request_duration_seconds_count{route="/api/traces/{id}",status_code="200"} 1"#,
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from\n{text}"
            );
        }
        assert!(text.ends_with("# EOF\n"));
    }
}
