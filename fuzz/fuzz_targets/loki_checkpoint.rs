//! A Loki WAL-checkpoint pair (chunk + head block) from untrusted bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| loki_chunk::fuzzing::checkpoint(data));
