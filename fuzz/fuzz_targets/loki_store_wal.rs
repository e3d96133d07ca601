//! loki-store's WAL segments from untrusted bytes: header, record frames and checksums, and
//! each record's streams and entries, as replay reads them.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| loki_store::fuzzing::wal_segment(data));
