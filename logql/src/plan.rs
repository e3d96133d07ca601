//! Planning: turning a parsed log query into what a store does with it — select streams
//! by label matchers, and push a line predicate into chunk decoding.
//!
//! Everything a log query may contain is either planned or refused with
//! [`Error::Unsupported`]: parsers, label filters, formatting stages and metric queries are
//! not silently dropped.

use regex::bytes::Regex;
use regex_syntax::hir::{Dot, Hir, HirKind};

use crate::ast::{self, Expr, LabelMatcher, LogExpr, MatchOp, Stage};
use crate::error::{Construct, Error, InvalidQuery, RegexContext};
use crate::filter::LineFilter;
use crate::re;

/// How a compiled matcher decides.
#[derive(Clone, Debug)]
enum Test {
    /// The value is one of these (an exact value, or an alternation of exact values).
    OneOf(Vec<String>),
    /// Every value (`.*`).
    Any,
    /// Every non-empty value (`.+`).
    NonEmpty,
    /// The anchored regex.
    Regex(Regex),
}

/// A compiled label matcher: `name="value"`, `!=`, `=~` or `!~`.
///
/// Regexes are fully anchored, `.` matches a newline, and RE2's syntax is read as Go reads
/// it, as in Prometheus and Loki. A stream without the label matches as if its value were
/// empty (`{env!="prod"}` selects streams with no `env`).
#[derive(Clone, Debug)]
pub struct Matcher {
    name: String,
    op: MatchOp,
    value: String,
    test: Test,
}

/// The exact values an anchored label regex is, if it is only that.
fn exact_values(hir: &Hir) -> Option<Test> {
    match hir.kind() {
        HirKind::Empty => Some(Test::OneOf(vec![String::new()])),
        HirKind::Literal(lit) => Some(Test::OneOf(vec![String::from_utf8(lit.0.to_vec()).ok()?])),
        HirKind::Capture(c) => exact_values(&c.sub),
        HirKind::Alternation(subs) => {
            let mut values = Vec::with_capacity(subs.len());
            for sub in subs {
                match exact_values(sub)? {
                    Test::OneOf(v) => values.extend(v),
                    _ => return None,
                }
            }
            Some(Test::OneOf(values))
        }
        HirKind::Repetition(r) if r.max.is_none() && *r.sub == Hir::dot(Dot::AnyChar) => {
            match r.min {
                0 => Some(Test::Any),
                1 => Some(Test::NonEmpty),
                _ => None,
            }
        }
        _ => None,
    }
}

impl Matcher {
    /// Compiles a matcher.
    ///
    /// # Errors
    ///
    /// The regex of `=~` / `!~` does not compile.
    pub fn new(name: &str, op: MatchOp, value: &str) -> Result<Matcher, crate::error::RegexError> {
        let test = match op {
            MatchOp::Eq | MatchOp::Neq => Test::OneOf(vec![value.to_owned()]),
            MatchOp::Re | MatchOp::Nre => {
                let hir = re::hir(&format!("(?s:{value})"), re::Anchoring::Unanchored)?;
                match exact_values(&hir) {
                    Some(test) => test,
                    None => Test::Regex(re::compile(value, re::Anchoring::Label)?),
                }
            }
        };
        Ok(Matcher {
            name: name.to_owned(),
            op,
            value: value.to_owned(),
            test,
        })
    }

    /// Compiles a matcher of the syntax tree.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when the regex does not compile.
    pub fn from_ast(m: &LabelMatcher) -> Result<Matcher, Error> {
        Matcher::new(&m.name.name, m.op, &m.value.value).map_err(|error| {
            Error::invalid(
                InvalidQuery::Regex {
                    context: RegexContext::Matcher,
                    error,
                },
                m.value.span,
            )
        })
    }

    /// The label name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The comparison.
    pub fn op(&self) -> MatchOp {
        self.op
    }

    /// The value or regex as written.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Whether a label value matches (pass `""` for a stream without the label).
    pub fn matches(&self, value: &str) -> bool {
        let hit = match &self.test {
            Test::OneOf(values) => values.iter().any(|v| v == value),
            Test::Any => true,
            Test::NonEmpty => !value.is_empty(),
            Test::Regex(re) => re.is_match(value.as_bytes()),
        };
        hit != self.op.is_negative()
    }

    /// Whether the matcher matches streams that lack the label. An index cannot answer such
    /// a matcher alone; Loki requires every selector to have at least one matcher that does
    /// not.
    pub fn matches_empty(&self) -> bool {
        self.matches("")
    }

    /// For `=` and for `=~` over exact values (`a|b|c`): the values a matching stream can
    /// have, so an index can look them up instead of scanning every value.
    pub fn exact_values(&self) -> Option<&[String]> {
        match (&self.test, self.op) {
            (Test::OneOf(values), MatchOp::Eq | MatchOp::Re) => Some(values),
            _ => None,
        }
    }
}

