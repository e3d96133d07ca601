//! From the parsed YAML file to a [`Config`], with Tempo's defaults for what it leaves out.

use std::collections::BTreeMap;
use std::path::Path;

use serde_yaml_ng::Value;

use super::file::{self, FileConfig, GoDuration, HttpEndpoint, KNOWN, KNOWN_PER_TENANT};
use super::{
    BackendConfig, Config, ConfigError, CutSettings, DEFAULT_GRPC_MAX_RECV_MSG_SIZE,
    DEFAULT_HTTP_MAX_REQUEST_BODY_SIZE, DEFAULT_HTTP_PORT, DEFAULT_JAEGER_THRIFT_BINARY,
    DEFAULT_JAEGER_THRIFT_COMPACT, DEFAULT_JAEGER_THRIFT_HTTP, DEFAULT_OTLP_GRPC,
    DEFAULT_OTLP_HTTP, DEFAULT_UDP_MAX_PACKET_SIZE, DEFAULT_ZIPKIN, Loaded, Receiver, Receivers,
    TenantLimits, host_port, invalid, saturating_usize,
};

/// The configuration a Tempo YAML text gives (`path` names it in messages), and a warning
/// naming every option it holds that this server does not read.
///
/// # Errors
///
/// YAML that does not parse, a value of the wrong type, or one that cannot be used.
pub fn from_yaml(text: &str, path: &Path) -> Result<Loaded, ConfigError> {
    let yaml_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ConfigError::Yaml { path, source }
    };
    // An empty file is an empty configuration.
    let value: Value = serde_yaml_ng::from_str::<Option<Value>>(text)
        .map_err(yaml_error(path))?
        .unwrap_or(Value::Null);
    let file: FileConfig = if value.is_null() {
        FileConfig::default()
    } else {
        serde_yaml_ng::from_str(text).map_err(yaml_error(path))?
    };
    let mut unsupported = unknown_keys_in(&value, KNOWN);

    let mut config = Config {
        receivers: Receivers::default(),
        ..Config::default()
    };
    if let Some(enabled) = file.multitenancy_enabled {
        config.multitenancy_enabled = enabled;
    }
    if let Some(server) = &file.server {
        let port = server.http_listen_port.unwrap_or(DEFAULT_HTTP_PORT);
        let host = server.http_listen_address.as_deref().unwrap_or("");
        config.http_endpoint = host_port(host, port);
        if let Some(GoDuration(timeout)) = server.graceful_shutdown_timeout {
            config.graceful_shutdown_timeout = timeout;
        }
    }
    if let Some(receivers) = file.distributor.as_ref().and_then(|d| d.receivers.as_ref()) {
        config.receivers = receivers_from(receivers)?;
    }
    storage_from(&file, &mut config)?;

    let per_tenant_path = file
        .overrides
        .as_ref()
        .and_then(|o| o.per_tenant_override_config.clone());
    if let Some(defaults) = file.overrides.as_ref().and_then(|o| o.defaults.as_ref()) {
        config.default_limits = TenantLimits::from_section(defaults);
    }
    if let Some(per_tenant) = per_tenant_path {
        let (limits, unknown) = read_per_tenant(&per_tenant, config.default_limits)?;
        config.per_tenant_limits = limits;
        unsupported.extend(
            unknown
                .into_iter()
                .map(|key| format!("{key} (in {})", per_tenant.display())),
        );
    }

    let mut warnings = Vec::new();
    if !unsupported.is_empty() {
        warnings.push(format!(
            "{}: options this server does not support, ignored: {}",
            path.display(),
            unsupported.join(", ")
        ));
    }
    Ok(Loaded { config, warnings })
}

/// Unknown keys, with `server.grpc_listen_port` explained: Tempo's internal gRPC port
/// serves nothing here.
fn unknown_keys_in(value: &Value, known: file::Known) -> Vec<String> {
    file::unknown_keys(value, known)
        .into_iter()
        .map(|key| {
            if key == "server.grpc_listen_port" {
                "server.grpc_listen_port (no internal gRPC API here; OTLP/gRPC is the \
                 otlp receiver's)"
                    .to_owned()
            } else {
                key
            }
        })
        .collect()
}

