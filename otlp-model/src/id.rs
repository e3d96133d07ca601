//! Trace and span IDs: 16 and 8 bytes, parsed and printed the way Tempo does.
//!
//! Tempo stores every trace ID as 16 bytes. A 64-bit ID (Jaeger, Zipkin, old clients) is
//! widened by putting eight zero bytes in front of it, and hex text of any length up to 32
//! digits is accepted and left-padded the same way, so `"abc"`, `"0abc"` and
//! `"00000000000000000000000000000abc"` name one trace. Search results print trace IDs with
//! their leading zeros stripped ([`TraceId::to_short_hex`]).

use std::fmt;
use std::str::FromStr;

use crate::ModelError;

/// A 16-byte trace ID.
///
/// ```
/// use otlp_model::TraceId;
///
/// let id: TraceId = "abc".parse()?;
/// assert_eq!(id.to_string(), "00000000000000000000000000000abc");
/// assert_eq!(id.to_short_hex(), "abc");
/// assert_eq!(id, TraceId::from_u64(0xabc));
/// assert!("xyz".parse::<TraceId>().is_err());
/// # Ok::<(), otlp_model::ModelError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct TraceId([u8; 16]);

/// An 8-byte span ID.
///
/// ```
/// use otlp_model::SpanId;
///
/// let id = SpanId::parse_hex("00f067aa0ba902b7")?;
/// assert_eq!(id.to_string(), "00f067aa0ba902b7");
/// assert_eq!(id.to_short_hex(), "f067aa0ba902b7");
/// assert_eq!(id.to_u64(), 0x00f0_67aa_0ba9_02b7);
/// # Ok::<(), otlp_model::ModelError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SpanId([u8; 8]);

/// Which ID type a parse error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdKind {
    /// A 16-byte trace ID.
    Trace,
    /// An 8-byte span ID.
    Span,
}

impl fmt::Display for IdKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdKind::Trace => "trace ID",
            IdKind::Span => "span ID",
        })
    }
}

/// Decodes up to `2 * N` hex digits into `N` bytes, left-padded with zeros.
fn parse_padded_hex<const N: usize>(text: &str, kind: IdKind) -> Result<[u8; N], ModelError> {
    let digits = text.as_bytes();
    if digits.is_empty() {
        return Err(ModelError::IdEmpty { kind });
    }
    if digits.len() > 2 * N {
        return Err(ModelError::IdTooLong {
            kind,
            max_hex: 2 * N,
            found: digits.len(),
        });
    }
    if let Some((position, found)) = text.char_indices().find(|(_, c)| !c.is_ascii_hexdigit()) {
        return Err(ModelError::IdInvalidHex {
            kind,
            position,
            found,
        });
    }
    let mut out = [0u8; N];
    // Digit i of the text (counted from the end) is nibble i of the number.
    for (from_end, &digit) in digits.iter().rev().enumerate() {
        let nibble = hex_value(digit).unwrap_or(0);
        let byte = N - 1 - from_end / 2;
        out[byte] |= if from_end % 2 == 0 {
            nibble
        } else {
            nibble << 4
        };
    }
    Ok(out)
}

/// The value of one hex digit (either case).
pub(crate) fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `bytes` as lower-case hex.
pub(crate) fn push_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        out.push(HEX[usize::from(b >> 4)]);
        out.push(HEX[usize::from(b & 0x0f)]);
    }
}

/// Decodes exactly `2 * len` hex digits; `None` on any other character or an odd length.
pub(crate) fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let digits = text.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks_exact(2)
        .map(|pair| Some((hex_value(pair[0])? << 4) | hex_value(pair[1])?))
        .collect()
}

fn write_hex(bytes: &[u8], out: &mut String) {
    for &b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
}

fn short_hex(bytes: &[u8]) -> String {
    let mut full = String::with_capacity(bytes.len() * 2);
    write_hex(bytes, &mut full);
    let trimmed = full.trim_start_matches('0');
    if trimmed.is_empty() {
        "0".to_owned()
    } else {
        trimmed.to_owned()
    }
}

impl TraceId {
    /// Byte length of a trace ID.
    pub const LEN: usize = 16;

    /// The trace ID with the given bytes.
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// A 64-bit ID widened to 16 bytes (eight leading zero bytes), as Tempo stores Jaeger and
    /// Zipkin 64-bit IDs.
    pub const fn from_u64(low: u64) -> Self {
        Self::from_high_low(0, low)
    }

