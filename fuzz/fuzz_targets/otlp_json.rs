//! OTLP/JSON requests and responses and Tempo's trace JSON from untrusted bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| otlp_model::fuzzing::otlp_json(data));
