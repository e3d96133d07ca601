//! `loki-server`: a Grafana Loki compatible log server over [`loki_store`] and [`logql`].
//!
//! Protocol translation only: the push routes decode Loki's JSON and protobuf bodies and
//! OTLP logs into the store's streams, the store applies Loki's ingest rules and limits
//! and makes the entries durable, and the query API parses LogQL with [`logql`], runs the
//! plan on the store and answers in Loki's response shapes. Storage, durability, limits and
//! lookups are the store's; the language is logql's.
//!
//! * [`config`]: Loki's YAML (`-config.file`) and the flags, into a [`Config`].
//! * [`tenant`]: `X-Scope-OrgID` / `fake`.
//! * [`push`]: the push routes, one module per body format.
//! * [`api`]: the query API, `/ready`, `/metrics`, build information, the tail WebSocket.
//! * Queries run through [`logql::exec`]: from a LogQL plan to the store's selection, and
//!   from entries to Loki's result streams.
//! * [`metrics`]: the Prometheus metrics.
//!
//! [`run`] binds the listener, opens the store (replaying its WAL) and serves until the
//! shutdown future completes; then it stops the listener, lets open requests finish (tails
//! are closed) and shuts the store down (flushing every chunk), each within
//! `graceful_shutdown_timeout`.
//!
//! ```no_run
//! use examples::loki_server::{self, Config};
//!
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = loki_server::run(Config::loopback(std::path::Path::new("./data")), async {
//!     let _ = tokio::signal::ctrl_c().await;
//! })
//! .await?;
//! println!("Loki API on http://{}", server.addresses().http);
//! server.wait().await?;
//! # Ok(())
//! # }
//! ```

pub mod api;
pub mod config;
pub mod metrics;
pub mod push;
pub mod tenant;

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use loki_store::{ObjectStoreBackend, Overrides, Store, StoreConfig, StoreError};
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use config::Config;

use crate::server_config::format_go_duration;
use metrics::Metrics;
use push::{BodyLimits, Ingest};
use tenant::TenantPolicy;

/// The addresses the server listens on (with the port chosen for port 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Addresses {
    /// The API: push, queries, `/ready`, `/metrics`.
    pub http: SocketAddr,
}

impl fmt::Display for Addresses {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Loki API http://{}", self.http)
    }
}

/// Why the server could not start, or stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The listener could not be bound.
    #[error("API (server.http_listen_port): cannot listen on {endpoint}: {source}")]
    Bind {
        /// The endpoint configured.
        endpoint: String,
        /// Why.
        source: std::io::Error,
    },
    /// The chunk storage could not be opened.
    #[error("storage {}: {message}", path.display())]
    Storage {
        /// The folder.
        path: std::path::PathBuf,
        /// Why.
        message: String,
    },
    /// The store failed to open or to shut down.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The listener failed while serving.
    #[error("API: {0}")]
    Serve(String),
    /// Shutdown took longer than `graceful_shutdown_timeout`.
    #[error(
        "{what} did not finish within the graceful shutdown timeout ({}); what is not flushed \
         stays in the WAL and is replayed at the next start",
        format_go_duration(*after)
    )]
    ShutdownTimeout {
        /// What was being waited for.
        what: &'static str,
        /// The timeout.
        after: Duration,
    },
}

/// A started server: its address, its store, and the task that serves until shutdown.
#[derive(Debug)]
pub struct RunningServer {
    addresses: Addresses,
    store: Store,
    task: tokio::task::JoinHandle<Result<(), ServerError>>,
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
    /// completed, or the listener failed).
    ///
    /// # Errors
    ///
    /// The listener's error, a shutdown timeout, or the store's shutdown error.
    pub async fn wait(self) -> Result<(), ServerError> {
        match self.task.await {
            Ok(result) => result,
            Err(e) => Err(ServerError::Serve(e.to_string())),
        }
    }
}

/// The store's settings from the server's configuration.
pub fn store_config(config: &Config) -> StoreConfig {
    let mut store = StoreConfig::new(&config.wal_dir);
    store.ingester = config.ingester.clone();
    store.overrides = Overrides {
        defaults: config.limits.clone(),
        per_tenant: config.per_tenant_limits.clone(),
    };
    store
}

/// The addresses `endpoint` (`HOST:PORT`) names, IPv4 first (as Go listens on a host
/// name's IPv4 address).
async fn bind(endpoint: &str) -> Result<TcpListener, ServerError> {
    let error = |source| ServerError::Bind {
        endpoint: endpoint.to_owned(),
        source,
    };
    let mut addrs: Vec<SocketAddr> = tokio::net::lookup_host(endpoint)
        .await
        .map_err(error)?
        .collect();
    addrs.sort_by_key(SocketAddr::is_ipv6);
    let mut last = None;
    for addr in addrs {
        match TcpListener::bind(addr).await {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some(e),
        }
    }
    Err(error(last.unwrap_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::NotFound, "no address")
    })))
}

