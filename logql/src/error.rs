//! The crate's one error type, [`Error`]: every variant carries the [`Span`] of the query
//! text it is about, and its `Display` is Loki's own text for the same mistake.

use std::fmt;

use crate::go::PromDurationError;
use crate::span::{Position, Span};

/// Everything that can go wrong turning query text into a plan.
///
/// The messages are Loki's: syntax and lexical errors read
/// `parse error at line 1, col 13: syntax error: unexpected STRING`, semantic errors that
/// Loki reports without a position read `parse error : <reason>`. The span is always there
/// for callers that want to point at the offending text.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A token the grammar does not allow where it stands.
    #[error(
        "parse error at {position}: syntax error: unexpected {found}{}",
        Expecting(expected)
    )]
    Syntax {
        /// Loki's name for the token found (`IDENTIFIER`, `STRING`, `)`, `$end`, ...).
        found: &'static str,
        /// Loki's names for the tokens that would have been accepted, in Loki's order
        /// (listed in the message only when there are at most four).
        expected: Vec<&'static str>,
        /// The unexpected token.
        span: Span,
        /// Where the unexpected token starts.
        position: Position,
    },
    /// Text that is no token: an unterminated string, a bad escape, a bad range.
    #[error("parse error at {position}: {kind}")]
    Lexical {
        /// What is wrong.
        kind: LexError,
        /// The offending token (from its start).
        span: Span,
        /// Where the token starts.
        position: Position,
    },
    /// A well-formed query that Loki refuses at parse time.
    #[error("parse error : {kind}")]
    Invalid {
        /// Why.
        kind: InvalidQuery,
        /// The node the check is about.
        span: Span,
    },
    /// The query is longer than Loki accepts (128 KiB).
    #[error("parse error : input size too long ({len} > {max})")]
    TooLong {
        /// The query's length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A construct the planner cannot execute yet (parsers, formatting, metric queries):
    /// refused, never ignored.
    #[error("{construct} is not supported yet")]
    Unsupported {
        /// What it is.
        construct: Construct,
        /// Where it is.
        span: Span,
    },
    /// A line filter that cannot be compiled (Loki reports these when it builds the
    /// pipeline, not at parse time).
    #[error("{kind}")]
    Filter {
        /// Why.
        kind: FilterError,
        /// The filter's value.
        span: Span,
    },
    /// A stream selector was required (`match[]`, label and series queries) and the query is
    /// something else.
    #[error("only label matchers are supported")]
    NotASelector {
        /// The query.
        span: Span,
    },
}

impl Error {
    pub(crate) fn lexical(kind: LexError, span: Span, source: &str) -> Error {
        Error::Lexical {
            kind,
            span,
            position: Position::of(source, span.start),
        }
    }

    pub(crate) fn invalid(kind: InvalidQuery, span: Span) -> Error {
        Error::Invalid { kind, span }
    }

    /// The span of query text the error is about (empty for [`Error::TooLong`]).
    pub fn span(&self) -> Span {
        match self {
            Error::Syntax { span, .. }
            | Error::Lexical { span, .. }
            | Error::Invalid { span, .. }
            | Error::Unsupported { span, .. }
            | Error::Filter { span, .. }
            | Error::NotASelector { span } => *span,
            Error::TooLong { .. } => Span::default(),
        }
    }

    /// Whether this is one of Loki's parse errors (as opposed to a construct the planner does
    /// not support or a filter it cannot compile). Loki answers both with HTTP 400.
    pub fn is_parse_error(&self) -> bool {
        matches!(
            self,
            Error::Syntax { .. }
                | Error::Lexical { .. }
                | Error::Invalid { .. }
                | Error::TooLong { .. }
        )
    }
}

/// Formats `, expecting A or B` (at most four names, as Loki's parser lists them).
struct Expecting<'a>(&'a [&'static str]);

impl fmt::Display for Expecting<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() || self.0.len() > 4 {
            return Ok(());
        }
        f.write_str(", expecting ")?;
        for (i, name) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" or ")?;
            }
            f.write_str(name)?;
        }
        Ok(())
    }
}

/// Why some text is no token (Go's scanner and Loki's lexer texts).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LexError {
    /// A string without its closing quote on the same line (raw strings: before the end).
    UnterminatedString,
    /// A backslash not followed by one of Go's escapes.
    InvalidEscape,
    /// An escape with an impossible value (`\400`, a surrogate).
    InvalidSyntax,
    /// Escapes that produce bytes which are not UTF-8 (Loki accepts these; this crate's
    /// strings are UTF-8).
    InvalidUtf8String,
    /// `[` without `]`.
    MissingRangeBracket,
    /// The text between `[` and `]` is not a Prometheus duration.
    InvalidRange(PromDurationError),
    /// `/*` without `*/`.
    CommentNotTerminated,
    /// A character literal (`'x'`) with no or several characters.
    InvalidCharLiteral,
    /// A number prefix with no digits (`0x`).
    NoDigits(&'static str),
    /// An exponent with no digits (`1e`).
    ExponentNoDigits,
    /// A hexadecimal float without its `p` exponent.
    HexMantissaNeedsExponent,
    /// A digit outside the literal's base (`08`).
    InvalidDigit {
        /// The digit.
        digit: char,
        /// The kind of literal (`octal literal`).
        literal: &'static str,
    },
    /// A misplaced `_` in a number.
    DigitSeparator,
    /// A NUL character.
    NulCharacter,
}

