//! The LogQL lexer: tokens as Loki's lexer produces them.
//!
//! Loki's lexer is Go's `text/scanner` plus a few LogQL rules, and this one reproduces what
//! it does rather than what a tidier lexer would:
//!
//! * keywords (`by`, `json`, `or`, `offset`, ...) are case-insensitive and always keywords,
//!   so they cannot name a label; function names (`rate`, `sum`, `bytes`, `ip`, ...) are
//!   keywords only when an opening parenthesis (or `by`/`without` and one) follows, and
//!   identifiers otherwise;
//! * a number followed by a duration unit is a duration (`250ms`, `1h30m`, `-5m`), one
//!   followed by a size unit is a byte size (`1KB`, `1.5KiB`); `[...]` is a range, read to
//!   the closing bracket and parsed as a Prometheus duration;
//! * `#`, `//` and `/* */` start comments;
//! * strings are double-quoted with Go escapes, or raw between backticks.

use crate::error::{Error, LexError};
use crate::go;
use crate::span::Span;

/// A token kind. The order is the order of Loki's grammar tokens, which is the order in
/// which Loki lists expected tokens in a syntax error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Kind {
    Bytes,
    Identifier,
    String,
    Number,
    FunctionFlag,
    Duration,
    Range,
    Eq,
    Re,
    Nre,
    Npa,
    OpenBrace,
    CloseBrace,
    CloseBracket,
    Comma,
    Dot,
    PipeMatch,
    PipeExact,
    PipePattern,
    OpenParen,
    CloseParen,
    By,
    Without,
    CountOverTime,
    Rate,
    RateCounter,
    Sum,
    Sort,
    SortDesc,
    Avg,
    Max,
    Min,
    Count,
    Stddev,
    Stdvar,
    Bottomk,
    Topk,
    ApproxTopk,
    BytesOverTime,
    BytesRate,
    Bool,
    Json,
    Regexp,
    Logfmt,
    Pipe,
    LineFmt,
    LabelFmt,
    Unwrap,
    AvgOverTime,
    SumOverTime,
    MinOverTime,
    MaxOverTime,
    StdvarOverTime,
    StddevOverTime,
    QuantileOverTime,
    BytesConv,
    DurationConv,
    DurationSecondsConv,
    FirstOverTime,
    LastOverTime,
    AbsentOverTime,
    Vector,
    LabelReplace,
    Unpack,
    Offset,
    Pattern,
    Ip,
    On,
    Ignoring,
    GroupLeft,
    GroupRight,
    Decolorize,
    Drop,
    Keep,
    Or,
    And,
    Unless,
    CmpEq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    /// A character Loki's lexer passes on as an identifier (`@`, `!`, `;`, `'x'`): named
    /// `IDENTIFIER` in errors, accepted nowhere.
    Unknown,
    /// End of input (`$end`).
    Eof,
}

