//! The checks Loki makes once a query's tree is built, in Loki's order, so the first
//! failure reported is the one Loki reports.
//!
//! Loki folds binary operations between two numbers while it parses (`1 + 1` is `2`), and
//! some checks look at the folded tree (`(1 + 1) or x` has a number on its left). The tree
//! here is not folded; [`fold`] computes what Loki's node would be.

use crate::ast::{
    BinaryOp, BinaryOpKind, Expr, LogExpr, MatchOp, RangeAggregation, RangeOp, Selector,
    VectorAggregation, VectorOp,
};
use crate::error::{Error, InvalidQuery, RegexContext, Side};
use crate::go;
use crate::parser::literal_text;
use crate::re;

type Result<T> = std::result::Result<T, Error>;

/// Runs Loki's post-parse checks on `expr`, parsed from `src`.
pub(crate) fn validate(expr: &Expr, src: &str) -> Result<()> {
    match expr {
        Expr::Log(log) => validate_selector(&log.selector),
        other => validate_sample(other, src),
    }
}

/// The value Loki's parser folds an all-number expression to, if it is one.
pub(crate) fn fold(expr: &Expr) -> Option<f64> {
    match expr {
        Expr::Literal(l) if !l.value.is_nan() => Some(l.value),
        Expr::BinaryOp(b) if !b.op.is_set_operator() => {
            let (l, r) = (fold(&b.lhs)?, fold(&b.rhs)?);
            Some(apply(b.op, l, r))
        }
        _ => None,
    }
}

/// Loki's arithmetic and comparisons between two numbers (comparisons give 1 or 0).
fn apply(op: BinaryOpKind, l: f64, r: f64) -> f64 {
    let truth = |b: bool| if b { 1.0 } else { 0.0 };
    match op {
        BinaryOpKind::Add => l + r,
        BinaryOpKind::Sub => l - r,
        BinaryOpKind::Mul => l * r,
        BinaryOpKind::Div => l / r,
        BinaryOpKind::Mod => l % r,
        BinaryOpKind::Pow => l.powf(r),
        #[allow(clippy::float_cmp)]
        BinaryOpKind::Eq => truth(l == r),
        #[allow(clippy::float_cmp)]
        BinaryOpKind::Neq => truth(l != r),
        BinaryOpKind::Gt => truth(l > r),
        BinaryOpKind::Gte => truth(l >= r),
        BinaryOpKind::Lt => truth(l < r),
        BinaryOpKind::Lte => truth(l <= r),
        BinaryOpKind::Or | BinaryOpKind::And | BinaryOpKind::Unless => f64::NAN,
    }
}

fn log_type_name(log: &LogExpr) -> &'static str {
    if log.pipeline.is_empty() {
        "*syntax.MatchersExpr"
    } else {
        "*syntax.PipelineExpr"
    }
}

fn literal_error(expr: &Expr, src: &str) -> Option<Error> {
    match expr {
        Expr::Literal(l) if l.value.is_nan() => {
            let reason = go::parse_float(literal_text(src, l.span))
                .err()
                .unwrap_or_default();
            Some(Error::invalid(InvalidQuery::Literal { reason }, l.span))
        }
        _ => None,
    }
}

/// The checks Loki makes while it builds a binary operation node.
fn validate_binary_node(b: &BinaryOp, src: &str) -> Result<()> {
    let op = b.op.as_str();
    for (side, leg) in [(Side::Left, &b.lhs), (Side::Right, &b.rhs)] {
        if let Expr::Log(log) = leg.as_ref() {
            let found = log_type_name(log);
            return Err(Error::invalid(
                InvalidQuery::BinaryOperand { side, op, found },
                leg.span(),
            ));
        }
    }
    for leg in [&b.lhs, &b.rhs] {
        if let Some(e) = literal_error(leg, src) {
            return Err(e);
        }
    }
    if b.op.is_set_operator() {
        for (side, leg) in [(Side::Left, &b.lhs), (Side::Right, &b.rhs)] {
            if let Some(value) = fold(leg) {
                return Err(Error::invalid(
                    InvalidQuery::LogicalLiteral { side, op, value },
                    leg.span(),
                ));
            }
        }
    }
    Ok(())
}

fn param_text(src: &str, span: crate::span::Span) -> String {
    src.get(span.range()).unwrap_or("").to_owned()
}

fn validate_sample(expr: &Expr, src: &str) -> Result<()> {
    match expr {
        Expr::BinaryOp(b) => {
            validate_binary_node(b, src)?;
            if fold(expr).is_some() {
                return Ok(());
            }
            validate_sample(&b.lhs, src)?;
            validate_sample(&b.rhs, src)
        }
        Expr::Literal(_) => literal_error(expr, src).map_or(Ok(()), Err),
        Expr::Vector(v) => {
            if v.value.is_nan() {
                let text = src.get(v.span.range()).unwrap_or("");
                let number = text
                    .trim_start_matches(|c: char| c.is_alphabetic())
                    .trim_matches(|c: char| c == '(' || c == ')' || c.is_whitespace());
                let reason = go::parse_float(number).err().unwrap_or_default();
                return Err(Error::invalid(InvalidQuery::Vector { reason }, v.span));
            }
            Ok(())
        }
        Expr::VectorAggregation(v) => {
            validate_vector_aggregation(v, src)?;
            validate_sample(&v.inner, src)
        }
        Expr::LabelReplace(l) => {
            re::compile(&l.regex.value, re::Anchoring::Full).map_err(|error| {
                Error::invalid(
                    InvalidQuery::Regex {
                        context: RegexContext::LabelReplace,
                        error,
                    },
                    l.regex.span,
                )
            })?;
            validate_sample(&l.inner, src)
        }
        Expr::RangeAggregation(r) => {
            validate_range_aggregation(r, src)?;
            validate_selector(&r.range.log.selector)
        }
        Expr::Log(log) => validate_selector(&log.selector),
    }
}

