//! JSON text as Go's encoders write it, for the documents Tempo stores (`meta.json`, the tenant
//! index), so that our output matches Tempo's byte for byte.
//!
//! Two details differ from `serde_json`'s output and matter for byte equality:
//!
//! * **Strings.** Go's `encoding/json` escapes `"` and `\` with a backslash; `\b`, `\f`, `\n`,
//!   `\r`, `\t` with their short forms; every other byte below 0x20 as `\u00xx` (lower-case
//!   hex); and, because `json.Marshal` turns on HTML escaping, `<`, `>`, `&` as `\u003c`,
//!   `\u003e`, `\u0026` and the separators U+2028 and U+2029 as `\u2028`, `\u2029`. The
//!   dedicated-column list inside `index.pb.zst` is written by another encoder (sonic) that
//!   leaves HTML characters and the two separators as they are ([`Escape::Plain`]).
//! * **Times.** Go writes a `time.Time` as RFC 3339 with nanoseconds, trailing zeros of the
//!   fraction removed and no fraction at all for whole seconds (`2025-01-15T13:00:00Z`,
//!   `2026-11-21T12:27:55.083162421Z`, `…:55.5Z`). It refuses years outside 0000–9999.

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, Timelike, Utc};

/// How a string is escaped: see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Escape {
    /// Go's `json.Marshal`: HTML characters and U+2028/U+2029 escaped.
    Html,
    /// Only what JSON requires (quotes, backslash, control characters).
    Plain,
}

/// Appends `s` as a JSON string literal, escaped as Go does.
pub(crate) fn push_string(out: &mut String, s: &str, escape: Escape) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' if escape == Escape::Html => {
                let b = c as u8;
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xf)]));
            }
            '\u{2028}' if escape == Escape::Html => out.push_str("\\u2028"),
            '\u{2029}' if escape == Escape::Html => out.push_str("\\u2029"),
            c if u32::from(c) < 0x20 => {
                let b = c as u8;
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xf)]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends `time` as a quoted RFC 3339 string with Go's nanosecond formatting.
///
/// # Errors
///
/// A message when the year is outside 0000–9999, which Go's encoder refuses too.
pub(crate) fn push_time(out: &mut String, time: &DateTime<Utc>) -> Result<(), String> {
    let year = time.year();
    if !(0..=9999).contains(&year) {
        return Err(format!(
            "time {time} has a year outside 0000-9999, which RFC 3339 cannot write"
        ));
    }
    // `write!` into a String cannot fail.
    let _ = write!(
        out,
        "\"{year:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        time.month(),
        time.day(),
        time.hour(),
        time.minute(),
        time.second()
    );
    // A leap second is stored as nanoseconds >= 1e9; our parser never produces one, and Go
    // cannot represent one, so only the sub-second part is written.
    let mut nanos = time.nanosecond() % 1_000_000_000;
    if nanos != 0 {
        let mut digits = 9;
        while nanos.is_multiple_of(10) {
            nanos /= 10;
            digits -= 1;
        }
        let _ = write!(out, ".{nanos:0digits$}");
    }
    out.push_str("Z\"");
    Ok(())
}

/// Parses an RFC 3339 time as Go's `time.Time` JSON decoder accepts it, converted to UTC.
///
/// # Errors
///
/// A message when the text is not RFC 3339 or names a leap second (Go rejects second 60).
pub(crate) fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    let parsed = DateTime::parse_from_rfc3339(text)
        .map_err(|e| format!("{text:?} is not an RFC 3339 time: {e}"))?;
    if parsed.nanosecond() >= 1_000_000_000 {
        return Err(format!("{text:?} names a leap second"));
    }
    Ok(parsed.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

    use super::*;

    fn string(s: &str, escape: Escape) -> String {
        let mut out = String::new();
        push_string(&mut out, s, escape);
        out
    }

    fn time(text: &str) -> String {
        let mut out = String::new();
        push_time(&mut out, &parse_time(text).unwrap()).unwrap();
        out
    }

    #[test]
    fn strings_are_escaped_as_go_does() {
        assert_eq!(string("a\"b\\c", Escape::Html), r#""a\"b\\c""#);
        assert_eq!(
            string("\u{8}\u{c}\n\r\t\u{1}\u{1f}\u{7f}", Escape::Html),
            "\"\\b\\f\\n\\r\\t\\u0001\\u001f\u{7f}\""
        );
        assert_eq!(
            string("<a&b>\u{2028}\u{2029}é", Escape::Html),
            "\"\\u003ca\\u0026b\\u003e\\u2028\\u2029é\""
        );
        assert_eq!(string("<a&b>\u{2028}", Escape::Plain), "\"<a&b>\u{2028}\"");
    }

    #[test]
    fn times_use_go_nanosecond_format() {
        assert_eq!(time("2025-01-15T13:00:00Z"), "\"2025-01-15T13:00:00Z\"");
        assert_eq!(
            time("2026-11-21T12:27:55.083162421Z"),
            "\"2026-11-21T12:27:55.083162421Z\""
        );
        assert_eq!(
            time("2026-11-21T12:27:55.500Z"),
            "\"2026-11-21T12:27:55.5Z\""
        );
        assert_eq!(time("2026-11-21T12:27:55.000Z"), "\"2026-11-21T12:27:55Z\"");
        assert_eq!(
            time("2026-11-21T14:27:55+02:00"),
            "\"2026-11-21T12:27:55Z\""
        );
        assert_eq!(time("0001-01-01T00:00:00Z"), "\"0001-01-01T00:00:00Z\"");
    }

    #[test]
    fn bad_times_are_refused() {
        assert!(parse_time("2025-01-15").is_err());
        assert!(parse_time("2016-12-31T23:59:60Z").is_err());
        assert!(parse_time("").is_err());
        // Year -1 after the offset is applied: parses, but cannot be written back.
        let t = parse_time("0000-01-01T00:00:00+01:00").unwrap();
        assert!(push_time(&mut String::new(), &t).is_err());
    }
}
