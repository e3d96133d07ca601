//! Zipkin: `POST /api/v2/spans` (default port 9411) with a JSON v2 span list, optionally
//! `Content-Encoding: gzip`.
//!
//! Answers as the OpenTelemetry Collector's Zipkin receiver: 202 with no body when stored,
//! 400 with the decoder's message for a body that does not decode; store refusals as
//! [`Refusal::store`] says. Zipkin's protobuf and Thrift encodings and the v1 API are
//! refused with 415 and a message saying what to send instead.

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use otlp_model::{Limits, zipkin};
use tower_http::decompression::RequestDecompressionLayer;

use super::{Ingest, Protocol, Refusal, media_type, read_body};

#[derive(Debug, Clone)]
struct ReceiverState {
    ingest: Ingest,
    max_body: usize,
}

/// The receiver's routes; bodies up to `max_body` bytes after decompression.
pub fn router(ingest: Ingest, max_body: usize) -> Router {
    Router::new()
        .route("/api/v2/spans", post(post_spans))
        .route("/api/v1/spans", post(v1_spans))
        .with_state(ReceiverState { ingest, max_body })
        .layer(RequestDecompressionLayer::new())
}

async fn post_spans(
    State(state): State<ReceiverState>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match push(&state, &headers, body).await {
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        Err(refusal) => {
            state.ingest.refused(Protocol::Zipkin, &refusal);
            (refusal.http, refusal.message).into_response()
        }
    }
}

async fn push(state: &ReceiverState, headers: &HeaderMap, body: Body) -> Result<(), Refusal> {
    let content_type = media_type(headers.get(CONTENT_TYPE));
    if content_type == "application/x-protobuf" || content_type == "application/x-thrift" {
        return Err(Refusal::unsupported(format!(
            "Zipkin {content_type} spans are not supported: send the JSON v2 span list \
             (application/json)"
        )));
    }
    let tenant = state
        .ingest
        .tenants()
        .from_headers(headers)
        .map_err(|e| Refusal::tenant(&e))?;
    let bytes = read_body(body, state.max_body, "max_request_body_size").await?;
    let batch = zipkin::decode_spans(&bytes, &Limits::new(state.max_body))
        .map_err(|e| Refusal::malformed(&e))?;
    state.ingest.push(Protocol::Zipkin, &tenant, batch).await
}

async fn v1_spans(State(state): State<ReceiverState>) -> Response {
    let refusal = Refusal::unsupported(
        "the Zipkin v1 API is not supported: send JSON v2 spans to /api/v2/spans".to_owned(),
    );
    state.ingest.refused(Protocol::Zipkin, &refusal);
    (refusal.http, refusal.message).into_response()
}
