//! The query API (port 3100, beside the push routes), answering as Loki's single binary does.
//!
//! | route | answer |
//! | --- | --- |
//! | `GET/POST /loki/api/v1/query_range` | a log query's entries: `{"status":"success","data":{"resultType":"streams","result":[…],"stats":{…}}}` |
//! | `GET/POST /loki/api/v1/query` | a log query is 400 (Loki's text: instant queries take metric queries only) |
//! | `GET/POST /loki/api/v1/labels` (and `/label`) | `{"status":"success","data":["app",…]}` |
//! | `GET/POST /loki/api/v1/label/<name>/values` | `{"status":"success","data":["api",…]}` |
//! | `GET/POST /loki/api/v1/series` | `{"status":"success","data":[{"app":"api",…},…]}` |
//! | `GET /loki/api/v1/tail` | a WebSocket of `{"streams":[…]}` messages, see [`tail`] |
//! | `GET/POST /loki/api/v1/format_query` | `{"status":"success","data":"<query printed>"}` |
//! | `GET /ready` | `ready` |
//! | `GET /loki/api/v1/status/buildinfo` | `{"version":…,"revision":…,…}` |
//! | `GET /metrics` | Prometheus (OpenMetrics) text, see [`super::metrics`] |
//! | `index/stats`, `index/volume`, `index/volume_range`, `index/shards`, `detected_fields`, `detected_field/<name>/values`, `detected_labels`, `patterns`, the legacy `/api/prom/*` queries | 501 with what is missing |
//!
//! Parameters, defaults and errors are Loki's ([`params`]); LogQL parse errors are 400 with
//! the parser's text, constructs the planner does not run yet 400 `… is not supported yet`.
//! With `X-Loki-Response-Encoding-Flags: categorize-labels`, structured metadata stays out
//! of the stream labels and comes beside each line. Chunks the store had to leave out
//! (missing, corrupt) are listed in the answer's `warnings`.

pub mod encode;
pub mod params;
pub mod tail;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{MatchedPath, Path, RawQuery, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use loki_store::Store;
use serde::Serialize;
use tokio::sync::watch;

use super::metrics::{self, Metrics, TenantGauges};
use super::tenant::TenantPolicy;
use logql::exec::{self as query, LogQuery};
use params::Params;

pub use encode::CATEGORIZE_LABELS;

const JSON: &str = "application/json";
const TEXT: &str = "text/plain; charset=utf-8";
const FORM: &str = "application/x-www-form-urlencoded";

/// The header carrying Loki's response encoding flags.
pub const ENCODING_FLAGS_HEADER: &str = "x-loki-response-encoding-flags";

/// The Loki release whose HTTP API this server answers.
pub const LOKI_API_VERSION: &str = "3.7.0";

/// What `/loki/api/v1/status/buildinfo` reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildInfo {
    /// The Loki API level served, with this crate's version as semver build metadata
    /// ([`LOKI_API_VERSION`]`+observability-storage.<CARGO_PKG_VERSION>`).
    pub version: String,
    /// The source revision, from `BUILD_REVISION` at build time (empty without).
    pub revision: String,
    /// The branch, from `BUILD_BRANCH` at build time.
    pub branch: String,
    /// Who built it, from `BUILD_USER` at build time.
    pub build_user: String,
    /// When, from `BUILD_DATE` at build time.
    pub build_date: String,
    /// Loki reports its Go version here; empty, kept so the shape is Loki's.
    pub go_version: String,
}

