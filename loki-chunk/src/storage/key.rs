//! Object keys: the layouts of schema v11 and v12+, filesystem-store names, tenant IDs.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::error::ChunkError;

/// Longest tenant ID Loki accepts.
pub const MAX_TENANT_LEN: usize = 150;

/// Which object-key layout a schema uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeySchema {
    /// Schema v11 and earlier (keys with a checksum): `<tenant>/<fp>:<from>:<through>:<crc>`.
    /// The filesystem store names the object by the base64 of the whole key.
    V11,
    /// Schema v12 and later: `<tenant>/<fp>/<from>:<through>:<crc>`. The filesystem store
    /// keeps the two folders and base64-encodes the last part.
    V12,
}

impl KeySchema {
    /// The layout of schema version `version` (`11` for `v11`, ...).
    pub fn for_schema_version(version: u32) -> Self {
        if version >= 12 { Self::V12 } else { Self::V11 }
    }

    /// The layout of a schema by its config name (`v11`, `v12`, `v13`, ...).
    ///
    /// # Errors
    ///
    /// [`ChunkError::InvalidArgument`] when `name` is not `v` followed by a number.
    pub fn for_schema_name(name: &str) -> Result<Self, ChunkError> {
        name.strip_prefix('v')
            .and_then(|n| n.parse::<u32>().ok())
            .map(Self::for_schema_version)
            .ok_or(ChunkError::InvalidArgument {
                name: "schema",
                reason: "a schema name such as v11 or v13",
            })
    }
}

/// Checks a tenant ID as Loki does before it becomes part of a key: 1 to 150 bytes of
/// `[a-zA-Z0-9!_.*'()-]`, and neither `.` nor `..`.
///
/// # Errors
///
/// [`ChunkError::InvalidKey`] naming the tenant and the rule it breaks.
pub fn validate_tenant(tenant: &str) -> Result<(), ChunkError> {
    let fail = |reason| {
        Err(ChunkError::InvalidKey {
            key: tenant.to_owned(),
            reason,
        })
    };
    if tenant.is_empty() {
        return fail("empty tenant ID");
    }
    if tenant.len() > MAX_TENANT_LEN {
        return fail("tenant ID longer than 150 bytes");
    }
    if tenant == "." || tenant == ".." {
        return fail("tenant ID . or ..");
    }
    if !tenant
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"!-_.*'()".contains(&b))
    {
        return fail("tenant ID has a character outside [a-zA-Z0-9!_.*'()-]");
    }
    Ok(())
}

/// Where a stored chunk lives: tenant, stream fingerprint, time range and the CRC-32C of the
/// object's bytes.
///
/// Numbers print as lower-case hex without padding (negative times as `-` and the hex of the
/// magnitude, as Go's `%x` does). Formatting does not validate the tenant; parsing does (see
/// [`validate_tenant`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectKey {
    /// The tenant (Loki's `userID`, `fake` in single-tenant mode).
    pub tenant: String,
    /// The stream fingerprint ([`LabelSet::fingerprint`](crate::LabelSet::fingerprint)).
    pub fingerprint: u64,
    /// First entry's time, ms since the epoch (rounded down).
    pub from_ms: i64,
    /// Last entry's time, ms since the epoch (rounded up).
    pub through_ms: i64,
    /// CRC-32C (Castagnoli) of the whole stored object.
    pub checksum: u32,
}

/// `v` as Go's `%x` prints an int64.
fn go_hex(v: i64) -> String {
    if v < 0 {
        format!("-{:x}", v.unsigned_abs())
    } else {
        format!("{v:x}")
    }
}

impl ObjectKey {
    /// The entry timestamps this key's chunk can hold, as a half-open ns range: from the
    /// start of millisecond `from_ms` to the end of millisecond `through_ms` (Loki rounds
    /// `from` down and `through` up, see [`from_ms_for_ns`](super::from_ms_for_ns)).
    /// `Query::range(r.start, r.end)` reads all of it; [`Query::range_ms`](crate::Query::range_ms)
    /// builds the same range.
    pub fn time_range_ns(&self) -> std::ops::Range<i64> {
        let q = crate::Query::range_ms(self.from_ms, self.through_ms);
        q.from..q.through
    }

    /// The object key under `schema`, as Loki's `ExternalKey` builds it.
    pub fn to_key(&self, schema: KeySchema) -> String {
        let sep = match schema {
            KeySchema::V11 => ':',
            KeySchema::V12 => '/',
        };
        format!(
            "{}/{:x}{sep}{}",
            self.tenant,
            self.fingerprint,
            self.range_and_checksum()
        )
    }

