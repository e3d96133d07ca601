//! Tempo's YAML configuration file: the subset this server reads, with Tempo's names, and
//! the walk that names every option it does not read.

use std::path::PathBuf;

use serde::Deserialize;
use serde::de::Deserializer;

pub(crate) use crate::server_config::yaml::{GoDuration, Known, expand_env, unknown_keys};

/// `Some` for a key that is present, with its block's defaults when it has no value
/// (`grpc:`), and (through `#[serde(default)]`) `None` when the key is absent: in Tempo a
/// receiver or protocol is enabled by being present, even empty.
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Option::<T>::deserialize(deserializer).map(|block| Some(block.unwrap_or_default()))
}

/// The top level of `tempo.yaml`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct FileConfig {
    pub(crate) multitenancy_enabled: Option<bool>,
    pub(crate) server: Option<ServerSection>,
    pub(crate) distributor: Option<DistributorSection>,
    pub(crate) live_store: Option<CutSection>,
    pub(crate) ingester: Option<CutSection>,
    pub(crate) storage: Option<StorageSection>,
    pub(crate) overrides: Option<OverridesSection>,
}

/// `server:` (dskit's server block).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ServerSection {
    pub(crate) http_listen_address: Option<String>,
    pub(crate) http_listen_port: Option<u16>,
    pub(crate) graceful_shutdown_timeout: Option<GoDuration>,
}

/// `distributor:`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DistributorSection {
    #[serde(deserialize_with = "present")]
    pub(crate) receivers: Option<ReceiversSection>,
}

/// `distributor.receivers:` (the OpenTelemetry Collector's receiver blocks).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ReceiversSection {
    #[serde(deserialize_with = "present")]
    pub(crate) otlp: Option<OtlpSection>,
    #[serde(deserialize_with = "present")]
    pub(crate) jaeger: Option<JaegerSection>,
    #[serde(deserialize_with = "present")]
    pub(crate) zipkin: Option<HttpEndpoint>,
}

/// `otlp:`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct OtlpSection {
    pub(crate) protocols: Option<OtlpProtocols>,
}

/// `otlp.protocols:`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct OtlpProtocols {
    #[serde(deserialize_with = "present")]
    pub(crate) grpc: Option<GrpcEndpoint>,
    #[serde(deserialize_with = "present")]
    pub(crate) http: Option<HttpEndpoint>,
}

/// `jaeger:`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct JaegerSection {
    pub(crate) protocols: Option<JaegerProtocols>,
}

/// `jaeger.protocols:` (Tempo's names, hence the common prefix).
#[allow(clippy::struct_field_names)]
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct JaegerProtocols {
    #[serde(deserialize_with = "present")]
    pub(crate) thrift_http: Option<HttpEndpoint>,
    #[serde(deserialize_with = "present")]
    pub(crate) thrift_compact: Option<UdpEndpoint>,
    #[serde(deserialize_with = "present")]
    pub(crate) thrift_binary: Option<UdpEndpoint>,
}

/// A gRPC receiver (`configgrpc.ServerConfig`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct GrpcEndpoint {
    pub(crate) endpoint: Option<String>,
    pub(crate) max_recv_msg_size_mib: Option<u64>,
}

/// An HTTP receiver (`confighttp.ServerConfig`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct HttpEndpoint {
    pub(crate) endpoint: Option<String>,
    pub(crate) max_request_body_size: Option<u64>,
}

/// A Jaeger agent UDP receiver.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct UdpEndpoint {
    pub(crate) endpoint: Option<String>,
    pub(crate) max_packet_size: Option<u64>,
}

/// `live_store:` (Tempo 3) or `ingester:` (Tempo 2): when traces and blocks are cut.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CutSection {
    pub(crate) max_trace_idle: Option<GoDuration>,
    /// Tempo 2's name for `max_trace_idle` (`ingester.trace_idle_period`).
    pub(crate) trace_idle_period: Option<GoDuration>,
    pub(crate) max_trace_live: Option<GoDuration>,
    pub(crate) max_block_duration: Option<GoDuration>,
    pub(crate) max_block_bytes: Option<u64>,
    pub(crate) complete_block_timeout: Option<GoDuration>,
    pub(crate) wal: Option<PathSection>,
}

/// `storage:`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct StorageSection {
    pub(crate) trace: Option<TraceStorageSection>,
}

/// `storage.trace:`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct TraceStorageSection {
    pub(crate) backend: Option<String>,
    pub(crate) local: Option<PathSection>,
    pub(crate) wal: Option<PathSection>,
    pub(crate) blocklist_poll: Option<GoDuration>,
    pub(crate) s3: Option<S3Section>,
    pub(crate) gcs: Option<GcsSection>,
    pub(crate) azure: Option<AzureSection>,
}

/// A block with a `path:`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct PathSection {
    pub(crate) path: Option<PathBuf>,
}

