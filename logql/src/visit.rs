//! Walking a syntax tree: a [`Visitor`] with a default walk for every node, and
//! [`for_each_span_mut`] to rewrite every span (shift them, or clear them to compare two
//! trees by meaning with [`without_spans`]).

use crate::ast::{
    Expr, LabelFilter, LabelFilterStage, LabelMatcher, LineFilter, LineFilterValue, LogExpr,
    LogRange, NamedMatcher, Selector, Stage,
};
use crate::span::Span;

/// A read-only walk over a syntax tree. Each method's default visits the node's children
/// (through the matching `walk_*` function); override a method to act on a node, and call
/// the `walk_*` function to keep descending.
pub trait Visitor {
    /// An expression.
    fn visit_expr(&mut self, expr: &Expr) {
        walk_expr(self, expr);
    }

    /// A log query.
    fn visit_log_expr(&mut self, log: &LogExpr) {
        walk_log_expr(self, log);
    }

    /// A log query with its range, unwrap and offset.
    fn visit_log_range(&mut self, range: &LogRange) {
        walk_log_range(self, range);
    }

    /// A stream selector.
    fn visit_selector(&mut self, selector: &Selector) {
        walk_selector(self, selector);
    }

    /// A label matcher (in a selector, a label filter, `drop` or `keep`).
    fn visit_matcher(&mut self, _matcher: &LabelMatcher) {}

    /// A pipeline stage.
    fn visit_stage(&mut self, stage: &Stage) {
        walk_stage(self, stage);
    }

    /// A line filter.
    fn visit_line_filter(&mut self, _filter: &LineFilter) {}

    /// A label filter expression.
    fn visit_label_filter(&mut self, filter: &LabelFilter) {
        walk_label_filter(self, filter);
    }
}

/// Visits an expression's children.
pub fn walk_expr<V: Visitor + ?Sized>(v: &mut V, expr: &Expr) {
    match expr {
        Expr::Log(log) => v.visit_log_expr(log),
        Expr::RangeAggregation(r) => v.visit_log_range(&r.range),
        Expr::VectorAggregation(a) => v.visit_expr(&a.inner),
        Expr::BinaryOp(b) => {
            v.visit_expr(&b.lhs);
            v.visit_expr(&b.rhs);
        }
        Expr::LabelReplace(l) => v.visit_expr(&l.inner),
        Expr::Literal(_) | Expr::Vector(_) => {}
    }
}

/// Visits a log query's selector and stages.
pub fn walk_log_expr<V: Visitor + ?Sized>(v: &mut V, log: &LogExpr) {
    v.visit_selector(&log.selector);
    for stage in &log.pipeline {
        v.visit_stage(stage);
    }
}

/// Visits a log range's log query and unwrap filters.
pub fn walk_log_range<V: Visitor + ?Sized>(v: &mut V, range: &LogRange) {
    v.visit_log_expr(&range.log);
    if let Some(unwrap) = &range.unwrap {
        for post in &unwrap.post_filters {
            v.visit_label_filter(&post.filter);
        }
    }
}

/// Visits a selector's matchers.
pub fn walk_selector<V: Visitor + ?Sized>(v: &mut V, selector: &Selector) {
    for m in &selector.matchers {
        v.visit_matcher(m);
    }
}

/// Visits a stage's filters and matchers.
pub fn walk_stage<V: Visitor + ?Sized>(v: &mut V, stage: &Stage) {
    match stage {
        Stage::LineFilter(f) => v.visit_line_filter(f),
        Stage::LabelFilter(LabelFilterStage { filter, .. }) => v.visit_label_filter(filter),
        Stage::Drop(s) | Stage::Keep(s) => {
            for label in &s.labels {
                if let NamedMatcher::Matcher(m) = label {
                    v.visit_matcher(m);
                }
            }
        }
        _ => {}
    }
}

/// Visits a label filter's operands and matchers.
pub fn walk_label_filter<V: Visitor + ?Sized>(v: &mut V, filter: &LabelFilter) {
    match filter {
        LabelFilter::And(l, r, _) | LabelFilter::Or(l, r, _) => {
            v.visit_label_filter(l);
            v.visit_label_filter(r);
        }
        LabelFilter::Matcher(m) => v.visit_matcher(m),
        _ => {}
    }
}

/// Calls `f` on every span in the tree.
pub fn for_each_span_mut(expr: &mut Expr, f: &mut impl FnMut(&mut Span)) {
    match expr {
        Expr::Log(log) => log_spans(log, f),
        Expr::RangeAggregation(r) => {
            f(&mut r.span);
            if let Some(p) = &mut r.param {
                f(&mut p.span);
            }
            range_spans(&mut r.range, f);
            if let Some(g) = &mut r.grouping {
                f(&mut g.span);
                g.labels.iter_mut().for_each(|l| f(&mut l.span));
            }
        }
        Expr::VectorAggregation(a) => {
            f(&mut a.span);
            if let Some(p) = &mut a.param {
                f(&mut p.span);
            }
            for_each_span_mut(&mut a.inner, f);
            if let Some(g) = &mut a.grouping {
                f(&mut g.span);
                g.labels.iter_mut().for_each(|l| f(&mut l.span));
            }
        }
        Expr::BinaryOp(b) => {
            f(&mut b.span);
            if let Some(m) = &mut b.matching {
                f(&mut m.span);
                m.labels.iter_mut().for_each(|l| f(&mut l.span));
                if let Some(g) = &mut m.group {
                    f(&mut g.span);
                    g.include.iter_mut().for_each(|l| f(&mut l.span));
                }
            }
            for_each_span_mut(&mut b.lhs, f);
            for_each_span_mut(&mut b.rhs, f);
        }
        Expr::Literal(l) => f(&mut l.span),
        Expr::LabelReplace(l) => {
            f(&mut l.span);
            for_each_span_mut(&mut l.inner, f);
            for s in [&mut l.dst, &mut l.replacement, &mut l.src, &mut l.regex] {
                f(&mut s.span);
            }
        }
        Expr::Vector(v) => f(&mut v.span),
    }
}

