//! Compiled line filters: the predicate a store runs on every line it decodes.
//!
//! Regexes are reduced to substring searches where that gives the same answer (as Loki's
//! regex simplifier does): `|~ "error"` and `|~ ".*error.*"` are a substring search,
//! `|~ "(?i)error"` a case-insensitive one, `|~ "error|fatal"` two. A regex that stays a
//! regex gets a substring prefilter when it contains a literal every match must contain.

use memchr::memmem::Finder;
use regex::bytes::Regex;
use regex_syntax::hir::{Class, Hir, HirKind};

use crate::ast::{self, LineFilterOp, LineFilterValue};
use crate::error::{Error, FilterError, InvalidQuery, RegexContext};
use crate::ip::IpFilter;
use crate::pattern::PatternFilter;
use crate::re;

/// A literal a regex reduces to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Lit {
    /// The bytes; lowercase ASCII when `fold`.
    pub(crate) bytes: Vec<u8>,
    /// ASCII case-insensitive.
    pub(crate) fold: bool,
}

/// What a regex searched anywhere in a line reduces to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Simple {
    /// It matches every line.
    Any,
    /// It matches the lines that contain one of these literals.
    Literals(Vec<Lit>),
}

/// `[Aa]`: the class `(?i)a` becomes, and only that (`(?i)k` also holds the Kelvin sign).
fn ascii_case_pair(class: &Class) -> Option<u8> {
    let pair = match class {
        Class::Unicode(c) => {
            let r = c.ranges();
            if r.len() != 2 || r[0].start() != r[0].end() || r[1].start() != r[1].end() {
                return None;
            }
            (
                u8::try_from(u32::from(r[0].start())).ok()?,
                u8::try_from(u32::from(r[1].start())).ok()?,
            )
        }
        Class::Bytes(c) => {
            let r = c.ranges();
            if r.len() != 2 || r[0].start() != r[0].end() || r[1].start() != r[1].end() {
                return None;
            }
            (r[0].start(), r[1].start())
        }
    };
    (pair.0.is_ascii_uppercase() && pair.1 == pair.0.to_ascii_lowercase()).then_some(pair.1)
}

/// Whether a piece of an unanchored concatenation constrains nothing: it can match the
/// empty string and asserts nothing (`.*`, `x?`).
fn unconstrained(hir: &Hir) -> bool {
    hir.properties().minimum_len() == Some(0) && hir.properties().look_set().is_empty()
}

/// Reduces a regex searched anywhere in a line to literals, where that is exact.
pub(crate) fn simplify(hir: &Hir) -> Option<Simple> {
    match hir.kind() {
        HirKind::Empty => Some(Simple::Any),
        HirKind::Literal(lit) => Some(Simple::Literals(vec![Lit {
            bytes: lit.0.to_vec(),
            fold: false,
        }])),
        HirKind::Class(class) => ascii_case_pair(class).map(|b| {
            Simple::Literals(vec![Lit {
                bytes: vec![b],
                fold: true,
            }])
        }),
        HirKind::Capture(c) => simplify(&c.sub),
        HirKind::Repetition(r) => match r.min {
            0 if r.sub.properties().look_set().is_empty() => Some(Simple::Any),
            1 => simplify(&r.sub),
            _ => None,
        },
        HirKind::Alternation(subs) => {
            let mut lits = Vec::new();
            for sub in subs {
                match simplify(sub)? {
                    Simple::Any => return Some(Simple::Any),
                    Simple::Literals(l) => lits.extend(l),
                }
            }
            Some(Simple::Literals(lits))
        }
        HirKind::Concat(subs) => {
            let first = subs.iter().position(|s| !unconstrained(s));
            let Some(first) = first else {
                return Some(Simple::Any);
            };
            let last = subs
                .iter()
                .rposition(|s| !unconstrained(s))
                .unwrap_or(first);
            let middle = &subs[first..=last];
            if let [only] = middle {
                return simplify(only);
            }
            let mut bytes = Vec::new();
            let mut fold = false;
            let mut exact_letters = false;
            for piece in middle {
                match piece.kind() {
                    HirKind::Literal(lit) => {
                        exact_letters |= lit.0.iter().any(u8::is_ascii_alphabetic);
                        bytes.extend_from_slice(&lit.0);
                    }
                    HirKind::Class(class) => {
                        bytes.push(ascii_case_pair(class)?);
                        fold = true;
                    }
                    _ => return None,
                }
            }
            if fold && exact_letters {
                return None;
            }
            Some(Simple::Literals(vec![Lit { bytes, fold }]))
        }
        HirKind::Look(_) => None,
    }
}

