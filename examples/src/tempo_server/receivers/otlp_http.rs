//! OTLP/HTTP: `POST /v1/traces` (default port 4318) with an `application/x-protobuf` or
//! `application/json` body, optionally `Content-Encoding: gzip`.
//!
//! Answers as the OpenTelemetry Collector's receiver (the one Tempo runs): 200 with an
//! `ExportTraceServiceResponse` in the request's encoding (JSON: `{"partialSuccess":{}}`);
//! errors carry a `google.rpc.Status` in that encoding (`{"code":3,"message":"…"}`), with
//! the HTTP status of [`Refusal`]; another content type is 415 with a plain-text message.

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use otlp_model::proto::collector::trace::ExportTraceServiceResponse;
use otlp_model::{Limits, decode_trace_request, json};
use prost::Message as _;
use tower_http::decompression::RequestDecompressionLayer;

use super::{Ingest, Protocol, Refusal, media_type, read_body};

const PROTOBUF: &str = "application/x-protobuf";
const JSON: &str = "application/json";

/// `google.rpc.Status`, the body of an OTLP/HTTP error.
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Protobuf,
    Json,
}

#[derive(Debug, Clone)]
struct ReceiverState {
    ingest: Ingest,
    max_body: usize,
}

/// The receiver's routes; bodies up to `max_body` bytes after decompression.
pub fn router(ingest: Ingest, max_body: usize) -> Router {
    Router::new()
        .route(
            "/v1/traces",
            post(export).fallback(|| async {
                (
                    StatusCode::METHOD_NOT_ALLOWED,
                    "405 method not allowed, supported: [POST]",
                )
            }),
        )
        .with_state(ReceiverState { ingest, max_body })
        .layer(RequestDecompressionLayer::new())
}

async fn export(State(state): State<ReceiverState>, headers: HeaderMap, body: Body) -> Response {
    let encoding = match media_type(headers.get(CONTENT_TYPE)).as_str() {
        PROTOBUF => Encoding::Protobuf,
        JSON => Encoding::Json,
        other => {
            let refusal = Refusal::unsupported(format!(
                "415 unsupported media type {other:?}, supported: [{JSON}, {PROTOBUF}]"
            ));
            state.ingest.refused(Protocol::OtlpHttp, &refusal);
            return (refusal.http, refusal.message).into_response();
        }
    };
    match push(&state, encoding, &headers, body).await {
        Ok(()) => {
            let response = ExportTraceServiceResponse::default();
            match encoding {
                Encoding::Protobuf => ([(CONTENT_TYPE, PROTOBUF)], response.encode_to_vec()),
                Encoding::Json => (
                    [(CONTENT_TYPE, JSON)],
                    json::encode_trace_response_json(&response),
                ),
            }
            .into_response()
        }
        Err(refusal) => {
            state.ingest.refused(Protocol::OtlpHttp, &refusal);
            error_response(&refusal, encoding)
        }
    }
}

async fn push(
    state: &ReceiverState,
    encoding: Encoding,
    headers: &HeaderMap,
    body: Body,
) -> Result<(), Refusal> {
    let tenant = state
        .ingest
        .tenants()
        .from_headers(headers)
        .map_err(|e| Refusal::tenant(&e))?;
    let bytes = read_body(body, state.max_body, "max_request_body_size").await?;
    let limits = Limits::new(state.max_body);
    let request = match encoding {
        Encoding::Protobuf => decode_trace_request(&bytes, &limits),
        Encoding::Json => json::decode_traces_json(&bytes, &limits),
    }
    .map_err(|e| Refusal::malformed(&e))?;
    state
        .ingest
        .push(Protocol::OtlpHttp, &tenant, request.resource_spans)
        .await
}

fn error_response(refusal: &Refusal, encoding: Encoding) -> Response {
    let status = RpcStatus {
        code: refusal.grpc as i32,
        message: refusal.message.clone(),
    };
    match encoding {
        Encoding::Protobuf => (
            refusal.http,
            [(CONTENT_TYPE, PROTOBUF)],
            status.encode_to_vec(),
        )
            .into_response(),
        Encoding::Json => (
            refusal.http,
            [(CONTENT_TYPE, JSON)],
            serde_json::json!({"code": status.code, "message": status.message}).to_string(),
        )
            .into_response(),
    }
}
