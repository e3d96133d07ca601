//! Go's duration syntax (`time.ParseDuration`), as Tempo's and Loki's YAML and flags write
//! durations: `5s`, `30m`, `1h30m`, `1.5h`, `250ms`, `10us`/`10µs`, `100ns`, `0`.

use std::time::Duration;

/// Nanoseconds in one of Go's duration units.
fn unit_nanos(unit: &str) -> Option<u128> {
    Some(match unit {
        "ns" => 1,
        "us" | "µs" | "μs" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60 * 1_000_000_000,
        "h" => 3_600 * 1_000_000_000,
        _ => return None,
    })
}

/// Parses a Go duration: a sequence of decimal numbers, each with an optional fraction and a
/// unit (`ns`, `us`/`µs`, `ms`, `s`, `m`, `h`), e.g. `1h30m` or `1.5s`; `0` alone needs no
/// unit. Negative durations are refused (no Tempo or Loki setting takes one).
///
/// ```
/// use std::time::Duration;
/// use examples::server_config::parse_go_duration;
///
/// assert_eq!(parse_go_duration("1m30s"), Ok(Duration::from_secs(90)));
/// assert_eq!(parse_go_duration("1.5h"), Ok(Duration::from_secs(5400)));
/// assert_eq!(parse_go_duration("250ms"), Ok(Duration::from_millis(250)));
/// assert!(parse_go_duration("5").is_err());
/// ```
///
/// # Errors
///
/// A message quoting `text` and saying what is wrong with it.
pub fn parse_go_duration(text: &str) -> Result<Duration, String> {
    let bad =
        |why: &str| format!("invalid duration {text:?}: {why} (Go syntax, e.g. 5s, 30m, 1h30m)");
    let s = text.trim();
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    if s.starts_with('-') {
        return Err(bad("negative"));
    }
    let mut rest = s.strip_prefix('+').unwrap_or(s);
    if rest.is_empty() {
        return Err(bad("empty"));
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_len);
        if number.is_empty() || number == "." {
            return Err(bad("expected a number"));
        }
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        if unit.is_empty() {
            return Err(bad("missing unit"));
        }
        let nanos = unit_nanos(unit).ok_or_else(|| bad(&format!("unknown unit {unit:?}")))?;
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if fraction.contains('.') {
            return Err(bad("two decimal points"));
        }
        let whole: u128 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| bad("number out of range"))?
        };
        let mut value = whole
            .checked_mul(nanos)
            .ok_or_else(|| bad("out of range"))?;
        // The fraction, digit by digit, as Go does (precision beyond 1 ns is dropped).
        let mut scale = nanos;
        for digit in fraction.bytes() {
            scale /= 10;
            value += u128::from(digit - b'0') * scale;
        }
        total = total
            .checked_add(value)
            .ok_or_else(|| bad("out of range"))?;
        rest = after;
    }
    let secs = u64::try_from(total / 1_000_000_000).map_err(|_| bad("out of range"))?;
    let nanos = u32::try_from(total % 1_000_000_000).map_err(|_| bad("out of range"))?;
    Ok(Duration::new(secs, nanos))
}

/// `duration` written as Go prints it (`1h30m0s`, `5s`, `250ms`), for messages and `--help`.
pub fn format_go_duration(duration: Duration) -> String {
    let nanos = duration.as_nanos();
    if nanos == 0 {
        return "0s".to_owned();
    }
    if nanos < 1_000_000_000 {
        return if nanos.is_multiple_of(1_000_000) {
            format!("{}ms", nanos / 1_000_000)
        } else if nanos.is_multiple_of(1_000) {
            format!("{}µs", nanos / 1_000)
        } else {
            format!("{nanos}ns")
        };
    }
    let secs = duration.as_secs();
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let sub = duration.subsec_nanos();
    let seconds = if sub == 0 {
        format!("{s}s")
    } else {
        let fraction = format!("{sub:09}");
        format!("{s}.{}s", fraction.trim_end_matches('0'))
    };
    match (h, m) {
        (0, 0) => seconds,
        (0, m) => format!("{m}m{seconds}"),
        (h, m) => format!("{h}h{m}m{seconds}"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

    use super::*;

    #[test]
    fn go_durations() {
        let ok = |t: &str| parse_go_duration(t).unwrap();
        assert_eq!(ok("5s"), Duration::from_secs(5));
        assert_eq!(ok("30m"), Duration::from_secs(1800));
        assert_eq!(ok("2h45m"), Duration::from_secs(9900));
        assert_eq!(ok("1.5s"), Duration::from_millis(1500));
        assert_eq!(ok(".5s"), Duration::from_millis(500));
        assert_eq!(ok("10us"), Duration::from_micros(10));
        assert_eq!(ok("10µs"), Duration::from_micros(10));
        assert_eq!(ok("100ns"), Duration::from_nanos(100));
        assert_eq!(ok("0"), Duration::ZERO);
        assert_eq!(ok("0s"), Duration::ZERO);
        assert_eq!(ok("+1m"), Duration::from_secs(60));
        for bad in ["", "5", "s", "-5s", "5x", "1..5s", "1.5.5s", "."] {
            assert!(parse_go_duration(bad).is_err(), "{bad:?}");
        }
        assert!(
            parse_go_duration("5d")
                .unwrap_err()
                .contains("unknown unit")
        );
    }

    #[test]
    fn printed_as_go_prints() {
        assert_eq!(format_go_duration(Duration::from_secs(5)), "5s");
        assert_eq!(format_go_duration(Duration::from_secs(5400)), "1h30m0s");
        assert_eq!(format_go_duration(Duration::from_secs(1800)), "30m0s");
        assert_eq!(format_go_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(format_go_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format_go_duration(Duration::ZERO), "0s");
        for d in ["1h30m0s", "1.5s", "250ms", "45m0s"] {
            assert_eq!(format_go_duration(parse_go_duration(d).unwrap()), d);
        }
    }
}
