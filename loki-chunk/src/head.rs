//! The head block: entries appended since the last cut, before compression.
//!
//! Entries are stored already encoded as block payload (`varint ts, uvarint len, line`, and in
//! format 5 the metadata section) in one arena, their metadata pairs in another; a slot list,
//! kept sorted by timestamp (equal timestamps in arrival order), points into them. In-order
//! appends push a slot, and cutting such a head compresses the arena as it is, with no
//! re-encoding; an out-of-order append inserts its slot at the binary-searched place, and the
//! cut then concatenates the entries in slot order. Duplicates are found among the slots with
//! the same timestamp. No allocation per entry.

use std::ops::Range;

use crate::block::encode_entry;
use crate::cursor::{put_uvarint, put_varint};
use crate::error::ChunkError;
use crate::format::{HEAD_ORDERED, HEAD_UNORDERED_WITH_METADATA, METADATA_PAIR_ACCOUNTING_BYTES};

#[derive(Debug, Clone)]
struct Slot {
    ts: i64,
    /// The whole encoded entry in `encoded`.
    entry: Range<usize>,
    /// The line within `encoded`.
    line: Range<usize>,
    /// The metadata pairs in `pairs`.
    pairs: Range<usize>,
}

/// Entries by timestamp; equal timestamps keep arrival order.
#[derive(Debug, Clone)]
pub(crate) struct Head {
    format: u8,
    encoded: Vec<u8>,
    pairs: Vec<(u32, u32)>,
    slots: Vec<Slot>,
    /// Slots are in arena order: `encoded` is the block payload as it stands.
    in_arena_order: bool,
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
            encoded: Vec::new(),
            pairs: Vec::new(),
            slots: Vec::new(),
            in_arena_order: true,
            size: 0,
        }
    }

    /// Makes room for `bytes` of encoded entries (a hint; the arena still grows past it).
    pub(crate) fn reserve(&mut self, bytes: usize) {
        self.encoded
            .reserve(bytes.saturating_sub(self.encoded.len()));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    pub(crate) fn size(&self) -> usize {
        self.size
    }

    pub(crate) fn bounds(&self) -> Option<(i64, i64)> {
        Some((self.slots.first()?.ts, self.slots.last()?.ts))
    }

    fn line(&self, slot: &Slot) -> &[u8] {
        self.encoded.get(slot.line.clone()).unwrap_or_default()
    }

    fn slot_pairs(&self, slot: &Slot) -> &[(u32, u32)] {
        self.pairs.get(slot.pairs.clone()).unwrap_or_default()
    }

    /// Appends an entry. The ordered format rejects entries older than its newest one;
    /// unordered formats drop an exact duplicate (same timestamp, line and metadata).
    pub(crate) fn append(
        &mut self,
        ts: i64,
        line: &[u8],
        pairs: &[(u32, u32)],
    ) -> Result<HeadAppend, ChunkError> {
        let newest = self.slots.last().map(|s| s.ts);
        if self.format == HEAD_ORDERED
            && let Some(newest) = newest.filter(|&n| ts < n)
        {
            return Err(ChunkError::OutOfOrder { ts, newest });
        }
        let pairs = if self.format == HEAD_UNORDERED_WITH_METADATA {
            pairs
        } else {
            &[]
        };
        // Slots with this timestamp are `first..end`; a new one goes at `end`.
        let end = if newest.is_none_or(|n| ts >= n) {
            self.slots.len()
        } else {
            self.slots.partition_point(|s| s.ts <= ts)
        };
        if self.format != HEAD_ORDERED && newest.is_some_and(|n| ts <= n) {
            let first = self.slots[..end].partition_point(|s| s.ts < ts);
            let duplicate = self.slots[first..end]
                .iter()
                .any(|s| self.line(s) == line && self.slot_pairs(s) == pairs);
            if duplicate {
                return Ok(HeadAppend::Duplicate);
            }
        }
        self.size += line.len() + pairs.len() * METADATA_PAIR_ACCOUNTING_BYTES;
        let start = self.encoded.len();
        let with_metadata = self.format == HEAD_UNORDERED_WITH_METADATA;
        let line_start = encode_entry(&mut self.encoded, ts, line, pairs, with_metadata);
        let slot = Slot {
            ts,
            entry: start..self.encoded.len(),
            line: line_start..line_start + line.len(),
            pairs: self.pairs.len()..self.pairs.len() + pairs.len(),
        };
        self.pairs.extend_from_slice(pairs);
        if end != self.slots.len() {
            self.in_arena_order = false;
        }
        self.slots.insert(end, slot);
        Ok(HeadAppend::Stored)
    }

    /// Entries in timestamp order (arrival order within a timestamp).
    pub(crate) fn iter(&self) -> impl Iterator<Item = (i64, &[u8], &[(u32, u32)])> {
        self.slots
            .iter()
            .map(|s| (s.ts, self.line(s), self.slot_pairs(s)))
    }

    /// The block payload of the head's entries: the arena itself when entries arrived in
    /// order, otherwise the entries concatenated in time order into `scratch`.
    pub(crate) fn block_payload<'a>(&'a self, scratch: &'a mut Vec<u8>) -> &'a [u8] {
        if self.in_arena_order {
            return &self.encoded;
        }
        scratch.clear();
        scratch.reserve(self.encoded.len());
        for slot in &self.slots {
            scratch.extend_from_slice(self.encoded.get(slot.entry.clone()).unwrap_or_default());
        }
        scratch
    }

    /// The checkpoint form of the head (head formats 3, 4 and 5).
    pub(crate) fn encode_checkpoint(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded.len() + 32);
        out.push(self.format);
        put_uvarint(&mut out, self.slots.len() as u64);
        if self.format == HEAD_ORDERED {
            let (min, max) = self.bounds().unwrap_or((0, 0));
            put_uvarint(&mut out, self.size as u64);
            put_varint(&mut out, min);
            put_varint(&mut out, max);
        }
        for (ts, line, pairs) in self.iter() {
            put_varint(&mut out, ts);
            put_uvarint(&mut out, line.len() as u64);
            out.extend_from_slice(line);
            if self.format == HEAD_UNORDERED_WITH_METADATA {
                put_uvarint(&mut out, pairs.len() as u64);
                for &(n, v) in pairs {
                    put_uvarint(&mut out, u64::from(n));
                    put_uvarint(&mut out, u64::from(v));
                }
            }
        }
        out
    }

    /// Empties the head, keeping its buffers for the next block.
    pub(crate) fn clear(&mut self) {
        self.encoded.clear();
        self.pairs.clear();
        self.slots.clear();
        self.in_arena_order = true;
        self.size = 0;
    }
}

/// Whether `format` is a head format a chunk of `version` may use.
pub(crate) fn valid_head_format(version: u8, format: u8) -> bool {
    use crate::format::HEAD_UNORDERED;
    match version {
        4 => format == HEAD_UNORDERED_WITH_METADATA,
        2 => format == HEAD_ORDERED,
        3 => format == HEAD_ORDERED || format == HEAD_UNORDERED,
        _ => false,
    }
}
