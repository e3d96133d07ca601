//! The LogQL syntax tree: one tree for the whole language, log and metric queries alike.
//!
//! Every node carries the [`Span`] of the text it was parsed from. The tree keeps what a
//! query means, not how it was spelled: parentheses, keyword case, `=` versus `==` in a
//! numeric label filter, `and` versus `,` versus juxtaposition between label filters, the
//! place of a range (`{a="b"}[5m] | json` or `{a="b"} | json [5m]`) and of a vector
//! aggregation's grouping (`sum by (a) (x)` or `sum(x) by (a)`) are not recorded, so
//! [printing](crate::printer) a tree and parsing the text gives the same tree again.
//!
//! String values are stored unescaped; numbers, durations (nanoseconds) and byte sizes as
//! values.

use crate::span::Span;

mod log;
mod metric;

pub use log::*;
pub use metric::*;

/// A whole query.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A log query: a stream selector and a pipeline.
    Log(LogExpr),
    /// `count_over_time({...}[5m])` and the other range aggregations.
    RangeAggregation(RangeAggregation),
    /// `sum by (a) (...)` and the other vector aggregations.
    VectorAggregation(VectorAggregation),
    /// `a + b`, `a > bool b`, `a and on (x) b`, ...
    BinaryOp(BinaryOp),
    /// A number.
    Literal(Literal),
    /// `label_replace(v, "dst", "replacement", "src", "regex")`.
    LabelReplace(LabelReplace),
    /// `vector(1)`.
    Vector(VectorExpr),
}

impl Expr {
    /// The span of the whole expression.
    pub fn span(&self) -> Span {
        match self {
            Expr::Log(e) => e.span,
            Expr::RangeAggregation(e) => e.span,
            Expr::VectorAggregation(e) => e.span,
            Expr::BinaryOp(e) => e.span,
            Expr::Literal(e) => e.span,
            Expr::LabelReplace(e) => e.span,
            Expr::Vector(e) => e.span,
        }
    }

    /// The log query, if this is one.
    pub fn as_log(&self) -> Option<&LogExpr> {
        match self {
            Expr::Log(e) => Some(e),
            _ => None,
        }
    }

    /// Whether this is a metric query (anything but a log query).
    pub fn is_metric(&self) -> bool {
        !matches!(self, Expr::Log(_))
    }

    /// The literal's value, if this is a number.
    pub fn as_literal(&self) -> Option<f64> {
        match self {
            Expr::Literal(l) => Some(l.value),
            _ => None,
        }
    }
}

/// An identifier: a label name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    /// The name as written.
    pub name: String,
    /// Where.
    pub span: Span,
}

/// A string literal (double-quoted or raw).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StringLit {
    /// The value, escapes resolved.
    pub value: String,
    /// Where, quotes included.
    pub span: Span,
}

/// A duration (`5m`, `250ms`, `-1h`) or a range (`[5m]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DurationLit {
    /// Nanoseconds.
    pub nanos: i64,
    /// Where.
    pub span: Span,
}

/// A number as written in a parameter position (`topk(5, ...)`,
/// `quantile_over_time(0.99, ...)`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NumberLit {
    /// The value.
    pub value: f64,
    /// Where.
    pub span: Span,
}
