//! A hand-written recursive-descent parser for the whole LogQL grammar.
//!
//! It accepts what Loki's grammar accepts and reports what Loki reports: a syntax error
//! names the unexpected token and, when at most four tokens would have been accepted, lists
//! them in Loki's order (`syntax error: unexpected $end, expecting } or ,`). The checks Loki
//! makes while it builds its tree (label matcher regexes, `| regexp` and `| pattern`
//! expressions, numeric label-filter literals) fail the parse at once; the checks Loki makes
//! once the tree is built are in [`validate`](crate::validate).

use std::collections::VecDeque;

use crate::ast::{
    BinaryOp, BinaryOpKind, Conversion, DurationLit, Expr, GroupModifier, GroupSide, Grouping,
    Ident, LabelFilterStage, LabelReplace, Literal, LogExpr, LogRange, NumberLit, RangeAggregation,
    RangeOp, StringLit, Unwrap, VectorAggregation, VectorExpr, VectorMatching, VectorOp,
};
use crate::error::{Error, InvalidQuery};
use crate::go;
use crate::lexer::{Kind, Lexer, Token, Value};
use crate::span::{Position, Span};

mod log;

/// Loki refuses queries of this many bytes or more.
pub const MAX_QUERY_LEN: usize = 131_072;

/// How deeply expressions may nest: each parenthesis, aggregation argument and label
/// filter joined by `,` or juxtaposition takes a level (`and`/`or` chains and pipeline
/// stages do not). Loki has no limit; this one keeps hostile queries from exhausting the
/// stack (a level costs a few KiB of stack in a debug build, much less in release).
pub const MAX_DEPTH: usize = 128;

/// Tokens that start a pipeline stage.
const STAGE_STARTS: [Kind; 7] = [
    Kind::PipeExact,
    Kind::Neq,
    Kind::PipeMatch,
    Kind::Nre,
    Kind::PipePattern,
    Kind::Npa,
    Kind::Pipe,
];

const BINARY_OPS: [(Kind, BinaryOpKind); 15] = [
    (Kind::Or, BinaryOpKind::Or),
    (Kind::And, BinaryOpKind::And),
    (Kind::Unless, BinaryOpKind::Unless),
    (Kind::CmpEq, BinaryOpKind::Eq),
    (Kind::Neq, BinaryOpKind::Neq),
    (Kind::Gt, BinaryOpKind::Gt),
    (Kind::Gte, BinaryOpKind::Gte),
    (Kind::Lt, BinaryOpKind::Lt),
    (Kind::Lte, BinaryOpKind::Lte),
    (Kind::Add, BinaryOpKind::Add),
    (Kind::Sub, BinaryOpKind::Sub),
    (Kind::Mul, BinaryOpKind::Mul),
    (Kind::Div, BinaryOpKind::Div),
    (Kind::Mod, BinaryOpKind::Mod),
    (Kind::Pow, BinaryOpKind::Pow),
];

fn range_op(kind: Kind) -> Option<RangeOp> {
    Some(match kind {
        Kind::CountOverTime => RangeOp::CountOverTime,
        Kind::Rate => RangeOp::Rate,
        Kind::RateCounter => RangeOp::RateCounter,
        Kind::BytesOverTime => RangeOp::BytesOverTime,
        Kind::BytesRate => RangeOp::BytesRate,
        Kind::AvgOverTime => RangeOp::AvgOverTime,
        Kind::SumOverTime => RangeOp::SumOverTime,
        Kind::MinOverTime => RangeOp::MinOverTime,
        Kind::MaxOverTime => RangeOp::MaxOverTime,
        Kind::StdvarOverTime => RangeOp::StdvarOverTime,
        Kind::StddevOverTime => RangeOp::StddevOverTime,
        Kind::QuantileOverTime => RangeOp::QuantileOverTime,
        Kind::FirstOverTime => RangeOp::FirstOverTime,
        Kind::LastOverTime => RangeOp::LastOverTime,
        Kind::AbsentOverTime => RangeOp::AbsentOverTime,
        _ => return None,
    })
}

