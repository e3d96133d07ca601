//! The push side: one module per body format, and what they share — reading and
//! decompressing bodies within Loki's size limits, the push into the store, and turning the
//! store's report into Loki's answer.
//!
//! | route | module | body |
//! | --- | --- | --- |
//! | `POST /loki/api/v1/push` | [`json`] (`Content-Type: application/json`), [`protobuf`] (any other type) | `{"streams":[…]}`, or a `PushRequest` in raw snappy |
//! | `POST /api/prom/push` | [`json`] (legacy shape), [`protobuf`] | `{"streams":[{"labels":"{…}","entries":[…]}]}` |
//! | `POST /otlp/v1/logs` | [`otlp`] | an OTLP `ExportLogsServiceRequest`, protobuf or JSON |
//!
//! As in Loki: `Content-Encoding` may be `gzip`, `deflate` (raw DEFLATE, as Go's
//! `compress/flate` reads it) or `snappy` (ignored: protobuf bodies are always snappy); a
//! request without `Content-Type` is 400 `mime: no media type`; success is 204 with no body;
//! a push some of whose entries were refused is 400 (429 for the stream limit) with Loki's
//! text while the other entries are stored; a body over `max_recv_msg_size` (or over
//! `max_decompressed_size` once decompressed) is 413; the tenant's rate limit is 429.

pub mod json;
pub mod otlp;
pub mod protobuf;

use std::io::Read as _;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::{CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use loki_store::{PushError, PushStream, Store};

use super::metrics::Metrics;
use super::tenant::{TenantError, TenantPolicy};

const TEXT: &str = "text/plain; charset=utf-8";

/// A push body format, as named in the metrics' `format` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Loki's JSON push (v1 or legacy).
    LokiJson,
    /// Loki's protobuf `PushRequest` in raw snappy.
    LokiProtobuf,
    /// OTLP logs.
    Otlp,
}

impl Format {
    /// The label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Format::LokiJson => "loki_json",
            Format::LokiProtobuf => "loki_protobuf",
            Format::Otlp => "otlp",
        }
    }
}

/// Why a push was refused (entirely or in part), and how to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The HTTP status.
    pub status: StatusCode,
    /// The metrics' `reason` label.
    pub reason: &'static str,
    /// The message for the client (Loki's text).
    pub message: String,
}

impl Refusal {
    /// A refusal with `status`.
    pub fn new(status: StatusCode, reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            reason,
            message: message.into(),
        }
    }

    /// A body that could not be decoded: 400.
    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "malformed", message)
    }

    /// A body over a size limit: 413 with Loki's text (`request body too large: message size
    /// too large than max (N vs M)`).
    pub fn too_large(what: &str, size: u64, max: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request_body_too_large",
            format!("request body too large: {what} too large than max ({size} vs {max})"),
        )
    }

    /// A request without a usable tenant: 401 without one, 400 for one Loki refuses.
    pub fn tenant(error: &TenantError) -> Self {
        let reason = match error {
            TenantError::Missing => "no_org_id",
            TenantError::Invalid(_) => "invalid_tenant",
        };
        Self::new(error.status(), reason, error.to_string())
    }

    /// The store's refusal of the whole push, with the status Loki gives it.
    pub fn store(error: &PushError) -> Self {
        let status = StatusCode::from_u16(error.kind().http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Self::new(status, error.reason(), error.to_string())
    }

    /// Loki's plain-text answer (Go's `http.Error`: the message and a newline).
    pub fn to_text_response(&self) -> Response {
        (
            self.status,
            [(CONTENT_TYPE, TEXT)],
            format!("{}\n", self.message),
        )
            .into_response()
    }
}

/// The size limits of push bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimits {
    /// `distributor.max_recv_msg_size`: the body as sent.
    pub max_recv_msg_size: usize,
    /// `distributor.max_decompressed_size`: the body once decompressed.
    pub max_decompressed_size: usize,
}

/// What every push route goes through: the store, the metrics, the tenant policy and the
/// body limits.
#[derive(Debug, Clone)]
pub struct Ingest {
    store: Store,
    metrics: Arc<Metrics>,
    tenants: TenantPolicy,
    limits: BodyLimits,
    otlp_index_labels: Arc<[String]>,
}

impl Ingest {
    /// The push path over `store`.
    pub fn new(
        store: Store,
        metrics: Arc<Metrics>,
        tenants: TenantPolicy,
        limits: BodyLimits,
        otlp_index_labels: Vec<String>,
    ) -> Self {
        Self {
            store,
            metrics,
            tenants,
            limits,
            otlp_index_labels: otlp_index_labels.into(),
        }
    }

    /// The body limits.
    pub fn limits(&self) -> BodyLimits {
        self.limits
    }

    /// The OTLP resource attributes that become stream labels.
    pub fn otlp_index_labels(&self) -> &[String] {
        &self.otlp_index_labels
    }

