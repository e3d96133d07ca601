//! The write-ahead log: [`store_wal`]'s segments and group commit, with this store's record
//! payload ([`format`](mod@format)).
//!
//! Persist policy: a push's record is written and the segment synced (`fdatasync`) before the
//! push is acknowledged; records that arrive while a sync runs share the next one (group
//! commit; a push announces its record with [`store_wal::Wal::intend`] before it checks and
//! encodes it). After a failed write or sync the log refuses every further append. Segments
//! are rotated when the background cycle closes chunks, and removed once every entry that
//! had a record in them is in a flushed chunk named by a stored index file.

pub mod format;

use std::path::Path;

pub(crate) use store_wal::Wal;
pub use store_wal::{Damage, ReplayReport, TornTail};

use crate::error::StoreError;
use format::EntriesRecord;

/// Opens the log in `dir` with its first segment `first_sequence`.
pub(crate) fn open(dir: &Path, first_sequence: u64) -> Result<Wal, StoreError> {
    Ok(Wal::open(dir, format::MAGIC, first_sequence)?)
}

/// Replays every segment in `dir`, calling `apply` for each entries record (see
/// [`store_wal::replay`]); a record whose payload does not decode is damage.
pub(crate) fn replay(
    dir: &Path,
    mut apply: impl FnMut(u64, EntriesRecord<'_>) -> Result<(), String>,
) -> Result<ReplayReport, StoreError> {
    Ok(store_wal::replay(
        dir,
        format::MAGIC,
        |segment, payload| {
            let record =
                format::decode_payload(payload).map_err(|e| format!("segment {segment}: {e}"))?;
            apply(segment, record)
        },
    )?)
}