fn vector_op(kind: Kind) -> Option<VectorOp> {
    Some(match kind {
        Kind::Sum => VectorOp::Sum,
        Kind::Avg => VectorOp::Avg,
        Kind::Count => VectorOp::Count,
        Kind::Max => VectorOp::Max,
        Kind::Min => VectorOp::Min,
        Kind::Stddev => VectorOp::Stddev,
        Kind::Stdvar => VectorOp::Stdvar,
        Kind::Bottomk => VectorOp::Bottomk,
        Kind::Topk => VectorOp::Topk,
        Kind::Sort => VectorOp::Sort,
        Kind::SortDesc => VectorOp::SortDesc,
        Kind::ApproxTopk => VectorOp::ApproxTopk,
        _ => return None,
    })
}

const RANGE_OP_KINDS: [Kind; 15] = [
    Kind::CountOverTime,
    Kind::Rate,
    Kind::RateCounter,
    Kind::BytesOverTime,
    Kind::BytesRate,
    Kind::AvgOverTime,
    Kind::SumOverTime,
    Kind::MinOverTime,
    Kind::MaxOverTime,
    Kind::StdvarOverTime,
    Kind::StddevOverTime,
    Kind::QuantileOverTime,
    Kind::FirstOverTime,
    Kind::LastOverTime,
    Kind::AbsentOverTime,
];

const VECTOR_OP_KINDS: [Kind; 12] = [
    Kind::Sum,
    Kind::Avg,
    Kind::Count,
    Kind::Max,
    Kind::Min,
    Kind::Stddev,
    Kind::Stdvar,
    Kind::Bottomk,
    Kind::Topk,
    Kind::Sort,
    Kind::SortDesc,
    Kind::ApproxTopk,
];

/// The parser's state over one query.
pub(crate) struct Parser<'a> {
    src: &'a str,
    lexer: Lexer<'a>,
    lookahead: VecDeque<Token>,
    /// Tokens tried at the current position since the last one was consumed.
    expected: Vec<Kind>,
    /// End of the last consumed token.
    last_end: usize,
    depth: usize,
}

type Result<T> = std::result::Result<T, Error>;

impl<'a> Parser<'a> {
    pub(crate) fn new(src: &'a str) -> Self {
        Self {
            src,
            lexer: Lexer::new(src),
            lookahead: VecDeque::with_capacity(2),
            expected: Vec::new(),
            last_end: 0,
            depth: 0,
        }
    }

    // -- token plumbing -------------------------------------------------------------------

    fn fill(&mut self, n: usize) -> Result<()> {
        while self.lookahead.len() < n {
            let token = self.lexer.next_token()?;
            self.lookahead.push_back(token);
        }
        Ok(())
    }

    fn peek(&mut self) -> Result<&Token> {
        self.fill(1)?;
        Ok(&self.lookahead[0])
    }

    fn peek_kind(&mut self) -> Result<Kind> {
        Ok(self.peek()?.kind)
    }

    fn peek2_kind(&mut self) -> Result<Kind> {
        self.fill(2)?;
        Ok(self.lookahead[1].kind)
    }

    /// Whether the next token is `kind`; if not, `kind` joins the expected set.
    fn check(&mut self, kind: Kind) -> Result<bool> {
        if self.peek_kind()? == kind {
            return Ok(true);
        }
        self.expected.push(kind);
        Ok(false)
    }

    fn bump(&mut self) -> Result<Token> {
        self.fill(1)?;
        let token = self
            .lookahead
            .pop_front()
            .ok_or_else(|| self.internal_eof())?;
        self.last_end = token.span.end;
        self.expected.clear();
        Ok(token)
    }

    fn internal_eof(&self) -> Error {
        let span = Span::new(self.src.len(), self.src.len());
        Error::Syntax {
            found: Kind::Eof.name(),
            expected: Vec::new(),
            span,
            position: Position::of(self.src, span.start),
        }
    }

    fn eat(&mut self, kind: Kind) -> Result<Option<Token>> {
        if self.check(kind)? {
            self.bump().map(Some)
        } else {
            Ok(None)
        }
    }