impl fmt::Display for LexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnterminatedString => f.write_str("literal not terminated"),
            Self::InvalidEscape => f.write_str("invalid char escape"),
            Self::InvalidSyntax => f.write_str("invalid syntax"),
            Self::InvalidUtf8String => f.write_str("invalid UTF-8 in string literal"),
            Self::MissingRangeBracket => f.write_str("missing closing ']' in duration"),
            Self::InvalidRange(e) => e.fmt(f),
            Self::CommentNotTerminated => f.write_str("comment not terminated"),
            Self::InvalidCharLiteral => f.write_str("invalid char literal"),
            Self::NoDigits(literal) => write!(f, "{literal} has no digits"),
            Self::ExponentNoDigits => f.write_str("exponent has no digits"),
            Self::HexMantissaNeedsExponent => {
                f.write_str("hexadecimal mantissa requires a 'p' exponent")
            }
            Self::InvalidDigit { digit, literal } => {
                write!(f, "invalid digit '{digit}' in {literal}")
            }
            Self::DigitSeparator => f.write_str("'_' must separate successive digits"),
            Self::NulCharacter => f.write_str("invalid character NUL"),
        }
    }
}

/// Which side of a binary operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The left operand.
    Left,
    /// The right operand.
    Right,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Left => "left",
            Side::Right => "right",
        })
    }
}

/// Where a regular expression appears, which decides how Loki words its error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegexContext {
    /// A label matcher (`=~`, `!~`) in a selector, label filter, `drop` or `keep`.
    Matcher,
    /// A line filter (`|~`, `!~`).
    LineFilter,
    /// `label_replace`'s regex.
    LabelReplace,
    /// The `| regexp` parser stage.
    RegexpParser,
}

/// Go's regexp error codes (`regexp/syntax.ErrorCode`), which Loki's messages quote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegexErrorCode {
    /// `invalid character class`.
    InvalidCharClass,
    /// `invalid character class range`.
    InvalidCharRange,
    /// `invalid escape sequence`.
    InvalidEscape,
    /// `invalid named capture`.
    InvalidNamedCapture,
    /// `invalid or unsupported Perl syntax`.
    InvalidPerlOp,
    /// `invalid nested repetition operator`.
    InvalidRepeatOp,
    /// `invalid repeat count`.
    InvalidRepeatSize,
    /// `missing closing ]`.
    MissingBracket,
    /// `missing closing )`.
    MissingParen,
    /// `missing argument to repetition operator`.
    MissingRepeatArgument,
    /// `trailing backslash at end of expression`.
    TrailingBackslash,
    /// `unexpected )`.
    UnexpectedParen,
    /// `expression nests too deeply`.
    NestingDepth,
    /// `expression too large`.
    Large,
    /// `invalid UTF-8`.
    InvalidUtf8,
}

impl fmt::Display for RegexErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::InvalidCharClass => "invalid character class",
            Self::InvalidCharRange => "invalid character class range",
            Self::InvalidEscape => "invalid escape sequence",
            Self::InvalidNamedCapture => "invalid named capture",
            Self::InvalidPerlOp => "invalid or unsupported Perl syntax",
            Self::InvalidRepeatOp => "invalid nested repetition operator",
            Self::InvalidRepeatSize => "invalid repeat count",
            Self::MissingBracket => "missing closing ]",
            Self::MissingParen => "missing closing )",
            Self::MissingRepeatArgument => "missing argument to repetition operator",
            Self::TrailingBackslash => "trailing backslash at end of expression",
            Self::UnexpectedParen => "unexpected )",
            Self::NestingDepth => "expression nests too deeply",
            Self::Large => "expression too large",
            Self::InvalidUtf8 => "invalid UTF-8",
        })
    }
}

/// A regular expression that does not compile, worded as Go's `regexp` words it:
/// ``error parsing regexp: missing closing ): `(`` ``.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegexError {
    /// What is wrong.
    pub code: RegexErrorCode,
    /// The part of the expression the error is about.
    pub fragment: String,
}

impl fmt::Display for RegexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "error parsing regexp: {}: `{}`",
            self.code, self.fragment
        )
    }
}

