//! `tempo-server`: a Grafana Tempo compatible trace server over [`tempo_store`].
//!
//! Protocol translation only: the receivers decode OTLP (gRPC, HTTP protobuf and JSON),
//! Jaeger Thrift (HTTP and the agent's UDP) and Zipkin v2 JSON with [`otlp_model`], push the
//! spans into a [`Store`], and the query API answers trace-by-ID requests with the store's
//! results in Tempo's response shapes. Storage, durability, limits and lookups are the
//! store's.
//!
//! * [`config`]: Tempo's YAML (`-config.file`) and the flags, into a [`Config`].
//! * [`tenant`]: `X-Scope-OrgID` / `single-tenant`.
//! * [`receivers`]: one module per ingest protocol.
//! * [`api`]: the query API on port 3200 (`/api/traces/<id>`, `/api/v2/traces/<id>`,
//!   `/api/echo`, `/ready`, `/api/status/buildinfo`, `/metrics`).
//! * [`metrics`]: the Prometheus metrics.
//!
//! [`run`] binds every listener, opens the store (replaying its WAL) and serves until the
//! shutdown future completes; then it stops the listeners, lets open requests finish and
//! shuts the store down (completing what is in memory into blocks), each within
//! `graceful_shutdown_timeout`.
//!
//! ```no_run
//! use examples::tempo_server::{self, Config};
//!
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = std::path::Path::new("./data");
//! let server = tempo_server::run(Config::loopback(dir), async {
//!     let _ = tokio::signal::ctrl_c().await;
//! })
//! .await?;
//! println!("query API on http://{}", server.addresses().http);
//! server.wait().await?;
//! # Ok(())
//! # }
//! ```

pub mod api;
pub mod config;
pub mod metrics;
pub mod receivers;
pub mod tenant;

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tempo_block::{Backend, ObjectStoreBackend};
use tempo_store::{Limits, Overrides, Store, StoreConfig, StoreError};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

pub use config::{BackendConfig, Config, Receiver, Receivers, TenantLimits};

use crate::bucket::{Access, open_store};
use metrics::{Metrics, TenantGauges};
use receivers::{Ingest, Protocol};
use tenant::TenantPolicy;

/// The addresses the server listens on (with the ports chosen for port 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Addresses {
    /// The query API.
    pub http: SocketAddr,
    /// OTLP/gRPC.
    pub otlp_grpc: Option<SocketAddr>,
    /// OTLP/HTTP.
    pub otlp_http: Option<SocketAddr>,
    /// Jaeger Thrift over HTTP.
    pub jaeger_thrift_http: Option<SocketAddr>,
    /// Jaeger agent, compact Thrift (UDP).
    pub jaeger_thrift_compact: Option<SocketAddr>,
    /// Jaeger agent, binary Thrift (UDP).
    pub jaeger_thrift_binary: Option<SocketAddr>,
    /// Zipkin.
    pub zipkin: Option<SocketAddr>,
}

impl fmt::Display for Addresses {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "query API http://{}", self.http)?;
        let listeners = [
            ("OTLP/gRPC", self.otlp_grpc),
            ("OTLP/HTTP", self.otlp_http),
            ("Jaeger Thrift HTTP", self.jaeger_thrift_http),
            ("Jaeger compact UDP", self.jaeger_thrift_compact),
            ("Jaeger binary UDP", self.jaeger_thrift_binary),
            ("Zipkin", self.zipkin),
        ];
        for (name, addr) in listeners {
            if let Some(addr) = addr {
                write!(f, ", {name} {addr}")?;
            }
        }
        Ok(())
    }
}

/// Why the server could not start, or stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// A listener could not be bound.
    #[error("{what}: cannot listen on {endpoint}: {source}")]
    Bind {
        /// Which listener (and its option).
        what: &'static str,
        /// The endpoint configured.
        endpoint: String,
        /// Why.
        source: std::io::Error,
    },
    /// The block storage could not be opened.
    #[error("storage.trace: {0}")]
    Backend(String),
    /// The store failed to open or to shut down.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// A listener failed while serving.
    #[error("{what}: {message}")]
    Serve {
        /// Which listener.
        what: &'static str,
        /// Why.
        message: String,
    },
    /// Shutdown took longer than `graceful_shutdown_timeout`.
    #[error(
        "{what} did not finish within the graceful shutdown timeout ({}); what is not in \
         a block yet stays in the WAL and is replayed at the next start",
        config::format_go_duration(*after)
    )]
    ShutdownTimeout {
        /// What was being waited for.
        what: &'static str,
        /// The timeout.
        after: Duration,
    },
}