    fn expect(&mut self, kind: Kind) -> Result<Token> {
        match self.eat(kind)? {
            Some(token) => Ok(token),
            None => Err(self.unexpected()),
        }
    }

    /// The syntax error for the next token, with the expected set collected so far.
    fn unexpected(&mut self) -> Error {
        let (found, span) = match self.peek() {
            Ok(token) => (token.kind, token.span),
            Err(e) => return e,
        };
        let mut expected: Vec<Kind> = self
            .expected
            .iter()
            .copied()
            .filter(|k| *k != Kind::Eof)
            .collect();
        expected.sort_unstable();
        expected.dedup();
        Error::Syntax {
            found: found.name(),
            expected: expected.into_iter().map(Kind::name).collect(),
            span,
            position: Position::of(self.src, span.start),
        }
    }

    fn span_from(&self, start: usize) -> Span {
        Span::new(start, self.last_end.max(start))
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let start = self
                .lookahead
                .front()
                .map_or(self.last_end, |t| t.span.start);
            return Err(Error::invalid(
                InvalidQuery::NestingTooDeep { limit: MAX_DEPTH },
                Span::new(start, start),
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn ident(&mut self) -> Result<Ident> {
        let token = self.expect(Kind::Identifier)?;
        Ok(Ident {
            name: self.src[token.span.range()].to_owned(),
            span: token.span,
        })
    }

    fn string(&mut self) -> Result<StringLit> {
        let token = self.expect(Kind::String)?;
        Ok(string_lit(token))
    }

    fn number_lit(&mut self) -> Result<NumberLit> {
        let token = self.expect(Kind::Number)?;
        let value = go::parse_float(&self.src[token.span.range()]).unwrap_or(f64::NAN);
        Ok(NumberLit {
            value,
            span: token.span,
        })
    }

    fn duration(&mut self, kind: Kind) -> Result<DurationLit> {
        let token = self.expect(kind)?;
        let nanos = match token.value {
            Value::Duration(nanos) => nanos,
            _ => 0,
        };
        Ok(DurationLit {
            nanos,
            span: token.span,
        })
    }

    // -- expressions ----------------------------------------------------------------------

    /// `query := expr EOF`.
    pub(crate) fn parse_query(&mut self) -> Result<Expr> {
        let expr = self.expr(1)?;
        if !self.check(Kind::Eof)? {
            return Err(self.unexpected());
        }
        Ok(*expr)
    }

    /// Binary operations by precedence climbing: operators binding at least `min_prec`.
    ///
    /// Expressions travel boxed on the recursion path, and nodes are built in helpers, so
    /// each nesting level costs little stack, even in debug builds.
    fn expr(&mut self, min_prec: u8) -> Result<Box<Expr>> {
        self.enter()?;
        let start = self.peek()?.span.start;
        let mut lhs = self.primary()?;
        while let Some(op) = self.binary_operator(min_prec)? {
            let (return_bool, matching) = self.binary_modifiers()?;
            let next = if op == BinaryOpKind::Pow {
                op.precedence()
            } else {
                op.precedence() + 1
            };
            let rhs = self.expr(next)?;
            lhs = self.binary(start, op, return_bool, matching, lhs, rhs);
        }
        self.leave();
        Ok(lhs)
    }

    /// The next binary operator, consumed, if it binds at least `min_prec`.
    fn binary_operator(&mut self, min_prec: u8) -> Result<Option<BinaryOpKind>> {
        for (kind, op) in BINARY_OPS {
            if self.check(kind)? {
                if op.precedence() < min_prec {
                    return Ok(None);
                }
                self.bump()?;
                return Ok(Some(op));
            }
        }
        Ok(None)
    }

    fn binary_modifiers(&mut self) -> Result<(bool, Option<VectorMatching>)> {
        let return_bool = self.eat(Kind::Bool)?.is_some();
        Ok((return_bool, self.vector_matching()?))
    }

    fn binary(
        &self,
        start: usize,
        op: BinaryOpKind,
        return_bool: bool,
        matching: Option<VectorMatching>,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    ) -> Box<Expr> {
        let span = self.span_from(start);
        Box::new(Expr::BinaryOp(BinaryOp {
            op,
            return_bool,
            matching,
            lhs,
            rhs,
            span,
        }))
    }

    /// `on (...)` / `ignoring (...)`, then `group_left`/`group_right` with optional labels.
    fn vector_matching(&mut self) -> Result<Option<VectorMatching>> {
        let start = self.peek()?.span.start;
        let on = if self.eat(Kind::On)?.is_some() {
            true
        } else if self.eat(Kind::Ignoring)?.is_some() {
            false
        } else {
            return Ok(None);
        };
        self.expect(Kind::OpenParen)?;
        let labels = self.label_list()?;
        let group_start = self.peek()?.span.start;
        let side = if self.eat(Kind::GroupLeft)?.is_some() {
            Some(GroupSide::Left)
        } else if self.eat(Kind::GroupRight)?.is_some() {
            Some(GroupSide::Right)
        } else {
            None
        };
        let group = match side {
            Some(side) => {
                let include = if self.eat(Kind::OpenParen)?.is_some() {
                    self.label_list()?
                } else {
                    Vec::new()
                };
                Some(GroupModifier {
                    side,
                    include,
                    span: self.span_from(group_start),
                })
            }
            None => None,
        };
        if !on && labels.is_empty() && group.is_none() {
            return Ok(None);
        }
        Ok(Some(VectorMatching {
            on,
            labels,
            group,
            span: self.span_from(start),
        }))
    }

    /// `label, label, ... )` after an opening parenthesis (possibly empty).
    fn label_list(&mut self) -> Result<Vec<Ident>> {
        let mut labels = Vec::new();
        if self.eat(Kind::CloseParen)?.is_some() {
            return Ok(labels);
        }
        loop {
            labels.push(self.ident()?);
            if self.eat(Kind::Comma)?.is_none() {
                self.expect(Kind::CloseParen)?;
                return Ok(labels);
            }
        }
    }

    fn primary(&mut self) -> Result<Box<Expr>> {
        let kind = self.peek_kind()?;
        if let Some(op) = range_op(kind) {
            return self.range_aggregation(op);
        }
        if let Some(op) = vector_op(kind) {
            return self.vector_aggregation(op);
        }
        match kind {
            Kind::OpenBrace => self.log_primary(),
            Kind::OpenParen => self.paren_expr(),
            Kind::LabelReplace => self.label_replace(),
            Kind::Vector => self.vector(),
            Kind::Number | Kind::Add | Kind::Sub => self.literal_expr(),
            _ => Err(self.primary_error()),
        }
    }

    fn primary_error(&mut self) -> Error {
        self.expected.extend(RANGE_OP_KINDS);
        self.expected.extend(VECTOR_OP_KINDS);
        self.expected.extend([
            Kind::OpenBrace,
            Kind::OpenParen,
            Kind::LabelReplace,
            Kind::Vector,
            Kind::Number,
            Kind::Add,
            Kind::Sub,
        ]);
        self.unexpected()
    }

    fn paren_expr(&mut self) -> Result<Box<Expr>> {
        self.bump()?;
        let inner = self.expr(1)?;
        self.expect(Kind::CloseParen)?;
        Ok(inner)
    }

    fn log_primary(&mut self) -> Result<Box<Expr>> {
        Ok(Box::new(Expr::Log(self.log_expr(false)?)))
    }

    fn literal_expr(&mut self) -> Result<Box<Expr>> {
        Ok(Box::new(Expr::Literal(self.literal()?)))
    }

    /// `NUMBER`, `+NUMBER`, `-NUMBER`.
    fn literal(&mut self) -> Result<Literal> {
        let start = self.peek()?.span.start;
        let negative = if self.eat(Kind::Sub)?.is_some() {
            true
        } else {
            self.eat(Kind::Add)?;
            false
        };
        let number = self.number_lit()?;
        let value = if negative {
            -number.value
        } else {
            number.value
        };
        Ok(Literal {
            value,
            span: self.span_from(start),
        })
    }

    /// An expression that must be a metric query (an aggregation's argument): a log query
    /// there is a syntax error at the token after it, as in Loki.
    fn metric_expr(&mut self) -> Result<Box<Expr>> {
        let expr = self.expr(1)?;
        if matches!(*expr, Expr::Log(_)) {
            return Err(self.unexpected());
        }
        Ok(expr)
    }

    fn grouping(&mut self) -> Result<Option<Grouping>> {
        let start = self.peek()?.span.start;
        let without = if self.eat(Kind::By)?.is_some() {
            false
        } else if self.eat(Kind::Without)?.is_some() {
            true
        } else {
            return Ok(None);
        };
        self.expect(Kind::OpenParen)?;
        let labels = self.label_list()?;
        Ok(Some(Grouping {
            without,
            labels,
            span: self.span_from(start),
        }))
    }

    fn range_aggregation(&mut self, op: RangeOp) -> Result<Box<Expr>> {
        self.enter()?;
        let start = self.bump()?.span.start;
        self.expect(Kind::OpenParen)?;
        let param = if self.check(Kind::Number)? {
            let number = self.number_lit()?;
            self.expect(Kind::Comma)?;
            Some(number)
        } else {
            None
        };
        let range = self.log_range()?;
        self.expect(Kind::CloseParen)?;
        let grouping = self.grouping()?;
        self.leave();
        let span = self.span_from(start);
        Ok(Box::new(Expr::RangeAggregation(RangeAggregation {
            op,
            param,
            range,
            grouping,
            span,
        })))
    }

    fn vector_aggregation(&mut self, op: VectorOp) -> Result<Box<Expr>> {
        self.enter()?;
        let start = self.bump()?.span.start;
        let before = self.grouping()?;
        self.expect(Kind::OpenParen)?;
        let param = if self.peek_kind()? == Kind::Number && self.peek2_kind()? == Kind::Comma {
            let number = self.number_lit()?;
            self.bump()?;
            Some(number)
        } else {
            None
        };
        let inner = self.metric_expr()?;
        self.expect(Kind::CloseParen)?;
        let grouping = if before.is_some() {
            before
        } else {
            self.grouping()?
        };
        // `by ()` groups everything together, which is what no grouping does.
        let grouping = grouping.filter(|g| g.without || !g.labels.is_empty());
        self.leave();
        let span = self.span_from(start);
        Ok(Box::new(Expr::VectorAggregation(VectorAggregation {
            op,
            param,
            inner,
            grouping,
            span,
        })))
    }

    fn label_replace(&mut self) -> Result<Box<Expr>> {
        self.enter()?;
        let start = self.bump()?.span.start;
        self.expect(Kind::OpenParen)?;
        let inner = self.metric_expr()?;
        let mut strings = Vec::with_capacity(4);
        for _ in 0..4 {
            self.expect(Kind::Comma)?;
            strings.push(self.string()?);
        }
        self.expect(Kind::CloseParen)?;
        self.leave();
        let [dst, replacement, src, regex]: [StringLit; 4] =
            strings.try_into().map_err(|_| self.internal_eof())?;
        let span = self.span_from(start);
        Ok(Box::new(Expr::LabelReplace(LabelReplace {
            inner,
            dst,
            replacement,
            src,
            regex,
            span,
        })))
    }

    fn vector(&mut self) -> Result<Box<Expr>> {
        let start = self.bump()?.span.start;
        self.expect(Kind::OpenParen)?;
        let number = self.number_lit()?;
        self.expect(Kind::CloseParen)?;
        Ok(Box::new(Expr::Vector(VectorExpr {
            value: number.value,
            span: self.span_from(start),
        })))
    }

    // -- log ranges ------------------------------------------------------------------------

    /// A log query with a range, in every arrangement Loki's grammar allows:
    /// `sel [pipeline] [unwrap] [range] [offset]`, `sel [range] [offset] [pipeline] [unwrap]`,
    /// `(sel [pipeline] [unwrap]) [range] [offset]`, `(sel) [range] [offset] unwrap`, and any
    /// of these in parentheses.
    fn log_range(&mut self) -> Result<LogRange> {
        self.enter()?;
        let start = self.peek()?.span.start;
        let range = if self.eat(Kind::OpenParen)?.is_some() {
            if self.check(Kind::OpenParen)? {
                let inner = self.log_range()?;
                self.expect(Kind::CloseParen)?;
                inner
            } else {
                let log = self.log_expr(true)?;
                let unwrap = self.unwrap()?;
                if self.peek_kind()? == Kind::Range {
                    let inner = self.range_tail(start, log, unwrap, true)?;
                    self.expect(Kind::CloseParen)?;
                    inner
                } else {
                    self.expect(Kind::CloseParen)?;
                    let bare = log.pipeline.is_empty() && unwrap.is_none();
                    let mut inner = self.range_tail(start, log, unwrap, false)?;
                    if bare {
                        inner.unwrap = self.unwrap()?;
                        inner.span = self.span_from(start);
                    }
                    inner
                }
            }
        } else {
            let log = self.log_expr(true)?;
            let unwrap = self.unwrap()?;
            self.range_tail(start, log, unwrap, true)?
        };
        self.leave();
        Ok(range)
    }

    /// `[range] [offset]`, then (when nothing came before the range and `tail` allows it)
    /// a pipeline and an unwrap.
    fn range_tail(
        &mut self,
        start: usize,
        mut log: LogExpr,
        mut unwrap: Option<Unwrap>,
        tail: bool,
    ) -> Result<LogRange> {
        let range = self.duration(Kind::Range)?;
        let offset = if self.eat(Kind::Offset)?.is_some() {
            Some(self.duration(Kind::Duration)?)
        } else {
            None
        };
        if tail && log.pipeline.is_empty() && unwrap.is_none() {
            log.pipeline = self.pipeline(true)?;
            if !log.pipeline.is_empty() {
                log.span = log.span.to(self.span_from(log.span.start));
            }
            unwrap = self.unwrap()?;
        }
        Ok(LogRange {
            log,
            unwrap,
            range,
            offset,
            span: self.span_from(start),
        })
    }

    /// `| unwrap label`, `| unwrap bytes(label)`, then `| <label filter>` stages.
    fn unwrap(&mut self) -> Result<Option<Unwrap>> {
        if self.peek_kind()? != Kind::Pipe || self.peek2_kind()? != Kind::Unwrap {
            self.expected.push(Kind::Pipe);
            return Ok(None);
        }
        let start = self.bump()?.span.start;
        self.bump()?;
        let conversion = if self.eat(Kind::BytesConv)?.is_some() {
            Some(Conversion::Bytes)
        } else if self.eat(Kind::DurationConv)?.is_some() {
            Some(Conversion::Duration)
        } else if self.eat(Kind::DurationSecondsConv)?.is_some() {
            Some(Conversion::DurationSeconds)
        } else {
            None
        };
        let label = if conversion.is_some() {
            self.expect(Kind::OpenParen)?;
            let label = self.ident()?;
            self.expect(Kind::CloseParen)?;
            label
        } else {
            self.ident()?
        };
        let mut post_filters = Vec::new();
        while let Some(pipe) = self.eat(Kind::Pipe)? {
            let filter = self.label_filter()?;
            post_filters.push(LabelFilterStage {
                filter,
                span: self.span_from(pipe.span.start),
            });
        }
        Ok(Some(Unwrap {
            conversion,
            label,
            post_filters,
            span: self.span_from(start),
        }))
    }
}

/// A string token's literal.
fn string_lit(token: Token) -> StringLit {
    let value = match token.value {
        Value::Str(s) => s,
        _ => String::new(),
    };
    StringLit {
        value,
        span: token.span,
    }
}

/// The number of a literal's text, without its sign.
pub(crate) fn literal_text(src: &str, span: Span) -> &str {
    src.get(span.range())
        .unwrap_or("")
        .trim_start_matches(['+', '-'])
        .trim_start_matches([' ', '\t', '\n', '\r'])
}