/// Why a pattern (`| pattern "..."`, `|> "..."`) is refused (Loki's pattern texts).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PatternError {
    /// A parser pattern needs at least one named capture.
    NoCapture,
    /// Two captures next to each other (`<a><b>`).
    ConsecutiveCaptures(String),
    /// The same capture name twice.
    DuplicateCapture(String),
    /// A named capture in a line filter, where only `<_>` is allowed.
    NamedCaptureNotAllowed(String),
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoCapture => f.write_str("at least one capture is required"),
            Self::ConsecutiveCaptures(text) => {
                write!(f, "found consecutive capture '{text}': invalid expression")
            }
            Self::DuplicateCapture(name) => {
                write!(f, "duplicate capture name ({name}): invalid expression")
            }
            Self::NamedCaptureNotAllowed(text) => {
                write!(f, "named captures are not allowed: found '{text}'")
            }
        }
    }
}

/// The checks Loki makes on a well-formed query before accepting it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum InvalidQuery {
    /// Every matcher of a stream selector matches the empty string.
    NoNonEmptyMatcher,
    /// A regular expression that does not compile.
    Regex {
        /// Where it appears.
        context: RegexContext,
        /// The compile error.
        error: RegexError,
    },
    /// A `| regexp` expression without a named capture.
    RegexpParserNoCapture,
    /// A `| regexp` capture name that is not a valid label name.
    RegexpParserLabelName(String),
    /// A `| regexp` capture name used twice.
    RegexpParserDuplicateName(String),
    /// A `| pattern` expression Loki refuses.
    PatternParser(PatternError),
    /// A number literal Go cannot parse (`0x10`).
    Literal {
        /// Go's `strconv.ParseFloat` error.
        reason: String,
    },
    /// `vector(...)`'s argument Go cannot parse.
    Vector {
        /// Go's `strconv.ParseFloat` error.
        reason: String,
    },
    /// A log query as the operand of a binary operation.
    BinaryOperand {
        /// Which operand.
        side: Side,
        /// The operator.
        op: &'static str,
        /// Loki's Go type name for the operand (`*syntax.MatchersExpr`).
        found: &'static str,
    },
    /// A number as the operand of `and`, `or` or `unless`.
    LogicalLiteral {
        /// Which operand.
        side: Side,
        /// The operator.
        op: &'static str,
        /// The number.
        value: f64,
    },
    /// A parameter on a range aggregation other than `quantile_over_time`.
    RangeParameterNotSupported {
        /// The aggregation.
        op: &'static str,
        /// The parameter as written.
        param: String,
    },
    /// An aggregation called without its required parameter (`topk`, `quantile_over_time`).
    ParameterRequired {
        /// The aggregation.
        op: &'static str,
    },
    /// `by`/`without` on an aggregation that does not take it.
    GroupingNotAllowed {
        /// The aggregation.
        op: &'static str,
    },
    /// `| unwrap` on a range aggregation that counts lines.
    UnwrapNotAllowed {
        /// The aggregation.
        op: &'static str,
    },
    /// A range aggregation over values without `| unwrap`.
    UnwrapRequired {
        /// The aggregation.
        op: &'static str,
    },
    /// A `topk`/`bottomk`/`approx_topk` parameter that is not an integer.
    VectorParameterInvalid {
        /// The aggregation.
        op: &'static str,
        /// The parameter as written.
        param: String,
    },
    /// A `topk`/`bottomk`/`approx_topk` parameter below 1.
    VectorParameterNotPositive {
        /// The aggregation.
        op: &'static str,
        /// The parameter as written.
        param: String,
    },
    /// A parameter on a vector aggregation that takes none.
    VectorParameterNotSupported {
        /// The aggregation.
        op: &'static str,
        /// The parameter as written.
        param: String,
    },
    /// A `quantile_over_time` parameter Go cannot parse.
    RangeParameterInvalid {
        /// The aggregation.
        op: &'static str,
        /// Go's `strconv.ParseFloat` error.
        reason: String,
    },
    /// `sort`/`sort_desc` with grouping labels.
    SortGrouping,
    /// The query nests deeper than this crate parses (Loki has no limit).
    NestingTooDeep {
        /// The limit.
        limit: usize,
    },
}

