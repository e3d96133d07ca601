//! Log entries as the reader returns them and the writer takes them.

use crate::symbols::SymbolTable;

/// One log entry, owned.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Entry {
    /// Timestamp, nanoseconds since the Unix epoch.
    pub ts: i64,
    /// The log line, as stored (Loki does not validate UTF-8).
    pub line: Vec<u8>,
    /// Structured metadata `(name, value)` pairs. When read from a chunk, names are normalised
    /// and the pairs sorted by normalised name, as Loki's reader returns them (see
    /// [`crate::symbols::normalize_name`]); when written, the order given does not matter
    /// (the writer sorts by name, as Loki's does).
    pub structured_metadata: Vec<(String, String)>,
}

impl Entry {
    /// An entry without structured metadata.
    pub fn new(ts: i64, line: impl Into<Vec<u8>>) -> Self {
        Self {
            ts,
            line: line.into(),
            structured_metadata: Vec::new(),
        }
    }

    /// An entry with structured metadata.
    pub fn with_metadata(
        ts: i64,
        line: impl Into<Vec<u8>>,
        metadata: impl IntoIterator<Item = (impl Into<String>, impl Into<String>)>,
    ) -> Self {
        Self {
            ts,
            line: line.into(),
            structured_metadata: metadata
                .into_iter()
                .map(|(n, v)| (n.into(), v.into()))
                .collect(),
        }
    }
}

/// One log entry borrowed from a decoded block: nothing is copied until
/// [`EntryRef::to_entry`].
#[derive(Debug, Clone, Copy)]
pub struct EntryRef<'a> {
    /// Timestamp, nanoseconds since the Unix epoch.
    pub ts: i64,
    /// The log line, as stored.
    pub line: &'a [u8],
    pub(crate) pairs: &'a [(u32, u32)],
    pub(crate) symbols: &'a SymbolTable,
}

impl<'a> EntryRef<'a> {
    /// Structured metadata `(name, value)` pairs as Loki's reader returns them: names
    /// normalised, pairs sorted by normalised name.
    pub fn structured_metadata(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let symbols = self.symbols;
        // References were checked against the table when the block was decoded.
        self.pairs.iter().map(move |&(n, v)| {
            (
                symbols.name(n).unwrap_or_default(),
                symbols.get(v).unwrap_or_default(),
            )
        })
    }

    /// Number of structured-metadata pairs.
    pub fn metadata_len(&self) -> usize {
        self.pairs.len()
    }

    /// Copies the entry.
    pub fn to_entry(&self) -> Entry {
        Entry {
            ts: self.ts,
            line: self.line.to_vec(),
            structured_metadata: self
                .structured_metadata()
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
                .collect(),
        }
    }
}

/// Iteration order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Ascending timestamps; equal timestamps in arrival order.
    #[default]
    Forward,
    /// Descending timestamps; equal timestamps in reverse arrival order.
    Backward,
}