impl Kind {
    /// The name Loki's parser uses for this token in `unexpected ...` and `expecting ...`.
    pub(crate) fn name(self) -> &'static str {
        use Kind as K;
        match self {
            K::Bytes => "BYTES",
            K::Identifier | K::Unknown => "IDENTIFIER",
            K::String => "STRING",
            K::Number => "NUMBER",
            K::FunctionFlag => "FUNCTION_FLAG",
            K::Duration => "DURATION",
            K::Range => "RANGE",
            K::Eq => "=",
            K::Re => "=~",
            K::Nre => "!~",
            K::Npa => "!>",
            K::OpenBrace => "{",
            K::CloseBrace => "}",
            K::CloseBracket => "]",
            K::Comma => ",",
            K::Dot => ".",
            K::PipeMatch => "|~",
            K::PipeExact => "|=",
            K::PipePattern => "|>",
            K::OpenParen => "(",
            K::CloseParen => ")",
            K::By => "by",
            K::Without => "without",
            K::CountOverTime => "COUNT_OVER_TIME",
            K::Rate => "RATE",
            K::RateCounter => "RATE_COUNTER",
            K::Sum => "SUM",
            K::Sort => "SORT",
            K::SortDesc => "SORT_DESC",
            K::Avg => "AVG",
            K::Max => "MAX",
            K::Min => "MIN",
            K::Count => "COUNT",
            K::Stddev => "STDDEV",
            K::Stdvar => "STDVAR",
            K::Bottomk => "BOTTOMK",
            K::Topk => "TOPK",
            K::ApproxTopk => "APPROX_TOPK",
            K::BytesOverTime => "BYTES_OVER_TIME",
            K::BytesRate => "BYTES_RATE",
            K::Bool => "bool",
            K::Json => "json",
            K::Regexp => "regexp",
            K::Logfmt => "logfmt",
            K::Pipe => "|",
            K::LineFmt => "line_format",
            K::LabelFmt => "label_format",
            K::Unwrap => "unwrap",
            K::AvgOverTime => "AVG_OVER_TIME",
            K::SumOverTime => "SUM_OVER_TIME",
            K::MinOverTime => "MIN_OVER_TIME",
            K::MaxOverTime => "MAX_OVER_TIME",
            K::StdvarOverTime => "STDVAR_OVER_TIME",
            K::StddevOverTime => "STDDEV_OVER_TIME",
            K::QuantileOverTime => "QUANTILE_OVER_TIME",
            K::BytesConv => "BYTES_CONV",
            K::DurationConv => "DURATION_CONV",
            K::DurationSecondsConv => "DURATION_SECONDS_CONV",
            K::FirstOverTime => "FIRST_OVER_TIME",
            K::LastOverTime => "LAST_OVER_TIME",
            K::AbsentOverTime => "ABSENT_OVER_TIME",
            K::Vector => "VECTOR",
            K::LabelReplace => "label_replace",
            K::Unpack => "unpack",
            K::Offset => "offset",
            K::Pattern => "pattern",
            K::Ip => "ip",
            K::On => "on",
            K::Ignoring => "ignoring",
            K::GroupLeft => "group_left",
            K::GroupRight => "group_right",
            K::Decolorize => "decolorize",
            K::Drop => "drop",
            K::Keep => "keep",
            K::Or => "or",
            K::And => "and",
            K::Unless => "unless",
            K::CmpEq => "==",
            K::Neq => "!=",
            K::Lt => "<",
            K::Lte => "<=",
            K::Gt => ">",
            K::Gte => ">=",
            K::Add => "+",
            K::Sub => "-",
            K::Mul => "*",
            K::Div => "/",
            K::Mod => "%",
            K::Pow => "^",
            K::Eof => "$end",
        }
    }
}

/// What a token carries besides its kind and span.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    /// Nothing (operators, keywords; identifiers and numbers are read from the span).
    None,
    /// A string literal's value, escapes resolved.
    Str(String),
    /// A duration or range in nanoseconds.
    Duration(i64),
    /// A byte size.
    Bytes(u64),
}

/// One token.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token {
    pub(crate) kind: Kind,
    pub(crate) span: Span,
    pub(crate) value: Value,
}

/// Keywords: always keywords, whatever follows (Loki's `tokens` table).
fn keyword(lower: &str) -> Option<Kind> {
    Some(match lower {
        "by" => Kind::By,
        "without" => Kind::Without,
        "bool" => Kind::Bool,
        "offset" => Kind::Offset,
        "on" => Kind::On,
        "ignoring" => Kind::Ignoring,
        "group_left" => Kind::GroupLeft,
        "group_right" => Kind::GroupRight,
        "or" => Kind::Or,
        "and" => Kind::And,
        "unless" => Kind::Unless,
        "json" => Kind::Json,
        "regexp" => Kind::Regexp,
        "logfmt" => Kind::Logfmt,
        "unpack" => Kind::Unpack,
        "pattern" => Kind::Pattern,
        "label_format" => Kind::LabelFmt,
        "line_format" => Kind::LineFmt,
        "decolorize" => Kind::Decolorize,
        "drop" => Kind::Drop,
        "keep" => Kind::Keep,
        "unwrap" => Kind::Unwrap,
        _ => return None,
    })
}

