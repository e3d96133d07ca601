//! Which tenant a request belongs to, as Loki's HTTP middleware and `tenant` package decide:
//! `X-Scope-OrgID` when `auth_enabled`, `fake` otherwise; several tenants joined by `|` for
//! queries when `querier.multi_tenant_queries_enabled`.

use axum::http::{HeaderMap, StatusCode};

use super::config::FAKE_TENANT;

/// The header naming the tenant.
pub const ORG_ID_HEADER: &str = "x-scope-orgid";

/// What Loki answers (401) when the header is missing.
pub const NO_ORG_ID: &str = "no org id";

/// dskit's refusal of a push or single-tenant request naming several tenants.
pub const TOO_MANY_ORG_IDS: &str = "multiple org IDs present";

/// Longest tenant ID (dskit's `MaxTenantIDLength`).
pub const MAX_TENANT_ID_LENGTH: usize = 150;

/// Why a request has no usable tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantError {
    /// Authentication is on and the request names no tenant (401).
    Missing,
    /// The header does not name tenants Loki accepts (400); the message is dskit's.
    Invalid(String),
}

impl TenantError {
    /// Loki's status for the error.
    pub fn status(&self) -> StatusCode {
        match self {
            TenantError::Missing => StatusCode::UNAUTHORIZED,
            TenantError::Invalid(_) => StatusCode::BAD_REQUEST,
        }
    }
}

impl std::fmt::Display for TenantError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TenantError::Missing => f.write_str(NO_ORG_ID),
            TenantError::Invalid(why) => f.write_str(why),
        }
    }
}

/// How tenants are told, shared by every route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantPolicy {
    auth_enabled: bool,
    multi_tenant_queries: bool,
}

impl TenantPolicy {
    /// The policy for `auth_enabled` and `querier.multi_tenant_queries_enabled`.
    pub const fn new(auth_enabled: bool, multi_tenant_queries: bool) -> Self {
        Self {
            auth_enabled,
            multi_tenant_queries,
        }
    }

    /// Whether requests must name their tenant.
    pub const fn auth_enabled(self) -> bool {
        self.auth_enabled
    }

    /// The one tenant of a push (or a tail): `fake` without authentication; with it, the
    /// header's tenant (naming the same tenant several times is allowed, as in dskit).
    ///
    /// # Errors
    ///
    /// [`TenantError::Missing`] without a header; [`TenantError::Invalid`] for an ID Loki
    /// refuses or several different tenants.
    pub fn single(self, headers: &HeaderMap) -> Result<String, TenantError> {
        let mut tenants = self.parse(headers)?;
        match tenants.len() {
            1 => Ok(tenants.remove(0)),
            _ => Err(TenantError::Invalid(TOO_MANY_ORG_IDS.to_owned())),
        }
    }

    /// The tenants of a query, sorted and without duplicates: `[fake]` without
    /// authentication.
    ///
    /// # Errors
    ///
    /// As [`single`](Self::single); several tenants are refused unless multi-tenant
    /// queries are on.
    pub fn query(self, headers: &HeaderMap) -> Result<Vec<String>, TenantError> {
        let tenants = self.parse(headers)?;
        if tenants.len() > 1 && !self.multi_tenant_queries {
            return Err(TenantError::Invalid(TOO_MANY_ORG_IDS.to_owned()));
        }
        Ok(tenants)
    }

    fn parse(self, headers: &HeaderMap) -> Result<Vec<String>, TenantError> {
        if !self.auth_enabled {
            return Ok(vec![FAKE_TENANT.to_owned()]);
        }
        let value = headers
            .get(ORG_ID_HEADER)
            .map(axum::http::HeaderValue::as_bytes)
            .filter(|v| !v.is_empty())
            .ok_or(TenantError::Missing)?;
        let text = std::str::from_utf8(value)
            .map_err(|_| TenantError::Invalid("tenant ID is not UTF-8".to_owned()))?;
        parse_tenant_ids(text).map_err(TenantError::Invalid)
    }
}

/// The tenants of an `X-Scope-OrgID` value (`a|b`), each checked as dskit checks them,
/// sorted and deduplicated.
///
/// # Errors
///
/// dskit's message for the first ID it refuses.
pub fn parse_tenant_ids(value: &str) -> Result<Vec<String>, String> {
    let mut ids = Vec::new();
    for id in value.split('|') {
        validate_tenant_id(id)?;
        ids.push(id.to_owned());
    }
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// dskit's tenant ID rules: `[a-zA-Z0-9!-_.*'()]`, at most 150 bytes, not `.` or `..`.
///
/// # Errors
///
/// dskit's message.
pub fn validate_tenant_id(id: &str) -> Result<(), String> {
    if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "!-_.*'()".contains(*c)))
    {
        return Err(format!(
            "tenant ID '{id}' contains unsupported character '{c}'"
        ));
    }
    if id.len() > MAX_TENANT_ID_LENGTH {
        return Err(format!(
            "tenant ID is too long: max {MAX_TENANT_ID_LENGTH} characters"
        ));
    }
    if id == "." || id == ".." {
        return Err("tenant ID is '.' or '..'".to_owned());
    }
    // An empty ID between two `|` is no ID at all.
    if id.is_empty() {
        return Err(NO_ORG_ID.to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is how a failure is reported

    use axum::http::HeaderValue;

    use super::*;

    fn headers(value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("X-Scope-OrgID", HeaderValue::from_static(value));
        h
    }

    #[test]
    fn tenants_as_loki_reads_them() {
        let off = TenantPolicy::new(false, false);
        assert_eq!(off.single(&HeaderMap::new()).as_deref(), Ok(FAKE_TENANT));
        assert_eq!(off.single(&headers("other")).as_deref(), Ok(FAKE_TENANT));
        let on = TenantPolicy::new(true, false);
        assert_eq!(on.single(&HeaderMap::new()), Err(TenantError::Missing));
        assert_eq!(on.single(&headers("")), Err(TenantError::Missing));
        assert_eq!(on.single(&headers("team-a")).as_deref(), Ok("team-a"));
        assert_eq!(on.single(&headers("a|a")).as_deref(), Ok("a"));
        assert_eq!(
            on.single(&headers("a|b")),
            Err(TenantError::Invalid(TOO_MANY_ORG_IDS.into()))
        );
        assert_eq!(
            on.query(&headers("a|b")),
            Err(TenantError::Invalid(TOO_MANY_ORG_IDS.into()))
        );
        let multi = TenantPolicy::new(true, true);
        assert_eq!(
            multi.query(&headers("b|a|b")).unwrap(),
            vec!["a".to_owned(), "b".to_owned()]
        );
        assert_eq!(
            on.single(&headers("a/b")),
            Err(TenantError::Invalid(
                "tenant ID 'a/b' contains unsupported character '/'".into()
            ))
        );
        assert!(matches!(
            on.single(&headers("..")),
            Err(TenantError::Invalid(_))
        ));
        assert_eq!(TenantError::Missing.status(), StatusCode::UNAUTHORIZED);
    }
}
