//! Go's RE2 regular expressions on top of the `regex` crate.
//!
//! Both are RE2 dialects, with a few differences this module removes: in Go `\d`, `\s`,
//! `\w` and `\b` are ASCII-only (the `regex` crate makes them Unicode-aware), `\s` does not
//! include `\v`, and Go knows only the flags `i`, `m`, `s` and `U`. A pattern is parsed with
//! `regex-syntax`, those constructs are rewritten to their ASCII forms, and errors are
//! reported with Go's error codes, so Loki's messages come out the same.

use regex::bytes::{Regex, RegexBuilder};
use regex_syntax::ast::{self, Ast, ClassPerlKind, ClassSetItem};
use regex_syntax::hir::Hir;

use crate::error::{RegexError, RegexErrorCode};

/// The `regex` crate's limit on a compiled program; Go's limits are of the same order.
const SIZE_LIMIT: usize = 16 * 1024 * 1024;

fn perl_class(kind: &ClassPerlKind, negated: bool) -> &'static str {
    match (kind, negated) {
        (ClassPerlKind::Digit, false) => "[0-9]",
        (ClassPerlKind::Digit, true) => "[^0-9]",
        (ClassPerlKind::Space, false) => "[\\t\\n\\f\\r ]",
        (ClassPerlKind::Space, true) => "[^\\t\\n\\f\\r ]",
        (ClassPerlKind::Word, false) => "[0-9A-Za-z_]",
        (ClassPerlKind::Word, true) => "[^0-9A-Za-z_]",
    }
}

/// Collects the rewrites that give a pattern Go's meaning, and refuses what Go refuses.
struct GoRewriter<'p> {
    pattern: &'p str,
    edits: Vec<(usize, usize, &'static str)>,
}

impl GoRewriter<'_> {
    fn error(&self, code: RegexErrorCode, span: &ast::Span) -> RegexError {
        let fragment = self
            .pattern
            .get(span.start.offset..span.end.offset)
            .unwrap_or("");
        RegexError {
            code,
            fragment: fragment.to_owned(),
        }
    }

    fn check_flags(&self, flags: &ast::Flags, group_start: usize) -> Result<(), RegexError> {
        for item in &flags.items {
            if let ast::FlagsItemKind::Flag(
                ast::Flag::Unicode | ast::Flag::CRLF | ast::Flag::IgnoreWhitespace,
            ) = item.kind
            {
                let fragment = self
                    .pattern
                    .get(group_start..item.span.end.offset)
                    .unwrap_or("");
                return Err(RegexError {
                    code: RegexErrorCode::InvalidPerlOp,
                    fragment: fragment.to_owned(),
                });
            }
        }
        Ok(())
    }
}

