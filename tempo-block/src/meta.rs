//! Temporary: replaced by the full block-metadata module.
#![allow(missing_docs, reason = "temporary")]

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DedicatedScope {
    Resource,
    Span,
    Event,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DedicatedType {
    String,
    Int,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DedicatedOptions {
    pub array: bool,
    pub blob: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DedicatedColumn {
    pub scope: DedicatedScope,
    pub name: String,
    pub kind: DedicatedType,
    pub options: DedicatedOptions,
}

impl DedicatedColumn {
    pub fn default_list() -> Vec<Self> {
        let c = |scope, name: &str, kind| DedicatedColumn {
            scope,
            name: name.to_string(),
            kind,
            options: DedicatedOptions::default(),
        };
        use DedicatedScope::{Resource, Span};
        use DedicatedType::{Int, String};
        vec![
            c(Resource, "k8s.cluster.name", String),
            c(Resource, "k8s.namespace.name", String),
            c(Resource, "k8s.pod.name", String),
            c(Resource, "k8s.container.name", String),
            c(Span, "http.request.method", String),
            c(Span, "http.response.status_code", Int),
            c(Span, "url.path", String),
            c(Span, "url.route", String),
            c(Span, "server.address", String),
            c(Span, "server.port", Int),
            c(Span, "http.method", String),
            c(Span, "http.url", String),
            c(Span, "http.route", String),
            c(Span, "http.status_code", Int),
        ]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    VParquet4,
    VParquet5,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BlockMeta {
    pub version: Version,
    pub block_id: uuid::Uuid,
    pub tenant_id: String,
    pub start_time: chrono::DateTime<chrono::Utc>,
    pub end_time: chrono::DateTime<chrono::Utc>,
    pub total_objects: u64,
    pub size: u64,
    pub compaction_level: u32,
    pub index_page_size: u32,
    pub total_records: u32,
    pub bloom_shards: u32,
    pub footer_size: u32,
    pub dedicated_columns: Vec<DedicatedColumn>,
    pub replication_factor: u32,
}
