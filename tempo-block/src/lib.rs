//! Grafana Tempo's Parquet trace blocks.
//!
//! This crate writes vParquet5 blocks and reads vParquet4 and vParquet5 blocks, with their
//! `meta.json`, bloom shards (through the `bloom` crate), backend layout and lookups.
#![forbid(unsafe_code)]

mod error;

pub use error::{BlockError, Result};
