//! Entry points of the fuzz targets in `fuzz/`, kept here so that `cargo test` replays every
//! committed seed and crash input through exactly the code the fuzzer runs.
//!
//! Each function must never panic on any input; it panics only when an invariant the decoder
//! promises is broken (a decoded filter that does not re-encode to its input).

use crate::Sbbf;
use crate::tempo::{ShardView, TraceKey};

/// Parses `data` as a Tempo shard; when it parses, probes it and checks that the owned copy
/// re-encodes to exactly `data`.
///
/// # Panics
///
/// When a shard that parsed does not re-encode to its input, or the view and the owned copy
/// disagree on a probe.
pub fn tempo_shard(data: &[u8]) {
    let Ok(view) = ShardView::parse(data) else {
        return;
    };
    let owned = view.to_shard();
    assert_eq!(
        owned.encode(),
        data,
        "decoded shard must re-encode to its input"
    );
    for probe in data.chunks(16).take(64) {
        let key = TraceKey::new(probe);
        assert_eq!(view.contains_key(&key), owned.contains_key(&key));
    }
}

/// Parses `data` as a serialised split-block filter; when it parses, probes it and checks that
/// it re-encodes to exactly `data`.
///
/// # Panics
///
/// When a filter that parsed does not re-encode to its input.
pub fn sbbf(data: &[u8]) {
    let Ok(filter) = Sbbf::from_bytes(data) else {
        return;
    };
    assert_eq!(
        filter.to_bytes(),
        data,
        "decoded filter must re-encode to its input"
    );
    for probe in data.chunks(16).take(64) {
        let _ = filter.contains(probe);
    }
}
