//! The log-query half of the parser: selectors, pipelines, line filters, parser stages
//! and label filters.

use super::{Parser, Result, STAGE_STARTS, literal_text};
use crate::ast::{
    BytesFilter, CmpOp, DurationFilter, Ident, IpLabelFilter, JsonParser, LabelExtraction,
    LabelFilter, LabelFilterStage, LabelFormat, LabelFormatAssignment, LabelFormatValue,
    LabelMatcher, LabelSelection, LineFilter, LineFilterOp, LineFilterValue, LineFormat, LogExpr,
    LogfmtParser, MatchOp, NamedMatcher, NumberFilter, PatternParser, RegexpParser, Selector,
    Stage, StringLit,
};
use crate::error::{Error, InvalidQuery, RegexContext};
use crate::go;
use crate::lexer::{Kind, Value};
use crate::span::Span;
use crate::{pattern, re};

impl Parser<'_> {
    // -- log queries -------------------------------------------------------------------------

    /// A selector and its pipeline; in a range, the pipeline stops before `| unwrap`.
    pub(super) fn log_expr(&mut self, in_range: bool) -> Result<LogExpr> {
        let selector = self.selector()?;
        let start = selector.span.start;
        let pipeline = self.pipeline(in_range)?;
        Ok(LogExpr {
            selector,
            pipeline,
            span: self.span_from(start),
        })
    }

    fn selector(&mut self) -> Result<Selector> {
        let start = self.expect(Kind::OpenBrace)?.span.start;
        let mut matchers = Vec::new();
        if self.eat(Kind::CloseBrace)?.is_none() {
            loop {
                matchers.push(self.matcher()?);
                if self.eat(Kind::Comma)?.is_none() {
                    self.expect(Kind::CloseBrace)?;
                    break;
                }
            }
        }
        Ok(Selector {
            matchers,
            span: self.span_from(start),
        })
    }

    fn match_op(&mut self) -> Result<Option<MatchOp>> {
        for (kind, op) in [
            (Kind::Eq, MatchOp::Eq),
            (Kind::Neq, MatchOp::Neq),
            (Kind::Re, MatchOp::Re),
            (Kind::Nre, MatchOp::Nre),
        ] {
            if self.eat(kind)?.is_some() {
                return Ok(Some(op));
            }
        }
        Ok(None)
    }

    /// `name op "value"`; a regex must compile (Loki checks it while parsing).
    fn matcher(&mut self) -> Result<LabelMatcher> {
        let name = self.ident()?;
        let Some(op) = self.match_op()? else {
            return Err(self.unexpected());
        };
        self.matcher_value(name, op)
    }

    fn matcher_value(&mut self, name: Ident, op: MatchOp) -> Result<LabelMatcher> {
        let value = self.string()?;
        if op.is_regex() {
            re::compile(&value.value, re::Anchoring::Label).map_err(|error| {
                Error::invalid(
                    InvalidQuery::Regex {
                        context: RegexContext::Matcher,
                        error,
                    },
                    value.span,
                )
            })?;
        }
        let span = name.span.to(value.span);
        Ok(LabelMatcher {
            name,
            op,
            value,
            span,
        })
    }

    pub(super) fn pipeline(&mut self, in_range: bool) -> Result<Vec<Stage>> {
        let mut stages = Vec::new();
        loop {
            let kind = self.peek_kind()?;
            let op = match kind {
                Kind::PipeExact => LineFilterOp::Contains,
                Kind::Neq => LineFilterOp::NotContains,
                Kind::PipeMatch => LineFilterOp::Match,
                Kind::Nre => LineFilterOp::NotMatch,
                Kind::PipePattern => LineFilterOp::Pattern,
                Kind::Npa => LineFilterOp::NotPattern,
                Kind::Pipe => {
                    if in_range && self.peek2_kind()? == Kind::Unwrap {
                        return Ok(stages);
                    }
                    stages.push(self.pipe_stage()?);
                    continue;
                }
                _ => {
                    self.expected.extend(STAGE_STARTS);
                    return Ok(stages);
                }
            };
            stages.extend(self.line_filter(op)?.into_iter().map(Stage::LineFilter));
        }
    }

    /// A line filter and its `or` alternatives. A negative filter's alternatives become
    /// filters of their own (`!= "a" or "b"` is `!= "a" != "b"`), as Loki builds them.
    fn line_filter(&mut self, op: LineFilterOp) -> Result<Vec<LineFilter>> {
        let start = self.bump()?.span.start;
        let mut alternatives = vec![self.line_filter_value()?];
        while self.eat(Kind::Or)?.is_some() {
            alternatives.push(self.line_filter_value()?);
        }
        if matches!(op, LineFilterOp::Match | LineFilterOp::NotMatch) {
            for alternative in &alternatives {
                if let LineFilterValue::String(s) = alternative {
                    re::translate(&s.value).map_err(|error| {
                        Error::invalid(
                            InvalidQuery::Regex {
                                context: RegexContext::LineFilter,
                                error,
                            },
                            s.span,
                        )
                    })?;
                }
            }
        }
        if op.is_negative() && alternatives.len() > 1 {
            let first_end = alternatives[0].span().end;
            return Ok(alternatives
                .into_iter()
                .enumerate()
                .map(|(i, alternative)| {
                    let span = if i == 0 {
                        Span::new(start, first_end)
                    } else {
                        alternative.span()
                    };
                    LineFilter {
                        op,
                        alternatives: vec![alternative],
                        span,
                    }
                })
                .collect());
        }
        Ok(vec![LineFilter {
            op,
            alternatives,
            span: self.span_from(start),
        }])
    }

    fn line_filter_value(&mut self) -> Result<LineFilterValue> {
        if self.check(Kind::String)? {
            return Ok(LineFilterValue::String(self.string()?));
        }
        let ip = self.expect(Kind::Ip)?;
        self.expect(Kind::OpenParen)?;
        let pattern = self.string()?;
        self.expect(Kind::CloseParen)?;
        Ok(LineFilterValue::Ip {
            pattern,
            span: self.span_from(ip.span.start),
        })
    }

    /// The stage after a `|`.
    fn pipe_stage(&mut self) -> Result<Stage> {
        let start = self.bump()?.span.start;
        let kind = self.peek_kind()?;
        let stage = match kind {
            Kind::Json => {
                self.bump()?;
                let extractions = if self.check(Kind::Identifier)? {
                    self.extractions()?
                } else {
                    Vec::new()
                };
                Stage::Json(JsonParser {
                    extractions,
                    span: self.span_from(start),
                })
            }
            Kind::Logfmt => self.logfmt(start)?,
            Kind::Regexp => {
                self.bump()?;
                let regex = self.string()?;
                check_regexp_parser(&regex)?;
                Stage::Regexp(RegexpParser {
                    regex,
                    span: self.span_from(start),
                })
            }
            Kind::Pattern => {
                self.bump()?;
                let pattern = self.string()?;
                pattern::validate_parser(&pattern.value)
                    .map_err(|e| Error::invalid(InvalidQuery::PatternParser(e), pattern.span))?;
                Stage::Pattern(PatternParser {
                    pattern,
                    span: self.span_from(start),
                })
            }
            Kind::Unpack => {
                self.bump()?;
                Stage::Unpack(self.span_from(start))
            }
            Kind::LineFmt => {
                self.bump()?;
                let template = self.string()?;
                Stage::LineFormat(LineFormat {
                    template,
                    span: self.span_from(start),
                })
            }
            Kind::LabelFmt => self.label_format(start)?,
            Kind::Decolorize => {
                self.bump()?;
                Stage::Decolorize(self.span_from(start))
            }
            Kind::Drop | Kind::Keep => {
                let selection = self.label_selection(start)?;
                if kind == Kind::Drop {
                    Stage::Drop(selection)
                } else {
                    Stage::Keep(selection)
                }
            }
            Kind::Identifier | Kind::OpenParen => {
                let filter = self.label_filter()?;
                Stage::LabelFilter(LabelFilterStage {
                    filter,
                    span: self.span_from(start),
                })
            }
            _ => {
                self.expected.extend([
                    Kind::Identifier,
                    Kind::OpenParen,
                    Kind::Json,
                    Kind::Regexp,
                    Kind::Logfmt,
                    Kind::LineFmt,
                    Kind::LabelFmt,
                    Kind::Unpack,
                    Kind::Pattern,
                    Kind::Decolorize,
                    Kind::Drop,
                    Kind::Keep,
                ]);
                return Err(self.unexpected());
            }
        };
        Ok(stage)
    }

    fn logfmt(&mut self, start: usize) -> Result<Stage> {
        self.bump()?;
        let (mut strict, mut keep_empty) = (false, false);
        while let Some(flag) = self.eat(Kind::FunctionFlag)? {
            match &self.src[flag.span.range()] {
                "--strict" => strict = true,
                _ => keep_empty = true,
            }
        }
        let extractions = if self.check(Kind::Identifier)? {
            self.extractions()?
        } else {
            Vec::new()
        };
        Ok(Stage::Logfmt(LogfmtParser {
            strict,
            keep_empty,
            extractions,
            span: self.span_from(start),
        }))
    }

    fn label_format(&mut self, start: usize) -> Result<Stage> {
        self.bump()?;
        let mut assignments = Vec::new();
        loop {
            let name = self.ident()?;
            self.expect(Kind::Eq)?;
            let value = if self.check(Kind::Identifier)? {
                LabelFormatValue::Rename(self.ident()?)
            } else {
                LabelFormatValue::Template(self.string()?)
            };
            let span = self.span_from(name.span.start);
            assignments.push(LabelFormatAssignment { name, value, span });
            if self.eat(Kind::Comma)?.is_none() {
                break;
            }
        }
        Ok(Stage::LabelFormat(LabelFormat {
            assignments,
            span: self.span_from(start),
        }))
    }

    /// The labels of `drop` / `keep`: names or matchers, comma-separated.
    fn label_selection(&mut self, start: usize) -> Result<LabelSelection> {
        self.bump()?;
        let mut labels = Vec::new();
        loop {
            let name = self.ident()?;
            labels.push(match self.match_op()? {
                Some(op) => NamedMatcher::Matcher(self.matcher_value(name, op)?),
                None => NamedMatcher::Name(name),
            });
            if self.eat(Kind::Comma)?.is_none() {
                return Ok(LabelSelection {
                    labels,
                    span: self.span_from(start),
                });
            }
        }
    }

    /// `name="expression"` or `name`, comma-separated.
    fn extractions(&mut self) -> Result<Vec<LabelExtraction>> {
        let mut out = Vec::new();
        loop {
            let name = self.ident()?;
            let expression = if self.eat(Kind::Eq)?.is_some() {
                self.string()?
            } else {
                StringLit {
                    value: name.name.clone(),
                    span: name.span,
                }
            };
            let span = self.span_from(name.span.start);
            out.push(LabelExtraction {
                name,
                expression,
                span,
            });
            if self.eat(Kind::Comma)?.is_none() {
                return Ok(out);
            }
        }
    }

    // -- label filters ---------------------------------------------------------------------

    /// A label filter expression. `and` binds tighter than `or`, both associate to the
    /// left; `,` and juxtaposition (also "and") take everything to their right, as Loki's
    /// grammar resolves them.
    pub(super) fn label_filter(&mut self) -> Result<LabelFilter> {
        Ok(*self.label_filter_binary(1)?)
    }

    fn label_filter_binary(&mut self, min_prec: u8) -> Result<Box<LabelFilter>> {
        self.enter()?;
        let mut lhs = self.label_filter_unit()?;
        while let Some(is_or) = self.label_filter_operator(min_prec)? {
            let rhs = self.label_filter_binary(if is_or { 2 } else { 3 })?;
            lhs = join_label_filters(is_or, lhs, rhs);
        }
        self.leave();
        Ok(lhs)
    }

    /// `or` (`Some(true)`) or `and` (`Some(false)`), consumed, if it binds at least
    /// `min_prec` (`or` 1, `and` 2).
    fn label_filter_operator(&mut self, min_prec: u8) -> Result<Option<bool>> {
        let (prec, is_or) = if self.check(Kind::Or)? {
            (1, true)
        } else if self.check(Kind::And)? {
            (2, false)
        } else {
            return Ok(None);
        };
        if prec < min_prec {
            return Ok(None);
        }
        self.bump()?;
        Ok(Some(is_or))
    }

    fn label_filter_unit(&mut self) -> Result<Box<LabelFilter>> {
        let primary = self.label_filter_primary_boxed()?;
        let joined = if self.eat(Kind::Comma)?.is_some() {
            true
        } else {
            self.check(Kind::Identifier)? || self.check(Kind::OpenParen)?
        };
        if !joined {
            return Ok(primary);
        }
        let rest = self.label_filter_binary(1)?;
        Ok(join_label_filters(false, primary, rest))
    }

    fn label_filter_primary_boxed(&mut self) -> Result<Box<LabelFilter>> {
        Ok(Box::new(self.label_filter_primary()?))
    }

    fn label_filter_primary(&mut self) -> Result<LabelFilter> {
        if self.eat(Kind::OpenParen)?.is_some() {
            self.enter()?;
            let inner = self.label_filter()?;
            self.expect(Kind::CloseParen)?;
            self.leave();
            return Ok(inner);
        }
        let name = self.ident()?;
        let op = self.peek_kind()?;
        match op {
            Kind::Re => {
                self.bump()?;
                Ok(LabelFilter::Matcher(self.matcher_value(name, MatchOp::Re)?))
            }
            Kind::Nre => {
                self.bump()?;
                Ok(LabelFilter::Matcher(
                    self.matcher_value(name, MatchOp::Nre)?,
                ))
            }
            Kind::Eq | Kind::Neq => {
                self.bump()?;
                let negated = op == Kind::Neq;
                if self.check(Kind::String)? {
                    let m = if negated { MatchOp::Neq } else { MatchOp::Eq };
                    return Ok(LabelFilter::Matcher(self.matcher_value(name, m)?));
                }
                if self.eat(Kind::Ip)?.is_some() {
                    self.expect(Kind::OpenParen)?;
                    let pattern = self.string()?;
                    self.expect(Kind::CloseParen)?;
                    let span = self.span_from(name.span.start);
                    return Ok(LabelFilter::Ip(IpLabelFilter {
                        name,
                        negated,
                        pattern,
                        span,
                    }));
                }
                let cmp = if negated { CmpOp::Neq } else { CmpOp::Eq };
                self.comparison_value(name, cmp)
            }
            Kind::CmpEq | Kind::Gt | Kind::Gte | Kind::Lt | Kind::Lte => {
                self.bump()?;
                let cmp = match op {
                    Kind::CmpEq => CmpOp::Eq,
                    Kind::Gt => CmpOp::Gt,
                    Kind::Gte => CmpOp::Gte,
                    Kind::Lt => CmpOp::Lt,
                    _ => CmpOp::Lte,
                };
                self.comparison_value(name, cmp)
            }
            _ => {
                self.expected.extend([
                    Kind::Eq,
                    Kind::Re,
                    Kind::Nre,
                    Kind::CmpEq,
                    Kind::Neq,
                    Kind::Lt,
                    Kind::Lte,
                    Kind::Gt,
                    Kind::Gte,
                ]);
                Err(self.unexpected())
            }
        }
    }

    /// The right-hand side of a numeric, duration or byte-size comparison.
    fn comparison_value(&mut self, name: Ident, op: CmpOp) -> Result<LabelFilter> {
        let start = name.span.start;
        if let Some(token) = self.eat(Kind::Duration)? {
            let value = if let Value::Duration(v) = token.value {
                v
            } else {
                0
            };
            return Ok(LabelFilter::Duration(DurationFilter {
                name,
                op,
                value,
                span: self.span_from(start),
            }));
        }
        if let Some(token) = self.eat(Kind::Bytes)? {
            let value = if let Value::Bytes(v) = token.value {
                v
            } else {
                0
            };
            return Ok(LabelFilter::Bytes(BytesFilter {
                name,
                op,
                value,
                span: self.span_from(start),
            }));
        }
        if !(self.check(Kind::Number)? || self.check(Kind::Add)? || self.check(Kind::Sub)?) {
            return Err(self.unexpected());
        }
        let literal = self.literal()?;
        if literal.value.is_nan() {
            let text = literal_text(self.src, literal.span);
            let reason = go::parse_float(text).err().unwrap_or_default();
            return Err(Error::invalid(
                InvalidQuery::Literal { reason },
                literal.span,
            ));
        }
        Ok(LabelFilter::Number(NumberFilter {
            name,
            op,
            value: literal.value,
            span: self.span_from(start),
        }))
    }
}

