//! Stream label sets: Prometheus/Loki selector syntax, canonical printing and Loki's stream
//! fingerprint.
//!
//! A [`LabelSet`] is a set of `name="value"` pairs with distinct names, always kept sorted by
//! name (byte order, as Prometheus sorts `labels.Labels`). It prints exactly as Prometheus'
//! `labels.Labels.String()` for names in the classic `[a-zA-Z_][a-zA-Z0-9_]*` syntax, which is
//! the only syntax accepted here:
//!
//! ```
//! use loki_chunk::LabelSet;
//!
//! let labels: LabelSet = r#"{ job = "varlogs", app="a\"b" }"#.parse()?;
//! assert_eq!(labels.to_string(), r#"{app="a\"b", job="varlogs"}"#);
//! assert_eq!(labels.get("job"), Some("varlogs"));
//! assert_eq!(labels.fingerprint(), labels.to_string().parse::<LabelSet>()?.fingerprint());
//! # Ok::<(), loki_chunk::ChunkError>(())
//! ```

use std::fmt::{self, Write as _};
use std::str::FromStr;

use crate::error::ChunkError;

/// The label Prometheus uses for a series' metric name. Loki stores `__name__="logs"` in a
/// stored chunk's metadata and leaves it out of the stream fingerprint.
pub const METRIC_NAME_LABEL: &str = "__name__";

/// Separator byte between names and values in the fingerprint input (Prometheus' `sep`).
const FINGERPRINT_SEP: u8 = 0xff;

/// Whether `name` is a valid label name: `[a-zA-Z_][a-zA-Z0-9_]*`.
pub fn is_valid_label_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A set of labels with distinct, valid names, sorted by name.
///
/// Values are arbitrary UTF-8 (an empty value is kept as given). Equality, hashing and the
/// [`Display`](fmt::Display) form depend only on the set, never on the order it was built in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct LabelSet {
    /// Sorted by name, names distinct and valid.
    labels: Vec<(String, String)>,
}

impl LabelSet {
    /// The empty set, printed `{}`.
    pub fn new() -> Self {
        Self::default()
    }

    /// A set from `(name, value)` pairs in any order.
    ///
    /// # Errors
    ///
    /// [`ChunkError::InvalidLabels`] when a name is not `[a-zA-Z_][a-zA-Z0-9_]*` or appears
    /// twice; `position` is then the index of the offending pair in `pairs`.
    pub fn from_pairs<I, N, V>(pairs: I) -> Result<Self, ChunkError>
    where
        I: IntoIterator<Item = (N, V)>,
        N: Into<String>,
        V: Into<String>,
    {
        let mut indexed: Vec<(usize, String, String)> = Vec::new();
        for (index, (name, value)) in pairs.into_iter().enumerate() {
            let name = name.into();
            if !is_valid_label_name(&name) {
                return Err(ChunkError::InvalidLabels {
                    position: index,
                    reason: "label name is not [a-zA-Z_][a-zA-Z0-9_]*",
                });
            }
            indexed.push((index, name, value.into()));
        }
        // Stable sort: of two equal names the later pair comes second and is the one reported.
        indexed.sort_by(|a, b| a.1.cmp(&b.1));
        if let Some(dup) = indexed.windows(2).find(|w| w[0].1 == w[1].1) {
            return Err(ChunkError::InvalidLabels {
                position: dup[1].0,
                reason: "duplicate label name",
            });
        }
        Ok(Self {
            labels: indexed.into_iter().map(|(_, n, v)| (n, v)).collect(),
        })
    }

    /// Parses the selector form `{a="b", c="d"}`.
    ///
    /// Whitespace (space, tab, CR, LF) is allowed around every token, a trailing comma before
    /// `}` is allowed, and `{}` is the empty set. Values are double-quoted Go string literals:
    /// the escapes of Go's `strconv.Unquote` (`\"`, `\\`, `\a`, `\b`, `\f`, `\n`, `\r`, `\t`,
    /// `\v`, `\xNN`, three-digit octal, `\uNNNN`, `\UNNNNNNNN`) are decoded; a value must be
    /// valid UTF-8 once decoded and may not contain a raw newline. Names must be
    /// `[a-zA-Z_][a-zA-Z0-9_]*` and distinct.
    ///
    /// # Errors
    ///
    /// [`ChunkError::InvalidLabels`] with the byte position of the problem in `s`.
    pub fn parse(s: &str) -> Result<Self, ChunkError> {
        Parser { s, pos: 0 }.label_set()
    }

