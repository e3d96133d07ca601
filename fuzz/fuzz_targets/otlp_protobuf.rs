//! OTLP protobuf requests and Tempo's v2 protobuf response from untrusted bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| otlp_model::fuzzing::otlp_protobuf(data));