impl std::fmt::Display for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}{}{}",
            self.name,
            self.op.as_str(),
            crate::go::quote(&self.value)
        )
    }
}

/// What a store does for a log query: select the streams every matcher accepts, and keep the
/// lines the line filter accepts (all lines when `None`).
#[derive(Clone, Debug)]
pub struct LogPlan {
    /// The stream matchers, in the order written.
    pub matchers: Vec<Matcher>,
    /// The pushed-down line predicate, if the query filters lines.
    pub line_filter: Option<LineFilter>,
}

fn unsupported(stage: &Stage) -> Option<Construct> {
    Some(match stage {
        Stage::LineFilter(_) => return None,
        Stage::Json(_) => Construct::JsonParser,
        Stage::Logfmt(_) => Construct::LogfmtParser,
        Stage::Regexp(_) => Construct::RegexpParser,
        Stage::Pattern(_) => Construct::PatternParser,
        Stage::Unpack(_) => Construct::UnpackParser,
        Stage::LabelFilter(_) => Construct::LabelFilter,
        Stage::LineFormat(_) => Construct::LineFormat,
        Stage::LabelFormat(_) => Construct::LabelFormat,
        Stage::Drop(_) => Construct::Drop,
        Stage::Keep(_) => Construct::Keep,
        Stage::Decolorize(_) => Construct::Decolorize,
    })
}

/// The name of a metric query's outermost operation.
fn metric_name(expr: &Expr) -> &'static str {
    match expr {
        Expr::RangeAggregation(r) => r.op.as_str(),
        Expr::VectorAggregation(v) => v.op.as_str(),
        Expr::BinaryOp(b) => b.op.as_str(),
        Expr::Literal(_) => "number literal",
        Expr::LabelReplace(_) => "label_replace",
        Expr::Vector(_) => "vector",
        Expr::Log(_) => "log query",
    }
}

impl LogPlan {
    /// Plans a parsed query.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] for a metric query, and as [`LogPlan::for_log`].
    pub fn new(expr: &Expr) -> Result<LogPlan, Error> {
        match expr {
            Expr::Log(log) => LogPlan::for_log(log),
            other => Err(Error::Unsupported {
                construct: Construct::MetricQuery(metric_name(other)),
                span: other.span(),
            }),
        }
    }

    /// Plans a log query: its selector becomes matchers, its line filters one predicate. The
    /// first stage that is not a line filter is refused.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] for a stage that is not a line filter; [`Error::Filter`] for
    /// a line filter that does not compile (a bad `ip()` pattern, `ip()` after `|~`, a
    /// pattern with named captures).
    pub fn for_log(log: &LogExpr) -> Result<LogPlan, Error> {
        let matchers = log
            .selector
            .matchers
            .iter()
            .map(Matcher::from_ast)
            .collect::<Result<Vec<_>, _>>()?;
        let mut filters: Vec<&ast::LineFilter> = Vec::new();
        for stage in &log.pipeline {
            if let Some(construct) = unsupported(stage) {
                return Err(Error::Unsupported {
                    construct,
                    span: stage.span(),
                });
            }
            if let Stage::LineFilter(f) = stage {
                filters.push(f);
            }
        }
        let line_filter = LineFilter::compile(filters)?;
        Ok(LogPlan {
            matchers,
            line_filter,
        })
    }

    /// Whether a stream with these labels is selected (a missing label reads as `""`).
    pub fn selects<'a>(&self, mut label: impl FnMut(&str) -> Option<&'a str>) -> bool {
        self.matchers
            .iter()
            .all(|m| m.matches(label(m.name()).unwrap_or("")))
    }

    /// Whether a line passes the line filter (always, without one).
    pub fn keeps_line(&self, line: &[u8]) -> bool {
        self.line_filter.as_ref().is_none_or(|f| f.matches(line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matchers_fast_paths_agree_with_regexes() {
        let m = |op, v: &str| Matcher::new("a", op, v).unwrap();
        assert!(matches!(m(MatchOp::Re, "x|yz").test, Test::OneOf(ref v) if v.len() == 2));
        assert!(matches!(m(MatchOp::Re, ".*").test, Test::Any));
        assert!(matches!(m(MatchOp::Re, ".+").test, Test::NonEmpty));
        assert!(m(MatchOp::Re, "x|yz").matches("yz"));
        assert!(!m(MatchOp::Re, "x|yz").matches("xyz"));
        assert!(m(MatchOp::Re, ".*").matches("a\nb"));
        assert!(!m(MatchOp::Nre, ".+").matches("b"));
        assert!(m(MatchOp::Re, "a.c").matches("a\nc"));
        assert!(!m(MatchOp::Re, "a.c").matches("xabc"));
        assert!(m(MatchOp::Neq, "prod").matches(""));
        assert_eq!(
            m(MatchOp::Re, "x|yz").exact_values().map(<[String]>::len),
            Some(2)
        );
        assert_eq!(m(MatchOp::Nre, "x|yz").exact_values(), None);
    }
}