    /// The value of label `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.labels
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
            .ok()
            .and_then(|i| self.labels.get(i))
            .map(|(_, v)| v.as_str())
    }

    /// Sets label `name` to `value`, returning the value it replaced.
    ///
    /// # Errors
    ///
    /// [`ChunkError::InvalidLabels`] (position 0) when `name` is not a valid label name.
    pub fn insert(
        &mut self,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<Option<String>, ChunkError> {
        let name = name.into();
        if !is_valid_label_name(&name) {
            return Err(ChunkError::InvalidLabels {
                position: 0,
                reason: "label name is not [a-zA-Z_][a-zA-Z0-9_]*",
            });
        }
        let value = value.into();
        match self.labels.binary_search_by(|(n, _)| n.cmp(&name)) {
            Ok(i) => Ok(self
                .labels
                .get_mut(i)
                .map(|(_, v)| std::mem::replace(v, value))),
            Err(i) => {
                self.labels.insert(i, (name, value));
                Ok(None)
            }
        }
    }

    /// Sets `name` (known to be valid) to `value`.
    pub(crate) fn insert_valid(&mut self, name: &str, value: &str) {
        debug_assert!(is_valid_label_name(name));
        match self.labels.binary_search_by(|(n, _)| n.as_str().cmp(name)) {
            Ok(i) => {
                if let Some((_, v)) = self.labels.get_mut(i) {
                    value.clone_into(v);
                }
            }
            Err(i) => self.labels.insert(i, (name.to_owned(), value.to_owned())),
        }
    }

    /// Removes label `name`, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<String> {
        let i = self
            .labels
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
            .ok()?;
        Some(self.labels.remove(i).1)
    }

    /// The labels as `(name, value)`, sorted by name.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            inner: self.labels.iter(),
        }
    }

    /// Number of labels.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Loki's stream fingerprint: xxHash64 (seed 0) over `name 0xFF value 0xFF` for every
    /// label in name order, leaving out `__name__` (Prometheus `HashWithoutLabels`, which
    /// Loki's ingester uses for stream IDs and object keys).
    pub fn fingerprint(&self) -> u64 {
        let mut hasher = xxhash_rust::xxh64::Xxh64::new(0);
        for (name, value) in self {
            if name == METRIC_NAME_LABEL {
                continue;
            }
            hasher.update(name.as_bytes());
            hasher.update(&[FINGERPRINT_SEP]);
            hasher.update(value.as_bytes());
            hasher.update(&[FINGERPRINT_SEP]);
        }
        hasher.digest()
    }
}

/// Iterator over a [`LabelSet`]'s `(name, value)` pairs in name order.
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    inner: std::slice::Iter<'a, (String, String)>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a LabelSet {
    type Item = (&'a str, &'a str);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl FromStr for LabelSet {
    type Err = ChunkError;

    /// Same as [`LabelSet::parse`].
    fn from_str(s: &str) -> Result<Self, ChunkError> {
        Self::parse(s)
    }
}

impl fmt::Display for LabelSet {
    /// Prometheus' canonical form: `{a="b", c="d"}`, sorted by name, values quoted as Go's
    /// `strconv.Quote` does (see [`write_go_quoted`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('{')?;
        for (i, (name, value)) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(name)?;
            f.write_char('=')?;
            write_go_quoted(f, value)?;
        }
        f.write_char('}')
    }
}

