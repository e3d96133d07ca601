//! Request parameters as Loki reads them (`pkg/loghttp`): the form (query string and, for
//! `POST`, a form body), timestamps, time bounds, limits, directions, steps.
//!
//! Timestamps: an integer of at most 10 digits is Unix seconds, a longer one nanoseconds, a
//! number with a `.` float seconds (rounded to the millisecond), anything else RFC 3339.
//! Bounds: `end` defaults to now, `start` to `end` (or now, when `end` is in the future)
//! minus `since` (default 1h). Durations (`since`, `step`, `interval`) are Prometheus
//! durations or float seconds.

use std::time::Duration;

use loki_store::Direction;

use crate::server_config::parse_prom_duration;

/// Loki's default `limit`.
pub const DEFAULT_LIMIT: u32 = 100;
/// Loki's default `since`.
pub const DEFAULT_SINCE: Duration = Duration::from_secs(3600);
/// The most points per series a range query may ask for (Loki's `errStepTooSmall`).
pub const MAX_POINTS: i64 = 11_000;
/// The longest `delay_for` of a tail.
pub const MAX_DELAY_FOR: u32 = 5;

/// The form of a request: body values first, then the query string's, as Go's `r.Form`.
#[derive(Debug, Clone, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// The form of a request with query string `query` and, when it is a form post,
    /// `body`.
    pub fn new(query: Option<&str>, body: Option<&[u8]>) -> Self {
        let mut pairs: Vec<(String, String)> = Vec::new();
        if let Some(body) = body {
            pairs.extend(form_urlencoded::parse(body).into_owned());
        }
        if let Some(query) = query {
            pairs.extend(form_urlencoded::parse(query.as_bytes()).into_owned());
        }
        Self { pairs }
    }

    /// The first value of `name`, `""` when absent (Go's `Form.Get`).
    pub fn get(&self, name: &str) -> &str {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// A base-10 `int64` as Go's `strconv.ParseInt(s, 10, 64)` reads it, with its message.
fn parse_go_int(text: &str, func: &str) -> Result<i64, String> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("strconv.{func}: parsing {text:?}: invalid syntax"));
    }
    text.parse()
        .map_err(|_| format!("strconv.{func}: parsing {text:?}: value out of range"))
}

/// A timestamp in ns since the epoch, or `default` when `text` is empty.
///
/// # Errors
///
/// Go's `strconv.ParseInt` message when `text` is neither a number nor RFC 3339.
pub fn parse_timestamp(text: &str, default: i64) -> Result<i64, String> {
    if text.is_empty() {
        return Ok(default);
    }
    if text.contains('.')
        && let Ok(f) = text.parse::<f64>()
        && f.is_finite()
    {
        let secs = f.trunc();
        let frac = ((f - secs) * 1000.0).round() / 1000.0;
        #[allow(clippy::cast_possible_truncation)]
        let ns = (secs as i64)
            .saturating_mul(1_000_000_000)
            .saturating_add((frac * 1e9) as i64);
        return Ok(ns);
    }
    match parse_go_int(text, "ParseInt") {
        Ok(n) if text.len() <= 10 => Ok(n.saturating_mul(1_000_000_000)),
        Ok(n) => Ok(n),
        Err(e) => chrono::DateTime::parse_from_rfc3339(text)
            .ok()
            .and_then(|t| t.timestamp_nanos_opt())
            .ok_or(e),
    }
}

/// Now, in ns since the epoch.
pub fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

