//! A block's data.parquet from untrusted bytes: open, scan every row, find by ID.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tempo_block::fuzzing::data_parquet(data));
