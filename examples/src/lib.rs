//! Code shared by the example binaries (`tempo-server`, `loki-server`,
//! `observability-server`, `tempo-bloom`, `tempo-block-inspect`, `tempo-block-convert`,
//! `loki-chunk-inspect`, `loki-chunk-convert`); the binaries themselves are in `src/bin/`.
//!
//! * [`cli`]: what every binary does the same way: output whose errors end the program (a
//!   closed pipe quietly), exit statuses, messages on stderr, progress bars, times, inputs.
//! * [`bucket`]: opening a Tempo bucket (a local folder or an object-store URL) for the
//!   Tempo tools.
//! * [`tempo_server`]: the Tempo-compatible server (receivers, query API, configuration),
//!   startable in-process with [`tempo_server::run`].
//! * [`loki_server`]: the Loki-compatible server (push routes, query API, tail,
//!   configuration), startable in-process with [`loki_server::run`].
//! * [`server_config`]: what the two servers' configuration layers share (durations, the
//!   unsupported-options walk, single-dash flags).
//!
//! Nothing here is meant as a library for other crates: it is the binaries' common code,
//! documented so the binaries stay short.
#![forbid(unsafe_code)]

pub mod bucket;
pub mod cli;
pub mod loki_server;
pub mod server_config;
pub mod tempo_server;
