//! loki-store's index files from untrusted bytes: header, sections, checksum, streams and
//! chunk references.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| loki_store::fuzzing::index_file(data));