    /// `<from>:<through>:<crc>`, the last part of a v12 key.
    fn range_and_checksum(&self) -> String {
        format!(
            "{}:{}:{:x}",
            go_hex(self.from_ms),
            go_hex(self.through_ms),
            self.checksum
        )
    }

    /// The object's path relative to a filesystem object store's root, as Loki's `FSEncoder`
    /// names it: for v12, `<tenant>/<fp>/<base64("<from>:<through>:<crc>")>`; for v11, the
    /// base64 of the whole key. Base64 is the standard padded alphabet, whose `/` (when it
    /// occurs) makes a further folder level, as it does for Loki.
    pub fn to_fs_path(&self, schema: KeySchema) -> String {
        match schema {
            KeySchema::V12 => format!(
                "{}/{:x}/{}",
                self.tenant,
                self.fingerprint,
                BASE64.encode(self.range_and_checksum())
            ),
            KeySchema::V11 => BASE64.encode(self.to_key(KeySchema::V11)),
        }
    }

    /// Parses an object key of either layout: two `/` mean v12, one means v11.
    ///
    /// Hex digits of either case are accepted (Go's `strconv` accepts them too).
    ///
    /// # Errors
    ///
    /// [`ChunkError::InvalidKey`] naming the part that is missing or malformed, or the tenant
    /// rule it breaks.
    pub fn parse(key: &str) -> Result<(Self, KeySchema), ChunkError> {
        let fail = |reason| ChunkError::InvalidKey {
            key: key.to_owned(),
            reason,
        };
        let (tenant, rest) = key.split_once('/').ok_or(fail("no '/' after the tenant"))?;
        validate_tenant(tenant).map_err(|_| fail("invalid tenant ID"))?;
        let (fingerprint, range, schema) = if let Some((fp, range)) = rest.split_once('/') {
            (fp, range, KeySchema::V12)
        } else {
            let (fp, range) = rest
                .split_once(':')
                .ok_or(fail("no ':' after the fingerprint"))?;
            (fp, range, KeySchema::V11)
        };
        let fingerprint = parse_hex_u64(fingerprint).ok_or(fail("fingerprint is not hex"))?;
        let (from_ms, through_ms, checksum) = parse_range_and_checksum(range).map_err(fail)?;
        Ok((
            Self {
                tenant: tenant.to_owned(),
                fingerprint,
                from_ms,
                through_ms,
                checksum,
            },
            schema,
        ))
    }

    /// Parses a path relative to a filesystem object store's root, as written by
    /// [`to_fs_path`](Self::to_fs_path) (or Loki) under either schema.
    ///
    /// # Errors
    ///
    /// [`ChunkError::InvalidKey`] when `path` is neither form.
    pub fn parse_fs_path(path: &str) -> Result<(Self, KeySchema), ChunkError> {
        if let Some(key) = Self::parse_fs_path_v12(path) {
            return Ok((key, KeySchema::V12));
        }
        let fail = |reason| ChunkError::InvalidKey {
            key: path.to_owned(),
            reason,
        };
        let decoded = BASE64.decode(path).map_err(|_| {
            fail("neither <tenant>/<fp>/<base64 of from:through:crc> nor a base64 key")
        })?;
        let key = String::from_utf8(decoded).map_err(|_| fail("decoded key is not UTF-8"))?;
        match Self::parse(&key) {
            Ok((key, KeySchema::V11)) => Ok((key, KeySchema::V11)),
            Ok(_) => Err(fail("base64 file name holds a v12 key")),
            Err(_) => Err(fail("base64 file name does not hold a valid key")),
        }
    }

    fn parse_fs_path_v12(path: &str) -> Option<Self> {
        let mut parts = path.splitn(3, '/');
        let tenant = parts.next()?;
        let fingerprint = parse_hex_u64(parts.next()?)?;
        let tail = String::from_utf8(BASE64.decode(parts.next()?).ok()?).ok()?;
        validate_tenant(tenant).ok()?;
        let (from_ms, through_ms, checksum) = parse_range_and_checksum(&tail).ok()?;
        Some(Self {
            tenant: tenant.to_owned(),
            fingerprint,
            from_ms,
            through_ms,
            checksum,
        })
    }
}

impl std::fmt::Display for ObjectKey {
    /// The v12 key (the layout of every current schema).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_key(KeySchema::V12))
    }
}

/// Unsigned hex, no sign, 1 to 16 digits.
fn parse_hex_u64(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(s, 16).ok()
}

/// Signed hex as Go's `strconv.ParseInt(s, 16, 64)` reads it.
fn parse_hex_i64(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    i64::from_str_radix(s, 16).ok()
}