fn nanos(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

/// `start` and `end` (ns) from `start`, `end` and `since`, at `now`.
///
/// # Errors
///
/// Loki's `could not parse '<param>' parameter: …` messages.
pub fn bounds(params: &Params, now: i64) -> Result<(i64, i64), String> {
    let since = match params.get("since") {
        "" => DEFAULT_SINCE,
        text => parse_prom_duration(text)
            .map_err(|e| format!("could not parse 'since' parameter: {e}"))?,
    };
    let end = parse_timestamp(params.get("end"), now)
        .map_err(|e| format!("could not parse 'end' parameter: {e}"))?;
    let end_or_now = end.min(now);
    let start = parse_timestamp(params.get("start"), end_or_now.saturating_sub(nanos(since)))
        .map_err(|e| format!("could not parse 'start' parameter: {e}"))?;
    Ok((start, end))
}

/// `limit`: default 100, positive.
///
/// # Errors
///
/// Go's `strconv.Atoi` message, or Loki's `limit must be a positive value`.
pub fn limit(params: &Params) -> Result<u32, String> {
    let text = params.get("limit");
    if text.is_empty() {
        return Ok(DEFAULT_LIMIT);
    }
    let n = parse_go_int(text, "Atoi")?;
    if n <= 0 {
        return Err("limit must be a positive value".to_owned());
    }
    u32::try_from(n).map_err(|_| format!("limit value {n} is out of range [0, {}]", u32::MAX))
}

/// `direction`: `forward` or `backward` (any case), default backward.
///
/// # Errors
///
/// Loki's `invalid direction '<text>'`.
pub fn direction(params: &Params) -> Result<Direction, String> {
    match params.get("direction").to_ascii_uppercase().as_str() {
        "" | "BACKWARD" => Ok(Direction::Backward),
        "FORWARD" => Ok(Direction::Forward),
        _ => Err(format!("invalid direction '{}'", params.get("direction"))),
    }
}

/// A duration given as float seconds or a Prometheus duration, in ns (may be negative).
///
/// # Errors
///
/// Loki's `cannot parse "<text>" to a valid duration`.
pub fn seconds_or_duration(text: &str) -> Result<i64, String> {
    if let Ok(f) = text.parse::<f64>() {
        let ns = f * 1e9;
        #[allow(clippy::cast_precision_loss)]
        if !ns.is_finite() || ns > i64::MAX as f64 || ns < i64::MIN as f64 {
            return Err(format!(
                "cannot parse {text:?} to a valid duration. It overflows int64"
            ));
        }
        #[allow(clippy::cast_possible_truncation)]
        return Ok(ns as i64);
    }
    parse_prom_duration(text)
        .map(nanos)
        .map_err(|_| format!("cannot parse {text:?} to a valid duration"))
}

/// What a range query asks for, checked as Loki's `ParseRangeQuery` checks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeQuery {
    /// The LogQL text.
    pub query: String,
    /// Start, ns (inclusive).
    pub start: i64,
    /// End, ns (exclusive).
    pub end: i64,
    /// Most entries returned.
    pub limit: u32,
    /// Order.
    pub direction: Direction,
    /// Step of metric queries, ns.
    pub step: i64,
    /// Least time between two entries returned (0: every entry), ns.
    pub interval: i64,
}