/// Writes `s` as a double-quoted Go string literal, as `strconv.Quote` does: `"` and `\` are
/// backslash-escaped, printable characters (ASCII space, letters, marks, numbers, punctuation
/// and symbols, including non-ASCII ones) are kept, `\a \b \f \n \r \t \v` use their short
/// escapes, other ASCII controls and DEL become `\xNN`, and other non-printable characters
/// become `\uNNNN` or `\UNNNNNNNN` (lower-case hex).
///
/// Which non-ASCII characters count as non-printable follows Go's Unicode tables for the
/// separator (`Z*` except space), control (`Cc`), format (`Cf`) and private-use (`Co`)
/// categories and the noncharacters; unassigned code points, which Go also escapes, are kept
/// as they are (this crate carries no table of assigned code points).
///
/// # Errors
///
/// Only those of the writer.
pub fn write_go_quoted(out: &mut impl fmt::Write, s: &str) -> fmt::Result {
    out.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => out.write_str("\\\"")?,
            '\\' => out.write_str("\\\\")?,
            '\x07' => out.write_str("\\a")?,
            '\x08' => out.write_str("\\b")?,
            '\x0c' => out.write_str("\\f")?,
            '\n' => out.write_str("\\n")?,
            '\r' => out.write_str("\\r")?,
            '\t' => out.write_str("\\t")?,
            '\x0b' => out.write_str("\\v")?,
            c if c < ' ' || c == '\x7f' => write!(out, "\\x{:02x}", u32::from(c))?,
            c if c.is_ascii() || is_go_printable(c) => out.write_char(c)?,
            c if u32::from(c) < 0x1_0000 => write!(out, "\\u{:04x}", u32::from(c))?,
            c => write!(out, "\\U{:08x}", u32::from(c))?,
        }
    }
    out.write_char('"')
}

/// Go's `strconv.IsPrint` for non-ASCII characters, minus the unassigned code points.
fn is_go_printable(c: char) -> bool {
    let cp = u32::from(c);
    !NON_PRINTABLE
        .iter()
        .any(|&(lo, hi)| (lo..=hi).contains(&cp))
        && (cp & 0xfffe) != 0xfffe // U+xxFFFE and U+xxFFFF are noncharacters
}

/// Non-ASCII code points Go does not print: controls (`Cc`), separators (`Zs`, `Zl`, `Zp`),
/// format characters (`Cf`), private use (`Co`) and the noncharacters U+FDD0..U+FDEF.
const NON_PRINTABLE: &[(u32, u32)] = &[
    (0x80, 0xa0),   // C1 controls, NO-BREAK SPACE
    (0xad, 0xad),   // SOFT HYPHEN
    (0x600, 0x605), // Arabic number signs
    (0x61c, 0x61c),
    (0x6dd, 0x6dd),
    (0x70f, 0x70f),
    (0x890, 0x891),
    (0x8e2, 0x8e2),
    (0x1680, 0x1680),
    (0x180e, 0x180e),
    (0x2000, 0x200f), // spaces, zero-width characters, direction marks
    (0x2028, 0x202f), // line/paragraph separators, embeddings, NARROW NO-BREAK SPACE
    (0x205f, 0x2064),
    (0x2066, 0x206f),
    (0x3000, 0x3000),
    (0xe000, 0xf8ff), // private use
    (0xfdd0, 0xfdef), // noncharacters
    (0xfeff, 0xfeff),
    (0xfff9, 0xfffb),
    (0x110bd, 0x110bd),
    (0x110cd, 0x110cd),
    (0x13430, 0x1343f),
    (0x1bca0, 0x1bca3),
    (0x1d173, 0x1d17a),
    (0xe0001, 0xe0001),
    (0xe0020, 0xe007f),
    (0xf_0000, 0x10_ffff), // supplementary private use areas
];