    /// The tenant of a push.
    ///
    /// # Errors
    ///
    /// [`Refusal::tenant`].
    pub fn tenant(&self, headers: &HeaderMap) -> Result<String, Refusal> {
        self.tenants
            .single(headers)
            .map_err(|e| Refusal::tenant(&e))
    }

    /// Pushes `streams` for `tenant`: `Ok` once everything was stored (or dropped as an
    /// exact duplicate), durably.
    ///
    /// # Errors
    ///
    /// The store's refusal of the whole push, or — with the good entries stored — Loki's
    /// answer listing the refused ones (400, or 429 for the stream limit).
    pub async fn push(
        &self,
        format: Format,
        tenant: &str,
        streams: Vec<PushStream>,
    ) -> Result<(), Refusal> {
        let (entries, bytes) = streams
            .iter()
            .flat_map(|s| &s.entries)
            .fold((0, 0), |(n, b), e| (n + 1, b + e.total_size()));
        match self.store.push(tenant, streams).await {
            Ok(report) => {
                self.metrics.received(
                    format.as_str(),
                    tenant,
                    report.accepted,
                    report.accepted_bytes,
                );
                for r in &report.rejected {
                    self.metrics
                        .discarded(r.reason.as_str(), tenant, r.entries, r.bytes);
                }
                match (report.kind(), report.loki_message()) {
                    (Some(kind), Some(message)) => Err(Refusal::new(
                        StatusCode::from_u16(kind.http_status()).unwrap_or(StatusCode::BAD_REQUEST),
                        "entries_refused",
                        message,
                    )),
                    _ => Ok(()),
                }
            }
            Err(error) => {
                self.metrics
                    .discarded(error.reason(), tenant, entries, bytes);
                Err(Refusal::store(&error))
            }
        }
    }

    /// Counts a refused request.
    pub fn refused(&self, format: Format, refusal: &Refusal) {
        self.metrics.refused(format.as_str(), refusal.reason);
    }
}

/// The push routes.
pub fn router(ingest: Ingest) -> Router {
    Router::new()
        .route("/loki/api/v1/push", post(push_v1))
        .route("/api/prom/push", post(push_legacy))
        .route("/otlp/v1/logs", post(otlp::export))
        .with_state(ingest)
}

async fn push_v1(State(ingest): State<Ingest>, headers: HeaderMap, body: Body) -> Response {
    loki_push(&ingest, json::Shape::V1, &headers, body).await
}

async fn push_legacy(State(ingest): State<Ingest>, headers: HeaderMap, body: Body) -> Response {
    loki_push(&ingest, json::Shape::Legacy, &headers, body).await
}

/// Loki's push: JSON for `application/json`, protobuf in raw snappy for any other type.
async fn loki_push(
    ingest: &Ingest,
    shape: json::Shape,
    headers: &HeaderMap,
    body: Body,
) -> Response {
    let format = match media_type(headers) {
        Ok(Some(t)) if t == "application/json" => Format::LokiJson,
        Ok(_) => Format::LokiProtobuf,
        Err(refusal) => {
            ingest.refused(Format::LokiProtobuf, &refusal);
            return refusal.to_text_response();
        }
    };
    let result = async {
        let tenant = ingest.tenant(headers)?;
        let encoding = content_encoding(headers, &["gzip", "deflate", "snappy"], |e| {
            format!("Content-Encoding {e:?} not supported")
        })?;
        let raw = read_body(body, headers, ingest.limits).await?;
        let limits = ingest.limits;
        let streams = tokio::task::spawn_blocking(move || {
            let bytes = decompress(raw, encoding.as_deref(), limits)?;
            match format {
                Format::LokiJson => json::decode(&bytes, shape),
                _ => protobuf::decode(&bytes, limits.max_decompressed_size),
            }
        })
        .await
        .map_err(|e| {
            Refusal::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                e.to_string(),
            )
        })??;
        ingest.push(format, &tenant, streams).await
    }
    .await;
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(refusal) => {
            ingest.refused(format, &refusal);
            refusal.to_text_response()
        }
    }
}

/// The media type of `Content-Type`, lower-case, without parameters; `None` when the header
/// is absent.
///
/// # Errors
///
/// A missing header is Go's `mime: no media type` (400), as Loki answers; an unparsable one
/// Go's `mime: expected token after slash`-style refusal.
fn media_type(headers: &HeaderMap) -> Result<Option<String>, Refusal> {
    let Some(value) = headers.get(CONTENT_TYPE) else {
        return Err(Refusal::malformed("mime: no media type"));
    };
    let text = value
        .to_str()
        .map_err(|_| Refusal::malformed("mime: invalid media parameter"))?;
    let media = text.split(';').next().unwrap_or_default().trim();
    if media.is_empty() {
        return Err(Refusal::malformed("mime: no media type"));
    }
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?=".contains(&b))
    };
    match media.split_once('/') {
        Some((kind, sub)) if token(kind) && token(sub) => Ok(Some(media.to_ascii_lowercase())),
        Some((kind, _)) if token(kind) => {
            Err(Refusal::malformed("mime: expected token after slash"))
        }
        None if token(media) => Err(Refusal::malformed("mime: expected slash after first token")),
        Some(_) | None => Err(Refusal::malformed("mime: no media type")),
    }
}

