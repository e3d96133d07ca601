//! Metric-query nodes: ranges, aggregations, binary operations.

use super::{DurationLit, Expr, Ident, LabelFilterStage, LogExpr, NumberLit, StringLit};
use crate::span::Span;

/// A log query over a range: `{app="api"} | json | unwrap latency [5m] offset 1h`.
#[derive(Clone, Debug, PartialEq)]
pub struct LogRange {
    /// The log query.
    pub log: LogExpr,
    /// `| unwrap ...`, turning lines into samples.
    pub unwrap: Option<Unwrap>,
    /// The range.
    pub range: DurationLit,
    /// `offset ...`.
    pub offset: Option<DurationLit>,
    /// Where.
    pub span: Span,
}

/// How `unwrap` converts a label's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Conversion {
    /// `bytes(label)`: a byte size (`5KB`).
    Bytes,
    /// `duration(label)`: a duration, in seconds.
    Duration,
    /// `duration_seconds(label)`: the same.
    DurationSeconds,
}

impl Conversion {
    /// The function name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bytes => "bytes",
            Self::Duration => "duration",
            Self::DurationSeconds => "duration_seconds",
        }
    }
}

/// `| unwrap label`, `| unwrap bytes(label)`, with label filters after it.
#[derive(Clone, Debug, PartialEq)]
pub struct Unwrap {
    /// The conversion, if any.
    pub conversion: Option<Conversion>,
    /// The label whose value becomes the sample.
    pub label: Ident,
    /// `| <label filter>` stages after the unwrap.
    pub post_filters: Vec<LabelFilterStage>,
    /// Where.
    pub span: Span,
}

/// A range aggregation operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RangeOp {
    /// `count_over_time`.
    CountOverTime,
    /// `rate`.
    Rate,
    /// `rate_counter`.
    RateCounter,
    /// `bytes_over_time`.
    BytesOverTime,
    /// `bytes_rate`.
    BytesRate,
    /// `avg_over_time`.
    AvgOverTime,
    /// `sum_over_time`.
    SumOverTime,
    /// `min_over_time`.
    MinOverTime,
    /// `max_over_time`.
    MaxOverTime,
    /// `stdvar_over_time`.
    StdvarOverTime,
    /// `stddev_over_time`.
    StddevOverTime,
    /// `quantile_over_time`.
    QuantileOverTime,
    /// `first_over_time`.
    FirstOverTime,
    /// `last_over_time`.
    LastOverTime,
    /// `absent_over_time`.
    AbsentOverTime,
}

impl RangeOp {
    /// The function name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CountOverTime => "count_over_time",
            Self::Rate => "rate",
            Self::RateCounter => "rate_counter",
            Self::BytesOverTime => "bytes_over_time",
            Self::BytesRate => "bytes_rate",
            Self::AvgOverTime => "avg_over_time",
            Self::SumOverTime => "sum_over_time",
            Self::MinOverTime => "min_over_time",
            Self::MaxOverTime => "max_over_time",
            Self::StdvarOverTime => "stdvar_over_time",
            Self::StddevOverTime => "stddev_over_time",
            Self::QuantileOverTime => "quantile_over_time",
            Self::FirstOverTime => "first_over_time",
            Self::LastOverTime => "last_over_time",
            Self::AbsentOverTime => "absent_over_time",
        }
    }
}

/// `op([param,] log range) [by|without (...)]`.
#[derive(Clone, Debug, PartialEq)]
pub struct RangeAggregation {
    /// The operator.
    pub op: RangeOp,
    /// The parameter (`quantile_over_time`'s quantile).
    pub param: Option<NumberLit>,
    /// What it aggregates.
    pub range: LogRange,
    /// `by (...)` / `without (...)` (unwrapped aggregations only).
    pub grouping: Option<Grouping>,
    /// Where.
    pub span: Span,
}

/// `by (a, b)` or `without (a, b)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Grouping {
    /// `without`.
    pub without: bool,
    /// The labels (may be empty).
    pub labels: Vec<Ident>,
    /// Where.
    pub span: Span,
}

/// A vector aggregation operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VectorOp {
    /// `sum`.
    Sum,
    /// `avg`.
    Avg,
    /// `count`.
    Count,
    /// `max`.
    Max,
    /// `min`.
    Min,
    /// `stddev`.
    Stddev,
    /// `stdvar`.
    Stdvar,
    /// `bottomk`.
    Bottomk,
    /// `topk`.
    Topk,
    /// `sort`.
    Sort,
    /// `sort_desc`.
    SortDesc,
    /// `approx_topk`.
    ApproxTopk,
}

impl VectorOp {
    /// The function name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sum => "sum",
            Self::Avg => "avg",
            Self::Count => "count",
            Self::Max => "max",
            Self::Min => "min",
            Self::Stddev => "stddev",
            Self::Stdvar => "stdvar",
            Self::Bottomk => "bottomk",
            Self::Topk => "topk",
            Self::Sort => "sort",
            Self::SortDesc => "sort_desc",
            Self::ApproxTopk => "approx_topk",
        }
    }

    /// Whether the operator takes a parameter (`topk(5, ...)`).
    pub fn takes_param(self) -> bool {
        matches!(self, Self::Topk | Self::Bottomk | Self::ApproxTopk)
    }
}