/// Recursive-descent parser over the selector text; `pos` is a byte offset into `s`.
struct Parser<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn error(position: usize, reason: &'static str) -> ChunkError {
        ChunkError::InvalidLabels { position, reason }
    }

    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8, reason: &'static str) -> Result<(), ChunkError> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Self::error(self.pos, reason))
        }
    }

    fn label_set(mut self) -> Result<LabelSet, ChunkError> {
        self.skip_space();
        self.expect(b'{', "expected '{'")?;
        let mut labels: Vec<(usize, String, String)> = Vec::new();
        loop {
            self.skip_space();
            if self.peek() == Some(b'}') {
                self.pos += 1;
                break;
            }
            let name_at = self.pos;
            let name = self.name()?.to_owned();
            self.skip_space();
            self.expect(b'=', "expected '=' after the label name")?;
            self.skip_space();
            let value = self.quoted()?;
            labels.push((name_at, name, value));
            self.skip_space();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(Self::error(self.pos, "expected ',' or '}'")),
            }
        }
        self.skip_space();
        if self.pos < self.s.len() {
            return Err(Self::error(self.pos, "unexpected text after '}'"));
        }
        labels.sort_by(|a, b| a.1.cmp(&b.1));
        if let Some(dup) = labels.windows(2).find(|w| w[0].1 == w[1].1) {
            let later = dup[0].0.max(dup[1].0);
            return Err(Self::error(later, "duplicate label name"));
        }
        Ok(LabelSet {
            labels: labels.into_iter().map(|(_, n, v)| (n, v)).collect(),
        })
    }

    fn name(&mut self) -> Result<&'a str, ChunkError> {
        let start = self.pos;
        match self.peek() {
            Some(b) if b.is_ascii_alphabetic() || b == b'_' => self.pos += 1,
            _ => {
                return Err(Self::error(
                    start,
                    "expected a label name [a-zA-Z_][a-zA-Z0-9_]*",
                ));
            }
        }
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            self.pos += 1;
        }
        self.s
            .get(start..self.pos)
            .ok_or_else(|| Self::error(start, "expected a label name"))
    }

    /// A double-quoted Go string literal, decoded.
    fn quoted(&mut self) -> Result<String, ChunkError> {
        let open = self.pos;
        self.expect(b'"', "expected '\"' to open the label value")?;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let at = self.pos;
            let Some(b) = self.peek() else {
                return Err(Self::error(open, "unterminated label value"));
            };
            self.pos += 1;
            match b {
                b'"' => break,
                b'\n' => return Err(Self::error(at, "newline in label value")),
                b'\\' => self.escape(at, &mut out)?,
                _ => out.push(b),
            }
        }
        String::from_utf8(out).map_err(|_| {
            Self::error(
                open,
                "label value is not valid UTF-8 after decoding its escapes",
            )
        })
    }

    /// One escape sequence after its backslash (at `at`), appended to `out` as UTF-8.
    fn escape(&mut self, at: usize, out: &mut Vec<u8>) -> Result<(), ChunkError> {
        let bad = || Self::error(at, "invalid escape sequence in label value");
        let c = self.peek().ok_or_else(bad)?;
        self.pos += 1;
        let simple = match c {
            b'a' => Some(0x07),
            b'b' => Some(0x08),
            b'f' => Some(0x0c),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(0x0b),
            b'\\' => Some(b'\\'),
            b'"' => Some(b'"'),
            _ => None,
        };
        if let Some(byte) = simple {
            out.push(byte);
            return Ok(());
        }
        match c {
            b'x' => {
                let v = self.digits(2, 16).ok_or_else(bad)?;
                out.push(u8::try_from(v).map_err(|_| bad())?);
            }
            b'0'..=b'7' => {
                self.pos -= 1;
                let v = self.digits(3, 8).ok_or_else(bad)?;
                out.push(u8::try_from(v).map_err(|_| bad())?);
            }
            b'u' | b'U' => {
                let n = if c == b'u' { 4 } else { 8 };
                let v = self.digits(n, 16).ok_or_else(bad)?;
                let ch = char::from_u32(v).ok_or_else(bad)?;
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            }
            _ => return Err(bad()),
        }
        Ok(())
    }

    /// Exactly `n` digits of `radix`.
    fn digits(&mut self, n: usize, radix: u32) -> Option<u32> {
        let text = self.s.get(self.pos..self.pos.checked_add(n)?)?;
        if !text.bytes().all(|b| char::from(b).is_digit(radix)) {
            return None;
        }
        self.pos += n;
        u32::from_str_radix(text, radix).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err_at(s: &str) -> (usize, &'static str) {
        match LabelSet::parse(s) {
            Err(ChunkError::InvalidLabels { position, reason }) => (position, reason),
            other => panic!("{s:?} parsed as {other:?}"),
        }
    }

    #[test]
    fn parses_and_prints_canonically() {
        let l = LabelSet::parse(" {\tjob=\"varlogs\" ,\napp = \"x\", }  ").unwrap();
        assert_eq!(l.to_string(), r#"{app="x", job="varlogs"}"#);
        assert_eq!(l.len(), 2);
        assert_eq!(l.get("app"), Some("x"));
        assert_eq!(l.get("nope"), None);
        assert_eq!(
            l.iter().collect::<Vec<_>>(),
            [("app", "x"), ("job", "varlogs")]
        );
        let empty = LabelSet::parse("{ }").unwrap();
        assert!(empty.is_empty());
        assert_eq!(empty.to_string(), "{}");
    }

    #[test]
    fn decodes_go_escapes() {
        let l = LabelSet::parse(r#"{a="q\"b\\s\n\t\a\b\f\r\v\x41\101\u00e9\U0001F600"}"#).unwrap();
        assert_eq!(
            l.get("a"),
            Some("q\"b\\s\n\t\x07\x08\x0c\r\x0bAAé\u{1F600}")
        );
        // Byte escapes may spell UTF-8 sequences.
        let l = LabelSet::parse(r#"{a="\xc3\xa9"}"#).unwrap();
        assert_eq!(l.get("a"), Some("é"));
    }

    #[test]
    fn prints_go_quote_escapes() {
        let l = LabelSet::from_pairs([
            ("a", "q\"b\\s\n\t\x07\x08\x0c\r\x0b\x01\x7f"),
            ("b", "ünïcode-svc 😀"),
            ("c", "\u{a0}\u{2028}\u{feff}\u{e000}\u{f0000}"),
        ])
        .unwrap();
        assert_eq!(
            l.to_string(),
            r#"{a="q\"b\\s\n\t\a\b\f\r\v\x01\x7f", b="ünïcode-svc 😀", c="\u00a0\u2028\ufeff\ue000\U000f0000"}"#
        );
    }

    #[test]
    fn errors_carry_the_byte_position() {
        assert_eq!(err_at("").0, 0);
        assert_eq!(err_at("a=\"b\"}").0, 0);
        assert_eq!(err_at("{1a=\"b\"}").0, 1);
        assert_eq!(err_at("{a-b=\"c\"}").0, 2);
        assert_eq!(err_at("{a \"b\"}").0, 3);
        assert_eq!(err_at("{a=b}").0, 3);
        assert_eq!(err_at("{a=\"b}").0, 3);
        assert_eq!(err_at("{a=\"b\" c=\"d\"}").0, 7);
        assert_eq!(err_at("{a=\"b\\q\"}").0, 5);
        assert_eq!(err_at("{a=\"b\\x4\"}").0, 5);
        assert_eq!(err_at("{a=\"\\'\"}").0, 4);
        assert_eq!(err_at("{a=\"\\ud800\"}").0, 4);
        assert_eq!(err_at("{a=\"\\400\"}").0, 4);
        assert_eq!(err_at("{a=\"x\ny\"}").0, 5);
        assert_eq!(err_at("{a=\"\\xff\"}").0, 3);
        assert_eq!(err_at("{a=\"b\"} x").0, 8);
        assert_eq!(err_at("{a=\"b\",,}").0, 7);
        let (pos, reason) = err_at("{b=\"1\", a=\"2\", b=\"3\"}");
        assert_eq!((pos, reason), (15, "duplicate label name"));
    }

    #[test]
    fn from_pairs_sorts_and_rejects_duplicates_and_bad_names() {
        let l = LabelSet::from_pairs([("z", "1"), ("a", "2")]).unwrap();
        assert_eq!(l.to_string(), r#"{a="2", z="1"}"#);
        assert!(matches!(
            LabelSet::from_pairs([("a", "1"), ("b", "2"), ("a", "3")]),
            Err(ChunkError::InvalidLabels { position: 2, .. })
        ));
        assert!(matches!(
            LabelSet::from_pairs([("ok", "1"), ("not.ok", "2")]),
            Err(ChunkError::InvalidLabels { position: 1, .. })
        ));
    }

    #[test]
    fn insert_and_remove_keep_the_order() {
        let mut l = LabelSet::from_pairs([("b", "1")]).unwrap();
        assert_eq!(l.insert("a", "0").unwrap(), None);
        assert_eq!(l.insert("b", "2").unwrap(), Some("1".to_owned()));
        assert_eq!(l.to_string(), r#"{a="0", b="2"}"#);
        assert_eq!(l.remove("a").as_deref(), Some("0"));
        assert_eq!(l.remove("a"), None);
        assert!(l.insert("9", "x").is_err());
    }

    #[test]
    fn fingerprint_skips_the_metric_name() {
        let stream = LabelSet::parse(r#"{app="x", env="prod"}"#).unwrap();
        let mut metric = stream.clone();
        metric.insert(METRIC_NAME_LABEL, "logs").unwrap();
        // From Loki's storage vector storage_0: fingerprint 4543ea2197bb7ab4.
        assert_eq!(stream.fingerprint(), 0x4543_ea21_97bb_7ab4);
        assert_eq!(metric.fingerprint(), stream.fingerprint());
        assert_eq!(
            LabelSet::new().fingerprint(),
            xxhash_rust::xxh64::xxh64(b"", 0)
        );
    }
}
