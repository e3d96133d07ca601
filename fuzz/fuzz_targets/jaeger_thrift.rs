//! Jaeger Thrift batches (binary and compact) and agent datagrams from untrusted bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| otlp_model::fuzzing::jaeger_thrift(data));
