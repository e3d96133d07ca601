//! The Go formatting and parsing rules LogQL inherits from Loki's implementation language:
//! string quoting and escapes (`strconv`), durations (`time` and Prometheus' `model`),
//! float formatting (`fmt`'s `%v`, `strconv`'s `'f'`), and byte sizes (`go-humanize`).
//!
//! Each function documents the Go function whose observable behaviour it reproduces.

use std::fmt::Write as _;

/// Nanoseconds per millisecond (the units are Go's `time` package's).
pub(crate) const NANOS_PER_MILLI: i64 = 1_000_000;
/// Nanoseconds per second.
pub(crate) const NANOS_PER_SECOND: i64 = 1_000_000_000;
const NANOS_PER_MINUTE: i64 = 60 * NANOS_PER_SECOND;
const NANOS_PER_HOUR: i64 = 60 * NANOS_PER_MINUTE;
const NANOS_PER_DAY: i64 = 24 * NANOS_PER_HOUR;
const NANOS_PER_WEEK: i64 = 7 * NANOS_PER_DAY;
const NANOS_PER_YEAR: i64 = 365 * NANOS_PER_DAY;

/// Whether Go's `unicode.IsPrint` holds for `c` (approximated without Unicode tables:
/// controls, separators other than U+0020, format characters, private use and
/// noncharacters are not printable).
fn is_go_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    let u = u32::from(c);
    let format_or_private = matches!(u,
        0x00AD | 0x0600..=0x0605 | 0x061C | 0x06DD | 0x070F | 0x08E2 | 0x180E
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F
        | 0xFEFF | 0xFFF9..=0xFFFB | 0x0001_10BD | 0x0001_10CD | 0x0001_3430..=0x0001_343F
        | 0x0001_BCA0..=0x0001_BCA3 | 0x0001_D173..=0x0001_D17A | 0x000E_0001
        | 0x000E_0020..=0x000E_007F
        | 0xE000..=0xF8FF | 0x000F_0000..=0x0010_FFFF);
    let noncharacter = (u & 0xFFFE) == 0xFFFE || (0xFDD0..=0xFDEF).contains(&u);
    !format_or_private && !noncharacter
}

/// Go's `strconv.Quote`: a double-quoted string with Go escapes for `"`, `\` and every
/// non-printable character.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if is_go_printable(c) => out.push(c),
            c if u32::from(c) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if u32::from(c) < 0x1_0000 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => {
                let _ = write!(out, "\\U{:08x}", u32::from(c));
            }
        }
    }
    out.push('"');
    out
}

/// Why a Go escape sequence was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EscapeError {
    /// Not one of Go's escapes, or too few digits (Go's scanner: "invalid char escape").
    InvalidEscape,
    /// Well-formed but not a valid value: an octal escape above `\377`, a surrogate or an
    /// out-of-range `\U` (Go's `strconv.Unquote`: "invalid syntax").
    InvalidSyntax,
    /// The bytes the escapes produce are not UTF-8 (Go accepts them; Rust strings cannot
    /// hold them).
    InvalidUtf8,
}