/// `a or b` / `a and b`, boxed: label filters travel boxed on the recursion path.
#[allow(clippy::unnecessary_box_returns)]
fn join_label_filters(
    is_or: bool,
    lhs: Box<LabelFilter>,
    rhs: Box<LabelFilter>,
) -> Box<LabelFilter> {
    let span = lhs.span().to(rhs.span());
    Box::new(if is_or {
        LabelFilter::Or(lhs, rhs, span)
    } else {
        LabelFilter::And(lhs, rhs, span)
    })
}

/// Loki's checks on `| regexp`: it compiles, has a named capture, names are label names and
/// unique.
fn check_regexp_parser(regex: &StringLit) -> Result<()> {
    let invalid = |kind| Error::invalid(kind, regex.span);
    let compiled = re::compile(&regex.value, re::Anchoring::Unanchored).map_err(|error| {
        invalid(InvalidQuery::Regex {
            context: RegexContext::RegexpParser,
            error,
        })
    })?;
    let mut names = Vec::new();
    for name in compiled.capture_names().flatten() {
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
            && name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric());
        if !valid {
            return Err(invalid(InvalidQuery::RegexpParserLabelName(
                name.to_owned(),
            )));
        }
        if names.contains(&name) {
            return Err(invalid(InvalidQuery::RegexpParserDuplicateName(
                name.to_owned(),
            )));
        }
        names.push(name);
    }
    if names.is_empty() {
        return Err(invalid(InvalidQuery::RegexpParserNoCapture));
    }
    Ok(())
}
