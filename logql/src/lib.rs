//! LogQL, Grafana Loki's query language: parse, print and plan queries.
//!
//! ```
//! use logql::{parse, LogPlan};
//!
//! // Parse: the whole language, with Loki's error texts.
//! let query = parse(r#"{app="api", env=~"prod|staging"} |= "error" != "timeout""#)?;
//! assert_eq!(query.to_string(), r#"{app="api", env=~"prod|staging"} |= "error" != "timeout""#);
//!
//! // Plan: stream matchers for the index, one line predicate for chunk decoding.
//! let plan = LogPlan::new(&query)?;
//! assert!(plan.selects(|name| match name {
//!     "app" => Some("api"),
//!     "env" => Some("prod"),
//!     _ => None,
//! }));
//! let filter = plan.line_filter.as_ref().expect("the query filters lines");
//! assert!(filter.matches(b"level=error msg=\"disk full\""));
//! assert!(!filter.matches(b"level=error msg=\"timeout\""));
//!
//! // Errors read as Loki's, and point at the query text.
//! let err = parse(r#"{app="api"} "error""#).unwrap_err();
//! assert_eq!(err.to_string(), "parse error at line 1, col 13: syntax error: unexpected STRING");
//! assert_eq!(err.span().start, 12);
//!
//! // What the planner does not execute yet is refused, never ignored.
//! let query = parse(r#"{app="api"} | json | level="error""#)?;
//! assert_eq!(LogPlan::new(&query).unwrap_err().to_string(), "the json parser (| json) is not supported yet");
//! # Ok::<(), logql::Error>(())
//! ```
//!
//! # Layers
//!
//! Three layers, one module each:
//!
//! * **Parse** — [`parse`] turns text into an [`ast::Expr`]: the whole LogQL grammar (log
//!   queries with line filters, parsers, label filters and formatting stages; range and
//!   vector aggregations, unwrap, binary operations, `label_replace`, `vector()`), every
//!   node with its [`Span`]. Lexing and parsing follow Loki's
//!   rules and report Loki's errors (`parse error at line 1, col 13: syntax error: ...`),
//!   and the checks Loki makes at parse time are made here (a selector needs a matcher that
//!   does not match the empty string; regexes compile as RE2, label regexes fully
//!   anchored; aggregation parameters and groupings; binary operands).
//! * **Print** — `Display` on every node gives Loki's canonical text; printing and parsing
//!   again gives the same tree ([`visit::without_spans`] compares trees by meaning).
//! * **Plan** — [`LogPlan`] turns a log query into what a store can do: [`Matcher`]s to
//!   select streams and a [`LineFilter`] to push into chunk decoding (substring search with
//!   `memchr`, case-insensitive search, regexes reduced to substrings where exact and
//!   prefiltered by a required literal otherwise, `or` alternatives, Loki's patterns, IP
//!   filters). Parsers, label filters, formatting and metric queries are refused with
//!   [`Error::Unsupported`] until the engine evaluates them.
//!
//! [`visit::Visitor`] walks a tree for anything else.
//!
//! # Where this differs from Loki
//!
//! * Line-filter regexes are checked at parse time (Loki checks them when it runs the
//!   query); IP and pattern filters are checked by the planner, as Loki checks them.
//! * A syntax error always reports the real line (Loki reports line 0 for some tokens).
//! * Strings must be UTF-8 after escapes (`"\xff"` is refused).
//! * Queries nest at most [`MAX_DEPTH`] levels.
//! * The printer never changes a query's meaning (see [`printer`]).
#![forbid(unsafe_code)]

pub mod ast;
pub mod error;
pub mod exec;
mod filter;
#[doc(hidden)]
pub mod fuzzing;
mod go;
mod ip;
mod lexer;
mod parser;
mod pattern;
pub mod plan;
pub mod printer;
mod re;
pub mod span;
mod validate;
pub mod visit;

pub use error::Error;
pub use filter::{LineFilter, LinePredicate};
pub use go::PromDurationError;
pub use parser::{MAX_DEPTH, MAX_QUERY_LEN};
pub use plan::{LogPlan, Matcher};
pub use span::{Position, Span};

use ast::{Expr, Selector};

/// Parses a LogQL query and makes Loki's parse-time checks.
///
/// # Errors
///
/// [`Error::Syntax`], [`Error::Lexical`], [`Error::Invalid`] or [`Error::TooLong`], each
/// displayed as Loki's message.
pub fn parse(query: &str) -> Result<Expr, Error> {
    if query.len() >= MAX_QUERY_LEN {
        return Err(Error::TooLong {
            len: query.len(),
            max: MAX_QUERY_LEN,
        });
    }
    let expr = parser::Parser::new(query).parse_query()?;
    validate::validate(&expr, query)?;
    Ok(expr)
}

/// Parses a stream selector alone (`match[]` of the series API, the `query` of the label
/// APIs).
///
/// # Errors
///
/// As [`parse`], and [`Error::NotASelector`] for anything but a bare selector.
pub fn parse_selector(query: &str) -> Result<Selector, Error> {
    match parse(query)? {
        Expr::Log(log) if log.pipeline.is_empty() => Ok(log.selector),
        other => Err(Error::NotASelector { span: other.span() }),
    }
}

/// Parses and plans a log query in one step.
///
/// # Errors
///
/// As [`parse`] and [`LogPlan::new`].
pub fn plan(query: &str) -> Result<LogPlan, Error> {
    LogPlan::new(&parse(query)?)
}
