//! Which tenant a request belongs to: `X-Scope-OrgID` (HTTP) or `x-scope-orgid` (gRPC
//! metadata) when multitenancy is on, `single-tenant` otherwise, as in Tempo.

use axum::http::{HeaderMap, HeaderValue};

use super::config::SINGLE_TENANT;

/// The header (and gRPC metadata key) naming the tenant.
pub const ORG_ID_HEADER: &str = "x-scope-orgid";

/// What dskit answers (401 on HTTP, `Unauthenticated` on gRPC) when the header is missing.
pub const NO_ORG_ID: &str = "no org id";

/// Why a request has no usable tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantError {
    /// Multitenancy is on and the request names no tenant.
    Missing,
    /// The tenant ID is not one Tempo accepts; the message says why.
    Invalid(String),
}

impl std::fmt::Display for TenantError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TenantError::Missing => f.write_str(NO_ORG_ID),
            TenantError::Invalid(why) => f.write_str(why),
        }
    }
}

/// How tenants are told, shared by every listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantPolicy {
    multitenancy: bool,
}

impl TenantPolicy {
    /// The policy for `multitenancy_enabled`.
    pub const fn new(multitenancy_enabled: bool) -> Self {
        Self {
            multitenancy: multitenancy_enabled,
        }
    }

    /// Whether requests must name their tenant.
    pub const fn multitenancy(self) -> bool {
        self.multitenancy
    }

    /// The tenant of a request whose header value (HTTP header or gRPC metadata) is `value`.
    /// With multitenancy off the header is ignored, as Tempo ignores it.
    ///
    /// # Errors
    ///
    /// [`TenantError::Missing`] for a missing or empty value with multitenancy on;
    /// [`TenantError::Invalid`] for an ID the store refuses (length, characters).
    pub fn resolve(self, value: Option<&[u8]>) -> Result<String, TenantError> {
        if !self.multitenancy {
            return Ok(SINGLE_TENANT.to_owned());
        }
        let value = value
            .filter(|v| !v.is_empty())
            .ok_or(TenantError::Missing)?;
        let tenant = std::str::from_utf8(value)
            .map_err(|_| TenantError::Invalid("tenant ID is not UTF-8".to_owned()))?;
        tempo_store::validate_tenant_id(tenant).map_err(|e| TenantError::Invalid(e.to_string()))?;
        Ok(tenant.to_owned())
    }

    /// The tenant of an HTTP request.
    ///
    /// # Errors
    ///
    /// As [`resolve`](Self::resolve).
    pub fn from_headers(self, headers: &HeaderMap) -> Result<String, TenantError> {
        self.resolve(headers.get(ORG_ID_HEADER).map(HeaderValue::as_bytes))
    }

    /// The tenant of a gRPC request.
    ///
    /// # Errors
    ///
    /// As [`resolve`](Self::resolve).
    pub fn from_metadata(
        self,
        metadata: &tonic::metadata::MetadataMap,
    ) -> Result<String, TenantError> {
        self.resolve(
            metadata
                .get(ORG_ID_HEADER)
                .map(tonic::metadata::MetadataValue::as_bytes),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenants() {
        let single = TenantPolicy::new(false);
        assert_eq!(single.resolve(None).as_deref(), Ok(SINGLE_TENANT));
        assert_eq!(single.resolve(Some(b"other")).as_deref(), Ok(SINGLE_TENANT));
        let multi = TenantPolicy::new(true);
        assert_eq!(multi.resolve(None), Err(TenantError::Missing));
        assert_eq!(multi.resolve(Some(b"")), Err(TenantError::Missing));
        assert_eq!(multi.resolve(Some(b"team-a")).as_deref(), Ok("team-a"));
        assert!(matches!(
            multi.resolve(Some(b"a/b")),
            Err(TenantError::Invalid(_))
        ));
        assert!(matches!(
            multi.resolve(Some(b"\xff")),
            Err(TenantError::Invalid(_))
        ));
        let mut headers = HeaderMap::new();
        headers.insert("X-Scope-OrgID", HeaderValue::from_static("t1"));
        assert_eq!(multi.from_headers(&headers).as_deref(), Ok("t1"));
    }
}