/// A started server: its addresses, its store, and the task that serves until shutdown.
#[derive(Debug)]
pub struct RunningServer {
    addresses: Addresses,
    store: Store,
    task: JoinHandle<Result<(), ServerError>>,
}

impl RunningServer {
    /// Where it listens.
    pub fn addresses(&self) -> &Addresses {
        &self.addresses
    }

    /// The store behind it (to drive its background work by hand in tests, or read its
    /// stats).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Waits until the server has shut down (after the shutdown future given to [`run`]
    /// completed, or a listener failed).
    ///
    /// # Errors
    ///
    /// The first listener error, a shutdown timeout, or the store's shutdown error.
    pub async fn wait(self) -> Result<(), ServerError> {
        match self.task.await {
            Ok(result) => result,
            Err(e) => Err(ServerError::Serve {
                what: "server task",
                message: e.to_string(),
            }),
        }
    }
}

/// The store's settings from the server's configuration (unset options keep the store's
/// defaults, which are Tempo's).
pub fn store_config(config: &Config) -> StoreConfig {
    let mut store = StoreConfig::new(&config.wal_dir);
    let cut = config.cut;
    if let Some(d) = cut.max_trace_idle {
        store.max_trace_idle = d;
    }
    if let Some(d) = cut.max_trace_live {
        store.max_trace_live = d;
    }
    if let Some(d) = cut.max_block_duration {
        store.max_block_duration = d;
    }
    if let Some(n) = cut.max_block_bytes {
        store.max_block_bytes = usize::try_from(n).unwrap_or(usize::MAX);
    }
    if let Some(d) = cut.complete_block_timeout {
        store.complete_block_timeout = d;
    }
    if let Some(d) = cut.blocklist_poll {
        store.blocklist_poll = d;
    }
    let defaults = limits(config.default_limits, &Limits::default());
    store.overrides = Overrides {
        per_tenant: config
            .per_tenant_limits
            .iter()
            .map(|(tenant, l)| (tenant.clone(), limits(*l, &defaults)))
            .collect(),
        defaults,
    };
    store
}

fn limits(set: TenantLimits, base: &Limits) -> Limits {
    let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    Limits {
        ingestion_rate_limit_bytes: set
            .ingestion_rate_limit_bytes
            .unwrap_or(base.ingestion_rate_limit_bytes),
        ingestion_burst_size_bytes: set
            .ingestion_burst_size_bytes
            .unwrap_or(base.ingestion_burst_size_bytes),
        max_traces_per_user: set
            .max_traces_per_user
            .map_or(base.max_traces_per_user, size),
        max_bytes_per_trace: set
            .max_bytes_per_trace
            .map_or(base.max_bytes_per_trace, size),
    }
}

/// The block storage `backend` names: a local folder (created if missing) or an object
/// store URL.
///
/// # Errors
///
/// The backend's error, e.g. an object store whose cargo feature (`s3`, `gcs`, `azure`) is
/// not enabled in this build.
pub fn open_backend(backend: &BackendConfig) -> Result<Arc<dyn Backend>, ServerError> {
    match backend {
        BackendConfig::Local(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| ServerError::Backend(format!("{}: {e}", dir.display())))?;
            let local =
                ObjectStoreBackend::local(dir).map_err(|e| ServerError::Backend(e.to_string()))?;
            Ok(Arc::new(local))
        }
        BackendConfig::ObjectStore { url, options } => open_store(url, options, Access::Write)
            .map(|store| Arc::clone(store.backend()))
            .map_err(|e| ServerError::Backend(e.to_string())),
    }
}

/// The store gauges: WAL bytes and per-tenant counts.
pub(crate) fn store_gauges(store: &Store) -> (u64, Vec<TenantGauges>) {
    let stats = store.stats();
    let tenants = stats
        .tenants
        .iter()
        .map(|(tenant, t)| TenantGauges {
            tenant: tenant.clone(),
            live_traces: u64::try_from(t.live_traces).unwrap_or(u64::MAX),
            blocks: u64::try_from(t.blocks).unwrap_or(u64::MAX),
        })
        .collect();
    (stats.wal_bytes, tenants)
}

/// The addresses `endpoint` (`HOST:PORT`) names, IPv4 first (as Go listens on a host
/// name's IPv4 address).
async fn resolve(endpoint: &str) -> std::io::Result<Vec<SocketAddr>> {
    let mut addrs: Vec<SocketAddr> = tokio::net::lookup_host(endpoint).await?.collect();
    addrs.sort_by_key(SocketAddr::is_ipv6);
    Ok(addrs)
}

async fn bind_tcp(what: &'static str, endpoint: &str) -> Result<TcpListener, ServerError> {
    let error = |source| ServerError::Bind {
        what,
        endpoint: endpoint.to_owned(),
        source,
    };
    let mut last = None;
    for addr in resolve(endpoint).await.map_err(error)? {
        match TcpListener::bind(addr).await {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some(e),
        }
    }
    Err(error(last.unwrap_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::NotFound, "no address")
    })))
}

