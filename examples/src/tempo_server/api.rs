//! The query API (default port 3200), answering as Tempo's single binary does.
//!
//! | route | answer |
//! | --- | --- |
//! | `GET /api/traces/<id>` | the trace: JSON `{"batches":[…]}`, or `tempopb.Trace` protobuf with `Accept: application/protobuf`; 404 with an empty body when unknown |
//! | `GET /api/v2/traces/<id>` | `{"trace":{…},"metrics":{…}}` (or `TraceByIDResponse` protobuf); unknown is 200 `{"trace":{},"metrics":{}}` |
//! | `GET /api/echo` | `echo` |
//! | `GET /ready` | `ready` |
//! | `GET /api/status/buildinfo` | `{"version":…,"revision":…,…}` |
//! | `GET /metrics` | Prometheus (OpenMetrics) text, see [`super::metrics`] |
//! | `/api/search`, `/api/search/tags`, `/api/v2/search/tags`, `/api/search/tag/<t>/values`, `/api/v2/search/tag/<t>/values`, `/api/metrics/…` | 501: TraceQL is not implemented yet |
//!
//! Trace IDs are 1 to 32 hex digits, left-padded (Tempo's rule); a malformed ID or `start`/
//! `end` is 400 with Tempo's plain-text message. `start` and `end` (Unix seconds) limit the
//! blocks searched. With multitenancy on, trace lookups need `X-Scope-OrgID` (401 `no org
//! id` without).

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Path, Query, Request, State};
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use otlp_model::proto::trace::TracesData;
use otlp_model::tempo_api::{
    PartialStatus, TraceByIdMetrics, TraceByIdResponse, trace_v1_json, trace_v1_protobuf,
    trace_v2_json, trace_v2_protobuf,
};
use otlp_model::{ModelError, TraceId};
use serde::{Deserialize, Serialize};
use tempo_store::{FindOptions, Store};

use super::metrics::{self, Metrics};
use super::store_gauges;
use super::tenant::{TenantError, TenantPolicy};

const JSON: &str = "application/json";
const PROTOBUF: &str = "application/protobuf";
const TEXT: &str = "text/plain; charset=utf-8";

/// The Tempo release whose HTTP API this server answers (trace by ID v1 and v2).
pub const TEMPO_API_VERSION: &str = "3.0.0";

/// What `/api/status/buildinfo` reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildInfo {
    /// The Tempo API level served, with this crate's version as semver build metadata
    /// ([`TEMPO_API_VERSION`]`+observability-storage.<CARGO_PKG_VERSION>`). Grafana's Tempo
    /// data source turns features on by comparing this version with Tempo's releases (and
    /// treats an empty one as the latest); build metadata does not take part in the
    /// comparison, so Grafana sees the API level and a person sees what is running.
    pub version: String,
    /// The source revision, from `BUILD_REVISION` at build time (empty without).
    pub revision: String,
    /// The branch, from `BUILD_BRANCH` at build time.
    pub branch: String,
    /// Who built it, from `BUILD_USER` at build time.
    pub build_user: String,
    /// When, from `BUILD_DATE` at build time.
    pub build_date: String,
    /// Tempo reports its Go version here; empty, kept so the shape is Tempo's.
    pub go_version: String,
}

impl BuildInfo {
    /// The build information of this binary.
    pub fn current() -> Self {
        Self {
            version: format!(
                "{TEMPO_API_VERSION}+observability-storage.{}",
                env!("CARGO_PKG_VERSION")
            ),
            revision: option_env!("BUILD_REVISION").unwrap_or_default().to_owned(),
            branch: option_env!("BUILD_BRANCH").unwrap_or_default().to_owned(),
            build_user: option_env!("BUILD_USER").unwrap_or_default().to_owned(),
            build_date: option_env!("BUILD_DATE").unwrap_or_default().to_owned(),
            go_version: String::new(),
        }
    }
}

