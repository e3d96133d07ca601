//! Log-query nodes: selectors, matchers and pipeline stages.

use super::{Ident, StringLit};
use crate::span::Span;

/// A log query: `{app="api"} |= "error" | json | level="error"`.
#[derive(Clone, Debug, PartialEq)]
pub struct LogExpr {
    /// The stream selector.
    pub selector: Selector,
    /// The stages, in order.
    pub pipeline: Vec<Stage>,
    /// Where.
    pub span: Span,
}

/// A stream selector: `{app="api", env=~"prod|staging"}`.
#[derive(Clone, Debug, PartialEq)]
pub struct Selector {
    /// The matchers, in the order written.
    pub matchers: Vec<LabelMatcher>,
    /// Where, braces included.
    pub span: Span,
}

/// How a label matcher compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MatchOp {
    /// `=`: equal.
    Eq,
    /// `!=`: not equal.
    Neq,
    /// `=~`: matches the (fully anchored) regex.
    Re,
    /// `!~`: does not match the (fully anchored) regex.
    Nre,
}

impl MatchOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchOp::Eq => "=",
            MatchOp::Neq => "!=",
            MatchOp::Re => "=~",
            MatchOp::Nre => "!~",
        }
    }

    /// Whether the operator is a regex match.
    pub fn is_regex(self) -> bool {
        matches!(self, MatchOp::Re | MatchOp::Nre)
    }

    /// Whether the operator negates.
    pub fn is_negative(self) -> bool {
        matches!(self, MatchOp::Neq | MatchOp::Nre)
    }
}

/// A label matcher: `name="value"`, in a selector, a label filter, `drop` or `keep`.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelMatcher {
    /// The label name.
    pub name: Ident,
    /// The comparison.
    pub op: MatchOp,
    /// The value or regex.
    pub value: StringLit,
    /// Where.
    pub span: Span,
}

/// One pipeline stage.
#[derive(Clone, Debug, PartialEq)]
pub enum Stage {
    /// `|= "a"`, `!~ "b" or "c"`, `|> "<_> GET <_>"`, `|= ip("10.0.0.0/8")`.
    LineFilter(LineFilter),
    /// `| json`, `| json a="x.y", b`.
    Json(JsonParser),
    /// `| logfmt`, `| logfmt --strict a, b="c"`.
    Logfmt(LogfmtParser),
    /// `| regexp "(?P<name>...)"`.
    Regexp(RegexpParser),
    /// `| pattern "<ip> - <_>"`.
    Pattern(PatternParser),
    /// `| unpack`.
    Unpack(Span),
    /// `| level="error"`, `| latency > 250ms and status >= 500`.
    LabelFilter(LabelFilterStage),
    /// `| line_format "{{.msg}}"`.
    LineFormat(LineFormat),
    /// `| label_format new=old, x="{{.a}}"`.
    LabelFormat(LabelFormat),
    /// `| drop a, b="v"`.
    Drop(LabelSelection),
    /// `| keep a, b="v"`.
    Keep(LabelSelection),
    /// `| decolorize`.
    Decolorize(Span),
}

impl Stage {
    /// The stage's span (from its `|` or filter operator).
    pub fn span(&self) -> Span {
        match self {
            Stage::LineFilter(s) => s.span,
            Stage::Json(s) => s.span,
            Stage::Logfmt(s) => s.span,
            Stage::Regexp(s) => s.span,
            Stage::Pattern(s) => s.span,
            Stage::LabelFilter(s) => s.span,
            Stage::LineFormat(s) => s.span,
            Stage::LabelFormat(s) => s.span,
            Stage::Drop(s) | Stage::Keep(s) => s.span,
            Stage::Unpack(span) | Stage::Decolorize(span) => *span,
        }
    }
}

