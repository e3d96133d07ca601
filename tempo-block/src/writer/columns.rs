//! The column chunks of the row group being written, fed while traces arrive.
//!
//! Each leaf column has a Parquet column writer for the whole row group. Shredded values and
//! levels are staged in the leaf's [`ColBuf`] and handed to the column writer every few
//! thousand spans, so the row group is held encoded and compressed, not as levels and values.
//!
//! The bytes are the same as if the whole row group were given to each column writer in one
//! `write_batch` call: that call cuts its input into mini-batches of `write_batch_size`
//! levels, each extended to the next record start (`rep == 0`), and decides page and
//! dictionary cuts after each mini-batch. A feed here passes only whole mini-batches of that
//! grid — it stops before a mini-batch whose end (or record boundary) is not staged yet — so
//! the column writer sees exactly the mini-batches of the single call. The row group's last
//! feed passes the rest.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use parquet::column::page::{CompressedPage, PageWriteSpec, PageWriter};
use parquet::column::writer::{ColumnCloseResult, ColumnWriter, get_column_writer};
use parquet::data_type::ByteArray;
use parquet::errors::{ParquetError, Result};
use parquet::file::properties::WriterPropertiesPtr;
use parquet::file::writer::{SerializedPageWriter, TrackedWrite};
use parquet::schema::types::ColumnDescPtr;

use super::chunk::{self, FastWriter};
use super::values::Values;
use crate::shred::{ColBuf, Data};

/// A growing column chunk, shared between its page writer and whoever closes the column.
///
/// The bytes are kept in parts that never move (a part is full before the next is begun), so
/// a chunk grows without reallocating and copying what it holds; parts start small and grow
/// with the chunk, so a column of a few values costs a few KiB.
#[derive(Clone, Default)]
struct ChunkBytes(Arc<Mutex<Parts>>);

#[derive(Default)]
struct Parts {
    parts: Vec<Vec<u8>>,
    len: usize,
}

/// The smallest and largest new part.
const MIN_PART: usize = 4096;
const MAX_PART: usize = 1 << 20;

impl ChunkBytes {
    fn take(&self) -> Chunk {
        let parts = std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner));
        Chunk {
            len: parts.len as u64,
            parts: parts.parts.into_iter().map(Bytes::from).collect(),
        }
    }

    fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).len
    }
}