/// Function names: keywords only when used as functions (Loki's `functionTokens` table).
fn function(lower: &str) -> Option<Kind> {
    Some(match lower {
        "rate" => Kind::Rate,
        "rate_counter" => Kind::RateCounter,
        "count_over_time" => Kind::CountOverTime,
        "bytes_rate" => Kind::BytesRate,
        "bytes_over_time" => Kind::BytesOverTime,
        "avg_over_time" => Kind::AvgOverTime,
        "sum_over_time" => Kind::SumOverTime,
        "min_over_time" => Kind::MinOverTime,
        "max_over_time" => Kind::MaxOverTime,
        "stdvar_over_time" => Kind::StdvarOverTime,
        "stddev_over_time" => Kind::StddevOverTime,
        "quantile_over_time" => Kind::QuantileOverTime,
        "first_over_time" => Kind::FirstOverTime,
        "last_over_time" => Kind::LastOverTime,
        "absent_over_time" => Kind::AbsentOverTime,
        "vector" => Kind::Vector,
        "sum" => Kind::Sum,
        "avg" => Kind::Avg,
        "max" => Kind::Max,
        "min" => Kind::Min,
        "count" => Kind::Count,
        "stddev" => Kind::Stddev,
        "stdvar" => Kind::Stdvar,
        "bottomk" => Kind::Bottomk,
        "topk" => Kind::Topk,
        "sort" => Kind::Sort,
        "sort_desc" => Kind::SortDesc,
        "label_replace" => Kind::LabelReplace,
        "approx_topk" => Kind::ApproxTopk,
        "bytes" => Kind::BytesConv,
        "duration" => Kind::DurationConv,
        "duration_seconds" => Kind::DurationSecondsConv,
        "ip" => Kind::Ip,
        _ => return None,
    })
}

/// Whether the text after an identifier makes it a function call: an opening parenthesis,
/// or `by`/`without` and then one (Loki's `isFunction`).
fn is_function(rest: &str) -> bool {
    let rest = rest.trim_start();
    if rest.starts_with('(') {
        return true;
    }
    for word in ["by", "without"] {
        if rest
            .get(..word.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(word))
        {
            return rest[word.len()..].trim_start().starts_with('(');
        }
    }
    false
}

fn is_duration_rune(c: char) -> bool {
    matches!(c, 'n' | 'u' | 'µ' | 'm' | 's' | 'h' | 'd' | 'w' | 'y')
}

fn is_bytes_rune(c: char) -> bool {
    matches!(c, 'B' | 'i' | 'k' | 'K' | 'M' | 'G' | 'T' | 'P')
}

/// A duration as Loki's lexer reads one: Prometheus' syntax first, then Go's.
fn parse_duration(text: &str) -> Option<i64> {
    go::parse_prom_duration(text)
        .ok()
        .or_else(|| go::parse_go_duration(text))
}