/// `op [by|without (...)] ([param,] expr)`.
///
/// `by ()` is what an aggregation without grouping does, so it is stored as `None`.
#[derive(Clone, Debug, PartialEq)]
pub struct VectorAggregation {
    /// The operator.
    pub op: VectorOp,
    /// The parameter (`topk`'s k).
    pub param: Option<NumberLit>,
    /// What it aggregates.
    pub inner: Box<Expr>,
    /// `by (...)` / `without (...)`.
    pub grouping: Option<Grouping>,
    /// Where.
    pub span: Span,
}

/// A binary operator, from lowest to highest precedence: `or`; `and`, `unless`;
/// comparisons; `+`, `-`; `*`, `/`, `%`; `^` (right-associative). The others associate to
/// the left, as in PromQL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOpKind {
    /// `or`.
    Or,
    /// `and`.
    And,
    /// `unless`.
    Unless,
    /// `==`.
    Eq,
    /// `!=`.
    Neq,
    /// `>`.
    Gt,
    /// `>=`.
    Gte,
    /// `<`.
    Lt,
    /// `<=`.
    Lte,
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`.
    Div,
    /// `%`.
    Mod,
    /// `^`.
    Pow,
}

impl BinaryOpKind {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Or => "or",
            Self::And => "and",
            Self::Unless => "unless",
            Self::Eq => "==",
            Self::Neq => "!=",
            Self::Gt => ">",
            Self::Gte => ">=",
            Self::Lt => "<",
            Self::Lte => "<=",
            Self::Add => "+",
            Self::Sub => "-",
            Self::Mul => "*",
            Self::Div => "/",
            Self::Mod => "%",
            Self::Pow => "^",
        }
    }

    /// Binding strength: 1 (`or`) to 6 (`^`).
    pub fn precedence(self) -> u8 {
        match self {
            Self::Or => 1,
            Self::And | Self::Unless => 2,
            Self::Eq | Self::Neq | Self::Gt | Self::Gte | Self::Lt | Self::Lte => 3,
            Self::Add | Self::Sub => 4,
            Self::Mul | Self::Div | Self::Mod => 5,
            Self::Pow => 6,
        }
    }

    /// Whether this is a set operator (`and`, `or`, `unless`).
    pub fn is_set_operator(self) -> bool {
        matches!(self, Self::Or | Self::And | Self::Unless)
    }

    /// Whether this is a comparison.
    pub fn is_comparison(self) -> bool {
        self.precedence() == 3
    }
}

/// `a <op> [bool] [on|ignoring (...) [group_left|group_right (...)]] b`.
#[derive(Clone, Debug, PartialEq)]
pub struct BinaryOp {
    /// The operator.
    pub op: BinaryOpKind,
    /// `bool`: comparisons return 0/1 instead of filtering.
    pub return_bool: bool,
    /// Label matching between the two sides. `ignoring ()` without a group modifier is
    /// the default matching, so it is stored as `None`.
    pub matching: Option<VectorMatching>,
    /// The left operand.
    pub lhs: Box<Expr>,
    /// The right operand.
    pub rhs: Box<Expr>,
    /// Where.
    pub span: Span,
}

/// `on (...)` / `ignoring (...)`, with an optional group modifier.
#[derive(Clone, Debug, PartialEq)]
pub struct VectorMatching {
    /// `on` (else `ignoring`).
    pub on: bool,
    /// The labels.
    pub labels: Vec<Ident>,
    /// `group_left` / `group_right`.
    pub group: Option<GroupModifier>,
    /// Where.
    pub span: Span,
}

/// Which side of a many-to-one match has the higher cardinality.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GroupSide {
    /// `group_left`: many on the left.
    Left,
    /// `group_right`: many on the right.
    Right,
}

/// `group_left (labels)` / `group_right (labels)`.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupModifier {
    /// Which side.
    pub side: GroupSide,
    /// Labels copied from the "one" side (may be empty).
    pub include: Vec<Ident>,
    /// Where.
    pub span: Span,
}

/// A number: `5`, `-1.5`, `1e3`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Literal {
    /// The value.
    pub value: f64,
    /// Where, sign included.
    pub span: Span,
}

/// `label_replace(v, "dst", "replacement", "src", "regex")`.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelReplace {
    /// The vector.
    pub inner: Box<Expr>,
    /// The label to write.
    pub dst: StringLit,
    /// The replacement, with `$1` references.
    pub replacement: StringLit,
    /// The label to read.
    pub src: StringLit,
    /// The (fully anchored) regex.
    pub regex: StringLit,
    /// Where.
    pub span: Span,
}

/// `vector(1)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VectorExpr {
    /// The value.
    pub value: f64,
    /// Where.
    pub span: Span,
}