/// Go's `strconv.Unquote` for the body of a double-quoted string (without the quotes):
/// resolves `\a \b \f \n \r \t \v \\ \"`, octal `\NNN`, `\xNN`, `\uNNNN` and `\UNNNNNNNN`.
pub(crate) fn unescape(body: &str) -> Result<String, (EscapeError, usize)> {
    if !body.contains('\\') {
        return Ok(body.to_owned());
    }
    let bytes = body.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let at = i;
        let Some(&kind) = bytes.get(i + 1) else {
            return Err((EscapeError::InvalidEscape, at));
        };
        i += 2;
        let simple = match kind {
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
        if let Some(v) = simple {
            out.push(v);
            continue;
        }
        let (digits, radix) = match kind {
            b'0'..=b'7' => (3, 8),
            b'x' => (2, 16),
            b'u' => (4, 16),
            b'U' => (8, 16),
            _ => return Err((EscapeError::InvalidEscape, at)),
        };
        let start = if radix == 8 { i - 1 } else { i };
        let end = start + digits;
        let text = body
            .get(start..end)
            .ok_or((EscapeError::InvalidEscape, at))?;
        let value =
            u32::from_str_radix(text, radix).map_err(|_| (EscapeError::InvalidEscape, at))?;
        if !text.bytes().all(|d| (d as char).is_digit(radix)) {
            return Err((EscapeError::InvalidEscape, at));
        }
        i = end;
        match kind {
            b'0'..=b'7' | b'x' => {
                let v = u8::try_from(value).map_err(|_| (EscapeError::InvalidSyntax, at))?;
                out.push(v);
            }
            _ => {
                let c = char::from_u32(value).ok_or((EscapeError::InvalidSyntax, at))?;
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    String::from_utf8(out).map_err(|_| (EscapeError::InvalidUtf8, 0))
}

/// Go's `time.ParseDuration`: `[-+]?([0-9]*(\.[0-9]*)?unit)+` with the units `ns`, `us`,
/// `µs`, `μs`, `ms`, `s`, `m`, `h`; `0` alone is zero. Returns nanoseconds.
pub(crate) fn parse_go_duration(s: &str) -> Option<i64> {
    let (neg, mut s) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if s == "0" {
        return Some(0);
    }
    if s.is_empty() {
        return None;
    }
    let mut total: u128 = 0;
    while !s.is_empty() {
        let b = s.as_bytes();
        if !(b[0] == b'.' || b[0].is_ascii_digit()) {
            return None;
        }
        let int_len = b.iter().take_while(|c| c.is_ascii_digit()).count();
        let int_part: u128 = if int_len == 0 {
            0
        } else {
            s[..int_len].parse().ok()?
        };
        s = &s[int_len..];
        let mut frac: (u128, u128) = (0, 1);
        let mut has_frac = false;
        if s.starts_with('.') {
            s = &s[1..];
            let frac_len = s.bytes().take_while(u8::is_ascii_digit).count();
            has_frac = frac_len > 0;
            for d in s[..frac_len].bytes().take(30) {
                frac = (frac.0 * 10 + u128::from(d - b'0'), frac.1 * 10);
            }
            s = &s[frac_len..];
        }
        if int_len == 0 && !has_frac {
            return None;
        }
        let unit_len = s
            .bytes()
            .take_while(|c| !(*c == b'.' || c.is_ascii_digit()))
            .count();
        if unit_len == 0 {
            return None;
        }
        let unit: u128 = match &s[..unit_len] {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        s = &s[unit_len..];
        total += int_part.checked_mul(unit)?;
        total += frac.0 * unit / frac.1;
        if total > 1 << 63 {
            return None;
        }
    }
    if neg {
        i64::try_from(total)
            .ok()
            .map(|v| -v)
            .or((total == 1 << 63).then_some(i64::MIN))
    } else {
        i64::try_from(total).ok()
    }
}

/// Why Prometheus' `model.ParseDuration` refused a duration (its error texts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PromDurationError {
    /// `empty duration string`.
    Empty,
    /// `not a valid duration string: "<text>"`.
    Invalid(String),
    /// `unknown unit "<unit>" in duration "<text>"`.
    UnknownUnit {
        /// The unit as written.
        unit: String,
        /// The whole duration as written.
        text: String,
    },
    /// `duration out of range`.
    OutOfRange,
}

impl std::fmt::Display for PromDurationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Empty => f.write_str("empty duration string"),
            Self::Invalid(text) => write!(f, "not a valid duration string: {}", quote(text)),
            Self::UnknownUnit { unit, text } => {
                write!(
                    f,
                    "unknown unit {} in duration {}",
                    quote(unit),
                    quote(text)
                )
            }
            Self::OutOfRange => f.write_str("duration out of range"),
        }
    }
}