impl ast::Visitor for &mut GoRewriter<'_> {
    type Output = ();
    type Err = RegexError;

    fn finish(self) -> Result<(), RegexError> {
        Ok(())
    }

    fn visit_pre(&mut self, ast: &Ast) -> Result<(), RegexError> {
        match ast {
            Ast::ClassPerl(class) => {
                let text = perl_class(&class.kind, class.negated);
                self.edits
                    .push((class.span.start.offset, class.span.end.offset, text));
            }
            Ast::Assertion(assertion) => match assertion.kind {
                ast::AssertionKind::WordBoundary => {
                    let span = &assertion.span;
                    self.edits
                        .push((span.start.offset, span.end.offset, "(?-u:\\b)"));
                }
                ast::AssertionKind::NotWordBoundary => {
                    let span = &assertion.span;
                    self.edits
                        .push((span.start.offset, span.end.offset, "(?-u:\\B)"));
                }
                ast::AssertionKind::StartLine
                | ast::AssertionKind::EndLine
                | ast::AssertionKind::StartText
                | ast::AssertionKind::EndText => {}
                _ => return Err(self.error(RegexErrorCode::InvalidEscape, &assertion.span)),
            },
            Ast::Flags(set) => self.check_flags(&set.flags, set.span.start.offset)?,
            Ast::Group(group) => {
                if let ast::GroupKind::NonCapturing(flags) = &group.kind {
                    self.check_flags(flags, group.span.start.offset)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn visit_class_set_item_pre(&mut self, item: &ClassSetItem) -> Result<(), RegexError> {
        if let ClassSetItem::Perl(class) = item {
            let text = perl_class(&class.kind, class.negated);
            self.edits
                .push((class.span.start.offset, class.span.end.offset, text));
        }
        Ok(())
    }
}

fn ast_error_code(kind: &ast::ErrorKind) -> RegexErrorCode {
    use ast::ErrorKind as K;
    match kind {
        K::ClassRangeInvalid | K::ClassRangeLiteral | K::UnicodeClassInvalid => {
            RegexErrorCode::InvalidCharRange
        }
        K::ClassUnclosed => RegexErrorCode::MissingBracket,
        K::DecimalEmpty
        | K::DecimalInvalid
        | K::RepetitionCountInvalid
        | K::RepetitionCountDecimalEmpty
        | K::RepetitionCountUnclosed => RegexErrorCode::InvalidRepeatSize,
        K::EscapeUnexpectedEof => RegexErrorCode::TrailingBackslash,
        K::FlagDanglingNegation
        | K::FlagDuplicate { .. }
        | K::FlagRepeatedNegation { .. }
        | K::FlagUnexpectedEof
        | K::FlagUnrecognized
        | K::UnsupportedLookAround => RegexErrorCode::InvalidPerlOp,
        K::GroupNameDuplicate { .. }
        | K::GroupNameEmpty
        | K::GroupNameInvalid
        | K::GroupNameUnexpectedEof => RegexErrorCode::InvalidNamedCapture,
        K::GroupUnclosed => RegexErrorCode::MissingParen,
        K::GroupUnopened => RegexErrorCode::UnexpectedParen,
        K::NestLimitExceeded(_) => RegexErrorCode::NestingDepth,
        K::RepetitionMissing => RegexErrorCode::MissingRepeatArgument,
        K::CaptureLimitExceeded => RegexErrorCode::Large,
        _ => RegexErrorCode::InvalidEscape,
    }
}

/// Rewrites a Go regular expression into one the `regex` crate reads with the same meaning,
/// or returns Go's error for it.
pub(crate) fn translate(pattern: &str) -> Result<String, RegexError> {
    let parsed = ast::parse::ParserBuilder::new()
        .nest_limit(1000)
        .build()
        .parse(pattern);
    let parsed = parsed.map_err(|e| {
        let code = ast_error_code(e.kind());
        let span = e.span();
        let fragment = match code {
            RegexErrorCode::MissingParen | RegexErrorCode::UnexpectedParen => pattern,
            RegexErrorCode::MissingBracket => pattern.get(span.start.offset..).unwrap_or(pattern),
            RegexErrorCode::TrailingBackslash => "",
            _ => pattern
                .get(span.start.offset..span.end.offset)
                .unwrap_or(pattern),
        };
        RegexError {
            code,
            fragment: fragment.to_owned(),
        }
    })?;
    let mut rewriter = GoRewriter {
        pattern,
        edits: Vec::new(),
    };
    ast::visit(&parsed, &mut rewriter)?;
    if rewriter.edits.is_empty() {
        return Ok(pattern.to_owned());
    }
    rewriter.edits.sort_by_key(|e| e.0);
    let mut out = String::with_capacity(pattern.len() + 16 * rewriter.edits.len());
    let mut at = 0;
    for (start, end, text) in rewriter.edits {
        out.push_str(&pattern[at..start]);
        out.push_str(text);
        at = end;
    }
    out.push_str(&pattern[at..]);
    Ok(out)
}

fn build_error(pattern: &str, e: &regex::Error) -> RegexError {
    let code = match e {
        regex::Error::CompiledTooBig(_) => RegexErrorCode::Large,
        _ => RegexErrorCode::InvalidEscape,
    };
    RegexError {
        code,
        fragment: pattern.to_owned(),
    }
}

/// How a regex is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Anchoring {
    /// Searched anywhere in the input (line filters).
    Unanchored,
    /// Must match the whole input, with `.` matching newlines (Prometheus label matchers:
    /// `^(?s:re)$`).
    Label,
    /// Must match the whole input (`label_replace`: `^(?:re)$`).
    Full,
}

fn wrap(translated: &str, anchoring: Anchoring) -> String {
    match anchoring {
        Anchoring::Unanchored => translated.to_owned(),
        Anchoring::Label => format!("^(?s:{translated})$"),
        Anchoring::Full => format!("^(?:{translated})$"),
    }
}

/// Compiles a Go regular expression over bytes.
pub(crate) fn compile(pattern: &str, anchoring: Anchoring) -> Result<Regex, RegexError> {
    let translated = wrap(&translate(pattern)?, anchoring);
    RegexBuilder::new(&translated)
        .size_limit(SIZE_LIMIT)
        .build()
        .map_err(|e| build_error(pattern, &e))
}

/// The syntax tree of a Go regular expression, for literal analysis.
pub(crate) fn hir(pattern: &str, anchoring: Anchoring) -> Result<Hir, RegexError> {
    let translated = wrap(&translate(pattern)?, anchoring);
    regex_syntax::ParserBuilder::new()
        .utf8(false)
        .build()
        .parse(&translated)
        .map_err(|e| {
            let code = match e {
                regex_syntax::Error::Parse(ref e) => ast_error_code(e.kind()),
                regex_syntax::Error::Translate(ref e) => match e.kind() {
                    regex_syntax::hir::ErrorKind::InvalidUtf8 => RegexErrorCode::InvalidUtf8,
                    regex_syntax::hir::ErrorKind::UnicodePropertyNotFound
                    | regex_syntax::hir::ErrorKind::UnicodePropertyValueNotFound => {
                        RegexErrorCode::InvalidCharRange
                    }
                    _ => RegexErrorCode::InvalidEscape,
                },
                _ => RegexErrorCode::InvalidEscape,
            };
            RegexError {
                code,
                fragment: pattern.to_owned(),
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perl_classes_are_ascii_as_in_go() {
        let re = compile(r"^\d+$", Anchoring::Unanchored).unwrap();
        assert!(re.is_match(b"123"));
        assert!(!re.is_match("١٢٣".as_bytes()));
        let re = compile(r"^[\w-]+$", Anchoring::Unanchored).unwrap();
        assert!(re.is_match(b"a-b_c"));
        assert!(!re.is_match("é".as_bytes()));
        let re = compile(r"\bfoo\b", Anchoring::Unanchored).unwrap();
        assert!(re.is_match(b"a foo b"));
        assert!(
            !compile(r"^\s$", Anchoring::Unanchored)
                .unwrap()
                .is_match(b"\x0b")
        );
    }

    #[test]
    fn errors_are_worded_as_go() {
        let e = compile("(", Anchoring::Label).unwrap_err();
        assert_eq!(
            e.to_string(),
            "error parsing regexp: missing closing ): `(`"
        );
        let e = compile(r"^^^^x43\q", Anchoring::Full).unwrap_err();
        assert_eq!(
            e.to_string(),
            r"error parsing regexp: invalid escape sequence: `\q`"
        );
        let e = compile("(?x)a", Anchoring::Unanchored).unwrap_err();
        assert_eq!(e.code, RegexErrorCode::InvalidPerlOp);
        let e = compile("[a", Anchoring::Unanchored).unwrap_err();
        assert_eq!(
            e.to_string(),
            "error parsing regexp: missing closing ]: `[a`"
        );
    }

    #[test]
    fn label_regexes_are_anchored_and_dot_matches_newline() {
        let re = compile("a.c", Anchoring::Label).unwrap();
        assert!(re.is_match(b"a\nc"));
        assert!(!re.is_match(b"xabc"));
    }
}
