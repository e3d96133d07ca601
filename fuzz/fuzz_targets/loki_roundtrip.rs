//! Arbitrary entries written to a chunk and read back in time order.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| loki_chunk::fuzzing::roundtrip(data));