/// The lexer over one query.
pub(crate) struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(src: &'a str) -> Self {
        Self { src, pos: 0 }
    }

    fn rest(&self) -> &'a str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn peek_char(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek_second(&self) -> Option<char> {
        self.rest().chars().nth(1)
    }

    fn error(&self, kind: LexError, start: usize) -> Error {
        Error::lexical(kind, Span::new(start, self.pos.max(start)), self.src)
    }

    fn token(&self, kind: Kind, start: usize, value: Value) -> Token {
        Token {
            kind,
            span: Span::new(start, self.pos),
            value,
        }
    }

    /// Skips whitespace and comments.
    fn skip_trivia(&mut self) -> Result<(), Error> {
        loop {
            let rest = self.rest();
            let trimmed = rest.trim_start_matches([' ', '\t', '\n', '\r']);
            self.pos += rest.len() - trimmed.len();
            if trimmed.starts_with('#') || trimmed.starts_with("//") {
                self.pos += trimmed.find('\n').unwrap_or(trimmed.len());
            } else if let Some(comment) = trimmed.strip_prefix("/*") {
                let start = self.pos;
                let Some(end) = comment.find("*/") else {
                    self.pos = self.src.len();
                    return Err(self.error(LexError::CommentNotTerminated, start));
                };
                self.pos += end + 4;
            } else {
                return Ok(());
            }
        }
    }

    /// The next token; `Eof` at the end of the input, forever.
    pub(crate) fn next_token(&mut self) -> Result<Token, Error> {
        self.skip_trivia()?;
        let start = self.pos;
        let Some(c) = self.peek_char() else {
            return Ok(self.token(Kind::Eof, start, Value::None));
        };
        if c == '\0' {
            self.pos += 1;
            return Err(self.error(LexError::NulCharacter, start));
        }
        if c == '_' || c.is_alphabetic() {
            return Ok(self.identifier(start));
        }
        if c.is_ascii_digit()
            || (c == '.' && self.peek_second().is_some_and(|d| d.is_ascii_digit()))
        {
            return self.number(start);
        }
        match c {
            '"' => return self.string(start),
            '`' => return self.raw_string(start),
            '\'' => return self.char_literal(start),
            '[' => return self.range(start),
            '-' => return Ok(self.minus(start)),
            _ => {}
        }
        self.pos += c.len_utf8();
        let two = |lexer: &mut Self, second: char, kind: Kind| {
            if lexer.peek_char() == Some(second) {
                lexer.pos += 1;
                Some(kind)
            } else {
                None
            }
        };
        let kind = match c {
            '!' => two(self, '=', Kind::Neq)
                .or_else(|| two(self, '~', Kind::Nre))
                .or_else(|| two(self, '>', Kind::Npa))
                .unwrap_or(Kind::Unknown),
            '|' => two(self, '=', Kind::PipeExact)
                .or_else(|| two(self, '~', Kind::PipeMatch))
                .or_else(|| two(self, '>', Kind::PipePattern))
                .unwrap_or(Kind::Pipe),
            '=' => two(self, '~', Kind::Re)
                .or_else(|| two(self, '=', Kind::CmpEq))
                .unwrap_or(Kind::Eq),
            '>' => two(self, '=', Kind::Gte).unwrap_or(Kind::Gt),
            '<' => two(self, '=', Kind::Lte).unwrap_or(Kind::Lt),
            ',' => Kind::Comma,
            '.' => Kind::Dot,
            '{' => Kind::OpenBrace,
            '}' => Kind::CloseBrace,
            '(' => Kind::OpenParen,
            ')' => Kind::CloseParen,
            ']' => Kind::CloseBracket,
            '+' => Kind::Add,
            '*' => Kind::Mul,
            '/' => Kind::Div,
            '%' => Kind::Mod,
            '^' => Kind::Pow,
            _ => Kind::Unknown,
        };
        Ok(self.token(kind, start, Value::None))
    }

    fn identifier(&mut self, start: usize) -> Token {
        let rest = self.rest();
        let len = rest
            .char_indices()
            .find(|&(_, c)| !(c == '_' || c.is_alphanumeric()))
            .map_or(rest.len(), |(i, _)| i);
        self.pos += len;
        let lower = rest[..len].to_lowercase();
        let kind = if let Some(kind) = function(&lower) {
            if is_function(self.rest()) {
                kind
            } else {
                Kind::Identifier
            }
        } else {
            keyword(&lower).unwrap_or(Kind::Identifier)
        };
        self.token(kind, start, Value::None)
    }

    /// The run of characters after a number that Loki's lexer tries as a unit suffix.
    fn suffix_run(&self, accept: fn(char) -> bool) -> &'a str {
        let rest = self.rest();
        let len = rest
            .char_indices()
            .find(|&(_, c)| !(c.is_numeric() || c == '.' || accept(c)))
            .map_or(rest.len(), |(i, _)| i);
        &rest[..len]
    }

    fn number(&mut self, start: usize) -> Result<Token, Error> {
        self.scan_go_number(start)?;
        let text = &self.src[start..self.pos];
        let run = self.suffix_run(is_duration_rune);
        if !run.is_empty()
            && let Some(nanos) = parse_duration(&format!("{text}{run}"))
        {
            self.pos += run.len();
            return Ok(self.token(Kind::Duration, start, Value::Duration(nanos)));
        }
        let run = self.suffix_run(is_bytes_rune);
        if !run.is_empty()
            && let Some(bytes) = go::parse_bytes(&format!("{text}{run}"))
        {
            self.pos += run.len();
            return Ok(self.token(Kind::Bytes, start, Value::Bytes(bytes)));
        }
        Ok(self.token(Kind::Number, start, Value::None))
    }

    /// Consumes a number as Go's scanner does (decimal, `0x`/`0o`/`0b` prefixes, fractions,
    /// exponents, `_` separators) and reports its errors.
    fn scan_go_number(&mut self, start: usize) -> Result<(), Error> {
        let bytes = self.src.as_bytes();
        let at = |i: usize| bytes.get(i).copied().unwrap_or(0);
        let mut i = start;
        let mut base = 10;
        let mut prefix = 0u8;
        let mut has_digits = false;
        let mut invalid_digit = None;
        let mut is_float = false;
        let digits = |i: &mut usize, base: u32, has: &mut bool, invalid: &mut Option<char>| {
            loop {
                let c = at(*i);
                if c == b'_' || (c as char).is_digit(base.max(10)) {
                    if c != b'_' {
                        *has = true;
                        if !(c as char).is_digit(base) && invalid.is_none() {
                            *invalid = Some(c as char);
                        }
                    }
                    *i += 1;
                } else {
                    break;
                }
            }
        };
        if at(i) != b'.' {
            if at(i) == b'0' {
                match at(i + 1).to_ascii_lowercase() {
                    b'x' => (base, prefix, i) = (16, b'x', i + 2),
                    b'o' => (base, prefix, i) = (8, b'o', i + 2),
                    b'b' if matches!(at(i + 2), b'0' | b'1') => {
                        (base, prefix, i) = (2, b'b', i + 2);
                    }
                    _ => {
                        (base, prefix) = (8, b'0');
                        has_digits = true;
                        i += 1;
                    }
                }
            }
            digits(&mut i, base, &mut has_digits, &mut invalid_digit);
        }
        if at(i) == b'.' {
            is_float = true;
            i += 1;
            // A '.' ends a legacy-octal prefix: "08.5" is a decimal float.
            let frac_base = if prefix == b'x' { 16 } else { 10 };
            digits(&mut i, frac_base, &mut has_digits, &mut None);
            if prefix == b'0' {
                invalid_digit = None;
            }
        }
        let litname = match prefix {
            b'x' => "hexadecimal literal",
            b'o' | b'0' => "octal literal",
            b'b' => "binary literal",
            _ => "decimal literal",
        };
        self.pos = i;
        if !has_digits {
            return Err(self.error(LexError::NoDigits(litname), start));
        }
        let e = at(i).to_ascii_lowercase();
        if e == b'e' || (e == b'p' && prefix == b'x') {
            is_float = true;
            i += 1;
            if matches!(at(i), b'+' | b'-') {
                i += 1;
            }
            let mut exp_digits = false;
            digits(&mut i, 10, &mut exp_digits, &mut None);
            self.pos = i;
            if !exp_digits {
                return Err(self.error(LexError::ExponentNoDigits, start));
            }
            if prefix == b'0' {
                invalid_digit = None;
            }
        } else if prefix == b'x' && is_float {
            return Err(self.error(LexError::HexMantissaNeedsExponent, start));
        }
        if !is_float && let Some(digit) = invalid_digit {
            return Err(self.error(
                LexError::InvalidDigit {
                    digit,
                    literal: litname,
                },
                start,
            ));
        }
        let text = &self.src[start..i];
        if text.contains('_') && !underscores_ok(text) {
            return Err(self.error(LexError::DigitSeparator, start));
        }
        Ok(())
    }

    fn string(&mut self, start: usize) -> Result<Token, Error> {
        let body_start = start + 1;
        let rest = &self.src[body_start..];
        let mut chars = rest.char_indices();
        let mut escape_error = false;
        let end = loop {
            match chars.next() {
                None | Some((_, '\n')) => {
                    self.pos = body_start + rest.find('\n').unwrap_or(rest.len());
                    return Err(self.error(LexError::UnterminatedString, start));
                }
                Some((i, '"')) => break i,
                Some((_, '\\')) => {
                    let Some((_, c)) = chars.next() else { continue };
                    let digits = match c {
                        'a' | 'b' | 'f' | 'n' | 'r' | 't' | 'v' | '\\' | '"' => 0,
                        '0'..='7' | 'x' => 2,
                        'u' => 4,
                        'U' => 8,
                        _ => {
                            escape_error = true;
                            0
                        }
                    };
                    let radix = if c.is_ascii_digit() { 8 } else { 16 };
                    for _ in 0..digits {
                        match chars.clone().next() {
                            Some((_, d)) if d.is_digit(radix) => {
                                chars.next();
                            }
                            _ => {
                                escape_error = true;
                                break;
                            }
                        }
                    }
                }
                Some(_) => {}
            }
        };
        self.pos = body_start + end + 1;
        if escape_error {
            return Err(self.error(LexError::InvalidEscape, start));
        }
        match go::unescape(&rest[..end]) {
            Ok(value) => Ok(self.token(Kind::String, start, Value::Str(value))),
            Err((go::EscapeError::InvalidUtf8, _)) => {
                Err(self.error(LexError::InvalidUtf8String, start))
            }
            Err(_) => Err(self.error(LexError::InvalidSyntax, start)),
        }
    }

    fn raw_string(&mut self, start: usize) -> Result<Token, Error> {
        let body_start = start + 1;
        let rest = &self.src[body_start..];
        let Some(end) = rest.find('`') else {
            self.pos = self.src.len();
            return Err(self.error(LexError::UnterminatedString, start));
        };
        self.pos = body_start + end + 1;
        Ok(self.token(Kind::String, start, Value::Str(rest[..end].to_owned())))
    }

    fn char_literal(&mut self, start: usize) -> Result<Token, Error> {
        let rest = &self.src[start + 1..];
        let mut count = 0;
        let mut chars = rest.char_indices();
        loop {
            match chars.next() {
                None | Some((_, '\n')) => {
                    self.pos = start + 1 + rest.find('\n').unwrap_or(rest.len());
                    return Err(self.error(LexError::UnterminatedString, start));
                }
                Some((i, '\'')) => {
                    self.pos = start + 1 + i + 1;
                    break;
                }
                Some((_, '\\')) => {
                    chars.next();
                    count += 1;
                }
                Some(_) => count += 1,
            }
        }
        if count != 1 {
            return Err(self.error(LexError::InvalidCharLiteral, start));
        }
        Ok(self.token(Kind::Unknown, start, Value::None))
    }

    fn range(&mut self, start: usize) -> Result<Token, Error> {
        let rest = &self.src[start + 1..];
        let Some(end) = rest.find(']') else {
            self.pos = self.src.len();
            return Err(Error::lexical(
                LexError::MissingRangeBracket,
                Span::new(start, start + 1),
                self.src,
            ));
        };
        self.pos = start + 1 + end + 1;
        match go::parse_prom_duration(&rest[..end]) {
            Ok(nanos) => Ok(self.token(Kind::Range, start, Value::Duration(nanos))),
            Err(e) => Err(self.error(LexError::InvalidRange(e), start)),
        }
    }

    /// `-`: a parser flag (`--strict`, `--keep-empty`), a negative duration, or minus.
    fn minus(&mut self, start: usize) -> Token {
        self.pos += 1;
        if self.peek_char() == Some('-') {
            let rest = self.rest();
            let len = rest
                .char_indices()
                .find(|&(_, c)| !(c.is_alphabetic() || c == '-'))
                .map_or(rest.len(), |(i, _)| i);
            let flag = &self.src[start..self.pos + len];
            if flag == "--strict" || flag == "--keep-empty" {
                self.pos += len;
                return self.token(Kind::FunctionFlag, start, Value::None);
            }
        }
        let run = self.suffix_run(is_duration_rune);
        if !run.is_empty()
            && let Some(nanos) = parse_duration(&format!("-{run}"))
        {
            self.pos += run.len();
            return self.token(Kind::Duration, start, Value::Duration(nanos));
        }
        self.token(Kind::Sub, start, Value::None)
    }
}