/// Parses a range query's parameters at `now`.
///
/// # Errors
///
/// Loki's messages, in Loki's order of checks.
pub fn range_query(params: &Params, now: i64) -> Result<RangeQuery, String> {
    let query = params.get("query").to_owned();
    let (start, end) = bounds(params, now)?;
    if end < start {
        return Err("end timestamp must not be before or equal to start time".to_owned());
    }
    let limit = limit(params)?;
    let direction = direction(params)?;
    let step = match params.get("step") {
        "" => {
            let secs = (end - start) / 1_000_000_000 / 250;
            secs.max(1) * 1_000_000_000
        }
        text => seconds_or_duration(text)?,
    };
    if step <= 0 {
        return Err(
            "zero or negative query resolution step widths are not accepted. Try a positive integer"
                .to_owned(),
        );
    }
    if (end - start) / step > MAX_POINTS {
        return Err(
            "exceeded maximum resolution of 11,000 points per time series. Try increasing the \
             value of the step parameter"
                .to_owned(),
        );
    }
    let interval = match params.get("interval") {
        "" => 0,
        text => seconds_or_duration(text)?,
    };
    if interval < 0 {
        return Err("interval must be >= 0".to_owned());
    }
    Ok(RangeQuery {
        query,
        start,
        end,
        limit,
        direction,
        step,
        interval,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

    use super::*;

    fn params(q: &str) -> Params {
        Params::new(Some(q), None)
    }

    const NOW: i64 = 1_700_000_000_000_000_000;

    #[test]
    fn timestamps_as_loki_reads_them() {
        assert_eq!(parse_timestamp("", 7), Ok(7));
        assert_eq!(parse_timestamp("1700000000", 0), Ok(NOW));
        assert_eq!(parse_timestamp("1700000000000000000", 0), Ok(NOW));
        assert_eq!(parse_timestamp("1700000000.5", 0), Ok(NOW + 500_000_000));
        assert_eq!(parse_timestamp("1700000000.0004", 0), Ok(NOW));
        assert_eq!(parse_timestamp("2023-11-14T22:13:20Z", 0), Ok(NOW));
        assert_eq!(
            parse_timestamp("2023-11-14T22:13:20.25+00:00", 0),
            Ok(NOW + 250_000_000)
        );
        assert_eq!(
            parse_timestamp("yesterday", 0).unwrap_err(),
            "strconv.ParseInt: parsing \"yesterday\": invalid syntax"
        );
    }

    #[test]
    fn bounds_and_defaults() {
        let hour = 3_600_000_000_000;
        assert_eq!(bounds(&params(""), NOW), Ok((NOW - hour, NOW)));
        assert_eq!(
            bounds(&params("since=5m"), NOW),
            Ok((NOW - 300_000_000_000, NOW))
        );
        // An end in the future: start is an hour before now, not before end.
        let later = NOW + 10 * hour;
        assert_eq!(
            bounds(&params(&format!("end={later}")), NOW),
            Ok((NOW - hour, later))
        );
        assert_eq!(
            bounds(&params("start=x"), NOW).unwrap_err(),
            "could not parse 'start' parameter: strconv.ParseInt: parsing \"x\": invalid syntax"
        );
        assert_eq!(
            bounds(&params("since=1.5h"), NOW).unwrap_err(),
            "could not parse 'since' parameter: not a valid duration string: \"1.5h\""
        );
    }

    #[test]
    fn range_queries_checked_as_loki_checks_them() {
        let q = range_query(&params("query=%7Ba%3D%22b%22%7D&start=1&end=2"), NOW).unwrap();
        assert_eq!(q.query, r#"{a="b"}"#);
        assert_eq!((q.start, q.end), (1_000_000_000, 2_000_000_000));
        assert_eq!(
            (q.limit, q.direction, q.interval),
            (100, Direction::Backward, 0)
        );
        assert_eq!(q.step, 1_000_000_000);
        let err = |q: &str| range_query(&params(q), NOW).unwrap_err();
        assert_eq!(
            err("start=2&end=1"),
            "end timestamp must not be before or equal to start time"
        );
        assert_eq!(err("limit=0"), "limit must be a positive value");
        assert_eq!(
            err("limit=x"),
            "strconv.Atoi: parsing \"x\": invalid syntax"
        );
        assert_eq!(err("direction=up"), "invalid direction 'up'");
        assert!(err("step=0").starts_with("zero or negative"));
        assert!(err("start=0&end=1000000&step=1").starts_with("exceeded maximum resolution"));
        assert_eq!(err("interval=-1"), "interval must be >= 0");
        assert_eq!(err("step=x"), "cannot parse \"x\" to a valid duration");
        let forward = range_query(&params("direction=FORWARD&limit=5&interval=1m"), NOW).unwrap();
        assert_eq!(forward.direction, Direction::Forward);
        assert_eq!(forward.limit, 5);
        assert_eq!(forward.interval, 60_000_000_000);
    }

    #[test]
    fn forms_put_the_body_first() {
        let p = Params::new(Some("a=query&b=2"), Some(b"a=body&c=%7B%7D"));
        assert_eq!(p.get("a"), "body");
        assert_eq!(p.all("a"), ["body", "query"]);
        assert_eq!(p.get("c"), "{}");
        assert_eq!(p.get("missing"), "");
    }
}
