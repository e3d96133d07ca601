//! Code shared by the example binaries (`tempo-server`, `tempo-bloom`,
//! `tempo-block-inspect`, `tempo-block-convert`, `loki-chunk-inspect`, `loki-chunk-convert`);
//! the binaries themselves are in `src/bin/`.
//!
//! * [`cli`]: what every binary does the same way: output whose errors end the program (a
//!   closed pipe quietly), exit statuses, messages on stderr, progress bars, times, inputs.
//! * [`bucket`]: opening a Tempo bucket (a local folder or an object-store URL) for the
//!   Tempo tools.
//! * [`tempo_server`]: the Tempo-compatible server (receivers, query API, configuration),
//!   startable in-process with [`tempo_server::run`].
//!
//! Nothing here is meant as a library for other crates: it is the binaries' common code,
//! documented so the binaries stay short.
#![forbid(unsafe_code)]

pub mod bucket;
pub mod cli;
pub mod tempo_server;
