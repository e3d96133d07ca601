//! Prometheus' duration syntax (`model.Duration`: `1w`, `7d`, `1h30m`, `500ms`) and the byte
//! sizes Loki's YAML and flags take (`flagext.ByteSize`: `256KB`, `5MB`, `1048576`).

use std::time::Duration;

/// Nanoseconds in one of Prometheus' duration units, in the order they must appear.
const PROM_UNITS: [(&str, u128); 7] = [
    ("y", 365 * 24 * 3_600 * 1_000_000_000),
    ("w", 7 * 24 * 3_600 * 1_000_000_000),
    ("d", 24 * 3_600 * 1_000_000_000),
    ("h", 3_600 * 1_000_000_000),
    ("m", 60 * 1_000_000_000),
    ("s", 1_000_000_000),
    ("ms", 1_000_000),
];

/// Parses a Prometheus duration: integers with units `y`, `w`, `d`, `h`, `m`, `s`, `ms`, each
/// at most once and in that order (`1w2d`, `1h30m`, `90s`, `500ms`); `0` alone needs no unit.
///
/// ```
/// use std::time::Duration;
/// use examples::server_config::parse_prom_duration;
///
/// assert_eq!(parse_prom_duration("1h30m"), Ok(Duration::from_secs(5400)));
/// assert_eq!(parse_prom_duration("1w"), Ok(Duration::from_secs(7 * 24 * 3600)));
/// assert!(parse_prom_duration("1.5h").is_err());
/// ```
///
/// # Errors
///
/// Prometheus' message: `not a valid duration string: "<text>"`.
pub fn parse_prom_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("not a valid duration string: {text:?}");
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    if text.is_empty() {
        return Err(bad());
    }
    let mut rest = text;
    let mut next_unit = 0;
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        let (number, after) = rest.split_at(digits);
        let number: u128 = number.parse().map_err(|_| bad())?;
        let unit_len = after.bytes().take_while(u8::is_ascii_alphabetic).count();
        let (unit, after) = after.split_at(unit_len);
        let position = PROM_UNITS[next_unit..]
            .iter()
            .position(|(name, _)| *name == unit)
            .ok_or_else(bad)?;
        let (_, nanos) = PROM_UNITS[next_unit + position];
        next_unit += position + 1;
        total = number
            .checked_mul(nanos)
            .and_then(|n| total.checked_add(n))
            .ok_or_else(bad)?;
        rest = after;
    }
    let secs = u64::try_from(total / 1_000_000_000).map_err(|_| bad())?;
    let nanos = u32::try_from(total % 1_000_000_000).map_err(|_| bad())?;
    Ok(Duration::new(secs, nanos))
}

/// Parses a byte size as Loki's `flagext.ByteSize` reads it: a whole number, optionally
/// followed by a unit `B`, `KB`, `MB`, `GB`, `TB`, `PB` (powers of 1024, as Loki counts them;
/// `K`, `KiB`, … are accepted too, case-insensitive).
///
/// ```
/// use examples::server_config::parse_byte_size;
///
/// assert_eq!(parse_byte_size("256KB"), Ok(262_144));
/// assert_eq!(parse_byte_size("5mb"), Ok(5 << 20));
/// assert_eq!(parse_byte_size("1000"), Ok(1000));
/// ```
///
/// # Errors
///
/// A message quoting `text`.
pub fn parse_byte_size(text: &str) -> Result<u64, String> {
    let bad = || format!("invalid byte size {text:?} (e.g. 262144, 256KB, 5MB)");
    let s = text.trim();
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Err(bad());
    }
    let (number, unit) = s.split_at(digits);
    let number: u64 = number.parse().map_err(|_| bad())?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        "p" | "pb" | "pib" => 50,
        _ => return Err(bad()),
    };
    number.checked_mul(1 << shift).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

    use super::*;

    #[test]
    fn prometheus_durations() {
        let ok = |t: &str| parse_prom_duration(t).unwrap();
        assert_eq!(ok("0"), Duration::ZERO);
        assert_eq!(ok("5m"), Duration::from_secs(300));
        assert_eq!(ok("1d12h"), Duration::from_secs(36 * 3600));
        assert_eq!(ok("1y"), Duration::from_secs(365 * 24 * 3600));
        assert_eq!(ok("1s500ms"), Duration::from_millis(1500));
        for bad in ["", "5", "1.5h", "1m1h", "1h1h", "-1h", "1x", "h"] {
            assert_eq!(
                parse_prom_duration(bad).unwrap_err(),
                format!("not a valid duration string: {bad:?}")
            );
        }
    }

    #[test]
    fn byte_sizes() {
        assert_eq!(parse_byte_size("0").unwrap(), 0);
        assert_eq!(parse_byte_size("64KB").unwrap(), 65_536);
        assert_eq!(parse_byte_size("1GiB").unwrap(), 1 << 30);
        assert_eq!(parse_byte_size("2 MB").unwrap(), 2 << 20);
        for bad in ["", "KB", "1.5MB", "1XB", "-1"] {
            assert!(parse_byte_size(bad).is_err(), "{bad}");
        }
    }
}
