//! The YAML side shared by the servers' configuration files: Go durations, the walk that
//! names every option a file holds that a server does not read, and environment expansion.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer};
use serde_yaml_ng::Value;

use super::duration::parse_go_duration;

/// A duration written in Go's syntax (`5s`, `1h30m`), or an integer number of nanoseconds
/// (what Go's YAML decoder makes of a bare number): Tempo's and Loki's `time.Duration`
/// options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GoDuration(pub(crate) Duration);

impl<'de> Deserialize<'de> for GoDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl de::Visitor<'_> for Visit {
            type Value = GoDuration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as 5s, 30m or 1h30m")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<GoDuration, E> {
                parse_go_duration(v).map(GoDuration).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<GoDuration, E> {
                Ok(GoDuration(Duration::from_nanos(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<GoDuration, E> {
                u64::try_from(v)
                    .map(|n| GoDuration(Duration::from_nanos(n)))
                    .map_err(|_| E::custom(format!("negative duration {v}")))
            }
        }
        deserializer.deserialize_any(Visit)
    }
}

/// A node of the tree of options a server reads.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Known {
    /// A value: anything below it belongs to it.
    Leaf,
    /// A block whose keys are listed.
    Block(&'static [(&'static str, Known)]),
    /// A block whose keys are free (tenant names), each holding the given block.
    AnyKey(&'static [(&'static str, Known)]),
}

/// The dotted paths (`distributor.receivers.jaeger.protocols.grpc`) of every key in `value`
/// that `known` does not list, in file order. A key whose value is null counts too: in
/// Tempo's receiver blocks an empty key enables something, and in any file it is an option
/// set (to its default) that this server would not read.
pub(crate) fn unknown_keys(value: &Value, known: Known) -> Vec<String> {
    let mut out = Vec::new();
    walk(value, known, &mut String::new(), &mut out);
    out
}

fn walk(value: &Value, known: Known, path: &mut String, out: &mut Vec<String>) {
    let Value::Mapping(map) = value else {
        return;
    };
    let children: &[(&str, Known)] = match known {
        Known::Leaf => return,
        Known::Block(children) => children,
        Known::AnyKey(children) => {
            for (key, child) in map {
                let len = path.len();
                push_key(path, &key_text(key));
                walk(child, Known::Block(children), path, out);
                path.truncate(len);
            }
            return;
        }
    };
    for (key, child) in map {
        let name = key_text(key);
        let len = path.len();
        push_key(path, &name);
        match children.iter().find(|(k, _)| *k == name) {
            Some((_, node)) => walk(child, *node, path, out),
            None => out.push(path.clone()),
        }
        path.truncate(len);
    }
}

fn push_key(path: &mut String, key: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(key);
}

fn key_text(key: &Value) -> String {
    match key {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Null => "~".to_owned(),
        other => format!("{other:?}"),
    }
}

/// `text` with environment references replaced, as Tempo's and Loki's `-config.expand-env` do:
/// `${VAR}`, `${VAR:-default}` (the default when VAR is unset or empty) and `$VAR`; `$$` is
/// a literal `$`. Unset variables become empty strings.
pub(crate) fn expand_env(text: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(body) = after.strip_prefix('{') {
            let Some(close) = body.find('}') else {
                out.push_str(&rest[at..]);
                return out;
            };
            let inner = &body[..close];
            let value = match inner.split_once(":-") {
                Some((name, default)) => lookup(name)
                    .filter(|v| !v.is_empty())
                    .unwrap_or_else(|| default.to_owned()),
                None => lookup(inner).unwrap_or_default(),
            };
            out.push_str(&value);
            rest = &body[close + 1..];
        } else {
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if len == 0 {
                out.push('$');
            } else {
                out.push_str(&lookup(&after[..len]).unwrap_or_default());
            }
            rest = &after[len..];
        }
    }
    out.push_str(rest);
    out
}

/// A duration in Prometheus' syntax (`1w`, `168h`, `10m`): Loki's `model.Duration` options
/// (`reject_old_samples_max_age`, `creation_grace_period`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PromDuration(pub(crate) Duration);

impl<'de> Deserialize<'de> for PromDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl de::Visitor<'_> for Visit {
            type Value = PromDuration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as 10m, 168h or 1w")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PromDuration, E> {
                super::parse_prom_duration(v)
                    .map(PromDuration)
                    .map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<PromDuration, E> {
                // `0` is the one bare number Prometheus' syntax allows.
                if v == 0 {
                    Ok(PromDuration(Duration::ZERO))
                } else {
                    Err(E::custom(format!("not a valid duration string: \"{v}\"")))
                }
            }
        }
        deserializer.deserialize_any(Visit)
    }
}

/// A byte size: a number of bytes, or a string with a unit (`256KB`, `5MB`), as Loki's
/// `flagext.ByteSize` options take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ByteSize(pub(crate) u64);

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl de::Visitor<'_> for Visit {
            type Value = ByteSize;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a size such as 262144, 256KB or 5MB")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ByteSize, E> {
                super::parse_byte_size(v).map(ByteSize).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ByteSize, E> {
                Ok(ByteSize(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ByteSize, E> {
                u64::try_from(v)
                    .map(ByteSize)
                    .map_err(|_| E::custom(format!("negative size {v}")))
            }
        }
        deserializer.deserialize_any(Visit)
    }
}
