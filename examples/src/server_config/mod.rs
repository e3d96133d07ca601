//! What the servers' configuration layers share: Go's and Prometheus' duration syntaxes,
//! Loki's byte sizes, the YAML walk that names every option a file holds that a server does
//! not read, `-config.expand-env`, Go-style single-dash flags and `HOST:PORT` helpers. Each server keeps its own options
//! (`tempo_server::config`, `loki_server::config`); only the mechanics are here.

mod duration;
mod units;
pub(crate) mod yaml;

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

pub use duration::{format_go_duration, parse_go_duration};
pub use units::{parse_byte_size, parse_prom_duration};

/// Why the configuration could not be read.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfigError {
    /// A file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file is not valid YAML, or an option has a value of the wrong type.
    Yaml {
        /// The file.
        path: PathBuf,
        /// The parser's message (with line and column).
        source: serde_yaml_ng::Error,
    },
    /// An option's value is not one this server can use.
    Invalid {
        /// The option, e.g. `storage.trace.backend` or `limits_config.max_line_size`.
        option: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Read { path, source } => write!(f, "{}: {source}", path.display()),
            ConfigError::Yaml { path, source } => write!(f, "{}: {source}", path.display()),
            ConfigError::Invalid { option, reason } => write!(f, "{option}: {reason}"),
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::Read { source, .. } => Some(source),
            ConfigError::Yaml { source, .. } => Some(source),
            ConfigError::Invalid { .. } => None,
        }
    }
}

pub(crate) fn invalid(option: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        option: option.to_owned(),
        reason: reason.into(),
    }
}

/// The command line with Tempo's and Loki's single-dash long flags (`-config.file=x`,
/// `-multitenancy.enabled`, `-auth.enabled`) turned into the double-dash form clap reads; `-h`, `-V`, `-`
/// and anything after `--` are left alone.
///
/// ```
/// use examples::server_config::normalise_args;
///
/// let args = normalise_args(["tempo-server", "-config.file=t.yaml", "-h", "--", "-x.y"].map(Into::into));
/// assert_eq!(args, ["tempo-server", "--config.file=t.yaml", "-h", "--", "-x.y"].map(std::ffi::OsString::from));
/// ```
pub fn normalise_args(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut rest_is_positional = false;
    args.into_iter()
        .enumerate()
        .map(|(i, arg)| {
            if i == 0 || rest_is_positional {
                return arg;
            }
            if arg == "--" {
                rest_is_positional = true;
                return arg;
            }
            match arg.to_str() {
                Some(text)
                    if text.len() > 2
                        && text.starts_with('-')
                        && !text.starts_with("--")
                        && text.as_bytes()[1].is_ascii_alphabetic() =>
                {
                    OsString::from(format!("-{text}"))
                }
                _ => arg,
            }
        })
        .collect()
}

/// `HOST:PORT`, with an empty host (Go's "every interface") as `0.0.0.0`.
pub(crate) fn normalise_endpoint(endpoint: &str) -> String {
    match endpoint.strip_prefix(':') {
        Some(port) => format!("0.0.0.0:{port}"),
        None => endpoint.to_owned(),
    }
}

pub(crate) fn host_port(host: &str, port: u16) -> String {
    if host.is_empty() {
        format!("0.0.0.0:{port}")
    } else if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

pub(crate) fn split_host_port(endpoint: &str) -> (&str, &str) {
    match endpoint.rsplit_once(':') {
        Some((host, port)) => (host.trim_start_matches('[').trim_end_matches(']'), port),
        None => (endpoint, ""),
    }
}

pub(crate) fn saturating_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}