impl BuildInfo {
    /// The build information of this binary.
    pub fn current() -> Self {
        Self {
            version: format!(
                "{LOKI_API_VERSION}+observability-storage.{}",
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
pub(crate) struct ApiState {
    pub(crate) store: Store,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) tenants: TenantPolicy,
    /// Turns true when the server shuts down (tails close).
    pub(crate) stop: watch::Receiver<bool>,
}

/// The query API's routes.
pub fn router(
    store: Store,
    metrics: Arc<Metrics>,
    tenants: TenantPolicy,
    stop: watch::Receiver<bool>,
) -> Router {
    let state = ApiState {
        store,
        metrics,
        tenants,
        stop,
    };
    let not_built: [(&str, &str); 12] = [
        ("/loki/api/v1/index/stats", "index statistics"),
        ("/loki/api/v1/index/volume", "log volume"),
        ("/loki/api/v1/index/volume_range", "log volume"),
        ("/loki/api/v1/index/shards", "query sharding"),
        ("/loki/api/v1/detected_fields", "field detection"),
        (
            "/loki/api/v1/detected_field/{name}/values",
            "field detection",
        ),
        ("/loki/api/v1/detected_labels", "label detection"),
        ("/loki/api/v1/patterns", "log patterns"),
        ("/api/prom/query", "the legacy query API"),
        ("/api/prom/label", "the legacy query API"),
        ("/api/prom/label/{name}/values", "the legacy query API"),
        ("/api/prom/tail", "the legacy query API"),
    ];
    let mut router = Router::new()
        .route(
            "/loki/api/v1/query_range",
            get(query_range).post(query_range),
        )
        .route("/loki/api/v1/query", get(instant_query).post(instant_query))
        .route("/loki/api/v1/labels", get(labels).post(labels))
        .route("/loki/api/v1/label", get(labels).post(labels))
        .route(
            "/loki/api/v1/label/{name}/values",
            get(label_values).post(label_values),
        )
        .route("/loki/api/v1/series", get(series).post(series))
        .route("/loki/api/v1/tail", get(tail::tail))
        .route(
            "/loki/api/v1/format_query",
            get(format_query).post(format_query),
        )
        .route("/ready", get(ready))
        .route("/loki/api/v1/status/buildinfo", get(buildinfo))
        .route("/metrics", get(prometheus));
    for (path, what) in not_built {
        let message = format!(
            "{path}: {what} is not implemented yet in this server; log queries \
             (/loki/api/v1/query_range), labels, series and tail are"
        );
        router = router.route(
            path,
            any(move || {
                let message = message.clone();
                async move { text(StatusCode::NOT_IMPLEMENTED, message) }
            }),
        );
    }
    router.with_state(state)
}

/// Records every request's latency (the push routes' too, when layered over the whole app).
pub(crate) async fn record_latency(
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

/// The latency layer for a router.
pub(crate) fn latency_layer(router: Router, metrics: Arc<Metrics>) -> Router {
    router.layer(middleware::from_fn_with_state(metrics, record_latency))
}

/// Go's `http.Error`: plain text and a newline.
pub(crate) fn text(status: StatusCode, message: impl Into<String>) -> Response {
    let mut body = message.into();
    body.push('\n');
    (status, [(CONTENT_TYPE, TEXT)], body).into_response()
}

fn bad_request(message: impl Into<String>) -> Response {
    text(StatusCode::BAD_REQUEST, message)
}

/// A refused request: its status and Loki's message (answered as [`text`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
}

impl Failure {
    /// 400 with `message`.
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    /// A tenant refusal (401 or 400).
    pub(crate) fn tenant(error: &super::tenant::TenantError) -> Self {
        Self {
            status: error.status(),
            message: error.to_string(),
        }
    }

    /// Go's `http.Error` answer.
    pub(crate) fn into_response(self) -> Response {
        text(self.status, self.message)
    }
}

fn json_response(body: Vec<u8>) -> Response {
    ([(CONTENT_TYPE, JSON)], body).into_response()
}

/// The form of a request: the query string, and a form body on `POST`.
pub(crate) fn form(
    method: &Method,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Params {
    let is_form = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(';').next().is_some_and(|t| t.trim() == FORM));
    let body = (*method == Method::POST && is_form).then_some(body.as_ref());
    Params::new(query, body)
}

/// Whether the request asks for `categorize-labels`.
pub(crate) fn categorize(headers: &HeaderMap) -> bool {
    headers
        .get_all(ENCODING_FLAGS_HEADER)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|flag| flag.trim() == CATEGORIZE_LABELS)
}

/// A LogQL error as Loki answers it: 400 with the parser's (or planner's) text.
fn logql_error(error: &logql::Error) -> Response {
    bad_request(error.to_string())
}

/// The smallest non-zero `max_entries_limit_per_query` of `tenants` (0: none).
fn max_entries(store: &Store, tenants: &[String]) -> usize {
    tenants
        .iter()
        .map(|t| {
            store
                .config()
                .overrides
                .for_tenant(t)
                .max_entries_limit_per_query
        })
        .filter(|&n| n > 0)
        .min()
        .unwrap_or(0)
}

async fn query_range(
    State(state): State<ApiState>,
    method: Method,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let tenants = match state.tenants.query(&headers) {
        Ok(t) => t,
        Err(e) => return text(e.status(), e.to_string()),
    };
    let params = form(&method, raw.as_deref(), &headers, &body);
    let request = match params::range_query(&params, params::now_ns()) {
        Ok(r) => r,
        Err(e) => return bad_request(e),
    };
    let expr = match logql::parse(&request.query) {
        Ok(e) => e,
        Err(e) => return logql_error(&e),
    };
    if expr.as_log().is_some() {
        let max = max_entries(&state.store, &tenants);
        if max > 0 && request.limit as usize > max {
            return bad_request(format!(
                "max entries limit per query exceeded, limit > max_entries_limit_per_query ({} > {max})",
                request.limit
            ));
        }
    }
    let plan = match logql::LogPlan::new(&expr) {
        Ok(p) => p,
        Err(e) => return logql_error(&e),
    };
    let query = match LogQuery::new(plan, tenants.len() > 1) {
        Ok(q) => q,
        Err(e) => return bad_request(e),
    };
    let selected = query
        .select(
            &state.store,
            &tenants,
            (request.start, request.end),
            request.direction,
            request.limit as usize,
            request.interval,
        )
        .await;
    let selected = match selected {
        Ok(s) => s,
        Err(e) => return text(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    for c in &selected.stats.skipped {
        state.metrics.chunks_skipped(c.reason.as_str(), 1);
    }
    let categorize = categorize(&headers);
    let returned = selected.entries.len();
    let result = query::group_streams(selected.entries, categorize);
    let stats = encode::stats(&selected.stats, returned, started.elapsed().as_secs_f64());
    let warnings = encode::warnings(&selected.stats);
    json_response(encode::streams_response(
        &result, categorize, &stats, &warnings,
    ))
}

async fn instant_query(
    State(state): State<ApiState>,
    method: Method,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(e) = state.tenants.query(&headers) {
        return text(e.status(), e.to_string());
    }
    let params = form(&method, raw.as_deref(), &headers, &body);
    let checks = params::limit(&params)
        .and_then(|_| params::parse_timestamp(params.get("time"), params::now_ns()))
        .and_then(|_| params::direction(&params));
    if let Err(e) = checks {
        return bad_request(e);
    }
    let expr = match logql::parse(params.get("query")) {
        Ok(e) => e,
        Err(e) => return logql_error(&e),
    };
    if expr.as_log().is_some() {
        return bad_request(
            "log queries are not supported as an instant query type, please change your query \
             to a range query type",
        );
    }
    match logql::LogPlan::new(&expr) {
        Err(e) => logql_error(&e),
        // Unreachable while metric queries are refused by the planner; kept total.
        Ok(_) => text(
            StatusCode::NOT_IMPLEMENTED,
            "metric queries are not supported yet",
        ),
    }
}

/// The matchers of an optional `query` selector.
fn optional_selector(params: &Params) -> Result<Vec<logql::Matcher>, Failure> {
    match params.get("query") {
        "" => Ok(Vec::new()),
        text => query::selector_matchers(text).map_err(|e| Failure::bad_request(e.to_string())),
    }
}

/// What a label request asks for.
struct LabelRequest {
    tenants: Vec<String>,
    bounds: (i64, i64),
    matchers: Vec<logql::Matcher>,
}

/// Tenants, bounds and selector of a label request.
fn label_request(
    state: &ApiState,
    method: &Method,
    raw: Option<&str>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<LabelRequest, Failure> {
    let tenants = state
        .tenants
        .query(headers)
        .map_err(|e| Failure::tenant(&e))?;
    let params = form(method, raw, headers, body);
    let bounds = params::bounds(&params, params::now_ns()).map_err(Failure::bad_request)?;
    let matchers = optional_selector(&params)?;
    Ok(LabelRequest {
        tenants,
        bounds,
        matchers,
    })
}

/// `{"status":"success","data":…}` in Loki's key order.
#[derive(Serialize)]
struct Success<T: Serialize> {
    status: &'static str,
    data: T,
}

/// `format_query`'s refusal.
#[derive(Serialize)]
struct InvalidQuery {
    status: &'static str,
    error: String,
}

fn string_list(values: &[String]) -> Response {
    let body = serde_json::to_vec(&Success {
        status: "success",
        data: values,
    })
    .unwrap_or_default();
    json_response(body)
}

async fn labels(
    State(state): State<ApiState>,
    method: Method,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let r = match label_request(&state, &method, raw.as_deref(), &headers, &body) {
        Ok(r) => r,
        Err(failure) => return failure.into_response(),
    };
    match query::label_names(&state.store, &r.tenants, &r.matchers, r.bounds) {
        Ok(names) => string_list(&names),
        Err(e) => bad_request(e),
    }
}

async fn label_values(
    State(state): State<ApiState>,
    Path(name): Path<String>,
    method: Method,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let r = match label_request(&state, &method, raw.as_deref(), &headers, &body) {
        Ok(r) => r,
        Err(failure) => return failure.into_response(),
    };
    match query::label_values(&state.store, &r.tenants, &name, &r.matchers, r.bounds) {
        Ok(values) => string_list(&values),
        Err(e) => bad_request(e),
    }
}

async fn series(
    State(state): State<ApiState>,
    method: Method,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let tenants = match state.tenants.query(&headers) {
        Ok(t) => t,
        Err(e) => return text(e.status(), e.to_string()),
    };
    let params = form(&method, raw.as_deref(), &headers, &body);
    let bounds = match params::bounds(&params, params::now_ns()) {
        Ok(b) => b,
        Err(e) => return bad_request(e),
    };
    // `match` and `match[]`, deduplicated and sorted; a lone `{}` selects everything.
    let mut selectors: Vec<&str> = params.all("match");
    selectors.extend(params.all("match[]"));
    selectors.sort_unstable();
    selectors.dedup();
    if selectors.len() == 1 && selectors[0].replace(' ', "") == "{}" {
        selectors.clear();
    }
    let mut groups = Vec::with_capacity(selectors.len());
    for s in selectors {
        match query::selector_matchers(s) {
            Ok(m) => groups.push(m),
            Err(e) => return logql_error(&e),
        }
    }
    match query::series(&state.store, &tenants, &groups, bounds) {
        Ok(series) => {
            let mut body = Vec::with_capacity(64 * (series.len() + 1));
            body.extend_from_slice(b"{\"status\":\"success\",\"data\":[");
            for (i, labels) in series.iter().enumerate() {
                if i > 0 {
                    body.push(b',');
                }
                encode::labels_object(&mut body, labels.iter());
            }
            body.extend_from_slice(b"]}");
            json_response(body)
        }
        Err(e) => bad_request(e),
    }
}

async fn format_query(
    method: Method,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = form(&method, raw.as_deref(), &headers, &body);
    // Go's json.Encoder ends the document with a newline.
    let (status, mut body) = match logql::parse(params.get("query")) {
        Ok(expr) => (
            StatusCode::OK,
            serde_json::to_vec(&Success {
                status: "success",
                data: expr.to_string(),
            }),
        ),
        Err(e) => (
            StatusCode::BAD_REQUEST,
            serde_json::to_vec(&InvalidQuery {
                status: "invalid-query",
                error: e.to_string(),
            }),
        ),
    };
    if let Ok(b) = &mut body {
        b.push(b'\n');
    }
    (
        status,
        [(CONTENT_TYPE, "application/json; charset=utf-8")],
        body.unwrap_or_default(),
    )
        .into_response()
}

async fn ready(State(state): State<ApiState>) -> Response {
    if state.store.is_ready() && !*state.stop.borrow() {
        text(StatusCode::OK, "ready")
    } else {
        text(StatusCode::SERVICE_UNAVAILABLE, "Application is stopping")
    }
}

async fn buildinfo() -> Response {
    // Go's JSON encoder ends the document with a newline.
    let mut body = serde_json::to_vec(&BuildInfo::current()).unwrap_or_default();
    body.push(b'\n');
    json_response(body)
}

async fn prometheus(State(state): State<ApiState>) -> Response {
    let stats = state.store.stats();
    let tenants: Vec<TenantGauges> = stats
        .tenants
        .iter()
        .map(|(tenant, t)| TenantGauges {
            tenant: tenant.clone(),
            streams: t.streams as u64,
            chunks: (t.head_chunks + t.closed_chunks) as u64,
        })
        .collect();
    state.metrics.set_store_gauges(stats.wal_bytes, &tenants);
    (
        [(CONTENT_TYPE, metrics::CONTENT_TYPE)],
        state.metrics.encode(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn buildinfo_has_lokis_shape() {
        let json = serde_json::to_string(&BuildInfo::current()).unwrap();
        assert!(json.starts_with(&format!(
            "{{\"version\":\"{LOKI_API_VERSION}+observability-storage.{}\",\"revision\":",
            env!("CARGO_PKG_VERSION")
        )));
        for key in ["branch", "buildUser", "buildDate", "goVersion"] {
            assert!(json.contains(&format!("\"{key}\":")), "{json}");
        }
    }

    #[test]
    fn encoding_flags() {
        let mut h = HeaderMap::new();
        assert!(!categorize(&h));
        h.insert(
            "X-Loki-Response-Encoding-Flags",
            HeaderValue::from_static("other, categorize-labels"),
        );
        assert!(categorize(&h));
    }

    #[test]
    fn forms_are_read_from_post_bodies_only_when_they_are_forms() {
        let mut h = HeaderMap::new();
        let body = Bytes::from_static(b"query=%7Ba%3D%22b%22%7D");
        assert_eq!(form(&Method::POST, None, &h, &body).get("query"), "");
        h.insert(CONTENT_TYPE, HeaderValue::from_static(FORM));
        assert_eq!(
            form(&Method::POST, None, &h, &body).get("query"),
            "{a=\"b\"}"
        );
        assert_eq!(form(&Method::GET, None, &h, &body).get("query"), "");
    }
}
