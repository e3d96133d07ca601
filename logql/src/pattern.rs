//! Loki's pattern syntax (`<ip> - <_> "<method> <path>"`), shared by the `| pattern` parser
//! stage and the `|>` / `!>` line filters.
//!
//! A pattern is a sequence of literals and captures; a capture is `<name>` with a name of
//! ASCII letters, digits and `_` (not starting with a digit), and `<_>` captures without a
//! name. Any other `<` is literal text.

use memchr::memmem::Finder;

use crate::error::PatternError;

/// One piece of a pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Node {
    /// `<name>`; `<_>` has the name `_`.
    Capture(String),
    /// Literal text.
    Literal(String),
}

impl Node {
    fn text(&self) -> String {
        match self {
            Node::Capture(name) => format!("<{name}>"),
            Node::Literal(text) => text.clone(),
        }
    }

    fn is_named_capture(&self) -> bool {
        matches!(self, Node::Capture(name) if name != "_")
    }
}

/// Splits a pattern into literals and captures.
pub(crate) fn parse(pattern: &str) -> Vec<Node> {
    let mut nodes = Vec::new();
    let mut literal = String::new();
    let mut rest = pattern;
    while let Some(c) = rest.chars().next() {
        if c == '<'
            && let Some(len) = capture_len(rest)
        {
            if !literal.is_empty() {
                nodes.push(Node::Literal(std::mem::take(&mut literal)));
            }
            nodes.push(Node::Capture(rest[1..len - 1].to_owned()));
            rest = &rest[len..];
            continue;
        }
        literal.push(c);
        rest = &rest[c.len_utf8()..];
    }
    if !literal.is_empty() {
        nodes.push(Node::Literal(literal));
    }
    nodes
}

/// The length of a `<name>` capture at the start of `s`, if there is one.
fn capture_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let first = *b.get(1)?;
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return None;
    }
    let name_len = b[1..]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
        .count();
    (b.get(1 + name_len) == Some(&b'>')).then_some(name_len + 2)
}

fn check_consecutive(nodes: &[Node]) -> Result<(), PatternError> {
    for pair in nodes.windows(2) {
        if let [a @ Node::Capture(_), b @ Node::Capture(_)] = pair {
            return Err(PatternError::ConsecutiveCaptures(format!(
                "{}{}",
                a.text(),
                b.text()
            )));
        }
    }
    Ok(())
}

/// Loki's checks for the `| pattern` parser: a named capture, no two captures in a row, no
/// name twice.
pub(crate) fn validate_parser(pattern: &str) -> Result<(), PatternError> {
    let nodes = parse(pattern);
    if !nodes.iter().any(Node::is_named_capture) {
        return Err(PatternError::NoCapture);
    }
    check_consecutive(&nodes)?;
    let mut seen = std::collections::HashSet::new();
    for node in &nodes {
        if let Node::Capture(name) = node
            && name != "_"
            && !seen.insert(name.as_str())
        {
            return Err(PatternError::DuplicateCapture(name.clone()));
        }
    }
    Ok(())
}

/// A compiled pattern line filter (`|> "..."`): captures must be `<_>`.
#[derive(Clone, Debug)]
pub(crate) struct PatternFilter {
    parts: Vec<Option<Finder<'static>>>,
}

impl PatternFilter {
    /// Compiles a line-filter pattern, with Loki's checks (no two captures in a row, only
    /// `<_>` captures).
    pub(crate) fn new(pattern: &str) -> Result<Self, PatternError> {
        let nodes = parse(pattern);
        check_consecutive(&nodes)?;
        if let Some(named) = nodes.iter().find(|n| n.is_named_capture()) {
            return Err(PatternError::NamedCaptureNotAllowed(named.text()));
        }
        let parts = nodes
            .into_iter()
            .map(|n| match n {
                Node::Capture(_) => None,
                Node::Literal(text) => Some(Finder::new(text.as_bytes()).into_owned()),
            })
            .collect();
        Ok(Self { parts })
    }

    /// Whether a line matches, as Loki's pattern matcher tests it: each literal is found in
    /// order after the previous one; a capture must not be empty; the line must end where
    /// the pattern does (on a literal: nothing left; on a capture: something left). An empty
    /// pattern matches only empty lines.
    pub(crate) fn matches(&self, line: &[u8]) -> bool {
        if line.is_empty() || self.parts.is_empty() {
            return line.is_empty() && self.parts.is_empty();
        }
        let mut off = 0;
        for (i, part) in self.parts.iter().enumerate() {
            let Some(finder) = part else { continue };
            let Some(j) = finder.find(&line[off..]) else {
                return false;
            };
            if i != 0 && j == 0 {
                return false;
            }
            off += j + finder.needle().len();
        }
        let ends_on_capture = matches!(self.parts.last(), Some(None));
        ends_on_capture == (off != line.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_captures_and_literals() {
        assert_eq!(
            parse("<a> b<_>"),
            [
                Node::Capture("a".into()),
                Node::Literal(" b".into()),
                Node::Capture("_".into())
            ]
        );
        assert_eq!(parse("<1> <"), [Node::Literal("<1> <".into())]);
    }

    #[test]
    fn validation_texts() {
        assert_eq!(
            validate_parser("<_>").unwrap_err().to_string(),
            "at least one capture is required"
        );
        assert_eq!(
            validate_parser("<f> f<d><b>").unwrap_err().to_string(),
            "found consecutive capture '<d><b>': invalid expression"
        );
        assert_eq!(
            validate_parser("<f> f<f>").unwrap_err().to_string(),
            "duplicate capture name (f): invalid expression"
        );
        assert_eq!(
            PatternFilter::new("<foo <foo> bar <_>")
                .unwrap_err()
                .to_string(),
            "named captures are not allowed: found '<foo>'"
        );
    }

    #[test]
    fn matching_follows_loki() {
        let m = |p: &str, l: &str| PatternFilter::new(p).unwrap().matches(l.as_bytes());
        assert!(m("<_> bar", "foo bar"));
        assert!(!m("<_> bar", "foo bar baz"));
        assert!(m("foo <_>", "foo bar baz"));
        assert!(!m("<_> bar <_>", " bar "));
        assert!(m("<_>bar<_>", " bar "));
        assert!(m("", ""));
        assert!(!m("", "x"));
        assert!(m("<_>", "anything"));
    }
}
