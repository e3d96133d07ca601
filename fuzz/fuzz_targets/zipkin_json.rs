//! Zipkin v2 JSON span lists from untrusted bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| otlp_model::fuzzing::zipkin_json(data));
