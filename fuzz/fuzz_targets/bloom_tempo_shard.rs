//! A Tempo bloom shard (`bloom-<i>`) from untrusted bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| bloom::fuzzing::tempo_shard(data));