/// `storage.trace.s3:`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct S3Section {
    pub(crate) bucket: Option<String>,
    pub(crate) prefix: Option<String>,
    pub(crate) endpoint: Option<String>,
    pub(crate) region: Option<String>,
    pub(crate) access_key: Option<String>,
    pub(crate) secret_key: Option<String>,
    pub(crate) insecure: Option<bool>,
    pub(crate) forcepathstyle: Option<bool>,
}

/// `storage.trace.gcs:`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct GcsSection {
    pub(crate) bucket_name: Option<String>,
    pub(crate) prefix: Option<String>,
}

/// `storage.trace.azure:`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct AzureSection {
    pub(crate) container_name: Option<String>,
    pub(crate) prefix: Option<String>,
    pub(crate) storage_account_name: Option<String>,
    pub(crate) storage_account_key: Option<String>,
}

/// `overrides:`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct OverridesSection {
    pub(crate) defaults: Option<LimitsSection>,
    pub(crate) per_tenant_override_config: Option<PathBuf>,
}

/// One tenant's limits, in Tempo's (new-style) overrides layout.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub(crate) struct LimitsSection {
    pub(crate) ingestion: Option<IngestionLimits>,
    pub(crate) global: Option<GlobalLimits>,
}

/// `overrides.defaults.ingestion:`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub(crate) struct IngestionLimits {
    pub(crate) rate_limit_bytes: Option<u64>,
    pub(crate) burst_size_bytes: Option<u64>,
    pub(crate) max_traces_per_user: Option<u64>,
}

/// `overrides.defaults.global:`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub(crate) struct GlobalLimits {
    pub(crate) max_bytes_per_trace: Option<u64>,
}

/// The per-tenant overrides file (`overrides.per_tenant_override_config`):
/// `overrides: {<tenant>: {ingestion: …, global: …}}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct PerTenantFile {
    pub(crate) overrides: Option<std::collections::BTreeMap<String, Option<LimitsSection>>>,
}

const HTTP_ENDPOINT: Known = Known::Block(&[
    ("endpoint", Known::Leaf),
    ("max_request_body_size", Known::Leaf),
]);
const GRPC_ENDPOINT: Known = Known::Block(&[
    ("endpoint", Known::Leaf),
    ("max_recv_msg_size_mib", Known::Leaf),
]);
const UDP_ENDPOINT: Known =
    Known::Block(&[("endpoint", Known::Leaf), ("max_packet_size", Known::Leaf)]);
const PATH: Known = Known::Block(&[("path", Known::Leaf)]);
const CUT: Known = Known::Block(&[
    ("max_trace_idle", Known::Leaf),
    ("trace_idle_period", Known::Leaf),
    ("max_trace_live", Known::Leaf),
    ("max_block_duration", Known::Leaf),
    ("max_block_bytes", Known::Leaf),
    ("complete_block_timeout", Known::Leaf),
    ("wal", PATH),
]);
const LIMITS: &[(&str, Known)] = &[
    (
        "ingestion",
        Known::Block(&[
            ("rate_limit_bytes", Known::Leaf),
            ("burst_size_bytes", Known::Leaf),
            ("max_traces_per_user", Known::Leaf),
        ]),
    ),
    (
        "global",
        Known::Block(&[("max_bytes_per_trace", Known::Leaf)]),
    ),
];

/// Every option of `tempo.yaml` this server reads.
pub(crate) const KNOWN: Known = Known::Block(&[
    ("multitenancy_enabled", Known::Leaf),
    (
        "server",
        Known::Block(&[
            ("http_listen_address", Known::Leaf),
            ("http_listen_port", Known::Leaf),
            ("graceful_shutdown_timeout", Known::Leaf),
        ]),
    ),
    (
        "distributor",
        Known::Block(&[(
            "receivers",
            Known::Block(&[
                (
                    "otlp",
                    Known::Block(&[(
                        "protocols",
                        Known::Block(&[("grpc", GRPC_ENDPOINT), ("http", HTTP_ENDPOINT)]),
                    )]),
                ),
                (
                    "jaeger",
                    Known::Block(&[(
                        "protocols",
                        Known::Block(&[
                            ("thrift_http", HTTP_ENDPOINT),
                            ("thrift_compact", UDP_ENDPOINT),
                            ("thrift_binary", UDP_ENDPOINT),
                        ]),
                    )]),
                ),
                ("zipkin", HTTP_ENDPOINT),
            ]),
        )]),
    ),
    ("live_store", CUT),
    ("ingester", CUT),
    (
        "storage",
        Known::Block(&[(
            "trace",
            Known::Block(&[
                ("backend", Known::Leaf),
                ("local", PATH),
                ("wal", PATH),
                ("blocklist_poll", Known::Leaf),
                (
                    "s3",
                    Known::Block(&[
                        ("bucket", Known::Leaf),
                        ("prefix", Known::Leaf),
                        ("endpoint", Known::Leaf),
                        ("region", Known::Leaf),
                        ("access_key", Known::Leaf),
                        ("secret_key", Known::Leaf),
                        ("insecure", Known::Leaf),
                        ("forcepathstyle", Known::Leaf),
                    ]),
                ),
                (
                    "gcs",
                    Known::Block(&[("bucket_name", Known::Leaf), ("prefix", Known::Leaf)]),
                ),
                (
                    "azure",
                    Known::Block(&[
                        ("container_name", Known::Leaf),
                        ("prefix", Known::Leaf),
                        ("storage_account_name", Known::Leaf),
                        ("storage_account_key", Known::Leaf),
                    ]),
                ),
            ]),
        )]),
    ),
    (
        "overrides",
        Known::Block(&[
            ("defaults", Known::Block(LIMITS)),
            ("per_tenant_override_config", Known::Leaf),
        ]),
    ),
]);