/// Prometheus' `model.ParseDuration`: integer amounts of `y`, `w`, `d`, `h`, `m`, `s`, `ms`,
/// largest unit first; `0` alone is zero. Returns nanoseconds.
pub(crate) fn parse_prom_duration(text: &str) -> Result<i64, PromDurationError> {
    match text {
        "0" => return Ok(0),
        "" => return Err(PromDurationError::Empty),
        _ => {}
    }
    let invalid = || PromDurationError::Invalid(text.to_owned());
    let mut s = text;
    let mut total: u128 = 0;
    let mut last_pos = 0;
    while !s.is_empty() {
        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(invalid());
        }
        let v: u128 = s[..digits].parse().map_err(|_| invalid())?;
        if v > u128::from(u64::MAX) {
            return Err(invalid());
        }
        s = &s[digits..];
        let unit_len = s.bytes().take_while(|c| !c.is_ascii_digit()).count();
        if unit_len == 0 {
            return Err(invalid());
        }
        let unit = &s[..unit_len];
        s = &s[unit_len..];
        let (pos, mult) = match unit {
            "ms" => (7, NANOS_PER_MILLI),
            "s" => (6, NANOS_PER_SECOND),
            "m" => (5, NANOS_PER_MINUTE),
            "h" => (4, NANOS_PER_HOUR),
            "d" => (3, NANOS_PER_DAY),
            "w" => (2, NANOS_PER_WEEK),
            "y" => (1, NANOS_PER_YEAR),
            _ => {
                return Err(PromDurationError::UnknownUnit {
                    unit: unit.to_owned(),
                    text: text.to_owned(),
                });
            }
        };
        if pos <= last_pos {
            return Err(invalid());
        }
        last_pos = pos;
        let mult = u128::try_from(mult).unwrap_or(1);
        if v > (1u128 << 63) / mult {
            return Err(PromDurationError::OutOfRange);
        }
        total += v * mult;
        if total > (1u128 << 63) - 1 {
            return Err(PromDurationError::OutOfRange);
        }
    }
    i64::try_from(total).map_err(|_| PromDurationError::OutOfRange)
}

