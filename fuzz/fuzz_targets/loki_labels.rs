//! A Loki/Prometheus label set in selector syntax from untrusted text.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| loki_chunk::fuzzing::labels(data));