/// Go's rule for `_` in number literals: only between digits, or after a base prefix.
fn underscores_ok(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut prev = b'^';
    if bytes.len() >= 2 && bytes[0] == b'0' && matches!(bytes[1] | 0x20, b'x' | b'o' | b'b') {
        i = 2;
        prev = b'0';
    }
    let hex = bytes.len() >= 2 && (bytes[1] | 0x20) == b'x';
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'_' {
            if prev != b'0' {
                return false;
            }
            prev = b'_';
        } else if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            prev = b'0';
        } else {
            if prev == b'_' {
                return false;
            }
            prev = b'!';
        }
        i += 1;
    }
    prev != b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Kind> {
        let mut lexer = Lexer::new(src);
        let mut out = Vec::new();
        loop {
            let token = lexer.next_token().unwrap();
            if token.kind == Kind::Eof {
                return out;
            }
            out.push(token.kind);
        }
    }

    #[test]
    fn functions_need_parentheses() {
        use Kind as K;
        assert_eq!(
            kinds("rate(x)"),
            [K::Rate, K::OpenParen, K::Identifier, K::CloseParen]
        );
        assert_eq!(kinds("rate > 1"), [K::Identifier, K::Gt, K::Number]);
        assert_eq!(kinds("sum by (a) (x)")[0], K::Sum);
        assert_eq!(kinds("SUM without(a)(x)")[0], K::Sum);
        assert_eq!(kinds("bytes"), [K::Identifier]);
        assert_eq!(kinds("json JSON Or"), [K::Json, K::Json, K::Or]);
    }

    #[test]
    fn numbers_durations_bytes_ranges() {
        use Kind as K;
        assert_eq!(
            kinds("5 5m 1.5s 1h30m 10KB 1.5KiB 5M"),
            [
                K::Number,
                K::Duration,
                K::Duration,
                K::Duration,
                K::Bytes,
                K::Bytes,
                K::Bytes
            ]
        );
        assert_eq!(
            kinds("-5m -5 --strict --keep-empty"),
            [
                K::Duration,
                K::Sub,
                K::Number,
                K::FunctionFlag,
                K::FunctionFlag
            ]
        );
        assert_eq!(kinds("[5m]"), [K::Range]);
        assert_eq!(
            kinds("|= |~ |> != !~ !> | == >= <="),
            [
                K::PipeExact,
                K::PipeMatch,
                K::PipePattern,
                K::Neq,
                K::Nre,
                K::Npa,
                K::Pipe,
                K::CmpEq,
                K::Gte,
                K::Lte
            ]
        );
        assert_eq!(
            kinds("# comment\n1 // x\n/* y */ 2"),
            [K::Number, K::Number]
        );
    }

    #[test]
    fn strings() {
        let mut lexer = Lexer::new(r#""a\"b" `c\d`"#);
        assert_eq!(lexer.next_token().unwrap().value, Value::Str("a\"b".into()));
        assert_eq!(lexer.next_token().unwrap().value, Value::Str("c\\d".into()));
    }
}
