//! A block's data.parquet from untrusted bytes: open, scan every row, find by ID.
//!
//! tempo-block contains panics of the Parquet crate's page decoders and reports them as
//! corruption, so the abort-on-panic hook libfuzzer-sys installs is replaced by a silent one;
//! a panic that escapes the library still reaches libfuzzer-sys's `catch_unwind` and aborts.
#![no_main]

static QUIET: std::sync::Once = std::sync::Once::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    tempo_block::fuzzing::data_parquet(data);
});
