//! The span receivers, one module per protocol, and what they share: tenant, body and
//! refusal handling and the push into the store.
//!
//! | module | protocol | default port |
//! | --- | --- | --- |
//! | [`otlp_grpc`] | OTLP/gRPC `TraceService/Export` (gzip) | 4317 |
//! | [`otlp_http`] | OTLP/HTTP `POST /v1/traces`, protobuf or JSON (gzip) | 4318 |
//! | [`jaeger`] | Jaeger Thrift over HTTP `POST /api/traces`; agent UDP `emitBatch` (compact, binary) | 14268; 6831, 6832 |
//! | [`zipkin`] | Zipkin v2 JSON `POST /api/v2/spans` (gzip) | 9411 |
//!
//! Every refusal is a [`Refusal`]: the HTTP status and gRPC code it maps to, a reason for
//! the metrics, and the message for the client.

pub mod jaeger;
pub mod otlp_grpc;
pub mod otlp_http;
pub mod zipkin;

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::StatusCode;
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use otlp_model::ModelError;
use otlp_model::proto::trace::ResourceSpans;
use tempo_store::{PushError, RefusalKind, Store};

use super::metrics::Metrics;
use super::tenant::{TenantError, TenantPolicy};

/// A receiver protocol, as named in the metrics' `protocol` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// OTLP/gRPC.
    OtlpGrpc,
    /// OTLP/HTTP.
    OtlpHttp,
    /// Jaeger Thrift over HTTP.
    JaegerThriftHttp,
    /// Jaeger agent, compact Thrift over UDP.
    JaegerThriftCompact,
    /// Jaeger agent, binary Thrift over UDP.
    JaegerThriftBinary,
    /// Zipkin v2 JSON.
    Zipkin,
}

impl Protocol {
    /// The label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Protocol::OtlpGrpc => "otlp_grpc",
            Protocol::OtlpHttp => "otlp_http",
            Protocol::JaegerThriftHttp => "jaeger_thrift_http",
            Protocol::JaegerThriftCompact => "jaeger_thrift_compact",
            Protocol::JaegerThriftBinary => "jaeger_thrift_binary",
            Protocol::Zipkin => "zipkin",
        }
    }
}

/// Why a request was refused, and how to say so in each protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The HTTP status.
    pub http: StatusCode,
    /// The gRPC status code.
    pub grpc: tonic::Code,
    /// The metrics' `reason` label (Tempo's discard reason for store refusals).
    pub reason: &'static str,
    /// The message for the client.
    pub message: String,
}

impl Refusal {
    fn new(http: StatusCode, grpc: tonic::Code, reason: &'static str, message: String) -> Self {
        Self {
            http,
            grpc,
            reason,
            message,
        }
    }