async fn bind_udp(what: &'static str, endpoint: &str) -> Result<UdpSocket, ServerError> {
    let error = |source| ServerError::Bind {
        what,
        endpoint: endpoint.to_owned(),
        source,
    };
    let mut last = None;
    for addr in resolve(endpoint).await.map_err(error)? {
        match UdpSocket::bind(addr).await {
            Ok(socket) => return Ok(socket),
            Err(e) => last = Some(e),
        }
    }
    Err(error(last.unwrap_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::NotFound, "no address")
    })))
}

/// The listeners, bound before anything else starts.
struct Listeners {
    http: TcpListener,
    otlp_grpc: Option<(TcpListener, usize)>,
    otlp_http: Option<(TcpListener, usize)>,
    jaeger_thrift_http: Option<(TcpListener, usize)>,
    jaeger_thrift_compact: Option<(UdpSocket, usize)>,
    jaeger_thrift_binary: Option<(UdpSocket, usize)>,
    zipkin: Option<(TcpListener, usize)>,
}

async fn tcp(
    what: &'static str,
    receiver: Option<&Receiver>,
) -> Result<Option<(TcpListener, usize)>, ServerError> {
    match receiver {
        None => Ok(None),
        Some(r) => Ok(Some((
            bind_tcp(what, &r.endpoint).await?,
            r.max_message_bytes,
        ))),
    }
}

async fn udp(
    what: &'static str,
    receiver: Option<&Receiver>,
) -> Result<Option<(UdpSocket, usize)>, ServerError> {
    match receiver {
        None => Ok(None),
        Some(r) => Ok(Some((
            bind_udp(what, &r.endpoint).await?,
            r.max_message_bytes,
        ))),
    }
}

impl Listeners {
    async fn bind(config: &Config) -> Result<Self, ServerError> {
        let r = &config.receivers;
        Ok(Self {
            http: bind_tcp("query API (server.http_listen_port)", &config.http_endpoint).await?,
            otlp_grpc: tcp("OTLP/gRPC receiver", r.otlp_grpc.as_ref()).await?,
            otlp_http: tcp("OTLP/HTTP receiver", r.otlp_http.as_ref()).await?,
            jaeger_thrift_http: tcp("Jaeger thrift_http receiver", r.jaeger_thrift_http.as_ref())
                .await?,
            jaeger_thrift_compact: udp(
                "Jaeger thrift_compact receiver",
                r.jaeger_thrift_compact.as_ref(),
            )
            .await?,
            jaeger_thrift_binary: udp(
                "Jaeger thrift_binary receiver",
                r.jaeger_thrift_binary.as_ref(),
            )
            .await?,
            zipkin: tcp("Zipkin receiver", r.zipkin.as_ref()).await?,
        })
    }

    fn addresses(&self) -> std::io::Result<Addresses> {
        fn tcp(l: Option<&(TcpListener, usize)>) -> std::io::Result<Option<SocketAddr>> {
            l.map(|(l, _)| l.local_addr()).transpose()
        }
        fn udp(l: Option<&(UdpSocket, usize)>) -> std::io::Result<Option<SocketAddr>> {
            l.map(|(l, _)| l.local_addr()).transpose()
        }
        Ok(Addresses {
            http: self.http.local_addr()?,
            otlp_grpc: tcp(self.otlp_grpc.as_ref())?,
            otlp_http: tcp(self.otlp_http.as_ref())?,
            jaeger_thrift_http: tcp(self.jaeger_thrift_http.as_ref())?,
            jaeger_thrift_compact: udp(self.jaeger_thrift_compact.as_ref())?,
            jaeger_thrift_binary: udp(self.jaeger_thrift_binary.as_ref())?,
            zipkin: tcp(self.zipkin.as_ref())?,
        })
    }
}

/// Completes once `stop` turns true (or its sender is gone).
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
}

/// Serves an axum router on `listener` until `stop`.
fn spawn_http(
    tasks: &mut JoinSet<Result<(), ServerError>>,
    what: &'static str,
    listener: TcpListener,
    router: axum::Router,
    stop: watch::Receiver<bool>,
) {
    tasks.spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(stopped(stop))
            .await
            .map_err(|e| ServerError::Serve {
                what,
                message: e.to_string(),
            })
    });
}