#[derive(Debug, Clone)]
struct ApiState {
    store: Store,
    metrics: Arc<Metrics>,
    tenants: TenantPolicy,
}

/// The query API's routes.
pub fn router(store: Store, metrics: Arc<Metrics>, tenants: TenantPolicy) -> Router {
    let state = ApiState {
        store,
        metrics: Arc::clone(&metrics),
        tenants,
    };
    Router::new()
        .route("/api/traces/{id}", get(trace_v1))
        .route("/api/v2/traces/{id}", get(trace_v2))
        .route(
            "/api/echo",
            get(|| async { text(StatusCode::OK, "echo\n") }),
        )
        .route("/ready", get(ready))
        .route("/api/status/buildinfo", get(buildinfo))
        .route("/metrics", get(prometheus))
        .route("/api/search", any(search_not_implemented))
        .route("/api/search/tags", any(tags_not_implemented))
        .route("/api/v2/search/tags", any(tags_not_implemented))
        .route("/api/search/tag/{name}/values", any(tags_not_implemented))
        .route(
            "/api/v2/search/tag/{name}/values",
            any(tags_not_implemented),
        )
        .route("/api/metrics/{*rest}", any(metrics_not_implemented))
        .fallback(|| async { text(StatusCode::NOT_FOUND, "404 page not found\n") })
        .layer(middleware::from_fn_with_state(metrics, record_latency))
        .with_state(state)
}

fn text(status: StatusCode, body: impl Into<String>) -> Response {
    (status, [(CONTENT_TYPE, TEXT)], body.into()).into_response()
}

async fn record_latency(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "other".to_owned(), |p| p.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.observe_request(&route, response.status().as_u16(), started.elapsed());
    response
}

/// The query parameters of a trace lookup (Tempo's names).
#[derive(Debug, Default, Deserialize)]
struct TraceParams {
    start: Option<String>,
    end: Option<String>,
    mode: Option<String>,
}

/// A trace lookup, validated as Tempo validates it.
struct Lookup {
    tenant: String,
    id: TraceId,
    options: FindOptions,
    protobuf: bool,
}

/// A lookup, or the status and plain-text message refusing it.
fn lookup(
    state: &ApiState,
    id: &str,
    params: &TraceParams,
    headers: &HeaderMap,
) -> Result<Lookup, (StatusCode, String)> {
    let tenant = state.tenants.from_headers(headers).map_err(|e| match e {
        // dskit's middleware answers with Go's http.Error, which ends the text with a newline.
        TenantError::Missing => (StatusCode::UNAUTHORIZED, format!("{e}\n")),
        TenantError::Invalid(_) => (StatusCode::BAD_REQUEST, e.to_string()),
    })?;
    let id = parse_trace_id(id).map_err(|e| (StatusCode::BAD_REQUEST, e))?;
    let options = find_options(params).map_err(|e| (StatusCode::BAD_REQUEST, e))?;
    let protobuf = headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains(PROTOBUF));
    Ok(Lookup {
        tenant,
        id,
        options,
        protobuf,
    })
}

/// A hex trace ID as Tempo's `HexStringToTraceID` reads it, with its messages.
fn parse_trace_id(text: &str) -> Result<TraceId, String> {
    if let Some((i, c)) = text.char_indices().find(|(_, c)| !c.is_ascii_hexdigit()) {
        return Err(format!(
            "trace IDs can only contain hex characters: invalid character '{c}' at position {}",
            i + 1
        ));
    }
    TraceId::parse_hex(text).map_err(|e| match e {
        ModelError::IdTooLong { .. } => "trace IDs can't be larger than 128 bits".to_owned(),
        other => other.to_string(),
    })
}