    /// A body that did not decode: 400 (InvalidArgument), or 413 (ResourceExhausted) when
    /// the decoder's size limit refused it.
    pub fn malformed(error: &ModelError) -> Self {
        match error {
            ModelError::TooLarge { .. } => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                tonic::Code::ResourceExhausted,
                "too_large",
                error.to_string(),
            ),
            _ => Self::new(
                StatusCode::BAD_REQUEST,
                tonic::Code::InvalidArgument,
                "malformed",
                error.to_string(),
            ),
        }
    }

    /// A body over `limit` bytes: 413 (ResourceExhausted).
    pub fn too_large(limit: usize, option: &str) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            tonic::Code::ResourceExhausted,
            "too_large",
            format!("request body larger than {limit} bytes (the receiver's {option})"),
        )
    }

    /// A request without a usable tenant: 401 (Unauthenticated) when it names none, 400
    /// (InvalidArgument) for an ID Tempo refuses.
    pub fn tenant(error: &TenantError) -> Self {
        match error {
            TenantError::Missing => Self::new(
                StatusCode::UNAUTHORIZED,
                tonic::Code::Unauthenticated,
                "no_org_id",
                error.to_string(),
            ),
            TenantError::Invalid(_) => Self::new(
                StatusCode::BAD_REQUEST,
                tonic::Code::InvalidArgument,
                "invalid_tenant",
                error.to_string(),
            ),
        }
    }

    /// A request that is not of a kind the receiver reads (content type): 415
    /// (InvalidArgument).
    pub fn unsupported(message: String) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            tonic::Code::InvalidArgument,
            "unsupported_media_type",
            message,
        )
    }

    /// A body that could not be read (broken gzip stream, connection error): 400.
    pub fn unreadable(error: &dyn std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            tonic::Code::InvalidArgument,
            "malformed",
            format!("could not read the request body: {error}"),
        )
    }

    /// The store's refusal, by its [`RefusalKind`]: bad input (IDs, tenant, a trace over
    /// `max_bytes_per_trace`) 400 (InvalidArgument); a batch larger than one WAL record 413
    /// (ResourceExhausted); rate and live-trace limits 429
    /// (ResourceExhausted, which OTLP exporters retry later); a closed or failed store 503
    /// (Unavailable); anything else 500 (Internal). The message is the store's, with
    /// Tempo's prefixes (`RATE_LIMITED:`, `LIVE_TRACES_EXCEEDED:`, `TRACE_TOO_LARGE:`).
    pub fn store(error: &PushError) -> Self {
        let (http, grpc) = match error.kind() {
            RefusalKind::BadRequest => (StatusCode::BAD_REQUEST, tonic::Code::InvalidArgument),
            RefusalKind::RateLimited => (
                StatusCode::TOO_MANY_REQUESTS,
                tonic::Code::ResourceExhausted,
            ),
            RefusalKind::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                tonic::Code::ResourceExhausted,
            ),
            RefusalKind::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, tonic::Code::Unavailable),
            _ => (StatusCode::INTERNAL_SERVER_ERROR, tonic::Code::Internal),
        };
        Self::new(http, grpc, error.reason(), error.to_string())
    }

    /// The gRPC status.
    pub fn to_status(&self) -> tonic::Status {
        tonic::Status::new(self.grpc, self.message.clone())
    }
}

/// What every receiver pushes through: the store, the metrics, the tenant policy.
#[derive(Debug, Clone)]
pub struct Ingest {
    store: Store,
    metrics: Arc<Metrics>,
    tenants: TenantPolicy,
}

impl Ingest {
    /// The ingest path over `store`.
    pub fn new(store: Store, metrics: Arc<Metrics>, tenants: TenantPolicy) -> Self {
        Self {
            store,
            metrics,
            tenants,
        }
    }

    /// The tenant policy.
    pub fn tenants(&self) -> TenantPolicy {
        self.tenants
    }

    /// Pushes `batch` for `tenant`; `Ok` once the store made it durable. An empty batch is
    /// accepted without a write.
    ///
    /// # Errors
    ///
    /// The store's refusal (its spans counted as discarded; the caller counts the refused
    /// request with [`refused`](Self::refused), as it counts every other refusal).
    pub async fn push(
        &self,
        protocol: Protocol,
        tenant: &str,
        batch: Vec<ResourceSpans>,
    ) -> Result<(), Refusal> {
        let spans: usize = batch
            .iter()
            .flat_map(|rs| &rs.scope_spans)
            .map(|ss| ss.spans.len())
            .sum();
        if spans == 0 {
            return Ok(());
        }
        match self.store.push(tenant, batch).await {
            Ok(receipt) => {
                self.metrics
                    .received(protocol.as_str(), tenant, receipt.spans, receipt.bytes);
                Ok(())
            }
            Err(error) => {
                self.metrics.discarded(error.reason(), tenant, spans);
                Err(Refusal::store(&error))
            }
        }
    }

    /// Counts a refused request.
    pub fn refused(&self, protocol: Protocol, refusal: &Refusal) {
        self.metrics.refused(protocol.as_str(), refusal.reason);
    }
}

/// Reads a request body (already decompressed) of at most `limit` bytes; `option` names
/// the setting in the message.
///
/// # Errors
///
/// [`Refusal::too_large`] past the limit, [`Refusal::unreadable`] when the stream fails
/// (a corrupt gzip body among others).
pub async fn read_body(body: Body, limit: usize, option: &str) -> Result<Bytes, Refusal> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if is_length_limit(error.as_ref()) => Err(Refusal::too_large(limit, option)),
        Err(error) => Err(Refusal::unreadable(&error)),
    }
}

fn is_length_limit(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        if e.is::<LengthLimitError>() {
            return true;
        }
        next = e.source();
    }
    false
}

/// The media type of a `Content-Type` value: lower-case, without parameters.
pub fn media_type(value: Option<&axum::http::HeaderValue>) -> String {
    value
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}