fn receivers_from(section: &file::ReceiversSection) -> Result<Receivers, ConfigError> {
    let http = |e: &HttpEndpoint, default: &str| {
        Receiver::new(
            e.endpoint.as_deref().unwrap_or(default),
            e.max_request_body_size
                .map_or(DEFAULT_HTTP_MAX_REQUEST_BODY_SIZE, saturating_usize),
        )
    };
    let udp = |e: &file::UdpEndpoint, default: &str| {
        Receiver::new(
            e.endpoint.as_deref().unwrap_or(default),
            e.max_packet_size
                .map_or(DEFAULT_UDP_MAX_PACKET_SIZE, saturating_usize),
        )
    };
    let mut out = Receivers::default();
    if let Some(otlp) = &section.otlp {
        let protocols = otlp.protocols.as_ref();
        let Some(protocols) = protocols.filter(|p| p.grpc.is_some() || p.http.is_some()) else {
            return Err(invalid(
                "distributor.receivers.otlp",
                "must list at least one protocol (protocols: {grpc:, http:})",
            ));
        };
        out.otlp_grpc = protocols.grpc.as_ref().map(|e| {
            Receiver::new(
                e.endpoint.as_deref().unwrap_or(DEFAULT_OTLP_GRPC),
                e.max_recv_msg_size_mib
                    .map_or(DEFAULT_GRPC_MAX_RECV_MSG_SIZE, |mib| {
                        saturating_usize(mib.saturating_mul(1 << 20))
                    }),
            )
        });
        out.otlp_http = protocols.http.as_ref().map(|e| http(e, DEFAULT_OTLP_HTTP));
    }
    if let Some(jaeger) = &section.jaeger {
        let protocols = jaeger.protocols.as_ref();
        let Some(protocols) = protocols else {
            return Err(invalid(
                "distributor.receivers.jaeger",
                "must list at least one protocol (protocols: {thrift_http:, thrift_compact:, \
                 thrift_binary:})",
            ));
        };
        out.jaeger_thrift_http = protocols
            .thrift_http
            .as_ref()
            .map(|e| http(e, DEFAULT_JAEGER_THRIFT_HTTP));
        out.jaeger_thrift_compact = protocols
            .thrift_compact
            .as_ref()
            .map(|e| udp(e, DEFAULT_JAEGER_THRIFT_COMPACT));
        out.jaeger_thrift_binary = protocols
            .thrift_binary
            .as_ref()
            .map(|e| udp(e, DEFAULT_JAEGER_THRIFT_BINARY));
    }
    out.zipkin = section.zipkin.as_ref().map(|e| http(e, DEFAULT_ZIPKIN));
    Ok(out)
}

fn storage_from(file: &FileConfig, config: &mut Config) -> Result<(), ConfigError> {
    let trace = file.storage.as_ref().and_then(|s| s.trace.as_ref());
    let live = file.live_store.as_ref();
    let ingester = file.ingester.as_ref();
    // live_store (Tempo 3) wins over ingester (Tempo 2).
    let cut = |f: fn(&file::CutSection) -> Option<GoDuration>| {
        live.and_then(f)
            .or_else(|| ingester.and_then(f))
            .map(|d| d.0)
    };
    config.cut = CutSettings {
        max_trace_idle: cut(|c| c.max_trace_idle.or(c.trace_idle_period)),
        max_trace_live: cut(|c| c.max_trace_live),
        max_block_duration: cut(|c| c.max_block_duration),
        max_block_bytes: live
            .and_then(|c| c.max_block_bytes)
            .or_else(|| ingester.and_then(|c| c.max_block_bytes)),
        complete_block_timeout: cut(|c| c.complete_block_timeout),
        blocklist_poll: trace.and_then(|t| t.blocklist_poll).map(|d| d.0),
    };
    if let Some(wal) = trace
        .and_then(|t| t.wal.as_ref())
        .and_then(|w| w.path.clone())
        .or_else(|| {
            live.and_then(|l| l.wal.as_ref())
                .and_then(|w| w.path.clone())
        })
    {
        config.wal_dir = wal;
    }
    let Some(trace) = trace else {
        return Ok(());
    };
    let local_path = trace.local.as_ref().and_then(|l| l.path.clone());
    config.backend = match trace.backend.as_deref().unwrap_or("local") {
        "local" => BackendConfig::Local(local_path.unwrap_or_else(|| "./data/blocks".into())),
        "s3" => s3_backend(trace.s3.as_ref())?,
        "gcs" => {
            let gcs = trace.gcs.as_ref();
            let bucket = gcs.and_then(|g| g.bucket_name.as_deref()).ok_or_else(|| {
                invalid(
                    "storage.trace.gcs.bucket_name",
                    "required with backend: gcs",
                )
            })?;
            BackendConfig::ObjectStore {
                url: bucket_url("gs", bucket, gcs.and_then(|g| g.prefix.as_deref())),
                options: Vec::new(),
            }
        }
        "azure" => {
            let az = trace.azure.as_ref();
            let container = az
                .and_then(|a| a.container_name.as_deref())
                .ok_or_else(|| {
                    invalid(
                        "storage.trace.azure.container_name",
                        "required with backend: azure",
                    )
                })?;
            let mut options = Vec::new();
            if let Some(name) = az.and_then(|a| a.storage_account_name.clone()) {
                options.push(("azure_storage_account_name".to_owned(), name));
            }
            if let Some(key) = az.and_then(|a| a.storage_account_key.clone()) {
                options.push(("azure_storage_account_key".to_owned(), key));
            }
            BackendConfig::ObjectStore {
                url: bucket_url("az", container, az.and_then(|a| a.prefix.as_deref())),
                options,
            }
        }
        other => {
            return Err(invalid(
                "storage.trace.backend",
                format!("{other:?} is not one of local, s3, gcs, azure"),
            ));
        }
    };
    Ok(())
}