    /// The ID whose first eight bytes are `high` and last eight are `low`, both big-endian
    /// (Jaeger's `traceIdHigh`/`traceIdLow`).
    pub const fn from_high_low(high: u64, low: u64) -> Self {
        let h = high.to_be_bytes();
        let l = low.to_be_bytes();
        Self([
            h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], l[0], l[1], l[2], l[3], l[4], l[5],
            l[6], l[7],
        ])
    }

    /// Exactly 16 bytes, as OTLP carries them.
    ///
    /// # Errors
    ///
    /// [`ModelError::IdLength`] for any other length.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, ModelError> {
        <[u8; 16]>::try_from(bytes)
            .map(Self)
            .map_err(|_| ModelError::IdLength {
                kind: IdKind::Trace,
                expected: Self::LEN,
                found: bytes.len(),
            })
    }

    /// 1 to 16 bytes, left-padded with zeros to 16 (an 8-byte ID is widened).
    ///
    /// # Errors
    ///
    /// [`ModelError::IdLength`] when `bytes` is empty or longer than 16.
    pub fn from_padded(bytes: &[u8]) -> Result<Self, ModelError> {
        if bytes.is_empty() || bytes.len() > Self::LEN {
            return Err(ModelError::IdLength {
                kind: IdKind::Trace,
                expected: Self::LEN,
                found: bytes.len(),
            });
        }
        let mut out = [0u8; 16];
        out[Self::LEN - bytes.len()..].copy_from_slice(bytes);
        Ok(Self(out))
    }

    /// Parses 1 to 32 hex digits (either case), left-padded with zeros as Tempo's API does.
    ///
    /// # Errors
    ///
    /// [`ModelError::IdEmpty`], [`ModelError::IdTooLong`] or [`ModelError::IdInvalidHex`]
    /// (with the position of the first bad character).
    pub fn parse_hex(text: &str) -> Result<Self, ModelError> {
        parse_padded_hex(text, IdKind::Trace).map(Self)
    }

    /// The 16 bytes.
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The 16 bytes, by value.
    pub const fn to_bytes(self) -> [u8; 16] {
        self.0
    }

    /// The first eight bytes as a big-endian integer (Jaeger's `traceIdHigh`).
    pub fn high(&self) -> u64 {
        u64::from_be_bytes([
            self.0[0], self.0[1], self.0[2], self.0[3], self.0[4], self.0[5], self.0[6], self.0[7],
        ])
    }

    /// The last eight bytes as a big-endian integer (Jaeger's `traceIdLow`).
    pub fn low(&self) -> u64 {
        u64::from_be_bytes([
            self.0[8], self.0[9], self.0[10], self.0[11], self.0[12], self.0[13], self.0[14],
            self.0[15],
        ])
    }

    /// Whether every byte is zero (an invalid ID in OTLP).
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 16]
    }

    /// All 32 hex digits, lower case (the same as `to_string()`).
    pub fn to_hex(&self) -> String {
        let mut out = String::with_capacity(32);
        write_hex(&self.0, &mut out);
        out
    }

    /// Lower-case hex without leading zeros (`"0"` for the zero ID), as Tempo prints trace IDs
    /// in search results.
    pub fn to_short_hex(&self) -> String {
        short_hex(&self.0)
    }
}

impl SpanId {
    /// Byte length of a span ID.
    pub const LEN: usize = 8;

    /// The span ID with the given bytes.
    pub const fn from_bytes(bytes: [u8; 8]) -> Self {
        Self(bytes)
    }

    /// The span ID whose big-endian bytes are `value` (Jaeger and Zipkin carry span IDs as
    /// 64-bit integers).
    pub const fn from_u64(value: u64) -> Self {
        Self(value.to_be_bytes())
    }