/// A line filter's operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LineFilterOp {
    /// `|=`: the line contains the string.
    Contains,
    /// `!=`: the line does not contain the string.
    NotContains,
    /// `|~`: the regex matches somewhere in the line.
    Match,
    /// `!~`: the regex matches nowhere in the line.
    NotMatch,
    /// `|>`: the line matches the pattern.
    Pattern,
    /// `!>`: the line does not match the pattern.
    NotPattern,
}

impl LineFilterOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Contains => "|=",
            Self::NotContains => "!=",
            Self::Match => "|~",
            Self::NotMatch => "!~",
            Self::Pattern => "|>",
            Self::NotPattern => "!>",
        }
    }

    /// Whether the filter keeps lines that do *not* match.
    pub fn is_negative(self) -> bool {
        matches!(self, Self::NotContains | Self::NotMatch | Self::NotPattern)
    }
}

/// A line filter: an operator and one or more alternatives joined by `or`.
///
/// A line passes a positive filter when any alternative matches, a negative one when none
/// does. The parser gives a negative filter one alternative: `!= "a" or "b"` means
/// `!= "a" != "b"` and is parsed as those two filters, as Loki does.
#[derive(Clone, Debug, PartialEq)]
pub struct LineFilter {
    /// The operator.
    pub op: LineFilterOp,
    /// The alternatives, at least one.
    pub alternatives: Vec<LineFilterValue>,
    /// Where, from the operator.
    pub span: Span,
}

/// One alternative of a line filter.
#[derive(Clone, Debug, PartialEq)]
pub enum LineFilterValue {
    /// A string: a substring, a regex or a pattern, by the operator.
    String(StringLit),
    /// `ip("...")`: an address, a CIDR prefix or a range `a-b`, matched against the IP
    /// addresses found in the line.
    Ip {
        /// The address, prefix or range.
        pattern: StringLit,
        /// Where, `ip(` to `)`.
        span: Span,
    },
}

impl LineFilterValue {
    /// Where.
    pub fn span(&self) -> Span {
        match self {
            Self::String(s) => s.span,
            Self::Ip { span, .. } => *span,
        }
    }
}

/// A label to extract: `name="expression"` (for `| json`: a JSON path such as `a.b[0]`; for
/// `| logfmt`: a key). `| json name` is stored as `name="name"`.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelExtraction {
    /// The label to create.
    pub name: Ident,
    /// What to extract.
    pub expression: StringLit,
    /// Where.
    pub span: Span,
}

/// `| json` with optional extractions.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonParser {
    /// The labels to extract; empty: every field.
    pub extractions: Vec<LabelExtraction>,
    /// Where.
    pub span: Span,
}

/// `| logfmt` with optional flags and extractions.
#[derive(Clone, Debug, PartialEq)]
pub struct LogfmtParser {
    /// `--strict`: stop at the first malformed pair.
    pub strict: bool,
    /// `--keep-empty`: keep keys without value.
    pub keep_empty: bool,
    /// The labels to extract; empty: every key.
    pub extractions: Vec<LabelExtraction>,
    /// Where.
    pub span: Span,
}

/// `| regexp "..."`.
#[derive(Clone, Debug, PartialEq)]
pub struct RegexpParser {
    /// The regex, with named captures.
    pub regex: StringLit,
    /// Where.
    pub span: Span,
}

/// `| pattern "..."`.
#[derive(Clone, Debug, PartialEq)]
pub struct PatternParser {
    /// The pattern, with named captures.
    pub pattern: StringLit,
    /// Where.
    pub span: Span,
}

/// A label filter stage: `| <label filter>`.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelFilterStage {
    /// The filter.
    pub filter: LabelFilter,
    /// Where, from the `|`.
    pub span: Span,
}

/// A numeric, duration or byte-size comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `=` or `==`.
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
}

impl CmpOp {
    /// The operator as Loki prints it (`==` for equality).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "==",
            Self::Neq => "!=",
            Self::Gt => ">",
            Self::Gte => ">=",
            Self::Lt => "<",
            Self::Lte => "<=",
        }
    }
}

