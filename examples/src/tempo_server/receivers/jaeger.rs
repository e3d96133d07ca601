//! Jaeger: the collector's Thrift-over-HTTP endpoint (`POST /api/traces`, default port
//! 14268, a binary-protocol `Batch`) and the agent's UDP ports (`emitBatch` in compact
//! Thrift on 6831, binary Thrift on 6832).
//!
//! HTTP answers as the OpenTelemetry Collector's Jaeger receiver: 202 with no body when
//! stored; an undecodable body is 400 with the decoder's message, another content type
//! 415; store refusals as [`Refusal::store`] says. UDP has no answer: a datagram that does
//! not decode, is larger than `max_packet_size`, or is refused is counted in
//! `tempo_receiver_refused_requests_total` and dropped, as the Jaeger agent drops it. With
//! multitenancy on, UDP datagrams (which cannot carry a tenant) are all refused (`no_org_id`).

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use otlp_model::jaeger::{AgentCall, decode_agent_datagram, decode_batch};
use otlp_model::{Limits, Protocol as ThriftProtocol};
use tokio::net::UdpSocket;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tower_http::decompression::RequestDecompressionLayer;

use super::{Ingest, Protocol, Refusal, media_type, read_body};

/// The content types Jaeger clients send a Thrift batch with.
const THRIFT_TYPES: [&str; 2] = [
    "application/x-thrift",
    "application/vnd.apache.thrift.binary",
];

/// How many UDP batches are pushed at once; past that the socket is not read (and the
/// kernel drops datagrams, as it would for the Jaeger agent).
const UDP_PUSHES_IN_FLIGHT: usize = 64;

#[derive(Debug, Clone)]
struct ReceiverState {
    ingest: Ingest,
    max_body: usize,
}

/// The Thrift-over-HTTP receiver's routes; bodies up to `max_body` bytes after
/// decompression.
pub fn router(ingest: Ingest, max_body: usize) -> Router {
    Router::new()
        .route("/api/traces", post(post_batch))
        .with_state(ReceiverState { ingest, max_body })
        .layer(RequestDecompressionLayer::new())
}

async fn post_batch(
    State(state): State<ReceiverState>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match push(&state, &headers, body).await {
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        Err(refusal) => {
            state.ingest.refused(Protocol::JaegerThriftHttp, &refusal);
            (refusal.http, refusal.message).into_response()
        }
    }
}

async fn push(state: &ReceiverState, headers: &HeaderMap, body: Body) -> Result<(), Refusal> {
    let content_type = media_type(headers.get(CONTENT_TYPE));
    if !THRIFT_TYPES.contains(&content_type.as_str()) {
        return Err(Refusal::unsupported(format!(
            "unsupported content type {content_type:?}: send a binary Thrift Batch as {}",
            THRIFT_TYPES[0]
        )));
    }
    let tenant = state
        .ingest
        .tenants()
        .from_headers(headers)
        .map_err(|e| Refusal::tenant(&e))?;
    let bytes = read_body(body, state.max_body, "max_request_body_size").await?;
    let batch = decode_batch(&bytes, ThriftProtocol::Binary, &Limits::new(state.max_body))
        .map_err(|e| {
            let mut refusal = Refusal::malformed(&e);
            refusal.message = format!("unable to process request body: {}", refusal.message);
            refusal
        })?;
    state
        .ingest
        .push(Protocol::JaegerThriftHttp, &tenant, vec![batch])
        .await
}

/// Reads `emitBatch` datagrams from `socket` until `shutdown` completes, then waits for the
/// pushes under way. `protocol` names the port in the metrics (the Thrift protocol itself
/// is told by each datagram's first byte).
pub async fn serve_udp(
    socket: UdpSocket,
    ingest: Ingest,
    protocol: Protocol,
    max_packet: usize,
    shutdown: impl Future<Output = ()> + Send,
) {
    let permits = Arc::new(Semaphore::new(UDP_PUSHES_IN_FLIGHT));
    let mut pushes = JoinSet::new();
    // One byte more than allowed: a datagram that fills it is too large.
    let mut buf = vec![0u8; max_packet.saturating_add(1)];
    let limits = Limits::new(max_packet);
    tokio::pin!(shutdown);
    loop {
        while pushes.try_join_next().is_some() {}
        let received = tokio::select! {
            () = &mut shutdown => break,
            received = socket.recv_from(&mut buf) => received,
        };
        let Ok((len, _peer)) = received else {
            // ICMP errors and the like surface here; the socket stays usable.
            continue;
        };
        let Some(datagram) = buf.get(..len) else {
            continue;
        };
        let refuse = |refusal: Refusal| ingest.refused(protocol, &refusal);
        if len > max_packet {
            refuse(Refusal::too_large(max_packet, "max_packet_size"));
            continue;
        }
        let batch = match decode_agent_datagram(datagram, &limits) {
            Ok(AgentCall::EmitBatch(batch)) => batch,
            Ok(AgentCall::EmitZipkinBatch) => {
                refuse(Refusal::unsupported(
                    "emitZipkinBatch is not supported (send emitBatch)".to_owned(),
                ));
                continue;
            }
            Ok(AgentCall::Unknown(method)) => {
                refuse(Refusal::unsupported(format!(
                    "unknown agent method {method:?}"
                )));
                continue;
            }
            Ok(other) => {
                refuse(Refusal::unsupported(format!(
                    "unsupported agent call {other:?}"
                )));
                continue;
            }
            Err(e) => {
                refuse(Refusal::malformed(&e));
                continue;
            }
        };
        let tenant = match ingest.tenants().resolve(None) {
            Ok(tenant) => tenant,
            Err(e) => {
                refuse(Refusal::tenant(&e));
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
            break;
        };
        let ingest = ingest.clone();
        pushes.spawn(async move {
            if let Err(refusal) = ingest.push(protocol, &tenant, vec![batch]).await {
                ingest.refused(protocol, &refusal);
            }
            drop(permit);
        });
    }
    while pushes.join_next().await.is_some() {}
}
