//! Grafana Loki's chunk format.
#![forbid(unsafe_code)]

pub mod block;
pub mod codec;
pub(crate) mod cursor;
pub mod entry;
pub mod error;
pub mod format;
pub(crate) mod head;
pub mod reader;
pub mod symbols;
pub mod writer;

pub use block::BlockMeta;
pub use codec::Codec;
pub use entry::{Direction, Entry, EntryRef};
pub use error::{ChunkError, Section};
pub use reader::{Chunk, LineFilter, Query, SkippedBlock};
pub use writer::{Appended, ChunkWriter, WriterOptions};
