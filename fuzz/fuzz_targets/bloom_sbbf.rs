//! A serialised split-block bloom filter from untrusted bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| bloom::fuzzing::sbbf(data));