impl Write for ChunkBytes {
    fn write(&mut self, mut buf: &[u8]) -> std::io::Result<usize> {
        let n = buf.len();
        let mut p = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        p.len += n;
        while !buf.is_empty() {
            let room = p
                .parts
                .last()
                .map_or(0, |last| last.capacity() - last.len());
            if room == 0 {
                let size = (p.len - n).clamp(MIN_PART, MAX_PART);
                p.parts.push(Vec::with_capacity(size));
                continue;
            }
            let (now, later) = buf.split_at(room.min(buf.len()));
            if let Some(last) = p.parts.last_mut() {
                last.extend_from_slice(now);
            }
            buf = later;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A closed column chunk's bytes, read back in order when spliced into the row group.
#[derive(Debug, Clone)]
pub(super) struct Chunk {
    parts: Vec<Bytes>,
    len: u64,
}

impl parquet::file::reader::Length for Chunk {
    fn len(&self) -> u64 {
        self.len
    }
}

impl parquet::file::reader::ChunkReader for Chunk {
    type T = ChunkRead;

    fn get_read(&self, start: u64) -> Result<ChunkRead> {
        let mut read = ChunkRead {
            parts: self.parts.clone().into(),
        };
        let mut skip = start;
        while let Some(front) = read.parts.front_mut() {
            let len = front.len() as u64;
            if skip < len {
                let _ = front.split_to(usize::try_from(skip).unwrap_or(usize::MAX));
                break;
            }
            skip -= len;
            read.parts.pop_front();
        }
        Ok(read)
    }

    fn get_bytes(&self, start: u64, length: usize) -> Result<Bytes> {
        let mut out = Vec::with_capacity(length);
        let mut read = self.get_read(start)?;
        std::io::Read::read_to_end(&mut std::io::Read::take(&mut read, length as u64), &mut out)?;
        if out.len() < length {
            return Err(ParquetError::EOF(format!(
                "column chunk of {} bytes has no {length} bytes at {start}",
                self.len
            )));
        }
        Ok(Bytes::from(out))
    }
}

/// Reads a [`Chunk`]'s parts in order.
#[derive(Debug)]
pub(super) struct ChunkRead {
    parts: std::collections::VecDeque<Bytes>,
}

impl std::io::Read for ChunkRead {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while let Some(front) = self.parts.front_mut() {
            if front.is_empty() {
                self.parts.pop_front();
                continue;
            }
            let n = front.len().min(buf.len());
            buf[..n].copy_from_slice(&front.split_to(n));
            return Ok(n);
        }
        Ok(0)
    }
}

/// Serializes pages into a [`ChunkBytes`] the page writer owns (the Parquet crate's
/// `SerializedPageWriter` borrows its sink, which a column writer kept across calls cannot).
struct ChunkPages {
    sink: TrackedWrite<ChunkBytes>,
}

impl PageWriter for ChunkPages {
    fn write_page(&mut self, page: CompressedPage) -> Result<PageWriteSpec> {
        SerializedPageWriter::new(&mut self.sink).write_page(page)
    }

    fn close(&mut self) -> Result<()> {
        self.sink.flush()?;
        Ok(())
    }
}

/// The column writer of a leaf: this crate's where it reproduces the Parquet crate's (see
/// [`super::chunk`]), the crate's otherwise.
enum Writer {
    Fast(FastWriter),
    Parquet(Box<ColumnWriter<'static>>),
}

/// One leaf's column writer for the current row group.
pub(super) struct ColumnSink {
    writer: Writer,
    chunk: ChunkBytes,
    /// Reused for the values of byte-array feeds to the crate's writer.
    values: Vec<ByteArray>,
}

impl ColumnSink {
    /// A sink writing with this crate's column writer when `own` and it supports the column
    /// (see [`chunk::supported`]), else with the Parquet crate's.
    pub(super) fn new(descr: &ColumnDescPtr, props: &WriterPropertiesPtr, own: bool) -> Self {
        let chunk = ChunkBytes::default();
        let pages: Box<dyn PageWriter> = Box::new(ChunkPages {
            sink: TrackedWrite::new(chunk.clone()),
        });
        let pages = if own {
            chunk::supported(descr, props, pages)
        } else {
            Err(pages)
        };
        let writer = match pages {
            Ok(fast) => Writer::Fast(fast),
            Err(pages) => Writer::Parquet(Box::new(get_column_writer(
                Arc::clone(descr),
                Arc::clone(props),
                pages,
            ))),
        };
        Self {
            writer,
            chunk,
            values: Vec::new(),
        }
    }

    /// Bytes of pages written to the chunk so far (a dictionary column's data pages are held
    /// by its writer until it closes, and are not counted).
    pub(super) fn written_bytes(&self) -> usize {
        self.chunk.len()
    }

    /// Feeds the staged whole mini-batches of `buf` (every staged entry when `last`) to the
    /// column writer and drops them from `buf`.
    pub(super) fn feed(
        &mut self,
        descr: &ColumnDescPtr,
        buf: &mut ColBuf,
        batch: usize,
        last: bool,
    ) -> Result<()> {
        let (max_def, max_rep) = (descr.max_def_level(), descr.max_rep_level());
        let levels = if last {
            buf.def.len()
        } else {
            ready_levels(&buf.rep, max_rep > 0, batch)
        };
        if levels == 0 {
            return Ok(());
        }
        let count = if max_def > 0 {
            // A sum of comparisons, which vectorises (a filtered count does not).
            buf.def[..levels]
                .iter()
                .map(|&d| usize::from(d == max_def))
                .sum()
        } else {
            levels
        };
        let (def, rep) = (&buf.def[..levels], &buf.rep[..levels]);
        let written = match &mut self.writer {
            Writer::Fast(w) => feed_own(w, def, rep, &buf.data, count),
            Writer::Parquet(w) => {
                let def = (max_def > 0).then_some(def);
                let rep = (max_rep > 0).then_some(rep);
                feed_parquet(w, &mut self.values, def, rep, &buf.data, count)
            }
        };
        let written = written?.ok_or_else(|| {
            ParquetError::General(format!(
                "column {}: buffer and column types differ",
                descr.path()
            ))
        })?;
        if written != count {
            return Err(ParquetError::General(format!(
                "column {}: {count} values staged, {written} written",
                descr.path()
            )));
        }
        buf.consume(levels, count);
        Ok(())
    }

    /// Closes the column chunk: its bytes and what the row group needs to splice them in.
    pub(super) fn close(self) -> Result<(Chunk, ColumnCloseResult)> {
        let close = match self.writer {
            Writer::Fast(w) => w.close()?,
            Writer::Parquet(w) => (*w).close()?,
        };
        Ok((self.chunk.take(), close))
    }
}

/// Writes the first `count` staged values with this crate's column writer; `None` when
/// the buffer's type is not the writer's.
fn feed_own(
    w: &mut FastWriter,
    def: &[i16],
    rep: &[i16],
    data: &Data,
    count: usize,
) -> Result<Option<usize>> {
    Ok(Some(match (data, w) {
        (Data::Bytes { buf, ends }, FastWriter::Bytes(w)) => w.write(
            def,
            rep,
            Values {
                data: buf,
                ends: &ends[..count],
            },
        )?,
        (Data::I32(v), FastWriter::I32(w)) => w.write(def, rep, &v[..count])?,
        (Data::I64(v), FastWriter::I64(w)) => w.write(def, rep, &v[..count])?,
        (Data::F64(v), FastWriter::F64(w)) => w.write(def, rep, &v[..count])?,
        (Data::Bool(v), FastWriter::Bool(w)) => w.write(def, rep, &v[..count])?,
        _ => return Ok(None),
    }))
}

/// Writes the first `count` staged values with the Parquet crate's column writer (byte
/// arrays through `scratch`); `None` when the buffer's type is not the writer's.
fn feed_parquet(
    w: &mut ColumnWriter<'static>,
    scratch: &mut Vec<ByteArray>,
    def: Option<&[i16]>,
    rep: Option<&[i16]>,
    data: &Data,
    count: usize,
) -> Result<Option<usize>> {
    Ok(Some(match (data, w) {
        (Data::Bytes { buf, ends }, ColumnWriter::ByteArrayColumnWriter(w)) => {
            // The column writer may keep values (its dictionary): they share a copy of the
            // staged bytes, not the staging buffer.
            let end = if count == 0 { 0 } else { ends[count - 1] };
            let all = Bytes::copy_from_slice(&buf[..end]);
            let mut start = 0;
            scratch.extend(ends[..count].iter().map(|&e| {
                let v = if e == start {
                    empty()
                } else {
                    ByteArray::from(all.slice(start..e))
                };
                start = e;
                v
            }));
            let written = w.write_batch(scratch, def, rep);
            scratch.clear();
            written?
        }
        (Data::I32(v), ColumnWriter::Int32ColumnWriter(w)) => {
            w.write_batch(&v[..count], def, rep)?
        }
        (Data::I64(v), ColumnWriter::Int64ColumnWriter(w)) => {
            w.write_batch(&v[..count], def, rep)?
        }
        (Data::F64(v), ColumnWriter::DoubleColumnWriter(w)) => {
            w.write_batch(&v[..count], def, rep)?
        }
        (Data::Bool(v), ColumnWriter::BoolColumnWriter(w)) => {
            w.write_batch(&v[..count], def, rep)?
        }
        _ => return Ok(None),
    }))
}

/// An empty value whose pointer is a real address.
///
/// `Bytes::slice` and `Bytes::new` give an empty value the dangling address 1, and the
/// Parquet crate compares values (statistics, dictionary) with `memcmp`, whose vector
/// implementations do a masked load at that address even for length 0: on unmapped memory
/// each such compare costs a fault-suppression assist, about 80 ns instead of 3 (an empty
/// `TraceState` column took 40 ms per 200,000 spans).
fn empty() -> ByteArray {
    static MAPPED: [u8; 1] = [0];
    ByteArray::from(Bytes::from_static(&MAPPED[..0]))
}

/// How many staged levels form whole mini-batches of the `batch`-level grid that one
/// `write_batch` over the whole row group would use: each mini-batch ends `batch` levels after
/// its start, extended to the next record start when the column repeats. A mini-batch whose
/// end is not staged yet (or, for a repeated column, whose next record start is not) waits.
fn ready_levels(rep: &[i16], repeated: bool, batch: usize) -> usize {
    let n = rep.len();
    let mut ready = 0;
    loop {
        let mut end = ready + batch;
        if repeated {
            if end >= n {
                return ready;
            }
            while end < n && rep[end] != 0 {
                end += 1;
            }
            if end == n {
                return ready;
            }
        } else if end > n {
            return ready;
        }
        ready = end;
    }
}

#[cfg(test)]
mod tests {
    use super::ready_levels;

    #[test]
    fn ready_levels_follow_the_single_call_grid() {
        // Unrepeated: whole batches only.
        assert_eq!(ready_levels(&[0; 9], false, 4), 8);
        assert_eq!(ready_levels(&[0; 8], false, 4), 8);
        assert_eq!(ready_levels(&[0; 3], false, 4), 0);
        // Repeated: a batch ends at the next record start at or after `batch` levels, and
        // only once that record start is staged.
        let rep = [0, 1, 1, 1, 1, 0, 1, 0, 1, 1];
        assert_eq!(ready_levels(&rep, true, 2), 7);
        assert_eq!(ready_levels(&rep, true, 5), 5);
        assert_eq!(ready_levels(&rep[..5], true, 2), 0);
        assert_eq!(ready_levels(&rep[..6], true, 2), 5);
        assert_eq!(ready_levels(&rep, true, 10), 0);
    }
}
