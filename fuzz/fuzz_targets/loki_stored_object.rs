//! A Loki stored chunk object (metadata + chunk wrapper) from untrusted bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| loki_chunk::fuzzing::stored_object(data));
