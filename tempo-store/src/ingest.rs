//! Validation and splitting of a pushed batch into one part per trace (as Tempo's
//! distributor rebatches by trace ID), and the WAL record that carries it.

use std::collections::HashMap;

use otlp_model::proto::trace::{ResourceSpans, ScopeSpans};

use crate::error::PushError;

/// The spans of one trace from one push, grouped under their resources and scopes.
#[derive(Debug, Clone)]
pub(crate) struct TracePart {
    pub(crate) id: [u8; 16],
    pub(crate) resource_spans: Vec<ResourceSpans>,
}

/// Where one trace's part is in an encoded buffer.
#[derive(Debug, Clone)]
pub(crate) struct EncodedPart {
    pub(crate) id: [u8; 16],
    /// A `TracesData` protobuf of the part's resource spans.
    pub(crate) range: std::ops::Range<usize>,
}

/// Checks a tenant ID as Tempo does: 1–150 bytes of `a-z A-Z 0-9 ! - _ . * ' ( )`, not `.`
/// or `..`.
///
/// # Errors
///
/// [`PushError::InvalidTenant`] naming the rule broken.
pub fn validate_tenant_id(tenant: &str) -> Result<(), PushError> {
    tempo_block::backend::validate_tenant_id(tenant).map_err(|e| match e {
        tempo_block::BlockError::InvalidName { reason, .. } => PushError::InvalidTenant {
            tenant: tenant.to_owned(),
            reason,
        },
        _ => PushError::InvalidTenant {
            tenant: tenant.to_owned(),
            reason: "not a valid tenant ID",
        },
    })
}

fn valid_id<const N: usize>(id: &[u8]) -> Option<[u8; N]> {
    let arr: [u8; N] = id.try_into().ok()?;
    (arr != [0; N]).then_some(arr)
}

/// Splits `batch` into one part per trace ID, in order of first appearance, checking every
/// trace and span ID. Resources and scopes without spans carry no trace and are dropped.
pub(crate) fn split_by_trace(
    batch: Vec<ResourceSpans>,
) -> Result<(Vec<TracePart>, usize), PushError> {
    let mut parts: Vec<TracePart> = Vec::new();
    let mut index: HashMap<[u8; 16], usize> = HashMap::new();
    let mut spans = 0usize;
    for rs in batch {
        let ResourceSpans {
            resource,
            scope_spans,
            schema_url,
        } = rs;
        // Where each trace's copy of this resource is in its part.
        let mut rs_at: HashMap<usize, usize> = HashMap::new();
        for ss in scope_spans {
            let ScopeSpans {
                scope,
                spans: scope_spans_spans,
                schema_url: ss_url,
            } = ss;
            let mut ss_at: HashMap<usize, usize> = HashMap::new();
            for span in scope_spans_spans {
                let Some(id) = valid_id::<16>(&span.trace_id) else {
                    return Err(PushError::InvalidTraceId {
                        id: hex::encode(&span.trace_id),
                        span: span.name,
                    });
                };
                if valid_id::<8>(&span.span_id).is_none() {
                    return Err(PushError::InvalidSpanId {
                        id: hex::encode(&span.span_id),
                        span: span.name,
                    });
                }
                spans += 1;
                let p = *index.entry(id).or_insert_with(|| {
                    parts.push(TracePart {
                        id,
                        resource_spans: Vec::new(),
                    });
                    parts.len() - 1
                });
                let part = &mut parts[p];
                let r = *rs_at.entry(p).or_insert_with(|| {
                    part.resource_spans.push(ResourceSpans {
                        resource: resource.clone(),
                        scope_spans: Vec::new(),
                        schema_url: schema_url.clone(),
                    });
                    part.resource_spans.len() - 1
                });
                let rs = &mut part.resource_spans[r];
                let s = *ss_at.entry(p).or_insert_with(|| {
                    rs.scope_spans.push(ScopeSpans {
                        scope: scope.clone(),
                        spans: Vec::new(),
                        schema_url: ss_url.clone(),
                    });
                    rs.scope_spans.len() - 1
                });
                rs.scope_spans[s].spans.push(span);
            }
        }
    }
    Ok((parts, spans))
}

/// Appends each part as a `TracesData` protobuf (its resource spans as field 1) to `out`,
/// back to back, and says where each one is. The whole run is itself a `TracesData` of every
/// part.
pub(crate) fn encode_parts_into(out: &mut Vec<u8>, parts: &[TracePart]) -> Vec<EncodedPart> {
    let mut placed = Vec::with_capacity(parts.len());
    for part in parts {
        let start = out.len();
        for rs in &part.resource_spans {
            prost::encoding::message::encode(1, rs, out);
        }
        placed.push(EncodedPart {
            id: part.id,
            range: start..out.len(),
        });
    }
    placed
}
