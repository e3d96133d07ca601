//! Bloom filters for trace-ID lookup.
//!
//! Two filters live here:
//!
//! * [`tempo`]: Grafana Tempo's sharded bloom filter, read and written byte for byte. Every
//!   Tempo block carries `bloom-0 .. bloom-<n-1>` objects; this module sizes them as Tempo
//!   does ([`tempo::TempoBloomParams`]), builds them ([`tempo::ShardedBloom`]) and tests
//!   membership directly over a fetched shard's bytes ([`tempo::ShardView`]), so an uncached
//!   lookup costs one fetch and `k` byte reads.
//! * [`Sbbf`]: a split-block bloom filter (Parquet's block layout, xxHash64) with a versioned,
//!   checksummed serialisation, for this project's own indexes. One lookup reads one 32-byte
//!   block.
//!
//! Decoding never panics on hostile bytes: every header field is range-checked before use and
//! errors name the field, its offset and the expected and found values ([`BloomError`]). The
//! byte layouts are documented once, in [`format`](mod@format).
//!
//! # Example
//!
//! Build the shards of a block holding two trace IDs, then answer a lookup from the encoded
//! `bloom-<i>` object alone:
//!
//! ```
//! use bloom::tempo::{ShardView, ShardedBloom, TempoBloomParams, TraceKey};
//!
//! let ids = [[0xabu8; 16], [0x01u8; 16]];
//! let params = TempoBloomParams::new(0.01, 102_400, ids.len() as u64)?;
//! let mut filter = ShardedBloom::new(params);
//! for id in &ids {
//!     filter.insert(id);
//! }
//! let objects = filter.encode_shards(); // what Tempo stores as bloom-0, bloom-1, ...
//!
//! // Lookup: hash once, pick the shard, test it in place.
//! let key = TraceKey::new(&ids[0]);
//! let shard = ShardView::parse(objects[key.shard_index(objects.len())].as_slice())?;
//! assert!(shard.contains_key(&key));
//! # Ok::<(), bloom::BloomError>(())
//! ```
#![forbid(unsafe_code)]

pub mod error;
pub mod format;
#[doc(hidden)]
pub mod fuzzing;
pub mod sbbf;
pub mod tempo;

pub use error::{BloomError, Format};
pub use sbbf::Sbbf;