/// Opens the store over the chunk folder (created if missing), replaying its WAL.
///
/// # Errors
///
/// A folder that cannot be created or opened, or the store's open error.
pub async fn open_store(config: &Config) -> Result<Store, ServerError> {
    let storage = |message: String| ServerError::Storage {
        path: config.chunks_dir.clone(),
        message,
    };
    std::fs::create_dir_all(&config.chunks_dir).map_err(|e| storage(e.to_string()))?;
    let backend =
        ObjectStoreBackend::local(&config.chunks_dir).map_err(|e| storage(e.to_string()))?;
    Ok(Store::open(store_config(config), Arc::new(backend)).await?)
}

/// The whole HTTP application: push routes and query API, with the latency metric.
fn app(
    config: &Config,
    store: &Store,
    metrics: &Arc<Metrics>,
    stop: watch::Receiver<bool>,
) -> axum::Router {
    let tenants = TenantPolicy::new(config.auth_enabled, config.multi_tenant_queries_enabled);
    let ingest = Ingest::new(
        store.clone(),
        Arc::clone(metrics),
        tenants,
        BodyLimits {
            max_recv_msg_size: config.max_recv_msg_size,
            max_decompressed_size: config.max_decompressed_size,
        },
        config.otlp_index_labels.clone(),
    );
    let routes = push::router(ingest)
        .merge(api::router(
            store.clone(),
            Arc::clone(metrics),
            tenants,
            stop,
        ))
        .fallback(|| async { api::text(axum::http::StatusCode::NOT_FOUND, "404 page not found") });
    api::latency_layer(routes, Arc::clone(metrics))
}

/// Completes once `stop` turns true (or its sender is gone).
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
}

/// Binds the listener, opens the store and serves until `shutdown` completes (or the
/// listener fails); see the [module docs](self).
///
/// # Errors
///
/// A listener that cannot be bound, a chunk folder that cannot be opened, a store that fails
/// to open (its WAL).
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<RunningServer, ServerError> {
    // The listener first: a port in use fails before the WAL is touched.
    let listener = bind(&config.http_endpoint).await?;
    let addresses = Addresses {
        http: listener
            .local_addr()
            .map_err(|e| ServerError::Serve(e.to_string()))?,
    };
    let store = open_store(&config).await?;
    store.spawn_background();
    let metrics = Arc::new(Metrics::new());
    let (stop_tx, stop_rx) = watch::channel(false);
    let router = app(&config, &store, &metrics, stop_rx.clone());
    let serve = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(stopped(stop_rx))
            .await
            .map_err(|e| ServerError::Serve(e.to_string()))
    });
    let grace = config.graceful_shutdown_timeout;
    let task = tokio::spawn(supervise(serve, stop_tx, store.clone(), shutdown, grace));
    Ok(RunningServer {
        addresses,
        store,
        task,
    })
}

/// Waits for `shutdown` (or the listener to fail), stops the listener, waits for open
/// requests, then shuts the store down (flushing every chunk); each wait bounded by `grace`.
async fn supervise(
    mut serve: tokio::task::JoinHandle<Result<(), ServerError>>,
    stop: watch::Sender<bool>,
    store: Store,
    shutdown: impl Future<Output = ()> + Send,
    grace: Duration,
) -> Result<(), ServerError> {
    let joined = |r: Result<Result<(), ServerError>, tokio::task::JoinError>| match r {
        Ok(result) => result,
        Err(e) => Err(ServerError::Serve(e.to_string())),
    };
    let mut served = None;
    tokio::select! {
        () = shutdown => {}
        ended = &mut serve => served = Some(joined(ended)),
    }
    let _ = stop.send(true);
    let requests = if let Some(result) = served {
        result
    } else if let Ok(ended) = tokio::time::timeout(grace, &mut serve).await {
        joined(ended)
    } else {
        serve.abort();
        Err(ServerError::ShutdownTimeout {
            what: "open requests",
            after: grace,
        })
    };
    let flushed = match tokio::time::timeout(grace, store.shutdown()).await {
        Ok(result) => result.map_err(ServerError::Store),
        Err(_) => Err(ServerError::ShutdownTimeout {
            what: "flushing the chunks in memory",
            after: grace,
        }),
    };
    requests.and(flushed)
}
