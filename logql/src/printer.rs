//! The canonical text of a query, as Loki prints it (`syntax.Expr.String()`, what
//! `format_query` returns for a query that fits on one line).
//!
//! Strings are double-quoted with Go escapes; a binary operation is parenthesised;
//! label-filter conjunctions print as `( a , b )`; a numeric equality prints as `==`;
//! durations print as Go (`1m0s`) and ranges as Prometheus (`5m`) prints them; a vector
//! aggregation's grouping goes before its arguments.
//!
//! Where Loki's text would change a query's meaning this printer differs, so printing and
//! parsing again always gives the same tree: a byte size that go-humanize would round
//! (`1KiB` is `1024B`, not `1.0kB`), a `vector()` value that `%f` would round, and
//! `ignoring ()` before a group modifier (Loki drops both) are printed exactly, and an empty
//! `group_left ()` is kept before a parenthesised right operand.

use std::fmt::{self, Display, Formatter, Write as _};

use crate::ast::{
    BinaryOp, Expr, GroupSide, Grouping, Ident, LabelExtraction, LabelFilter, LabelFilterStage,
    LabelFormatValue, LabelMatcher, LabelReplace, LineFilter, LineFilterValue, LogExpr, LogRange,
    MatchOp, NamedMatcher, RangeAggregation, Selector, Stage, Unwrap, VectorAggregation,
};
use crate::go;

fn join<T>(
    f: &mut Formatter<'_>,
    items: &[T],
    sep: &str,
    each: impl Fn(&mut Formatter<'_>, &T) -> fmt::Result,
) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        each(f, item)?;
    }
    Ok(())
}

fn idents(f: &mut Formatter<'_>, items: &[Ident]) -> fmt::Result {
    join(f, items, ",", |f, i| f.write_str(&i.name))
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Log(e) => e.fmt(f),
            Expr::RangeAggregation(e) => e.fmt(f),
            Expr::VectorAggregation(e) => e.fmt(f),
            Expr::BinaryOp(e) => e.fmt(f),
            Expr::Literal(l) => f.write_str(&go::format_float_v(unsigned_zero(l.value))),
            Expr::LabelReplace(e) => e.fmt(f),
            Expr::Vector(v) => {
                let n = unsigned_zero(v.value);
                let fixed = format!("{n:.6}");
                #[allow(clippy::float_cmp)]
                let exact = fixed.parse::<f64>().is_ok_and(|p| p == n);
                let value = if exact { fixed } else { go::format_float_f(n) };
                write!(f, "vector({value})")
            }
        }
    }
}

impl Display for LogExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.selector.fmt(f)?;
        for stage in &self.pipeline {
            f.write_char(' ')?;
            stage.fmt(f)?;
        }
        Ok(())
    }
}

impl Display for Selector {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_char('{')?;
        join(f, &self.matchers, ", ", |f, m| m.fmt(f))?;
        f.write_char('}')
    }
}

impl Display for LabelMatcher {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}{}",
            self.name.name,
            self.op.as_str(),
            go::quote(&self.value.value)
        )
    }
}

impl Display for LineFilter {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.op.as_str())?;
        join(f, &self.alternatives, " or ", |f, v| match v {
            LineFilterValue::String(s) => f.write_str(&go::quote(&s.value)),
            LineFilterValue::Ip { pattern, .. } => write!(f, "ip({})", go::quote(&pattern.value)),
        })
    }
}

fn extractions(f: &mut Formatter<'_>, items: &[LabelExtraction]) -> fmt::Result {
    join(f, items, ",", |f, e| {
        write!(f, "{}={}", e.name.name, go::quote(&e.expression.value))
    })
}

impl Display for Stage {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Stage::LineFilter(l) => l.fmt(f),
            Stage::Json(j) => {
                f.write_str("| json")?;
                if !j.extractions.is_empty() {
                    f.write_char(' ')?;
                    extractions(f, &j.extractions)?;
                }
                Ok(())
            }
            Stage::Logfmt(l) => {
                f.write_str("| logfmt")?;
                if l.extractions.is_empty() {
                    if l.strict {
                        f.write_str(" --strict")?;
                    }
                    if l.keep_empty {
                        f.write_str(" --keep-empty")?;
                    }
                    return Ok(());
                }
                f.write_char(' ')?;
                if l.strict {
                    f.write_str("--strict ")?;
                }
                if l.keep_empty {
                    f.write_str("--keep-empty ")?;
                }
                extractions(f, &l.extractions)
            }
            Stage::Regexp(r) => write!(f, "| regexp {}", go::quote(&r.regex.value)),
            Stage::Pattern(p) => write!(f, "| pattern {}", go::quote(&p.pattern.value)),
            Stage::Unpack(_) => f.write_str("| unpack"),
            Stage::LabelFilter(l) => l.fmt(f),
            Stage::LineFormat(l) => write!(f, "| line_format {}", go::quote(&l.template.value)),
            Stage::LabelFormat(l) => {
                f.write_str("| label_format ")?;
                join(f, &l.assignments, ",", |f, a| match &a.value {
                    LabelFormatValue::Rename(from) => write!(f, "{}={}", a.name.name, from.name),
                    LabelFormatValue::Template(t) => {
                        write!(f, "{}={}", a.name.name, go::quote(&t.value))
                    }
                })
            }
            Stage::Drop(s) | Stage::Keep(s) => {
                f.write_str(if matches!(self, Stage::Drop(_)) {
                    "| drop "
                } else {
                    "| keep "
                })?;
                join(f, &s.labels, ",", |f, l| match l {
                    NamedMatcher::Name(n) => f.write_str(&n.name),
                    NamedMatcher::Matcher(m) => m.fmt(f),
                })
            }
            Stage::Decolorize(_) => f.write_str("| decolorize"),
        }
    }
}