/// `start`/`end`/`mode`, checked with Tempo's messages.
fn find_options(params: &TraceParams) -> Result<FindOptions, String> {
    let nonempty = |v: &Option<String>| v.as_deref().filter(|v| !v.is_empty()).map(str::to_owned);
    if let Some(mode) = nonempty(&params.mode)
        && !matches!(mode.as_str(), "all" | "ingesters" | "blocks")
    {
        return Err(format!("invalid value for mode {mode}"));
    }
    let seconds = |name: &str, value: Option<String>| -> Result<i64, String> {
        match value {
            None => Ok(0),
            Some(v) => parse_go_int(&v)
                .map_err(|why| format!("invalid {name}: strconv.ParseInt: parsing {v:?}: {why}")),
        }
    };
    let start = seconds("start", nonempty(&params.start))?;
    let end = seconds("end", nonempty(&params.end))?;
    if start != 0 && end != 0 && end <= start {
        return Err(format!(
            "http parameter start must be before end. received start={start} end={end}"
        ));
    }
    let positive = |s: i64| u64::try_from(s).ok().filter(|&s| s > 0);
    Ok(FindOptions::range(positive(start), positive(end)))
}

/// A base-10 `int64` as Go's `strconv.ParseInt(s, 10, 64)` reads it, with its reasons.
fn parse_go_int(text: &str) -> Result<i64, &'static str> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("invalid syntax");
    }
    text.parse().map_err(|_| "value out of range")
}

async fn find(
    state: &ApiState,
    lookup: &Lookup,
) -> Result<Option<(TracesData, u64, bool)>, Response> {
    match state
        .store
        .find_trace(&lookup.tenant, &lookup.id, lookup.options)
        .await
    {
        Ok(Some(found)) if !found.trace.resource_spans.is_empty() => {
            Ok(Some((found.trace, found.inspected_bytes, found.partial)))
        }
        Ok(_) => Ok(None),
        Err(e) => Err(text(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())),
    }
}

async fn trace_v1(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    Query(params): Query<TraceParams>,
    headers: HeaderMap,
) -> Response {
    let lookup = match lookup(&state, &id, &params, &headers) {
        Ok(lookup) => lookup,
        Err((status, message)) => return text(status, message),
    };
    match find(&state, &lookup).await {
        Err(response) => response,
        // Tempo's v1 answer for an unknown ID: 404, no body.
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Ok(Some((trace, _, _))) if lookup.protobuf => {
            ([(CONTENT_TYPE, PROTOBUF)], trace_v1_protobuf(&trace)).into_response()
        }
        Ok(Some((trace, _, _))) => ([(CONTENT_TYPE, JSON)], trace_v1_json(&trace)).into_response(),
    }
}

async fn trace_v2(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    Query(params): Query<TraceParams>,
    headers: HeaderMap,
) -> Response {
    let lookup = match lookup(&state, &id, &params, &headers) {
        Ok(lookup) => lookup,
        Err((status, message)) => return text(status, message),
    };
    let response = match find(&state, &lookup).await {
        Err(response) => return response,
        Ok(None) => TraceByIdResponse::not_found(),
        Ok(Some((trace, inspected_bytes, partial))) => {
            let metrics = TraceByIdMetrics {
                inspected_bytes,
                ..TraceByIdMetrics::default()
            };
            let mut response = TraceByIdResponse::found(trace, metrics);
            if partial {
                response.status = PartialStatus::Partial as i32;
                "Trace exceeds the tenant's max_bytes_per_trace, a partial trace is returned"
                    .clone_into(&mut response.message);
            }
            response
        }
    };
    if lookup.protobuf {
        ([(CONTENT_TYPE, PROTOBUF)], trace_v2_protobuf(&response)).into_response()
    } else {
        ([(CONTENT_TYPE, JSON)], trace_v2_json(&response)).into_response()
    }
}

async fn ready(State(state): State<ApiState>) -> Response {
    if state.store.is_ready() {
        text(StatusCode::OK, "ready\n")
    } else {
        text(StatusCode::SERVICE_UNAVAILABLE, "shutting down\n")
    }
}