/// The checks Loki makes while it builds a vector aggregation node.
fn validate_vector_aggregation(v: &VectorAggregation, src: &str) -> Result<()> {
    let op = v.op.as_str();
    if v.op.takes_param() {
        let Some(param) = v.param else {
            return Err(Error::invalid(
                InvalidQuery::ParameterRequired { op },
                v.span,
            ));
        };
        let text = param_text(src, param.span);
        match text.parse::<i64>() {
            Err(_) => {
                return Err(Error::invalid(
                    InvalidQuery::VectorParameterInvalid { op, param: text },
                    param.span,
                ));
            }
            Ok(k) if k <= 0 => {
                return Err(Error::invalid(
                    InvalidQuery::VectorParameterNotPositive { op, param: text },
                    param.span,
                ));
            }
            Ok(_) => {}
        }
        if v.op == VectorOp::ApproxTopk
            && let Some(g) = &v.grouping
        {
            return Err(Error::invalid(
                InvalidQuery::GroupingNotAllowed { op },
                g.span,
            ));
        }
    } else if let Some(param) = v.param {
        let param_str = param_text(src, param.span);
        return Err(Error::invalid(
            InvalidQuery::VectorParameterNotSupported {
                op,
                param: param_str,
            },
            param.span,
        ));
    }
    if matches!(v.op, VectorOp::Sort | VectorOp::SortDesc)
        && let Some(g) = &v.grouping
        && !g.labels.is_empty()
    {
        return Err(Error::invalid(InvalidQuery::SortGrouping, g.span));
    }
    Ok(())
}

/// The checks Loki makes while it builds a range aggregation node.
fn validate_range_aggregation(r: &RangeAggregation, src: &str) -> Result<()> {
    use RangeOp as R;
    let op = r.op.as_str();
    match r.param {
        Some(param) if r.op != RangeOp::QuantileOverTime => {
            return Err(Error::invalid(
                InvalidQuery::RangeParameterNotSupported {
                    op,
                    param: param_text(src, param.span),
                },
                param.span,
            ));
        }
        Some(param) if param.value.is_nan() => {
            let reason = go::parse_float(&param_text(src, param.span))
                .err()
                .unwrap_or_default();
            return Err(Error::invalid(
                InvalidQuery::RangeParameterInvalid { op, reason },
                param.span,
            ));
        }
        None if r.op == RangeOp::QuantileOverTime => {
            return Err(Error::invalid(
                InvalidQuery::ParameterRequired { op },
                r.span,
            ));
        }
        _ => {}
    }
    if let Some(g) = &r.grouping
        && !matches!(
            r.op,
            R::AvgOverTime
                | R::StddevOverTime
                | R::StdvarOverTime
                | R::QuantileOverTime
                | R::MaxOverTime
                | R::MinOverTime
                | R::FirstOverTime
                | R::LastOverTime
        )
    {
        return Err(Error::invalid(
            InvalidQuery::GroupingNotAllowed { op },
            g.span,
        ));
    }
    match &r.range.unwrap {
        Some(u) => {
            if matches!(r.op, R::CountOverTime | R::BytesOverTime | R::BytesRate) {
                return Err(Error::invalid(
                    InvalidQuery::UnwrapNotAllowed { op },
                    u.span,
                ));
            }
        }
        None => {
            if !matches!(
                r.op,
                R::BytesOverTime | R::BytesRate | R::CountOverTime | R::Rate | R::AbsentOverTime
            ) {
                return Err(Error::invalid(InvalidQuery::UnwrapRequired { op }, r.span));
            }
        }
    }
    Ok(())
}

/// Whether a matcher matches the empty string (a label the stream does not have).
pub(crate) fn matches_empty(op: MatchOp, value: &str) -> bool {
    match op {
        MatchOp::Eq => value.is_empty(),
        MatchOp::Neq => !value.is_empty(),
        MatchOp::Re | MatchOp::Nre => {
            let hit = re::compile(value, re::Anchoring::Label).is_ok_and(|re| re.is_match(b""));
            hit == (op == MatchOp::Re)
        }
    }
}

/// Loki's rule: at least one matcher must not match the empty string, so a query never
/// selects every stream.
fn validate_selector(selector: &Selector) -> Result<()> {
    if selector
        .matchers
        .iter()
        .any(|m| !matches_empty(m.op, &m.value.value))
    {
        return Ok(());
    }
    Err(Error::invalid(
        InvalidQuery::NoNonEmptyMatcher,
        selector.span,
    ))
}