/// Writes `v / 10^prec` with trailing zeros of the fraction dropped (Go's `fmtFrac` +
/// `fmtInt`).
fn push_fraction(out: &mut String, v: u64, prec: u32) {
    let scale = 10u64.pow(prec);
    let (int, frac) = (v / scale, v % scale);
    let _ = write!(out, "{int}");
    if frac != 0 {
        let digits = format!("{frac:0width$}", width = prec as usize);
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
}

/// Go's `time.Duration.String`: `1h2m3.5s`, `1m0s`, `250ms`, `1.5µs`, `0s`.
pub(crate) fn format_go_duration(nanos: i64) -> String {
    let mut out = String::new();
    if nanos < 0 {
        out.push('-');
    }
    let u = nanos.unsigned_abs();
    if u < 1_000_000_000 {
        if u == 0 {
            return "0s".to_owned();
        } else if u < 1_000 {
            push_fraction(&mut out, u, 0);
            out.push_str("ns");
        } else if u < 1_000_000 {
            push_fraction(&mut out, u, 3);
            out.push_str("µs");
        } else {
            push_fraction(&mut out, u, 6);
            out.push_str("ms");
        }
        return out;
    }
    let seconds_part = u % 60_000_000_000;
    let minutes = u / 60_000_000_000;
    let (hours, minutes) = (minutes / 60, minutes % 60);
    if hours > 0 {
        let _ = write!(out, "{hours}h");
    }
    if hours > 0 || minutes > 0 {
        let _ = write!(out, "{minutes}m");
    }
    push_fraction(&mut out, seconds_part, 9);
    out.push('s');
    out
}

/// Prometheus' `model.Duration.String`: `1y`, `2w`, `1d2h3m`, `500ms`, `0s` (milliseconds
/// precision; years and weeks only when they divide the whole duration).
pub(crate) fn format_prom_duration(nanos: i64) -> String {
    let mut ms = nanos / NANOS_PER_MILLI;
    if ms == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    if ms < 0 {
        out.push('-');
        ms = -ms;
    }
    let units: [(&str, i64, bool); 7] = [
        ("y", NANOS_PER_YEAR / NANOS_PER_MILLI, true),
        ("w", NANOS_PER_WEEK / NANOS_PER_MILLI, true),
        ("d", NANOS_PER_DAY / NANOS_PER_MILLI, false),
        ("h", NANOS_PER_HOUR / NANOS_PER_MILLI, false),
        ("m", NANOS_PER_MINUTE / NANOS_PER_MILLI, false),
        ("s", 1000, false),
        ("ms", 1, false),
    ];
    for (unit, mult, exact) in units {
        if exact && ms % mult != 0 {
            continue;
        }
        let v = ms / mult;
        if v > 0 {
            let _ = write!(out, "{v}{unit}");
            ms -= v * mult;
        }
    }
    out
}

/// Go's `fmt.Sprint(float64)` (`%v`): the shortest representation that round-trips, in
/// `%e` form (`1e+06`, `1.5e-07`) when the exponent is below -4 or at least 6.
pub(crate) fn format_float_v(v: f64) -> String {
    if v.is_nan() {
        return "NaN".to_owned();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    let sci = format!("{v:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.unsigned_abs());
    }
    format_float_f(v)
}

/// Go's `strconv.FormatFloat(v, 'f', -1, 64)`: the shortest round-tripping digits, never an
/// exponent.
pub(crate) fn format_float_f(v: f64) -> String {
    if v.is_nan() {
        return "NaN".to_owned();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    format!("{v}")
}

/// Go's `strconv.ParseFloat(text, 64)` for the number tokens LogQL's lexer produces; the
/// error is Go's text (`strconv.ParseFloat: parsing "0x10": invalid syntax`).
pub(crate) fn parse_float(text: &str) -> Result<f64, String> {
    let syntax = || {
        format!(
            "strconv.ParseFloat: parsing {}: invalid syntax",
            quote(text)
        )
    };
    let range = || {
        format!(
            "strconv.ParseFloat: parsing {}: value out of range",
            quote(text)
        )
    };
    let lower = text.to_ascii_lowercase();
    let value = if let Some(hex) = lower.strip_prefix("0x") {
        parse_hex_float(hex).ok_or_else(syntax)?
    } else {
        let valid = !lower.is_empty()
            && lower
                .bytes()
                .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'+' | b'-'))
            && lower.bytes().any(|c| c.is_ascii_digit());
        if !valid {
            return Err(syntax());
        }
        lower.parse::<f64>().map_err(|_| syntax())?
    };
    if value.is_infinite() {
        return Err(range());
    }
    Ok(value)
}

/// A Go hexadecimal float without its `0x` prefix: `1.8p3`; the `p` exponent is required.
fn parse_hex_float(s: &str) -> Option<f64> {
    let (mantissa, exp) = s.split_once('p')?;
    let exp: i32 = exp.parse().ok()?;
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut value = 0f64;
    for c in int.chars() {
        value = value * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in frac.chars() {
        value += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    Some(value * 2f64.powi(exp))
}

/// go-humanize's `ParseBytes`: a decimal amount (commas ignored) and an optional unit `B`,
/// `kB`/`KB`/`K`, `KiB`/`Ki`, `MB`/`M`, `MiB`, ... up to `E`/`EiB`, case-insensitive.
pub(crate) fn parse_bytes(s: &str) -> Option<u64> {
    let digits = s
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ',')
        .count();
    let num: String = s[..digits].chars().filter(|c| *c != ',').collect();
    let f: f64 = num.parse().ok()?;
    let unit = s[digits..].trim().to_ascii_lowercase();
    let mult: u64 = match unit.as_str() {
        "" | "b" => 1,
        "kib" | "ki" => 1 << 10,
        "kb" | "k" => 1_000,
        "mib" | "mi" => 1 << 20,
        "mb" | "m" => 1_000_000,
        "gib" | "gi" => 1 << 30,
        "gb" | "g" => 1_000_000_000,
        "tib" | "ti" => 1 << 40,
        "tb" | "t" => 1_000_000_000_000,
        "pib" | "pi" => 1 << 50,
        "pb" | "p" => 1_000_000_000_000_000,
        "eib" | "ei" => 1 << 60,
        "eb" | "e" => 1_000_000_000_000_000_000,
        _ => return None,
    };
    #[allow(clippy::cast_precision_loss)]
    let total = f * mult as f64;
    #[allow(clippy::cast_precision_loss)]
    if !(total.is_finite() && total >= 0.0 && total < u64::MAX as f64) {
        return None;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Some(total as u64)
}

/// go-humanize's `Bytes` without its space (`2.6kB`, `5B`, `100MB`), as Loki prints a bytes
/// label filter — but only where that text reads back as the same value; otherwise the exact
/// amount in bytes (`1024B`), so printing never changes a query's meaning.
pub(crate) fn format_bytes(v: u64) -> String {
    let exact = format!("{v}B");
    if v < 10 {
        return exact;
    }
    let sizes = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    #[allow(clippy::cast_precision_loss)]
    let fv = v as f64;
    let e = (fv.ln() / 1000f64.ln()).floor();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let Some(suffix) = sizes.get(e as usize) else {
        return exact;
    };
    let val = (fv / 1000f64.powf(e) * 10.0 + 0.5).floor() / 10.0;
    let human = if val < 10.0 {
        format!("{val:.1}{suffix}")
    } else {
        format!("{val:.0}{suffix}")
    };
    if parse_bytes(&human) == Some(v) {
        human
    } else {
        exact
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_matches_go() {
        assert_eq!(quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(quote("\n\t\u{1}é\u{200b}"), r#""\n\t\x01é\u200b""#);
        assert_eq!(unescape(r"a\x41\101\u00e9\n").unwrap(), "aAAé\n");
        assert_eq!(unescape(r"\q").unwrap_err().0, EscapeError::InvalidEscape);
        assert_eq!(unescape(r"\400").unwrap_err().0, EscapeError::InvalidSyntax);
        assert_eq!(
            unescape(r"\ud800").unwrap_err().0,
            EscapeError::InvalidSyntax
        );
    }

    #[test]
    fn durations_match_go_and_prometheus() {
        assert_eq!(parse_go_duration("1.5s"), Some(1_500_000_000));
        assert_eq!(parse_go_duration("-5m"), Some(-300_000_000_000));
        assert_eq!(parse_go_duration("1h30m"), Some(5_400_000_000_000));
        assert_eq!(parse_go_duration("250µs"), Some(250_000));
        assert_eq!(parse_go_duration("-0"), Some(0));
        assert_eq!(parse_go_duration("5"), None);
        assert_eq!(parse_go_duration("5d"), None);
        assert_eq!(parse_prom_duration("1d2h"), Ok(93_600_000_000_000));
        assert_eq!(
            parse_prom_duration("5minutes").unwrap_err().to_string(),
            r#"unknown unit "minutes" in duration "5minutes""#
        );
        assert_eq!(
            parse_prom_duration("2h1d").unwrap_err().to_string(),
            r#"not a valid duration string: "2h1d""#
        );
        assert_eq!(format_go_duration(0), "0s");
        assert_eq!(format_go_duration(250_000_000), "250ms");
        assert_eq!(format_go_duration(1_500), "1.5µs");
        assert_eq!(format_go_duration(60_000_000_000), "1m0s");
        assert_eq!(format_go_duration(3_723_500_000_000), "1h2m3.5s");
        assert_eq!(format_go_duration(-300_000_000_000), "-5m0s");
        assert_eq!(format_prom_duration(300_000_000_000), "5m");
        assert_eq!(format_prom_duration(NANOS_PER_DAY * 14), "2w");
        assert_eq!(format_prom_duration(NANOS_PER_DAY * 15), "15d");
        assert_eq!(format_prom_duration(5_400_000_000_000), "1h30m");
    }

    #[test]
    fn floats_match_go() {
        assert_eq!(format_float_v(1.0), "1");
        assert_eq!(format_float_v(0.5), "0.5");
        assert_eq!(format_float_v(100_000.0), "100000");
        assert_eq!(format_float_v(1_000_000.0), "1e+06");
        assert_eq!(format_float_v(0.0001), "0.0001");
        assert_eq!(format_float_v(0.00001), "1e-05");
        assert_eq!(format_float_v(-2.5e-7), "-2.5e-07");
        assert_eq!(format_float_f(1e21), "1000000000000000000000");
        assert_eq!(parse_float("1e3"), Ok(1000.0));
        assert_eq!(parse_float("0x1p4"), Ok(16.0));
        assert_eq!(
            parse_float("0x10").unwrap_err(),
            r#"strconv.ParseFloat: parsing "0x10": invalid syntax"#
        );
    }

    #[test]
    fn bytes_match_humanize() {
        assert_eq!(parse_bytes("1KB"), Some(1000));
        assert_eq!(parse_bytes("1.5KiB"), Some(1536));
        assert_eq!(parse_bytes("5M"), Some(5_000_000));
        assert_eq!(parse_bytes("5iB"), None);
        assert_eq!(format_bytes(5), "5B");
        assert_eq!(format_bytes(2_500), "2.5kB");
        assert_eq!(format_bytes(100_000_000), "100MB");
        assert_eq!(format_bytes(1024), "1024B");
    }
}