/// A label filter expression.
#[derive(Clone, Debug, PartialEq)]
pub enum LabelFilter {
    /// Both hold (`a and b`, `a, b`, `a b`).
    And(Box<LabelFilter>, Box<LabelFilter>, Span),
    /// Either holds (`a or b`).
    Or(Box<LabelFilter>, Box<LabelFilter>, Span),
    /// A string comparison: `level="error"`, `path=~"/api/.*"`.
    Matcher(LabelMatcher),
    /// A numeric comparison: `status >= 500`.
    Number(NumberFilter),
    /// A duration comparison: `latency > 250ms`.
    Duration(DurationFilter),
    /// A byte-size comparison: `size < 1KB`.
    Bytes(BytesFilter),
    /// `addr=ip("10.0.0.0/8")`, `addr!=ip("...")`.
    Ip(IpLabelFilter),
}

impl LabelFilter {
    /// Where.
    pub fn span(&self) -> Span {
        match self {
            Self::And(_, _, span) | Self::Or(_, _, span) => *span,
            Self::Matcher(m) => m.span,
            Self::Number(f) => f.span,
            Self::Duration(f) => f.span,
            Self::Bytes(f) => f.span,
            Self::Ip(f) => f.span,
        }
    }
}

/// `name <op> number`.
#[derive(Clone, Debug, PartialEq)]
pub struct NumberFilter {
    /// The label.
    pub name: Ident,
    /// The comparison.
    pub op: CmpOp,
    /// The number.
    pub value: f64,
    /// Where.
    pub span: Span,
}

/// `name <op> duration`.
#[derive(Clone, Debug, PartialEq)]
pub struct DurationFilter {
    /// The label.
    pub name: Ident,
    /// The comparison.
    pub op: CmpOp,
    /// The duration in nanoseconds.
    pub value: i64,
    /// Where.
    pub span: Span,
}

/// `name <op> bytes`.
#[derive(Clone, Debug, PartialEq)]
pub struct BytesFilter {
    /// The label.
    pub name: Ident,
    /// The comparison.
    pub op: CmpOp,
    /// The size in bytes.
    pub value: u64,
    /// Where.
    pub span: Span,
}

/// `name=ip("...")` / `name!=ip("...")`.
#[derive(Clone, Debug, PartialEq)]
pub struct IpLabelFilter {
    /// The label.
    pub name: Ident,
    /// `!=`.
    pub negated: bool,
    /// The address, prefix or range.
    pub pattern: StringLit,
    /// Where.
    pub span: Span,
}

/// `| line_format "template"`.
#[derive(Clone, Debug, PartialEq)]
pub struct LineFormat {
    /// The Go text/template.
    pub template: StringLit,
    /// Where.
    pub span: Span,
}

/// `| label_format a=b, c="{{.d}}"`.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelFormat {
    /// The assignments, at least one.
    pub assignments: Vec<LabelFormatAssignment>,
    /// Where.
    pub span: Span,
}

/// One `label_format` assignment.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelFormatAssignment {
    /// The label to set.
    pub name: Ident,
    /// Its new value.
    pub value: LabelFormatValue,
    /// Where.
    pub span: Span,
}

/// What `label_format` sets a label to.
#[derive(Clone, Debug, PartialEq)]
pub enum LabelFormatValue {
    /// `new=old`: rename.
    Rename(Ident),
    /// `x="{{.a}}"`: a template.
    Template(StringLit),
}

/// The labels of `| drop` or `| keep`.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelSelection {
    /// The labels, at least one.
    pub labels: Vec<NamedMatcher>,
    /// Where.
    pub span: Span,
}

/// A label of `drop`/`keep`: a name, or a matcher (only labels whose value matches).
#[derive(Clone, Debug, PartialEq)]
pub enum NamedMatcher {
    /// `name`.
    Name(Ident),
    /// `name="value"`.
    Matcher(LabelMatcher),
}