/// Binds every listener, opens the store and serves until `shutdown` completes (or a
/// listener fails); see the [module docs](self).
///
/// # Errors
///
/// A listener that cannot be bound, block storage that cannot be opened, a store that
/// fails to open (its WAL).
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<RunningServer, ServerError> {
    // Listeners first: a port in use fails before the WAL is touched.
    let listeners = Listeners::bind(&config).await?;
    let addresses = listeners.addresses().map_err(|e| ServerError::Serve {
        what: "listener",
        message: e.to_string(),
    })?;
    let backend = open_backend(&config.backend)?;
    let store = Store::open(store_config(&config), backend).await?;
    store.spawn_background();

    let metrics = Arc::new(Metrics::new());
    let tenants = TenantPolicy::new(config.multitenancy_enabled);
    let ingest = Ingest::new(store.clone(), Arc::clone(&metrics), tenants);
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks: JoinSet<Result<(), ServerError>> = JoinSet::new();

    spawn_http(
        &mut tasks,
        "query API",
        listeners.http,
        api::router(store.clone(), metrics, tenants),
        stop_rx.clone(),
    );
    if let Some((listener, max)) = listeners.otlp_grpc {
        let (ingest, stop) = (ingest.clone(), stop_rx.clone());
        tasks.spawn(async move {
            receivers::otlp_grpc::serve(listener, ingest, max, stopped(stop))
                .await
                .map_err(|e| ServerError::Serve {
                    what: "OTLP/gRPC receiver",
                    message: e.to_string(),
                })
        });
    }
    let http_receivers = [
        (
            "OTLP/HTTP receiver",
            listeners.otlp_http,
            receivers::otlp_http::router as fn(Ingest, usize) -> axum::Router,
        ),
        (
            "Jaeger thrift_http receiver",
            listeners.jaeger_thrift_http,
            receivers::jaeger::router,
        ),
        (
            "Zipkin receiver",
            listeners.zipkin,
            receivers::zipkin::router,
        ),
    ];
    for (what, listener, router) in http_receivers {
        if let Some((listener, max)) = listener {
            spawn_http(
                &mut tasks,
                what,
                listener,
                router(ingest.clone(), max),
                stop_rx.clone(),
            );
        }
    }
    let udp_receivers = [
        (
            listeners.jaeger_thrift_compact,
            Protocol::JaegerThriftCompact,
        ),
        (listeners.jaeger_thrift_binary, Protocol::JaegerThriftBinary),
    ];
    for (socket, protocol) in udp_receivers {
        if let Some((socket, max)) = socket {
            let (ingest, stop) = (ingest.clone(), stop_rx.clone());
            tasks.spawn(async move {
                receivers::jaeger::serve_udp(socket, ingest, protocol, max, stopped(stop)).await;
                Ok(())
            });
        }
    }
    drop(stop_rx);

    let grace = config.graceful_shutdown_timeout;
    let task = tokio::spawn(supervise(tasks, stop_tx, store.clone(), shutdown, grace));
    Ok(RunningServer {
        addresses,
        store,
        task,
    })
}

/// Waits for `shutdown` (or the first listener to fail), stops the listeners, waits for
/// them, then shuts the store down; each wait bounded by `grace`.
async fn supervise(
    mut tasks: JoinSet<Result<(), ServerError>>,
    stop: watch::Sender<bool>,
    store: Store,
    shutdown: impl Future<Output = ()> + Send,
    grace: Duration,
) -> Result<(), ServerError> {
    let mut first_error = None;
    let mut note = |result: Option<Result<Result<(), ServerError>, tokio::task::JoinError>>| {
        let error = match result {
            Some(Ok(Err(e))) => Some(e),
            Some(Err(e)) => Some(ServerError::Serve {
                what: "listener task",
                message: e.to_string(),
            }),
            _ => None,
        };
        if first_error.is_none() {
            first_error = error;
        }
    };
    tokio::select! {
        () = shutdown => {}
        ended = tasks.join_next() => note(ended),
    }
    let _ = stop.send(true);
    let drained = tokio::time::timeout(grace, async {
        let mut results = Vec::new();
        while let Some(result) = tasks.join_next().await {
            results.push(result);
        }
        results
    })
    .await;
    let mut timeout = None;
    if let Ok(results) = drained {
        for result in results {
            note(Some(result));
        }
    } else {
        tasks.abort_all();
        timeout = Some(ServerError::ShutdownTimeout {
            what: "open requests",
            after: grace,
        });
    }
    let stored = match tokio::time::timeout(grace, store.shutdown()).await {
        Ok(result) => result.map_err(ServerError::Store),
        Err(_) => Err(ServerError::ShutdownTimeout {
            what: "completing the WAL into blocks",
            after: grace,
        }),
    };
    match (first_error, timeout, stored) {
        (Some(e), _, _) | (None, Some(e), _) | (None, None, Err(e)) => Err(e),
        (None, None, Ok(())) => Ok(()),
    }
}
