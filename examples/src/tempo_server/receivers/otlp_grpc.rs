//! OTLP/gRPC: `opentelemetry.proto.collector.trace.v1.TraceService/Export` (default port
//! 4317), gzip-compressed requests accepted.
//!
//! Messages over the receiver's `max_recv_msg_size_mib` (default 4 MiB) are refused with
//! `ResourceExhausted`, as gRPC-Go (the OpenTelemetry Collector's server) refuses them; a
//! missing `x-scope-orgid` with multitenancy on is `Unauthenticated`; store refusals map as
//! [`Refusal::store`] says.

use std::future::Future;

use axum::http::{HeaderValue, Response};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use otlp_model::proto::collector::trace::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use tokio::net::TcpListener;
use tonic::codec::CompressionEncoding;
use tonic::transport::server::TcpIncoming;
use tonic::{Request, Status};

use super::{Ingest, Protocol, Refusal};

/// The `TraceService` implementation.
#[derive(Debug, Clone)]
pub struct OtlpGrpc {
    ingest: Ingest,
}

#[tonic::async_trait]
impl TraceService for OtlpGrpc {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, Status> {
        let result = match self.ingest.tenants().from_metadata(request.metadata()) {
            Ok(tenant) => {
                let batch = request.into_inner().resource_spans;
                self.ingest.push(Protocol::OtlpGrpc, &tenant, batch).await
            }
            Err(e) => Err(Refusal::tenant(&e)),
        };
        match result {
            Ok(()) => Ok(tonic::Response::new(ExportTraceServiceResponse::default())),
            Err(refusal) => {
                self.ingest.refused(Protocol::OtlpGrpc, &refusal);
                Err(refusal.to_status())
            }
        }
    }
}

/// gRPC status codes as the `grpc-status` header carries them.
const OUT_OF_RANGE: &str = "11";
const RESOURCE_EXHAUSTED: HeaderValue = HeaderValue::from_static("8");

/// tonic refuses an oversized message with `OutOfRange`; gRPC-Go, and so every OTLP
/// exporter's expectation, says `ResourceExhausted`. The handler never answers
/// `OutOfRange` itself, so every such status is that refusal.
fn resource_exhausted_for_oversized<B>(mut response: Response<B>) -> Response<B> {
    if response
        .headers()
        .get("grpc-status")
        .is_some_and(|v| v.as_bytes() == OUT_OF_RANGE.as_bytes())
    {
        response
            .headers_mut()
            .insert("grpc-status", RESOURCE_EXHAUSTED);
    }
    response
}

/// Serves OTLP/gRPC on `listener` until `shutdown` completes, then lets open calls finish.
///
/// # Errors
///
/// tonic's transport errors.
pub async fn serve(
    listener: TcpListener,
    ingest: Ingest,
    max_message_bytes: usize,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), tonic::transport::Error> {
    let service = TraceServiceServer::new(OtlpGrpc { ingest })
        .accept_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(max_message_bytes);
    tonic::transport::Server::builder()
        .layer(tower::util::MapResponseLayer::new(
            resource_exhausted_for_oversized,
        ))
        .add_service(service)
        // Small responses on long-lived HTTP/2 connections: without TCP_NODELAY, Nagle and
        // delayed ACKs hold some of them ~40 ms.
        .serve_with_incoming_shutdown(
            TcpIncoming::from(listener).with_nodelay(Some(true)),
            shutdown,
        )
        .await
}