async fn buildinfo() -> Response {
    // Go's JSON encoder ends the document with a newline.
    let mut body = serde_json::to_vec(&BuildInfo::current()).unwrap_or_default();
    body.push(b'\n');
    ([(CONTENT_TYPE, JSON)], body).into_response()
}

async fn prometheus(State(state): State<ApiState>) -> Response {
    let (wal_bytes, tenants) = store_gauges(&state.store);
    state.metrics.set_store_gauges(wal_bytes, &tenants);
    (
        [(CONTENT_TYPE, metrics::CONTENT_TYPE)],
        state.metrics.encode(),
    )
        .into_response()
}

async fn search_not_implemented() -> Response {
    text(
        StatusCode::NOT_IMPLEMENTED,
        "search is not implemented yet in this server: TraceQL lands in a later release; \
         fetch traces by ID with /api/traces/<id> or /api/v2/traces/<id>",
    )
}

async fn tags_not_implemented() -> Response {
    text(
        StatusCode::NOT_IMPLEMENTED,
        "tag search is not implemented yet in this server: it lands with TraceQL in a later \
         release",
    )
}

async fn metrics_not_implemented() -> Response {
    text(
        StatusCode::NOT_IMPLEMENTED,
        "TraceQL metrics are not implemented yet in this server: they land with TraceQL in a \
         later release",
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

    use super::*;

    #[test]
    fn trace_ids_as_tempo_reads_them() {
        assert_eq!(
            parse_trace_id("abc").unwrap(),
            TraceId::parse_hex("00000000000000000000000000000abc").unwrap()
        );
        assert_eq!(
            parse_trace_id("xyz").unwrap_err(),
            "trace IDs can only contain hex characters: invalid character 'x' at position 1"
        );
        assert_eq!(
            parse_trace_id("12é").unwrap_err(),
            "trace IDs can only contain hex characters: invalid character 'é' at position 3"
        );
        assert_eq!(
            parse_trace_id(&"a".repeat(33)).unwrap_err(),
            "trace IDs can't be larger than 128 bits"
        );
    }

    #[test]
    fn start_and_end_as_tempo_checks_them() {
        let params = |start: &str, end: &str| TraceParams {
            start: Some(start.to_owned()),
            end: Some(end.to_owned()),
            mode: None,
        };
        let ok = find_options(&params("10", "20")).unwrap();
        assert_eq!((ok.start_unix_secs, ok.end_unix_secs), (Some(10), Some(20)));
        let none = find_options(&params("", "")).unwrap();
        assert_eq!((none.start_unix_secs, none.end_unix_secs), (None, None));
        assert_eq!(
            find_options(&params("x", "")).err().unwrap(),
            "invalid start: strconv.ParseInt: parsing \"x\": invalid syntax"
        );
        assert_eq!(
            find_options(&params("1", "99999999999999999999"))
                .err()
                .unwrap(),
            "invalid end: strconv.ParseInt: parsing \"99999999999999999999\": value out of range"
        );
        assert_eq!(
            find_options(&params("20", "10")).err().unwrap(),
            "http parameter start must be before end. received start=20 end=10"
        );
        let bad_mode = TraceParams {
            mode: Some("x".into()),
            ..TraceParams::default()
        };
        assert_eq!(
            find_options(&bad_mode).err().unwrap(),
            "invalid value for mode x"
        );
    }

    #[test]
    fn buildinfo_has_tempos_shape() {
        let json = serde_json::to_string(&BuildInfo::current()).unwrap();
        assert!(json.starts_with(&format!(
            "{{\"version\":\"{TEMPO_API_VERSION}+observability-storage.{}\",\"revision\":",
            env!("CARGO_PKG_VERSION")
        )));
        assert!(json.ends_with(",\"goVersion\":\"\"}"), "{json}");
        for key in ["branch", "buildUser", "buildDate"] {
            assert!(json.contains(&format!("\"{key}\":")), "{json}");
        }
    }
}
