//! LogQL from untrusted text: parse, print and re-parse, and plan log queries with their
//! compiled matchers and line filters.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| logql::fuzzing::parse_print_plan(data));
