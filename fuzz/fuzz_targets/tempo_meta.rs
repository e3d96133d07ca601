//! Tempo block metadata from untrusted bytes: meta.json, meta.compacted.json, dedicated-column
//! lists and tenant indexes (JSON, protobuf, gzip, zstd), with re-encode round trips.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tempo_block::fuzzing::tempo_meta(data));