fn s3_backend(s3: Option<&file::S3Section>) -> Result<BackendConfig, ConfigError> {
    let bucket = s3
        .and_then(|s| s.bucket.as_deref())
        .ok_or_else(|| invalid("storage.trace.s3.bucket", "required with backend: s3"))?;
    let s3 = s3.ok_or_else(|| invalid("storage.trace.s3", "required with backend: s3"))?;
    let mut options = Vec::new();
    let insecure = s3.insecure.unwrap_or(false);
    if let Some(endpoint) = &s3.endpoint {
        let url = if endpoint.contains("://") {
            endpoint.clone()
        } else if insecure {
            format!("http://{endpoint}")
        } else {
            format!("https://{endpoint}")
        };
        options.push(("aws_endpoint".to_owned(), url));
    }
    if insecure {
        options.push(("aws_allow_http".to_owned(), "true".to_owned()));
    }
    if let Some(region) = &s3.region {
        options.push(("aws_region".to_owned(), region.clone()));
    }
    if let Some(key) = &s3.access_key {
        options.push(("aws_access_key_id".to_owned(), key.clone()));
    }
    if let Some(secret) = &s3.secret_key {
        options.push(("aws_secret_access_key".to_owned(), secret.clone()));
    }
    // Tempo's forcepathstyle: false asks for virtual-hosted requests (its default with AWS).
    if s3.forcepathstyle == Some(false) {
        options.push((
            "aws_virtual_hosted_style_request".to_owned(),
            "true".to_owned(),
        ));
    }
    Ok(BackendConfig::ObjectStore {
        url: bucket_url("s3", bucket, s3.prefix.as_deref()),
        options,
    })
}

fn bucket_url(scheme: &str, bucket: &str, prefix: Option<&str>) -> String {
    match prefix
        .map(|p| p.trim_matches('/'))
        .filter(|p| !p.is_empty())
    {
        Some(prefix) => format!("{scheme}://{bucket}/{prefix}"),
        None => format!("{scheme}://{bucket}"),
    }
}

fn read_per_tenant(
    path: &Path,
    defaults: TenantLimits,
) -> Result<(BTreeMap<String, TenantLimits>, Vec<String>), ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let yaml_error = |source| ConfigError::Yaml {
        path: path.to_path_buf(),
        source,
    };
    let value: Value = serde_yaml_ng::from_str::<Option<Value>>(&text)
        .map_err(yaml_error)?
        .unwrap_or(Value::Null);
    if value.is_null() {
        return Ok((BTreeMap::new(), Vec::new()));
    }
    let parsed: file::PerTenantFile = serde_yaml_ng::from_str(&text).map_err(yaml_error)?;
    let limits = parsed
        .overrides
        .unwrap_or_default()
        .into_iter()
        .map(|(tenant, section)| {
            let own = section
                .as_ref()
                .map(TenantLimits::from_section)
                .unwrap_or_default();
            (tenant, defaults.overlaid(own))
        })
        .collect();
    Ok((limits, file::unknown_keys(&value, KNOWN_PER_TENANT)))
}
