//! Times as the tools print and read them: RFC 3339 in UTC with nanoseconds, and nanoseconds
//! since the Unix epoch.

use chrono::{DateTime, SecondsFormat, Utc};

/// `ns` (nanoseconds since the Unix epoch) as RFC 3339 in UTC with all nine decimals:
/// `2024-03-10T12:00:00.000000123Z`. Every `i64` has one (1677-09-21 to 2262-04-11).
pub fn format_ns(ns: i64) -> String {
    DateTime::from_timestamp_nanos(ns).to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// `ms` (milliseconds since the Unix epoch) as RFC 3339 in UTC with three decimals, or the
/// number itself when it is outside chrono's range.
pub fn format_ms(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms).map_or_else(
        || ms.to_string(),
        |t| t.to_rfc3339_opts(SecondsFormat::Millis, true),
    )
}

/// A time given by the user: RFC 3339 (`2024-03-10T12:00:00.5Z`, any offset) or an integer
/// number of nanoseconds since the Unix epoch.
///
/// # Errors
///
/// A message saying what was expected, for text that is neither, or for an RFC 3339 time
/// outside what nanoseconds in an `i64` reach.
pub fn parse_ns(text: &str) -> Result<i64, String> {
    let text = text.trim();
    if let Ok(ns) = text.parse::<i64>() {
        return Ok(ns);
    }
    let time = DateTime::parse_from_rfc3339(text).map_err(|e| {
        format!("{text:?} is neither an RFC 3339 time nor nanoseconds since the epoch ({e})")
    })?;
    time.timestamp_nanos_opt()
        .ok_or_else(|| format!("{text:?} is outside the years 1677 to 2262"))
}

/// Now, in nanoseconds since the Unix epoch (0 for a clock before 1970, `i64::MAX` past 2262).
pub fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_print_and_parse() {
        assert_eq!(
            format_ns(1_710_072_000_000_000_123),
            "2024-03-10T12:00:00.000000123Z"
        );
        assert_eq!(format_ns(0), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(format_ms(1_710_071_999_999), "2024-03-10T11:59:59.999Z");
        assert_eq!(
            parse_ns("2024-03-10T12:00:00.000000123Z"),
            Ok(1_710_072_000_000_000_123)
        );
        assert_eq!(
            parse_ns("2024-03-10T13:00:00+01:00"),
            Ok(1_710_072_000_000_000_000)
        );
        assert_eq!(parse_ns(" 42 "), Ok(42));
        assert!(parse_ns("yesterday").is_err());
        assert!(parse_ns("3000-01-01T00:00:00Z").is_err());
        assert!(now_ns() > 1_700_000_000_000_000_000);
    }
}
