//! Label matchers: `=`, `!=`, `=~`, `!~`, as LogQL stream selectors and the series API use
//! them.
//!
//! As in Prometheus and Loki, a label a stream does not have has the empty value, so
//! `{env!="prod"}` selects streams without `env`, and `{env=~".*"}` selects every stream.
//! Regexes are RE2 syntax (the `regex` crate) and fully anchored: `=~"api"` matches the value
//! `api`, not `api-gateway`.

use std::fmt;

use loki_chunk::LabelSet;
use regex::Regex;

/// How a matcher compares a label's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchOp {
    /// `=`: equal.
    Equal,
    /// `!=`: not equal.
    NotEqual,
    /// `=~`: the whole value matches the regex.
    Regex,
    /// `!~`: the whole value does not match the regex.
    NotRegex,
}

impl MatchOp {
    /// The operator as LogQL writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Equal => "=",
            Self::NotEqual => "!=",
            Self::Regex => "=~",
            Self::NotRegex => "!~",
        }
    }
}

/// A regex that does not compile.
#[derive(Debug, Clone, thiserror::Error)]
#[error("invalid regex {pattern:?} in matcher for label {name}: {reason}")]
pub struct MatcherError {
    /// The label.
    pub name: String,
    /// The pattern as given.
    pub pattern: String,
    /// The regex compiler's message.
    pub reason: String,
}

/// One label matcher, compiled.
#[derive(Debug, Clone)]
pub struct Matcher {
    name: String,
    op: MatchOp,
    value: String,
    /// `^(?:value)$` for the regex operators.
    regex: Option<Regex>,
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.op == other.op && self.value == other.value
    }
}

impl Eq for Matcher {}

/// Largest compiled regex a matcher may build (the `regex` crate's default is 10 MiB; a
/// selector has no business needing more).
const REGEX_SIZE_LIMIT: usize = 10 << 20;

impl Matcher {
    /// A matcher of label `name` with `op` and `value` (a pattern for the regex operators).
    ///
    /// # Errors
    ///
    /// [`MatcherError`] when a pattern does not compile.
    pub fn new(
        op: MatchOp,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<Self, MatcherError> {
        let name = name.into();
        let value = value.into();
        let regex = match op {
            MatchOp::Equal | MatchOp::NotEqual => None,
            MatchOp::Regex | MatchOp::NotRegex => Some(
                regex::RegexBuilder::new(&format!("^(?:{value})$"))
                    .size_limit(REGEX_SIZE_LIMIT)
                    .build()
                    .map_err(|e| MatcherError {
                        name: name.clone(),
                        pattern: value.clone(),
                        reason: e.to_string(),
                    })?,
            ),
        };
        Ok(Self {
            name,
            op,
            value,
            regex,
        })
    }

    /// `name="value"`.
    pub fn equal(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            op: MatchOp::Equal,
            value: value.into(),
            regex: None,
        }
    }

    /// `name!="value"`.
    pub fn not_equal(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            op: MatchOp::NotEqual,
            ..Self::equal(name, value)
        }
    }

    /// `name=~"pattern"`.
    ///
    /// # Errors
    ///
    /// [`MatcherError`] when the pattern does not compile.
    pub fn regex(
        name: impl Into<String>,
        pattern: impl Into<String>,
    ) -> Result<Self, MatcherError> {
        Self::new(MatchOp::Regex, name, pattern)
    }

    /// `name!~"pattern"`.
    ///
    /// # Errors
    ///
    /// [`MatcherError`] when the pattern does not compile.
    pub fn not_regex(
        name: impl Into<String>,
        pattern: impl Into<String>,
    ) -> Result<Self, MatcherError> {
        Self::new(MatchOp::NotRegex, name, pattern)
    }

    /// The label name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The operator.
    pub fn op(&self) -> MatchOp {
        self.op
    }

    /// The value or pattern as given.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Whether a label value (`""` for a missing label) satisfies the matcher.
    pub fn matches(&self, value: &str) -> bool {
        match (self.op, &self.regex) {
            (MatchOp::Equal, _) => value == self.value,
            (MatchOp::NotEqual, _) => value != self.value,
            (MatchOp::Regex, Some(re)) => re.is_match(value),
            (MatchOp::NotRegex, Some(re)) => !re.is_match(value),
            // Regex operators are built with their regex.
            (MatchOp::Regex | MatchOp::NotRegex, None) => false,
        }
    }

    /// Whether the matcher accepts the empty value, i.e. streams without the label.
    pub fn matches_empty(&self) -> bool {
        self.matches("")
    }

    /// Whether a stream with `labels` satisfies the matcher.
    pub fn matches_labels(&self, labels: &LabelSet) -> bool {
        self.matches(labels.get(&self.name).unwrap_or(""))
    }
}

impl fmt::Display for Matcher {
    /// `name="value"` with the value quoted as Go quotes it, as LogQL prints matchers.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        f.write_str(self.op.as_str())?;
        loki_chunk::labels::write_go_quoted(f, &self.value)
    }
}

/// Whether `labels` satisfies every matcher.
pub fn matches_all(matchers: &[Matcher], labels: &LabelSet) -> bool {
    matchers.iter().all(|m| m.matches_labels(labels))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_anchoring_and_missing_labels() {
        let labels = LabelSet::parse(r#"{app="api-gateway", env="prod"}"#).expect("labels");
        assert!(Matcher::equal("app", "api-gateway").matches_labels(&labels));
        assert!(
            !Matcher::regex("app", "api")
                .expect("re")
                .matches_labels(&labels)
        );
        assert!(
            Matcher::regex("app", "api.*")
                .expect("re")
                .matches_labels(&labels)
        );
        assert!(
            Matcher::not_regex("app", "web|db")
                .expect("re")
                .matches_labels(&labels)
        );
        assert!(Matcher::not_equal("team", "x").matches_labels(&labels));
        assert!(
            Matcher::regex("team", ".*")
                .expect("re")
                .matches_labels(&labels)
        );
        assert!(
            !Matcher::regex("team", ".+")
                .expect("re")
                .matches_labels(&labels)
        );
        assert!(Matcher::equal("team", "").matches_empty());
        assert!(Matcher::regex("app", "(").is_err());
        assert_eq!(
            Matcher::regex("app", "a\"b").expect("re").to_string(),
            r#"app=~"a\"b""#
        );
    }
}