impl Display for LabelFilterStage {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "| {}", self.filter)
    }
}

impl Display for LabelFilter {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            LabelFilter::And(l, r, _) => write!(f, "( {l} , {r} )"),
            LabelFilter::Or(l, r, _) => write!(f, "( {l} or {r} )"),
            LabelFilter::Matcher(m) => {
                let value = &m.value.value;
                if m.op == MatchOp::Re && !crate::filter::regex_reduces_to_literals(value) {
                    // Loki shows a regex it cannot reduce to substring tests raw.
                    return if value.contains('`') {
                        write!(f, "{}=~{}", m.name.name, go::quote(value))
                    } else {
                        write!(f, "{}=~`{value}`", m.name.name)
                    };
                }
                m.fmt(f)
            }
            LabelFilter::Number(n) => {
                write!(
                    f,
                    "{}{}{}",
                    n.name.name,
                    n.op.as_str(),
                    go::format_float_f(unsigned_zero(n.value))
                )
            }
            LabelFilter::Duration(d) => {
                write!(
                    f,
                    "{}{}{}",
                    d.name.name,
                    d.op.as_str(),
                    go::format_go_duration(d.value)
                )
            }
            LabelFilter::Bytes(b) => {
                write!(
                    f,
                    "{}{}{}",
                    b.name.name,
                    b.op.as_str(),
                    go::format_bytes(b.value)
                )
            }
            LabelFilter::Ip(ip) => {
                let op = if ip.negated { "!=" } else { "=" };
                write!(
                    f,
                    "{}{op}ip({})",
                    ip.name.name,
                    go::quote(&ip.pattern.value)
                )
            }
        }
    }
}

impl Display for Unwrap {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.conversion {
            Some(c) => write!(f, " | unwrap {}({})", c.as_str(), self.label.name)?,
            None => write!(f, " | unwrap {}", self.label.name)?,
        }
        for post in &self.post_filters {
            write!(f, " {post}")?;
        }
        Ok(())
    }
}

impl Display for LogRange {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.log.fmt(f)?;
        if let Some(unwrap) = &self.unwrap {
            unwrap.fmt(f)?;
        }
        write!(f, "[{}]", go::format_prom_duration(self.range.nanos))?;
        if let Some(offset) = &self.offset {
            write!(f, " offset {}", go::format_go_duration(offset.nanos))?;
        }
        Ok(())
    }
}

impl Display for Grouping {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(if self.without { " without (" } else { " by (" })?;
        idents(f, &self.labels)?;
        f.write_char(')')
    }
}

impl Display for RangeAggregation {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.op.as_str())?;
        if let Some(param) = &self.param {
            write!(f, "{},", go::format_float_f(unsigned_zero(param.value)))?;
        }
        write!(f, "{})", self.range)?;
        if let Some(grouping) = &self.grouping {
            grouping.fmt(f)?;
        }
        Ok(())
    }
}

impl Display for VectorAggregation {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.op.as_str())?;
        if let Some(grouping) = &self.grouping {
            grouping.fmt(f)?;
        }
        f.write_char('(')?;
        if let Some(param) = &self.param {
            #[allow(clippy::cast_possible_truncation)]
            let k = param.value as i64;
            write!(f, "{k},")?;
        }
        write!(f, "{})", self.inner)
    }
}

impl Display for BinaryOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "({} {}", self.lhs, self.op.as_str())?;
        if self.return_bool {
            f.write_str(" bool")?;
        }
        if let Some(m) = &self.matching {
            f.write_str(if m.on { " on (" } else { " ignoring (" })?;
            idents(f, &m.labels)?;
            f.write_str(") ")?;
            if let Some(group) = &m.group {
                f.write_str(match group.side {
                    GroupSide::Left => "group_left",
                    GroupSide::Right => "group_right",
                })?;
                // A parenthesised right operand would read as the include list, so an empty
                // list is written out then (Loki's printer leaves the query ambiguous).
                if !group.include.is_empty() || matches!(*self.rhs, Expr::BinaryOp(_)) {
                    f.write_str(" (")?;
                    idents(f, &group.include)?;
                    f.write_char(')')?;
                }
            }
        }
        write!(f, " {})", self.rhs)
    }
}

impl Display for LabelReplace {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "label_replace({},{},{},{},{})",
            self.inner,
            go::quote(&self.dst.value),
            go::quote(&self.replacement.value),
            go::quote(&self.src.value),
            go::quote(&self.regex.value)
        )
    }
}

/// Zero without its sign. Go (and so Loki) prints a negative zero as `-0`, which Loki's lexer
/// reads back as a duration, not a number; the sign of a zero carries no meaning in a query,
/// so the printer writes `0` and its output always parses to the same query.
fn unsigned_zero(v: f64) -> f64 {
    if v == 0.0 { 0.0 } else { v }
}