    /// Exactly 8 bytes, as OTLP carries them.
    ///
    /// # Errors
    ///
    /// [`ModelError::IdLength`] for any other length.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, ModelError> {
        <[u8; 8]>::try_from(bytes)
            .map(Self)
            .map_err(|_| ModelError::IdLength {
                kind: IdKind::Span,
                expected: Self::LEN,
                found: bytes.len(),
            })
    }

    /// Parses 1 to 16 hex digits (either case), left-padded with zeros.
    ///
    /// # Errors
    ///
    /// [`ModelError::IdEmpty`], [`ModelError::IdTooLong`] or [`ModelError::IdInvalidHex`].
    pub fn parse_hex(text: &str) -> Result<Self, ModelError> {
        parse_padded_hex(text, IdKind::Span).map(Self)
    }

    /// The 8 bytes.
    pub const fn as_bytes(&self) -> &[u8; 8] {
        &self.0
    }

    /// The 8 bytes, by value.
    pub const fn to_bytes(self) -> [u8; 8] {
        self.0
    }

    /// The bytes as a big-endian integer.
    pub const fn to_u64(self) -> u64 {
        u64::from_be_bytes(self.0)
    }

    /// Whether every byte is zero (an invalid ID in OTLP).
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 8]
    }

    /// All 16 hex digits, lower case (the same as `to_string()`).
    pub fn to_hex(&self) -> String {
        let mut out = String::with_capacity(16);
        write_hex(&self.0, &mut out);
        out
    }

    /// Lower-case hex without leading zeros (`"0"` for the zero ID).
    pub fn to_short_hex(&self) -> String {
        short_hex(&self.0)
    }
}

impl From<[u8; 16]> for TraceId {
    fn from(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }
}

impl From<TraceId> for [u8; 16] {
    fn from(id: TraceId) -> Self {
        id.0
    }
}

impl From<[u8; 8]> for SpanId {
    fn from(bytes: [u8; 8]) -> Self {
        Self(bytes)
    }
}

impl From<SpanId> for [u8; 8] {
    fn from(id: SpanId) -> Self {
        id.0
    }
}

impl AsRef<[u8]> for TraceId {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for SpanId {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl FromStr for TraceId {
    type Err = ModelError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse_hex(text)
    }
}

impl FromStr for SpanId {
    type Err = ModelError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse_hex(text)
    }
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceId({})", self.to_hex())
    }
}

impl fmt::Debug for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SpanId({})", self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_pads_on_the_left_and_accepts_odd_lengths() {
        let id = TraceId::parse_hex("1").unwrap();
        assert_eq!(id.as_bytes()[15], 1);
        assert_eq!(id.as_bytes()[..15], [0; 15]);
        let id = TraceId::parse_hex("ABCdef0").unwrap();
        assert_eq!(id.to_hex(), "0000000000000000000000000abcdef0");
        assert_eq!(id.to_short_hex(), "abcdef0");
        let full = "0123456789abcdef0123456789abcdef";
        assert_eq!(TraceId::parse_hex(full).unwrap().to_string(), full);
        assert_eq!(TraceId::default().to_short_hex(), "0");
    }

    #[test]
    fn parse_errors_say_what_and_where() {
        assert_eq!(
            TraceId::parse_hex(&"1".repeat(33)),
            Err(ModelError::IdTooLong {
                kind: IdKind::Trace,
                max_hex: 32,
                found: 33
            })
        );
        assert_eq!(
            SpanId::parse_hex("12g4"),
            Err(ModelError::IdInvalidHex {
                kind: IdKind::Span,
                position: 2,
                found: 'g'
            })
        );
        assert_eq!(
            TraceId::parse_hex("ab✓"),
            Err(ModelError::IdInvalidHex {
                kind: IdKind::Trace,
                position: 2,
                found: '✓'
            })
        );
        assert_eq!(
            TraceId::parse_hex(""),
            Err(ModelError::IdEmpty {
                kind: IdKind::Trace
            })
        );
    }

    #[test]
    fn widening_and_high_low() {
        let id = TraceId::from_high_low(0x0102_0304_0506_0708, 0x090a_0b0c_0d0e_0f10);
        assert_eq!(id.to_hex(), "0102030405060708090a0b0c0d0e0f10");
        assert_eq!(id.high(), 0x0102_0304_0506_0708);
        assert_eq!(id.low(), 0x090a_0b0c_0d0e_0f10);
        let widened = TraceId::from_padded(&[0xaa; 8]).unwrap();
        assert_eq!(widened, TraceId::from_u64(0xaaaa_aaaa_aaaa_aaaa));
        assert!(TraceId::from_padded(&[]).is_err());
        assert!(TraceId::from_padded(&[1; 17]).is_err());
        assert!(TraceId::from_slice(&[1; 8]).is_err());
        assert_eq!(SpanId::from_u64(7).to_short_hex(), "7");
    }
}