/// `<from>:<through>:<crc>`.
fn parse_range_and_checksum(s: &str) -> Result<(i64, i64, u32), &'static str> {
    let mut parts = s.split(':');
    let from = parts.next().ok_or("no from time")?;
    let through = parts.next().ok_or("no ':' after the from time")?;
    let checksum = parts.next().ok_or("no ':' after the through time")?;
    if parts.next().is_some() {
        return Err("more than three ':'-separated parts after the fingerprint");
    }
    let from = parse_hex_i64(from).ok_or("from time is not hex")?;
    let through = parse_hex_i64(through).ok_or("through time is not hex")?;
    let checksum = parse_hex_u64(checksum)
        .and_then(|c| u32::try_from(c).ok())
        .ok_or("checksum is not a 32-bit hex number")?;
    Ok((from, through, checksum))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_time_range_covers_every_entry_flush_rounds_into_it() {
        use crate::storage::{from_ms_for_ns, through_ms_for_ns};
        // First and last entries, ns; the key rounds them to ms as Loki's flush does.
        for (first, last) in [
            (1_717_200_000_000_000_000_i64, 1_717_200_000_000_000_000_i64),
            (1_717_200_000_000_000_001, 1_717_200_005_123_456_789),
            (1_717_200_000_999_999_999, 1_717_200_001_000_000_000),
        ] {
            let key = ObjectKey {
                tenant: "t".into(),
                fingerprint: 1,
                from_ms: from_ms_for_ns(first),
                through_ms: through_ms_for_ns(last),
                checksum: 0,
            };
            let r = key.time_range_ns();
            assert!(
                r.contains(&first) && r.contains(&last),
                "{r:?} {first} {last}"
            );
            assert_eq!(r.start % 1_000_000, 0);
            assert_eq!(r.end % 1_000_000, 0);
        }
        let extreme = ObjectKey {
            tenant: "t".into(),
            fingerprint: 1,
            from_ms: i64::MIN,
            through_ms: i64::MAX,
            checksum: 0,
        };
        assert_eq!(extreme.time_range_ns(), i64::MIN..i64::MAX, "saturates");
    }

    #[test]
    fn keys_round_trip_in_both_layouts() {
        let key = ObjectKey {
            tenant: "fake".into(),
            fingerprint: 0x4543_ea21_97bb_7ab4,
            from_ms: 0x18e_283b_edff,
            through_ms: 0x18e_283b_ee49,
            checksum: 0x8130_7248,
        };
        let v12 = key.to_key(KeySchema::V12);
        assert_eq!(
            v12,
            "fake/4543ea2197bb7ab4/18e283bedff:18e283bee49:81307248"
        );
        assert_eq!(key.to_string(), v12);
        let v11 = key.to_key(KeySchema::V11);
        assert_eq!(
            v11,
            "fake/4543ea2197bb7ab4:18e283bedff:18e283bee49:81307248"
        );
        assert_eq!(
            ObjectKey::parse(&v12).unwrap(),
            (key.clone(), KeySchema::V12)
        );
        assert_eq!(
            ObjectKey::parse(&v11).unwrap(),
            (key.clone(), KeySchema::V11)
        );
        for schema in [KeySchema::V11, KeySchema::V12] {
            let path = key.to_fs_path(schema);
            assert_eq!(
                ObjectKey::parse_fs_path(&path).unwrap(),
                (key.clone(), schema)
            );
        }
        let negative = ObjectKey {
            from_ms: -26,
            ..key.clone()
        };
        assert_eq!(
            negative.to_key(KeySchema::V12),
            "fake/4543ea2197bb7ab4/-1a:18e283bee49:81307248"
        );
        assert_eq!(
            ObjectKey::parse(&negative.to_key(KeySchema::V12))
                .unwrap()
                .0,
            negative
        );
    }

    #[test]
    fn bad_keys_are_rejected() {
        for bad in [
            "",
            "fake",
            "/1/2:3:4",
            "../1/2:3:4",
            "./1/2:3:4",
            "a b/1/2:3:4",
            "fake/1/2/3:4:5",
            "fake/xyz/2:3:4",
            "fake/1/2:3",
            "fake/1/2:3:4:5",
            "fake/1/2:3:100000000",
            "fake/1/2:3:",
            "fake/+1/2:3:4",
            "fake/1:2:3",
            "fake/1/8000000000000000:3:4",
        ] {
            assert!(
                matches!(ObjectKey::parse(bad), Err(ChunkError::InvalidKey { .. })),
                "{bad:?}"
            );
        }
        assert!(validate_tenant(&"a".repeat(150)).is_ok());
        assert!(validate_tenant(&"a".repeat(151)).is_err());
        assert!(validate_tenant("tenant-a.b_c!*'()").is_ok());
        assert!(ObjectKey::parse_fs_path("fake/1/not base64").is_err());
        assert!(ObjectKey::parse_fs_path("bm90IGEga2V5").is_err()); // "not a key"
    }
}
