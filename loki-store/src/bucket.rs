//! The object storage chunks and index files go to: the workspace's [`Backend`] trait, the
//! one the trace store uses too (a local folder by default; S3, GCS and Azure behind this
//! crate's features of the same names).

pub use store_bucket::{Backend, BucketError, ObjectStoreBackend};