/// The options of the per-tenant overrides file this server reads.
pub(crate) const KNOWN_PER_TENANT: Known = Known::Block(&[("overrides", Known::AnyKey(LIMITS))]);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

    use std::time::Duration;

    use serde_yaml_ng::Value;

    use super::*;

    #[test]
    fn unknown_keys_are_named_by_path() {
        let yaml = "
server:
  http_listen_port: 3200
  log_level: info
distributor:
  receivers:
    otlp:
      protocols:
        grpc:
        http:
          endpoint: 0.0.0.0:4318
          cors: {allowed_origins: ['*']}
    jaeger:
      protocols:
        grpc:
    kafka: {}
metrics_generator: {registry: {}}
overrides:
  defaults:
    ingestion: {rate_limit_bytes: 1}
    metrics_generator: {processors: []}
";
        let value: Value = serde_yaml_ng::from_str(yaml).unwrap();
        assert_eq!(
            unknown_keys(&value, KNOWN),
            [
                "server.log_level",
                "distributor.receivers.otlp.protocols.http.cors",
                "distributor.receivers.jaeger.protocols.grpc",
                "distributor.receivers.kafka",
                "metrics_generator",
                "overrides.defaults.metrics_generator",
            ]
        );
        let per_tenant: Value =
            serde_yaml_ng::from_str("overrides: {a: {ingestion: {x: 1}}, b: {global: {}}}")
                .unwrap();
        assert_eq!(
            unknown_keys(&per_tenant, KNOWN_PER_TENANT),
            ["overrides.a.ingestion.x"]
        );
    }

    #[test]
    fn present_keys_without_values_enable_receivers() {
        let yaml = "distributor: {receivers: {otlp: {protocols: {grpc: , http: {endpoint: ':1'}}}, zipkin: }}";
        let file: FileConfig = serde_yaml_ng::from_str(yaml).unwrap();
        let receivers = file.distributor.unwrap().receivers.unwrap();
        assert!(receivers.zipkin.unwrap().endpoint.is_none());
        assert!(receivers.jaeger.is_none());
        let protocols = receivers.otlp.unwrap().protocols.unwrap();
        assert!(protocols.grpc.unwrap().endpoint.is_none());
        assert_eq!(protocols.http.unwrap().endpoint.as_deref(), Some(":1"));
    }

    #[test]
    fn durations_in_yaml() {
        let file: FileConfig = serde_yaml_ng::from_str(
            "live_store: {max_trace_idle: 5s, max_block_duration: 1h30m, complete_block_timeout: 1000000000}",
        )
        .unwrap();
        let cut = file.live_store.unwrap();
        assert_eq!(cut.max_trace_idle, Some(GoDuration(Duration::from_secs(5))));
        assert_eq!(
            cut.max_block_duration,
            Some(GoDuration(Duration::from_secs(5400)))
        );
        assert_eq!(
            cut.complete_block_timeout,
            Some(GoDuration(Duration::from_secs(1)))
        );
        let err = serde_yaml_ng::from_str::<FileConfig>("live_store: {max_trace_idle: 5x}")
            .unwrap_err()
            .to_string();
        assert!(err.contains("max_trace_idle"), "{err}");
    }

    #[test]
    fn environment_references() {
        let env = |name: &str| match name {
            "DIR" => Some("/var/tempo".to_owned()),
            "EMPTY" => Some(String::new()),
            _ => None,
        };
        assert_eq!(expand_env("path: ${DIR}/wal", env), "path: /var/tempo/wal");
        assert_eq!(expand_env("$DIR/x $$ $", env), "/var/tempo/x $ $");
        assert_eq!(
            expand_env("${NOPE:-./data} ${EMPTY:-d} ${NOPE}.", env),
            "./data d ."
        );
        assert_eq!(expand_env("${UNCLOSED", env), "${UNCLOSED");
    }
}
