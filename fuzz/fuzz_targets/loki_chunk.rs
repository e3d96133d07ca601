//! A Loki chunk from untrusted bytes: open, then iterate every entry both ways.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| loki_chunk::fuzzing::chunk(data));