/// The longest literal every match of the regex contains, for a prefilter.
fn required_literal(hir: &Hir) -> Option<Vec<u8>> {
    match hir.kind() {
        HirKind::Literal(lit) => Some(lit.0.to_vec()),
        HirKind::Capture(c) => required_literal(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => required_literal(&r.sub),
        HirKind::Concat(subs) => subs
            .iter()
            .filter_map(required_literal)
            .max_by_key(Vec::len),
        _ => None,
    }
}

/// Whether Loki's printer would show a label-filter regex as a plain string (it reduces to
/// literals) rather than in backticks.
pub(crate) fn regex_reduces_to_literals(pattern: &str) -> bool {
    let Ok(hir) = re::hir(pattern, re::Anchoring::Unanchored) else {
        return false;
    };
    // Loki also reduces `.+` (to "the value is not empty").
    let non_empty = matches!(hir.kind(), HirKind::Repetition(r)
        if r.min == 1 && r.max.is_none() && *r.sub == Hir::dot(regex_syntax::hir::Dot::AnyCharExceptLF));
    non_empty || simplify(&hir).is_some()
}

/// ASCII case-insensitive substring search; the needle is lowercase.
#[derive(Clone, Debug)]
struct FoldFinder {
    needle: Vec<u8>,
}

impl FoldFinder {
    fn matches(&self, line: &[u8]) -> bool {
        let n = self.needle.len();
        let Some(&first) = self.needle.first() else {
            return true;
        };
        if line.len() < n {
            return false;
        }
        let window = &line[..=line.len() - n];
        let check = |i: usize| line[i..i + n].eq_ignore_ascii_case(&self.needle);
        if first.is_ascii_alphabetic() {
            memchr::memchr2_iter(first, first.to_ascii_uppercase(), window).any(check)
        } else {
            memchr::memchr_iter(first, window).any(check)
        }
    }
}

/// One compiled alternative.
#[derive(Clone, Debug)]
enum Predicate {
    /// Matches every line.
    Any,
    /// Contains the needle.
    Contains(Finder<'static>),
    /// Contains the needle, ASCII case-insensitively.
    ContainsFold(FoldFinder),
    /// The regex matches somewhere; lines without the prefilter's literal are skipped first.
    Regex {
        regex: Regex,
        prefilter: Option<Finder<'static>>,
    },
    /// Loki's pattern matching.
    Pattern(PatternFilter),
    /// An IP address in the line matches.
    Ip(IpFilter),
}

impl Predicate {
    fn matches(&self, line: &[u8]) -> bool {
        match self {
            Predicate::Any => true,
            Predicate::Contains(f) => f.find(line).is_some(),
            Predicate::ContainsFold(f) => f.matches(line),
            Predicate::Regex { regex, prefilter } => {
                prefilter.as_ref().is_none_or(|p| p.find(line).is_some()) && regex.is_match(line)
            }
            Predicate::Pattern(p) => p.matches(line),
            Predicate::Ip(ip) => ip.matches(line),
        }
    }

    /// A rough cost, to run cheap filters first.
    fn cost(&self) -> u8 {
        match self {
            Predicate::Any => 0,
            Predicate::Contains(_) => 1,
            Predicate::ContainsFold(_) => 2,
            Predicate::Pattern(_) | Predicate::Ip(_) => 3,
            Predicate::Regex { .. } => 4,
        }
    }

    fn literal(lit: Lit) -> Predicate {
        match (lit.bytes.is_empty(), lit.fold) {
            (true, _) => Predicate::Any,
            (false, false) => Predicate::Contains(Finder::new(&lit.bytes).into_owned()),
            (false, true) => Predicate::ContainsFold(FoldFinder { needle: lit.bytes }),
        }
    }
}

/// One line filter stage: the line passes when any alternative matches, or, for a negative
/// operator, when none does.
#[derive(Clone, Debug)]
struct Step {
    negate: bool,
    any: Vec<Predicate>,
}

impl Step {
    fn matches(&self, line: &[u8]) -> bool {
        self.any.iter().any(|p| p.matches(line)) != self.negate
    }

    fn cost(&self) -> u8 {
        self.any.iter().map(Predicate::cost).max().unwrap_or(0)
    }

    fn compile(filter: &ast::LineFilter) -> Result<Step, Error> {
        let mut any = Vec::with_capacity(filter.alternatives.len());
        for alternative in &filter.alternatives {
            match (filter.op, alternative) {
                (
                    LineFilterOp::Contains | LineFilterOp::NotContains,
                    LineFilterValue::String(s),
                ) => {
                    any.push(Predicate::literal(Lit {
                        bytes: s.value.as_bytes().to_vec(),
                        fold: false,
                    }));
                }
                (
                    LineFilterOp::Contains | LineFilterOp::NotContains,
                    LineFilterValue::Ip { pattern, .. },
                ) => {
                    let ip = IpFilter::new(&pattern.value).map_err(|kind| Error::Filter {
                        kind,
                        span: pattern.span,
                    })?;
                    any.push(Predicate::Ip(ip));
                }
                (LineFilterOp::Match | LineFilterOp::NotMatch, LineFilterValue::String(s)) => {
                    any.extend(compile_regex(s)?);
                }
                (LineFilterOp::Pattern | LineFilterOp::NotPattern, LineFilterValue::String(s)) => {
                    let pattern = PatternFilter::new(&s.value).map_err(|e| Error::Filter {
                        kind: FilterError::Pattern(e),
                        span: s.span,
                    })?;
                    any.push(Predicate::Pattern(pattern));
                }
                (_, LineFilterValue::Ip { span, .. }) => {
                    return Err(Error::Filter {
                        kind: FilterError::IpOperation,
                        span: *span,
                    });
                }
            }
        }
        Ok(Step {
            negate: filter.op.is_negative(),
            any,
        })
    }
}

fn compile_regex(s: &ast::StringLit) -> Result<Vec<Predicate>, Error> {
    let invalid = |error| {
        Error::invalid(
            InvalidQuery::Regex {
                context: RegexContext::LineFilter,
                error,
            },
            s.span,
        )
    };
    let hir = re::hir(&s.value, re::Anchoring::Unanchored).map_err(invalid)?;
    if let Some(simple) = simplify(&hir) {
        return Ok(match simple {
            Simple::Any => vec![Predicate::Any],
            Simple::Literals(lits) => lits.into_iter().map(Predicate::literal).collect(),
        });
    }
    let regex =
        re::compile(&s.value, re::Anchoring::Unanchored).map_err(|error| Error::Filter {
            kind: FilterError::Regex(error),
            span: s.span,
        })?;
    let prefilter = required_literal(&hir).map(|lit| Finder::new(&lit).into_owned());
    Ok(vec![Predicate::Regex { regex, prefilter }])
}

/// A boxed line predicate, as [`LineFilter::into_predicate`] returns it.
pub type LinePredicate = Box<dyn Fn(&[u8]) -> bool + Send + Sync>;

/// A compiled chain of line filters: a line passes when every stage passes.
///
/// Stages run cheapest first (substring searches before patterns, IP scans and regexes); the
/// result does not depend on the order. The filter is `Send + Sync` and cheap to clone, and
/// is used as a plain predicate:
///
/// ```
/// let plan = logql::plan(r#"{app="api"} |= "error" != "timeout""#)?;
/// let filter = plan.line_filter.expect("the query filters lines");
/// let predicate = |line: &[u8]| filter.matches(line);
/// assert!(predicate(b"error: disk full"));
/// assert!(!predicate(b"error: timeout"));
/// # Ok::<(), logql::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct LineFilter {
    steps: Vec<Step>,
}

impl LineFilter {
    /// Compiles a pipeline's line filters (in order; stages other than line filters are
    /// the caller's to refuse). `None` when no filter restricts anything (`|= ""`).
    pub(crate) fn compile<'a>(
        filters: impl IntoIterator<Item = &'a ast::LineFilter>,
    ) -> Result<Option<LineFilter>, Error> {
        let mut steps = Vec::new();
        for filter in filters {
            let step = Step::compile(filter)?;
            let always = step.any.iter().any(|p| matches!(p, Predicate::Any));
            if always && !step.negate {
                continue;
            }
            steps.push(step);
        }
        if steps.is_empty() {
            return Ok(None);
        }
        steps.sort_by_key(Step::cost);
        Ok(Some(LineFilter { steps }))
    }

    /// Whether the line passes every filter.
    pub fn matches(&self, line: &[u8]) -> bool {
        self.steps.iter().all(|s| s.matches(line))
    }

    /// The filter as a boxed predicate, for APIs that take one.
    pub fn into_predicate(self) -> LinePredicate {
        Box::new(move |line| self.matches(line))
    }

    /// How many filter stages run per line.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// Whether no stage runs (never true for a compiled filter, which is `None` instead).
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn simple(re: &str) -> Option<Simple> {
        simplify(&re::hir(re, re::Anchoring::Unanchored).unwrap())
    }

    fn lits(items: &[(&str, bool)]) -> Simple {
        let lits = items.iter().map(|(b, fold)| Lit {
            bytes: b.as_bytes().to_vec(),
            fold: *fold,
        });
        Simple::Literals(lits.collect())
    }

    #[test]
    fn regexes_reduce_to_literals_where_exact() {
        assert_eq!(simple("error"), Some(lits(&[("error", false)])));
        assert_eq!(simple(".*error.*"), Some(lits(&[("error", false)])));
        assert_eq!(simple("(?i)error"), Some(lits(&[("error", true)])));
        assert_eq!(simple("(?i)error: 5"), Some(lits(&[("error: 5", true)])));
        assert_eq!(
            simple("error|fatal"),
            Some(lits(&[("error", false), ("fatal", false)]))
        );
        assert_eq!(simple(".*"), Some(Simple::Any));
        assert_eq!(simple(""), Some(Simple::Any));
        assert_eq!(simple("(?i)kill"), None); // (?i)k matches the Kelvin sign too
        assert_eq!(simple("^error"), None);
        assert_eq!(simple("err.*or"), None);
        assert_eq!(simple(".+"), None);
    }

    #[test]
    fn required_literals() {
        let hir = re::hir(r"\d+ ERROR \w+", re::Anchoring::Unanchored).unwrap();
        assert_eq!(required_literal(&hir), Some(b" ERROR ".to_vec()));
    }

    #[test]
    fn fold_finder() {
        let f = FoldFinder {
            needle: b"error".to_vec(),
        };
        assert!(f.matches(b"an ERROR here"));
        assert!(f.matches(b"Error"));
        assert!(!f.matches(b"err"));
        assert!(!f.matches(b"e r r o r"));
    }
}