/// `Content-Encoding`, if one of `allowed` (empty is none).
fn content_encoding(
    headers: &HeaderMap,
    allowed: &[&str],
    refuse: impl Fn(&str) -> String,
) -> Result<Option<String>, Refusal> {
    let Some(value) = headers.get(CONTENT_ENCODING) else {
        return Ok(None);
    };
    let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
    if text.is_empty() {
        return Ok(None);
    }
    if allowed.contains(&text.as_str()) {
        Ok(Some(text))
    } else {
        Err(Refusal::malformed(refuse(&text)))
    }
}

/// Reads a body of at most `max_recv_msg_size` bytes as sent.
async fn read_body(body: Body, headers: &HeaderMap, limits: BodyLimits) -> Result<Bytes, Refusal> {
    let max = limits.max_recv_msg_size;
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let over =
        |size: Option<u64>| Refusal::too_large("message size", size.unwrap_or(max as u64 + 1), max);
    if declared.is_some_and(|n| n > max as u64) {
        return Err(over(declared));
    }
    match Limited::new(body, max).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if is_length_limit(error.as_ref()) => Err(over(declared)),
        Err(error) => Err(Refusal::malformed(format!(
            "could not read the request body: {error}"
        ))),
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

/// The body decompressed as `Content-Encoding` says, at most `max_decompressed_size` bytes.
/// `snappy` is left as it is: Loki's protobuf bodies are always snappy, decoded with them.
fn decompress(raw: Bytes, encoding: Option<&str>, limits: BodyLimits) -> Result<Bytes, Refusal> {
    let max = limits.max_decompressed_size;
    let reader: Box<dyn std::io::Read + '_> = match encoding {
        None | Some("snappy") => return Ok(raw),
        Some("gzip") => Box::new(flate2::read::MultiGzDecoder::new(raw.as_ref())),
        Some("deflate") => Box::new(flate2::read::DeflateDecoder::new(raw.as_ref())),
        Some("zstd") => Box::new(
            zstd::stream::read::Decoder::new(raw.as_ref())
                .map_err(|e| Refusal::malformed(format!("zstd: {e}")))?,
        ),
        Some("lz4") => Box::new(lz4_flex::frame::FrameDecoder::new(raw.as_ref())),
        Some(other) => {
            return Err(Refusal::malformed(format!(
                "Content-Encoding {other:?} not supported"
            )));
        }
    };
    let mut out = Vec::new();
    reader
        .take(max as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| Refusal::malformed(format!("{}: {e}", encoding.unwrap_or_default())))?;
    if out.len() > max {
        return Err(Refusal::too_large(
            "decompressed message size",
            out.len() as u64,
            max,
        ));
    }
    Ok(Bytes::from(out))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

    use std::io::Write as _;

    use axum::http::HeaderValue;

    use super::*;

    fn with_type(value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(CONTENT_TYPE, HeaderValue::from_static(value));
        h
    }

    #[test]
    fn media_types_as_go_reads_them() {
        assert_eq!(
            media_type(&HeaderMap::new()).unwrap_err().message,
            "mime: no media type"
        );
        assert_eq!(
            media_type(&with_type("Application/JSON; charset=utf-8")).unwrap(),
            Some("application/json".to_owned())
        );
        assert_eq!(
            media_type(&with_type("application/x-protobuf")).unwrap(),
            Some("application/x-protobuf".to_owned())
        );
        assert_eq!(
            media_type(&with_type("")).unwrap_err().message,
            "mime: no media type"
        );
        assert_eq!(
            media_type(&with_type("json")).unwrap_err().message,
            "mime: expected slash after first token"
        );
    }

    #[test]
    fn bodies_are_decompressed_within_the_limit() {
        let limits = BodyLimits {
            max_recv_msg_size: 1 << 20,
            max_decompressed_size: 1000,
        };
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&[b'a'; 1000]).unwrap();
        let small = Bytes::from(gz.finish().unwrap());
        assert_eq!(decompress(small, Some("gzip"), limits).unwrap().len(), 1000);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&[b'a'; 5000]).unwrap();
        let big = Bytes::from(gz.finish().unwrap());
        let refusal = decompress(big, Some("gzip"), limits).unwrap_err();
        assert_eq!(refusal.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(
            refusal.message,
            "request body too large: decompressed message size too large than max (1001 vs 1000)"
        );
        let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        raw.write_all(b"deflated").unwrap();
        let deflated = Bytes::from(raw.finish().unwrap());
        assert_eq!(
            decompress(deflated, Some("deflate"), limits)
                .unwrap()
                .as_ref(),
            b"deflated"
        );
        let broken = decompress(Bytes::from_static(b"not gzip"), Some("gzip"), limits);
        assert_eq!(broken.unwrap_err().status, StatusCode::BAD_REQUEST);
    }
}
