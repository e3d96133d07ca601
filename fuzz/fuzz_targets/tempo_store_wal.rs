//! tempo-store's WAL segments from untrusted bytes: header, record frames and checksums, and
//! each record's spans decoded and split by trace, as replay reads them.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tempo_store::fuzzing::wal_segment(data));
