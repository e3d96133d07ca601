//! Grafana Tempo's Parquet trace blocks.
//!
//! This crate will write vParquet5 blocks and read vParquet4 and vParquet5 blocks, with their
//! `meta.json`, bloom shards (through the `bloom` crate), backend layout and lookups. So far it
//! defines its error type; the schema, writer and reader land with their compatibility tests.
//!
//! ```
//! use tempo_block::BlockError;
//! let err = BlockError::UnsupportedVersion { found: "vParquet5-preview5".into() };
//! assert!(err.to_string().contains("vParquet5-preview5"));
//! ```
#![forbid(unsafe_code)]

mod error;

pub use error::BlockError;