impl fmt::Display for InvalidQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoNonEmptyMatcher => f.write_str(
                "queries require at least one regexp or equality matcher that does not have an \
                 empty-compatible value. For instance, app=~\".*\" does not meet this \
                 requirement, but app=~\".+\" will",
            ),
            Self::Regex { context, error } => match context {
                RegexContext::Matcher | RegexContext::LineFilter => error.fmt(f),
                RegexContext::LabelReplace => write!(f, "invalid regex in label_replace: {error}"),
                RegexContext::RegexpParser => write!(f, "invalid regexp parser: {error}"),
            },
            Self::RegexpParserNoCapture => {
                f.write_str("invalid regexp parser: at least one named capture must be supplied")
            }
            Self::RegexpParserLabelName(name) => {
                write!(
                    f,
                    "invalid regexp parser: invalid extracted label name '{name}'"
                )
            }
            Self::RegexpParserDuplicateName(name) => {
                write!(
                    f,
                    "invalid regexp parser: duplicate extracted label name '{name}'"
                )
            }
            Self::PatternParser(e) => write!(f, "invalid pattern parser: {e}"),
            Self::Literal { reason } => write!(f, "unable to parse literal as a float: {reason}"),
            Self::Vector { reason } => write!(f, "unable to parse vectorExpr as a float: {reason}"),
            Self::BinaryOperand { side, op, found } => {
                write!(
                    f,
                    "unexpected type for {side} leg of binary operation ({op}): {found}"
                )
            }
            Self::LogicalLiteral { side, op, value } => write!(
                f,
                "unexpected literal for {side} leg of logical/set binary operation ({op}): {value:.6}"
            ),
            Self::RangeParameterNotSupported { op, param } => {
                write!(f, "parameter {param} not supported for operation {op}")
            }
            Self::ParameterRequired { op } => write!(f, "parameter required for operation {op}"),
            Self::GroupingNotAllowed { op } => {
                write!(f, "grouping not allowed for {op} aggregation")
            }
            Self::UnwrapNotAllowed { op } => write!(f, "invalid aggregation {op} with unwrap"),
            Self::UnwrapRequired { op } => write!(f, "invalid aggregation {op} without unwrap"),
            Self::VectorParameterInvalid { op, param } => {
                write!(f, "invalid parameter {op}({param},")
            }
            Self::VectorParameterNotPositive { op, param } => {
                write!(f, "invalid parameter (must be greater than 0) {op}({param}")
            }
            Self::VectorParameterNotSupported { op, param } => {
                write!(f, "unsupported parameter for operation {op}({param},")
            }
            Self::RangeParameterInvalid { op, reason } => {
                write!(f, "invalid parameter for operation {op}: {reason}")
            }
            Self::SortGrouping => f.write_str("sort and sort_desc doesn't allow grouping by "),
            Self::NestingTooDeep { limit } => {
                write!(f, "expression nests too deeply (more than {limit} levels)")
            }
        }
    }
}

/// A line filter that cannot be compiled.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FilterError {
    /// `ip("...")` with something that is not an address, a CIDR prefix or a range.
    IpPattern(String),
    /// `ip("...")` after an operator other than `|=` or `!=`.
    IpOperation,
    /// A pattern filter (`|>`, `!>`) Loki refuses.
    Pattern(PatternError),
    /// A regular expression that compiles in principle but exceeds the size limit.
    Regex(RegexError),
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::IpPattern(pattern) => {
                write!(f, "ip: invalid pattern: {}", crate::go::quote(pattern))
            }
            Self::IpOperation => f.write_str("ip: invalid operation"),
            Self::Pattern(e) => e.fmt(f),
            Self::Regex(e) => e.fmt(f),
        }
    }
}

/// A LogQL construct the planner does not execute yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Construct {
    /// `| json`.
    JsonParser,
    /// `| logfmt`.
    LogfmtParser,
    /// `| regexp "..."`.
    RegexpParser,
    /// `| pattern "..."`.
    PatternParser,
    /// `| unpack`.
    UnpackParser,
    /// `| label="value"`, `| n > 5`, ...
    LabelFilter,
    /// `| line_format "..."`.
    LineFormat,
    /// `| label_format ...`.
    LabelFormat,
    /// `| drop ...`.
    Drop,
    /// `| keep ...`.
    Keep,
    /// `| decolorize`.
    Decolorize,
    /// A metric query (range or vector aggregation, binary operation, literal, `vector()`,
    /// `label_replace`): named by its outermost operation.
    MetricQuery(&'static str),
}

impl fmt::Display for Construct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::JsonParser => f.write_str("the json parser (| json)"),
            Self::LogfmtParser => f.write_str("the logfmt parser (| logfmt)"),
            Self::RegexpParser => f.write_str("the regexp parser (| regexp)"),
            Self::PatternParser => f.write_str("the pattern parser (| pattern)"),
            Self::UnpackParser => f.write_str("the unpack parser (| unpack)"),
            Self::LabelFilter => f.write_str("a label filter"),
            Self::LineFormat => f.write_str("line_format"),
            Self::LabelFormat => f.write_str("label_format"),
            Self::Drop => f.write_str("drop"),
            Self::Keep => f.write_str("keep"),
            Self::Decolorize => f.write_str("decolorize"),
            Self::MetricQuery(op) => write!(f, "the metric query ({op})"),
        }
    }
}
