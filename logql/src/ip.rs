//! `ip("...")` line filters: find the IPv4 and IPv6 addresses in a line and test them
//! against an address, a CIDR prefix or a range, as Loki does.

use std::net::IpAddr;

use crate::error::FilterError;

/// What an `ip("...")` filter matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IpMatcher {
    /// One address.
    Addr(IpAddr),
    /// A CIDR prefix `addr/bits`.
    Prefix(IpAddr, u8),
    /// An inclusive range `from-to` of one family.
    Range(IpAddr, IpAddr),
}

/// A compiled `ip("...")` filter.
#[derive(Clone, Debug)]
pub(crate) struct IpFilter {
    matcher: IpMatcher,
}

const IPV4_CHARSET: &[u8] = b"0123456789.";
const IPV6_CHARSET: &[u8] = b"0123456789abcdefABCDEF:.";

/// Go's `netip.ParsePrefix` bit count: decimal, no sign, no leading zeros.
fn parse_bits(s: &str, max: u8) -> Option<u8> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse::<u8>().ok().filter(|b| *b <= max)
}

fn bits_of(addr: IpAddr) -> u8 {
    if addr.is_ipv4() { 32 } else { 128 }
}

fn to_u128(addr: IpAddr) -> u128 {
    match addr {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

impl IpFilter {
    /// Compiles a pattern: a single address (`192.168.0.1`, `::1`), a CIDR prefix
    /// (`10.0.0.0/8`) or a range (`192.168.0.1-192.168.0.20`).
    pub(crate) fn new(pattern: &str) -> Result<Self, FilterError> {
        let invalid = || FilterError::IpPattern(pattern.to_owned());
        if let Ok(addr) = pattern.parse::<IpAddr>() {
            return Ok(Self {
                matcher: IpMatcher::Addr(addr),
            });
        }
        if let Some((addr, bits)) = pattern.split_once('/') {
            let addr: IpAddr = addr.parse().map_err(|_| invalid())?;
            let bits = parse_bits(bits, bits_of(addr)).ok_or_else(invalid)?;
            return Ok(Self {
                matcher: IpMatcher::Prefix(addr, bits),
            });
        }
        if let Some((from, to)) = pattern.split_once('-') {
            let from: IpAddr = from.parse().map_err(|_| invalid())?;
            let to: IpAddr = to.parse().map_err(|_| invalid())?;
            if from.is_ipv4() != to.is_ipv4() || to_u128(from) > to_u128(to) {
                return Err(invalid());
            }
            return Ok(Self {
                matcher: IpMatcher::Range(from, to),
            });
        }
        Err(invalid())
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match self.matcher {
            IpMatcher::Addr(addr) => addr == ip,
            IpMatcher::Prefix(net, bits) => {
                if net.is_ipv4() != ip.is_ipv4() {
                    return false;
                }
                let width = u32::from(bits_of(net));
                let shift = width - u32::from(bits);
                if shift >= 128 {
                    return true;
                }
                (to_u128(net) >> shift) == (to_u128(ip) >> shift)
            }
            IpMatcher::Range(from, to) => {
                from.is_ipv4() == ip.is_ipv4()
                    && (to_u128(from)..=to_u128(to)).contains(&to_u128(ip))
            }
        }
    }

    /// Whether any address found in the line matches. Candidates are found as Loki finds
    /// them: a digit followed by a `.` within three characters starts an IPv4 candidate, a
    /// run of hex digits followed by `:` (or `::` and a hex digit) an IPv6 one; the
    /// candidate is the longest run of address characters, and scanning resumes after it.
    pub(crate) fn matches(&self, line: &[u8]) -> bool {
        let n = line.len();
        let at = |i: usize| line.get(i).copied().unwrap_or(0);
        let mut i = 0;
        while i < n {
            let v4 = i + 3 < n
                && at(i).is_ascii_digit()
                && (at(i + 1) == b'.' || at(i + 2) == b'.' || at(i + 3) == b'.');
            let charset = if v4 {
                Some(IPV4_CHARSET)
            } else if ipv6_hint([at(i), at(i + 1), at(i + 2), at(i + 3), at(i + 4)]) {
                Some(IPV6_CHARSET)
            } else {
                None
            };
            if let Some(charset) = charset {
                let len = line[i..].iter().take_while(|b| charset.contains(b)).count();
                let candidate = std::str::from_utf8(&line[i..i + len]).ok();
                if candidate
                    .and_then(|c| c.parse::<IpAddr>().ok())
                    .is_some_and(|ip| self.contains(ip))
                {
                    return true;
                }
                i += len;
            }
            i += 1;
        }
        false
    }
}

fn ipv6_hint(p: [u8; 5]) -> bool {
    let hex = |b: u8| b.is_ascii_hexdigit();
    (p[0] == b':' && p[1] == b':' && hex(p[2]))
        || (hex(p[0]) && p[1] == b':')
        || (hex(p[0]) && hex(p[1]) && p[2] == b':')
        || (hex(p[0]) && hex(p[1]) && hex(p[2]) && p[3] == b':')
        || (hex(p[0]) && hex(p[1]) && hex(p[2]) && hex(p[3]) && p[4] == b':')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, line: &str) -> bool {
        IpFilter::new(pattern).unwrap().matches(line.as_bytes())
    }

    #[test]
    fn addresses_prefixes_ranges() {
        assert!(m("192.168.0.1", "from 192.168.0.1 port 22"));
        assert!(!m("192.168.0.1", "from 192.168.0.10 port 22"));
        assert!(m("10.0.0.0/8", "client=10.2.3.4"));
        assert!(!m("10.0.0.0/8", "client=11.2.3.4"));
        assert!(m("192.168.0.1-192.168.0.20", "ip 192.168.0.7"));
        assert!(!m("192.168.0.1-192.168.0.20", "ip 192.168.0.21"));
        assert!(m("::1", "addr=::1 ok"));
        assert!(m("2001:db8::/32", "peer 2001:db8::ff00:42:8329 said"));
        assert!(!m("2001:db8::/32", "peer 2001:db9::1 said"));
        assert!(!m("10.0.0.0/8", "peer ::ffff:10.0.0.1"));
        assert!(m("0.0.0.0/0", "x 1.2.3.4"));
    }

    #[test]
    fn invalid_patterns() {
        for p in [
            "",
            "1.2.3",
            "1.2.3.4/33",
            "10.0.0.2-10.0.0.1",
            "1.2.3.4-::1",
            "a-b",
            "01.2.3.4",
        ] {
            assert!(IpFilter::new(p).is_err(), "{p}");
        }
    }
}
