//! The head block: entries appended since the last cut, before compression.

use std::collections::BTreeMap;

use crate::block::encode_entry;
use crate::cursor::{put_uvarint, put_varint};
use crate::error::ChunkError;
use crate::format::{
    HEAD_ORDERED, HEAD_UNORDERED, HEAD_UNORDERED_WITH_METADATA, METADATA_PAIR_ACCOUNTING_BYTES,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HeadEntry {
    pub(crate) line: Vec<u8>,
    pub(crate) pairs: Vec<(u32, u32)>,
}

/// Entries by timestamp; equal timestamps keep arrival order.
#[derive(Debug, Clone)]
pub(crate) struct Head {
    format: u8,
    entries: BTreeMap<i64, Vec<HeadEntry>>,
    count: usize,
    /// Loki's accounting: line bytes, plus 8 per metadata pair in format 5.
    size: usize,
}

/// Result of appending to the head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeadAppend {
    Stored,
    Duplicate,
}

impl Head {
    pub(crate) fn new(format: u8) -> Self {
        Self {
            format,
            entries: BTreeMap::new(),
            count: 0,
            size: 0,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub(crate) fn len(&self) -> usize {
        self.count
    }

    pub(crate) fn size(&self) -> usize {
        self.size
    }

    pub(crate) fn bounds(&self) -> Option<(i64, i64)> {
        Some((
            *self.entries.first_key_value()?.0,
            *self.entries.last_key_value()?.0,
        ))
    }

    pub(crate) fn pair_count(&self) -> usize {
        self.entries.values().flatten().map(|e| e.pairs.len()).sum()
    }

    /// Appends an entry. The ordered format rejects entries older than its newest one;
    /// unordered formats drop an exact duplicate (same timestamp, line and metadata).
    pub(crate) fn append(
        &mut self,
        ts: i64,
        line: &[u8],
        pairs: Vec<(u32, u32)>,
    ) -> Result<HeadAppend, ChunkError> {
        if self.format == HEAD_ORDERED
            && let Some((_, newest)) = self.bounds().filter(|&(_, newest)| ts < newest)
        {
            return Err(ChunkError::OutOfOrder { ts, newest });
        }
        let pairs = if self.format == HEAD_UNORDERED_WITH_METADATA {
            pairs
        } else {
            Vec::new()
        };
        let slot = self.entries.entry(ts).or_default();
        if self.format != HEAD_ORDERED && slot.iter().any(|e| e.line == line && e.pairs == pairs) {
            return Ok(HeadAppend::Duplicate);
        }
        self.size += line.len() + pairs.len() * METADATA_PAIR_ACCOUNTING_BYTES;
        self.count += 1;
        slot.push(HeadEntry {
            line: line.to_vec(),
            pairs,
        });
        Ok(HeadAppend::Stored)
    }

    /// Entries in timestamp order (arrival order within a timestamp).
    pub(crate) fn iter(&self) -> impl Iterator<Item = (i64, &HeadEntry)> {
        self.entries
            .iter()
            .flat_map(|(&ts, list)| list.iter().map(move |e| (ts, e)))
    }

    /// The block payload of the head's entries.
    pub(crate) fn encode_block(&self, with_metadata: bool, out: &mut Vec<u8>) {
        out.clear();
        for (ts, e) in self.iter() {
            encode_entry(out, ts, &e.line, &e.pairs, with_metadata);
        }
    }

    /// The checkpoint form of the head (head formats 3, 4 and 5).
    pub(crate) fn encode_checkpoint(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.size + 16 * self.count + 32);
        out.push(self.format);
        put_uvarint(&mut out, self.count as u64);
        if self.format == HEAD_ORDERED {
            let (min, max) = self.bounds().unwrap_or((0, 0));
            put_uvarint(&mut out, self.size as u64);
            put_varint(&mut out, min);
            put_varint(&mut out, max);
        }
        for (ts, e) in self.iter() {
            put_varint(&mut out, ts);
            put_uvarint(&mut out, e.line.len() as u64);
            out.extend_from_slice(&e.line);
            if self.format == HEAD_UNORDERED_WITH_METADATA {
                put_uvarint(&mut out, e.pairs.len() as u64);
                for &(n, v) in &e.pairs {
                    put_uvarint(&mut out, u64::from(n));
                    put_uvarint(&mut out, u64::from(v));
                }
            }
        }
        out
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.count = 0;
        self.size = 0;
    }
}

/// Whether `format` is a head format a chunk of `version` may use.
pub(crate) fn valid_head_format(version: u8, format: u8) -> bool {
    match version {
        4 => format == HEAD_UNORDERED_WITH_METADATA,
        2 => format == HEAD_ORDERED,
        3 => format == HEAD_ORDERED || format == HEAD_UNORDERED,
        _ => false,
    }
}