fn range_spans(r: &mut LogRange, f: &mut impl FnMut(&mut Span)) {
    f(&mut r.span);
    log_spans(&mut r.log, f);
    f(&mut r.range.span);
    if let Some(o) = &mut r.offset {
        f(&mut o.span);
    }
    if let Some(u) = &mut r.unwrap {
        f(&mut u.span);
        f(&mut u.label.span);
        for post in &mut u.post_filters {
            f(&mut post.span);
            label_filter_spans(&mut post.filter, f);
        }
    }
}

fn matcher_spans(m: &mut LabelMatcher, f: &mut impl FnMut(&mut Span)) {
    f(&mut m.span);
    f(&mut m.name.span);
    f(&mut m.value.span);
}

fn log_spans(log: &mut LogExpr, f: &mut impl FnMut(&mut Span)) {
    f(&mut log.span);
    f(&mut log.selector.span);
    log.selector
        .matchers
        .iter_mut()
        .for_each(|m| matcher_spans(m, f));
    for stage in &mut log.pipeline {
        stage_spans(stage, f);
    }
}

fn stage_spans(stage: &mut Stage, f: &mut impl FnMut(&mut Span)) {
    match stage {
        Stage::LineFilter(l) => {
            f(&mut l.span);
            for alt in &mut l.alternatives {
                match alt {
                    LineFilterValue::String(s) => f(&mut s.span),
                    LineFilterValue::Ip { pattern, span } => {
                        f(span);
                        f(&mut pattern.span);
                    }
                }
            }
        }
        Stage::Json(j) => {
            f(&mut j.span);
            for e in &mut j.extractions {
                f(&mut e.span);
                f(&mut e.name.span);
                f(&mut e.expression.span);
            }
        }
        Stage::Logfmt(l) => {
            f(&mut l.span);
            for e in &mut l.extractions {
                f(&mut e.span);
                f(&mut e.name.span);
                f(&mut e.expression.span);
            }
        }
        Stage::Regexp(r) => {
            f(&mut r.span);
            f(&mut r.regex.span);
        }
        Stage::Pattern(p) => {
            f(&mut p.span);
            f(&mut p.pattern.span);
        }
        Stage::Unpack(span) | Stage::Decolorize(span) => f(span),
        Stage::LabelFilter(l) => {
            f(&mut l.span);
            label_filter_spans(&mut l.filter, f);
        }
        Stage::LineFormat(l) => {
            f(&mut l.span);
            f(&mut l.template.span);
        }
        Stage::LabelFormat(l) => {
            f(&mut l.span);
            for a in &mut l.assignments {
                f(&mut a.span);
                f(&mut a.name.span);
                match &mut a.value {
                    crate::ast::LabelFormatValue::Rename(i) => f(&mut i.span),
                    crate::ast::LabelFormatValue::Template(s) => f(&mut s.span),
                }
            }
        }
        Stage::Drop(s) | Stage::Keep(s) => {
            f(&mut s.span);
            for label in &mut s.labels {
                match label {
                    NamedMatcher::Name(i) => f(&mut i.span),
                    NamedMatcher::Matcher(m) => matcher_spans(m, f),
                }
            }
        }
    }
}

fn label_filter_spans(filter: &mut LabelFilter, f: &mut impl FnMut(&mut Span)) {
    match filter {
        LabelFilter::And(l, r, span) | LabelFilter::Or(l, r, span) => {
            f(span);
            label_filter_spans(l, f);
            label_filter_spans(r, f);
        }
        LabelFilter::Matcher(m) => matcher_spans(m, f),
        LabelFilter::Number(n) => {
            f(&mut n.span);
            f(&mut n.name.span);
        }
        LabelFilter::Duration(d) => {
            f(&mut d.span);
            f(&mut d.name.span);
        }
        LabelFilter::Bytes(b) => {
            f(&mut b.span);
            f(&mut b.name.span);
        }
        LabelFilter::Ip(ip) => {
            f(&mut ip.span);
            f(&mut ip.name.span);
            f(&mut ip.pattern.span);
        }
    }
}

/// A copy of the tree with every span cleared, so two trees compare by meaning alone.
pub fn without_spans(expr: &Expr) -> Expr {
    let mut copy = expr.clone();
    for_each_span_mut(&mut copy, &mut |s| *s = Span::default());
    copy
}
